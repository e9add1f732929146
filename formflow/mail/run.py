"""`formflow remind`: send the round's mail due today, and say what went (the I/O edge).

Read the facts (`facts`), ask the schedule what is due (`schedule`), then per message:
compose it (an invitation gets the pre-filled preparation form, made by carry-over on the
spot if it was not made yet), record it as "sending" in the outbox, hand it to the SMTP
server, record how it ended. A dry run reads the archive and the outbox read-only and
writes, makes and sends nothing. Logs name kinds and counts, never people.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from formflow.config import Settings
from formflow.errors import FormflowError
from formflow.mail.compose import (
    COPENHAGEN,
    PLACEHOLDERS,
    Attachment,
    MailError,
    fill,
    load_text,
    message,
    values_of,
)
from formflow.mail.facts import offsets, read_facts
from formflow.mail.outbox import Outbox
from formflow.mail.schedule import KIND_WORDS, Due, schedule
from formflow.mail.smtp import SmtpSender

log = logging.getLogger(__name__)

Outcome = Literal["sent", "would_send", "refused", "failed", "missing"]
OUTCOME_WORDS: dict[Outcome, str] = {
    "sent": "sendt",
    "would_send": "sendes",
    "refused": "afvist af serveren",
    "failed": "ikke sendt, prøves igen",
    "missing": "mangler adresse",
}
DOCX_TYPE = "vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class Line:
    """One message due today and what became of it (`note`: Danish)."""

    due: Due
    outcome: Outcome
    note: str = ""


@dataclass(frozen=True)
class Report:
    today: date
    dry_run: bool
    lines: tuple[Line, ...]

    def count(self, outcome: Outcome) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome)


Sender = Callable[[Any], Any]  # MailSettings -> an object with send(message) and close()


def run_remind(
    settings: Settings,
    today: date,
    *,
    dry_run: bool = False,
    sender: Sender = SmtpSender,
    now: datetime | None = None,
) -> Report:
    """Send (or with `dry_run` list) the mail due on `today`; see the module doc."""
    if dry_run:
        from formflow.archive.index import read_only_index

        with Outbox.read_only(settings.archive) as outbox:
            facts = read_facts(settings, read_only_index(settings.archive), outbox, today)
        due = schedule(facts, today, offsets(settings))
        lines = [Line(d, "missing", d.missing) if d.missing else Line(d, "would_send") for d in due]
        return Report(today, True, tuple(lines))
    _check_settings(settings)
    from formflow.archive import Archive

    archive = Archive.open(settings)
    with Outbox.open(settings.archive) as outbox:
        facts = read_facts(settings, archive.index, outbox, today)
        due = schedule(facts, today, offsets(settings))
        post = _Post(settings, archive, outbox, sender(settings.mail), now)
        try:
            lines = [post.send(item) for item in due]
        finally:
            post.sender.close()
    report = Report(today, False, tuple(lines))
    log.info(
        "mail of %s: %d sent, %d refused, %d failed, %d without an address",
        today.isoformat(),
        *(report.count(o) for o in ("sent", "refused", "failed", "missing")),
    )
    return report


def _check_settings(settings: Settings) -> None:
    mail = settings.mail
    if not mail.host or not mail.sender:
        raise MailError(
            "mail.host and mail.sender must be set in formflow.toml to send mail "
            "(`formflow remind --dry-run` shows what is due without them)"
        )
    for kind in KIND_WORDS:  # a broken template stops the run before anything goes
        fill(load_text(kind, mail.templates), _SAMPLE, kind)


_SAMPLE = dict.fromkeys(PLACEHOLDERS, "x")  # to try every template before sending


class _Post:
    """Sends one message at a time: compose, record "sending", SMTP, record the end."""

    def __init__(
        self, settings: Settings, archive: Any, outbox: Outbox, sender: Any, now: datetime | None
    ) -> None:
        self.settings = settings
        self.archive = archive
        self.outbox = outbox
        self.sender = sender
        self.now = now

    def send(self, due: Due) -> Line:
        if due.missing:
            return Line(due, "missing", due.missing)
        if self.sender.down:  # nothing recorded: the message simply waits for the next run
            return Line(due, "failed", self.sender.down)
        try:
            mail = self._compose(due)
        except MailError:  # a template to fix: stop the run, nothing of it was sent
            raise
        except FormflowError as error:
            log.warning("mail %s not composed: %s", due.kind, type(error).__name__)
            return Line(due, "failed", f"forberedelsesskemaet kunne ikke laves: {error}")
        self.outbox.sending(due, self._now())
        sent = self.sender.send(mail)
        self.outbox.finished(due, sent.result, sent.note, self._now())
        return Line(due, sent.result, sent.note)

    def _now(self) -> datetime:
        return self.now or datetime.now(COPENHAGEN)

    def _compose(self, due: Due) -> Any:
        settings, mail = self.settings, self.settings.mail
        attachment, preparation = None, ""
        if due.kind == "invitation":
            attachment, preparation = self._form(due)
        values = values_of(
            due,
            sender=mail.sender,
            inbox=mail.inbox_text or str(settings.inbox),
            preparation=preparation,
            deadline_days=settings.validation.preparation_deadline_days,
        )
        text = fill(load_text(due.kind, mail.templates), values, due.kind)
        return message(
            due,
            text,
            sender=mail.sender,
            now=self._now(),
            minutes=mail.meeting_minutes,
            attachment=attachment,
        )

    def _form(self, due: Due) -> tuple[Attachment | None, str]:
        """The invitation's preparation form, and the sentence that tells about it."""
        assert due.meeting is not None
        year, number = due.meeting.year, due.person.number
        rows = self.archive.index.forms(year=year, employee=number, kind="preparation")
        if any(row.state != "generated" for row in rows):
            return None, f"Vi har allerede modtaget dit forberedelsesskema for {year}."
        data, carried = preparation_form(self.settings, self.archive, due)
        fmt = self.settings.mail.attachment
        from formflow.naming import form_file_stem

        name = f"{form_file_stem('preparation', year, number, due.person.name)}.{fmt}"
        attached = Attachment(name, data, "pdf" if fmt == "pdf" else DOCX_TYPE)
        said = f"Dit forberedelsesskema for {year} er vedhæftet ({name})."
        if carried:
            said += (
                " Dine mål og din udviklingsplan fra sidste år står allerede i det: giv hvert "
                "mål en status fra 1 til 4."
            )
        return attached, f"{said} Udfyld skemaet, og underskriv det."


