"""The MUS round: where every employee stands in one year (pure; `formflow status`).

One row per employee: the preparation form (on time, late, received, missing, or handed back:
rejected or held), the meeting date, the agreement (signed, awaiting whose signature, missing,
rejected, held), the development plan's follow-up dates that are due soon or overdue, and the
next meeting; plus the totals.

A row reads three forms of its employee: this year's preparation form, this year's agreement
and last year's agreement, each in the version that counts, and the forms of this year that
were handed back. They come in as `RoundFacts`, from the index in a few range reads
(`Index.round_facts`; the index picks the version that counts: the highest one the employee
sent; a form formflow generated, carry-over output, is never "received"). Nothing here touches
a file (the index's `RoundFacts.details` reads it, if a row needs them).

Who is in the round: with a roster, everyone on it (and anyone else with a form this year);
without one, everyone with a form this year or a filed agreement last year, that agreement
being the promise of this year's conversation. Who leads whom: `leader_of`.

A preparation form is on time when it arrived, or was dated by the employee's signature, at
least the deadline before the meeting: a form dropped into the inbox before formflow watched
it is not late by the day formflow took it (`_preparation_state`).
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
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from formflow.display import shown
from formflow.reasons import reason_words

if TYPE_CHECKING:
    from formflow.model import CheckResult, Problem

RETURNED_STATES = ("rejected", "held")  # a form handed back (the ingest's audit actions)
PREPARATION_STATES = ("on_time", "late", "received", "missing", *RETURNED_STATES)
AGREEMENT_STATES = ("signed", "awaiting_employee", "awaiting_leader", "missing", *RETURNED_STATES)
_FILED_AGREEMENT_STATES = frozenset(AGREEMENT_STATES[:3])
DUE_WITHIN_DAYS = 14  # a follow-up date this close is "due"
CSV_COLUMNS = (
    "number",
    "name",
    "leader",
    "preparation",
    "preparation_reason",
    "preparation_arrived",
    "preparation_deadline",
    "meeting_date",
    "agreement",
    "agreement_reason",
    "followups_due",
    "followups_overdue",
    "next_meeting_date",
    "colleague_inputs",
)


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


class PreparationSent(NamedTuple):
    """This year's preparation form that counts, sent: when it arrived (an ISO timestamp)
    and the date the employee signed it (ISO), as the index holds them."""

    employee: str
    arrived: str | None
    signed: str | None


class Returned(NamedTuple):
    """The latest form of a kind of this year handed back: rejected to the employee, or held
    for a person to decide (`action`), with its reason codes (comma-separated)."""

    employee: str
    kind: str
    action: str
    codes: str


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
    preparations: Mapping[str, PreparationSent]  # who sent this year's preparation form
    followups: Mapping[tuple[str, int], Sequence[str]]  # (employee, agreement version) -> dates
    sent: AbstractSet[str]  # who sent any form of this year
    agreed: AbstractSet[str]  # who sent an agreement of an earlier year
    returned: Mapping[tuple[str, str], Returned]  # (employee, kind) -> this year's last return
    details: Callable[[], RoundDetails]
    colleague_inputs: Mapping[str, int] = {}  # employee -> colleagues' inputs (seed 002)


# number -> (number, name, leader): the people the personnel folders know
People = Mapping[str, tuple[str | None, str, str]]


class StatusRow(NamedTuple):
    """One employee's state in the round (dates ISO; states from the tuples above; a reason
    holds the codes of a returned form); a named tuple, being made 10 000 times a round."""

    number: str
    name: str
    leader: str
    preparation: str
    preparation_reason: str | None
    preparation_arrived: str | None
    preparation_deadline: str | None
    meeting_date: str | None
    agreement: str
    agreement_reason: str | None
    followups_due: tuple[str, ...]
    followups_overdue: tuple[str, ...]
    next_meeting_date: str | None
    colleague_inputs: int = 0  # seed 002: colleagues' inputs filed for the talk

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

    def to_csv(self) -> bytes:
        """One line per employee, for Danish Excel (`display.excel_csv`: semicolons, UTF-8
        with a BOM, CRLF, no cell Excel could run as a formula); Danish headings and states,
        ISO dates (Excel reads them as dates), several follow-up dates joined by a space."""
        from formflow.display import excel_csv

        join = " ".join
        return excel_csv(
            CSV_HEADINGS,
            (
                (
                    *row[:3],
                    PREPARATION_WORDS[row.preparation],
                    *row[4:8],
                    AGREEMENT_WORDS[row.agreement],
                    row.agreement_reason,
                    join(row.followups_due),
                    join(row.followups_overdue),
                    row.next_meeting_date,
                    str(row.colleague_inputs),
                )
                for row in self.rows
            ),
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
    """Where every employee of the round of `year` stands as of `today`, from an archive's
    index (`round_facts`: the versions that count, picked by SQLite) and its people's names
    and leaders (the roster's, else the personnel folders'); no record file is read.
    `leader` keeps only that leader's people (`leader_of` says whose they are)."""
    return _round(
        year,
        archive.index.round_facts(year, _due_by(today)),
        archive.index.people(),
        archive.roster(),
        today=today,
        deadline_days=deadline_days,
        leader=leader,
    )


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
    counts["colleague_inputs"] = sum(map(attrgetter("colleague_inputs"), rows))
    return counts


