"""The archive: personnel folders, versions, duplicates, index, audit chain, export, identity."""

from __future__ import annotations

import ast
import dataclasses
import fcntl
import hashlib
import inspect
import json
import os
import stat
import threading
import typing
import unicodedata
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from formflow import fsutil
from formflow.archive import Archive, FiledForm
from formflow.archive import filing as filing_module
from formflow.archive.audit import GENESIS, AuditLog, line_hash, make_line
from formflow.archive.books import Books
from formflow.archive.index import Index
from formflow.cli import cli
from formflow.config import Settings
from formflow.errors import ArchiveError
from formflow.fsutil import TempFile
from formflow.model import CheckResult, Extraction, Problem, Signature

ARRIVED = datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=1)))


def result(
    kind: str = "agreement",
    year: int = 2026,
    number: str = "1042",
    name: str = "Birthe Mølgaard",
    *,
    employee_signed: bool = True,
    **fields: str,
) -> CheckResult:
    values = {
        "employee_number": number,
        "employee_name": name,
        "leader_name": "Lone Leder",
        "meeting_date": f"{year}-03-10",
        "summary": "Fortroligt: æøå “citat”",
        **fields,
    }
    signatures = {"signature_employee": Signature("typed", True, name)}
    problems: tuple[Problem, ...] = ()
    if kind == "agreement":
        values.setdefault("next_meeting_date", f"{year + 1}-03-01")
        values.setdefault("plan_1_followup_date", f"{year}-09-01")
        signatures["signature_leader"] = Signature("digital", True, "Lone Leder", trusted=False)
        if not employee_signed:
            signatures["signature_employee"] = Signature("missing", False)
            problems = (
                Problem("signature_employee", "error", "signature_missing", "Underskrift mangler"),
            )
    extraction = Extraction(
        file="/inbox/x.pdf",
        reader="acroform",
        kind=kind,
        year=year,
        definition=kind,
        fields=values,
    )
    return CheckResult(extraction, signatures, problems)


def pdf(text: str) -> bytes:
    return b"%PDF-1.7\n" + text.encode() + b"\n%%EOF\n"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(archive=tmp_path / "archive", roster=tmp_path / "employees.csv")


@pytest.fixture
def archive(settings: Settings) -> Archive:
    return Archive.open(settings)


def file(archive: Archive, data: bytes, res: CheckResult | None = None, **kw: str) -> FiledForm:
    return archive.file(
        data,
        res or result(),
        state=kw.get("state", "signed"),
        arrived=ARRIVED,
        source_name=kw.get("source_name", "skema.pdf"),
    )


def filed_entries(archive: Archive) -> list[dict[str, object]]:
    return [e for e in archive.audit_log.entries() if e["action"] in ("filed", "generated")]


# --- filing and versions --------------------------------------------------------------------


def test_files_original_and_record_in_the_personnel_folder(archive: Archive) -> None:
    filed = file(archive, pdf("one"), source_name="../../etc/passwd\x07.pdf")
    folder = archive.root / "personale" / "1042 Birthe Mølgaard" / "2026"
    assert filed.original == folder / "aftaleskema-2026-v1.pdf"
    assert filed.original.read_bytes() == pdf("one")
    record = json.loads(filed.record.read_text(encoding="utf-8"))
    assert record["sha256"] == hashlib.sha256(pdf("one")).hexdigest()
    assert record["state"] == "signed" and record["version"] == 1
    assert record["source_name"] == "../../etc/passwd\\x07.pdf"  # text only, never a path
    assert record["arrived"] == ARRIVED.isoformat()
    assert record["result"]["fields"]["summary"] == "Fortroligt: æøå “citat”"
    assert "æøå" in filed.record.read_text(encoding="utf-8")  # readable, not \u escapes
    assert sorted(p.name for p in folder.iterdir()) == [
        "aftaleskema-2026-v1.json",
        "aftaleskema-2026-v1.pdf",
    ]


def test_a_corrected_form_becomes_a_new_version_and_nothing_is_overwritten(
    archive: Archive,
) -> None:
    first = file(archive, pdf("awaiting"), result(employee_signed=False), state="awaiting_employee")
    record_before = first.record.read_bytes()
    second = file(archive, pdf("signed"))
    third = file(archive, pdf("signed again, corrected"))
    assert (first.version, second.version, third.version) == (1, 2, 3)
    assert first.original.read_bytes() == pdf("awaiting")
    assert first.record.read_bytes() == record_before
    assert second.original.name == "aftaleskema-2026-v2.pdf"
    latest = archive.forms(employee="1042")
    assert [(r.version, r.state) for r in latest] == [(3, "signed")]
    everything = archive.forms(employee="1042", latest_only=False)
    assert [r.state for r in everything] == ["awaiting_employee", "signed", "signed"]
    assert everything[0].errors == 1 and everything[0].problem_codes == ("signature_missing",)


def test_the_same_bytes_twice_are_recorded_once(archive: Archive) -> None:
    first = file(archive, pdf("same"))
    again = file(archive, pdf("same"), source_name="kopi af skema.pdf")
    assert again.duplicate and not first.duplicate
    assert again.original == first.original and again.version == 1
    assert len(list(first.original.parent.iterdir())) == 2
    assert len(filed_entries(archive)) == 1
    assert archive.find_by_hash(first.sha256) == again
    assert archive.find_by_hash("0" * 64) is None


