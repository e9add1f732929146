"""The round's mail over simulated days, against a real SMTP server on 127.0.0.1.

A round of four employees and their leader: invitations with a calendar entry and the
pre-filled preparation form, the reminders, a moved meeting, each message exactly once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import icalendar
import pytest
from mailserver import MailServer, Received

from formflow.archive import Archive
from formflow.config import MailSettings, Settings
from formflow.mail.run import Report, run_remind, table
from formflow.model import CheckResult, Extraction
from formflow.read import read_data

LISE = "Lise Løvgren"
ROSTER = (
    "nr;navn;leder;email\n"
    "1001;Åse Ærø;Lise Løvgren;aase@firma.dk\n"
    "1002;Bo Bæk;Lise Løvgren;bo@firma.dk\n"
    "1003;Cæcilie Øst;Lise Løvgren;caecilie@firma.dk\n"
    "1004;Dorte Dam;Lise Løvgren;dorte@firma.dk\n"
    "9001;Lise Løvgren;;lise@firma.dk\n"
)
MEETINGS = (
    "number;date;time;place\n"
    "1001;10.03.2027;10:00;Mødelokale Ø\n"
    "1003;15.03.2027;13:30;Kantinen\n"
    "1004;2027-03-17;9.00;Lises kontor\n"
)


def file_form(
    archive: Archive, kind: str, year: int, state: str, arrived: date, **fields: str
) -> None:
    extraction = Extraction(
        file=f"{kind}.pdf", reader="acroform", kind=kind, year=year, definition=kind,
        fields=fields,
    )  # fmt: skip
    data = f"%PDF-1.7 {kind} {year} {state} {sorted(fields.items())}".encode()
    archive.file(
        data,
        CheckResult(extraction, {}, ()),
        state=state,
        arrived=datetime.fromisoformat(f"{arrived.isoformat()}T08:00:00+01:00"),
        source_name=f"{kind}.pdf",
    )


def agreement_2026(number: str, name: str, next_meeting: str, **extra: str) -> dict[str, str]:
    return {
        "employee_number": number,
        "employee_name": name,
        "leader_name": LISE,
        "meeting_date": "2026-03-10",
        "next_meeting_date": next_meeting,
        "goal_professional_1_text": "Lære Python på kursus",
        "goal_professional_1_start": "2026-04-01",
        "goal_professional_1_end": "2026-12-31",
        "plan_1_competence": "Projektledelse",
        **extra,
    }


@pytest.fixture
def server() -> Iterator[MailServer]:
    running = MailServer()
    running.start()
    yield running
    running.stop()


@pytest.fixture
def settings(tmp_path: Path, server: MailServer) -> Settings:
    (tmp_path / "inbox").mkdir()
    (tmp_path / "employees.csv").write_text(ROSTER, encoding="utf-8")
    (tmp_path / "meetings.csv").write_text(MEETINGS, encoding="utf-8")
    settings = Settings(
        inbox=tmp_path / "inbox",
        archive=tmp_path / "archive",
        roster=tmp_path / "employees.csv",
        mail=MailSettings(
            host="127.0.0.1",
            port=server.port,
            sender="HR Æblehaven <mus@æblehaven.dk>".replace("æ", "ae"),
            meetings=str(tmp_path / "meetings.csv"),
            inbox_text=r"\\filserver\MUS\indbakke",
        ),
    )
    archive = Archive.open(settings)
    plan = {"plan_1_followup_date": "2027-02-20"}
    file_form(archive, "agreement", 2026, "signed", date(2026, 3, 12),
              **agreement_2026("1001", "Åse Ærø", "2027-03-10", **plan))  # fmt: skip
    file_form(archive, "agreement", 2026, "signed", date(2026, 3, 12),
              **agreement_2026("1002", "Bo Bæk", "2027-03-12"))  # fmt: skip
    file_form(archive, "agreement", 2026, "signed", date(2026, 3, 12),
              **agreement_2026("1003", "Cæcilie Øst", "2027-03-15"))  # fmt: skip
    return settings


def days(first: date, last: date) -> Iterator[date]:
    while first <= last:
        yield first
        first += timedelta(days=1)


def seen(item: Received) -> tuple[str, str, str]:
    message = item.message
    return (str(message["To"]), str(message.get("Cc", "")), str(message["Subject"]))


def events(settings: Settings, day: date) -> None:
    """What happens in the round on `day`, besides the mail."""
    archive = Archive.open(settings)
    meetings = Path(settings.mail.meetings)
    if day == date(2027, 2, 26):  # before her reminder's day: none goes
        file_form(archive, "preparation", 2027, "received", day, employee_number="1001",
                  employee_name="Åse Ærø", leader_name=LISE, meeting_date="2027-03-10")  # fmt: skip
    if day == date(2027, 3, 1):
        text = meetings.read_text(encoding="utf-8")
        meetings.write_text(text.replace("15.03.2027;13:30", "16.03.2027;13:00"), "utf-8")
    if day == date(2027, 3, 5):
        file_form(archive, "preparation", 2027, "received", day, employee_number="1003",
                  employee_name="Cæcilie Øst", leader_name=LISE,
                  meeting_date="2027-03-16")  # fmt: skip
    if day == date(2027, 3, 11):
        file_form(archive, "agreement", 2027, "awaiting_employee", day, employee_number="1001",
                  employee_name="Åse Ærø", leader_name=LISE, meeting_date="2027-03-10",
                  next_meeting_date="2028-03-09")  # fmt: skip
    if day == date(2027, 3, 18):
        file_form(archive, "agreement", 2027, "signed", day, employee_number="1003",
                  employee_name="Cæcilie Øst", leader_name=LISE, meeting_date="2027-03-16",
                  next_meeting_date="2028-03-14")  # fmt: skip


EXPECTED = {
    date(2027, 2, 13): [("aase@firma.dk, lise@firma.dk", "",
                         "Opfølgning på udviklingsplanen den 20.02.2027")],
    date(2027, 2, 17): [("aase@firma.dk", "lise@firma.dk",
                         "Indkaldelse til MUS 2027: onsdag den 10.03.2027")],
    date(2027, 2, 19): [("bo@firma.dk", "lise@firma.dk",
                         "Indkaldelse til MUS 2027: fredag den 12.03.2027")],
    date(2027, 2, 22): [("caecilie@firma.dk", "lise@firma.dk",
                         "Indkaldelse til MUS 2027: mandag den 15.03.2027")],
    date(2027, 2, 24): [("dorte@firma.dk", "lise@firma.dk",
                         "Indkaldelse til MUS 2027: onsdag den 17.03.2027")],
    date(2027, 3, 1): [("caecilie@firma.dk", "lise@firma.dk",
                        "Ændret tidspunkt for MUS 2027: tirsdag den 16.03.2027")],
    date(2027, 3, 2): [("bo@firma.dk", "",
                        "Påmindelse: forberedelsesskema til MUS senest 05.03.2027")],
    date(2027, 3, 7): [("dorte@firma.dk", "",
                        "Påmindelse: forberedelsesskema til MUS senest 10.03.2027")],
    date(2027, 3, 14): [("aase@firma.dk", "",
                         "Påmindelse: underskriv dit aftaleskema fra MUS 2027")],
    date(2027, 3, 17): [("lise@firma.dk", "",
                         "Påmindelse: aftaleskema for Bo Bæk senest 19.03.2027")],
    date(2027, 3, 22): [("lise@firma.dk", "",
                         "Påmindelse: aftaleskema for Dorte Dam senest 24.03.2027")],
}  # fmt: skip


def test_the_rounds_calendar_day_by_day_exactly_once(
    settings: Settings, server: MailServer
) -> None:
    got: dict[date, list[Received]] = {}
    for day in days(date(2027, 2, 1), date(2027, 4, 10)):
        events(settings, day)
        first = run_remind(settings, day)
        again = run_remind(settings, day)  # a rerun the same day sends nothing new
        assert again.lines == ()
        assert {line.outcome for line in first.lines} <= {"sent"}, table(first)
        if received := server.handler.take():
            got[day] = received
    assert {day: [seen(r) for r in items] for day, items in got.items()} == EXPECTED
    check_invitation(settings, got[date(2027, 2, 17)][0])
    check_first_round_form(settings, got[date(2027, 2, 24)][0])
    check_update(got[date(2027, 2, 22)][0], got[date(2027, 3, 1)][0])
    check_all_day(got[date(2027, 2, 19)][0])
    check_followup(got[date(2027, 2, 13)][0])
    for items in got.values():
        for item in items:
            check_private(item.message)


def calendar_event(message: EmailMessage, inline: bool = True) -> Any:
    """The VEVENT of the inline text/calendar part (or of the .ics attachment)."""
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    part = next(p for p in parts if (p.get_filename() is None) == inline)
    assert part.get_param("method") == "REQUEST" or not inline
    text = part.get_content()
    assert isinstance(text, str)
    calendar = icalendar.Calendar.from_ical(text)
    assert calendar["METHOD"] == "REQUEST"
    return next(iter(calendar.walk("VEVENT")))


def attachment(message: EmailMessage, suffix: str) -> tuple[str, bytes]:
    for part in message.iter_attachments():
        name = part.get_filename() or ""
        if name.endswith(suffix):
            data = part.get_payload(decode=True)
            assert isinstance(data, bytes)
            return name, data
    raise AssertionError(f"no {suffix} attached")


def check_invitation(settings: Settings, item: Received) -> None:
    message = item.message
    assert set(item.recipients) == {"aase@firma.dk", "lise@firma.dk"}
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "Kære Åse Ærø" in text and "Lise Løvgren" in text
    assert "onsdag den 10.03.2027 kl. 10.00" in text and "Mødelokale Ø" in text
    assert "senest 03.03.2027 i mappen \\\\filserver\\MUS\\indbakke" in text
    assert "forberedelsesskema-2027-1001-Åse-Ærø.pdf" in text
    assert "fra sidste år står allerede i det: giv hvert mål en status fra 1 til 4" in text
    event = calendar_event(message)
    assert str(event["UID"]) == "mus-2027-1001@aeblehaven.dk"
    assert int(event["SEQUENCE"]) == 0
    start = event.decoded("DTSTART")
    assert start == datetime(2027, 3, 10, 10, 0, tzinfo=start.tzinfo)
    assert str(start.tzinfo) == "Europe/Copenhagen"
    assert event["DTSTART"].params["TZID"] == "Europe/Copenhagen"
    assert str(event["SUMMARY"]) == "MUS 2027: Åse Ærø og Lise Løvgren"
    assert str(event["LOCATION"]) == "Mødelokale Ø"
    attached = calendar_event(message, inline=False)
    assert str(attached["UID"]) == str(event["UID"])
    name, data = attachment(message, ".pdf")
    assert name == "forberedelsesskema-2027-1001-Åse-Ærø.pdf"
    fields = read_data(data, name, settings).fields
    assert fields["employee_name"] == "Åse Ærø"
    assert fields["leader_name"] == LISE
    assert fields["meeting_date"] == "2027-03-10"
    assert fields["prev_goal_professional_1_text"] == "Lære Python på kursus"
    assert fields["prev_plan_1_competence"] == "Projektledelse"


def check_first_round_form(settings: Settings, item: Received) -> None:
    """Dorte has no agreement of last year: her form has who, with whom and when."""
    name, data = attachment(item.message, ".pdf")
    assert name == "forberedelsesskema-2027-1004-Dorte-Dam.pdf"
    body = item.message.get_body(("plain",))
    assert body is not None and "fra sidste år" not in body.get_content()
    fields = read_data(data, name, settings).fields
    assert fields["employee_number"] == "1004"
    assert fields["employee_name"] == "Dorte Dam"
    assert fields["meeting_date"] == "2027-03-17"
    assert not fields.get("prev_goal_professional_1_text")


def check_update(invitation: Received, update: Received) -> None:
    first, moved = calendar_event(invitation.message), calendar_event(update.message)
    assert str(moved["UID"]) == str(first["UID"]) == "mus-2027-1003@aeblehaven.dk"
    assert (int(first["SEQUENCE"]), int(moved["SEQUENCE"])) == (0, 1)
    start = moved.decoded("DTSTART")
    assert (start.date(), start.hour, start.minute) == (date(2027, 3, 16), 13, 0)
    assert str(start.tzinfo) == "Europe/Copenhagen"
    assert not list(update.message.iter_attachments())[1:]  # the .ics only: no form again


def check_all_day(item: Received) -> None:
    """Bo's meeting is known by its day only (his agreement): a whole-day entry."""
    event = calendar_event(item.message)
    assert event.decoded("DTSTART") == date(2027, 3, 12)
    assert "LOCATION" not in event


