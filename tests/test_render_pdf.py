"""The fillable PDF form: contract field names, values that survive every reader, and viewers.

What the PDF holds is checked with pypdf; what people SEE is checked with poppler (pdftotext
reads the appearance streams of the widgets, as pdftoppm draws them), and pdftk stands in for
"another program fills the form".
"""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from formflow.config import settings_from_dict
from formflow.forms.definition import DATA_KEYS, FormDefinition
from formflow.forms.library import load_definition
from formflow.forms.pdf import (
    MIN_SIZE,
    fit_text,
    overflowing_fields,
    render_pdf,
    shown_text,
    visible_lines,
    wrap_lines,
)

KINDS = ["preparation", "agreement"]
LONG_ANSWER = (
    "Jeg vil gerne styrke min faglighed inden for sårpleje og dokumentation. "
    "Konkret ønsker jeg at deltage i kurset „Moderne sårbehandling“ i foråret, og bagefter "
    "vil jeg dele min viden med kollegerne på et personalemøde – gerne med en kort "
    "præsentation. Målet er, at afdelingen får én fælles praksis."
)
PREFILLED = {
    "employee_name": "Birthe Å. Mølgaard",
    "employee_number": "10423",
    "employee_position": "Sygeplejerske, Ærø",
    "leader_name": "Søren Østergaard",
    "meeting_date": "23.11.2026",
    "goal_professional_1_text": LONG_ANSWER,
    "goal_professional_1_start": "01.01.2027",
    "goal_professional_1_end": "30.06.2027",
}


def _definition(kind: str) -> FormDefinition:
    return load_definition(kind)


def _fields(pdf: bytes) -> dict[str, Any]:
    fields = PdfReader(io.BytesIO(pdf)).get_fields()
    assert fields is not None
    return fields


def _widgets(pdf: bytes) -> list[tuple[int, Any]]:
    reader = PdfReader(io.BytesIO(pdf))
    return [
        (number, annotation.get_object())
        for number, page in enumerate(reader.pages)
        for annotation in page.get("/Annots", [])
    ]


def _poppler_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "form.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    )
    return done.stdout.decode("utf-8")


@pytest.fixture(scope="module")
def blank() -> dict[str, bytes]:
    return {kind: render_pdf(_definition(kind), 2027, {}) for kind in KINDS}


# --- the contract ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_every_contract_key_is_a_field(kind: str, blank: dict[str, bytes]) -> None:
    definition = _definition(kind)
    fields = _fields(blank[kind])
    assert set(fields) == set(definition.keys) | set(DATA_KEYS)
    assert fields["form_kind"]["/V"] == kind
    assert fields["form_year"]["/V"] == "2027"
    assert fields["form_definition"]["/V"] == definition.name


@pytest.mark.parametrize("kind", KINDS)
def test_title_with_year_is_metadata_and_visible(kind: str, blank: dict[str, bytes]) -> None:
    definition = _definition(kind)
    reader = PdfReader(io.BytesIO(blank[kind]))
    assert reader.metadata is not None
    assert reader.metadata.title == definition.title_for(2027)
    first = reader.pages[0].extract_text()
    assert definition.title_for(2027) in first
    total = len(reader.pages)
    assert f"Side 1 af {total}" in first
    assert f"Side {total} af {total}" in reader.pages[-1].extract_text()


@pytest.mark.parametrize("kind", KINDS)
def test_field_types_flags_tooltips_and_appearances(kind: str, blank: dict[str, bytes]) -> None:
    definition = _definition(kind)
    widgets = {w["/T"]: w for _, w in _widgets(blank[kind])}
    for spec in definition.fields:
        widget = widgets[spec.key]
        flags = int(widget.get("/Ff", 0))
        assert widget["/TU"], spec.key
        assert spec.label.split(" ")[0] in widget["/TU"] or spec.type == "signature", spec.key
        assert "/N" in widget["/AP"], spec.key
        assert bool(flags & (1 << 12)) == (spec.type == "multiline"), spec.key
        if spec.type == "status":
            assert widget["/FT"] == "/Ch" and flags & (1 << 17)
            assert list(widget["/Opt"]) == ["", "1", "2", "3", "4"]
        else:
            assert widget["/FT"] == "/Tx", spec.key
        if spec.type == "date":
            assert "dd.mm.åååå" in widget["/TU"]
    for key in DATA_KEYS:
        assert int(widgets[key]["/F"]) & 2, "data fields are hidden"
        assert int(widgets[key]["/Ff"]) & 1, "data fields are read-only"


