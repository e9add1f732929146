"""The round page's rows, worked out once per change and shared by every request.

A round of 10 000 employees takes a tenth of a second to work out (`rounds.round_of`), too
long to do per request with 20 users at once. It changes only when the index does (a form
filed or handed back: `Index.changed`) or the roster file does (`Archive.roster` hands back
the same entries until then), or the day turns; so it is kept, with who leads whom and who has
a file, until one of those changes. One request works it out while the others wait for it.
A page shows `PAGE_ROWS` rows of it; the totals count every row the filters keep.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from formflow.rounds import StatusRow, round_of, same_text, totals
from formflow.web import access
from formflow.web.users import User

PAGE_ROWS = 100


@dataclass(frozen=True)
class Round:
    """The round of a year as of a day, for every user: the rows, whose each is (by number)
    and who has a personnel file to link to."""

    year: int
    rows: tuple[StatusRow, ...]
    leaders: tuple[str, ...]  # every leader named in the rows, for HR's filter
    whose: Mapping[str, tuple[int, ...]]  # leader (`access.leader_of_employee`) -> row places
    files: frozenset[str]
    totals: Mapping[str, int]  # of every row

    def rows_of(self, user: User) -> tuple[StatusRow, ...]:
        """The rows `user` may see: HR every one, a leader their own (`access.may_see`)."""
        if user.role == "hr":
            return self.rows
        if user.role != "leader":
            return ()
        places = sorted(
            place
            for leader, found in self.whose.items()
            if same_text(leader, user.person)
            for place in found
        )
        return tuple(self.rows[place] for place in places)


def work_out(archive: Any, year: int, today: date, deadline_days: int) -> Round:
    """The round of `year` as of `today` from the archive's index and roster."""
    status = round_of(archive, year, today=today, deadline_days=deadline_days)
    roster, people = archive.roster(), archive.index.people()
    whose: dict[str, list[int]] = {}
    for place, row in enumerate(status.rows):
        if access.is_known(row.number, roster, people):
            whose.setdefault(access.leader_of_employee(row.number, roster, people), []).append(
                place
            )
    return Round(
        year,
        status.rows,
        tuple(sorted({r.leader for r in status.rows if r.leader}, key=str.casefold)),
        {leader: tuple(places) for leader, places in whose.items()},
        frozenset(r.number for r in status.rows if access.is_known(r.number, roster, people)),
        status.totals,
    )


class Rounds:
    """The rounds worked out so far, each kept until the index, the roster or the day
    changes (a few years' at a time)."""

    KEEP = 4

    def __init__(self, archive: Any, deadline_days: int) -> None:
        self.archive = archive
        self.deadline_days = deadline_days
        self._lock = threading.Lock()
        self._kept: dict[tuple[int, date, str], tuple[Any, Round]] = {}

    def of(self, year: int, today: date) -> Round:
        """The round of `year` as of `today`, worked out anew only after a change."""
        roster = self.archive.roster()
        key = (year, today, self.archive.index.changed())
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and kept[0] is roster:
                return kept[1]
            found = work_out(self.archive, year, today, self.deadline_days)
            if len(self._kept) >= self.KEEP:
                self._kept.clear()
            self._kept[key] = (roster, found)
            return found


def counted(found: Round, rows: Sequence[StatusRow]) -> Mapping[str, int]:
    """The totals of `rows`: those of the whole round when they are all of it."""
    return found.totals if rows is found.rows else totals(rows)


def page_of(rows: Sequence[StatusRow], wanted: int) -> tuple[Sequence[StatusRow], int, int]:
    """The rows of page `wanted` (from 1, kept within the pages there are), that page and the
    number of pages."""
    pages = max(1, -(-len(rows) // PAGE_ROWS))
    page = min(max(wanted, 1), pages)
    return rows[(page - 1) * PAGE_ROWS : page * PAGE_ROWS], page, pages
