"""One dropped file through the stages, into a real archive in a temporary folder.

The reader and the validator are small stand-ins (a form is JSON between PDF markers), so a
test says what the form holds; the archive is the real one, failing only where a test injects
a failure (a full disk, a refusal). All three are in tests/conftest.py.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import FlakyArchive, fake_reader, fake_validator, form_bytes, no_roster

from formflow.config import Settings
from formflow.errors import ArchiveError
from formflow.ingest import Ingestor, Outcome, Read, ingest_safely, is_transient
from formflow.intake import Identity, lstat_identity
from formflow.ledger import Ledger
from formflow.model import Extraction, ScanReading
from formflow.notices import RESUBMIT
from formflow.read import unreadable
from formflow.returns import Folder

NOW = datetime(2026, 11, 23, 9, 30)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "inbox").mkdir()
    return Settings().replace(
        inbox=tmp_path / "inbox", archive=tmp_path / "archive", roster=no_roster(tmp_path)
    )


def make_ingestor(settings: Settings, archive: FlakyArchive, reader: Any = fake_reader) -> Ingestor:
    work = settings.archive / ".formflow"
    return Ingestor(
        settings,
        reader=reader,
        validator=fake_validator,
        archive=archive,
        ledger=Ledger(work / "ledger.sqlite"),
        clock=lambda: NOW,
    )


def drop(settings: Settings, name: str, data: bytes) -> Path:
    path = settings.inbox / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def inbox_files(settings: Settings) -> list[str]:
    return sorted(
        str(p.relative_to(settings.inbox)) for p in settings.inbox.rglob("*") if not p.is_dir()
    )


def test_a_valid_form_is_filed_and_leaves_the_inbox(
    settings: Settings, archive: FlakyArchive
) -> None:
    path = drop(settings, "forberedelse.pdf", form_bytes())
    outcome = make_ingestor(settings, archive).ingest(path)
    assert (outcome.action, outcome.state) == ("filed", "received")
    assert not path.exists()
    assert archive.states() == {outcome.sha256: "received"}
    filed = archive.find_by_hash(outcome.sha256)
    assert filed is not None and filed.original.read_bytes() == form_bytes()
    assert filed.employee == "1042"


def test_awaiting_the_employee_is_filed_and_said(
    settings: Settings, archive: FlakyArchive, caplog: pytest.LogCaptureFixture
) -> None:
    data = form_bytes(kind="agreement", errors=[["signature_employee", "signature_missing"]])
    path = drop(settings, "aftale.pdf", data)
    with caplog.at_level("INFO", logger="formflow.watch"):
        outcome = make_ingestor(settings, archive).ingest(path)
    assert (outcome.action, outcome.state) == ("filed", "awaiting_employee")
    assert archive.states() == {outcome.sha256: "awaiting_employee"}
    said = archive.audits()[-1]
    assert (said["action"], said["employee"], said["sha256"]) == (
        "awaiting_employee", "1042", outcome.sha256
    )  # fmt: skip
    assert "awaiting the employee's signature" in caplog.text
    assert "Mølgaard" not in caplog.text  # no personal data beyond the number


def test_errors_go_back_with_a_danish_explanation(
    settings: Settings, archive: FlakyArchive
) -> None:
    data = form_bytes(errors=[["meeting_date", "date_missing"]])
    path = drop(settings, "salg/Forberedelse Søren.pdf", data)
    outcome = make_ingestor(settings, archive).ingest(path)
    assert outcome.action == "rejected" and outcome.codes == ("date_missing",)
    returned = settings.inbox / "afvist" / "salg" / "Forberedelse Søren.pdf"
    assert returned.read_bytes() == data  # the original, byte for byte
    notice = (returned.parent / "Forberedelse Søren.pdf.txt").read_text(encoding="utf-8")
    assert " 1. Dato for samtale: " in notice  # the Danish label, not the key
    assert RESUBMIT in notice and "date_missing" in notice
    assert archive.states() == {}
    # the employee's number, so a GDPR export of that person includes this entry
    said = archive.audits()[-1]
    assert {k: said[k] for k in ("action", "sha256", "codes", "employee", "year", "kind")} == {
        "action": "rejected", "sha256": outcome.sha256, "codes": "date_missing", "employee": "1042",
        "year": 2026, "kind": "preparation",
    }  # fmt: skip


def test_the_corrected_form_dropped_again_is_filed(
    settings: Settings, archive: FlakyArchive
) -> None:
    ingestor = make_ingestor(settings, archive)
    bad = drop(settings, "skema.pdf", form_bytes(errors=[["meeting_date", "date_missing"]]))
    assert ingestor.ingest(bad).action == "rejected"
    good = drop(settings, "skema.pdf", form_bytes())
    assert ingestor.ingest(good).action == "filed"
    assert inbox_files(settings) == ["afvist/skema.pdf", "afvist/skema.pdf.txt"]


def test_rejected_names_never_collide(settings: Settings, archive: FlakyArchive) -> None:
    ingestor = make_ingestor(settings, archive)
    for number in ("1", "2", "3"):
        data = form_bytes(number=number, errors=[["meeting_date", "date_missing"]])
        ingestor.ingest(drop(settings, "Skema.pdf", data))
    assert inbox_files(settings) == [
        "afvist/Skema (2).pdf",
        "afvist/Skema (2).pdf.txt",
        "afvist/Skema (3).pdf",
        "afvist/Skema (3).pdf.txt",
        "afvist/Skema.pdf",
        "afvist/Skema.pdf.txt",
    ]


def test_unreadable_goes_back_with_the_readers_reason(
    settings: Settings, archive: FlakyArchive
) -> None:
    path = drop(settings, "billede.pdf", b"\x89PNG\r\n\x1a\n....")
    outcome = make_ingestor(settings, archive).ingest(path)
    assert (outcome.action, outcome.codes) == ("rejected", ("wrong_type",))
    notice = (settings.inbox / "afvist" / "billede.pdf.txt").read_text(encoding="utf-8")
    assert "hverken en PDF eller et Word-dokument" in notice


def test_unknown_employee_is_held_for_a_person(settings: Settings, archive: FlakyArchive) -> None:
    settings.roster.write_text("nummer;navn;leder\n1042;Birthe Mølgaard;Lone Leder\n", "utf-8")
    path = drop(settings, "skema.pdf", form_bytes(number="9999"))
    outcome = make_ingestor(settings, archive).ingest(path)
    assert outcome.action == "held"
    held = settings.inbox / "til-afklaring" / "skema.pdf"
    assert held.exists() and archive.states() == {}
    notice = held.with_name("skema.pdf.txt").read_text(encoding="utf-8")
    assert "9999 findes ikke" in notice


def test_the_same_bytes_twice_are_recorded_once(settings: Settings, archive: FlakyArchive) -> None:
    ingestor = make_ingestor(settings, archive)
    assert ingestor.ingest(drop(settings, "a.pdf", form_bytes())).action == "filed"
    outcome = ingestor.ingest(drop(settings, "kopi af a.pdf", form_bytes()))
    assert outcome.action == "duplicate"
    assert len(archive.states()) == 1 and inbox_files(settings) == []
    assert archive.audits()[-1]["action"] == "duplicate"


def test_identical_files_at_once_give_one_filing(settings: Settings, archive: FlakyArchive) -> None:
    ingestor = make_ingestor(settings, archive)
    paths = [drop(settings, f"kopi {n}.pdf", form_bytes()) for n in range(8)]
    outcomes: list[str] = []
    threads = [
        threading.Thread(target=lambda p=p: outcomes.append(ingestor.ingest(p).action))
        for p in paths
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["duplicate"] * 7 + ["filed"]
    assert len(archive.states()) == 1


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(OSError(errno.ENOSPC, "No space left on device"), id="disk_full"),
        pytest.param(OSError(errno.EIO, "Input/output error"), id="io_error"),
        pytest.param(OSError(errno.ESTALE, "Stale file handle"), id="stale_nfs"),
    ],
)
def test_a_full_or_vanished_archive_is_retried_not_lost(
    settings: Settings, archive: FlakyArchive, failure: OSError
) -> None:
    wrapped = ArchiveError("cannot write to the archive")
    wrapped.__cause__ = failure
    archive.failures = [wrapped, failure]
    ingestor = make_ingestor(settings, archive)
    path = drop(settings, "skema.pdf", form_bytes())
    assert ingestor.ingest(path).action == "retry"
    assert ingestor.ingest(path).action == "retry"
    assert path.exists()
    assert ingestor.ingest(path).action == "filed"
    assert not path.exists()


def test_an_archive_refusal_is_held(settings: Settings, archive: FlakyArchive) -> None:
    archive.failures = [ArchiveError("the archive is inconsistent")]
    path = drop(settings, "skema.pdf", form_bytes())
    outcome = make_ingestor(settings, archive).ingest(path)
    assert (outcome.action, outcome.codes) == ("held", ("archive_refused",))
    assert (settings.inbox / "til-afklaring" / "skema.pdf").exists()


def test_a_reader_bug_holds_the_form_and_logs_no_contents(
    settings: Settings, archive: FlakyArchive, caplog: pytest.LogCaptureFixture
) -> None:
    path = drop(settings, "skema.pdf", form_bytes(crash=True))
    with caplog.at_level("INFO", logger="formflow.watch"):
        outcome = make_ingestor(settings, archive).ingest(path)
    assert (outcome.action, outcome.codes) == ("held", ("internal_error",))
    assert "RuntimeError" in caplog.text and "Birthe" not in caplog.text


def test_a_symlink_goes_back_as_a_link(
    settings: Settings, archive: FlakyArchive, tmp_path: Path
) -> None:
    secret = tmp_path / "hemmelig.pdf"
    secret.write_bytes(form_bytes())
    link = settings.inbox / "skema.pdf"
    link.symlink_to(secret)
    outcome = make_ingestor(settings, archive).ingest(link)
    assert (outcome.action, outcome.codes) == ("rejected", ("symlink",))
    assert (settings.inbox / "afvist" / "skema.pdf").is_symlink()
    assert secret.read_bytes() == form_bytes() and archive.states() == {}


def test_a_vanished_file_is_no_outcome(settings: Settings, archive: FlakyArchive) -> None:
    outcome = make_ingestor(settings, archive).ingest(settings.inbox / "væk.pdf")
    assert outcome.action == "vanished"


# --- recovery -------------------------------------------------------------------------------


def test_recover_finishes_a_filing_interrupted_before_the_original_left(
    settings: Settings, archive: FlakyArchive
) -> None:
    data = form_bytes()
    path = drop(settings, "skema.pdf", data)
    sha = hashlib.sha256(data).hexdigest()
    ledger = Ledger(settings.archive / ".formflow" / "ledger.sqlite")
    ledger.begin(sha, path, lstat_identity(path), "filed")
    result = fake_validator(fake_reader(data, "skema.pdf"), NOW)
    archive.file(data, result, state="received", arrived=NOW, source_name="skema.pdf")
    # archived durably, then killed before the original left the inbox
    ingestor = make_ingestor(settings, archive)
    outcomes = ingestor.recover()
    assert [o.action for o in outcomes] == ["filed"]
    assert not path.exists() and ingestor.ledger.pending() == []


def test_recover_leaves_an_unarchived_decision_to_the_next_scan(
    settings: Settings, archive: FlakyArchive
) -> None:
    path = drop(settings, "skema.pdf", form_bytes())
    ledger = Ledger(settings.archive / ".formflow" / "ledger.sqlite")
    ledger.begin("0" * 64, path, lstat_identity(path), "filed")
    ingestor = make_ingestor(settings, archive)
    assert [o.action for o in ingestor.recover()] == ["vanished"]
    assert path.exists() and ingestor.ledger.pending() == []
    assert ingestor.ingest(path).action == "filed"


@pytest.mark.parametrize("moved", [False, True], ids=["before_the_move", "after_the_move"])
def test_recover_finishes_a_return(settings: Settings, archive: FlakyArchive, moved: bool) -> None:
    path = drop(settings, "skema.pdf", b"not a form")
    identity = lstat_identity(path)
    destination = settings.inbox / "afvist" / "skema.pdf"
    ledger = Ledger(settings.archive / ".formflow" / "ledger.sqlite")
    ledger.begin("", path, identity, "rejected", str(destination), "Forklaring\n")
    if moved:
        destination.parent.mkdir()
        os.rename(path, destination)  # killed after the rename, before the explanation
    ingestor = make_ingestor(settings, archive)
    assert [o.action for o in ingestor.recover()] == ["rejected"]
    assert destination.read_bytes() == b"not a form" and not path.exists()
    assert destination.with_name("skema.pdf.txt").read_text() == "Forklaring\n"


def test_recover_never_moves_a_new_file_under_the_old_name(
    settings: Settings, archive: FlakyArchive
) -> None:
    path = drop(settings, "skema.pdf", b"first")
    old = lstat_identity(path)
    path.unlink()
    drop(settings, "skema.pdf", b"a new form with the same name")
    ledger = Ledger(settings.archive / ".formflow" / "ledger.sqlite")
    ledger.begin("", path, old, "rejected", str(settings.inbox / "afvist" / "skema.pdf"), "x\n")
    make_ingestor(settings, archive).recover()
    assert path.read_bytes() == b"a new form with the same name"


class Killed(BaseException):
    """kill -9 at that very point: nothing after it runs (no except clause catches it)."""


def scan_reader(data: bytes, name: str) -> Extraction:
    """A scan whose answer OCR could not read: held for a person, with a pre-filled copy."""
    read = fake_reader(data, name)
    unread = ScanReading({"employee_name": 96.0}, unread=("employee_position",), pages=4)
    return dataclasses.replace(read, reader="ocr", scan=unread)


def held_folder(settings: Settings) -> dict[str, tuple[bytes, int]]:
    """Every file in the held folder: its bytes and its permissions."""
    folder = settings.inbox / "til-afklaring"
    return {p.name: (p.read_bytes(), p.stat().st_mode & 0o777) for p in folder.iterdir()}


# Where a held scan's return is killed: the n-th call of a method on the way.
CRASHES = {
    "before_the_copy": (Folder, "write", 1),
    "before_the_explanation": (Folder, "write", 2),
    "before_the_move": (Folder, "take", 1),
    "before_the_finish": (Ledger, "finish", 1),
}


@pytest.mark.parametrize("crash", list(CRASHES))
def test_recover_writes_a_held_scans_copy_as_the_uninterrupted_return_would(
    settings: Settings, archive: FlakyArchive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    crash: str,
) -> None:  # fmt: skip
    calm = settings.replace(inbox=tmp_path / "calm" / "inbox", archive=tmp_path / "calm" / "arkiv")
    calm.inbox.mkdir(parents=True)
    calm_path = drop(calm, "skema.pdf", form_bytes())
    os.chmod(calm_path, 0o640)
    assert make_ingestor(calm, FlakyArchive(calm), scan_reader).ingest(calm_path).action == "held"
    expected = held_folder(calm)
    assert set(expected) == {"skema.pdf", "skema.pdf.txt", "skema-afskrift.pdf"}

    path = drop(settings, "skema.pdf", form_bytes())
    os.chmod(path, 0o640)
    owner, method, nth = CRASHES[crash]
    original, calls = getattr(owner, method), []

    def killed_there(*args: Any, **kwargs: Any) -> Any:
        calls.append(method)
        if len(calls) == nth:
            raise Killed
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, method, killed_there)
    with pytest.raises(Killed):
        make_ingestor(settings, archive, scan_reader).ingest(path)
    monkeypatch.undo()
    if crash == "before_the_copy":  # the case a recovery without the copy got wrong
        assert path.exists() and held_folder(settings) == {}

    ingestor = make_ingestor(settings, archive, never_read)  # a restarted daemon reads nothing
    assert [o.action for o in ingestor.recover()] == ["held"]

    assert held_folder(settings) == expected
    assert not path.exists() and ingestor.ledger.pending() == []


def test_recover_leaves_a_copy_a_person_has_begun_to_fill_in(
    settings: Settings, archive: FlakyArchive, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The finish is not synced: after a power cut the return is redone, maybe after a person
    opened the copy in til-afklaring and saved their work in it."""
    path = drop(settings, "skema.pdf", form_bytes())

    def killed(ledger: Ledger, entry: object) -> None:
        raise Killed

    monkeypatch.setattr(Ledger, "finish", killed)
    with pytest.raises(Killed):
        make_ingestor(settings, archive, scan_reader).ingest(path)
    monkeypatch.undo()
    copy = settings.inbox / "til-afklaring" / "skema-afskrift.pdf"
    copy.write_bytes(copy.read_bytes() + b"% Stilling: udfyldt af HR\n")
    worked_on = copy.read_bytes()

    assert [o.action for o in make_ingestor(settings, archive, never_read).recover()] == ["held"]
    assert copy.read_bytes() == worked_on


