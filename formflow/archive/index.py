"""The archive's SQLite index (`archive/index.sqlite`, WAL): fast queries over the records.

The index is a cache: every row is derived from a record JSON by `records.row_from_record`,
and `rebuild` drops and recreates it from the records in one transaction. Rows are keyed by
(employee, year, kind, version), never by an autoincrement id, so an index grown filing by
filing and one rebuilt from the files are identical.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from formflow.archive.records import FormRow, SignatureSummary, latest_first_key
from formflow.errors import ArchiveError
from formflow.fsutil import PRIVATE_FILE, flocked, writer_lock

if TYPE_CHECKING:
    from formflow.rounds import RoundDetails, RoundFacts

log = logging.getLogger(__name__)

# 2: forms_year covers the round query; 3: followups_year covers its follow-ups; 4: the
# employee's signature date, and the forms handed back; 5: who looked at whose file, and a
# stamp of the last change to what the round reads (an older index is rebuilt on open)
SCHEMA_VERSION = "5"
SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE employees (
    number TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    folder TEXT NOT NULL,
    leader TEXT NOT NULL DEFAULT ''
);
CREATE TABLE forms (
    employee TEXT NOT NULL,
    year INTEGER NOT NULL,
    kind TEXT NOT NULL,
    version INTEGER NOT NULL,
    state TEXT NOT NULL,
    file_format TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    original TEXT NOT NULL,
    record TEXT NOT NULL,
    employee_name TEXT NOT NULL,
    leader_name TEXT NOT NULL,
    meeting_date TEXT,
    next_meeting_date TEXT,
    arrived TEXT,
    employee_signed TEXT,
    filed TEXT NOT NULL,
    reader TEXT NOT NULL,
    valid INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    warnings INTEGER NOT NULL,
    problem_codes TEXT NOT NULL,
    signatures TEXT NOT NULL,
    PRIMARY KEY (employee, year, kind, version)
);
CREATE INDEX forms_sha256 ON forms (sha256);
-- holds every column `round_facts` reads, so `formflow status` never visits the wide rows
CREATE INDEX forms_year ON forms (
    year, kind, employee, version, state, employee_name, leader_name,
    meeting_date, next_meeting_date, arrived, employee_signed
);
CREATE TABLE followups (
    employee TEXT NOT NULL,
    year INTEGER NOT NULL,
    kind TEXT NOT NULL,
    version INTEGER NOT NULL,
    plan INTEGER NOT NULL,
    date TEXT NOT NULL,
    PRIMARY KEY (employee, year, kind, version, plan)
);
CREATE INDEX followups_date ON followups (date);
-- a year's agreements' follow-ups in one range, for `round_facts` (not a scan of every year)
CREATE INDEX followups_year ON followups (year, kind, employee, version, plan, date);
-- the last form of each (year, kind, employee) handed back (`return_of`), from the audit log
CREATE TABLE returned (
    year INTEGER NOT NULL,
    kind TEXT NOT NULL,
    employee TEXT NOT NULL,
    action TEXT NOT NULL,
    codes TEXT NOT NULL,
    PRIMARY KEY (year, kind, employee)
);
-- who looked at whose personnel file (`look_of`), from the audit log: the employee's own page
-- lists them without reading the whole log
CREATE TABLE looks (
    seq INTEGER PRIMARY KEY,  -- the audit line's
    employee TEXT NOT NULL,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    who TEXT NOT NULL,
    role TEXT NOT NULL,
    form TEXT NOT NULL
);
CREATE INDEX looks_employee ON looks (employee, seq);
-- the last hand-back of each file's bytes (`handed_back_of`), from the audit log: HR's queues
-- tell formflow's own returned files from others without reading the whole log
CREATE TABLE handed_back (
    sha256 TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    employee TEXT NOT NULL,
    year TEXT NOT NULL,
    kind TEXT NOT NULL,
    codes TEXT NOT NULL
);
"""
TABLES = ("meta", "employees", "forms", "followups", "returned", "looks", "handed_back")
RETURN_ACTIONS = ("rejected", "held")  # the ingest's audit actions for a form handed back
# the audit actions of someone looking at a personnel file: the web page's views, downloads and
# page images, the command line's `archive show` and `archive export`
LOOK_ACTIONS = ("web_viewed", "web_downloaded", "web_previewed", "viewed", "exported")


