"""Where an archive's files lie, and the locks that keep its writers apart.

```
archive/
  LÆSMIG.txt                           what a person browsing finds here (Danish)
  personale/1042 Birthe Mølgaard/2026/ aftaleskema-2026-v1.pdf + aftaleskema-2026-v1.json
  index.sqlite                         rebuildable cache for queries (`reindex`)
  audit.log                            append-only, hash-chained
  .formflow/                           the locks; staged files; originals of interrupted filings;
                                       audit.head, the log's last line as written (`audit`)
```

Several daemon threads or processes may file at once. A filing holds `.formflow/filing.lock`
shared throughout; whatever must see no filing half-way (reindex, verify, an index rebuild)
takes it exclusively. While a filing decides names and versions it also holds its employee's
lock (`.formflow/locks/`, one of 256 by the number's hash): two forms of one employee take
turns, other employees' forms are filed side by side (the same bytes always name the same
employee, so they meet on the same lock). Files are staged under `.formflow/incoming/`
before they are linked into a year folder; whatever a crash left there is cleared when no
filing is in progress.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from formflow.archive.folders import FolderMap
from formflow.archive.records import PEOPLE_FOLDER, decode_record, parse_folder_name
from formflow.fsutil import PRIVATE_FILE, flocked, make_private_dirs, write_bytes

log = logging.getLogger(__name__)

WORK_FOLDER = ".formflow"
INCOMING_FOLDER = "incoming"  # a filing's files, written ahead of their names (`staging`)
FILING_LOCK = "filing.lock"
LOCKS_FOLDER = "locks"  # the employees' write locks (see `Layout.writing`)
INTERRUPTED_FOLDER = "afbrudte-arkiveringer"
INDEX_NAME = "index.sqlite"
AUDIT_NAME = "audit.log"
AUDIT_HEAD_NAME = "audit.head"  # in WORK_FOLDER: out of the way of a rewrite of the log
README_NAME = "LÆSMIG.txt"
README_TEXT = """\
Personalemapper fra medarbejderudviklingssamtaler (MUS)

Mappen er fortrolig. Den vedligeholdes af formflow.

personale/<nummer> <navn>/<år>/   én mappe pr. medarbejder og pr. MUS-år
  forberedelsesskema-<år>-v<n>.*    forberedelsesskemaet, præcis som det blev afleveret
  aftaleskema-<år>-v<n>.*           udviklings- og aftaleskemaet, præcis som det blev afleveret
  kollegainput-<år>-v<n>.*          input fra kolleger til samtalen, hvert input sin version
  *.json                            hvad formflow læste i skemaet, og hvornår det kom ind
  En rettet udgave bliver en ny version (v2, v3 …); intet bliver overskrevet.

