"""The archive: personnel folders on disk, the index beside them, the audit log over both.

```
archive/
  LÆSMIG.txt                           what a person browsing finds here (Danish)
  personale/1042 Birthe Mølgaard/2026/ aftaleskema-2026-v1.pdf + aftaleskema-2026-v1.json
  index.sqlite                         rebuildable cache for queries (`reindex`)
  audit.log                            append-only, hash-chained
  .formflow/                           the write lock; originals of interrupted filings
```

Filing writes the original and its record (a record beside its original means "filed"),
made durable together by one fsync of their folder, then the audit entry, then the index
row; each file atomically and never over an existing one. A crash between two steps is
completed by the next filing of the same bytes or by `reindex`. Several daemon threads or
processes may file at once: a filing takes an exclusive lock on its employee's lock file
(`.formflow/locks/`, one of 256 by the number's hash), so two forms of one employee take
turns over names and versions while other employees' forms are filed side by side (the same
bytes always name the same employee, so they meet on the same lock).

A filing holds that lock only while it decides names and versions and writes the record and
the audit entry (the audit log serialises its appends itself): its original's bytes are
written and fsynced by a helper thread meanwhile (`_Staging`), and its index row is added
afterwards. Originals and records are written under `.formflow/incoming/`, fsynced, and only
then hard-linked into the year folder (then the folder is fsynced, with any folder just
made), so a crash never leaves a temporary or partial file among the personnel files; the
next open clears `incoming`. Throughout, it holds `.formflow/filing.lock` shared; whatever
must see no filing half-way (reindex, verify, an index rebuild) takes that one exclusively.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import logging
import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from formflow.archive.audit import AuditLog
from formflow.archive.folders import FolderMap
from formflow.archive.identity import (
    RosterEntry,
    default_matcher,
    identity_reason,
    parse_roster,
)
from formflow.archive.index import EmployeeRow, Index, return_of
from formflow.archive.records import (
    PEOPLE_FOLDER,
    STATES,
    FormRow,
    build_record,
    decode_record,
    encode_record,
    file_format,
    file_stem,
    folder_name,
    parse_file_name,
    parse_folder_name,
    row_from_record,
    valid_number,
)
from formflow.config import Settings
from formflow.errors import ArchiveError, SettingsError
from formflow.fsutil import flocked, fsync_dir, make_private_dirs, sync_created, write_bytes
from formflow.model import CheckResult

log = logging.getLogger(__name__)

WORK_FOLDER = ".formflow"
INCOMING_FOLDER = "incoming"  # originals written ahead of the write lock (see `_stage`)
FILING_LOCK = "filing.lock"
LOCKS_FOLDER = "locks"  # the employees' write locks (see `_writing`)
INTERRUPTED_FOLDER = "afbrudte-arkiveringer"
TEMP_PREFIX = ".tmp-"
README_NAME = "LÆSMIG.txt"
README_TEXT = """\
Personalemapper fra medarbejderudviklingssamtaler (MUS)

Mappen er fortrolig. Den vedligeholdes af formflow.

personale/<nummer> <navn>/<år>/   én mappe pr. medarbejder og pr. MUS-år
  forberedelsesskema-<år>-v<n>.*    forberedelsesskemaet, præcis som det blev afleveret
  aftaleskema-<år>-v<n>.*           udviklings- og aftaleskemaet, præcis som det blev afleveret
  *.json                            hvad formflow læste i skemaet, og hvornår det kom ind
  En rettet udgave bliver en ny version (v2, v3 …); intet bliver overskrevet.

