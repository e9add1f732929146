"""`formflow watch` sends the round's mail once a day, at `mail.hour`, in a thread of its own.

The thread wakes every minute; from the hour on it runs `formflow remind` for the day once.
A run that could not send everything (server down, a message that failed) is tried again
`RETRY_MINUTES` later the same day: the outbox sends only what did not go. Nothing of it may
stop the daemon: any fault is logged by its type, and the next try comes as for a failure.
Without `mail.host`, or with `watch --once`, there is no thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from formflow.config import Settings
from formflow.errors import FormflowError
from formflow.mail.compose import COPENHAGEN

log = logging.getLogger(__name__)

RETRY_MINUTES = 30
WAKE_SECONDS = 60.0


@dataclass(frozen=True)
class Plan:
    """When the daily run is next due: the day done, and no try before `not_before`."""

    done: date | None = None
    not_before: datetime | None = None

    def due(self, now: datetime, hour: int) -> bool:
        if now.hour < hour or self.done == now.date():
            return False
        return self.not_before is None or now >= self.not_before

    def after(self, now: datetime, complete: bool) -> Plan:
        if complete:
            return Plan(done=now.date())
        return Plan(self.done, now + timedelta(minutes=RETRY_MINUTES))


def run_today(settings: Settings, now: datetime) -> bool:
    """One day's `formflow remind`; True when everything due went (or cannot ever go)."""
    from formflow.mail.run import run_remind

    report = run_remind(settings, now.date())
    return not report.count("failed")


class DailyMail:
    """The thread's loop (`step` is one wake-up, for the tests)."""

    def __init__(
        self,
        settings: Settings,
        stop: threading.Event,
        *,
        run: Callable[[Settings, datetime], bool] = run_today,
        clock: Callable[[], datetime] = lambda: datetime.now(COPENHAGEN),
    ) -> None:
        self.settings = settings
        self.stop = stop
        self.run = run
        self.clock = clock
        self.plan = Plan()

    def step(self) -> None:
        now = self.clock()
        if not self.plan.due(now, self.settings.mail.hour):
            return
        try:
            complete = self.run(self.settings, now)
        except FormflowError as error:  # a setting, a template, meetings.csv: its own words
            log.error("the daily mail failed: %s; trying again later", error)
            complete = False
        except Exception as error:  # the daemon files forms whatever the mail does
            log.error("the daily mail failed: %s; trying again later", type(error).__name__)
            log.debug("the daily mail failed", exc_info=True)
            complete = False
        self.plan = self.plan.after(now, complete)

    def loop(self) -> None:
        while not self.stop.is_set():
            self.step()
            self.stop.wait(WAKE_SECONDS)


@contextmanager
def daily_mail(settings: Settings, stop: threading.Event, *, once: bool) -> Iterator[None]:
    """While the daemon watches, the mail of each day goes at `mail.hour` (see the module);
    not with `--once` (cron runs `formflow remind` itself)."""
    if once or not settings.mail.host:
        yield
        return
    thread = threading.Thread(target=DailyMail(settings, stop).loop, name="mail", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=WAKE_SECONDS)
