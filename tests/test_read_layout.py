"""The layout reader and the label matching it shares with the DOCX label reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from formflow.config import Settings
from formflow.forms.library import load_definition
from formflow.read.labels import UNCERTAIN, Block, Para, Table, read_blocks, title_kind
from formflow.read.layout import (
    _TABLE_SETTINGS,
    _WORD_SETTINGS,
    Word,
    _cells,
    _is_ruling,
    cell_text,
    free_blocks,
    joined_pages,
    page_content,
    place_words,
    read_layout,
    ruled_tables,
    ruling_edges,
)

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


# --- the page read once: the same words, lines and tables as pdfplumber's own ----------------


def _sample_pdfs() -> list[Path]:
    """Every sample pdfplumber opens (the broken ones it refuses are no page to compare)."""
    import pdfplumber

    found = []
    for path in sorted(SAMPLES.rglob("*.pdf")):
        try:
            with pdfplumber.open(path) as pdf:
                if len(pdf.pages) <= 20:
                    found.append(path)
        except Exception:  # pdfminer raises many types for a broken sample
            continue
    return found


@pytest.mark.parametrize("path", _sample_pdfs(), ids=lambda path: path.stem)
def test_page_content_and_tables_are_pdfplumbers(path: Path) -> None:
    """`page_content`'s lean characters make the words `page.extract_words` makes, and
    `ruled_tables` finds the cells `find_tables` finds on the filtered page: a pdfplumber
    upgrade that changes either shows here, not as a silently different reading."""
    import pdfplumber
    from pdfplumber.utils import extract_words

    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            content = page_content(page)
            if len(content.chars) == len(page.chars):
                assert extract_words(content.chars, **_WORD_SETTINGS) == page.extract_words(
                    **_WORD_SETTINGS
                )
            else:  # characters a form XObject clips away are left out, the rest are its own
                kept = [(c["text"].rstrip(UNCERTAIN), c["x0"], c["top"]) for c in content.chars]
                assert set(kept) <= {(c["text"], c["x0"], c["top"]) for c in page.chars}
            assert (content.lines, content.rects) == (page.lines, page.rects)
            edges = ruling_edges(content)
            ruled = page.filter(_is_ruling)
            assert edges == ruled.edges
            expected = [table.cells for table in ruled.find_tables(_TABLE_SETTINGS)]
            assert [table.cells for table in ruled_tables(page, edges)] == expected


def _edge(x0: float, top: float, x1: float, bottom: float) -> dict[str, object]:
    vertical = x0 == x1
    return {
        "x0": x0,
        "x1": x1,
        "top": top,
        "bottom": bottom,
        "width": x1 - x0,
        "height": bottom - top,
        "orientation": "v" if vertical else "h",
        "object_type": "line",
    }


def test_cells_are_pdfplumbers_with_merged_and_open_cells() -> None:
    """A 3x3 grid whose middle row spans two columns, one cell left open on its right, and a
    stray line crossing it: the same cells, in the same order, as pdfplumber's search."""
    from pdfplumber.table import edges_to_intersections, intersections_to_cells

    edges = [_edge(0, y, 300, y) for y in (0, 20, 40, 60)]
    edges += [_edge(x, 0, x, 60) for x in (0, 300)]
    edges += [_edge(100, 0, 100, 20), _edge(100, 40, 100, 60), _edge(200, 0, 200, 60)]
    edges += [_edge(250, 45, 250, 58), _edge(150, 10, 280, 10)]
    intersections = edges_to_intersections(edges, 3, 3)
    assert _cells(intersections) == intersections_to_cells(intersections)
    assert (0, 20, 200, 40) in _cells(intersections)  # the merged cell


