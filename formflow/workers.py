"""Isolated worker processes: where untrusted files are read, for the daemon and for `check`.

Parsers of PDF and DOCX have bugs that hang, eat memory or crash the interpreter; a file
anyone can drop into a shared folder must take neither the daemon nor `formflow check` with
it. A `WorkerPool` keeps worker processes (multiprocessing "forkserver": no fork of a threaded
parent; the server imports the stages once, so a worker starts in milliseconds) that each run
a *job* on the paths handed to them, a few at a time (one thread and pipe per slot):

- `ingest_job`: a whole ingest (`Ingestor.ingest`, from the intake to the removal of the
  original) for the daemon (`IngestPool`). Filing is mostly Python work and some waiting for
  fsync, so N workers use N cores; while one slot reads, the other waits for its fsyncs.
- `check_job`: read and check one file, for `formflow check` (`check_files`).

What holds for every file, whatever the job (ProcessPoolExecutor is not used on purpose: it
cannot time out one task, and one dead worker breaks the whole executor):
- a worker reads one file at a time and publishes when that read began (a shared float per
  slot); a read that runs past `limits.parse_timeout_seconds` gets the worker killed and
  replaced, and the file's answer is `Lost("timeout")` (a file in the worker's other slot, not
  being read, is `Lost("lost")`: not its fault);
- each worker's address space is capped at `limits.parse_memory_mb` (RLIMIT_AS): a read that
  needs more fails as `too_much_memory`, and the worker is replaced after it;
- a worker that dies while reading (a parser's segfault) gives `Lost("crashed")` for that
  file; one that dies anywhere else gives `Lost("lost")`; either way it is replaced;
- a worker is replaced after RECYCLE_AFTER files (parsers' caches, fragmentation).
What becomes of a lost file is the caller's: the daemon hands it back with the verdict
(`Ingestor.reject`) or keeps it for another try; `check` reports the verdict.

Workers ignore SIGINT and SIGTERM (Ctrl-C and `systemctl stop` may reach the whole process
group): the daemon decides when they stop, after the files in progress. A worker never
outlives its daemon: it is killed when the daemon's forkserver goes (PR_SET_PDEATHSIG), so a
daemon restarted after kill -9 never meets the old one's workers still filing.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import logging
import multiprocessing
import os
import queue
import resource
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from multiprocessing import forkserver
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self, cast

from formflow.config import Settings
from formflow.errors import FormflowError, UnreadableForm
from formflow.inbox import sanitize_name
from formflow.ingest import Ingestor, Outcome, Reader, ingest_safely
from formflow.model import CheckResult, Extraction
from formflow.parserlog import reading

if TYPE_CHECKING:
    from formflow.archive.roster import RosterEntry

log = logging.getLogger("formflow.watch")

MB = 1024 * 1024
START_TIMEOUT = 60.0  # seconds a new worker may take to start (the first waits for imports)
RECYCLE_AFTER = 2000  # files per worker before it is replaced (parsers' caches, fragmentation)
POLL_STEP = 0.2  # how often a waiting daemon thread looks at its worker's read clock
# Files in progress per ingest worker: while one is read, the other waits for its fsyncs
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

Handler = Callable[[Path], Any]
Closer = Callable[[], None]
# A job, built once in each worker: (settings, the worker's read clock) -> (what it does with
# each path, what it does at the end). Module-level or a functools.partial of such a function:
# workers are fresh processes.
Job = Callable[[Settings, "ReadClock"], tuple[Handler, Closer]]
# What an ingest worker builds its stages with: (settings, reader) -> (ingestor, close).
Build = Callable[[Settings, Reader], tuple[Ingestor, Closer]]
# What an ingest worker reads with: (the dropped file's bytes, its name, settings).
Work = Callable[[bytes, str, Settings], Extraction]
# What a check worker reads with: (a path, settings).
ReadFile = Callable[[Path, Settings], Extraction]


@dataclass(frozen=True)
class Lost:
    """A file whose worker gave no answer: it ran past the time limit reading it ("timeout"),
    died reading it ("crashed", with its exit code), or died elsewhere ("lost")."""

    how: Literal["timeout", "crashed", "lost"]
    exitcode: int | None = None

    def verdict(self, settings: Settings) -> UnreadableForm:
        """The file's verdict (a worker lost outside the reading counts as crashed)."""
        from formflow.read import unreadable

        if self.how == "timeout":
            limit = settings.limits.parse_timeout_seconds
            return unreadable("timeout", f"no answer within {limit} s")
        return unreadable("crashed", f"the reader process died (exit code {self.exitcode})")


