"""The blank form beside a scan: its pages as images and its fields' boxes in pixels.

`field_boxes` reads the widget rectangles (PDF points) of a blank form rendered by formflow;
`PixelBox.from_points` maps such a rectangle to the pixels of a page rendered at a given dpi;
`blank_pages` rasterises the blank with pdftoppm at the scan's dpi (the I/O edge), and
`blank_form` does all three for a form definition.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from pypdf import PdfReader

from formflow.errors import FormflowError
from formflow.forms.definition import FormDefinition

POINTS_PER_INCH = 72
RENDER_TIMEOUT = 120  # seconds for pdftoppm to rasterise a blank form


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
