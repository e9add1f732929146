"""Ink in a box (formflow/scan/ink.py) on drawn pages: the frame never counts, Otsu separates
ink from paper over the whole page, and the thresholds judge signed, empty and unclear."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from formflow.forms.library import load_definition
from formflow.forms.render import render_bytes
from formflow.scan import ink
from formflow.scan.blank import FieldBox, PixelBox, field_boxes
from formflow.scan.ink import (
    EMPTY_BELOW,
    SIGNED_FROM,
    field_ink,
    ink_ratio,
    ink_threshold,
    interior,
    judge_ink,
    signature_state,
)

BOX = PixelBox(100, 200, 700, 280)  # a signature box at 150 dpi: 600 x 80 pixels


def page_with_a_framed_box() -> np.ndarray:
    """A light page with some print (a line of "text") and the box's dark frame."""
    page = np.full((600, 800), 246, np.uint8)
    cv2.rectangle(page, (100, 60), (600, 75), 30, -1)  # print elsewhere on the page
    cv2.rectangle(page, (BOX.x0, BOX.y0), (BOX.x1 - 1, BOX.y1 - 1), 20, 2)
    return page


def test_an_empty_framed_box_is_empty_and_the_frame_never_counts() -> None:
    page = page_with_a_framed_box()
    assert ink_ratio(page, BOX) == 0.0
    assert ink_ratio(page, BOX, margin=0) > 0.02  # measured with its frame, it would not be
    assert signature_state(page, BOX) == "empty"


def test_a_light_box_fill_is_paper_not_ink() -> None:
    """formflow's fields have a light fill; only ink darker than Otsu's split counts."""
    page = page_with_a_framed_box()
    page[BOX.y0 + 2 : BOX.y1 - 2, BOX.x0 + 2 : BOX.x1 - 2] = 228
    assert ink_ratio(page, BOX) == 0.0


def test_a_short_thin_signature_is_signed() -> None:
    page = page_with_a_framed_box()
    points = np.array([[160, 260], [190, 225], [215, 262], [240, 230], [300, 255]], np.int32)
    cv2.polylines(page, [points], False, 40, 2, cv2.LINE_AA)
    assert ink_ratio(page, BOX) >= SIGNED_FROM
    assert signature_state(page, BOX) == "signed"


def test_a_speck_is_unclear_and_dust_is_empty() -> None:
    page = page_with_a_framed_box()
    page[230:232, 300:302] = 40  # dust: 4 pixels
    assert signature_state(page, BOX) == "empty"
    page[230:240, 300:320] = 40  # a dot of ink: 200 pixels of 42 000
    assert EMPTY_BELOW <= ink_ratio(page, BOX) < SIGNED_FROM
    assert signature_state(page, BOX) == "unclear"


@pytest.mark.parametrize(
    ("ratio", "state"),
    [(0.0, "empty"), (0.0029, "empty"), (0.003, "unclear"), (0.0099, "unclear"), (0.01, "signed")],
)
def test_judge_ink_thresholds(ratio: float, state: str) -> None:
    assert judge_ink(ratio) == state


def test_interior_shrinks_by_a_share_of_the_smaller_side() -> None:
    assert interior(BOX) == PixelBox(110, 210, 690, 270)  # 12 % of 80 px
    assert interior(PixelBox(0, 0, 20, 10)) == PixelBox(3, 3, 17, 7)  # at least 3 px
    assert interior(BOX, margin=0) == BOX


def test_a_box_outside_the_page_or_without_interior_has_no_ink() -> None:
    page = page_with_a_framed_box()
    assert ink_ratio(page, PixelBox(900, 900, 1000, 1000)) == 0.0
    assert ink_ratio(page, PixelBox(10, 10, 14, 14)) == 0.0


def test_a_widget_rectangle_maps_to_pixels() -> None:
    box = FieldBox("signature_leader", 2, (201.0, 612.5, 550.25, 652.5), 841.89)
    pixels = PixelBox.from_points(box, 200)
    assert pixels == PixelBox(558, 526, 1528, 637)
    assert (pixels.width, pixels.height) == (970, 111)


def test_the_blank_forms_widgets_are_read_with_their_pages() -> None:
    boxes = field_boxes(render_bytes(load_definition("agreement"), 2026, {}, "pdf"))
    assert boxes["signature_leader"].page == boxes["signature_employee"].page == 2
    assert boxes["employee_name"].page == 0
    x0, y0, x1, y1 = boxes["signature_employee"].rect
    assert x0 < x1 and y0 < y1 and boxes["signature_employee"].page_height == pytest.approx(841.89)


def test_a_pages_threshold_is_measured_once_for_all_its_boxes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = page_with_a_framed_box()
    cv2.line(page, (150, 240), (600, 250), 120, 3)  # a grey pen stroke in the box
    threshold = ink_threshold(page)
    assert ink_ratio(page, BOX, threshold=threshold) == ink_ratio(page, BOX) > SIGNED_FROM
    assert ink_ratio(page, BOX, threshold=100) == 0.0  # the stroke is lighter than that
    measured = []
    monkeypatch.setattr(ink, "ink_threshold", lambda image: measured.append(1) or threshold)
    inside = (BOX.x0 * 0.36, (600 - BOX.y1) * 0.36, BOX.x1 * 0.36, (600 - BOX.y0) * 0.36)
    boxes = {key: FieldBox(key, 0, inside, 600 * 0.36) for key in ("one", "two", "three")}
    ratios = field_ink([page], boxes, 200, boxes)  # 200 dpi: 0.36 points a pixel
    assert set(ratios.values()) == {ink_ratio(page, BOX, threshold=threshold)}
    assert len(measured) == 1