# --- a worker's verdict, a new stage ---------------------------------------------------------


def never_read(data: bytes, name: str) -> Extraction:
    raise AssertionError("a file handed back with a verdict is read by no one")


@pytest.mark.parametrize("code", ["timeout", "too_much_memory", "crashed"])
def test_a_killed_workers_verdict_goes_straight_back(
    settings: Settings, archive: FlakyArchive, code: str
) -> None:
    path = drop(settings, "salg/skema.pdf", form_bytes())
    outcome = make_ingestor(settings, archive, never_read).reject(path, unreadable(code))
    assert (outcome.action, outcome.codes) == ("rejected", (code,))
    returned = settings.inbox / "afvist" / "salg" / "skema.pdf"
    assert outcome.destination == returned and returned.read_bytes() == form_bytes()
    assert "Ret skemaet" in returned.with_name("skema.pdf.txt").read_text(encoding="utf-8")
    assert archive.states() == {} and archive.audits()[-1]["codes"] == code


def test_a_verdict_while_stopping_keeps_the_file(settings: Settings, archive: FlakyArchive) -> None:
    """The daemon being stopped is what ended the worker, not the file."""
    ingestor = make_ingestor(settings, archive, never_read)
    ingestor.stopping = lambda: True
    path = drop(settings, "skema.pdf", form_bytes())
    assert ingestor.reject(path, unreadable("timeout")).action == "retry"
    assert inbox_files(settings) == ["skema.pdf"]


