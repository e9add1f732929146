"""The "MUS-automat" of seed 002: an organisation's own preparation form from the question bank.

An organisation ticks the questions it wants (seed 000's and 003's, grouped by the three main
themes) and optionally its own goal categories, and gets a preparation form definition of its
own. Seed 000: "alle tre hovedtemaer skal berøres i samtalen", so a selection that leaves a
theme out is refused. Pure: takes the built-in definition as parsed TOML and returns new TOML.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from typing import Any

import tomli_w

from formflow.errors import SelectionError
from formflow.forms.definition import Category, QuestionBank

_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def definition_name(organisation: str) -> str:
    """`preparation-<organisation>`; the organisation part is lowercase ASCII with hyphens."""
    if not _NAME.match(organisation):
        raise SelectionError(
            f"name {organisation!r}: use lowercase letters, digits and hyphens (e.g. 'klinik-nord')"
        )
    return f"preparation-{organisation}"


def check_selection(bank: QuestionBank, question_ids: Sequence[str]) -> None:
    """Refuse unknown or repeated questions and a selection that leaves out a main theme."""
    if not question_ids:
        raise SelectionError("pick at least one question from each of the three main themes")
    repeated = sorted({q for q in question_ids if list(question_ids).count(q) > 1})
    if repeated:
        raise SelectionError(f"question(s) picked twice: {', '.join(repeated)}")
    known = {q.id for q in bank.questions}
    unknown = [q for q in question_ids if q not in known]
    if unknown:
        raise SelectionError(
            f"unknown question id(s): {', '.join(unknown)}; see `formflow forms questions`"
        )
    touched = {bank.question(q).theme for q in question_ids}
    missing = [t for t in bank.themes if t.key not in touched]
    if missing:
        themes = ", ".join(f"'{t.label}'" for t in missing)
        raise SelectionError(
            f"the selection leaves out the main theme(s) {themes}: every MUS must touch all "
            "three themes (seed 000: 'alle tre hovedtemaer skal berøres i samtalen'); "
            "pick at least one question from each"
        )


def build_preparation(
    base: dict[str, Any],
    bank: QuestionBank,
    question_ids: Sequence[str],
    organisation: str,
    categories: Sequence[Category] = (),
    subtitle: str = "",
) -> str:
    """TOML text of an organisation's own preparation form, made from the built-in one."""
    check_selection(bank, question_ids)
    data = copy.deepcopy(base)
    data["name"] = definition_name(organisation)
    if subtitle:
        data["subtitle"] = subtitle
    if categories:
        data["category"] = [{"key": c.key, "label": c.label} for c in categories]
    # Keep the bank's theme order, and the organisation's order within a theme.
    ordered = [q.id for t in bank.themes for q in _picked(bank, question_ids) if q.theme == t.key]
    blocks = [
        block
        for section in data.get("section", [])
        for block in section.get("block", [])
        if block.get("type") == "questions"
    ]
    if not blocks:
        raise SelectionError("the base preparation form has no questions section to fill")
    blocks[0]["questions"] = ordered
    header = (
        "# An organisation's own preparation form, made by `formflow forms new`.\n"
        "# Questions from the bank in forms/questions.toml; edit with care: field keys are\n"
        "# stable and archived records keep them.\n\n"
    )
    return header + tomli_w.dumps(data)


def _picked(bank: QuestionBank, question_ids: Sequence[str]) -> list[Any]:
    return [bank.question(q) for q in question_ids]


def parse_categories(specs: Sequence[str]) -> tuple[Category, ...]:
    """`key=Label` strings from the command line as categories (keys [a-z]+)."""
    categories = []
    for spec in specs:
        key, sep, label = spec.partition("=")
        key, label = key.strip(), label.strip()
        if not sep or not label or not re.fullmatch(r"[a-z]+", key):
            raise SelectionError(
                f"category {spec!r}: write key=Label with a key of letters a-z, "
                "e.g. clinical='Klinisk udvikling'"
            )
        categories.append(Category(key, label))
    keys = [c.key for c in categories]
    if len(keys) != len(set(keys)):
        raise SelectionError("a category key appears twice")
    return tuple(categories)
