"""Scanned forms read by OCR (formflow.read.ocr): one page of formflow's own agreement, filled,
rasterised at 200 dpi, tilted, JPEG-compressed and wrapped into an image-only PDF here, read
by tesseract's Danish model. Tesseract is slow on two shared cores: one scan is read once per
module and the tests look at it from several sides; the rest are pure.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from formflow.config import Settings
from formflow.forms.library import load_definition
from formflow.forms.render import render_bytes
from formflow.model import Extraction
from formflow.read import read_data
from formflow.read.labels import UNCERTAIN
from formflow.read.layout import Word
from formflow.read.ocr import (
    OcrWord,
    ScanPage,
    _cell_text,
    _clipped,
    em_of,
    layout_words,
    typographic,
)

DPI = 200
PAGE_ONE = {  # what page 1 of the agreement holds, typed
    "employee_name": "Birthe Ærø Søndergård",
    "employee_number": "4711",
    "leader_name": "Åge Østergaard",
    "meeting_date": "12.03.2026",
    "goal_professional_1_text": "Blive superbruger i økonomisystemet",
    "goal_professional_1_start": "1. april 2026",
    "goal_professional_1_end": "30.09.2026",
    "goal_personal_1_text": "Holde et oplæg på personalemødet",
}
EXPECTED = {  # as the reader returns them (dates as ISO)
    **PAGE_ONE,
    "meeting_date": "2026-03-12",
    "goal_professional_1_start": "2026-04-01",
    "goal_professional_1_end": "2026-09-30",
}
# Where "Stilling" (employee_position) is answered on page 1, in points from the top left:
# strokes there are a handwritten answer.
POSITION_BOX = (64.0, 210.0, 160.0, 227.0)


def page_image(values: dict[str, str], dpi: int = DPI) -> Image.Image:
    """Page 1 of formflow's agreement, filled with `values`, as printed at `dpi`."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(render_bytes(load_definition("agreement"), 2026, values, "pdf"))
    pdf.init_forms()  # draw the fields' appearances, as a printer does
    image = pdf[0].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    pdf.close()
    return image


def handwrite(image: Image.Image, box: tuple[float, float, float, float]) -> Image.Image:
    """Pen strokes (a scribbled word) inside `box` (points)."""
    scale = DPI / 72
    x0, y0, x1, y1 = (v * scale for v in box)
    drawn = image.copy()
    pen = ImageDraw.Draw(drawn)
    points = [
        (x0 + (x1 - x0) * t / 40, (y0 + y1) / 2 + (y1 - y0) * 0.3 * np.sin(t * 1.3))
        for t in range(41)
    ]
    pen.line(points, fill=20, width=3)
    return drawn


def scanned_page(image: Image.Image, angle: float = 1.3) -> Image.Image:
    """`image` as an office scanner sees it: tilted, on grey paper, JPEG-compressed."""
    tilted = image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    paper = np.asarray(tilted, dtype=np.float32) * 0.93 + 8
    jpeg = io.BytesIO()
    Image.fromarray(paper.clip(0, 255).astype(np.uint8)).save(jpeg, "JPEG", quality=75)
    return Image.open(jpeg)


def scanned(*pages: Image.Image) -> bytes:
    """The scanned pages in one image-only PDF, as the scanner sends it."""
    first, *rest = pages
    out = io.BytesIO()
    first.save(out, "PDF", resolution=DPI, save_all=True, append_images=list(rest))
    return out.getvalue()


@pytest.fixture(scope="module")
def scan() -> bytes:
    return scanned(scanned_page(handwrite(page_image(PAGE_ONE), POSITION_BOX)))


@pytest.fixture(scope="module")
def read_scan(scan: bytes) -> Extraction:
    return read_data(scan, "scan.pdf", Settings())


@pytest.mark.needs("tesseract")
def test_typed_answers_on_a_tilted_jpeg_scan_read_exactly(read_scan: Extraction) -> None:
    assert read_scan.reader == "ocr"
    assert (read_scan.kind, read_scan.year) == ("agreement", 2026)
    assert {k: read_scan.fields.get(k) for k in EXPECTED} == EXPECTED


@pytest.mark.needs("tesseract")
def test_every_value_read_carries_a_confidence_above_the_limit(read_scan: Extraction) -> None:
    assert read_scan.scan is not None
    limit = Settings().ocr.min_confidence
    confidences = read_scan.scan.confidence
    assert set(EXPECTED) <= set(confidences)
    assert all(limit <= confidences[key] <= 100 for key in EXPECTED)


@pytest.mark.needs("tesseract")
def test_a_handwritten_answer_is_not_read_but_known_as_unread(read_scan: Extraction) -> None:
    assert read_scan.scan is not None
    assert "employee_position" not in read_scan.fields
    assert "employee_position" in read_scan.scan.unread


@pytest.mark.needs("tesseract")
def test_an_upside_down_png_scan_is_turned_and_read() -> None:
    image = page_image(PAGE_ONE).rotate(180)
    png = io.BytesIO()
    image.save(png, "PNG")
    extraction = read_data(png.getvalue(), "scan.png", Settings())
    assert extraction.fields["employee_name"] == "Birthe Ærø Søndergård"
    assert extraction.fields["meeting_date"] == "2026-03-12"