class EmployeeRow(NamedTuple):
    """One personnel folder: the number keys it; name and leader are the latest filed ones.
    A named tuple: `formflow status` reads all 10 000 of them (a frozen dataclass took 4
    times as long to build)."""

    number: str
    name: str
    folder: str
    leader: str


class Index:
    """The index file, through one connection per thread (safe across threads).

    Opening SQLite costs more than most queries (~0.3 ms, several per filing), so each thread
    keeps its connection. It is reopened when the file is replaced or removed underneath it
    (a cache may be deleted by hand or rebuilt from scratch) and after a fork. Commits go to
    the WAL file, so the main file changes (size, mtime) only at a checkpoint, when reopening
    costs little, or when something other than SQLite wrote it: then a cached connection could
    trust pages that are no longer there.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        # Writers take turns on a file lock before SQLite's: one that finds SQLite's write
        # lock taken sleeps 1, 2, 5, 10 ... ms (its busy handler), though a filing's commit
        # holds it ~0.3 ms (two workers filing 400 forms slept ~300 times). An flock wakes
        # the next writer the moment it is released.
        self._writers = writer_lock(path)

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        yield self._connection()

    def close(self) -> None:
        """Close this thread's connection (others close with their threads)."""
        held = getattr(self._local, "held", None)
        self._local.held = None
        if held is not None:
            held[0].close()

    def _checkpointed(self, db: sqlite3.Connection) -> None:
        """Checkpoint our commit; the main file changed by our own hand, so keep trusting the
        connection (its new size and mtime are what we compare with from now on)."""
        _checkpoint(db)
        held = getattr(self._local, "held", None)
        if held is not None and held[0] is db:
            with contextlib.suppress(FileNotFoundError):
                self._local.held = (db, _identity(os.stat(self.path)))

    def _connection(self) -> sqlite3.Connection:
        held: tuple[sqlite3.Connection, tuple[int, ...]] | None = getattr(self._local, "held", None)
        try:
            st = os.stat(self.path)
            key = _identity(st)
        except FileNotFoundError:
            key = None
        if held is not None and key is not None and held[1] == key:
            return held[0]
        self.close()
        if key is None:  # created 0600 before SQLite touches it: the index names employees
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))
            st = os.stat(self.path)
            key = _identity(st)
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            # FULL in WAL mode: one fsync of the WAL per commit makes a filing's row durable
            # (`status` must not lose a filed form after a power cut); the pages reach the
            # main file at SQLite's own checkpoints, every thousand pages or so
            db.execute("PRAGMA synchronous=FULL")
            for suffix in ("-wal", "-shm"):
                side = self.path.with_name(self.path.name + suffix)
                if side.exists():
                    os.chmod(side, PRIVATE_FILE)
        except BaseException:
            db.close()
            raise
        self._local.held = (db, key)
        return db

    def is_current(self) -> bool:
        """Whether the index exists with this schema (else it must be rebuilt)."""
        if not self.path.exists():
            return False
        try:
            with self.connect() as db:
                row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.DatabaseError:
            return False
        return row is not None and row[0] == SCHEMA_VERSION

    def rebuild(
        self,
        rows: Iterable[FormRow],
        folders: dict[str, str],
        returned: Iterable[tuple[int, str, str, str, str]] = (),
        looks: Iterable[Look] = (),
        handed: Iterable[HandedBack] = (),
    ) -> int:
        """Drop and recreate every table from `rows` in one transaction; returns the count.

        `folders` maps each employee number to its personnel folder (relative path), so an
        employee whose folder holds no record yet is still listed; `returned` are the forms
        handed back (`return_of` of the audit log's entries, oldest first: the last one of a
        form stays); `looks` who looked at whose file (`look_of` of its entries); `handed`
        the files handed back (`handed_back_of`, oldest first: the last of some bytes stays).
        """
        ordered = sorted(rows, key=_form_key)
        try:
            with self.connect() as db:
                db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError:
            self._remove()  # not a database at all: it is only a cache, start afresh
        with flocked(self._writers), self.connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                for table in TABLES:
                    db.execute(f"DROP TABLE IF EXISTS {table}")
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
                for row in ordered:
                    _insert_form(db, row)
                for number, folder in sorted(folders.items()):
                    _refresh_employee(db, number, folder)
                db.executemany(_INSERT_RETURNED, returned)
                db.executemany(_INSERT_LOOK, looks)
                db.executemany(_INSERT_HANDED, handed)
                _changed(db)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            self._checkpointed(db)
        return len(ordered)

    def _remove(self) -> None:
        self.close()
        for suffix in ("", "-wal", "-shm"):
            self.path.with_name(self.path.name + suffix).unlink(missing_ok=True)

    def add(self, row: FormRow, folder: str) -> None:
        """Add one newly filed form (and refresh its employee) in one transaction."""
        with flocked(self._writers), self.connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                _insert_form(db, row)
                _refresh_employee(db, row.employee, folder)
                _changed(db)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def add_returned(self, action: str, meta: Mapping[str, Any]) -> None:
        """Note a form handed back, from its audit entry (`return_of`; any other entry is
        ignored). The index is a cache of the audit log here: should the write fail, the next
        rebuild reads the return from the log, so a failure is logged and the ingest goes on."""
        found = return_of(action, meta)
        if found is None:
            return
        try:
            with flocked(self._writers), self.connect() as db:
                db.execute("BEGIN IMMEDIATE")
                try:
                    db.execute(_INSERT_RETURNED, found)
                    _changed(db)
                    db.execute("COMMIT")
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
        except sqlite3.Error as error:
            log.warning("could not index a returned form: %s", error)

    def add_logged(self, entry: Mapping[str, Any]) -> None:
        """Note someone looking at a personnel file, or a file handed back, from its audit
        entry as written (with its `seq`; any other entry is ignored). A cache of the audit
        log like `add_returned`: a failure is logged, and the next rebuild reads the log."""
        look, handed = look_of(entry), handed_back_of(entry)
        if look is None and handed is None:
            return
        try:
            with flocked(self._writers), self.connect() as db:
                if look is not None:
                    db.execute(_INSERT_LOOK, look)
                if handed is not None:
                    db.execute(_INSERT_HANDED, handed)
        except sqlite3.Error as error:
            log.warning("could not index an audit entry: %s", error)

    def handed_back(self, sha256s: Iterable[str]) -> dict[str, dict[str, Any]]:
        """sha256 -> the last hand-back of those bytes (as its audit entry names it), for
        the ones handed back."""
        found: dict[str, dict[str, Any]] = {}
        with self.connect() as db:
            for sha256 in set(sha256s):
                row = db.execute(
                    f"SELECT {_HANDED_COLUMNS} FROM handed_back WHERE sha256 = ?", (sha256,)
                ).fetchone()
                if row is not None:
                    found[sha256] = HandedBack._make(row)._asdict()
        return found

    def looks_at(self, employee: str) -> list[Look]:
        """Who looked at `employee`'s personnel file, in the audit log's order."""
        with self.connect() as db:
            rows = db.execute(
                f"SELECT {_LOOK_COLUMNS} FROM looks WHERE employee = ? ORDER BY seq", (employee,)
            ).fetchall()
        return list(map(Look._make, rows))

    def changed(self) -> str:
        """A stamp of the last change to what the round reads (forms, employees, forms
        handed back): equal stamps, the same round."""
        with self.connect() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'changed'").fetchone()
        return str(row[0]) if row else ""

    def find_by_hash(self, sha256: str) -> FormRow | None:
        with self.connect() as db:
            found = _select(db, "WHERE sha256 = ? ORDER BY employee, year, kind, version", sha256)
        return found[0] if found else None

    def forms(
        self,
        *,
        year: int | None = None,
        employee: str | None = None,
        kind: str | None = None,
        latest_only: bool = True,
    ) -> list[FormRow]:
        clauses, params = [], []
        for column, value in (("year", year), ("employee", employee), ("kind", kind)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        with self.connect() as db:
            rows = _select(db, where + " ORDER BY employee, year, kind, version", *params)
        if not latest_only:
            return rows
        best: dict[tuple[str, int, str], FormRow] = {}
        for row in rows:
            key = (row.employee, row.year, row.kind)
            if key not in best or latest_first_key(row) > latest_first_key(best[key]):
                best[key] = row
        return [best[k] for k in sorted(best)]

    def round_facts(self, year: int, until: str) -> RoundFacts:
        """The facts of the round of `year` (see `formflow.rounds.RoundFacts`) in a few range
        reads of the covering indexes `forms_year` and `followups_year`; of the agreements'
        follow-up dates only those that can be on or before `until` (ISO; the round shows
        none later). A date of digits and hyphens only is one word, so it is compared as it
        is; any other is read whole, to be split into words.

        Each slot is one range read in (employee, version) order filtered on the state, so a
        dict keeps each employee's last row: the latest version sent. Only the columns every
        row reads are selected (SQLite's cost is per column read; `round_details` has the
        rest); one query that joined the slots per employee took twice as long.
        """
        from formflow.rounds import RoundFacts

        with self.connect() as db, _snapshot(db):
            agreements = _latest(db, _AGREEMENT_FACTS, _SENT_AGREEMENTS, year)
            preparations = _latest(db, _PREPARATION_SENT, _SENT_PREPARATIONS, year)
            last = {row[0] for row in db.execute(_query("employee", _SENT_AGREEMENTS), (year - 1,))}
            others = _senders_of_other_kinds(db, year)
            colleagues = dict(db.execute(_COLLEAGUE_INPUTS, (year,)).fetchall())
            returned = {
                (row[0], row[1]): row
                for row in db.execute(
                    "SELECT employee, kind, action, codes FROM returned WHERE year = ?", (year,)
                )
            }
            dates = db.execute(
                "SELECT employee, version, date FROM followups "
                "WHERE year = ? AND kind = 'agreement' AND (date <= ? OR date GLOB '*[^0-9-]*') "
                "ORDER BY employee, version, plan",
                (year, until),
            ).fetchall()
        followups: dict[tuple[str, int], list[str]] = {}
        for employee, version, when in dates:
            # a date is one word, an empty one none
            followups.setdefault((employee, version), []).extend(when.split())
        sent = set(agreements).union(preparations, others)
        details = partial(self.round_details, year)
        return RoundFacts(
            agreements, preparations, followups, sent, last, returned, details, colleagues
        )

    def round_details(self, year: int) -> RoundDetails:
        """What a row of the round of `year` reads only where this year's agreement leaves
        the meeting date, the name or the leader open (see `formflow.rounds.RoundDetails`)."""
        from formflow.rounds import RoundDetails

        with self.connect() as db, _snapshot(db):
            names = dict(db.execute(_query("employee, employee_name", _SENT_AGREEMENTS), (year,)))
            generated = _latest(db, _PREPARATION_FACTS, _GENERATED_PREPARATIONS, year)
            sent = _latest(db, _PREPARATION_FACTS, _SENT_PREPARATIONS, year)
            last = _latest(db, _LAST_FACTS, _SENT_AGREEMENTS, year - 1)
        return RoundDetails(names, generated | sent, last)  # a sent preparation form first

    def people(self) -> dict[str, tuple[str, str, str]]:
        """Every personnel folder's (number, name, leader) by number: the names `formflow
        status` falls back on (3 of `employees`' 4 columns, no named tuple per row)."""
        with self.connect() as db:
            rows = db.execute("SELECT number, name, leader FROM employees")
            return {row[0]: row for row in rows}

    def person(self, number: str) -> tuple[str, str, str] | None:
        """One personnel folder's (number, name, leader), as `people` gives them."""
        with self.connect() as db:
            row = db.execute(
                "SELECT number, name, leader FROM employees WHERE number = ?", (number,)
            ).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def employees(self) -> list[EmployeeRow]:
        with self.connect() as db:
            rows = db.execute(
                "SELECT number, name, folder, leader FROM employees ORDER BY number"
            ).fetchall()
        return list(map(EmployeeRow._make, rows))

    def folder_of(self, number: str) -> str | None:
        with self.connect() as db:
            row = db.execute("SELECT folder FROM employees WHERE number = ?", (number,)).fetchone()
        return row[0] if row else None

    def names_of(self, number: str) -> list[str]:
        """Every name the employee's filed forms carry (for the identity check)."""
        with self.connect() as db:
            rows = db.execute(
                "SELECT DISTINCT employee_name FROM forms WHERE employee = ? "
                "ORDER BY employee_name",
                (number,),
            ).fetchall()
        return [row[0] for row in rows]

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every table's rows, sorted: two indexes holding the same are equal dumps (the
        stamp of the last change left out: it is random)."""
        where = {"meta": " WHERE key != 'changed'"}
        with self.connect() as db:
            return {
                table: sorted(db.execute(f"SELECT * FROM {table}{where.get(table, '')}"))
                for table in TABLES
            }


class ReadOnlyIndex(Index):
    """The archive's index read without writing a byte (a dry run leaves no trace).

    Without a WAL file every commit is in the main file, and SQLite reads it as immutable: no
    -wal, -shm or lock file is made. With one, a writer (the daemon) is at work and made them
    already: read through them, read-only.
    """

    def _connection(self) -> sqlite3.Connection:
        held = getattr(self._local, "held", None)
        if held is not None:
            return held[0]
        wal = self.path.with_name(self.path.name + "-wal").exists()
        uri = f"{self.path.resolve().as_uri()}?{'mode=ro' if wal else 'immutable=1'}"
        db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        self._local.held = (db, ())
        return db


def read_only_index(archive: Path) -> Index | None:
    """The index of the archive at `archive`, read-only (dry runs); None when there is no
    archive yet, ArchiveError when its index is missing or out of date."""
    if not archive.exists():
        return None
    index = ReadOnlyIndex(archive / "index.sqlite")
    if not index.is_current():
        raise ArchiveError(
            "the archive's index is missing or out of date; run `formflow archive reindex` "
            "first (a dry run changes nothing)"
        )
    return index


def _checkpoint(db: sqlite3.Connection) -> None:
    """Copy a rebuild into the main file at once, so the file alone is a whole index (copied,
    inspected or replaced by hand). A single filing is not checkpointed: that cost two more
    fsyncs per form; its row is durable in the WAL, and SQLite checkpoints on its own every
    thousand pages or so (and when the last connection closes)."""
    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()


def _identity(st: os.stat_result) -> tuple[int, ...]:
    """Which file, as seen by this process: a connection is never reused across a fork."""
    return (os.getpid(), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


# what `round_facts` reads of each slot, in the order of `formflow.rounds`' AgreementFacts,
# PreparationSent, PreparationFacts and LastAgreementFacts (all in `forms_year`)
_AGREEMENT_FACTS = "employee, version, state, leader_name, meeting_date, next_meeting_date"
_PREPARATION_SENT = "employee, arrived, employee_signed"
_PREPARATION_FACTS = "employee, employee_name, leader_name, meeting_date"
_LAST_FACTS = "employee, employee_name, leader_name, next_meeting_date"
# the slots' ranges of `forms_year`, for a year
_SENT_AGREEMENTS = "year = ? AND kind = 'agreement' AND state != 'generated'"
_SENT_PREPARATIONS = "year = ? AND kind = 'preparation' AND state != 'generated'"
_GENERATED_PREPARATIONS = "year = ? AND kind = 'preparation' AND state = 'generated'"
# how many colleagues' inputs each employee got (seed 002): every one filed is a version
_COLLEAGUE_INPUTS = (
    "SELECT employee, COUNT(*) FROM forms WHERE year = ? AND kind = 'colleague_input' "
    "GROUP BY employee"
)


@contextmanager
def _snapshot(db: sqlite3.Connection) -> Iterator[None]:
    """One read transaction: its queries all see the same commit (a filing made meanwhile
    shows in none or in all of them, not in some)."""
    db.execute("BEGIN")
    try:
        yield
    finally:
        db.execute("COMMIT")


def _query(columns: str, where: str) -> str:
    """A slot's range in (employee, version) order: a dict of its rows keeps the latest."""
    return f"SELECT {columns} FROM forms WHERE {where} ORDER BY employee, version"


