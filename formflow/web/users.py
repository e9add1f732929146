"""Who may log in to `formflow serve`, their sessions and their failed logins (SQLite).

`archive/.formflow/users.sqlite` (0600, beside the archive's locks, never served): the users
(login, role, person, argon2id hash of the password), the sessions (kept here, so a logout or
a changed password ends them at once; the browser's cookie holds only a random token, and
only its sha256 is stored, so a copy of this file logs nobody in), the failed logins (counted
per login and per client address, for the rate limit) and the secret the CSRF tokens are
made with.

A role is `hr` (everyone's file), `leader` (their own employees: `person` is the leader's
name as on the roster) or `employee` (their own file: `person` is their employee number).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from formflow.archive.layout import WORK_FOLDER
from formflow.errors import FormflowError
from formflow.fsutil import PRIVATE_FILE, make_private_dirs

USERS_NAME = "users.sqlite"
ROLES = ("hr", "leader", "employee")
MIN_PASSWORD = 10
TOUCH_SECONDS = 60  # a session's last use is written at most this often (idle timeouts are minutes)
_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    login TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    person TEXT NOT NULL,
    password TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token TEXT PRIMARY KEY,  -- sha256 of the cookie's token
    login TEXT NOT NULL REFERENCES users (login) ON DELETE CASCADE,
    created REAL NOT NULL,
    last_seen REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS failures (key TEXT NOT NULL, at REAL NOT NULL);
-- single sign-on begun and not yet finished: by the sha256 of its state (the browser's cookie)
CREATE TABLE IF NOT EXISTS sso_logins (
    state TEXT PRIMARY KEY,
    nonce TEXT NOT NULL,
    verifier TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS failures_key ON failures (key, at);
"""


class UsersError(FormflowError):
    """A user cannot be added or changed as asked (unknown login, weak password, ...)."""

    exit_code = 2


def default_hasher() -> PasswordHasher:
    """argon2id with argon2-cffi's defaults (RFC 9106's second choice: 64 MiB, 3 passes);
    tests replace this factory with cheap parameters."""
    return PasswordHasher()


def _now() -> datetime:
    return datetime.now().astimezone()


@dataclass(frozen=True)
class User:
    """One login: its role and the person it stands for (a leader's name, an employee's
    number; "" for HR)."""

    login: str
    role: str
    person: str
    created: str = ""


@dataclass(frozen=True)
class Session:
    """A logged-in browser: its user and when the session started and was last used."""

    user: User
    token: str
    created: float
    last_seen: float


def users_path(archive: Path) -> Path:
    return archive / WORK_FOLDER / USERS_NAME


def normal_login(login: str) -> str:
    """A login as stored: trimmed, lower case; UsersError for one that cannot be."""
    login = login.strip().lower()
    if not _LOGIN.match(login):
        raise UsersError(
            f"login {login!r}: use 1-64 lower-case letters a-z, digits and . _ @ - "
            "(starting with a letter or digit)"
        )
    return login


