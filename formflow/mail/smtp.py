"""Sending through an SMTP server (smtplib): TLS and login as set, retries with back-off.

One connection per run, opened at the first message. A server that cannot be reached, or
drops the connection, is tried again after each pause of `delays`; when they are used up the
server counts as down for the rest of the run ("failed": the message goes on the next run).
A refusal for good (5xx: every recipient refused, the sender or the message refused) is
"refused" with the server's answer: reported, never retried. A 4xx answer is passing
(greylisting, a full mailbox): "failed", tried again on the next run. A failed login stops
the run, and so does a certificate that cannot be verified: each is a setting to fix, not a
message's fault, and formflow never sends over a connection it cannot trust.
"""

from __future__ import annotations

import contextlib
import logging
import os
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

from formflow.config import MailSettings
from formflow.mail.compose import MailError

log = logging.getLogger(__name__)

PASSWORD_VARIABLE = "FORMFLOW_SMTP_PASSWORD"
DELAYS = (2.0, 10.0, 30.0)  # seconds between tries at a server that does not answer
TIMEOUT = 30.0
Result = Literal["sent", "refused", "failed"]


@dataclass(frozen=True)
class Sent:
    """How one message went: its result and, in Danish, what the server said."""

    result: Result
    note: str = ""


def password(mail: MailSettings) -> str | None:
    """The SMTP password: `password_file`'s first line, else $FORMFLOW_SMTP_PASSWORD."""
    found = os.environ.get(PASSWORD_VARIABLE)
    if mail.password_file:
        try:
            lines = Path(mail.password_file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise MailError(f"mail.password_file: {error}") from error
        found = lines[0] if lines else ""
    if found is not None and not found.isascii():  # smtplib's login sends ASCII only
        raise MailError(
            "the SMTP password has characters outside ASCII (æøå): smtplib cannot send them"
        )
    return found


class SmtpSender:
    """Sends messages over one connection to the server in `mail` (see the module doc)."""

    def __init__(
        self,
        mail: MailSettings,
        *,
        delays: Sequence[float] = DELAYS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if mail.username and password(mail) is None:
            raise MailError(
                f"mail.username is set but there is no password: set mail.password_file or "
                f"${PASSWORD_VARIABLE}"
            )
        self.mail = mail
        self.delays = tuple(delays)
        self.sleep = sleep
        self.down = ""  # why the server counts as down for the rest of the run
        self._smtp: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> Sent:
        """Send one message; never raises for the server's answers (see `Sent`)."""
        if self.down:
            return Sent("failed", self.down)
        for pause in (*self.delays, None):
            try:
                refused = self._connection().send_message(message)
            except smtplib.SMTPRecipientsRefused as error:  # nobody took it
                passing = any(code < 500 for code, _ in error.recipients.values())
                return Sent("failed" if passing else "refused", _refusals(error.recipients))
            except smtplib.SMTPResponseException as error:
                if isinstance(error, smtplib.SMTPAuthenticationError):
                    raise MailError(
                        f"the SMTP server refused the login ({error.smtp_code})"
                    ) from None
                if error.smtp_code >= 500:
                    return Sent("refused", _answer(error.smtp_code, error.smtp_error))
                self._drop()
                note = f"serveren svarede {_answer(error.smtp_code, error.smtp_error)}"
            except ssl.SSLCertVerificationError as error:
                self._drop()
                raise MailError(
                    f"the SMTP server's certificate cannot be trusted ({error.verify_message}): "
                    "check mail.host, or name the organisation's CA in SSL_CERT_FILE"
                ) from None
            except (OSError, smtplib.SMTPException) as error:
                self._drop()
                note = f"serveren svarer ikke ({type(error).__name__})"
            else:
                return Sent("sent", _refusals(refused) if refused else "")
            log.warning("SMTP: %s", note)
            if pause is None:
                break
            self.sleep(pause)
        self.down = note
        return Sent("failed", note)

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._smtp.quit()
            self._drop()

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        mail = self.mail
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if mail.ssl:
            smtp = smtplib.SMTP_SSL(mail.host, mail.port, timeout=TIMEOUT, context=context)
        else:
            smtp = smtplib.SMTP(mail.host, mail.port, timeout=TIMEOUT)
        try:
            if mail.starttls:
                smtp.starttls(context=context)
            if mail.username:
                smtp.login(mail.username, password(mail) or "")
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp
        return smtp

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
        self._smtp = None


def _refusals(recipients: Mapping[str, tuple[int, bytes]]) -> str:
    """`afvist: addr (550 …)` per refused address (the server's words, in Danish framing)."""
    return "; ".join(
        f"afvist: {address} ({_answer(code, text)})" for address, (code, text) in recipients.items()
    )


def _answer(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}"
