"""The ledger: ingests decided but not yet finished, so a crash never loses or doubles one.

An ingest writes its decision here before anything moves (`Ledger.begin`) and forgets it when
the work is done (`Ledger.finish`). Whatever a kill -9 or a power cut interrupts in between is
found by `Ingestor.recover` at the next start (`formflow.ingest`) and finished from here.

A held scan's pre-filled copy (`formflow.transcribe`) is kept with its entry (`copies`): it
was made from the scan's OCR reading, which a recovery does not redo (a reading takes seconds,
and only a worker may read a dropped file), so the copy a crash kept from its folder is written
from here. Its bytes are a form's values: the database overwrites them when the entry is
finished (secure_delete; the write-ahead log's copy of the page is overwritten as the log is
reused), and the file is as private as the archive it lies in.

SQLite in WAL mode at `<archive>/.formflow/ledger.sqlite`; several worker processes write at
once (their turns by a file lock, as the index does).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from formflow.fsutil import flocked, make_private_dirs, writer_lock
from formflow.intake import Identity


@dataclass(frozen=True)
class Entry:
    """A decided ingest not yet finished: enough to finish it after a crash."""

    id: int
    sha256: str
    source: str  # absolute path of the dropped file (re-checked by identity; may hold
    # undecodable bytes as surrogates, as os.fsdecode gives them)
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
        self._db.execute("PRAGMA secure_delete=ON")  # a finished copy's bytes do not linger
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS pending (id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL, "
            "source TEXT NOT NULL, dev INTEGER, ino INTEGER, size INTEGER, mtime_ns INTEGER, "
            "action TEXT NOT NULL, destination TEXT NOT NULL DEFAULT '', "
            "notice TEXT NOT NULL DEFAULT '', created TEXT NOT NULL)"
        )
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS copies (entry INTEGER PRIMARY KEY, name TEXT NOT NULL, "
            "data BLOB NOT NULL)"
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
        copy: tuple[str, bytes] | None = None,
        durable: bool = True,
    ) -> Entry:
        """Write the decision before acting on it, with a held scan's `copy` (its name, its
        bytes: `copy_of`); `durable=False` skips the fsync where losing the entry is harmless
        (a filing: see `Ingestor._file`)."""
        with (
            self._lock,
            flocked(self._writers),
            self._synchronous("FULL" if durable else "NORMAL"),
            self._transaction(),
        ):
            cursor = self._db.execute(
                "INSERT INTO pending (sha256, source, dev, ino, size, mtime_ns, action, "
                "destination, notice, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    sha256,
                    os.fsencode(source),
                    identity.dev,
                    identity.ino,
                    identity.size,
                    identity.mtime_ns,
                    action,
                    os.fsencode(destination),
                    notice,
                    datetime.now().isoformat(timespec="seconds"),
                ),
            )
            entry_id = cursor.lastrowid
            if copy is not None:
                self._db.execute(
                    "INSERT INTO copies (entry, name, data) VALUES (?, ?, ?)",
                    (entry_id, os.fsencode(copy[0]), copy[1]),
                )
        assert entry_id is not None
        return Entry(entry_id, sha256, str(source), identity, action, destination, notice)

    def finish(self, entry: Entry) -> None:
        """Forget a finished entry. Not synced on its own: it becomes durable with the next
        durable `begin` or checkpoint (same WAL). A finish lost in a power cut is redone by
        `Ingestor.recover`, which finds the work done (the bytes archived, the original gone
        or moved) and only finishes the entry again."""
        with self._lock, flocked(self._writers), self._synchronous("NORMAL"), self._transaction():
            self._db.execute("DELETE FROM pending WHERE id = ?", (entry.id,))
            self._db.execute("DELETE FROM copies WHERE entry = ?", (entry.id,))

    def copy_of(self, entry: Entry) -> tuple[str, bytes] | None:
        """The pre-filled copy that goes beside the held scan of `entry`: its name in the held
        folder and its bytes (None: the entry has none)."""
        with self._lock:
            row = self._db.execute(
                "SELECT name, data FROM copies WHERE entry = ?", (entry.id,)
            ).fetchone()
        return None if row is None else (_path(row[0]), bytes(row[1]))

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """The statements inside, all or none (the connection commits each one by itself)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

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
            Entry(r[0], r[1], _path(r[2]), Identity(*r[3:7]), r[7], _path(r[8]), r[9]) for r in rows
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


def _path(stored: bytes | str) -> str:
    """A path as stored: its file-system bytes (a name need not be UTF-8, which SQLite's text
    must be), or text in a ledger written before."""
    return os.fsdecode(stored) if isinstance(stored, bytes) else stored
