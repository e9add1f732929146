"""Forms organisations already have: their own titles, words and layouts, read by their labels.

The samples in `tests/samples/foreign/` were made by other programs (LibreOffice from HTML,
python-docx, reportlab, Ghostscript, pdftk) in the styles of seeds 000, 003 and 004 and of HR
rebuilds, some of them fillable PDFs with their own field names; the scripts beside them
made them, and `<sample>.json` holds the kind, the year and the values the form has a place
for. Each must read with the right kind and year, at least
95 % of its values found, none wrong, and nothing found where the form holds no answer.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from formflow.config import Settings
from formflow.read import read_form
from formflow.read.layout import Word

FOREIGN = Path(__file__).parent / "samples" / "foreign"
SAMPLES = sorted(p for p in FOREIGN.iterdir() if p.suffix in (".pdf", ".docx"))


def test_there_are_a_dozen_foreign_samples() -> None:
    assert len(SAMPLES) >= 12
    assert all(path.with_name(path.name + ".json").is_file() for path in SAMPLES)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: path.name)
def test_foreign_form_reads_kind_year_and_values_none_wrong(path: Path) -> None:
    data = json.loads(path.with_name(path.name + ".json").read_text(encoding="utf-8"))
    extraction = read_form(path, Settings())
    assert (extraction.kind, extraction.year) == (data["kind"], data["year"])
    expected: dict[str, str] = data["expected"]
    found = {key: value for key, value in extraction.fields.items() if value}
    wrong = {
        key: (value, expected.get(key, ""))
        for key, value in found.items()
        if value != expected.get(key, "")
    }
    assert wrong == {}
    missing = sorted(key for key in expected if found.get(key) != expected[key])
    assert len(expected) - len(missing) >= 0.95 * len(expected), missing


# --- kind and year -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "kind", "year"),
    [
        ("Forberedelseskema til Medarbejderudviklingssamtale (MUS)", "preparation", None),
        ("Forberedelsesskema til MUS 2027", "preparation", 2027),
        ("Udviklings- og aftaleskema (MUS) 2025", "agreement", 2025),
        ("Udviklings- og aftaleskema for MUS", "agreement", None),
        ("MUS 2025 – Udviklings- og aftaleskema", "agreement", 2025),
        ("Udviklings og aftaleskema 2026", "agreement", 2026),
        ("Min udviklingsplan", "agreement", None),
        ("Referat af personalemøde 2027", None, None),
        ("Inspirationsspørgsmål til samtalen og udviklingsplan", None, None),
        # instructions that name a form are no title
        (
            "Samtalen afsluttes med fælles udfyldelse af udviklings- og aftaleskemaet for MUS, "
            "hvor aftaler og vigtige temaer sammenfattes",
            None,
            None,
        ),
    ],
)
def test_title_variants_give_kind_and_year(title: str, kind: str | None, year: int | None) -> None:
    from formflow.read.labels import title_kind

    assert title_kind(title) == (kind, year)


def test_without_a_year_in_the_title_the_year_is_the_meeting_dates() -> None:
    from formflow.read import read_labelled
    from formflow.read.labels import Para

    blocks = [Para("Udviklings- og aftaleskema for MUS"), Para("Dato for samtale: 3. marts 2026")]
    definition, edition, values = read_labelled(blocks, {}, Settings())
    assert (definition.kind, edition.year) == ("agreement", 2026)
    assert values["meeting_date"] == "3. marts 2026"


def test_an_unclear_title_leaves_the_kind_to_the_labels() -> None:
    from formflow.errors import UnreadableForm
    from formflow.read import read_labelled
    from formflow.read.labels import Para

    header = [Para("Medarbejdersamtale"), Para("Navn: Mette"), Para("Dato for samtale: 12.03.2025")]
    agreement = [
        *header,
        Para("Hvilke kompetencer skal udvikles og med hvilke mål?"),
        Para("Journalføring"),
        Para("Dato for næste samtale: 10.03.2026"),
    ]
    definition, edition, _ = read_labelled(agreement, {}, Settings())
    assert (definition.kind, edition.year) == ("agreement", 2025)
    # Only labels both forms have: no kind is guessed.
    with pytest.raises(UnreadableForm) as raised:
        read_labelled(header, {}, Settings())
    assert raised.value.code == "not_a_form"


# --- layouts -----------------------------------------------------------------------------------


def agreement_blocks(*blocks: object) -> dict[str, str]:
    from formflow.forms.library import load_definition
    from formflow.read.labels import read_blocks

    return read_blocks(load_definition("agreement"), blocks)  # type: ignore[arg-type]


def test_category_prefixed_goal_labels_count_their_rows() -> None:
    from formflow.read.labels import Para, Table

    values = agreement_blocks(
        Para("Faglig udvikling: Startdato: 01.04.2025"),
        Table(
            (
                ("Faglig udvikling: Mål", "Kursus i røntgenhygiejne"),
                ("Faglig udvikling: Mål", "Journalføring"),
                ("Personlig udvikling 2 - Slutdato", "31.12.2025"),
            )
        ),
        Para("Hjælp til salg"),  # a category on its own line heads the labels under it
        Para("Aftaler og mål: Holdtræning"),
        Para("Hjælp til andre dele af firmaet – Mål 2: Status for økonomi"),
    )
    assert values == {
        "goal_professional_1_start": "01.04.2025",
        "goal_professional_1_text": "Kursus i røntgenhygiejne",
        "goal_professional_2_text": "Journalføring",
        "goal_personal_2_end": "31.12.2025",
        "goal_sales_1_text": "Holdtræning",
        "goal_company_2_text": "Status for økonomi",
    }


def test_a_row_across_the_goal_table_names_the_category_of_the_rows_under_it() -> None:
    from formflow.read.labels import Para, Table

    values = agreement_blocks(
        Para("Aftaler og mål for det kommende år"),
        Table(
            (
                ("Mål", "Startdato", "Slutdato"),
                ("Faglig udvikling", None, None),
                ("Kursus i røntgenhygiejne", "01.04.2025", "30.09.2025"),
                ("Journalføring", "", ""),
                ("Personlig udvikling", None, None),
                ("Oplæring af elever", "", "31.12.2025"),
            )
        ),
    )
    assert values == {
        "goal_professional_1_text": "Kursus i røntgenhygiejne",
        "goal_professional_1_start": "01.04.2025",
        "goal_professional_1_end": "30.09.2025",
        "goal_professional_2_text": "Journalføring",
        "goal_professional_2_start": "",
        "goal_professional_2_end": "",
        "goal_personal_1_text": "Oplæring af elever",
        "goal_personal_1_start": "",
        "goal_personal_1_end": "31.12.2025",
    }


def test_goal_labels_outside_a_section_of_a_form_with_two_goal_tables_are_not_guessed() -> None:
    """The preparation form has last year's goals and next year's: without the section's
    heading, `Faglig udvikling: Mål` could be either."""
    from formflow.forms.library import load_definition
    from formflow.read.labels import Para, read_blocks

    values = read_blocks(load_definition("preparation"), [Para("Faglig udvikling: Mål: Excel")])
    assert values == {}


def test_a_combined_date_and_signature_box_is_split_into_both() -> None:
    from formflow.read.labels import Table

    values = agreement_blocks(
        Table(
            (
                ("14.03.2025 Karen Åberg Holm", "Mette Ølgod, 18. marts 2025"),
                ("Dato og underskrift, klinikejer", "Dato og underskrift, medarbejder"),
            )
        )
    )
    assert values == {
        "signature_leader_date": "14.03.2025",
        "signature_leader": "Karen Åberg Holm",
        "signature_employee_date": "18. marts 2025",
        "signature_employee": "Mette Ølgod",
    }


def test_tabbed_lines_are_columns_a_caption_finds_its_box_above() -> None:
    from formflow.read.labels import Para

    values = agreement_blocks(
        Para("Navn:\tMette Ølgod"),
        Para("4.\tDato for næste samtale"),  # a numbered heading with a tab is no table row
        Para("10.03.2026"),
        Para("14.03.2025 Karen Holm\t\t18.03.2025 Mette Ølgod"),
        Para("Dato og underskrift, klinikejer\t\tDato og underskrift, medarbejder"),
    )
    assert values == {
        "employee_name": "Mette Ølgod",
        "next_meeting_date": "10.03.2026",
        "signature_leader_date": "14.03.2025",
        "signature_leader": "Karen Holm",
        "signature_employee_date": "18.03.2025",
        "signature_employee": "Mette Ølgod",
    }


@pytest.mark.parametrize(
    ("box", "split"),
    [
        ("14.03.2025 Karen Holm", ("14.03.2025", "Karen Holm")),
        ("Karen Holm 2025-03-14", ("2025-03-14", "Karen Holm")),
        ("d. 14/3-2025\nKaren Holm", ("14/3-2025", "Karen Holm")),
        ("31.02.2025 Karen Holm", ("31.02.2025", "Karen Holm")),  # validation names the day
        ("Karen Holm", (None, "Karen Holm")),
        ("12 Karen 2025", (None, "12 Karen 2025")),
    ],
)
def test_split_dated(box: str, split: tuple[str | None, str]) -> None:
    from formflow.read.labels import split_dated

    assert split_dated(box) == split


def test_label_above_its_value_a_date_is_one_line_and_a_bare_dato_follows_its_signature() -> None:
    from formflow.read.labels import Para

    values = agreement_blocks(
        Para("Dato for MUS"),
        Para("12.03.2025"),
        Para("Kompetenceudvikling"),  # a heading the form has no field for: not the date's
        Para("Hvilke kompetencer skal udvikles og med hvilke mål?"),
        Para("Journalføring"),
        Para("Underskrift medarbejder: Mette Ølgod"),
        Para("Dato: 18.03.2025"),
    )
    assert values == {
        "meeting_date": "12.03.2025",
        "plan_1_competence": "Journalføring",
        "signature_employee": "Mette Ølgod",
        "signature_employee_date": "18.03.2025",
    }


def test_an_organisations_own_numbering_and_no_headings_at_all() -> None:
    """Sections numbered the organisation's way (seed 004's "9. Dato for næste samtale"), a
    goal table with no heading over it (the agreement has only one), a label with a hint in
    parentheses and a line to write on left blank."""
    from formflow.read.labels import Para, Table

    values = agreement_blocks(
        Para("Dato for samtale (dd.mm.åååå): 12.03.2025"),
        Table(
            (
                ("Område", "Mål", "Start", "Slut"),
                ("Faglig udvikling", "Kursus i røntgenhygiejne", "01.04.2025", "30.09.2025"),
            )
        ),
        Para("9. Dato for næste samtale"),
        Para("10.03.2026"),
        Para("Stilling: ____________"),  # a label with a line to write on: not answered
        Table((("Leder", "Karen Holm ________"),)),
    )
    assert values == {
        "meeting_date": "12.03.2025",
        "goal_professional_1_text": "Kursus i røntgenhygiejne",
        "goal_professional_1_start": "01.04.2025",
        "goal_professional_1_end": "30.09.2025",
        "next_meeting_date": "10.03.2026",
        "leader_name": "Karen Holm",
    }


def test_a_heading_of_the_organisations_own_ends_an_answer_and_is_none() -> None:
    """Seed 003's theme headings are no labels formflow knows: under an unanswered question
    the next theme's heading is not its answer."""
    from formflow.forms.library import load_definition
    from formflow.read.labels import Para, read_blocks

    blocks = [
        Para("4. Hvordan fungerer mit samarbejde med mine kollegaer, med samarbejdspartnere fra "
             "andre afdelinger, eksterne samarbejdspartnere mv.?"),
        Para("Motivation og trivsel", heading=True),
        Para("1. Hvad motiverer mig?"),
        Para("At løse problemer for kunderne."),
    ]  # fmt: skip
    assert read_blocks(load_definition("preparation"), blocks) == {
        "q_motivation": "At løse problemer for kunderne."
    }