def test_files_are_private(archive: Archive) -> None:
    file(archive, pdf("one"))
    archive.audit("viewed", employee="1042")
    for path in [archive.root, *archive.root.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path


@pytest.mark.parametrize(
    ("name", "folder"),
    [
        pytest.param("Søren Ærø Åberg", "1042 Søren Ærø Åberg", id="danish_letters"),
        pytest.param(
            unicodedata.normalize("NFD", "Birthe Mølgaard Å"),
            "1042 Birthe Mølgaard Å",
            id="nfd_becomes_nfc",
        ),
        pytest.param("Hans / Grete\\x: *?", "1042 Hans Grete x", id="separators"),
        pytest.param("  José   Müller\t", "1042 José Müller", id="whitespace"),
        pytest.param("...", "1042 ukendt", id="nothing_left"),
    ],
)
def test_personnel_folder_names(archive: Archive, name: str, folder: str) -> None:
    filed = file(archive, pdf(name), result(name=name))
    assert filed.original.parent.parent.name == folder
    assert filed.original.parent.parent.parent == archive.root / "personale"


def test_the_folder_is_found_by_number_and_keeps_its_name(archive: Archive) -> None:
    file(archive, pdf("one"))
    later = file(archive, pdf("two"), result(year=2027, name="Birthe Jensen"))
    assert later.original.parent.parent.name == "1042 Birthe Mølgaard"
    person = archive.find_employee("1042")
    assert person.name == "Birthe Jensen"  # the latest filed name
    assert person.folder == "personale/1042 Birthe Mølgaard"


@pytest.mark.parametrize(
    "res",
    [
        pytest.param(result(number="../1042"), id="traversal_number"),
        pytest.param(result(number=""), id="no_number"),
        pytest.param(
            CheckResult(
                Extraction("x", "acroform", None, None, None, {"employee_number": "1"}), {}, ()
            ),
            id="no_kind",
        ),
    ],
)
def test_unfileable_forms_are_refused(archive: Archive, res: CheckResult) -> None:
    with pytest.raises(ArchiveError):
        file(archive, pdf("x"), res)
    assert not list((archive.root / "personale").iterdir())


def test_a_state_must_fit_the_kind(archive: Archive) -> None:
    with pytest.raises(ValueError, match="not valid"):
        file(archive, pdf("x"), result(kind="preparation"), state="signed")


def test_generated_forms_are_kept_but_the_employees_copy_counts(archive: Archive) -> None:
    received = file(archive, b"PK\x03\x04 received", result(kind="preparation"), state="received")
    generated = archive.record_generated(
        pdf("carry-over"),
        employee="1042",
        name="Birthe Mølgaard",
        year=2026,
        kind="preparation",
        fmt="pdf",
    )
    assert received.original.name == "forberedelsesskema-2026-v1.pdf"  # reader says acroform
    assert generated.version == 2 and generated.state == "generated"
    assert json.loads(generated.record.read_text())["result"] is None
    [latest] = archive.forms(employee="1042", kind="preparation")
    assert latest.state == "received"
    assert [e["action"] for e in filed_entries(archive)] == ["filed", "generated"]


def test_docx_forms_keep_their_format(archive: Archive) -> None:
    res = result(kind="preparation")
    docx = CheckResult(
        Extraction("x", "docx", "preparation", 2027, "preparation", res.extraction.fields),
        {},
        (),
    )
    filed = archive.file(b"PK\x03\x04", docx, state="received", arrived=ARRIVED, source_name="a")
    assert filed.original.name == "forberedelsesskema-2027-v1.docx"


def test_concurrent_filing_gives_distinct_versions(archive: Archive) -> None:
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            Archive(archive.root, archive.settings).file(
                pdf(f"form {i}"), result(), state="signed", arrived=ARRIVED, source_name="x"
            )
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    rows = archive.forms(latest_only=False)
    assert sorted(r.version for r in rows) == list(range(1, 9))
    assert archive.verify() == []


# --- index ----------------------------------------------------------------------------------


def fill_archive(archive: Archive) -> None:
    file(archive, pdf("a1"), result(employee_signed=False), state="awaiting_employee")
    file(archive, pdf("a2"))
    file(archive, pdf("p"), result(kind="preparation", year=2027), state="received")
    file(archive, pdf("o"), result(number="7", name="Åse Østergård"))
    archive.record_generated(
        pdf("g"), employee="7", name="Åse Østergård", year=2027, kind="preparation", fmt="pdf"
    )


def test_reindex_rebuilds_an_identical_index_from_the_files(archive: Archive) -> None:
    fill_archive(archive)
    before = archive.index.dump()
    assert len(before["forms"]) == 5 and len(before["employees"]) == 2
    for suffix in ("", "-wal", "-shm"):
        Path(f"{archive.index.path}{suffix}").unlink(missing_ok=True)
    reopened = Archive(archive.root, archive.settings)  # rebuilds a missing index on open
    assert reopened.index.dump() == before
    assert reopened.reindex() == 5
    assert reopened.index.dump() == before
    assert reopened.verify() == []


def test_index_queries(archive: Archive) -> None:
    fill_archive(archive)
    assert [(r.employee, r.kind) for r in archive.forms(year=2026)] == [
        ("1042", "agreement"),
        ("7", "agreement"),
    ]
    [agreement] = archive.forms(employee="1042", kind="agreement")
    assert agreement.meeting_date == "2026-03-10"
    assert agreement.next_meeting_date == "2027-03-01"
    assert agreement.followups == ((1, "2026-09-01"),)
    assert agreement.leader_name == "Lone Leder"
    assert agreement.arrived_date == ARRIVED.date()
    assert {(s.key, s.kind, s.valid) for s in agreement.signatures} == {
        ("signature_employee", "typed", True),
        ("signature_leader", "digital", True),
    }
    assert [(e.number, e.name, e.leader) for e in archive.employees()] == [
        ("1042", "Birthe Mølgaard", "Lone Leder"),
        ("7", "Åse Østergård", "Lone Leder"),
    ]


def test_an_index_from_an_older_schema_is_rebuilt(archive: Archive) -> None:
    fill_archive(archive)
    with archive.index.connect() as db:
        db.execute("UPDATE meta SET value = 'old' WHERE key = 'schema'")
    assert not archive.index.is_current()
    assert len(Archive(archive.root, archive.settings).forms(latest_only=False)) == 5


# --- crashes --------------------------------------------------------------------------------


class Crash(Exception):
    """Stands in for a power cut at a chosen step."""


def crash_on_record(monkeypatch: pytest.MonkeyPatch) -> None:
    """The power goes just before the record gets its name (the original has its own)."""
    real = TempFile.place

    def place(staged: TempFile, target: Path, **options: bool) -> None:
        if target.suffix == ".json":
            raise Crash
        real(staged, target, **options)

    monkeypatch.setattr(TempFile, "place", place)


def crash_keeping_only_the_record(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both names are made, then the power goes before their folder's fsync, and the disk
    kept the record's name but not the original's (POSIX allows it)."""
    real = TempFile.place

    def place(staged: TempFile, target: Path, **options: bool) -> None:
        if target.suffix == ".json":
            real(staged, target, **options)

    monkeypatch.setattr(TempFile, "place", place)
    monkeypatch.setattr(filing_module, "fsync_dir", _raise_crash)


def test_a_record_whose_original_was_lost_is_set_aside_by_the_next_filing(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        crash_keeping_only_the_record(patch)
        with pytest.raises(Crash):
            file(archive, pdf("interrupted"))
    year = archive.root / "personale" / "1042 Birthe Mølgaard" / "2026"
    assert [p.name for p in year.iterdir()] == ["aftaleskema-2026-v1.json"]
    filed = file(archive, pdf("interrupted"))  # the inbox still has it: filed for real
    assert filed.version == 1 and not filed.duplicate
    assert filed.original.read_bytes() == pdf("interrupted")
    [aside] = (archive.work / "afbrudte-arkiveringer").iterdir()
    assert aside.name.endswith("aftaleskema-2026-v1.json")
    assert archive.verify() == []


def test_reindex_sets_aside_a_record_without_its_original(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    file(archive, pdf("kept"))
    with monkeypatch.context() as patch:
        crash_keeping_only_the_record(patch)
        with pytest.raises(Crash):
            file(archive, pdf("interrupted"))
    assert archive.reindex() == 1  # the half filing is not indexed, so never a "duplicate"
    assert archive.find_by_hash(hashlib.sha256(pdf("interrupted")).hexdigest()) is None
    assert len(list((archive.work / "afbrudte-arkiveringer").iterdir())) == 1
    assert archive.verify() == []
    assert file(archive, pdf("interrupted")).version == 2


def test_a_crash_between_original_and_record_is_completed_by_the_next_filing(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        crash_on_record(patch)
        with pytest.raises(Crash):
            file(archive, pdf("interrupted"))
    year = archive.root / "personale" / "1042 Birthe Mølgaard" / "2026"
    assert [p.name for p in year.iterdir()] == ["aftaleskema-2026-v1.pdf"]
    assert archive.forms() == []
    assert any("original without a record" in p for p in archive.verify())
    filed = file(archive, pdf("interrupted"))  # the inbox still has it: filed again
    assert filed.version == 1 and not filed.duplicate
    assert sorted(p.name for p in year.iterdir()) == [
        "aftaleskema-2026-v1.json",
        "aftaleskema-2026-v1.pdf",
    ]
    assert archive.verify() == []


def test_reindex_sets_aside_an_interrupted_original_and_removes_temp_files(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    file(archive, pdf("kept"))
    with monkeypatch.context() as patch:
        crash_on_record(patch)
        with pytest.raises(Crash):
            file(archive, pdf("interrupted"))
    year = archive.root / "personale" / "1042 Birthe Mølgaard" / "2026"
    (year / ".tmp-abc.part").write_bytes(b"half a fi")
    assert archive.reindex() == 1
    assert sorted(p.name for p in year.iterdir()) == [
        "aftaleskema-2026-v1.json",
        "aftaleskema-2026-v1.pdf",
    ]
    [aside] = (archive.work / "afbrudte-arkiveringer").iterdir()
    assert aside.read_bytes() == pdf("interrupted")  # never deleted
    assert archive.verify() == []
    assert file(archive, pdf("interrupted")).version == 2


def test_a_crash_after_the_record_is_completed_without_a_duplicate(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(Books, "audit_filed", _raise_crash)
        with pytest.raises(Crash):
            file(archive, pdf("late"))
    assert archive.forms() == []  # the index never heard of it
    assert any("no filing entry" in p for p in archive.verify())
    again = file(archive, pdf("late"))
    assert again.duplicate and again.version == 1
    [entry] = filed_entries(archive)
    assert entry["recovered"] is True
    assert len(archive.forms()) == 1
    assert archive.verify() == []


def test_reindex_recovers_a_lost_audit_entry(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(Books, "audit_filed", _raise_crash)
        with pytest.raises(Crash):
            file(archive, pdf("late"))
    assert archive.reindex() == 1
    assert [e.get("recovered") for e in filed_entries(archive)] == [True]
    assert archive.verify() == []


def _raise_crash(*args: object, **kwargs: object) -> None:
    raise Crash


# --- verify and the audit log ---------------------------------------------------------------


def test_verify_detects_a_flipped_byte(archive: Archive) -> None:
    filed = file(archive, pdf("original bytes"))
    data = bytearray(filed.original.read_bytes())
    data[10] ^= 0x01
    os.chmod(filed.original, 0o600)
    filed.original.write_bytes(bytes(data))
    [problem] = archive.verify()
    assert "differs from its recorded sha256" in problem
    assert archive.audit_log.verify() == []
    assert list(archive.audit_log.entries())[-1]["problems"] == 1


def test_verify_detects_a_changed_record_and_a_missing_original(archive: Archive) -> None:
    first = file(archive, pdf("one"))
    second = file(archive, pdf("two"))
    record = json.loads(first.record.read_text())
    record["state"] = "awaiting_leader"
    first.record.write_text(json.dumps(record))
    second.original.unlink()
    problems = archive.verify()
    assert any("record changed after filing" in p for p in problems)
    assert any("original aftaleskema-2026-v2.pdf is missing" in p for p in problems)
    assert any("index.sqlite: out of date" in p for p in problems)


def test_verify_detects_a_broken_audit_chain(archive: Archive) -> None:
    file(archive, pdf("one"))
    file(archive, pdf("two"))
    lines = archive.audit_log.path.read_text().splitlines(keepends=True)
    lines[0] = lines[0].replace('"state":"signed"', '"state":"awaiting_leader"')
    archive.audit_log.path.write_text("".join(lines))
    problems = archive.verify()
    assert problems == ["audit.log line 2: chain broken (previous line changed or removed)"]


def test_verify_detects_a_removed_audit_line(archive: Archive) -> None:
    for i in range(3):
        archive.audit("viewed", employee="1042", forms=i)
    lines = archive.audit_log.path.read_text().splitlines(keepends=True)
    archive.audit_log.path.write_text(lines[0] + lines[2])
    problems = archive.audit_log.verify()
    assert "audit.log line 2: chain broken (previous line changed or removed)" in problems
    assert "audit.log line 2: sequence 3 out of order" in problems


def test_a_torn_audit_line_is_cut_and_the_repair_recorded(archive: Archive) -> None:
    archive.audit("viewed", employee="1042")
    with archive.audit_log.path.open("ab") as handle:
        handle.write(b'{"seq":2,"at":"2026-')  # a crash in the middle of an append
    archive.audit("viewed", employee="7")
    entries = list(archive.audit_log.entries())
    assert [e["action"] for e in entries] == ["viewed", "audit_repaired", "viewed"]
    assert entries[1]["cut_bytes"] == 20
    assert archive.audit_log.verify() == []


def test_audit_refuses_form_contents(archive: Archive) -> None:
    with pytest.raises(ValueError):
        archive.audit("filed", fields={"summary": "x"})
    with pytest.raises(ValueError):
        archive.audit("filed", prev="forged")


def test_long_audit_logs_keep_their_chain(archive: Archive) -> None:
    for i in range(300):  # beyond one 4 KB read-back chunk
        archive.audit("viewed", employee=str(i), note="x" * (i % 50))
    assert archive.audit_log.verify() == []
    assert list(archive.audit_log.entries())[-1]["seq"] == 300


# --- the audit log held against the files, and its kept head -------------------------------


def view_and_export(archive: Archive, tmp_path: Path) -> None:
    """What GDPR asks the log to keep: who saw a personnel file, what was handed out."""
    archive.personnel_file("1042")
    archive.export("7", tmp_path / "indsigt.zip")


def rewrite_log(archive: Archive, keep: typing.Callable[[dict[str, object]], bool]) -> None:
    """The log written anew with a fresh, valid chain, holding only the entries `keep` keeps
    (as a forger with a script would)."""
    prev, lines = GENESIS, []
    for entry in archive.audit_log.entries():
        if keep(entry):
            meta = {k: v for k, v in entry.items() if k not in ("seq", "at", "action", "prev")}
            at = datetime.fromisoformat(str(entry["at"]))
            lines.append(make_line(prev, len(lines) + 1, at, str(entry["action"]), meta))
            prev = line_hash(lines[-1])
    archive.audit_log.path.write_bytes(b"".join(line + b"\n" for line in lines))


def test_verify_reports_the_last_audit_lines_cut_off(archive: Archive, tmp_path: Path) -> None:
    fill_archive(archive)
    view_and_export(archive, tmp_path)
    assert archive.verify() == []
    lines = archive.audit_log.path.read_bytes().splitlines(keepends=True)
    assert [json.loads(line)["action"] for line in lines[-3:-1]] == ["viewed", "exported"]
    archive.audit_log.path.write_bytes(b"".join(lines[:-3]))  # viewed, exported, verified
    assert archive.audit_log.verify() == [
        f"audit.log: cut short: it ends at line {len(lines) - 3}, but line {len(lines)} was "
        "written (3 line(s) missing)"
    ]
    assert any("cut short" in p for p in archive.verify())
    archive.reindex()
    for _ in range(5):  # the lines appended since cannot hide the cut
        archive.audit("viewed", employee="7", forms=2)
    assert archive.verify() == [
        f"audit.log: line {len(lines)} was cut off or changed before a later append "
        "(the log was cut short or rewritten)"
    ]


def test_a_removed_head_file_is_reported(archive: Archive, tmp_path: Path) -> None:
    """Once records name lines of the log, the head file is expected: removing it with the
    log's last lines is reported (until the next append starts the head file anew)."""
    fill_archive(archive)
    view_and_export(archive, tmp_path)
    lines = archive.audit_log.path.read_bytes().splitlines(keepends=True)
    archive.audit_log.path.write_bytes(b"".join(lines[:-2]))
    (archive.work / "audit.head").unlink()
    assert archive.verify() == [
        ".formflow/audit.head: missing, so the end of audit.log cannot be checked"
    ]


@pytest.mark.parametrize("head_kept", [True, False], ids=["head_file", "records_only"])
def test_verify_reports_a_log_rewritten_with_a_fresh_valid_chain(
    archive: Archive, tmp_path: Path, head_kept: bool
) -> None:
    file(archive, pdf("a1"))
    archive.personnel_file("1042")
    file(archive, pdf("a2"))
    file(archive, pdf("o"), result(number="7", name="Åse Østergård"))
    rewrite_log(archive, lambda entry: entry["action"] != "viewed")
    if not head_kept:
        (archive.work / "audit.head").unlink(missing_ok=True)  # the records still know
    assert archive.audit_log.verify() == (
        ["audit.log: cut short: it ends at line 3, but line 4 was written "
         "(1 line(s) missing)"] if head_kept else []
    )  # fmt: skip
    problems = archive.verify()
    assert (
        "audit.log: cut short or rewritten: 2 record(s) were filed after lines it no longer "
        "holds as they were (the earliest, line 2, before "
        "personale/1042 Birthe Mølgaard/2026/aftaleskema-2026-v2.json)"
    ) in problems
    assert len(problems) == 2
    missing = ".formflow/audit.head: missing, so the end of audit.log cannot be checked"
    assert (missing in problems) is not head_kept
    archive.reindex()
    assert archive.verify() != []


@pytest.mark.parametrize("deleted", ["both", "original", "record"])
def test_a_deleted_filing_is_reported_and_reindex_does_not_launder_it(
    archive: Archive, tmp_path: Path, deleted: str
) -> None:
    fill_archive(archive)
    [gone] = archive.forms(employee="1042", year=2027)
    line = next(
        n for n, e in enumerate(archive.audit_log.entries(), start=1)
        if e.get("action") == "filed" and e.get("sha256") == gone.sha256
    )  # fmt: skip
    if deleted in ("both", "original"):
        (archive.root / gone.original).unlink()
    if deleted in ("both", "record"):
        (archive.root / gone.record).unlink()
    expected = (
        f"audit.log line {line}: employee 1042's preparation 2027 v1 (sha256 "
        f"{gone.sha256[:12]}) was filed, but its record is not in the archive (deleted, or "
        "set aside by reindex after part of it was deleted)"
    )
    assert archive.reindex() == 4  # a part left behind is set aside, as before
    assert archive.verify() == [expected]
    config = tmp_path / "formflow.toml"
    config.write_text('archive = "archive"\n', encoding="utf-8")
    verified = CliRunner().invoke(cli, ["--config", str(config), "archive", "verify"])
    assert verified.exit_code == 1
    assert expected in verified.output
    assert "Birthe" not in verified.output and "Fortroligt" not in verified.output


def test_a_filing_replaced_by_another_record_is_reported(archive: Archive) -> None:
    """The original deleted after a complete filing, reindex sets its record aside, the form
    is dropped again and filed under the same version: the first filing is still gone."""
    first = file(archive, pdf("one"))
    first.original.unlink()
    archive.reindex()
    again = file(archive, pdf("one"))
    assert again.version == 1 and not again.duplicate
    assert archive.verify() == [
        f"audit.log line 1: employee 1042's agreement 2026 v1 (sha256 {first.sha256[:12]}) was "
        "filed, but another record is in its place (deleted, or set aside by reindex after "
        "part of it was deleted)"
    ]


def test_an_archive_from_before_the_anchors_still_verifies(
    archive: Archive, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Records without an anchor and no head file: nothing to hold the log against."""
    with monkeypatch.context() as patch:
        patch.setattr(AuditLog, "head", lambda log: None)
        patch.setattr(AuditLog, "_keep_head", lambda log, head: None)
        fill_archive(archive)
        view_and_export(archive, tmp_path)
    assert not (archive.work / "audit.head").exists()
    assert all(
        json.loads(p.read_text())["audit_head"] is None for p in archive.people.rglob("*.json")
    )
    assert archive.verify() == []
    file(archive, pdf("new"))  # filing goes on: its record and the head file are anchored
    assert (archive.work / "audit.head").exists()
    assert archive.verify() == []


def test_a_head_file_left_behind_by_a_crash_is_caught_up(archive: Archive) -> None:
    """The head file is written after the log's fsync without one of its own: a crash can
    leave it behind the log, which the next append reads back to check."""
    head = archive.work / "audit.head"
    archive.audit("viewed", employee="1042", forms=1)
    behind = head.read_bytes()
    for i in range(300):  # beyond one 4 KB read-back chunk
        archive.audit("viewed", employee="1042", forms=i)
    head.write_bytes(behind)
    archive.audit("viewed", employee="7", forms=1)
    assert archive.verify() == []
    head.write_bytes(behind)  # behind again, and now the log is rewritten underneath it
    rewrite_log(archive, lambda entry: entry.get("forms") != 1)
    archive.audit("viewed", employee="7", forms=2)
    assert "audit.log: line 1 was cut off or changed before a later append" in archive.verify()[0]


def test_a_short_write_to_the_audit_log_is_an_error_and_cut_off_by_the_next_append(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk can write part of a line: that is no entry, and the head stays where it
    was (else the next append, cutting the torn line, would find its head gone)."""
    archive.audit("viewed", employee="1042", forms=1)
    real = os.write
    with monkeypatch.context() as patch:
        patch.setattr(os, "write", lambda fd, data: real(fd, data[:10]))
        with pytest.raises(ArchiveError, match="short write"):
            archive.audit("viewed", employee="7", forms=1)
    archive.audit("viewed", employee="7", forms=1)
    assert [e["action"] for e in archive.audit_log.entries()] == [
        "viewed", "audit_repaired", "viewed"
    ]  # fmt: skip
    assert archive.verify() == []


def test_an_unreadable_record_is_reported_once(archive: Archive) -> None:
    filed = file(archive, pdf("one"))
    filed.record.write_bytes(b"not a record")
    assert archive.verify() == [
        "personale/1042 Birthe Mølgaard/2026/aftaleskema-2026-v1.json: not a readable record",
        "index.sqlite: out of date with the records (run reindex)",
    ]


def test_a_filing_writes_its_anchor_without_an_fsync_of_its_own(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The head file and the record's anchor cost no fsync: a filing fsyncs its staged
    original and record, its year folder and the audit log, as before."""
    file(archive, pdf("first"))  # folders and lock files made
    synced: list[str] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        synced.append(Path(os.readlink(f"/proc/self/fd/{fd}")).name)
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    second = file(archive, pdf("second"))
    assert json.loads(second.record.read_text())["audit_head"]["seq"] == 1
    assert "audit.head" not in synced
    assert sorted(n for n in synced if not n.startswith(".tmp-")) == ["2026", "audit.log"]
    assert len(synced) == 4  # and the two staged files (SQLite syncs its WAL itself)


# --- export ---------------------------------------------------------------------------------


def test_export_holds_everything_on_one_person_and_nothing_else(
    archive: Archive, tmp_path: Path
) -> None:
    fill_archive(archive)
    archive.audit("rejected", employee="1042", code="unreadable")
    out = archive.export("birthe moelgaard", tmp_path / "indsigt.zip")  # by name, as typed
    with zipfile.ZipFile(out) as bundle:
        names = bundle.namelist()
        readme = bundle.read("README.txt").decode("utf-8")
        log_lines = bundle.read("logbog.jsonl").decode("utf-8").splitlines()
        original = bundle.read("1042 Birthe Mølgaard/2026/aftaleskema-2026-v1.pdf")
    assert sorted(names) == [
        "1042 Birthe Mølgaard/2026/aftaleskema-2026-v1.json",
        "1042 Birthe Mølgaard/2026/aftaleskema-2026-v1.pdf",
        "1042 Birthe Mølgaard/2026/aftaleskema-2026-v2.json",
        "1042 Birthe Mølgaard/2026/aftaleskema-2026-v2.pdf",
        "1042 Birthe Mølgaard/2027/forberedelsesskema-2027-v1.json",
        "1042 Birthe Mølgaard/2027/forberedelsesskema-2027-v1.pdf",
        "README.txt",
        "logbog.jsonl",
    ]
    assert original == pdf("a1")
    assert "Medarbejdernr. 1042: Birthe Mølgaard" in readme and "Skemaerne (3 stk.)" in readme
    entries = [json.loads(line) for line in log_lines]
    assert {e["employee"] for e in entries} == {"1042"}
    assert [e["action"] for e in entries].count("filed") == 3
    assert "rejected" in [e["action"] for e in entries]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    last = list(archive.audit_log.entries())[-1]
    assert last["action"] == "exported" and last["employee"] == "1042"
    assert last["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()


def test_export_never_overwrites(archive: Archive, tmp_path: Path) -> None:
    file(archive, pdf("one"))
    out = tmp_path / "indsigt.zip"
    out.write_bytes(b"something else")
    with pytest.raises(ArchiveError, match="exists"):
        archive.export("1042", out)
    assert out.read_bytes() == b"something else"


def test_unknown_and_ambiguous_employees(archive: Archive) -> None:
    file(archive, pdf("one"), result(number="1", name="Ole Hansen"))
    file(archive, pdf("two"), result(number="2", name="Ole Hansen"))
    with pytest.raises(ArchiveError, match="several employees"):
        archive.find_employee("Ole Hansen")
    with pytest.raises(ArchiveError, match="no employee"):
        archive.find_employee("Eva")
    assert archive.find_employee("2").number == "2"


# --- identity -------------------------------------------------------------------------------


def test_identity_without_roster(archive: Archive) -> None:
    assert archive.check_identity("1042", "Birthe Mølgaard") is None  # new number: new folder
    file(archive, pdf("one"))
    assert archive.check_identity("1042", "birthe moelgaard") is None  # typed the lazy way
    reason = archive.check_identity("1042", "Karl Nielsen")
    assert reason is not None and "medarbejdernr. 1042" in reason
    assert "Mølgaard" not in reason  # the inbox is shared: never reveal the name on file
    assert archive.check_identity("10/42", "Birthe Mølgaard") is not None
    assert archive.check_identity("", "Birthe Mølgaard") is not None


@pytest.mark.parametrize(
    "roster",
    [
        pytest.param("1042,Birthe Mølgaard,Lone Leder\n7,Åse Østergård,Lone Leder\n", id="comma"),
        pytest.param(
            "\ufeffMedarbejdernr.;Navn;Leder\r\n"
            "1042;Birthe Mølgaard;Lone Leder\r\n7;Åse Østergård\r\n",
            id="bom_semicolon_header",
        ),
        pytest.param(
            'number,name,leader\n1042,"Birthe Mølgaard",\n\n7,Åse Østergård,x\n', id="quoted"
        ),
    ],
)
def test_identity_with_roster(archive: Archive, roster: str) -> None:
    archive.settings.roster.write_text(roster, encoding="utf-8")
    assert archive.check_identity("1042", "Birthe Mølgaard") is None
    assert archive.check_identity("7", "aase oestergaard") is None
    assert "findes ikke i medarbejderlisten" in (archive.check_identity("99", "Ny Person") or "")
    assert "passer ikke" in (archive.check_identity("7", "Birthe Mølgaard") or "")


def test_a_broken_roster_is_a_settings_error(archive: Archive) -> None:
    archive.settings.roster.write_text("1042\n", encoding="utf-8")
    with pytest.raises(Exception, match="roster"):
        archive.check_identity("1042", "Birthe Mølgaard")


def test_the_roster_is_reread_when_it_changes(archive: Archive) -> None:
    archive.settings.roster.write_text("1,Ole Hansen\n", encoding="utf-8")
    assert archive.check_identity("2", "Eva Holm") is not None
    archive.settings.roster.write_text("1,Ole Hansen\n2,Eva Holm\n", encoding="utf-8")
    assert archive.check_identity("2", "Eva Holm") is None


# --- command line ---------------------------------------------------------------------------


def test_archive_commands(archive: Archive, tmp_path: Path) -> None:
    fill_archive(archive)
    config = tmp_path / "formflow.toml"
    config.write_text('archive = "archive"\nroster = "employees.csv"\n', encoding="utf-8")
    runner = CliRunner()
    shown = runner.invoke(cli, ["--config", str(config), "archive", "show", "1042"])
    assert shown.exit_code == 0, shown.output
    assert "1042 Birthe Mølgaard" in shown.output
    assert "aftaleskema-2026-v1.pdf" in shown.output
    assert "venter på medarbejderens underskrift" in shown.output  # Danish, not the raw state
    assert "awaiting_employee" not in shown.output and "Tilstand" in shown.output
    assert list(archive.audit_log.entries())[-1]["action"] == "viewed"
    verified = runner.invoke(cli, ["--config", str(config), "archive", "verify"])
    assert verified.exit_code == 0, verified.output
    out = tmp_path / "export.zip"
    exported = runner.invoke(
        cli, ["--config", str(config), "archive", "export", "7", "-o", str(out)]
    )
    assert exported.exit_code == 0 and out.exists()
    reindexed = runner.invoke(cli, ["--config", str(config), "archive", "reindex"])
    assert reindexed.output.strip() == "indexed 5 form(s)"
    record = next((archive.root / "personale").rglob("*-v1.pdf"))
    record.write_bytes(b"tampered")
    failed = runner.invoke(cli, ["--config", str(config), "archive", "verify"])
    assert failed.exit_code == 1
    assert "differs from its recorded sha256" in failed.output


def test_index_file_is_only_a_cache(archive: Archive) -> None:
    fill_archive(archive)
    Index(archive.index.path).path.write_bytes(b"not a database")
    assert not archive.index.is_current()
    assert len(Archive(archive.root, archive.settings).forms(latest_only=False)) == 5


# --- filings side by side -------------------------------------------------------------------


def test_filings_in_several_threads_get_distinct_versions_and_a_consistent_index(
    archive: Archive,
) -> None:
    """The write lock covers names and versions only; originals are staged before it and
    index rows added after it, so threads overlap there and must still agree (every thread
    files forms of several employees, and every employee gets forms from several threads)."""
    forms = [(pdf(f"form {n}"), result(number=str(1000 + n // 4))) for n in range(12)]
    filed: list[FiledForm] = []
    errors: list[BaseException] = []

    def work(chunk: list[tuple[bytes, CheckResult]]) -> None:
        try:
            for data, res in chunk:
                filed.append(file(archive, data, res))
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(forms[n::3],)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    versions = sorted((f.employee, f.version) for f in filed)
    assert versions == sorted((str(1000 + e), v) for e in range(3) for v in range(1, 5))
    assert len(archive.forms(latest_only=False)) == 12
    assert archive.verify() == []
    assert list((archive.work / "incoming").iterdir()) == []


def test_one_employees_filing_waits_only_for_that_employee(archive: Archive) -> None:
    """A filing holds its employee's lock: another employee's form is filed meanwhile, a
    second form of the same employee waits its turn."""
    other = threading.Thread(target=file, args=(archive, pdf("1042 again"), result()))
    with archive.layout.writing("1042"):
        filed = file(archive, pdf("7"), result(number="7", name="Åse Østergård"))
        assert filed.version == 1
        other.start()
        other.join(timeout=0.5)
        assert other.is_alive()  # waiting for 1042's lock
    other.join(timeout=10)
    assert not other.is_alive()
    assert [f.employee for f in archive.forms()] == ["1042", "7"]


def test_originals_staged_by_an_interrupted_filing_are_cleared_when_no_one_files(
    archive: Archive,
) -> None:
    incoming = archive.work / "incoming"
    incoming.mkdir(exist_ok=True)
    (incoming / ".tmp-left.part").write_bytes(pdf("left by a crash"))
    fd = os.open(archive.work / "filing.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)  # a filing in progress elsewhere: its copy must stay
        Archive(archive.root, archive.settings)
        assert [p.name for p in incoming.iterdir()] == [".tmp-left.part"]
    finally:
        os.close(fd)
    Archive(archive.root, archive.settings)
    assert list(incoming.iterdir()) == []


def test_the_employee_locks_are_made_once_at_the_first_filing(archive: Archive) -> None:
    """Every bucket's lock file exists after the first filing, so no later filing creates one
    (a file creation is a journal transaction of its own)."""
    file(archive, pdf("first"))
    locks = sorted(p.name for p in (archive.work / "locks").iterdir())
    assert len(locks) == 256 and locks[0] == "employee-00.lock"
    assert all(stat.S_IMODE((archive.work / "locks" / n).stat().st_mode) == 0o600 for n in locks)


# --- the code -------------------------------------------------------------------------------

ARCHIVE_CODE = sorted(Path(filing_module.__file__).parent.glob("*.py"))


def test_no_function_of_the_archive_is_over_50_lines() -> None:
    long = [
        f"{path.name}:{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path in [*ARCHIVE_CODE, Path(fsutil.__file__)]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (node.end_lineno or 0) - node.lineno + 1 > 50
    ]
    assert long == []


def test_the_archive_writes_files_only_through_fsutil() -> None:
    """One implementation of durable writes (`fsutil.TempFile`): no module of the archive
    makes temporary files, links, renames over or fsyncs files of its own (the audit log's
    appends excepted: a log is appended to, not written whole)."""
    own = {"mkstemp", "link", "replace", "fsync", "fdopen"}
    found = [
        f"{path.name}:{node.lineno} {node.attr}"
        for path in ARCHIVE_CODE
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and node.attr in own
        and isinstance(node.value, ast.Name) and node.value.id in ("os", "tempfile")
        and not (path.name == "audit.py" and node.attr == "fsync")
    ]  # fmt: skip
    assert found == []


def test_the_archive_is_typed_without_any() -> None:
    """What the rest of formflow gets from the archive is typed: a filing is a `FiledForm`."""
    assert typing.get_type_hints(Archive.file)["return"] is FiledForm
    assert typing.get_type_hints(Archive.find_by_hash)["return"] == FiledForm | None
    public = [getattr(Archive, n) for n in dir(Archive) if not n.startswith("_")]
    hints = [typing.get_type_hints(f) for f in public if inspect.isfunction(f)]
    hints.append(typing.get_type_hints(FiledForm))
    assert [h for h in hints if any("Any" in str(t) for t in h.values())] == []
    assert dataclasses.fields(FiledForm) and FiledForm.__dataclass_params__.frozen
