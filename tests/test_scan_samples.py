"""The scanned samples (tests/samples/scans/, made by make_scans.py) registered to their blank
forms: each page's known turn and shift recovered within a pixel, every drawn signature judged
signed, every empty box empty, the handwritten answer found as ink; wrong pages not registered.

The blank forms are rendered by pdftoppm at each sample's dpi; each page is registered once per
test session (cached), so the whole file takes seconds.
"""

from __future__ import annotations

import io
import json
import time
from functools import cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image

from formflow.forms.library import load_definition
from formflow.scan.blank import BlankForm, FieldBox, PixelBox, blank_form
from formflow.scan.images import scan_pages
from formflow.scan.ink import field_ink, ink_ratio, signature_state
from formflow.scan.pages import matched_batch
from formflow.scan.register import (
    Registration,
    greyscale,
    register,
    register_pages,
    without_print,
)

SCANS = Path(__file__).parent / "samples" / "scans"
SAMPLES = sorted(path.stem for path in SCANS.glob("*.json"))
TOLERANCE = 1.5  # pixels at the scan's dpi, anywhere on the page

pytestmark = pytest.mark.needs("pdftoppm")


def description(sample: str) -> dict[str, Any]:
    return json.loads((SCANS / f"{sample}.json").read_text(encoding="utf-8"))


def own_forms(sample: str) -> list[dict[str, Any]]:
    return [form for form in description(sample)["forms"] if form["source"] in KINDS]


KINDS = ("agreement", "preparation")
OWN_PAGES = [
    (sample, number, page["pdf_page"])
    for sample in SAMPLES
    for number, form in enumerate(description(sample)["forms"])
    if form["source"] in KINDS
    for page in form["pages"]
]


@cache
def blank_of(kind: str, dpi: int) -> BlankForm:
    return blank_form(load_definition(kind), 2026, dpi)


def blank(kind: str, dpi: int) -> tuple[np.ndarray, ...]:
    return blank_of(kind, dpi).pages


@cache
def scanned(sample: str) -> list[np.ndarray]:
    return [greyscale(page.image) for page in scan_pages((SCANS / f"{sample}.pdf").read_bytes())]


@cache
def registered(sample: str, pdf_page: int) -> tuple[Registration | None, float]:
    """The page registered to its blank page, and the processor seconds that took (not the
    wall clock: the machine running the tests may be shared)."""
    form, page = page_of(sample, pdf_page)
    blank_page = blank(form["kind"], description(sample)["dpi"])[page["form_page"]]
    started = time.process_time()
    registration = register(scanned(sample)[pdf_page], blank_page)
    return registration, time.process_time() - started


def page_of(sample: str, pdf_page: int) -> tuple[dict[str, Any], dict[str, Any]]:
    for form in description(sample)["forms"]:
        for page in form["pages"]:
            if page["pdf_page"] == pdf_page:
                return form, page
    raise LookupError(pdf_page)


def largest_error(expected: np.ndarray, found: np.ndarray, shape: tuple[int, ...]) -> float:
    """The farthest two blank-to-scan maps place a pixel apart, over the page's corners."""
    height, width = shape[:2]
    corners = np.array([[0, 0, 1], [width, 0, 1], [0, height, 1], [width, height, 1]], float).T
    return float(np.abs(expected @ corners - found @ corners).max())


def test_the_samples_are_there_and_small() -> None:
    assert len(SAMPLES) == 17
    sizes = [(SCANS / f"{sample}.pdf").stat().st_size for sample in SAMPLES]
    assert sum(sizes) < 8_000_000
    dpis = {description(sample)["dpi"] for sample in SAMPLES}
    assert dpis == {150, 200, 300}


def test_a_scan_page_comes_back_with_its_dpi_and_colour() -> None:
    for sample in ("agreement-300-colour-unsigned", "preparation-150-gray-handwritten"):
        pages = scan_pages((SCANS / f"{sample}.pdf").read_bytes())
        expected = description(sample)
        assert {page.dpi for page in pages} == {expected["dpi"]}
        assert {page.image.ndim for page in pages} == {3 if expected["colour"] else 2}


@pytest.mark.parametrize(("sample", "form", "pdf_page"), OWN_PAGES)
def test_registration_recovers_the_known_turn_and_shift(
    sample: str, form: int, pdf_page: int
) -> None:
    registration, _ = registered(sample, pdf_page)
    assert registration is not None
    _, page = page_of(sample, pdf_page)
    error = largest_error(np.array(page["matrix"]), registration.matrix, registration.image.shape)
    assert error < TOLERANCE
    assert registration.quality > 0.95