def test_a_word_goes_to_the_first_cell_holding_its_centre() -> None:
    """By table, row, column, as one pass per cell over the words did; others stay free."""

    class Row:
        def __init__(self, cells: list[tuple[float, float, float, float] | None]) -> None:
            self.cells = cells
            present = [c for c in cells if c is not None]
            self.bbox = (
                min(c[0] for c in present),
                min(c[1] for c in present),
                max(c[2] for c in present),
                max(c[3] for c in present),
            )

    first = [Row([(0, 0, 50, 20), (50, 0, 100, 20)]), Row([(0, 20, 100, 40), None])]
    second = [Row([(40, 10, 200, 30)])]  # overlaps the first table: its words come first
    grids = [((0, 0, 100, 40), first), ((40, 10, 200, 30), second)]
    on_border = Word("Grænse", 45, 55, 5, 15)  # centre x=50: both cells hold it
    spanning = Word("Række", 10, 90, 25, 35)
    overlap = Word("Overlap", 60, 80, 12, 18)
    second_only = Word("Anden", 150, 170, 12, 18)
    outside = Word("Side", 300, 320, 5, 15)
    cells, free = place_words([on_border, spanning, overlap, second_only, outside], grids)
    assert cells == {
        (0, 0, 0): [on_border],
        (0, 1, 0): [spanning],
        (0, 0, 1): [overlap],
        (1, 0, 0): [second_only],
    }
    assert free == [outside]


# --- a table continued on the next page --------------------------------------------------------


def _part(page: int, rows: tuple[tuple[str, ...], ...], top: float = 60.0) -> Table:
    """A ruled table on `page`: columns at x 50-150, 150-300, 300-400, rows 20 pt high."""
    edges = ((50.0, 150.0), (150.0, 300.0), (300.0, 400.0))
    boxes = tuple(
        tuple((page, (x0, top + 20 * r, x1, top + 20 * r + 20)) for x0, x1 in edges)
        for r in range(len(rows))
    )
    return Table(rows, boxes)


def test_a_table_cut_by_a_page_break_is_one_table_its_cut_row_joined_uncertainly() -> None:
    head = ("", "Behov for kompetenceu", "Tidspunkt")
    rest = ("", "dvikling", "")
    before = _part(2, (("Område", "Mål", "Hvornår"), head), top=700.0)
    after = _part(3, (rest, ("Nærmeste fremtid", "Excel", "Foråret")))
    joined = joined_pages([[Para("Kompetencer", True), before], [after, Para("Slut", True)]])
    assert joined == [
        Para("Kompetencer", True),
        Table(
            (
                ("Område", "Mål", "Hvornår"),
                ("", f"Behov for kompetenceu{UNCERTAIN}dvikling", "Tidspunkt"),
                ("Nærmeste fremtid", "Excel", "Foråret"),
            )
        ),
        Para("Slut", True),
    ]
    assert joined[1].boxes[1] == (None, None, None)  # the cut row is on two pages


def test_a_next_pages_first_row_of_its_own_is_a_row_of_its_own() -> None:
    before = _part(1, (("Område", "Mål", "Hvornår"), ("Faglig udvikling", "Excel", "Maj")))
    after = _part(2, (("Personlig udvikling", "oplæg", "juni"),))
    (joined,) = joined_pages([[before], [after]])
    assert isinstance(joined, Table) and len(joined.rows) == 3


def test_tables_not_continued_stay_apart() -> None:
    before = _part(1, (("Område", "Mål", "Hvornår"), ("a", "b", "c")))
    moved = Table(
        (("x", "y", "z"),),
        (tuple((2, (x0 + 20, 60.0, x0 + 90, 80.0)) for x0 in (50.0, 150.0, 300.0)),),
    )
    assert len(joined_pages([[before], [moved]])) == 2  # columns elsewhere
    assert (
        len(joined_pages([[before], [Para("7. Andet", True), _part(2, (("d", "e", "f"),))]])) == 3
    )
    assert len(joined_pages([[before], [], [_part(3, (("d", "e", "f"),))]])) == 2  # a page apart
