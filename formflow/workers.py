"""The daemon's ingest workers: processes that each take one dropped file through every stage.

Why whole ingests in processes: a filing is mostly Python work (reading the fields, checking
them, the record, the audit entry, the index row) and some waiting for fsync. When the
daemon filed every form itself and only the parsing ran in reader processes, the daemon's
one interpreter was the limit: a second reader process added nothing. Here each of the
`watch.workers` processes opens the archive, the ledger and the readers itself and runs
`Ingestor.ingest` from the intake to the removal of the original, so N workers use N cores.
The archive and the ledger are made for several writers at once (file locks, SQLite WAL).

Each worker takes SLOTS_PER_WORKER files at a time (a thread and a pipe each) and reads one of
them at a time: while one file is read, another waits for its fsyncs. What `ReaderPool`
guaranteed for reading untrusted files still holds, now per ingest:
- a worker publishes when each slot's current read began (a shared float per slot); a read
  that runs past `limits.parse_timeout_seconds` gets the worker killed and replaced, and the
  daemon hands the file back as `timeout` (a file in the worker's other slot, not being
  read, is kept for another try);
- each worker's address space is capped at `limits.parse_memory_mb` (RLIMIT_AS): a file that
  needs more is handed back as `too_much_memory`, and the worker is replaced after it;
- a worker that dies while reading (a parser's segfault) gives `crashed` for that file. One
  that dies anywhere else leaves the file in the inbox to be taken again (every step of an
  ingest can be redone: `formflow.ingest`), and is replaced.
The daemon hands files back itself, through its own `Ingestor` with the verdict as its
reader, so a returned file gets the same explanation as any other unreadable one.

Workers ignore SIGINT and SIGTERM (Ctrl-C and `systemctl stop` may reach the whole process
group): the daemon decides when they stop, after the files in progress. A worker never
outlives its daemon: it is killed when the daemon's forkserver goes (PR_SET_PDEATHSIG), so a
daemon restarted after kill -9 never meets the old one's workers still filing.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import queue
import resource
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing import forkserver
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType
from typing import Any

from formflow.config import Settings
from formflow.errors import FormflowError, UnreadableForm
from formflow.inbox import sanitize_name
from formflow.ingest import Ingestor, Outcome, Reader, ingest_safely
from formflow.model import Extraction
from formflow.read.isolate import address_space, await_hello, worker_lost

log = logging.getLogger("formflow.watch")

MB = 1024 * 1024
RECYCLE_AFTER = 2000  # files per worker before it is replaced (parsers' caches, fragmentation)
POLL_STEP = 0.2  # how often a waiting daemon thread looks at its worker's read clock
# Files in progress per worker process: while one is read, the other waits for its fsyncs
# (five to seven per filing), so one process keeps its core busy.
SLOTS_PER_WORKER = 2
_PR_SET_PDEATHSIG = 1

PRELOAD = (
    "formflow.workers",
    "formflow.validate",
    "formflow.archive",
    "formflow.read.acroform",
    "formflow.read.pdf_fast",
    "formflow.read.docx",
)

# What a worker runs to build its ingestor: (settings, reader) -> (ingestor, close).
Build = Callable[[Settings, Reader], tuple[Ingestor, Callable[[], None]]]
# What a worker reads with: (the dropped file's bytes, its name, settings) -> Extraction.
Work = Callable[[bytes, str, Settings], Extraction]


def build_ingestor(settings: Settings, reader: Reader) -> tuple[Ingestor, Callable[[], None]]:
    """The real stages behind an Ingestor (in a worker: this process reads, checks, files)."""
    from formflow import validate
    from formflow.archive import Archive
    from formflow.ingest import Ledger
    from formflow.rounds import with_leader_warning

    work = Path(settings.archive) / ".formflow"
    ledger = Ledger(work / "ledger.sqlite")
    archive = Archive.open(settings)
    ingestor = Ingestor(
        settings,
        reader=reader,
        validator=lambda extraction, arrived: with_leader_warning(
            validate.check(extraction, settings, arrived=arrived), archive.roster()
        ),
        awaiting=validate.awaiting,
        archive=archive,
        ledger=ledger,
    )
    return ingestor, ledger.close


def read_in_process(data: bytes, name: str, settings: Settings) -> Extraction:
    from formflow.read import read_data

    return read_data(data, name, settings)


# --- inside a worker --------------------------------------------------------------------------


class _ReadClock:
    """The worker's side of the read clocks: when each slot's current read began (0: not
    reading), one read at a time in the process, and whether a MemoryError makes this worker
    untrustworthy after its current files.

    One read at a time: while one slot reads, the other files (mostly waiting for fsync), so
    the two overlap without two parsers in one process; and should the process die or hang,
    the one file that was being read is the one to blame.
    """

    def __init__(self, shared: Any, settings: Settings, work: Work) -> None:
        self.shared = shared
        self.settings = settings
        self.work = work
        self.exhausted = False
        self._reading = threading.Lock()
        self._local = threading.local()

    def serve_as(self, slot: int) -> None:
        self._local.slot = slot

    def read(self, data: bytes, name: str) -> Extraction:
        slot: int = self._local.slot
        with self._reading:
            self.shared[slot] = time.monotonic()  # CLOCK_MONOTONIC: the same in every process
            try:
                return self.work(data, name, self.settings)
            except MemoryError as error:
                from formflow.read import unreadable

                self.exhausted = True
                limit = self.settings.limits.parse_memory_mb
                raise unreadable("too_much_memory", f"more than {limit} MB") from error
            finally:
                self.shared[slot] = 0.0


def _worker_main(
    conns: list[Connection],
    settings: Settings,
    shared: Any,
    logging_setup: tuple[int, str] | None,
    build: Build,
    work: Work,
) -> None:
    """A worker: build the stages, cap memory, then ingest paths on every slot until told to
    stop (one thread per slot)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)  # the daemon stops us, after the files in progress
    _die_with_parent()
    if logging_setup is not None:
        logging.basicConfig(level=logging_setup[0], format=logging_setup[1])
    clock = _ReadClock(shared, settings, work)
    try:
        ingestor, close = build(settings, clock.read)
    except (FormflowError, OSError) as error:
        with contextlib.suppress(OSError):
            conns[0].send(("failed", f"{type(error).__name__}: {error}"))
        return
    try:
        limit = settings.limits.parse_memory_mb * MB
        size = address_space()
        if size < limit:
            # the slots' threads (their stacks) first, then the cap, then the hello: no file
            # comes before the hello, so every file is read under the cap
            threads = [
                threading.Thread(target=_serve, args=(conn, slot, ingestor, clock), daemon=True)
                for slot, conn in enumerate(conns)
            ]
            for thread in threads:
                thread.start()
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        try:
            conns[0].send(("ready", size))  # too big: the daemon says why, and we end
        except OSError:
            return  # the daemon died while we started
        if size < limit:
            for thread in threads:
                thread.join()
    finally:
        close()


