"""`formflow remind` when things go wrong: a crash mid-send, the server down, a refused
address, no address; the command line, the templates, meetings.csv, and watch's daily run."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import test_mail
from click.testing import CliRunner
from conftest import FlakyArchive
from mailserver import Login, MailServer
from test_mail import seen

from formflow.cli import cli
from formflow.config import Settings
from formflow.errors import SettingsError
from formflow.mail.compose import COPENHAGEN, MailError
from formflow.mail.daily import RETRY_MINUTES, DailyMail
from formflow.mail.meetings import parse_meetings
from formflow.mail.outbox import Outbox
from formflow.mail.run import run_remind, table
from formflow.mail.smtp import SmtpSender

server = test_mail.server  # the round of test_mail and its SMTP server, as fixtures
settings = test_mail.settings
FEB_17 = date(2027, 2, 17)  # Åse's invitation and her follow-up reminder are due


def outbox_states(settings: Settings) -> dict[str, str]:
    with Outbox.open(settings.archive) as outbox:
        return {key: state for key, (state, _, _) in outbox.states().items()}


def test_a_crash_between_sending_and_sent_resends_only_that_message(
    settings: Settings, server: MailServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    finished = Outbox.finished

    def crash(self: Outbox, *args: object) -> None:
        raise KeyboardInterrupt  # as kill -9 right after the server took the message

    monkeypatch.setattr(Outbox, "finished", crash)
    with pytest.raises(KeyboardInterrupt):
        run_remind(settings, FEB_17)
    first = server.handler.take()
    assert len(first) == 1  # the first message went; the run died before the second
    assert set(outbox_states(settings).values()) == {"sending"}
    monkeypatch.setattr(Outbox, "finished", finished)
    report = run_remind(settings, FEB_17)
    assert [line.outcome for line in report.lines] == ["sent", "sent"]
    again = server.handler.take()
    assert seen(again[0]) == seen(first[0])  # that one twice, the other once
    assert len(again) == 2
    assert set(outbox_states(settings).values()) == {"sent"}
    assert run_remind(settings, FEB_17).lines == ()


def test_a_server_that_is_down_is_retried_with_back_off_and_nothing_is_lost(
    settings: Settings, server: MailServer
) -> None:
    server.stop()
    pauses: list[float] = []

    def sender(mail: object) -> SmtpSender:
        return SmtpSender(mail, delays=(0.01, 0.02), sleep=pauses.append)  # type: ignore[arg-type]

    report = run_remind(settings, FEB_17, sender=sender)
    assert [line.outcome for line in report.lines] == ["failed", "failed"]
    assert pauses == [0.01, 0.02]  # the first message tried thrice; the second waits
    assert "serveren svarer ikke" in report.lines[0].note
    assert "ikke sendt, prøves igen" in table(report)
    assert set(outbox_states(settings).values()) == {"failed"}
    server.start()
    later = run_remind(settings, FEB_17 + timedelta(days=1), sender=sender)
    assert [line.outcome for line in later.lines] == ["sent", "sent"]
    assert len(server.handler.take()) == 2


def test_a_refused_address_is_reported_and_not_retried(
    settings: Settings, server: MailServer
) -> None:
    server.handler.refused = {"bo@firma.dk"}
    run_remind(settings, FEB_17)
    server.handler.take()
    day = date(2027, 2, 19)  # Bo's invitation: he is refused, his leader in copy is not
    invitation = run_remind(settings, day)
    assert [(line.outcome, line.note) for line in invitation.lines] == [
        ("sent", "afvist: bo@firma.dk (550 5.1.1 Ukendt modtager)")
    ]
    assert [r.recipients for r in server.handler.take()] == [("lise@firma.dk",)]
    day = date(2027, 3, 2)  # his hand-in reminder goes to him alone
    reminder = run_remind(settings, day)
    bos = [
        (line.due.kind, line.outcome) for line in reminder.lines if line.due.person.number == "1002"
    ]
    assert bos == [("handin", "refused")]
    assert "afvist af serveren" in table(reminder) and "bo@firma.dk" in table(reminder)
    assert all("bo@firma.dk" not in r.recipients for r in server.handler.take())
    assert run_remind(settings, day + timedelta(days=1)).lines == ()  # not tried again
    assert outbox_states(settings)["handin/1002/2027/2027-03-05"] == "refused"


def test_no_address_is_shown_and_the_message_goes_once_the_roster_has_one(
    settings: Settings, server: MailServer
) -> None:
    roster = Path(settings.roster)
    roster.write_text(roster.read_text("utf-8").replace("aase@firma.dk", ""), "utf-8")
    report = run_remind(settings, FEB_17)
    assert [(line.due.kind, line.outcome) for line in report.lines] == [
        ("followup", "sent"),  # to Lise alone: her address is known
        ("invitation", "missing"),
    ]
    assert report.lines[1].note == "ingen e-mailadresse for Åse Ærø i medarbejderlisten"
    assert [r.recipients for r in server.handler.take()] == [("lise@firma.dk",)]
    roster.write_text(
        roster.read_text("utf-8").replace("Ærø;Lise Løvgren;", "Ærø;Lise Løvgren;aase@firma.dk"),
        "utf-8",
    )
    later = run_remind(settings, FEB_17 + timedelta(days=1))
    assert [(line.due.kind, line.outcome) for line in later.lines] == [("invitation", "sent")]


def test_the_command_prints_a_danish_table_and_dry_run_sends_nothing(
    settings: Settings, server: MailServer, tmp_path: Path
) -> None:
    config = tmp_path / "formflow.toml"
    config.write_text(
        f'archive = "archive"\nroster = "employees.csv"\ninbox = "inbox"\n'
        f'[mail]\nhost = "127.0.0.1"\nport = {server.port}\nsender = "mus@firma.dk"\n',
        encoding="utf-8",
    )
    runner = CliRunner()
    args = ["--config", str(config), "remind", "--today", "2027-02-17"]
    dry = runner.invoke(cli, [*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Post i MUS-runden 17.02.2027 (prøvekørsel" in dry.output
    assert "Åse Ærø" in dry.output and "indkaldelse" in dry.output and "sendes" in dry.output
    assert server.handler.take() == []
    sent = runner.invoke(cli, args)
    assert sent.exit_code == 0, sent.output
    assert "I alt: 2 sendt." in sent.output
    assert len(server.handler.take()) == 2
    rerun = runner.invoke(cli, args)
    assert "Intet at sende i dag." in rerun.output
    server.handler.refused = {"dorte@firma.dk"}
    refused = runner.invoke(cli, ["--config", str(config), "remind", "--today", "2027-03-07"])
    assert refused.exit_code == 1 and "afvist af serveren" in refused.output


def test_an_organisations_own_texts(settings: Settings, server: MailServer, tmp_path: Path) -> None:
    own = tmp_path / "tekster"
    own.mkdir()
    (own / "invitation.txt").write_text(
        "Emne: Velkommen til MUS, $employee_name\nHej $employee_name, vi ses $meeting_date.\n",
        encoding="utf-8",
    )
    mail = settings.mail.__class__(**{**vars(settings.mail), "templates": str(own)})
    ours = settings.replace(mail=mail)
    run_remind(ours, FEB_17)
    subjects = sorted(str(r.message["Subject"]) for r in server.handler.take())
    assert subjects == [
        "Opfølgning på udviklingsplanen den 20.02.2027",  # the built-in text
        "Velkommen til MUS, Åse Ærø",
    ]
    (own / "handin.txt").write_text("Emne: Husk $skema\n", encoding="utf-8")
    with pytest.raises(MailError, match=r"handin.txt: \$skema cannot be filled in"):
        run_remind(ours, FEB_17 + timedelta(days=1))


def test_meetings_csv() -> None:
    rows = parse_meetings(
        "\ufeffnr;dato;tid;sted\n1001;10.03.2027;kl. 9.30;Mødelokale Ø\n7;2027-04-01;;\n"
    )
    assert [(m.employee, m.day.isoformat(), str(m.start), m.place) for m in rows.values()] == [
        ("1001", "2027-03-10", "09:30:00", "Mødelokale Ø"),
        ("7", "2027-04-01", "None", ""),
    ]
    with pytest.raises(ValueError, match="meetings row 2: the date is not a date"):
        parse_meetings("1;10.03.2027;10:00;A\n2;31.02.2027;10:00;B\n")
    with pytest.raises(ValueError, match="meetings row 1: the time is not HH:MM"):
        parse_meetings("1;10.03.2027;25:00;A\n")
    with pytest.raises(ValueError, match="a second meeting of 1 in 2027"):
        parse_meetings("1;10.03.2027;;\n1;11.03.2027;;\n")


def test_a_broken_meetings_csv_stops_the_run_with_its_line(
    settings: Settings, server: MailServer
) -> None:
    Path(settings.mail.meetings).write_text("1001;i morgen;10:00;Ø\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="meetings row 1"):
        run_remind(settings, FEB_17)


def test_watch_runs_the_mail_once_a_day_at_its_hour_and_survives_a_failure(
    settings: Settings,
) -> None:
    runs: list[datetime] = []
    results = iter([RuntimeError("boom"), False, True, True])
    now = [datetime(2027, 2, 17, 6, 59, tzinfo=COPENHAGEN)]

    def run(_: Settings, at: datetime) -> bool:
        runs.append(at)
        result = next(results)
        if isinstance(result, Exception):
            raise result
        return result

    daily = DailyMail(settings, threading.Event(), run=run, clock=lambda: now[0])
    daily.step()
    assert runs == []  # before mail.hour (7)
    for minutes in (1, 2, RETRY_MINUTES + 1, RETRY_MINUTES + 2, 2 * RETRY_MINUTES + 2, 600):
        now[0] = datetime(2027, 2, 17, 6, 59, tzinfo=COPENHAGEN) + timedelta(minutes=minutes)
        daily.step()  # a fault, then a failure: each tried again after RETRY_MINUTES
    assert [at.strftime("%H:%M") for at in runs] == ["07:00", "07:30", "08:01"]
    now[0] = datetime(2027, 2, 18, 7, 0, tzinfo=COPENHAGEN)
    daily.step()
    daily.step()
    assert len(runs) == 4  # the next day once


def test_kill_9_while_a_message_is_in_flight_sends_only_that_one_twice(
    settings: Settings, server: MailServer, tmp_path: Path
) -> None:
    """A real `formflow remind` process killed while the server holds its first message."""
    config = tmp_path / "formflow.toml"
    config.write_text(
        f'archive = "archive"\nroster = "employees.csv"\ninbox = "inbox"\n'
        f'[mail]\nhost = "127.0.0.1"\nport = {server.port}\nsender = "mus@firma.dk"\n',
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "formflow", "--config", str(config), "remind"]
    server.handler.hold = True
    process = subprocess.Popen([*command, "--today", "2027-02-17"], env=_env())
    try:
        assert server.handler.holding.wait(60)
        process.kill()  # SIGKILL: no finally, no cleanup
        process.wait(10)
    finally:
        server.handler.release.set()
    first = server.handler.take()
    assert len(first) == 1
    assert set(outbox_states(settings).values()) == {"sending"}
    done = subprocess.run([*command, "--today", "2027-02-17"], env=_env(), capture_output=True)
    assert done.returncode == 0, done.stderr
    again = server.handler.take()
    assert len(again) == 2 and seen(again[0]) == seen(first[0])
    assert set(outbox_states(settings).values()) == {"sent"}


def _env() -> dict[str, str]:
    """The subprocess imports this worktree's formflow, as the tests do."""
    root = str(Path(__file__).resolve().parent.parent)
    return {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}


