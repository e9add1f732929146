"""Which personnel folder holds an employee number, without listing every folder per filing.

The index knows the folder of every number it has seen; for the rest (a new employee, or an
index that lags the files after a crash) the folders themselves are the truth. Listing 10 000
folders costs about 10 ms, and a new employee's filing asks twice: a first MUS round of a
large organisation would grow quadratically. `FolderMap` lists once and trusts its map while
the people folder is unchanged. A folder this process creates is added to the map without
listing again when the people folder's link count shows it was the only new folder (ext4 and
xfs count a directory's subfolders in its links). Anything else (another process filing, a
folder renamed by hand, a file system without such counts) makes it list again. (A rename
by hand changes only the folder's mtime, whose clock ticks every few milliseconds: one made
in the very tick of a listing is seen at the next change; `verify` reports a number that
ends up with two folders.)
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from formflow.archive.records import parse_folder_name

Stamp = tuple[int, int, int, int]  # inode, mtime_ns, size, links


class FolderMap:
    """Personnel folder names by their leading number, from one listing of the people folder.

    Names are keyed by the text before their first space and parsed only when looked up (a
    listing of thousands is not parsed whole); a name whose head is not ASCII could still
    normalise to a number, so those are always candidates."""

    def __init__(self, people: Path) -> None:
        self.people = people
        self._lock = threading.Lock()
        self._stamp: Stamp | None = None
        self._names: dict[str, list[str]] = {}

    def find(self, number: str) -> Path | None:
        """The personnel folder of `number` on disk (the first by name if there are several)."""
        with self._lock:
            stamp = _stamp(self.people)
            if stamp != self._stamp:
                self._names = _by_head(self.people)
                self._stamp = stamp
            candidates = [*self._names.get(number, ()), *self._names.get(_OTHER, ())]
        for name in sorted(candidates):
            parsed = parse_folder_name(name)
            folder = self.people / name
            if parsed and parsed[0] == number and folder.is_dir() and not folder.is_symlink():
                return folder
        return None

    def created(self, folder: Path) -> None:
        """Note a personnel folder this process just made (so the next `find` need not list)."""
        with self._lock:
            before, now = self._stamp, _stamp(self.people)
            if before is not None and before[3] > 1 and now[3] == before[3] + 1:
                self._names.setdefault(_head(folder.name), []).append(folder.name)
                self._stamp = now
            else:
                self._stamp = None  # more changed than our folder: list again


_OTHER = ""  # the key of names whose head is not plain ASCII


def _head(name: str) -> str:
    head = name.split(" ", 1)[0]
    return head if head.isascii() else _OTHER


def _stamp(folder: Path) -> Stamp:
    st = os.stat(folder)
    return (st.st_ino, st.st_mtime_ns, st.st_size, st.st_nlink)


def _by_head(people: Path) -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for name in os.listdir(people):
        names.setdefault(_head(name), []).append(name)
    return names
