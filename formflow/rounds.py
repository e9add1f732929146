"""The MUS round: where every employee stands in one year (pure; `formflow status`).

One row per employee: the preparation form (on time, late, received, missing), the meeting
date, the agreement (signed, awaiting whose signature, missing), the development plan's
follow-up dates that are due soon or overdue, and the next meeting; plus the totals.

A row reads three forms of its employee: this year's preparation form, this year's agreement
and last year's agreement, each in the version that counts. They come in as `RoundFacts`: from
the index in a few range reads (`Index.round_facts`, what `formflow status` uses), or picked
here from any form versions (`round_status`, e.g. `Index.round_forms`' lean rows). Nothing here
touches a file (the index's `RoundFacts.details` reads it, if a row needs them). Who is in
the round: with a roster, everyone on it (and anyone else with a form this year); without one,
everyone with a form this year or a filed agreement last year, that agreement being the
promise of this year's conversation.

Which version of a form counts follows the archive (`latest_first_key`): the highest version
the employee sent; a form formflow generated (carry-over output) is never "received".
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from itertools import filterfalse
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


class AgreementFacts(NamedTuple):
    """What every row reads of this year's agreement that counts (`Index.round_facts`
    selects these columns in this order)."""

    employee: str
    version: int
    state: str
    leader_name: str
    meeting_date: str | None
    next_meeting_date: str | None


class PreparationFacts(NamedTuple):
    """What a row reads of this year's preparation form that counts (sent, else generated)
    when the agreement leaves the meeting date, the name or the leader open."""

    employee: str
    employee_name: str
    leader_name: str
    meeting_date: str | None


class LastAgreementFacts(NamedTuple):
    """What a row reads of last year's agreement that counts, in the same case."""

    employee: str
    employee_name: str
    leader_name: str
    next_meeting_date: str | None


class RoundDetails(NamedTuple):
    """What only a row the agreement leaves open reads (no agreement, no valid meeting date,
    no leader, or a person without a name): read once, at the first such row."""

    agreement_names: Mapping[str, str]  # the name on this year's agreement that counts
    handed_out: Mapping[str, PreparationFacts]  # this year's preparation form that counts
    last_agreements: Mapping[str, LastAgreementFacts]  # last year's, sent


class RoundFacts(NamedTuple):
    """The round of one year as the rows read it, by employee number: of each form a row
    reads, the version that counts (the latest one sent; for the preparation form, where none
    was sent, the latest one formflow generated), and who the forms put in the round. What
    most rows never read waits in `details`. The index answers with plain tuples in these
    layouts (a named tuple per row would cost a call per row)."""

    agreements: Mapping[str, AgreementFacts]  # this year's, sent
    arrivals: Mapping[str, str | None]  # who sent this year's preparation form -> its arrival
    followups: Mapping[tuple[str, int], Sequence[str]]  # (employee, agreement version) -> dates
    sent: AbstractSet[str]  # who sent any form of this year
    agreed: AbstractSet[str]  # who sent an agreement of an earlier year
    details: Callable[[], RoundDetails]


# number -> (number, name, leader): the people the roster or the personnel folders know
People = Mapping[str, tuple[str | None, str, str]]


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
    people = {number: (number, p.name, p.leader) for number, p in (archive_people or {}).items()}
    return _round(
        year,
        facts_of(year, forms),
        people,
        roster,
        today=today,
        deadline_days=deadline_days,
        leader=leader,
    )


class ArchiveView(Protocol):
    """What the round reads from `formflow.archive.Archive` (its index and roster)."""

    @property
    def index(self) -> Any: ...
    def roster(self) -> Mapping[str, Any] | None: ...


def round_of(
    archive: ArchiveView,
    year: int,
    *,
    today: date,
    deadline_days: int,
    leader: str | None = None,
) -> RoundStatus:
    """`round_status` over an archive's index: its `round_facts` (the versions that count,
    picked by SQLite) and its people's names and leaders; no record file is read."""
    return _round(
        year,
        archive.index.round_facts(year, _due_by(today)),
        archive.index.people(),
        archive.roster(),
        today=today,
        deadline_days=deadline_days,
        leader=leader,
    )