def test_watch_sends_the_days_mail_from_its_hour(settings: Settings, server: MailServer) -> None:
    """The daemon's own mail thread: a meeting in 15 days (real today) gets its invitation
    (and no hand-in reminder yet: its deadline is 8 days off)."""
    from test_watch import fake_services

    from formflow.watch import run_watch

    soon = date.today() + timedelta(days=15)
    Path(settings.mail.meetings).write_text(f"1002;{soon.isoformat()};10:00;Kontoret\n", "utf-8")
    mail = settings.mail.__class__(**{**vars(settings.mail), "hour": 0})
    watching = settings.replace(mail=mail)
    stop = threading.Event()
    codes: list[int] = []
    archive = FlakyArchive(watching)
    thread = threading.Thread(
        target=lambda: codes.append(
            run_watch(watching, stop=stop, services=fake_services(archive), polling=0.2)
        )
    )
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.handler.received and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(30)
    assert codes == [0]
    (invitation,) = server.handler.take()
    assert invitation.recipients == ("bo@firma.dk", "lise@firma.dk")
    assert str(invitation.message["Subject"]).startswith("Indkaldelse til MUS")


def test_two_runs_at_once_send_each_message_once(settings: Settings, server: MailServer) -> None:
    """Cron's `formflow remind` and the daemon's daily run at the same moment."""
    reports: list[int] = []
    runs = [
        threading.Thread(target=lambda: reports.append(len(run_remind(settings, FEB_17).lines)))
        for _ in range(2)
    ]
    for run in runs:
        run.start()
    for run in runs:
        run.join(30)
    assert sorted(reports) == [0, 2]
    assert len(server.handler.take()) == 2


