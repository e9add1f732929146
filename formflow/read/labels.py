"""Finding a form's answers by its Danish labels: the pure core of both label-based readers.

A form whose fields are gone (a flattened or printed PDF, a DOCX rebuilt by hand or re-saved
by an editor that drops content controls) still shows the contract's labels. The readers
(`layout` for PDFs, `docx_labels` for DOCX) turn a document into a flat sequence of `Para`
and `Table` blocks in reading order; `read_blocks` walks that sequence against the form
definition and places each answer it can place with confidence:

- section headings (`2. Status på mål ...`) set the section, so section 2's goal table fills
  `prev_goal_*` and section 5's `goal_*`;
- a table whose header row carries a goal table's, plan's or grid's column labels is read as
  that matrix, rows found by their category (carried down merged cells), number or row label;
- other tables are label tables: a label cell with its value to the right, a row of labels
  with the values in the row below (seed 004's `Navn | Stilling | Dato for samtale`) or above
  (signature lines);
- a paragraph `Navn: Birthe` is a label and its value; a label or question on its own, and a
  one-field section's heading, take the paragraphs or the one-cell table that follow.

Anything else is left out: an answer that is absent is "not found", never guessed. A key that
two places give different answers is dropped as ambiguous.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from formflow.forms.definition import (
    Column,
    FieldBlock,
    FieldSpec,
    FormDefinition,
    GoalTable,
    Grid,
    ListBlock,
    QuestionsBlock,
    RowTable,
    Section,
    SignaturesBlock,
    TextBlock,
)


@dataclass(frozen=True)
class Para:
    """A paragraph outside tables (text with "\\n" for line breaks)."""

    text: str


@dataclass(frozen=True)
class Table:
    """A table as a grid of cell texts; None marks a position covered by a merged cell."""

    rows: tuple[tuple[str | None, ...], ...]


Block = Para | Table

# The grey placeholder texts of formflow's DOCX ("Skriv her", "dd.mm.åååå", ...): an export to
# PDF prints them, and they are no answer.
PLACEHOLDERS = frozenset(
    {"Skriv her", "dd.mm.åååå", "1-4", "Skriv dit navn eller indsæt din underskrift"}
)

# Other words people use for a label when they rebuild a form (normalised forms, see `norm`).
ALIASES: dict[str, str] = {
    "medarbejdernummer": "medarbejdernr",
    "medarbejder nr": "medarbejdernr",
    "medarb nr": "medarbejdernr",
    "nærmeste leder": "leder",
    "dato for mus": "dato for samtale",
    "samtaledato": "dato for samtale",
}

_NUMBERING = re.compile(r"^\(?(\d{1,2}[a-z]?)\s*[.)]\s+|^\(?(\d{1,2}[a-z]?)\)\s*")
_PARENTHESES = re.compile(r"\s*\([^)]*\)")
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "–": "-", "—": "-"})
_TITLE_KINDS = (
    (re.compile(r"forberedelses?\s*-?\s*skema", re.IGNORECASE), "preparation"),
    (re.compile(r"udviklings\s*-?\s*og\s+aftaleskema", re.IGNORECASE), "agreement"),
)
_YEAR = re.compile(r"\b(20\d\d)\b")


def norm(text: str) -> str:
    """A label as compared: NFC, casefolded, no numbering, no trailing punctuation, one space."""
    text = unicodedata.normalize("NFC", text).translate(_QUOTES).casefold()
    text = re.sub(r"\s+", " ", text).strip()
    text = _NUMBERING.sub("", text, count=1)
    text = text.rstrip(" :?.*").replace(".", "").strip()
    return ALIASES.get(text, text)


@lru_cache(maxsize=8192)  # pure; the same labels and cell texts are compared over and over
def compact(text: str) -> str:
    """`norm` without spaces: a label hyphenated across lines (`kompetenceud vikling`) matches."""
    return norm(text).replace(" ", "").replace("-", "")


def section_number(text: str) -> str:
    """The number a heading starts with (`4a. Hvilke ...` -> `4a`), "" if none."""
    match = _NUMBERING.match(re.sub(r"\s+", " ", text.strip().casefold()))
    return (match[1] or match[2]) if match else ""


@lru_cache(maxsize=4096)  # pure; asked for every column label of every cell compared with it
def label_forms(label: str) -> frozenset[str]:
    """The normalised texts that count as `label`: as written and without parentheses."""
    return frozenset({compact(label), compact(_PARENTHESES.sub("", label))} - {""})


def label_key(text: str) -> str:
    """The form of `text` looked up among `label_forms` (compact, so hyphenation is harmless)."""
    return compact(text)


def title_kind(text: str) -> tuple[str | None, int | None]:
    """Kind and year from a title line: seed 004's spelling `Forberedelseskema` included."""
    flat = re.sub(r"\s+", " ", text)
    for pattern, kind in _TITLE_KINDS:
        match = pattern.search(flat)
        if match:
            year = _YEAR.search(flat, match.end())
            return kind, int(year[1]) if year else None
    return None, None


