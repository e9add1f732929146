"""The audit log: append-only, hash-chained JSON lines (`archive/audit.log`).

Each line is one JSON object: `seq`, `at`, `action`, the caller's metadata and `prev`, the
sha256 of the previous line's bytes (64 zeros for the first). Changing, removing or reordering
any line breaks the chain from there on, and `verify` says where. The log records what
happened (filed, rejected, held, viewed, exported, verified) with file hashes, employee
numbers, states and codes: never form contents and never names.

A crash while appending can leave a last line without its newline. That line was never
acknowledged to anyone, so the next append cuts it off and records that it did
(`audit_repaired`), instead of leaving a chain that fails verification forever.

The chain alone cannot tell a log cut short (its last lines gone) or rewritten whole with a
fresh valid chain. So its head is also kept where a rewrite of the log does not reach: each
append writes the line it made (its `seq` and sha256, an `Anchor`) into `audit.head`
(`Head`, beside the archive's locks), and each record names the head at its filing
(`AuditLog.head`). `verify` checks the log still holds every such line as it was. The head
file is written after the log's fsync, without one of its own: a crash can leave it behind
the log, never ahead of it, and the next append reads back to check the log still holds it.
An append that finds the log no longer holding it keeps that line as `lost`, for `verify` to
report however many lines are appended after. An archive from before the head file (none
kept, records without an anchor) has nothing to check it against, and is not checked.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from formflow.fsutil import PRIVATE_FILE, fsync_dir

log = logging.getLogger(__name__)

GENESIS = "0" * 64
RESERVED = frozenset({"seq", "at", "action", "prev"})
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MetaValue = str | int | float | bool | None | list[str] | tuple[str, ...]
HEAD_SIZE = 256  # the head file is rewritten in place at this fixed size (no truncation)
_CHUNK = 4096


@dataclass(frozen=True)
class Anchor:
    """One line of the log as it was written: its number (`seq`, 1-based) and its sha256."""

    seq: int
    sha256: str

    def to_json(self) -> dict[str, int | str]:
        return {"seq": self.seq, "sha256": self.sha256}

    @classmethod
    def from_json(cls, value: Any) -> Anchor | None:
        """The anchor in `value`; None for anything else (no anchor: nothing to check)."""
        if not isinstance(value, dict):
            return None
        seq, sha256 = value.get("seq"), value.get("sha256")
        if type(seq) is not int or seq < 1 or not isinstance(sha256, str):
            return None
        return cls(seq, sha256)

    def held_by(self, lines: Sequence[bytes]) -> bool:
        """Whether the log's `lines` still hold this line as it was written."""
        return self.seq <= len(lines) and line_hash(lines[self.seq - 1]) == self.sha256


@dataclass(frozen=True)
class Head:
    """What `audit.head` keeps: the log's last line as last written, and the first line
    an append found the log no longer holding (cut short or rewritten), if any."""

    last: Anchor
    lost: Anchor | None = None

    def encode(self) -> bytes:
        lost = self.lost.to_json() if self.lost else None
        data = json.dumps({"last": self.last.to_json(), "lost": lost}).encode("ascii")
        return data.ljust(HEAD_SIZE - 1) + b"\n"


def read_head(path: Path) -> Head | None:
    """The head kept in `path`; None when there is none (an archive from before it) or it
    cannot be read."""
    try:
        with path.open("rb") as handle:
            value = json.loads(handle.read(HEAD_SIZE))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    last = Anchor.from_json(value.get("last")) if isinstance(value, dict) else None
    if last is None:
        return None
    return Head(last, Anchor.from_json(value.get("lost")))


def head_problems(lines: Sequence[bytes], head: Head | None) -> list[str]:
    """Where the log (`lines`) no longer reaches the head kept for it (read before `lines`:
    it never names a line appended after them)."""
    if head is None:
        return []  # an archive from before the head file: nothing to hold the log against
    found = []
    if head.lost is not None:
        found.append(
            f"audit.log: line {head.lost.seq} was cut off or changed before a later append "
            "(the log was cut short or rewritten)"
        )
    last = head.last
    if last.seq > len(lines):
        found.append(
            f"audit.log: cut short: it ends at line {len(lines)}, but line {last.seq} was "
            f"written ({last.seq - len(lines)} line(s) missing)"
        )
    elif not last.held_by(lines):
        found.append(f"audit.log line {last.seq}: not the line written there (log rewritten)")
    return found


