"""`formflow forms new`: an organisation's own preparation form from the question bank."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from formflow.cli import cli
from formflow.errors import SelectionError
from formflow.forms.builder import build_preparation, check_selection, parse_categories
from formflow.forms.definition import Category, parse_definition
from formflow.forms.library import builtin_forms_dir, load_definition, question_bank

ALL_THEMES = ["last_agreements", "wellbeing_tasks", "competence_fit"]


def _base() -> dict:
    return tomllib.loads((builtin_forms_dir() / "preparation.toml").read_text(encoding="utf-8"))


def test_selection_touching_all_themes_builds_a_loadable_form() -> None:
    text = build_preparation(
        _base(), question_bank(), [*ALL_THEMES, "pride"], "klinik", [Category("clinical", "Klinik")]
    )
    common = (builtin_forms_dir() / "common.toml").read_text(encoding="utf-8")
    definition = parse_definition(text, common, question_bank(), "x")
    assert definition.name == "preparation-klinik"
    assert definition.kind == "preparation"
    questions = [k for k in definition.keys if k.startswith("q_")]
    # bank theme order: status, work (bank order kept within a theme), goals
    assert questions == ["q_last_agreements", "q_wellbeing_tasks", "q_pride", "q_competence_fit"]
    assert definition.has("prev_goal_clinical_1_status")
    assert not definition.has("prev_goal_sales_1_text")


@pytest.mark.parametrize(
    ("picked", "message"),
    [
        pytest.param(
            ["last_agreements", "wellbeing_tasks"],
            "Mål og udviklingsaktiviteter",
            id="no_goals_theme",
        ),
        pytest.param(["competence_fit"], "Status / siden sidst", id="two_themes_missing"),
        pytest.param([], "at least one question", id="nothing"),
        pytest.param([*ALL_THEMES, "nonsense"], "unknown question", id="unknown_id"),
        pytest.param([*ALL_THEMES, "competence_fit"], "picked twice", id="repeated"),
    ],
)
def test_bad_selections_are_refused_clearly(picked: list[str], message: str) -> None:
    with pytest.raises(SelectionError, match=message):
        check_selection(question_bank(), picked)


def test_categories_from_the_command_line() -> None:
    assert parse_categories(["clinical=Klinisk udvikling"]) == (
        Category("clinical", "Klinisk udvikling"),
    )
    with pytest.raises(SelectionError):
        parse_categories(["Klinisk=x"])
    with pytest.raises(SelectionError):
        parse_categories(["a=x", "a=y"])


def test_forms_new_command_writes_a_definition_that_renders_by_path(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "own"
    args = ["forms", "new", "klinik-nord", "-o", str(out), "-c", "clinical=Klinisk udvikling"]
    for q in ALL_THEMES:
        args += ["-q", q]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    path = out / "preparation-klinik-nord.toml"
    definition = load_definition(str(path))
    assert definition.has("q_competence_fit") and definition.has("goal_clinical_2_end")


def test_forms_new_refuses_a_selection_missing_a_theme(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["forms", "new", "x", "-o", str(tmp_path), "-q", "last_agreements"]
    )
    assert result.exit_code != 0
    assert "Arbejdssituation generelt" in str(result.exception) + result.output
    assert not list(tmp_path.iterdir())