def test_tooltips_name_the_row(blank: dict[str, bytes]) -> None:
    widgets = {w["/T"]: w for _, w in _widgets(blank["preparation"])}
    assert widgets["prev_goal_professional_1_start"]["/TU"] == (
        "(2) Faglig udvikling 1: Startdato (dd.mm.åååå)"
    )
    assert widgets["goal_company_2_text"]["/TU"] == (
        "(5) Hjælp til andre dele af firmaet 2: Aftaler og mål (konkrete og målbare)"
    )
    assert widgets["competence_long_when"]["/TU"] == "På sigt 1-3 år: Tidspunkt"


@pytest.mark.parametrize("kind", KINDS)
def test_acroform_has_winansi_helvetica_and_no_need_appearances(
    kind: str, blank: dict[str, bytes]
) -> None:
    acroform = PdfReader(io.BytesIO(blank[kind])).trailer["/Root"]["/AcroForm"]
    font = acroform["/DR"]["/Font"]["/Helv"]
    assert font["/Encoding"] == "/WinAnsiEncoding"
    assert not acroform.get("/NeedAppearances", False)


@pytest.mark.parametrize("kind", KINDS)
def test_boxes_do_not_overlap_and_stay_inside_the_page(kind: str) -> None:
    values = {"summary": LONG_ANSWER * 3, "q_results": LONG_ANSWER * 2, **PREFILLED}
    definition = _definition(kind)
    values = {k: v for k, v in values.items() if definition.has(k)}
    rects: dict[int, list[tuple[float, ...]]] = {}
    for page, widget in _widgets(render_pdf(definition, 2027, values)):
        if widget["/T"] in DATA_KEYS:
            continue
        x0, y0, x1, y1 = (float(v) for v in widget["/Rect"])
        assert 40 < x0 < x1 < 560 and 55 < y0 < y1 < 800, widget["/T"]
        for other in rects.setdefault(page, []):
            assert x1 <= other[0] or other[2] <= x0 or y1 <= other[1] or other[3] <= y0
        rects[page].append((x0, y0, x1, y1))


# --- values ---------------------------------------------------------------------------------

DANISH = st.sampled_from(
    list("abcdefghijklmnopqrstuvwxyzæøåABCDEFGHIJKLMNOPQRSTUVWXYZÆØÅéü0123456789")
    + list(" .,;:!?-–()/%&'\"„“”‘’@+*#€§")
    + ["\n", "\t", "  "]
)
danish_text = st.lists(DANISH, max_size=60).map("".join)
long_danish_text = st.lists(DANISH, min_size=300, max_size=1200).map("".join)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=danish_text,
    date=danish_text,
    goal=st.one_of(danish_text, long_danish_text),
    summary=st.one_of(danish_text, long_danish_text),
    signature=danish_text,
)
def test_values_round_trip_through_pypdf(
    name: str, date: str, goal: str, summary: str, signature: str
) -> None:
    values = {
        "employee_name": name,
        "meeting_date": date,
        "goal_sales_2_text": goal,
        "summary": summary,
        "plan_3_followup_how": goal,
        "signature_employee": signature,
    }
    pdf = render_pdf(_definition("agreement"), 2026, values)
    reader = PdfReader(io.BytesIO(pdf))
    fields = reader.get_fields()
    assert fields is not None
    assert {k: fields[k].get("/V") for k in values} == values
    text_fields = reader.get_form_text_fields()
    assert {k: text_fields[k] for k in values} == values


def test_status_values_round_trip() -> None:
    values = {"prev_goal_personal_1_status": "4", "prev_plan_2_status": "1"}
    fields = _fields(render_pdf(_definition("preparation"), 2027, values))
    assert {k: fields[k]["/V"] for k in values} == values


@pytest.mark.needs("pdftotext")
def test_poppler_shows_prefilled_values_wrapped(tmp_path: Path) -> None:
    answer = "Første linje\nAnden linje med „citat“ og en tabulator\tefter"
    values = {**PREFILLED, "summary": answer}
    text = _poppler_text(render_pdf(_definition("agreement"), 2027, values), tmp_path)
    for value in ["Birthe Å. Mølgaard", "Søren Østergaard", "23.11.2026", "01.01.2027"]:
        assert value in text
    for word in LONG_ANSWER.split():
        assert word in text
    # The long goal is wrapped: its first words and its last words sit on different lines.
    first_line = next(line for line in text.splitlines() if "Jeg vil gerne" in line)
    assert "fælles praksis" not in first_line
    assert "Første linje" in text and "Anden linje med „citat“" in text