def preparation_form(settings: Settings, archive: Any, due: Due) -> tuple[bytes, bool]:
    """The employee's pre-filled preparation form of the meeting's year, and whether it is
    carry-over's: the one carry-over made, made now if it was not; without a signed
    agreement of last year, one with the header (number, name, leader, meeting date)."""
    from formflow.carryover_run import Options, run_carry_over

    assert due.meeting is not None
    year, number, fmt = due.meeting.year, due.person.number, settings.mail.attachment
    made = _generated(archive, year, number, fmt)
    if made is None:
        with tempfile.TemporaryDirectory() as out:  # the leader's copy is not wanted here
            options = Options(year - 1, year, Path(out), (fmt,), (number,))
            run_carry_over(settings, options, archive=archive, workers=1)
        made = _generated(archive, year, number, fmt)
    if made is not None:
        return made, True
    return _header_form(settings, due), False


def _generated(archive: Any, year: int, number: str, fmt: str) -> bytes | None:
    rows = archive.index.forms(year=year, employee=number, kind="preparation", latest_only=False)
    for row in sorted(rows, key=lambda r: r.version, reverse=True):
        if row.state == "generated" and row.file_format == fmt:
            return (Path(archive.root) / row.original).read_bytes()
    return None


def _header_form(settings: Settings, due: Due) -> bytes:
    """A first round's form: who, with whom, when; nothing else is known."""
    from formflow.carryover_run import form_name
    from formflow.forms.library import load_definition
    from formflow.forms.render import render_bytes
    from formflow.mail.compose import danish_date

    assert due.meeting is not None
    definition = load_definition(form_name(settings), settings)
    person = due.person
    known = {
        "employee_number": person.number,
        "employee_name": person.name,
        "leader_name": person.leader,
        "meeting_date": danish_date(due.meeting.day),
    }
    values = {k: v for k, v in known.items() if v and definition.has(k)}
    return render_bytes(definition, due.meeting.year, values, settings.mail.attachment)


# --- the table -------------------------------------------------------------------------------


def table(report: Report) -> str:
    """The Danish table `formflow remind` prints."""
    from formflow.display import shown
    from formflow.mail.compose import danish_date

    title = f"Post i MUS-runden {danish_date(report.today)}"
    if report.dry_run:
        title += " (prøvekørsel: intet sendes, intet gemmes)"
    if not report.lines:
        return f"{title}\nIntet at sende i dag.\n"
    rows = [("Nr.", "Navn", "Besked", "Til", "Status")]
    notes: list[str] = []
    for line in report.lines:
        due = line.due
        to = ", ".join(due.to) + (f" (cc {', '.join(due.cc)})" if due.cc else "")
        rows.append(
            (
                shown(due.person.number),
                shown(due.person.name),
                KIND_WORDS[due.kind],
                to or "-",
                OUTCOME_WORDS[line.outcome],
            )
        )
        notes.append(shown(line.note))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    out = [title]
    for at, row in enumerate(rows):
        out.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if at and notes[at - 1]:
            out.append(f"    {notes[at - 1]}")
    out.append(_totals(report))
    return "\n".join(out) + "\n"


def _totals(report: Report) -> str:
    counts: Iterable[tuple[Outcome, int]] = (
        (outcome, report.count(outcome)) for outcome in OUTCOME_WORDS
    )
    return "I alt: " + ", ".join(f"{n} {OUTCOME_WORDS[o]}" for o, n in counts if n) + "."
