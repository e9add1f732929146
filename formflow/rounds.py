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

import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from operator import attrgetter
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
        """One line per employee; several follow-up dates are joined by a space. The fields
        in `CSV_COLUMNS` order are the row's (csv writes None as an empty cell), so the rows
        go to the writer as they are, bar the follow-ups."""
        import csv
        import io

        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        join = " ".join
        writer.writerows((*row[:8], join(row[8]), join(row[9]), row[10]) for row in self.rows)
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
    slots, members = _slots(year, forms, last_agreements_join=roster is None)
    numbers = _in_number_order(members.union(roster or ()))
    known = {**(archive_people or {}), **(roster or {})}  # the roster's word first
    day, soon = today.isoformat(), (today + timedelta(days=DUE_WITHIN_DAYS)).isoformat()
    days = _Days(timedelta(days=deadline_days))
    keep = None if leader is None else _Names(leader)
    rows = []
    for number in numbers:
        row = _row(
            number,
            year,
            *slots.get(number, _NO_FORMS),
            today=day,
            soon=soon,
            days=days,
            known=known.get(number),
        )
        if keep is None or keep.same(row.leader):
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
    """Counts per state, and how many employees have follow-ups due or overdue (counted in C:
    a Python loop over 10 000 rows, building two keys per row, cost ten times more)."""
    rows = tuple(rows)
    preparations = Counter(map(attrgetter("preparation"), rows))
    agreements = Counter(map(attrgetter("agreement"), rows))
    if not preparations.keys() <= set(PREPARATION_STATES) or not agreements.keys() <= set(
        AGREEMENT_STATES
    ):
        raise ValueError("a status row in an unknown state")
    counts = {"employees": len(rows)}
    counts |= {f"preparation_{s}": preparations[s] for s in PREPARATION_STATES}
    counts |= {f"agreement_{s}": agreements[s] for s in AGREEMENT_STATES}
    counts["followups_due"] = sum(map(bool, map(attrgetter("followups_due"), rows)))
    counts["followups_overdue"] = sum(map(bool, map(attrgetter("followups_overdue"), rows)))
    return counts


def same_text(a: str, b: str) -> bool:
    """Names compared as a person would: NFC, case and spacing ignored."""

    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).casefold().split())

    return norm(a) == norm(b)


# --- one row ---------------------------------------------------------------------------------


def _rank(form: FormFacts) -> tuple[bool, int]:
    return (form.state != "generated", form.version)


_NO_FORMS: tuple[None, None, None] = (None, None, None)
# an employee's forms that count: this year's preparation, this year's agreement, last year's
_Slots = list[FormFacts | None]


def _slots(
    year: int, forms: Iterable[FormFacts], *, last_agreements_join: bool
) -> tuple[dict[str, _Slots], set[str]]:
    """One pass over the forms: per employee the version that counts (`latest_forms`'s rule)
    of the three forms a row reads, and who the forms put in the round.

    A form puts its employee in the round if it was sent (not generated) and is of `year`,
    or is an agreement while there is no roster (`last_agreements_join`): the latest version
    of a form is a sent one exactly when any version was sent, so this is the same as asking
    the latest versions. Forms of other years and kinds only count for membership.
    """
    where = {(year, "preparation"): 0, (year, "agreement"): 1, (year - 1, "agreement"): 2}
    slots: dict[str, _Slots] = {}
    members: set[str] = set()
    for form in forms:
        number, form_year, kind = form.employee, form.year, form.kind
        if form.state != "generated" and (
            form_year == year or (last_agreements_join and kind == "agreement")
        ):
            members.add(number)
        slot = where.get((form_year, kind))
        if slot is None:
            continue
        found = slots.get(number)
        if found is None:
            slots[number] = found = [None, None, None]
        best = found[slot]
        if best is None or _rank(form) > _rank(best):
            found[slot] = form
    return slots, members


class _Names(dict[str, bool]):
    """Whether a leader's name is the one asked for (`same_text`), each name judged once: a
    round of 10 000 rows names a few hundred leaders."""

    def __init__(self, wanted: str) -> None:
        super().__init__()
        self.wanted = wanted

    def same(self, name: str) -> bool:
        found = self.get(name)
        if found is None:
            found = self[name] = same_text(name, self.wanted)
        return found


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
    handed_out: FormFacts | None,
    agreed: FormFacts | None,
    last_agreed: FormFacts | None,
    *,
    today: str,
    soon: str,
    days: _Days,
    known: Known | None,
) -> StatusRow:
    """One employee's row from the versions that count of this year's preparation form
    (perhaps only generated), this year's agreement and last year's. Dates stay ISO strings,
    compared as strings (ISO sorts by date): a round of 10 000 employees parses a few hundred
    dates, not ten per row."""
    # the forms the employee (or leader) sent: a generated one is formflow's own
    preparation = handed_out if handed_out is not None and handed_out.state != "generated" else None
    agreement = agreed if agreed is not None and agreed.state != "generated" else None
    last = last_agreed if last_agreed is not None and last_agreed.state != "generated" else None
    meeting = None  # the first of these that is a date
    for form in (agreement, preparation, handed_out):
        if form is not None and (candidate := form.meeting_date) and (meeting := days[candidate]):
            break
    else:  # else last year's "next meeting", if it falls in this year
        if last is not None and (candidate := _in_year(last.next_meeting_date, year)):
            meeting = days[candidate]
    meeting_day, deadline = meeting or (None, None)
    arrived = _arrived_day(preparation)
    # the name: the roster's or the folder's first, then the forms'; the leader: the forms'
    # first (the newest word), then the roster's or the folder's
    name = _text(known.name) if known else ""
    leader = ""
    for form in (agreement, preparation, handed_out, last):
        if form is not None:
            name = name or _text(form.employee_name)
            leader = leader or _text(form.leader_name)
            if name and leader:
                break
    if known and not leader:
        leader = _text(known.leader)
    due: tuple[str, ...] = ()
    overdue: tuple[str, ...] = ()
    # most plans' dates lie beyond `soon` (today <= soon): nothing to sort or sift then
    if agreement and (followups := agreement.followups) and min(followups) <= soon:
        ordered = sorted(followups)
        due = tuple(d for d in ordered if today <= d <= soon)
        overdue = tuple(d for d in ordered if d < today)
    return _new_row(
        StatusRow,
        (
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
        ),
    )


# `StatusRow(...)` goes through a Python `__new__` taking 11 arguments by name or place; the
# fields in order, straight into the tuple, cost a third of that (10 000 rows a round)
_new_row = tuple.__new__


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


def _text(value: str | None) -> str:
    """The text without its outer spaces; "" for none."""
    return value.strip() if value else ""


def _in_number_order(numbers: Iterable[str]) -> list[str]:
    """Numbers by value, then any other names by text. Numbers of the same value ("7", "07")
    go by text (before, by whatever order a set iterated in). Sorting the digits by text and
    then, stably, by `int` costs half of one sort by a tuple key per number."""
    digits: list[str] = []
    others: list[str] = []
    for number in numbers:
        (digits if number.isdigit() else others).append(number)
    digits.sort()
    digits.sort(key=int)
    others.sort()
    return digits + others


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
    followups = "-"
    if row.followups_overdue or row.followups_due:  # most rows have none
        followups = ", ".join(
            [f"forfalden {danish_date(d)}" for d in row.followups_overdue]
            + [f"snart {danish_date(d)}" for d in row.followups_due]
        )
    return (
        row.number,
        row.name or "-",
        row.leader or "-",
        preparation,
        danish_date(row.meeting_date),
        AGREEMENT_WORDS[row.agreement],
        followups,
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
