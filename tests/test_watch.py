"""The daemon: scans and events, stability, once/polling modes, the lock, signals, backoff.

Most tests run the real Watcher, Ingestor and archive over a real folder with small fakes for
reader and validator (tests/conftest.py), so they are quick; the SIGTERM and burst tests run
`formflow watch` itself, with the real readers and archive.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import FlakyArchive, fake_validator, form_bytes, no_roster
from watchdog import events

from formflow.config import Settings
from formflow.errors import FormflowError, LockedError, UnreadableForm
from formflow.ingest import Ingestor
from formflow.ledger import Ledger
from formflow.model import Extraction
from formflow.watch import (
    Services,
    Watcher,
    _may_bring_a_file,
    inbox_lock,
    is_complete,
    run_watch,
    scan,
)

SAMPLES = Path(__file__).parent / "samples" / "watch"


def revision_reader(data: bytes, name: str) -> Extraction:
    """Reads the JSON of a stand-in form's first revision (what a half-copied file shows)."""
    if not data.startswith(b"%PDF"):
        raise UnreadableForm("wrong_type", "Filen er hverken en PDF eller et Word-dokument.")
    if b"\n%%EOF" not in data:
        raise UnreadableForm("truncated", "Filen er ikke hel.")
    payload = json.loads(data[9 : data.index(b"\n%%EOF")])
    fields = {"employee_number": payload["number"], "employee_name": payload["name"]}
    return Extraction(name, "acroform", payload["kind"], 2026, payload["kind"], fields)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "inbox").mkdir()  # formflow watches an inbox that exists, never makes one
    base = Settings()
    return base.replace(
        inbox=tmp_path / "inbox",
        archive=tmp_path / "archive",
        roster=no_roster(tmp_path),
        watch=type(base.watch)(stability_seconds=0.3, poll_seconds=0.2, rescan_seconds=0.5),
    )


def fake_services(
    archive: FlakyArchive, reader: Callable[[bytes, str], Extraction] = revision_reader
) -> Callable[[Settings, threading.Event], Services]:
    def build(settings: Settings, stop: threading.Event) -> Services:
        work = settings.archive / ".formflow"
        ingestor = Ingestor(
            settings,
            reader=reader,
            validator=fake_validator,
            archive=archive,
            ledger=Ledger(work / "ledger.sqlite"),
            stopping=stop.is_set,
        )
        return Services(ingestor.ingest, ingestor.recover, ingestor.ledger.close)

    return build


def drop(settings: Settings, name: str, data: bytes) -> Path:
    path = settings.inbox / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def left_in_inbox(settings: Settings) -> list[str]:
    return sorted(
        str(p.relative_to(settings.inbox))
        for p in settings.inbox.rglob("*")
        if not p.is_dir() and p.name != ".formflow.lock"
    )


@pytest.fixture
def daemon(settings: Settings, archive: FlakyArchive) -> Iterator[Callable[..., threading.Event]]:
    """Start run_watch in a thread; stopped (and checked to stop) at the end of the test."""
    running: list[tuple[threading.Thread, threading.Event, list[int]]] = []

    def start(**options: Any) -> threading.Event:
        stop = threading.Event()
        codes: list[int] = []
        thread = threading.Thread(
            target=lambda: codes.append(
                run_watch(settings, stop=stop, services=fake_services(archive), **options)
            ),
            daemon=True,
        )
        thread.start()
        running.append((thread, stop, codes))
        return stop

    yield start
    for thread, stop, codes in running:
        stop.set()
        thread.join(timeout=10)
        assert not thread.is_alive() and codes == [0]


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_once_processes_every_candidate_and_leaves_the_rest(
    settings: Settings, archive: FlakyArchive
) -> None:
    drop(settings, "a.pdf", form_bytes(number="1"))
    drop(settings, "salg/b.pdf", form_bytes(number="2"))
    drop(settings, "salg/nord/c.pdf", form_bytes(number="3"))
    drop(settings, "d.pdf", b"not a form at all")
    ignored = ["~$aftale.docx", ".~lock.aftale.docx#", "e.pdf.part", ".skjult.pdf",
               "Thumbs.db", "afvist/gammel.pdf", "salg/til-afklaring/x.pdf"]  # fmt: skip
    for name in ignored:
        drop(settings, name, form_bytes(number="9"))
    code = run_watch(settings, once=True, services=fake_services(archive))
    assert code == 0
    assert sorted(row.employee for row in archive.forms(latest_only=False)) == ["1", "2", "3"]
    assert left_in_inbox(settings) == sorted([*ignored, "afvist/d.pdf", "afvist/d.pdf.txt"])


