"""Seed 002's competence wheel (issue 18 item 1): `forms.competences`, the wheel_<key> marks
1-5 on the preparation and agreement forms in PDF (radio buttons) and DOCX (check boxes),
read back from fields, controls and flattened or printed pages, filed, carried over and drawn
(`archive show --wheel`)."""

from __future__ import annotations

import io
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ingest_for_real, no_roster
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, TextStringObject

from formflow.carryover import carry_over
from formflow.charts import Wheel, wheel_drawing, wheel_svg
from formflow.checking import check_form
from formflow.cli import cli
from formflow.config import Settings, settings_from_dict
from formflow.errors import SettingsError
from formflow.forms.library import load_definition
from formflow.forms.render import render_bytes
from formflow.read import read_data

COMPETENCES = [
    ("faglighed", "Faglighed"),
    ("samarbejde", "Samarbejde"),
    ("kommunikation", "Kommunikation"),
    ("service", "Service og borgerkontakt"),
    ("fleksibilitet", "Fleksibilitet"),
    ("planlaegning", "Planlægning"),
]
HEADER = {
    "employee_name": "Anna Ærø",
    "employee_number": "1001",
    "leader_name": "Lise Løvgren",
    "meeting_date": "15.12.2026",
}
SIGNED = {"signature_employee": "Anna Ærø", "signature_employee_date": "01.12.2026"}
MARKS = {"wheel_faglighed": "4", "wheel_samarbejde": "5", "wheel_service": "2"}


def wheel_config(**extra: object) -> dict[str, object]:
    return {"forms": {"competences": [{"key": k, "label": v} for k, v in COMPETENCES], **extra}}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "inbox").mkdir()
    return settings_from_dict(wheel_config()).replace(
        inbox=tmp_path / "inbox", archive=tmp_path / "archive", roster=no_roster(tmp_path)
    )


def wheel_of(settings: Settings, data: bytes) -> dict[str, str]:
    fields = read_data(data, "skema", settings).fields
    return {k: v for k, v in fields.items() if k.startswith("wheel_")}


def pdftk_fill(pdf: bytes, values: dict[str, str], tmp_path: Path) -> bytes:
    """pdftk fills the form from an FDF: radio buttons by their state name (/4)."""

    def entry(key: str, value: str) -> str:
        if key.startswith("wheel_"):
            return f"<< /T ({key}) /V /{value} >>"
        return f"<< /T ({key}) /V <FEFF{value.encode('utf-16-be').hex()}> >>"

    fields = " ".join(entry(k, v) for k, v in values.items())
    fdf = f"%FDF-1.2\n1 0 obj << /FDF << /Fields [ {fields} ] >> >> endobj\n"
    fdf += "trailer << /Root 1 0 R >>\n%%EOF\n"
    (tmp_path / "blank.pdf").write_bytes(pdf)
    (tmp_path / "data.fdf").write_text(fdf, encoding="latin-1")
    subprocess.run(
        ["pdftk", "blank.pdf", "fill_form", "data.fdf", "output", "filled.pdf"],
        cwd=tmp_path,
        check=True,
    )
    return (tmp_path / "filled.pdf").read_bytes()


# --- the setting ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("competences", "message"),
    [
        (COMPETENCES[:5], "6-8 competences"),
        ([*COMPETENCES, ("a", "A"), ("b", "B"), ("c", "C")], "6-8 competences"),
        ([("Faglig", "Faglighed"), *COMPETENCES[1:]], "lowercase letters a-z"),
        ([("faglighed", ""), *COMPETENCES[1:]], "needs a label"),
        ([COMPETENCES[1], *COMPETENCES[1:]], "appears twice"),
    ],
)
def test_a_wheel_of_the_wrong_shape_is_refused_with_a_clear_message(
    competences: list[tuple[str, str]], message: str
) -> None:
    config = {"forms": {"competences": [{"key": k, "label": v} for k, v in competences]}}
    with pytest.raises(SettingsError, match=message):
        settings_from_dict(config)


def test_a_competence_needs_key_and_label_only() -> None:
    config = {"forms": {"competences": [{"key": "faglighed", "navn": "Faglighed"}] * 6}}
    with pytest.raises(SettingsError, match="key = "):
        settings_from_dict(config)


def test_without_competences_the_forms_have_no_wheel() -> None:
    for kind in ("preparation", "agreement"):
        definition = load_definition(kind, Settings())
        assert definition.wheel is None
        assert not [k for k in definition.keys if k.startswith("wheel_")]


def test_both_forms_get_a_wheel_field_per_competence(settings: Settings) -> None:
    for kind in ("preparation", "agreement"):
        definition = load_definition(kind, settings)
        specs = [s for s in definition.fields if s.key.startswith("wheel_")]
        assert [(s.key, s.label, s.type) for s in specs] == [
            (f"wheel_{k}", label, "rating") for k, label in COMPETENCES
        ]


