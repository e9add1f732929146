"""Form definitions: the declarative `forms/*.toml` turned into frozen, expanded structures.

A definition is a list of sections, each a list of blocks (static text, a field, a goal table,
...). Expanding it gives every field of the form as a `FieldSpec` with its contract key, its
Danish label and its type: renderers lay the blocks out, readers and validation look fields up
by key. This module is pure: it parses TOML text it is given and touches no other file.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any, Literal

from formflow.errors import DefinitionError

FormKind = Literal["preparation", "agreement", "colleague_input"]
# colleague_input: seed 002's "input til MUS'en fra kolleger", filed as input to the talk
FORM_KINDS: tuple[FormKind, ...] = ("preparation", "agreement", "colleague_input")
FieldType = Literal["text", "multiline", "date", "status", "signature", "rating", "face"]
FIELD_TYPES: tuple[str, ...] = (
    "text",
    "multiline",
    "date",
    "status",
    "signature",
    "rating",  # seed 002's competence wheel: 1-5, where the employee is
    "face",  # seed 002's smiley MUS: 1-5 on five faces, 1 the saddest
)
# The five marks of a rating or a face field, and the faces' Danish names (1 saddest).
RATING_SCORES: tuple[str, ...] = ("1", "2", "3", "4", "5")
FACE_LABELS: tuple[str, ...] = ("Meget dårligt", "Dårligt", "Middel", "Godt", "Rigtig godt")
# What a chosen radio button of a wheel or smiley shows in a PDF: text, so that a flattened or
# printed copy still says which (`read.marks` finds it there).
CHOSEN_MARK = "X"

# Data fields every form carries besides its visible fields (contract: "also carries them as
# data"): a hidden read-only field in a PDF, a custom document property in a DOCX.
DATA_KEYS = ("form_kind", "form_year", "form_definition")

GOAL_COLUMNS: tuple[tuple[str, str, FieldType], ...] = (
    ("text", "Aftaler og mål (konkrete og målbare)", "multiline"),
    ("start", "Startdato", "date"),
    ("end", "Slutdato", "date"),
)
STATUS_COLUMN: tuple[str, str, FieldType] = ("status", "Status (1-4)", "status")
_ROLE_WORDS = {"leader": "lederens", "employee": "medarbejderens"}  # signature rows are roles
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_CATEGORY_KEY = re.compile(r"^[a-z]+$")


@dataclass(frozen=True)
class FieldSpec:
    """One fillable field: its contract key, visible label and type.

    `row` names the table row a cell belongs to (a goal category's label, a plan row number),
    so a message can say "Slutdatoen for 'Faglig udvikling' ...".
    """

    key: str
    label: str
    type: FieldType
    section: str
    required: bool = False
    row: str = ""
    lines: int = 1

    @property
    def multiline(self) -> bool:
        return self.type == "multiline"

    @property
    def title(self) -> str:
        """The label as a person finds it on the form, with its row: `Startdato (Faglig udvikling)`.

        This is how messages to employees name a field.
        """
        if self.type == "date" and self.key.startswith("signature_") and self.row in _ROLE_WORDS:
            return f"{self.label} ved {_ROLE_WORDS[self.row]} underskrift"
        if self.type == "rating":  # a spoke's row is its own label: say which wheel
            return f"Kompetencespind: {self.label}"
        if self.type == "signature" or not self.row or self.label.endswith(f" {self.row}"):
            return self.label
        if self.row.isdigit():
            return f"{self.label}, række {self.row}"
        return f"{self.label} ({self.row})"


@dataclass(frozen=True)
class Category:
    key: str
    label: str


# Seed 002: a competence wheel has "de 6-8 vigtigste kompetencer" of a job.
MIN_COMPETENCES, MAX_COMPETENCES = 6, 8


@dataclass(frozen=True)
class Competence:
    """One spoke of seed 002's competence wheel (`forms.competences`): `wheel_<key>`."""

    key: str
    label: str


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    type: FieldType


@dataclass(frozen=True)
class Question:
    id: str
    theme: str
    text: str
    source: str = ""
    appreciative: bool = False  # seed 002's appreciative MUS: what works, how to build on it

    @property
    def key(self) -> str:
        return f"q_{self.id}"


@dataclass(frozen=True)
class Theme:
    key: str
    label: str


@dataclass(frozen=True)
class QuestionBank:
    """Seed 000's and 003's questions grouped by the three main themes of seed 000."""

    themes: tuple[Theme, ...]
    questions: tuple[Question, ...]

    def question(self, qid: str) -> Question:
        for question in self.questions:
            if question.id == qid:
                return question
        raise DefinitionError(f"unknown question id {qid!r}")

    @property
    def appreciative(self) -> tuple[Question, ...]:
        """The appreciative questions (seed 002), for `forms new --appreciative`."""
        return tuple(q for q in self.questions if q.appreciative)

    def theme_label(self, key: str) -> str:
        return next(t.label for t in self.themes if t.key == key)


# --- blocks ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextBlock:
    paragraphs: tuple[str, ...] = ()
    bullets: tuple[str, ...] = ()
    scale: bool = False  # show the 1-4 status scale under the paragraphs

    @property
    def fields(self) -> tuple[FieldSpec, ...]:
        return ()


@dataclass(frozen=True)
class FieldBlock:
    field: FieldSpec

    @property
    def fields(self) -> tuple[FieldSpec, ...]:
        return (self.field,)


@dataclass(frozen=True)
class ListBlock:
    """Numbered single fields: `<prefix>_1` .. `<prefix>_<count>`."""

    prefix: str
    label: str
    fields: tuple[FieldSpec, ...]


@dataclass(frozen=True)
class GoalRow:
    category: Category
    number: int
    cells: tuple[FieldSpec, ...]  # text, start, end[, status]


@dataclass(frozen=True)
class GoalTable:
    """Seed 004's goal tables: category rows × Aftaler og mål / Startdato / Slutdato [/ Status]."""

    prefix: str
    status: bool
    columns: tuple[Column, ...]
    categories: tuple[Category, ...]
    rows: tuple[GoalRow, ...]

    @property
    def fields(self) -> tuple[FieldSpec, ...]:
        return tuple(cell for row in self.rows for cell in row.cells)

    def rows_of(self, category: Category) -> tuple[GoalRow, ...]:
        return tuple(row for row in self.rows if row.category == category)


@dataclass(frozen=True)
class RowTable:
    """Numbered rows with named columns: `<prefix>_<n>_<column>`."""

    prefix: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[FieldSpec, ...], ...]

    @property
    def fields(self) -> tuple[FieldSpec, ...]:
        return tuple(cell for row in self.rows for cell in row)


