"""The audit log: append-only, hash-chained JSON lines (`archive/audit.log`).

Each line is one JSON object: `seq`, `at`, `action`, the caller's metadata and `prev`, the
sha256 of the previous line's bytes (64 zeros for the first). Changing, removing or reordering
any line breaks the chain from there on, and `verify` says where. The log records what
happened (filed, rejected, held, viewed, exported, verified) with file hashes, employee
numbers, states and codes: never form contents and never names.

A crash while appending can leave a last line without its newline. That line was never
acknowledged to anyone, so the next append cuts it off and records that it did
(`audit_repaired`), instead of leaving a chain that fails verification forever.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from formflow.fsutil import PRIVATE_FILE, fsync_dir

GENESIS = "0" * 64
RESERVED = frozenset({"seq", "at", "action", "prev"})
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MetaValue = str | int | float | bool | None | list[str] | tuple[str, ...]


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


class AuditLog:
    """The archive's audit log file; appends are serialised with an exclusive file lock."""

    def __init__(self, path: Path, clock: Callable[[], datetime]) -> None:
        self.path = path
        self.clock = clock

    def append(self, action: str, **meta: Any) -> dict[str, Any]:
        """Append one entry durably; returns it as written."""
        _entry(GENESIS, 1, self.clock(), action, meta)  # refuse bad metadata before locking
        created = not self.path.exists()
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, PRIVATE_FILE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            last, cut = _last_line(fd)
            if cut:
                prev, seq = _position(last)
                repair = make_line(
                    prev, seq + 1, self.clock(), "audit_repaired", {"cut_bytes": cut}
                )
                os.write(fd, repair + b"\n")
                last = repair
            prev, seq = _position(last)
            entry = _entry(prev, seq + 1, self.clock(), action, meta)
            os.write(fd, _encode(entry) + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)  # closing releases the lock
        if created:
            fsync_dir(self.path.parent)
        return entry  # what the line says: plain JSON values, lists as lists

    def lines(self) -> list[bytes]:
        """The complete lines of the log (a torn last line is left out)."""
        if not self.path.exists():
            return []
        data = self.path.read_bytes()
        complete = data[: data.rfind(b"\n") + 1]
        return complete.splitlines()

    def entries(self) -> Iterator[dict[str, Any]]:
        for line in self.lines():
            try:
                entry = json.loads(line.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                continue
            if isinstance(entry, dict):
                yield entry

    def verify(self) -> list[str]:
        return check_chain(self.lines())


def _position(last: bytes | None) -> tuple[str, int]:
    """(hash of the last line, its seq) to continue the chain from."""
    if last is None:
        return GENESIS, 0
    try:
        seq = int(json.loads(last.decode("utf-8")).get("seq", 0))
    except (UnicodeDecodeError, json.JSONDecodeError, AttributeError, TypeError, ValueError):
        seq = 0
    return line_hash(last), seq


def _last_line(fd: int) -> tuple[bytes | None, int]:
    """The last complete line of the open log, and how many torn bytes were cut off its end."""
    size = os.fstat(fd).st_size
    if size == 0:
        return None, 0
    chunk = 4096
    end = size
    tail = b""
    while True:
        start = max(0, end - chunk)
        tail = os.pread(fd, end - start, start) + tail
        end = start
        keep = tail.rfind(b"\n") + 1  # 0 when no newline yet: all of it is (so far) torn
        # two newlines frame the last complete line; or we have read back to the start
        if start == 0 or tail.count(b"\n", 0, keep) >= 2:
            break
    cut = len(tail) - keep
    if cut:
        os.ftruncate(fd, size - cut)
    lines = tail[:keep].splitlines()
    return (lines[-1] if lines else None), cut