def test_a_verdict_on_bytes_filed_meanwhile_is_a_duplicate(
    settings: Settings, archive: FlakyArchive
) -> None:
    ingestor = make_ingestor(settings, archive)
    assert ingestor.ingest(drop(settings, "a.pdf", form_bytes())).action == "filed"
    copy = drop(settings, "kopi.pdf", form_bytes())
    assert ingestor.reject(copy, unreadable("timeout")).action == "duplicate"
    assert inbox_files(settings) == []


class Capitalising(Ingestor):
    """A stage added after reading (as OCR will be): one more line in STAGES."""

    def _capitalise(self, read: Read) -> Read:
        fields = {**read.extraction.fields, "employee_name": read.extraction.employee_name.upper()}
        return Read(read.taken, dataclasses.replace(read.extraction, fields=fields))

    STAGES = (*Ingestor.STAGES[:2], _capitalise, *Ingestor.STAGES[2:])


def test_a_new_stage_is_one_more_line(settings: Settings, archive: FlakyArchive) -> None:
    ledger = Ledger(settings.archive / ".formflow" / "ledger.sqlite")
    ingestor = Capitalising(
        settings, reader=fake_reader, validator=fake_validator, archive=archive, ledger=ledger
    )
    outcome = ingestor.ingest(drop(settings, "skema.pdf", form_bytes()))
    filed = archive.find_by_hash(outcome.sha256)
    assert filed is not None and filed.name == "BIRTHE MØLGAARD"