def test_labels_of_fields_the_form_has_not_end_an_answer() -> None:
    """Seed 004's preparation form has a "9. Dato for næste samtale" and a leader's signature;
    formflow's preparation form has neither: they end the answer above, and are not read."""
    from formflow.forms.library import load_definition
    from formflow.read.labels import Para, read_blocks

    blocks = [
        Para("8. Andet du ønsker at drøfte?"),
        Para("Mulighed for at gå ned i tid."),
        Para("1. fra august"),  # a numbered list in the answer
        Para("9. Næste samtale holdes hos"),  # a later numbered section the form has not
        Para("Birgittes kontor"),
        Para("10. Underskrift"),
        Para("Underskrift (medarbejder)"),
        Para("Jens Søgaard"),
        Para("Underskrift (leder)"),
        Para("Birgitte Nørgaard"),
    ]
    assert read_blocks(load_definition("preparation"), blocks) == {
        "other_topics": "Mulighed for at gå ned i tid.\n1. fra august",
        "signature_employee": "Jens Søgaard",
    }


def test_a_signature_date_label_without_a_role_is_the_only_signatures() -> None:
    from formflow.forms.library import load_definition
    from formflow.read.labels import Para, read_blocks

    blocks = [Para("Dato for underskrift: 28.01.2025")]
    assert read_blocks(load_definition("preparation"), blocks) == {
        "signature_employee_date": "28.01.2025"
    }
    assert agreement_blocks(*blocks) == {}  # the leader's or the employee's?