# --- the walk -----------------------------------------------------------------------------------


@dataclass
class _Found:
    """Answers placed so far; a key placed twice with different text becomes ambiguous."""

    values: dict[str, str] = field(default_factory=dict)
    ambiguous: set[str] = field(default_factory=set)

    def put(self, key: str, value: str) -> None:
        value = value.strip("\n")
        if value.strip() in PLACEHOLDERS:
            value = ""  # formflow's placeholder, kept as text by LibreOffice: no answer
        if key in self.ambiguous:
            return
        if key in self.values and _squash(self.values[key]) != _squash(value):
            if not self.values[key].strip():
                self.values[key] = value  # an empty copy (a repeated header) loses to an answer
                return
            if not value.strip():
                return
            del self.values[key]
            self.ambiguous.add(key)
            return
        self.values[key] = value


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def read_blocks(definition: FormDefinition, blocks: Iterable[Block]) -> dict[str, str]:
    """The answers `blocks` show for `definition`'s fields (raw text; absent = not found)."""
    walker = _Walker(definition)
    for block in blocks:
        if isinstance(block, Para):
            walker.paragraph(block.text)
        else:
            walker.table(block)
    walker.close_pending()
    return walker.found.values


class _Walker:
    def __init__(self, definition: FormDefinition) -> None:
        self.definition = definition
        self.found = _Found()
        self.section: Section | None = None
        self.pending: FieldSpec | None = None
        self.pending_lines: list[str] = []
        self.plan_row: int | None = None  # the row of a plan written one label table per row
        self.matrix: _Matrix | None = None  # a matrix continued in the next table (page break)
        self.static = _static_texts(definition)
        # labels_here() by section and plan row: asked for every paragraph and table.
        self.scopes: dict[tuple[int, int | None], dict[str, list[FieldSpec]]] = {}
        self.headings = [(section, label_forms(section.title)) for section in definition.sections]
        self.questions = {
            label_key(question.text): spec
            for block in definition.blocks(QuestionsBlock)
            for group in block.groups
            for question, spec in group.questions
        }

    # --- scope

    def blocks_here(self) -> tuple[object, ...]:
        return self.section.blocks if self.section else ()

    def labels_here(self) -> dict[str, list[FieldSpec]]:
        """Label text -> the fields it may name in the current section (and the header).

        The same for the same section and plan row (the definition does not change during a
        walk), so made once per scope; callers only read it."""
        scope = (id(self.section), self.plan_row)
        labels = self.scopes.get(scope)
        if labels is None:
            labels = self.scopes[scope] = self.scope_labels()
        return labels

    def scope_labels(self) -> dict[str, list[FieldSpec]]:
        labels: dict[str, list[FieldSpec]] = {}

        def add(text: str, spec: FieldSpec) -> None:
            for form in label_forms(text):
                if spec not in labels.setdefault(form, []):
                    labels[form].append(spec)

        for spec in self.definition.header:
            add(spec.label, spec)
        for block in self.blocks_here():
            if isinstance(block, FieldBlock):
                add(block.field.label, block.field)
            elif isinstance(block, ListBlock):
                for spec in block.fields:
                    add(spec.label, spec)
            elif isinstance(block, SignaturesBlock):
                for role in block.roles:
                    add(role.signature.label, role.signature)
                    add(role.date.label, role.date)
            elif isinstance(block, RowTable) and 1 <= (self.plan_row or 0) <= len(block.rows):
                for spec in block.rows[(self.plan_row or 0) - 1]:
                    add(spec.label, spec)
        return labels

    # --- paragraphs

    def paragraph(self, text: str) -> None:
        if not text.strip():
            return
        section = self.heading(text)
        if section is not None:
            self.enter(section)
            return
        key = label_key(text)
        if key in self.questions:
            self.close_pending()
            self.pending = self.questions[key]
            return
        if self.caption(text):
            return
        labels = self.labels_here()
        if key in labels:
            self.close_pending()
            self.pending = _only(labels[key], self.blocks_here())
            return
        if self.is_static(key):
            if self.pending_lines:  # printed text after an answer ends it; before, it is skipped
                self.close_pending()
            return
        if ":" in text and self.label_and_value(text, labels):
            return
        if self.list_item(text):
            return
        if self.pending is not None:
            self.pending_lines.append(text)

    def heading(self, text: str) -> Section | None:
        """The section `text` is the heading of, by its title (and number, if it has one)."""
        key = label_key(text)
        number = section_number(text)
        for section, forms in self.headings:
            if key in forms and (not number or not section.number or number == section.number):
                return section
        if number:
            # Seed 004 words some headings differently ("Aftaler og mål og aftaler for ...");
            # a numbered heading that shares most of its words with the title still counts.
            for section, _forms in self.headings:
                if number == section.number and _close(norm(text), norm(section.title)):
                    return section
        return None

    def enter(self, section: Section) -> None:
        self.close_pending()
        self.section = section
        self.plan_row = None
        self.matrix = None
        single = [b for b in section.blocks if not isinstance(b, TextBlock)]
        if len(single) == 1 and isinstance(single[0], FieldBlock):
            # A one-answer section: the answer follows the heading (its label is the title).
            self.pending = single[0].field

    def caption(self, text: str) -> bool:
        """`Kompetenceudvikling 2`: the row of a plan written as one label table per row."""
        for block in self.blocks_here():
            if isinstance(block, RowTable) and block.title:
                match = _caption_pattern(block.title).fullmatch(label_key(text))
                if match:
                    self.close_pending()
                    self.plan_row = int(match[1])
                    return True
        return False

    def is_static(self, key: str) -> bool:
        # A wrapped line of a static paragraph is a piece of it; short pieces ("1") are not
        # judged here, they may be answers.
        return key in self.static or (
            len(key) >= 12 and any(key in text for text in self.static if len(text) > len(key))
        )

    def label_and_value(self, text: str, labels: dict[str, list[FieldSpec]]) -> bool:
        label, _, value = text.partition(":")
        key = label_key(label)
        if key not in labels:
            return False
        spec = _only(labels[key], self.blocks_here())
        self.close_pending()
        if spec is not None:
            self.found.put(spec.key, value.strip())
        return True

    def list_item(self, text: str) -> bool:
        match = re.match(r"^(\d{1,2})\s*[.):]\s*(.*)$", text.strip(), re.DOTALL)
        if not match:
            return False
        for block in self.blocks_here():
            if isinstance(block, ListBlock) and 1 <= int(match[1]) <= len(block.fields):
                self.close_pending()
                self.found.put(block.fields[int(match[1]) - 1].key, match[2].strip())
                return True
        return False

    def close_pending(self) -> None:
        if self.pending is not None and self.pending_lines:
            self.found.put(self.pending.key, "\n".join(self.pending_lines))
        self.pending = None
        self.pending_lines = []

    # --- tables

    def table(self, table: Table) -> None:
        rows = [
            row for row in table.rows if any(cell for cell in row) and not self.caption_row(row)
        ]
        if not rows:
            return
        if self.pending is not None and len(rows) == 1 and _cells(rows[0]) == 1:
            self.found.put(self.pending.key, next(c for c in rows[0] if c is not None))
            self.close_pending_after_table()
            return
        self.close_pending()
        matrix = self.find_matrix(rows)
        if matrix is not None:
            self.matrix = matrix
            matrix.read(rows, self.found)
            return
        if self.matrix is not None and self.matrix.continues(rows):
            self.matrix.read(rows, self.found)
            return
        self.matrix = None
        self.label_table(rows)

    def caption_row(self, row: tuple[str | None, ...]) -> bool:
        cells = [c for c in row if c]
        return len(cells) == 1 and self.caption(cells[0])

    def close_pending_after_table(self) -> None:
        self.pending = None
        self.pending_lines = []

    def find_matrix(self, rows: list[tuple[str | None, ...]]) -> _Matrix | None:
        """The goal table, plan or grid whose column labels head this table, if any."""
        best: tuple[int, _Matrix] | None = None
        for index, row in enumerate(rows[:2]):
            for block in self.blocks_here():
                if not isinstance(block, GoalTable | RowTable | Grid):
                    continue
                columns = _column_map(row, block.columns)
                # Most columns matched (at least two; one for a one-column plan): a header row,
                # not a few labels stacked over their answers.
                needed = max(min(2, len(block.columns)), (len(block.columns) + 1) // 2)
                if len(columns) >= needed and (best is None or len(columns) > best[0]):
                    best = (len(columns), _Matrix(block, columns, index, self.definition))
        if best is None:
            return None
        return best[1]

    def label_table(self, rows: list[tuple[str | None, ...]]) -> None:
        labels = self.labels_here()
        roles = self.roles_in(rows, labels)

        def spec_of(cell: str | None) -> FieldSpec | None:
            if not cell or label_key(cell) not in labels:
                return None
            return _only(labels[label_key(cell)], self.blocks_here(), roles)

        def is_label(cell: str | None) -> bool:
            return bool(cell) and label_key(cell or "") in labels

        def label_row(row: tuple[str | None, ...]) -> bool:
            return any(is_label(c) for c in row) and all(not c or is_label(c) for c in row)

        used: set[int] = set()  # header rows and the value rows they head
        for index, row in enumerate(rows):
            if index in used:
                continue
            if label_row(row) and sum(is_label(c) for c in row) >= 2:
                self.header_row(rows, index, used, spec_of, is_label)
            elif not self.list_row(row):
                self.row_labels(rows, index, labels, roles, spec_of, is_label)

    def header_row(
        self,
        rows: list[tuple[str | None, ...]],
        index: int,
        used: set[int],
        spec_of: Callable[[str | None], FieldSpec | None],
        is_label: Callable[[str | None], bool],
    ) -> None:
        """A row of two or more labels heads the values in the row below (seed 004's
        header) or, on a signature line, sits under the values above."""
        row = rows[index]
        for target_index in (index + 1, index - 1):
            if 0 <= target_index < len(rows) and target_index not in used:
                target = rows[target_index]
                if len(target) == len(row) and not any(is_label(c) for c in target):
                    break
        else:
            return
        used.update((index, target_index))
        for cell, value in zip(row, target, strict=True):
            spec = spec_of(cell)
            if spec is not None and value is not None:
                self.found.put(spec.key, value)

    def row_labels(
        self,
        rows: list[tuple[str | None, ...]],
        index: int,
        labels: dict[str, list[FieldSpec]],
        roles: set[str],
        spec_of: Callable[[str | None], FieldSpec | None],
        is_label: Callable[[str | None], bool],
    ) -> None:
        """The labels in one row of a table, each with its answer beside, under or in it."""
        consumed: set[int] = set()
        for position, cell in enumerate(rows[index]):
            if position in consumed or not cell:
                continue
            spec = spec_of(cell)
            if spec is not None:
                self.label_cell(spec, rows, index, position, consumed, is_label)
                continue
            stacked = self.stacked(cell, labels, roles)
            if stacked is not None:
                self.found.put(*stacked)

    def label_cell(
        self,
        spec: FieldSpec,
        rows: list[tuple[str | None, ...]],
        index: int,
        position: int,
        consumed: set[int],
        is_label: Any,
    ) -> None:
        """The answer of a label cell: to its right, else under or over it in its column
        (an empty cell to the right counts only when neither has an answer)."""
        row = rows[index]
        rest = [(i, c) for i, c in enumerate(row) if i > position and c is not None]
        right = rest[0] if rest and not is_label(rest[0][1]) else None
        if right is not None and right[1]:
            self.found.put(spec.key, right[1] or "")
            consumed.add(right[0])
            return
        for other in (index + 1, index - 1):
            if 0 <= other < len(rows) and len(rows[other]) == len(row):
                value = rows[other][position]
                if value and not is_label(value) and not any(is_label(c) for c in rows[other]):
                    self.found.put(spec.key, value)
                    return
        if right is not None:
            self.found.put(spec.key, "")
            consumed.add(right[0])

    def stacked(
        self, cell: str, labels: dict[str, list[FieldSpec]], roles: set[str]
    ) -> tuple[str, str] | None:
        """A cell with its label (or question) on top and the answer under it."""
        tokens = list(re.finditer(r"\S+", cell))
        for count in range(len(tokens) - 1, 0, -1):
            end = tokens[count - 1].end()
            key = label_key(cell[:end])
            spec = self.questions.get(key)
            if spec is None and key in labels:
                spec = _only(labels[key], self.blocks_here(), roles)
            if spec is not None:
                return spec.key, cell[end:].strip(" \t").lstrip("\n")
        return None

    def list_row(self, row: tuple[str | None, ...]) -> bool:
        """`1. | answer`: a row of a numbered list (seed 004's three highlights)."""
        cells = [c for c in row if c is not None]
        if len(cells) != 2 or not re.fullmatch(r"\d{1,2}\.?", (cells[0] or "").strip()):
            return False
        number = int((cells[0] or "").strip().rstrip("."))
        for block in self.blocks_here():
            if isinstance(block, ListBlock) and 1 <= number <= len(block.fields):
                self.found.put(block.fields[number - 1].key, cells[1] or "")
                return True
        return False

    def roles_in(
        self, rows: list[tuple[str | None, ...]], labels: dict[str, list[FieldSpec]]
    ) -> set[str]:
        """The signature roles whose signature label appears in these rows (for a bare Dato)."""
        roles = set()
        for row in rows:
            for cell in row:
                for spec in labels.get(label_key(cell or ""), []):
                    if spec.type == "signature":
                        roles.add(spec.row)
        return roles


def _only(
    specs: Sequence[FieldSpec], blocks: Sequence[object], roles: set[str] | None = None
) -> FieldSpec | None:
    """The one field a label names here; a bare `Dato` needs its signature role to be known."""
    candidates = list(specs)
    if len(candidates) > 1 and roles:
        candidates = [s for s in candidates if s.row in roles or s.section == "header"]
    if len(candidates) > 1:
        signature_roles = {
            role.role for b in blocks if isinstance(b, SignaturesBlock) for role in b.roles
        }
        if len(signature_roles) == 1:
            candidates = [s for s in candidates if s.row in signature_roles]
    return candidates[0] if len(candidates) == 1 else None


@lru_cache(maxsize=256)  # pure; asked for every paragraph in a section with a plan
def _caption_pattern(title: str) -> re.Pattern[str]:
    """A plan row's caption: the plan's title (compact) and the row's number."""
    return re.compile(re.escape(label_key(title)) + r"(\d{1,2})")


def _cells(row: tuple[str | None, ...]) -> int:
    return sum(1 for cell in row if cell is not None)


def _close(a: str, b: str) -> bool:
    """Most words shared (a numbered heading worded a little differently)."""
    left, right = set(a.split()), set(b.split())
    return bool(left and right) and len(left & right) / max(len(left), len(right)) >= 0.7


def _column_map(row: tuple[str | None, ...], columns: Sequence[Column]) -> dict[int, Column]:
    found: dict[int, Column] = {}
    for index, cell in enumerate(row):
        if not cell:
            continue
        key = label_key(cell)
        for column in columns:
            if key in label_forms(column.label) and column not in found.values():
                found[index] = column
                break
    return found


def _static_texts(definition: FormDefinition) -> set[str]:
    """Every printed text that is not an answer: intro, paragraphs, bullets, the scale."""
    texts = {label_key(definition.subtitle), label_key(definition.title)}
    texts.update(label_key(text) for text in definition.intro)
    for section in definition.sections:
        texts.add(label_key(section.heading))
        for block in section.blocks:
            if isinstance(block, TextBlock):
                texts.update(label_key(text) for text in (*block.paragraphs, *block.bullets))
                if block.scale:
                    for score, meaning in definition.scale:
                        texts.add(label_key(f"{score} = {meaning}"))
    for block in definition.blocks(QuestionsBlock):
        texts.update(label_key(group.theme.label) for group in block.groups)
    return texts - {""}


# --- matrices (goal tables, plans, grids) -----------------------------------------------------


class _Matrix:
    """A table read as a matrix block: body rows keyed by category, number or row label."""

    def __init__(
        self,
        block: GoalTable | RowTable | Grid,
        columns: dict[int, Column],
        header_index: int,
        definition: FormDefinition,
    ) -> None:
        self.block = block
        self.columns = columns
        self.header_index = header_index
        self.category: str | None = None
        self.counts: dict[str, int] = {}
        self.next_number = 1
        self.categories = {
            form: category.key
            for category in definition.categories
            for form in label_forms(category.label)
        }
        self.grid_rows = (
            {form: row.key for row in block.rows for form in label_forms(row.label)}
            if isinstance(block, Grid)
            else {}
        )

    def continues(self, rows: list[tuple[str | None, ...]]) -> bool:
        """A table right after this one, as wide, with a row key: the rest after a page break."""
        width = max(self.columns) + 1
        return all(len(row) >= width for row in rows) and self.row_key_column() is not None

    def row_key_column(self) -> int | None:
        first = min(self.columns)
        return first - 1 if first > 0 else None

    def read(self, rows: list[tuple[str | None, ...]], found: _Found) -> None:
        start = 0
        if self.header_index < len(rows) and _column_map(
            rows[self.header_index], tuple(self.columns.values())
        ):
            header = rows[self.header_index]
            key_column = self.row_key_column()
            if key_column is not None and isinstance(self.block, GoalTable):
                # Seed 004 heads each category's table with the category in the first cell.
                self.category = self.categories.get(
                    label_key(header[key_column] or ""), self.category
                )
            start = self.header_index + 1
        for row in rows[start:]:
            if _column_map(row, tuple(self.columns.values())):
                continue  # a header repeated on the next page
            keys = self.row_keys(row)
            if keys is None:
                continue
            for index, column in self.columns.items():
                cell = row[index] if index < len(row) else None
                if cell is not None and not _column_map((cell,), tuple(self.columns.values())):
                    found.put(f"{keys}_{column.key}", cell)

    def row_keys(self, row: tuple[str | None, ...]) -> str | None:
        """The key prefix of a body row (`goal_sales_2`), or None when it cannot be placed."""
        key_column = self.row_key_column()
        first = row[key_column] if key_column is not None and key_column < len(row) else None
        block = self.block
        if isinstance(block, GoalTable):
            if first:
                category = self.categories.get(label_key(first))
                if category is None:
                    return None  # a row keyed by something we do not know
                self.category = category
            elif key_column is None or self.category is None:
                return None
            number = self.counts.get(self.category, 0) + 1
            self.counts[self.category] = number
            rows = [r for r in block.rows if r.category.key == self.category]
            return f"{block.prefix}_{self.category}_{number}" if number <= len(rows) else None
        if isinstance(block, RowTable):
            if first and first.strip().rstrip(".").isdigit():
                number = int(first.strip().rstrip("."))
            elif key_column is None:
                number = self.next_number
            else:
                return None
            self.next_number = number + 1
            return f"{block.prefix}_{number}" if 1 <= number <= len(block.rows) else None
        row_key = self.grid_rows.get(label_key(first or ""))
        return f"{block.prefix}_{row_key}" if row_key else None
