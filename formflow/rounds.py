"""The MUS round: where every employee stands in one year (pure; `formflow status`).

One row per employee: the preparation form (on time, late, received, missing), the meeting
date, the agreement (signed, awaiting whose signature, missing), the development plan's
follow-up dates that are due soon or overdue, and the next meeting; plus the totals.

The facts come in as lean index rows (`formflow.archive.index.RoundForm`) for the year and the
year before, so nothing here touches a file. Who is in the round: with a roster, everyone on
it (and anyone else with a form this year); without one, everyone with a form this year or a
filed agreement last year, that agreement being the promise of this year's conversation.

Which version of a form counts follows the archive (`latest_first_key`): the highest version
the employee sent; a form formflow generated (carry-over output) is never "received".
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple, Protocol

PREPARATION_STATES = ("on_time", "late", "received", "missing")
AGREEMENT_STATES = ("signed", "awaiting_employee", "awaiting_leader", "missing")
DUE_WITHIN_DAYS = 14  # a follow-up date this close is "due"
CSV_COLUMNS = (
    "number",
    "name",
    "leader",
    "preparation",
    "preparation_arrived",
    "preparation_deadline",
    "meeting_date",
    "agreement",
    "followups_due",
    "followups_overdue",
    "next_meeting_date",
)


class FormFacts(Protocol):
    """What the round needs of one filed form version (the index's `RoundForm`)."""

    @property
    def employee(self) -> str: ...
    @property
    def employee_name(self) -> str: ...
    @property
    def leader_name(self) -> str: ...
    @property
    def year(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def state(self) -> str: ...
    @property
    def meeting_date(self) -> str | None: ...
    @property
    def next_meeting_date(self) -> str | None: ...
    @property
    def arrived(self) -> str | None: ...
    @property
    def followups(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Person:
    """An employee as the roster or the archive names them."""

    number: str
    name: str
    leader: str = ""


class Known(Protocol):
    """What the round reads of a known person: a `Person`, a roster entry, a folder's row."""

    @property
    def name(self) -> str: ...
    @property
    def leader(self) -> str: ...


class StatusRow(NamedTuple):
    """One employee's state in the round (dates ISO; states from the tuples above); a named
    tuple, being made 10 000 times a round."""

    number: str
    name: str
    leader: str
    preparation: str
    preparation_arrived: str | None
    preparation_deadline: str | None
    meeting_date: str | None
    agreement: str
    followups_due: tuple[str, ...]
    followups_overdue: tuple[str, ...]
    next_meeting_date: str | None

    def to_json(self) -> dict[str, Any]:
        data = self._asdict()
        data["followups_due"] = list(self.followups_due)
        data["followups_overdue"] = list(self.followups_overdue)
        return data


@dataclass(frozen=True)
class RoundStatus:
    """The round of `year` as of `today`: the rows and their totals."""

    year: int
    today: date
    rows: tuple[StatusRow, ...]
    totals: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "today": self.today.isoformat(),
            "employees": [row.to_json() for row in self.rows],
            "totals": self.totals,
        }

    def to_csv(self) -> str:
        """One line per employee; several follow-up dates are joined by a space."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for row in self.rows:
            data = row.to_json()
            writer.writerow(
                " ".join(v) if isinstance(v := data[c], list) else ("" if v is None else v)
                for c in CSV_COLUMNS
            )
        return out.getvalue()


def round_status(
    year: int,
    forms: Iterable[FormFacts],
    *,
    today: date,
    deadline_days: int,
    roster: Mapping[str, Known] | None = None,
    archive_people: Mapping[str, Known] | None = None,
    leader: str | None = None,
) -> RoundStatus:
    """Where every employee of the round of `year` stands as of `today`.

    `forms` are every filed version of years `year` and `year - 1`; `roster` the roster's
    people (None without a roster file); `archive_people` the personnel folders' names and
    leaders, used where the forms name no leader; `leader` keeps only that leader's people.
    """
    latest = latest_forms(forms)
    numbers = sorted(_members(year, latest, roster), key=_number_order)
    known = {**(archive_people or {}), **(roster or {})}  # the roster's word first
    day, soon = today.isoformat(), (today + timedelta(days=DUE_WITHIN_DAYS)).isoformat()
    days = _Days(timedelta(days=deadline_days))
    rows = []
    for number in numbers:
        row = _row(number, year, latest, today=day, soon=soon, days=days, known=known.get(number))
        if leader is None or same_text(row.leader, leader):
            rows.append(row)
    return RoundStatus(year, today, tuple(rows), totals(rows))


class ArchiveView(Protocol):
    """What the round reads from `formflow.archive.Archive` (its index and roster)."""

    @property
    def index(self) -> Any: ...
    def roster(self) -> Mapping[str, Any] | None: ...
    def employees(self) -> list[Any]: ...


def round_of(
    archive: ArchiveView,
    year: int,
    *,
    today: date,
    deadline_days: int,
    leader: str | None = None,
) -> RoundStatus:
    """`round_status` over an archive's index (one query per table, no record files read)."""
    return round_status(
        year,
        archive.index.round_forms(year),
        today=today,
        deadline_days=deadline_days,
        roster=archive.roster(),  # roster entries and folder rows have a name and a leader
        archive_people={e.number: e for e in archive.employees()},
        leader=leader,
    )


def latest_forms(forms: Iterable[FormFacts]) -> dict[tuple[str, int, str], FormFacts]:
    """The version that counts per (employee, year, kind): the highest one the employee sent,
    a generated form only where nothing was sent (the archive's `latest_first_key`)."""
    best: dict[tuple[str, int, str], FormFacts] = {}
    for form in forms:
        key = (form.employee, form.year, form.kind)
        known = best.get(key)
        if known is None or _rank(form) > _rank(known):
            best[key] = form
    return best


def totals(rows: Iterable[StatusRow]) -> dict[str, int]:
    """Counts per state, and how many employees have follow-ups due or overdue."""
    counts = {"employees": 0}
    counts |= {f"preparation_{s}": 0 for s in PREPARATION_STATES}
    counts |= {f"agreement_{s}": 0 for s in AGREEMENT_STATES}
    counts |= {"followups_due": 0, "followups_overdue": 0}
    for row in rows:
        counts["employees"] += 1
        counts[f"preparation_{row.preparation}"] += 1
        counts[f"agreement_{row.agreement}"] += 1
        counts["followups_due"] += bool(row.followups_due)
        counts["followups_overdue"] += bool(row.followups_overdue)
    return counts


def same_text(a: str, b: str) -> bool:
    """Names compared as a person would: NFC, case and spacing ignored."""

    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).casefold().split())

    return norm(a) == norm(b)