def test_a_label_that_names_two_fields_names_neither() -> None:
    from formflow.read.labels import Para

    # Both signatures of the agreement are an "Underskrift"; no signature was placed before.
    assert agreement_blocks(Para("Underskrift: Karen Holm"), Para("Dato: 14.03.2025")) == {}


def test_a_header_row_cut_by_a_page_break_is_joined() -> None:
    from formflow.read.labels import Para, Table

    values = agreement_blocks(
        Para("1. Aftaler og mål for det kommende år"),
        Table((("Hjælp til andre dele af", "Aftaler og mål", "Startdato", "Slutdato"),)),
        Table(
            (
                ("firmaet", "(konkrete og målbare)", "", ""),
                ("", "Hjælpe økonomi med status", "01.12.2025", "31.01.2026"),
            )
        ),
    )
    assert values["goal_company_1_text"] == "Hjælpe økonomi med status"
    assert values["goal_company_1_end"] == "31.01.2026"


def words(line: str, top: float, x: float = 10.0, font: str = "Sans") -> list[Word]:
    out = []
    for text in line.split():
        width = len(text) * 5.5
        out.append(Word(text, x, x + width, top, top + 10.0, font))
        x += width + 3.0
    return out


def test_a_value_wrapped_under_itself_beside_its_label_is_one_value() -> None:
    from formflow.read.labels import Table
    from formflow.read.layout import free_blocks

    lines = (
        words("Andre aktiviteter:", 0)
        + words("Flytning af lageret til den nye hal i Vejle,", 0, x=200)
        + words("hvor jeg stod for planlægningen.", 13, x=200)
        + words("Arbejdsmiljø:", 26)
        + words("Bedre lys.", 26, x=200)
        + words("Nye måtter.", 39, x=200)
    )
    blocks = [block for _, block in free_blocks(lines, 460)]
    assert blocks == [
        Table(
            (
                (
                    "Andre aktiviteter:",
                    "Flytning af lageret til den nye hal i Vejle, hvor jeg stod for planlægningen.",
                ),
            )
        ),
        Table((("Arbejdsmiljø:", "Bedre lys.\nNye måtter."),)),
    ]


