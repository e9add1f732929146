"""Keeping the archive sound: `verify` finds every inconsistency between the personnel
files, the audit log and the index; `reindex` rebuilds the index from the records and
completes or clears what interrupted filings left. Both hold the filing lock exclusively,
so a filing in progress is never mistaken for an interrupted one.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Any

from formflow.archive.books import Books, FilingKey, filing_key
from formflow.archive.layout import Layout, has_original, read_record, sha256_file, year_files
from formflow.archive.records import FormRow, parse_file_name, parse_folder_name, row_from_record
from formflow.errors import ArchiveError
from formflow.fsutil import TEMP_PREFIX

FiledEntries = dict[FilingKey, dict[str, Any]]


class Maintenance:
    """`verify` and `reindex` of the archive laid out by `layout`."""

    def __init__(self, layout: Layout, books: Books) -> None:
        self.layout = layout
        self.books = books

    def reindex(self) -> int:
        """Rebuild the index from the records; complete or clear interrupted filings.

        Originals without a record, and records without an original, are moved to
        `.formflow/afbrudte-arkiveringer/` (their filing never finished, so the inbox still
        holds them and will file them again);
        leftover temporary files of interrupted writes are removed; records whose audit entry
        was lost get one marked `recovered`. Returns the number of forms indexed.
        """
        try:
            with self.layout.exclusive():
                self.layout.remove_incoming()
                moved = self._clear_interrupted()
                rows = self.books.rebuild_index()
                recovered = self._recover_entries(rows)
                self.books.audit(
                    "reindexed", forms=len(rows), interrupted=moved, recovered=recovered
                )
        except OSError as error:
            raise ArchiveError(f"cannot reindex the archive: {error}") from error
        return len(rows)

    def verify(self) -> list[str]:
        """Every inconsistency found, in English (empty when all is well); audited."""
        with self.layout.exclusive():
            problems = self._inconsistencies()
        self.books.audit("verified", problems=len(problems))
        return problems

    def _recover_entries(self, rows: list[FormRow]) -> int:
        """Give each filed form whose audit entry was lost one marked `recovered`."""
        entries = self.books.filed_entries()
        recovered = 0
        for row in rows:
            if filing_key(row) not in entries:
                record_bytes = (self.layout.root / row.record).read_bytes()
                self.books.audit_filed(row, record_bytes, recovered=True)
                recovered += 1
        return recovered

    def _clear_interrupted(self) -> int:
        """Remove partial writes; set aside originals without a record and records without
        an original (their filing never finished). Returns how many were set aside."""
        moved = 0
        for folder in self.layout.people_folders():
            for _, path in year_files(folder):
                if path.name.startswith(TEMP_PREFIX):
                    path.unlink()  # a partial write, never under a final name
                    continue
                name = parse_file_name(path.name)
                if name is None:
                    continue
                if name.ext == "json" and not has_original(path):
                    self.layout.set_aside(path, folder)  # its filing never finished
                    moved += 1
                elif name.ext != "json" and not path.with_suffix(".json").exists():
                    self.layout.set_aside(path, folder)
                    moved += 1
        return moved

    # --- verify ---------------------------------------------------------------------------

    def _inconsistencies(self) -> list[str]:
        problems = list(self.books.audit_log.verify())
        entries = self.books.filed_entries()
        rows: list[FormRow] = []
        numbers: dict[str, str] = {}  # employee number -> the first folder holding it
        for folder in self.layout.people_folders():
            rel = self.layout.relative(folder)
            parsed = parse_folder_name(folder.name)
            if parsed is None:
                problems.append(f"{rel}: not a personnel folder name")
                continue
            if parsed[0] in numbers:
                problems.append(f"{rel}: employee number {parsed[0]} also has {numbers[parsed[0]]}")
            numbers[parsed[0]] = rel
            for year_dir, path in year_files(folder):
                problems += self._verify_file(year_dir, path, entries, rows)
        return problems + self._verify_index(rows)

    def _verify_file(
        self, year_dir: Path, path: Path, entries: FiledEntries, rows: list[FormRow]
    ) -> list[str]:
        """What is wrong with one file of a year folder; a readable record's row is added to
        `rows` (the index must hold exactly those)."""
        rel = self.layout.relative(path)
        if path.name.startswith(TEMP_PREFIX):
            return [f"{rel}: left over from an interrupted write (run reindex)"]
        name = parse_file_name(path.name)
        if name is None or str(name.year) != year_dir.name:
            return [f"{rel}: a file formflow did not make"]
        if name.ext != "json":
            if not path.with_suffix(".json").exists():
                return [f"{rel}: original without a record (run reindex)"]
            return []
        record = read_record(path)
        if record is None:
            return [f"{rel}: not a readable record"]
        row = row_from_record(record, self.layout.relative(year_dir))
        rows.append(row)
        return self._verify_record(row, path, entries)

    def _verify_record(self, row: FormRow, path: Path, entries: FiledEntries) -> list[str]:
        rel = self.layout.relative(path)
        original = self.layout.root / row.original
        if not original.is_file():
            return [f"{rel}: its original {original.name} is missing"]
        found: list[str] = []
        if sha256_file(original) != row.sha256:
            found.append(f"{row.original}: content differs from its recorded sha256")
        entry = entries.get(filing_key(row))
        if entry is None:
            found.append(f"{rel}: no filing entry in the audit log (run reindex)")
        elif entry.get("record_sha256") != hashlib.sha256(path.read_bytes()).hexdigest():
            found.append(f"{rel}: record changed after filing")
        return found

    def _verify_index(self, rows: list[FormRow]) -> list[str]:
        try:
            indexed = self.books.index.forms(latest_only=False)
        except sqlite3.Error as error:
            return [f"index.sqlite: unreadable ({error}); run reindex"]
        if sorted(indexed, key=filing_key) != sorted(rows, key=filing_key):
            return ["index.sqlite: out of date with the records (run reindex)"]
        return []