class Users:
    """The users file of one archive (`users_path`)."""

    def __init__(
        self,
        path: Path,
        *,
        hasher: PasswordHasher | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.path = path
        self.hasher = hasher or default_hasher()
        self.clock = clock
        make_private_dirs(path.parent)
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE))
        os.chmod(path, PRIVATE_FILE)
        with self._db() as db:
            db.executescript(SCHEMA)
        with closing(sqlite3.connect(self.path, timeout=10)) as db:
            # readers (every request's session) never wait for a writer; SQLite makes the
            # -wal and -shm files with the database's permissions (0600)
            db.execute("PRAGMA journal_mode=WAL")
        self._dummy = self.hasher.hash(secrets.token_hex(16))  # see `authenticate`

    @classmethod
    def of_archive(
        cls,
        archive: Path,
        *,
        hasher: PasswordHasher | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> Users:
        """The users of the archive under `archive` (`users_path`)."""
        return cls(users_path(archive), hasher=hasher, clock=clock)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """One connection per use (waitress serves from several threads); committed at the
        end, rolled back on an error."""
        with closing(sqlite3.connect(self.path, timeout=10)) as db:
            db.execute("PRAGMA foreign_keys = ON")
            with db:
                yield db

    def _seconds(self) -> float:
        return self.clock().timestamp()

    # --- users ----------------------------------------------------------------------------

    def add(self, login: str, role: str, person: str, password: str) -> User:
        login = normal_login(login)
        user = User(login, role, _checked_person(role, person), self.clock().isoformat())
        hashed = self.hasher.hash(_checked_password(password))
        try:
            with self._db() as db:
                db.execute(
                    "INSERT INTO users VALUES (?, ?, ?, ?, ?)",
                    (user.login, user.role, user.person, hashed, user.created),
                )
        except sqlite3.IntegrityError as error:
            raise UsersError(f"login {login!r} exists already") from error
        return user

    def remove(self, login: str) -> None:
        """Remove the user and end their sessions."""
        with self._db() as db:
            gone = db.execute("DELETE FROM users WHERE login = ?", (login.strip().lower(),))
        if gone.rowcount == 0:
            raise UsersError(f"no user with login {login!r}")

    def set_password(self, login: str, password: str) -> None:
        """A new password; every session of the user ends."""
        hashed = self.hasher.hash(_checked_password(password))
        with self._db() as db:
            changed = db.execute(
                "UPDATE users SET password = ? WHERE login = ?", (hashed, login.strip().lower())
            )
            db.execute("DELETE FROM sessions WHERE login = ?", (login.strip().lower(),))
        if changed.rowcount == 0:
            raise UsersError(f"no user with login {login!r}")

    def all(self) -> list[User]:
        with self._db() as db:
            rows = db.execute("SELECT login, role, person, created FROM users ORDER BY login")
            return [User(*row) for row in rows]

    def get(self, login: str) -> User | None:
        with self._db() as db:
            row = db.execute(
                "SELECT login, role, person, created FROM users WHERE login = ?", (login,)
            ).fetchone()
        return User(*row) if row else None

    def authenticate(self, login: str, password: str) -> User | None:
        """The user if the password is theirs, else None. An unknown login costs a hash
        check too, so the answer's time does not tell which logins exist."""
        login = login.strip().lower()
        with self._db() as db:
            row = db.execute("SELECT password FROM users WHERE login = ?", (login,)).fetchone()
        try:
            self.hasher.verify(row[0] if row else self._dummy, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        if self.hasher.check_needs_rehash(row[0]):  # parameters raised since it was made
            with self._db() as db:
                db.execute(
                    "UPDATE users SET password = ? WHERE login = ?",
                    (self.hasher.hash(password), login),
                )
        return self.get(login)

    # --- sessions -------------------------------------------------------------------------

    def start_session(self, login: str) -> str:
        """A new session of `login`; the token for the cookie (only its hash is kept)."""
        token = secrets.token_urlsafe(32)
        now = self._seconds()
        with self._db() as db:
            db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?)", (_digest(token), login, now, now)
            )
        return token

    def session(self, token: str, idle_seconds: float) -> Session | None:
        """The live session of `token`, marked as used now (to the minute: TOUCH_SECONDS);
        None when there is none or it was idle longer than `idle_seconds` (then it is
        removed)."""
        if not token or len(token) > 100:
            return None
        now = self._seconds()
        with self._db() as db:
            row = db.execute(
                "SELECT s.created, s.last_seen, u.login, u.role, u.person, u.created "
                "FROM sessions s JOIN users u ON u.login = s.login WHERE s.token = ?",
                (_digest(token),),
            ).fetchone()
            if row is None:
                return None
            if now - row[1] > idle_seconds:
                db.execute("DELETE FROM sessions WHERE token = ?", (_digest(token),))
                return None
            if now - row[1] >= TOUCH_SECONDS:  # not a write per request: idle is minutes
                db.execute(
                    "UPDATE sessions SET last_seen = ? WHERE token = ?", (now, _digest(token))
                )
        return Session(User(*row[2:]), token, row[0], now)

    def end_session(self, token: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM sessions WHERE token = ?", (_digest(token),))

    def end_idle_sessions(self, idle_seconds: float) -> None:
        with self._db() as db:
            db.execute(
                "DELETE FROM sessions WHERE last_seen < ?", (self._seconds() - idle_seconds,)
            )

    # --- failed logins and the CSRF secret ------------------------------------------------

    def failures(self, key: str, window_seconds: float) -> int:
        """Failed logins counted under `key` within the window."""
        with self._db() as db:
            (count,) = db.execute(
                "SELECT count(*) FROM failures WHERE key = ? AND at > ?",
                (key, self._seconds() - window_seconds),
            ).fetchone()
        return int(count)

    def record_failure(self, keys: tuple[str, ...], window_seconds: float) -> None:
        """One failed login under each key; failures older than the window are forgotten."""
        now = self._seconds()
        with self._db() as db:
            db.execute("DELETE FROM failures WHERE at <= ?", (now - window_seconds,))
            db.executemany("INSERT INTO failures VALUES (?, ?)", [(key, now) for key in keys])

    def clear_failures(self, key: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM failures WHERE key = ?", (key,))

    def keep_sso_login(self, state: str, nonce: str, verifier: str) -> None:
        """A single sign-on sent to the identity provider (its state, nonce, PKCE verifier)."""
        with self._db() as db:
            db.execute(
                "INSERT INTO sso_logins VALUES (?, ?, ?, ?)",
                (_digest(state), nonce, verifier, self._seconds()),
            )

    def take_sso_login(self, state: str, max_age: float) -> tuple[str, str] | None:
        """The (nonce, verifier) of the single sign-on begun with `state`, once: it is gone
        after (a replayed answer finds nothing), as is any older than `max_age` seconds."""
        now = self._seconds()
        with self._db() as db:
            db.execute("DELETE FROM sso_logins WHERE at < ?", (now - max_age,))
            row = db.execute(
                "SELECT nonce, verifier FROM sso_logins WHERE state = ?", (_digest(state),)
            ).fetchone()
            db.execute("DELETE FROM sso_logins WHERE state = ?", (_digest(state),))
        return (row[0], row[1]) if row else None

    def secret(self) -> bytes:
        """The key the CSRF tokens are made with: random, made once, kept in this file."""
        with self._db() as db:
            db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('csrf_secret', ?)", (secrets.token_bytes(32),)
            )
            (value,) = db.execute("SELECT value FROM meta WHERE key = 'csrf_secret'").fetchone()
        return bytes(value)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UsersError(f"the password must have at least {MIN_PASSWORD} characters")
    return password


def _checked_person(role: str, person: str) -> str:
    """The person a user of `role` stands for: a leader's name, an employee's number, none
    for HR (`resolve_person` in the CLI finds them on the roster)."""
    if role not in ROLES:
        raise UsersError(f"role {role!r}: use one of {', '.join(ROLES)}")
    person = " ".join(person.split())
    if role == "hr":
        if person:
            raise UsersError("an hr user sees everyone: give no --person")
        return ""
    if not person:
        raise UsersError(
            f"a {role} needs --person: "
            + ("their name as on the roster" if role == "leader" else "their employee number")
        )
    return person