def test_once_with_nothing_to_do_creates_the_folders(
    settings: Settings, archive: FlakyArchive
) -> None:
    assert run_watch(settings, once=True, services=fake_services(archive)) == 0
    assert (settings.inbox / "afvist").is_dir() and (settings.inbox / "til-afklaring").is_dir()
    assert oct(settings.archive.stat().st_mode & 0o777) == "0o700"


@pytest.mark.slow
def test_a_slow_writer_is_not_taken_early(settings: Settings, archive: FlakyArchive) -> None:
    """Written over 4 s in pieces, each ending in %%EOF (like incremental saves): only the
    stability window (1 s here; a pause between pieces is 0.4 s) tells it is still written."""
    settings = settings.replace(watch=type(settings.watch)(stability_seconds=1.0))
    first = form_bytes(number="7")
    pieces = [first] + [b"%% revision %d\n%%%%EOF\n" % n for n in range(10)]
    whole = b"".join(pieces)
    path = settings.inbox / "langsom.pdf"

    def write_slowly() -> None:
        with open(path, "wb") as handle:
            for piece in pieces:
                handle.write(piece)
                handle.flush()
                time.sleep(0.4)

    writer = threading.Thread(target=write_slowly)
    writer.start()
    time.sleep(0.1)
    code = run_watch(settings, once=True, services=fake_services(archive))
    writer.join()
    assert code == 0
    assert list(archive.states()) == [hashlib.sha256(whole).hexdigest()]


def test_an_incomplete_file_goes_back_after_its_grace(
    settings: Settings, archive: FlakyArchive
) -> None:
    drop(settings, "halv.pdf", b'%PDF-1.7\n{"kind": ')
    started = time.monotonic()
    assert run_watch(settings, once=True, services=fake_services(archive)) == 0
    assert time.monotonic() - started >= settings.watch.stability_seconds * 10
    assert left_in_inbox(settings) == ["afvist/halv.pdf", "afvist/halv.pdf.txt"]


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"polling": 0.2}, id="polling"),
        pytest.param({}, id="file_events"),
    ],
)
def test_files_dropped_while_running_are_filed(
    settings: Settings, archive: FlakyArchive, options: dict[str, Any]
) -> None:
    if not options:  # events only: the periodic rescan must not be what finds the file
        settings = settings.replace(watch=type(settings.watch)(stability_seconds=0.3,
                                                               rescan_seconds=3600))  # fmt: skip
    stop = threading.Event()
    codes: list[int] = []
    thread = threading.Thread(
        target=lambda: codes.append(
            run_watch(settings, stop=stop, services=fake_services(archive), **options)
        )
    )
    thread.start()
    try:
        wait_for(lambda: (settings.inbox / LOCK).exists())
        time.sleep(0.3)
        for number in range(5):
            drop(settings, f"salg/skema {number}.pdf", form_bytes(number=str(number)))
        wait_for(lambda: len(archive.states()) == 5)
        wait_for(lambda: left_in_inbox(settings) == [])
    finally:
        stop.set()
        thread.join(timeout=10)
    assert codes == [0]


LOCK = ".formflow.lock"


def test_one_daemon_per_inbox(
    settings: Settings, archive: FlakyArchive, daemon: Callable[..., threading.Event]
) -> None:
    daemon(polling=0.2)
    wait_for(lambda: (settings.inbox / LOCK).exists())
    time.sleep(0.2)
    with pytest.raises(LockedError):
        run_watch(settings, once=True, services=fake_services(archive))


