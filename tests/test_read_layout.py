"""The layout reader and the label matching it shares with the DOCX label reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from formflow.config import Settings
from formflow.forms.library import load_definition
from formflow.read.labels import Block, Para, Table, read_blocks, title_kind
from formflow.read.layout import Word, cell_text, free_blocks, read_layout

SAMPLES = Path(__file__).parent / "samples"


def words(line: str, top: float, x: float = 10.0, size: float = 10.0) -> list[Word]:
    """Words of one line in a 5.5 pt-per-character font, one space between them."""
    out = []
    for text in line.split():
        width = len(text) * 5.5
        out.append(Word(text, x, x + width, top, top + size))
        x += width + 3.0
    return out


def test_soft_wrap_joins_with_a_space_and_line_break_is_kept() -> None:
    wrapped = words("Gennemføre kursus i", 0) + words("Excel for øvede", 12)
    assert cell_text(wrapped, 5.0, 130.0) == "Gennemføre kursus i Excel for øvede"
    broken = words("Årsafslutning.", 0) + words("Flytning af arkivet.", 12)
    assert cell_text(broken, 5.0, 300.0) == "Årsafslutning.\nFlytning af arkivet."


def test_side_by_side_lines_become_a_table_under_their_labels() -> None:
    line = words("20.3.2026", 0) + words("Åge Østergaard", 0, x=200)
    labels = words("Dato", 14) + words("Underskrift (medarbejder)", 14, x=200)
    blocks = [block for _, block in free_blocks(line + labels, 600)]
    assert blocks == [
        Table((("20.3.2026", "Åge Østergaard"), ("Dato", "Underskrift (medarbejder)")))
    ]


@pytest.mark.parametrize(
    ("text", "kind", "year"),
    [
        pytest.param("Forberedelsesskema til MUS 2027", "preparation", 2027, id="preparation"),
        pytest.param("Udviklings- og aftaleskema til MUS 2027", "agreement", 2027, id="agreement"),
        pytest.param(
            "Forberedelseskema til Medarbejderudviklings- samtale (MUS)",
            "preparation",
            None,
            id="seed_004_spelling",
        ),
        pytest.param("Referat af personalemøde 2027", None, None, id="not_a_form"),
    ],
)
def test_title_gives_kind_and_year(text: str, kind: str | None, year: int | None) -> None:
    assert title_kind(text) == (kind, year)


GOAL_HEADER = ("Område", "Aftaler og mål (konkrete og målbare)", "Startdato", "Slutdato")


def test_section_decides_between_last_years_goals_and_next_years() -> None:
    definition = load_definition("preparation")
    blocks: list[Block] = [
        Para("2. Status på mål og aftaler fra sidste MUS"),
        Table(
            (
                (*GOAL_HEADER, "Status (1-4)"),
                ("Faglig udvikling", "Excel-kursus", "12.03.2026", "", "3"),
                (None, "Lønsystemet", "", "", "2"),
            )
        ),
        Para("5. Aftaler og mål for det kommende år"),
        Table((GOAL_HEADER, ("Hjælp til salg", "Månedsrapport", "", "01.09.2026"))),
    ]
    values = read_blocks(definition, blocks)
    assert values["prev_goal_professional_1_text"] == "Excel-kursus"
    assert values["prev_goal_professional_1_status"] == "3"
    assert values["prev_goal_professional_2_text"] == "Lønsystemet"
    assert values["goal_sales_1_text"] == "Månedsrapport"
    assert values["goal_sales_1_end"] == "01.09.2026"
    assert "goal_professional_1_text" not in values
    assert "prev_goal_sales_1_text" not in values


def test_goal_table_outside_any_known_section_is_not_guessed() -> None:
    values = read_blocks(
        load_definition("preparation"),
        [Table((GOAL_HEADER, ("Faglig udvikling", "Excel-kursus", "", "")))],
    )
    assert values == {}


def test_two_different_answers_for_one_field_leave_it_out() -> None:
    blocks: list[Block] = [Para("Navn: Birthe Ærø"), Table((("Navn", "Bo Ærø"), ("Leder", "Åge")))]
    values = read_blocks(load_definition("agreement"), blocks)
    assert "employee_name" not in values
    assert values["leader_name"] == "Åge"


def test_label_over_answer_in_one_cell_and_placeholders() -> None:
    blocks = [Table((("Navn\nBirthe Ærø", "Stilling\nSkriv her"),))]
    values = read_blocks(load_definition("agreement"), blocks)
    assert values == {"employee_name": "Birthe Ærø", "employee_position": ""}


def test_flattened_sample_is_identified_and_read(tmp_path: Path) -> None:
    data = (SAMPLES / "agreement-qpdf-flattened.pdf").read_bytes()
    extraction = read_layout(data, "agreement.pdf", Settings())
    assert (extraction.reader, extraction.kind, extraction.year) == ("layout", "agreement", 2026)
    assert extraction.fields["employee_name"] == "Birthe Ærø Søndergård"
    assert extraction.fields["next_meeting_date"] == "2027-03-15"
    assert extraction.raw["next_meeting_date"] == "15. marts 2027"