@pytest.mark.needs("tesseract")
def test_an_empty_image_is_handed_back_as_a_scan_without_text() -> None:
    from formflow.errors import UnreadableForm

    blank = io.BytesIO()
    Image.new("L", (1654, 2339), 255).save(blank, "PDF", resolution=DPI)
    with pytest.raises(UnreadableForm) as error:
        read_data(blank.getvalue(), "blank.pdf", Settings())
    assert error.value.code == "scanned"


def test_a_word_below_the_confidence_limit_answers_nothing() -> None:
    words = (
        OcrWord("Birthe", 96.0, 100, 100, 80, 20, (1, 1, 1)),
        OcrWord("Ærø", 41.0, 190, 100, 50, 20, (1, 1, 1)),
    )
    page = ScanPage(np.full((400, 400), 255, np.uint8), DPI, words, 0, 0.0)
    texts = [word.text for word in layout_words(page, 80.0)]
    assert texts == ["Birthe", "Ærø" + UNCERTAIN]


def test_words_of_one_line_share_one_height_and_centre() -> None:
    words = (
        OcrWord("Åge", 96.0, 100, 96, 40, 28, (1, 1, 1)),  # a tall Å
        OcrWord("og", 96.0, 150, 104, 20, 20, (1, 1, 1)),  # a descender
    )
    page = ScanPage(np.full((400, 400), 255, np.uint8), DPI, words, 0, 0.0)
    first, second = layout_words(page, 80.0)
    assert (first.top, first.bottom) == (second.top, second.bottom)


def test_a_words_font_size_is_told_by_its_letters_not_its_box() -> None:
    """In one font at 200 dpi (an em of 31 px): a word of x-height letters, one with
    ascenders, one with a descender, one with both and a parenthesis read as one size."""
    words = [
        OcrWord("mere", 96.0, 0, 0, 60, 17, (1, 1, 1)),
        OcrWord("Lære", 96.0, 0, 0, 60, 24, (1, 1, 1)),
        OcrWord("nye", 96.0, 0, 0, 60, 24, (1, 1, 1)),
        OcrWord("lagerstyringssystem", 96.0, 0, 0, 250, 30, (1, 1, 1)),
        OcrWord("målbare)", 96.0, 0, 0, 100, 30, (1, 1, 1)),
    ]
    sizes = [em_of(word) for word in words]
    assert max(sizes) / min(sizes) < 1.1
    assert em_of(OcrWord("..", 96.0, 0, 0, 10, 4, (1, 1, 1))) == 0.0


def test_an_answer_wrapped_in_a_narrow_cell_is_one_line() -> None:
    """ "Lære det nye" over "lagerstyringssystem": the boxes differ by a third in height, the
    font does not; the second word did not fit, so the line wrapped."""
    words = (
        OcrWord("Lære", 96.0, 100, 100, 60, 24, (1, 1, 1)),
        OcrWord("det", 96.0, 170, 100, 40, 24, (1, 1, 1)),
        OcrWord("nye", 96.0, 220, 107, 45, 24, (1, 1, 1)),
        OcrWord("lagerstyringssystem", 96.0, 100, 143, 280, 30, (1, 1, 2)),
    )
    page = ScanPage(np.full((400, 600), 255, np.uint8), DPI, words, 0, 0.0)
    sizes: dict[Word, float] = {}
    placed = layout_words(page, 80.0, sizes)
    cell = (100 * 0.36 - 4, 90 * 0.36, 395 * 0.36, 190 * 0.36)  # points
    assert _cell_text(placed, cell, sizes) == "Lære det nye lagerstyringssystem"


def test_a_line_is_clipped_only_when_it_ends_closer_to_the_right_than_it_starts() -> None:
    """A word processor's narrow date column ("01.04.2025" 2.9 pt from the left side, 3.6 pt
    from the right) fitted; a filler's box clipped "Økonomisystemets" 2.3 pt from the right
    side, having started 5.2 pt from the left."""
    fitted = [Word("01.04.2025", 378.9, 440.4, 0, 10)]
    assert not _clipped(fitted, (376.0, 0, 444.0, 20))
    cut = [Word("Økonomisystemets", 105.2, 205.7, 0, 10)]
    assert _clipped(cut, (100.0, 0, 208.0, 20))


def test_dashes_and_double_quotes_are_written_one_way() -> None:
    assert typographic("—") == "–"
    assert typographic('"sparring"') == "“sparring”"
    assert typographic("„lønnen“") == "“lønnen”"
    assert typographic("»lønnen«") == "»lønnen«"  # guillemets are read as they are


def test_workers_run_tesseract_with_one_thread(tmp_path: Path) -> None:
    from formflow.workers import WorkerPool

    settings = Settings().replace(inbox=tmp_path, archive=tmp_path / "archive")
    with WorkerPool(settings, _environment_job, 1, slots=1) as pool:
        assert pool.run(tmp_path) == "1"


def _environment_job(settings: Settings, clock: object) -> tuple[object, object]:
    import os

    return (lambda path: os.environ.get("OMP_THREAD_LIMIT")), (lambda: None)


def test_no_message_tells_the_employee_that_images_cannot_be_read() -> None:
    from formflow.read import MESSAGES

    assert not any("kan ikke læses automatisk endnu" in message for message in MESSAGES.values())
