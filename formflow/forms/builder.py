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


SCALES = ("text", "smiley")
SMILEY_TITLE = "Forberedelsesskema til smiley-MUS"
APPRECIATIVE_TITLE = "Forberedelsesskema til anerkendende MUS"
# The guide's introduction on a smiley form and on an appreciative one (seed 002).
SMILEY_INTRO = (
    "Sæt et kryds under den smiley, der passer bedst til, hvordan du har det med hvert "
    "spørgsmål. Samtaleguiden er bygget op omkring tre hovedtemaer, som alle skal berøres i "
    "samtalen; noter til samtalen kan du skrive under punkt 8."
)
APPRECIATIVE_INTRO = (
    "En anerkendende samtale tager udgangspunkt i det, der fungerer for dig, og i hvordan vi "
    "kan bygge videre på det. Skriv gerne noter til spørgsmålene; alle tre hovedtemaer skal "
    "berøres i samtalen."
)


def build_preparation(
    base: dict[str, Any],
    bank: QuestionBank,
    question_ids: Sequence[str],
    organisation: str,
    categories: Sequence[Category] = (),
    subtitle: str = "",
    scale: str = "text",
    appreciative: bool = False,
) -> str:
    """TOML text of an organisation's own preparation form, made from the built-in one.

    `scale="smiley"`: the questions are answered on five faces (seed 002's smiley MUS);
    `appreciative`: the questions must be the bank's appreciative ones (seed 002)."""
    check_selection(bank, question_ids)
    if scale not in SCALES:
        raise SelectionError(f"scale {scale!r}: use one of {', '.join(SCALES)}")
    if appreciative:
        check_appreciative(bank, question_ids)
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
    if scale == "smiley":
        blocks[0]["scale"] = "smiley"
    if scale == "smiley" or appreciative:
        _guide_intro(data, SMILEY_INTRO if scale == "smiley" else APPRECIATIVE_INTRO)
        # A title of its own: a flattened or printed copy, its data fields gone, is still
        # known as this form (by title) and read with its faces, not as the built-in one.
        data["title"] = SMILEY_TITLE if scale == "smiley" else APPRECIATIVE_TITLE
    header = (
        "# An organisation's own preparation form, made by `formflow forms new`.\n"
        "# Questions from the bank in forms/questions.toml; edit with care: field keys are\n"
        "# stable and archived records keep them.\n\n"
    )
    return header + tomli_w.dumps(data)


def check_appreciative(bank: QuestionBank, question_ids: Sequence[str]) -> None:
    """An appreciative form asks appreciative questions only (`forms questions` marks them)."""
    other = [q for q in question_ids if not bank.question(q).appreciative]
    if other:
        raise SelectionError(
            f"not appreciative question(s): {', '.join(other)}; an appreciative form picks "
            "from the questions `formflow forms questions` marks [anerkendende]"
        )


def _guide_intro(data: dict[str, Any], intro: str) -> None:
    """The introduction above the questions, in the section that holds them."""
    for section in data.get("section", []):
        blocks = section.get("block", [])
        if any(block.get("type") == "questions" for block in blocks):
            for block in blocks:
                if block.get("type") == "text":
                    block["paragraphs"] = [intro]
                    return


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