# --- pure parts -----------------------------------------------------------------------------


def test_is_transient_follows_causes() -> None:
    wrapped = ArchiveError("cannot write")
    wrapped.__cause__ = OSError(errno.ENOSPC, "full")
    assert is_transient(wrapped)
    assert not is_transient(ArchiveError("inconsistent"))
    assert not is_transient(OSError(errno.EACCES, "denied"))


def test_the_ledger_keeps_a_held_scans_copy_until_its_entry_is_finished(tmp_path: Path) -> None:
    path = tmp_path / "l" / "ledger.sqlite"
    copy = ("skema-afskrift.pdf", b"%PDF-1.7 kopi")
    held = Ledger(path).begin("ab", tmp_path / "x.pdf", Identity(1, 2, 3, 4), "held", copy=copy)
    filed = Ledger(path).begin("cd", tmp_path / "y.pdf", Identity(1, 3, 3, 4), "filed")
    again = Ledger(path)
    assert (again.copy_of(held), again.copy_of(filed)) == (copy, None)
    again.finish(held)
    assert Ledger(path).copy_of(held) is None and Ledger(path).pending() == [filed]
    sqlite3.connect(path).execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    assert b"kopi" not in path.read_bytes()  # its bytes overwritten, not just freed


def test_ledger_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "l" / "ledger.sqlite"
    entry = Ledger(path).begin("ab", tmp_path / "x.pdf", Identity(1, 2, 3, 4), "filed")
    again = Ledger(path)
    assert again.pending() == [entry]
    again.finish(entry)
    assert Ledger(path).pending() == []