def _latest(db: sqlite3.Connection, columns: str, where: str, year: int) -> dict[str, Any]:
    """Each employee's latest row of a slot, by the first column (the employee): keyed in C
    (a comprehension over 10 000 rows cost as much as the query)."""
    rows = db.execute(_query(columns, where), (year,)).fetchall()
    return dict(zip(map(itemgetter(0), rows), rows, strict=True))


def _senders_of_other_kinds(db: sqlite3.Connection, year: int) -> set[str]:
    """Who sent a form of `year` of a kind of their own (it only puts them in the round): three
    ranges around the two kinds, not a scan of the year's range (NOT IN reads each row)."""
    ranges = ("< 'agreement'", "> 'agreement' AND kind < 'preparation'", "> 'preparation'")
    query = " UNION ALL ".join(
        f"SELECT employee FROM forms WHERE year = ?1 AND kind {kinds} AND state != 'generated'"
        for kinds in ranges
    )
    return {row[0] for row in db.execute(query, (year,))}


_COLUMNS = (
    "employee, employee_name, leader_name, year, kind, version, state, meeting_date, "
    "next_meeting_date, arrived"
)
_COLUMNS = (
    "employee, year, kind, version, state, file_format, sha256, size, original, record, "
    "employee_name, leader_name, meeting_date, next_meeting_date, arrived, employee_signed, "
    "filed, reader, valid, errors, warnings, problem_codes, signatures"
)
_INSERT_RETURNED = "INSERT OR REPLACE INTO returned VALUES (?, ?, ?, ?, ?)"
_LOOK_COLUMNS = "seq, employee, at, action, who, role, form"
_INSERT_LOOK = f"INSERT OR REPLACE INTO looks ({_LOOK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"


