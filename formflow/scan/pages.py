"""Scanner batches: put a form's pages back in order, and tell two forms in one PDF apart.

Pure functions over the text OCR read on each page. A page of formflow's own forms is known by
its footer ("Side 2 af 3", which OCR may read as "Side2af 3"), its title (the first page) and its
section headings ("4. Dato for næste samtale"; OCR often garbles the number, so a heading is
matched by its words). Pages are ordered by their page numbers when every page has one, else by
the first heading on each; a page that neither places is not guessed into the form. Two first
pages (two titles, two pages numbered 1) or a page number seen twice make a batch of several
forms: they are reported as such and split only where the page numbers say where, never merged.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from formflow.forms.definition import FormDefinition

PAGE_NUMBER = re.compile(r"\bside\s*(\d{1,2})\s*af\s*(\d{1,2})\b", re.IGNORECASE)
NUMBERING = re.compile(r"^\s*\d{1,2}[a-z]?\.\s*")  # "4. ", "7b. "
SIMILAR = 0.85  # difflib ratio for a heading or title OCR read with a letter or two wrong
JUNK_BEFORE = 6  # characters OCR may put before a heading (a garbled "4.", a frame's "|")
TITLE_LINES = 3  # the title is among the first lines OCR reads on a page
MIN_START = 30  # characters: a wrapped heading's first line, matched against its start


@dataclass(frozen=True)
class Outline:
    """What marks a form's pages: its title and its section headings in order (no numbers)."""

    title: str
    headings: tuple[str, ...]

    @classmethod
    def of(cls, definition: FormDefinition, year: int) -> Outline:
        return cls(
            definition.title_for(year),
            tuple(NUMBERING.sub("", section.heading) for section in definition.sections),
        )


@dataclass(frozen=True)
class PageMarks:
    """What one page shows of the outline: title, page number ("Side n af m"), headings."""

    title: bool
    number: int | None
    total: int | None
    headings: tuple[int, ...]  # indices into Outline.headings, as found on the page

    @property
    def first(self) -> bool:
        return self.title or self.number == 1


@dataclass(frozen=True)
class Batch:
    """The forms found in a scanned PDF: each a tuple of page indices (from 0) in form order.

    `forms` is empty when the pages cannot be put in order or split for certain; `count` is how
    many forms the batch holds (by their first pages); `problem` says why nothing was ordered:
    "unordered" (a page places nowhere) or "several_forms" (more than one form, not separable).
    """

    forms: tuple[tuple[int, ...], ...]
    count: int
    problem: str | None = None


def page_marks(text: str, outline: Outline) -> PageMarks:
    """The outline's marks found in the OCR text of one page."""
    lines = [line for line in text.splitlines() if line.strip()]
    number = total = None
    if found := PAGE_NUMBER.search(text):
        number, total = int(found.group(1)), int(found.group(2))
    body = [_words(line) for line in lines if not PAGE_NUMBER.search(line)]
    # The title heads the first page; the footer repeats it on every page, on a line of its
    # own when OCR splits off "Side 2 af 3", so only the top lines count.
    title = any(_is_line(_words(outline.title), line, 0, False) for line in body[:TITLE_LINES])
    headings = tuple(
        index
        for index, heading in enumerate(outline.headings)
        if any(_is_line(_words(heading), line, JUNK_BEFORE, True) for line in body)
    )
    return PageMarks(title, number, total, headings)


def read_batch(texts: Sequence[str], outline: Outline) -> Batch:
    """The forms in a batch of pages (by their OCR texts), each in its order."""
    marks = [page_marks(text, outline) for text in texts]
    count = _count_forms(marks)
    if count > 1:
        for groups in (_split_by_numbers(marks), *_split_at_titles(marks)):
            forms = _ordered_groups(marks, groups or [])
            if forms:
                return Batch(forms, count)
        return Batch((), count, "several_forms")
    order = order_pages(marks)
    if order is None:
        return Batch((), max(count, 1), "unordered")
    return Batch((order,), 1)