@dataclass(frozen=True)
class GridRow:
    key: str
    label: str
    cells: tuple[FieldSpec, ...]


@dataclass(frozen=True)
class Grid:
    """Named rows × named columns: `<prefix>_<row>_<column>` (seed 004 section 6)."""

    prefix: str
    columns: tuple[Column, ...]
    rows: tuple[GridRow, ...]

    @property
    def fields(self) -> tuple[FieldSpec, ...]:
        return tuple(cell for row in self.rows for cell in row.cells)


@dataclass(frozen=True)
class QuestionGroup:
    theme: Theme
    questions: tuple[tuple[Question, FieldSpec], ...]


@dataclass(frozen=True)
class QuestionsBlock:
    groups: tuple[QuestionGroup, ...]
    scale: str = "text"  # "smiley": each question answered on five faces (seed 002)

    @property
    def fields(self) -> tuple[FieldSpec, ...]:
        return tuple(spec for group in self.groups for _, spec in group.questions)


@dataclass(frozen=True)
class SignatureRole:
    role: str  # "leader" or "employee"
    label: str
    signature: FieldSpec
    date: FieldSpec


@dataclass(frozen=True)
class SignaturesBlock:
    roles: tuple[SignatureRole, ...]

    @property
    def fields(self) -> tuple[FieldSpec, ...]:
        return tuple(spec for role in self.roles for spec in (role.date, role.signature))


@dataclass(frozen=True)
class WheelBlock:
    """Seed 002's competence wheel: each competence marked 1-5 (`wheel_<key>`, type rating).

    `previous`: the preparation form shows last year's agreed wheel beside the empty one (the
    values `prev_wheel_<key>` a carry-over passes in; drawn, never read back).
    """

    competences: tuple[Competence, ...]
    fields: tuple[FieldSpec, ...]
    previous: bool = False

    @property
    def previous_keys(self) -> tuple[str, ...]:
        return tuple(f"prev_wheel_{c.key}" for c in self.competences)


Block = (
    TextBlock
    | FieldBlock
    | ListBlock
    | GoalTable
    | RowTable
    | Grid
    | QuestionsBlock
    | SignaturesBlock
    | WheelBlock
)