class Look(NamedTuple):
    """Someone looking at a personnel file, as its audit line says (`who` and `role` ""
    for the command line, `form` "" for the whole file)."""

    seq: int
    employee: str
    at: str
    action: str
    who: str
    role: str
    form: str


def look_of(entry: Mapping[str, Any]) -> Look | None:
    """The look an audit entry records (one of LOOK_ACTIONS, naming an employee), else None."""
    seq, employee = entry.get("seq"), entry.get("employee")
    if entry.get("action") not in LOOK_ACTIONS or not isinstance(employee, str) or not employee:
        return None
    if not isinstance(seq, int) or isinstance(seq, bool):
        return None

    def text(key: str) -> str:
        value = entry.get(key)
        return value if isinstance(value, str) else ""

    return Look(seq, employee, text("at"), text("action"), text("who"), text("role"), text("form"))


_HANDED_COLUMNS = "sha256, seq, at, action, employee, year, kind, codes"
_INSERT_HANDED = (
    f"INSERT OR REPLACE INTO handed_back ({_HANDED_COLUMNS}) VALUES ({', '.join('?' * 8)})"
)


class HandedBack(NamedTuple):
    """A file handed back (rejected or held), as its audit line says ("" for what it does
    not name)."""

    sha256: str
    seq: int
    at: str
    action: str
    employee: str
    year: str
    kind: str
    codes: str