def same_text(a: str, b: str) -> bool:
    """Names compared as a person would: NFC, case and spacing ignored."""

    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).casefold().split())

    return norm(a) == norm(b)


# --- who leads whom --------------------------------------------------------------------------


def leader_of(roster_leader: str | None, *form_leaders: str | None) -> str:
    """The leader an employee belongs to: the roster's (`roster_leader`: None without a
    roster or an entry, "" where the entry names none) wherever it names one, so a form naming
    another leader moves nobody; else the first leader the forms name, the latest form first;
    "" when nobody is named. `formflow status` and carry-over both go by this rule."""
    if roster_leader and (ruled := roster_leader.strip()):
        return ruled
    for named in form_leaders:
        if named and (named := named.strip()):
            return named
    return ""


def leader_warning(form_leader: str, entry: Known | None) -> Problem | None:
    """A warning when a form names another leader than the roster's entry for its employee
    (saying both names: the form is filed, the roster's leader counts); None when they
    agree, or when the roster, or the form, names nobody."""
    from formflow.model import Problem

    roster_leader = entry.leader.strip() if entry is not None else ""
    named = form_leader.strip()
    if not roster_leader or not named or same_text(named, roster_leader):
        return None
    return Problem(
        "leader_name",
        "warning",
        "leader_not_roster",
        f"Skemaet nævner lederen „{named}“, men medarbejderlisten siger „{roster_leader}“. "
        f"I oversigterne hører medarbejderen under „{roster_leader}“; ret medarbejderlisten, "
        "hvis medarbejderen har fået en ny leder.",
    )


def with_leader_warning(result: CheckResult, roster: Mapping[str, Known] | None) -> CheckResult:
    """`result` with `leader_warning`'s warning added where the roster (None: no roster file)
    names another leader for the form's employee; what filing and `formflow check` both do."""
    if roster is None:
        return result
    extraction = result.extraction
    entry = roster.get(extraction.employee_number)
    warning = leader_warning(extraction.fields.get("leader_name", ""), entry)
    if warning is None:
        return result
    from dataclasses import replace

    return replace(result, problems=(*result.problems, warning))


# --- the rows --------------------------------------------------------------------------------

_NOBODY = (None, "", "")  # a `People` entry for a number the archive does not know
_NO_AGREEMENT = ("", None, "missing", None, (), ())


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
    members = set(facts.sent).union(number for number, _ in facts.returned)
    if roster is None:
        members.update(facts.agreed)  # last year's agreement promises this year's meeting
    else:
        members.update(roster)
    rows = _rows(
        year,
        _in_number_order(members),
        facts,
        people,
        roster or {},
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
    roster: Mapping[str, Known],
    *,
    today: date,
    deadline: timedelta,
) -> list[StatusRow]:
    """One row per number, from this year's agreement and preparation form, and where they
    leave the meeting date, the name or the leader open, from the forms in `facts.details`.
    The name: the roster's, else the folder's, else the forms'; the leader: `leader_of`.

    A round is 10 000 rows: one loop with few calls per row. Dates stay ISO strings, compared
    as strings (ISO sorts by date); a meeting date is parsed once per distinct date (`_Days`)."""
    days = _Days(deadline)
    agreements = _agreements(facts, days, today)
    returned, preparations, colleagues = facts.returned, facts.preparations, facts.colleague_inputs
    details: RoundDetails | None = None
    rows = []
    for number in numbers:
        entry = roster.get(number)
        _, name, folder_leader = people.get(number, _NOBODY)
        name = (entry.name if entry is not None else name).strip()
        signed_by, meeting, agreed, next_meeting, due, overdue = agreements.get(
            number, _NO_AGREEMENT
        )
        # leader_of(None, signed_by) is signed_by (stripped already): a call saved per row
        leader = signed_by if entry is None else leader_of(entry.leader, signed_by)
        if meeting is None or not name or not leader:
            details = details or facts.details()
            name, leader, meeting = _filled_in(
                number, year, details, days, name, leader, meeting, number in agreements
            )
        meeting_day, preparation_deadline = meeting or _NO_MEETING
        preparation, arrived = "missing", None
        if (sent := preparations.get(number)) is not None:
            arrived = _arrived_day(sent[1])
            preparation = _preparation_state(arrived, sent[2], preparation_deadline)
        why = why_agreement = None
        if preparation == "missing" and (back := returned.get((number, "preparation"))):
            preparation, why = back[2], back[3]
        if agreed == "missing" and (back := returned.get((number, "agreement"))):
            agreed, why_agreement = back[2], back[3]
        leader = leader or folder_leader.strip()
        row = (number, name, leader, preparation, why, arrived, preparation_deadline, meeting_day)
        later = (agreed, why_agreement, due, overdue, next_meeting, colleagues.get(number, 0))
        rows.append(_new_row(StatusRow, (*row, *later)))
    return rows


