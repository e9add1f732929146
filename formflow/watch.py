"""`formflow watch`: the daemon that files every form dropped into the inbox, exactly once.

The full scan is the source of truth: at start, every `watch.rescan_seconds` (native events)
or every `--polling` interval (network shares, where events never arrive). File events from
watchdog only make a scan come sooner. Files seen by a scan go into the stability tracker
(`formflow.inbox`); between scans the tracked files are looked at again every tick, and a
file that stayed unchanged for `watch.stability_seconds` and is structurally complete goes to
a daemon thread, which hands it to one of the `watch.workers` ingest processes
(`formflow.workers`: each reads, checks and files a whole form) and waits for the outcome.

Operations:
- one daemon per inbox: an fcntl lock on `<inbox>/.formflow.lock` (LockedError otherwise);
- SIGTERM / SIGINT: no new file is started, the files being processed are finished, exit 0;
- a vanished inbox (an unmounted share: ENOENT, EIO, ESTALE on the root) pauses with backoff
  and is never taken as "all files deleted"; a file whose filing failed for the place's
  sake (a full archive disk) is retried with backoff, staying in the inbox;
- `--once` processes what is there, waiting out the stability window, and exits (for cron);
- a file that stays stable but incomplete (a PDF without `%%EOF`) is given
  INCOMPLETE_GRACE stability windows more, then read anyway so it goes back with a reason;
  the wait starts again whenever the file grows (a slow upload is still being written);
- no file stops the daemon: a fault while taking one is logged and the file tried again
  later, a worker thread that dies anyway is logged and replaced, a fault in the loop is
  logged and the loop goes on.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import queue
import signal
import stat
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from types import FrameType
from typing import Any

from formflow.config import Settings, check_watch_folders
from formflow.errors import FormflowError, LockedError
from formflow.fsutil import make_private_dirs
from formflow.inbox import (
    StabilityTracker,
    is_candidate,
    is_walkable_dir,
    looks_complete,
    sanitize_name,
    shown_text,
)
from formflow.ingest import Outcome, ingest_safely
from formflow.returns import NotAFolder, make_top_folders, open_folder

log = logging.getLogger("formflow.watch")

LOCK_NAME = ".formflow.lock"
INCOMPLETE_GRACE = 10  # stability windows a stable but incomplete file waits before reading
MIN_INCOMPLETE_WAIT = 1.0
MAX_BACKOFF = 60.0
ONCE_MAX_ATTEMPTS = 4  # --once gives a file failing for the place's sake this many tries
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


class InboxUnavailable(Exception):
    """The inbox root cannot be listed (unmounted share, stale NFS handle)."""


@dataclass
class Services:
    """What the daemon runs on; `build_services` wires the real ones, tests inject fakes.

    `ingest` takes one file through every stage (thread-safe, never raising for the file);
    `recover` finishes the ingests a crash interrupted, before anything new is taken;
    `ready` waits until `ingest` can start (raising FormflowError if it never can);
    `concurrency` is how many files `ingest` takes at once (0: `watch.workers`).
    """

    ingest: Callable[[Path], Outcome]
    recover: Callable[[], list[Outcome]]
    close: Callable[[], None] = lambda: None
    concurrency: int = 0
    ready: Callable[[], None] = lambda: None


@dataclass
class _Backoff:
    attempts: int = 0
    until: float = 0.0


@dataclass
class Stats:
    """Counts per outcome, for the summary line and `--once`'s exit code."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: Outcome) -> None:
        self.counts[outcome.action] = self.counts.get(outcome.action, 0) + 1

    def summary(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items())) or "nothing"


# --- the lock -------------------------------------------------------------------------------


@contextlib.contextmanager
def inbox_lock(inbox: Path) -> Iterator[None]:
    """Hold the inbox's lock while watching; a second daemon gets LockedError at once.

    Everyone can write in the inbox: a link planted under the lock's name is never followed
    (formflow would truncate what it points at), nor is anything but a regular file used."""
    flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK
    try:
        fd = os.open(inbox / LOCK_NAME, flags, 0o600)
    except OSError as error:
        if error.errno != errno.ELOOP:
            raise
        message = f"{inbox / LOCK_NAME} is a link: remove it, then start again"
        raise FormflowError(message) from error
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise FormflowError(f"{inbox / LOCK_NAME} is not a file: remove it, then start again")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise LockedError(f"another formflow watch is already watching {inbox}") from error
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # closing releases the lock; a killed daemon's lock goes with it


# --- scanning -------------------------------------------------------------------------------


