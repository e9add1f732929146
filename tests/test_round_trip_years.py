"""Across two MUS years: agreement N, filled by another program, filed, carried over into the
preparation form of N+1, filled again with the 1-4 statuses, filed; nothing changed on the way.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter

from formflow.archive import Archive
from formflow.carryover import carry_over
from formflow.carryover_run import Options, danish_dates, run_carry_over
from formflow.config import Settings, WatchSettings
from formflow.forms.definition import GoalTable
from formflow.forms.library import load_definition
from formflow.forms.render import render_bytes
from formflow.read import read_form
from formflow.watch import run_watch

TODAY = date.today()
N = TODAY.year - 1  # last year's round: every date in it lies in the past


def pypdf_fill(blank: Path, values: dict[str, str], out: Path) -> None:
    """Fill a form as a viewer would: values only, no appearance regeneration."""
    writer = PdfWriter(clone_from=PdfReader(blank))
    for page in writer.pages:
        writer.update_page_form_field_values(page, values, auto_regenerate=False)
    with out.open("wb") as stream:
        writer.write(stream)


def pdftk_fill(blank: Path, values: dict[str, str], out: Path) -> None:
    """Fill a form with pdftk from an FDF (UTF-16 strings keep æøå)."""

    def utf16(text: str) -> str:
        return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"

    fields = "\n".join(f"<< /T {utf16(k)} /V {utf16(v)} >>" for k, v in values.items())
    fdf = out.with_suffix(".fdf")
    fdf.write_bytes(
        b"%FDF-1.2\n1 0 obj\n<< /FDF << /Fields [\n"
        + fields.encode("ascii")
        + b"\n] >> >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )
    subprocess.run(
        ["pdftk", str(blank), "fill_form", str(fdf), "output", str(out)],
        check=True,
        capture_output=True,
    )
    fdf.unlink()


Filler = Callable[[Path, dict[str, str], Path], None]
needs_pdftk = pytest.mark.needs("pdftk")


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        inbox=tmp_path / "inbox",
        archive=tmp_path / "archive",
        roster=tmp_path / "employees.csv",
        watch=WatchSettings(stability_seconds=0.2, workers=1),
    )


def _drop_and_watch(settings: Settings, filled: Path) -> None:
    settings.inbox.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(filled, settings.inbox / filled.name)
    run_watch(settings, once=True)
    left = [p.name for p in settings.inbox.rglob("*") if p.is_file() and p.suffix != ".lock"]
    assert left == [], f"not filed: {left}"


def _record_fields(settings: Settings, year: int, kind: str) -> tuple[str, dict[str, str]]:
    archive = Archive.open(settings)
    (row,) = archive.forms(year=year, kind=kind)
    record = json.loads((archive.root / row.record).read_text(encoding="utf-8"))
    return row.state, record["result"]["fields"]


AGREEMENT = {
    "employee_name": "Søren Ærø Åberg",
    "employee_number": "4711",
    "employee_position": "Konsulent",
    "leader_name": "Lise Løvgren",
    "meeting_date": f"20.05.{N}",
    "goal_professional_1_text": "Tage certificering i “Azure”",
    "goal_professional_1_start": f"01.06.{N}",
    "goal_professional_1_end": f"1. december {N}",
    "goal_professional_2_text": "Mentor for ny kollega",
    "goal_company_1_text": "Hjælpe økonomi med månedsafslutning",
    "goal_company_1_end": f"31/12-{N}",
    "plan_1_competence": "Cloud-arkitektur",
    "plan_1_followup_date": f"01.09.{N}",
    "plan_2_competence": "Facilitering af møder",
    "summary": "Trives; ønsker mere ansvar.",
    "next_meeting_date": f"18.05.{N + 1}",
    "signature_leader": "Lise Løvgren",
    "signature_leader_date": f"22.05.{N}",
    "signature_employee": "Søren Ærø Åberg",
    "signature_employee_date": f"23.05.{N}",
}


@pytest.mark.slow
@pytest.mark.parametrize(
    "fill",
    [pytest.param(pypdf_fill, id="pypdf"), pytest.param(pdftk_fill, id="pdftk", marks=needs_pdftk)],
)
def test_agreement_to_next_years_preparation_and_back(tmp_path: Path, fill: Filler) -> None:
    settings = _settings(tmp_path)
    blank = tmp_path / "aftaleskema-blank.pdf"
    blank.write_bytes(render_bytes(load_definition("agreement"), N, {}, "pdf"))
    filled = tmp_path / "aftaleskema-udfyldt.pdf"
    fill(blank, AGREEMENT, filled)
    _drop_and_watch(settings, filled)
    state, agreement = _record_fields(settings, N, "agreement")
    assert state == "signed"

    report = run_carry_over(
        settings, Options(from_year=N, to_year=N + 1, out=tmp_path / "out"), workers=1
    )
    (line,) = report.lines
    assert (line.result, line.overflow) == ("made", ())
    (handed_out,) = line.files

    statuses = {
        "prev_goal_professional_1_status": "3",
        "prev_goal_professional_2_status": "2",
        "prev_goal_company_1_status": "4",
        "prev_plan_1_status": "1",
        "prev_plan_2_status": "2",
    }
    answers = {
        **statuses,
        "highlight_1": "Kunde-workshop i Aalborg",
        "signature_employee": "Søren Ærø Åberg",
        "signature_employee_date": TODAY.strftime("%d.%m.%Y"),
    }
    returned = tmp_path / "forberedelse-udfyldt.pdf"
    fill(handed_out, answers, returned)
    _drop_and_watch(settings, returned)
    state, preparation = _record_fields(settings, N + 1, "preparation")
    assert state == "received"

    for part in ("text", "start", "end"):
        for key in ("professional_1", "professional_2", "company_1"):
            assert preparation[f"prev_goal_{key}_{part}"] == agreement[f"goal_{key}_{part}"]
    assert preparation["prev_goal_professional_1_end"] == f"{N}-12-01"
    assert preparation["prev_plan_1_competence"] == "Cloud-arkitektur"
    assert preparation["prev_plan_2_competence"] == "Facilitering af møder"
    assert preparation["meeting_date"] == f"{N + 1}-05-18"
    for key in ("employee_name", "employee_number", "employee_position", "leader_name"):
        assert preparation[key] == agreement[key]
    for key, value in statuses.items():
        assert preparation[key] == value
    assert preparation["highlight_1"] == "Kunde-workshop i Aalborg"


# --- property: any agreement carries over and reads back whole ---------------------------------

_AGREEMENT = load_definition("agreement")
_PREPARATION = load_definition("preparation")
_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzæøåÆØÅ“”„-.,!?0123456789", min_size=1,
                 max_size=12)  # fmt: skip
_TEXT = st.lists(_WORDS, min_size=1, max_size=8).map(" ".join)
_DATE = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)).map(str)
_GOAL_TABLE = _AGREEMENT.blocks(GoalTable)[0]
_MAX_GOALS = max(len(_GOAL_TABLE.rows_of(c)) for c in _GOAL_TABLE.categories)
_PLAN_ROWS = sum(1 for k in _AGREEMENT.keys if k.endswith("_competence"))


@st.composite
def agreements(draw: st.DrawFn) -> dict[str, str]:
    values = {"employee_name": draw(_TEXT), "employee_number": "1042"}
    for category in _GOAL_TABLE.categories:
        rows = _GOAL_TABLE.rows_of(category)
        used = draw(st.lists(st.sampled_from(rows), max_size=_MAX_GOALS, unique=True))
        for row in used:
            text, start, end = (cell.key for cell in row.cells[:3])
            values[text] = draw(_TEXT)
            values[start] = draw(_DATE)
            if draw(st.booleans()):
                values[end] = draw(_DATE)
    for n in draw(st.lists(st.integers(1, _PLAN_ROWS), max_size=_PLAN_ROWS, unique=True)):
        values[f"plan_{n}_competence"] = draw(_TEXT)
    if draw(st.booleans()):
        values["next_meeting_date"] = draw(_DATE)
    return values


@hypothesis_settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(agreement=agreements())
def test_any_agreement_carries_over_and_reads_back(agreement: dict[str, str]) -> None:
    carried = carry_over(agreement, _AGREEMENT, _PREPARATION)
    assert carried.overflow == ()  # both forms have the same rows
    data = render_bytes(_PREPARATION, 2031, danish_dates(_PREPARATION, carried.values), "pdf")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "forberedelsesskema.pdf"
        path.write_bytes(data)
        read = read_form(path, Settings())
    assert (read.kind, read.year) == ("preparation", 2031)
    assert {k: v for k, v in read.fields.items() if v} == carried.values
    # every goal arrived, in its category and in its order
    for category in _GOAL_TABLE.categories:
        sent = [agreement[r.cells[0].key] for r in _GOAL_TABLE.rows_of(category)
                if r.cells[0].key in agreement]  # fmt: skip
        got = [read.fields.get(f"prev_goal_{category.key}_{n}_text", "")
               for n in range(1, len(sent) + 1)]  # fmt: skip
        assert got == sent