# --- PDF ----------------------------------------------------------------------------------------


@pytest.mark.needs("pdftk")
def test_a_pdf_wheel_filled_by_pdftk_is_read_and_filed(settings: Settings, tmp_path: Path) -> None:
    definition = load_definition("preparation", settings)
    blank = render_bytes(definition, 2026, {}, "pdf")
    filled = pdftk_fill(blank, {**HEADER, **SIGNED, **MARKS}, tmp_path)
    assert wheel_of(settings, filled) == {
        "wheel_faglighed": "4",
        "wheel_samarbejde": "5",
        "wheel_kommunikation": "",
        "wheel_service": "2",
        "wheel_fleksibilitet": "",
        "wheel_planlaegning": "",
    }
    dropped = settings.inbox / "forberedelse.pdf"
    dropped.write_bytes(filled)
    outcome = ingest_for_real(settings, dropped)
    assert (outcome.action, outcome.state) == ("filed", "received")
    runner = CliRunner()
    config = tmp_path / "formflow.toml"
    config.write_text(
        f'inbox = "{settings.inbox}"\narchive = "{settings.archive}"\n'
        f'roster = "{settings.roster}"\n'
        "[forms]\ncompetences = [\n"
        + "".join(f'  {{ key = "{k}", label = "{v}" }},\n' for k, v in COMPETENCES)
        + "]\n",
        encoding="utf-8",
    )
    svg = tmp_path / "spind.svg"
    shown = runner.invoke(
        cli, ["--config", str(config), "archive", "show", "1001", "--wheel", str(svg)]
    )
    assert shown.exit_code == 0, shown.output
    assert "2026 (egen vurdering)" in shown.output
    drawn = svg.read_text(encoding="utf-8")
    for _, label in COMPETENCES:
        assert label in drawn
    assert "2026 (egen vurdering)" in drawn
    assert svg.stat().st_mode & 0o077 == 0


def flattened_and_printed(folder: Path) -> tuple[str, str]:
    """`filled.pdf` in `folder` flattened by qpdf and printed by Ghostscript: their names."""
    subprocess.run(
        ["qpdf", "--flatten-annotations=all", "filled.pdf", "flat.pdf"], cwd=folder, check=True
    )
    subprocess.run(
        ["gs", "-q", "-sDEVICE=pdfwrite", "-o", "printed.pdf", "filled.pdf"],
        cwd=folder,
        check=True,
    )
    return "flat.pdf", "printed.pdf"