@dataclass(frozen=True)
class Section:
    id: str
    number: str
    title: str
    blocks: tuple[Block, ...]

    @property
    def heading(self) -> str:
        return f"{self.number}. {self.title}" if self.number else self.title


@dataclass(frozen=True)
class FormDefinition:
    """A whole form, expanded: what renderers draw and readers look for."""

    kind: FormKind
    name: str  # "preparation", "agreement", or an organisation's own e.g. "preparation-klinik"
    title: str  # "Forberedelsesskema til MUS"; the year is appended: title_for(year)
    subtitle: str
    intro: tuple[str, ...]
    header: tuple[FieldSpec, ...]
    sections: tuple[Section, ...]
    categories: tuple[Category, ...]
    scale: tuple[tuple[int, str], ...]
    competences: tuple[Competence, ...] = ()
    _by_key: dict[str, FieldSpec] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        seen: dict[str, FieldSpec] = {}
        for spec in self.fields:
            if spec.key in seen:
                raise DefinitionError(f"{self.name}: field key {spec.key!r} appears twice")
            if not _KEY.match(spec.key):
                raise DefinitionError(f"{self.name}: field key {spec.key!r} is not snake_case")
            seen[spec.key] = spec
        self._by_key.update(seen)

    def title_for(self, year: int) -> str:
        """The visible title with the year, e.g. `Forberedelsesskema til MUS 2027` (contract)."""
        return f"{self.title} {year}"

    @property
    def fields(self) -> tuple[FieldSpec, ...]:
        body = tuple(
            spec for section in self.sections for block in section.blocks for spec in block.fields
        )
        return self.header + body

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(spec.key for spec in self.fields)

    def field(self, key: str) -> FieldSpec:
        try:
            return self._by_key[key]
        except KeyError:
            raise DefinitionError(f"{self.name}: no field {key!r}") from None

    def has(self, key: str) -> bool:
        return key in self._by_key

    def blocks(self, kind: type) -> list[Any]:
        return [
            block
            for section in self.sections
            for block in section.blocks
            if isinstance(block, kind)
        ]

    def goal_table(self, prefix: str) -> GoalTable | None:
        return next((t for t in self.blocks(GoalTable) if t.prefix == prefix), None)

    def scale_label(self, score: int) -> str:
        return dict(self.scale)[score]

    @property
    def wheel(self) -> WheelBlock | None:
        """The competence wheel, when the organisation has one (`forms.competences`)."""
        return next(iter(self.blocks(WheelBlock)), None)

    @property
    def drawn_keys(self) -> tuple[str, ...]:
        """Values a renderer draws but nobody fills: last year's wheel (`prev_wheel_<key>`)."""
        wheel = self.wheel
        return wheel.previous_keys if wheel is not None and wheel.previous else ()


# --- parsing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overrides:
    """What an organisation's settings change in every definition (formflow.toml [forms])."""

    categories: tuple[Category, ...] = ()
    goal_rows: int = 0
    plan_rows: int = 0
    competences: tuple[Competence, ...] = ()


def parse_question_bank(text: str) -> QuestionBank:
    data = _toml(text, "questions.toml")
    themes = tuple(Theme(t["key"], t["label"]) for t in data.get("theme", []))
    theme_keys = {t.key for t in themes}
    questions = []
    for q in data.get("question", []):
        if q["theme"] not in theme_keys:
            raise DefinitionError(f"question {q['id']!r}: unknown theme {q['theme']!r}")
        questions.append(
            Question(
                q["id"], q["theme"], q["text"], q.get("source", ""), bool(q.get("appreciative"))
            )
        )
    ids = [q.id for q in questions]
    if len(ids) != len(set(ids)):
        raise DefinitionError("questions.toml: a question id appears twice")
    return QuestionBank(themes, tuple(questions))