def handed_back_of(entry: Mapping[str, Any]) -> HandedBack | None:
    """The hand-back an audit entry records (rejected or held, naming the file's sha256)."""
    sha256, seq = entry.get("sha256"), entry.get("seq")
    if entry.get("action") not in RETURN_ACTIONS or not isinstance(sha256, str) or not sha256:
        return None
    if not isinstance(seq, int) or isinstance(seq, bool):
        return None

    def text(key: str) -> str:
        value = entry.get(key)
        return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""

    return HandedBack(
        sha256, seq, text("at"), str(entry["action"]), text("employee"), text("year"),
        text("kind"), text("codes"),
    )  # fmt: skip


def _changed(db: sqlite3.Connection) -> None:
    """A new stamp for `Index.changed`, in the transaction that changes the round (random:
    an index rebuilt from scratch never repeats a stamp it had before)."""
    db.execute("INSERT OR REPLACE INTO meta VALUES ('changed', lower(hex(randomblob(8))))")


def return_of(action: str, meta: Mapping[str, Any]) -> tuple[int, str, str, str, str] | None:
    """The `returned` row of an audit entry of a form handed back (`rejected` or `held`, with
    the employee number, year and kind the form named), else None. Codes are kept as the
    audit wrote them: comma-separated."""
    employee, year, kind = meta.get("employee"), meta.get("year"), meta.get("kind")
    if action not in RETURN_ACTIONS or not employee or not isinstance(employee, str):
        return None
    if not isinstance(year, int) or isinstance(year, bool) or not kind or not isinstance(kind, str):
        return None
    codes = meta.get("codes")
    return (year, kind, employee, action, codes if isinstance(codes, str) else "")