def line_hash(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def make_line(prev: str, seq: int, at: datetime, action: str, meta: dict[str, Any]) -> bytes:
    """One audit line (without its newline). Metadata must be flat, small, content-free."""
    return _encode(_entry(prev, seq, at, action, meta))


def _encode(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _entry(prev: str, seq: int, at: datetime, action: str, meta: dict[str, Any]) -> dict[str, Any]:
    """One audit entry, as `make_line` writes it; ValueError for metadata it refuses."""
    if not _KEY.match(action):
        raise ValueError(f"audit action must be a snake_case word, not {action!r}")
    entry: dict[str, Any] = {"seq": seq, "at": at.isoformat(), "action": action}
    for key, value in meta.items():
        if key in RESERVED or not _KEY.match(key):
            raise ValueError(f"audit metadata key {key!r} is reserved or malformed")
        if isinstance(value, list | tuple):
            if not all(isinstance(v, str) for v in value):
                raise ValueError(f"audit metadata {key!r}: lists may hold only codes (str)")
            value = list(value)
        elif not isinstance(value, str | int | float | bool) and value is not None:
            raise ValueError(f"audit metadata {key!r}: {type(value).__name__} is not allowed")
        entry[key] = value
    entry["prev"] = prev
    return entry


def check_chain(lines: Iterable[bytes]) -> list[str]:
    """Every break in the chain, as English sentences naming the line number (1-based)."""
    problems: list[str] = []
    prev = GENESIS
    expected_seq = 1
    for number, line in enumerate(lines, start=1):
        try:
            entry = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            problems.append(f"audit.log line {number}: not a JSON entry")
            prev = line_hash(line)
            expected_seq += 1
            continue
        if not isinstance(entry, dict) or entry.get("prev") != prev:
            problems.append(
                f"audit.log line {number}: chain broken (previous line changed or removed)"
            )
        if isinstance(entry, dict) and entry.get("seq") != expected_seq:
            problems.append(f"audit.log line {number}: sequence {entry.get('seq')} out of order")
        prev = line_hash(line)
        expected_seq += 1
    return problems


def entries_of(lines: Iterable[bytes]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, entry) of each line that is a JSON entry."""
    for number, line in enumerate(lines, start=1):
        try:
            entry = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(entry, dict):
            yield number, entry


class AuditLog:
    """The archive's audit log file and its kept head (`head_path`); appends are serialised
    with an exclusive file lock."""

    def __init__(self, path: Path, clock: Callable[[], datetime], *, head_path: Path) -> None:
        self.path = path
        self.clock = clock
        self.head_path = head_path
        self._head: Anchor | None = None  # the last line this process appended or read

    def append(self, action: str, **meta: Any) -> dict[str, Any]:
        """Append one entry durably; returns it as written."""
        _entry(GENESIS, 1, self.clock(), action, meta)  # refuse bad metadata before locking
        created = not self.path.exists()
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, PRIVATE_FILE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            last, cut = _last_line(fd)
            kept = self._checked_head(fd, last)
            if cut:
                prev, seq = _position(last)
                repair = make_line(
                    prev, seq + 1, self.clock(), "audit_repaired", {"cut_bytes": cut}
                )
                _write_line(fd, repair)
                last = repair
            prev, seq = _position(last)
            entry = _entry(prev, seq + 1, self.clock(), action, meta)
            line = _encode(entry)
            _write_line(fd, line)
            os.fsync(fd)
            self._head = Anchor(seq + 1, line_hash(line))
            # still under the lock: the head file follows the log's order of appends
            self._keep_head(Head(self._head, kept.lost if kept else None))
        finally:
            os.close(fd)  # closing releases the lock
        if created:
            fsync_dir(self.path.parent)
        return entry  # what the line says: plain JSON values, lists as lists

    def head(self) -> Anchor | None:
        """The log's last line as this process last knew it (its own last append, else the
        log's last line now): a record keeps it, and `verify` checks the log still holds it.
        None while the log is empty."""
        if self._head is None and self.path.exists():
            fd = os.open(self.path, os.O_RDONLY)
            try:
                fcntl.flock(fd, fcntl.LOCK_SH)  # no append half-way
                lines, _ = _tail(fd, 1)
            finally:
                os.close(fd)
            if lines:
                digest, seq = _position(lines[-1])
                self._head = Anchor(seq, digest) if seq >= 1 else None
        return self._head

    def kept_head(self) -> Head | None:
        """The head kept for the log (None in an archive from before it), read with no
        append half-way (an append writes it under the log's lock)."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return read_head(self.head_path)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
            return read_head(self.head_path)
        finally:
            os.close(fd)

    def _checked_head(self, fd: int, last: bytes | None) -> Head | None:
        """The kept head, with `lost` set when the log (open as `fd`, ending in `last`) no
        longer holds its last line: kept from then on, however many lines follow."""
        head = read_head(self.head_path)
        if head is None or head.lost is not None or _holds(fd, last, head.last):
            return head
        log.warning("the audit log no longer holds line %d: cut short or rewritten", head.last.seq)
        return Head(head.last, lost=head.last)

    def _keep_head(self, head: Head) -> None:
        """Write the head file in place, without an fsync of its own (a crash leaves it
        behind the log, which the next append checks); a failure leaves it behind too. Only
        the append that creates it makes it durable, once: `verify` expects it from then on."""
        try:
            created = not self.head_path.exists()
            fd = os.open(self.head_path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE)
            try:
                os.pwrite(fd, head.encode(), 0)
                if created:
                    os.fsync(fd)
            finally:
                os.close(fd)
            if created:
                fsync_dir(self.head_path.parent)
        except OSError as error:
            log.warning("cannot keep the audit log's head: %s", error)

    def lines(self) -> list[bytes]:
        """The complete lines of the log (a torn last line is left out)."""
        if not self.path.exists():
            return []
        data = self.path.read_bytes()
        complete = data[: data.rfind(b"\n") + 1]
        return complete.splitlines()

    def entries(self) -> Iterator[dict[str, Any]]:
        for _, entry in entries_of(self.lines()):
            yield entry

    def verify(self) -> list[str]:
        """Breaks in the chain, and where the log no longer reaches its kept head."""
        head = self.kept_head()  # first: it never names a line the log does not have yet
        lines = self.lines()
        return check_chain(lines) + head_problems(lines, head)


def _position(last: bytes | None) -> tuple[str, int]:
    """(hash of the last line, its seq) to continue the chain from."""
    if last is None:
        return GENESIS, 0
    try:
        seq = int(json.loads(last.decode("utf-8")).get("seq", 0))
    except (UnicodeDecodeError, json.JSONDecodeError, AttributeError, TypeError, ValueError):
        seq = 0
    return line_hash(last), seq


def _write_line(fd: int, line: bytes) -> None:
    """Append one line; a short write (a full disk) is an error, not an entry appended
    (the torn line it leaves is cut off by the next append)."""
    data = line + b"\n"
    if os.write(fd, data) != len(data):
        raise OSError(errno.ENOSPC, "short write to the audit log")


def _holds(fd: int, last: bytes | None, anchor: Anchor) -> bool:
    """Whether the open log, whose last complete line is `last`, holds `anchor`'s line."""
    if last is None:
        return False
    digest, seq = _position(last)
    if anchor.seq >= seq:
        return anchor.seq == seq and anchor.sha256 == digest
    # the head is behind the log (a crash before it was written): read back to its line
    lines, _ = _tail(fd, seq - anchor.seq + 1)
    return len(lines) == seq - anchor.seq + 1 and line_hash(lines[0]) == anchor.sha256


def _last_line(fd: int) -> tuple[bytes | None, int]:
    """The last complete line of the open log, and how many torn bytes were cut off its end."""
    lines, cut = _tail(fd, 1)
    if cut:
        os.ftruncate(fd, os.fstat(fd).st_size - cut)
    return (lines[-1] if lines else None), cut


def _tail(fd: int, count: int) -> tuple[list[bytes], int]:
    """The last `count` complete lines of the open log (all of a shorter one), read back from
    its end, and the number of bytes after its last newline (a torn line)."""
    end = os.fstat(fd).st_size
    chunks: list[bytes] = []
    newlines = 0
    # one newline more than lines wanted frames the first of them; or read back to the start
    while end > 0 and newlines <= count:
        start = max(0, end - _CHUNK)
        chunks.append(os.pread(fd, end - start, start))
        newlines += chunks[-1].count(b"\n")
        end = start
    tail = b"".join(reversed(chunks))
    keep = tail.rfind(b"\n") + 1  # 0 when no newline yet: all of it is (so far) torn
    lines = tail[:keep].split(b"\n")[:-1]
    if end > 0:
        lines = lines[1:]  # the end of a line not read whole
    return lines[-count:], len(tail) - keep
