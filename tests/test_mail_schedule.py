"""The schedule alone (pure): moved meetings, catching up, what stops a reminder."""

from __future__ import annotations

from datetime import date, time

from formflow.mail.schedule import (
    Agreement,
    Facts,
    Meeting,
    Offsets,
    Person,
    SentMeeting,
    schedule,
)

ANNA = Person("7", "Anna Ærø", "anna@firma.dk", "Lise Løvgren", "lise@firma.dk")
MEETING = Meeting("7", 2027, date(2027, 3, 10), time(10, 0), "Ø")


def facts(**changes: object) -> Facts:
    base: dict[str, object] = {
        "people": {"7": ANNA},
        "meetings": (MEETING,),
        "preparations": frozenset(),
        "agreements": {},
        "followups": (),
        "done": frozenset(),
        "sent_meetings": {},
    }
    base.update(changes)
    return Facts(**base)  # type: ignore[arg-type]


def kinds(found: Facts, day: date) -> list[tuple[str, str]]:
    return [(d.kind, d.key) for d in schedule(found, day, Offsets())]


def test_the_invitation_is_due_from_21_days_before_until_the_day_before() -> None:
    assert kinds(facts(), date(2027, 2, 16)) == []
    expected = [("invitation", "invitation/7/2027/0")]
    assert kinds(facts(), date(2027, 2, 17)) == expected
    assert kinds(facts(), date(2027, 3, 9))[:1] == expected  # caught up, e.g. after downtime
    assert kinds(facts(), date(2027, 3, 10))[:1] != expected  # the meeting's day: too late


def test_a_meeting_moved_and_moved_back_gets_an_update_each_time() -> None:
    told = SentMeeting(MEETING.when, 0)
    moved = Meeting("7", 2027, date(2027, 3, 11), time(10, 0), "Ø")
    day = date(2027, 2, 20)
    assert kinds(facts(sent_meetings={"2027-7": told}), day) == []
    assert kinds(facts(meetings=(moved,), sent_meetings={"2027-7": told}), day) == [
        ("update", "update/7/2027/1")
    ]
    back = {"2027-7": SentMeeting(moved.when, 1)}
    (update,) = schedule(facts(sent_meetings=back), day, Offsets())
    assert (update.key, update.sequence, update.meeting) == ("update/7/2027/2", 2, MEETING)
    place = Meeting("7", 2027, MEETING.day, MEETING.start, "Kantinen")
    assert kinds(facts(meetings=(place,), sent_meetings={"2027-7": told}), day)[0][0] == "update"


def test_a_filed_form_stops_its_reminder() -> None:
    handin_day, agreement_day = date(2027, 2, 28), date(2027, 3, 15)
    assert kinds(facts(done=frozenset({"invitation/7/2027/0"})), handin_day) == [
        ("handin", "handin/7/2027/2027-03-03")
    ]
    filed = facts(done=frozenset({"invitation/7/2027/0"}), preparations=frozenset({("7", 2027)}))
    assert kinds(filed, handin_day) == []
    assert kinds(facts(), agreement_day) == [("agreement", "agreement/7/2027/2027-03-17")]
    agreed = {("7", 2027): Agreement("7", 2027, "signed", date(2027, 3, 12))}
    assert kinds(facts(agreements=agreed), agreement_day) == []


def test_the_signature_reminder_and_who_gets_what() -> None:
    waiting = {("7", 2027): Agreement("7", 2027, "awaiting_employee", date(2027, 3, 12))}
    day = date(2027, 3, 15)
    (due,) = schedule(facts(meetings=(), agreements=waiting), day, Offsets())
    assert (due.kind, due.to, due.cc, due.year) == ("signature", ("anna@firma.dk",), (), 2027)
    assert schedule(facts(meetings=(), agreements=waiting), date(2027, 3, 14), Offsets()) == []
    signed = {("7", 2027): Agreement("7", 2027, "signed", date(2027, 3, 12))}
    assert schedule(facts(meetings=(), agreements=signed), day, Offsets()) == []
    no_leader_address = Person("7", "Anna Ærø", "anna@firma.dk", "Lise Løvgren", "")
    (reminder,) = schedule(facts(people={"7": no_leader_address}), date(2027, 3, 15), Offsets())
    assert reminder.kind == "agreement" and reminder.to == ()
    assert reminder.missing == "ingen e-mailadresse for lederen Lise Løvgren i medarbejderlisten"