def _serve(conn: Connection, slot: int, ingestor: Ingestor, clock: _ReadClock) -> None:
    clock.serve_as(slot)
    while True:
        try:
            path = conn.recv()
        except (EOFError, OSError):
            return  # the daemon is gone
        if path is None:
            return
        outcome = ingest_safely(ingestor.ingest, Path(path))
        # a process that ran out of memory (reading, or anywhere: then the file is kept for
        # another try) is not trusted with the next file: it says so with its answer, and
        # the daemon stops it once its other slot is done
        last = clock.exhausted or outcome.detail == "MemoryError"
        try:
            conn.send(("outcome", outcome, last))
        except OSError:
            return  # BrokenPipeError: the daemon died (SIGKILL) while we worked
        if last:
            clock.exhausted = True
            return


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent (the daemon's forkserver) ends."""
    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent went before the request took hold
        os._exit(0)


# --- in the daemon ----------------------------------------------------------------------------


class _Worker:
    """One worker process and its slots: a pipe and a read clock each."""

    def __init__(self, context: Any, settings: Settings, build: Build, work: Work) -> None:
        self.settings = settings
        pipes = [context.Pipe() for _ in range(SLOTS_PER_WORKER)]
        self.conns: list[Connection] = [ours for ours, _ in pipes]
        self.read_since = context.RawArray("d", SLOTS_PER_WORKER)
        theirs = [child for _, child in pipes]
        self.process = context.Process(
            target=_worker_main,
            args=(theirs, settings, self.read_since, _logging_setup(), build, work),
            daemon=True,
        )
        self.process.start()
        for child in theirs:
            child.close()
        self.ready = False
        self.retired = False  # takes no new file; ends when its slots are done, or was killed
        self.files = 0
        self._lock = threading.Lock()

    def wait_ready(self) -> None:
        """Wait for the worker's hello; its size must leave room under the memory limit."""
        with self._lock:
            if not self.ready:
                self._hello()
                self.ready = True

    def _hello(self) -> None:
        try:
            await_hello(self.conns[0], self.settings, "an ingest worker")
        except FormflowError:
            self.kill()
            raise

    def ingest(self, slot: int, path: Path) -> tuple[Any, ...]:
        """The answer on `slot`: ("outcome", Outcome, last) (`last`: the worker ends after
        it); ("timeout",) when its read ran past the limit; ("crashed", exitcode) when the
        worker died reading this file; ("lost", exitcode) when it died otherwise."""
        self.wait_ready()
        with self._lock:
            self.files += 1
        conn = self.conns[slot]
        timeout = self.settings.limits.parse_timeout_seconds
        try:
            conn.send(str(path))
            while not conn.poll(POLL_STEP):
                since = self.read_since[slot]
                if since and time.monotonic() - since > timeout:
                    return ("timeout",)
            answer: tuple[Any, ...] = conn.recv()
            return answer
        except (EOFError, OSError):
            self.process.join(1.0)
            died_reading = bool(self.read_since[slot])
            return ("crashed" if died_reading else "lost", self.process.exitcode)

    def healthy(self) -> bool:
        return not self.retired and self.process.is_alive() and self.files < RECYCLE_AFTER

    def release(self, slot: int) -> None:
        """Done with `slot` for good: its thread in the worker may end (the process ends when
        all of them have). Only the daemon thread holding a slot closes its pipe: closing it
        under another thread's poll could hand that thread a reused descriptor."""
        with contextlib.suppress(OSError):
            self.conns[slot].send(None)
        self.conns[slot].close()

    def kill(self, grace: float = 0.0) -> None:
        """End the process: at once, or after `grace` seconds to end by itself."""
        self.process.join(grace)
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5.0)