def test_registration_is_quick() -> None:
    seconds = [registered(sample, pdf_page)[1] for sample, _, pdf_page in OWN_PAGES]
    assert float(np.median(seconds)) < 1.0  # 0.3-0.5 s measured


def test_a_wrong_page_or_a_foreign_form_is_not_registered() -> None:
    page_one = scanned("agreement-200-gray-signed")[0]
    assert register(page_one, blank("agreement", 200)[2]) is None
    assert register(page_one, blank("agreement", 200)[1]) is None
    clinic = scanned("clinic-agreement-200-gray")
    assert register_pages(clinic, blank("agreement", 200)) == [None]


def test_a_page_printed_fit_to_page_is_registered_by_features() -> None:
    """Printed at 96 % ("fit to page") and tilted: ECC's turn and shift cannot match it, ORB can."""
    sample, pdf_page = "agreement-200-gray-signed", 0
    scan = scanned(sample)[pdf_page]
    height, width = scan.shape
    shrink = cv2.getRotationMatrix2D((width / 2, height / 2), 0.0, 0.96)
    shrunk = cv2.warpAffine(scan, shrink, (width, height), borderValue=255)
    registration = register(shrunk, blank("agreement", 200)[0])
    assert registration is not None
    assert registration.method == "orb"
    _, page = page_of(sample, pdf_page)
    expected = np.vstack([shrink, [0, 0, 1]]) @ np.vstack([page["matrix"], [0, 0, 1]])
    assert largest_error(expected[:2], registration.matrix, shrunk.shape) < 2.0


def boxes_of(form: dict[str, Any], form_page: int) -> dict[str, FieldBox]:
    boxes = blank_of(form["kind"], 150).boxes  # in PDF points: the same at every dpi
    return {key: box for key, box in boxes.items() if box.page == form_page}


@pytest.mark.parametrize(("sample", "form", "pdf_page"), OWN_PAGES)
def test_every_signature_and_empty_box_is_judged_right(
    sample: str, form: int, pdf_page: int
) -> None:
    registration, _ = registered(sample, pdf_page)
    assert registration is not None
    found, page = page_of(sample, pdf_page)
    dpi = description(sample)["dpi"]
    boxes = boxes_of(found, page["form_page"])
    for key, how in found["signatures"].items():
        if key in boxes:  # a typed name is ink too: OCR's text tells it from a drawn one
            state = signature_state(registration.image, PixelBox.from_points(boxes[key], dpi))
            assert state == {"drawn": "signed", "typed": "signed", "missing": "empty"}[how], key
    for key, box in boxes.items():
        if key in found["handwritten"]:
            assert ink_ratio(registration.image, PixelBox.from_points(box, dpi)) > 0.05, key
        elif not found["expected"].get(key) and key not in found["signatures"]:
            assert ink_ratio(registration.image, PixelBox.from_points(box, dpi)) == 0.0, key


def test_without_registration_the_boxes_hold_other_print() -> None:
    """The reason to register first: measured where the blank has them, the empty boxes of an
    unregistered scan catch frames and text (stack notes: 2.5 %); registered, 0.0 %."""
    sample = "agreement-150-colour-upside-down"
    form = description(sample)["forms"][0]
    boxes = boxes_of(form, 0)
    empty = [
        PixelBox.from_points(boxes[key], 150) for key in boxes if not form["expected"].get(key)
    ]
    registration, _ = registered(sample, 0)
    assert registration is not None
    assert len(empty) > 5
    assert max(ink_ratio(registration.image, box) for box in empty) == 0.0
    assert max(ink_ratio(scanned(sample)[0], box) for box in empty) > 0.01


def registered_pages(sample: str) -> list[np.ndarray | None]:
    form = description(sample)["forms"][0]
    found = [registered(sample, page["pdf_page"])[0] for page in form["pages"]]
    return [None if registration is None else registration.image for registration in found]


