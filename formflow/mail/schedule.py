"""What mail of the round is due on a day (pure: facts and a date in, messages out).

The calendar (each offset a `[mail]` setting, days):

- **invitation**: `invitation_days` before the meeting, to the employee with the leader in
  copy, until the day before the meeting (an invitation that could not go on its day, the
  server down or no address yet, goes as soon as it can). A meeting that moved after its
  invitation went gets an **update** (the same calendar UID, the next SEQUENCE).
- **hand-in reminder**: `handin_reminder_days` before the preparation deadline (the meeting
  minus `validation.preparation_deadline_days`) up to the deadline, to the employee, only
  while no preparation form of the meeting's year is filed.
- **agreement reminder**: `agreement_reminder_days` before the agreement deadline (the
  meeting plus `validation.agreement_deadline_days`) up to the deadline, to the leader, only
  while no agreement of that year is filed.
- **signature reminder**: `signature_reminder_days` after an agreement arrived awaiting the
  employee's signature, to the employee, while it still awaits it.
- **follow-up reminder**: `followup_reminder_days` before each `plan_<n>_followup_date` of the
  latest agreement up to that date, to the employee and the leader.

Each message has a stable key (kind, employee, meeting year, due date or sequence): the
outbox (`formflow.mail.outbox`) records it, and a key recorded as sent (or refused by the
server) is never due again. A message whose recipient has no address is due but cannot go;
it is shown, not recorded, so it goes once the roster has the address.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Literal

Kind = Literal["invitation", "update", "handin", "agreement", "signature", "followup"]
KINDS: tuple[Kind, ...] = ("invitation", "update", "handin", "agreement", "signature", "followup")
KIND_WORDS: dict[Kind, str] = {  # what people read in `formflow remind`'s table
    "invitation": "indkaldelse",
    "update": "ændret samtale",
    "handin": "påmindelse: forberedelse",
    "agreement": "påmindelse: aftaleskema",
    "signature": "påmindelse: underskrift",
    "followup": "påmindelse: opfølgning",
}


@dataclass(frozen=True)
class Meeting:
    """An employee's MUS meeting of a year; `start` None when only the day is known (the
    agreement's `next_meeting_date`): the calendar then holds a whole-day entry."""

    employee: str
    year: int
    day: date
    start: time | None = None
    place: str = ""

    @property
    def ident(self) -> str:
        """The meeting's identity, the same when it moves: the calendar UID's core."""
        return f"{self.year}-{self.employee}"

    @property
    def when(self) -> str:
        """Day, time and place: a change of any of them is a moved meeting."""
        at = self.start.strftime("%H:%M") if self.start else ""
        return f"{self.day.isoformat()} {at}|{self.place}"


@dataclass(frozen=True)
class Person:
    """An employee with their leader, and where their mail goes ("" for no address)."""

    number: str
    name: str
    email: str = ""
    leader: str = ""
    leader_email: str = ""


@dataclass(frozen=True)
class Agreement:
    """The agreement of a year that counts, as filed: its state and when it arrived."""

    employee: str
    year: int
    state: str
    arrived: date | None = None
    meeting_day: date | None = None


@dataclass(frozen=True)
class Followup:
    """A follow-up date of the development plan (row `plan`) of an agreement."""

    employee: str
    year: int
    plan: int
    day: date


@dataclass(frozen=True)
class SentMeeting:
    """The meeting as its last invitation or update told it (`Meeting.when`) and its SEQUENCE."""

    when: str
    sequence: int


@dataclass(frozen=True)
class Facts:
    """Everything the schedule decides on, read by the edge (`formflow.mail.run`)."""

    people: Mapping[str, Person]
    meetings: tuple[Meeting, ...]
    preparations: frozenset[tuple[str, int]]  # (employee, year): a preparation form filed
    agreements: Mapping[tuple[str, int], Agreement]  # (employee, year): filed, the one counting
    followups: tuple[Followup, ...]
    done: frozenset[str]  # keys sent, or refused by the server
    sent_meetings: Mapping[str, SentMeeting]  # by `Meeting.ident`


@dataclass(frozen=True)
class Offsets:
    """The calendar's offsets in days (the `[mail]` and `[validation]` settings)."""

    invitation: int = 21
    handin: int = 3
    agreement: int = 2
    signature: int = 3
    followup: int = 7
    preparation_deadline: int = 7
    agreement_deadline: int = 7


@dataclass(frozen=True)
class Due:
    """One message due: its kind and key, whom it is about, to and cc, and what it tells."""

    kind: Kind
    key: str
    person: Person
    due: date
    year: int  # the MUS year it is about (of the meeting, the agreement, the plan)
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()
    meeting: Meeting | None = None
    deadline: date | None = None  # the deadline a reminder is about; the follow-up date
    sequence: int = 0  # the calendar SEQUENCE of an invitation or update
    plan: int = 0  # the development plan's row of a follow-up
    missing: str = ""  # Danish: why it cannot go (no address)


