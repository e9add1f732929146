"""HR's queues: the forms handed back that still lie in the inbox's rejected and held
folders, with the reasons formflow gave.

Employees can write in those folders (they fetch their returned forms there), so nothing in
them is trusted on its own: a file counts only when its SHA-256 is that of a form the audit
log (hash-chained, written by the ingest) records as rejected or held; when, which employee,
form and reason codes come from that entry. The Danish notice beside it (`<name>.txt`) is
shown as the text the employee was given. Links are never followed, only regular files are
read, and nothing here writes or deletes. No URL names any of these files.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from formflow.display import shown
from formflow.inbox import notice_name

QUEUE_TITLES = {"rejected": "Afviste skemaer", "held": "Til afklaring"}
NOTICE_LIMIT = 64 * 1024  # a notice is a page of text; more is not formflow's
FORM_LIMIT = 64 * 1024 * 1024


@dataclass(frozen=True)
class Returned:
    """A form handed back that still lies in its folder."""

    action: str  # "rejected" or "held"
    name: str  # its path inside the folder (`salg/skema.pdf`)
    sha256: str
    at: str  # when it was handed back (the audit entry's ISO time)
    employee: str
    year: str
    kind: str
    codes: str
    notice: str  # the Danish notice beside it; "" when there is none


def returned_entries(entries: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """sha256 -> the latest audit entry that handed a form with those bytes back."""
    found: dict[str, Mapping[str, Any]] = {}
    for entry in entries:
        if entry.get("action") in QUEUE_TITLES and isinstance(entry.get("sha256"), str):
            found[str(entry["sha256"])] = entry
    return found


def queue(
    folder: Path, action: str, handed_back: Mapping[str, Mapping[str, Any]]
) -> list[Returned]:
    """The forms in `folder` the audit log says were handed back as `action`, oldest first."""
    found = []
    for relative in _files(folder):
        if relative.name.endswith(".txt"):
            continue
        data = _read(folder / relative, FORM_LIMIT)
        digest = hashlib.sha256(data).hexdigest() if data is not None else ""
        entry = handed_back.get(digest)
        if entry is None or entry.get("action") != action:
            continue  # not a form formflow handed back here: not shown as one
        notice = _read(folder / relative.parent / notice_name(relative.name), NOTICE_LIMIT)
        found.append(
            Returned(
                action,
                str(relative),
                digest,
                str(entry.get("at", "")),
                str(entry.get("employee") or ""),
                str(entry.get("year") or ""),
                str(entry.get("kind") or ""),
                str(entry.get("codes") or "").replace(",", ", "),
                shown(notice.decode("utf-8", "replace"), keep_lines=True) if notice else "",
            )
        )
    return sorted(found, key=lambda r: (r.at, r.name))


def _files(folder: Path) -> Iterator[PurePosixPath]:
    """The regular files under `folder`, relative to it; symlinked folders are not entered."""
    if not folder.is_dir() or folder.is_symlink():
        return
    for top, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if not name.startswith("."):
                yield PurePosixPath(Path(top, name).relative_to(folder).as_posix())


def _read(path: Path, limit: int) -> bytes | None:
    """The bytes of a regular file, never through a link; None for anything else."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        return file.read(limit + 1)[:limit]