def parse_definition(
    text: str,
    common_text: str,
    bank: QuestionBank,
    name: str,
    overrides: Overrides = Overrides(),
) -> FormDefinition:
    """Expand one definition's TOML (with `common.toml` and the question bank)."""
    common = _toml(common_text, "common.toml")
    data = _toml(text, name)
    kind = data.get("kind")
    if kind not in FORM_KINDS:
        raise DefinitionError(f"{name}: kind must be one of {', '.join(FORM_KINDS)}, not {kind!r}")
    categories = overrides.categories or tuple(
        Category(c["key"], c["label"]) for c in data.get("category", common.get("category", []))
    )
    for category in categories:
        if not _CATEGORY_KEY.match(category.key):
            raise DefinitionError(f"{name}: category key {category.key!r} must be [a-z]+")
    scale = tuple(sorted((int(k), v) for k, v in common["scale"].items()))
    context = _Context(name, categories, bank, overrides)
    check_competences(overrides.competences, name)
    sections = tuple(
        Section(
            s["id"],
            str(s.get("number", "")),
            s["title"],
            tuple(context.block(b, s["id"]) for b in s.get("block", [])),
        )
        for s in data.get("section", [])
    )
    # A wheel section stays out of the form until the organisation names its competences.
    sections = tuple(s for s in sections if not any(_empty_wheel(b) for b in s.blocks))
    return FormDefinition(
        kind=kind,
        name=data.get("name", name),
        title=data["title"],
        subtitle=data.get("subtitle", data["title"]),
        intro=tuple(data.get("intro", ())),
        header=_header(common, name, data.get("header"), data.get("header_labels", {})),
        sections=sections,
        categories=categories,
        scale=scale,
        competences=overrides.competences,
    )


def check_competences(competences: tuple[Competence, ...], name: str = "forms.competences") -> None:
    """6-8 competences with distinct [a-z]+ keys and a label each (seed 002), or none."""
    if not competences:
        return
    if not MIN_COMPETENCES <= len(competences) <= MAX_COMPETENCES:
        raise DefinitionError(
            f"{name}: a competence wheel has {MIN_COMPETENCES}-{MAX_COMPETENCES} competences "
            f"(seed 002: 'de 6-8 vigtigste kompetencer'), not {len(competences)}"
        )
    for competence in competences:
        if not _CATEGORY_KEY.match(competence.key):
            raise DefinitionError(
                f"{name}: competence key {competence.key!r} must be lowercase letters a-z"
            )
        if not competence.label.strip():
            raise DefinitionError(f"{name}: competence {competence.key!r} needs a label")
    keys = [c.key for c in competences]
    if len(keys) != len(set(keys)):
        raise DefinitionError(f"{name}: a competence key appears twice")


def _empty_wheel(block: Block) -> bool:
    return isinstance(block, WheelBlock) and not block.competences


def _header(
    common: dict[str, Any],
    name: str,
    keys: list[str] | None = None,
    labels: dict[str, str] | None = None,
) -> tuple[FieldSpec, ...]:
    """The header fields every form shares (name, number, position, leader, meeting date), or
    the ones a definition names (`header = [...]`: a colleague's input needs only whom), with
    the definition's own labels where it has them (`header_labels`)."""
    labels = labels or {}
    known = {h["key"] for h in common["header"]}
    unknown = sorted(set(keys or ()) - known)
    if unknown:
        raise DefinitionError(f"{name}: unknown header field(s) {', '.join(unknown)}")
    return tuple(
        FieldSpec(
            h["key"],
            labels.get(h["key"], h["label"]),
            _type(h.get("type", "text"), name),
            "header",
            h.get("required", False),
        )
        for h in common["header"]
        if keys is None or h["key"] in keys
    )