audit.log      logbog over hvad der er arkiveret, afvist, set og udleveret (uden skemaernes indhold)
index.sqlite   søgeindeks; kan altid genskabes med `formflow archive reindex`
"""


def _now() -> datetime:
    return datetime.now().astimezone()


@dataclass(frozen=True)
class FiledForm:
    """A form in the personnel file: where it lies and under which version and state.

    `duplicate` is True when the same bytes were already filed (nothing new was written).
    """

    employee: str
    name: str
    year: int
    kind: str
    version: int
    state: str
    sha256: str
    original: Path
    record: Path
    duplicate: bool = False


@dataclass(frozen=True)
class _YearFolder:
    """What one year folder holds for one kind: records and originals by version."""

    records: dict[int, Path]
    originals: dict[int, Path]

    @property
    def strays(self) -> dict[int, Path]:
        """Originals without a record: a filing interrupted after its first write."""
        return {v: p for v, p in self.originals.items() if v not in self.records}


class Archive:
    """The personnel file under `root` (settings.archive)."""

    def __init__(
        self,
        root: Path,
        settings: Settings | None = None,
        *,
        clock: Callable[[], datetime] = _now,
        same_person: Callable[[str, str], bool] | None = None,
    ) -> None:
        self.root = root
        self.settings = settings or Settings()
        self.clock = clock
        self.same_person = same_person or default_matcher()
        self.people = root / PEOPLE_FOLDER
        self._folders = FolderMap(self.people)
        self.work = root / WORK_FOLDER
        self.index = Index(root / "index.sqlite")
        self.audit_log = AuditLog(root / "audit.log", clock)
        self._roster_cache: tuple[tuple[int, int], dict[str, RosterEntry]] | None = None
        self._locks_made = False  # see `_make_locks`
        try:
            make_private_dirs(self.people)
            make_private_dirs(self.work)
            make_private_dirs(self.work / LOCKS_FOLDER)
            if not (root / README_NAME).exists():
                _write_new(root / README_NAME, README_TEXT.encode("utf-8"))
        except OSError as error:
            raise ArchiveError(f"cannot prepare the archive at {root}: {error}") from error
        if not self.index.is_current():
            with self._locked():
                self._rebuild_index()
        self._clear_incoming(wait=False)

    @classmethod
    def open(cls, settings: Settings) -> Archive:
        return cls(settings.archive, settings)

    # --- queries --------------------------------------------------------------------------

    def find_by_hash(self, sha256: str) -> FiledForm | None:
        """The filed form with exactly these bytes, if any."""
        row = self.index.find_by_hash(sha256)
        if row is None or not (self.root / row.record).is_file():
            return None
        return self._filed_from_row(row, duplicate=True)

    def forms(
        self,
        *,
        year: int | None = None,
        employee: str | None = None,
        kind: str | None = None,
        latest_only: bool = True,
    ) -> list[FormRow]:
        """Filed forms; with `latest_only` one per (employee, year, kind): the one that counts
        (the highest version, a form from the employee before one formflow generated)."""
        return self.index.forms(year=year, employee=employee, kind=kind, latest_only=latest_only)

    def employees(self) -> list[EmployeeRow]:
        return self.index.employees()

    def find_employee(self, query: str) -> EmployeeRow:
        """The employee with this number, else the only one with this name."""
        people = self.employees()
        query = query.strip()
        for person in people:
            if person.number == query:
                return person
        matches = [p for p in people if self.same_person(query, p.name)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            numbers = ", ".join(p.number for p in matches)
            raise ArchiveError(f"several employees match that name (numbers {numbers})")
        raise ArchiveError("no employee with that number or name in the archive")

    def personnel_file(self, query: str) -> tuple[EmployeeRow, list[FormRow]]:
        """Every version of every form of one employee (audited as viewed)."""
        person = self.find_employee(query)
        rows = self.forms(employee=person.number, latest_only=False)
        self.audit("viewed", employee=person.number, forms=len(rows))
        return person, rows

    # --- identity -------------------------------------------------------------------------

    def roster(self) -> dict[str, RosterEntry] | None:
        """The roster's entries, None without a roster file (re-read when the file changes)."""
        path = self.settings.roster
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise SettingsError(f"roster {path}: {error}") from error
        key = (stat.st_mtime_ns, stat.st_size)
        if self._roster_cache and self._roster_cache[0] == key:
            return self._roster_cache[1]
        try:
            entries = parse_roster(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise SettingsError(f"roster {path}: {error}") from error
        self._roster_cache = (key, entries)
        return entries

    def check_identity(self, number: str, name: str) -> str | None:
        """A Danish reason to hold a form for (number, name), or None to file it."""
        number = number.strip()
        roster = self.roster()
        known: list[str] | None = None
        if roster is None and valid_number(number):  # a roster decides alone
            folder = self._find_folder(number)
            if folder is not None:
                parsed = parse_folder_name(folder.name)
                known = [parsed[1]] if parsed else []
                known += self.index.names_of(number)
        return identity_reason(
            number, name, roster=roster, known_names=known, same_person=self.same_person
        )

    # --- filing ---------------------------------------------------------------------------

    def file(
        self,
        data: bytes,
        result: CheckResult,
        *,
        state: str,
        arrived: datetime,
        source_name: str,
    ) -> FiledForm:
        """File a read and checked form; the same bytes twice give the first filing back."""
        extraction = result.extraction
        kind, year = extraction.kind, extraction.year
        if kind not in STATES or year is None:
            raise ArchiveError("cannot file a form whose kind and year are unknown")
        return self._file(
            data,
            result,
            employee=extraction.employee_number,
            name=extraction.employee_name,
            kind=kind,
            year=year,
            state=state,
            fmt=file_format(result, data),
            arrived=arrived,
            source_name=source_name,
        )

    def record_generated(
        self, data: bytes, *, employee: str, name: str, year: int, kind: str, fmt: str
    ) -> FiledForm:
        """Keep a form formflow made for the employee (carry-over) in their personnel folder."""
        return self._file(
            data,
            None,
            employee=employee.strip(),
            name=name.strip(),
            kind=kind,
            year=year,
            state="generated",
            fmt=fmt,
            arrived=None,
            source_name="",
        )

    def _file(
        self,
        data: bytes,
        result: CheckResult | None,
        *,
        employee: str,
        name: str,
        kind: str,
        year: int,
        state: str,
        fmt: str,
        arrived: datetime | None,
        source_name: str,
    ) -> FiledForm:
        if not valid_number(employee):
            raise ArchiveError("cannot file a form without a usable employee number")
        if kind not in STATES or state not in STATES[kind]:
            raise ValueError(f"state {state!r} is not valid for a {kind!r} form")
        sha256 = hashlib.sha256(data).hexdigest()
        try:
            with self._filing():
                staged = _Staging(self, data)
                try:
                    row = self._file_locked(
                        data, staged, result, sha256, employee, name, kind, year, state, fmt,
                        arrived, source_name,
                    )  # fmt: skip
                finally:
                    staged.discard()
                if isinstance(row, FiledForm):
                    return row
                rebuild = not self._index_add_after(row)
            if rebuild:  # the index disagreed with the files: the files win
                with self._locked():
                    self._rebuild_index()
            return self._filed_from_row(row, duplicate=False)
        except OSError as error:
            raise ArchiveError(f"cannot write to the archive: {error}") from error

    def _file_locked(
        self,
        data: bytes,
        staged: _Staging,
        result: CheckResult | None,
        sha256: str,
        employee: str,
        name: str,
        kind: str,
        year: int,
        state: str,
        fmt: str,
        arrived: datetime | None,
        source_name: str,
    ) -> FiledForm | FormRow:
        """The steps under the write lock: the known filing of these bytes (a FiledForm), or
        the row of the new one, whose original, record and audit entry are durable."""
        with self._writing(employee):
            known = self.find_by_hash(sha256)
            if known is not None:
                return known
            found_folder = self._find_folder(employee)
            folder = found_folder or self.people / folder_name(employee, name)
            year_dir = folder / str(year)
            # one listing serves the recovery and the versions; a year folder not made yet
            # holds neither (the employee's lock keeps other filings out of it)
            names = _listing(year_dir)
            if names is not None:
                # the index may lag the files after a crash: the year folder is the truth
                found = self._recover_in(year_dir, names, sha256)
                if found is not None:
                    return found
            contents = _scan_year(year_dir, names or [], kind)
            version = next(
                (v for v, p in contents.strays.items() if _sha256_file(p) == sha256),
                max([*contents.records, *contents.originals, 0]) + 1,
            )
            stem = file_stem(kind, year, version)
            original = year_dir / f"{stem}.{fmt}"
            record = build_record(
                result,
                employee=employee,
                name=name,
                kind=kind,
                year=year,
                version=version,
                state=state,
                fmt=fmt,
                sha256=sha256,
                size=len(data),
                source_name=source_name,
                arrived=arrived,
                filed=self.clock(),
            )
            encoded = encode_record(record)
            # staged beside the original's copy, not in the year folder: a crash leaves no
            # temporary file among the personnel files (the next open clears `incoming`);
            # a helper writes and fsyncs it while the folders are made (each mkdir costs
            # this disk ~0.2 ms) and the original's fsync may still be running (`_Staging`)
            staged.write_record(encoded)
            # not synced yet: the fsync of the year folder below commits these names too
            created = make_private_dirs(year_dir, sync=False)
            if found_folder is None:
                self._folders.created(folder)
            staged_record = staged.record()
            try:
                if version not in contents.originals:
                    # both copies are durable before either gets its name
                    _link_new(staged.path(), original, data, sync=False)
                _link_new(staged_record, year_dir / f"{stem}.json", encoded, sync=False)
            finally:
                staged_record.unlink(missing_ok=True)
            # One fsync makes both names durable before the audit entry says "filed" (and the
            # names of folders just made: the same commit, so their own fsyncs find little
            # left to do). A crash before it may keep the record without its original:
            # `_recover_in` and `reindex` set such a record aside (the inbox still holds the
            # form, which is filed again).
            fsync_dir(year_dir)
            sync_created(created)
            row = row_from_record(record, self._relative(year_dir))
            self._audit_filed(row, encoded)
            # debug: the daemon logs the outcome of each file once, at info
            log.debug(
                "filed %s %s v%d for employee %s as %s (sha256 %s)",
                kind, year, version, employee, state, sha256[:12],
            )  # fmt: skip
            return row

    def _recover_in(self, year_dir: Path, names: list[str], sha256: str) -> FiledForm | None:
        """A record for these bytes that the index missed (a crash after its write): index
        it, audit it if that step was lost too, and return it. `names` is the year folder's
        listing; a record set aside is taken out of it (its version is free again)."""
        for file_name in sorted(n for n in names if n.endswith(".json")):
            path = year_dir / file_name
            data = _read_bytes(path)
            # (a record names its original's sha256 in plain text: most are never decoded)
            if sha256.encode() not in data:
                continue
            record = _decoded(data)
            if record is None or record["sha256"] != sha256:
                continue
            row = row_from_record(record, self._relative(year_dir))
            original = self.root / row.original
            if not original.is_file() or _sha256_file(original) != sha256:
                # a crash kept the record but not its original: that filing never finished
                self._set_aside(path, year_dir.parent)
                names.remove(file_name)
                continue
            if not self._has_filed_entry(row):
                self._audit_filed(row, data, recovered=True)
            self._index_add(row)
            return self._filed_from_row(row, duplicate=True)
        return None

    # --- audit ----------------------------------------------------------------------------

    def audit(self, action: str, **meta: Any) -> None:
        """Append to the audit log: hashes, numbers, states, codes; never form contents."""
        try:
            self.audit_log.append(action, **meta)
        except OSError as error:
            raise ArchiveError(f"cannot write the audit log: {error}") from error
        self.index.add_returned(action, meta)  # a form handed back shows in `formflow status`

    def _audit_filed(self, row: FormRow, record_bytes: bytes, *, recovered: bool = False) -> None:
        meta: dict[str, Any] = {
            "employee": row.employee,
            "year": row.year,
            "kind": row.kind,
            "version": row.version,
            "state": row.state,
            "sha256": row.sha256,
            "record_sha256": hashlib.sha256(record_bytes).hexdigest(),
            "problems": list(row.problem_codes),
        }
        if recovered:
            meta["recovered"] = True
        self.audit("generated" if row.state == "generated" else "filed", **meta)

    def _filed_entries(self) -> dict[tuple[str, int, str, int], dict[str, Any]]:
        """The latest filing entry of each (employee, year, kind, version) in the audit log."""
        return {
            (e.get("employee"), e.get("year"), e.get("kind"), e.get("version")): e  # type: ignore[misc]
            for e in self.audit_log.entries()
            if e.get("action") in ("filed", "generated")
        }

    def _has_filed_entry(self, row: FormRow) -> bool:
        return (row.employee, row.year, row.kind, row.version) in self._filed_entries()

    # --- maintenance ----------------------------------------------------------------------

    def reindex(self) -> int:
        """Rebuild the index from the records; complete or clear interrupted filings.

        Originals without a record, and records without an original, are moved to
        `.formflow/afbrudte-arkiveringer/` (their filing never finished, so the inbox still
        holds them and will file them again);
        leftover temporary files of interrupted writes are removed; records whose audit entry
        was lost get one marked `recovered`. Returns the number of forms indexed.
        """
        try:
            with self._locked():
                self._remove_incoming()
                moved = self._clear_interrupted()
                count, rows = self._rebuild_index()
                entries = self._filed_entries()
                recovered = 0
                for row in rows:
                    if (row.employee, row.year, row.kind, row.version) not in entries:
                        self._audit_filed(
                            row, (self.root / row.record).read_bytes(), recovered=True
                        )
                        recovered += 1
                self.audit("reindexed", forms=count, interrupted=moved, recovered=recovered)
        except OSError as error:
            raise ArchiveError(f"cannot reindex the archive: {error}") from error
        return count

    def verify(self) -> list[str]:
        """Every inconsistency found, in English (empty when all is well); audited.

        Holds the write lock, so a filing in progress is never mistaken for an interrupted one.
        """
        with self._locked():
            problems = self._inconsistencies()
        self.audit("verified", problems=len(problems))
        return problems

    def _inconsistencies(self) -> list[str]:
        problems = list(self.audit_log.verify())
        entries = self._filed_entries()
        rows: list[FormRow] = []
        numbers: dict[str, str] = {}
        for folder in self._people_folders():
            parsed = parse_folder_name(folder.name)
            if parsed is None:
                problems.append(f"{self._relative(folder)}: not a personnel folder name")
                continue
            if parsed[0] in numbers:
                problems.append(
                    f"{self._relative(folder)}: employee number {parsed[0]} also has "
                    f"{numbers[parsed[0]]}"
                )
            numbers[parsed[0]] = self._relative(folder)
            for year_dir, path in _year_files(folder):
                rel = self._relative(path)
                if path.name.startswith(TEMP_PREFIX):
                    problems.append(f"{rel}: left over from an interrupted write (run reindex)")
                    continue
                name = parse_file_name(path.name)
                if name is None or str(name.year) != year_dir.name:
                    problems.append(f"{rel}: a file formflow did not make")
                    continue
                if name.ext != "json":
                    if not path.with_suffix(".json").exists():
                        problems.append(f"{rel}: original without a record (run reindex)")
                    continue
                record = _read_record(path)
                if record is None:
                    problems.append(f"{rel}: not a readable record")
                    continue
                row = row_from_record(record, self._relative(year_dir))
                rows.append(row)
                problems += self._verify_record(row, path, entries)
        return problems + self._verify_index(rows)

    def _verify_record(
        self, row: FormRow, path: Path, entries: dict[tuple[str, int, str, int], dict[str, Any]]
    ) -> list[str]:
        rel = self._relative(path)
        original = self.root / row.original
        if not original.is_file():
            return [f"{rel}: its original {original.name} is missing"]
        found: list[str] = []
        if _sha256_file(original) != row.sha256:
            found.append(f"{row.original}: content differs from its recorded sha256")
        entry = entries.get((row.employee, row.year, row.kind, row.version))
        if entry is None:
            found.append(f"{rel}: no filing entry in the audit log (run reindex)")
        elif entry.get("record_sha256") != hashlib.sha256(path.read_bytes()).hexdigest():
            found.append(f"{rel}: record changed after filing")
        return found

    def _verify_index(self, rows: list[FormRow]) -> list[str]:
        try:
            indexed = self.index.forms(latest_only=False)
        except sqlite3.Error as error:
            return [f"index.sqlite: unreadable ({error}); run reindex"]
        if sorted(indexed, key=_row_key) != sorted(rows, key=_row_key):
            return ["index.sqlite: out of date with the records (run reindex)"]
        return []

    def _clear_interrupted(self) -> int:
        moved = 0
        for folder in self._people_folders():
            for _, path in _year_files(folder):
                if path.name.startswith(TEMP_PREFIX):
                    path.unlink()  # a partial write, never under a final name
                    continue
                name = parse_file_name(path.name)
                if name is None:
                    continue
                if name.ext == "json" and not _has_original(path):
                    self._set_aside(path, folder)  # its filing never finished: no original
                    moved += 1
                elif name.ext != "json" and not path.with_suffix(".json").exists():
                    self._set_aside(path, folder)
                    moved += 1
        return moved

    def _set_aside(self, path: Path, folder: Path) -> None:
        target_dir = self.work / INTERRUPTED_FOLDER
        make_private_dirs(target_dir)
        parsed = parse_folder_name(folder.name)
        base = f"{parsed[0] if parsed else 'ukendt'}-{path.name}"
        target = target_dir / base
        counter = 1
        while target.exists():
            counter += 1
            target = target_dir / f"{counter}-{base}"
        os.rename(path, target)
        log.warning("set aside a file of an interrupted filing: %s", target.name)

    def _rebuild_index(self) -> tuple[int, list[FormRow]]:
        rows: list[FormRow] = []
        folders: dict[str, str] = {}
        for folder in self._people_folders():
            parsed = parse_folder_name(folder.name)
            if parsed is None:
                continue
            folders.setdefault(parsed[0], self._relative(folder))
            for year_dir, path in _year_files(folder):
                name = parse_file_name(path.name)
                if name is None or name.ext != "json" or str(name.year) != year_dir.name:
                    continue
                record = _read_record(path)
                if record is None:
                    log.warning("skipped an unreadable record: %s", self._relative(path))
                    continue
                rows.append(row_from_record(record, self._relative(year_dir)))
        # the same key twice means files were copied by hand; verify reports it, index one
        unique = {_row_key(r): r for r in rows}
        returned = (r for e in self.audit_log.entries() if (r := return_of(e.get("action", ""), e)))
        count = self.index.rebuild(unique.values(), folders, returned)
        return count, list(unique.values())

    def _index_add_after(self, row: FormRow) -> bool:
        """Index a new filing after the write lock is released; False when the index must be
        rebuilt. The row may be there already: a filing of the same bytes in another process
        found the record first (`_recover_in`) and indexed it."""
        folder = row.original.rsplit("/", 2)[0]
        try:
            self.index.add(row, folder)
        except sqlite3.IntegrityError:
            there = self.index.forms(
                employee=row.employee, year=row.year, kind=row.kind, latest_only=False
            )
            return row in there
        return True

    def _index_add(self, row: FormRow) -> None:
        folder = row.original.rsplit("/", 2)[0]
        try:
            self.index.add(row, folder)
        except sqlite3.IntegrityError:
            self._rebuild_index()  # the index disagreed with the files: the files win

    # --- export ---------------------------------------------------------------------------

    def export(self, employee: str, out: Path) -> Path:
        """A zip of everything held on one employee (GDPR access request); audited."""
        from formflow.archive.export import write_export

        person = self.find_employee(employee)
        folder = self.root / person.folder
        files = [(path, path.relative_to(self.people)) for _, path in _year_files(folder)]
        files = [(p, r) for p, r in files if not p.name.startswith(TEMP_PREFIX)]
        hashes = {r.sha256 for r in self.forms(employee=person.number, latest_only=False)}
        entries = [
            e
            for e in self.audit_log.entries()
            if e.get("employee") == person.number or e.get("sha256") in hashes
        ]
        try:
            digest, count = write_export(out, person, files, entries, self.clock())
        except FileExistsError as error:
            raise ArchiveError(f"{out} exists already; choose another file name") from error
        except OSError as error:
            raise ArchiveError(f"cannot write {out}: {error}") from error
        self.audit("exported", employee=person.number, files=count, sha256=digest)
        return out

    # --- helpers --------------------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """No filing anywhere, and none half-way (reindex, verify, rebuilding the index)."""
        with flocked(self.work / FILING_LOCK, fcntl.LOCK_EX):
            yield

    @contextmanager
    def _filing(self) -> Iterator[None]:
        """One filing in progress (shared: filings go side by side outside `_writing`)."""
        with flocked(self.work / FILING_LOCK, fcntl.LOCK_SH):
            yield

    @contextmanager
    def _writing(self, employee: str) -> Iterator[None]:
        """The employee's write lock: their names, versions, record and audit entry, one
        filing at a time (a lock per hash bucket: a bounded number of lock files)."""
        if not self._locks_made:
            self._make_locks()
        locks = self.work / LOCKS_FOLDER
        bucket = hashlib.sha256(employee.encode("utf-8")).hexdigest()[:2]
        with flocked(locks / f"employee-{bucket}.lock", fcntl.LOCK_EX):
            yield

    def _make_locks(self) -> None:
        """Make every employee lock file once, at this archive's first filing: creating a file
        costs this disk ~0.2-0.3 ms, which the first filing into each of the 256 buckets paid
        (most filings of a first MUS round). One listing per process finds them made."""
        locks = self.work / LOCKS_FOLDER
        made = set(os.listdir(locks))
        for bucket in range(256):
            name = f"employee-{bucket:02x}.lock"
            if name not in made:
                os.close(os.open(locks / name, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600))
        self._locks_made = True

    def _stage(self, data: bytes) -> Path:
        """`data` in a new fsynced file under `.formflow/incoming/`, to be linked into place.

        The original's bytes are staged before its name is decided, the record's under the
        write lock; both under `_filing`, so no cleanup removes them meanwhile."""
        fd, staged = self._new_staged()
        try:
            _write_durably(fd, data)
        except BaseException:
            staged.unlink(missing_ok=True)
            raise
        return staged

    def _new_staged(self) -> tuple[int, Path]:
        """A new empty file under `.formflow/incoming/`, open for writing (O_EXCL, 0600)."""
        incoming = self.work / INCOMING_FOLDER
        make_private_dirs(incoming)
        fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".part", dir=incoming)
        return fd, Path(name)

    def _clear_incoming(self, *, wait: bool) -> None:
        """Remove staged originals a crash left behind (their filing never finished; the inbox
        still holds the form). Only when no filing is in progress: without `wait`, skipped
        if one is."""
        if not (self.work / INCOMING_FOLDER).is_dir():
            return
        flags = fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB
        try:
            with flocked(self.work / FILING_LOCK, flags):
                self._remove_incoming()
        except BlockingIOError:
            return  # someone is filing: the next start clears them

    def _remove_incoming(self) -> None:
        """(With no filing in progress.) Staged originals whose filing never finished."""
        incoming = self.work / INCOMING_FOLDER
        if incoming.is_dir():
            for leftover in incoming.iterdir():
                leftover.unlink(missing_ok=True)

    def _people_folders(self) -> list[Path]:
        with os.scandir(self.people) as entries:  # d_type: no stat per folder
            return sorted(self.people / e.name for e in entries if e.is_dir(follow_symlinks=False))

    def _find_folder(self, number: str) -> Path | None:
        """The personnel folder of `number`: found by number, whatever name it shows.

        The index knows it for every number it has seen; the folders are the truth for the
        rest (a new employee, an index that lags after a crash), through `FolderMap`."""
        known = self.index.folder_of(number)
        if known is not None and (self.root / known).is_dir():
            return self.root / known
        return self._folders.find(number)

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def _filed_from_row(self, row: FormRow, *, duplicate: bool) -> FiledForm:
        return FiledForm(
            employee=row.employee,
            name=row.employee_name,
            year=row.year,
            kind=row.kind,
            version=row.version,
            state=row.state,
            sha256=row.sha256,
            original=self.root / row.original,
            record=self.root / row.record,
            duplicate=duplicate,
        )


