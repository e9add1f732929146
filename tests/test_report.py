"""What `formflow status` prints: the JSON written row by row is exactly json.dumps' text, and
the plain table keeps its columns straight for any name (æøå, combining marks, wide letters)."""

from __future__ import annotations

import json
import sys
import unicodedata
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formflow import report
from formflow.rounds import (
    TABLE_HEADINGS,
    RoundStatus,
    StatusRow,
    table_cells,
    totals,
    totals_line,
)

PREPARATION = ("on_time", "late", "received", "missing")
AGREEMENT = ("signed", "awaiting_employee", "awaiting_leader", "missing")
DAY = st.dates(date(2000, 1, 1), date(2100, 12, 31)).map(date.isoformat)


def _row(number: str, name: str, leader: str = "Lise Leder", **changes: Any) -> StatusRow:
    row = StatusRow(
        number=number,
        name=name,
        leader=leader,
        preparation="on_time",
        preparation_arrived="2026-05-01",
        preparation_deadline="2026-05-13",
        meeting_date="2026-05-20",
        agreement="signed",
        followups_due=("2026-06-10",),
        followups_overdue=(),
        next_meeting_date=None,
    )
    return row._replace(**changes)


def _status(rows: list[StatusRow]) -> RoundStatus:
    return RoundStatus(2026, date(2026, 6, 1), tuple(rows), totals(rows))


rows = st.builds(
    StatusRow,
    number=st.text(min_size=1),
    name=st.text(),  # any text: quotes, backslashes, control characters, æøå, emoji, U+2028
    leader=st.text(),
    preparation=st.sampled_from(PREPARATION),
    preparation_arrived=st.none() | DAY,
    preparation_deadline=st.none() | DAY,
    meeting_date=st.none() | DAY,
    agreement=st.sampled_from(AGREEMENT),
    followups_due=st.lists(DAY, max_size=3).map(tuple),
    followups_overdue=st.lists(DAY, max_size=3).map(tuple),
    next_meeting_date=st.none() | DAY,
)


@settings(max_examples=200)
@given(st.lists(rows, max_size=5))
def test_status_json_is_the_text_json_dumps_writes(found: list[StatusRow]) -> None:
    status = _status(found)
    expected = json.dumps(status.to_json(), ensure_ascii=False, indent=2)
    assert report.status_json(status) == expected


def test_status_json_of_an_empty_round() -> None:
    status = RoundStatus(2026, date(2026, 6, 1), (), {})
    assert report.status_json(status) == json.dumps(status.to_json(), ensure_ascii=False, indent=2)


def _starts(line: str, cells: tuple[str, ...]) -> list[int]:
    """The screen column where each cell starts in a printed line."""
    starts, at = [], 0
    for cell in cells:
        at = line.index(cell, at)
        starts.append(report._text_width(line[:at]))
        at += len(cell)
    return starts


@pytest.mark.parametrize(
    "names",
    [
        pytest.param(("Anne Ås", "Bo Bæk", "Cæcilie Øst"), id="danish"),
        pytest.param(
            (unicodedata.normalize("NFD", "Søren Ærø Ålund"), "Bo Bæk", "Ida"), id="combining"
        ),
        pytest.param(("王小明", "Bo Bæk", "Ida"), id="wide"),
    ],
)
def test_status_table_keeps_its_columns(names: tuple[str, ...]) -> None:
    found = [_row(str(100 + n), name) for n, name in enumerate(names)]
    found[1] = found[1]._replace(preparation="missing", followups_overdue=("2026-05-25",))
    status = _status(found)
    lines = report.status_table(status).splitlines()
    assert lines[0] == "MUS 2026"
    assert lines[-1] == totals_line(status)
    header = _starts(lines[1], TABLE_HEADINGS)
    assert set(lines[2]) == {"-", " "}
    for line, row in zip(lines[3:-1], found, strict=True):
        cells = table_cells(row)
        assert _starts(line, cells) == header, line  # nothing cut short, every column aligned
        assert line == line.rstrip()


def test_a_big_round_is_printed_plain_even_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    many = [_row(str(n), f"Medarbejder Ærø {n}") for n in range(report.RICH_TABLE_MAX_ROWS + 1)]
    report.print_status(_status(many))
    printed = capsys.readouterr().out
    assert printed == report.status_table(_status(many))
    assert "Medarbejder Ærø 0 " in printed

    report.print_status(_status(many[:3]))  # a few rows on a terminal: rich's boxed table
    assert "┃" in capsys.readouterr().out