# --- the jobs --------------------------------------------------------------------------------


def checker(
    settings: Settings, roster: Callable[[], Mapping[str, RosterEntry] | None]
) -> Callable[[Extraction, datetime | None], CheckResult]:
    """The rules over a read form, as every job runs them (the one place they are wired):
    the form's own rules, then the roster's word on its leader (`roster()`: the roster as it
    is now, None without one); `arrived` None leaves the deadlines unjudged."""
    from formflow.checking import check_form
    from formflow.rounds import with_leader_warning

    def check(extraction: Extraction, arrived: datetime | None) -> CheckResult:
        return with_leader_warning(check_form(extraction, settings, arrived=arrived), roster())

    return check


def build_ingestor(settings: Settings, reader: Reader) -> tuple[Ingestor, Closer]:
    """The real stages behind an Ingestor (in a worker: this process reads, checks, files)."""
    from formflow.archive import Archive
    from formflow.ledger import Ledger

    archive = Archive.open(settings)
    ledger = Ledger(Path(settings.archive) / ".formflow" / "ledger.sqlite")
    ingestor = Ingestor(
        settings,
        reader=reader,
        validator=checker(settings, archive.roster),
        archive=archive,
        ledger=ledger,
    )
    return ingestor, ledger.close


def read_in_process(data: bytes, name: str, settings: Settings) -> Extraction:
    from formflow.read import read_data

    return read_data(data, name, settings)


def read_file(path: Path, settings: Settings) -> Extraction:
    from formflow.read import read_form

    return read_form(path, settings)


def ingest_job(
    build: Build, work: Work, settings: Settings, clock: ReadClock
) -> tuple[Handler, Closer]:
    """Whole ingests: the stages `build` makes, reading with `work` on the read clock."""
    ingestor, close = build(settings, lambda data, name: clock.read(work, data, name, settings))

    def ingest(path: Path) -> Outcome:
        outcome = ingest_safely(ingestor.ingest, path)
        if outcome.detail == "MemoryError":
            # out of memory outside the reading (the file is kept for another try): this
            # process is not trusted with the next file
            clock.exhausted = True
        return outcome

    return ingest, close


@dataclass(frozen=True)
class _Unreadable:
    """An UnreadableForm on its way out of a worker (the exception itself does not pickle)."""

    code: str
    message: str
    detail: str

    @classmethod
    def of(cls, error: UnreadableForm) -> _Unreadable:
        return cls(error.code, error.message, error.detail)

    def error(self) -> UnreadableForm:
        return UnreadableForm(self.code, self.message, self.detail)


def check_job(read: ReadFile, settings: Settings, clock: ReadClock) -> tuple[Handler, Closer]:
    """Read a file on the read clock and check it: what `formflow check` shows. Who the
    form's employee is, is settled by the roster as the daemon settles it (a form without an
    employee number by its name; a number the roster does not know, or a name that is not
    its number's, held); only what the archive alone knows (the names a number had before,
    without a roster) is the daemon's."""
    from formflow.archive.roster import default_matcher, hold_reason, read_roster, roster_row
    from formflow.decision import by_name, identified
    from formflow.read import unreadable

    roster = read_roster(settings.roster)  # once: a check is one look at the files
    check = checker(settings, lambda: roster)
    same_person = default_matcher()

    def held_why(number: str, name: str) -> str | None:
        return hold_reason(number, name, roster=roster, known_names=None, same_person=same_person)

    def read_and_check(path: Path) -> CheckResult | _Unreadable:
        try:
            with reading(sanitize_name(path.name)):  # the PDF libraries' warnings: one line
                extraction = clock.read(read, path, settings)
            result = by_name(
                check(extraction, None),
                lambda name: roster_row(name, roster),
                lambda extraction: check(extraction, None),
            )
            return identified(result, held_why)
        except UnreadableForm as error:
            return _Unreadable.of(error)
        except Exception as error:  # a reader's bug: this file cannot be read
            detail = f"the reader failed: {type(error).__name__}: {str(error)[:200]}"
            return _Unreadable.of(unreadable("crashed", detail))

    return read_and_check, lambda: None