class _Staging:
    """A filing's staged files, made by helper threads while the filing takes its lock,
    decides names and versions and builds its record: the original's bytes (`Archive._stage`:
    written and fsynced under `.formflow/incoming/`) and an empty file there for the record,
    whose bytes a helper writes and fsyncs while the filing makes its folders.

    On this disk creating a file or a folder takes 0.2-0.3 ms and an fsync 0.3-0.6 ms, and
    all release the GIL: they ran one after the other before (and inside) the filing's own
    steps, now beside them. Nothing gets a name before `path()` and `record()` say its
    bytes are durable.
    """

    def __init__(self, archive: Archive, data: bytes) -> None:
        helpers = _helpers()
        self._original = helpers.submit(archive._stage, data)
        self._record = helpers.submit(archive._new_staged)
        self._record_write: Future[Path] | None = None

    def path(self) -> Path:
        """The staged original, once durable (raises what staging raised)."""
        return self._original.result()

    def write_record(self, data: bytes) -> None:
        """Start writing and fsyncing the record's bytes into the empty staged file (in a
        helper; `record()` waits for it). The helper waits only for the empty file, a task
        submitted before this one and so already running or done: never for a task queued
        behind it, so a busy pool cannot deadlock."""
        self._record_write = _helpers().submit(self._write_record, data)

    def _write_record(self, data: bytes) -> Path:
        fd, path = self._record.result()
        try:
            _write_durably(fd, data)  # closes the file, come what may
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path

    def record(self) -> Path:
        """The staged record, once durable (raises what writing it raised)."""
        if self._record_write is None:
            raise RuntimeError("the record was never written (write_record)")
        return self._record_write.result()

    def discard(self) -> None:
        """Wait for the helpers and remove the staged files (linked into place, or not
        needed); an error the helpers met was raised by `path` or `record`, if asked."""
        with contextlib.suppress(Exception):
            self._original.result().unlink(missing_ok=True)
        if self._record_write is not None:
            with contextlib.suppress(Exception):
                self._record_write.result()  # its file is closed once it is done
        with contextlib.suppress(Exception):
            fd, path = self._record.result()
            if self._record_write is None:
                os.close(fd)
            path.unlink(missing_ok=True)


