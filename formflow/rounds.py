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
    roster: Mapping[str, Person] | None = None,
    archive_people: Mapping[str, Person] | None = None,
    leader: str | None = None,
) -> RoundStatus:
    """Where every employee of the round of `year` stands as of `today`.

    `forms` are every filed version of years `year` and `year - 1`; `roster` the roster's
    people (None without a roster file); `archive_people` the personnel folders' names and
    leaders, used where the forms name no leader; `leader` keeps only that leader's people.
    """
    latest = latest_forms(forms)
    numbers = _members(year, latest, roster)
    rows = []
    for number in numbers:
        row = _row(
            number,
            year,
            latest,
            today=today.isoformat(),
            soon=(today + timedelta(days=DUE_WITHIN_DAYS)).isoformat(),
            deadline_days=deadline_days,
            known=(roster or {}).get(number) or (archive_people or {}).get(number),
        )
        if leader is None or same_text(row.leader, leader):
            rows.append(row)
    rows.sort(key=lambda r: _number_order(r.number))
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
    entries = archive.roster()
    roster = (
        None
        if entries is None
        else {n: Person(e.number, e.name, e.leader) for n, e in entries.items()}
    )
    people = {e.number: Person(e.number, e.name, e.leader) for e in archive.employees()}
    return round_status(
        year,
        archive.index.round_forms(year),
        today=today,
        deadline_days=deadline_days,
        roster=roster,
        archive_people=people,
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
    roster: Mapping[str, Person] | None,
) -> list[str]:
    members = set(roster or ())
    for (number, form_year, kind), form in latest.items():
        if form.state == "generated":
            continue  # a carry-over form only says formflow expected the employee
        if form_year == year or (roster is None and kind == "agreement"):
            members.add(number)
    return sorted(members)


def _row(
    number: str,
    year: int,
    latest: Mapping[tuple[str, int, str], FormFacts],
    *,
    today: str,
    soon: str,
    deadline_days: int,
    known: Person | None,
) -> StatusRow:
    """One employee's row. Dates stay ISO strings, compared as strings (ISO sorts by date):
    a round of 10 000 employees parses one date per row, not ten."""
    handed_out = latest.get((number, year, "preparation"))  # perhaps only generated
    preparation = _sent(handed_out)
    agreement = _sent(latest.get((number, year, "agreement")))
    last = _sent(latest.get((number, year - 1, "agreement")))
    forms = [f for f in (agreement, preparation, handed_out, last) if f is not None]
    meeting = _first_date(
        agreement.meeting_date if agreement else None,
        preparation.meeting_date if preparation else None,
        handed_out.meeting_date if handed_out else None,
        _in_year(last.next_meeting_date, year) if last else None,
    )
    deadline = (meeting - timedelta(days=deadline_days)).isoformat() if meeting else None
    arrived = _arrived_day(preparation)
    followups = sorted(agreement.followups) if agreement else []
    return StatusRow(
        number=number,
        name=_first_text(known.name if known else "", *(f.employee_name for f in forms)),
        leader=_first_text(*(f.leader_name for f in forms), known.leader if known else ""),
        preparation=_preparation_state(preparation, arrived, deadline),
        preparation_arrived=arrived,
        preparation_deadline=deadline,
        meeting_date=meeting.isoformat() if meeting else None,
        agreement=_agreement_state(agreement),
        followups_due=tuple(d for d in followups if today <= d <= soon),
        followups_overdue=tuple(d for d in followups if d < today),
        next_meeting_date=agreement.next_meeting_date if agreement else None,
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


def _first_date(*values: str | None) -> date | None:
    for value in values:
        if value:
            try:
                return date.fromisoformat(value)
            except ValueError:
                continue
    return None


def _in_year(value: str | None, year: int) -> str | None:
    """Last year's "next meeting" as this year's meeting date, if it falls in this year."""
    return value if value and value[:4] == str(year) else None


def _first_text(*values: str) -> str:
    return next((v.strip() for v in values if v and v.strip()), "")


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
