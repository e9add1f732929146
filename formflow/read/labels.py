"""Finding a form's answers by its Danish labels: the pure core of both label-based readers.

A form whose fields are gone (a flattened or printed PDF, a DOCX rebuilt by hand or re-saved
by an editor that drops content controls, an organisation's own form) still shows labels: the
definition's, or the words of the vocabulary (`formflow.read.vocabulary`: *klinikejer* for
Leder, "Samtaledato" for "Dato for samtale"). The readers
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
  one-field section's heading, take the paragraphs or the one-cell table that follow (a date
  or a name one line; a heading of the document's own ends them);
- goals and plans written as labels (`Faglig udvikling: Startdato`, the plan's questions one
  after another) fill their rows in turn; a box "Dato og underskrift, klinikejer" gives both
  the date and the signature; lines set in columns with tabs are read as a table.

A label names a field in the current section, else when it names exactly one field of the
form. Anything else is left out: an answer that is absent is "not found", never guessed. A
label that names two fields names neither; a key that two places give different answers is
dropped as ambiguous; text that may hold a cut word (`UNCERTAIN`) answers nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
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
from formflow.read.dates import DateError, parse_date
from formflow.read.vocabulary import Vocabulary


@dataclass(frozen=True)
class Para:
    """A paragraph outside tables (text with "\\n" for line breaks); `heading` when the
    document shows it as one (a heading style, a bold or larger line): never an answer."""

    text: str
    heading: bool = False


@dataclass(frozen=True)
class Table:
    """A table as a grid of cell texts; None marks a position covered by a merged cell.
    A PDF page's ruled table also has each cell's place, (page number, (x0, top, x1,
    bottom)) or None: not part of what the table says (equal tables compare equal)."""

    rows: tuple[tuple[str | None, ...], ...]
    boxes: tuple[tuple[CellBox | None, ...], ...] = field(default=(), compare=False, repr=False)


CellBox = tuple[int, tuple[float, float, float, float]]


Block = Para | Table

# Joins two lines that cannot be joined with certainty (a word cut, or wrapped?): a label
# holding it still matches (labels compare letters and digits), an answer holding it is not found.
UNCERTAIN = "\x00"

# The grey placeholder texts of formflow's DOCX ("Skriv her", "dd.mm.åååå", ...): an export to
# PDF prints them, and they are no answer.
PLACEHOLDERS = frozenset(
    {"Skriv her", "dd.mm.åååå", "1-4", "Skriv dit navn eller indsæt din underskrift"}
    # ... and Word's, in the content controls of a form an HR department made (Danish, English)
    | {
        "Klik eller tryk her for at skrive tekst.",
        "Klik eller tryk for at angive en dato.",
        "Klik her for at angive tekst.",
        "Klik her for at angive en dato.",
        "Vælg et element.",
        "Click or tap here to enter text.",
        "Click or tap to enter a date.",
        "Click here to enter text.",
        "Choose an item.",
    }
)

_NUMBERING = re.compile(r"^\(?(\d{1,2}[a-z]?)\s*[.)]\s+|^\(?(\d{1,2}[a-z]?)\)\s*")
_PARENTHESES = re.compile(r"\s*\([^)]*\)")
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "–": "-", "—": "-"})
# A hint on how to write the answer, after a label: `(dd.mm.åååå)`, `(1-4)`.
_HINT = re.compile(r"\s*\((?=[^)]*(?:\d|dd|åå))[^)]*\)", re.IGNORECASE)
# A line to write on (`__________`, `..........`), printed where the answer goes: no answer.
_BLANK_LINE = re.compile(r"_{3,}|\.{5,}|…{2,}")
_YEAR = re.compile(r"\b(20\d\d)\b")
_NOT_WORD = re.compile(r"[\W_]+")
# A title is a short line; a longer paragraph naming a form ("... udfyldelse af udviklings- og
# aftaleskemaet") is instructions, and tells nothing about which form this is.
_TITLE_WORDS = 12


def norm(text: str) -> str:
    """A label as compared: NFC, casefolded, no numbering, no trailing punctuation, one space."""
    text = unicodedata.normalize("NFC", text).translate(_QUOTES).casefold()
    text = re.sub(r"\s+", " ", text).strip()
    text = _NUMBERING.sub("", text, count=1)
    return text.rstrip(" :?.*").replace(".", "").strip()


@lru_cache(maxsize=8192)  # pure; the same labels and cell texts are compared over and over
def compact(text: str) -> str:
    """`norm` with letters and digits only: a label hyphenated across lines (`kompetenceud
    vikling`) or punctuated a little differently (`sidemandsoplæring, mv.`) matches."""
    return _NOT_WORD.sub("", norm(text))


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


def title_kind(text: str, vocabulary: Vocabulary | None = None) -> tuple[str | None, int | None]:
    """Kind and year from a title line, by the vocabulary's title words (seed 004's spelling
    `Forberedelseskema`, "MUS 2025 – Udviklings- og aftaleskema", "Min udviklingsplan"); the
    year is one written in the same line, before or after the words.

    A title is short and starts with its words (after at most two others: "MUS 2025 -", "Min",
    "Klinikkens"); a line that mentions a form further in ("Inspirationsspørgsmål til samtalen
    og udviklingsplan") is no title.
    """
    flat = re.sub(r"\s+", " ", text).strip()
    tokens = [compact(token) for token in flat.split()]
    tokens = [token for token in tokens if token]
    if not tokens or len(tokens) > _TITLE_WORDS:
        return None, None
    for word, kind in _title_words(vocabulary or default_vocabulary()):
        for start in range(min(3, len(tokens))):
            if "".join(tokens[start:]).startswith(word):
                years = set(_YEAR.findall(flat))
                return kind, int(years.pop()) if len(years) == 1 else None
    return None, None


@lru_cache(maxsize=8)
def _title_words(vocabulary: Vocabulary) -> tuple[tuple[str, str], ...]:
    return tuple((compact(word), kind) for word, kind in vocabulary.title_words())


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    """The built-in vocabulary (`forms/vocabulary.toml`) for callers that have no settings."""
    from formflow.read.vocabulary import vocabulary_for

    return vocabulary_for(None)


# --- the walk -----------------------------------------------------------------------------------


@dataclass
class _Found:
    """Answers placed so far; a key placed twice with different text becomes ambiguous.
    `places` are the keys whose label was found, answered or not (an uncertain or ambiguous
    answer is not found, but the form has a place for it)."""

    values: dict[str, str] = field(default_factory=dict)
    ambiguous: set[str] = field(default_factory=set)
    places: set[str] = field(default_factory=set)

    def put(self, key: str, value: str) -> None:
        self.places.add(key)
        if UNCERTAIN in value:
            return
        value = _BLANK_LINE.sub(" ", value).strip(" ").strip("\n")
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


@dataclass(frozen=True)
class Combined:
    """A box holding a signature and its date together ("Dato og underskrift, klinikejer")."""

    signature: FieldSpec
    date: FieldSpec

    @property
    def key(self) -> str:
        return self.signature.key

    @property
    def row(self) -> str:
        return self.signature.row

    @property
    def section(self) -> str:
        return self.signature.section

    @property
    def type(self) -> str:
        return self.signature.type


Target = FieldSpec | Combined

# A date at the start or the end of a combined box: the Danish ways of writing one (dates.py
# judges it; this only finds where it stands).
_DATE_TEXT = (
    r"(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}\s*[./-]\s*\d{1,2}\s*[./-]\s*(?:\d{4}|\d{2})"
    r"|\d{1,2}\.?\s*[a-zæøåA-ZÆØÅ]{3,9}\.?\s*\d{4})"
)
_DATE_FIRST = re.compile(
    rf"^\s*(?:d\.\s*|den\s+)?({_DATE_TEXT})(?:\s*[,;:/–-]\s*|\s+)(.*)$", re.DOTALL
)
_DATE_LAST = re.compile(
    rf"^(.*?)(?:\s*[,;:/–-]\s*|\s+)(?:d\.\s*|den\s+)?({_DATE_TEXT})\s*$", re.DOTALL
)


def split_dated(value: str) -> tuple[str | None, str]:
    """(date, rest) of a box holding a date and a name; (None, value) when no date stands at
    its start or end (a month name must be one, so "12 Karen 2025" is no date)."""
    first = _DATE_FIRST.match(value)
    if first and _is_date(first[1]):
        return first[1], first[2].strip()
    last = _DATE_LAST.match(value)
    if last and _is_date(last[2]):
        return last[2], last[1].strip()
    if _is_date(value.strip()):
        return value.strip(), ""
    return None, value


def _is_date(text: str) -> bool:
    try:
        parse_date(text)
    except DateError as error:
        return error.code == "date_invalid"  # shaped like a date: validation names the day
    return True


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def read_blocks(
    definition: FormDefinition, blocks: Iterable[Block], vocabulary: Vocabulary | None = None
) -> dict[str, str]:
    """The answers `blocks` show for `definition`'s fields (raw text; absent = not found),
    its labels as the definition and the vocabulary (default: the built-in one) word them."""
    return read_answers(definition, blocks, vocabulary)[0]


def read_answers(
    definition: FormDefinition, blocks: Iterable[Block], vocabulary: Vocabulary | None = None
) -> tuple[dict[str, str], frozenset[str]]:
    """`read_blocks`'s answers, and the keys whose labels the page shows (its places)."""
    walker = _Walker(definition, vocabulary or default_vocabulary())
    for block in _tab_rows(blocks):
        if isinstance(block, Para):
            walker.paragraph(block.text, block.heading)
        else:
            walker.table(block)
    walker.close_pending()
    return walker.found.values, frozenset(walker.found.places)


_TABS = re.compile(r"\s*\t\s*")


def _tab_rows(blocks: Iterable[Block]) -> Iterator[Block]:
    """Lines set in columns with tabs (seed 000: `14.03.2025 Karen Holm<tab><tab>18.03.2025
    Mette Ølgod` over `Dato og underskrift, klinikejer<tab><tab>Dato og underskrift,
    medarbejder`) as the rows of a table, so a label finds its value above or below it."""
    rows: list[tuple[str | None, ...]] = []
    for block in blocks:
        parts = _tab_parts(block)
        if parts is not None:
            rows.append(parts)
            continue
        if rows:
            yield Table(tuple(rows))
            rows = []
        yield block
    if rows:
        yield Table(tuple(rows))


def _tab_parts(block: Block) -> tuple[str | None, ...] | None:
    if not isinstance(block, Para) or block.heading or "\t" not in block.text:
        return None
    if "\n" in block.text:
        return None
    parts = tuple(part for part in _TABS.split(block.text.strip()) if part)
    if len(parts) < 2 or re.fullmatch(r"\(?\d{1,2}[a-z]?[.)]?", parts[0]):
        return None  # one column, or a numbered item (`4.<tab>Hvordan ...`)
    return parts


class _Walker:
    def __init__(self, definition: FormDefinition, vocabulary: Vocabulary) -> None:
        self.definition = definition
        self.vocabulary = vocabulary
        self.words = _words(definition, vocabulary)
        self.found = _Found()
        self.section: Section | None = None
        self.pending: Target | None = None
        self.pending_lines: list[str] = []
        self.plan_row: int | None = None  # the row of a plan written one label table per row
        self.matrix: _Matrix | None = None  # a matrix continued in the next table (page break)
        self.rows = _RowCounter()  # goal and plan rows written as labels, one after another
        self.goal_category: str | None = None  # a category written on its own line above
        self.last_role: str | None = None  # the role whose signature was placed last
        self.header_only: _Matrix | None = None  # the last table: a matrix's header alone
        self.static = _static_texts(definition)
        # labels_here() by section and plan row: asked for every paragraph and table.
        self.scopes: dict[tuple[int, int | None], dict[str, list[Target]]] = {}
        self.headings = [(section, label_forms(section.title)) for section in definition.sections]
        self.titles = frozenset(form for _, forms in self.headings for form in forms)
        self.questions = {
            label_key(question.text): spec
            for block in definition.blocks(QuestionsBlock)
            for group in block.groups
            for question, spec in group.questions
        }

    # --- scope

    def blocks_here(self) -> tuple[object, ...]:
        return self.section.blocks if self.section else ()

    def labels_here(self) -> dict[str, list[Target]]:
        """Label text -> the fields it may name in the current section (and the header).

        The same for the same section and plan row (the definition does not change during a
        walk), so made once per scope; callers only read it."""
        scope = (id(self.section), self.plan_row)
        labels = self.scopes.get(scope)
        if labels is None:
            labels = self.scopes[scope] = self.scope_labels()
        return labels

    def scope_labels(self) -> dict[str, list[Target]]:
        labels: dict[str, list[Target]] = {}
        specs: list[FieldSpec] = list(self.definition.header)
        for block in self.blocks_here():
            if isinstance(block, FieldBlock | ListBlock | SignaturesBlock):
                specs.extend(block.fields)
            elif isinstance(block, RowTable) and 1 <= (self.plan_row or 0) <= len(block.rows):
                specs.extend(block.rows[(self.plan_row or 0) - 1])
        for spec in specs:
            for form in self.words.forms(spec):
                if spec not in labels.setdefault(form, []):
                    labels[form].append(spec)
        self.words.add_combined(labels, self.blocks_here())
        return labels

    def resolve(self, text: str) -> Target | None:
        """The field a label names here: by the section's (and header's) labels and their
        words, a goal's category and column, a plan's column, else a label that names one
        field of the whole form. None when it names none, or more than one."""
        key = label_key(text)
        if not key:
            return None
        labels = self.labels_here()
        if key not in labels and key not in self.words.whole_form and "(" in text:
            key = label_key(_HINT.sub("", text))  # `Dato for samtale (dd.mm.åååå)`
        if key in labels:
            return self.after_signature(labels[key]) or _only(labels[key], self.blocks_here())
        goal = self.goal_label(text)
        if goal is not None:
            return goal
        plan = self.plan_label(key)
        if plan is not None:
            return plan
        found = self.words.whole_form.get(key, [])
        return found[0] if len(found) == 1 else self.after_signature(found)

    def after_signature(self, candidates: Sequence[Target]) -> Target | None:
        """A bare `Dato` right after a signature: that signature's date."""
        if len(candidates) < 2 or self.last_role is None:
            return None
        dates = [c for c in candidates if c.type == "date" and c.row == self.last_role]
        return dates[0] if len(dates) == 1 else None

    def goal_label(self, text: str) -> FieldSpec | None:
        """`Faglig udvikling: Startdato`, `Personlig udvikling 2 - Mål`, or a column alone under
        a category line: a goal's cell, its row counted where the label does not say it."""
        tables = self.words.goal_tables(self.blocks_here() if self.section else None)
        if not tables:
            return None
        parts = re.split(r"\s*[:,–]\s*|\s+-\s+", text.strip(), maxsplit=1)
        head, column_text = (parts[0], parts[1]) if len(parts) == 2 else ("", text)
        category, number = self.words.category(head) if head else (self.goal_category, None)
        if category is None:
            return None
        numbered = re.fullmatch(r"(.*?)\s*(?:nr\.?\s*)?(\d{1,2})\.?", column_text.strip())
        if numbered and number is None:  # `Faglig udvikling – Mål 2`
            column_text, number = numbered[1], int(numbered[2])
        for table in tables:
            column = self.words.column(table, column_text)
            if column is None:
                continue
            return self.counted(f"{table.prefix}_{category}", number, column.key)
        return None

    def counted(self, prefix: str, number: int | None, column: str) -> FieldSpec | None:
        """The cell `<prefix>_<number>_<column>`; with no number, the row after the last one
        this column was placed in (the labels of a goal or plan row come one row at a time)."""
        if number is None:
            number = self.rows.next(prefix, column)
        key = f"{prefix}_{number}_{column}"
        if not self.definition.has(key):
            return None
        self.rows.pending[key] = (prefix, number, column)
        return self.definition.field(key)

    def plan_label(self, key: str) -> FieldSpec | None:
        """A plan's column label outside a plan table: the plan's rows one after another."""
        here = self.blocks_here() if self.section else None
        plans = self.words.row_tables(here)
        if not any(isinstance(b, RowTable) for b in here or ()) and any(
            key in self.words.column_forms(goals, column)
            for goals in self.definition.blocks(GoalTable)
            for column in goals.columns
        ):
            return None  # `Status (1-4)` outside a plan's section: a goal's column as well
        for plan in plans:
            for column in plan.columns:
                if key in self.words.column_forms(plan, column):
                    return self.counted(plan.prefix, None, column.key)
        return None

    def place(self, target: Target | None, value: str) -> None:
        """Put `value` as `target`'s answer; a combined box's date and signature apart."""
        if target is None:
            return
        self.last_role = target.row if target.type == "signature" else None
        if self.holds_labels(value):
            # the form's own print where an answer should be (a scanned table whose rulings
            # were lost runs its labels together): the place is known, its answer is not
            keys = (target.date.key, target.signature.key) if isinstance(target, Combined) else ()
            self.found.places.update(keys or (target.key,))
            return
        if isinstance(target, Combined):
            date, rest = split_dated(value)
            self.found.places.add(target.date.key)  # the box is the date's place too
            if date is not None:
                self.found.put(target.date.key, date)
            self.found.put(target.signature.key, rest)
            return
        self.rows.claim(target.key)
        self.found.put(target.key, value)

    def holds_labels(self, value: str) -> bool:
        """Whether a line of `value` is one of the form's labels, questions or headings."""
        labels = self.labels_here()
        return any(
            key in labels or key in self.questions or key in self.titles
            for key in (label_key(line) for line in value.splitlines() if line.strip())
        )

    # --- paragraphs

    def paragraph(self, text: str, heading: bool = False) -> None:
        if not text.strip():
            return
        self.header_only = None
        section = self.heading(text)
        if section is not None:
            self.enter(section)
            return
        key = label_key(text)
        if key in self.questions:
            self.close_pending()
            self.pending = self.questions[key]
            return
        if self.caption(text) or self.category_line(text):
            return
        target = self.resolve(text)
        if target is not None or self.known_label(key):
            self.close_pending()
            self.pending = target
            return
        if heading or key in self.words.any_label or self.later_section(text):
            # a heading of the document's own, a label of a field this form has not, the next
            # numbered section: ends an answer, and is none
            self.close_pending()
            return
        if self.is_static(key):
            if self.pending_lines:  # printed text after an answer ends it; before, it is skipped
                self.close_pending()
            return
        if ":" in text and self.label_and_value(text):
            return
        if self.list_item(text):
            return
        if self.pending is not None:
            self.pending_lines.append(text)
            if self.pending.type != "multiline":
                self.close_pending()  # a date, a name: one line; what follows is not part of it

    def heading(self, text: str) -> Section | None:
        """The section `text` is the heading of, by its title (and number, if it has one)."""
        key = label_key(text)
        number = section_number(text)
        for section, forms in self.headings:
            if key in forms:  # the title as written: an organisation numbers its own sections
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
        self.goal_category = None
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

    def label_and_value(self, text: str) -> bool:
        """`Navn: Birthe`, `Faglig udvikling: Startdato: 01.04.2025`: the first colon after
        which the text before it is a label."""
        for colon in re.finditer(":", text):
            label, value = text[: colon.start()], text[colon.end() :]
            target = self.resolve(label)
            if target is None and not self.known_label(label_key(label)):
                continue
            self.close_pending()
            self.place(target, value.strip())
            return True
        return False

    def later_section(self, text: str) -> bool:
        """`9. Dato for næste samtale` in section 8: a numbered heading after this section's,
        (a numbered list in an answer counts from 1)."""
        number = section_number(text)
        current = self.section.number if self.section else ""
        digits = re.match(r"\d+", number), re.match(r"\d+", current)
        if digits[0] is None or digits[1] is None or _is_date(text.strip()):
            return False  # `10. marts 2026` is a date, no section 10
        return int(digits[0][0]) > int(digits[1][0])

    def known_label(self, key: str) -> bool:
        """`key` is a label here, even one that names two fields (and so none)."""
        return key in self.labels_here() or key in self.words.whole_form

    def category_line(self, text: str) -> bool:
        """A goal category on its own line in a goal section: the goal labels under it."""
        if not self.words.goal_tables(self.blocks_here() if self.section else None):
            return False
        category, number = self.words.category(text)
        if category is None or number is not None:
            return False
        self.close_pending()
        self.goal_category = category
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
            self.place(self.pending, "\n".join(self.pending_lines))
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
            self.place(self.pending, next(c for c in rows[0] if c is not None) or "")
            self.close_pending_after_table()
            return
        self.close_pending()
        rows = self.header_split(rows)
        matrix = self.find_matrix(rows)
        self.header_only = matrix if matrix is not None and len(rows) == 1 else None
        if matrix is not None:
            self.matrix = matrix
            matrix.read(rows, self.found)
            return
        if self.matrix is not None and self.matrix.continues(rows):
            self.matrix.read(rows, self.found)
            return
        self.matrix = None
        self.label_table(rows)

    def header_split(self, rows: list[tuple[str | None, ...]]) -> list[tuple[str | None, ...]]:
        """A table's header row cut by a page break (`Hjælp til andre dele af` | `Aftaler og mål`
        at the foot of a page, `firmaet` | `(konkrete og målbare)` on top of the next): the
        two halves joined, when together they head the matrix better than the first half."""
        before = self.header_only
        if before is None or len(rows[0]) != len(before.header):
            return rows
        joined = tuple(
            " ".join(part for part in (a, b) if part) if a is not None else b
            for a, b in zip(before.header, rows[0], strict=True)
        )
        matrix = self.find_matrix([joined])
        if matrix is None or len(matrix.columns) < len(before.columns):
            return rows
        if matrix.block is before.block and _column_map(
            rows[0], tuple(matrix.columns.values()), matrix.forms_of
        ):
            return rows  # the next table repeats the whole header: no half
        return [joined, *rows[1:]]

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
            for block in self.matrices_here():
                columns = _column_map(row, block.columns, self.words.forms_of(block))
                # Most columns matched (at least two; one for a one-column plan): a header row,
                # not a few labels stacked over their answers.
                needed = max(min(2, len(block.columns)), (len(block.columns) + 1) // 2)
                if len(columns) >= needed and (best is None or len(columns) > best[0]):
                    best = (len(columns), _Matrix(block, columns, index, self.words))
        if best is None:
            return None
        return best[1]

    def matrices_here(self) -> list[GoalTable | RowTable | Grid]:
        """The section's goal tables, plans and grids; outside them, each kind the form has
        only one of (an agreement's goals in a form without formflow's headings)."""
        here = [b for b in self.blocks_here() if isinstance(b, GoalTable | RowTable | Grid)]
        if here:
            return here
        return self.words.unique_matrices

    def label_table(self, rows: list[tuple[str | None, ...]]) -> None:
        labels = self.labels_here()
        roles = self.roles_in(rows, labels)

        def spec_of(cell: str | None) -> Target | None:
            if not cell:
                return None
            if label_key(cell) in labels:
                return _only(labels[label_key(cell)], self.blocks_here(), roles)
            return self.resolve(cell)

        def is_label(cell: str | None) -> bool:
            if not cell:
                return False
            return self.known_label(label_key(cell)) or self.resolve(cell) is not None

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
        spec_of: Callable[[str | None], Target | None],
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
        self.last_role = None  # a bare `Dato` in this row pairs by the row's order only
        dates = self.row_dates(row, spec_of)
        for position, (cell, value) in enumerate(zip(row, target, strict=True)):
            spec = dates[position] if position in dates else spec_of(cell)
            if spec is not None and value is not None:
                self.place(spec, value)

    def row_dates(
        self, row: tuple[str | None, ...], spec_of: Callable[[str | None], Target | None]
    ) -> dict[int, Target | None]:
        """The bare `Dato` cells of a row of labels, each with the signature date it names.

        A signature's date stands on one side of it, the same side all along the row (`Dato |
        Underskrift, leder | Dato | Underskrift, medarbejder`): the side is the one of a Dato
        with a signature on one side only, and a Dato between two signatures names the one on
        that side. A row that shows no side leaves such a Dato naming neither.
        """
        roles = [spec.row if spec is not None and spec.type == "signature" else None
                 for spec in map(spec_of, row)]  # fmt: skip
        bare = [i for i, cell in enumerate(row) if self.bare_dates(cell)]
        side = _dates_side(roles, bare)
        dates: dict[int, Target | None] = {}
        for i in bare:
            role = roles[i + side] if side and 0 <= i + side < len(row) else None
            found = [d for d in self.bare_dates(row[i]) if d.row == role]
            dates[i] = found[0] if role and len(found) == 1 else None
        return dates

    def bare_dates(self, cell: str | None) -> list[Target]:
        """The signature dates a label names when it names only "a date" (`Dato`)."""
        key = label_key(cell or "")
        candidates = self.labels_here().get(key) or self.words.whole_form.get(key, [])
        dates = [c for c in candidates if c.type == "date" and c.key.startswith("signature_")]
        return dates if len(dates) >= 2 and len(dates) == len(candidates) else []

    def row_labels(
        self,
        rows: list[tuple[str | None, ...]],
        index: int,
        labels: dict[str, list[Target]],
        roles: set[str],
        spec_of: Callable[[str | None], Target | None],
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
                self.place(*stacked)

    def label_cell(
        self,
        spec: Target,
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
            self.place(spec, right[1] or "")
            consumed.add(right[0])
            return
        for other in (index + 1, index - 1):
            if 0 <= other < len(rows) and len(rows[other]) == len(row):
                value = rows[other][position]
                if value and not is_label(value) and not any(is_label(c) for c in rows[other]):
                    self.place(spec, value)
                    return
        if right is not None:
            self.place(spec, "")
            consumed.add(right[0])

    def stacked(
        self, cell: str, labels: dict[str, list[Target]], roles: set[str]
    ) -> tuple[Target, str] | None:
        """A cell with its label (or question) on top and the answer under it, or the label
        and a colon before it (`Navn: Birthe`)."""
        tokens = list(re.finditer(r"\S+", cell))
        for count in range(len(tokens) - 1, 0, -1):
            end = tokens[count - 1].end()
            key = label_key(cell[:end])
            spec: Target | None = self.questions.get(key)
            if spec is None and key in labels:
                spec = _only(labels[key], self.blocks_here(), roles)
            if spec is None and cell[:end].endswith(":"):
                spec = self.resolve(cell[:end])
            if spec is not None:
                return spec, cell[end:].strip(" \t").lstrip("\n")
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
        self, rows: list[tuple[str | None, ...]], labels: dict[str, list[Target]]
    ) -> set[str]:
        """The signature roles whose signature label appears in these rows (for a bare Dato)."""
        roles = set()
        for row in rows:
            for cell in row:
                key = label_key(cell or "")
                for spec in labels.get(key, []) or self.words.whole_form.get(key, []):
                    if spec.type == "signature":
                        roles.add(spec.row)
        return roles


class _RowCounter:
    """Rows of goals or plans written as labels (`Faglig udvikling: Startdato`), counted: a
    column's label seen again starts the next row."""

    def __init__(self) -> None:
        self.current: dict[str, int] = {}
        self.used: set[tuple[str, int, str]] = set()
        self.pending: dict[str, tuple[str, int, str]] = {}  # key -> its row, until placed

    def next(self, prefix: str, column: str) -> int:
        row = self.current.get(prefix, 1)
        return row + 1 if (prefix, row, column) in self.used else row

    def claim(self, key: str) -> None:
        place = self.pending.pop(key, None)
        if place is not None:
            prefix, row, _column = place
            self.current[prefix] = max(self.current.get(prefix, 1), row)
            self.used.add(place)


@lru_cache(maxsize=8)
def vocabulary_labels(vocabulary: Vocabulary) -> frozenset[str]:
    """Every label the vocabulary knows, for any field of any form (every role's words)."""
    roles = [name for _, names in vocabulary.roles for name in names]
    words = [
        word.replace("{role}", role) if "{role}" in word else word
        for _, table in (*vocabulary.labels, *vocabulary.combined)
        for word in table
        for role in (roles if "{role}" in word else [""])
    ]
    return frozenset(form for word in words for form in label_forms(word))


@lru_cache(maxsize=16)  # one per definition and vocabulary (both frozen): made once, only read
def _words(definition: FormDefinition, vocabulary: Vocabulary) -> _Words:
    return _Words(definition, vocabulary)


class _Words:
    """The words that name each field of a definition: its labels and the vocabulary's."""

    def __init__(self, definition: FormDefinition, vocabulary: Vocabulary) -> None:
        self.definition = definition
        self.vocabulary = vocabulary
        self.categories: dict[str, str] = {}
        for category in definition.categories:
            for word in (category.label, *vocabulary.category_words(category.key)):
                for form in label_forms(word):
                    self.categories.setdefault(form, category.key)
        self.columns: dict[tuple[int, Column], frozenset[str]] = {}
        self.whole_form: dict[str, list[Target]] = {}
        specs = [*definition.header]
        for section in definition.sections:
            for block in section.blocks:
                if isinstance(block, FieldBlock | ListBlock | SignaturesBlock):
                    specs.extend(block.fields)
        for spec in specs:
            for form in self.forms(spec):
                if spec not in self.whole_form.setdefault(form, []):
                    self.whole_form[form].append(spec)
        self.add_combined(self.whole_form, [b for s in definition.sections for b in s.blocks])
        self.any_label = vocabulary_labels(vocabulary)
        self.unique_matrices: list[GoalTable | RowTable | Grid] = [
            block
            for kind in (GoalTable, RowTable, Grid)
            for block in definition.blocks(kind)
            if len(definition.blocks(kind)) == 1
        ]

    def forms(self, spec: FieldSpec) -> frozenset[str]:
        words = (spec.label, *self.vocabulary.words(spec.key))
        return frozenset(form for word in words for form in label_forms(word))

    def add_combined(self, labels: dict[str, list[Target]], blocks: Iterable[object]) -> None:
        """Boxes that hold a role's date and signature: their label names both."""
        for block in blocks:
            if not isinstance(block, SignaturesBlock):
                continue
            for role in block.roles:
                combined = Combined(role.signature, role.date)
                for word in self.vocabulary.combined_words(role.signature.key):
                    for form in label_forms(word):
                        others = [t for t in labels.get(form, []) if t != role.signature]
                        labels[form] = [*others, combined] if combined not in others else others

    def goal_tables(self, blocks: Sequence[object] | None) -> list[GoalTable]:
        """The goal tables in `blocks` (a section's); else the form's only one, if it has one."""
        here = [b for b in blocks or () if isinstance(b, GoalTable)]
        tables = self.definition.blocks(GoalTable)
        return here or (tables if len(tables) == 1 else [])

    def row_tables(self, blocks: Sequence[object] | None) -> list[RowTable]:
        """The plans in `blocks` (a section's); else the form's only one, if it has one."""
        here = [b for b in blocks or () if isinstance(b, RowTable)]
        tables = self.definition.blocks(RowTable)
        return here or (tables if len(tables) == 1 else [])

    def category(self, text: str) -> tuple[str | None, int | None]:
        """`Faglig udvikling` -> ("professional", None); `Faglig udvikling 2` -> (.., 2)."""
        match = re.fullmatch(r"(.*?)\s*(?:nr\.?\s*)?(\d{1,2})\.?", text.strip())
        name, number = (match[1], int(match[2])) if match else (text, None)
        return self.categories.get(label_key(name)), number

    def column(self, block: GoalTable | RowTable | Grid, text: str) -> Column | None:
        key = label_key(text)
        found = [c for c in block.columns if key in self.column_forms(block, c)]
        return found[0] if len(found) == 1 else None

    def forms_of(self, block: GoalTable | RowTable | Grid) -> Callable[[Column], frozenset[str]]:
        return lambda column: self.column_forms(block, column)

    def column_forms(self, block: GoalTable | RowTable | Grid, column: Column) -> frozenset[str]:
        """A column's label and the vocabulary's words for the fields under it."""
        cached = self.columns.get((id(block), column))
        if cached is None:
            cells = [f for f in block.fields if f.key.endswith(f"_{column.key}")]
            words = (column.label, *(self.vocabulary.words(cells[0].key) if cells else ()))
            cached = frozenset(form for word in words for form in label_forms(word))
            self.columns[(id(block), column)] = cached
        return cached


def _only(
    specs: Sequence[Target], blocks: Sequence[object], roles: set[str] | None = None
) -> Target | None:
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


def _column_map(
    row: tuple[str | None, ...],
    columns: Sequence[Column],
    forms_of: Callable[[Column], frozenset[str]],
) -> dict[int, Column]:
    found: dict[int, Column] = {}
    for index, cell in enumerate(row):
        if not cell:
            continue
        key = label_key(cell)
        for column in columns:
            if key in forms_of(column) and column not in found.values():
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
        words: _Words,
    ) -> None:
        self.block = block
        self.columns = columns
        self.header_index = header_index
        self.category: str | None = None
        self.counts: dict[str, int] = {}
        self.next_number = 1
        self.categories = words.categories
        self.forms_of = words.forms_of(block)
        self.header: tuple[str | None, ...] = ()
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
        columns = tuple(self.columns.values())
        if self.header_index < len(rows) and _column_map(
            rows[self.header_index], columns, self.forms_of
        ):
            header = self.header = rows[self.header_index]
            key_column = self.row_key_column()
            if key_column is not None and isinstance(self.block, GoalTable):
                # Seed 004 heads each category's table with the category in the first cell.
                self.category = self.categories.get(
                    label_key(header[key_column] or ""), self.category
                )
            start = self.header_index + 1
        for row in rows[start:]:
            if _column_map(row, columns, self.forms_of):
                continue  # a header repeated on the next page
            if self.category_row(row):
                continue
            keys = self.row_keys(row)
            if keys is None:
                continue
            for index, column in self.columns.items():
                cell = row[index] if index < len(row) else None
                if cell is not None and not _column_map((cell,), columns, self.forms_of):
                    found.put(f"{keys}_{column.key}", cell)

    def category_row(self, row: tuple[str | None, ...]) -> bool:
        """A row across the goal table holding only a category (`Faglig udvikling` over its
        goals): the category of the rows under it, no goal row itself."""
        if not isinstance(self.block, GoalTable):
            return False
        texts = [cell for cell in row if cell]
        if len(texts) != 1 or sum(cell is not None for cell in row) != 1:
            return False
        category = self.categories.get(label_key(texts[0]))
        if category is not None:
            self.category = category
        return category is not None

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
            elif self.category is None:  # none yet: no category cell, no category row above
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


def _dates_side(roles: Sequence[str | None], bare: Sequence[int]) -> int | None:
    """The side (-1 left, +1 right) on which a row's signatures stand beside their bare
    `Dato` cells (at `bare`): the side of each Dato with a signature on one side only, when
    they all agree; None when the row does not show it."""
    sides = set()
    for i in bare:
        left = roles[i - 1] if i > 0 else None
        right = roles[i + 1] if i + 1 < len(roles) else None
        if (left is None) != (right is None):
            sides.add(1 if right else -1)
    return sides.pop() if len(sides) == 1 else None
