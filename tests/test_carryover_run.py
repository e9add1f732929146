"""`formflow carry-over` over a real archive: who gets a form, where it goes, idempotency."""

from __future__ import annotations

import gc
import tracemalloc
from dataclasses import astuple, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from formflow.archive import Archive
from formflow.carryover_run import Options, output_folder, run_carry_over
from formflow.cli import cli
from formflow.config import Settings
from formflow.errors import FormflowError
from formflow.model import CheckResult, Extraction
from formflow.read import read_form

FROM, TO = 2026, 2027
LISE = "Lise Leder"
MADS = "Mads Møller"
LONG = "Et meget langt mål med æøå, som ingen boks kan rumme. " * 60


def _file(archive: Archive, kind: str, year: int, state: str, **fields: str) -> None:
    extraction = Extraction(
        file=f"{kind}.pdf", reader="acroform", kind=kind, year=year, definition=kind,
        fields=fields,
    )  # fmt: skip
    data = f"%PDF-1.7 {kind} {year} {state} {sorted(fields.items())}".encode()
    archive.file(
        data,
        CheckResult(extraction, {}, ()),
        state=state,
        arrived=datetime.fromisoformat(f"{year}-05-01T08:00:00+02:00"),
        source_name=f"{kind}.pdf",
    )


def _agreement(number: str, name: str, leader: str = LISE, **extra: str) -> dict[str, str]:
    return {
        "employee_number": number,
        "employee_name": name,
        "employee_position": "Sælger",
        "leader_name": leader,
        "meeting_date": "2026-05-20",
        "next_meeting_date": "2027-05-18",
        "goal_professional_1_text": "Lære Python på kursus “Grundlæggende”",
        "goal_professional_1_start": "2026-06-01",
        "goal_professional_1_end": "2026-12-31",
        "goal_sales_2_text": "Øge salget i Århus med 10 %",
        "goal_sales_2_end": "2027-03-31",
        "plan_1_competence": "Projektledelse",
        "plan_3_competence": "Præsentationsteknik",
        **extra,
    }


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings(archive=tmp_path / "archive", roster=tmp_path / "employees.csv")
    (tmp_path / "employees.csv").write_text(
        "number,name,leader\n201,Åse Ærø,Lise Leder\n202,Bo Bæk,Lise Leder\n"
        "203,Cæcilie Øst,Mads Møller\n204,Dorte Dam,Mads Møller\n205,Erik Eg,Lise Leder\n"
        "206,Frida Fjord,Mads Møller\n",
        encoding="utf-8",
    )
    a = Archive.open(settings)
    _file(a, "agreement", FROM, "signed", **_agreement("201", "Åse Ærø"))
    _file(a, "agreement", FROM, "awaiting_employee", **_agreement("202", "Bo Bæk"))
    _file(a, "preparation", FROM, "received", employee_number="203",
          employee_name="Cæcilie Øst", leader_name=MADS, meeting_date="2026-05-20")  # fmt: skip
    # 204 is only on the roster
    _file(a, "agreement", FROM, "signed", **_agreement("205", "Erik Eg"))
    _file(a, "preparation", TO, "received", employee_number="205", employee_name="Erik Eg",
          leader_name=LISE, meeting_date="2027-05-18")  # fmt: skip
    _file(a, "agreement", FROM, "signed",
          **_agreement("206", "Frida Fjord", MADS, goal_personal_1_text=LONG))  # fmt: skip
    return settings


def _run(settings: Settings, out: Path, **options: Any) -> dict[str, tuple[str, ...]]:
    report = run_carry_over(
        settings,
        Options(from_year=FROM, to_year=TO, out=out, **options),
        workers=1,
    )
    return {line.number: (line.result, line.reason, *line.overflow) for line in report.lines}