# --- inside a worker --------------------------------------------------------------------------


class ReadClock:
    """The worker's side of the read clocks: when each slot's current read began (0: not
    reading), one read at a time in the process, and whether a MemoryError makes this worker
    untrustworthy after its current files.

    One read at a time: while one slot reads, the other files (mostly waiting for fsync), so
    the two overlap without two parsers in one process; and should the process die or hang,
    the one file that was being read is the one to blame.
    """

    def __init__(self, shared: Any, settings: Settings) -> None:
        self.shared = shared
        self.settings = settings
        self.exhausted = False
        self._reading = threading.Lock()
        self._local = threading.local()

    def serve_as(self, slot: int) -> None:
        self._local.slot = slot

    def read(self, work: Callable[..., Extraction], *args: Any) -> Extraction:
        """`work(*args)` as this slot's read: timed by the daemon, its MemoryError a verdict."""
        slot: int = self._local.slot
        with self._reading:
            self.shared[slot] = time.monotonic()  # CLOCK_MONOTONIC: the same in every process
            try:
                return work(*args)
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
    job: Job,
) -> None:
    """A worker: build the job, cap memory, then run it on every slot's paths until told to
    stop (one thread per slot)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)  # the daemon stops us, after the files in progress
    _die_with_parent()
    # tesseract (a scan's OCR, run from this process) with its own threads fights the other
    # workers for the cores: a page took 3-18 s instead of about 1 s
    os.environ["OMP_THREAD_LIMIT"] = "1"
    if logging_setup is not None:
        logging.basicConfig(level=logging_setup[0], format=logging_setup[1])
    clock = ReadClock(shared, settings)
    try:
        handle, close = job(settings, clock)
    except (FormflowError, OSError) as error:
        with contextlib.suppress(OSError):
            conns[0].send(("failed", f"{type(error).__name__}: {error}"))
        return
    try:
        _serve_slots(conns, settings, handle, clock)
    finally:
        close()


def _serve_slots(
    conns: list[Connection], settings: Settings, handle: Handler, clock: ReadClock
) -> None:
    limit = settings.limits.parse_memory_mb * MB
    size = address_space()
    threads = [
        threading.Thread(target=_serve, args=(conn, slot, handle, clock), daemon=True)
        for slot, conn in enumerate(conns)
    ]
    if size < limit:
        # the slots' threads (their stacks) first, then the cap, then the hello: no file
        # comes before the hello, so every file is read under the cap
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


def _serve(conn: Connection, slot: int, handle: Handler, clock: ReadClock) -> None:
    """Answer this slot's paths until the daemon says stop or is gone.

    A job answers every file (its errors are answers); a slot that cannot answer one (a bug
    in the job, an answer that cannot be sent) must not end quietly while the daemon waits
    for it: the process ends instead, which the daemon understands (this file is Lost, the
    worker replaced)."""
    clock.serve_as(slot)
    try:
        while _answer_next(conn, handle, clock):
            pass
    except BaseException:
        os._exit(70)


def _answer_next(conn: Connection, handle: Handler, clock: ReadClock) -> bool:
    """Take the next path and answer it; False when this slot is done."""
    try:
        path = conn.recv()
    except (EOFError, OSError):
        return False  # the daemon is gone
    if path is None:
        return False
    answer = handle(Path(path))
    # a process that ran out of memory is not trusted with the next file: it says so with
    # its answer, and the daemon stops it once its other slots are done
    last = clock.exhausted
    try:
        conn.send(("answer", answer, last))
    except OSError:
        return False  # BrokenPipeError: the daemon died (SIGKILL) while we worked
    return not last


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent (the daemon's forkserver) ends."""
    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent went before the request took hold
        os._exit(0)