def test_the_lock_is_released_on_exit(settings: Settings) -> None:
    with inbox_lock(settings.inbox):
        pass
    with inbox_lock(settings.inbox):
        pass


def test_a_vanished_inbox_is_not_taken_as_deleted_files(
    settings: Settings, archive: FlakyArchive
) -> None:
    drop(settings, "skema.pdf", form_bytes())
    ingest = fake_services(archive)(settings, threading.Event()).ingest
    clock = [100.0]
    watcher = Watcher(settings, ingest, polling=0.2, clock=lambda: clock[0])
    assert watcher._full_scan(clock[0])
    assert len(watcher.tracker) == 1
    hidden = settings.inbox.with_name("unmounted")
    settings.inbox.rename(hidden)  # the share goes away
    assert not watcher._full_scan(clock[0] + 1)
    assert len(watcher.tracker) == 1  # still tracked, not forgotten
    hidden.rename(settings.inbox)
    assert watcher._full_scan(clock[0] + 2)
    clock[0] += 10
    watcher._dispatch(clock[0])
    assert watcher._queue.qsize() == 1


def test_a_full_archive_disk_is_retried_with_backoff(
    settings: Settings, archive: FlakyArchive, caplog: pytest.LogCaptureFixture
) -> None:
    archive.failures = [OSError(errno.ENOSPC, "No space left on device")] * 2
    drop(settings, "skema.pdf", form_bytes())
    with caplog.at_level("WARNING", logger="formflow.watch"):
        assert run_watch(settings, once=True, services=fake_services(archive)) == 0
    assert len(archive.states()) == 1 and left_in_inbox(settings) == []
    assert caplog.text.count("ENOSPC") == 2


def test_once_gives_up_on_a_disk_that_stays_full(
    settings: Settings, archive: FlakyArchive, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("formflow.watch.MAX_BACKOFF", 0.1)
    archive.failures = [OSError(errno.ENOSPC, "No space left on device")] * 100
    path = drop(settings, "skema.pdf", form_bytes())
    assert run_watch(settings, once=True, services=fake_services(archive)) == 1
    assert path.exists() and archive.states() == {}  # kept, not lost


def test_scan_skips_own_and_linked_folders(settings: Settings, tmp_path: Path) -> None:
    drop(settings, "a.pdf", b"x")
    drop(settings, "afvist/b.pdf", b"x")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "c.pdf").write_bytes(b"x")
    (settings.inbox / "link").symlink_to(outside, target_is_directory=True)
    found, complete = scan(settings.inbox, ("afvist", "til-afklaring"))
    assert complete
    # the linked folder is reported as itself (the intake refuses it), never entered
    assert sorted(Path(p).name for p in found) == ["a.pdf", "link"]


def test_is_complete_never_opens_a_fifo(settings: Settings) -> None:
    fifo = settings.inbox / "skema.pdf"
    os.mkfifo(fifo)
    assert is_complete(fifo, 1_000_000)  # judged by the intake, never opened here
    drop(settings, "cut.pdf", b"%PDF-1.7 ...")
    assert not is_complete(settings.inbox / "cut.pdf", 1_000_000)


# --- the real daemon ------------------------------------------------------------------------


def formflow_cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from formflow.cli import main; main()", *args]