def facts_of(year: int, forms: Iterable[FormFacts]) -> RoundFacts:
    """The facts of the round of `year` picked from form versions in one pass: per employee
    the latest sent version of each form a row reads (`latest_forms`' rule: a sent version
    always beats a generated one), the latest generated preparation form, and who the forms
    put in the round. Forms of other years and kinds only count for membership."""
    picked: dict[str, dict[str, FormFacts]] = {
        slot: {} for slot in ("agreement", "preparation", "generated", "last")
    }
    sent: set[str] = set()
    agreed: set[str] = set()
    for form in forms:
        number, form_year, kind = form.employee, form.year, form.kind
        is_sent = form.state != "generated"
        if is_sent and form_year == year:
            sent.add(number)
        if is_sent and kind == "agreement" and form_year != year:
            agreed.add(number)
        if kind == "preparation" and form_year == year:
            slot = picked["preparation" if is_sent else "generated"]
        elif kind == "agreement" and is_sent and form_year in (year, year - 1):
            slot = picked["agreement" if form_year == year else "last"]
        else:
            continue
        if number not in slot or form.version > slot[number].version:  # equal: the first
            slot[number] = form
    agreements, last = picked["agreement"], picked["last"]
    handed_out = {**picked["generated"], **picked["preparation"]}  # a sent one first
    details = RoundDetails(
        {n: f.employee_name for n, f in agreements.items()},
        {
            n: PreparationFacts(n, f.employee_name, f.leader_name, f.meeting_date)
            for n, f in handed_out.items()
        },
        {
            n: LastAgreementFacts(n, f.employee_name, f.leader_name, f.next_meeting_date)
            for n, f in last.items()
        },
    )
    return RoundFacts(
        {
            n: AgreementFacts(
                n, f.version, f.state, f.leader_name, f.meeting_date, f.next_meeting_date
            )
            for n, f in agreements.items()
        },
        {n: f.arrived for n, f in picked["preparation"].items()},
        {(n, f.version): f.followups for n, f in agreements.items()},
        sent,
        agreed,
        lambda: details,
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


def _rank(form: FormFacts) -> tuple[bool, int]:
    return (form.state != "generated", form.version)


# --- the rows --------------------------------------------------------------------------------

_NOBODY = (None, "", "")  # a `People` entry for a number neither the roster nor the archive knows


def _round(
    year: int,
    facts: RoundFacts,
    people: People,
    roster: Mapping[str, Known] | None,
    *,
    today: date,
    deadline_days: int,
    leader: str | None,
) -> RoundStatus:
    """The round from its facts: who is in it, one row each in number order, the totals."""
    members = set(facts.sent)
    if roster is None:
        members.update(facts.agreed)  # last year's agreement promises this year's meeting
    else:
        members.update(roster)
        # the roster's word first (a dict merge is done in C; one name per employee)
        people = {**people, **{n: (n, e.name, e.leader) for n, e in roster.items()}}
    rows = _rows(
        year,
        _in_number_order(members),
        facts,
        people,
        today=today,
        deadline=timedelta(days=deadline_days),
    )
    if leader is not None:
        keep = _Names(leader)
        rows = [row for row in rows if keep.same(row.leader)]
    return RoundStatus(year, today, tuple(rows), totals(rows))


def _rows(
    year: int,
    numbers: Iterable[str],
    facts: RoundFacts,
    people: People,
    *,
    today: date,
    deadline: timedelta,
) -> list[StatusRow]:
    """One row per number, from this year's agreement and preparation form, and where they
    leave the meeting date, the name or the leader open, from the forms in `facts.details`.

    A round is 10 000 rows: this is one loop with the facts unpacked into locals and few calls
    per row (a function per column cost a third more). Dates stay
    ISO strings, compared as strings (ISO sorts by date); a meeting date is parsed once per
    distinct date (`_Days`), not once per row."""
    day, soon = today.isoformat(), _due_by(today)
    days = _Days(deadline)
    agreements, arrivals, followups = facts.agreements, facts.arrivals, facts.followups
    details: RoundDetails | None = None
    rows = []
    for number in numbers:
        agreement = agreements.get(number)
        _, known_name, known_leader = people.get(number, _NOBODY)
        # the name: the roster's or the folder's first; the leader: the forms' first
        name = known_name.strip() if known_name else ""
        due: tuple[str, ...] = ()
        overdue: tuple[str, ...] = ()
        if agreement is None:
            leader, meeting, agreed, next_meeting = "", None, "missing", None
        else:
            _, version, state, leader, candidate, next_meeting = agreement
            leader = leader.strip() if leader else ""
            meeting = days[candidate] if candidate else None
            agreed = state if state in AGREEMENT_STATES else "missing"
            # most plans' dates lie beyond `soon` (today <= soon): nothing to sort or sift then
            if (dates := followups.get((number, version))) and min(dates) <= soon:
                ordered = sorted(dates)
                due = tuple(d for d in ordered if day <= d <= soon)
                overdue = tuple(d for d in ordered if d < day)
        if meeting is None or not name or not leader:
            details = details or facts.details()
            name, leader, meeting = _filled_in(
                number, year, details, days, name, leader, meeting, agreement is not None
            )
        if not leader and known_leader:
            leader = known_leader.strip()
        meeting_day, preparation_deadline = meeting or _NO_MEETING
        preparation, arrived = "missing", None
        if number in arrivals:  # a preparation form sent (perhaps with no arrival time)
            arrived = _arrived_day(arrivals[number])
            preparation = _preparation_state(arrived, preparation_deadline)
        rows.append(
            _new_row(
                StatusRow,
                (
                    number,
                    name,
                    leader,
                    preparation,
                    arrived,
                    preparation_deadline,
                    meeting_day,
                    agreed,
                    due,
                    overdue,
                    next_meeting,
                ),
            )
        )
    return rows


def _filled_in(
    number: str,
    year: int,
    details: RoundDetails,
    days: _Days,
    name: str,
    leader: str,
    meeting: tuple[str, str] | None,
    has_agreement: bool,
) -> tuple[str, str, tuple[str, str] | None]:
    """The name, leader and meeting the agreement left open, from the other forms in order:
    the agreement's name, then the preparation form's (sent, else generated), then last
    year's agreement's; its "next meeting" counts as the meeting if it falls in this year."""
    handed_out = details.handed_out.get(number)
    last = details.last_agreements.get(number)
    if has_agreement and not name:
        name = (details.agreement_names.get(number) or "").strip()
    if handed_out is not None:
        name = name or (handed_out[1] or "").strip()
        leader = leader or (handed_out[2] or "").strip()
        if meeting is None and (candidate := handed_out[3]):
            meeting = days[candidate]
    if last is not None:
        name = name or (last[1] or "").strip()
        leader = leader or (last[2] or "").strip()
        if meeting is None and (candidate := last[3]) and candidate[:4] == str(year):
            meeting = days[candidate]
    return name, leader, meeting


_NO_MEETING = (None, None)


def _due_by(today: date) -> str:
    """The last day (ISO) a follow-up date is "due" on: later ones are not shown."""
    return (today + timedelta(days=DUE_WITHIN_DAYS)).isoformat()


# `StatusRow(...)` goes through a Python `__new__` taking 11 arguments by name or place; the
# fields in order, straight into the tuple, cost a third of that (10 000 rows a round)
_new_row = tuple.__new__


def _preparation_state(arrived: str | None, deadline: str | None) -> str:
    """A sent preparation form's state."""
    if deadline is None or arrived is None:
        return "received"  # nothing to judge it against
    return "on_time" if arrived <= deadline else "late"


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


def _arrived_day(arrived: str | None) -> str | None:
    """The arrival's local date (the timestamp is ISO with its offset: the date leads)."""
    if not arrived:
        return None
    try:
        moment = datetime.fromisoformat(arrived)  # also the check that it is a timestamp
    except ValueError:
        return None
    # `YYYY-MM-DD...`, as formflow writes it: fromisoformat read those ten characters as the
    # date, so they are its ISO text (a third of this function's time, 10 000 rows a round);
    # the other forms it reads (`YYYYMMDD...`, week dates) are written out
    if arrived[4:5] == arrived[7:8] == "-":
        return arrived[:10]
    return moment.date().isoformat()


def _in_number_order(numbers: Iterable[str]) -> list[str]:
    """Numbers by value, then any other names by text. Numbers of the same value ("7", "07")
    go by text (before, by whatever order a set iterated in). Sorting the digits by text and
    then, stably, by `int` costs half of one sort by a tuple key per number."""
    numbers = tuple(numbers)
    digits = list(filter(str.isdigit, numbers))  # split in C, not a Python loop
    others = list(filterfalse(str.isdigit, numbers))
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