@dataclass(frozen=True)
class _Context:
    name: str
    categories: tuple[Category, ...]
    bank: QuestionBank
    overrides: Overrides

    def block(self, b: dict[str, Any], section: str) -> Block:
        kind = b.get("type")
        if kind == "text":
            return TextBlock(
                tuple(b.get("paragraphs", ())), tuple(b.get("bullets", ())), b.get("scale", False)
            )
        if kind == "field":
            spec = FieldSpec(
                b["key"],
                b["label"],
                _type(b.get("field", "text"), self.name),
                section,
                b.get("required", False),
                lines=b.get("lines", 1),
            )
            return FieldBlock(spec)
        if kind == "list":
            specs = tuple(
                FieldSpec(f"{b['prefix']}_{n}", f"{b['label']} {n}", "text", section, row=str(n))
                for n in range(1, b["count"] + 1)
            )
            return ListBlock(b["prefix"], b["label"], specs)
        if kind == "goal_table":
            return self.goal_table(b, section)
        if kind == "row_table":
            return self.row_table(b, section)
        if kind == "grid":
            return self.grid(b, section)
        if kind == "questions":
            return self.questions(b, section)
        if kind == "signatures":
            return self.signatures(b, section)
        if kind == "wheel":
            return self.wheel(b, section)
        raise DefinitionError(f"{self.name}: unknown block type {kind!r} in section {section!r}")

    def goal_table(self, b: dict[str, Any], section: str) -> GoalTable:
        columns = tuple(
            Column(*c) for c in GOAL_COLUMNS + ((STATUS_COLUMN,) if b.get("status") else ())
        )
        count = self.overrides.goal_rows or b.get("rows", 2)
        rows = tuple(
            GoalRow(
                category,
                n,
                tuple(
                    FieldSpec(
                        f"{b['prefix']}_{category.key}_{n}_{c.key}",
                        c.label,
                        c.type,
                        section,
                        row=category.label,
                    )
                    for c in columns
                ),
            )
            for category in self.categories
            for n in range(1, count + 1)
        )
        return GoalTable(b["prefix"], bool(b.get("status")), columns, self.categories, rows)

    def row_table(self, b: dict[str, Any], section: str) -> RowTable:
        columns = tuple(
            Column(c["key"], c["label"], _type(c.get("type", "text"), self.name))
            for c in b["columns"]
        )
        count = self.overrides.plan_rows or b.get("rows", 3)
        rows = tuple(
            tuple(
                FieldSpec(
                    f"{b['prefix']}_{n}_{c.key}",
                    c.label,
                    c.type,
                    section,
                    row=str(n),
                    lines=3 if c.type == "multiline" else 1,
                )
                for c in columns
            )
            for n in range(1, count + 1)
        )
        return RowTable(b["prefix"], b.get("title", ""), columns, rows)

    def grid(self, b: dict[str, Any], section: str) -> Grid:
        columns = tuple(
            Column(c["key"], c["label"], _type(c.get("type", "text"), self.name))
            for c in b["columns"]
        )
        rows = tuple(
            GridRow(
                r["key"],
                r["label"],
                tuple(
                    FieldSpec(
                        f"{b['prefix']}_{r['key']}_{c.key}",
                        c.label,
                        c.type,
                        section,
                        row=r["label"],
                        lines=3 if c.type == "multiline" else 1,
                    )
                    for c in columns
                ),
            )
            for r in b["rows"]
        )
        return Grid(b["prefix"], columns, rows)

    def wheel(self, b: dict[str, Any], section: str) -> WheelBlock:
        competences = self.overrides.competences
        specs = tuple(
            FieldSpec(f"wheel_{c.key}", c.label, "rating", section, row=c.label)
            for c in competences
        )
        return WheelBlock(competences, specs, bool(b.get("previous", False)))

    def questions(self, b: dict[str, Any], section: str) -> QuestionsBlock:
        chosen = [self.bank.question(qid) for qid in b["questions"]]
        scale = b.get("scale", "text")
        if scale not in ("text", "smiley"):
            raise DefinitionError(f"{self.name}: questions scale must be text or smiley")
        answer: FieldType = "face" if scale == "smiley" else "multiline"
        lines = 1 if scale == "smiley" else 3
        groups = tuple(
            QuestionGroup(
                theme,
                tuple(
                    (q, FieldSpec(q.key, q.text, answer, section, row=theme.label, lines=lines))
                    for q in chosen
                    if q.theme == theme.key
                ),
            )
            for theme in self.bank.themes
            if any(q.theme == theme.key for q in chosen)
        )
        return QuestionsBlock(groups, scale)

    def signatures(self, b: dict[str, Any], section: str) -> SignaturesBlock:
        roles = tuple(
            SignatureRole(
                r["role"],
                r["label"],
                FieldSpec(
                    f"signature_{r['role']}", r["label"], "signature", section, row=r["role"]
                ),
                FieldSpec(
                    f"signature_{r['role']}_date",
                    r.get("date_label", "Dato"),
                    "date",
                    section,
                    row=r["role"],
                ),
            )
            for r in b["roles"]
        )
        return SignaturesBlock(roles)


def _type(value: str, name: str) -> FieldType:
    if value not in FIELD_TYPES:
        raise DefinitionError(f"{name}: unknown field type {value!r}")
    return value  # type: ignore[return-value]


def _toml(text: str, name: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise DefinitionError(f"{name}: {error}") from error
    except KeyError as error:  # pragma: no cover - reported by callers with context
        raise DefinitionError(f"{name}: missing {error}") from error