def test_login_with_a_password_file(settings: Settings, tmp_path: Path) -> None:
    login = Login("mus@firma.dk", "hemmeligt-42")
    guarded = MailServer(login)
    guarded.start()
    try:
        secret = tmp_path / "smtp-password"
        mail = settings.mail.__class__(
            **{**vars(settings.mail), "port": guarded.port, "username": "mus@firma.dk"}
        )
        with pytest.raises(MailError, match="no password"):
            run_remind(settings.replace(mail=mail), FEB_17)
        mail = mail.__class__(**{**vars(mail), "password_file": str(secret)})
        for wrong, problem in (("forkert", "refused the login"), ("hemmelig-æøå", "outside ASCII")):
            secret.write_text(f"{wrong}\n", encoding="utf-8")
            with pytest.raises(MailError, match=problem):
                run_remind(settings.replace(mail=mail), FEB_17)
        secret.write_text("hemmeligt-42\n", encoding="utf-8")
        report = run_remind(settings.replace(mail=mail), FEB_17)
        assert [line.outcome for line in report.lines] == ["sent", "sent"]
        assert login.tried[-1] == ("mus@firma.dk", "hemmeligt-42")
        assert {password for _, password in login.tried} == {"forkert", "hemmeligt-42"}
        assert len(guarded.handler.take()) == 2
    finally:
        guarded.stop()


