"""`formflow check` and `formflow watch` decide alike on who a form's employee is.

Seed 004's company form has no place for the number: the daemon files it under the one roster
row with its name, and holds it in til-afklaring when two rows or none have that name (or there
is no roster). `formflow check` must say the same, so the same form runs through both here:
check through its worker processes (`check_files`, and the command for its exit status), watch
through the daemon's real stages (`build_ingestor`). A form with a number the roster does
not know, or with another name than the roster's for it, is held by both too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from formflow.cli import cli
from formflow.config import Settings
from formflow.errors import UnreadableForm
from formflow.model import CheckResult
from formflow.report import check_json, check_state
from formflow.workers import build_ingestor, check_files, read_in_process

FORM = Path(__file__).parent / "samples" / "foreign" / "company-preparation.docx"
HEADER = "nummer;navn;leder\n"
ONE = HEADER + "2001;Anne Holm;Lone Leder\n2002;Jens Peter Søgaard;Ole Chef\n"
TWO = ONE + "2003;Jens  Peter SØGAARD;Lone Leder\n"
NONE = HEADER + "2001;Anne Holm;Lone Leder\n"


def workspace(tmp_path: Path, roster: str | None) -> Settings:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    settings = Settings().replace(
        inbox=inbox, archive=tmp_path / "archive", roster=tmp_path / "employees.csv"
    )
    if roster is not None:
        settings.roster.write_text(roster, encoding="utf-8")
    return settings


def checked(settings: Settings, form: Path = FORM) -> CheckResult:
    (result,) = check_files([form], settings, workers=1)
    assert not isinstance(result, UnreadableForm), result
    return result


def watched(settings: Settings, form: Path = FORM) -> tuple[str, str]:
    """The daemon's outcome for the form: (action, state), state "" unless filed."""
    dropped = settings.inbox / form.name
    dropped.write_bytes(form.read_bytes())
    ingestor, close = build_ingestor(
        settings, lambda data, name: read_in_process(data, name, settings)
    )
    try:
        outcome = ingestor.ingest(dropped)
    finally:
        close()
    return outcome.action, outcome.state if outcome.action == "filed" else ""


@pytest.mark.parametrize(
    ("roster", "expected"),
    [(ONE, ("filed", "received")), (TWO, ("held", "")), (NONE, ("held", "")), (None, ("held", ""))],
    ids=["one-row", "two-rows", "no-row", "no-roster"],
)
def test_check_and_watch_decide_alike_on_a_form_without_number(
    tmp_path: Path, roster: str | None, expected: tuple[str, str]
) -> None:
    settings = workspace(tmp_path, roster)
    result = checked(settings)
    action, state = watched(settings)
    assert (action, state) == expected
    assert check_state(result) == (state or action)


NUMBERED = FORM.with_name("colon-agreement.pdf")  # nr. 2231 Mette Kjærgaard Ølgod, signed


@pytest.mark.parametrize(
    ("roster", "expected"),
    [
        (HEADER + "2231;Mette Kjærgaard Ølgod;Karen Åberg Holm\n", ("filed", "signed")),
        (HEADER + "2232;Mette Kjærgaard Ølgod;Karen Åberg Holm\n", ("held", "")),
        (HEADER + "2231;Bo Berg;Karen Åberg Holm\n", ("held", "")),
    ],
    ids=["on-roster", "number-not-on-roster", "another-name"],
)
def test_check_and_watch_decide_alike_on_a_number_the_roster_must_confirm(
    tmp_path: Path, roster: str, expected: tuple[str, str]
) -> None:
    settings = workspace(tmp_path, roster)
    result = checked(settings, NUMBERED)
    assert watched(settings, NUMBERED) == expected
    assert check_state(result) == (expected[1] or expected[0])


def test_check_takes_the_number_and_leader_from_the_one_roster_row(tmp_path: Path) -> None:
    result = checked(workspace(tmp_path, ONE))
    assert result.extraction.employee_number == "2002"
    assert result.extraction.fields["leader_name"] == "Ole Chef"
    assert "number_from_roster" in [p.code for p in result.problems]


def test_check_names_the_candidates_of_a_held_form(tmp_path: Path) -> None:
    settings = workspace(tmp_path, TWO)
    data = check_json(checked(settings), settings)
    assert data["state"] == "held"
    assert "nr. 2002 Jens Peter Søgaard" in data["held"]
    assert "nr. 2003 Jens  Peter SØGAARD" in data["held"]
    assert data["fields"].get("employee_number", "") == ""


def test_check_command_exit_status_says_a_held_form_is_not_filed(tmp_path: Path) -> None:
    settings = workspace(tmp_path, NONE)
    (tmp_path / "formflow.toml").write_text(
        f'roster = "{settings.roster}"\n[watch]\nworkers = 1\n', encoding="utf-8"
    )
    done = CliRunner().invoke(
        cli, ["--config", str(tmp_path / "formflow.toml"), "check", "--json", str(FORM)]
    )
    assert done.exit_code == 1, done.output
    assert '"state": "held"' in done.output and "Ingen mulige medarbejdere" in done.output
