"""Crash-safe file writing: every file formflow writes appears whole or not at all.

Write a temp file in the target folder, fsync it, rename it over the target, fsync the folder
(borg's SaveFile). A crash at any point leaves either the old state or the new one, never a
partial file under the final name.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def make_private_dirs(path: Path, *, sync: bool = True) -> list[Path]:
    """Create `path` and missing parents with mode 0700 (personnel data is confidential);
    returns the folders created, outermost first.

    Each new folder's name lives in its parent, so the parents are fsynced. With
    `sync=False` that is left to the caller (`sync_created`), who can do it once the new
    folders hold their files: a journaling file system then commits all of it at once.
    """
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
    missing.reverse()
    for folder in missing:
        folder.mkdir(mode=PRIVATE_DIR, exist_ok=True)
        os.chmod(folder, PRIVATE_DIR)  # mkdir's mode is masked by the umask
    if sync:
        sync_created(missing)
    return missing


def sync_created(created: list[Path]) -> None:
    """Make the names of folders `make_private_dirs(..., sync=False)` created durable, from
    the innermost out (after the first fsync the others usually find nothing to commit)."""
    for folder in reversed(created):
        fsync_dir(folder.parent)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def save_file(path: Path, mode: int = PRIVATE_FILE, *, replace: bool = True) -> Iterator[BinaryIO]:
    """Yield a binary file; on success it becomes `path` atomically and durably.

    With `replace=False` an existing `path` is never overwritten (FileExistsError): the
    archive keeps every version and never replaces a file.
    """
    folder = path.parent
    fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=folder)
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails if `path` exists: no overwrite, even in a race
            tmp.unlink()
        fsync_dir(folder)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes(path: Path, data: bytes, mode: int = PRIVATE_FILE, *, replace: bool = True) -> None:
    with save_file(path, mode, replace=replace) as handle:
        handle.write(data)


@contextmanager
def flocked(path: Path, operation: int = fcntl.LOCK_EX) -> Iterator[None]:
    """Hold an flock on `path` (made 0600 if missing) for the block. A process or thread
    waiting for it is woken the moment it is released; each call opens the file anew, so
    threads of one process exclude each other too."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE)
    try:
        fcntl.flock(fd, operation)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def writer_lock(database: Path) -> Path:
    """The lock file that takes a SQLite database's writers one at a time (see `Index.add`)."""
    return database.with_name(f".{database.name}.lock")