def test_who_gets_a_form_and_why_not(settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "out"
    lines = _run(settings, out)
    assert {n: line[:2] for n, line in lines.items()} == {
        "201": ("made", ""),
        "202": (
            "skipped",
            "aftalen for 2026 er ikke underskrevet: venter på medarbejderens underskrift",
        ),
        "203": ("skipped", "kun et forberedelsesskema for 2026"),
        "204": ("skipped", "ingen aftale for 2026"),
        "205": ("skipped", "forberedelsesskemaet for 2027 er allerede afleveret"),
        "206": ("made", ""),
    }
    assert lines["201"][2:] == ()
    assert lines["206"][2:] == (
        "Aftaler og mål (konkrete og målbare) (Personlig udvikling): teksten er længere "
        "end feltet "
        "(feltet rummer den hele; tjek udskriften)",
    )


def test_the_form_is_where_the_leader_looks_and_in_the_personnel_folder(
    settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _run(settings, out)
    path = out / "Lise-Leder" / "201 Åse-Ærø" / "forberedelsesskema-2027-201-Åse-Ærø.pdf"
    assert path == output_folder(out, LISE, "201", "Åse Ærø") / path.name
    assert path.is_file()
    extraction = read_form(path, settings)
    assert (extraction.kind, extraction.year) == ("preparation", TO)
    fields = {k: v for k, v in extraction.fields.items() if v}
    assert fields == {
        "employee_number": "201",
        "employee_name": "Åse Ærø",
        "employee_position": "Sælger",
        "leader_name": LISE,
        "meeting_date": "2027-05-18",
        "prev_goal_professional_1_text": "Lære Python på kursus “Grundlæggende”",
        "prev_goal_professional_1_start": "2026-06-01",
        "prev_goal_professional_1_end": "2026-12-31",
        "prev_goal_sales_1_text": "Øge salget i Århus med 10 %",
        "prev_goal_sales_1_end": "2027-03-31",
        "prev_plan_1_competence": "Projektledelse",
        "prev_plan_2_competence": "Præsentationsteknik",
    }
    assert extraction.raw["meeting_date"] == "18.05.2027"  # written the Danish way
    kept = Archive.open(settings).forms(employee="201", year=TO, kind="preparation")
    assert [(r.state, r.file_format) for r in kept] == [("generated", "pdf")]
    assert (Archive.open(settings).root / kept[0].original).read_bytes() == path.read_bytes()


def test_second_run_makes_nothing_new_unless_forced(settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run(settings, out)
    archive = Archive.open(settings)
    filed = len(archive.forms(latest_only=False))
    again = _run(settings, out)
    assert again["201"] == ("already_made", "") and again["206"][0] == "already_made"
    assert len(archive.forms(latest_only=False)) == filed
    # a form whose file went missing comes back from the personnel folder, not re-made
    path = output_folder(out, LISE, "201", "Åse Ærø") / "forberedelsesskema-2027-201-Åse-Ærø.pdf"
    path.unlink()
    assert _run(settings, out)["201"][:2] == (
        "already_made",
        "kopieret tilbage fra personalemappen",
    )
    assert path.is_file() and len(archive.forms(latest_only=False)) == filed
    forced = _run(settings, out, force=True)
    assert forced["201"][0] == "made" and forced["206"][0] == "made"


def test_a_new_format_is_made_for_a_form_made_before(settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run(settings, out)
    both = _run(settings, out, formats=("pdf", "docx"))
    assert both["201"][0] == "made"
    docx = output_folder(out, LISE, "201", "Åse Ærø") / "forberedelsesskema-2027-201-Åse-Ærø.docx"
    assert read_form(docx, settings).fields["prev_plan_2_competence"] == "Præsentationsteknik"


def _tree(root: Path) -> dict[str, tuple[int, ...]]:
    """Every path under `root` with its size, mtime and mode (folders too)."""
    gc.collect()  # connections of archives gone out of scope close (SQLite tidies its WAL)
    return {
        str(path.relative_to(root)): (stat.st_size, stat.st_mtime_ns, stat.st_mode)
        for path in [root, *root.rglob("*")]
        for stat in [path.lstat()]
    }


def test_dry_run_writes_nothing(settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run(settings, out, employees=("201",))  # made before: its PDF is copied back, not made
    (
        output_folder(out, LISE, "201", "Åse Ærø") / "forberedelsesskema-2027-201-Åse-Ærø.pdf"
    ).unlink()
    before = _tree(tmp_path)
    lines = _run(settings, out, dry_run=True, formats=("pdf", "docx"))
    assert _tree(tmp_path) == before
    assert lines["201"][0] == "would_make"  # its DOCX
    assert lines["206"][0] == "would_make" and lines["206"][2].startswith("Aftaler og mål")
    already = _run(settings, out, dry_run=True)["201"]
    assert already == ("already_made", "kopieres tilbage fra personalemappen")
    assert _tree(tmp_path) == before


def test_dry_run_without_an_archive_creates_none(tmp_path: Path) -> None:
    settings = Settings(archive=tmp_path / "archive", roster=tmp_path / "employees.csv")
    (tmp_path / "employees.csv").write_text("201,Åse Ærø,Lise Leder\n", encoding="utf-8")
    before = _tree(tmp_path)
    assert _run(settings, tmp_path / "out", dry_run=True) == {
        "201": ("skipped", "ingen aftale for 2026")
    }
    assert _tree(tmp_path) == before


def test_leader_and_employee_filters(settings: Settings, tmp_path: Path) -> None:
    assert sorted(_run(settings, tmp_path / "a", leader="mads møller", dry_run=True)) == [
        "203", "204", "206"
    ]  # fmt: skip
    assert _run(settings, tmp_path / "b", employees=("206", "999"), dry_run=True) == {
        "206": ("would_make", "", _run(settings, tmp_path / "c", dry_run=True)["206"][2]),
        "999": ("skipped", "findes ikke i arkivet"),
    }


def test_to_year_must_follow_from_year(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(Exception, match="--to-year must come after"):
        run_carry_over(settings, Options(from_year=FROM, to_year=FROM, out=tmp_path))


@pytest.mark.slow
def test_command_renders_in_a_process_pool(settings: Settings, tmp_path: Path) -> None:
    config = tmp_path / "formflow.toml"
    config.write_text(
        f'archive = "{settings.archive}"\nroster = "{settings.roster}"\n', encoding="utf-8"
    )
    out = tmp_path / "forms"
    result = CliRunner().invoke(
        cli,
        ["--config", str(config), "carry-over", "--from-year", "2026", "--out", str(out),
         "--format", "both"],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "lavet 2, laves 0, lavet før 0, intet skema 4; med tekst, der ikke er plads til: 1" in (
        result.output
    )
    made = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.*"))
    assert made == [
        "Lise-Leder/201 Åse-Ærø/forberedelsesskema-2027-201-Åse-Ærø.docx",
        "Lise-Leder/201 Åse-Ærø/forberedelsesskema-2027-201-Åse-Ærø.pdf",
        "Mads-Møller/206 Frida-Fjord/forberedelsesskema-2027-206-Frida-Fjord.docx",
        "Mads-Møller/206 Frida-Fjord/forberedelsesskema-2027-206-Frida-Fjord.pdf",
    ]


def _round_of(tmp_path: Path, count: int) -> Settings:
    """An archive of `count` signed agreements (no roster)."""
    settings = Settings(archive=tmp_path / "archive", roster=tmp_path / "none.csv")
    archive = Archive.open(settings)
    for n in range(count):
        _file(archive, "agreement", FROM, "signed", **_agreement(str(1000 + n), f"Ansat {n}"))
    return settings


def test_memory_does_not_grow_with_the_forms_made(tmp_path: Path) -> None:
    """Each form is written, recorded and forgotten: what is held after the 10th and after
    the 50th differs by the report's small lines, not by ~85 kB of PDF and DOCX a form (the
    old code grew ~72 kB a form; the bound leaves room for what a loaded machine's pool and
    index allocate once, which made a 10 kB bound fail now and then)."""
    held: dict[int, int] = {}

    def measure(done: int, total: int) -> None:
        if done in (10, 50):
            gc.collect()
            held[done] = tracemalloc.get_traced_memory()[0]

    settings = _round_of(tmp_path, 50)
    tracemalloc.start()
    try:
        report = run_carry_over(
            settings, Options(FROM, TO, tmp_path / "out", ("pdf", "docx")), progress=measure,
            workers=2,
        )  # fmt: skip
    finally:
        tracemalloc.stop()
    assert report.count("made") == 50
    assert (held[50] - held[10]) / 40 < 20_000, held
    assert not any(isinstance(v, bytes) for line in report.lines for v in astuple(line))


def _own_form(tmp_path: Path, organisation: str) -> Path:
    """An organisation's own preparation form, made by `formflow forms new`."""
    own = tmp_path / "own-forms"
    args = ["forms", "new", organisation, "-o", str(own), "--subtitle", organisation]
    for question in ("last_agreements", "wellbeing_tasks", "competence_fit"):
        args += ["-q", question]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return own


def test_the_organisations_own_form_is_made(settings: Settings, tmp_path: Path) -> None:
    own = _own_form(tmp_path, "klinik-nord")
    settings = replace(settings, forms=replace(settings.forms, directory=str(own)))
    report = run_carry_over(settings, Options(FROM, TO, tmp_path / "out"), workers=1)
    assert report.form == "preparation-klinik-nord"
    (path,) = next(line.files for line in report.lines if line.number == "201")
    extraction = read_form(path, settings)
    assert extraction.definition == "preparation-klinik-nord"
    assert "q_competence_fit" in extraction.fields and "q_results" not in extraction.fields
    assert extraction.fields["prev_plan_2_competence"] == "Præsentationsteknik"


def test_several_own_forms_ask_for_one(settings: Settings, tmp_path: Path) -> None:
    own = _own_form(tmp_path, "klinik-nord")
    _own_form(tmp_path, "klinik-syd")
    settings = replace(settings, forms=replace(settings.forms, directory=str(own)))
    options = Options(FROM, TO, tmp_path / "out", dry_run=True)
    with pytest.raises(FormflowError, match=r"several preparation forms .* --form NAME"):
        run_carry_over(settings, options)
    chosen = run_carry_over(settings, replace(options, form="preparation-klinik-syd"))
    assert chosen.form == "preparation-klinik-syd" and chosen.count("would_make") == 2
    with pytest.raises(FormflowError, match="agreement form; carry-over makes preparation"):
        run_carry_over(settings, replace(options, form="agreement"))


def test_the_roster_decides_the_leader(settings: Settings, tmp_path: Path) -> None:
    """201's agreement names Lise Leder; the roster moved 201 to Mads Møller."""
    roster = settings.roster.read_text(encoding="utf-8")
    settings.roster.write_text(roster.replace("201,Åse Ærø,Lise Leder", "201,Åse Ærø,Mads Møller"))
    out = tmp_path / "out"
    (line,) = run_carry_over(settings, Options(FROM, TO, out, employees=("201",)), workers=1).lines
    assert line.leader == MADS
    assert line.files[0].parent == output_folder(out, MADS, "201", "Åse Ærø")
    assert read_form(line.files[0], settings).fields["leader_name"] == MADS
    # without a roster the latest agreement's leader counts
    settings.roster.unlink()
    (line,) = run_carry_over(settings, Options(FROM, TO, out, employees=("201",), force=True),
                             workers=1).lines  # fmt: skip
    assert line.leader == LISE and line.files[0].parent == output_folder(
        out, LISE, "201", "Åse Ærø"
    )


def test_the_table_is_danish(settings: Settings, tmp_path: Path) -> None:
    config = tmp_path / "formflow.toml"
    config.write_text(
        f'archive = "{settings.archive}"\nroster = "{settings.roster}"\n', encoding="utf-8"
    )
    result = CliRunner().invoke(
        cli, ["--config", str(config), "carry-over", "--from-year", "2026", "--dry-run",
              "--out", str(tmp_path / "out")],
        env={"COLUMNS": "250"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    for danish in ("Medarbejder", "Resultat", "laves", "intet skema", "ingen aftale for 2026",
                   "venter på medarbejderens underskrift", "Aftaler og mål"):  # fmt: skip
        assert danish in result.output
    for code in ("would_make", "would make", "skipped", "awaiting", "prev_goal", "signed"):
        assert code not in result.output