# --- one row ---------------------------------------------------------------------------------


def _rank(form: FormFacts) -> tuple[bool, int]:
    return (form.state != "generated", form.version)


def _sent(form: FormFacts | None) -> FormFacts | None:
    """The form if the employee (or leader) sent it; None for nothing or a generated one."""
    return form if form is not None and form.state != "generated" else None


def _members(
    year: int,
    latest: Mapping[tuple[str, int, str], FormFacts],
    roster: Mapping[str, Known] | None,
) -> set[str]:
    members = set(roster or ())
    for (number, form_year, kind), form in latest.items():
        if form.state == "generated":
            continue  # a carry-over form only says formflow expected the employee
        if form_year == year or (roster is None and kind == "agreement"):
            members.add(number)
    return members


class _Days(dict[str, tuple[str, str] | None]):
    """A meeting date (ISO text) -> (the date, the preparation deadline), both ISO; None when
    it is no date. A round meets the same few hundred dates again and again: parse each once."""

    def __init__(self, deadline: timedelta) -> None:
        super().__init__()
        self.deadline = deadline

    def __missing__(self, value: str) -> tuple[str, str] | None:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            found = None
        else:
            found = (day.isoformat(), (day - self.deadline).isoformat())
        self[value] = found
        return found


def _row(
    number: str,
    year: int,
    latest: Mapping[tuple[str, int, str], FormFacts],
    *,
    today: str,
    soon: str,
    days: _Days,
    known: Known | None,
) -> StatusRow:
    """One employee's row. Dates stay ISO strings, compared as strings (ISO sorts by date):
    a round of 10 000 employees parses a few hundred dates, not ten per row."""
    handed_out = latest.get((number, year, "preparation"))  # perhaps only generated
    preparation = _sent(handed_out)
    agreement = _sent(latest.get((number, year, "agreement")))
    last = _sent(latest.get((number, year - 1, "agreement")))
    meeting = None  # the first of these that is a date
    for candidate in (
        agreement.meeting_date if agreement else None,
        preparation.meeting_date if preparation else None,
        handed_out.meeting_date if handed_out else None,
        _in_year(last.next_meeting_date, year) if last else None,
    ):
        if candidate and (meeting := days[candidate]):
            break
    meeting_day, deadline = meeting or (None, None)
    arrived = _arrived_day(preparation)
    # the name: the roster's or the folder's first, then the forms'; the leader: the forms'
    # first (the newest word), then the roster's or the folder's
    name = _first_text(known.name) if known else ""
    leader = ""
    for form in (agreement, preparation, handed_out, last):
        if form is not None:
            name = name or _first_text(form.employee_name)
            leader = leader or _first_text(form.leader_name)
    if known and not leader:
        leader = _first_text(known.leader)
    due: tuple[str, ...] = ()
    overdue: tuple[str, ...] = ()
    if agreement and agreement.followups:
        followups = sorted(agreement.followups)
        due = tuple(d for d in followups if today <= d <= soon)
        overdue = tuple(d for d in followups if d < today)
    return StatusRow(
        number,
        name,
        leader,
        _preparation_state(preparation, arrived, deadline),
        arrived,
        deadline,
        meeting_day,
        _agreement_state(agreement),
        due,
        overdue,
        agreement.next_meeting_date if agreement else None,
    )