@pytest.mark.needs("pdftk", "pdftotext")
@pytest.mark.parametrize("kind", KINDS)
def test_pdftk_fills_the_blank_form(kind: str, tmp_path: Path, blank: dict[str, bytes]) -> None:
    values = {
        "employee_name": "Åse Ærø-Søndergård",
        "meeting_date": "2. december 2026",
        "goal_personal_1_text": "Blive bedre til „feedback“ – æøå ÆØÅ\nogså på to linjer",
    }
    if kind == "preparation":
        values["prev_goal_sales_1_status"] = "3"
    source = tmp_path / "blank.pdf"
    source.write_bytes(blank[kind])
    xfdf = tmp_path / "data.xfdf"
    xfdf.write_text(_xfdf(values), encoding="utf-8")
    filled = tmp_path / "filled.pdf"
    subprocess.run(
        ["pdftk", str(source), "fill_form", str(xfdf), "output", str(filled)],
        check=True,
        capture_output=True,
    )
    data = filled.read_bytes()
    fields = _fields(data)
    assert {k: fields[k]["/V"] for k in values} == values
    text = _poppler_text(data, tmp_path)
    assert "Åse Ærø-Søndergård" in text
    assert "„feedback“" in text


def _xfdf(values: Mapping[str, str]) -> str:
    from xml.sax.saxutils import escape

    fields = "".join(
        f'<field name="{key}"><value>{escape(value)}</value></field>'
        for key, value in values.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<xfdf xmlns="http://ns.adobe.com/xfdf/" xml:space="preserve">'
        f"<fields>{fields}</fields></xfdf>"
    )


# --- fitting text: grow, wrap, shrink, report -----------------------------------------------


def test_prefilled_long_answer_grows_its_box() -> None:
    definition = _definition("preparation")

    def height(values: dict[str, str]) -> float:
        pdf = render_pdf(definition, 2027, values)
        widget = next(w for _, w in _widgets(pdf) if w["/T"] == "other_activities")
        return float(widget["/Rect"][3]) - float(widget["/Rect"][1])

    assert height({"other_activities": LONG_ANSWER * 2}) > height({})


def test_fit_wraps_keeps_line_breaks_and_shrinks() -> None:
    fit = fit_text("en\n\nto tre", 200, 60, multiline=True)
    assert fit.lines == ("en", "", "to tre") and fit.complete and fit.size == 10
    shrunk = fit_text(LONG_ANSWER, 200, 60, multiline=True)
    assert shrunk.complete and MIN_SIZE <= shrunk.size < 10
    assert " ".join(shrunk.lines).split() == LONG_ANSWER.split()
    too_long = fit_text(LONG_ANSWER * 5, 200, 60, multiline=True)
    assert not too_long.complete and too_long.size == MIN_SIZE


def test_single_line_fit_shrinks_then_gives_up() -> None:
    assert fit_text("Birthe Å. Mølgaard", 200, 18, multiline=False).size == 10
    assert fit_text("x" * 45, 200, 18, multiline=False).size < 10
    assert not fit_text("x" * 200, 200, 18, multiline=False).complete


def test_wrap_breaks_words_longer_than_a_line() -> None:
    lines = wrap_lines("a" * 100, 50, 10)
    assert "".join(lines) == "a" * 100 and len(lines) > 1


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        pytest.param("æøå ÆØÅ „x“ – €", "æøå ÆØÅ „x“ – €", id="winansi"),
        pytest.param("Łukasz ő 😀", "?ukasz ? ?", id="outside_winansi"),
        pytest.param("a\tb\r\nc", "a    b\nc", id="tab_and_crlf"),
    ],
)
def test_shown_text(value: str, shown: str) -> None:
    assert shown_text(value) == shown


def test_characters_outside_winansi_keep_their_value() -> None:
    values = {"employee_name": "Łukasz Wójcik"}
    pdf = render_pdf(_definition("agreement"), 2027, values)
    widget = next(w for _, w in _widgets(pdf) if w["/T"] == "employee_name")
    assert widget["/V"] == "Łukasz Wójcik"
    stream = widget["/AP"]["/N"].get_data()
    assert b"(?ukasz W\\363jcik) Tj" in stream


def test_overflowing_fields_names_what_cannot_be_shown_whole() -> None:
    definition = _definition("preparation")
    values = {
        "employee_name": "Birthe " * 40,
        "employee_position": "Sygeplejerske",
        "other_activities": LONG_ANSWER,
        "relations": LONG_ANSWER * 30,
    }
    assert overflowing_fields(definition, values) == ["employee_name", "relations"]
    fields = _fields(render_pdf(definition, 2027, values))
    assert fields["relations"]["/V"] == LONG_ANSWER * 30, "the value is never cut"


