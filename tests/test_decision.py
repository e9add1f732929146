"""One decision for `check` and `watch`: the pure table, then both commands on the same file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FlakyArchive, ingest_for_real, no_roster

from formflow.cli import cli
from formflow.config import Settings
from formflow.decision import Decision, decide
from formflow.ledger import Ledger
from formflow.model import CheckResult, Extraction, Problem, Signature

AWAITING = Path(__file__).parent / "samples" / "watch" / "agreement-awaiting.pdf"

ERROR = Problem("meeting_date", "error", "date_missing", "x")
WARNING = Problem(None, "warning", "late", "y")
NO_EMPLOYEE = Problem("signature_employee", "error", "signature_missing", "x")
NO_EMPLOYEE_DATE = Problem("signature_employee_date", "error", "required_missing", "x")
NO_LEADER = Problem("signature_leader", "error", "signature_missing", "x")
MISSING = {"signature_employee": Signature("missing", False)}


def _result(
    kind: str, *problems: Problem, signatures: dict[str, Signature] | None = None
) -> CheckResult:
    extraction = Extraction("f", "acroform", kind, 2026, kind, {})
    return CheckResult(extraction, signatures or {}, problems)


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        pytest.param(_result("preparation"), Decision("filed", "received"),
                     id="preparation_received"),
        pytest.param(_result("agreement", WARNING), Decision("filed", "signed"),
                     id="warnings_only_signed"),
        pytest.param(_result("agreement", NO_EMPLOYEE, NO_EMPLOYEE_DATE, signatures=MISSING),
                     Decision("filed", "awaiting_employee"), id="awaiting_employee"),
        pytest.param(_result("agreement", NO_LEADER,
                             signatures={"signature_leader": Signature("missing", False)}),
                     Decision("filed", "awaiting_leader"), id="awaiting_leader"),
        pytest.param(_result("agreement", NO_EMPLOYEE, ERROR, signatures=MISSING),
                     Decision("rejected", problems=(NO_EMPLOYEE, ERROR)),
                     id="missing_signature_and_more"),
        pytest.param(_result("preparation", NO_EMPLOYEE, signatures=MISSING),
                     Decision("rejected", problems=(NO_EMPLOYEE,)), id="not_an_agreement"),
        pytest.param(_result("preparation", WARNING, ERROR),
                     Decision("rejected", problems=(ERROR, WARNING)), id="errors_first"),
    ],
)  # fmt: skip
def test_decide(result: CheckResult, expected: Decision) -> None:
    assert decide(result) == expected


def test_held_keeps_the_state_it_would_be_filed_under() -> None:
    decision = decide(_result("agreement", NO_EMPLOYEE, signatures=MISSING)).held("ukendt")
    assert decision == Decision("held", "awaiting_employee", reason="ukendt")
    assert decision.awaiting == "employee"


# --- item 7: check and watch agree --------------------------------------------------------------


def test_check_shows_an_agreement_awaiting_the_employee_and_exits_0() -> None:
    """Signed by the leader only: not broken, awaiting the employee's signature."""
    done = CliRunner().invoke(cli, ["check", "--json", str(AWAITING)])
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    assert data["state"] == "awaiting_employee"
    assert data["valid"] is False  # the CheckResult's own verdict: a signature is missing
    table = CliRunner().invoke(cli, ["check", str(AWAITING)])
    assert table.exit_code == 0
    assert "awaiting the employee's signature" in " ".join(table.output.split())


def test_watch_files_the_same_agreement_as_awaiting_the_employee(tmp_path: Path) -> None:
    settings = Settings().replace(
        inbox=tmp_path / "inbox", archive=tmp_path / "archive", roster=no_roster(tmp_path)
    )
    settings.inbox.mkdir()
    path = settings.inbox / "aftale.pdf"
    path.write_bytes(AWAITING.read_bytes())
    outcome = ingest_for_real(settings, path)
    assert (outcome.action, outcome.state) == ("filed", "awaiting_employee")
    assert FlakyArchive(settings).states() == {outcome.sha256: "awaiting_employee"}
    assert Ledger(settings.archive / ".formflow" / "ledger.sqlite").pending() == []
