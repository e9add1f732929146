"""Answer boxes read one by one on a scan registered to the blank form (formflow.read.boxes):
what a box reads fills a value the label reader missed only when confident, and a box and a
label reading that disagree leave the value not found."""

from __future__ import annotations

import numpy as np
import pytest
from test_ocr import PAGE_ONE, page_image, scanned_page

from formflow.config import Settings
from formflow.forms.library import load_definition
from formflow.read.boxes import BoxReading, merged, read_boxes
from formflow.read.labels import UNCERTAIN
from formflow.scan.blank import BlankForm, FieldBox
from formflow.scan.register import Registration

LIMIT = 80.0


def test_a_confident_box_fills_a_value_the_label_reader_missed() -> None:
    values, disagreed, taken = merged({}, {"meeting_date": BoxReading("12.03.2026", 95.0)}, LIMIT)
    assert values == {"meeting_date": "12.03.2026"}
    assert (disagreed, taken) == (set(), {"meeting_date": 95.0})


def test_a_box_and_a_label_reading_that_disagree_leave_the_value_not_found() -> None:
    boxes = {"employee_number": BoxReading("4711", 96.0)}
    values, disagreed, _ = merged({"employee_number": "4717", "leader_name": "Åge"}, boxes, LIMIT)
    assert values == {"leader_name": "Åge"}
    assert disagreed == {"employee_number"}


def test_a_box_agreeing_with_the_label_reader_keeps_its_value() -> None:
    boxes = {"summary": BoxReading("Vi talte\nom det", 90.0)}
    values, disagreed, _ = merged({"summary": "Vi talte om det"}, boxes, LIMIT)
    assert values == {"summary": "Vi talte om det"} and not disagreed


def test_an_unsure_or_clipped_box_reading_fills_nothing_and_leaves_its_box_unread() -> None:
    """An unsure or clipped box reading never becomes a value; where the label reader has
    none either, the box's ink is unread (the form waits for a person)."""
    boxes = {
        "employee_name": BoxReading("Birthe", 61.0),
        "leader_name": BoxReading("Åge Øster" + UNCERTAIN, 96.0),
        "employee_number": BoxReading("4717", 40.0),
    }
    values, unread, taken = merged({"employee_number": "4711"}, boxes, LIMIT)
    assert values == {"employee_number": "4711"}
    assert unread == {"employee_name", "leader_name"}
    assert not taken


@pytest.mark.needs("tesseract")
def test_the_boxes_of_a_registered_scan_read_their_typed_answers() -> None:
    from formflow.scan.blank import blank_form
    from formflow.scan.register import register

    settings = Settings()
    blank = blank_form(load_definition("agreement"), 2026, 200)
    scan = np.asarray(scanned_page(page_image(PAGE_ONE)).convert("L"))
    registration = register(scan, blank.pages[0])
    assert registration is not None
    readings = read_boxes(load_definition("agreement"), blank, {0: registration}, settings)
    read = {key: reading.text for key, reading in readings.items()}
    assert read["employee_name"] == "Birthe Ærø Søndergård"
    assert read["meeting_date"] == "12.03.2026"
    assert read["goal_personal_1_text"] == "Holde et oplæg på personalemødet"
    assert "employee_position" not in read  # an empty box is not read at all
    assert all(readings[key].confidence >= settings.ocr.min_confidence for key in PAGE_ONE
               if key in readings and UNCERTAIN not in readings[key].text)  # fmt: skip


def two_registered_pages() -> tuple[BlankForm, dict[int, Registration | None]]:
    """A two-page form registered exactly: the name typed in its box on page 1, the meeting
    date on page 2; the number's box (page 1) is empty."""
    blank_page = np.full((400, 300), 255, np.uint8)
    blank_page[10:12, :] = 0  # the blank's print: a ruling
    page_height = 400 * 72 / 200  # points of a page of 400 pixels at 200 dpi
    places = {  # page, pixel rows
        "employee_name": (0, 50, 80),
        "employee_number": (0, 150, 180),
        "meeting_date": (1, 50, 80),
    }
    boxes = {
        key: FieldBox(
            key, page, (7.2, page_height - y1 * 0.36, 72.0, page_height - y0 * 0.36), page_height
        )
        for key, (page, y0, y1) in places.items()
    }
    scans = [blank_page.copy(), blank_page.copy()]
    for key in ("employee_name", "meeting_date"):
        page, y0, _ = places[key]
        scans[page][y0 + 10 : y0 + 20, 30:120] = 20  # typed
    blank = BlankForm("agreement", 200, (blank_page, blank_page), boxes)
    return blank, {n: Registration(np.eye(2, 3), scan, 1.0, "ecc") for n, scan in enumerate(scans)}


def test_the_boxes_with_ink_are_told_by_one_threshold_a_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from formflow.read import boxes as box_reader
    from formflow.scan import ink

    blank, registered = two_registered_pages()
    measured, read = [], []
    otsu = ink.ink_threshold
    monkeypatch.setattr(ink, "ink_threshold", lambda image: measured.append(1) or otsu(image))
    monkeypatch.setattr(box_reader, "_read_strip", lambda crops, *_: read.extend(crops) or {})
    read_boxes(load_definition("agreement"), blank, registered, Settings())
    assert [key for key, _ in read] == ["employee_name", "meeting_date"]
    assert len(measured) == 2


def test_the_boxes_of_every_page_are_read_in_one_tesseract_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from formflow.read import ocr

    blank, registered = two_registered_pages()
    runs = []
    columns = ("text", "conf", "left", "top", "width", "height", "block_num", "par_num", "line_num")
    nothing: dict[str, list[object]] = {column: [] for column in columns}  # tesseract read nothing
    monkeypatch.setattr(ocr, "tesseract", lambda strip, *_: runs.append(strip) or nothing)
    readings = read_boxes(load_definition("agreement"), blank, registered, Settings())
    assert set(readings.values()) <= {BoxReading(UNCERTAIN, 0.0)}  # ink, no word: unread
    assert len(runs) == 1