def test_a_failed_return_leaves_no_half_and_is_retried(
    settings: Settings, archive: FlakyArchive, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingestor = make_ingestor(settings, archive)
    path = drop(settings, "skema.pdf", b"not a form")

    def share_gone(folder: object, source: Path, inbox: Path, name: str) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr("formflow.returns.Folder.take", share_gone)
    assert ingestor.ingest(path).action == "retry"
    assert inbox_files(settings) == ["skema.pdf"] and ingestor.ledger.pending() == []
    monkeypatch.undo()
    assert ingestor.ingest(path).action == "rejected"
    assert inbox_files(settings) == ["afvist/skema.pdf", "afvist/skema.pdf.txt"]


# --- hostile names and folders (issue 13) ----------------------------------------------------

LATIN1_NAME = b"skema-\xe6\xf8.pdf"  # "skema-æø.pdf" as an old Windows or Mac client writes it


def drop_bytes_name(settings: Settings, relative: bytes, data: bytes) -> Path:
    """Drop a file under a name given as bytes (not necessarily UTF-8); its path as the scan
    gives it (undecodable bytes as surrogates)."""
    path = os.path.join(os.fsencode(settings.inbox), relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)
    return Path(os.fsdecode(path))


def test_a_name_that_is_not_utf8_is_filed(settings: Settings, archive: FlakyArchive) -> None:
    path = drop_bytes_name(settings, LATIN1_NAME, form_bytes())
    outcome = make_ingestor(settings, archive).ingest(path)
    assert (outcome.action, outcome.name) == ("filed", "skema-__.pdf")
    assert not os.path.lexists(path) and len(archive.states()) == 1


def test_a_name_that_is_not_utf8_goes_back_under_a_name_that_can_be_shown(
    settings: Settings, archive: FlakyArchive
) -> None:
    data = form_bytes(errors=[["meeting_date", "date_missing"]])
    path = drop_bytes_name(settings, b"l\xf8n/" + LATIN1_NAME, data)  # a department's too
    outcome = make_ingestor(settings, archive).ingest(path)
    assert (outcome.action, outcome.name) == ("rejected", "skema-__.pdf")
    assert inbox_files(settings) == ["afvist/l_n/skema-__.pdf", "afvist/l_n/skema-__.pdf.txt"]
    returned = settings.inbox / "afvist" / "l_n" / "skema-__.pdf"
    assert returned.read_bytes() == data
    assert "„skema-__.pdf“" in returned.with_name("skema-__.pdf.txt").read_text("utf-8")
    assert not os.path.lexists(path)


def test_a_name_that_is_not_utf8_refused_at_intake_goes_back(
    settings: Settings, archive: FlakyArchive
) -> None:
    path = drop_bytes_name(settings, LATIN1_NAME, b"")
    outcome = make_ingestor(settings, archive).ingest(path)
    assert (outcome.action, outcome.codes) == ("rejected", ("empty",))
    assert inbox_files(settings) == ["afvist/skema-__.pdf", "afvist/skema-__.pdf.txt"]


def test_recover_finishes_a_return_of_a_name_that_is_not_utf8(
    settings: Settings, archive: FlakyArchive
) -> None:
    path = drop_bytes_name(settings, LATIN1_NAME, b"not a form")
    destination = settings.inbox / "afvist" / "skema-__.pdf"
    ledger = Ledger(settings.archive / ".formflow" / "ledger.sqlite")
    ledger.begin("", path, lstat_identity(path), "rejected", str(destination), "Forklaring\n")
    assert [o.action for o in make_ingestor(settings, archive).recover()] == ["rejected"]
    assert destination.read_bytes() == b"not a form" and not os.path.lexists(path)


def test_ingest_safely_never_raises_even_when_naming_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The error handler itself must not fail (it once called the failing naming again)."""

    def broken(name: str, fallback: str = "skema") -> str:
        raise UnicodeEncodeError("utf-8", name, 0, 1, "surrogates not allowed")

    def failing(path: Path) -> Outcome:
        raise RuntimeError("a bug")

    monkeypatch.setattr("formflow.ingest.sanitize_name", broken)
    outcome = ingest_safely(failing, Path("/in/skema.pdf"))
    assert (outcome.action, outcome.detail) == ("retry", "RuntimeError")


@pytest.mark.parametrize("how", ["symlink_out", "symlink_loop", "regular_file", "dangling"])
def test_a_department_folder_that_is_no_folder_never_takes_a_return(
    settings: Settings, archive: FlakyArchive, tmp_path: Path, how: str
) -> None:
    """`afvist/salg` planted as a link (out of the inbox, or back into it: a loop) or as a file:
    the form goes into `afvist` itself, named with its department; nothing planted is touched."""
    outside = tmp_path / "outside"
    outside.mkdir()
    rejected = settings.inbox / "afvist"
    rejected.mkdir()
    impostor = rejected / "salg"
    if how == "symlink_out":
        impostor.symlink_to(outside, target_is_directory=True)
    elif how == "symlink_loop":
        impostor.symlink_to("../salg", target_is_directory=True)
    elif how == "regular_file":
        impostor.write_bytes(b"someone's file")
    else:
        impostor.symlink_to(tmp_path / "nowhere")
    data = form_bytes(errors=[["meeting_date", "date_missing"]])
    path = drop(settings, "salg/skema.pdf", data)
    outcome = make_ingestor(settings, archive).ingest(path)
    assert outcome.action == "rejected"
    assert outcome.destination == rejected / "salg - skema.pdf"
    assert (rejected / "salg - skema.pdf").read_bytes() == data
    assert (rejected / "salg - skema.pdf.txt").exists()
    assert list(outside.iterdir()) == [] and not path.exists()
    assert os.path.lexists(impostor)  # never moved or removed
    if how == "regular_file":
        assert impostor.read_bytes() == b"someone's file"
    else:
        assert impostor.is_symlink()
    assert sorted(os.listdir(settings.inbox / "salg")) == []  # nothing came back (no loop)


def test_a_nested_department_folder_that_is_a_link_is_not_followed(
    settings: Settings, archive: FlakyArchive, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (settings.inbox / "til-afklaring" / "salg").mkdir(parents=True)
    (settings.inbox / "til-afklaring" / "salg" / "nord").symlink_to(outside)
    settings.roster.write_text("nummer;navn;leder\n1042;Birthe Mølgaard;Lone Leder\n", "utf-8")
    path = drop(settings, "salg/nord/skema.pdf", form_bytes(number="9999"))
    outcome = make_ingestor(settings, archive).ingest(path)
    assert outcome.action == "held"
    held = settings.inbox / "til-afklaring" / "salg - nord - skema.pdf"
    assert outcome.destination == held and held.exists() and list(outside.iterdir()) == []


def test_a_rejected_folder_that_is_a_link_returns_nothing(
    settings: Settings, archive: FlakyArchive, tmp_path: Path
) -> None:
    """The top folder itself must be a real folder: until it is, the file stays (retried)."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (settings.inbox / "afvist").symlink_to(outside)
    path = drop(settings, "skema.pdf", b"not a form")
    outcome = ingest_safely(make_ingestor(settings, archive).ingest, path)
    assert outcome.action == "retry"
    assert path.read_bytes() == b"not a form" and list(outside.iterdir()) == []


def test_recover_never_follows_a_link_planted_meanwhile(
    settings: Settings, archive: FlakyArchive, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    path = drop(settings, "salg/skema.pdf", b"not a form")
    destination = settings.inbox / "afvist" / "salg" / "skema.pdf"
    ledger = Ledger(settings.archive / ".formflow" / "ledger.sqlite")
    ledger.begin("", path, lstat_identity(path), "rejected", str(destination), "Forklaring\n")
    (settings.inbox / "afvist").mkdir()
    (settings.inbox / "afvist" / "salg").symlink_to(outside)  # planted before the restart
    assert [o.action for o in make_ingestor(settings, archive).recover()] == ["rejected"]
    assert (settings.inbox / "afvist" / "salg - skema.pdf").read_bytes() == b"not a form"
    assert list(outside.iterdir()) == []


# --- modes of what is returned (issue 13) -----------------------------------------------------


@pytest.mark.parametrize(("form", "notice"), [(0o600, 0o600), (0o640, 0o640), (0o644, 0o644)])
def test_the_explanation_is_as_private_as_the_form(
    settings: Settings, archive: FlakyArchive, form: int, notice: int
) -> None:
    path = drop(settings, "salg/skema.pdf", b"not a form")
    path.chmod(form)
    make_ingestor(settings, archive).ingest(path)
    returned = settings.inbox / "afvist" / "salg" / "skema.pdf"
    assert oct(returned.stat().st_mode & 0o777) == oct(form)  # the original, as it was
    assert oct(returned.with_name("skema.pdf.txt").stat().st_mode & 0o777) == oct(notice)


def test_created_folders_mirror_the_folders_the_forms_lay_in(
    settings: Settings, archive: FlakyArchive
) -> None:
    """Whoever could list a department's forms as they lay there can list them returned."""
    settings.inbox.chmod(0o755)
    path = drop(settings, "salg/skema.pdf", b"not a form")
    (settings.inbox / "salg").chmod(0o750)
    old = os.umask(0o022)
    try:
        make_ingestor(settings, archive).ingest(path)
    finally:
        os.umask(old)
    assert oct((settings.inbox / "afvist").stat().st_mode & 0o7777) == "0o755"
    assert oct((settings.inbox / "afvist" / "salg").stat().st_mode & 0o7777) == "0o750"


# --- the PDF libraries' warnings (issue 13) ---------------------------------------------------


def broken_xref_pdf() -> bytes:
    """A real form whose every cross-reference offset is off by 7 bytes: pypdf warns about
    each object it has to look for (hundreds of lines), and reads it all the same."""
    import re

    from samples.watch.make_watch_samples import sample

    data = sample("preparation.pdf")
    xref = data.rindex(b"\nxref")
    table = re.sub(
        rb"(\d{10}) (\d{5} n)", lambda m: b"%010d %s" % (int(m[1]) + 7, m[2]), data[xref:]
    )
    return data[:xref] + table


class Written(logging.Handler):
    """What the daemon's own log handler (on the root logger) would write. (pytest's caplog
    also hooks into loggers that do not propagate, so it cannot tell.)"""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.name, record.getMessage()))


@pytest.fixture
def written() -> Iterator[Written]:
    handler, root = Written(), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


def test_the_pdf_libraries_warnings_are_one_line_per_file(
    settings: Settings, archive: FlakyArchive, written: Written
) -> None:
    from formflow.read import read_data

    path = drop(settings, "salg/brudt xref.pdf", broken_xref_pdf())
    ingestor = make_ingestor(settings, archive, lambda data, name: read_data(data, name, settings))
    outcome = ingestor.ingest(path)
    assert outcome.action in ("filed", "held", "rejected")  # read, whatever it holds
    assert [line for line in written.lines if not line[0].startswith("formflow")] == []
    summaries = [text for _, text in written.lines if "PDF libraries" in text]
    assert len(summaries) == 1 and summaries[0].startswith("read brudt xref.pdf: ")
    assert int(summaries[0].split("gave ")[1].split()[0]) > 100
    written.lines.clear()
    logging.getLogger("pypdf._reader").warning("a warning outside a read")  # written as before
    assert written.lines == [("pypdf._reader", "a warning outside a read")]
