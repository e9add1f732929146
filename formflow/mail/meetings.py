"""The meetings of the round: `meetings.csv` (`number;date;time;place`) and the agreements.

An agreement's `next_meeting_date` is the next year's meeting (a day, no time or place); a
row of `meetings.csv` for the same employee and year wins. Pure: text and rows in, meetings
out; a malformed row is a ValueError naming its line (the edge makes it a SettingsError).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from datetime import date, time

from formflow.mail.schedule import Meeting
from formflow.read.dates import DateError, parse_date

_HEADER = {"number", "nr", "nr.", "nummer", "medarbejdernr", "medarbejdernr.", "employee_number"}
_TIME = re.compile(r"^(?:kl\.?\s*)?(\d{1,2})[.:](\d{2})$")


def parse_meetings(text: str) -> dict[tuple[str, int], Meeting]:
    """The rows of a meetings.csv by (employee number, year): `number;date;time;place`
    (`,` also separates; header row optional; the date Danish or ISO, the time `10:00`,
    `10.00` or empty, the place free text)."""
    text = text.removeprefix("\ufeff")
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return {}
    delimiter = ";" if ";" in lines[0] else ","
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    if rows[0] and rows[0][0].strip().casefold() in _HEADER:
        rows.pop(0)
    found: dict[tuple[str, int], Meeting] = {}
    for line_no, row in enumerate(rows, start=1):
        cells = [unicodedata.normalize("NFC", c).strip() for c in row] + ["", "", ""]
        meeting = _meeting(cells, line_no)
        which = (meeting.employee, meeting.year)
        if which in found:
            raise ValueError(
                f"meetings row {line_no}: a second meeting of {which[0]} in {which[1]}"
            )
        found[which] = meeting
    return found


def _meeting(cells: list[str], line_no: int) -> Meeting:
    number, day_text, time_text, place = cells[:4]
    if not number or not day_text:
        raise ValueError(f"meetings row {line_no}: expected number and date")
    try:
        day = parse_date(day_text)
    except DateError as error:
        raise ValueError(f"meetings row {line_no}: the date is not a date ({error})") from error
    start = None
    if time_text:
        match = _TIME.match(time_text.casefold())
        if match is None or int(match[1]) > 23 or int(match[2]) > 59:
            raise ValueError(f"meetings row {line_no}: the time is not HH:MM")
        start = time(int(match[1]), int(match[2]))
    return Meeting(number, day.year, day, start, place)


def from_agreements(
    next_dates: Iterable[tuple[str, str | None]],
) -> dict[tuple[str, int], Meeting]:
    """Meetings from agreements' `next_meeting_date` (employee, ISO date), the later agreement
    after the earlier: a date that is not ISO (the record could not read it) gives none."""
    found: dict[tuple[str, int], Meeting] = {}
    for employee, value in next_dates:
        try:
            day = date.fromisoformat(value or "")
        except ValueError:
            continue
        found[(employee, day.year)] = Meeting(employee, day.year, day)
    return found


def meetings(
    from_file: dict[tuple[str, int], Meeting], from_forms: dict[tuple[str, int], Meeting]
) -> tuple[Meeting, ...]:
    """Every meeting, the file's winning where both know the employee's meeting of a year."""
    return tuple(sorted((from_forms | from_file).values(), key=lambda m: (m.day, m.employee)))
