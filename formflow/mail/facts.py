"""Reading what the schedule decides on: the archive's index, the roster, meetings.csv and
the outbox (the I/O edge before the pure `formflow.mail.schedule`).

Only the years around today are read (the one before, this one and the next): an
agreement of last year names this year's meeting, and this year's plans have this year's
follow-ups. People and their addresses come from the roster (`email` column); a leader's
address is the roster row with the leader's name, and a name on two rows with different
addresses gives none (never a guess). Without a roster the archive knows the people but
no address, so nothing can go.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from formflow.archive.records import FormRow
from formflow.archive.roster import RosterEntry, read_roster
from formflow.config import Settings
from formflow.errors import SettingsError
from formflow.mail.meetings import from_agreements, meetings, parse_meetings
from formflow.mail.outbox import Outbox
from formflow.mail.schedule import Agreement, Facts, Followup, Offsets, Person
from formflow.rounds import leader_of, same_text


def offsets(settings: Settings) -> Offsets:
    mail, validation = settings.mail, settings.validation
    return Offsets(
        invitation=mail.invitation_days,
        handin=mail.handin_reminder_days,
        agreement=mail.agreement_reminder_days,
        signature=mail.signature_reminder_days,
        followup=mail.followup_reminder_days,
        preparation_deadline=validation.preparation_deadline_days,
        agreement_deadline=validation.agreement_deadline_days,
    )


def read_facts(settings: Settings, index: Any, outbox: Outbox, today: date) -> Facts:
    """The facts of the days around `today` (`index` None: no archive yet)."""
    rows: list[FormRow] = []
    if index is not None:
        for year in (today.year - 1, today.year, today.year + 1):
            rows += [row for row in index.forms(year=year) if row.state != "generated"]
    agreements = [row for row in rows if row.kind == "agreement"]
    roster = read_roster(settings.roster)
    known = {e.number: e.name for e in index.employees()} if index is not None else {}
    return Facts(
        people=people(roster, known, agreements),
        meetings=meetings(
            read_meetings(Path(settings.mail.meetings)),
            from_agreements((row.employee, row.next_meeting_date) for row in agreements),
        ),
        preparations=frozenset((r.employee, r.year) for r in rows if r.kind == "preparation"),
        agreements={(r.employee, r.year): _agreement(r) for r in agreements},
        followups=tuple(_followups(agreements)),
        done=outbox.done(),
        sent_meetings=outbox.sent_meetings(),
    )


def read_meetings(path: Path) -> dict[tuple[str, int], Any]:
    """meetings.csv's rows; none without the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"mail.meetings {path}: {error}") from error
    try:
        return parse_meetings(text)
    except ValueError as error:
        raise SettingsError(f"mail.meetings {path}: {error}") from error


def people(
    roster: Mapping[str, RosterEntry] | None,
    known: Mapping[str, str],
    agreements: Iterable[FormRow],
) -> dict[str, Person]:
    """Everyone the mail may concern, with their leader (`leader_of`) and the addresses."""
    latest_leader = {row.employee: row.leader_name for row in sorted(agreements, key=_by_year)}
    entries = dict(roster or {})
    found = {}
    for number in set(entries) | set(known):
        entry = entries.get(number)
        leader = leader_of(entry.leader if entry else None, latest_leader.get(number))
        name = entry.name if entry else known[number]
        email = entry.email if entry else ""
        found[number] = Person(number, name, email, leader, _address_of(leader, entries))
    return found


def _address_of(leader: str, entries: Mapping[str, RosterEntry]) -> str:
    """The leader's address: the roster row(s) with the leader's name, if they agree."""
    if not leader:
        return ""
    addresses = {e.email for e in entries.values() if e.email and same_text(e.name, leader)}
    return addresses.pop() if len(addresses) == 1 else ""


def _by_year(row: FormRow) -> tuple[int, int]:
    return (row.year, row.version)


def _agreement(row: FormRow) -> Agreement:
    arrived = datetime.fromisoformat(row.arrived).date() if row.arrived else None
    return Agreement(row.employee, row.year, row.state, arrived, _day(row.meeting_date))


def _followups(agreements: Iterable[FormRow]) -> Iterable[Followup]:
    for row in agreements:
        for plan, value in row.followups:
            day = _day(value)
            if day is not None:
                yield Followup(row.employee, row.year, plan, day)


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None
