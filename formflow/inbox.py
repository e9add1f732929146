"""The inbox's rules, pure: which files are candidates, when a file is whole, safe names.

Employees (and the programs they use) drop forms into a shared folder, often a network share
where files arrive slowly and file events never come. Nothing here touches the file system or
takes a watchdog object: the daemon (`formflow.watch`) feeds observations in and acts on the
answers, so every rule is tested without sleeping.

A file is taken when:
1. its name is not a lock, temp or system file, and no folder on its way is hidden or one of
   formflow's own (the rejected and held folders);
2. its size and modification time stayed unchanged for the stability window;
3. it is structurally complete: a PDF has `%%EOF` in its last 1 KB, a DOCX's zip central
   directory reads (both are written last by every program that saves them).
"""

from __future__ import annotations

import fnmatch
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath

# Lock and temp files of Office, LibreOffice, browsers and copy tools, and the files file
# servers and desktops leave behind (Synology's @eaDir, Windows' Thumbs.db, macOS' .DS_Store).
IGNORED_NAMES = ("Thumbs.db", "desktop.ini", ".DS_Store", "@eaDir")
IGNORED_PATTERNS = ("~$*", ".~lock.*#", "*.tmp", "*.part", "*.crdownload", "*.partial", "~*.tmp")
PDF_TAIL = 1024
MAX_NAME_BYTES = 200  # well below the 255 bytes most file systems allow, room for a suffix


_IGNORED_FOLDED = frozenset(n.casefold() for n in IGNORED_NAMES)
# The patterns as one expression (what fnmatch does pattern by pattern): a scan asks this of
# every file in the inbox, every few seconds.
_IGNORED_RE = re.compile(
    "|".join(f"(?:{fnmatch.translate(p.casefold())})" for p in IGNORED_PATTERNS)
)


def is_ignored_name(name: str) -> bool:
    """True for lock, temp, hidden and system files (by name alone, case-insensitively)."""
    if not name or name.startswith("."):
        return True
    folded = name.casefold()
    return folded in _IGNORED_FOLDED or _IGNORED_RE.match(folded) is not None


def is_candidate(relative: PurePath, own_folders: Iterable[str]) -> bool:
    """True when the file at `relative` (to the inbox) may be a dropped form.

    Formflow's own folders (rejected, held) are skipped at any depth, so a department's
    subfolder may have its own; a hidden folder on the way hides its files too.
    """
    parts = relative.parts
    if not parts:
        return False
    own = {folder.casefold() for folder in own_folders}
    for folder in parts[:-1]:
        if is_ignored_name(folder) or folder.casefold() in own:
            return False
    return not is_ignored_name(parts[-1])


def is_walkable_dir(name: str, own_folders: Iterable[str]) -> bool:
    """True for a subfolder (a department) the scan descends into."""
    return not is_ignored_name(name) and name.casefold() not in {f.casefold() for f in own_folders}


# --- stability ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Observation:
    """What one look at a file saw: its size and modification time (ns), and when."""

    size: int
    mtime_ns: int
    since: float  # when this (size, mtime) was first seen, monotonic seconds


class StabilityTracker:
    """Tracks files until their size and modification time stop changing.

    Feed it `observe(path, size, mtime_ns, now)` on every look (a scan or an event) and ask
    `stable(now)` which files stayed unchanged for `window` seconds. A file not seen in a full
    scan is gone (`forget_missing`); one that changes starts its window again. Paths are opaque
    keys: the tracker never looks at the file system.
    """

    def __init__(self, window: float) -> None:
        self.window = window
        self._seen: dict[str, Observation] = {}

    def observe(self, path: str, size: int, mtime_ns: int, now: float) -> None:
        previous = self._seen.get(path)
        if previous and (previous.size, previous.mtime_ns) == (size, mtime_ns):
            return
        self._seen[path] = Observation(size, mtime_ns, now)

    def stable(self, now: float) -> list[str]:
        """Paths unchanged for the whole window, oldest first."""
        ready = [(o.since, p) for p, o in self._seen.items() if now - o.since >= self.window]
        return [path for _, path in sorted(ready)]

    def pending(self) -> list[str]:
        return sorted(self._seen)

    def get(self, path: str) -> Observation | None:
        return self._seen.get(path)

    def forget(self, path: str) -> None:
        self._seen.pop(path, None)

    def forget_missing(self, present: Iterable[str]) -> list[str]:
        """Drop every tracked path not in `present` (a full scan); returns the dropped ones."""
        keep = set(present)
        gone = [path for path in self._seen if path not in keep]
        for path in gone:
            del self._seen[path]
        return gone

    def __len__(self) -> int:
        return len(self._seen)

    def __contains__(self, path: object) -> bool:
        return path in self._seen