def test_text_that_does_not_fit_ends_in_an_ellipsis() -> None:
    fit = fit_text("ord " * 400, 200, 40, multiline=True)
    lines = visible_lines(fit, 200, 40, multiline=True)
    assert not fit.complete and lines[-1].endswith("…") and len(lines) < len(fit.lines)
    single = fit_text("x" * 100, 100, 18, multiline=False)
    assert visible_lines(single, 100, 18, multiline=False)[0].endswith("…")
    whole = fit_text("en\nto", 100, 40, multiline=True)
    assert visible_lines(whole, 100, 40, multiline=True) == ["en", "to"]


def test_committed_reference_renders_match_their_values() -> None:
    """tests/samples/render/ (made by make_renders.py) still carries the contract keys."""
    folder = Path(__file__).parent / "samples" / "render"
    for pdf in sorted(folder.glob("*.pdf")):
        kind, year = pdf.stem.split("-")[:2]
        fields = _fields(pdf.read_bytes())
        assert set(fields) == set(_definition(kind).keys) | set(DATA_KEYS), pdf.name
        assert (fields["form_kind"]["/V"], fields["form_year"]["/V"]) == (kind, year)
        expected = pdf.with_suffix(".json")
        if expected.exists():
            values = json.loads(expected.read_text(encoding="utf-8"))
            assert {k: fields[k]["/V"] for k in values} == values, pdf.name


def test_organisation_categories_and_rows() -> None:
    own = settings_from_dict(
        {
            "forms": {
                "categories": [{"key": "clinical", "label": "Klinisk udvikling"}],
                "goal_rows": 3,
                "plan_rows": 1,
            }
        }
    )
    definition = load_definition("agreement", own)
    fields = _fields(render_pdf(definition, 2027, {"goal_clinical_3_end": "01.02.2027"}))
    assert fields["goal_clinical_3_end"]["/V"] == "01.02.2027"
    assert "plan_1_competence" in fields and "plan_2_competence" not in fields


# --- written layouts: a form is its layout with the values put in -----------------------------


def _kept(values: Mapping[str, str]) -> dict[str, str]:
    """`values` without the header's name: the same layout, other bytes."""
    return {k: v for k, v in values.items() if k != "employee_name"}


@pytest.mark.parametrize(
    ("kind", "values"),
    [
        pytest.param("preparation", {}, id="blank"),
        pytest.param(
            "preparation",
            {"employee_name": "Søren Ærø", "meeting_date": "01.02.2027"},
            id="short-values",
        ),
        pytest.param("preparation", PREFILLED, id="grown-goal"),
        pytest.param("preparation", {"other_activities": LONG_ANSWER * 30}, id="overflow"),
        pytest.param(
            "preparation",
            {"prev_goal_personal_1_status": "3", "relations": "\x01€😀"},
            id="status-and-odd-characters",
        ),
        pytest.param("agreement", {**PREFILLED, "plan_1_activity": LONG_ANSWER}, id="agreement"),
    ],
)
def test_a_form_filled_into_its_written_layout_is_the_full_render(
    kind: str, values: dict[str, str]
) -> None:
    from formflow.forms import pdf

    definition = _definition(kind)
    values = {k: v for k, v in values.items() if definition.has(k)}
    assert render_pdf(definition, 2027, values) == pdf._render_in_full(definition, 2027, values)
    # a second form of the same heights comes from the same written layout, as it would in full
    layouts = len(pdf._layouts(definition, 2027).made)
    other = _kept(values)
    assert render_pdf(definition, 2027, other) == pdf._render_in_full(definition, 2027, other)
    assert len(pdf._layouts(definition, 2027).made) == layouts


def test_forms_of_the_same_box_heights_share_one_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    from formflow.forms import pdf

    monkeypatch.setattr(pdf, "_FORMS", {})  # no layouts from other tests
    definition = load_definition("preparation")
    short = {"employee_name": "Anne"}
    grown = {"goal_professional_1_text": LONG_ANSWER}
    for values in (short, grown, {"employee_name": "Bo", **grown}, {}):
        render_pdf(definition, 2026, values)
    assert len(pdf._layouts(definition, 2026).made) == 2  # blank, and one goal grown
    assert overflowing_fields(definition, {"other_activities": LONG_ANSWER * 30}, 2026) == [
        "other_activities"
    ]


def test_a_pypdf_that_writes_differently_means_full_renders(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from formflow.forms import pdf

    definition = load_definition("preparation")
    expected = pdf._render_in_full(definition, 2027, PREFILLED)
    monkeypatch.setattr(pdf, "_FORMS", {})
    monkeypatch.setattr(pdf, "_assemble", lambda head, objects, trailer: b"%PDF-other")
    assert not pdf._layouts(definition, 2027).usable
    assert render_pdf(definition, 2027, PREFILLED) == expected
