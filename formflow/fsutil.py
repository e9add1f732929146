"""Crash-safe file writing: every file formflow writes appears whole or not at all.

One mechanism (`TempFile`, borg's SaveFile): the bytes go into a new file under a temporary
name (`.tmp-*.part`) and are fsynced; only then does the file get its final name, renamed
over an old one or, where nothing may be overwritten, linked beside it (`link` fails if the
name exists, even in a race); then the folder is fsynced. A crash at any point leaves either
the old state or the new one, never a partial file under the final name.

`save_file` and `write_bytes` write a file in its own folder that way. The archive writes a
filing's files ahead in a staging folder of its own and links them into their year folder
once their names are decided (`formflow.archive.staging`).
"""

from __future__ import annotations

import errno
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


TEMP_PREFIX = ".tmp-"  # the names of files being written: never a finished file
TEMP_SUFFIX = ".part"
# link(2)'s refusals where a hard link cannot go: another file system, or one without links
_NO_LINK = frozenset({errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP})


class TempFile:
    """A new private file under a temporary name in `folder`, open for writing (`handle`).

    `seal` makes the written bytes durable, `place` gives them their final name, `discard`
    removes what is left under the temporary name (always call it: after `place` it has
    nothing left to do).
    """

    def __init__(self, folder: Path, mode: int = PRIVATE_FILE) -> None:
        fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=folder)
        self.path = Path(name)
        self.mode = mode
        self._placed = False
        try:
            os.fchmod(fd, mode)
            self.handle: BinaryIO = os.fdopen(fd, "wb")
        except BaseException:
            os.close(fd)
            self.path.unlink(missing_ok=True)
            raise

    def seal(self) -> None:
        """Flush, fsync and close the file: its bytes are durable, under the temporary name."""
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()

    def place(self, target: Path, *, replace: bool = False, sync: bool = True) -> None:
        """Give the sealed file the name `target`: over an existing file with `replace`, else
        never (FileExistsError). Durable once `target`'s folder is fsynced: here, or by the
        caller with `sync=False` (one fsync for several names). A file staged where a link
        cannot reach `target` is written anew beside it, the same way."""
        if replace:
            os.replace(self.path, target)
        else:
            try:
                os.link(self.path, target)
            except OSError as error:
                if error.errno not in _NO_LINK or self.path.parent == target.parent:
                    raise
                write_bytes(target, self.path.read_bytes(), self.mode, replace=False)
                return
            # before the folder's fsync, so that it commits the temporary name's removal too
            self.path.unlink()
        self._placed = True
        if sync:
            fsync_dir(target.parent)

    def discard(self) -> None:
        """Close the file and remove its temporary name, unless `place` moved it already."""
        self.handle.close()
        if not self._placed:
            self.path.unlink(missing_ok=True)


@contextmanager
def save_file(path: Path, mode: int = PRIVATE_FILE, *, replace: bool = True) -> Iterator[BinaryIO]:
    """Yield a binary file; on success it becomes `path` atomically and durably.

    With `replace=False` an existing `path` is never overwritten (FileExistsError): the
    archive keeps every version and never replaces a file.
    """
    temp = TempFile(path.parent, mode)
    try:
        yield temp.handle
        temp.seal()
        temp.place(path, replace=replace)
    finally:
        temp.discard()


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
