"""What `formflow status` prints: the JSON written row by row is exactly json.dumps' text; the
table fits 80 columns, on a terminal (rich) and plain, without cutting a date or a state, and
keeps its columns straight for any name (æøå, combining marks, wide letters)."""

from __future__ import annotations

import io
import json
import re
import sys
import unicodedata
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formflow import report
from formflow.rounds import (
    AGREEMENT_STATES,
    AGREEMENT_WORDS,
    PREPARATION_STATES,
    PREPARATION_WORDS,
    TABLE_HEADINGS,
    RoundStatus,
    StatusRow,
    danish_date,
    table_cells,
    totals,
    totals_line,
)

PREPARATION = PREPARATION_STATES
AGREEMENT = AGREEMENT_STATES
DAY = st.dates(date(2000, 1, 1), date(2100, 12, 31)).map(date.isoformat)


def _row(number: str, name: str, leader: str = "Lise Leder", **changes: Any) -> StatusRow:
    row = StatusRow(
        number=number,
        name=name,
        leader=leader,
        preparation="on_time",
        preparation_reason=None,
        preparation_arrived="2026-05-01",
        preparation_deadline="2026-05-13",
        meeting_date="2026-05-20",
        agreement="signed",
        agreement_reason=None,
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
    preparation_reason=st.none() | st.text(),
    preparation_arrived=st.none() | DAY,
    preparation_deadline=st.none() | DAY,
    meeting_date=st.none() | DAY,
    agreement=st.sampled_from(AGREEMENT),
    agreement_reason=st.none() | st.text(),
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
    blank = len(lines) - 1 - lines[::-1].index("")
    assert " ".join(lines[blank + 1 :]) == totals_line(status)  # wrapped at 80 columns
    header = _starts(lines[1], TABLE_HEADINGS)
    assert set(lines[2]) == {"-", " "}
    assert lines[4] == "Lise Leder (3 medarbejdere)"
    rows = [line for line in lines[5:blank] if not line.startswith(" ")]
    for line, row in zip(rows, found, strict=True):
        assert _starts(line, table_cells(row, "2026-06-01")) == header, line  # aligned
        assert line == line.rstrip()
    assert "     opfølgning forfalden 25.05.2026, snart 10.06.2026" in lines  # under row 101


LONG = "Marie-Louise Kristiansen-Østergaard Bødker-Frederiksen"


def _wide_round() -> RoundStatus:
    """A round with every state, returned forms with long codes, follow-ups, a long name and
    number, a leader of its own and nobody's employee."""
    rows = [
        _row("100" + str(n), LONG if n % 3 == 0 else f"Medarbejder Ærø {n}", leader=leader,
             preparation=preparation, agreement=agreement,
             preparation_reason="signature_date_before_meeting" if preparation in
             ("rejected", "held") else None,
             agreement_reason="next_meeting_not_after_meeting,required_missing" if agreement in
             ("rejected", "held") else None,
             followups_overdue=("2026-05-25", "2026-05-28"))
        for n, (preparation, agreement, leader) in enumerate(
            zip(PREPARATION * 2, AGREEMENT * 2, ["Lise Leder", "", "王小明 Leder"] * 4, strict=True)
        )
    ]  # fmt: skip
    rows.append(_row("A" * 32, "王小明 " * 12, preparation="missing"))
    return _status(rows)


def _whole(text: str, status: RoundStatus) -> None:
    """No line over 80 columns, and every date and state of every row whole on one line."""
    lines = text.splitlines()
    assert max(map(report._text_width, lines)) <= 80
    for row in status.rows:
        for cell in table_cells(row, status.today.isoformat())[2:]:
            assert any(cell in line for line in lines), cell
    for state in (*PREPARATION_WORDS.values(), *AGREEMENT_WORDS.values()):
        assert any(state in line for line in lines), state
    for day in ("25.05.2026", "28.05.2026", "20.05.2026"):
        assert any(day in line for line in lines)
    # why a form came back, in Danish words (issue 15: the codes were shown until then)
    flat = " ".join(text.split())
    assert "forberedelsesskema afvist: underskrift dateret før samtalen" in flat
    assert "aftaleskema til afklaring: næste samtale ligger ikke efter denne, et krævet felt er " \
        "tomt" in flat  # fmt: skip
    assert "signature_date_before_meeting" not in text and "required_missing" not in text
    assert "_employee" not in text


def test_the_plain_table_fits_80_columns_without_cutting_dates_or_states() -> None:
    status = _wide_round()
    _whole(report.status_table(status), status)


def test_the_terminal_table_fits_80_columns_without_cutting_dates_or_states() -> None:
    from rich.console import Console

    status = _wide_round()
    console = Console(width=80, record=True, file=io.StringIO(), force_terminal=True)
    report.print_status(status, console)
    printed = console.export_text()
    _whole(printed, status)
    assert printed == report.status_table(status)  # the same lines, styled on a terminal


def test_a_wider_terminal_gives_names_the_room() -> None:
    from rich.console import Console

    status = _wide_round()
    console = Console(width=160, record=True, file=io.StringIO())
    report.print_status(status, console)
    assert LONG in console.export_text()  # whole on one line
    assert LONG not in report.status_table(status)  # wrapped at 80


def test_the_states_are_danish_the_json_codes_english() -> None:
    status = _wide_round()
    table = report.status_table(status)
    for code in (*PREPARATION, *AGREEMENT):  # as words: a reason code may hold one
        assert not re.search(rf"(?<![\w_]){code}(?![\w_])", table), code
    data = json.loads(report.status_json(status))
    assert {e["agreement"] for e in data["employees"]} == set(AGREEMENT)
    assert [danish_date("2026-05-25")] == ["25.05.2026"]


def test_a_big_round_is_printed_plain_even_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    many = [_row(str(n), f"Medarbejder Ærø {n}") for n in range(report.RICH_TABLE_MAX_ROWS + 1)]
    report.print_status(_status(many))
    printed = capsys.readouterr().out
    assert printed == report.status_table(_status(many))
    assert "Medarbejder Ærø 0 " in printed


# --- issue 13 item 5: what a form holds is shown, never obeyed ----------------------------------

HIDDEN = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\x00\x1b\x7f\x85\u200e"


def test_the_status_table_shows_line_breaks_and_bidi_controls() -> None:
    """A name with a line break, NUL and a right-to-left override keeps to its row and its
    columns; the controls are shown as marks, not obeyed (the JSON keeps them exact)."""
    found = [
        _row("101", "Anne\nHansen\u202e", leader="Lise\u202eLeder"),
        _row("102\r\n", "Bo\x00Bæk\t" + HIDDEN),
        _row("103", "Anne-Marie O'Brien Ærø"),
    ]
    status = _status(found)
    for text in (report.status_table(status), _terminal_table(status)):
        assert not set(text) & set(HIDDEN + "\r\t")
        lines = text.splitlines()
        assert "Lise<U+202E>Leder (1 medarbejder)" in lines
        (anne,) = [line for line in lines if line.startswith("101 ")]
        assert "Anne⏎Hansen<U+202E>" in anne and "til tiden" in anne  # one line
        (bo,) = [line for line in lines if line.startswith("102⏎ ")]
        assert "Bo<U+0000>Bæk<U+0009><U+202A>" in bo
        assert any(re.match("103 +Anne-Marie O'Brien Ærø  ", line) for line in lines)
    assert json.loads(report.status_json(status))["employees"][0]["name"] == "Anne\nHansen\u202e"


def _terminal_table(status: RoundStatus) -> str:
    from rich.console import Console

    console = Console(width=100, record=True, file=io.StringIO(), force_terminal=True)
    report.print_status(status, console)
    return console.export_text()


def test_the_check_table_shows_controls_and_keeps_multi_line_answers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`formflow check`'s tables: a value's bidi controls and NUL are shown as marks; the line
    breaks of a multi-line answer stay line breaks in its cell; the file's name is marked."""
    from pathlib import Path

    from formflow.config import Settings
    from formflow.model import CheckResult, Extraction, Problem, Signature

    fields = {"employee_name": "Anne\u202eHansen", "employee_number": "1\x002"}
    extraction = Extraction("x.pdf", "acroform", "preparation", 2026, "preparation", fields)
    result = CheckResult(
        extraction,
        {"employee_signature": Signature("drawn", True, signer="Bo\u2067Bæk")},
        (Problem("leader_name", "warning", "leader_not_roster", "Lederen „Lis\u202ee“\nny"),),
    )
    report.print_checks([Path("skema\u202efdp.pdf")], [result], Settings())
    printed = capsys.readouterr().out
    assert not set(printed) & set(HIDDEN)
    for mark in (
        "skema<U+202E>fdp.pdf",
        "Anne<U+202E>Hansen",
        "1<U+0000>2",
        "Bo<U+2067>Bæk",
        "Lederen „Lis<U+202E>e“",
    ):
        assert mark in printed, mark
    assert "⏎" not in printed  # the problem's second line is a line of its cell


def test_the_carry_over_report_shows_controls(capsys: pytest.CaptureFixture[str]) -> None:
    """The carry-over report's names and leaders come from agreements and the roster."""
    from pathlib import Path

    from formflow.carryover_run import Line, Report

    line = Line("7", "Anne\nHansen\u202e", "Lise\x00Leder", "skipped", reason="ingen aftale")
    report.print_carry_over(Report(2026, 2027, Path("ud"), "preparation", (line,)))
    printed = capsys.readouterr().out
    assert not set(printed) & set(HIDDEN)
    assert "Anne⏎Hansen<U+202E>" in printed and "Lise<U+0000>Leder" in printed