def check_followup(item: Received) -> None:
    body = item.message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "Kære Åse Ærø og Lise Løvgren" in text
    assert "Den 20.02.2027 er der opfølgning på punkt 1 i udviklingsplanen fra MUS 2026." in text


def check_private(message: EmailMessage) -> None:
    """No text of the agreement's answers in any message."""
    raw = message.as_string()
    body = message.get_body(("plain",))
    assert body is not None
    assert "Python" not in body.get_content() and "Projektledelse" not in body.get_content()
    assert "Projektledelse" not in raw.split("application/pdf")[0]


def test_dry_run_sends_and_records_nothing(settings: Settings, server: MailServer) -> None:
    day = date(2027, 2, 17)
    outbox = settings.archive / ".formflow" / "mail.sqlite"
    report = run_remind(settings, day, dry_run=True)
    assert [(line.due.kind, line.outcome) for line in report.lines] == [
        ("followup", "would_send"),
        ("invitation", "would_send"),
    ]
    assert server.handler.take() == []
    assert not outbox.exists()
    assert "prøvekørsel" in table(report) and "sendes" in table(report)
    before = _generated_forms(settings)
    run_remind(settings, day, dry_run=True)
    assert _generated_forms(settings) == before  # no carry-over form made either
    assert [line.outcome for line in run_remind(settings, day).lines] == ["sent", "sent"]
    assert len(server.handler.take()) == 2
    again = run_remind(settings, day, dry_run=True)
    assert again.lines == ()


def _generated_forms(settings: Settings) -> int:
    return sum(1 for row in Archive.open(settings).index.forms() if row.state == "generated")


def run_lines(report: Report) -> list[tuple[str, str, str]]:
    return [(line.due.kind, line.outcome, line.note) for line in report.lines]
