"""HR's queues: the forms handed back that still lie in the inbox's rejected and held
folders, with the reasons formflow gave.

Employees can write in those folders (they fetch their returned forms there), so nothing in
them is trusted on its own: a file counts only when its SHA-256 is that of a form the audit
log (hash-chained, written by the ingest) records as rejected or held (looked up in the
index's table of them, `Index.handed_back`, which the audit writer keeps and reindex
rebuilds); when, which employee, form and reason codes come from that entry. The Danish
notice beside it (`<name>.txt`) is shown as the text the employee was given. Links are never
followed, only regular files are read, and nothing here writes or deletes, but `resolve`:
HR's decision on a held form, which files it through the ingest. No URL names any of these
files: a form is picked by its sha256 among the ones listed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from formflow.config import Settings
from formflow.display import shown
from formflow.inbox import notice_name
from formflow.ingest import Assigned, Outcome

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


def queue(
    folder: Path, action: str, handed_back: Callable[[str], Mapping[str, Any] | None]
) -> list[Returned]:
    """The forms in `folder` the audit log says were handed back as `action`, oldest first
    (`handed_back`: a sha256's last hand-back as the log has it, from the index)."""
    found = []
    for relative in _files(folder):
        if relative.name.endswith(".txt"):
            continue
        data = _read(folder / relative, FORM_LIMIT)
        digest = hashlib.sha256(data).hexdigest() if data is not None else ""
        entry = handed_back(digest) if digest else None
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


# --- resolving a held form ----------------------------------------------------------------------

NOT_FILED = {
    "rejected": "Med det nummer opfylder skemaet ikke reglerne; det ligger nu blandt de afviste "
    "skemaer med en forklaring.",
    "held": "Skemaet blev holdt til afklaring igen; se forklaringen ved det.",
    "duplicate": "Præcis det samme skema ligger allerede i arkivet; kopien er fjernet.",
    "vanished": "Skemaet lå der ikke længere (en anden har flyttet det).",
    "retry": "Arkivet kunne ikke tage imod skemaet lige nu. Prøv igen om lidt.",
}
_INGESTING = threading.Lock()


def resolve(settings: Settings, folder: Path, form: Returned, assigned: Assigned) -> Outcome:
    """File the held `form` (in `folder`) under `assigned`'s employee through the ingest
    `formflow watch` runs; on filing, the held notice beside it goes too (formflow's own).

    It reads in this process: these very bytes (their sha256 is the held entry's) were read
    once already, within the daemon's worker limits, to be held at all."""
    from formflow.workers import build_ingestor, read_in_process

    with _INGESTING:  # one HR decision at a time; the archive serialises the rest
        ingestor, close = build_ingestor(
            settings, lambda data, name: read_in_process(data, name, settings)
        )
        try:
            outcome = ingestor.ingest(folder / form.name, assigned=assigned)
        finally:
            close()
    if outcome.action in ("filed", "duplicate"):
        notice = (
            folder / PurePosixPath(form.name).parent / notice_name(PurePosixPath(form.name).name)
        )
        with contextlib.suppress(FileNotFoundError):
            notice.unlink()  # a link is removed, never followed
    return outcome


def people_to_pick(
    roster: Mapping[str, Any] | None, people: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """Every employee a held form can be assigned to: (number, name), in number order."""
    names = {number: str(row[1]) for number, row in people.items()}
    names |= {number: str(entry.name) for number, entry in (roster or {}).items()}
    return sorted(names.items(), key=lambda item: (len(item[0]), item[0]))
