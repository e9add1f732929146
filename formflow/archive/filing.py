"""Filing a form: its original and record into the employee's year folder, then its audit
entry, then its index row.

The original and its record (a record beside its original means "filed") are made durable
together by one fsync of their folder; each file gets its name atomically and never over an
existing one. A crash between two steps is completed by the next filing of the same bytes
(`Filing._recover_in`) or by `reindex`.

A filing holds the filing lock shared throughout, and its employee's lock only while it
decides names and versions and writes the record and the audit entry (the audit log
serialises its appends itself; see `layout`): its original's bytes are written and fsynced
by a helper thread meanwhile (`staging`), and its index row is added afterwards.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from formflow.archive.books import Books
from formflow.archive.layout import Layout, decoded, read_bytes, sha256_file
from formflow.archive.queries import Queries
from formflow.archive.records import (
    STATES,
    FiledForm,
    FormRow,
    build_record,
    encode_record,
    file_format,
    file_stem,
    folder_name,
    parse_file_name,
    row_from_record,
    text_only,
    transcription_name,
    valid_number,
)
from formflow.archive.staging import Staging
from formflow.errors import ArchiveError
from formflow.fsutil import PRIVATE_FILE, fsync_dir, make_private_dirs, sync_created, write_bytes
from formflow.model import CheckResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FormToFile:
    """One form to file: its bytes and what is known about them."""

    data: bytes
    result: CheckResult | None  # None for a form formflow made (carry-over)
    employee: str
    name: str
    kind: str
    year: int
    state: str
    fmt: str  # pdf or docx
    arrived: datetime | None
    source_name: str
    # a scan's transcription by a person (its dropped name and bytes), kept beside it
    transcription: tuple[str, bytes] | None = None

    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        # hashed once, when the form is made: before any lock is taken
        object.__setattr__(self, "sha256", hashlib.sha256(self.data).hexdigest())


@dataclass(frozen=True)
class _Place:
    """Where a new filing goes: its personnel folder, its year folder and its version."""

    folder: Path
    new_folder: bool  # no folder holds the employee yet: this filing makes it
    year_dir: Path
    version: int
    original_there: bool  # the original of these bytes holds the version already (a crash)

    def path(self, kind: str, year: int, ext: str) -> Path:
        return self.year_dir / f"{file_stem(kind, year, self.version)}.{ext}"


@dataclass(frozen=True)
class _YearFolder:
    """What one year folder holds for one kind: records and originals by version."""

    records: dict[int, Path]
    originals: dict[int, Path]

    @property
    def strays(self) -> dict[int, Path]:
        """Originals without a record: a filing interrupted after its first write."""
        return {v: p for v, p in self.originals.items() if v not in self.records}


class Filing:
    """Files forms into the archive laid out by `layout`."""

    def __init__(
        self, layout: Layout, books: Books, queries: Queries, clock: Callable[[], datetime]
    ) -> None:
        self.layout = layout
        self.books = books
        self.queries = queries
        self.clock = clock

    def file(
        self,
        data: bytes,
        result: CheckResult,
        *,
        state: str,
        arrived: datetime,
        source_name: str,
        transcription: tuple[str, bytes] | None = None,
    ) -> FiledForm:
        """File a read and checked form; the same bytes twice give the first filing back.
        A scan may come with a person's `transcription` (its name and bytes): it is kept
        beside the scan, which stays the original, and the record names it."""
        extraction = result.extraction
        kind, year = extraction.kind, extraction.year
        if kind not in STATES or year is None:
            raise ArchiveError("cannot file a form whose kind and year are unknown")
        form = FormToFile(
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
            transcription=transcription,
        )
        return self._file(form)

    def record_generated(
        self, data: bytes, *, employee: str, name: str, year: int, kind: str, fmt: str
    ) -> FiledForm:
        """Keep a form formflow made for the employee (carry-over) in their personnel folder."""
        form = FormToFile(
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
        return self._file(form)

    def _file(self, form: FormToFile) -> FiledForm:
        if not valid_number(form.employee):
            raise ArchiveError("cannot file a form without a usable employee number")
        if form.kind not in STATES or form.state not in STATES[form.kind]:
            raise ValueError(f"state {form.state!r} is not valid for a {form.kind!r} form")
        try:
            with self.layout.filing():
                staged = Staging(self.layout.incoming, form.data)
                try:
                    row = self._file_locked(form, staged)
                finally:
                    staged.discard()
                if isinstance(row, FiledForm):
                    return row
                rebuild = not self.books.index_filed(row)
            if rebuild:  # the index disagreed with the files: the files win
                with self.layout.exclusive():
                    self.books.rebuild_index()
            return FiledForm.from_row(self.layout.root, row, duplicate=False)
        except OSError as error:
            raise ArchiveError(f"cannot write to the archive: {error}") from error

    def _file_locked(self, form: FormToFile, staged: Staging) -> FiledForm | FormRow:
        """The steps under the employee's lock: the known filing of these bytes (a
        FiledForm), or the row of the new one, whose original, record and audit entry are
        durable."""
        with self.layout.writing(form.employee):
            place = self._place(form)
            if isinstance(place, FiledForm):
                return place
            record = build_record(
                form.result,
                employee=form.employee,
                name=form.name,
                kind=form.kind,
                year=form.year,
                version=place.version,
                state=form.state,
                fmt=form.fmt,
                sha256=form.sha256,
                size=len(form.data),
                source_name=form.source_name,
                arrived=form.arrived,
                filed=self.clock(),
                audit_head=self.books.audit_log.head(),  # kept in memory: no read per filing
            )
            transcription = _transcription_of(form, place.version)
            if transcription:
                # a scan filed with a person's transcription (formflow.transcribe): the copy
                # beside the original, whose values are the record's; the scan stays the
                # original
                record["transcription"] = transcription
            encoded = encode_record(record)
            self._put_in_place(form, place, encoded, staged)
            row = row_from_record(record, self.layout.relative(place.year_dir))
            self.books.audit_filed(row, encoded)
            # debug: the daemon logs the outcome of each file once, at info
            log.debug(
                "filed %s %s v%d for employee %s as %s (sha256 %s)",
                form.kind, form.year, place.version, form.employee, form.state, form.sha256[:12],
            )  # fmt: skip
            return row

    def _place(self, form: FormToFile) -> FiledForm | _Place:
        """Where the form goes; or its filing, when these bytes are filed already."""
        sha256 = form.sha256
        known = self.queries.find_by_hash(sha256)
        if known is not None:
            return known
        found_folder = self.queries.folder_of(form.employee)
        folder = found_folder or self.layout.people / folder_name(form.employee, form.name)
        year_dir = folder / str(form.year)
        # one listing serves the recovery and the versions; a year folder not made yet
        # holds neither (the employee's lock keeps other filings out of it)
        names = _listing(year_dir)
        if names is not None:
            # the index may lag the files after a crash: the year folder is the truth
            found = self._recover_in(year_dir, names, sha256)
            if found is not None:
                return found
        contents = _scan_year(year_dir, names or [], form.kind)
        version = next(
            (v for v, p in contents.strays.items() if sha256_file(p) == sha256),
            max([*contents.records, *contents.originals, 0]) + 1,
        )
        return _Place(
            folder, found_folder is None, year_dir, version, version in contents.originals
        )

    def _put_in_place(
        self, form: FormToFile, place: _Place, encoded: bytes, staged: Staging
    ) -> None:
        """The staged original and the record `encoded` under their names in the year
        folder, durable (with any folder made for them)."""
        # staged beside the original's copy, not in the year folder: a crash leaves no
        # temporary file among the personnel files (the next open clears `incoming`);
        # a helper writes and fsyncs it while the folders are made (each mkdir costs
        # this disk ~0.2 ms) and the original's fsync may still be running (`staging`)
        staged.write_record(encoded)
        # not synced yet: the fsync of the year folder below commits these names too
        created = make_private_dirs(place.year_dir, sync=False)
        if place.new_folder:
            self.layout.folders.created(place.folder)
        staged_record = staged.record()
        if form.transcription is not None:
            # beside the original before the record names it (the year folder's fsync below
            # commits its name with theirs)
            name = transcription_name(form.kind, form.year, place.version)
            write_bytes(place.year_dir / name, form.transcription[1], PRIVATE_FILE)
        if not place.original_there:
            # both copies are durable before either gets its name
            staged.original().place(place.path(form.kind, form.year, form.fmt), sync=False)
        staged_record.place(place.path(form.kind, form.year, "json"), sync=False)
        # One fsync makes both names durable before the audit entry says "filed" (and the
        # names of folders just made: the same commit, so their own fsyncs find little
        # left to do). A crash before it may keep the record without its original:
        # `_recover_in` and `reindex` set such a record aside (the inbox still holds the
        # form, which is filed again).
        fsync_dir(place.year_dir)
        sync_created(created)

    def _recover_in(self, year_dir: Path, names: list[str], sha256: str) -> FiledForm | None:
        """A record for these bytes that the index missed (a crash after its write): index
        it, audit it if that step was lost too, and return it. `names` is the year folder's
        listing; a record set aside is taken out of it (its version is free again)."""
        for file_name in sorted(n for n in names if n.endswith(".json")):
            path = year_dir / file_name
            data = read_bytes(path)
            # (a record names its original's sha256 in plain text: most are never decoded)
            if sha256.encode() not in data:
                continue
            record = decoded(data)
            if record is None or record["sha256"] != sha256:
                continue
            row = row_from_record(record, self.layout.relative(year_dir))
            original = self.layout.root / row.original
            if not original.is_file() or sha256_file(original) != sha256:
                # a crash kept the record but not its original: that filing never finished
                self.layout.set_aside(path, year_dir.parent)
                names.remove(file_name)
                continue
            if not self.books.has_filed_entry(row):
                self.books.audit_filed(row, data, recovered=True)
            self.books.index_recovered(row)
            return FiledForm.from_row(self.layout.root, row, duplicate=True)
        return None


def _transcription_of(form: FormToFile, version: int) -> dict[str, Any] | None:
    """The record's `transcription`: the copy's file beside the original, its hash and the
    name it was dropped under."""
    if form.transcription is None:
        return None
    source, data = form.transcription
    return {
        "file": transcription_name(form.kind, form.year, version),
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "source_name": text_only(source),
    }


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