audit.log      logbog over hvad der er arkiveret, afvist, set og udleveret (uden skemaernes indhold)
index.sqlite   søgeindeks; kan altid genskabes med `formflow archive reindex`
"""


class Layout:
    """The folders and locks of the archive under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.people = root / PEOPLE_FOLDER
        self.work = root / WORK_FOLDER
        self.incoming = self.work / INCOMING_FOLDER
        self.folders = FolderMap(self.people)
        self._locks_made = False  # see `_make_locks`

    def prepare(self) -> None:
        """Make the archive's folders (0700) and its README, where missing."""
        make_private_dirs(self.people)
        make_private_dirs(self.work)
        make_private_dirs(self.work / LOCKS_FOLDER)
        if not (self.root / README_NAME).exists():
            with contextlib.suppress(FileExistsError):  # another process made it first
                write_bytes(self.root / README_NAME, README_TEXT.encode("utf-8"), replace=False)

    # --- locks ----------------------------------------------------------------------------

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """No filing anywhere, and none half-way (reindex, verify, rebuilding the index)."""
        with flocked(self.work / FILING_LOCK, fcntl.LOCK_EX):
            yield

    @contextmanager
    def filing(self) -> Iterator[None]:
        """One filing in progress (shared: filings go side by side outside `writing`)."""
        with flocked(self.work / FILING_LOCK, fcntl.LOCK_SH):
            yield

    @contextmanager
    def writing(self, employee: str) -> Iterator[None]:
        """The employee's write lock: their names, versions, record and audit entry, one
        filing at a time (a lock per hash bucket: a bounded number of lock files)."""
        if not self._locks_made:
            self._make_locks()
        bucket = hashlib.sha256(employee.encode("utf-8")).hexdigest()[:2]
        with flocked(self.work / LOCKS_FOLDER / f"employee-{bucket}.lock", fcntl.LOCK_EX):
            yield

    def _make_locks(self) -> None:
        """Make every employee lock file once, at this archive's first filing: creating a file
        costs this disk ~0.2-0.3 ms, which the first filing into each of the 256 buckets paid
        (most filings of a first MUS round). One listing per process finds them made."""
        locks = self.work / LOCKS_FOLDER
        made = set(os.listdir(locks))
        for bucket in range(256):
            name = f"employee-{bucket:02x}.lock"
            if name not in made:
                os.close(os.open(locks / name, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE))
        self._locks_made = True

    # --- staged files of interrupted filings ----------------------------------------------

    def clear_incoming(self, *, wait: bool) -> None:
        """Remove staged files a crash left behind (their filing never finished; the inbox
        still holds the form). Only when no filing is in progress: without `wait`, skipped
        if one is."""
        if not self.incoming.is_dir():
            return
        flags = fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB
        try:
            with flocked(self.work / FILING_LOCK, flags):
                self.remove_incoming()
        except BlockingIOError:
            return  # someone is filing: the next start clears them

    def remove_incoming(self) -> None:
        """(With no filing in progress.) Staged files whose filing never finished."""
        if self.incoming.is_dir():
            for leftover in self.incoming.iterdir():
                leftover.unlink(missing_ok=True)

    def set_aside(self, path: Path, folder: Path) -> None:
        """Move a file of an interrupted filing out of the personnel folder `folder` into
        `.formflow/afbrudte-arkiveringer/` (never deleted: a person may want it)."""
        target_dir = self.work / INTERRUPTED_FOLDER
        make_private_dirs(target_dir)
        parsed = parse_folder_name(folder.name)
        base = f"{parsed[0] if parsed else 'ukendt'}-{path.name}"
        target = target_dir / base
        counter = 1
        while target.exists():
            counter += 1
            target = target_dir / f"{counter}-{base}"
        os.rename(path, target)
        log.warning("set aside a file of an interrupted filing: %s", target.name)

    # --- the personnel folders ------------------------------------------------------------

    def people_folders(self) -> list[Path]:
        with os.scandir(self.people) as entries:  # d_type: no stat per folder
            return sorted(self.people / e.name for e in entries if e.is_dir(follow_symlinks=False))

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


def year_files(folder: Path) -> Iterator[tuple[Path, Path]]:
    """(year folder, file) for every file in a personnel folder's year folders, sorted."""
    for year_dir in sorted(folder.iterdir()):
        if not year_dir.is_dir() or year_dir.is_symlink() or not year_dir.name.isdigit():
            continue
        for path in sorted(year_dir.iterdir()):
            if path.is_file() and not path.is_symlink():
                yield year_dir, path


def has_original(record: Path) -> bool:
    """Whether a record's original lies beside it (same stem, the form's own extension)."""
    return any(p.suffix != ".json" for p in record.parent.glob(f"{record.stem}.*"))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_bytes(path: Path) -> bytes:
    """The file's bytes; none when it cannot be read."""
    try:
        return path.read_bytes()
    except OSError:
        return b""


def read_record(path: Path) -> dict[str, Any] | None:
    return decoded(read_bytes(path))


def decoded(data: bytes) -> dict[str, Any] | None:
    """A record from its bytes; None when they are none (unreadable, empty, not JSON)."""
    try:
        return decode_record(data)
    except (UnicodeDecodeError, ValueError):
        return None
