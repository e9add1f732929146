"""Carry-over: last year's signed agreements become next year's preparation forms (pure).

Two parts, neither touching a file:

- `carry_over` maps one agreement onto next year's form, as the contract's table says: header
  keys copy over, `next_meeting_date` becomes the new `meeting_date`, every goal with its dates
  moves into section 2 ("Status på mål og aftaler fra sidste MUS") with its 1-4 status left for
  the employee, and every development-plan item into last year's plan rows. Goals keep their
  category and their order; empty rows are skipped so the new form has no gaps. A goal or plan
  item with no row left in the new form is never dropped silently: it is reported as overflow.
- the plan: from what the archive holds (`RoundFacts`, read by the edge in
  `formflow.carryover_run`), `employees` lists whom carry-over looks at and `step_for` decides
  what it does for each: which values go into which file, which forms made before are only
  copied back, and who gets none and why. One step at a time, so the edge can carry each out
  (and forget it) before the next.

The leader who hands a form out is the roster's (the roster decides who leads whom); without a
roster, or for someone the roster gives no leader, the leader of the latest agreement.
Reasons and overflow are Danish: they are shown to leaders and HR.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from formflow.forms.definition import FieldSpec, FormDefinition, GoalTable, RowTable
from formflow.naming import form_file_stem, safe_part
from formflow.rounds import leader_of, same_text

HEADER_KEYS = ("employee_name", "employee_number", "employee_position", "leader_name")
GOAL_PARTS = ("text", "start", "end")
NO_LEADER = "uden-leder"
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


@dataclass(frozen=True)
class Overflow:
    """A value of last year's agreement that has no place in next year's form."""

    source_key: str
    field: str  # the field as a person finds it on last year's form
    reason: str  # Danish

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


@dataclass(frozen=True)
class CarryOver:
    values: dict[str, str]
    overflow: tuple[Overflow, ...]


def carry_over(
    agreement: Mapping[str, str], source: FormDefinition, target: FormDefinition
) -> CarryOver:
    """Next year's preparation values from last year's agreement values (contract keys)."""
    values = {key: agreement[key] for key in HEADER_KEYS if agreement.get(key) and target.has(key)}
    if agreement.get("next_meeting_date") and target.has("meeting_date"):
        values["meeting_date"] = agreement["next_meeting_date"]
    overflow: list[Overflow] = []
    overflow += _carry_goals(agreement, source, target, values)
    overflow += _carry_plan(agreement, source, target, values)
    values.update(_carry_wheel(agreement, target))
    return CarryOver(values, tuple(overflow))


def _carry_wheel(agreement: Mapping[str, str], target: FormDefinition) -> dict[str, str]:
    """Last year's agreed competence wheel, drawn beside the empty one (`prev_wheel_<key>`);
    the employee marks this year's afresh."""
    wheel = target.wheel
    if wheel is None or not wheel.previous:
        return {}
    return {
        f"prev_wheel_{c.key}": agreement[f"wheel_{c.key}"]
        for c in wheel.competences
        if agreement.get(f"wheel_{c.key}", "") in ("1", "2", "3", "4", "5")
    }


def _carry_goals(
    agreement: Mapping[str, str],
    source: FormDefinition,
    target: FormDefinition,
    out: dict[str, str],
) -> list[Overflow]:
    table = source.goal_table("goal")
    previous = target.goal_table("prev_goal")
    if table is None:
        return []
    overflow = []
    for category in table.categories:
        goals = [
            row for row in table.rows_of(category) if _filled(agreement, _goal_keys(row.cells))
        ]
        free = _target_rows(previous, category.key)
        for index, row in enumerate(goals):
            if index >= len(free):
                first = row.cells[0]
                overflow.append(Overflow(first.key, first.title, _no_room(category.label, free)))
                continue
            for part, cell in zip(GOAL_PARTS, row.cells, strict=False):
                if agreement.get(cell.key):
                    out[f"prev_goal_{category.key}_{free[index]}_{part}"] = agreement[cell.key]
    return overflow