def test_a_passing_refusal_is_tried_again_on_the_next_run(
    settings: Settings, server: MailServer
) -> None:
    server.handler.later = {"aase@firma.dk"}
    day = date(2027, 3, 14)  # only Åse's signature reminder is due (to her alone) ...
    run_remind(settings, day - timedelta(days=1))  # ... after the round so far went out
    server.handler.take()
    from test_mail import file_form

    from formflow.archive import Archive

    file_form(Archive.open(settings), "agreement", 2027, "awaiting_employee", date(2027, 3, 11),
              employee_number="1001", employee_name="Åse Ærø", leader_name="Lise Løvgren",
              meeting_date="2027-03-10")  # fmt: skip
    greylisted = run_remind(settings, day)
    assert [(line.due.kind, line.outcome) for line in greylisted.lines] == [("signature", "failed")]
    assert "450 4.2.0" in greylisted.lines[0].note
    server.handler.later = set()
    later = run_remind(settings, day + timedelta(days=1))
    assert [(line.due.kind, line.outcome) for line in later.lines] == [("signature", "sent")]
    assert [r.recipients for r in server.handler.take()] == [("aase@firma.dk",)]


def test_the_form_as_docx(settings: Settings, server: MailServer) -> None:
    from test_mail import attachment

    from formflow.read import read_data

    mail = settings.mail.__class__(**{**vars(settings.mail), "attachment": "docx"})
    run_remind(settings.replace(mail=mail), FEB_17)
    invitation = next(
        r for r in server.handler.take() if "Indkaldelse" in str(r.message["Subject"])
    )
    name, data = attachment(invitation.message, ".docx")
    assert name == "forberedelsesskema-2027-1001-Åse-Ærø.docx"
    fields = read_data(data, name, settings).fields
    assert fields["employee_name"] == "Åse Ærø"
    assert fields["prev_plan_1_competence"] == "Projektledelse"


def test_watch_logs_a_mail_setting_to_fix_and_goes_on(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """No sender set: the daemon's mail says why in the log, and tries again later."""
    mail = settings.mail.__class__(**{**vars(settings.mail), "sender": ""})
    now = [datetime(2027, 2, 17, 7, 0, tzinfo=COPENHAGEN)]
    daily = DailyMail(settings.replace(mail=mail), threading.Event(), clock=lambda: now[0])
    daily.step()
    assert "mail.host and mail.sender must be set" in caplog.text
    assert daily.plan.not_before == now[0] + timedelta(minutes=RETRY_MINUTES)


def self_signed(folder: Path) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and its key (PEM files), as an organisation's own CA
    would issue to its mail relay; trusted only where SSL_CERT_FILE names it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "relæ.firma.dk")])
    now = datetime.now(tz=COPENHAGEN)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert, secret = folder / "relay.pem", folder / "relay.key"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    secret.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert), str(secret)


@pytest.mark.parametrize("tls", ["starttls", "ssl"])
def test_tls_to_the_relay_with_login_and_no_sending_to_an_untrusted_one(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tls: str
) -> None:
    certificate = self_signed(tmp_path)
    login = Login("mus@firma.dk", "hemmeligt-42")
    relay = MailServer(login, tls=tls, certificate=certificate)
    relay.start()
    try:
        monkeypatch.setenv("FORMFLOW_SMTP_PASSWORD", "hemmeligt-42")
        mail = settings.mail.__class__(
            **{
                **vars(settings.mail),
                "port": relay.port,
                "username": "mus@firma.dk",
                "starttls": tls == "starttls",
                "ssl": tls == "ssl",
            }
        )
        tried = settings.replace(mail=mail)
        # Not trusted (no CA names it): the run stops with the setting to fix, nothing goes.
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ingen.pem"))
        with pytest.raises(MailError, match="certificate cannot be trusted"):
            run_remind(tried, FEB_17)
        assert relay.handler.take() == [] and login.tried == []
        monkeypatch.setenv("SSL_CERT_FILE", certificate[0])
        report = run_remind(tried, FEB_17)
        assert [line.outcome for line in report.lines] == ["sent", "sent"]
        assert login.tried == [("mus@firma.dk", "hemmeligt-42")]
        assert len(relay.handler.take()) == 2
    finally:
        relay.stop()