def pypdf_fill(pdf: bytes, values: dict[str, str]) -> bytes:
    """pypdf fills a radio group with /V as text ("/4") and turns its widget's /AS on."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for page in writer.pages:
        writer.update_page_form_field_values(page, values, auto_regenerate=False)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_wheel_filled_by_pypdf_is_read_by_what_it_shows(settings: Settings) -> None:
    blank = render_bytes(load_definition("preparation", settings), 2026, {}, "pdf")
    marks = {key: f"/{mark}" for key, mark in MARKS.items()}
    filled = pypdf_fill(blank, {**HEADER, **SIGNED, **marks})
    assert wheel_of(settings, filled) == {
        f"wheel_{k}": MARKS.get(f"wheel_{k}", "") for k, _ in COMPETENCES
    }


def test_a_wheel_shown_with_two_marks_is_never_one_of_them(settings: Settings) -> None:
    """Two widgets of one radio group shown on (a broken filler): kept as written, so the
    form goes back; neither mark is picked."""
    blank = render_bytes(load_definition("preparation", settings), 2026, {}, "pdf")
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pypdf_fill(blank, {**HEADER}))))
    for field in writer.root_object["/AcroForm"]["/Fields"]:
        field = field.get_object()
        if field.get("/T") == "wheel_service":
            field[NameObject("/V")] = TextStringObject("/2")
            for kid, state in zip(field["/Kids"][1:3], ("/2", "/3"), strict=True):
                kid.get_object()[NameObject("/AS")] = NameObject(state)
    out = io.BytesIO()
    writer.write(out)
    extraction = read_data(out.getvalue(), "skema", settings)
    assert extraction.fields["wheel_service"] == "2 og 3"
    problems = check_form(extraction, settings).problems
    assert "mark_out_of_range" in {p.code for p in problems if p.field == "wheel_service"}


@pytest.mark.needs("pdftk", "qpdf", "gs")
def test_a_flattened_or_printed_wheel_is_read_from_the_page(
    settings: Settings, tmp_path: Path
) -> None:
    definition = load_definition("agreement", settings)
    pdftk_fill(render_bytes(definition, 2026, {}, "pdf"), MARKS, tmp_path)
    for name in flattened_and_printed(tmp_path):
        extraction = read_data((tmp_path / name).read_bytes(), name, settings)
        assert extraction.reader == "layout"
        wheel = {k: v for k, v in extraction.fields.items() if k.startswith("wheel_")}
        assert wheel == {f"wheel_{k}": MARKS.get(f"wheel_{k}", "") for k, _ in COMPETENCES}


def test_two_crosses_in_a_row_are_sent_back(settings: Settings) -> None:
    """A printed form crossed twice in one row: not a guess, a problem naming the row."""
    from formflow.read.marks import _answer, _Word

    assert _answer([_Word("X", 100, 0, 95), _Word("X", 170, 0, 165)], [100, 135, 170]) == "1 og 3"
    definition = load_definition("agreement", settings)
    extraction = read_data(render_bytes(definition, 2026, {}, "pdf"), "x.pdf", settings)
    extraction = replace(extraction, fields={**extraction.fields, "wheel_service": "2 og 4"})
    codes = [p for p in check_form(extraction, settings).problems if p.field == "wheel_service"]
    assert [p.code for p in codes] == ["mark_out_of_range"]
    assert "„2 og 4“ er ikke ét kryds" in codes[0].message


# --- DOCX ---------------------------------------------------------------------------------------


def tick(docx: bytes, marks: dict[str, str]) -> bytes:
    """python-docx ticks the check box of each mark, as Word does: w14:checked and the glyph."""
    from docx import Document
    from docx.oxml.ns import qn

    document = Document(io.BytesIO(docx))
    for sdt in document.element.body.iter(qn("w:sdt")):
        tag = sdt.find(f"{qn('w:sdtPr')}/{qn('w:tag')}")
        key = tag.get(qn("w:val")) if tag is not None else ""
        if key not in marks:
            continue
        boxes = list(sdt.find(qn("w:sdtContent")).iter(qn("w:sdt")))
        box = boxes[int(marks[key]) - 1]
        box.find(f"{qn('w:sdtPr')}/{qn('w14:checkbox')}/{qn('w14:checked')}").set(
            qn("w14:val"), "1"
        )
        box.find(f".//{qn('w:t')}").text = "☒"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_docx_wheel_ticked_by_python_docx_is_read(settings: Settings) -> None:
    definition = load_definition("preparation", settings)
    ticked = tick(render_bytes(definition, 2026, HEADER, "docx"), MARKS)
    assert wheel_of(settings, ticked) == {
        f"wheel_{k}": MARKS.get(f"wheel_{k}", "") for k, _ in COMPETENCES
    }


def test_a_prefilled_docx_wheel_reads_back(settings: Settings) -> None:
    definition = load_definition("agreement", settings)
    assert wheel_of(settings, render_bytes(definition, 2026, MARKS, "docx"))["wheel_service"] == "2"


# --- carry-over and the drawing -----------------------------------------------------------------


@pytest.mark.needs("pdftotext")
def test_carry_over_shows_last_years_agreed_wheel_beside_the_empty_one(
    settings: Settings, tmp_path: Path
) -> None:
    agreement = load_definition("agreement", settings)
    preparation = load_definition("preparation", settings)
    carried = carry_over({**HEADER, **MARKS}, agreement, preparation).values
    assert {k: v for k, v in carried.items() if "wheel" in k} == {
        "prev_wheel_faglighed": "4",
        "prev_wheel_samarbejde": "5",
        "prev_wheel_service": "2",
    }
    pdf = tmp_path / "next.pdf"
    pdf.write_bytes(render_bytes(preparation, 2027, carried, "pdf"))
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "Sidste år" in text and "Aftalt i 2026" in text and "Dit kompetencespind" in text
    # this year's wheel starts empty: last year's marks are drawn, never filled in
    assert set(wheel_of(settings, pdf.read_bytes()).values()) == {""}
    docx = render_bytes(preparation, 2027, carried, "docx")
    assert set(wheel_of(settings, docx).values()) == {""}
    from docx import Document

    table = next(
        t for t in Document(io.BytesIO(docx)).tables if t.rows[0].cells[0].text == "Kompetence"
    )
    last_year = {row.cells[0].text: row.cells[-1].text for row in table.rows}
    assert last_year["Kompetence"] == "Sidste år"
    assert (last_year["Samarbejde"], last_year["Service og borgerkontakt"]) == ("5", "2")
    assert last_year["Kommunikation"] == "–"  # not marked last year


def test_the_drawing_has_its_labels_and_a_legend_per_wheel() -> None:
    from formflow.forms.definition import Competence

    competences = [Competence(k, v) for k, v in COMPETENCES]
    wheels = [Wheel("2025 (aftalt)", {"faglighed": 3}), Wheel("2026 (aftalt)", {"faglighed": 4})]
    svg = wheel_svg(wheel_drawing(competences, wheels)).decode("utf-8")
    assert "Planlægning" in svg and "2025 (aftalt)" in svg and "2026 (aftalt)" in svg


@pytest.mark.needs("soffice")
def test_a_docx_wheel_saved_again_by_libreoffice_still_reads(
    settings: Settings, tmp_path: Path
) -> None:
    """LibreOffice 7.4 drops the controls' tags on save; the bookmark and the ☒ still say it."""
    definition = load_definition("agreement", settings)
    (tmp_path / "ticked.docx").write_bytes(tick(render_bytes(definition, 2026, {}, "docx"), MARKS))
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "docx:MS Word 2007 XML", "--outdir", "lo",
         "ticked.docx"],
        cwd=tmp_path, check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    saved = (tmp_path / "lo" / "ticked.docx").read_bytes()
    assert wheel_of(settings, saved) == {
        f"wheel_{k}": MARKS.get(f"wheel_{k}", "") for k, _ in COMPETENCES
    }