def _carry_plan(
    agreement: Mapping[str, str],
    source: FormDefinition,
    target: FormDefinition,
    out: dict[str, str],
) -> list[Overflow]:
    plans = [t for t in source.blocks(RowTable) if t.prefix == "plan"]
    previous = [t for t in target.blocks(RowTable) if t.prefix == "prev_plan"]
    if not plans:
        return []
    rows = len(previous[0].rows) if previous else 0
    items = [
        key
        for n in range(1, len(plans[0].rows) + 1)
        if agreement.get(key := f"plan_{n}_competence", "").strip()
    ]
    overflow = []
    for index, key in enumerate(items):
        if index >= rows:
            reason = f"næste års skema har kun plads til {rows} punkter fra sidste års plan"
            overflow.append(Overflow(key, source.field(key).title, reason))
            continue
        out[f"prev_plan_{index + 1}_competence"] = agreement[key]
    return overflow


def _goal_keys(cells: tuple[FieldSpec, ...]) -> list[str]:
    return [cell.key for cell in cells[: len(GOAL_PARTS)]]


def _filled(values: Mapping[str, str], keys: list[str]) -> bool:
    return any(values.get(key, "").strip() for key in keys)


def _target_rows(table: GoalTable | None, category: str) -> list[int]:
    if table is None:
        return []
    return [row.number for row in table.rows if row.category.key == category]


def _no_room(label: str, rows: list[int]) -> str:
    if not rows:
        return f"kategorien '{label}' findes ikke på næste års skema"
    return f"næste års skema har kun plads til {len(rows)} mål under '{label}'"


def danish_dates(definition: FormDefinition, values: Mapping[str, str]) -> dict[str, str]:
    """ISO dates (as records hold them) written the Danish way for the person filling in."""
    shown = {}
    for key, value in values.items():
        match = _ISO.match(value)
        is_date = definition.has(key) and definition.field(key).type == "date"
        shown[key] = f"{match[3]}.{match[2]}.{match[1]}" if match and is_date else value
    return shown


def output_folder(out: Path, leader: str, number: str, name: str) -> Path:
    """`<out>/<leader>/<number> <name>`: how a leader finds each employee's form."""
    return out / safe_part(leader, NO_LEADER) / f"{safe_part(number)} {safe_part(name)}"


# --- the plan ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    """What to carry over, and where to."""

    from_year: int
    to_year: int
    out: Path
    formats: tuple[str, ...] = ("pdf",)
    employees: tuple[str, ...] = ()  # only these numbers (all when empty)
    leader: str | None = None
    dry_run: bool = False
    force: bool = False
    form: str | None = None  # the preparation form's definition (see `carryover_run.form_name`)


@dataclass(frozen=True)
class Person:
    """An employee as the roster or a personnel folder knows them."""

    name: str
    leader: str = ""


@dataclass(frozen=True)
class Agreement:
    """The latest agreement of the from-year, as the archive's index holds it."""

    state: str
    name: str
    leader: str


@dataclass(frozen=True)
class RoundFacts:
    """What the archive holds that decides carry-over, read by the edge."""

    agreements: Mapping[str, Agreement]  # by employee number
    preparations: frozenset[str]  # numbers with a preparation form of the from-year
    handed_in: frozenset[str]  # numbers that handed in the to-year's preparation form
    generated: Mapping[str, Mapping[str, str]]  # number -> format -> original made before
    roster: Mapping[str, Person] | None  # None without a roster
    people: Mapping[str, Person]  # the archive's personnel folders
    existing: frozenset[Path]  # the files already in `out`
    # what was read in each signed agreement (the edge reads a record when it is asked for)
    fields: Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class Employee:
    number: str
    name: str
    leader: str


Outcome = Literal["make", "already_made", "skipped"]


