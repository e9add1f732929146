"""The messages themselves: Danish texts from templates, the calendar invitation, the form.

A text is `templates/<kind>.txt` (first line `Emne: <subject>`, then the body), filled with
`string.Template` placeholders ($employee_name, $leader_name, $sender_name, $year, $meeting
(day and time), $meeting_date, $meeting_time, $meeting_place, $deadline, $plan, $inbox, and
in the invitation $preparation).
An organisation overrides a text with a file of the same name in `mail.templates`. The values
are names, dates, places and where the inbox is: never a form's answers.

An invitation or update carries the calendar entry twice: inline as `text/calendar;
method=REQUEST` (what Outlook shows as a meeting) and as an `.ics` attachment, both as text
(as bytes, æøå came back broken). Its UID is the meeting's (`Meeting.ident`), the same when it
moves, and its SEQUENCE is the schedule's; the time is Europe/Copenhagen. Pure but for
reading the templates.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo

from formflow.errors import FormflowError
from formflow.mail.schedule import Due, Meeting

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
BUILT_IN = Path(__file__).parent / "templates"
PLACEHOLDERS = (
    "employee_name",
    "leader_name",
    "sender_name",
    "year",
    "meeting",
    "meeting_date",
    "meeting_time",
    "meeting_place",
    "deadline",
    "plan",
    "inbox",
    "preparation",
)
_WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")


class MailError(FormflowError):
    """A mail setting or template that cannot be used (the message says which)."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes
    subtype: str  # "pdf", or the DOCX's long one


@dataclass(frozen=True)
class Text:
    subject: str
    body: str


def load_text(kind: str, folder: str) -> string.Template:
    """The template of `kind`: the organisation's (`mail.templates`), else the built-in."""
    own = Path(folder) / f"{kind}.txt" if folder else None
    path = own if own is not None and own.is_file() else BUILT_IN / f"{kind}.txt"
    try:
        return string.Template(path.read_text(encoding="utf-8").removeprefix("\ufeff"))
    except (OSError, UnicodeDecodeError) as error:
        raise MailError(f"mail template {path}: {error}") from error


def fill(template: string.Template, values: dict[str, str], kind: str) -> Text:
    """The subject (the first line, after `Emne:`) and the body, filled in."""
    unknown = sorted(set(template.get_identifiers()) - set(PLACEHOLDERS))
    if unknown or not template.is_valid():
        names = ", ".join(f"${name}" for name in unknown) or "a lone $"
        raise MailError(
            f"mail template {kind}.txt: {names} cannot be filled in (use "
            f"{', '.join('$' + p for p in PLACEHOLDERS)}; $$ for a dollar sign)"
        )
    head, _, body = template.substitute(values).partition("\n")
    if not head.startswith("Emne:"):
        raise MailError(f"mail template {kind}.txt: the first line must be `Emne: <subject>`")
    return Text(" ".join(head.removeprefix("Emne:").split()), body.strip() + "\n")


def values_of(
    due: Due, *, sender: str, inbox: str, preparation: str, deadline_days: int
) -> dict[str, str]:
    """What a text may say: names, dates, the place, where the inbox is."""
    meeting = due.meeting
    deadline = due.deadline
    if deadline is None and meeting is not None:
        deadline = meeting.day - timedelta(days=deadline_days)
    day = danish_day(meeting.day) if meeting else "-"
    at = f"kl. {meeting.start:%H.%M}" if meeting and meeting.start else ""
    name, address = parseaddr(sender)
    return {
        "employee_name": due.person.name,
        "leader_name": due.person.leader or "din leder",
        "sender_name": name or address,
        "year": str(due.year),
        "meeting": f"{day} {at}".strip(),  # the day, and the time when it is known
        "meeting_date": day,
        "meeting_time": at,
        "meeting_place": (meeting.place if meeting else "") or "aftales med din leder",
        "deadline": danish_date(deadline) if deadline else "-",
        "plan": str(due.plan),
        "inbox": inbox,
        "preparation": preparation,
    }


def message(
    due: Due,
    text: Text,
    *,
    sender: str,
    now: datetime,
    minutes: int,
    attachment: Attachment | None = None,
) -> EmailMessage:
    """The e-mail: headers, the text, and for an invitation its calendar entry and form."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = ", ".join(due.to)
    if due.cc:
        mail["Cc"] = ", ".join(due.cc)
    mail["Subject"] = text.subject
    mail["Date"] = format_datetime(now)
    mail["Message-ID"] = make_msgid(domain=_domain(sender))
    mail.set_content(text.body)
    if due.kind in ("invitation", "update") and due.meeting is not None:
        entry = calendar(due, text, sender=sender, now=now, minutes=minutes)
        # quoted-printable: its lines go out as CRLF, as iCalendar wants (base64 keeps LF)
        mail.add_alternative(
            entry, subtype="calendar", params={"method": "REQUEST"}, cte="quoted-printable"
        )
        mail.add_attachment(
            entry, subtype="calendar", filename="invitation.ics", cte="quoted-printable"
        )
    if attachment is not None:
        maintype, subtype = "application", attachment.subtype
        mail.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return mail


def calendar(due: Due, text: Text, *, sender: str, now: datetime, minutes: int) -> str:
    """The iCalendar text (METHOD:REQUEST) of the meeting `due` invites to."""
    import icalendar

    meeting = due.meeting
    assert meeting is not None
    event = icalendar.Event()
    event.add("uid", meeting_uid(meeting, sender))
    event.add("sequence", due.sequence)
    event.add("dtstamp", now)
    start, end = _span(meeting, minutes)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", f"MUS {meeting.year}: {due.person.name} og {due.person.leader}")
    if meeting.place:
        event.add("location", meeting.place)
    event.add("description", text.body)
    event.add("organizer", f"mailto:{parseaddr(sender)[1]}")
    for address in (*due.to, *due.cc):
        attendee = icalendar.vCalAddress(f"mailto:{address}")
        attendee.params["ROLE"] = icalendar.vText("REQ-PARTICIPANT")
        attendee.params["RSVP"] = icalendar.vText("TRUE")
        event.add("attendee", attendee, encode=False)
    event.add("status", "CONFIRMED")
    cal = icalendar.Calendar()
    cal.add("prodid", "-//formflow//MUS//DA")
    cal.add("version", "2.0")
    cal.add("method", "REQUEST")
    cal.add_component(event)
    # the zone's rules around the meeting only (from 1970 on they run to hundreds of lines)
    cal.add_missing_timezones(date(meeting.year - 1, 1, 1), date(meeting.year + 2, 1, 1))
    return cal.to_ical().decode("utf-8")


def meeting_uid(meeting: Meeting, sender: str) -> str:
    """One UID per meeting, however often it moves: the year, the employee, the sender's domain."""
    return f"mus-{meeting.ident}@{_domain(sender)}"


def _span(meeting: Meeting, minutes: int) -> tuple[date | datetime, date | datetime]:
    """Start and end: a time in Copenhagen, else the whole day (the time is not known)."""
    if meeting.start is None:
        return meeting.day, meeting.day + timedelta(days=1)
    start = datetime.combine(meeting.day, meeting.start, tzinfo=COPENHAGEN)
    return start, start + timedelta(minutes=minutes)


def _domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "formflow.local"


def danish_date(day: date) -> str:
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


def danish_day(day: date) -> str:
    """`tirsdag den 18.05.2027`."""
    return f"{_WEEKDAYS[day.weekday()]} den {danish_date(day)}"
