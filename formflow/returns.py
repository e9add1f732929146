"""The rejected and held folders: returned files go into real folders inside the inbox.

Employees can write in `inbox/afvist/` and `inbox/til-afklaring/` (they fetch their returned
forms there), so nothing under them is trusted. Every folder a returned file or its
explanation goes into is opened component by component relative to its parent's descriptor,
without following links (O_NOFOLLOW | O_DIRECTORY), and created the same way: a symlink
planted as `afvist/salg` never carries a colleague's form out of the inbox, and one pointing
back into the inbox (`afvist/hr -> ../hr`) makes no loop. The names inside the folder are
used relative to that descriptor (`*at` calls), so swapping a folder for a link meanwhile
changes nothing.

A department's folder that is not a real folder (a symlink, a file, a FIFO someone put there)
is never moved, followed or deleted: the form goes into the top rejected or held folder, its
name carrying the department (`salg - skema.pdf`), and the log says why. Only the top folders
themselves must be real folders; if one is not, nothing is returned (the file stays in the
inbox, an error in the log, retried with backoff) until an administrator removes it.

Folders formflow creates here get the mode of the inbox folder they mirror (`afvist/salg` that
of `inbox/salg`, the top folders that of the inbox; setuid dropped, the owner always rwx):
whoever could list a department's forms as they lay there can list them returned, nobody else.
An explanation is as private as the form it explains (`notice_mode`).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import secrets
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

from formflow.inbox import sanitize_name, unique_name

log = logging.getLogger("formflow.watch")

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
TEMP_PREFIX = ".tmp-"  # as formflow.fsutil's: an explanation being written (recover removes)
TEMP_SUFFIX = ".part"
DEPARTMENT_SEPARATOR = " - "


class NotAFolder(OSError):
    """A folder formflow writes into under the inbox is a link or not a folder at all."""

    def __init__(self, relative: PurePath) -> None:
        super().__init__(errno.ENOTDIR, "not a real folder (a link or a file)", str(relative))
        self.relative = relative


def notice_mode(form_mode: int | None) -> int:
    """An explanation's mode: readable by whoever may read the form (group, others), never
    by more (the form's mode unknown: by nobody); always read-write for formflow itself."""
    return 0o600 | (stat.S_IMODE(form_mode or 0) & 0o044)


def folder_mode(mirrored_mode: int) -> int:
    """A created folder's mode: that of the inbox folder it mirrors, setuid dropped, the
    owner (formflow) always rwx."""
    return (stat.S_IMODE(mirrored_mode) & ~stat.S_ISUID) | 0o700


@dataclass(frozen=True)
class Folder:
    """An open rejected or held folder: its descriptor, its path (for the ledger and logs)
    and the prefix a returned name gets when its department's folder could not be used."""

    fd: int
    path: Path
    prefix: str = ""

    def free_name(self, dropped_name: str) -> str:
        """A sanitized name nobody uses here (nor its explanation's name)."""
        return unique_name(sanitize_name(self.prefix + dropped_name), os.listdir(self.fd))

    def exists(self, name: str) -> bool:
        try:
            os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        except FileNotFoundError:
            return False
        return True

    def mode_of(self, name: str) -> int | None:
        with contextlib.suppress(OSError):
            return os.stat(name, dir_fd=self.fd, follow_symlinks=False).st_mode
        return None

    def write(self, name: str, data: bytes, mode: int) -> None:
        """`name` holds `data`, whole or not at all (a temporary name, fsync, rename)."""
        temp = f"{TEMP_PREFIX}{secrets.token_hex(8)}{TEMP_SUFFIX}"
        fd = os.open(temp, _NEW_FILE, mode, dir_fd=self.fd)
        try:
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(handle.fileno(), mode)  # the umask must not loosen nor tighten it
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp, dir_fd=self.fd)
            raise
        _fsync(self.fd)

    def unlink(self, name: str) -> None:
        os.unlink(name, dir_fd=self.fd)

    def take(self, source: Path, inbox: Path, name: str) -> None:
        """Move the file at `source` (in the inbox) here as `name`: one rename of the entry
        itself (a symlink stays a symlink, a FIFO is never opened); never overwrites
        (FileExistsError). The source's folders are opened without following links too."""
        if self.exists(name):
            raise FileExistsError(errno.EEXIST, "taken", name)
        source_fd = open_folder(inbox, source.parent.relative_to(inbox).parts)
        try:
            os.rename(source.name, name, src_dir_fd=source_fd, dst_dir_fd=self.fd)
            _fsync(self.fd)
            _fsync(source_fd)
        finally:
            os.close(source_fd)


