"""Reading flattened forms into the known rectangles of their fields (issue 14 item 6).

formflow's own forms filled by pypdf and flattened by `qpdf --generate-appearances
--flatten-annotations=all` carry each long answer as one line clipped to its box, its hidden
characters over the date boxes beside it (`tests/samples/qpdf-clipped/`, made by the script
there). The region reader gives each field what its own box draws.
"""

from __future__ import annotations

import json
from pathlib import Path

import pdfplumber
import pytest

from formflow.config import Settings
from formflow.read import read_form
from formflow.read.regions import FieldBox, Glyph, fits, read_known, read_regions

SAMPLES = Path(__file__).parent / "samples"
CLIPPED = SAMPLES / "qpdf-clipped"
EXPECTED = json.loads((CLIPPED / "expected.json").read_text(encoding="utf-8"))


def test_twenty_qpdf_clipped_samples() -> None:
    assert len(EXPECTED) == 20
    assert all((CLIPPED / name).is_file() for name in EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_qpdf_clipped_form_reads_every_value_right(name: str) -> None:
    data = EXPECTED[name]
    extraction = read_form(CLIPPED / name, Settings())
    assert (extraction.kind, extraction.year) == (data["kind"], data["year"])
    wrong = {
        key: (extraction.fields.get(key), value)
        for key, value in data["expected"].items()
        if extraction.fields.get(key, "") != value
    }
    assert wrong == {}
    assert [p.code for p in extraction.problems if p.severity == "error"] == []


def test_without_the_boxes_the_labels_read_no_hidden_text_and_no_cut_value(monkeypatch) -> None:
    """Read by labels alone (a form whose boxes formflow does not know), the hidden glyphs
    are left out as clipped by their box (they once spoiled the dates beside them), and an
    answer cut at its box's edge is not found: no value is wrong, fewer are found."""
    monkeypatch.setattr("formflow.read.regions.read_known", lambda *args: None)
    for name in ("clipped-00-agreement.pdf", "clipped-01-preparation.pdf"):
        extraction = read_form(CLIPPED / name, Settings())
        assert "date_unreadable" not in {p.code for p in extraction.problems}
        expected = EXPECTED[name]["expected"]
        found = {key: value for key, value in extraction.fields.items() if value}
        assert {k: v for k, v in found.items() if v != expected.get(k, "")} == {}
        assert len(found) < len([v for v in expected.values() if v])


@pytest.mark.parametrize(
    "name",
    [
        f"{kind}-{how}.pdf"
        for kind in ("agreement", "preparation")
        for how in ("qpdf-flattened", "pdftk-flattened", "gs-printed")
    ],
)
def test_own_flattened_samples_read_by_their_boxes(name: str) -> None:
    kind = name.split("-")[0]
    expected = json.loads((SAMPLES / f"{kind}-expected.json").read_text("utf-8"))["expected"]
    data = (SAMPLES / name).read_bytes()
    with pdfplumber.open(SAMPLES / name) as pdf:
        extraction = read_known(pdf, data, name, Settings())
    assert extraction is not None
    assert {k: extraction.fields.get(k, "") for k in expected} == expected


def test_a_form_of_another_layout_is_left_to_the_label_reader() -> None:
    """A LibreOffice export of the DOCX has formflow's title but not the PDF's layout."""
    data = (SAMPLES / "agreement-libreoffice.pdf").read_bytes()
    with pdfplumber.open(SAMPLES / "agreement-libreoffice.pdf") as pdf:
        assert read_known(pdf, data, "x", Settings()) is None


# --- the rules, one by one ---------------------------------------------------------------------

NAME = FieldBox("goal_professional_1_text", 0, 100, 100, 300, 120)
START = FieldBox("goal_professional_1_start", 0, 305, 100, 360, 120)


def glyphs(text: str, x: float, top: float = 105, clip=None, order: int = 0) -> list[Glyph]:
    return [
        Glyph(c, x + 5 * i, x + 5 * i + 5, top, top + 10, "Helvetica", clip, order + i)
        for i, c in enumerate(text)
    ]


def test_hidden_glyphs_of_a_clipped_box_stay_its_own() -> None:
    clip = (NAME.x0, NAME.top, NAME.x1, NAME.bottom)
    long = "x" * 50  # runs from 100 to 350: over the start box, hidden by the clip
    page = glyphs(long, 100, clip=clip) + glyphs("1.4.2026", 310, order=50)
    regions = read_regions(page, [NAME, START])
    assert regions.values == {NAME.key: long, START.key: "1.4.2026"}
    assert regions.uncertain == frozenset()


def test_one_text_across_two_boxes_is_neither_boxs() -> None:
    page = glyphs("y" * 50, 100)  # drawn on the page itself, no clip: whose is which part?
    regions = read_regions(page, [NAME, START])
    assert regions.uncertain == {NAME.key, START.key}
    assert regions.values == {NAME.key: "", START.key: ""}


def test_a_text_running_out_of_its_box_into_nothing_is_all_its_own() -> None:
    page = glyphs("12. marts 2026", 320)  # ends at 390, past the start box, over no box
    assert read_regions(page, [NAME, START]).values[START.key] == "12. marts 2026"


def test_wrapped_lines_are_joined_and_line_breaks_kept() -> None:
    clip = (NAME.x0, NAME.top, NAME.x1, NAME.bottom)
    newline = Glyph("\n", 0, 0, 105, 115, "Helvetica", clip, 3)
    page = [*glyphs("abc", 100, clip=clip), newline, *glyphs("def", 100, clip=clip, order=4)]
    assert read_regions(page, [NAME]).values[NAME.key] == "abc\ndef"


def test_a_page_whose_labels_moved_does_not_fit_its_blank() -> None:
    blank = [(g.text, g.x0, g.top) for g in glyphs("Navn", 50)]
    assert fits(glyphs("Navn", 50), blank)
    assert not fits(glyphs("Navn", 50, top=130), blank)  # a box above it grew
    assert not fits(glyphs("Navn", 50, clip=(0, 0, 99, 99)), blank)  # an answer, not the label
