"""Danish dates as people write them (formflow.read.dates) and their normalisation."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from formflow.forms.library import load_definition
from formflow.read.dates import InvalidDate, UnreadableDate, parse_date
from formflow.read.normalize import normalize_status, normalize_values, tidy_text

NOV_23 = date(2026, 11, 23)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("23.11.2026", id="dots"),
        pytest.param("23-11-2026", id="dashes"),
        pytest.param("23/11/2026", id="slashes"),
        pytest.param("23/11-2026", id="slash_dash"),
        pytest.param("23.11.26", id="two_digit_year"),
        pytest.param("23. nov. 2026", id="abbreviated_month"),
        pytest.param("23. november 2026", id="month_name"),
        pytest.param("23 nov 2026", id="abbreviated_no_dots"),
        pytest.param("23. November 2026", id="month_capitalised"),
        pytest.param("2026-11-23", id="iso"),
        pytest.param("  23.11.2026 ", id="padded"),
        pytest.param("23. 11. 2026", id="dots_with_spaces"),
        pytest.param("23–11–2026", id="en_dashes_from_word"),
        pytest.param("d. 23.11.2026", id="d_prefix"),
        pytest.param("mandag den 23. november 2026", id="weekday_den"),
        pytest.param("23.11.2026.", id="trailing_full_stop"),
    ],
)
def test_danish_dates(text: str) -> None:
    assert parse_date(text) == NOV_23


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("1.2.2027", date(2027, 2, 1), id="single_digits"),
        pytest.param("29.02.2028", date(2028, 2, 29), id="leap_day"),
        pytest.param("1. maj 2027", date(2027, 5, 1), id="maj"),
        pytest.param("3. marts 2027", date(2027, 3, 3), id="marts"),
        pytest.param("3. mrt. 2027", date(2027, 3, 3), id="mrt"),
        pytest.param("30. sept. 2027", date(2027, 9, 30), id="sept"),
        pytest.param("24. DECEMBER 2027", date(2027, 12, 24), id="upper_case"),
    ],
)
def test_other_dates(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("31.02.2026", id="feb_31"),
        pytest.param("29.02.2027", id="feb_29_common_year"),
        pytest.param("31. april 2026", id="april_31"),
        pytest.param("23.13.2026", id="month_13"),
        pytest.param("0.11.2026", id="day_0"),
        pytest.param("2026-02-30", id="iso_feb_30"),
    ],
)
def test_dates_that_do_not_exist(text: str) -> None:
    with pytest.raises(InvalidDate):
        parse_date(text)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("næste uge", id="words"),
        pytest.param("23.11", id="no_year"),
        pytest.param("11/23/2026x", id="junk"),
        pytest.param("23. novembre 2026", id="unknown_month"),
        pytest.param("2026", id="year_only"),
    ],
)
def test_text_that_is_no_date(text: str) -> None:
    with pytest.raises(UnreadableDate):
        parse_date(text)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_every_format_round_trips(day: date) -> None:
    month = [
        "januar",
        "februar",
        "marts",
        "april",
        "maj",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "december",
    ][day.month - 1]
    for text in (
        f"{day.day}.{day.month}.{day.year}",
        f"{day.day:02}-{day.month:02}-{day.year}",
        f"{day.day}/{day.month}-{day.year}",
        f"{day.day:02}.{day.month:02}.{day.year % 100:02}",
        f"{day.day}. {month} {day.year}",
        f"{day.day}. {month[:3]}. {day.year}",
        day.isoformat(),
    ):
        assert parse_date(text) == day, text


# --- normalisation ----------------------------------------------------------------------------

AGREEMENT = load_definition("agreement")
PREPARATION = load_definition("preparation")


def test_dates_become_iso_and_keep_their_raw_text() -> None:
    result = normalize_values(
        AGREEMENT,
        {"meeting_date": "23. nov. 2026", "next_meeting_date": "2027-11-01", "summary": "x"},
    )
    assert result.fields == {
        "meeting_date": "2026-11-23",
        "next_meeting_date": "2027-11-01",
        "summary": "x",
    }
    assert result.raw == {"meeting_date": "23. nov. 2026"}
    assert result.problems == ()


@pytest.mark.parametrize(
    ("value", "code", "words"),
    [
        pytest.param("31.02.2026", "date_invalid", "findes ikke", id="invalid"),
        pytest.param("snart", "date_unreadable", "kunne ikke læses", id="unreadable"),
    ],
)
def test_bad_dates_stay_as_written_and_become_problems(value: str, code: str, words: str) -> None:
    result = normalize_values(AGREEMENT, {"goal_professional_1_end": value})
    assert result.fields == {"goal_professional_1_end": value}
    (problem,) = result.problems
    assert (problem.field, problem.severity, problem.code) == (
        "goal_professional_1_end",
        "error",
        code,
    )
    assert problem.message.startswith(f"„{value}“ {words}")


def test_signature_date_problem_quotes_the_text() -> None:
    (problem,) = normalize_values(AGREEMENT, {"signature_leader_date": " i  går "}).problems
    assert problem.message.startswith("„i går“ kunne ikke læses som en dato.")


def test_empty_date_is_no_problem() -> None:
    result = normalize_values(AGREEMENT, {"meeting_date": "  "})
    assert result.fields == {"meeting_date": ""}
    assert result.problems == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("3", "3", id="digit"),
        pytest.param(" 3 ", "3", id="padded"),
        pytest.param("3 - Bedre end forventet", "3", id="with_label"),
        pytest.param("4. Den ekstraordinært seje indsats", "4", id="dot_label"),
        pytest.param("2:", "2", id="colon"),
        pytest.param("Ikke opnået", "1", id="label_only"),
        pytest.param("5", "5", id="out_of_range_kept"),
        pytest.param("3 4", "3 4", id="two_numbers_kept"),
        pytest.param("34", "34", id="two_digits_kept"),
        pytest.param("godt", "godt", id="words_kept"),
        pytest.param("", "", id="empty"),
    ],
)
def test_status(text: str, expected: str) -> None:
    assert normalize_status(text, PREPARATION) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("  hej  ", "hej", id="strip"),
        pytest.param("a   b", "a b", id="collapse_spaces"),
        pytest.param("a\r\nb\rc", "a\nb\nc", id="line_ends"),
        pytest.param("a  \nb\t\n", "a\nb", id="trailing_per_line"),
        pytest.param("a\n\nb", "a\n\nb", id="blank_line_kept"),
        pytest.param("a\tb", "a\tb", id="tab_kept"),
        pytest.param("a\u00a0\u00a0b", "a b", id="nbsp"),
        pytest.param("Mo\u0308lgaard", "Mølgaard".replace("ø", "ö"), id="nfc"),
        pytest.param("“citat” – æøå", "“citat” – æøå", id="typography_kept"),
    ],
)
def test_tidy_text(text: str, expected: str) -> None:
    assert tidy_text(text) == expected


def test_unknown_keys_are_dropped() -> None:
    assert normalize_values(AGREEMENT, {"nope": "x", "summary": "y"}).fields == {"summary": "y"}