def test_a_prefilled_wheel_from_the_layout_cache_is_the_full_render(settings: Settings) -> None:
    """The radio groups filled into a written layout give the very bytes a full render gives,
    with last year's wheel drawn too (a layout of its own)."""
    from formflow.forms import pdf

    definition = load_definition("preparation", settings)
    carried = {"prev_wheel_faglighed": "3", "prev_wheel_service": "5"}
    for values in (MARKS, {**HEADER, **MARKS, **carried}, carried):
        assert pdf.render_pdf(definition, 2027, values) == pdf._render_in_full(
            definition, 2027, values
        )


def test_across_the_years_the_agreed_placement_counts_else_the_employees_own() -> None:
    from formflow.charts import FiledWheel, wheels_across_years
    from formflow.forms.definition import Competence

    competences = [Competence(k, v) for k, v in COMPETENCES]
    forms = [
        FiledWheel(2025, "preparation", 1, {"wheel_faglighed": "2"}),
        FiledWheel(2025, "agreement", 1, {"wheel_faglighed": "3"}),
        FiledWheel(2025, "agreement", 2, {"wheel_faglighed": "4", "wheel_service": "x"}),
        FiledWheel(2026, "preparation", 1, {"wheel_faglighed": "5"}),
        FiledWheel(2026, "colleague_input", 1, {"valued": "godt"}),
        FiledWheel(2027, "agreement", 1, {"summary": "intet spind"}),
    ]
    assert wheels_across_years(forms, competences) == [
        Wheel("2025 (aftalt)", {"faglighed": 4}),
        Wheel("2026 (egen vurdering)", {"faglighed": 5}),
    ]


@pytest.mark.needs("pdftotext")
def test_formflow_carry_over_draws_last_years_wheel_on_next_years_form(
    settings: Settings, tmp_path: Path
) -> None:
    from test_carryover_run import _agreement, _file

    from formflow.archive import Archive
    from formflow.carryover_run import Options, run_carry_over

    archive = Archive.open(settings)
    _file(archive, "agreement", 2026, "signed", **_agreement("201", "Åse Ærø", **MARKS))
    report = run_carry_over(
        settings, Options(from_year=2026, to_year=2027, out=tmp_path / "out"), workers=1
    )
    assert [line.result for line in report.lines] == ["made"]
    (made,) = (tmp_path / "out").rglob("*.pdf")
    text = subprocess.run(
        ["pdftotext", str(made), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "Aftalt i 2026" in text and "Sidste år" in text


def test_no_wheel_in_the_file_writes_nothing_and_says_so(tmp_path: Path) -> None:
    from formflow.archive import EmployeeRow
    from formflow.errors import FormflowError
    from formflow.wheel_file import write_wheels

    person = EmployeeRow("1001", "Anna Ærø", "personale/1001 Anna Ærø", "")
    out = tmp_path / "spind.svg"
    said = write_wheels(settings_from_dict(wheel_config()), tmp_path, person, [], out)
    assert "Ingen kompetencespind" in said and not out.exists()
    with pytest.raises(FormflowError, match="no competence wheel"):
        write_wheels(Settings(), tmp_path, person, [], out)
    with pytest.raises(FormflowError, match=r"\.svg or a \.pdf"):
        write_wheels(Settings(), tmp_path, person, [], tmp_path / "spind.png")


def test_a_notice_names_a_competence_by_its_wheel(settings: Settings) -> None:
    """A spoke's row is its own label: "Kompetencespind: Faglighed", not "Faglighed (Faglighed)"."""
    from formflow.notices import field_name

    definition = load_definition("preparation", settings)
    assert field_name(definition, "wheel_faglighed") == "Kompetencespind: Faglighed"