def test_a_bold_label_line_is_no_wrapped_line_of_the_answer_above() -> None:
    from formflow.read.labels import Para
    from formflow.read.layout import free_blocks

    lines = words("Bedre til journalføring, så den er klar samme dag", 0) + words(
        "Hvilke kompetenceudviklingsaktiviteter skal gennemføres?", 13, font="Sans-Bold"
    )
    blocks = [block for _, block in free_blocks(lines, 290)]
    assert blocks == [
        Para("Bedre til journalføring, så den er klar samme dag"),
        Para("Hvilke kompetenceudviklingsaktiviteter skal gennemføres?", heading=True),
    ]


def test_a_word_that_may_be_cut_or_wrapped_is_not_guessed() -> None:
    """`journaler` filling a narrow cell over `er`: "journalerer" cut by the filler, or
    "journaler er" wrapped. The answer is not found; a word whose rest is no word of its own
    (`Sidemandsoplæri` over `ng`) is joined."""
    from formflow.read.labels import UNCERTAIN, Table
    from formflow.read.layout import cell_text

    uncertain = cell_text(words("journaler", 0) + words("er skrevet", 12), 8.0, 62.0)
    assert UNCERTAIN in uncertain
    assert cell_text(words("oplæri", 0) + words("ng", 12), 8.0, 45.0) == "oplæring"
    values = agreement_blocks(Table((("Hvornår følges der op?", uncertain),)))
    assert "plan_1_followup_date" not in values


def test_ghostscripts_byte_swapped_ligatures_are_repaired() -> None:
    from formflow.read.layout import _repaired

    assert _repaired("Truckcerti\u6600\u6900kat") == "Truckcertifikat"
    assert _repaired("Søgaard") == "Søgaard"