def write_config(folder: Path, **watch: float) -> None:
    lines = ["[watch]"] + [f"{k} = {v}" for k, v in watch.items()]
    (folder / "formflow.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("group", [False, True], ids=["daemon", "process-group"])
def test_sigterm_finishes_the_current_file_and_exits(tmp_path: Path, group: bool) -> None:
    """SIGTERM to the daemon (systemd's KillMode=mixed) or to its whole process group (the
    default KillMode, Ctrl-C's way): the workers' files are finished either way."""
    sys.path.insert(0, str(Path(__file__).parent))
    from samples.watch.make_watch_samples import sample, vary_pdf

    write_config(tmp_path, stability_seconds=0.2, rescan_seconds=1)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    base = sample("preparation.pdf")
    forms = {f"skema {n}.pdf": vary_pdf(base, str(3000 + n), f"Medarbejder {n}") for n in range(30)}
    for name, data in forms.items():
        (inbox / name).write_bytes(data)
    log = tmp_path / "watch.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            formflow_cli("watch", "--polling", "0.2"),
            cwd=tmp_path,
            stdout=out,
            stderr=out,
            start_new_session=group,
        )
        try:
            wait_for(lambda: b"filed skema" in log.read_bytes(), timeout=60)
            if group:
                os.killpg(process.pid, signal.SIGTERM)
            else:
                process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                process.kill()
    text = log.read_text(encoding="utf-8")
    assert "SIGTERM: finishing the files in progress" in text
    assert "ERROR" not in text and "Traceback" not in text  # no worker died with its file
    archived = {p.read_bytes() for p in (tmp_path / "archive" / "personale").rglob("*.pdf")}
    still = {p.read_bytes() for p in inbox.glob("*.pdf")}
    assert archived | still == set(forms.values())  # none lost
    assert not archived & still  # none in two places
    assert archived  # and it did file some before stopping


