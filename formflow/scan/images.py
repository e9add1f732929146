"""The page images of an image-only PDF (a scan), as numpy arrays with their resolution."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from pypdf import PdfReader

POINTS_PER_INCH = 72


@dataclass(frozen=True, eq=False)
class ScanPage:
    """One scanned page: its image (greyscale or RGB, as scanned) and its dots per inch."""

    image: np.ndarray
    dpi: int


def scan_pages(pdf: bytes) -> list[ScanPage]:
    """Each page's largest image (the scan) and the dpi at which it fills the page's width.

    A page without an image is skipped; the caller sees fewer pages than the PDF has.
    """
    pages = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        pictures = [picture.image for picture in page.images if picture.image is not None]
        if not pictures:
            continue
        picture = max(pictures, key=lambda p: p.width * p.height)
        if picture.mode not in ("L", "RGB"):
            picture = picture.convert("RGB")
        width_inches = float(page.mediabox.width) / POINTS_PER_INCH
        pages.append(ScanPage(np.asarray(picture), round(picture.width / width_inches)))
    return pages
