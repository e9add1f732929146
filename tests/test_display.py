"""Values from forms made safe to show (`formflow.display`; issue 13 item 5)."""

from __future__ import annotations

import csv
import io
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formflow.display import FORMULA_STARTS, excel_csv, excel_field, shown

ORDINARY = ["Anne-Marie O'Brien", "Søren Ærø Ålund", "Hansen, Bo (HR)", "王小明", "👩‍💻 Ida", ""]
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


@pytest.mark.parametrize("name", ORDINARY)
def test_ordinary_text_is_shown_and_written_as_it_is(name: str) -> None:
    assert shown(name) == name and shown(name, keep_lines=True) == name
    assert excel_field(name) == (f'"{name}"' if '"' in name else name)


def test_line_breaks_and_hidden_characters_are_marked() -> None:
    assert shown("Anne\r\nHansen\n") == "Anne⏎Hansen⏎"
    assert shown("a\u2028b\x85c\rd") == "a⏎b⏎c⏎d"
    assert shown("skema\u202efdp.exe") == "skema<U+202E>fdp.exe"
    assert shown("a\x00b\tc\x1b[31md\x7f") == "a<U+0000>b<U+0009>c<U+001B>[31md<U+007F>"
    assert shown("a\udc80b") == "a<U+DC80>b"  # a lone surrogate: printable, not a crash
    assert shown("mål 1\r\nmål\u202e 2", keep_lines=True) == "mål 1\nmål<U+202E> 2"
    assert shown("\u00a0nbsp\u00ad") == "\u00a0nbsp\u00ad"  # not printable, not harmful


@settings(max_examples=300)
@given(st.text())
def test_shown_is_one_line_with_nothing_hidden(value: str) -> None:
    text = shown(value)
    assert len(text.splitlines()) <= 1
    assert not any(unicodedata.category(ch) in ("Cc", "Cs") or ch in BIDI for ch in text)
    text.encode("utf-8")  # printable on any UTF-8 terminal
    if value.isprintable():
        assert text == value


@settings(max_examples=300)
@given(st.text())
def test_shown_keeping_lines_keeps_the_lines(value: str) -> None:
    """The lines are str.splitlines()'s, each shown; a break at the end stays one too."""
    lines = [shown(line) for line in (value + "x").splitlines()]  # "x": the last line's end
    lines[-1] = lines[-1][:-1]
    assert shown(value, keep_lines=True).split("\n") == lines


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ('=HYPERLINK("http://x","klik")', '"\'=HYPERLINK(""http://x"",""klik"")"'),
        ("@SUM(A1)", '"\'@SUM(A1)"'),
        ("-5", '"\'-5"'),
        ("+45 12345678", '"\'+45 12345678"'),
        ("\t=1+1", '"\'\t=1+1"'),
        ("\r=1+1", '"\'\r=1+1"'),
        ("\x00=1", '"\'\x00=1"'),
        ("Bo; Bæk", '"Bo; Bæk"'),
        (None, ""),
        ("1042", "1042"),
        ("2026-05-20", "2026-05-20"),
    ],
)
def test_a_cell_excel_could_run_is_neutralised(value: str | None, field: str) -> None:
    assert excel_field(value) == field


CELLS = st.none() | st.text() | st.sampled_from(["=1+1", "@A1", "-5", "+1", "x;y", '"q"'])


@settings(max_examples=300)
@given(st.lists(st.lists(CELLS, min_size=1, max_size=5), max_size=4))
def test_excel_reads_back_every_cell_and_none_starts_a_formula(
    rows: list[list[str | None]],
) -> None:
    """csv.reader reads the cells back: each as it was, a formula's with its `'`; and a cell
    that is no formula is written byte for byte as csv.writer writes it."""
    width = max(map(len, rows), default=1)
    rows = [row + [""] * (width - len(row)) for row in rows]
    headings = [f"h{n}" for n in range(width)]
    data = excel_csv(headings, rows)
    assert data.startswith(b"\xef\xbb\xbf")
    read = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    expected = [
        ["'" + c if c and c.startswith(FORMULA_STARTS) else c or "" for c in row] for row in rows
    ]
    assert read == [headings, *expected]
    safe = [row for row in rows if not any(c and c.startswith(FORMULA_STARTS) for c in row)]
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows([headings, *safe])
    assert excel_csv(headings, safe) == "\ufeff".encode() + out.getvalue().encode("utf-8")
