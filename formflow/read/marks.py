"""The marks of seed 002's competence wheel and smiley scale on a page whose fields are gone.

formflow's PDF draws a chosen radio button as the text `X` (`CHOSEN_MARK`) in its square,
so a flattened or printed form still carries it as text. Here the page's words are read again
(pdfplumber) and each `X` is placed:
- the wheel: on the line of a competence's label, under the column header `1 2 3 4 5` of the
  table (the header line that starts with "Kompetence");
- the smileys: over the line of the five faces' names; the n-th such line on the form is the
  n-th smiley question of its definition (they are drawn in that order), and only when the
  counts agree.
A row with no `X` is found empty; two `X` in a row are kept as written ("2 og 4") for
validation to send back; a row whose label or scale is not on the page is not found. Pure but
for pdfplumber's parse of the bytes it is given.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from formflow.forms.definition import (
    CHOSEN_MARK,
    FACE_LABELS,
    RATING_SCORES,
    FieldSpec,
    FormDefinition,
)

MARK = CHOSEN_MARK
_LINE = 4.0  # pt: words whose vertical centres are this close share a line
_COLUMN = 14.0  # pt: how far an X may sit from its column's centre
_ROW = 8.0  # pt: an X this close above or below a competence's label is on its row
_ABOVE_CAPTIONS = 30.0  # pt: a smiley's X is this close above the faces' names


@dataclass(frozen=True)
class _Word:
    text: str
    x: float  # centre
    y: float  # centre, from the top of the page
    x0: float


def read_marks(data: bytes, definition: FormDefinition) -> dict[str, str]:
    """The wheel's and smileys' answers (contract key -> "1".."5", "" or as written) found on
    the pages of `data`; {} when the definition has no such field."""
    ratings = [s for s in definition.fields if s.type == "rating"]
    faces = [s for s in definition.fields if s.type == "face"]
    if not ratings and not faces:
        return {}
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        pages = [_words(page) for page in pdf.pages]
    found: dict[str, str] = {}
    for words in pages:
        found.update(_wheel(words, ratings))
    found.update(_smileys(pages, faces))
    return found


def _words(page: Any) -> list[_Word]:
    words = page.extract_words(x_tolerance=1.5, y_tolerance=2)
    return [
        _Word(
            w["text"],
            (float(w["x0"]) + float(w["x1"])) / 2,
            (float(w["top"]) + float(w["bottom"])) / 2,
            float(w["x0"]),
        )
        for w in words
    ]


def _lines(words: Sequence[_Word]) -> list[list[_Word]]:
    lines: list[list[_Word]] = []
    for word in sorted(words, key=lambda w: (w.y, w.x0)):
        if lines and abs(lines[-1][0].y - word.y) <= _LINE:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [sorted(line, key=lambda w: w.x0) for line in lines]


def _answer(marks: Sequence[_Word], columns: Sequence[float]) -> str:
    """The mark of the column an X is in; "" for none; several as written ("2 og 4")."""
    chosen = []
    for mark in marks:
        nearest = min(range(len(columns)), key=lambda i: abs(columns[i] - mark.x))
        if abs(columns[nearest] - mark.x) <= _COLUMN:
            chosen.append(RATING_SCORES[nearest])
    return " og ".join(sorted(set(chosen)))


def _wheel(words: Sequence[_Word], ratings: Sequence[FieldSpec]) -> dict[str, str]:
    """The wheel's rows on one page, under a `Kompetence 1 2 3 4 5` header line."""
    lines = _lines(words)
    for index, line in enumerate(lines):
        texts = [w.text for w in line]
        if texts[:1] != ["Kompetence"] or texts[1:6] != list(RATING_SCORES):
            continue
        columns = [w.x for w in line[1:6]]
        found = {}
        left = columns[0] - _COLUMN
        for row in lines[index + 1 :]:
            label = [w for w in row if w.x < left]
            spec = next((s for s in ratings if s.label == " ".join(w.text for w in label)), None)
            if spec is None or spec.key in found:
                continue  # a label again further down is the drawn wheel's, not a row
            # An X's box is the font's, not the glyph's: its centre sits a little off the line.
            marks = [
                w for w in words if w.text == MARK and w.x >= left and abs(w.y - label[0].y) < _ROW
            ]
            found[spec.key] = _answer(marks, columns)
        return found
    return {}


def _smileys(pages: Sequence[Sequence[_Word]], faces: Sequence[FieldSpec]) -> dict[str, str]:
    """The smiley questions' answers, when the form shows one row of faces per question."""
    rows: list[tuple[list[float], list[_Word]]] = []
    for words in pages:
        for line in _lines(words):
            columns = _caption_columns(line)
            if columns is None:
                continue
            top = line[0].y
            marks = [w for w in words if w.text == MARK and top - _ABOVE_CAPTIONS < w.y < top]
            rows.append((columns, marks))
    if len(rows) != len(faces):
        return {}  # not formflow's own row per question: nothing can be placed with certainty
    return {
        spec.key: _answer(marks, columns)
        for spec, (columns, marks) in zip(faces, rows, strict=True)
    }


def _caption_columns(line: Sequence[_Word]) -> list[float] | None:
    """The centres of the five faces' names, if `line` is exactly those names in order."""
    columns: list[float] = []
    at = 0
    for label in FACE_LABELS:
        parts = label.split()
        group = line[at : at + len(parts)]
        if [w.text for w in group] != parts:
            return None
        columns.append((group[0].x0 + group[-1].x + (group[-1].x - group[-1].x0)) / 2)
        at += len(parts)
    return columns if at == len(line) else None