def test_a_glyph_without_a_character_makes_its_word_uncertain() -> None:
    from formflow.read.labels import UNCERTAIN
    from formflow.read.layout import _repaired

    assert _repaired("Kj(cid:1)rgaard") == f"Kj{UNCERTAIN}rgaard"
    assert _repaired("(cid:12)(cid:3)") == UNCERTAIN * 2


@pytest.mark.needs("gs")
def test_text_a_printer_left_without_characters_is_never_an_answer(tmp_path: Path) -> None:
    """Ghostscript prints reportlab's embedded fonts without their map to Unicode: "æøå"
    come out as glyphs with no character (pdfminer's `(cid:1)`). A name holding one is not
    read (it is not found, never "Kj(cid:1)rgaard"); the lines without one still are."""
    import subprocess

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("Vera", "Vera.ttf"))  # a TrueType font reportlab ships
    drawn, printed = tmp_path / "drawn.pdf", tmp_path / "printed.pdf"
    c = canvas.Canvas(str(drawn), pagesize=A4)
    c.setFont("Vera", 10)
    for y, line in (
        (800, "Udviklings- og aftaleskema 2025"),
        (770, "Navn: Mette Kjærgaard Ølgod"),
        (750, "Stilling: Klinikassistent"),
        (730, "Dato for samtale: 12.03.2025"),
    ):
        c.drawString(50, y, line)
    c.save()
    subprocess.run(
        ["gs", "-q", "-dNOPAUSE", "-dBATCH", "-sDEVICE=pdfwrite", f"-sOutputFile={printed}",
         str(drawn)],
        check=True, timeout=120,
    )  # fmt: skip
    extraction = read_form(printed, Settings())
    found = {key: value for key, value in extraction.fields.items() if value}
    assert found == {"employee_position": "Klinikassistent", "meeting_date": "2025-03-12"}


# --- vocabulary --------------------------------------------------------------------------------


def test_the_vocabulary_gives_the_organisations_words() -> None:
    from formflow.read.labels import Para

    values = agreement_blocks(
        Para("Klinikejer: Karen Holm"),
        Para("Samtaledato: 12.03.2025"),
        Para("Medarb.nr.: 2231"),
    )
    assert values == {
        "leader_name": "Karen Holm",
        "meeting_date": "12.03.2025",
        "employee_number": "2231",
    }


def test_an_organisation_adds_its_own_words_in_its_settings(tmp_path: Path) -> None:
    from formflow.config import settings_from_dict
    from formflow.forms.library import load_definition
    from formflow.read.labels import Para, read_blocks
    from formflow.read.vocabulary import vocabulary_for

    own = tmp_path / "ord.toml"
    own.write_text(
        '[roles]\nleader = ["praksisansvarlig"]\n[labels]\nleader_name = ["Fagansvarlig"]\n'
    )
    settings = settings_from_dict({"forms": {"vocabulary": str(own)}})
    blocks = [Para("Fagansvarlig: Karen Holm"), Para("Underskrift, praksisansvarlig: Karen Holm")]
    definition = load_definition("agreement")
    assert read_blocks(definition, blocks, vocabulary_for(Settings())) == {}
    assert read_blocks(definition, blocks, vocabulary_for(settings)) == {
        "leader_name": "Karen Holm",
        "signature_leader": "Karen Holm",
    }


def test_a_malformed_vocabulary_is_refused() -> None:
    from formflow.errors import DefinitionError
    from formflow.read.vocabulary import parse_vocabulary

    with pytest.raises(DefinitionError, match="unknown table"):
        parse_vocabulary([("ord.toml", "[label]\nleader_name = ['Chef']\n")])
    with pytest.raises(DefinitionError, match="list of words"):
        parse_vocabulary([("ord.toml", "[labels]\nleader_name = 'Chef'\n")])


