"""Forms without an employee number (seed 004): found by name in the roster, or held.

The company preparation forms in `tests/samples/foreign/` (made by python-docx and exported
by LibreOffice) have no place for an employee number or a leader; the clinic agreement (seed
000) none for the next meeting. Read and validated for real, filed into a real archive.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from formflow.archive import Archive
from formflow.archive.roster import RosterEntry, find_by_name, same_name
from formflow.checking import check_form
from formflow.config import Settings
from formflow.decision import decide
from formflow.ingest import Ingestor
from formflow.ledger import Ledger
from formflow.read import read_data, read_form

FOREIGN = Path(__file__).parent / "samples" / "foreign"
COMPANY = ("company-preparation.docx", "company-preparation-lo.pdf")
CLINIC = ("clinic-agreement-lo.pdf", "clinic-agreement-tabs.docx")
NOW = datetime(2025, 2, 6, 9, 0)  # the day after the company form's meeting
ROSTER = "nummer;navn;leder\n2001;Anne Holm;Lone Leder\n2002;Jens Peter Søgaard;Ole Chef\n"


def test_same_name_ignores_case_accents_and_spacing_only() -> None:
    assert same_name("  jens  peter SØGAARD ", "Jens Peter Søgaard")
    assert same_name("José Hansen", "Jose Hansen")
    assert not same_name("Jens Søgaard", "Jens Peter Søgaard")


def test_find_by_name_takes_only_the_one_row_with_the_name() -> None:
    roster = {"1": RosterEntry("1", "Jens Peter Søgaard", "Ole Chef")}
    assert find_by_name("jens peter søgaard", roster) == roster["1"]
    roster["2"] = RosterEntry("2", "Jens  Peter Søgaard", "Lone Leder")
    reason = find_by_name("Jens Peter Søgaard", roster)
    assert isinstance(reason, str) and "nr. 1 Jens Peter Søgaard" in reason
    assert "nr. 2 Jens  Peter Søgaard" in reason and "flere gange" in reason


def test_find_by_name_names_the_loose_candidates_or_no_one() -> None:
    roster = {"7": RosterEntry("7", "Birthe Å. Mølgaard"), "8": RosterEntry("8", "Bo Berg")}
    reason = find_by_name("Birthe Mølgaard", roster)  # typed without the middle initial
    assert isinstance(reason, str) and "nr. 7 Birthe Å. Mølgaard" in reason
    assert "Bo Berg" not in reason
    nobody = find_by_name("Karl Smed", roster)
    assert isinstance(nobody, str) and "Ingen mulige medarbejdere" in nobody


@pytest.mark.parametrize("name", COMPANY)
def test_company_form_without_number_or_leader_place_is_valid(name: str) -> None:
    result = check_form(read_form(FOREIGN / name, Settings()), Settings(), arrived=NOW)
    assert "employee_number" not in result.extraction.fields
    assert {"employee_number", "leader_name"}.isdisjoint(result.extraction.places or {"x"})
    assert result.valid, result.problems


@pytest.mark.parametrize("name", CLINIC)
def test_clinic_agreement_without_next_meeting_place_is_not_failed_for_it(name: str) -> None:
    result = check_form(read_form(FOREIGN / name, Settings()), Settings(), arrived=NOW)
    assert "next_meeting_date" not in (result.extraction.places or ())
    assert not [p for p in result.problems if p.field == "next_meeting_date"]
    assert decide(result).action == "filed"


def test_a_place_found_empty_is_still_required() -> None:
    result = check_form(read_form(FOREIGN / CLINIC[0], Settings()), Settings(), arrived=NOW)
    fields = {**result.extraction.fields, "meeting_date": "", "leader_name": ""}
    emptied = check_form(replace(result.extraction, fields=fields), Settings(), arrived=NOW)
    missing = {p.field for p in emptied.problems if p.code == "required_missing"}
    assert {"meeting_date", "leader_name"} <= missing


def ingest(tmp_path: Path, roster: str | None, name: str) -> tuple[str, Settings]:
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    settings = Settings().replace(
        inbox=inbox, archive=tmp_path / "archive", roster=tmp_path / "employees.csv"
    )
    if roster is not None:
        settings.roster.write_text(roster, encoding="utf-8")
    dropped = inbox / name
    dropped.write_bytes((FOREIGN / name).read_bytes())
    ingestor = Ingestor(
        settings,
        reader=lambda data, shown: read_data(data, shown, settings),
        validator=lambda extraction, arrived: check_form(extraction, settings, arrived=arrived),
        archive=Archive(settings.archive, settings),
        ledger=Ledger(settings.archive / ".formflow" / "ledger.sqlite"),
        clock=lambda: NOW,
    )
    return ingestor.ingest(dropped).action, settings


def held_note(settings: Settings, name: str) -> str:
    return (settings.inbox / "til-afklaring" / f"{name}.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", COMPANY)
def test_form_without_number_is_filed_by_its_name_in_the_roster(tmp_path: Path, name: str) -> None:
    action, settings = ingest(tmp_path, ROSTER, name)
    assert action == "filed"
    archive = Archive(settings.archive, settings)
    (row,) = archive.forms()
    assert (row.employee, row.state) == ("2002", "received")
    (folder,) = (settings.archive / "personale").iterdir()
    assert folder.name.startswith("2002")
    record = (settings.archive / row.record).read_text(encoding="utf-8")
    assert "number_from_roster" in record and "Ole Chef" in record


def test_two_roster_rows_with_the_name_hold_the_form_naming_both(tmp_path: Path) -> None:
    roster = ROSTER + "2003;Jens Peter Søgaard;Lone Leder\n"
    action, settings = ingest(tmp_path, roster, COMPANY[0])
    assert action == "held"
    note = held_note(settings, COMPANY[0])
    assert "nr. 2002 Jens Peter Søgaard" in note and "nr. 2003 Jens Peter Søgaard" in note
    assert not (settings.archive / "personale").exists() or not any(
        (settings.archive / "personale").iterdir()
    )


def test_no_roster_row_with_the_name_holds_the_form_naming_no_one(tmp_path: Path) -> None:
    only_anne = "nummer;navn;leder\n2001;Anne Holm;Lone Leder\n"
    action, settings = ingest(tmp_path, only_anne, COMPANY[1])
    assert action == "held"
    assert "Ingen mulige medarbejdere" in held_note(settings, COMPANY[1])


def test_without_a_roster_a_form_without_number_is_held(tmp_path: Path) -> None:
    action, settings = ingest(tmp_path, None, COMPANY[0])
    assert action == "held"
    assert "mangler medarbejdernummer" in held_note(settings, COMPANY[0])


def test_watch_once_files_seed_004_form_by_the_roster(tmp_path: Path) -> None:
    (tmp_path / "inbox").mkdir()
    (tmp_path / "employees.csv").write_text(ROSTER, encoding="utf-8")
    (tmp_path / "formflow.toml").write_text("[watch]\nstability_seconds = 0\n", encoding="utf-8")
    for name in COMPANY:
        (tmp_path / "inbox" / name).write_bytes((FOREIGN / name).read_bytes())
    done = subprocess.run(
        [sys.executable, "-c", "from formflow.cli import main; main()", "watch", "--once"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (folder,) = (tmp_path / "archive" / "personale").iterdir()
    assert folder.name.startswith("2002")
    inbox = tmp_path / "inbox"
    assert [p.name for p in inbox.rglob("company-*")] == []  # filed, none held or sent back
    assert len(list(folder.rglob("*.json"))) == 2


@pytest.mark.parametrize("name", ["agreement-gs-printed.pdf", "agreement-qpdf-flattened.pdf"])
def test_formflows_own_form_read_by_its_labels_keeps_every_required_field(name: str) -> None:
    """Its own title names it: every field of its definition is its place, so a number
    erased from a flattened own form is still missing, not "no place for it"."""
    extraction = read_form(Path(__file__).parent / "samples" / name, Settings())
    assert (extraction.reader, extraction.places) == ("layout", None)
    fields = {k: v for k, v in extraction.fields.items() if k != "employee_number"}
    result = check_form(replace(extraction, fields=fields), Settings(), arrived=NOW)
    assert ("employee_number", "required_missing") in [(p.field, p.code) for p in result.problems]


def clinic_without_leader(tmp_path: Path, leader: str) -> tuple[str, Settings]:
    """Seed 000's agreement as if it had no place for the leader's name: the roster's leader
    is the one the typed leader signature must name."""
    roster = f"nummer;navn;leder\n3001;Mette Kjærgaard Ølgod;{leader}\n"
    extraction = read_form(FOREIGN / CLINIC[0], Settings())
    fields = {k: v for k, v in extraction.fields.items() if k != "leader_name"}
    places = (extraction.places or frozenset()) - {"leader_name"}
    form = replace(extraction, fields=fields, places=places)
    inbox = tmp_path / "inbox"
    inbox.mkdir(parents=True)
    settings = Settings().replace(
        inbox=inbox, archive=tmp_path / "archive", roster=tmp_path / "employees.csv"
    )
    settings.roster.write_text(roster, encoding="utf-8")
    dropped = inbox / CLINIC[0]
    dropped.write_bytes((FOREIGN / CLINIC[0]).read_bytes())
    ingestor = Ingestor(
        settings,
        reader=lambda data, shown: form,
        validator=lambda extraction, arrived: check_form(extraction, settings, arrived=arrived),
        archive=Archive(settings.archive, settings),
        ledger=Ledger(settings.archive / ".formflow" / "ledger.sqlite"),
        clock=lambda: datetime(2025, 3, 20, 9, 0),
    )
    outcome = ingestor.ingest(dropped)
    return outcome.action, settings


def test_the_rosters_leader_is_checked_against_the_leaders_signature(tmp_path: Path) -> None:
    action, settings = clinic_without_leader(tmp_path / "a", "Karen Åberg Holm")
    assert action == "filed"
    (row,) = Archive(settings.archive, settings).forms()
    assert (row.employee, row.state) == ("3001", "signed")
    action, settings = clinic_without_leader(tmp_path / "b", "Ole Chef")
    assert action == "rejected"
    notice = (settings.inbox / "afvist" / f"{CLINIC[0]}.txt").read_text(encoding="utf-8")
    assert "Karen Åberg Holm" in notice