def address_space() -> int:
    """This process's virtual size in bytes (what RLIMIT_AS counts)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


# --- in the daemon ----------------------------------------------------------------------------


class _Worker:
    """One worker process and its slots: a pipe and a read clock each."""

    def __init__(self, context: Any, settings: Settings, job: Job, slots: int) -> None:
        self.settings = settings
        pipes = [context.Pipe() for _ in range(slots)]
        self.conns: list[Connection] = [ours for ours, _ in pipes]
        self.read_since = context.RawArray("d", slots)
        theirs = [child for _, child in pipes]
        self.process = context.Process(
            target=_worker_main,
            args=(theirs, settings, self.read_since, _logging_setup(), job),
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
            await_hello(self.conns[0], self.settings, "a worker process")
        except FormflowError:
            self.kill()
            raise

    def run(self, slot: int, path: Path) -> Lost | tuple[Any, bool]:
        """The answer on `slot`: (the job's answer, whether the worker ends after it), or
        Lost when the read ran past the limit or the worker died."""
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
                    return Lost("timeout")
            _, answer, last = conn.recv()
            return answer, last
        except (EOFError, OSError):
            self.process.join(1.0)
            died_reading = bool(self.read_since[slot])
            return Lost("crashed" if died_reading else "lost", self.process.exitcode)

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


def await_hello(conn: Connection, settings: Settings, what: str) -> None:
    """Wait for a new worker's hello: ("ready", its address space in bytes), or ("failed",
    why). FormflowError, naming `what`, when none comes, the worker failed, or its size
    leaves no room under `limits.parse_memory_mb` (the caller kills the worker)."""
    limit = settings.limits.parse_memory_mb
    try:
        if not conn.poll(START_TIMEOUT):
            raise FormflowError(f"{what} did not start in time")
        status, detail = conn.recv()
    except (EOFError, OSError) as error:
        raise FormflowError(f"{what} died while starting") from error
    if status != "ready":
        raise FormflowError(f"{what} could not start: {detail}")
    if detail >= limit * MB:
        raise FormflowError(
            f"limits.parse_memory_mb = {limit} is too small: {what} alone takes "
            f"{detail // MB} MB of address space"
        )


class WorkerPool:
    """`workers` processes that run `job` on `slots` files at a time each; a context manager.

    `run(path)` is thread-safe: each call holds a worker's slot until its file is done, and
    waits for a free slot when all are busy (`concurrency` calls keep every slot busy).
    """

    def __init__(
        self, settings: Settings, job: Job, workers: int = 1, *, slots: int = SLOTS_PER_WORKER
    ) -> None:
        if workers < 1:
            raise ValueError("a worker pool needs at least one worker")
        self.settings = settings
        self.job = job
        self.size = workers
        self.slots = slots
        self.concurrency = workers * slots
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

    def __enter__(self) -> Self:
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
        """Start the workers (in parallel) and wait until each is ready."""
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
        except BaseException as error:  # raised again by wait_ready, in the caller's thread
            self._launch_error = error

    def wait_ready(self) -> None:
        """Wait until every launched worker is ready; then take files."""
        self.launch()
        assert self._launching is not None
        self._launching.join()
        self._launching = None
        started, self._launched = self._launched, []
        error, self._launch_error = self._launch_error, None
        try:
            if error is not None:
                raise FormflowError(f"cannot start the worker processes: {error}") from error
            for worker in started:
                worker.wait_ready()
        except FormflowError:
            for worker in started:
                worker.kill()
            raise
        for worker in started:
            self._offer(worker)
        self._closed = False

    def run(self, path: Path) -> Any:
        """`path` through the job in a worker: the job's answer, or `Lost` when the worker
        gave none (it was killed or died, and a fresh one takes its place)."""
        if self._closed:
            raise RuntimeError("the worker pool is not started (use it as a context manager)")
        worker, slot = self._free_slot()
        try:
            answer = worker.run(slot, path)
        except BaseException:
            self._kill(worker, slot)
            raise
        if isinstance(answer, Lost):
            self._kill(worker, slot)
            return answer
        value, last = answer
        if last or not worker.healthy():
            self._retire(worker, slot)
        else:
            self._idle.put((worker, slot))
        return value

    def close(self) -> None:
        """Stop every worker (idle ones politely, others by force)."""
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:  # all told first, so they wind down side by side
            for slot in range(self.slots):
                worker.release(slot)
        for worker in workers:
            worker.kill(grace=5.0)

    def _free_slot(self) -> tuple[_Worker, int]:
        while True:
            worker, slot = self._idle.get()
            if not worker.retired:
                return worker, slot
            worker.release(slot)  # a retired worker's idle slot: let its thread end

    def _retire(self, worker: _Worker, slot: int) -> None:
        """Politely: the worker takes no new file and ends once its other slots are done (a
        file in progress there is finished); a fresh one takes its place now."""
        worker.release(slot)
        if self._mark_retired(worker):
            self._replace()

    def _kill(self, worker: _Worker, slot: int) -> None:
        """By force (it hangs or died): a file in progress in its other slot is lost (kept
        for another try); a fresh one takes its place."""
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
        worker = _Worker(self._context, self.settings, self.job, self.slots)
        with self._lock:
            # retired workers that have ended by now are forgotten
            self._all = {w for w in self._all if not w.retired or w.process.is_alive()}
            self._all.add(worker)
        return worker

    def _offer(self, worker: _Worker) -> None:
        for slot in range(self.slots):
            self._idle.put((worker, slot))


# --- the daemon's pool and `check`'s ----------------------------------------------------------


class IngestPool(WorkerPool):
    """The daemon's workers: each takes SLOTS_PER_WORKER files at a time through every stage.

    `ingestor` is the daemon's own: it hands back a file whose worker was killed over it.
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
        super().__init__(settings, functools.partial(ingest_job, build, work), workers)
        self.ingestor = ingestor

    def ingest(self, path: Path) -> Outcome:
        """Take `path` through every stage in a worker; never raises for a bad file."""
        answer = self.run(path)
        if not isinstance(answer, Lost):
            return cast(Outcome, answer)
        if answer.how == "lost":  # not the file's fault as far as anyone knows
            name = sanitize_name(path.name)
            log.error("a worker died while taking %s (exit code %s); kept for another try",
                      name, answer.exitcode)  # fmt: skip
            return Outcome("retry", name, detail="worker_lost")
        verdict = answer.verdict(self.settings)
        return ingest_safely(lambda dropped: self.ingestor.reject(dropped, verdict), path)


