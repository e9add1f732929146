"""Keeping the archive sound: `verify` finds every inconsistency between the personnel
files, the audit log and the index; `reindex` rebuilds the index from the records and
completes or clears what interrupted filings left. Both hold the filing lock exclusively,
so a filing in progress is never mistaken for an interrupted one.

The files and the log are held against each other both ways: every file against its record
and its record against the log's filing entry, and every filing entry against the files. A
filing's entry is written only once its original and record are durable, and the archive
has no way to remove a filed form, so a filing entry without its record (or whose record was
replaced) is a form deleted from the archive: `reindex` sets aside what is left of it, and
the entry still reports it. The log itself must still hold its kept head and the line each
record was filed after (`audit`): a log cut short or rewritten is reported. A record from
before these anchors has none, and an archive from before the head file keeps none: what
has no anchor is not checked against one (and the head file is expected only once records
name lines of the log).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formflow.archive.audit import Anchor, check_chain, entries_of, head_problems
from formflow.archive.books import FILING_ACTIONS, Books, FilingKey, filing_key
from formflow.archive.layout import (
    AUDIT_HEAD_NAME,
    WORK_FOLDER,
    Layout,
    decoded,
    has_original,
    read_bytes,
    sha256_file,
    year_files,
)
from formflow.archive.records import FormRow, parse_file_name, parse_folder_name, row_from_record
from formflow.errors import ArchiveError
from formflow.fsutil import TEMP_PREFIX

FiledEntries = dict[FilingKey, dict[str, Any]]
HEAD_FILE = f"{WORK_FOLDER}/{AUDIT_HEAD_NAME}"


@dataclass
class _Found:
    """What `verify` found in the personnel folders: the readable records' rows, each
    record's sha256 by its filing key, and the audit log line each record was filed after."""

    rows: list[FormRow] = field(default_factory=list)
    records: dict[FilingKey, str] = field(default_factory=dict)
    anchors: list[tuple[Anchor, str]] = field(default_factory=list)


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
        audit_log = self.books.audit_log
        head = audit_log.kept_head()  # first: it never names a line the log does not have yet
        lines = audit_log.lines()
        chain = check_chain(lines)
        problems = chain + head_problems(lines, head)
        entries: FiledEntries = {_key(e): e for _, e in _filings(lines)}
        found = _Found()
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
                problems += self._verify_file(year_dir, path, entries, found)
        if head is None and found.anchors:  # records were filed with one: it was kept
            problems.append(f"{HEAD_FILE}: missing, so the end of audit.log cannot be checked")
        if not chain:  # a broken chain is reported already: a record after it would repeat it
            problems += _unheld_anchors(lines, found.anchors)
        problems += _unaccounted_filings(lines, found.records)
        return problems + self._verify_index(found.rows)

    def _verify_file(
        self, year_dir: Path, path: Path, entries: FiledEntries, found: _Found
    ) -> list[str]:
        """What is wrong with one file of a year folder; what a readable record says is
        added to `found` (the index must hold exactly its rows)."""
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
        data = read_bytes(path)
        record = decoded(data)
        record_sha256 = hashlib.sha256(data).hexdigest()
        if record is None:
            # still in its filing's place: reported here, not again as a filing gone
            number = year_dir.parent.name.split(" ", 1)[0]
            found.records[(number, name.year, name.kind, name.version)] = record_sha256
            return [f"{rel}: not a readable record"]
        row = row_from_record(record, self.layout.relative(year_dir))
        found.rows.append(row)
        found.records[filing_key(row)] = record_sha256
        anchor = Anchor.from_json(record.get("audit_head"))
        if anchor is not None:  # a record from before anchors has none: nothing to check
            found.anchors.append((anchor, rel))
        return self._verify_record(row, rel, record_sha256, entries)

    def _verify_record(
        self, row: FormRow, rel: str, record_sha256: str, entries: FiledEntries
    ) -> list[str]:
        original = self.layout.root / row.original
        if not original.is_file():
            return [f"{rel}: its original {original.name} is missing"]
        found: list[str] = []
        if sha256_file(original) != row.sha256:
            found.append(f"{row.original}: content differs from its recorded sha256")
        entry = entries.get(filing_key(row))
        if entry is None:
            found.append(f"{rel}: no filing entry in the audit log (run reindex)")
        elif entry.get("record_sha256") != record_sha256:
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


# --- the audit log against the files --------------------------------------------------------


def _filings(lines: Sequence[bytes]) -> list[tuple[int, dict[str, Any]]]:
    """(line number, entry) of each filing entry of the log."""
    return [(n, e) for n, e in entries_of(lines) if e.get("action") in FILING_ACTIONS]


def _key(entry: dict[str, Any]) -> FilingKey:
    """The filing key an entry names (a list where a number belongs still makes a key)."""
    values = (entry.get(k) for k in ("employee", "year", "kind", "version"))
    return tuple(json.dumps(v) if isinstance(v, list | dict) else v for v in values)  # type: ignore[return-value]


def _unaccounted_filings(lines: Sequence[bytes], records: dict[FilingKey, str]) -> list[str]:
    """Each filing entry of the log whose form is not in the archive: no record at its place,
    or another record in its place (`records`: each record's sha256 by its filing key). The
    latest entry of a place whose record differs is reported as a record changed."""
    filings = _filings(lines)
    latest = {_key(e): number for number, e in filings}
    found = []
    for number, entry in filings:
        there = records.get(_key(entry))
        if there is None:
            reason = "its record is not in the archive"
        elif latest[_key(entry)] != number and there != entry.get("record_sha256"):
            reason = "another record is in its place"
        else:
            continue
        found.append(
            f"audit.log line {number}: {_described(entry)} was {entry.get('action')}, but "
            f"{reason} (deleted, or set aside by reindex after part of it was deleted)"
        )
    return found


def _described(entry: dict[str, Any]) -> str:
    """A filing in plain words: whose, which form, its sha256's start; never its contents."""
    sha256 = str(entry.get("sha256") or "")[:12]
    return (
        f"employee {entry.get('employee')}'s {entry.get('kind')} {entry.get('year')} "
        f"v{entry.get('version')} (sha256 {sha256})"
    )


def _unheld_anchors(lines: Sequence[bytes], anchors: list[tuple[Anchor, str]]) -> list[str]:
    """The records filed after a line the log no longer holds as it was, as one problem."""
    unheld = sorted((a.seq, rel) for a, rel in anchors if not a.held_by(lines))
    if not unheld:
        return []
    seq, rel = unheld[0]
    return [
        f"audit.log: cut short or rewritten: {len(unheld)} record(s) were filed after lines it "
        f"no longer holds as they were (the earliest, line {seq}, before {rel})"
    ]
