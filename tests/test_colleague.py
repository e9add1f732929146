"""Seed 002's input from colleagues (issue 18 item 4): the form kind `colleague_input` ("Input
fra en kollega til MUS") renders as PDF and DOCX, is read, checked and filed in the employee's
year folder (no signature, no meeting date), counted by `formflow status`, and shown on the
web page to the employee and their leader, never to another colleague."""

from __future__ import annotations

import io
import re
import sqlite3
import subprocess
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from conftest import ingest_for_real, no_roster
from test_wheel import pdftk_fill

from formflow.archive import Archive
from formflow.config import Settings
from formflow.forms.library import load_definition
from formflow.forms.render import render_bytes
from formflow.read import read_data
from formflow.rounds import round_of, totals_line

ANNA = {"employee_name": "Anna Ærø", "employee_number": "1001"}
INPUT = {
    "colleague_name": "Bent Bødker",
    "valued": "Anna er altid hjælpsom – også når det brænder på.\nHun deler gerne ud af sin viden.",
    "ideas": "Mere ansvar for oplæringen af nye kolleger.",
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "inbox").mkdir()
    return Settings().replace(
        inbox=tmp_path / "inbox", archive=tmp_path / "archive", roster=no_roster(tmp_path)
    )


def test_the_form_asks_whom_who_what_is_valued_and_ideas() -> None:
    definition = load_definition("colleague_input")
    assert definition.kind == "colleague_input"
    assert definition.title_for(2026) == "Input fra en kollega til MUS 2026"
    assert [(s.key, s.required) for s in definition.fields] == [
        ("employee_name", True),
        ("employee_number", True),
        ("colleague_name", False),
        ("valued", False),
        ("ideas", False),
    ]
    assert not [s for s in definition.fields if s.type == "signature"]


@pytest.mark.needs("pdftotext")
def test_it_renders_as_pdf_and_docx(tmp_path: Path) -> None:
    definition = load_definition("colleague_input")
    pdf = tmp_path / "input.pdf"
    pdf.write_bytes(render_bytes(definition, 2026, ANNA, "pdf"))
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "Input fra en kollega til MUS 2026" in text
    assert "Hvad sætter du pris på i din kollegas arbejde?" in text
    from docx import Document

    docx = Document(io.BytesIO(render_bytes(definition, 2026, ANNA, "docx")))
    body = "\n".join(p.text for p in docx.paragraphs)
    assert "Input fra en kollega til MUS 2026" in body
    assert "Har du idéer til din kollegas udvikling?" in body


def drop(settings: Settings, name: str, data: bytes) -> Path:
    path = settings.inbox / name
    path.write_bytes(data)
    return path


@pytest.mark.needs("pdftk")
def test_inputs_from_two_colleagues_are_filed_to_the_right_person_and_counted(
    settings: Settings, tmp_path: Path
) -> None:
    definition = load_definition("colleague_input")
    blank = render_bytes(definition, 2026, ANNA, "pdf")
    from_bent = pdftk_fill(blank, INPUT, tmp_path)
    read = read_data(from_bent, "input.pdf", settings)
    assert (read.kind, read.year) == ("colleague_input", 2026)
    assert {k: read.fields[k] for k in INPUT} == INPUT
    # the second colleague leaves their name out and fills the DOCX
    anonymous = render_bytes(definition, 2026, {**ANNA, "valued": "Godt humør."}, "docx")
    for name, data in (("bent.pdf", from_bent), ("anonym.docx", anonymous)):
        outcome = ingest_for_real(settings, drop(settings, name, data))
        assert (outcome.action, outcome.state) == ("filed", "received"), outcome
    year = settings.archive / "personale" / "1001 Anna Ærø" / "2026"
    assert sorted(p.name for p in year.iterdir()) == [
        "kollegainput-2026-v1.json",
        "kollegainput-2026-v1.pdf",
        "kollegainput-2026-v2.docx",
        "kollegainput-2026-v2.json",
    ]
    status = round_of(Archive.open(settings), 2026, today=date(2026, 12, 3), deadline_days=7)
    assert [(r.number, r.colleague_inputs) for r in status.rows] == [("1001", 2)]
    assert status.totals["colleague_inputs"] == 2
    assert "Input fra kolleger: 2." in totals_line(status)


def test_an_empty_input_goes_back_with_a_reason(settings: Settings) -> None:
    definition = load_definition("colleague_input")
    outcome = ingest_for_real(
        settings, drop(settings, "tom.docx", render_bytes(definition, 2026, ANNA, "docx"))
    )
    assert outcome.action == "rejected"
    assert "colleague_input_empty" in outcome.codes
    notice = (settings.inbox / "afvist" / "tom.docx.txt").read_text(encoding="utf-8")
    assert "Skriv, hvad du sætter pris på i din kollegas arbejde" in notice


def test_an_input_about_nobody_named_goes_back(settings: Settings) -> None:
    definition = load_definition("colleague_input")
    data = render_bytes(definition, 2026, {"valued": "Godt humør."}, "docx")
    outcome = ingest_for_real(settings, drop(settings, "hvem.docx", data))
    assert outcome.action != "filed"


# --- the web page: the employee and their leader, never another colleague -----------------------

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "hemmelig-kode-1"


def test_the_employee_and_their_leader_see_it_other_colleagues_never(tmp_path: Path) -> None:
    from formflow.demo import create_workspace
    from formflow.watch import run_watch
    from formflow.web.app import create_app
    from formflow.web.users import Users

    settings, year = create_workspace(tmp_path / "ws", force=False, today=date.today())
    definition = load_definition("colleague_input", settings)
    data = render_bytes(definition, year, {**ANNA, **INPUT}, "docx")
    (settings.inbox / "input-til-anna.docx").write_bytes(data)
    assert run_watch(settings, once=True) == 0
    for database in settings.archive.rglob("*.sqlite"):
        with closing(sqlite3.connect(database)) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    users = Users.of_archive(settings.archive, hasher=CHEAP)
    people = {"anna": ("employee", "1001"), "bent": ("employee", "1002")}
    people["lise"] = ("leader", "Lise Løvgren")
    for login, (role, person) in people.items():
        users.add(login, role, person, PASSWORD)
    app = create_app(settings, hasher=CHEAP)
    original = f"/medarbejder/1001/skema/kollegainput-{year}-v1/original"
    for login, allowed in (("anna", True), ("lise", True), ("bent", False)):
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
        assert token
        form = {"login": login, "password": PASSWORD, "csrf": token[1]}
        assert client.post("/login", data=form).status_code == 302
        file_page = client.get("/medarbejder/1001")
        download = client.get(original)
        if allowed:
            assert file_page.status_code == download.status_code == 200, login
            assert "Input fra en kollega" in file_page.get_data(as_text=True)
            assert download.data == data
        else:
            assert file_page.status_code == download.status_code == 404, login


@pytest.mark.needs("pdftk", "qpdf")
def test_a_flattened_input_is_read_by_its_labels(settings: Settings, tmp_path: Path) -> None:
    definition = load_definition("colleague_input")
    pdftk_fill(render_bytes(definition, 2026, ANNA, "pdf"), INPUT, tmp_path)
    subprocess.run(
        ["qpdf", "--flatten-annotations=all", "filled.pdf", "flat.pdf"], cwd=tmp_path, check=True
    )
    read = read_data((tmp_path / "flat.pdf").read_bytes(), "flat.pdf", settings)
    assert (read.reader, read.kind, read.year) == ("layout", "colleague_input", 2026)
    assert read.fields["employee_number"] == "1001"
    assert read.fields["ideas"] == INPUT["ideas"]
