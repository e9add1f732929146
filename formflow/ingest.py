"""One dropped file through the stages, exactly once: intake, read, validate, decide, act.

    intake    open safely, read the bytes whole, hash them           (formflow.intake)
    duplicate the same bytes already archived: the copy leaves the inbox, logged and audited
    read      the bytes taken at intake, within time and memory limits (formflow.workers)
    validate  rules over what was read                                (formflow.validate)
    decide    filed (received / signed / awaiting a signature), rejected, or held   (pure)
    act       archive durably, then remove the original; or move it to the rejected / held
              folder with a Danish explanation beside it

The ledger (SQLite, `<archive>/.formflow/ledger.sqlite`) makes the acting crash-safe: the
decision is written before anything moves, so an ingest interrupted at any point (kill -9,
power cut) is finished by `Ingestor.recover()` at the next start. The original leaves the
inbox only after its archive copy is durable (the archive fsyncs before it returns); a file
whose decision was not yet written is simply taken again by the next scan.

A full disk or a vanished share is not the dropper's fault: those errors give `retry`, the
file stays where it is and the daemon tries again later.

Reader, validator and archive are injected (see `Ingestor`), so the stages are tested with
small fakes; `formflow.watch` wires the real ones.
"""

from __future__ import annotations

import contextlib
import copy
import errno
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath
from typing import Any, Literal, Protocol

from formflow.config import Settings
from formflow.errors import ArchiveError, FormflowError, UnreadableForm
from formflow.fsutil import flocked, make_private_dirs, write_bytes, writer_lock
from formflow.inbox import notice_name, sanitize_name
from formflow.intake import (
    Dropped,
    Identity,
    Vanished,
    choose_destination,
    move_aside,
    open_dropped,
    remove_original,
    same_file,
)
from formflow.model import CheckResult, Extraction, Problem

log = logging.getLogger("formflow.watch")

Action = Literal["filed", "rejected", "held", "duplicate", "vanished", "retry"]
Reader = Callable[[bytes, str], Extraction]
Validator = Callable[[Extraction, datetime], CheckResult]
Awaiting = Callable[[CheckResult], str | None]

# Errors of the place, not of the file: the archive disk is full, the share went away.
TRANSIENT_ERRNOS = frozenset(
    getattr(errno, name)
    for name in (
        "ENOSPC",
        "EDQUOT",
        "EIO",
        "ESTALE",
        "ENOENT",
        "EROFS",
        "ENOTCONN",
        "EHOSTDOWN",
        "EHOSTUNREACH",
        "ETIMEDOUT",
        "ENETDOWN",
        "EAGAIN",
        "EBUSY",
        "ENOMEM",
        "EMFILE",
        "ENFILE",
    )
    if hasattr(errno, name)
)
NOTICE_MODE = 0o644  # the explanation is for the employee who dropped the file
ARCHIVE_REFUSED = (
    "Skemaet kunne ikke lægges i en personalemappe (fx fordi medarbejdernummeret ikke kan "
    "bruges). En person ser på det."
)
INTERNAL_ERROR = (
    "En teknisk fejl i formflow forhindrede behandlingen af skemaet. Skemaet er gemt her, "
    "og en person ser på det."
)
WORKER_LOST = frozenset({"crashed", "timeout"})
HELD_CODES = {ARCHIVE_REFUSED: "archive_refused", INTERNAL_ERROR: "internal_error"}


class ArchiveLike(Protocol):
    """What the ingest needs of `formflow.archive.Archive`: callable from several threads at
    once (the archive serialises its writers with its own file lock, so two workers read,
    check and fsync side by side and only the filing itself takes turns)."""

    def find_by_hash(self, sha256: str) -> Any: ...

    def check_identity(self, number: str, name: str) -> str | None: ...

    def file(
        self, data: bytes, result: CheckResult, *, state: str, arrived: datetime, source_name: str
    ) -> Any: ...

    def audit(self, action: str, **meta: str | int | None) -> None: ...


@dataclass(frozen=True)
class Outcome:
    """What happened to one dropped file (for logs, tests and the daemon's bookkeeping)."""

    action: Action
    name: str  # the dropped name, sanitized: safe to log
    sha256: str = ""
    state: str = ""  # the archive state when filed
    codes: tuple[str, ...] = ()
    destination: Path | None = None
    detail: str = ""


