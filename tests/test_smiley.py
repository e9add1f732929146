"""Seed 002's smiley MUS (issue 18 item 2): `formflow forms new ... --scale smiley` answers the
picked questions on five faces, radio buttons in the PDF and check box controls in the DOCX,
read back from fields, controls and a flattened or printed page."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import no_roster
from test_wheel import flattened_and_printed, pdftk_fill, tick

from formflow.cli import cli
from formflow.config import Settings, settings_from_dict
from formflow.errors import SelectionError
from formflow.forms.builder import build_preparation
from formflow.forms.library import builtin_forms_dir, load_definition, question_bank
from formflow.forms.render import render_bytes
from formflow.read import read_data

PICKED = ["last_agreements", "wellbeing_tasks", "competence_needs", "results"]
ANSWERS = {"q_last_agreements": "5", "q_wellbeing_tasks": "1", "q_results": "3"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """An organisation whose own smiley form lives in its forms directory."""
    own = tmp_path / "own-forms"
    runner = CliRunner()
    made = runner.invoke(
        cli,
        ["forms", "new", "varde", "--scale", "smiley", "-o", str(own)]
        + [arg for q in PICKED for arg in ("-q", q)],
    )
    assert made.exit_code == 0, made.output
    (tmp_path / "inbox").mkdir()
    return settings_from_dict({"forms": {"directory": str(own)}}).replace(
        inbox=tmp_path / "inbox", archive=tmp_path / "archive", roster=no_roster(tmp_path)
    )


def faces_of(settings: Settings, data: bytes) -> dict[str, str]:
    extraction = read_data(data, "skema", settings)
    assert extraction.definition == "preparation-varde"
    return {k: v for k, v in extraction.fields.items() if k.startswith("q_")}


EXPECTED = {f"q_{q}": ANSWERS.get(f"q_{q}", "") for q in PICKED}


def test_the_picked_questions_are_answered_on_five_faces(settings: Settings) -> None:
    definition = load_definition("preparation-varde", settings)
    questions = [s for s in definition.fields if s.key.startswith("q_")]
    assert {s.type for s in questions} == {"face"}
    assert sorted(s.key for s in questions) == sorted(EXPECTED)


def test_an_unknown_scale_is_refused() -> None:
    base = tomllib.loads((builtin_forms_dir() / "preparation.toml").read_text(encoding="utf-8"))
    with pytest.raises(SelectionError, match="scale 'stars'"):
        build_preparation(base, question_bank(), PICKED, "varde", scale="stars")


@pytest.mark.needs("pdftk")
def test_a_smiley_pdf_filled_by_pdftk_reads_back(settings: Settings, tmp_path: Path) -> None:
    definition = load_definition("preparation-varde", settings)
    filled = pdftk_fill(render_bytes(definition, 2026, {}, "pdf"), ANSWERS, tmp_path)
    assert faces_of(settings, filled) == EXPECTED


@pytest.mark.needs("pdftk", "qpdf", "gs")
def test_the_marked_face_is_read_from_a_flattened_or_printed_form(
    settings: Settings, tmp_path: Path
) -> None:
    definition = load_definition("preparation-varde", settings)
    pdftk_fill(render_bytes(definition, 2026, {}, "pdf"), ANSWERS, tmp_path)
    for name in flattened_and_printed(tmp_path):
        extraction = read_data((tmp_path / name).read_bytes(), name, settings)
        assert extraction.reader == "layout"
        assert faces_of(settings, (tmp_path / name).read_bytes()) == EXPECTED


def test_a_smiley_docx_ticked_by_python_docx_reads_back(settings: Settings) -> None:
    definition = load_definition("preparation-varde", settings)
    ticked = tick(render_bytes(definition, 2026, {}, "docx"), ANSWERS)
    assert faces_of(settings, ticked) == EXPECTED


def test_two_faces_ticked_are_sent_back(settings: Settings) -> None:
    from formflow.checking import check_form

    definition = load_definition("preparation-varde", settings)
    ticked = tick(tick(render_bytes(definition, 2026, {}, "docx"), {"q_results": "2"}), ANSWERS)
    extraction = read_data(ticked, "skema.docx", settings)
    problems = [p for p in check_form(extraction, settings).problems if p.field == "q_results"]
    assert [p.code for p in problems] == ["mark_out_of_range"]
    assert "Sæt ét kryds under den smiley" in problems[0].message


def test_check_box_ids_never_clash_with_the_fields_controls(settings: Settings) -> None:
    """Word wants each w:id once; a check box's id is in a range of its own."""
    import io
    import re
    import zipfile

    definition = load_definition("preparation-varde", settings)
    docx = render_bytes(definition, 2026, ANSWERS, "docx")
    xml = zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml").decode("utf-8")
    ids = re.findall(r"<w:id w:val=\"(\d+)\"/>", xml)
    assert len(ids) == len(set(ids)) == len(definition.fields) + 5 * len(EXPECTED)