def order_pages(marks: Sequence[PageMarks]) -> tuple[int, ...] | None:
    """The pages of one form in order: by page number, else by heading; None if unsure."""
    numbers = [mark.number for mark in marks]
    if all(number is not None for number in numbers) and len(set(numbers)) == len(numbers):
        return tuple(sorted(range(len(marks)), key=lambda i: numbers[i] or 0))
    keys = [-1 if mark.title else (mark.headings[0] if mark.headings else None) for mark in marks]
    if any(key is None for key in keys) or len(set(keys)) != len(keys):
        return None
    return tuple(sorted(range(len(marks)), key=lambda i: keys[i] or 0))


def _ordered_groups(
    marks: Sequence[PageMarks], groups: list[list[int]]
) -> tuple[tuple[int, ...], ...]:
    """Each group of pages in its form's order; empty unless every group orders."""
    forms = []
    for group in groups:
        order = order_pages([marks[i] for i in group])
        if order is None:
            return ()
        forms.append(tuple(group[i] for i in order))
    return tuple(forms)


def _count_forms(marks: Sequence[PageMarks]) -> int:
    """How many forms the pages hold: their first pages, or the most a page number repeats."""
    firsts = sum(1 for mark in marks if mark.first)
    numbers = [mark.number for mark in marks if mark.number is not None]
    repeats = max((numbers.count(number) for number in numbers), default=0)
    return max(firsts, repeats)


def _split_by_numbers(marks: Sequence[PageMarks]) -> list[list[int]] | None:
    """Consecutive runs of pages, each holding pages 1..m once (scan order either way round).

    A scanner keeps each sheet's place in the stack, so one form's pages lie together; a run
    that is not exactly pages 1 to m of one form makes the split uncertain (None).
    """
    groups: list[list[int]] = []
    for index, mark in enumerate(marks):
        if mark.number is None or mark.total is None:
            return None
        current = groups[-1] if groups else None
        if current is None or len(current) == marks[current[0]].total:
            groups.append([index])
        else:
            current.append(index)
    for group in groups:
        numbers = sorted(marks[i].number or 0 for i in group)
        if numbers != list(range(1, (marks[group[0]].total or 0) + 1)):
            return None
    return groups


def _split_at_titles(marks: Sequence[PageMarks]) -> list[list[list[int]] | None]:
    """Consecutive runs of pages starting at each title page, and those ending at one (a
    stack scanned the wrong way round); each run must hold one title page (else it is left
    out: the split is uncertain) and then order by its headings."""
    starting: list[list[int]] = []
    ending: list[list[int]] = [[]]
    for index, mark in enumerate(marks):
        if mark.title or not starting:
            starting.append([])
        starting[-1].append(index)
        ending[-1].append(index)
        if mark.title and index < len(marks) - 1:
            ending.append([])
    return [
        runs if all(sum(marks[i].title for i in run) == 1 for run in runs) else None
        for runs in (starting, ending)
    ]


def _words(text: str) -> str:
    """Lower-case letters and digits, single spaces: what OCR reads reliably of a line."""
    folded = unicodedata.normalize("NFC", text).lower()
    return " ".join(re.sub(r"[^\w]+", " ", folded).split())


def _is_line(wanted: str, line: str, junk: int, wraps: bool) -> bool:
    """Whether the line is `wanted` (a letter or two wrong, up to `junk` characters before it),
    or, if it `wraps`, its first line (at least MIN_START characters of its start)."""
    for skip in range(min(junk, max(0, len(line) - 1)) + 1):
        rest = line[skip:]
        if _similar(wanted, rest):
            return True
        if wraps and len(wanted) > len(rest) >= MIN_START and _similar(wanted[: len(rest)], rest):
            return True
    return False


def _similar(one: str, other: str) -> bool:
    """difflib's ratio at least SIMILAR; its quick upper bounds first (most lines are far)."""
    matcher = SequenceMatcher(None, one, other)
    return (
        matcher.real_quick_ratio() >= SIMILAR
        and matcher.quick_ratio() >= SIMILAR
        and matcher.ratio() >= SIMILAR
    )