def test_an_unusable_vocabulary_file_is_a_settings_error(tmp_path: Path) -> None:
    from formflow.config import settings_from_dict
    from formflow.errors import SettingsError

    with pytest.raises(SettingsError, match=r"forms\.vocabulary"):
        settings_from_dict({"forms": {"vocabulary": str(tmp_path / "missing.toml")}})
    broken = tmp_path / "ord.toml"
    broken.write_text("[labels]\nleader_name = 'Chef'\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="list of words"):
        settings_from_dict({"forms": {"vocabulary": str(broken)}})


def test_the_vocabulary_file_is_no_form_definition() -> None:
    from formflow.forms.library import available_definitions

    assert "vocabulary" not in available_definitions(Settings())


# --- never guess: what is missing goes back, named ------------------------------------------------


def test_a_foreign_form_missing_required_values_goes_back_naming_them() -> None:
    """Seed 000's clinic form without its meeting date (required on every form, whatever
    places it has): the form is read, and the rejection names the field in Danish. (Its
    missing employee number and "Dato for næste samtale", fields the form has no place for,
    are not required: issue 14's item 4, tests/test_nonumber.py.)"""
    from dataclasses import replace
    from datetime import date, datetime

    from formflow.checking import check_form
    from formflow.forms.library import load_definition
    from formflow.notices import labels_of, rejection_notice

    extraction = read_form(FOREIGN / "clinic-agreement-lo.pdf", Settings())
    fields = {k: v for k, v in extraction.fields.items() if k != "meeting_date"}
    result = check_form(replace(extraction, fields=fields), Settings(), today=date(2025, 4, 1))
    errors = [p for p in result.problems if p.severity == "error"]
    assert [(p.field, p.code) for p in errors] == [("meeting_date", "required_missing")]
    labels = labels_of(load_definition("agreement"))
    notice = rejection_notice(
        "klinik.pdf", errors, labels=labels, received=datetime(2025, 4, 1, 9, 0)
    )
    assert labels["meeting_date"] in notice and "ikke udfyldt" in notice


def test_words_placeholder_in_an_empty_content_control_is_no_answer() -> None:
    """An HR department's Word form with its own (untagged) content controls: an empty one
    shows "Klik eller tryk her for at skrive tekst." in the placeholder style; printed to PDF
    the phrase is page text."""
    from lxml import etree

    from formflow.read.docx_labels import W_NS, body_blocks
    from formflow.read.labels import Para, Table

    showing = (
        "<w:sdt><w:sdtPr><w:showingPlcHdr/></w:sdtPr><w:sdtContent><w:r><w:t>"
        "Klik eller tryk her for at skrive tekst.</w:t></w:r></w:sdtContent></w:sdt>"
    )
    styled = (
        '<w:r><w:rPr><w:rStyle w:val="PlaceholderText"/></w:rPr>'
        "<w:t>Klik eller tryk for at angive en dato.</w:t></w:r>"
    )
    root = etree.fromstring(
        f'<w:document xmlns:w="{W_NS}"><w:body>'
        f"<w:p><w:r><w:t>Stilling: </w:t></w:r>{showing}</w:p>"
        f"<w:p><w:r><w:t>Dato for samtale: </w:t></w:r>{styled}</w:p>"
        "<w:p><w:r><w:t>Navn: </w:t></w:r><w:sdt><w:sdtPr/><w:sdtContent><w:r><w:t>Mette"
        "</w:t></w:r></w:sdtContent></w:sdt></w:p></w:body></w:document>"
    )
    blocks = body_blocks(root)
    assert blocks == [Para("Stilling: "), Para("Dato for samtale: "), Para("Navn: Mette")]
    printed = agreement_blocks(Table((("Stilling", "Klik eller tryk her for at skrive tekst."),)))
    assert printed == {"employee_position": ""}


def test_a_line_clearly_larger_than_the_body_is_a_heading_a_little_larger_is_an_answer() -> None:
    from formflow.read.labels import Para
    from formflow.read.layout import free_blocks

    def line(text: str, top: float, size: float) -> list[Word]:
        return [Word(text, 10.0, 10.0 + len(text) * size * 0.5, top, top + size, "Sans")]

    lines = (
        line("Navn", 0, 10) + line("Mette Ølgod", 14, 12)  # the answer typed a little larger
        + line("Stilling", 40, 10) + line("Klinikassistent", 54, 12)
        + line("Leder", 80, 10) + line("Udviklingsplan", 100, 14)
    )  # fmt: skip
    blocks = [block for _, block in free_blocks(lines, 400)]
    assert blocks == [
        Para("Navn"),
        Para("Mette Ølgod"),
        Para("Stilling"),
        Para("Klinikassistent"),
        Para("Leder"),
        Para("Udviklingsplan", heading=True),
    ]
