"""The outbox: every message of the round's mail, recorded before and after it is sent.

`archive/.formflow/mail.sqlite` (0600, beside the archive's other books) holds a row per
message key (`formflow.mail.schedule`): "sending" is committed before the SMTP conversation
starts, "sent" after the server took the message. So after a kill -9 at any point nothing due
is lost (a "sending" row is sent again on the next run) and at most the one message in flight
goes twice; a rerun on the same day finds every sent key and sends nothing new. A message the
server refused for good is "refused" (reported, never retried); one that failed for a
passing reason (server down) is "failed" and goes on the next run.

It also keeps each meeting as its last invitation told it, with its calendar SEQUENCE, so a
moved meeting is noticed and updated under the same UID; that row changes in the same
transaction as the message's "sent".
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path

from formflow.fsutil import PRIVATE_FILE, flocked, make_private_dirs, writer_lock
from formflow.mail.schedule import Due, SentMeeting

FILE_NAME = "mail.sqlite"
DONE_STATES = ("sent", "refused")  # a key in these states is never due again
SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    employee TEXT NOT NULL,
    due TEXT NOT NULL,
    recipients TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    error TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meetings (
    ident TEXT PRIMARY KEY,
    employee TEXT NOT NULL,
    when_told TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    updated TEXT NOT NULL
);
"""


def outbox_path(archive: Path) -> Path:
    return archive / ".formflow" / FILE_NAME


class Outbox:
    """The outbox file, opened for one run (`open` writes; `read_only` never does)."""

    def __init__(self, db: sqlite3.Connection | None) -> None:
        self.db = db  # None: a dry run before any message was ever sent

    @classmethod
    @contextmanager
    def open(cls, archive: Path) -> Iterator[Outbox]:
        """The outbox for one sending run: one run at a time (cron's `formflow remind` and
        the daemon's daily run wait for each other, so none sends what the other is sending)."""
        path = outbox_path(archive)
        make_private_dirs(path.parent)
        if not path.exists():  # private before SQLite writes a byte: it names people
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))
        with (
            flocked(writer_lock(path)),
            closing(sqlite3.connect(path, timeout=30, isolation_level=None)) as db,
        ):
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")  # "sending" is on disk before SMTP starts
            db.executescript(SCHEMA)
            for suffix in ("-wal", "-shm"):
                side = path.with_name(path.name + suffix)
                if side.exists():
                    os.chmod(side, PRIVATE_FILE)
            yield cls(db)

    @classmethod
    @contextmanager
    def read_only(cls, archive: Path) -> Iterator[Outbox]:
        """For a dry run: read without creating or changing a file."""
        path = outbox_path(archive)
        if not path.exists():
            yield cls(None)
            return
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            yield cls(db)

    def done(self) -> frozenset[str]:
        """The keys sent or refused: never due again."""
        if self.db is None:
            return frozenset()
        marks = ",".join("?" * len(DONE_STATES))
        rows = self.db.execute(f"SELECT key FROM messages WHERE state IN ({marks})", DONE_STATES)
        return frozenset(row[0] for row in rows)

    def sent_meetings(self) -> dict[str, SentMeeting]:
        if self.db is None:
            return {}
        rows = self.db.execute("SELECT ident, when_told, sequence FROM meetings")
        return {ident: SentMeeting(when, sequence) for ident, when, sequence in rows}

    def states(self) -> dict[str, tuple[str, int, str]]:
        """Every key's (state, attempts, error): what the tests and the report look at."""
        if self.db is None:
            return {}
        rows = self.db.execute("SELECT key, state, attempts, error FROM messages")
        return {key: (state, attempts, error) for key, state, attempts, error in rows}

    def sending(self, due: Due, now: datetime) -> None:
        """Record the message as on its way (committed, fsynced) before SMTP starts."""
        assert self.db is not None
        recipients = ",".join((*due.to, *due.cc))
        self.db.execute(
            "INSERT INTO messages VALUES (?, ?, ?, ?, ?, 'sending', 1, '', ?) "
            "ON CONFLICT (key) DO UPDATE SET state = 'sending', attempts = attempts + 1, "
            "recipients = excluded.recipients, updated = excluded.updated",
            (due.key, due.kind, due.person.number, due.due.isoformat(), recipients, _at(now)),
        )

    def finished(self, due: Due, state: str, error: str, now: datetime) -> None:
        """Record how the message ended: sent (with its meeting as told), refused or failed."""
        assert self.db is not None
        with self.db:  # one transaction: the message's state and its meeting's together
            self.db.execute("BEGIN")
            self.db.execute(
                "UPDATE messages SET state = ?, error = ?, updated = ? WHERE key = ?",
                (state, error, _at(now), due.key),
            )
            meeting = due.meeting
            if state == "sent" and meeting is not None and due.kind in ("invitation", "update"):
                self.db.execute(
                    "INSERT INTO meetings VALUES (?, ?, ?, ?, ?) ON CONFLICT (ident) DO UPDATE "
                    "SET when_told = excluded.when_told, sequence = excluded.sequence, "
                    "updated = excluded.updated",
                    (
                        meeting.ident,
                        due.person.number,
                        meeting.when,
                        due.sequence,
                        _at(now),
                    ),
                )


def _at(now: datetime) -> str:
    return now.isoformat(timespec="seconds")