def scan(inbox: Path, own_folders: tuple[str, ...]) -> tuple[dict[str, os.stat_result], bool]:
    """Every candidate under the inbox (departments included) with its lstat; and whether
    the scan was complete (a subfolder that could not be listed makes it partial).

    Links are never followed: a symlink is reported as itself (intake refuses it), a linked
    folder is not entered; each subfolder is opened relative to its parent's descriptor
    without following links, so one swapped for a link after it was listed is not entered
    either. Raises InboxUnavailable when the root itself cannot be listed.
    """
    try:
        root = os.open(inbox, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as error:
        raise InboxUnavailable(_errno(error)) from error
    found: dict[str, os.stat_result] = {}
    try:
        stack, complete = _look_into(inbox, PurePath(), root, own_folders, found)
    except OSError as error:
        raise InboxUnavailable(_errno(error)) from error
    finally:
        os.close(root)
    while stack:
        folder = stack.pop()
        try:
            fd = open_folder(inbox, folder.parts)  # from the inbox down, following no link
        except (FileNotFoundError, NotAFolder):
            continue  # gone, or swapped for a link or a file since listed: the next scan
        except OSError as error:
            log.warning("cannot look into %s: %s", shown_text(str(folder)), _errno(error))
            complete = False
            continue
        try:
            subfolders, looked = _look_into(inbox, folder, fd, own_folders, found)
        except OSError as error:
            log.warning("cannot look into %s: %s", shown_text(str(folder)), _errno(error))
            subfolders, looked = [], False
        finally:
            os.close(fd)
        stack.extend(subfolders)
        complete &= looked
    return found, complete


def _look_into(
    inbox: Path,
    relative: PurePath,
    fd: int,
    own_folders: tuple[str, ...],
    found: dict[str, os.stat_result],
) -> tuple[list[PurePath], bool]:
    """The candidates in the open folder `fd` into `found`; its subfolders to look into, and
    False when an entry could not be looked at. Raises OSError when it cannot be listed."""
    complete = True
    subfolders = []
    for entry in list(os.scandir(fd)):
        child = relative / entry.name
        try:
            if entry.is_dir(follow_symlinks=False):
                if is_walkable_dir(entry.name, own_folders):
                    subfolders.append(child)
            elif is_candidate(child, own_folders):
                found[str(inbox / child)] = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue  # gone since listed
        except OSError as error:
            log.warning("cannot look at %s: %s", shown_text(str(child)), _errno(error))
            complete = False
    return subfolders, complete


def is_complete(path: Path, max_bytes: int) -> bool:
    """Structural completeness by the file's bytes; special files and links count as complete
    (the intake refuses them; they must not be opened here)."""
    try:
        st = os.lstat(path)
        if not os.path.isfile(path) or os.path.islink(path) or st.st_size > max_bytes:
            return True
        fd = os.open(path, _READ_FLAGS)
    except OSError:
        return True  # the intake will say what is wrong
    try:
        head = os.pread(fd, 8, 0)
        if head.startswith(b"PK"):
            return looks_complete(head, os.pread(fd, st.st_size, 0), whole=True)
        tail = os.pread(fd, 1024, max(st.st_size - 1024, 0))
        return looks_complete(head, tail, whole=False)
    except OSError:
        return True
    finally:
        os.close(fd)


# --- the daemon -----------------------------------------------------------------------------


class Watcher:
    """Scans, tracks, hands stable files to worker threads, and stops cleanly."""

    def __init__(
        self,
        settings: Settings,
        ingest: Callable[[Path], Outcome],
        *,
        polling: float | None = None,
        once: bool = False,
        stop: threading.Event | None = None,
        clock: Callable[[], float] = time.monotonic,
        threads: int = 0,
    ) -> None:
        self.settings = settings
        self.threads = threads or settings.watch.workers
        self.inbox = Path(settings.inbox)
        self.ingest = ingest
        self.polling = polling
        self.once = once
        self.stop = stop or threading.Event()
        self.clock = clock
        window = settings.watch.stability_seconds
        self.tracker = StabilityTracker(window)
        self.incomplete_wait = max(window * INCOMPLETE_GRACE, MIN_INCOMPLETE_WAIT)
        self.own_folders = (settings.watch.rejected_folder, settings.watch.held_folder)
        self.max_bytes = int(settings.limits.max_file_mb * 1_000_000)
        self.stats = Stats()
        self.gave_up: set[str] = set()
        self._lock = threading.Lock()
        self._in_flight: set[str] = set()
        self._backoff: dict[str, _Backoff] = {}
        self._incomplete_since: dict[str, float] = {}
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._wake = threading.Event()
        self._scan_soon = True
        self._unavailable: _Backoff | None = None
        self._threads: list[threading.Thread] = []
        self._holding: dict[str, str] = {}  # a worker thread's name -> the file it takes
        self._next_scan = self._next_look = 0.0

    # -- public ----------------------------------------------------------------------------

    def notify(self) -> None:
        """Something changed in the inbox (a file event): scan at the next tick."""
        self._scan_soon = True
        self._wake.set()

    def prime(self) -> None:
        """A first scan before `run`: the files found start their stability window now."""
        self._full_scan(self.clock())

    def run(self) -> int:
        """Watch until stopped (or, with `once`, until the inbox is done); the exit code."""
        make_top_folders(self.inbox, self.own_folders)
        self._threads = [self._start_thread(n) for n in range(self.threads)]
        try:
            self._loop()
        finally:
            self.stop.set()
            for _ in self._threads:
                self._queue.put(None)
            for thread in self._threads:
                thread.join()
        log.info("stopped: %s", self.stats.summary())
        if self.gave_up:
            log.warning("%d file(s) left in the inbox after repeated failures", len(self.gave_up))
            return 1
        return 0

    # -- the main loop ---------------------------------------------------------------------

    def _loop(self) -> None:
        """Look at the inbox once per tick (`_tick`) until stopped or, with `--once`, done.

        A fault in a tick (a bug: the errors of files and of the place are handled where they
        happen) is logged by its type and the loop goes on after a tick's pause: no file may
        stop the daemon.
        """
        tick = min(max(self.settings.watch.stability_seconds / 4, 0.05), 0.5)
        self._next_scan = self._next_look = self.clock()
        while not self.stop.is_set():
            try:
                if self._tick(tick):
                    return
            except Exception as error:
                log.error("fault in the daemon's loop: %s; going on", type(error).__name__)
                log.debug("fault in the daemon's loop", exc_info=True)
                self._sleep(tick)

    def _tick(self, tick: float) -> bool:
        """A full scan when one is due (the interval, or a file event), else a look at the
        tracked files only; then hand out the stable ones. True when `--once` is done.

        A worker finishing a file wakes the loop only to see whether `--once` is done: the
        looking waits for the next tick, so a backlog of thousands costs one look per tick,
        not one per filed form (our own removals and moves raise no file events either).
        `--once` scans at the start, at the rescan interval and once more before it exits
        (a file dropped meanwhile is taken too).
        """
        now = self.clock()
        if self._unavailable and now < self._unavailable.until:
            self._sleep(self._unavailable.until - now)
            return False
        self._revive()
        if now >= self._next_look or self._scan_soon:  # a file event: scan at once
            if self._scan_soon or now >= self._next_scan:
                self._scan_soon = False
                if not self._full_scan(now):
                    return False
                self._next_scan = now + (self.polling or self.settings.watch.rescan_seconds)
            else:
                self._look_again(now)
            self._dispatch(self.clock())
            self._next_look = now + tick
        if self.once and self._done():
            if not self._full_scan(self.clock()):
                return False
            if self._done():
                return True
            self._next_look = self.clock()  # new files: look at them from now on
        self._sleep(self._next_look - self.clock())
        return False

    def _full_scan(self, now: float) -> bool:
        try:
            found, complete = scan(self.inbox, self.own_folders)
        except InboxUnavailable as error:
            self._inbox_unavailable(now, str(error))
            return False
        if self._unavailable:
            log.info("inbox available again")
            self._unavailable = None
        with self._lock:
            for path, st in found.items():
                self.tracker.observe(path, st.st_size, st.st_mtime_ns, now)
            if complete:
                for gone in self.tracker.forget_missing([*found, *self._in_flight]):
                    self._backoff.pop(gone, None)
                    self._incomplete_since.pop(gone, None)
        return True

    def _look_again(self, now: float) -> None:
        """Between scans, only the tracked files are looked at (cheap on a share)."""
        with self._lock:
            tracked = [p for p in self.tracker.pending() if p not in self._in_flight]
        for path in tracked:
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                with self._lock:
                    self.tracker.forget(path)
                continue
            except OSError:
                continue  # the share hiccups: the next full scan decides
            with self._lock:
                self.tracker.observe(path, st.st_size, st.st_mtime_ns, now)

    def _dispatch(self, now: float) -> None:
        with self._lock:
            stable = [p for p in self.tracker.stable(now) if p not in self._in_flight]
        for path in stable:
            backoff = self._backoff.get(path)
            if backoff and (now < backoff.until or path in self.gave_up):
                continue
            if not is_complete(Path(path), self.max_bytes):
                if self._still_arriving(path, now):
                    continue
                log.info("reading %s although it looks incomplete", sanitize_name(Path(path).name))
            self._incomplete_since.pop(path, None)
            with self._lock:
                self._in_flight.add(path)
            self._queue.put(path)

    def _still_arriving(self, path: str, now: float) -> bool:
        """A stable but incomplete file gets `incomplete_wait` more before it is read anyway;
        the wait starts again whenever the file changed (a slow upload that pauses longer
        than the stability window between its pieces is still being written)."""
        with self._lock:
            observed = self.tracker.get(path)
        changed = observed.since if observed else now
        since = self._incomplete_since.get(path)
        if since is None or since < changed:
            since = self._incomplete_since[path] = now
        return now - since < self.incomplete_wait

    def _done(self) -> bool:
        with self._lock:
            if self._in_flight:
                return False
            waiting = [p for p in self.tracker.pending() if p not in self.gave_up]
            return not waiting and not self._in_flight

    # -- the workers -----------------------------------------------------------------------

    def _start_thread(self, number: int) -> threading.Thread:
        thread = threading.Thread(target=self._work, name=f"formflow-worker-{number}", daemon=True)
        thread.start()
        return thread

    def _work(self) -> None:
        """Take files from the queue until told to end. A fault while taking one (a bug:
        `ingest_safely` answers for every error of a file) is logged and the file kept for
        another try; the thread goes on with the next."""
        me = threading.current_thread().name
        while True:
            path = self._queue.get()
            if path is None:
                return
            with self._lock:
                self._holding[me] = path
            try:
                if self.stop.is_set():  # stopping: files not yet started stay in the inbox
                    with self._lock:
                        self._in_flight.discard(path)
                else:
                    self._take(path)
            except Exception as error:
                self._fault(path, f"fault while taking it: {type(error).__name__}")
            with self._lock:
                self._holding.pop(me, None)

    def _revive(self) -> None:
        """A worker thread that died anyway is a fault: logged, its file kept for another
        try, a new thread in its place."""
        for number, thread in enumerate(self._threads):
            if thread.is_alive():
                continue
            with self._lock:
                path = self._holding.pop(thread.name, None)
            log.error("worker thread %s died; starting a new one", thread.name)
            if path is not None:
                self._fault(path, "its worker thread died")
            self._threads[number] = self._start_thread(number)

    def _fault(self, path: str, what: str) -> None:
        log.error("%s: %s; kept for another try", sanitize_name(Path(path).name), what)
        log.debug("fault on %s", sanitize_name(Path(path).name), exc_info=True)
        with self._lock:
            self._in_flight.discard(path)
            self._retry_later(path)
        self._wake.set()

    def _take(self, path: str) -> None:
        # an error that is not the file's fault (a worker that cannot start): kept, tried later
        outcome = ingest_safely(self.ingest, Path(path))
        with self._lock:
            self.stats.add(outcome)
            self._in_flight.discard(path)
            if outcome.action == "retry":
                self._retry_later(path)
            else:
                self.tracker.forget(path)
                self._backoff.pop(path, None)
        self._wake.set()

    def _retry_later(self, path: str) -> None:
        backoff = self._backoff.setdefault(path, _Backoff())
        backoff.attempts += 1
        backoff.until = self.clock() + min(2.0 ** (backoff.attempts - 1), MAX_BACKOFF)
        if self.once and backoff.attempts >= ONCE_MAX_ATTEMPTS:
            self.gave_up.add(path)

    # -- helpers ---------------------------------------------------------------------------

    def _inbox_unavailable(self, now: float, reason: str) -> None:
        if self._unavailable is None:
            self._unavailable = _Backoff()
            log.warning("inbox %s unavailable (%s); waiting for it to come back", self.inbox,
                        reason)  # fmt: skip
        self._unavailable.attempts += 1
        delay = min(2.0 ** (self._unavailable.attempts - 1), MAX_BACKOFF)
        self._unavailable.until = now + delay
        if self.once and self._unavailable.attempts >= ONCE_MAX_ATTEMPTS:
            self.gave_up.add(str(self.inbox))
            self.stop.set()

    def _sleep(self, seconds: float) -> None:
        self._wake.wait(timeout=max(seconds, 0.0))
        self._wake.clear()


# --- wiring ---------------------------------------------------------------------------------


def build_services(settings: Settings, stop: threading.Event) -> Services:
    """The ingest workers, and the daemon's own Ingestor: it finishes interrupted ingests
    before the workers start (so it opens the archive first, rebuilding an old index once)
    and hands back a file whose worker had to be killed over it."""
    from formflow.workers import IngestPool, build_ingestor

    ingestor, close_own = build_ingestor(settings, _reads_in_workers)
    ingestor.stopping = stop.is_set
    pool = IngestPool(settings, ingestor, workers=settings.watch.workers)

    def recover() -> list[Outcome]:
        pool.launch()  # the workers start while the daemon finishes interrupted ingests
        _remove_old_staging(Path(settings.archive) / ".formflow" / "staging")
        return ingestor.recover()

    def close() -> None:
        pool.close()
        close_own()

    return Services(pool.ingest, recover, close, pool.concurrency, pool.wait_ready)


def _remove_old_staging(folder: Path) -> None:
    """Earlier versions read each form from a private copy in this folder; one that a crash
    left behind is a copy of someone's form, and nothing reads it any more."""
    if folder.is_dir() and not folder.is_symlink():
        for leftover in folder.iterdir():
            leftover.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            folder.rmdir()


def _reads_in_workers(data: bytes, name: str) -> Any:
    """The daemon's own Ingestor never reads: untrusted files are read in the workers."""
    raise RuntimeError("the daemon reads no file itself")


def run_watch(
    settings: Settings,
    *,
    polling: float | None = None,
    once: bool = False,
    stop: threading.Event | None = None,
    services: Callable[[Settings, threading.Event], Services] = build_services,
) -> int:
    """Watch `settings.inbox` and file into `settings.archive`; returns the exit code."""
    check_watch_folders(settings)  # FolderError before anything is created or moved
    stop = stop or threading.Event()
    inbox = Path(settings.inbox)
    inbox.mkdir(parents=True, exist_ok=True)
    make_private_dirs(Path(settings.archive))
    with inbox_lock(inbox), _signals(stop):
        wired = services(settings, stop)
        try:
            recovered = wired.recover()
            if recovered:
                log.info("finished %d interrupted ingest(s) after a restart", len(recovered))
            watcher = Watcher(
                settings,
                wired.ingest,
                polling=polling,
                once=once,
                stop=stop,
                threads=wired.concurrency,
            )
            mode = "once" if once else f"polling every {polling:g}s" if polling else "file events"
            log.info(
                "watching %s (%s, full rescan every %gs, %d worker(s))",
                inbox,
                mode,
                polling or settings.watch.rescan_seconds,
                settings.watch.workers,
            )
            watcher.prime()  # the first files' stability window runs while the workers start
            wired.ready()
            from formflow.mail.daily import daily_mail  # the round's mail, once a day

            with (
                _observer(inbox, watcher, polling is not None or once),
                daily_mail(settings, stop, once=once),
            ):
                return watcher.run()
        finally:
            wired.close()


@contextlib.contextmanager
def _signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT finish the files in progress and exit (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        log.info("%s: finishing the files in progress, then stopping", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextlib.contextmanager
def _observer(inbox: Path, watcher: Watcher, disabled: bool) -> Iterator[None]:
    """Native file events make scans come sooner; without them (a share) scans still run."""
    if disabled:
        yield
        return
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers import Observer

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            if _may_bring_a_file(event, inbox, watcher.own_folders):
                watcher.notify()

    observer: Any = Observer()
    try:
        observer.schedule(Handler(), str(inbox), recursive=True)
        observer.start()
    except OSError as error:  # inotify watch limit, a file system without events
        log.warning("no file events (%s); relying on scans", _errno(error))
        yield
        return
    try:
        yield
    finally:
        observer.stop()
        observer.join(timeout=5)


def _may_bring_a_file(event: Any, inbox: Path, own_folders: tuple[str, ...]) -> bool:
    """Whether a file event can mean a new or changed file to take (then scan soon).

    Not: reads, a removal (the next look notices a tracked file is gone), a folder's own
    change (its entries' events come too), and anything that ends in the rejected or held
    folders (our own moves and explanations: with a backlog, each filing would otherwise
    cost a full scan).
    """
    kind = event.event_type
    if kind in ("opened", "closed_no_write", "deleted"):
        return False
    if event.is_directory and kind == "modified":
        return False
    target = event.dest_path if kind == "moved" else event.src_path
    target = os.fsdecode(target)
    try:
        relative = PurePath(target).relative_to(inbox)
    except ValueError:
        return True
    own = {folder.casefold() for folder in own_folders}
    return not any(part.casefold() in own for part in relative.parts[:-1])


def _errno(error: BaseException) -> str:
    if isinstance(error, OSError) and error.errno is not None:
        return errno.errorcode.get(error.errno, str(error.errno))
    return type(error).__name__