def test_field_ink_measures_the_fields_of_a_registered_form() -> None:
    sample = "agreement-200-gray-signed"
    pages = registered_pages(sample)
    boxes = blank_of("agreement", 200).boxes
    keys = ["signature_leader", "signature_employee", "goal_personal_2_text", "no_such_field"]
    ink = field_ink(pages, boxes, 200, keys)
    assert (ink["signature_leader"] or 0) > 0.05 and (ink["signature_employee"] or 0) > 0.05
    assert ink["goal_personal_2_text"] == 0.0
    assert ink["no_such_field"] is None
    unregistered = field_ink([pages[0], pages[1], None], boxes, 200, keys)
    assert unregistered["signature_leader"] is None  # its page was not registered: not found
    assert unregistered["goal_personal_2_text"] == 0.0


def test_without_print_leaves_what_the_person_added() -> None:
    sample = "agreement-200-gray-signed"
    image = registered_pages(sample)[2]
    assert image is not None
    cleaned = without_print(image, blank("agreement", 200)[2])
    form = blank_of("agreement", 200)
    typed, drawn = form.pixels("next_meeting_date"), form.pixels("signature_leader")
    assert ink_ratio(cleaned, typed) > 0.01 and ink_ratio(cleaned, drawn) > 0.05
    heading = PixelBox(drawn.x0 - 420, drawn.y0 - 150, drawn.x1, drawn.y0 - 60)  # "5. Underskrift"
    assert ink_ratio(image, heading, margin=0) > 0.01
    assert ink_ratio(cleaned, heading, margin=0) < 0.001


def test_a_scan_of_another_size_than_the_blank_registers() -> None:
    """Scanners cut a few millimetres off or add a margin: the page still lands in place."""
    sample = "agreement-200-gray-signed"
    scan = scanned(sample)[0]
    _, page = page_of(sample, 0)
    cut_left = np.array(page["matrix"])
    cut_left[0, 2] -= 25
    cases = [
        (scan[:-40, :], np.array(page["matrix"])),
        (scan[:, 25:], cut_left),
        (np.pad(scan, ((0, 60), (0, 30)), constant_values=247), np.array(page["matrix"])),
    ]
    for image, expected in cases:
        registration = register(image, blank("agreement", 200)[0])
        assert registration is not None
        assert largest_error(expected, registration.matrix, registration.image.shape) < TOLERANCE


@pytest.mark.parametrize(
    ("sample", "form_pages"),
    [
        ("agreement-batch-reversed-150-gray", [2, 1, 0]),
        ("two-agreements-150-gray", [0, 1, 2, 0, 1, 2]),
        ("agreement-150-colour-upside-down", [0, 1, 2]),
    ],
)
def test_each_scanned_page_is_matched_to_its_page_of_the_form(
    sample: str, form_pages: list[int]
) -> None:
    """Registration alone tells which page of the form a scanned page is: a batch in any
    order is put back, two forms in one PDF are two forms, without reading a word."""
    blanks = blank("agreement", description(sample)["dpi"])
    matched = register_pages(scanned(sample), blanks)
    assert [None if match is None else match[0] for match in matched] == form_pages
    orders = tuple(
        tuple(page["pdf_page"] for page in sorted(form["pages"], key=lambda p: p["form_page"]))
        for form in description(sample)["forms"]
    )
    assert matched_batch(form_pages, len(blanks)).forms == orders


def test_a_page_half_black_is_not_registered() -> None:
    """A scanner lid left open darkens half the page: the blank's lines are all "found" in the
    dark, and every box there would measure as signed; such a page is not registered."""
    scan = scanned("agreement-200-gray-signed")[0].copy()
    scan[:, : scan.shape[1] // 2 + 200] = 0
    assert register(scan, blank("agreement", 200)[0]) is None


def test_a_black_and_white_scan_is_read_and_registered() -> None:
    """Office scanners often send 1-bit black-and-white pages: read as greyscale, registered,
    and their signatures judged the same."""
    sample = "agreement-200-gray-signed"
    bilevel = Image.fromarray(scanned(sample)[2]).point(lambda v: 255 if v > 160 else 0)
    pdf = io.BytesIO()
    bilevel.convert("1").save(pdf, "PDF", resolution=200)
    (page,) = scan_pages(pdf.getvalue())
    assert (page.image.ndim, page.dpi) == (2, 200)
    registration = register(page.image, blank("agreement", 200)[2])
    assert registration is not None
    _, known = page_of(sample, 2)
    assert largest_error(np.array(known["matrix"]), registration.matrix, page.image.shape) < 1.0
    form = blank_of("agreement", 200)
    for key in ("signature_leader", "signature_employee"):
        assert signature_state(registration.image, form.pixels(key)) == "signed"