def _preparation_state(form: FormFacts | None, arrived: str | None, deadline: str | None) -> str:
    if form is None:
        return "missing"
    if deadline is None or arrived is None:
        return "received"  # nothing to judge it against
    return "on_time" if arrived <= deadline else "late"


def _agreement_state(form: FormFacts | None) -> str:
    if form is None or form.state not in AGREEMENT_STATES:
        return "missing"
    return form.state


def _arrived_day(form: FormFacts | None) -> str | None:
    """The arrival's local date (the timestamp is ISO with its offset: the date leads)."""
    if form is None or not form.arrived:
        return None
    try:
        return datetime.fromisoformat(form.arrived).date().isoformat()
    except ValueError:
        return None


def _in_year(value: str | None, year: int) -> str | None:
    """Last year's "next meeting" as this year's meeting date, if it falls in this year."""
    return value if value and value[:4] == str(year) else None


def _first_text(*values: str) -> str:
    for value in values:
        if value and (text := value.strip()):
            return text
    return ""


def _number_order(number: str) -> tuple[int, int, str]:
    return (0, int(number), "") if number.isdigit() else (1, 0, number)


# --- how a person reads it -------------------------------------------------------------------

PREPARATION_WORDS = {
    "on_time": "modtaget til tiden",
    "late": "modtaget for sent",
    "received": "modtaget",
    "missing": "mangler",
}
AGREEMENT_WORDS = {
    "signed": "underskrevet",
    "awaiting_employee": "venter på medarbejderens underskrift",
    "awaiting_leader": "venter på lederens underskrift",
    "missing": "mangler",
}
TABLE_HEADINGS = (
    "Nr.",
    "Navn",
    "Leder",
    "Forberedelsesskema",
    "Samtale",
    "Aftaleskema",
    "Opfølgning",
    "Næste samtale",
)


@lru_cache(maxsize=4096)  # a round's table shows the same few hundred dates again and again
def danish_date(value: str | None) -> str:
    """`2026-11-23` as `23.11.2026`; "-" for no date."""
    if not value:
        return "-"
    day = date.fromisoformat(value)
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


def table_cells(row: StatusRow) -> tuple[str, ...]:
    """One row of the status table in Danish, in the order of TABLE_HEADINGS."""
    preparation = PREPARATION_WORDS[row.preparation]
    if row.preparation == "missing" and row.preparation_deadline:
        preparation += f" (frist {danish_date(row.preparation_deadline)})"
    followups = [f"forfalden {danish_date(d)}" for d in row.followups_overdue]
    followups += [f"snart {danish_date(d)}" for d in row.followups_due]
    return (
        row.number,
        row.name or "-",
        row.leader or "-",
        preparation,
        danish_date(row.meeting_date),
        AGREEMENT_WORDS[row.agreement],
        ", ".join(followups) or "-",
        danish_date(row.next_meeting_date),
    )


def totals_line(status: RoundStatus) -> str:
    """The totals as one Danish sentence."""
    t = status.totals
    return (
        f"MUS {status.year}: {t['employees']} medarbejdere. "
        f"Forberedelsesskema: {t['preparation_on_time']} til tiden, {t['preparation_late']} "
        f"for sent, {t['preparation_received']} modtaget, {t['preparation_missing']} mangler. "
        f"Aftaleskema: {t['agreement_signed']} underskrevet, "
        f"{t['agreement_awaiting_employee'] + t['agreement_awaiting_leader']} venter på "
        f"underskrift, {t['agreement_missing']} mangler. "
        f"Opfølgning: {t['followups_overdue']} forfaldne, {t['followups_due']} inden for "
        f"{DUE_WITHIN_DAYS} dage."
    )
