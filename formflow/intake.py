"""Safe opening of a file someone dropped into the inbox, and moving it on afterwards.

The inbox is writable by everyone it serves, so a dropped file is hostile until shown
otherwise: a symlink to someone's personnel file, a hardlink to a file outside the inbox, a
FIFO that would block a reader forever, a device. A file is opened without following links
(O_NOFOLLOW), without blocking (O_NONBLOCK), checked to be one regular file (fstat, one link)
whose real path lies inside the inbox, and read whole into memory once: every later stage
works on those bytes (or a private copy of them), never on the name again.

The dropped name is never used as a path: returned files get a sanitized, collision-free name
in a real folder inside the inbox (`formflow.returns`).
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePath

from formflow.errors import UnreadableForm

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Identity:
    """Which file a name pointed at when it was taken (so we never move or delete another)."""

    dev: int
    ino: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> Identity:
        return cls(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


@dataclass(frozen=True)
class Dropped:
    """A dropped file read whole: its bytes, hash and identity, and where it lay."""

    path: Path
    relative: PurePath  # to the inbox; text only (for logs and the returned copy's name)
    data: bytes
    sha256: str
    identity: Identity
    changed_ns: int  # st_ctime: when it was written or moved into the inbox (not settable)

    @property
    def name(self) -> str:
        return self.relative.name


class Vanished(Exception):
    """The file disappeared or changed while being taken: look again at the next scan."""


def open_dropped(inbox: Path, path: Path, *, max_bytes: int) -> Dropped:
    """Read the dropped file at `path` safely; raise UnreadableForm for files refused outright.

    Raises `Vanished` when the file went away or changed under us (not the dropper's fault;
    the next scan sees it again).
    """
    relative = _relative(inbox, path)
    try:
        st = os.lstat(path)
    except FileNotFoundError as error:
        raise Vanished(str(relative)) from error
    _check_kind(st)
    if st.st_size > max_bytes:
        raise _too_big(st.st_size, max_bytes)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError as error:
        raise Vanished(str(relative)) from error
    except OSError as error:
        if error.errno == errno.ELOOP:  # swapped for a symlink after lstat
            raise _symlink() from error
        raise
    try:
        fst = os.fstat(fd)
        _check_kind(fst)
        if (fst.st_dev, fst.st_ino) != (st.st_dev, st.st_ino):
            raise Vanished(f"{relative}: replaced while being opened")
        _check_inside(inbox, fd, path)
        data = _read_all(fd, max_bytes)
        after = os.fstat(fd)
    finally:
        os.close(fd)
    if (after.st_size, after.st_mtime_ns) != (fst.st_size, fst.st_mtime_ns) or len(data) != (
        after.st_size
    ):
        raise Vanished(f"{relative}: changed while being read")
    if not data:
        raise UnreadableForm(
            "empty", "Filen er tom (0 byte). Gem skemaet igen, og læg det i indbakken.", "empty"
        )
    sha256 = hashlib.sha256(data).hexdigest()
    return Dropped(path, relative, data, sha256, Identity.of(after), after.st_ctime_ns)


def same_file(path: Path, identity: Identity) -> bool:
    """True when `path` is still the very file taken (not a new one dropped under its name)."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return Identity.of(st) == identity or (
        # a symlink or special file moved aside keeps dev/ino; its times may tick
        not stat.S_ISREG(st.st_mode) and (st.st_dev, st.st_ino) == (identity.dev, identity.ino)
    )


def lstat_identity(path: Path) -> Identity:
    return Identity.of(os.lstat(path))


def remove_original(path: Path, identity: Identity) -> bool:
    """Unlink a dropped file once its bytes are durably archived; only if it is still the same
    file. Returns False when it already left (a crash after the unlink) or was replaced.

    The inbox folder is not fsynced after the unlink: a removal lost in a power cut brings back
    a file whose bytes are archived, which the next scan finds by its hash and removes again
    (an ingest is idempotent), so durability here would cost an fsync per form for nothing."""
    if not same_file(path, identity):
        return False
    os.unlink(path)
    return True


# --- helpers --------------------------------------------------------------------------------


def _relative(inbox: Path, path: Path) -> PurePath:
    try:
        return path.relative_to(inbox)
    except ValueError:
        return PurePath(path.name)


def _check_kind(st: os.stat_result) -> None:
    if stat.S_ISLNK(st.st_mode):
        raise _symlink()
    if stat.S_ISFIFO(st.st_mode) or stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        raise UnreadableForm(
            "not_a_file",
            "Det, der blev lagt i indbakken, er ikke en almindelig fil. "
            "Gem skemaet som en PDF- eller Word-fil, og læg filen i indbakken.",
            f"special file (mode {stat.filemode(st.st_mode)})",
        )
    if not stat.S_ISREG(st.st_mode):
        raise UnreadableForm(
            "not_a_file",
            "Det, der blev lagt i indbakken, er ikke en almindelig fil. "
            "Læg selve skemaet (PDF eller Word) i indbakken.",
            f"not a regular file (mode {stat.filemode(st.st_mode)})",
        )
    if st.st_nlink > 1:
        raise UnreadableForm(
            "hardlink",
            "Filen er en henvisning (hård link) til en fil et andet sted og kan ikke modtages. "
            "Læg en almindelig kopi af skemaet i indbakken.",
            f"hardlink ({st.st_nlink} links)",
        )


def _symlink() -> UnreadableForm:
    return UnreadableForm(
        "symlink",
        "Filen er en genvej (symbolsk link) og ikke selve skemaet. "
        "Læg en kopi af selve skemaet i indbakken.",
        "symlink, not followed",
    )


def _too_big(size: int, max_bytes: int) -> UnreadableForm:
    return UnreadableForm(
        "too_big",
        f"Filen er for stor ({size / 1_000_000:.1f} MB; højst {max_bytes / 1_000_000:.0f} MB). "
        "Gem skemaet uden store billeder, og læg det i indbakken igen.",
        f"{size} bytes > {max_bytes}",
    )


def _check_inside(inbox: Path, fd: int, path: Path) -> None:
    """The opened file's real path must lie inside the inbox (no link out of it anywhere)."""
    proc = f"/proc/self/fd/{fd}"
    real = os.readlink(proc) if os.path.exists(proc) else os.path.realpath(path)
    root = os.path.realpath(inbox)
    if os.path.commonpath([root, real]) != root:
        raise UnreadableForm(
            "outside_inbox",
            "Filen ligger uden for indbakken (en genvej til en anden mappe). "
            "Læg en kopi af selve skemaet i indbakken.",
            "real path outside the inbox",
        )


def _read_all(fd: int, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = os.read(fd, _CHUNK)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > max_bytes:
            raise _too_big(total, max_bytes)
        chunks.append(chunk)
