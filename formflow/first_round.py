"""The first round: one pre-filled form per employee on the roster, in one folder per leader.

Before a round has agreements to carry over, `formflow forms render KIND --year Y --roster`
makes each employee's form with what the roster knows: number, name and leader, and position
and meeting date when a header row names such columns. Nobody types their own employee number
(a typo there sends the form to the wrong personnel folder). The forms go where carry-over puts
its forms, so a leader finds both the same way:

    <out>/<leader>/<number> <name>/<form>-<year>-<number>-<name>.pdf

`plan_first_round` is pure (roster entries in, files and values out); `render_first_round`
reads the roster, then renders and writes one employee at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from formflow.archive.roster import RosterEntry, read_roster
from formflow.carryover import number_order, output_folder
from formflow.errors import FormflowError
from formflow.forms.definition import FormDefinition
from formflow.naming import form_file_stem
from formflow.read.dates import DateError, parse_date


@dataclass(frozen=True)
class Prefilled:
    """One employee's form: where it goes and what it is pre-filled with."""

    folder: Path
    stem: str
    values: Mapping[str, str]


def plan_first_round(
    roster: Mapping[str, RosterEntry],
    definition: FormDefinition,
    year: int,
    out: Path,
    base: Mapping[str, str] | None = None,
) -> list[Prefilled]:
    """Each roster employee's form, by number; `base` values (`--data`) go on every form.

    A meeting date the roster gives must be a date of `year` (the form's year must match its
    meeting): anything else is refused rather than put on a form to be rejected later.
    """
    planned = []
    for number in sorted(roster, key=number_order):
        entry = roster[number]
        known = {
            "employee_number": entry.number,
            "employee_name": entry.name,
            "leader_name": entry.leader,
            "employee_position": entry.position,
            "meeting_date": _meeting_date(entry, year),
        }
        values = dict(base or {})
        values.update({k: v for k, v in known.items() if v and definition.has(k)})
        planned.append(
            Prefilled(
                output_folder(out, entry.leader, entry.number, entry.name),
                form_file_stem(definition.kind, year, entry.number, entry.name),
                values,
            )
        )
    return planned


def _meeting_date(entry: RosterEntry, year: int) -> str:
    """The roster's meeting date written the Danish way, "" when it gives none."""
    if not entry.meeting_date:
        return ""
    try:
        day = parse_date(entry.meeting_date)
    except DateError:
        raise FormflowError(
            f"roster: the meeting date of employee {entry.number} is not a date "
            "(write it as dd.mm.åååå)"
        ) from None
    if day.year != year:
        raise FormflowError(
            f"roster: the meeting date of employee {entry.number} is in {day.year}, not in {year}"
        )
    return day.strftime("%d.%m.%Y")


def render_first_round(
    roster_path: Path,
    definition: FormDefinition,
    year: int,
    base: Mapping[str, str],
    formats: Iterable[str],
    out: Path,
) -> Iterator[Path]:
    """Read the roster, plan, then render and write each employee's form, one at a time;
    yields the paths written."""
    from formflow.forms.render import render_files

    roster = read_roster(roster_path)
    if not roster:
        raise FormflowError(f"--roster: no employees in {roster_path} (setting `roster`)")
    formats = tuple(formats)
    for form in plan_first_round(roster, definition, year, out, base):
        yield from render_files(definition, year, form.values, formats, form.folder, form.stem)
