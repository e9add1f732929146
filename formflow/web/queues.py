"""HR's queues: the forms handed back that still lie in the inbox's rejected and held
folders, with the reasons formflow gave.

Employees can write in those folders (they fetch their returned forms there), so nothing in
them is trusted on its own: a file counts only when its SHA-256 is that of a form the audit
log (hash-chained, written by the ingest) records as rejected or held (looked up in the
index's table of them, `Index.handed_back`, which the audit writer keeps and reindex
rebuilds); when, which employee, form and reason codes come from that entry. The Danish
notice beside it (`<name>.txt`) is shown as the text the employee was given. Links are never
followed, only regular files are read, and nothing here writes or deletes, but `resolve`:
HR's decision on a held form, which files it through the ingest in a worker process under
the limits of `[limits]`, as `formflow watch` does. No URL names any of these files: a form
is picked by its sha256 among the ones listed.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import stat
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, cast

from formflow.config import Settings
from formflow.display import shown
from formflow.errors import FormflowError
from formflow.inbox import notice_name, sanitize_name
from formflow.ingest import Assigned, Outcome, ingest_safely
from formflow.web.pages import danish_number
from formflow.workers import Lost, ReadClock, Work, WorkerPool, build_ingestor, read_in_process

log = logging.getLogger("formflow.web")

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
# A worker that gave no answer (`workers.Lost`): the form stays held, nothing was written.
NOT_READ = {
    "timeout": "Skemaet kunne ikke læses inden for tidsgrænsen på {seconds}, så det er "
    "ikke arkiveret. Det ligger fortsat til afklaring; bed den it-ansvarlige se på filen.",
    "crashed": "Programmet, der læser skemaet, stoppede uventet, så det er ikke arkiveret. Det "
    "ligger fortsat til afklaring; bed den it-ansvarlige se på filen.",
}
TOO_MUCH_MEMORY = (
    "Skemaet krævede mere hukommelse, end grænsen på {mb} MB tillader, så det er ikke "
    "arkiveret. Det ligger nu blandt de afviste skemaer med en forklaring."
)
_INGESTING = threading.Lock()


def resolve(
    settings: Settings,
    folder: Path,
    form: Returned,
    assigned: Assigned,
    *,
    work: Work = read_in_process,
) -> Outcome:
    """File the held `form` (in `folder`) under `assigned`'s employee through the ingest
    `formflow watch` runs, in a worker process under `[limits]` as the daemon's (`work`: what
    it reads with; tests inject their own): a held file is no more trusted than a dropped one.
    A worker that gives no answer (past the time limit, dead) leaves the form held: the
    answer is a "retry" whose detail is the worker's fate. On filing, the held notice beside
    it goes too (formflow's own)."""
    name = sanitize_name(PurePosixPath(form.name).name)
    try:
        with _INGESTING:  # one HR decision at a time (one worker); the archive serialises the rest
            job = functools.partial(assigned_job, assigned, work)
            with WorkerPool(settings, job, 1, slots=1) as pool:
                answer = pool.run(folder / form.name)
    except FormflowError as error:  # no worker started (the limits, the machine): try later
        log.error("cannot start a worker to resolve %s: %s", name, error)
        return Outcome("retry", name, detail="no_worker")
    if isinstance(answer, Lost):
        how = "timeout" if answer.how == "timeout" else "crashed"
        log.warning("no answer from the worker resolving a held form (%s)", answer.how)
        return Outcome("retry", name, detail=how)
    outcome = cast(Outcome, answer)
    if outcome.action in ("filed", "duplicate"):
        notice = (
            folder / PurePosixPath(form.name).parent / notice_name(PurePosixPath(form.name).name)
        )
        with contextlib.suppress(FileNotFoundError):
            notice.unlink()  # a link is removed, never followed
    return outcome


def assigned_job(
    assigned: Assigned, work: Work, settings: Settings, clock: ReadClock
) -> tuple[Callable[[Path], Outcome], Callable[[], None]]:
    """A worker's job (`workers.Job`): the held form at a path through every stage of the
    ingest, read with `work` on the worker's read clock, filed under `assigned`."""
    ingestor, close = build_ingestor(
        settings, lambda data, name: clock.read(work, data, name, settings)
    )

    def ingest(path: Path) -> Outcome:
        return ingest_safely(lambda held: ingestor.ingest(held, assigned=assigned), path)

    return ingest, close


def not_filed(outcome: Outcome, settings: Settings) -> str:
    """Why a held form HR assigned is not filed, in Danish, from its outcome."""
    if outcome.action == "retry" and outcome.detail in NOT_READ:
        limit = settings.limits.parse_timeout_seconds
        seconds = f"{danish_number(limit)} {'sekund' if limit == 1 else 'sekunder'}"
        return NOT_READ[outcome.detail].format(seconds=seconds)
    if outcome.action == "rejected" and "too_much_memory" in outcome.codes:
        return TOO_MUCH_MEMORY.format(mb=danish_number(settings.limits.parse_memory_mb))
    return NOT_FILED.get(outcome.action, NOT_FILED["retry"])


def people_to_pick(
    roster: Mapping[str, Any] | None, people: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """Every employee a held form can be assigned to: (number, name), in number order."""
    names = {number: str(row[1]) for number, row in people.items()}
    names |= {number: str(entry.name) for number, entry in (roster or {}).items()}
    return sorted(names.items(), key=lambda item: (len(item[0]), item[0]))
