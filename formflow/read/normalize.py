"""Values as read -> values as filed: pure, driven by the form definition's field types.

Every reader hands its raw text here, so a form reads the same whichever program filled it:
- all text: Unicode NFC, CRLF/CR -> LF, runs of spaces collapsed, spaces trimmed at line ends,
  the whole value stripped; line breaks and tabs are kept (people format their answers);
- dates: Danish day-first dates -> ISO `YYYY-MM-DD`; the text as written is kept in `raw`;
  a date that does not exist or is no date at all stays as written and becomes a Problem;
- status scores: `3`, ` 3 `, `3 - Bedre end forventet` or the scale's own label -> `"3"`;
  anything else is kept as written for validation to judge;
- a competence wheel's or smiley's mark (seed 002): a radio state `/3`, a digit, or the one
  ticked box of a DOCX row of check boxes -> `"3"`; no tick -> "".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from formflow.forms.definition import RATING_SCORES, FieldSpec, FormDefinition
from formflow.model import Problem
from formflow.read.dates import DateError, parse_date

_SPACES = re.compile(r"[ \u00a0\u2007\u202f]+")  # NBSP and friends come from Word and PDFs
# What `tidy_text` changes besides the ends: without any of it a value only needs strip().
_UNTIDY = re.compile(r"[\r\u00a0\u2007\u202f]| {2}|[ \t]\n")
_TICKED = frozenset("☒☑✓✔✗✘")  # a ticked check box as Word and LibreOffice show it
_BOXES = _TICKED | frozenset("☐")
_STATUS = re.compile(
    r"^([1-4])(?:\s*[-–—:.)]\s*(?:\D+)?|\s+\D+)?$", re.DOTALL
)  # no 2nd digit: "1 og 3" is no 1


@dataclass(frozen=True)
class Normalized:
    """Normalised values, the original text of values that changed meaningfully, problems."""

    fields: dict[str, str]
    raw: dict[str, str]
    problems: tuple[Problem, ...]


def normalize_values(definition: FormDefinition, values: Mapping[str, str]) -> Normalized:
    """Normalise every value whose key the definition knows; other keys are dropped."""
    fields: dict[str, str] = {}
    raw: dict[str, str] = {}
    problems: list[Problem] = []
    for key, value in values.items():
        if not definition.has(key):
            continue
        spec = definition.field(key)
        text = tidy_text(value)
        if spec.type == "date" and text:
            try:
                iso = parse_date(text).isoformat()
            except DateError as error:
                problems.append(date_problem(spec, error.code, text))
            else:
                if iso != text:
                    raw[key] = value
                text = iso
        elif spec.type == "status":
            text = normalize_status(text, definition)
        elif spec.type in ("rating", "face") and text:
            # check boxes and radio states are no text a person wrote: nothing kept as raw
            text = normalize_mark(text)
        fields[key] = text
    return Normalized(fields, raw, tuple(problems))


def tidy_text(value: str) -> str:
    """NFC, LF line ends, single spaces, no trailing spaces per line, stripped; breaks kept."""
    text = unicodedata.normalize("NFC", value)
    if not _UNTIDY.search(text):
        return text.strip()  # most answers: one line, or lines already tidy
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).rstrip(" \t") for line in text.split("\n")]
    return "\n".join(lines).strip()


def normalize_status(text: str, definition: FormDefinition) -> str:
    """A 1-4 status as its digit; text that is not one is returned unchanged."""
    stripped = text.strip()
    match = _STATUS.match(stripped)
    if match:
        return match[1]
    return _scores_by_label(definition.scale).get(stripped.casefold(), text)


def normalize_mark(text: str) -> str:
    """A wheel's or smiley's answer as its digit 1-5.

    A radio button's state (`/3`) and a typed digit are the digit. A row of check boxes as a
    DOCX shows it (`☐ 1 ☒ 2 ☐ 3 ...`, captions any text) is the place of its one ticked box;
    no ticked box is "" (found empty), two or more are kept as written for validation.
    """
    stripped = text.strip().lstrip("/")
    if stripped in RATING_SCORES:
        return stripped
    boxes = [ch for ch in text if ch in _BOXES]
    if len(boxes) == len(RATING_SCORES):
        ticked = [n for n, ch in enumerate(boxes, 1) if ch in _TICKED]
        if len(ticked) == 1:
            return str(ticked[0])
        if not ticked:
            return ""
    return text


@lru_cache(maxsize=16)
def _scores_by_label(scale: tuple[tuple[int, str], ...]) -> dict[str, str]:
    """The scale's labels, casefolded, to their scores (a scale is a few hashable pairs).

    Shared between calls, so callers only read it.
    """
    return {label.casefold(): str(score) for score, label in scale}


def date_problem(spec: FieldSpec, code: str, text: str) -> Problem:
    """The Problem for a date field whose text (quoted as read) is not a real date.

    The message leaves naming the field to whoever shows it (`formflow.notices`)."""
    if code == "date_invalid":
        message = f"„{text}“ findes ikke i kalenderen. Ret datoen."
    else:
        message = f"„{text}“ kunne ikke læses som en dato. Skriv datoen som f.eks. 23.11.2026."
    return Problem(spec.key, "error", code, message)
