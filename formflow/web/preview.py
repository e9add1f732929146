"""An image of page 1 of an archived original, for the personnel file page.

Rendered on request from the original as it was handed in: a PDF by Poppler's `pdftoppm`, a
DOCX first into a PDF by LibreOffice (`soffice`), when it is installed. Each runs as its own
process with a time limit (an original is an employee's file: a page that never finishes
rendering must not hold a web server thread). The PNG is kept in the archive's private work
folder (`.formflow/cache/side-1/<sha256 of the original>.png`, 0600 in 0700 folders), so a
page is rendered once; the cache holds nothing the archive does not, and may be deleted.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from formflow.fsutil import make_private_dirs, write_bytes

CACHE = Path("cache") / "side-1"
WIDTH = 800  # pixels: readable on a laptop, a page at ~100 dpi
SECONDS = 60  # LibreOffice's first start takes a while


def formats() -> frozenset[str]:
    """The original formats an image can be made of with the programs installed."""
    if shutil.which("pdftoppm") is None:
        return frozenset()
    return frozenset({"pdf", "docx"} if shutil.which("soffice") else {"pdf"})


def page_one(work: Path, original: Path, sha256: str, file_format: str) -> bytes | None:
    """The PNG of page 1 of `original` (whose sha256 names it in the cache under `work`);
    None when it cannot be made (no program for it, or the program failed)."""
    if file_format not in formats() or len(sha256) != 64 or not sha256.isalnum():
        return None
    kept = work / CACHE / f"{sha256}.png"
    try:
        return kept.read_bytes()
    except FileNotFoundError:
        pass
    with tempfile.TemporaryDirectory(prefix="formflow-side-1-") as folder:  # 0700
        made = _render(original, file_format, Path(folder))
    if made is None:
        return None
    make_private_dirs(kept.parent, sync=False)
    write_bytes(kept, made)
    return made


def _render(original: Path, file_format: str, folder: Path) -> bytes | None:
    source = folder / f"original.{file_format}"
    shutil.copyfile(original, source)
    if file_format == "docx":
        profile = f"-env:UserInstallation=file://{folder}/profile"  # not the user's own
        convert = ["--headless", "--convert-to", "pdf", "--outdir", str(folder), str(source)]
        source = folder / "original.pdf"
        if not _run(["soffice", profile, *convert]) or not source.is_file():
            return None
    out = folder / "side-1"
    size = ["-scale-to-x", str(WIDTH), "-scale-to-y", "-1"]
    page = ["-f", "1", "-l", "1", "-singlefile", "-png"]
    png = out.with_suffix(".png")
    if not _run(["pdftoppm", *page, *size, str(source), str(out)]) or not png.is_file():
        return None
    return png.read_bytes()


def _run(argv: list[str]) -> bool:
    try:
        done = subprocess.run(argv, capture_output=True, timeout=SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0
