"""Danish dates as people write them, parsed into `datetime.date`.

Day first, always (the contract): `23.11.2026`, `23-11-2026`, `23/11/2026`, `23/11-2026`,
`23.11.26`, `23. nov. 2026`, `23. november 2026`, `23 nov 2026`, `d. 23. november 2026`,
`mandag den 23. november 2026`, and ISO `2026-11-23`. Pure: text in, date or error out.

Two kinds of failure are told apart, because they get different messages: text that is shaped
like a date but names a day that does not exist (`31.02.2026`) is an `InvalidDate`; text that is
not a date at all (`næste uge`) is an `UnreadableDate`.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date


class DateError(ValueError):
    """The text is not a usable date; `code` is the Problem code."""

    code = "date_unreadable"


class UnreadableDate(DateError):
    code = "date_unreadable"


class InvalidDate(DateError):
    code = "date_invalid"


MONTHS: dict[str, int] = {
    "januar": 1,
    "februar": 2,
    "marts": 3,
    "april": 4,
    "maj": 5,
    "juni": 6,
    "juli": 7,
    "august": 8,
    "september": 9,
    "oktober": 10,
    "november": 11,
    "december": 12,
}
# Abbreviations people use: the first three letters, plus a few common longer ones.
_MONTH_WORDS: dict[str, int] = {
    **MONTHS,
    **{name[:3]: number for name, number in MONTHS.items()},
    "mrt": 3,
    "sept": 9,
}
_WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
# 23.11.2026, 23-11-2026, 23/11/2026, 23/11-2026, 23.11.26, 23. 11. 2026
_NUMERIC = re.compile(r"^(\d{1,2})\s*[./-]\s*(\d{1,2})\s*[./-]\s*(\d{4}|\d{2})$")
# 23. nov. 2026, 23. november 2026, 23 nov 2026, 23.nov.2026
_WORDS = re.compile(r"^(\d{1,2})\.?\s*([a-zæøå]+)\.?\s*(\d{4}|\d{2})$")
# Leading words that carry no date: "d. 23.11.2026", "mandag den 23. november 2026"
_PREFIX = re.compile(
    r"^(?:(?:" + "|".join(_WEEKDAYS) + r")\b[\s,]*)?(?:(?:d\.|den)\s*)?",
)

# Dashes people paste from Word (en dash, non-breaking hyphen, minus) are plain hyphens here.
_DASHES = re.compile("[\u2010\u2011\u2012\u2013\u2014\u2212]")
_WHITESPACE = re.compile(r"\s+")


def parse_date(text: str) -> date:
    """The date in `text`, or `InvalidDate` / `UnreadableDate`."""
    cleaned = _clean(text)
    if not cleaned:
        raise UnreadableDate("empty")
    match = _ISO.match(cleaned)
    if match:
        return _make(int(match[1]), int(match[2]), int(match[3]))
    cleaned = _PREFIX.sub("", cleaned, count=1)
    match = _NUMERIC.match(cleaned)
    if match:
        return _make(_year(match[3]), int(match[2]), int(match[1]))
    match = _WORDS.match(cleaned)
    if match and match[2] in _MONTH_WORDS:
        return _make(_year(match[3]), _MONTH_WORDS[match[2]], int(match[1]))
    raise UnreadableDate("not a date")


def to_iso(text: str) -> str:
    """`23.11.2026` -> `2026-11-23` (raises like `parse_date`)."""
    return parse_date(text).isoformat()


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold()
    text = _DASHES.sub("-", text)
    return _WHITESPACE.sub(" ", text).strip().rstrip(".,")


def _year(digits: str) -> int:
    # A two-digit year on a MUS form is this century: forms are dated around the present.
    return 2000 + int(digits) if len(digits) == 2 else int(digits)


def _make(year: int, month: int, day: int) -> date:
    if not 1 <= month <= 12 or not 1 <= day <= 31 or not 1900 <= year <= 2999:
        raise InvalidDate("out of range")
    try:
        return date(year, month, day)
    except ValueError as error:  # 31.02, 29.02 in a common year
        raise InvalidDate(str(error)) from None