def open_folder(root: Path, parts: Sequence[str], *, modes: Sequence[int] | None = None) -> int:
    """A descriptor of `root/parts...` (the caller closes it), every part opened without
    following links; with `modes` (one per part), missing parts are created with them.
    NotAFolder when a part is a link or not a folder. `root` itself (the configured inbox)
    is opened as it is."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    for depth, part in enumerate(parts):
        mode = None if modes is None else modes[depth]
        fd = _enter(fd, part, mode, PurePath(*parts[: depth + 1]))
    return fd


def _enter(parent: int, name: str, mode: int | None, relative: PurePath) -> int:
    """Open (or create, with `mode`) the folder `name` in `parent`; closes `parent`."""
    try:
        if mode is not None:
            with contextlib.suppress(FileExistsError):
                os.mkdir(name, mode, dir_fd=parent)
                _created(parent, name, mode)
        return os.open(name, _DIR_FLAGS, dir_fd=parent)
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.ENOTDIR):
            raise NotAFolder(relative) from error
        raise
    finally:
        os.close(parent)


def _created(parent: int, name: str, mode: int) -> None:
    """A folder just made: its mode as asked (mkdir's is masked by the umask), its name
    durable."""
    fd = os.open(name, _DIR_FLAGS, dir_fd=parent)
    try:
        os.fchmod(fd, mode)
    finally:
        os.close(fd)
    _fsync(parent)


@contextlib.contextmanager
def return_folder(inbox: Path, top: str, department: PurePath) -> Iterator[Folder]:
    """The folder a file from `department` (its folder relative to the inbox) returns into:
    `inbox/top/department`, created as needed; the top folder (with the department in the
    name's prefix) when a folder on the way is not a real folder."""
    parts = tuple(sanitize_name(part) for part in department.parts)
    modes = _mirrored_modes(inbox, department)
    try:
        folder = Folder(open_folder(inbox, (top, *parts), modes=modes), inbox.joinpath(top, *parts))
    except NotAFolder as error:
        if error.relative == PurePath(top):
            raise
        log.warning("%s is not a real folder (a link or a file): returning into %s with the "
                    "department in the name", error.relative, top)  # fmt: skip
        prefix = "".join(part + DEPARTMENT_SEPARATOR for part in parts)
        folder = Folder(open_folder(inbox, (top,), modes=modes[:1]), inbox / top, prefix)
    try:
        yield folder
    finally:
        os.close(folder.fd)


def make_top_folders(inbox: Path, tops: Sequence[str]) -> None:
    """Create the rejected and held folders (the inbox's mode); say so if one is not a folder."""
    for top in tops:
        try:
            with return_folder(inbox, top, PurePath()):
                pass
        except OSError as error:
            log.error("cannot use %s for returned files: %s", inbox / top, error.strerror)


def _mirrored_modes(inbox: Path, department: PurePath) -> list[int]:
    """The modes of the folders to create for `department`'s returns: the top folder mirrors
    the inbox, each department folder its counterpart in the inbox (or its parent's)."""
    modes = [folder_mode(os.stat(inbox).st_mode)]
    for depth in range(1, len(department.parts) + 1):
        try:
            st = os.lstat(inbox.joinpath(*department.parts[:depth]))
        except OSError:
            st = None
        modes.append(folder_mode(st.st_mode) if st and stat.S_ISDIR(st.st_mode) else modes[-1])
    return modes


def _fsync(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.fsync(fd)  # some network file systems refuse fsync on folders; the rename stands
