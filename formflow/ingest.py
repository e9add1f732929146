"""The ingest: one dropped file through its stages, exactly once.

    stage    takes     gives      what it does
    intake   a path    Taken      open the file safely (no links, no FIFOs, nothing outside
                                  the inbox), read its bytes whole, hash them (formflow.intake)
    known    Taken     Taken      the same bytes are archived already: the copy leaves the
                                  inbox as a duplicate (stops with an Outcome)
    read     Taken     Read       the bytes taken at intake, never the dropped name again,
                                  within the worker's time and memory limits (formflow.workers);
                                  a scan by OCR (formflow.read.ocr)
    transcription Read Read       a person's completed copy of a held scan: the scan found in
                                  the held folder, its signatures read (formflow.transcribe)
    check    Read      Checked    the rules over what was read (formflow.validate)
    decide   Checked   Decided    filed under its state, or rejected: the decision
                                  `formflow check` shows (formflow.decision); held when the
                                  archive cannot tell whose form it is
    file     Decided   Outcome    archive durably, then remove the original

Any stage may stop a file early with a typed result: an `Outcome` (nothing more to do) or a
`HandBack` (rejected or held, with the reason), which the hand-back stage carries out: the
original moves to the inbox's rejected or held folder (a real folder inside the inbox, no link
followed: `formflow.returns`) with a Danish explanation beside it, as private as the form. A
file refused at intake (a link, too big, empty) goes back the same way, and so does a file
whose worker was killed over it (`Ingestor.reject`: it ran past the time limit or crashed
the reader). A bug in a reader or a rule holds the form for a person (never the daemon's end,
never the employee's problem). The stages after intake are `Ingestor.STAGES`: a new one is
one more line there. A scan OCR could not read whole is held with a pre-filled copy beside it
(`formflow.transcribe`; the ledger keeps the copy with the decision, so a redo after a crash
writes the very copy the interrupted ingest would have).

The ledger (`formflow.ledger`) makes acting crash-safe: a decision is written before anything
moves, so an ingest interrupted at any point (kill -9, power cut) is finished by
`Ingestor.recover()` at the next start. The original leaves the inbox only after its archive
copy is durable (the archive fsyncs before it returns); a file whose decision was not yet
written is simply taken again by the next scan. Two copies of the same bytes taken at once are
handled one after the other (a lock per hash).

A full disk or a vanished share is not the dropper's fault: those errors give `retry`, the
file stays where it is and the daemon tries again later. The logs name files, hashes,
employee numbers, states and codes, never what a form says.

Reader, validator and archive are injected (see `Ingestor`); `formflow.workers` wires the
real ones.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, Literal, Protocol

from formflow.config import Settings
from formflow.decision import Decision, assigned_to, by_name, decide, held, rejected
from formflow.errors import ArchiveError, FormflowError, UnreadableForm
from formflow.inbox import notice_name, sanitize_name, shown_text
from formflow.intake import Dropped, Identity, Vanished, open_dropped, remove_original, same_file
from formflow.ledger import Entry, Ledger
from formflow.model import CheckResult, Extraction, Problem
from formflow.parserlog import reading
from formflow.returns import Folder, notice_mode, return_folder

if TYPE_CHECKING:
    from formflow.archive import FiledForm
    from formflow.archive.roster import RosterEntry

log = logging.getLogger("formflow.watch")

Action = Literal["filed", "rejected", "held", "duplicate", "vanished", "retry"]
Reader = Callable[[bytes, str], Extraction]
Validator = Callable[[Extraction, datetime], CheckResult]

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
ARCHIVE_REFUSED = (
    "Skemaet kunne ikke lægges i en personalemappe (fx fordi medarbejdernummeret ikke kan "
    "bruges). En person ser på det."
)
INTERNAL_ERROR = (
    "En teknisk fejl i formflow forhindrede behandlingen af skemaet. Skemaet er gemt her, "
    "og en person ser på det."
)
WORKER_LOST = frozenset({"crashed", "timeout"})
SCAN_MISSING = (
    "Filen er en udfyldt kopi (afskrift) af et scannet skema, men det scannede skema ligger "
    "ikke længere i mappen til afklaring eller kan ikke læses. Læg det scannede skema tilbage "
    "i mappen til afklaring, og læg kopien i indbakken igen."
)
HELD_CODES = {
    ARCHIVE_REFUSED: "archive_refused",
    INTERNAL_ERROR: "internal_error",
    SCAN_MISSING: "transcription_scan_missing",
}
# Stands for a held scan's copy's name in its note until the name is chosen (`_move`).
COPY_PLACEHOLDER = "\x00kopi\x00"


class ArchiveLike(Protocol):
    """What the ingest needs of `formflow.archive.Archive`: callable from several threads at
    once (the archive serialises its writers with its own file lock, so two workers read,
    check and fsync side by side and only the filing itself takes turns)."""

    def find_by_hash(self, sha256: str) -> FiledForm | None: ...

    def check_identity(self, number: str, name: str) -> str | None: ...

    def roster(self) -> dict[str, RosterEntry] | None: ...

    def file(
        self,
        data: bytes,
        result: CheckResult,
        *,
        state: str,
        arrived: datetime,
        source_name: str,
        transcription: tuple[str, bytes] | None = None,
    ) -> FiledForm: ...

    def audit(self, action: str, **meta: str | int | None) -> None: ...


# --- what passes between the stages -----------------------------------------------------------


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
class Assigned:
    """A person's decision on a held form: whose it is (`number`, the roster's `leader`) and
    who decided (a login, for the record's warning)."""

    number: str
    leader: str
    who: str


@dataclass(frozen=True)
class Taken:
    """A dropped file taken at intake, and our own filing of these very bytes if a crash
    interrupted one (then it is finished, not counted as a duplicate of itself). A person's
    transcription of a held scan carries that scan (`scan`): the scan is filed, as the
    original, with the transcription beside it."""

    dropped: Dropped
    name: str  # the dropped name, sanitized: safe to log
    ours: Entry | None
    assigned: Assigned | None = None  # a held form a person assigned to an employee
    scan: Dropped | None = None

    @property
    def arrived(self) -> datetime:
        """When the file was written or moved into the inbox (its ctime, not settable)."""
        return datetime.fromtimestamp(self.dropped.changed_ns / 1e9).replace(microsecond=0)


@dataclass(frozen=True)
class Read:
    taken: Taken
    extraction: Extraction


@dataclass(frozen=True)
class Checked:
    taken: Taken
    result: CheckResult


@dataclass(frozen=True)
class Decided:
    """A form to file, under `decision.state`."""

    taken: Taken
    result: CheckResult
    decision: Decision


@dataclass(frozen=True)
class HandBack:
    """An early stop: the file goes back to the rejected or held folder, with the reason."""

    taken: Taken
    decision: Decision  # rejected (its problems) or held (its reason)
    result: CheckResult | None = None  # for the field labels in the explanation


@dataclass(frozen=True)
class _Move:
    """A file going to the rejected or held folder, with its explanation's text."""

    source: Path
    relative_parent: PurePath  # a department keeps its own subfolder there
    name: str
    identity: Identity
    sha256: str
    action: Literal["rejected", "held"]
    notice: str
    codes: tuple[str, ...]
    employee: str | None = None  # lets a GDPR export find the audit entry
    form: tuple[int | None, str | None] = (None, None)  # year and kind, for `formflow status`
    copy: bytes | None = None  # a held scan's pre-filled copy, written beside it


# A stage takes what the stage before it gave; it gives the next stage's input, or stops the
# file with an Outcome or a HandBack (each stage's own signature says which).
Stage = Callable[[Any, Any], Any]


class Ingestor:
    """Takes dropped files into the archive, or returns them with a reason; thread-safe.

    `reader(data, name) -> Extraction` reads the bytes taken at intake (`name` is the dropped
    name relative to the inbox, as text, for the result only), `validator(extraction, arrived)
    -> CheckResult` checks them, `archive` files, `ledger` remembers unfinished work.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        reader: Reader,
        validator: Validator,
        archive: ArchiveLike,
        ledger: Ledger,
        clock: Callable[[], datetime] = datetime.now,
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        self.settings = settings
        self.inbox = Path(settings.inbox)
        self.reader = reader
        self.validator = validator
        self.archive = archive
        self.ledger = ledger
        self.clock = clock
        self.stopping = stopping
        self.max_bytes = int(settings.limits.max_file_mb * 1_000_000)
        self._move_lock = threading.Lock()  # destination names are chosen one at a time
        self._hash_locks: dict[str, threading.Lock] = {}
        self._hash_guard = threading.Lock()

    # -- public ----------------------------------------------------------------------------

    def ingest(self, path: Path, *, assigned: Assigned | None = None) -> Outcome:
        """Take the file at `path` through every stage; never raises for a bad file.
        `assigned`: a held form a person has decided is that employee's (`_decide`)."""
        if assigned is None:
            return self._intake(path, self._through_stages)
        return self._intake(
            path, lambda taken: self._through_stages(replace(taken, assigned=assigned))
        )

    def reject(self, path: Path, verdict: UnreadableForm) -> Outcome:
        """Hand the file at `path` back with `verdict`, unread: its worker was killed over it
        (ran past the time limit, crashed). While the daemon is being stopped a lost worker
        is no verdict on the file: it is kept for another try."""
        if verdict.code in WORKER_LOST and self.stopping():
            return self._retry(sanitize_name(path.name), "", verdict)

        def hand_back(taken: Taken) -> Outcome:
            known = self._known(taken)  # the same bytes, filed meanwhile from another copy
            if isinstance(known, Outcome):
                return known
            return self._hand_back(HandBack(taken, rejected(unreadable_problems(verdict))))

        return self._intake(path, hand_back)

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
            # an explanation whose writing was interrupted (formflow.returns' temp names;
            # rglob enters no linked folder)
            for leftover in (self.inbox / folder).rglob(".tmp-*.part"):
                leftover.unlink(missing_ok=True)
        return outcomes

    # -- intake ----------------------------------------------------------------------------

    def _intake(self, path: Path, then: Callable[[Taken], Outcome]) -> Outcome:
        """Take the file safely, then `then` under its hash's lock; the place's errors retry."""
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
                ours = self.ledger.filing_of(dropped.sha256, dropped.path, dropped.identity)
                return then(Taken(dropped, name, ours))
            except OSError as error:
                return self._retry_or_raise(name, dropped.sha256, error)
            except FormflowError as error:
                if is_transient(error):
                    return self._retry(name, dropped.sha256, error)
                raise

    def _through_stages(self, taken: Taken) -> Outcome:
        item: object = taken
        for stage in self.STAGES:
            item = stage(self, item)
            if isinstance(item, HandBack):
                return self._hand_back(item)
            if isinstance(item, Outcome):
                return item
        raise AssertionError(f"the last stage gave {type(item).__name__}, not an Outcome")

    # -- the stages ------------------------------------------------------------------------

    def _known(self, taken: Taken) -> Taken | Outcome:
        """The same bytes are archived already: the copy leaves the inbox."""
        known = self.archive.find_by_hash(taken.dropped.sha256)
        return taken if known is None else self._already_filed(taken, known)

    def _read(self, taken: Taken) -> Read | HandBack:
        """Read the bytes taken at intake: the reader never opens the dropped name."""
        dropped = taken.dropped
        try:
            with reading(taken.name):  # the PDF libraries' warnings: one line with the count
                extraction = self.reader(dropped.data, shown_text(str(dropped.relative)))
        except UnreadableForm as error:
            return HandBack(taken, rejected(unreadable_problems(error)))
        except (OSError, FormflowError):
            raise
        except Exception as error:
            return self._internal_error(taken, error)
        return Read(taken, extraction)

    def _transcription(self, read: Read) -> Read | HandBack:
        """A person's completed copy of a held scan (`formflow.transcribe`): the scan it
        names is found in the held folder and read for its signatures; what is filed is the
        scan with the copy's values. Any other file passes as it is."""
        from formflow.transcribe import transcribed, transcribed_scan

        sha256 = transcribed_scan(read.taken.dropped.data)
        if sha256 is None:
            return read
        scan = self._held_scan(sha256)
        if scan is None:
            return HandBack(read.taken, held(SCAN_MISSING), None)
        try:
            with reading(read.taken.name):
                scanned = self.reader(scan.data, shown_text(str(scan.relative)))
        except UnreadableForm:
            return HandBack(read.taken, held(SCAN_MISSING), None)
        taken = dataclasses.replace(read.taken, scan=scan)
        return Read(taken, transcribed(read.extraction, scanned))

    def _held_scan(self, sha256: str) -> Dropped | None:
        """The file in the held folder with these bytes (opened as safely as at intake; the
        explanations and copies beside the held forms are skipped)."""
        from formflow.transcribe import COPY_SUFFIX

        top = self.inbox / self.settings.watch.held_folder
        for folder, _, names in os.walk(top):  # links to folders are not followed
            for name in names:
                if name.endswith((".txt", f"{COPY_SUFFIX}.pdf")) or name.startswith("."):
                    continue
                try:
                    found = open_dropped(self.inbox, Path(folder) / name, max_bytes=self.max_bytes)
                except (Vanished, UnreadableForm, OSError):
                    continue
                if found.sha256 == sha256:
                    return found
        return None

    def _check(self, read: Read) -> Checked | HandBack:
        try:
            result = self.validator(read.extraction, read.taken.arrived)
        except (OSError, FormflowError):
            raise
        except Exception as error:
            return self._internal_error(read.taken, error)
        return Checked(read.taken, result)

    def _decide(self, checked: Checked) -> Decided | HandBack:
        """Filed, held or rejected as `formflow check` says (a form without an employee number
        settled by its name in the roster, `decision.by_name`); a form to file whose number
        and name the archive cannot confirm is held for a person to decide, and a held form a
        person assigned (`Assigned`) is filed under the number they chose."""
        if checked.taken.assigned is not None:
            return self._assigned(checked, checked.taken.assigned)
        arrived = checked.taken.arrived
        result = by_name(checked.result, self._roster_row, lambda e: self.validator(e, arrived))
        decision = decide(result)
        if decision.action != "filed":
            return HandBack(checked.taken, decision, result)
        extraction = result.extraction
        reason = self.archive.check_identity(extraction.employee_number, extraction.employee_name)
        if reason:
            return HandBack(checked.taken, decision.held(reason), result)
        return Decided(checked.taken, result, decision)

    def _assigned(self, checked: Checked, assigned: Assigned) -> Decided | HandBack:
        """A held form a person assigned to an employee: filed under that number, as
        `formflow check` decides with it, without the identity check that held it (a person
        has decided whose it is); the record's warning `number_assigned` says so."""
        arrived = checked.taken.arrived
        result = assigned_to(
            checked.result,
            assigned.number,
            assigned.leader,
            assigned.who,
            lambda e: self.validator(e, arrived),
        )
        decision = decide(result)
        if decision.action != "filed":
            return HandBack(checked.taken, decision, result)
        return Decided(checked.taken, result, decision)

    def _roster_row(self, name: str) -> tuple[str, str, str] | str:
        """A form without an employee number (seed 004): the one roster row with its name, or
        why it is held."""
        from formflow.archive.roster import roster_row  # the archive package: only if needed

        return roster_row(name, self.archive.roster())

    def _file(self, decided: Decided) -> Outcome | HandBack:
        """Archive durably, then remove the original (never the other way round)."""
        taken, dropped = decided.taken, decided.taken.dropped
        # Not synced: should a power cut lose this entry, the original is still in the inbox
        # (it leaves only after archiving) and is taken again, or, archived already, found by
        # its hash and removed as a duplicate of itself. Either way nothing is lost.
        entry = taken.ours or self.ledger.begin(
            dropped.sha256, dropped.path, dropped.identity, "filed", durable=False
        )
        try:
            filed = self._archived(decided)
        except ArchiveError as error:
            if is_transient(error):
                raise
            # The archive refuses this form (say, a number no folder can be keyed by): not
            # something to retry forever, nor the employee's to guess; a person decides.
            self.ledger.finish(entry)
            log.error("archive refused %s sha256=%s: %s", taken.name, dropped.sha256[:12], error)
            return HandBack(taken, held(ARCHIVE_REFUSED))
        if filed.duplicate and taken.ours is None:
            # The same bytes were filed meanwhile from another copy, by another worker
            # process (the hash lock serialises copies within one process only).
            self.ledger.finish(entry)
            return self._already_filed(taken, filed)
        remove_original(dropped.path, dropped.identity)
        if taken.scan is not None:
            self._take_held_scan(taken.scan)
        self.ledger.finish(entry)
        return self._filed(decided)

    def _archived(self, decided: Decided) -> FiledForm:
        """File the form; a transcription files its scan, the copy beside it."""
        taken, dropped = decided.taken, decided.taken.dropped
        original = taken.scan or dropped
        transcription = None if taken.scan is None else (taken.name, dropped.data)
        return self.archive.file(
            original.data,
            decided.result,
            state=decided.decision.state,
            arrived=taken.arrived,
            source_name=shown_text(str(original.relative)),
            # only a transcription names one (stand-in archives need not know the word)
            **({"transcription": transcription} if transcription else {}),
        )

    def _take_held_scan(self, scan: Dropped) -> None:
        """A scan filed with its transcription leaves the held folder, with the explanation
        and the copy beside it (a crash before this leaves them there: dropped again, the
        scan is a duplicate of its filing)."""
        from formflow.transcribe import copy_name

        remove_original(scan.path, scan.identity)
        for beside in (notice_name(scan.path.name), copy_name(scan.path.name)):
            with contextlib.suppress(OSError):
                (scan.path.parent / beside).unlink()

    # The stages after intake, in order (see the module's docstring).
    STAGES: tuple[Stage, ...] = (_known, _read, _transcription, _check, _decide, _file)

    # -- the stages' endings ---------------------------------------------------------------

    def _filed(self, decided: Decided) -> Outcome:
        taken, state = decided.taken, decided.decision.state
        number = decided.result.extraction.employee_number
        sha256 = taken.dropped.sha256
        role = decided.decision.awaiting
        if role:
            self.archive.audit(state, sha256=sha256, employee=number, state=state)
            log.info("filed %s sha256=%s employee=%s state=%s (awaiting the %s's signature)",
                     taken.name, sha256[:12], number, state, role)  # fmt: skip
        else:
            log.info("filed %s sha256=%s employee=%s state=%s",
                     taken.name, sha256[:12], number, state)  # fmt: skip
        codes = tuple(p.code for p in decided.result.problems)
        return Outcome("filed", taken.name, sha256, state, codes)

    def _already_filed(self, taken: Taken, known: FiledForm) -> Outcome:
        """The bytes are archived: by us before a crash (finish quietly) or earlier (duplicate)."""
        dropped = taken.dropped
        remove_original(dropped.path, dropped.identity)
        if taken.ours is not None:
            self.ledger.finish(taken.ours)
            log.info("filed %s sha256=%s (finished after a restart)", taken.name,
                     dropped.sha256[:12])  # fmt: skip
            return Outcome("filed", taken.name, dropped.sha256, known.state)
        self.archive.audit("duplicate", sha256=dropped.sha256, source=taken.name)
        log.info("duplicate %s sha256=%s: already archived, copy removed from the inbox",
                 taken.name, dropped.sha256[:12])  # fmt: skip
        return Outcome("duplicate", taken.name, dropped.sha256, known.state)

    def _internal_error(self, taken: Taken, error: Exception) -> HandBack:
        """A bug in a reader or a rule must not stop the daemon or bounce the form back to its
        employee forever: a person looks at it. Only the type is logged (a message could quote
        the form's contents); the traceback goes to debug logging."""
        log.error("internal error on %s: %s", taken.name, type(error).__name__)
        log.debug("internal error on %s", taken.name, exc_info=True)
        return HandBack(taken, held(INTERNAL_ERROR))

    # -- the hand-back stage ---------------------------------------------------------------

    def _hand_back(self, back: HandBack) -> Outcome:
        """Move the original to the rejected or held folder with its explanation beside it."""
        from formflow.notices import held_notice, rejection_notice

        dropped, name, decision = back.taken.dropped, back.taken.name, back.decision
        received = self.clock()
        copy = None
        if decision.transcribe and back.result is not None:
            text, copy = self._transcription_request(back, back.result, received)
            codes: tuple[str, ...] = ("scan_unread",)
        elif decision.action == "held":
            text = held_notice(name, decision.reason, received=received)
            codes = (HELD_CODES.get(decision.reason, "identity"),)
        else:
            labels = _labels(back.result, self.settings)
            text = rejection_notice(name, decision.problems, labels=labels, received=received)
            codes = tuple(dict.fromkeys(p.code for p in decision.problems if p.severity == "error"))
        employee = back.result.extraction.employee_number if back.result else None
        return self._move(
            _Move(dropped.path, dropped.relative.parent, name, dropped.identity, dropped.sha256,
                  "held" if decision.action == "held" else "rejected", text, codes, employee,
                  _form_of(back.result), copy)
        )  # fmt: skip

    def _transcription_request(
        self, back: HandBack, result: CheckResult, received: datetime
    ) -> tuple[str, bytes | None]:
        """The note beside a scan OCR could not read whole, and its pre-filled copy (None,
        and a note without it, should the copy fail: the scan is held all the same)."""
        from formflow.notices import transcription_notice
        from formflow.transcribe import prefilled_copy

        names = _labels(result, self.settings)
        unread = [names.get(key, key) for key in back.decision.transcribe]
        try:
            copy = prefilled_copy(result.extraction, back.taken.dropped.sha256, self.settings)
        except (FormflowError, ValueError, OSError) as error:
            log.error("no copy for %s: %s", back.taken.name, type(error).__name__)
            copy = None
        # the copy's name is known once `_move` has chosen the scan's: a placeholder till then
        shown = COPY_PLACEHOLDER if copy is not None else "(ingen kopi)"
        return transcription_notice(back.taken.name, unread, shown, received=received), copy

    def _refuse(self, path: Path, name: str, refusal: UnreadableForm) -> Outcome:
        """A file refused at intake (a link, a FIFO, too big, empty) goes back too."""
        from formflow.notices import rejection_notice

        try:
            identity = Identity.of(os.lstat(path))
        except FileNotFoundError:
            return Outcome("vanished", name)
        text = rejection_notice(
            sanitize_name(path.name), unreadable_problems(refusal), labels={}, received=self.clock()
        )
        move = _Move(path, _relative_parent(self.inbox, path), name, identity, "", "rejected",
                     text, (refusal.code,))  # fmt: skip
        try:
            return self._move(move)
        except OSError as error:
            return self._retry_or_raise(name, "", error)

    def _move(self, move: _Move) -> Outcome:
        top = self._top_folder(move.action)
        with self._move_lock, return_folder(self.inbox, top, move.relative_parent) as folder:
            name = folder.free_name(move.source.name)
            copy = self._copy_beside(folder, name, move.copy)
            notice = move.notice.replace(COPY_PLACEHOLDER, copy[0]) if copy else move.notice
            entry = self.ledger.begin(move.sha256, move.source, move.identity, move.action,
                                      str(folder.path / name), notice, copy=copy)  # fmt: skip
            try:
                self._put_back(entry, folder, name, copy)
            except OSError:
                if same_file(move.source, move.identity):  # nothing moved: retry afresh
                    for written in (notice_name(name), *(copy[:1] if copy else ())):
                        with contextlib.suppress(OSError):
                            folder.unlink(written)
                    self.ledger.finish(entry)
                raise
        self.ledger.finish(entry)
        # The employee number (when the form named one) lets a GDPR export find this entry;
        # with the form's year and kind, `formflow status` shows it as handed back.
        year, kind = move.form
        self.archive.audit(move.action, sha256=move.sha256 or None, codes=",".join(move.codes),
                           employee=move.employee or None, year=year, kind=kind)  # fmt: skip
        destination = folder.path / name
        log.info("%s %s sha256=%s codes=%s -> %s", move.action, move.name,
                 move.sha256[:12] or "-", ",".join(move.codes),
                 destination.relative_to(self.inbox))  # fmt: skip
        return Outcome(move.action, move.name, move.sha256, codes=move.codes,
                       destination=destination)  # fmt: skip

    @staticmethod
    def _copy_beside(folder: Folder, name: str, copy: bytes | None) -> tuple[str, bytes] | None:
        """A held scan's pre-filled copy, named after the scan's chosen name (a free name)."""
        if copy is None:
            return None
        from formflow.inbox import unique_name
        from formflow.transcribe import copy_name

        return unique_name(copy_name(name), os.listdir(folder.fd)), copy

    def _put_back(
        self, entry: Entry, folder: Folder, name: str, copy: tuple[str, bytes] | None = None
    ) -> None:
        """Explanation first (atomic), then the original (one rename): both or a redo. The
        explanation, and a held scan's copy (written first, whole or not at all), are as
        private as the form they go with. A redo writes the copy only where there is none: one
        there is this copy, whole, and may already be a person's work on it."""
        source = Path(entry.source)
        moved = not same_file(source, entry.identity)
        form_mode = folder.mode_of(name) if moved else _mode_of(source)
        if copy is not None and not folder.exists(copy[0]):
            folder.write(copy[0], copy[1], notice_mode(form_mode))
        folder.write(notice_name(name), entry.notice.encode("utf-8"), notice_mode(form_mode))
        if not moved:
            folder.take(source, self.inbox, name)

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
        return Outcome("filed", name, entry.sha256, known.state)

    def _recover_returned(self, entry: Entry, source: Path, name: str) -> Outcome:
        destination = Path(entry.destination)
        try:
            top, *department = destination.parent.relative_to(self.inbox).parts
        except ValueError:  # the inbox was moved meanwhile: into its own folder, by the action
            top, department = self._top_folder(entry.action), []
        with self._move_lock, return_folder(self.inbox, top, PurePath(*department)) as folder:
            there = destination.name
            if same_file(source, entry.identity) and (folder.prefix or folder.exists(there)):
                # Someone put a file at our chosen name meanwhile, or the department's
                # folder is no folder now: choose another.
                there = folder.free_name(source.name)
            # a held scan's copy under the name its explanation gives (kept in the ledger)
            self._put_back(entry, folder, there, self.ledger.copy_of(entry))
        self.ledger.finish(entry)
        log.info("%s %s sha256=%s (finished after a restart)", entry.action, name,
                 entry.sha256[:12] or "-")  # fmt: skip
        action: Action = "held" if entry.action == "held" else "rejected"
        return Outcome(action, name, entry.sha256, destination=folder.path / there)

    # -- helpers ---------------------------------------------------------------------------

    def _top_folder(self, action: str) -> str:
        watch = self.settings.watch
        return watch.held_folder if action == "held" else watch.rejected_folder

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
    logged by its type only and turned into a retry: the file stays in the inbox. Never
    raises (an Exception): the thread that called it goes on to the next file."""
    try:
        return ingest(path)
    except Exception as error:
        name = shown_name(path)
        log.error("cannot take %s: %s", name, _errno_name(error))
        return Outcome("retry", name, detail=type(error).__name__)


def shown_name(path: Path) -> str:
    """The file's name as logs show it (sanitized); a placeholder should even that fail."""
    try:
        return sanitize_name(path.name)
    except Exception:  # a bug in naming must not take the error handling down with it
        return "(navn kan ikke vises)"


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


def _form_of(result: CheckResult | None) -> tuple[int | None, str | None]:
    """The year and kind a returned form names, when it was read at all."""
    if result is None:
        return None, None
    return result.extraction.year, result.extraction.kind or None


def _mode_of(path: Path) -> int | None:
    with contextlib.suppress(OSError):
        return os.lstat(path).st_mode
    return None


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
