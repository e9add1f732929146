"""Reading untrusted files in worker processes with a time limit and a memory limit.

Parsers of PDF and DOCX have bugs that hang, eat memory or crash the interpreter; a file
anyone can drop into a shared folder must not take the daemon with it. `ReaderPool` keeps a
few worker processes (multiprocessing "forkserver": no fork of a threaded parent) that import
the readers once and read one file at a time each, talking over a Pipe of their own:
- a worker that does not answer within `limits.parse_timeout_seconds` is killed and replaced;
- each worker's address space is capped at `limits.parse_memory_mb` (RLIMIT_AS), so a file
  that needs more fails with MemoryError in the worker instead of swapping the machine;
- a worker that dies (a segfault, `os._exit`) is replaced.
Each of these raises `UnreadableForm("timeout" | "too_much_memory" | "crashed")` for that one
file; the pool keeps serving. ProcessPoolExecutor is not used on purpose: it cannot time out
one task, and one dead worker breaks the whole executor.

`pool.read(path)` is thread-safe: each call in flight holds its own worker, and a call waits
for a free worker when all are busy.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import resource
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType
from typing import Any

from formflow.config import Settings
from formflow.errors import FormflowError, UnreadableForm
from formflow.model import CheckResult, Extraction

Work = Callable[[Path, Settings], Extraction]
MB = 1024 * 1024
START_TIMEOUT = 60.0  # seconds a new worker may take to import the readers
RECYCLE_AFTER = 500  # files per worker before it is replaced (parsers' caches, fragmentation)


def _read_form(path: Path, settings: Settings) -> Extraction:
    from formflow.read import read_form

    return read_form(path, settings)


def _worker_main(conn: Connection, settings: Settings, work: Work) -> None:
    """A worker: import the readers, cap memory, then read paths until told to stop."""
    import formflow.read.acroform
    import formflow.read.docx
    import formflow.read.pdf_fast  # noqa: F401  (imported once here, not per file)

    limit = settings.limits.parse_memory_mb * MB
    try:
        conn.send(("ready", address_space()))
    except OSError:
        return  # the daemon died while we started
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    while True:
        try:
            path = conn.recv()
        except (EOFError, OSError):
            return  # the pool is gone
        if path is None:
            return
        answer, last = _answer(work, path, settings)
        try:
            conn.send(answer)
        except OSError:  # BrokenPipeError: the daemon died (SIGKILL) while we read
            return
        if last:
            return  # a process that ran out of memory is not trusted with the next file


def _answer(work: Work, path: Path, settings: Settings) -> tuple[tuple[Any, ...], bool]:
    """The reply to send for one path, and whether this worker must stop after sending it."""
    try:
        return ("ok", work(path, settings)), False
    except UnreadableForm as error:
        return ("unreadable", error.code, error.message, error.detail), False
    except MemoryError:
        return ("memory",), True
    except Exception as error:
        return ("error", f"{type(error).__name__}: {str(error)[:200]}"), False


def address_space() -> int:
    """This process's virtual size in bytes (what RLIMIT_AS counts)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


class _Worker:
    """One worker process and its end of the pipe."""

    def __init__(self, context: Any, settings: Settings, work: Work) -> None:
        self.settings = settings
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_worker_main, args=(child, settings, work), daemon=True
        )
        self.process.start()
        child.close()
        self.ready = False
        self.reads = 0

    def wait_ready(self) -> None:
        """Wait for the worker's hello; its size must leave room under the memory limit."""
        if self.ready:
            return
        try:
            await_hello(self.conn, self.settings, "a reader worker")
        except FormflowError:
            self.kill()
            raise
        self.ready = True

    def read(self, path: Path, timeout: float) -> tuple[Any, ...]:
        """The worker's answer; ("timeout",) or ("crashed", exitcode) when it gave none."""
        self.wait_ready()
        self.reads += 1
        try:
            self.conn.send(path)
            if not self.conn.poll(timeout):
                return ("timeout",)
            answer: tuple[Any, ...] = self.conn.recv()
            return answer
        except (EOFError, OSError):
            self.process.join(1.0)
            return ("crashed", self.process.exitcode)

    def healthy(self) -> bool:
        return self.process.is_alive() and self.reads < RECYCLE_AFTER

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.send(None)
        self.process.join(2.0)
        self.kill()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5.0)
        self.conn.close()


