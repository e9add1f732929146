"""A real SMTP server on 127.0.0.1 for the mail tests (aiosmtpd), keeping what it got."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass(frozen=True)
class Received:
    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage


class Handler:
    """Keeps every message; refuses the addresses in `refused` (550)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refused: set[str] = set()
        self.later: set[str] = set()  # greylisted: 450
        self.hold = False  # keep the next message's "250 OK" back until `release` is set
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 Ukendt modtager"
        if address in self.later:
            return "450 4.2.0 Prøv igen senere"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), parsed))
        if self.hold:  # the server has the message; the client does not know yet
            self.hold = False
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
        return "250 OK"

    def take(self) -> list[Received]:
        taken, self.received = self.received, []
        return taken


def free_port() -> int:
    """A port free now (aiosmtpd cannot be given port 0 and say which it took)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Login:
    """Takes one login (AUTH PLAIN/LOGIN): `user` with `password`."""

    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user, password
        self.tried: list[tuple[str, str]] = []

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = data.login.decode(), data.password.decode()
        self.tried.append((user, password))
        return AuthResult(success=(user, password) == (self.user, self.password), handled=False)


class MailServer:
    """`tls`: None (plain), "starttls" (STARTTLS required before mail) or "ssl" (TLS from the
    first byte), with the certificate chain and key `certificate` (PEM files)."""

    def __init__(
        self,
        login: Login | None = None,
        *,
        tls: str | None = None,
        certificate: tuple[str, str] | None = None,
    ) -> None:
        self.handler = Handler()
        self.port = free_port()
        self.login = login
        self.tls, self.certificate = tls, certificate
        self.controller: Controller | None = None

    def start(self) -> None:
        """Listen (again, on the same port: a server back after being down)."""
        options: dict[str, Any] = {}
        if self.login is not None:
            options = {
                "authenticator": self.login,
                # aiosmtpd counts only STARTTLS as TLS (its implicit TLS not): ask for TLS
                # there, and on a plain server allow the test's plain login on 127.0.0.1
                "auth_require_tls": self.tls == "starttls",
                "auth_required": False,
            }
        if self.tls is not None and self.certificate is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*self.certificate)
            if self.tls == "starttls":
                options |= {"tls_context": context, "require_starttls": True}
            else:
                options["ssl_context"] = context
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **options)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller.loop.close()  # aiosmtpd leaves its event loop open
            self.controller = None
