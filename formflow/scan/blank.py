"""The blank form beside a scan: its pages as images and its fields' boxes in pixels.

`field_boxes` reads the widget rectangles (PDF points) of a blank form rendered by formflow;
`PixelBox.from_points` maps such a rectangle to the pixels of a page rendered at a given dpi;
`blank_pages` rasterises the blank with pdftoppm at the scan's dpi (the I/O edge), and
`blank_form` does all three for a form definition. `learned_blank` does the same for the
blank an organisation printed (`formflow forms learn` keeps it as a PDF), whose boxes are the
learned places' rectangles.

Rendering the blank and rasterising a page cost about a second a scan (reportlab's import and
layout, then pdftoppm), the same second for every scan of that form. With a cache folder
(`blank_cache`: in the archive's private work folder) the blank PDF and each page as
pdftoppm made it (losslessly: the very same pixels) are kept there, under a digest of
everything they are made from: the definition, the year, the renderer's source files,
reportlab's, pypdf's and poppler's versions. So a scan reads the same with or without the
cache, which may be deleted at any time.
"""

from __future__ import annotations

import hashlib
import io
import logging
import subprocess
import tempfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image
from pypdf import PdfReader

from formflow.errors import FormflowError
from formflow.forms.definition import FormDefinition
from formflow.fsutil import make_private_dirs, write_bytes

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from formflow.scan.register import Registration

POINTS_PER_INCH = 72
RENDER_TIMEOUT = 120  # seconds for pdftoppm to rasterise a blank form
FRAME = 3  # pixels around a box where its frame lies (`boxes_in_place`)
CACHE = Path("cache") / "blanks"  # in the archive's work folder (`blank_cache`)
PACKAGE = Path(__file__).resolve().parent.parent
# What a blank's PDF is made from, besides its definition and year: its renderer's sources.
RENDERER = ("forms/pdf.py", "forms/render.py", "forms/definition.py", "charts.py", "scan/blank.py")


@dataclass(frozen=True)
class FieldBox:
    """A field's widget on the blank form: the page (from 0) and its rectangle in PDF points
    (x0, y0, x1, y1 from the page's lower left corner), with the page's height in points."""

    key: str
    page: int
    rect: tuple[float, float, float, float]
    page_height: float


@dataclass(frozen=True)
class PixelBox:
    """A rectangle in an image's pixels: columns x0..x1, rows y0..y1 (y down, ends exclusive)."""

    x0: int
    y0: int
    x1: int
    y1: int

    @classmethod
    def from_points(cls, box: FieldBox, dpi: float) -> PixelBox:
        """The field's rectangle on the blank page rendered at `dpi` (y turned downwards)."""
        scale = dpi / POINTS_PER_INCH
        x0, y0, x1, y1 = box.rect
        return cls(
            round(x0 * scale),
            round((box.page_height - y1) * scale),
            round(x1 * scale),
            round((box.page_height - y0) * scale),
        )

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0


@dataclass(frozen=True, eq=False)
class BlankForm:
    """A blank form beside a scan: its pages rendered greyscale at `dpi` (None: a page not
    rendered, as none of the scan's pages is it), its fields' boxes."""

    kind: str
    dpi: int
    pages: tuple[np.ndarray | None, ...]
    boxes: dict[str, FieldBox]

    def pixels(self, key: str) -> PixelBox:
        """The field's box in the pixels of its page (KeyError for a field the form lacks)."""
        return PixelBox.from_points(self.boxes[key], self.dpi)


def blank_form(
    definition: FormDefinition,
    year: int,
    dpi: int,
    only: Collection[int] | None = None,
    cache: Path | None = None,
) -> BlankForm:
    """The blank form rendered by formflow's renderer, rasterised at `dpi` (`only` those
    pages, from 0, if given: rasterising costs about a second a page), with its boxes; kept
    in `cache` (`blank_cache`), and taken from there when it was made before."""
    kept = cache / _digest(definition, year) if cache is not None else None
    pdf = _kept(kept / "blank.pdf") if kept is not None else None
    if pdf is None or b"%%EOF" not in pdf[-32:]:  # not kept, or cut short: made again
        from formflow.forms.render import render_bytes

        pdf = render_bytes(definition, year, {}, "pdf")
        if kept is not None:
            _keep(kept / "blank.pdf", pdf)
    pages = blank_pages(pdf, dpi, only, kept)
    return BlankForm(definition.kind, dpi, tuple(pages), field_boxes(pdf))