class ReaderPool:
    """Worker processes that read forms in isolation; use as a context manager.

    `work` is what a worker runs per file (default: `read_form`); tests inject their own. It
    must be importable by name (a module-level function), since workers are fresh processes.
    """

    def __init__(self, settings: Settings, workers: int = 1, work: Work = _read_form) -> None:
        if workers < 1:
            raise ValueError("a ReaderPool needs at least one worker")
        self.settings = settings
        self.size = workers
        self.work = work
        self._context = multiprocessing.get_context("forkserver")
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._all: set[_Worker] = set()
        self._closed = True

    def __enter__(self) -> ReaderPool:
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
        """Start the workers (in parallel) and wait until each has imported the readers."""
        started = [self._spawn() for _ in range(self.size)]
        try:
            for worker in started:
                worker.wait_ready()
        except FormflowError:
            for worker in started:
                worker.kill()
            raise
        for worker in started:
            self._idle.put(worker)
        self._closed = False

    def read(self, path: Path) -> Extraction:
        """Read `path` in a worker; raises UnreadableForm for the file, never for the pool."""
        if self._closed:
            raise RuntimeError("ReaderPool is not started (use it as a context manager)")
        worker = self._idle.get()
        try:
            answer = worker.read(path, self.settings.limits.parse_timeout_seconds)
        except BaseException:
            self._replace(worker)
            raise
        if answer[0] == "ok" and worker.healthy():
            self._idle.put(worker)
        else:
            self._replace(worker)
        return _result(answer, self.settings)

    def close(self) -> None:
        """Stop every worker (idle ones politely, others by force)."""
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.stop()

    def _spawn(self) -> _Worker:
        worker = _Worker(self._context, self.settings, self.work)
        with self._lock:
            self._all.add(worker)
        return worker

    def _replace(self, worker: _Worker) -> None:
        """Kill `worker` and queue a fresh one; the next call waits for it to be ready."""
        with self._lock:
            self._all.discard(worker)
        worker.kill()
        if not self._closed:
            self._idle.put(self._spawn())


def _result(answer: tuple[Any, ...], settings: Settings) -> Extraction:
    status = answer[0]
    if status == "ok":
        extraction: Extraction = answer[1]
        return extraction
    if status == "unreadable":
        raise UnreadableForm(answer[1], answer[2], answer[3])
    from formflow.read import unreadable

    if status == "memory":
        raise unreadable("too_much_memory", f"more than {settings.limits.parse_memory_mb} MB")
    if status in ("timeout", "crashed"):
        raise worker_lost(status, answer[1] if status == "crashed" else None, settings)
    raise unreadable("crashed", f"the reader failed: {answer[1]}")


def worker_lost(status: str, exitcode: int | None, settings: Settings) -> UnreadableForm:
    """The verdict on a file whose worker gave no answer: it ran past the time limit
    ("timeout") or died reading it ("crashed", with its exit code)."""
    from formflow.read import unreadable

    if status == "timeout":
        return unreadable("timeout", f"no answer within {settings.limits.parse_timeout_seconds} s")
    return unreadable("crashed", f"the reader process died (exit code {exitcode})")


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


def read_isolated(path: Path, settings: Settings) -> Extraction:
    """Read one file in a fresh worker (one-shot; a daemon keeps a ReaderPool instead)."""
    with ReaderPool(settings, workers=1) as pool:
        return pool.read(path)


def check_files(
    paths: Sequence[Path], settings: Settings, workers: int | None = None
) -> list[CheckResult | UnreadableForm]:
    """Read each file in isolation and validate it; an unreadable file gives its error.

    Results come in the order of `paths`; up to `workers` files (default `watch.workers`)
    are read at the same time.
    """
    from formflow.checking import check_form

    if not paths:
        return []
    count = max(1, min(len(paths), workers or settings.watch.workers))

    def one(pool: ReaderPool, path: Path) -> CheckResult | UnreadableForm:
        try:
            return check_form(pool.read(path), settings)
        except UnreadableForm as error:
            return error

    with ReaderPool(settings, workers=count) as pool, ThreadPoolExecutor(count) as threads:
        return list(threads.map(lambda path: one(pool, path), paths))