@dataclass(frozen=True)
class Decision:
    """The verdict on a read and validated form, before anything is moved."""

    action: Literal["filed", "rejected", "held"]
    state: str = ""
    problems: tuple[Problem, ...] = ()
    reason: str = ""  # held: why a person must decide


def decide(
    result: CheckResult, awaiting_role: str | None, identity_problem: str | None
) -> Decision:
    """Filed (with its archive state), rejected (with the errors) or held (with the reason).

    An agreement that is complete except for one signature is the normal step between leader
    and employee (seed 004): filed as awaiting that signature, never rejected. A form that
    would be filed but whose employee is unknown or whose number and name disagree is held for
    a person to decide; a form with errors goes back to the employee first.
    """
    kind = result.extraction.kind
    if result.valid:
        state = "signed" if kind == "agreement" else "received"
    elif kind == "agreement" and awaiting_role in ("employee", "leader"):
        state = f"awaiting_{awaiting_role}"
    else:
        errors = tuple(p for p in result.problems if p.severity == "error")
        warnings = tuple(p for p in result.problems if p.severity != "error")
        return Decision("rejected", problems=errors + warnings)
    if identity_problem:
        return Decision("held", state=state, reason=identity_problem)
    return Decision("filed", state=state)


def unreadable_problems(error: UnreadableForm) -> tuple[Problem, ...]:
    return (Problem(None, "error", error.code, error.message),)


def is_transient(error: BaseException) -> bool:
    """A failure of the place (disk full, share gone), to retry, not the file's fault."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in TRANSIENT_ERRNOS:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


# --- the ledger -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """A decided ingest not yet finished: enough to finish it after a crash."""

    id: int
    sha256: str
    source: str  # absolute path of the dropped file (text; re-checked by identity)
    identity: Identity
    action: str  # filed / rejected / held / duplicate
    destination: str  # rejected / held: where the original goes
    notice: str  # rejected / held: the explanation's text


class Ledger:
    """Decided-but-unfinished ingests, in SQLite (WAL, synchronous=FULL: durable on commit,
    except where `begin(durable=False)` and `finish` say why a lost write does no harm)."""

    def __init__(self, path: Path) -> None:
        make_private_dirs(path.parent)
        self.path = path
        self._lock = threading.Lock()
        self._writers = writer_lock(path)  # the worker processes' turns (see `Index`)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS pending (id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL, "
            "source TEXT NOT NULL, dev INTEGER, ino INTEGER, size INTEGER, mtime_ns INTEGER, "
            "action TEXT NOT NULL, destination TEXT NOT NULL DEFAULT '', "
            "notice TEXT NOT NULL DEFAULT '', created TEXT NOT NULL)"
        )
        with contextlib.suppress(OSError):
            os.chmod(path, 0o600)

    def begin(
        self,
        sha256: str,
        source: Path,
        identity: Identity,
        action: str,
        destination: str = "",
        notice: str = "",
        *,
        durable: bool = True,
    ) -> Entry:
        """Write the decision before acting on it; `durable=False` skips the fsync where
        losing the entry is harmless (a filing: see `Ingestor._take`)."""
        with self._lock, flocked(self._writers), self._synchronous("FULL" if durable else "NORMAL"):
            cursor = self._db.execute(
                "INSERT INTO pending (sha256, source, dev, ino, size, mtime_ns, action, "
                "destination, notice, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    sha256,
                    str(source),
                    identity.dev,
                    identity.ino,
                    identity.size,
                    identity.mtime_ns,
                    action,
                    destination,
                    notice,
                    datetime.now().isoformat(timespec="seconds"),
                ),
            )
            entry_id = cursor.lastrowid
        assert entry_id is not None
        return Entry(entry_id, sha256, str(source), identity, action, destination, notice)

    def finish(self, entry: Entry) -> None:
        """Forget a finished entry. Not synced on its own: it becomes durable with the next
        durable `begin` or checkpoint (same WAL). A finish lost in a power cut is redone by
        `Ingestor.recover`, which finds the work done (the bytes archived, the original gone
        or moved) and only finishes the entry again."""
        with self._lock, flocked(self._writers), self._synchronous("NORMAL"):
            self._db.execute("DELETE FROM pending WHERE id = ?", (entry.id,))

    @contextlib.contextmanager
    def _synchronous(self, level: str) -> Iterator[None]:
        """SQLite's sync level for one statement; FULL (durable on commit) otherwise."""
        if level != "FULL":
            self._db.execute(f"PRAGMA synchronous={level}")
        try:
            yield
        finally:
            if level != "FULL":
                self._db.execute("PRAGMA synchronous=FULL")

    def pending(self) -> list[Entry]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, sha256, source, dev, ino, size, mtime_ns, action, destination, "
                "notice FROM pending ORDER BY id"
            ).fetchall()
        return [
            Entry(r[0], r[1], r[2], Identity(r[3], r[4], r[5], r[6]), r[7], r[8], r[9])
            for r in rows
        ]

    def filing_of(self, sha256: str, source: Path, identity: Identity) -> Entry | None:
        """Our own unfinished filing of exactly this file (so it is no duplicate of itself)."""
        for entry in self.pending():
            if (entry.sha256, entry.source, entry.identity) == (sha256, str(source), identity):
                return entry
        return None

    def close(self) -> None:
        with self._lock:
            self._db.close()


