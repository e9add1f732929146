"""The goals across the years (pure): each agreement's goals beside the 1-4 status the
employee's next preparation form gave them, the chain `formflow carry-over` makes.

Carry-over copies the filled goals of a category, in row order, into the first rows of the
same category of next year's `prev_goal` table (empty rows skipped: the forms contract),
so the n-th filled goal of a category is paired with the n-th filled `prev_goal` row of it.
When the preparation's text is not the agreement's (edited by hand) both are shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

STATUS_WORDS = {
    "1": "Ikke opnået",
    "2": "Helt som aftalt og forventet",
    "3": "Bedre end forventet",
    "4": "Den ekstraordinært seje indsats",
}
_GOAL = re.compile(r"^goal_([a-z]+)_(\d+)_text$")
_PREVIOUS = re.compile(r"^prev_goal_([a-z]+)_(\d+)_text$")

Fields = Mapping[str, str]


@dataclass(frozen=True)
class Goal:
    """One goal of an agreement and what became of it the year after."""

    category: str  # the category's label
    text: str
    start: str  # as read (ISO for a date); "" for none
    end: str
    status: str  # "1".."4", "" when not given (yet)
    status_words: str
    later_text: str  # the preparation's text when it differs from the agreement's, else ""


@dataclass(frozen=True)
class GoalYear:
    year: int
    goals: tuple[Goal, ...]
    assessed: bool  # whether a preparation form of the year after is filed


def _rows(fields: Fields, pattern: re.Pattern[str]) -> dict[str, list[str]]:
    """Category key -> the row numbers with a text, in row order."""
    found: dict[str, list[tuple[int, str]]] = {}
    for key, value in fields.items():
        matched = pattern.match(key)
        if matched and value.strip():
            found.setdefault(matched[1], []).append((int(matched[2]), matched[2]))
    return {cat: [n for _, n in sorted(rows)] for cat, rows in found.items()}


def _status(value: str) -> tuple[str, str]:
    value = value.strip()
    if value in STATUS_WORDS:
        return value, f"{value} {STATUS_WORDS[value]}"
    return "", "Ikke vurderet" if not value else f"Ukendt status ({value})"


def goals_of_year(
    agreement: Fields, preparation: Fields | None, labels: Mapping[str, str]
) -> tuple[Goal, ...]:
    """The goals of one agreement with the statuses of the year after's preparation."""
    later = _rows(preparation or {}, _PREVIOUS)
    goals = []
    order = list(labels) + sorted(set(_rows(agreement, _GOAL)) - set(labels))
    rows = _rows(agreement, _GOAL)
    for category in order:
        for index, n in enumerate(rows.get(category, [])):
            text = agreement[f"goal_{category}_{n}_text"].strip()
            status, words, later_text = "", "Ikke vurderet", ""
            if preparation is not None and index < len(later.get(category, [])):
                m = later[category][index]
                status, words = _status(preparation.get(f"prev_goal_{category}_{m}_status", ""))
                said = preparation[f"prev_goal_{category}_{m}_text"].strip()
                later_text = "" if " ".join(said.split()) == " ".join(text.split()) else said
            goals.append(
                Goal(
                    labels.get(category, category),
                    text,
                    agreement.get(f"goal_{category}_{n}_start", ""),
                    agreement.get(f"goal_{category}_{n}_end", ""),
                    status,
                    words,
                    later_text,
                )
            )
    return tuple(goals)


def goals_across_years(
    agreements: Mapping[int, Fields],
    preparations: Mapping[int, Fields],
    labels: Mapping[str, str],
) -> list[GoalYear]:
    """Each agreement's year (newest first) with its goals and the statuses they got in the
    preparation form of the year after (`preparations` by that form's year)."""
    return [
        GoalYear(
            year,
            goals_of_year(agreements[year], preparations.get(year + 1), labels),
            year + 1 in preparations,
        )
        for year in sorted(agreements, reverse=True)
    ]