def _insert_form(db: sqlite3.Connection, row: FormRow) -> None:
    signatures = json.dumps([[s.key, s.kind, s.valid] for s in row.signatures], ensure_ascii=False)
    db.execute(
        f"INSERT INTO forms ({_COLUMNS}) VALUES ({', '.join('?' * 23)})",
        (
            row.employee,
            row.year,
            row.kind,
            row.version,
            row.state,
            row.file_format,
            row.sha256,
            row.size,
            row.original,
            row.record,
            row.employee_name,
            row.leader_name,
            row.meeting_date,
            row.next_meeting_date,
            row.arrived,
            row.employee_signed,
            row.filed,
            row.reader,
            int(row.valid),
            row.errors,
            row.warnings,
            json.dumps(list(row.problem_codes)),
            signatures,
        ),
    )
    db.executemany(
        "INSERT INTO followups VALUES (?, ?, ?, ?, ?, ?)",
        [
            (row.employee, row.year, row.kind, row.version, plan, when)
            for plan, when in row.followups
        ],
    )


def _form_key(row: FormRow) -> tuple[str, int, str, int]:
    return (row.employee, row.year, row.kind, row.version)


def _refresh_employee(db: sqlite3.Connection, number: str, folder: str) -> None:
    """The employee's row from their forms: the name and leader of the latest filing (the
    name shown in the folder's name if no form carries one). One statement: a filing runs
    it in its index transaction, and each statement is a round trip from Python."""
    fallback = folder.rsplit("/", 1)[-1].split(" ", 1)[-1]
    db.execute(_REFRESH_EMPLOYEE, (number, folder, fallback))