class IngestPool:
    """`watch.workers` processes that ingest SLOTS_PER_WORKER files at a time each; a context
    manager.

    `ingest(path)` is thread-safe: each call holds a worker's slot until its file is done, and
    waits for a free slot when all are busy (`concurrency` calls keep every slot busy).
    `ingestor` is the daemon's own (it hands back a file whose worker was killed over it).
    `build` and `work` are what a worker builds its stages with and reads with; tests inject
    their own (module-level functions, since workers are fresh processes).
    """

    def __init__(
        self,
        settings: Settings,
        ingestor: Ingestor,
        workers: int = 1,
        *,
        build: Build = build_ingestor,
        work: Work = read_in_process,
    ) -> None:
        if workers < 1:
            raise ValueError("an IngestPool needs at least one worker")
        self.settings = settings
        self.ingestor = ingestor
        self.size = workers
        self.concurrency = workers * SLOTS_PER_WORKER
        self.build = build
        self.work = work
        self._context = multiprocessing.get_context("forkserver")
        # The server every worker is forked from imports the stages once: a worker (and its
        # replacement after a crash) starts in milliseconds and shares those pages.
        self._context.set_forkserver_preload(list(PRELOAD))
        self._launched: list[_Worker] = []
        self._launching: threading.Thread | None = None
        self._launch_error: BaseException | None = None
        self._idle: queue.Queue[tuple[_Worker, int]] = queue.Queue()
        self._lock = threading.Lock()
        self._all: set[_Worker] = set()
        self._closed = True

    def __enter__(self) -> IngestPool:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> None:
        """Start the workers (in parallel) and wait until each is ready to ingest."""
        self.launch()
        self.wait_ready()

    def launch(self) -> None:
        """Start the workers without waiting for them (the daemon recovers and scans
        meanwhile): in a thread, since the first start waits for the forkserver's imports."""
        if self._launching is None:
            _start_forkserver()
            self._launching = threading.Thread(target=self._launch, name="formflow-launch")
            self._launching.start()

    def _launch(self) -> None:
        try:
            self._launched = [self._spawn() for _ in range(self.size)]
        except BaseException as error:  # raised again by wait_ready, in the daemon's thread
            self._launch_error = error

    def wait_ready(self) -> None:
        """Wait until every launched worker is ready to ingest; then take files."""
        self.launch()
        assert self._launching is not None
        self._launching.join()
        self._launching = None
        started, self._launched = self._launched, []
        error, self._launch_error = self._launch_error, None
        try:
            if error is not None:
                raise FormflowError(f"cannot start the ingest workers: {error}") from error
            for worker in started:
                worker.wait_ready()
        except FormflowError:
            for worker in started:
                worker.kill()
            raise
        for worker in started:
            self._offer(worker)
        self._closed = False

    def ingest(self, path: Path) -> Outcome:
        """Take `path` through every stage in a worker; never raises for a bad file."""
        if self._closed:
            raise RuntimeError("IngestPool is not started (use it as a context manager)")
        worker, slot = self._free_slot()
        try:
            answer = worker.ingest(slot, path)
        except BaseException:
            self._kill(worker, slot)
            raise
        if answer[0] != "outcome":
            self._kill(worker, slot)
            return self._without_worker(path, answer)
        if answer[2] or not worker.healthy():
            self._retire(worker, slot)
        else:
            self._idle.put((worker, slot))
        outcome: Outcome = answer[1]
        return outcome

    def close(self) -> None:
        """Stop every worker (idle ones politely, others by force)."""
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:  # all told first, so they wind down side by side
            for slot in range(SLOTS_PER_WORKER):
                worker.release(slot)
        for worker in workers:
            worker.kill(grace=5.0)

    def _free_slot(self) -> tuple[_Worker, int]:
        while True:
            worker, slot = self._idle.get()
            if not worker.retired:
                return worker, slot
            worker.release(slot)  # a retired worker's idle slot: let its thread end

    def _without_worker(self, path: Path, answer: tuple[Any, ...]) -> Outcome:
        """The file whose worker was killed or died: handed back, or kept for another try."""
        if answer[0] == "lost":
            name = sanitize_name(path.name)
            log.error("a worker died while taking %s (exit code %s); kept for another try",
                      name, answer[1])  # fmt: skip
            return Outcome("retry", name, detail="worker_lost")
        verdict = worker_lost(
            answer[0], answer[1] if answer[0] == "crashed" else None, self.settings
        )
        return ingest_safely(self.ingestor.with_reader(_raising(verdict)).ingest, path)

    def _retire(self, worker: _Worker, slot: int) -> None:
        """Politely: the worker takes no new file and ends once its other slots are done (a
        file in progress there is finished); a fresh one takes its place now."""
        worker.release(slot)
        if self._mark_retired(worker):
            self._replace()

    def _kill(self, worker: _Worker, slot: int) -> None:
        """By force (it hangs or died): a file in progress in its other slot is kept for
        another try; a fresh one takes its place."""
        first = self._mark_retired(worker)
        worker.kill()
        worker.release(slot)
        if first:
            with self._lock:
                self._all.discard(worker)
            self._replace()

    def _mark_retired(self, worker: _Worker) -> bool:
        """Mark `worker` retired; True only for the first caller (who replaces it)."""
        with self._lock:
            if worker.retired:
                return False
            worker.retired = True
            return True

    def _replace(self) -> None:
        if not self._closed:
            self._offer(self._spawn())  # the next call on its slots waits for it to be ready

    def _spawn(self) -> _Worker:
        worker = _Worker(self._context, self.settings, self.build, self.work)
        with self._lock:
            # retired workers that have ended by now are forgotten
            self._all = {w for w in self._all if not w.retired or w.process.is_alive()}
            self._all.add(worker)
        return worker

    def _offer(self, worker: _Worker) -> None:
        for slot in range(SLOTS_PER_WORKER):
            self._idle.put((worker, slot))


def _start_forkserver() -> None:
    """Start the server the workers are forked from with SIGINT and SIGTERM ignored: it keeps
    that through its exec, and so do the workers forked from it. A signal to the whole process
    group (Ctrl-C, systemd's default KillMode) then stops only the daemon, which stops its
    workers once their files are done; a forkserver killed by it would take its workers with
    it (PR_SET_PDEATHSIG), in the middle of their files. (Only the main thread may change
    signal dispositions; for the few milliseconds this takes, a SIGTERM to the daemon is
    ignored.)"""
    if threading.current_thread() is not threading.main_thread():
        return  # a daemon run in a thread (tests): no signals are its to handle
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        forkserver.ensure_running()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _raising(verdict: UnreadableForm) -> Reader:
    def read(data: bytes, name: str) -> Extraction:
        raise verdict

    return read


def _logging_setup() -> tuple[int, str] | None:
    """The daemon's log level and format, for its workers to log the same way (None: the
    daemon has no log handler of its own, and neither will they)."""
    root = logging.getLogger()
    for handler in root.handlers:
        if handler.formatter is not None and handler.formatter._fmt:
            return root.level, handler.formatter._fmt
    return None