def _agreements(facts: RoundFacts, days: _Days, today: date) -> dict[str, tuple[Any, ...]]:
    """Per employee with an agreement of the round that counts: (leader, meeting, state, next
    meeting, follow-ups due, overdue), in one loop over the agreements (a call per row cost a
    tenth of the round); an employee without one reads `_NO_AGREEMENT`."""
    followups, day, soon = facts.followups, today.isoformat(), _due_by(today)
    found = {}
    for number, (_, version, state, leader, candidate, next_meeting) in facts.agreements.items():
        due: tuple[str, ...] = ()
        overdue: tuple[str, ...] = ()
        # most plans' dates lie beyond `soon` (today <= soon): nothing to sort or sift then
        if (dates := followups.get((number, version))) and min(dates) <= soon:
            ordered = sorted(dates)
            due = tuple(d for d in ordered if day <= d <= soon)
            overdue = tuple(d for d in ordered if d < day)
        state = state if state in _FILED_AGREEMENT_STATES else "missing"
        meeting = days[candidate] if candidate else None
        found[number] = ((leader or "").strip(), meeting, state, next_meeting, due, overdue)
    return found


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


# `StatusRow(...)` goes through a Python `__new__` taking its arguments by name or place; the
# fields in order, straight into the tuple, cost a third of that (10 000 rows a round)
_new_row = tuple.__new__


def _preparation_state(arrived: str | None, signed: str | None, deadline: str | None) -> str:
    """A sent preparation form's state, judged by the earlier of its arrival and the date the
    employee signed it: a form that lay in the inbox before formflow watched it arrives, as
    recorded, only when formflow took it, but its own date says when it was done. Taking the
    earlier never calls an on-time form late (its arrival was on time, so the earlier is
    too); with no arrival, only an on-time signature date judges it."""
    if deadline is None:
        return "received"  # nothing to judge it against
    if arrived is None:
        return "on_time" if signed and signed <= deadline else "received"
    judged = signed if signed and signed < arrived else arrived
    return "on_time" if judged <= deadline else "late"


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
    "on_time": "til tiden",
    "late": "for sent",
    "received": "modtaget",
    "missing": "mangler",
    "rejected": "afvist",
    "held": "til afklaring",
}
AGREEMENT_WORDS = {
    "signed": "underskrevet",
    "awaiting_employee": "venter på medarbejder",
    "awaiting_leader": "venter på leder",
    "missing": "mangler",
    "rejected": "afvist",
    "held": "til afklaring",
}
TABLE_HEADINGS = ("Nr.", "Navn", "Forberedelse", "Samtale", "Aftale")
NO_LEADER = "Uden leder"
CSV_HEADINGS = (
    "Medarbejdernr.",
    "Navn",
    "Leder",
    "Forberedelsesskema",
    "Forberedelsesskema, årsag",
    "Forberedelsesskema modtaget",
    "Frist for forberedelsesskema",
    "Dato for samtale",
    "Aftaleskema",
    "Aftaleskema, årsag",
    "Opfølgning snart",
    "Opfølgning forfalden",
    "Dato for næste samtale",
    "Input fra kolleger",
)


@lru_cache(maxsize=4096)  # a round's table shows the same few hundred dates again and again
def danish_date(value: str | None) -> str:
    """`2026-11-23` as `23.11.2026`; "-" for no date."""
    if not value:
        return "-"
    day = date.fromisoformat(value)
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