_LATEST = "ORDER BY filed DESC, year DESC, kind DESC, version DESC LIMIT 1"
_REFRESH_EMPLOYEE = f"""
INSERT OR REPLACE INTO employees VALUES (
    ?1,
    coalesce(
        (SELECT employee_name FROM forms WHERE employee = ?1 AND employee_name != '' {_LATEST}),
        ?3
    ),
    ?2,
    coalesce(
        (SELECT leader_name FROM forms WHERE employee = ?1 AND leader_name != '' {_LATEST}), ''
    )
)"""


def _select(db: sqlite3.Connection, tail: str, *params: Any) -> list[FormRow]:
    rows = db.execute(f"SELECT {_COLUMNS} FROM forms {tail}", params).fetchall()
    found = []
    for r in rows:
        key = (r[0], r[1], r[2], r[3])
        followups = db.execute(
            "SELECT plan, date FROM followups WHERE employee = ? AND year = ? AND kind = ? "
            "AND version = ? ORDER BY plan, date",
            key,
        ).fetchall()
        found.append(
            FormRow(
                employee=r[0],
                year=r[1],
                kind=r[2],
                version=r[3],
                state=r[4],
                file_format=r[5],
                sha256=r[6],
                size=r[7],
                original=r[8],
                record=r[9],
                employee_name=r[10],
                leader_name=r[11],
                meeting_date=r[12],
                next_meeting_date=r[13],
                arrived=r[14],
                employee_signed=r[15],
                filed=r[16],
                reader=r[17],
                valid=bool(r[18]),
                errors=r[19],
                warnings=r[20],
                problem_codes=tuple(json.loads(r[21])),
                signatures=tuple(
                    SignatureSummary(k, kd, bool(v)) for k, kd, v in json.loads(r[22])
                ),
                followups=tuple((p, d) for p, d in followups),
            )
        )
    return found