@dataclass(frozen=True)
class Step:
    """What carry-over does for one employee; `files` are where the leader finds the forms."""

    employee: Employee
    outcome: Outcome
    reason: str = ""  # Danish: why skipped, or that a form is copied back
    files: tuple[Path, ...] = ()
    render: tuple[str, ...] = ()  # the formats to make
    copy_back: tuple[tuple[Path, str], ...] = ()  # (file in out, original in the archive)
    values: Mapping[str, str] = field(default_factory=dict)  # as the form shows them
    overflow: tuple[str, ...] = ()  # Danish


def employees(facts: RoundFacts, options: Options) -> list[Employee]:
    """Who carry-over looks at, by number: the `--employee` numbers, else everyone with a
    form of the from-year or on the roster; only those of `--leader` when it is given."""
    roster = facts.roster or {}
    numbers = set(options.employees) or (set(facts.agreements) | facts.preparations | set(roster))
    found = [_employee(number, facts) for number in sorted(numbers, key=number_order)]
    if options.leader is None:
        return found
    return [e for e in found if same_text(e.leader, options.leader)]


def _employee(number: str, facts: RoundFacts) -> Employee:
    listed = (facts.roster or {}).get(number)
    agreement = facts.agreements.get(number)
    known = facts.people.get(number)
    name = _first(*(s.name for s in (agreement, listed, known) if s is not None))
    leader = leader_of(
        listed.leader if listed else None,
        agreement.leader if agreement else None,
        known.leader if known else None,
    )
    return Employee(number, name, leader)


def step_for(
    employee: Employee,
    facts: RoundFacts,
    options: Options,
    source: FormDefinition,
    target: FormDefinition,
) -> Step:
    """Make, copy back or skip: one employee's step."""
    reason = _why_none(employee.number, facts, options)
    if reason:
        return Step(employee, "skipped", reason)
    folder = output_folder(options.out, employee.leader, employee.number, employee.name)
    stem = form_file_stem(target.kind, options.to_year, employee.number, employee.name)
    files = tuple(folder / f"{stem}.{fmt}" for fmt in options.formats)
    made = {} if options.force else facts.generated.get(employee.number, {})
    copies = tuple(
        (path, made[fmt])
        for fmt, path in zip(options.formats, files, strict=True)
        if fmt in made and path not in facts.existing
    )
    render = tuple(fmt for fmt in options.formats if fmt not in made)
    if not render:
        back = "kopieres tilbage fra personalemappen" if copies else ""
        return Step(employee, "already_made", back, files, copy_back=copies)
    carried = carry_over(facts.fields[employee.number], source, target)
    values = dict(carried.values)
    if employee.leader and target.has("leader_name"):
        values["leader_name"] = employee.leader  # the leader who hands the form out
    overflow = tuple(str(o) for o in carried.overflow)
    shown = danish_dates(target, values)
    return Step(employee, "make", "", files, render, copies, shown, overflow)


def _why_none(number: str, facts: RoundFacts, options: Options) -> str:
    """Why an employee gets no form (Danish), or "" when they get one."""
    n, to = options.from_year, options.to_year
    agreement = facts.agreements.get(number)
    if agreement is None or agreement.state == "generated":
        if number not in facts.people and number not in (facts.roster or {}):
            return "findes ikke i arkivet"
        if number in facts.preparations:
            return f"kun et forberedelsesskema for {n}"
        return f"ingen aftale for {n}"
    if agreement.state != "signed":
        whom = "medarbejderens" if agreement.state == "awaiting_employee" else "lederens"
        return f"aftalen for {n} er ikke underskrevet: venter på {whom} underskrift"
    if number in facts.handed_in:
        return f"forberedelsesskemaet for {to} er allerede afleveret"
    return ""


def _first(*values: str | None) -> str:
    return next((v.strip() for v in values if v and v.strip()), "")


def number_order(number: str) -> tuple[int, int, str]:
    return (0, int(number), "") if number.isdigit() else (1, 0, number)