def _write_durably(fd: int, data: bytes) -> None:
    """`data` into the new file open at `fd`, fsynced; the file is closed afterwards."""
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


_HELPERS: tuple[int, ThreadPoolExecutor] | None = None
_HELPERS_LOCK = threading.Lock()


def _helpers() -> ThreadPoolExecutor:
    """This process's staging threads (a pool made before a fork has no threads in the
    child, so each process makes its own)."""
    global _HELPERS
    with _HELPERS_LOCK:
        if _HELPERS is None or _HELPERS[0] != os.getpid():
            _HELPERS = (os.getpid(), ThreadPoolExecutor(4, thread_name_prefix="formflow-stage"))
        return _HELPERS[1]


def _link_new(staged: Path, target: Path, data: bytes, *, sync: bool = True) -> None:
    """The fsynced staged copy under its final name (never over an existing file), durable
    once its folder is fsynced (here, or by the caller with `sync=False`); written in place
    the usual way where links cannot go."""
    try:
        os.link(staged, target)  # FileExistsError if `target` exists: no overwrite
    except OSError as error:
        if error.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
            raise
        write_bytes(target, data, replace=False)
        return
    if sync:
        fsync_dir(target.parent)


def _has_original(record: Path) -> bool:
    """Whether a record's original lies beside it (same stem, the form's own extension)."""
    return any(p.suffix != ".json" for p in record.parent.glob(f"{record.stem}.*"))