# --- the stages -----------------------------------------------------------------------------


class Ingestor:
    """Takes dropped files into the archive, or returns them with a reason; thread-safe.

    `reader(data, name) -> Extraction` reads the bytes taken at intake (never the dropped
    name again: it could be swapped meanwhile; `name` is the dropped name relative to the
    inbox, as text), `validator(extraction, arrived) -> CheckResult`, `awaiting(result)`
    names the one missing signature of an otherwise complete agreement, `archive` files.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        reader: Reader,
        validator: Validator,
        awaiting: Awaiting,
        archive: ArchiveLike,
        ledger: Ledger,
        clock: Callable[[], datetime] = datetime.now,
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        self.settings = settings
        self.inbox = Path(settings.inbox)
        self.reader = reader
        self.validator = validator
        self.awaiting = awaiting
        self.archive = archive
        self.ledger = ledger
        self.clock = clock
        self.stopping = stopping
        self.max_bytes = int(settings.limits.max_file_mb * 1_000_000)
        self._move_lock = threading.Lock()  # destination names are chosen one at a time
        self._hash_locks: dict[str, threading.Lock] = {}
        self._hash_guard = threading.Lock()

    # -- public ----------------------------------------------------------------------------

    def ingest(self, path: Path) -> Outcome:
        """Take the file at `path` through every stage; never raises for a bad file."""
        name = sanitize_name(path.name)
        try:
            dropped = open_dropped(self.inbox, path, max_bytes=self.max_bytes)
        except Vanished as gone:
            return Outcome("vanished", name, detail=str(gone))
        except UnreadableForm as refusal:
            return self._refuse(path, name, refusal)
        except OSError as error:
            return self._retry_or_raise(name, "", error)
        with self._hash_lock(dropped.sha256):
            try:
                return self._take(dropped, name)
            except OSError as error:
                return self._retry_or_raise(name, dropped.sha256, error)
            except FormflowError as error:
                if is_transient(error):
                    return self._retry(name, dropped.sha256, error)
                raise

    def with_reader(self, reader: Reader) -> Ingestor:
        """This ingestor with another reader (the same archive, ledger and locks): the
        daemon hands a file back with the verdict on its killed worker as the reading."""
        other = copy.copy(self)
        other.reader = reader
        return other

    def recover(self) -> list[Outcome]:
        """Finish every ingest a crash interrupted after its decision was written."""
        outcomes = []
        for entry in self.ledger.pending():
            source = Path(entry.source)
            name = sanitize_name(source.name)
            if entry.action in ("filed", "duplicate"):
                outcomes.append(self._recover_filed(entry, source, name))
            else:
                outcomes.append(self._recover_returned(entry, source, name))
        for folder in (self.settings.watch.rejected_folder, self.settings.watch.held_folder):
            # an explanation whose writing was interrupted (fsutil's temp names: ours alone)
            for leftover in (self.inbox / folder).rglob(".tmp-*.part"):
                leftover.unlink(missing_ok=True)
        return outcomes

    # -- stages ----------------------------------------------------------------------------

    def _take(self, dropped: Dropped, name: str) -> Outcome:
        ours = self.ledger.filing_of(dropped.sha256, dropped.path, dropped.identity)
        known = self.archive.find_by_hash(dropped.sha256)
        if known is not None:
            return self._finish_filed(dropped, name, ours, known)
        arrived = datetime.fromtimestamp(dropped.changed_ns / 1e9).replace(microsecond=0)
        try:
            extraction = self._read(dropped)
            result = self.validator(extraction, arrived)
            role = self.awaiting(result)
        except UnreadableForm as error:
            if error.code in WORKER_LOST and self.stopping():
                # The reader's worker died because the daemon is being stopped (systemd and
                # Ctrl-C signal the whole process group), not because of the file.
                return self._retry(name, dropped.sha256, error)
            rejected = Decision("rejected", problems=unreadable_problems(error))
            return self._return(dropped, name, rejected)
        except (OSError, FormflowError):
            raise
        except Exception as error:
            # A bug in a reader or a rule must not stop the daemon or bounce the form back to
            # its employee forever: a person looks at it. Only the type is logged (a message
            # could quote the form's contents); the traceback goes to debug logging.
            log.error("internal error on %s: %s", name, type(error).__name__)
            log.debug("internal error on %s", name, exc_info=True)
            return self._return(dropped, name, Decision("held", reason=INTERNAL_ERROR))
        provisional = decide(result, role, None)
        if provisional.action == "filed":
            reason = self.archive.check_identity(
                result.extraction.employee_number, result.extraction.employee_name
            )
            provisional = decide(result, role, reason)
        if provisional.action != "filed":
            return self._return(dropped, name, provisional, result)
        # Not synced: should a power cut lose this entry, the original is still in the inbox
        # (it leaves only after archiving) and is taken again, or, archived already, found by
        # its hash and removed as a duplicate of itself. Either way nothing is lost.
        entry = ours or self.ledger.begin(
            dropped.sha256, dropped.path, dropped.identity, "filed", durable=False
        )
        try:
            filed = self.archive.file(
                dropped.data,
                result,
                state=provisional.state,
                arrived=arrived,
                source_name=str(dropped.relative),
            )
        except ArchiveError as error:
            if is_transient(error):
                raise
            # The archive refuses this form (say, a number no folder can be keyed by): not
            # something to retry forever, nor the employee's to guess; a person decides.
            self.ledger.finish(entry)
            log.error("archive refused %s sha256=%s: %s", name, dropped.sha256[:12], error)
            return self._return(dropped, name, Decision("held", reason=ARCHIVE_REFUSED))
        if getattr(filed, "duplicate", False) and ours is None:
            # The same bytes were filed meanwhile from another copy, by another worker
            # process (the hash lock serialises copies within one process only).
            self.ledger.finish(entry)
            return self._finish_filed(dropped, name, None, filed)
        remove_original(dropped.path, dropped.identity)
        self.ledger.finish(entry)
        number = result.extraction.employee_number
        if provisional.state.startswith("awaiting_"):
            self.archive.audit(
                provisional.state,
                sha256=dropped.sha256,
                employee=number,
                state=provisional.state,
            )
            log.info(
                "filed %s sha256=%s employee=%s state=%s (awaiting the %s's signature)",
                name,
                dropped.sha256[:12],
                number,
                provisional.state,
                provisional.state.removeprefix("awaiting_"),
            )
        else:
            log.info(
                "filed %s sha256=%s employee=%s state=%s",
                name,
                dropped.sha256[:12],
                number,
                provisional.state,
            )
        codes = tuple(p.code for p in result.problems)
        return Outcome("filed", name, dropped.sha256, provisional.state, codes)

    def _read(self, dropped: Dropped) -> Extraction:
        """Read the bytes taken at intake: the reader never opens the dropped name."""
        return self.reader(dropped.data, str(dropped.relative))

    def _finish_filed(self, dropped: Dropped, name: str, ours: Any, known: Any) -> Outcome:
        """The bytes are archived: by us before a crash (finish quietly) or earlier (duplicate)."""
        remove_original(dropped.path, dropped.identity)
        if ours is not None:
            self.ledger.finish(ours)
            log.info("filed %s sha256=%s (finished after a restart)", name, dropped.sha256[:12])
            return Outcome("filed", name, dropped.sha256, _state_of(known))
        self.archive.audit("duplicate", sha256=dropped.sha256, source=name)
        log.info(
            "duplicate %s sha256=%s: already archived, copy removed from the inbox",
            name,
            dropped.sha256[:12],
        )
        return Outcome("duplicate", name, dropped.sha256, _state_of(known))

    def _return(
        self,
        dropped: Dropped,
        name: str,
        decision: Decision,
        result: CheckResult | None = None,
    ) -> Outcome:
        """Move the original to the rejected or held folder with its explanation beside it."""
        received = self.clock()
        action: Literal["rejected", "held"] = "held" if decision.action == "held" else "rejected"
        if action == "held":
            from formflow.notices import held_notice

            text = held_notice(name, decision.reason, received=received)
            codes: tuple[str, ...] = (HELD_CODES.get(decision.reason, "identity"),)
        else:
            from formflow.notices import rejection_notice

            text = rejection_notice(
                name,
                decision.problems,
                labels=_labels(result, self.settings),
                received=received,
            )
            codes = tuple(dict.fromkeys(p.code for p in decision.problems if p.severity == "error"))
        return self._move(
            dropped.path,
            dropped.relative.parent,
            name,
            dropped.identity,
            dropped.sha256,
            action,
            text,
            codes,
            employee=result.extraction.employee_number if result else None,
            form=(result.extraction.year, result.extraction.kind) if result else (None, None),
        )

    def _refuse(self, path: Path, name: str, refusal: UnreadableForm) -> Outcome:
        """A file refused before reading (a link, a FIFO, too big, empty) goes back too."""
        from formflow.notices import rejection_notice

        try:
            identity = Identity.of(os.lstat(path))
        except FileNotFoundError:
            return Outcome("vanished", name)
        text = rejection_notice(
            sanitize_name(path.name), unreadable_problems(refusal), labels={}, received=self.clock()
        )
        relative_parent = _relative_parent(self.inbox, path)
        try:
            return self._move(
                path, relative_parent, name, identity, "", "rejected", text, (refusal.code,)
            )
        except OSError as error:
            return self._retry_or_raise(name, "", error)

    def _move(
        self,
        source: Path,
        relative_parent: PurePath,
        name: str,
        identity: Identity,
        sha256: str,
        action: Literal["rejected", "held"],
        text: str,
        codes: tuple[str, ...],
        employee: str | None = None,
        form: tuple[int | None, str | None] = (None, None),
    ) -> Outcome:
        folder_name = (
            self.settings.watch.rejected_folder
            if action == "rejected"
            else self.settings.watch.held_folder
        )
        folder = self.inbox / folder_name
        for part in relative_parent.parts:  # a department keeps its own subfolder
            folder = folder / sanitize_name(part)
        with self._move_lock:
            folder.mkdir(parents=True, exist_ok=True)
            destination = choose_destination(folder, source.name)
            entry = self.ledger.begin(sha256, source, identity, action, str(destination), text)
            try:
                self._put_back(entry, source, destination)
            except OSError:
                if same_file(source, identity):  # nothing moved: the retry starts afresh
                    with contextlib.suppress(OSError):
                        destination.with_name(notice_name(destination.name)).unlink()
                    self.ledger.finish(entry)
                raise
        self.ledger.finish(entry)
        # The employee number (when the form named one) lets a GDPR export find this entry;
        # with the form's year and kind, `formflow status` shows it as handed back.
        meta = {"sha256": sha256 or None, "codes": ",".join(codes), "employee": employee or None}
        self.archive.audit(action, **meta, year=form[0], kind=form[1] or None)
        log.info(
            "%s %s sha256=%s codes=%s -> %s",
            action,
            name,
            sha256[:12] or "-",
            ",".join(codes),
            destination.relative_to(self.inbox),
        )
        return Outcome(action, name, sha256, codes=codes, destination=destination)

    def _put_back(self, entry: Entry, source: Path, destination: Path) -> None:
        """Explanation first (atomic), then the original (one rename): both or a redo."""
        write_bytes(
            destination.with_name(notice_name(destination.name)),
            entry.notice.encode("utf-8"),
            mode=NOTICE_MODE,
        )
        if same_file(source, entry.identity):
            move_aside(source, destination)

    # -- recovery --------------------------------------------------------------------------

    def _recover_filed(self, entry: Entry, source: Path, name: str) -> Outcome:
        known = self.archive.find_by_hash(entry.sha256)
        if known is None:
            # Decided but not yet archived: the original is still in the inbox (it leaves only
            # after archiving), so the next scan takes it again from the start.
            self.ledger.finish(entry)
            return Outcome("vanished", name, entry.sha256, detail="taken again by the next scan")
        remove_original(source, entry.identity)
        self.ledger.finish(entry)
        log.info("filed %s sha256=%s (finished after a restart)", name, entry.sha256[:12])
        return Outcome("filed", name, entry.sha256, _state_of(known))

    def _recover_returned(self, entry: Entry, source: Path, name: str) -> Outcome:
        destination = Path(entry.destination)
        if same_file(source, entry.identity) and os.path.lexists(destination):
            # Someone put a file at our chosen name meanwhile: choose another.
            destination = choose_destination(destination.parent, source.name)
        destination.parent.mkdir(parents=True, exist_ok=True)
        self._put_back(entry, source, destination)
        self.ledger.finish(entry)
        log.info(
            "%s %s sha256=%s (finished after a restart)",
            entry.action,
            name,
            entry.sha256[:12] or "-",
        )
        action: Action = "held" if entry.action == "held" else "rejected"
        return Outcome(action, name, entry.sha256, destination=destination)

    # -- helpers ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _hash_lock(self, sha256: str) -> Iterator[None]:
        """Two copies of the same bytes taken at once are handled one after the other."""
        with self._hash_guard:
            lock = self._hash_locks.setdefault(sha256, threading.Lock())
        with lock:
            yield
        with self._hash_guard:
            if not lock.locked():
                self._hash_locks.pop(sha256, None)

    def _retry_or_raise(self, name: str, sha256: str, error: OSError) -> Outcome:
        if is_transient(error):
            return self._retry(name, sha256, error)
        raise error

    def _retry(self, name: str, sha256: str, error: BaseException) -> Outcome:
        reason = _errno_name(error)
        log.warning("retry %s sha256=%s: %s (kept in the inbox)", name, sha256[:12] or "-", reason)
        return Outcome("retry", name, sha256, detail=reason)


def ingest_safely(ingest: Callable[[Path], Outcome], path: Path) -> Outcome:
    """`ingest(path)`, with any error that is not the file's fault (permissions, a bug)
    logged by its type only and turned into a retry: the file stays in the inbox."""
    try:
        return ingest(path)
    except Exception as error:
        log.error("cannot take %s: %s", sanitize_name(path.name), _errno_name(error))
        return Outcome("retry", sanitize_name(path.name), detail=type(error).__name__)


def _state_of(known: Any) -> str:
    return str(getattr(known, "state", ""))


def _labels(result: CheckResult | None, settings: Settings) -> dict[str, str]:
    """Danish labels of the form's fields, for the explanation (none if it is no MUS form)."""
    if result is None:
        return {}
    name = result.extraction.definition or result.extraction.kind
    if not name:
        return {}
    from formflow.forms.library import load_definition
    from formflow.notices import labels_of

    try:
        return labels_of(load_definition(name, settings))
    except FormflowError:
        return {}


def _relative_parent(inbox: Path, path: Path) -> PurePath:
    try:
        return path.parent.relative_to(inbox)
    except ValueError:
        return PurePath()


def _errno_name(error: BaseException) -> str:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno is not None:
            return errno.errorcode.get(seen.errno, str(seen.errno))
        seen = seen.__cause__ or seen.__context__
    return type(error).__name__