def check_files(
    paths: Sequence[Path],
    settings: Settings,
    workers: int | None = None,
    *,
    read: ReadFile = read_file,
) -> list[CheckResult | UnreadableForm]:
    """Read each file in a worker process and check it; an unreadable file gives its error.

    Results come in the order of `paths`; up to `workers` files (default `watch.workers`)
    are read at the same time. `read` is what the workers read with (tests inject their own).
    """
    if not paths:
        return []
    count = max(1, min(len(paths), workers or settings.watch.workers))
    job = functools.partial(check_job, read)
    with (
        WorkerPool(settings, job, count, slots=1) as pool,
        ThreadPoolExecutor(count) as threads,
    ):
        return list(threads.map(lambda path: _checked(pool, path), paths))


def _checked(pool: WorkerPool, path: Path) -> CheckResult | UnreadableForm:
    answer = pool.run(path)
    if isinstance(answer, Lost):
        return answer.verdict(pool.settings)
    if isinstance(answer, _Unreadable):
        return answer.error()
    return cast(CheckResult, answer)


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


def _logging_setup() -> tuple[int, str] | None:
    """The daemon's log level and format, for its workers to log the same way (None: the
    daemon has no log handler of its own, and neither will they)."""
    root = logging.getLogger()
    for handler in root.handlers:
        if handler.formatter is not None and handler.formatter._fmt:
            return root.level, handler.formatter._fmt
    return None