def _row_key(row: FormRow) -> tuple[str, int, str, int]:
    return (row.employee, row.year, row.kind, row.version)


def _write_new(path: Path, data: bytes) -> None:
    with contextlib.suppress(FileExistsError):  # another process made it first
        write_bytes(path, data, replace=False)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _read_record(path: Path) -> dict[str, Any] | None:
    return _decoded(_read_bytes(path))


def _decoded(data: bytes) -> dict[str, Any] | None:
    """A record from its bytes; None when they are none (unreadable, empty, not JSON)."""
    try:
        return decode_record(data)
    except (UnicodeDecodeError, ValueError):
        return None


def _listing(folder: Path) -> list[str] | None:
    """The names in `folder`; None when there is no such folder."""
    try:
        return os.listdir(folder)
    except FileNotFoundError:
        return None


def _scan_year(year_dir: Path, names: list[str], kind: str) -> _YearFolder:
    """The records and originals of one kind among `names`, the year folder's listing."""
    records: dict[int, Path] = {}
    originals: dict[int, Path] = {}
    for file_name in names:
        name = parse_file_name(file_name)
        if name is None or name.kind != kind:
            continue
        (records if name.ext == "json" else originals)[name.version] = year_dir / file_name
    return _YearFolder(records, originals)


def _year_files(folder: Path) -> Iterator[tuple[Path, Path]]:
    """(year folder, file) for every file in a personnel folder's year folders, sorted."""
    for year_dir in sorted(folder.iterdir()):
        if not year_dir.is_dir() or year_dir.is_symlink() or not year_dir.name.isdigit():
            continue
        for path in sorted(year_dir.iterdir()):
            if path.is_file() and not path.is_symlink():
                yield year_dir, path