def blank_cache(archive: Path) -> Path | None:
    """Where blank forms are kept: in the archive's private work folder (`.formflow`), once
    formflow has worked in that archive; None (rendered each time) before, so that `formflow
    check` outside an installation leaves no folder behind."""
    from formflow.archive.layout import WORK_FOLDER

    work = archive / WORK_FOLDER
    return work / CACHE if work.is_dir() else None


def _digest(definition: FormDefinition, year: int) -> str:
    """A digest of what the blank PDF and its rasters are made from (see the module doc)."""
    import pypdf
    import reportlab

    made_of = hashlib.sha256(f"{definition!r}\n{year}\n".encode())
    for name in RENDERER:
        made_of.update((PACKAGE / name).read_bytes())
    made_of.update(f"reportlab {reportlab.Version}, pypdf {pypdf.__version__}".encode())
    made_of.update(_poppler().encode())
    return made_of.hexdigest()[:32]


def _poppler() -> str:
    """pdftoppm's version line ("" without pdftoppm: then nothing is rasterised anyway)."""
    try:
        done = subprocess.run(["pdftoppm", "-v"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stderr.split("\n", 1)[0]


def _kept(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _keep(path: Path, data: bytes) -> None:
    """Keep `data` in the cache (0600 in 0700 folders, whole or not at all); a cache that
    cannot be written (a full disk, a read-only archive) costs time, never the reading."""
    try:
        make_private_dirs(path.parent, sync=False)
        write_bytes(path, data)
    except OSError as error:
        log.warning("cannot keep a blank form in %s: %s", path.parent, error.strerror)


def learned_blank(
    kind: str,
    blank_pdf: bytes,
    rects: Mapping[str, tuple[int, tuple[float, float, float, float]]],
    dpi: int,
    only: Collection[int] | None = None,
) -> BlankForm:
    """An organisation's own blank (a learned form's PDF) rasterised at `dpi` (`only` those
    pages, from 0), its boxes the learned places' rectangles: per key, the page (from 1) and
    (x0, top, x1, bottom) in points from the page's top left, as pdfplumber gives them. A
    place on a page the PDF lacks has no box."""
    heights = [
        float(page.mediabox.top) - float(page.mediabox.bottom)
        for page in PdfReader(io.BytesIO(blank_pdf)).pages
    ]
    boxes = {
        key: FieldBox(key, page - 1, (x0, heights[page - 1] - bottom, x1, heights[page - 1] - top),
                      heights[page - 1])
        for key, (page, (x0, top, x1, bottom)) in rects.items()
        if 1 <= page <= len(heights)
    }  # fmt: skip
    return BlankForm(kind, dpi, tuple(blank_pages(blank_pdf, dpi, only)), boxes)


def boxes_in_place(blank: BlankForm, registered: Mapping[int, Registration | None]) -> BlankForm:
    """The blank with only the boxes whose own print (their frame, the rulings around a
    cell) is found in place on the registered scan. A page registers as a whole, but a copy
    typed into a DOCX form and printed reflows: a cell that grew pushes what follows down,
    and the page may still register by its other print. A box whose frame is not where the
    blank has it is not read there, nor judged for ink: not found, never guessed."""
    from formflow.scan.register import CORE, MIN_QUALITY, ink_mask

    masks: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    kept = {}
    for key, box in blank.boxes.items():
        registration, page = registered.get(box.page), blank.pages[box.page]
        if registration is None or page is None:
            continue
        if box.page not in masks:
            masks[box.page] = (ink_mask(page, CORE), ink_mask(registration.image))
        printed, scanned = masks[box.page]
        pixels = blank.pixels(key)
        around = (
            slice(max(0, pixels.y0 - FRAME), pixels.y1 + FRAME),
            slice(max(0, pixels.x0 - FRAME), pixels.x1 + FRAME),
        )
        frame = printed[around]
        total = int(np.count_nonzero(frame))
        if total and np.count_nonzero(scanned[around][frame]) >= MIN_QUALITY * total:
            kept[key] = box
    return BlankForm(blank.kind, blank.dpi, blank.pages, kept)


def field_boxes(blank_pdf: bytes) -> dict[str, FieldBox]:
    """Every named widget of a blank form (a field with several widgets: its first)."""
    boxes: dict[str, FieldBox] = {}
    for number, page in enumerate(PdfReader(io.BytesIO(blank_pdf)).pages):
        height = float(page.mediabox.top) - float(page.mediabox.bottom)
        for annotation in page.get("/Annots") or []:
            widget = annotation.get_object()
            name = widget.get("/T") or widget.get("/Parent", {}).get("/T")
            if widget.get("/Subtype") != "/Widget" or not name or str(name) in boxes:
                continue
            x0, y0, x1, y1 = (float(v) for v in widget["/Rect"])
            rect = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
            boxes[str(name)] = FieldBox(str(name), number, rect, height)
    return boxes


def blank_pages(
    blank_pdf: bytes, dpi: int, only: Collection[int] | None = None, kept: Path | None = None
) -> list[np.ndarray | None]:
    """The blank form's pages rendered greyscale at `dpi` by pdftoppm (`only` those, from 0:
    the others None). With `kept` (a cache folder) a page rasterised before is read from
    there, and a page rasterised now is kept there."""
    count = len(PdfReader(io.BytesIO(blank_pdf)).pages)
    wanted = set(range(count)) if only is None else {i for i in only if 0 <= i < count}
    pages = {} if kept is None else {i: _kept_page(kept / f"{dpi}-{i + 1}.png") for i in wanted}
    missing = {i for i in wanted if pages.get(i) is None}
    if missing:
        for index, png in _rasterised(blank_pdf, dpi, missing).items():
            pages[index] = grey = _grey(png)
            if kept is not None:  # as the grey image read (pdftoppm's has three channels)
                _keep(kept / f"{dpi}-{index + 1}.png", _png(grey))
    return [pages[i] if i in wanted else None for i in range(count)]


def _kept_page(path: Path) -> np.ndarray | None:
    """A page kept in the cache, or None (not kept, or damaged: rasterised again)."""
    png = _kept(path)
    try:
        return None if png is None else _grey(png)
    except (OSError, ValueError, SyntaxError):  # Pillow's errors for a damaged PNG
        return None


def _grey(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("L"))


def _png(grey: np.ndarray) -> bytes:
    """A grey page as a PNG: lossless, read back as the very same pixels."""
    out = io.BytesIO()
    Image.fromarray(grey).save(out, "PNG")
    return out.getvalue()


def _rasterised(blank_pdf: bytes, dpi: int, wanted: Collection[int]) -> dict[int, bytes]:
    """The PNG pdftoppm makes of each `wanted` page (from 0), greyscale at `dpi`."""
    with tempfile.TemporaryDirectory(prefix="formflow-blank-") as temporary:
        folder = Path(temporary)
        (folder / "blank.pdf").write_bytes(blank_pdf)
        first, last = str(min(wanted) + 1), str(max(wanted) + 1)
        try:
            subprocess.run(
                [
                    "pdftoppm",
                    "-r",
                    str(dpi),
                    "-gray",
                    "-png",
                    "-f",
                    first,
                    "-l",
                    last,
                    "blank.pdf",
                    "page",
                ],
                cwd=folder,
                check=True,
                capture_output=True,
                timeout=RENDER_TIMEOUT,
            )
        except (OSError, subprocess.SubprocessError) as error:
            raise FormflowError(f"pdftoppm could not render the blank form: {error}") from error
        rendered = {
            int(path.stem.rsplit("-", 1)[1]) - 1: path for path in folder.glob("page-*.png")
        }
        return {i: rendered[i].read_bytes() for i in wanted}
