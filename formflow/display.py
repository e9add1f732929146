"""Values from forms and rosters made safe to show: on a terminal, and in a spreadsheet (pure).

A record keeps what a form held, byte for byte: line breaks, NUL, right-to-left overrides
too. Shown as they are they do harm: a line break splits a table's row, a right-to-left
override (U+202E) turns the rest of the line around, so `skema<U+202E>fdp.exe` reads as
`skemaexe.pdf`; and a spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a
formula (`=HYPERLINK(...)` sends the sheet's data away when clicked). What is shown is made
safe here, at the edge; the record, the index and the JSON output keep the exact value (JSON
escapes what it must).

`shown` makes a value one line a person can read: a line break becomes `⏎`, every other
control character (C0, DEL, C1), bidirectional formatting character (U+061C, U+200E, U+200F,
U+202A-U+202E, U+2066-U+2069) and lone surrogate becomes `<U+XXXX>`, so that it is seen, not
obeyed and not silently dropped. Other invisible characters that shape text (zero-width
joiners in emoji, soft hyphens) are shown as they are.

`excel_csv` writes a CSV for Danish Excel, every cell through `excel_field`: a cell that
starts with `=`, `+`, `-`, `@`, tab, carriage return, line feed or NUL gets a `'` in front
and is quoted (OWASP's advice on CSV injection; a `'` makes Excel read the rest as text).
Every cell is text to formflow (employee numbers too), so the rule holds for every cell, a
name like "-5" included. Any other cell is written as Python's csv module writes it (quoted
when it holds a `;`, a quote or a line break), so ordinary names come out as they are. The
file is for Excel splitting on `;`: a program that splits it on commas misreads every line
and is not guarded against.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

# what str.splitlines() breaks a line at; \r\n is one break
_LINE_BREAK = re.compile("\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_HIDDEN = re.compile(
    "[\x00-\x1f\x7f-\x9f"  # C0, DEL, C1 controls
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidirectional formatting
    "\ud800-\udfff]"  # lone surrogates (a name not UTF-8 read with surrogateescape)
)
LINE_BREAK_MARK = "⏎"


def shown(value: str, *, keep_lines: bool = False) -> str:
    """`value` as a person may safely read it on one line: line breaks as `⏎`, other control
    and bidirectional formatting characters as `<U+XXXX>`; ordinary text (æøå, "O'Brien",
    "Anne-Marie", any script) as it is. `keep_lines`: line breaks stay, as `\\n` (a multi-line
    answer in a table cell)."""
    if value.isprintable():  # nearly every value: one pass in C
        return value
    value = _LINE_BREAK.sub("\n" if keep_lines else LINE_BREAK_MARK, value)
    if keep_lines:
        return "\n".join(_HIDDEN.sub(_code_point, line) for line in value.split("\n"))
    return _HIDDEN.sub(_code_point, value)


def _code_point(found: re.Match[str]) -> str:
    return f"<U+{ord(found.group()):04X}>"


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
_QUOTED = re.compile('[;"\r\n]')  # what csv.writer quotes: the separator, a quote, a line end


def excel_field(value: str | None) -> str:
    """One CSV cell as written for Excel: "" for None; a cell Excel could take for a formula
    with `'` in front, quoted; a cell holding a `;`, quote or line break quoted (inner
    quotes doubled); any other as it is."""
    if not value:
        return ""
    if value.startswith(FORMULA_STARTS):
        value = "'" + value
    elif _QUOTED.search(value) is None:
        return value
    return '"' + value.replace('"', '""') + '"'


def excel_csv(headings: Sequence[str], rows: Iterable[Sequence[str | None]]) -> bytes:
    """A CSV for Danish Excel: `;` between cells (the comma is the decimal mark there), UTF-8
    with a BOM (else Excel reads æøå as Latin-1), CRLF line ends; every cell `excel_field`."""
    field, lines = excel_field, []
    for row in (headings, *rows):
        line = ";".join(map(field, row))
        lines.append(line if line or len(row) != 1 else '""')  # else it reads as no cell
    return "\ufeff".encode() + "".join(line + "\r\n" for line in lines).encode("utf-8")