# --- structural completeness ----------------------------------------------------------------


def pdf_complete(tail: bytes) -> bool:
    """A PDF is whole when its last 1 KB holds `%%EOF` (written last by every PDF writer)."""
    return b"%%EOF" in tail[-PDF_TAIL:]


def zip_complete(data: bytes) -> bool:
    """A DOCX (a zip) is whole when its central directory, written last, reads."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False
    return True


def looks_complete(head: bytes, data_or_tail: bytes, *, whole: bool) -> bool:
    """Structural completeness by the file's own bytes (never its extension).

    `head` is the first bytes; `data_or_tail` the whole file when `whole`, else its tail.
    A zip can only be judged whole; other types (not PDF, not zip) have no end marker and
    count as complete: the reader refuses them with a reason.
    """
    if head.startswith(b"%PDF-"):
        return pdf_complete(data_or_tail)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return zip_complete(data_or_tail) if whole else False
    return True


# --- names ----------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_UNSAFE = re.compile(r'[/\\:*?"<>|]')
# A name that is not valid UTF-8 (what old Windows and Mac clients write onto a share) comes
# from the file system with each undecodable byte as a lone surrogate (surrogateescape).
_UNDECODABLE = re.compile("[\ud800-\udfff]")


def sanitize_name(name: str, fallback: str = "skema") -> str:
    """A dropped file's name made safe to create beside it and to show: NFC, no control
    characters, no path separators or traversal, no leading dots, at most MAX_NAME_BYTES
    (UTF-8), the extension kept; each byte that is not UTF-8 becomes `_` (so the name is
    valid UTF-8, whatever the dropping client wrote). Used for the returned copy and in logs
    and explanations; archive names come from the form's data.
    """
    text = unicodedata.normalize("NFC", _UNDECODABLE.sub("_", name))
    text = _CONTROL.sub("", text)
    text = _UNSAFE.sub("_", text)
    text = text.strip().strip(".").strip()
    if not text or set(text) <= {".", "_", " "}:
        text = fallback
    stem, dot, ext = text.rpartition(".")
    if not dot or not stem or len(ext) > 10:
        stem, ext = text, ""
    ext_part = f".{ext}" if ext else ""
    budget = MAX_NAME_BYTES - len(ext_part.encode("utf-8"))
    stem = _truncate_utf8(stem, budget).rstrip(" .") or fallback
    return stem + ext_part


def shown_text(name: str) -> str:
    """A dropped name (or path) as text to store and show, never as a path: valid UTF-8,
    each byte that is not UTF-8 escaped (`skema-\\xe6.pdf`)."""
    return _UNDECODABLE.sub(lambda m: f"\\x{ord(m.group()) & 0xFF:02x}", name)


def unique_name(name: str, taken: Iterable[str]) -> str:
    """`name`, or `name (2)`, `name (3)`, ... not in `taken` (nor its `.txt` explanation).

    Compared after NFC and casefold: on a case-insensitive share (SMB) or macOS, `Skema.pdf`
    and `skema.pdf` are the same file, and NFD `å` is the same as NFC `å`.
    """
    folded = {unicodedata.normalize("NFC", t).casefold() for t in taken}

    def free(candidate: str) -> bool:
        # The explanation goes beside the file: both names must be free.
        return not {candidate.casefold(), notice_name(candidate).casefold()} & folded

    if free(name):
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    ext_part = f".{ext}" if ext else ""
    number = 2
    while True:
        suffix = f" ({number})"
        candidate = (
            _truncate_utf8(stem, MAX_NAME_BYTES - len((suffix + ext_part).encode("utf-8")))
            + suffix
            + ext_part
        )
        if free(candidate):
            return candidate
        number += 1


def notice_name(name: str) -> str:
    """The explanation's name beside a returned file: `skema.pdf` -> `skema.pdf.txt`."""
    return f"{name}.txt"


def _truncate_utf8(text: str, max_bytes: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[: max(max_bytes, 0)].decode("utf-8", errors="ignore")
