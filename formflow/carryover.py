"""Carry-over: last year's signed agreement becomes next year's preparation form (pure).

The contract's carry-over table: header keys copy over, `next_meeting_date` becomes the new
`meeting_date`, every goal with its dates moves into section 2 ("Status på mål og aftaler fra
sidste MUS") with its 1-4 status left for the employee, and every development-plan item into
last year's plan rows. Goals keep their category and their order; empty rows are skipped so the
new form has no gaps. A goal or plan item with no row left in the new form is never dropped
silently: it is reported as overflow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from formflow.forms.definition import FieldSpec, FormDefinition, GoalTable, RowTable

HEADER_KEYS = ("employee_name", "employee_number", "employee_position", "leader_name")
GOAL_PARTS = ("text", "start", "end")


@dataclass(frozen=True)
class Overflow:
    """A value of last year's agreement that has no place in next year's form."""

    source_key: str
    reason: str  # English, for the leader's report

    def __str__(self) -> str:
        return f"{self.source_key}: {self.reason}"


@dataclass(frozen=True)
class CarryOver:
    values: dict[str, str]
    overflow: tuple[Overflow, ...]


def carry_over(
    agreement: Mapping[str, str], source: FormDefinition, target: FormDefinition
) -> CarryOver:
    """Next year's preparation values from last year's agreement values (contract keys)."""
    values = {key: agreement[key] for key in HEADER_KEYS if agreement.get(key) and target.has(key)}
    if agreement.get("next_meeting_date"):
        values["meeting_date"] = agreement["next_meeting_date"]
    overflow: list[Overflow] = []
    overflow += _carry_goals(agreement, source, target, values)
    overflow += _carry_plan(agreement, source, target, values)
    return CarryOver(values, tuple(overflow))


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
                overflow.append(Overflow(row.cells[0].key, _no_room(category.label, len(free))))
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
            overflow.append(Overflow(key, f"last year's plan has room for {rows} items"))
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


def _no_room(label: str, rows: int) -> str:
    if rows == 0:
        return f"the category '{label}' is not on next year's form"
    return f"'{label}' has room for {rows} goals on next year's form"
