"""`formflow forms learn` (issue 14 item 5): seed 004's form rebuilt by hand becomes a learned
definition; filled copies of it are read by its map; it renders as a formflow form;
carry-over and the daemon use it.

The samples are in `tests/samples/learned/` (made by `make_learned.py` there): the blank as
typed in Word (python-docx) and exported by LibreOffice, and a copy filled by python-docx,
with its LibreOffice export.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tomllib
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader, PdfWriter

from formflow.archive import Archive
from formflow.carryover_run import Options, run_carry_over
from formflow.cli import cli
from formflow.config import Settings
from formflow.forms.learned import Place, find_places, propose
from formflow.forms.library import load_definition
from formflow.model import CheckResult, Extraction
from formflow.read import read_form
from formflow.read.labels import Para, Table
from formflow.read.vocabulary import vocabulary_for

LEARNED = Path(__file__).parent / "samples" / "learned"
EXPECTED = json.loads((LEARNED / "firma-filled.json").read_text(encoding="utf-8"))["expected"]
ROSTER = "nummer;navn;leder\n3101;Ulla Bødker Lassen;Ole Chef\n3102;Bo Berg;Ole Chef\n"


def learn(folder: Path, blank: str, *options: str, answers: str = "") -> tuple[Settings, str]:
    """`formflow forms learn` in `folder` (its formflow.toml names forms.directory)."""
    config = folder / "formflow.toml"
    config.write_text(f'[forms]\ndirectory = "{folder / "egne"}"\n', encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        ["--config", str(config), "forms", "learn", str(LEARNED / blank), "--name", "firma",
         *options],
        input=answers,
    )  # fmt: skip
    assert result.exit_code == 0, result.output + repr(result.exception)
    settings = Settings()
    settings = replace(settings, forms=replace(settings.forms, directory=str(folder / "egne")))
    return settings, result.output


@pytest.fixture(scope="module")
def learned(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return learn(tmp_path_factory.mktemp("learned"), "firma-blank.docx", "--yes")[0]


def test_learn_writes_a_readable_definition_with_labels_and_places(learned: Settings) -> None:
    path = Path(learned.forms.directory) / "firma.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    fields = {f["key"]: f for f in data["learned"]["field"]}
    # with LibreOffice, also the cell's page and rectangle in the blank's PDF kept beside the
    # map (tests/test_learn_scan.py)
    for placed in ("page", "rect"):
        fields["employee_name"].pop(placed, None)
    assert fields["employee_name"] == {
        "key": "employee_name", "label": "Navn", "table": 0, "row": 1, "cell": 0
    }  # fmt: skip
    assert fields["other_activities"]["after"].startswith("3. Hvilke yderligere aktiviteter")
    assert fields["signature_employee"]["label"] == "Underskrift (medarbejder)"
    definition = load_definition("firma", learned)
    assert definition.kind == "preparation" and definition.name == "firma"
    assert set(fields) <= set(definition.keys)
    assert (
        "prev_goal_professional_1_status" in fields and "goal_professional_1_status" not in fields
    )


def test_yes_leaves_uncertain_places_out_and_says_so(tmp_path: Path) -> None:
    settings, output = learn(tmp_path, "firma-blank.docx", "--yes")
    assert "Skemaets felter" in output and "usikkert" in output  # the Danish table
    assert "5 usikre steder er ikke taget med (--yes)" in output
    assert "„Underskrift (leder)“ (tabel 12, række 2, celle 3)" in output
    keys = [f["key"] for f in _learned(settings)["field"]]
    assert len(keys) == len(set(keys)) == 49


def test_each_uncertain_place_is_asked_about(tmp_path: Path) -> None:
    """The first uncertain place ("Status (1-4)" of next year's goals) mapped by a person to
    their first candidate; the others skipped ("spring over")."""
    settings, output = learn(tmp_path, "firma-blank.docx", answers="1\n0\n0\n0\n0\n")
    assert output.count("Usikkert: „") == 5 and "0. spring over" in output
    fields = {f["key"]: f for f in _learned(settings)["field"]}
    chosen = [f for f in fields.values() if (f.get("table"), f.get("cell")) == (6, 4)]
    assert len(chosen) == 1 and chosen[0]["key"].endswith("_status")
    assert len(fields) == 50


def test_an_unknown_label_is_never_mapped_without_a_person() -> None:
    blocks = [
        Para("Forberedelsesskema", heading=True),
        Table((("Navn", "Bemærkninger fra kantinen"), ("", ""))),
    ]
    definition = load_definition("preparation")
    proposals = propose(blocks, find_places(blocks), definition, vocabulary_for())
    assert [(p.place.label, p.key) for p in proposals] == [
        ("Navn", "employee_name"), ("Bemærkninger fra kantinen", None)
    ]  # fmt: skip


def test_a_label_naming_two_fields_is_uncertain() -> None:
    blocks = [Table((("Startdato",), ("",)))]  # which goal's start?
    proposals = propose(
        blocks, find_places(blocks), load_definition("preparation"), vocabulary_for()
    )
    assert proposals[0].key is None and len(proposals[0].candidates) > 1
    assert proposals[0].place == Place("Startdato", 0, 1, 0)


@pytest.mark.parametrize("name", ["firma-filled.docx", "firma-filled.pdf"])
def test_a_filled_copy_is_read_by_the_learned_map(learned: Settings, name: str) -> None:
    extraction = read_form(LEARNED / name, learned)
    assert (extraction.kind, extraction.year, extraction.definition) == (
        "preparation", 2026, "firma"
    )  # fmt: skip
    found = {key: value for key, value in extraction.fields.items() if value}
    assert found == EXPECTED
    assert extraction.places is not None and "employee_number" not in extraction.places
    assert [p.code for p in extraction.problems if p.severity == "error"] == []


@pytest.mark.needs("gs")
def test_a_filled_copy_printed_by_ghostscript_is_read_by_the_learned_map(
    learned: Settings, tmp_path: Path
) -> None:
    printed = tmp_path / "printed.pdf"
    subprocess.run(
        ["gs", "-q", "-dBATCH", "-dNOPAUSE", "-dSAFER", "-sDEVICE=pdfwrite",
         f"-sOutputFile={printed}", str(LEARNED / "firma-filled.pdf")],
        check=True, timeout=120,
    )  # fmt: skip
    extraction = read_form(printed, learned)
    assert extraction.definition == "firma"
    assert {key: value for key, value in extraction.fields.items() if value} == EXPECTED


def test_the_general_readers_alone_read_the_signature_wrong() -> None:
    """Why the map matters on this form: by its labels alone the row of signature labels is
    read as values, and the leader's label becomes the employee's signature."""
    extraction = read_form(LEARNED / "firma-filled.docx", Settings())
    assert extraction.fields.get("signature_employee") != EXPECTED["signature_employee"]


def test_learned_from_the_pdf_blank_reads_none_wrong(tmp_path: Path) -> None:
    settings, _ = learn(tmp_path, "firma-blank.pdf", "--yes")
    for name in ("firma-filled.pdf", "firma-filled.docx"):
        extraction = read_form(LEARNED / name, settings)
        assert extraction.definition == "firma"
        found = {key: value for key, value in extraction.fields.items() if value}
        assert {k: v for k, v in found.items() if EXPECTED.get(k) != v} == {}
        assert len(found) >= 0.8 * len(EXPECTED)


def test_the_pdf_blanks_grid_cut_by_a_page_break_is_learned_as_one_table(tmp_path: Path) -> None:
    """LibreOffice's export of the rebuild cuts the competence grid's header row at a page
    break (`Behov for kompetenceu` at the foot of page 2, `dvikling` on top of page 3): the
    halves are one table, its places certain, learned as the DOCX blank's are."""
    settings, output = learn(tmp_path, "firma-blank.pdf", "--yes")
    assert "5 usikre steder er ikke taget med (--yes)" in output
    fields = {f["key"]: f for f in _learned(settings)["field"]}
    grid = {key: f for key, f in fields.items() if key.startswith("competence_")}
    assert sorted(grid) == sorted(
        f"competence_{row}_{column}"
        for row in ("near", "long")
        for column in ("need", "target", "method", "when")
    )
    assert grid["competence_near_need"]["label"] == "Behov for kompetenceudvikling"
    assert grid["competence_near_need"]["page"] == 3
    assert len(fields) == 49  # as many as from the DOCX blank
    extraction = read_form(LEARNED / "firma-filled.pdf", settings)
    assert extraction.fields["competence_near_need"] == EXPECTED["competence_near_need"]


@pytest.fixture(scope="module")
def learned_from_pdf(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return learn(tmp_path_factory.mktemp("learned-pdf"), "firma-blank.pdf", "--yes")[0]


@pytest.mark.parametrize("blank", ["docx", "pdf"])
@pytest.mark.parametrize(
    "name", ["firma-filled-gs.pdf", "firma-filled-lo.docx", "firma-rendered-lo.docx"]
)
def test_a_copy_other_programs_rewrote_is_read_by_the_learned_map(
    learned: Settings, learned_from_pdf: Settings, blank: str, name: str
) -> None:
    """`make_copies.py`: the filled PDF printed through Ghostscript, the filled DOCX saved
    again by LibreOffice (its tables rewritten), and the learned form rendered pre-filled
    and saved again by LibreOffice (its content controls rewritten); learned from either
    blank, each reads whole and none wrong."""
    settings = learned if blank == "docx" else learned_from_pdf
    extraction = read_form(LEARNED / name, settings)
    assert (extraction.kind, extraction.year, extraction.definition) == (
        "preparation", 2026, "firma"
    )  # fmt: skip
    assert {key: value for key, value in extraction.fields.items() if value} == EXPECTED


def test_render_the_learned_form_and_read_it_back_filled_by_pypdf(
    learned: Settings, tmp_path: Path
) -> None:
    config = tmp_path / "formflow.toml"
    config.write_text(f'[forms]\ndirectory = "{learned.forms.directory}"\n', encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["--config", str(config), "forms", "render", "firma", "--year", "2026", "-o",
              str(tmp_path / "out")]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (pdf,) = (tmp_path / "out").glob("*.pdf")
    assert len(list((tmp_path / "out").glob("*.docx"))) == 1
    values = {**_typed(), "employee_number": "3101", "leader_name": "Ole Chef"}
    writer = PdfWriter(clone_from=PdfReader(pdf))
    for page in writer.pages:
        writer.update_page_form_field_values(page, values, auto_regenerate=False)
    filled = tmp_path / "filled.pdf"
    with filled.open("wb") as out:
        writer.write(out)
    extraction = read_form(filled, learned)
    assert (extraction.reader, extraction.definition) == ("acroform", "firma")
    found = {key: value for key, value in extraction.fields.items() if value}
    assert found == {**EXPECTED, "employee_number": "3101", "leader_name": "Ole Chef"}
    assert [p.code for p in extraction.problems if p.severity == "error"] == []


@pytest.mark.needs("qpdf")
def test_the_rendered_learned_form_flattened_by_qpdf_reads_by_its_boxes(
    learned: Settings, tmp_path: Path
) -> None:
    from formflow.forms.render import render_bytes

    blank = render_bytes(load_definition("firma", learned), 2026, {}, "pdf")
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(blank)))
    values = {**_typed(), "employee_number": "3101", "leader_name": "Ole Chef"}
    for page in writer.pages:
        writer.update_page_form_field_values(page, values, auto_regenerate=True)
    filled, flat = tmp_path / "filled.pdf", tmp_path / "flat.pdf"
    with filled.open("wb") as out:
        writer.write(out)
    subprocess.run(
        ["qpdf", "--generate-appearances", "--flatten-annotations=all", str(filled), str(flat)],
        check=True,
    )
    extraction = read_form(flat, learned)
    assert (extraction.reader, extraction.definition) == ("layout", "firma")
    found = {key: value for key, value in extraction.fields.items() if value}
    assert found == {**EXPECTED, "employee_number": "3101", "leader_name": "Ole Chef"}


def test_carry_over_fills_the_learned_form(learned: Settings, tmp_path: Path) -> None:
    settings = replace(learned, archive=tmp_path / "archive", roster=tmp_path / "employees.csv")
    settings.roster.write_text(ROSTER, encoding="utf-8")
    fields = {
        "employee_number": "3101", "employee_name": "Ulla Bødker Lassen",
        "leader_name": "Ole Chef", "meeting_date": "2025-03-05",
        "goal_professional_1_text": "Kursus i tilbudsberegning",
        "goal_professional_1_start": "2025-04-01",
    }  # fmt: skip
    extraction = Extraction(
        file="a.pdf", reader="acroform", kind="agreement", year=2025, definition="agreement",
        fields=fields,
    )  # fmt: skip
    Archive.open(settings).file(
        b"%PDF-1.7 agreement", CheckResult(extraction, {}, ()), state="signed",
        arrived=datetime.fromisoformat("2025-03-10T08:00:00+01:00"), source_name="a.pdf",
    )  # fmt: skip
    report = run_carry_over(
        settings, Options(2025, 2026, tmp_path / "out", form="firma"), workers=1
    )
    assert report.form == "firma"
    (path, *_rest) = next(line.files for line in report.lines if line.number == "3101")
    made = read_form(path, settings)
    assert made.definition == "firma"
    assert made.fields["prev_goal_professional_1_text"] == "Kursus i tilbudsberegning"
    assert made.fields["prev_goal_professional_1_start"] == "2025-04-01"


def test_watch_files_a_filled_copy_by_the_roster(learned: Settings, tmp_path: Path) -> None:
    (tmp_path / "inbox").mkdir()
    (tmp_path / "employees.csv").write_text(ROSTER, encoding="utf-8")
    (tmp_path / "formflow.toml").write_text(
        f'[watch]\nstability_seconds = 0\n[forms]\ndirectory = "{learned.forms.directory}"\n',
        encoding="utf-8",
    )
    for name in ("firma-filled.docx", "firma-filled.pdf"):
        (tmp_path / "inbox" / name).write_bytes((LEARNED / name).read_bytes())
    done = subprocess.run(
        [sys.executable, "-c", "from formflow.cli import main; main()", "watch", "--once"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    (folder,) = (tmp_path / "archive" / "personale").iterdir()
    assert folder.name == "3101 Ulla Bødker Lassen"
    assert [p.name for p in (tmp_path / "inbox").rglob("firma-*")] == []  # none held or back
    records = [json.loads(p.read_text("utf-8")) for p in folder.rglob("*.json")]
    assert len(records) == 2
    assert all("firma" in json.dumps(record) for record in records)


def _learned(settings: Settings, name: str = "firma") -> dict:
    path = Path(settings.forms.directory) / f"{name}.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))["learned"]


def _typed() -> dict[str, str]:
    """The expected values as a person types them into the rendered form (Danish dates)."""
    values = dict(EXPECTED)
    for key, value in values.items():
        if len(value) == 10 and value[4] == "-" and value[7] == "-":
            values[key] = f"{value[8:]}.{value[5:7]}.{value[:4]}"
    return values


def test_a_pdf_copys_cells_where_the_blanks_were_are_read_by_their_rectangles(
    tmp_path: Path,
) -> None:
    """Learned from the PDF blank, each cell place has its page and rectangle; on the filled
    export, the header's cells stand where the blank's did and are read into them; a cell
    that moved (here: the map's rectangle shifted) is not read by place at all."""
    import pdfplumber

    from formflow.forms.learned import learned_maps, page_tables
    from formflow.read.regions import _placed, _ruled_cells, page_glyphs

    settings, _ = learn(tmp_path, "firma-blank.pdf", "--yes")
    ((learned, _path),) = learned_maps(settings)
    header = {k: p for k, p in learned.fields if p.table == 0}
    assert all(p.page == 1 and p.rect is not None for p in header.values())
    with pdfplumber.open(LEARNED / "firma-filled.pdf") as pdf:
        glyphs = [page_glyphs(page) for page in pdf.pages]
        cells = [_ruled_cells(page_tables(page)) for page in pdf.pages]
    placed = _placed(list(header.items()), glyphs, cells)
    assert placed == {
        "employee_name": "Ulla Bødker Lassen",
        "employee_position": "Salgskoordinator",
        "meeting_date": "4. marts 2026",
    }
    moved = [
        (k, replace(p, rect=(p.rect[0], p.rect[1] + 10, p.rect[2], p.rect[3] + 10)))
        for k, p in header.items()
        if p.rect is not None
    ]
    assert _placed(moved, glyphs, cells) == {}


# --- an organisation's own fillable PDF (tests/samples/learned/make_fillable.py) -------------

KLINIK = json.loads((LEARNED / "klinik-filled.json").read_text(encoding="utf-8"))["expected"]


def learn_klinik(folder: Path, *options: str, answers: str = "") -> tuple[Settings, str]:
    config = folder / "formflow.toml"
    config.write_text(f'[forms]\ndirectory = "{folder / "egne"}"\n', encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        ["--config", str(config), "forms", "learn", str(LEARNED / "klinik-blank.pdf"),
         "--name", "klinik", *options],
        input=answers,
    )  # fmt: skip
    assert result.exit_code == 0, result.output + repr(result.exception)
    settings = Settings()
    return replace(settings, forms=replace(settings.forms, directory=str(folder / "egne"))), (
        result.output
    )


def test_a_fillable_pdfs_own_fields_are_its_places(tmp_path: Path) -> None:
    settings, output = learn_klinik(tmp_path, "--yes")
    assert "„Evt. opsummering af særlige aftaler“ (feltet „Tekst4“, side 1)" in output
    fields = {f["key"]: f for f in _learned(settings, "klinik")["field"]}
    assert fields["leader_name"]["label"] == "Klinikejer"
    assert fields["leader_name"]["field"] == "Tekst2" and len(fields["leader_name"]["rect"]) == 4
    assert set(fields) == set(KLINIK) - {"summary"}


@pytest.mark.parametrize("name", ["klinik-filled.pdf", "klinik-flattened.pdf"])
def test_a_fillable_forms_copy_is_read_with_or_without_its_fields(
    tmp_path: Path, name: str
) -> None:
    """The summary's place was uncertain; a person mapped it (the first candidate)."""
    settings, output = learn_klinik(tmp_path, answers="1\n")
    assert "1. Evt. opsummering" in output
    extraction = read_form(LEARNED / name, settings)
    assert (extraction.kind, extraction.year, extraction.definition) == (
        "agreement", 2026, "klinik"
    )  # fmt: skip
    assert {key: value for key, value in extraction.fields.items() if value} == KLINIK
    assert [p.code for p in extraction.problems if p.severity == "error"] == []


def test_with_yes_the_left_out_field_is_not_read(tmp_path: Path) -> None:
    settings, _ = learn_klinik(tmp_path, "--yes")
    extraction = read_form(LEARNED / "klinik-filled.pdf", settings)
    assert extraction.definition == "klinik" and "summary" not in extraction.places
    assert not extraction.fields.get("summary")


def test_learning_never_overwrites_a_definition(tmp_path: Path) -> None:
    settings, _ = learn(tmp_path, "firma-blank.docx", "--yes")
    path = Path(settings.forms.directory) / "firma.toml"
    before = path.read_bytes()
    again = CliRunner().invoke(
        cli,
        ["--config", str(tmp_path / "formflow.toml"), "forms", "learn",
         str(LEARNED / "firma-blank.pdf"), "--name", "firma", "--yes"],
    )  # fmt: skip
    assert again.exit_code != 0 and "exists already" in str(again.exception)
    assert path.read_bytes() == before
    bad = CliRunner().invoke(
        cli, ["forms", "learn", str(LEARNED / "firma-blank.docx"), "--name", "agreement"]
    )
    assert bad.exit_code == 2 and "--name" in bad.output
