"""One dropped file through the stages, with small fakes for reader, validator and archive."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from formflow.config import Settings
from formflow.errors import ArchiveError, UnreadableForm
from formflow.ingest import Decision, Ingestor, Ledger, decide, is_transient
from formflow.intake import Identity, lstat_identity
from formflow.model import CheckResult, Extraction, Problem, Signature
from formflow.notices import RESUBMIT

NOW = datetime(2026, 11, 23, 9, 30)


def form_bytes(number: str = "1042", name: str = "Birthe Mølgaard", **extra: Any) -> bytes:
    """A stand-in form: the fake reader reads this JSON between PDF markers."""
    payload = {"kind": "preparation", "year": 2026, "number": number, "name": name, **extra}
    return b"%PDF-1.7\n" + json.dumps(payload).encode() + b"\n%%EOF\n"


def fake_reader(data: bytes, name: str) -> Extraction:
    if not data.startswith(b"%PDF"):
        raise UnreadableForm("wrong_type", "Filen er hverken en PDF eller et Word-dokument.", "")
    payload = json.loads(data[9:-7])
    if payload.get("crash"):
        raise RuntimeError("a bug in a reader, quoting Birthe's text")
    fields = {"employee_number": payload["number"], "employee_name": payload["name"]}
    problems = tuple(
        Problem(key, "error", code, f"Feltet er forkert ({code}).")
        for key, code in payload.get("errors", [])
    )
    return Extraction(name, "acroform", payload["kind"], 2026, payload["kind"], fields,
                      problems=problems)  # fmt: skip


def fake_validator(extraction: Extraction, arrived: datetime) -> CheckResult:
    signatures = {}
    if extraction.kind == "agreement":
        missing = any(p.field == "signature_employee" for p in extraction.problems)
        signatures["signature_employee"] = Signature("missing" if missing else "typed", not missing)
    return CheckResult(extraction, signatures, extraction.problems)


def fake_awaiting(result: CheckResult) -> str | None:
    errors = [p for p in result.problems if p.severity == "error"]
    only_signature = errors and all(p.field == "signature_employee" for p in errors)
    return "employee" if result.extraction.kind == "agreement" and only_signature else None


class FakeArchive:
    def __init__(self) -> None:
        self.filed: dict[str, tuple[str, bytes]] = {}
        self.audits: list[tuple[str, dict[str, Any]]] = []
        self.held_numbers: dict[str, str] = {}
        self.failures: list[BaseException] = []

    def find_by_hash(self, sha256: str) -> Any:
        return self.filed.get(sha256)

    def check_identity(self, number: str, name: str) -> str | None:
        return self.held_numbers.get(number)

    def file(
        self, data: bytes, result: CheckResult, *, state: str, arrived: datetime, source_name: str
    ) -> Any:
        if self.failures:
            raise self.failures.pop(0)
        self.filed.setdefault(hashlib.sha256(data).hexdigest(), (state, data))
        return None

    def audit(self, action: str, **meta: Any) -> None:
        self.audits.append((action, meta))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "inbox").mkdir()
    return Settings().replace(inbox=tmp_path / "inbox", archive=tmp_path / "archive")


@pytest.fixture
def archive() -> FakeArchive:
    return FakeArchive()


def make_ingestor(settings: Settings, archive: FakeArchive, reader: Any = fake_reader) -> Ingestor:
    work = settings.archive / ".formflow"
    return Ingestor(
        settings,
        reader=reader,
        validator=fake_validator,
        awaiting=fake_awaiting,
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
    settings: Settings, archive: FakeArchive
) -> None:
    path = drop(settings, "forberedelse.pdf", form_bytes())
    outcome = make_ingestor(settings, archive).ingest(path)
    assert (outcome.action, outcome.state) == ("filed", "received")
    assert not path.exists()
    assert [state for state, _ in archive.filed.values()] == ["received"]


def test_awaiting_the_employee_is_filed_and_said(
    settings: Settings, archive: FakeArchive, caplog: pytest.LogCaptureFixture
) -> None:
    data = form_bytes(kind="agreement", errors=[["signature_employee", "signature_missing"]])
    path = drop(settings, "aftale.pdf", data)
    with caplog.at_level("INFO", logger="formflow.watch"):
        outcome = make_ingestor(settings, archive).ingest(path)
    assert (outcome.action, outcome.state) == ("filed", "awaiting_employee")
    assert ("awaiting_employee", archive.audits[-1][1]) == (archive.audits[-1][0],
                                                            archive.audits[-1][1])  # fmt: skip
    assert "awaiting the employee's signature" in caplog.text
    assert "Mølgaard" not in caplog.text  # no personal data beyond the number


def test_errors_go_back_with_a_danish_explanation(settings: Settings, archive: FakeArchive) -> None:
    data = form_bytes(errors=[["meeting_date", "date_missing"]])
    path = drop(settings, "salg/Forberedelse Søren.pdf", data)
    outcome = make_ingestor(settings, archive).ingest(path)
    assert outcome.action == "rejected" and outcome.codes == ("date_missing",)
    returned = settings.inbox / "afvist" / "salg" / "Forberedelse Søren.pdf"
    assert returned.read_bytes() == data  # the original, byte for byte
    notice = (returned.parent / "Forberedelse Søren.pdf.txt").read_text(encoding="utf-8")
    assert "Feltet »Dato for samtale«" in notice  # the Danish label, not the key
    assert RESUBMIT in notice and "date_missing" in notice
    assert archive.filed == {}
    # the employee's number, so a GDPR export of that person includes this entry; the form's
    # year and kind, so `formflow status` shows it as rejected
    meta = {"sha256": outcome.sha256, "codes": "date_missing", "employee": "1042"}
    assert archive.audits == [("rejected", meta | {"year": 2026, "kind": "preparation"})]


def test_the_corrected_form_dropped_again_is_filed(
    settings: Settings, archive: FakeArchive
) -> None:
    ingestor = make_ingestor(settings, archive)
    bad = drop(settings, "skema.pdf", form_bytes(errors=[["meeting_date", "date_missing"]]))
    assert ingestor.ingest(bad).action == "rejected"
    good = drop(settings, "skema.pdf", form_bytes())
    assert ingestor.ingest(good).action == "filed"
    assert inbox_files(settings) == ["afvist/skema.pdf", "afvist/skema.pdf.txt"]


def test_rejected_names_never_collide(settings: Settings, archive: FakeArchive) -> None:
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
    settings: Settings, archive: FakeArchive
) -> None:
    path = drop(settings, "billede.pdf", b"\x89PNG\r\n\x1a\n....")
    outcome = make_ingestor(settings, archive).ingest(path)
    assert (outcome.action, outcome.codes) == ("rejected", ("wrong_type",))
    notice = (settings.inbox / "afvist" / "billede.pdf.txt").read_text(encoding="utf-8")
    assert "hverken en PDF eller et Word-dokument" in notice


def test_unknown_employee_is_held_for_a_person(settings: Settings, archive: FakeArchive) -> None:
    archive.held_numbers["9999"] = "Medarbejdernummer 9999 findes ikke i medarbejderlisten."
    path = drop(settings, "skema.pdf", form_bytes(number="9999"))
    outcome = make_ingestor(settings, archive).ingest(path)
    assert outcome.action == "held"
    held = settings.inbox / "til-afklaring" / "skema.pdf"
    assert held.exists() and archive.filed == {}
    notice = held.with_name("skema.pdf.txt").read_text(encoding="utf-8")
    assert "9999 findes ikke" in notice


def test_the_same_bytes_twice_are_recorded_once(settings: Settings, archive: FakeArchive) -> None:
    ingestor = make_ingestor(settings, archive)
    assert ingestor.ingest(drop(settings, "a.pdf", form_bytes())).action == "filed"
    outcome = ingestor.ingest(drop(settings, "kopi af a.pdf", form_bytes()))
    assert outcome.action == "duplicate"
    assert len(archive.filed) == 1 and inbox_files(settings) == []
    assert archive.audits[-1][0] == "duplicate"


def test_identical_files_at_once_give_one_filing(settings: Settings, archive: FakeArchive) -> None:
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
    assert len(archive.filed) == 1


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(OSError(errno.ENOSPC, "No space left on device"), id="disk_full"),
        pytest.param(OSError(errno.EIO, "Input/output error"), id="io_error"),
        pytest.param(OSError(errno.ESTALE, "Stale file handle"), id="stale_nfs"),
    ],
)
def test_a_full_or_vanished_archive_is_retried_not_lost(
    settings: Settings, archive: FakeArchive, failure: OSError
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


def test_an_archive_refusal_is_held(settings: Settings, archive: FakeArchive) -> None:
    archive.failures = [ArchiveError("cannot file a form without a usable employee number")]
    path = drop(settings, "skema.pdf", form_bytes(number="../x"))
    outcome = make_ingestor(settings, archive).ingest(path)
    assert (outcome.action, outcome.codes) == ("held", ("archive_refused",))
    assert (settings.inbox / "til-afklaring" / "skema.pdf").exists()


def test_a_reader_bug_holds_the_form_and_logs_no_contents(
    settings: Settings, archive: FakeArchive, caplog: pytest.LogCaptureFixture
) -> None:
    path = drop(settings, "skema.pdf", form_bytes(crash=True))
    with caplog.at_level("INFO", logger="formflow.watch"):
        outcome = make_ingestor(settings, archive).ingest(path)
    assert (outcome.action, outcome.codes) == ("held", ("internal_error",))
    assert "RuntimeError" in caplog.text and "Birthe" not in caplog.text


def test_a_symlink_goes_back_as_a_link(
    settings: Settings, archive: FakeArchive, tmp_path: Path
) -> None:
    secret = tmp_path / "hemmelig.pdf"
    secret.write_bytes(form_bytes())
    link = settings.inbox / "skema.pdf"
    link.symlink_to(secret)
    outcome = make_ingestor(settings, archive).ingest(link)
    assert (outcome.action, outcome.codes) == ("rejected", ("symlink",))
    assert (settings.inbox / "afvist" / "skema.pdf").is_symlink()
    assert secret.read_bytes() == form_bytes() and archive.filed == {}


def test_a_vanished_file_is_no_outcome(settings: Settings, archive: FakeArchive) -> None:
    outcome = make_ingestor(settings, archive).ingest(settings.inbox / "væk.pdf")
    assert outcome.action == "vanished"


# --- recovery -------------------------------------------------------------------------------


def test_recover_finishes_a_filing_interrupted_before_the_original_left(
    settings: Settings, archive: FakeArchive
) -> None:
    data = form_bytes()
    path = drop(settings, "skema.pdf", data)
    sha = hashlib.sha256(data).hexdigest()
    ledger = Ledger(settings.archive / ".formflow" / "ledger.sqlite")
    ledger.begin(sha, path, lstat_identity(path), "filed")
    archive.filed[sha] = ("received", data)  # archived durably, then killed
    ingestor = make_ingestor(settings, archive)
    outcomes = ingestor.recover()
    assert [o.action for o in outcomes] == ["filed"]
    assert not path.exists() and ingestor.ledger.pending() == []


def test_recover_leaves_an_unarchived_decision_to_the_next_scan(
    settings: Settings, archive: FakeArchive
) -> None:
    path = drop(settings, "skema.pdf", form_bytes())
    ledger = Ledger(settings.archive / ".formflow" / "ledger.sqlite")
    ledger.begin("0" * 64, path, lstat_identity(path), "filed")
    ingestor = make_ingestor(settings, archive)
    assert [o.action for o in ingestor.recover()] == ["vanished"]
    assert path.exists() and ingestor.ledger.pending() == []
    assert ingestor.ingest(path).action == "filed"


@pytest.mark.parametrize("moved", [False, True], ids=["before_the_move", "after_the_move"])
def test_recover_finishes_a_return(settings: Settings, archive: FakeArchive, moved: bool) -> None:
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
    settings: Settings, archive: FakeArchive
) -> None:
    path = drop(settings, "skema.pdf", b"first")
    old = lstat_identity(path)
    path.unlink()
    drop(settings, "skema.pdf", b"a new form with the same name")
    ledger = Ledger(settings.archive / ".formflow" / "ledger.sqlite")
    ledger.begin("", path, old, "rejected", str(settings.inbox / "afvist" / "skema.pdf"), "x\n")
    make_ingestor(settings, archive).recover()
    assert path.read_bytes() == b"a new form with the same name"


# --- pure parts -----------------------------------------------------------------------------


def _result(kind: str, *problems: Problem) -> CheckResult:
    extraction = Extraction("f", "acroform", kind, 2026, kind, {})
    return CheckResult(extraction, {}, problems)


ERROR = Problem("meeting_date", "error", "date_missing", "x")
WARNING = Problem(None, "warning", "late", "y")


@pytest.mark.parametrize(
    ("result", "role", "identity", "expected"),
    [
        pytest.param(_result("preparation"), None, None, Decision("filed", "received"),
                     id="preparation_received"),
        pytest.param(_result("agreement", WARNING), None, None, Decision("filed", "signed"),
                     id="warnings_only_signed"),
        pytest.param(_result("agreement", ERROR), "employee", None,
                     Decision("filed", "awaiting_employee"), id="awaiting_employee"),
        pytest.param(_result("agreement", ERROR), "leader", None,
                     Decision("filed", "awaiting_leader"), id="awaiting_leader"),
        pytest.param(_result("preparation", ERROR, WARNING), None, None,
                     Decision("rejected", problems=(ERROR, WARNING)), id="rejected"),
        pytest.param(_result("preparation"), None, "ukendt", Decision("held", "received",
                     reason="ukendt"), id="held"),
        pytest.param(_result("preparation", ERROR), None, "ukendt",
                     Decision("rejected", problems=(ERROR,)), id="errors_before_identity"),
    ],
)  # fmt: skip
def test_decide(
    result: CheckResult, role: str | None, identity: str | None, expected: Decision
) -> None:
    assert decide(result, role, identity) == expected


def test_is_transient_follows_causes() -> None:
    wrapped = ArchiveError("cannot write")
    wrapped.__cause__ = OSError(errno.ENOSPC, "full")
    assert is_transient(wrapped)
    assert not is_transient(ArchiveError("inconsistent"))
    assert not is_transient(OSError(errno.EACCES, "denied"))


def test_ledger_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "l" / "ledger.sqlite"
    entry = Ledger(path).begin("ab", tmp_path / "x.pdf", Identity(1, 2, 3, 4), "filed")
    again = Ledger(path)
    assert again.pending() == [entry]
    again.finish(entry)
    assert Ledger(path).pending() == []


def test_a_failed_return_leaves_no_half_and_is_retried(
    settings: Settings, archive: FakeArchive, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingestor = make_ingestor(settings, archive)
    path = drop(settings, "skema.pdf", b"not a form")

    def share_gone(source: Path, destination: Path) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr("formflow.ingest.move_aside", share_gone)
    assert ingestor.ingest(path).action == "retry"
    assert inbox_files(settings) == ["skema.pdf"] and ingestor.ledger.pending() == []
    monkeypatch.undo()
    assert ingestor.ingest(path).action == "rejected"
    assert inbox_files(settings) == ["afvist/skema.pdf", "afvist/skema.pdf.txt"]