def schedule(facts: Facts, today: date, offsets: Offsets) -> list[Due]:
    """The messages due on `today` and not yet sent, by due date, employee and kind."""
    found = [
        *_invitations(facts, today, offsets),
        *_reminders(facts, today, offsets),
        *_signatures(facts, today, offsets),
        *_followups(facts, today, offsets),
    ]
    found = [item for item in found if item.key not in facts.done]
    return sorted(found, key=lambda d: (d.due, _number_order(d.person.number), KINDS.index(d.kind)))


def _invitations(facts: Facts, today: date, offsets: Offsets) -> Iterator[Due]:
    """The invitation of each meeting ahead, or its update when it moved since."""
    for meeting in facts.meetings:
        person = facts.people.get(meeting.employee)
        if person is None or not today < meeting.day:
            continue
        sent = facts.sent_meetings.get(meeting.ident)
        if sent is None:
            due = meeting.day - timedelta(days=offsets.invitation)
            if due <= today:
                key = f"invitation/{meeting.employee}/{meeting.year}/0"
                yield _due("invitation", key, person, due, meeting.year, meeting=meeting)
        elif sent.when != meeting.when:
            sequence = sent.sequence + 1
            key = f"update/{meeting.employee}/{meeting.year}/{sequence}"
            yield _due(
                "update", key, person, today, meeting.year, meeting=meeting, sequence=sequence
            )


def _reminders(facts: Facts, today: date, offsets: Offsets) -> Iterator[Due]:
    """Hand in the preparation form; send the agreement: while the form is not filed."""
    for meeting in facts.meetings:
        person = facts.people.get(meeting.employee)
        if person is None:
            continue
        which = (meeting.employee, meeting.year)
        handin = meeting.day - timedelta(days=offsets.preparation_deadline)
        if which not in facts.preparations and _within(today, handin, offsets.handin):
            key = f"handin/{meeting.employee}/{meeting.year}/{handin.isoformat()}"
            due = handin - timedelta(days=offsets.handin)
            yield _due("handin", key, person, due, meeting.year, meeting=meeting, deadline=handin)
        agreed = meeting.day + timedelta(days=offsets.agreement_deadline)
        if which not in facts.agreements and _within(today, agreed, offsets.agreement):
            key = f"agreement/{meeting.employee}/{meeting.year}/{agreed.isoformat()}"
            due = agreed - timedelta(days=offsets.agreement)
            yield _due(
                "agreement", key, person, due, meeting.year, meeting=meeting, deadline=agreed
            )


def _signatures(facts: Facts, today: date, offsets: Offsets) -> Iterator[Due]:
    """An agreement that has awaited the employee's signature `offsets.signature` days."""
    for agreement in facts.agreements.values():
        person = facts.people.get(agreement.employee)
        if person is None or agreement.state != "awaiting_employee" or not agreement.arrived:
            continue
        due = agreement.arrived + timedelta(days=offsets.signature)
        if due <= today:
            key = f"signature/{agreement.employee}/{agreement.year}/{due.isoformat()}"
            meeting = None
            if agreement.meeting_day is not None:
                meeting = Meeting(agreement.employee, agreement.year, agreement.meeting_day)
            yield _due("signature", key, person, due, agreement.year, meeting=meeting)


def _followups(facts: Facts, today: date, offsets: Offsets) -> Iterator[Due]:
    for followup in facts.followups:
        person = facts.people.get(followup.employee)
        if person is None or not _within(today, followup.day, offsets.followup):
            continue
        key = (
            f"followup/{followup.employee}/{followup.year}/"
            f"{followup.plan}/{followup.day.isoformat()}"
        )
        due = followup.day - timedelta(days=offsets.followup)
        yield _due(
            "followup", key, person, due, followup.year, deadline=followup.day, plan=followup.plan
        )


def _within(today: date, deadline: date, days_before: int) -> bool:
    """Whether `today` lies from `days_before` days before `deadline` up to it."""
    return deadline - timedelta(days=days_before) <= today <= deadline


def _due(
    kind: Kind,
    key: str,
    person: Person,
    due: date,
    year: int,
    *,
    meeting: Meeting | None = None,
    deadline: date | None = None,
    sequence: int = 0,
    plan: int = 0,
) -> Due:
    """The message with its recipients: who gets it by kind, and what stops it (no address)."""
    employee, leader = person.email, person.leader_email
    to: tuple[str, ...]
    cc: tuple[str, ...]
    if kind in ("invitation", "update"):
        to, cc = (employee,), (leader,)
    elif kind == "agreement":
        to, cc = (leader,), ()
    elif kind == "followup":
        to, cc = (employee, leader), ()
    else:
        to, cc = (employee,), ()
    missing = ""
    if not any(to):
        whose = f"lederen {person.leader}" if kind == "agreement" else person.name
        missing = f"ingen e-mailadresse for {whose or 'lederen'} i medarbejderlisten"
    to, cc = tuple(a for a in to if a), tuple(a for a in cc if a and a not in to)
    return Due(kind, key, person, due, year, to, cc, meeting, deadline, sequence, plan, missing)


def _number_order(number: str) -> tuple[int, int, str]:
    return (0, int(number), "") if number.isdigit() else (1, 0, number)
