"""Reading a registered scan's answer boxes one by one (formflow's own forms).

A scan registered to the blank form (`formflow.scan.register`) has every field's box at a
known place. Each box with ink in it, once the blank's own print (its frame, its label) is
whitened (`without_print`), holds only what was typed there: its crop is read by tesseract
alone, all crops of the scan's registered pages in one run (each on its own line of a
strip, `--psm 6`: one tesseract start a scan, not one a box or a page; each start loads the
Danish model, 0.2-0.3 s). The label reader on the whole page misses a few
answers a box reads at once (a date beside an empty signature box, a lone status digit, a
line the sparse reading split); `merged` decides between the two: a box's reading counts
only when confident, and a box and a label reading that disagree leave the value not found
(never guessed); a box with ink that neither reads is unread (its form waits for a person).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from formflow.config import Settings
from formflow.read.labels import UNCERTAIN
from formflow.read.layout import Word, cell_text

if TYPE_CHECKING:
    import numpy as np

    from formflow.forms.definition import FormDefinition
    from formflow.scan.blank import BlankForm, PixelBox
    from formflow.scan.register import Registration

# The fields read by their box: typed text, dates and status digits (marks and signatures
# are judged by their ink, elsewhere).
READ_TYPES = ("text", "multiline", "date", "status")
# Pixels taken off each side of a box: its frame's anti-aliased edge, left by `without_print`.
INSET = 2
# Crops are read at this resolution at least (tesseract reads a 150 dpi scan's small letters
# better twice as large).
READ_DPI = 200
# A word ending closer than this (points) to its box's right side may be clipped by the box.
CLIP_PT = 5.0
POINTS = 72.0


@dataclass(frozen=True)
class BoxReading:
    """What a field's box holds, as tesseract read it alone: the text (UNCERTAIN in it where
    a word may be clipped by the box) and its least sure word's confidence (0-100)."""

    text: str
    confidence: float


def read_boxes(
    definition: FormDefinition,
    blank: BlankForm,
    registered: Mapping[int, Registration | None],
    settings: Settings,
) -> dict[str, BoxReading]:
    """Every text, date and status field with ink in its box, on the registered pages."""
    from formflow.scan.ink import ink_threshold
    from formflow.scan.register import without_print

    crops: list[tuple[str, np.ndarray]] = []
    for page, registration in registered.items():
        blank_page = blank.pages[page]
        if registration is None or blank_page is None:
            continue
        keys = [
            spec.key
            for spec in definition.fields
            if spec.type in READ_TYPES
            and spec.key in blank.boxes
            and blank.boxes[spec.key].page == page
        ]
        clean = without_print(registration.image, blank_page)
        threshold = ink_threshold(clean)
        boxes = [(key, _inner(blank.pixels(key))) for key in keys]
        crops += [(key, clean[b.y0 : b.y1, b.x0 : b.x1]) for key, b in boxes
                  if _has_ink(clean, b, threshold)]  # fmt: skip
    return _read_strip(crops, blank.dpi, settings)


def _inner(box: PixelBox) -> PixelBox:
    from formflow.scan.blank import PixelBox

    return PixelBox(box.x0 + INSET, box.y0 + INSET, box.x1 - INSET, box.y1 - INSET)


def _has_ink(clean: np.ndarray, box: PixelBox, threshold: float) -> bool:
    """Whether the box holds ink (`threshold`: the page's, `ink.ink_threshold`)."""
    from formflow.scan.ink import EMPTY_BELOW, ink_ratio

    return ink_ratio(clean, box, margin=0, threshold=threshold) >= EMPTY_BELOW


def _read_strip(
    boxes: Sequence[tuple[str, np.ndarray]], dpi: int, settings: Settings
) -> dict[str, BoxReading]:
    """The boxes' crops (of every page: one tesseract start a scan, its Danish model loaded
    once) read in one tesseract run, each on its own lines of a white strip."""
    import cv2

    from formflow.read.ocr import STRIP_MARGIN, crops_strip, tesseract, typographic

    if not boxes:
        return {}
    factor = max(1.0, READ_DPI / dpi) if dpi < READ_DPI else 1.0
    crops = [crop for _, crop in boxes]
    if factor > 1.0:
        crops = [
            cv2.resize(c, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC) for c in crops
        ]
    strip, rows = crops_strip(crops)
    data = tesseract(strip, "--psm 6", settings)
    scale = POINTS / (dpi * factor)
    found: dict[int, list[tuple[Word, float]]] = {}
    for line in _lines(data):
        middle = sum(int(data["top"][i]) + int(data["height"][i]) / 2 for i in line) / len(line)
        row = next((n for n, (a, b) in enumerate(rows) if a <= middle <= b), None)
        if row is None:
            continue
        # one height for the line's words, centred on it: a word's box depends on its
        # letters (ascenders, descenders), and the layout reader tells lines by position
        half = statistics.median(int(data["height"][i]) for i in line) / 2
        top, bottom = (middle - rows[row][0] - half) * scale, (middle - rows[row][0] + half) * scale
        for i in line:
            left = (int(data["left"][i]) - STRIP_MARGIN) * scale
            right = left + int(data["width"][i]) * scale
            word = Word(typographic(data["text"][i].strip()), left, right, top, bottom)
            found.setdefault(row, []).append((word, float(data["conf"][i])))
    # a box with ink in which tesseract found no word holds something unread
    readings = {key: BoxReading(UNCERTAIN, 0.0) for key, _ in boxes}
    for row, read in found.items():
        box_width = crops[row].shape[1] * scale
        words = [word for word, _ in read]
        text = cell_text(words, 0.0, box_width)
        if any(box_width - word.x1 < CLIP_PT for word in words):
            text += UNCERTAIN  # the box may cut the answer short: never read as whole
        readings[boxes[row][0]] = BoxReading(text, min(conf for _, conf in read))
    return readings


def _lines(data: Mapping[str, Sequence[Any]]) -> list[list[int]]:
    """The indices of tesseract's non-empty words, line by line."""
    lines: dict[tuple[int, int, int], list[int]] = {}
    for i, text in enumerate(data["text"]):
        if str(text).strip():
            line = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
            lines.setdefault(line, []).append(i)
    return list(lines.values())


def merged(
    values: Mapping[str, str], boxes: Mapping[str, BoxReading], min_confidence: float
) -> tuple[dict[str, str], set[str], dict[str, float]]:
    """The label reader's values with the boxes' readings: a confident box reading fills a
    value the label reader did not find, agrees with one it found, or, disagreeing, leaves
    it not found. A box with ink that neither reads (the box's reading unsure, no label
    value) holds something unread. Returns the values, the keys left not found by a
    disagreement or unread, and the confidences of the values taken from boxes."""
    out = dict(values)
    disagreed: set[str] = set()
    taken: dict[str, float] = {}
    for key, reading in boxes.items():
        label = values.get(key)
        if reading.confidence < min_confidence or UNCERTAIN in reading.text:
            if not label:
                disagreed.add(key)
            continue
        if label is None:
            out[key] = reading.text
            taken[key] = reading.confidence
        elif " ".join(label.split()) != " ".join(reading.text.split()):
            del out[key]
            disagreed.add(key)
    return out, disagreed, taken
