"""The blank form beside a scan: its pages as images and its fields' boxes in pixels.

`field_boxes` reads the widget rectangles (PDF points) of a blank form rendered by formflow;
`PixelBox.from_points` maps such a rectangle to the pixels of a page rendered at a given dpi;
`blank_pages` rasterises the blank with pdftoppm at the scan's dpi (the I/O edge), and
`blank_form` does all three for a form definition. `learned_blank` does the same for the
blank an organisation printed (`formflow forms learn` keeps it as a PDF), whose boxes are the
learned places' rectangles.
"""

from __future__ import annotations

import io
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

if TYPE_CHECKING:
    from formflow.scan.register import Registration

POINTS_PER_INCH = 72
RENDER_TIMEOUT = 120  # seconds for pdftoppm to rasterise a blank form
FRAME = 3  # pixels around a box where its frame lies (`boxes_in_place`)


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
    definition: FormDefinition, year: int, dpi: int, only: Collection[int] | None = None
) -> BlankForm:
    """The blank form rendered by formflow's renderer, rasterised at `dpi` (`only` those
    pages, from 0, if given: rasterising costs about a second a page), with its boxes."""
    from formflow.forms.render import render_bytes

    pdf = render_bytes(definition, year, {}, "pdf")
    return BlankForm(definition.kind, dpi, tuple(blank_pages(pdf, dpi, only)), field_boxes(pdf))


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
    blank_pdf: bytes, dpi: int, only: Collection[int] | None = None
) -> list[np.ndarray | None]:
    """The blank form's pages rendered greyscale at `dpi` by pdftoppm (`only` those, from 0:
    the others None)."""
    count = len(PdfReader(io.BytesIO(blank_pdf)).pages)
    wanted = set(range(count)) if only is None else {i for i in only if 0 <= i < count}
    if not wanted:
        return [None] * count
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
        return [
            np.asarray(Image.open(rendered[i]).convert("L")) if i in wanted else None
            for i in range(count)
        ]
