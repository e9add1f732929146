"""Seed 002's appreciative MUS (issue 18 item 3): the question bank's appreciative questions,
three per main theme and marked as such, and `formflow forms new ... --appreciative`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from test_wheel import pdftk_fill

from formflow.cli import cli
from formflow.config import settings_from_dict
from formflow.forms.library import load_definition, question_bank
from formflow.forms.render import render_bytes
from formflow.read import read_data


def test_each_main_theme_has_appreciative_questions_marked_as_such() -> None:
    bank = question_bank()
    appreciative = bank.appreciative
    assert {q.theme for q in appreciative} == {t.key for t in bank.themes}
    assert all(sum(q.theme == t.key for q in appreciative) >= 3 for t in bank.themes)
    assert all(q.source == "002" for q in appreciative)
    assert not any(q.appreciative for q in bank.questions if q.source in ("000", "003"))
    listed = CliRunner().invoke(cli, ["forms", "questions"]).output
    assert "ai_build_on" in listed and "[anerkendende]" in listed


def new_form(tmp_path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["forms", "new", "varde", "-o", str(tmp_path), *args])
    return result.exit_code, f"{result.output}{result.exception or ''}"


def test_forms_new_appreciative_picks_the_appreciative_questions(tmp_path: Path) -> None:
    code, output = new_form(tmp_path, "--appreciative")
    assert code == 0, output
    settings = settings_from_dict({"forms": {"directory": str(tmp_path)}})
    definition = load_definition("preparation-varde", settings)
    asked = [s.key for s in definition.fields if s.key.startswith("q_")]
    assert asked == [
        q.key
        for t in question_bank().themes
        for q in question_bank().appreciative
        if q.theme == t.key
    ]
    assert definition.title == "Forberedelsesskema til anerkendende MUS"


def test_an_appreciative_form_asks_only_appreciative_questions(tmp_path: Path) -> None:
    code, output = new_form(
        tmp_path, "--appreciative", "-q", "ai_proud_moment", "-q", "ai_strengths", "-q", "career"
    )
    assert code != 0
    assert "not appreciative question(s): career" in output


@pytest.mark.needs("pdftk")
def test_an_appreciative_form_is_filled_and_read_back(tmp_path: Path) -> None:
    own = tmp_path / "own"
    code, output = new_form(
        own, "--appreciative", "-q", "ai_proud_moment", "-q", "ai_good_days", "-q", "ai_build_on"
    )
    assert code == 0, output
    settings = settings_from_dict({"forms": {"directory": str(own)}})
    definition = load_definition("preparation-varde", settings)
    answers = {
        "q_ai_proud_moment": "Da vi fik den nye vagtplan på plads – alle var med.",
        "q_ai_good_days": "Når jeg når at tale med borgerne i ro og mag.",
        "q_ai_build_on": "Mere sidemandsoplæring; det virker for os på Ærø.",
    }
    filled = pdftk_fill(render_bytes(definition, 2026, {}, "pdf"), answers, tmp_path)
    extraction = read_data(filled, "skema.pdf", settings)
    assert extraction.definition == "preparation-varde"
    assert {k: extraction.fields[k] for k in answers} == answers
    docx = read_data(render_bytes(definition, 2026, answers, "docx"), "skema.docx", settings)
    assert {k: docx.fields[k] for k in answers} == answers
