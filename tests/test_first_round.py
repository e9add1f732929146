"""The first round: `formflow forms render KIND --year Y --roster`, a form per employee."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from formflow.archive.roster import RosterEntry, parse_roster
from formflow.cli import cli
from formflow.config import load_settings
from formflow.first_round import plan_first_round
from formflow.forms.library import load_definition
from formflow.read import read_form

ROSTER = (
    "\ufeffNr;Navn;Stilling;Leder;Mødedato\n"
    "201;Åse Ærø;Sygeplejerske;Lise Leder;23.11.2026\n"
    "7;Bo Bæk;;Mads Møller;\n"
    "203;Cæcilie Øst;Portør;;2026-12-01\n"
)


def _workspace(tmp_path: Path, roster: str = ROSTER, forms_directory: str = "") -> Path:
    (tmp_path / "employees.csv").write_text(roster, encoding="utf-8")
    config = tmp_path / "formflow.toml"
    config.write_text(
        f'roster = "employees.csv"\n[forms]\ndirectory = "{forms_directory}"\n',
        encoding="utf-8",
    )
    return config


def _render(config: Path, *args: str) -> list[str]:
    result = CliRunner().invoke(cli, ["--config", str(config), "forms", "render", *args])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_one_prefilled_form_per_employee_in_one_folder_per_leader(tmp_path: Path) -> None:
    config = _workspace(tmp_path)
    out = tmp_path / "runde-2026"
    printed = _render(config, "preparation", "--year", "2026", "--roster", "--format", "pdf",
                      "-o", str(out))  # fmt: skip
    made = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.pdf"))
    assert made == [
        "Lise-Leder/201 Åse-Ærø/forberedelsesskema-2026-201-Åse-Ærø.pdf",
        "Mads-Møller/7 Bo-Bæk/forberedelsesskema-2026-7-Bo-Bæk.pdf",
        "uden-leder/203 Cæcilie-Øst/forberedelsesskema-2026-203-Cæcilie-Øst.pdf",
    ]
    assert len(printed) == 3
    settings = load_settings(config)
    read = read_form(out / made[0], settings)
    assert (read.kind, read.year) == ("preparation", 2026)
    assert {k: v for k, v in read.fields.items() if v} == {
        "employee_number": "201",
        "employee_name": "Åse Ærø",
        "employee_position": "Sygeplejerske",
        "leader_name": "Lise Leder",
        "meeting_date": "2026-11-23",
    }
    assert read.raw["meeting_date"] == "23.11.2026"  # as a Dane writes it
    bo = read_form(out / made[1], settings).fields
    assert (bo["employee_number"], bo["employee_position"], bo["meeting_date"]) == ("7", "", "")


def test_the_organisations_own_form_and_both_formats(tmp_path: Path) -> None:
    own = tmp_path / "own-forms"
    args = ["forms", "new", "klinik-nord", "-o", str(own)]
    for question in ("last_agreements", "wellbeing_tasks", "competence_fit"):
        args += ["-q", question]
    assert CliRunner().invoke(cli, args).exit_code == 0
    config = _workspace(tmp_path, "201,Åse Ærø,Lise Leder\n", forms_directory=str(own))
    out = tmp_path / "out"
    _render(config, "preparation-klinik-nord", "--year", "2027", "--roster", "-o", str(out))
    folder = out / "Lise-Leder" / "201 Åse-Ærø"
    assert sorted(p.name for p in folder.iterdir()) == [
        "forberedelsesskema-2027-201-Åse-Ærø.docx",
        "forberedelsesskema-2027-201-Åse-Ærø.pdf",
    ]
    for path in folder.iterdir():
        read = read_form(path, load_settings(config))
        assert read.definition == "preparation-klinik-nord"
        assert (read.fields["employee_number"], read.fields["leader_name"]) == ("201", "Lise Leder")


@pytest.mark.parametrize(
    ("date", "message"),
    [("næste uge", "is not a date"), ("23.11.2025", "is in 2025, not in 2026")],
)
def test_a_meeting_date_that_cannot_be_used_is_refused(
    tmp_path: Path, date: str, message: str
) -> None:
    config = _workspace(tmp_path, f"nr,navn,mødedato\n201,Åse Ærø,{date}\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["--config", str(config), "forms", "render", "preparation", "--year", "2026",
              "--roster", "-o", str(out)],
    )  # fmt: skip
    assert result.exit_code != 0
    assert f"meeting date of employee 201 {message}" in str(result.exception)
    assert not out.exists()


def test_no_roster_is_a_clear_error(tmp_path: Path) -> None:
    config = _workspace(tmp_path)
    (tmp_path / "employees.csv").unlink()
    result = CliRunner().invoke(
        cli, ["--config", str(config), "forms", "render", "agreement", "--year", "2026",
              "--roster", "-o", str(tmp_path / "out")],
    )  # fmt: skip
    assert result.exit_code != 0 and "no employees in" in str(result.exception)


def test_the_roster_header_names_its_columns() -> None:
    assert parse_roster("Medarbejdernr;Leder;Navn;Stilling\n1;Lone;Ann;Kok\n") == {
        "1": RosterEntry("1", "Ann", "Lone", "Kok")
    }
    assert parse_roster("1,Ann,Lone\n") == {"1": RosterEntry("1", "Ann", "Lone")}
    with pytest.raises(ValueError, match="no name column"):
        parse_roster("nr;leder\n1;Lone\n")


def test_the_plan_takes_only_the_fields_the_form_has() -> None:
    agreement = load_definition("agreement")
    roster = {"1": RosterEntry("1", "Ann", "Lone", "Kok", "1.12.2026")}
    (planned,) = plan_first_round(roster, agreement, 2026, Path("out"), {"summary": "x"})
    assert planned.values == {
        "summary": "x",
        "employee_number": "1",
        "employee_name": "Ann",
        "leader_name": "Lone",
        "employee_position": "Kok",
        "meeting_date": "01.12.2026",
    }
    assert planned.folder == Path("out/Lone/1 Ann")