def preparation_words(row: StatusRow, today: str) -> str:
    """The preparation form's state in Danish; a missing form whose deadline (ISO) is today
    or later shows the deadline instead: it is not late yet."""
    deadline = row.preparation_deadline
    if row.preparation == "missing" and deadline and deadline >= today:
        return f"frist {danish_date(deadline)}"
    return PREPARATION_WORDS[row.preparation]


def followup_words(row: StatusRow) -> str:
    """The follow-up dates overdue and due soon, in Danish; "-" for none."""
    if not (row.followups_overdue or row.followups_due):  # most rows have none
        return "-"
    return ", ".join(
        [f"forfalden {danish_date(d)}" for d in row.followups_overdue]
        + [f"snart {danish_date(d)}" for d in row.followups_due]
    )


def table_cells(row: StatusRow, today: str) -> tuple[str, ...]:
    """One row of the status table in Danish, in the order of TABLE_HEADINGS; what does not
    fit a row of 80 columns is in `row_notes`, the leader in the heading of the row's group.
    The number and the name as `display.shown` shows them: one line, no control obeyed."""
    return (
        shown(row.number),
        shown(row.name) or "-",
        preparation_words(row, today),
        danish_date(row.meeting_date),
        AGREEMENT_WORDS[row.agreement],
    )


def row_notes(row: StatusRow) -> str:
    """What the table shows under a row: the follow-ups due or overdue and why a form was
    handed back (its reason codes in Danish words, `formflow.reasons`); "" for nothing (most
    rows)."""
    if row.preparation_reason is row.agreement_reason is None and not (
        row.followups_overdue or row.followups_due or row.colleague_inputs
    ):
        return ""
    notes = []
    if row.colleague_inputs:
        notes.append(f"input fra kolleger: {row.colleague_inputs}")
    if row.followups_overdue or row.followups_due:
        notes.append(f"opfølgning {followup_words(row)}")
    for form, words, state, codes in (
        ("forberedelsesskema", PREPARATION_WORDS, row.preparation, row.preparation_reason),
        ("aftaleskema", AGREEMENT_WORDS, row.agreement, row.agreement_reason),
    ):
        if codes is not None:  # the codes as the audit wrote them, comma-separated
            notes.append(f"{form} {words[state]}: {reason_words(codes)}")
    return shown("; ".join(notes))  # the codes are formflow's, but read from the audit log


def row_summary(row: StatusRow, today: str) -> str:
    """A row's forms and follow-ups as one Danish phrase (the demo's lines)."""
    return (
        f"forberedelse {preparation_words(row, today)}; aftale {AGREEMENT_WORDS[row.agreement]}; "
        f"opfølgning {followup_words(row)}"
    )


def by_leader(rows: Iterable[StatusRow]) -> list[tuple[str, list[StatusRow]]]:
    """The rows in groups per leader (by name, ignoring case), each in the rows' order; the
    employees without a leader last, under NO_LEADER."""
    groups: dict[str, list[StatusRow]] = {}
    for row in rows:
        groups.setdefault(row.leader, []).append(row)
    named = sorted((leader for leader in groups if leader), key=lambda n: (n.casefold(), n))
    found = [(leader, groups[leader]) for leader in named]
    if "" in groups:
        found.append((NO_LEADER, groups[""]))
    return found


def totals_line(status: RoundStatus) -> str:
    """The totals as one Danish sentence."""
    t = status.totals
    return (
        f"MUS {status.year}: {t['employees']} medarbejdere. "
        f"Forberedelsesskema: {t['preparation_on_time']} til tiden, {t['preparation_late']} "
        f"for sent, {t['preparation_received']} modtaget, {t['preparation_missing']} mangler, "
        f"{t['preparation_rejected']} afvist, {t['preparation_held']} til afklaring. "
        f"Aftaleskema: {t['agreement_signed']} underskrevet, "
        f"{t['agreement_awaiting_employee'] + t['agreement_awaiting_leader']} venter på "
        f"underskrift, {t['agreement_missing']} mangler, {t['agreement_rejected']} afvist, "
        f"{t['agreement_held']} til afklaring. "
        f"Opfølgning: {t['followups_overdue']} forfaldne, {t['followups_due']} inden for "
        f"{DUE_WITHIN_DAYS} dage."
    ) + (f" Input fra kolleger: {t['colleague_inputs']}." if t.get("colleague_inputs") else "")