def running_in_group(group: int) -> list[int]:
    """The processes of a process group that still run (a dead one whose parent is gone may
    stay a zombie here until init reaps it: it files nothing)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            alive.append(int(entry.name))
    return alive


@pytest.mark.slow
def test_the_workers_end_with_a_daemon_killed_outright(tmp_path: Path) -> None:
    """kill -9 of the daemon alone: no worker of it goes on filing beside the next daemon."""
    write_config(tmp_path, stability_seconds=0.2)
    (tmp_path / "inbox").mkdir()
    log = tmp_path / "watch.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            formflow_cli("watch"), cwd=tmp_path, stdout=out, stderr=out, start_new_session=True
        )
        try:
            wait_for(lambda: b"watching" in log.read_bytes(), timeout=60)
            wait_for(lambda: len(running_in_group(process.pid)) >= 3, timeout=30)  # + workers
            process.kill()
            process.wait()
            wait_for(lambda: running_in_group(process.pid) == [], timeout=10)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)


@pytest.mark.slow
def test_a_burst_of_1000_forms_is_all_filed(tmp_path: Path) -> None:
    """1000 DOCX forms written at once into a running daemon (file events, two departments)."""
    sys.path.insert(0, str(Path(__file__).parent))
    from samples.watch.make_watch_samples import sample, vary_docx

    write_config(tmp_path, stability_seconds=0.5, rescan_seconds=5)
    inbox = tmp_path / "inbox"
    for department in ("salg", "lager"):
        (inbox / department).mkdir(parents=True)
    base = sample("preparation.docx")
    log = tmp_path / "watch.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(formflow_cli("watch"), cwd=tmp_path, stdout=out, stderr=out)
        try:
            wait_for(lambda: b"watching" in log.read_bytes(), timeout=60)
            hashes = set()
            for n in range(1000):
                data = vary_docx(base, str(7000 + n), f"Medarbejder {n}")
                hashes.add(hashlib.sha256(data).hexdigest())
                department = ("salg", "lager")[n % 2]
                (inbox / department / f"forberedelse {n:04}.docx").write_bytes(data)
            records = tmp_path / "archive" / "personale"
            wait_for(lambda: len(list(records.rglob("*.json"))) == 1000, timeout=240)
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                process.kill()
    filed = {json.loads(p.read_text("utf-8"))["sha256"] for p in records.rglob("*.json")}
    assert filed == hashes
    assert [p for p in inbox.rglob("*.docx")] == []
    assert "filed 1000" in log.read_text(encoding="utf-8")


# --- which file events call for a scan --------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "scan"),
    [
        pytest.param(events.FileCreatedEvent("/in/a.pdf"), True, id="created"),
        pytest.param(events.FileClosedEvent("/in/salg/a.pdf"), True, id="written-in-department"),
        pytest.param(events.FileMovedEvent("/in/.a.part", "/in/a.pdf"), True, id="renamed-in"),
        pytest.param(events.FileMovedEvent("/elsewhere/a.pdf", "/in/a.pdf"), True, id="moved-in"),
        pytest.param(events.DirCreatedEvent("/in/salg"), True, id="new-department"),
        pytest.param(events.FileDeletedEvent("/in/a.pdf"), False, id="removed"),
        pytest.param(events.FileOpenedEvent("/in/a.pdf"), False, id="opened"),
        pytest.param(events.DirModifiedEvent("/in"), False, id="folder-changed"),
        pytest.param(
            events.FileMovedEvent("/in/a.pdf", "/in/afvist/a.pdf"), False, id="our-rejection"
        ),
        pytest.param(
            events.FileCreatedEvent("/in/til-afklaring/salg/a.pdf.txt"), False, id="our-notice"
        ),
    ],
)
def test_only_events_that_may_bring_a_file_call_for_a_scan(
    event: events.FileSystemEvent, scan: bool
) -> None:
    """With a backlog, each filing removes or moves a file: those must not each cost a scan."""
    assert _may_bring_a_file(event, Path("/in"), ("afvist", "til-afklaring")) is scan


# --- faults and hostile inboxes (issue 13) -----------------------------------------------------


def run_once_in_thread(settings: Settings, archive: FlakyArchive, timeout: float = 20) -> int:
    """`watch --once` in a thread; it must end (a hung daemon fails the test, not the run)."""
    codes: list[int] = []
    thread = threading.Thread(
        target=lambda: codes.append(
            run_watch(settings, once=True, services=fake_services(archive))
        ),
        daemon=True,
    )
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), "watch --once never ended"
    return codes[0]


def test_files_whose_names_are_not_utf8_do_not_stop_the_filing(
    settings: Settings, archive: FlakyArchive
) -> None:
    """Four such files (as many as there are threads, and more) and good ones after them."""
    inbox = os.fsencode(settings.inbox)
    for n in range(6):
        with open(os.path.join(inbox, b"skema-\xe6\xf8 %d.pdf" % n), "wb") as handle:
            handle.write(form_bytes(number=str(100 + n)))
    os.makedirs(os.path.join(inbox, b"l\xf8n"))
    with open(os.path.join(inbox, b"l\xf8n", b"\xe6.pdf"), "wb") as handle:
        handle.write(b"not a form")
    drop(settings, "god.pdf", form_bytes(number="200"))
    assert run_once_in_thread(settings, archive) == 0
    assert len(archive.states()) == 7
    assert left_in_inbox(settings) == ["afvist/l_n/_.pdf", "afvist/l_n/_.pdf.txt"]


def test_a_fault_while_taking_a_file_does_not_kill_its_thread(
    settings: Settings, archive: FlakyArchive, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    """An exception out of the error handling itself (as a name once caused): the file is
    kept and tried again, the thread goes on, `--once` ends."""
    from formflow import watch

    real = watch.ingest_safely
    faults = ["UnicodeEncodeError"]

    def faulty(ingest: Callable[[Path], Any], path: Path) -> Any:
        if faults:
            raise UnicodeEncodeError("utf-8", faults.pop(), 0, 1, "surrogates not allowed")
        return real(ingest, path)

    monkeypatch.setattr("formflow.watch.ingest_safely", faulty)
    drop(settings, "skema.pdf", form_bytes())
    with caplog.at_level("ERROR", logger="formflow.watch"):
        assert run_once_in_thread(settings, archive) == 0
    assert len(archive.states()) == 1 and left_in_inbox(settings) == []
    assert "fault while taking it: UnicodeEncodeError" in caplog.text


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # on purpose
def test_a_worker_thread_that_dies_is_replaced(
    settings: Settings, archive: FlakyArchive, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    from formflow import watch

    real = watch.ingest_safely
    deaths = [SystemExit(3)]  # ends a thread without a trace, past any `except Exception`

    def deadly(ingest: Callable[[Path], Any], path: Path) -> Any:
        if deaths:
            raise deaths.pop()
        return real(ingest, path)

    monkeypatch.setattr("formflow.watch.ingest_safely", deadly)
    settings = settings.replace(watch=dataclasses.replace(settings.watch, workers=1))
    drop(settings, "skema.pdf", form_bytes())
    with caplog.at_level("ERROR", logger="formflow.watch"):
        assert run_once_in_thread(settings, archive) == 0
    assert len(archive.states()) == 1 and left_in_inbox(settings) == []
    assert "worker thread formflow-worker-0 died; starting a new one" in caplog.text


def test_a_fault_in_the_loop_does_not_stop_the_daemon(
    settings: Settings, archive: FlakyArchive, monkeypatch: pytest.MonkeyPatch
) -> None:
    from formflow import watch

    real = watch.is_complete
    faults = [RuntimeError("a bug")]

    def faulty(path: Path, max_bytes: int) -> bool:
        if faults:
            raise faults.pop()
        return real(path, max_bytes)

    monkeypatch.setattr("formflow.watch.is_complete", faulty)
    drop(settings, "skema.pdf", form_bytes())
    assert run_once_in_thread(settings, archive) == 0
    assert len(archive.states()) == 1


def test_a_growing_upload_is_not_taken_as_incomplete(
    settings: Settings, archive: FlakyArchive
) -> None:
    """Pieces come more slowly than the stability window (0.3 s): between them the file is
    stable but incomplete; while it grows the grace (3 s here) starts again, however long."""
    path = drop(settings, "langsom.pdf", b'%PDF-1.7\n{"kind": ')
    ingest = fake_services(archive)(settings, threading.Event()).ingest
    clock = [100.0]
    watcher = Watcher(settings, ingest, polling=0.2, clock=lambda: clock[0])
    watcher.prime()
    for _ in range(30):  # 12 s of upload, each piece 0.4 s after the last
        clock[0] += 0.4
        watcher._dispatch(clock[0])  # stable (0.4 >= 0.3) and incomplete: waits
        assert watcher._queue.qsize() == 0, f"taken while growing, at {clock[0] - 100:.1f} s"
        with open(path, "ab") as handle:
            handle.write(b" " * 4096)
        watcher._look_again(clock[0])
    with open(path, "ab") as handle:
        handle.write(b"\n%%EOF\n")  # the last piece
    watcher._look_again(clock[0])
    clock[0] += 0.4
    watcher._dispatch(clock[0])
    assert watcher._queue.qsize() == 1


def test_a_stalled_upload_still_goes_back_after_its_grace(
    settings: Settings, archive: FlakyArchive
) -> None:
    drop(settings, "halv.pdf", b'%PDF-1.7\n{"kind": ')
    ingest = fake_services(archive)(settings, threading.Event()).ingest
    clock = [100.0]
    watcher = Watcher(settings, ingest, polling=0.2, clock=lambda: clock[0])
    watcher.prime()
    clock[0] += 0.4
    watcher._dispatch(clock[0])
    clock[0] += watcher.incomplete_wait - 0.1
    watcher._dispatch(clock[0])
    assert watcher._queue.qsize() == 0
    clock[0] += 0.2
    watcher._dispatch(clock[0])
    assert watcher._queue.qsize() == 1


def test_scan_never_enters_a_folder_swapped_for_a_link_after_listing(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop(settings, "salg/a.pdf", b"x")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "personalesag.pdf").write_bytes(b"x")
    real = os.scandir
    calls: list[object] = []

    def swapping(where: Any = ".") -> Any:
        entries = list(real(where))
        if not calls:  # the inbox was listed: now `salg` becomes a link out of it
            (settings.inbox / "salg").rename(settings.inbox / ".gammel")
            (settings.inbox / "salg").symlink_to(outside, target_is_directory=True)
        calls.append(where)
        return iter(entries)

    monkeypatch.setattr(os, "scandir", swapping)
    found, _ = scan(settings.inbox, ("afvist", "til-afklaring"))
    assert not any("personalesag" in path for path in found)


def test_a_lock_file_planted_as_a_link_is_never_followed(
    settings: Settings, archive: FlakyArchive, tmp_path: Path
) -> None:
    victim = tmp_path / "index.sqlite"
    victim.write_bytes(b"someone's data")
    (settings.inbox / LOCK).symlink_to(victim)
    with pytest.raises(FormflowError, match="is a link"):
        run_watch(settings, once=True, services=fake_services(archive))
    assert victim.read_bytes() == b"someone's data"
