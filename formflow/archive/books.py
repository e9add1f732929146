"""The archive's books: the audit log and the index, kept in step with the personnel files.

The files are the truth: a record beside its original means "filed". A filing then writes
its audit entry (`filed`, or `generated` for a form formflow made, with its record's sha256)
and its index row. A crash can lose either; the recovery of an interrupted filing
(`filing`) and `reindex` (`maintenance`) complete them from the files, through here.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from pathlib import Path
from typing import Any

from formflow.archive.audit import AuditLog, MetaValue
from formflow.archive.index import Index, handed_back_of, look_of, return_of
from formflow.archive.layout import Layout, read_record, year_files
from formflow.archive.records import FormRow, parse_file_name, parse_folder_name, row_from_record
from formflow.errors import ArchiveError

log = logging.getLogger(__name__)

FilingKey = tuple[str, int, str, int]  # employee, year, kind, version
FILING_ACTIONS = ("filed", "generated")  # the audit entries that say a form was filed


def filing_key(row: FormRow) -> FilingKey:
    return (row.employee, row.year, row.kind, row.version)


class Books:
    """The audit log and the index of the archive laid out by `layout`."""

    def __init__(self, layout: Layout, index: Index, audit_log: AuditLog) -> None:
        self.layout = layout
        self.index = index
        self.audit_log = audit_log

    # --- the audit log --------------------------------------------------------------------

    def audit(self, action: str, **meta: MetaValue) -> None:
        """Append to the audit log: hashes, numbers, states, codes; never form contents."""
        try:
            entry = self.audit_log.append(action, **meta)
        except OSError as error:
            raise ArchiveError(f"cannot write the audit log: {error}") from error
        self.index.add_returned(action, meta)  # a form handed back shows in `formflow status`
        self.index.add_logged(entry)  # a look at a file, a file handed back: for the web

    def audit_filed(self, row: FormRow, record_bytes: bytes, *, recovered: bool = False) -> None:
        """The filing's entry, naming its record's sha256 (verify finds a record changed
        afterwards); `recovered` when a crash had lost it and the files brought it back."""
        meta: dict[str, MetaValue] = {
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

    def filed_entries(self) -> dict[FilingKey, dict[str, Any]]:
        """The latest filing entry of each (employee, year, kind, version) in the audit log."""
        return {
            (e.get("employee"), e.get("year"), e.get("kind"), e.get("version")): e  # type: ignore[misc]
            for e in self.audit_log.entries()
            if e.get("action") in FILING_ACTIONS
        }

    def has_filed_entry(self, row: FormRow) -> bool:
        return filing_key(row) in self.filed_entries()

    # --- the index ------------------------------------------------------------------------

    def rebuild_index(self) -> list[FormRow]:
        """The index anew from the records on disk (call with no filing half-way: under
        `Layout.exclusive`); returns the rows it holds now."""
        rows: list[FormRow] = []
        folders: dict[str, str] = {}
        for folder in self.layout.people_folders():
            parsed = parse_folder_name(folder.name)
            if parsed is None:
                continue
            folders.setdefault(parsed[0], self.layout.relative(folder))
            rows += self._rows_in(folder)
        # the same key twice means files were copied by hand; verify reports it, index one
        unique = {filing_key(r): r for r in rows}
        returned, looks, handed = [], [], []
        for entry in self.audit_log.entries():  # one pass over a long log
            if (found := return_of(entry.get("action", ""), entry)) is not None:
                returned.append(found)
            if (back := handed_back_of(entry)) is not None:
                handed.append(back)
            elif (look := look_of(entry)) is not None:
                looks.append(look)
        self.index.rebuild(unique.values(), folders, returned, looks, handed)
        return list(unique.values())

    def _rows_in(self, folder: Path) -> list[FormRow]:
        """The index rows of the readable records in one personnel folder."""
        rows = []
        for year_dir, path in year_files(folder):
            name = parse_file_name(path.name)
            if name is None or name.ext != "json" or str(name.year) != year_dir.name:
                continue
            record = read_record(path)
            if record is None:
                log.warning("skipped an unreadable record: %s", self.layout.relative(path))
                continue
            rows.append(row_from_record(record, self.layout.relative(year_dir)))
        return rows

    def index_filed(self, row: FormRow) -> bool:
        """Index a new filing after its employee's lock is released; False when the index
        must be rebuilt. The row may be there already: a filing of the same bytes in another
        process found the record first (`Filing._recover_in`) and indexed it."""
        try:
            self.index.add(row, _folder_of(row))
        except sqlite3.IntegrityError:
            there = self.index.forms(
                employee=row.employee, year=row.year, kind=row.kind, latest_only=False
            )
            return row in there
        return True

    def index_recovered(self, row: FormRow) -> None:
        """Index a filing found on disk that the index missed."""
        try:
            self.index.add(row, _folder_of(row))
        except sqlite3.IntegrityError:
            self.rebuild_index()  # the index disagreed with the files: the files win


def _folder_of(row: FormRow) -> str:
    """The personnel folder of a row (`personale/<number> <Name>`)."""
    return row.original.rsplit("/", 2)[0]
