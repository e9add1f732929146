"""The fillable PDF form: a form definition laid out on A4, with an AcroForm on top.

Two stages. reportlab's platypus lays the form out as a flow of small, atomic tables (a heading
keeps with its first row; no field and no table row is split across pages), and every fillable
cell is a `_FieldBox` flowable that paints the shaded box and records where it landed. pypdf then
turns each recorded box into an AcroForm field named by its contract key, with an appearance
stream generated here.

Choices, and why:
- Appearance streams are ours. pypdf's do not wrap and pikepdf's turn æøå into `?`, and a
  viewer that finds no appearance shows an empty box. Ours use Helvetica with WinAnsiEncoding
  (in /DR too, so viewers and pdftk regenerate with the same font): it covers æøåÆØÅ, curly
  quotes and dashes; a character outside WinAnsi is drawn as "?" while the field VALUE keeps it.
  Multi-line text is wrapped, line breaks kept, and the font shrinks to 6 pt before giving up;
  a pre-filled long answer first grows its box (up to `_GROWTH` times).
- NeedAppearances is not set. Every field has a complete appearance, so there is nothing to
  regenerate; setting it makes Acrobat ask to save an unchanged file and lets poppler and pdf.js
  replace our wrapped text with their own. Tools that fill values without appearances (pypdf's
  `update_page_form_field_values`) set it themselves.
- The status (1-4) is a combo box with the options "", "1".."4": a viewer offers exactly the
  valid scores, pdftk fills it (and regenerates its appearance), poppler draws its appearance
  and pypdf's `get_fields()` reads its /V like any text. (A 1-character text field would accept
  "x"; and /MaxLen would cut a longer pre-filled value, which must never happen silently.)
- The DA of multi-line fields asks for auto size (0 Tf), so a viewer regenerating a long answer
  the user typed shrinks it as we do; single-line fields use a fixed 10 pt (auto size would blow
  a date up to the height of its box).
- Both stages run once per layout, not per form: values change the layout only through the
  heights of grown boxes, so a layout (definition, year, box heights) is written once with
  empty fields and each form puts its fields' objects in (`_Layouts`, `_Template`): the same
  bytes as a full render, ~10x faster, which is what carry-over of a whole round needs.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from formflow.charts import Wheel, scores_of, wheel_drawing
from formflow.forms.definition import (
    CHOSEN_MARK,
    FACE_LABELS,
    RATING_SCORES,
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
    WheelBlock,
)

# --- measures -------------------------------------------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
CELL_PAD = 3.0  # table cell padding around a field box
TEXT_PAD = 2.0  # inside a field box, between its edge and the text
FIELD_FONT = "Helvetica"  # the standard 14 font drawn with WinAnsiEncoding (see module doc)
FIELD_SIZE = 10.0
SIGNATURE_SIZE = 12.0
MIN_SIZE = 6.0
LEADING = 1.16  # line height / font size in multi-line appearances
SINGLE_HEIGHT = 18.0
SIGNATURE_HEIGHT = 40.0
MIN_MULTILINE_LINES = 2
_GROWTH = 3.0  # a pre-filled multi-line box may grow to this many times its height
_MAX_BOX_HEIGHT = 300.0  # ... and never beyond this (a field must fit on one page)
DATE_HINT = "dd.mm.åååå"

INK = colors.Color(0.12, 0.12, 0.14)
MUTED = colors.Color(0.35, 0.35, 0.4)
RULE = colors.Color(0.55, 0.55, 0.6)
HEADING_FILL = colors.Color(0.86, 0.89, 0.93)
HEAD_FILL = colors.Color(0.94, 0.95, 0.97)
FIELD_FILL = colors.Color(0.95, 0.97, 1.0)

# Field flags (PDF 32000-1, 12.7.3.1 and 12.7.4): read-only, multi-line, combo box.
_FF_READ_ONLY = 1
_FF_MULTILINE = 1 << 12
_FF_COMBO = 1 << 17
# Annotation flags (12.5.3): hidden, print.
_F_HIDDEN = 2
_F_PRINT = 4
STATUS_OPTIONS = ("", "1", "2", "3", "4")


# --- fitting text into a box (pure) ---------------------------------------------------------


@dataclass(frozen=True)
class Fit:
    """How a value is drawn in its box: font size, the lines shown, and whether all of it fits."""

    size: float
    lines: tuple[str, ...]
    complete: bool


def shown_text(value: str) -> str:
    """The value as an appearance can show it: WinAnsi characters, "?" for the rest.

    Line breaks become "\\n" and a tab four spaces; the field's value is never changed.
    """
    text = value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return "".join(ch if ch == "\n" or _winansi(ch) else "?" for ch in text)


def _winansi(ch: str) -> bool:
    if ch < " " or "\x7f" <= ch < "\xa0":
        return False
    try:
        ch.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _width(text: str, size: float) -> float:
    return float(stringWidth(text, FIELD_FONT, size))


def wrap_lines(text: str, width: float, size: float) -> list[str]:
    """Greedy word wrap of shown text; line breaks and indents kept, long words broken."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words = paragraph.lstrip(" ")
        indent = paragraph[: len(paragraph) - len(words)]  # a tab, pasted bullets
        if _width(indent, size) > width / 2:
            indent = ""
        line = indent
        for word in words.split(" "):
            candidate = f"{line} {word}" if line.strip() else line + word
            if _width(candidate, size) <= width:
                line = candidate
                continue
            if line.strip():
                lines.append(line)
            while len(word) > 1 and _width(word, size) > width:
                cut = _longest_prefix(word, width, size)
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines


def _longest_prefix(word: str, width: float, size: float) -> int:
    cut = 1
    while cut < len(word) and _width(word[: cut + 1], size) <= width:
        cut += 1
    return cut


def _lines_height(count: int, size: float) -> float:
    return count * size * LEADING + 2 * TEXT_PAD


def fit_text(
    value: str, width: float, height: float, multiline: bool, size: float = FIELD_SIZE
) -> Fit:
    """Shrink the font from `size` in half points down to `MIN_SIZE` until `value` fits."""
    text = shown_text(value)
    inner = width - 2 * TEXT_PAD
    while True:
        if multiline:
            lines = wrap_lines(text, inner, size)
            fits = _lines_height(len(lines), size) <= height + 0.01
        else:
            lines = [text.replace("\n", " ")]
            fits = _width(lines[0], size) <= inner and size + 2 * TEXT_PAD <= height + 0.01
        if fits or size <= MIN_SIZE:
            return Fit(size, tuple(lines), fits)
        size = max(MIN_SIZE, size - 0.5)


def grown_height(value: str, width: float, base: float, multiline: bool) -> float:
    """The height of a box pre-filled with `value`: grows for a long answer, within reason."""
    if not multiline or not value:
        return base
    lines = wrap_lines(shown_text(value), width - 2 * TEXT_PAD, FIELD_SIZE)
    needed = _lines_height(len(lines), FIELD_SIZE)
    return max(base, min(needed, base * _GROWTH, _MAX_BOX_HEIGHT))


# --- appearance streams (pure) --------------------------------------------------------------


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def pdf_string(text: str) -> bytes:
    """A PDF literal string of shown text in WinAnsiEncoding (cp1252), escaped."""
    out = bytearray(b"(")
    for byte in text.encode("cp1252", errors="replace"):
        if byte in b"()\\":
            out += b"\\" + bytes([byte])
        elif byte < 0x20 or byte > 0x7E:
            out += f"\\{byte:03o}".encode("ascii")
        else:
            out.append(byte)
    return bytes(out + b")")


def appearance(
    fit: Fit, width: float, height: float, multiline: bool, centered: bool = False
) -> bytes:
    """The normal appearance content of a text or combo field: clipped, wrapped, WinAnsi."""
    if not any(fit.lines):
        return b"/Tx BMC\nEMC\n"
    size = fit.size
    ops = [
        "/Tx BMC",
        "q",
        f"1 1 {_num(width - 2)} {_num(height - 2)} re W n",
        "BT",
        f"/Helv {_num(size)} Tf",
        "0 g",
    ]
    body: list[bytes] = []
    if multiline:
        top = height - TEXT_PAD - size * 0.78  # first baseline: the ascender below the top
        ops += [f"{_num(TEXT_PAD)} {_num(top)} Td", f"{_num(size * LEADING)} TL"]
        for index, line in enumerate(visible_lines(fit, width, height, multiline)):
            prefix = b"T* " if index else b""
            body.append(prefix + pdf_string(line) + b" Tj")
    else:
        line = visible_lines(fit, width, height, multiline)[0]
        x = (width - _width(line, size)) / 2 if centered else TEXT_PAD
        baseline = (height - size * 0.72) / 2  # Helvetica's cap height centred in the box
        ops.append(f"{_num(max(x, TEXT_PAD))} {_num(baseline)} Td")
        body.append(pdf_string(line) + b" Tj")
    head = "\n".join(ops).encode("ascii")
    return head + b"\n" + b"\n".join(body) + b"\nET\nQ\nEMC\n"


def visible_lines(fit: Fit, width: float, height: float, multiline: bool) -> list[str]:
    """The lines the box can show; text that does not fit ends in "…", so a print shows that
    there is more (the field value holds all of it)."""
    inner = width - 2 * TEXT_PAD
    room = max(1, int((height - 2 * TEXT_PAD) / (fit.size * LEADING) + 0.01)) if multiline else 1
    lines = list(fit.lines[:room])
    if fit.complete:
        return lines
    last = lines[-1].rstrip()
    while last and _width(last + "…", fit.size) > inner:
        last = last[:-1].rstrip()
    lines[-1] = last + "…"
    return lines


# --- the layout (reportlab) -----------------------------------------------------------------


@dataclass(frozen=True)
class _Placed:
    box: _FieldBox
    page: int
    rect: tuple[float, float, float, float]


class _FieldBox(Flowable):
    """A fillable box: paints the shaded area (and a signature line) and records its place."""

    def __init__(
        self,
        spec: FieldSpec,
        tooltip: str,
        width: float,
        height: float,
        value: str,
        placed: list[_Placed],
    ) -> None:
        super().__init__()
        self.spec = spec
        self.tooltip = tooltip
        self.width = width
        self.height = height
        self.value = value
        self._placed = placed

    @property
    def multiline(self) -> bool:
        return self.spec.type == "multiline"

    @property
    def font_size(self) -> float:
        return SIGNATURE_SIZE if self.spec.type == "signature" else FIELD_SIZE

    def fit(self) -> Fit:
        return self.fit_of(self.value)

    def fit_of(self, value: str) -> Fit:
        """How `value` is drawn in this box (the blank form's boxes are filled this way)."""
        return fit_text(value, self.width, self.height, self.multiline, self.font_size)

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        canvas.saveState()
        canvas.setFillColor(FIELD_FILL)
        canvas.rect(0, 0, self.width, self.height, stroke=0, fill=1)
        if self.spec.type == "signature":
            canvas.setStrokeColor(INK)
            canvas.setLineWidth(0.8)
            canvas.line(0, 0, self.width, 0)
        canvas.restoreState()
        x0, y0 = canvas.absolutePosition(0, 0)
        x1, y1 = canvas.absolutePosition(self.width, self.height)
        page = getattr(canvas, "page_index", canvas.getPageNumber() - 1)
        self._placed.append(_Placed(self, page, (x0, y0, x1, y1)))


# --- seed 002's marks: radio buttons for the competence wheel and the smiley scale --------------

OPTION_SIZE = 13.0  # a radio button's square
_OPTION_CELL = 34.0  # the table column of one mark 1-5
_FACE_CELL = 64.0  # the column of one face (its name under it)


@dataclass(frozen=True)
class _PlacedOption:
    """One radio button of a wheel's or smiley's field, where it landed."""

    spec: FieldSpec
    mark: str  # "1".."5": the button's export value (its on-state)
    tooltip: str
    value: str  # the field's value when the form was rendered
    page: int
    rect: tuple[float, float, float, float]


class _OptionBox(Flowable):
    """A radio button's square: painted on the page, its place recorded for its widget."""

    def __init__(
        self, spec: FieldSpec, mark: str, tooltip: str, value: str, placed: list[_PlacedOption]
    ) -> None:
        super().__init__()
        self.spec, self.mark, self.tooltip, self.value = spec, mark, tooltip, value
        self.width = self.height = OPTION_SIZE
        self._placed = placed

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        canvas.saveState()
        canvas.setFillColor(FIELD_FILL)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.7)
        canvas.rect(0, 0, self.width, self.height, stroke=1, fill=1)
        canvas.restoreState()
        x0, y0 = canvas.absolutePosition(0, 0)
        x1, y1 = canvas.absolutePosition(self.width, self.height)
        page = getattr(canvas, "page_index", canvas.getPageNumber() - 1)
        option = _PlacedOption(
            self.spec, self.mark, self.tooltip, self.value, page, (x0, y0, x1, y1)
        )
        self._placed.append(option)


def _face(score: int, size: float) -> Any:
    """A face for a mark of the smiley scale: 1 sad (mouth down) to 5 glad (mouth up)."""
    from reportlab.graphics.shapes import Circle, Drawing, PolyLine

    drawing = Drawing(size, size)
    centre = size / 2
    drawing.add(
        Circle(
            centre,
            centre,
            size / 2 - 1,
            fillColor=_FACE_FILLS[score - 1],
            strokeColor=INK,
            strokeWidth=0.8,
        )
    )
    for side in (-1, 1):
        drawing.add(
            Circle(
                centre + side * size * 0.16,
                centre + size * 0.12,
                size * 0.055,
                fillColor=INK,
                strokeColor=None,
            )
        )
    bend = (score - 3) * size * 0.07  # the mouth's curve: down for 1-2, flat at 3, up for 4-5
    points: list[float] = []
    for step in range(9):
        t = step / 8 - 0.5
        points += [centre + t * size * 0.5, centre - size * 0.2 - bend * (1 - 4 * t * t)]
    drawing.add(PolyLine(points, strokeColor=INK, strokeWidth=1.1))
    return drawing


_FACE_FILLS = (
    colors.Color(0.96, 0.72, 0.68),
    colors.Color(0.98, 0.84, 0.70),
    colors.Color(0.99, 0.94, 0.72),
    colors.Color(0.85, 0.93, 0.74),
    colors.Color(0.74, 0.90, 0.74),
)


def _style(name: str, size: float, font: str = "Helvetica", **extra: Any) -> ParagraphStyle:
    options: dict[str, Any] = {"textColor": INK, "leading": size * 1.25, **extra}
    return ParagraphStyle(name, fontName=font, fontSize=size, **options)


TITLE = _style("title", 17, "Helvetica-Bold", spaceAfter=3)
SUBTITLE = _style("subtitle", 10.5, textColor=MUTED, spaceAfter=8)
BODY = _style("body", 9.5, spaceAfter=4)
BULLET = _style("bullet", 9.5, leftIndent=14, bulletIndent=3, spaceAfter=2)
HEADING = _style("heading", 11, "Helvetica-Bold")
THEME = _style("theme", 10, "Helvetica-Bold", spaceBefore=6, spaceAfter=3)
LABEL = _style("label", 7.5, textColor=MUTED)
HEAD = _style("head", 8, "Helvetica-Bold")
HEAD_CENTER = _style("head_center", 8, "Helvetica-Bold", alignment=TA_CENTER)
ROW_LABEL = _style("row_label", 9, "Helvetica-Bold")
QUESTION = _style("question", 9)
FACE_CAPTION = _style("face_caption", 7, textColor=MUTED, alignment=TA_CENTER)


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text (definitions hold text, not markup)."""
    return Paragraph(escape(text), style)


def _grid_style(*extra: tuple[Any, ...]) -> TableStyle:
    return TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.5, RULE),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD),
            ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD),
            ("TOPPADDING", (0, 0), (-1, -1), CELL_PAD),
            ("BOTTOMPADDING", (0, 0), (-1, -1), CELL_PAD),
            *extra,
        ]
    )


def _table(
    rows: Sequence[Sequence[Any]], widths: Sequence[float], *extra: tuple[Any, ...]
) -> Table:
    table = Table([list(r) for r in rows], colWidths=list(widths), style=_grid_style(*extra))
    table.hAlign = "LEFT"
    return table


class _Whole(Flowable):
    """Flowables drawn as one piece: never split across pages.

    Unlike platypus' KeepTogether it may end a keep-with-next group, so a heading still keeps
    with a whole row group that follows it. A row of a table that continues at the top of a new
    page repeats the table's column header (`head`) above it.
    """

    def __init__(self, parts: Sequence[Flowable], head: Flowable | None = None) -> None:
        super().__init__()
        self.parts = list(parts)
        self.head = head
        self._shown: list[Flowable] = []
        self._sizes: list[tuple[float, float]] = []

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        # platypus sets _frame before it wraps a flowable for a place in that frame.
        at_top = getattr(getattr(self, "_frame", None), "_atTop", False)
        self._shown = [self.head, *self.parts] if self.head and at_top else self.parts
        self._sizes = [p.wrapOn(self.canv, avail_width, avail_height) for p in self._shown]
        self.width = max((w for w, _ in self._sizes), default=0.0)
        self.height = sum(h for _, h in self._sizes)
        return self.width, self.height

    def draw(self) -> None:
        top = self.height
        for part, (_, height) in zip(self._shown, self._sizes, strict=True):
            top -= height
            part.drawOn(self.canv, 0, top)


def _unit(table: Table, head: Flowable | None = None) -> Flowable:
    """A table that must stay whole on one page (a row group, a labelled block)."""
    return _Whole([table], head) if head or len(table._cellvalues) > 1 else table


def _keep_with_next(flowable: Flowable) -> Flowable:
    flowable.keepWithNext = True
    return flowable


def _inner(width: float) -> float:
    """The width of a field box inside a table column of `width`."""
    return width - 2 * CELL_PAD


def _base_height(spec: FieldSpec) -> float:
    if spec.type == "signature":
        return SIGNATURE_HEIGHT
    if spec.type == "multiline":
        return _lines_height(max(spec.lines, MIN_MULTILINE_LINES), FIELD_SIZE)
    return SINGLE_HEIGHT


def _tooltip(spec: FieldSpec, label: str) -> str:
    """The /TU: the Danish label with its row; a date says how to write it."""
    return f"{label} ({DATE_HINT})" if spec.type == "date" else label


def _spread(widths: Sequence[float | None], total: float) -> list[float]:
    """Column widths where `None` columns share what the fixed ones leave."""
    fixed = sum(w for w in widths if w is not None)
    flexible = sum(1 for w in widths if w is None) or 1
    rest = (total - fixed) / flexible
    return [rest if w is None else w for w in widths]


# Fixed table column widths by field type; multi-line columns share the rest of the width.
_COLUMN_WIDTHS: dict[str, float] = {"date": 66.0, "status": 54.0, "text": 76.0, "signature": 120.0}


def _column_width(column: Column) -> float | None:
    return _COLUMN_WIDTHS.get(column.type)


class _Story:
    """Builds the flowables of one form, and keeps every field box it made."""

    def __init__(self, definition: FormDefinition, year: int, values: Mapping[str, str]) -> None:
        self.definition = definition
        self.year = year
        self.values = values
        self.boxes: list[_FieldBox] = []
        self.placed: list[_Placed] = []
        self.options: list[_PlacedOption] = []  # the wheel's and the smileys' radio buttons

    # -- field boxes --

    def box(self, spec: FieldSpec, tooltip: str, width: float, height: float) -> _FieldBox:
        box = _FieldBox(
            spec, _tooltip(spec, tooltip), width, height, self.values.get(spec.key, ""), self.placed
        )
        self.boxes.append(box)
        return box

    def row_height(self, cells: Iterable[tuple[FieldSpec, float]]) -> float:
        """One height for the boxes of a table row: the tallest need among them."""
        return max(
            grown_height(
                self.values.get(spec.key, ""), width, _base_height(spec), spec.type == "multiline"
            )
            for spec, width in cells
        )

    # -- the document --

    def flowables(self) -> list[Flowable]:
        story: list[Flowable] = self.title()
        story += self.header()
        for section in self.definition.sections:
            story += self.section(section)
        return story

    def title(self) -> list[Flowable]:
        d = self.definition
        story: list[Flowable] = [_p(d.title_for(self.year), TITLE), _p(d.subtitle, SUBTITLE)]
        story += [_p(text, BODY) for text in d.intro]
        story.append(Spacer(1, 6))
        return story

    def header(self) -> list[Flowable]:
        """Navn, Medarbejdernr., ... in a boxed grid, label above each box."""
        specs = list(self.definition.header)
        first = len(specs) - 3 * ((len(specs) - 1) // 3)  # 5 -> 2 + 3
        rows = [specs[:first]] + [specs[i : i + 3] for i in range(first, len(specs), 3)]
        story: list[Flowable] = []
        for row in rows:
            width = CONTENT_WIDTH / len(row)
            height = self.row_height((spec, _inner(width)) for spec in row)
            cells = [
                [_p(spec.label, LABEL), self.box(spec, spec.label, _inner(width), height)]
                for spec in row
            ]
            story.append(
                _table([cells], [width] * len(row), ("VALIGN", (0, 0), (-1, -1), "BOTTOM"))
            )
        story.append(Spacer(1, 10))
        return story

    def section(self, section: Section) -> list[Flowable]:
        heading = _table(
            [[_p(section.heading, HEADING)]],
            [CONTENT_WIDTH],
            ("BACKGROUND", (0, 0), (-1, -1), HEADING_FILL),
            ("LINEABOVE", (0, 0), (-1, 0), 0.8, INK),
            ("TOPPADDING", (0, 0), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
        )
        story: list[Flowable] = [
            Spacer(1, 8),
            _keep_with_next(heading),
            _keep_with_next(Spacer(1, 4)),
        ]
        with_fields = [b for b in section.blocks if b.fields]
        for index, block in enumerate(section.blocks):
            parts = self.block(block, section, alone=len(with_fields) == 1)
            if index < len(section.blocks) - 1 and isinstance(block, TextBlock):
                # An intro keeps with what it introduces (and so the heading with its first row).
                parts = [_keep_with_next(p) for p in [*parts, Spacer(1, 5)]]
            else:
                parts.append(Spacer(1, 5))
            story += parts
        return story

    def block(self, block: Any, section: Section, alone: bool) -> list[Flowable]:
        builders: dict[type, Callable[..., list[Flowable]]] = {
            TextBlock: self.text,
            ListBlock: self.numbered,
            GoalTable: self.goals,
            RowTable: self.row_table,
            Grid: self.grid,
            QuestionsBlock: self.questions,
            SignaturesBlock: self.signatures,
            WheelBlock: self.wheel,
        }
        if isinstance(block, FieldBlock):
            return self.field(block, section, alone)
        return builders[type(block)](block, section)

    # -- blocks --

    def text(self, block: TextBlock, section: Section) -> list[Flowable]:
        story: list[Flowable] = [_p(text, BODY) for text in block.paragraphs]
        story += [Paragraph(escape(text), BULLET, bulletText="•") for text in block.bullets]
        if block.scale:
            rows = [
                [_p(f"{score} =", ROW_LABEL), _p(label, BODY)]
                for score, label in self.definition.scale
            ]
            story.append(
                _table(
                    rows,
                    [28, 220],
                    ("GRID", (0, 0), (-1, -1), 0.25, RULE),
                    ("BACKGROUND", (0, 0), (0, -1), HEAD_FILL),
                    ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
                )
            )
        return story

    def field(self, block: FieldBlock, section: Section, alone: bool) -> list[Flowable]:
        spec = block.field
        if spec.type == "multiline":
            width = _inner(CONTENT_WIDTH)
            box = self.box(spec, spec.label, width, self.row_height([(spec, width)]))
            if alone:  # the section heading already says what to write
                return [_table([[box]], [CONTENT_WIDTH])]
            return [_unit(_table([[_p(spec.label, HEAD)], [box]], [CONTENT_WIDTH]))]
        label_width = 170.0
        width = 130.0 if spec.type in ("date", "status") else CONTENT_WIDTH - label_width
        box = self.box(spec, spec.label, _inner(width), _base_height(spec))
        return [
            _table(
                [[_p(spec.label, HEAD), box]],
                [label_width, width],
                ("BACKGROUND", (0, 0), (0, 0), HEAD_FILL),
                ("VALIGN", (0, 0), (0, 0), "MIDDLE"),
            )
        ]

    def numbered(self, block: ListBlock, section: Section) -> list[Flowable]:
        widths = [26.0, CONTENT_WIDTH - 26.0]
        story: list[Flowable] = []
        for number, spec in enumerate(block.fields, 1):
            box = self.box(spec, spec.label, _inner(widths[1]), _base_height(spec))
            story.append(
                _table(
                    [[_p(f"{number}.", ROW_LABEL), box]],
                    widths,
                    ("BACKGROUND", (0, 0), (0, 0), HEAD_FILL),
                    ("VALIGN", (0, 0), (0, 0), "MIDDLE"),
                )
            )
        return story

    def goals(self, table: GoalTable, section: Section) -> list[Flowable]:
        """Seed 004's goal table: the category on the left spanning its rows."""
        widths = _spread([104.0] + [_column_width(c) for c in table.columns], CONTENT_WIDTH)
        prefix = f"({section.number}) " if section.number else ""
        header = _table(
            [[_p("Område", HEAD)] + [_p(c.label, HEAD) for c in table.columns]],
            widths,
            ("BACKGROUND", (0, 0), (-1, -1), HEAD_FILL),
            ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        )
        story: list[Flowable] = [_keep_with_next(header)]
        for category in table.categories:
            rows = []
            for index, row in enumerate(table.rows_of(category)):
                cells = list(zip(row.cells, [_inner(w) for w in widths[1:]], strict=True))
                height = self.row_height(cells)
                tip = f"{prefix}{category.label} {row.number}"
                boxes = [self.box(s, f"{tip}: {s.label}", w, height) for s, w in cells]
                rows.append([_p(category.label, ROW_LABEL) if index == 0 else "", *boxes])
            if rows:
                story.append(
                    _unit(
                        _table(
                            rows,
                            widths,
                            ("SPAN", (0, 0), (0, len(rows) - 1)),
                            ("BACKGROUND", (0, 0), (0, -1), HEAD_FILL),
                        ),
                        header,
                    )
                )
        return story

    def row_table(self, table: RowTable, section: Section) -> list[Flowable]:
        if len(table.columns) <= 4:
            return self.narrow_rows(table)
        return self.row_blocks(table)

    def narrow_rows(self, table: RowTable) -> list[Flowable]:
        """Few columns: a plain table, number on the left."""
        widths = _spread([26.0] + [_column_width(c) for c in table.columns], CONTENT_WIDTH)
        header = _table(
            [[_p("Nr.", HEAD)] + [_p(c.label, HEAD) for c in table.columns]],
            widths,
            ("BACKGROUND", (0, 0), (-1, -1), HEAD_FILL),
            ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        )
        story: list[Flowable] = [_keep_with_next(header)]
        for number, row in enumerate(table.rows, 1):
            cells = list(zip(row, [_inner(w) for w in widths[1:]], strict=True))
            height = self.row_height(cells)
            tip = f"{table.title} {number}" if table.title else str(number)
            boxes = [self.box(s, f"{tip}: {s.label}", w, height) for s, w in cells]
            story.append(
                _unit(
                    _table(
                        [[_p(f"{number}.", ROW_LABEL), *boxes]],
                        widths,
                        ("BACKGROUND", (0, 0), (0, 0), HEAD_FILL),
                    ),
                    header,
                )
            )
        return story

    def row_blocks(self, table: RowTable) -> list[Flowable]:
        """Too many columns for a row (the agreement's plan): each row a block of labelled cells."""
        story: list[Flowable] = []
        for number, row in enumerate(table.rows, 1):
            title = f"{table.title} {number}" if table.title else f"{number}."
            parts = [
                _table(
                    [[_p(title, ROW_LABEL)]],
                    [CONTENT_WIDTH],
                    ("BACKGROUND", (0, 0), (-1, -1), HEAD_FILL),
                )
            ]
            for line in _pack(row):
                parts.append(self.labelled_cells(line, title))
            story.append(_Whole(parts))
            story.append(Spacer(1, 6))
        return story

    def labelled_cells(self, specs: Sequence[FieldSpec], tip: str) -> Table:
        weights = [_weight(spec) for spec in specs]
        widths = [CONTENT_WIDTH * w / sum(weights) for w in weights]
        height = self.row_height((s, _inner(w)) for s, w in zip(specs, widths, strict=True))
        cells = [
            [_p(s.label, LABEL), self.box(s, f"{tip}: {s.label}", _inner(w), height)]
            for s, w in zip(specs, widths, strict=True)
        ]
        return _table([cells], widths, ("VALIGN", (0, 0), (-1, -1), "BOTTOM"))

    def grid(self, grid: Grid, section: Section) -> list[Flowable]:
        """Seed 004 section 6: named rows × named columns."""
        widths = _spread([92.0] + [_column_width(c) for c in grid.columns], CONTENT_WIDTH)
        header = _table(
            [[""] + [_p(c.label, HEAD) for c in grid.columns]],
            widths,
            ("BACKGROUND", (0, 0), (-1, -1), HEAD_FILL),
            ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        )
        story: list[Flowable] = [_keep_with_next(header)]
        for row in grid.rows:
            cells = list(zip(row.cells, [_inner(w) for w in widths[1:]], strict=True))
            height = self.row_height(cells)
            boxes = [self.box(s, f"{row.label}: {s.label}", w, height) for s, w in cells]
            story.append(
                _unit(
                    _table(
                        [[_p(row.label, ROW_LABEL), *boxes]],
                        widths,
                        ("BACKGROUND", (0, 0), (0, 0), HEAD_FILL),
                    ),
                    header,
                )
            )
        return story

    def questions(self, block: QuestionsBlock, section: Section) -> list[Flowable]:
        """The conversation guide: questions under their theme, a box under each question."""
        story: list[Flowable] = []
        width = _inner(CONTENT_WIDTH)
        for group in block.groups:
            story.append(_keep_with_next(_p(group.theme.label, THEME)))
            for question, spec in group.questions:
                if spec.type == "face":
                    story.append(self.smiley(question.text, spec, group.theme.label))
                    continue
                box = self.box(
                    spec,
                    f"{group.theme.label}: {question.text}",
                    width,
                    self.row_height([(spec, width)]),
                )
                # One cell holding question and box: a cell is never split across pages.
                story.append(
                    _table([[[_p(question.text, QUESTION), Spacer(1, 3), box]]], [CONTENT_WIDTH])
                )
        return story

    def signatures(self, block: SignaturesBlock, section: Section) -> list[Flowable]:
        """Per role: a date box, and a signature box with a line and the role's label under it."""
        widths = [120.0, 24.0, CONTENT_WIDTH - 144.0]
        story: list[Flowable] = []
        for role in block.roles:
            date = self.box(role.date, f"{role.label}: {role.date.label}", widths[0], SINGLE_HEIGHT)
            signature = self.box(role.signature, role.label, widths[2], SIGNATURE_HEIGHT)
            cell_date = [_p(role.date.label, LABEL), date]
            cell_signature = [signature, Spacer(1, 2), _p(role.label, LABEL)]
            story.append(
                Table(
                    [["", "", Spacer(1, 6)], [cell_date, "", cell_signature]],
                    colWidths=widths,
                    style=TableStyle(
                        [
                            ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                            ("LEFTPADDING", (0, 0), (-1, -1), 0),
                            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                            ("VALIGN", (0, 1), (0, 1), "TOP"),
                        ]
                    ),
                    hAlign="LEFT",
                )
            )
            story[-1] = _Whole([story[-1]])
        return story

    # -- seed 002: the competence wheel and the smiley scale (radio buttons) --

    def options_row(self, spec: FieldSpec, tooltip: str, captions: Sequence[Any]) -> list[Any]:
        """Five cells, each a caption over the radio button of one mark 1-5."""
        value = self.values.get(spec.key, "")
        return [
            [caption, _OptionBox(spec, mark, tooltip, value, self.options)]
            for mark, caption in zip(RATING_SCORES, captions, strict=True)
        ]

    def wheel(self, block: WheelBlock, section: Section) -> list[Flowable]:
        """A row per competence with a radio button per mark 1-5, and the wheel drawn beside:
        empty to draw on, with last year's agreed wheel beside it after a carry-over."""
        previous = scores_of(self.values, block.competences, "prev_wheel_")
        head = [_p("Kompetence", HEAD), *[_p(m, HEAD_CENTER) for m in RATING_SCORES]]
        widths = _spread([None, *[_OPTION_CELL] * 5], CONTENT_WIDTH)
        if previous:
            head.append(_p("Sidste år", HEAD_CENTER))
            widths = _spread([None, *[_OPTION_CELL] * 5, 54.0], CONTENT_WIDTH)
        rows: list[list[Any]] = [head]
        for competence, spec in zip(block.competences, block.fields, strict=True):
            cells = [cell[1] for cell in self.options_row(spec, spec.label, [""] * 5)]
            row = [_p(spec.label, ROW_LABEL), *cells]
            if previous:
                row.append(_p(str(previous.get(competence.key, "–")), HEAD_CENTER))
            rows.append(row)
        table = _table(
            rows,
            widths,
            ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL),
            ("BACKGROUND", (0, 1), (0, -1), HEAD_FILL),
            ("ALIGN", (1, 0), (-1, -1), "CENTER"),
            ("VALIGN", (0, 1), (-1, -1), "MIDDLE"),
        )
        return [_Whole([table]), Spacer(1, 6), self.wheel_drawings(block, previous)]

    def wheel_drawings(self, block: WheelBlock, previous: Mapping[str, int]) -> Flowable:
        """The empty wheel to draw on; last year's agreed wheel beside it, if carried over."""
        size = 150.0 if previous else 170.0
        title = "Dit kompetencespind" if block.previous else "Kompetencespind"
        drawings = [wheel_drawing(block.competences, [], size, title, 7.0)]
        if previous:
            last = [Wheel(f"Aftalt i {self.year - 1}", previous)]
            drawings.insert(0, wheel_drawing(block.competences, last, size, "Sidste år", 7.0))
        width = CONTENT_WIDTH / len(drawings)
        style = [("ALIGN", (0, 0), (-1, -1), "CENTER"), ("VALIGN", (0, 0), (-1, -1), "BOTTOM")]
        return Table([drawings], colWidths=[width] * len(drawings), style=TableStyle(style))

    def smiley(self, question: str, spec: FieldSpec, theme: str) -> Flowable:
        """A question answered on five faces (seed 002's smiley MUS): a radio button under
        each face, its name under the button."""
        captions = [_face(int(mark), 26.0) for mark in RATING_SCORES]
        cells = self.options_row(spec, f"{theme}: {question}", captions)
        faces = Table(
            [
                [c[0] for c in cells],
                [c[1] for c in cells],
                [_p(t, FACE_CAPTION) for t in FACE_LABELS],
            ],
            colWidths=[_FACE_CELL] * 5,
            style=TableStyle(
                [
                    ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("TOPPADDING", (0, 0), (-1, -1), 1),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ]
            ),
            hAlign="LEFT",
        )
        return _table([[[_p(question, QUESTION), Spacer(1, 3), faces]]], [CONTENT_WIDTH])


def _weight(spec: FieldSpec) -> int:
    """How much of a block line a labelled cell takes: 3 multi-line, 2 text, 1 date/status."""
    return {"multiline": 3, "date": 1, "status": 1}.get(spec.type, 2)


def _pack(specs: Sequence[FieldSpec], capacity: int = 6) -> list[list[FieldSpec]]:
    """Labelled cells into lines of at most `capacity` weight, in order."""
    lines: list[list[FieldSpec]] = [[]]
    for spec in specs:
        if lines[-1] and sum(map(_weight, lines[-1])) + _weight(spec) > capacity:
            lines.append([])
        lines[-1].append(spec)
    return lines


def _canvas_class(footer: str) -> type[Canvas]:
    """A canvas that holds its pages back until the end, to write "Side 1 af N" in the footer."""

    class FormCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        @property
        def page_index(self) -> int:
            return len(self._pages)

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, 1):
                self.__dict__.update(state)
                self._footer(number, total)
                Canvas.showPage(self)
            Canvas.save(self)

        def _footer(self, number: int, total: int) -> None:
            self.saveState()
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            self.line(MARGIN, MARGIN - 8, PAGE_WIDTH - MARGIN, MARGIN - 8)
            self.setFont("Helvetica", 8)
            self.setFillColor(MUTED)
            self.drawString(MARGIN, MARGIN - 19, footer)
            self.drawRightString(PAGE_WIDTH - MARGIN, MARGIN - 19, f"Side {number} af {total}")
            self.restoreState()

    return FormCanvas


def _lay_out(
    definition: FormDefinition, year: int, values: Mapping[str, str]
) -> tuple[bytes, list[_Placed], list[_PlacedOption]]:
    """The static pages (reportlab) and where every field box landed."""
    story = _Story(definition, year, values)
    buffer = io.BytesIO()
    title = definition.title_for(year)
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 10,
        title=title,
        subject=definition.subtitle,
        creator="formflow",
        invariant=1,  # same input, same bytes: reference renders stay comparable
    )
    document.build(story.flowables(), canvasmaker=_canvas_class(title))
    return buffer.getvalue(), story.placed, story.options


# --- the AcroForm (pypdf) -------------------------------------------------------------------


def render_pdf(definition: FormDefinition, year: int, values: Mapping[str, str]) -> bytes:
    """The form as a fillable A4 PDF, blank or pre-filled with `values` (contract keys).

    Values only change the layout through the heights of grown boxes, so a layout is laid out
    and written once per definition, year and box heights, without values (`_Layouts`); each
    form is that layout with its values and appearances put into its fields: the same bytes a
    full render gives, at a fraction of the cost.
    """
    template = _layouts(definition, year).template_for(values)
    if template is None:
        return _render_in_full(definition, year, values)
    return template.fill(values)


def overflowing_fields(
    definition: FormDefinition, values: Mapping[str, str], year: int = 2000
) -> list[str]:
    """Keys whose value cannot be shown whole in its box, even grown and at the smallest font.

    The field still holds the whole value; this is for telling people to check the text.
    (`year` only changes the title's text: pass the form's year to reuse its layout.)
    """
    template = _layouts(definition, year).template_for(values)
    if template is not None:
        boxes = [(slot.item.box, values.get(slot.key, "")) for slot in template.slots]
    else:
        story = _Story(definition, year, values)
        story.flowables()
        boxes = [(box, box.value) for box in story.boxes]
    return [box.spec.key for box, value in boxes if value and not box.fit_of(value).complete]


def _render_in_full(definition: FormDefinition, year: int, values: Mapping[str, str]) -> bytes:
    pages, placed, options = _lay_out(definition, year, values)
    writer, _, _, _ = _form_writer(pages, placed, definition, year, options=options)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- layouts written once, filled field by field -------------------------------------------


@dataclass(frozen=True)
class _Slot:
    """Where one field of a written layout lives: its box and the numbers of its PDF objects."""

    item: _Placed
    widget: int  # the field (merged with its widget annotation)
    stream: int  # its normal appearance
    page: int  # the page it is on

    @property
    def key(self) -> str:
        return self.item.box.spec.key


@dataclass(frozen=True)
class _Template:
    """A laid-out form with every field empty, as pypdf wrote it, object by object.

    Filling it puts each value's field and appearance stream in place of the empty ones and
    writes the file the way pypdf does (header, objects, cross-reference table, trailer).
    `_template` checks that the empty form's objects come back as the very bytes pypdf wrote,
    so a pypdf that writes differently turns this off rather than making a different file.
    """

    head: bytes  # "%PDF-1.x" and the binary comment
    objects: tuple[bytes | None, ...]  # object n is objects[n - 1]; None for a free number
    trailer: bytes  # the trailer dictionary
    slots: tuple[_Slot, ...]
    resources: Any  # /DR: the appearance streams' resources
    radios: tuple[_RadioSlot, ...] = ()  # the wheel's and smileys' radio groups

    def fill(self, values: Mapping[str, str]) -> bytes:
        from pypdf.generic import IndirectObject

        objects = list(self.objects)
        for slot in self.slots:
            value = values.get(slot.key, "")
            if not value:
                continue  # the empty field as it is
            stream = _appearance_stream(slot.item, value, self.resources)
            page = IndirectObject(slot.page, 0, None)
            drawn = IndirectObject(slot.stream, 0, None)
            objects[slot.stream - 1] = _written(stream)
            objects[slot.widget - 1] = _written(_field(slot.item, value, page, drawn))
        for radio in self.radios:
            if values.get(radio.key, ""):
                radio.fill(objects, values[radio.key])
        return _assemble(self.head, objects, self.trailer)


def _template(definition: FormDefinition, year: int, values: Mapping[str, str]) -> _Template | None:
    """The layout `values` need, written with every field empty; None if pypdf's output cannot
    be reproduced object by object."""
    pages, placed, options = _lay_out(definition, year, values)
    writer, resources, slots, radios = _form_writer(
        pages, placed, definition, year, empty=True, options=options
    )
    out = io.BytesIO()
    writer.write(out)
    pdf = out.getvalue()
    first = pdf.find(b"1 0 obj\n")
    trailer_at = pdf.rfind(b"trailer\n")
    if first < 0 or trailer_at < 0:
        return None
    template = _Template(
        head=pdf[:first],
        objects=tuple(None if obj is None else _written(obj) for obj in writer._objects),
        trailer=pdf[trailer_at + len(b"trailer\n") : pdf.rfind(b"\nstartxref")],
        slots=tuple(slots),
        resources=resources,
        radios=tuple(radios),
    )
    if _assemble(template.head, template.objects, template.trailer) != pdf:
        return None
    return template


_MAX_LAYOUTS = 32  # per definition and year (a written layout is ~150 kB)
_MAX_FORMS = 8  # definitions x years kept per process


class _Layouts:
    """The written layouts of one definition and year, by the heights of their boxes.

    The blank layout gives each box's width, base and blank height. A value makes its box's row
    as tall as `grown_height` says, so two forms whose boxes need the same heights (most often:
    none grows beyond its blank row) share one layout.
    """

    def __init__(self, definition: FormDefinition, year: int) -> None:
        self.definition = definition
        self.year = year
        blank = _template(definition, year, {})
        boxes = [] if blank is None else [slot.item.box for slot in blank.slots]
        self.sizes = tuple(
            (b.spec.key, b.width, _base_height(b.spec), b.height, b.multiline) for b in boxes
        )
        self.made: dict[tuple[float | str, ...], _Template | None] = {}
        if blank is not None:
            self.made[self.key({})] = blank
        self.usable = blank is not None

    def key(self, values: Mapping[str, str]) -> tuple[float | str, ...]:
        """What decides the layout: the boxes' heights, and last year's wheel drawn beside
        the empty one (a carry-over's `prev_wheel_<key>`)."""
        drawn = tuple(values.get(key, "") for key in self.definition.drawn_keys)
        return self.heights(values) + drawn

    def heights(self, values: Mapping[str, str]) -> tuple[float, ...]:
        """Each box's height with `values`, at least its blank height: the same tuple, the
        same rows, the same layout."""
        return tuple(
            max(grown_height(values.get(key, ""), width, base, multiline), height)
            for key, width, base, height, multiline in self.sizes
        )

    def template_for(self, values: Mapping[str, str]) -> _Template | None:
        if not self.usable:
            return None
        heights = self.key(values)
        with _CACHE_LOCK:
            if heights in self.made:
                template = self.made.pop(heights)  # and back in as the most recently used
            else:
                template = _template(self.definition, self.year, values)
                if len(self.made) >= _MAX_LAYOUTS:
                    self.made.pop(next(iter(self.made)))
            self.made[heights] = template
        return template


_FORMS: dict[tuple[int, int], _Layouts] = {}
_CACHE_LOCK = threading.RLock()  # the caches are per process; a thread may render too


def _layouts(definition: FormDefinition, year: int) -> _Layouts:
    key = (id(definition), year)
    with _CACHE_LOCK:
        found = _FORMS.get(key)
        if found is None or found.definition is not definition:  # not an id used again
            if len(_FORMS) >= _MAX_FORMS:
                _FORMS.pop(next(iter(_FORMS)))
            found = _FORMS[key] = _Layouts(definition, year)
    return found


def _written(obj: Any) -> bytes:
    """One PDF object as pypdf writes it between "n 0 obj" and "endobj"."""
    out = io.BytesIO()
    obj.write_to_stream(out)
    return out.getvalue()


def _assemble(head: bytes, objects: Sequence[bytes | None], trailer: bytes) -> bytes:
    """A whole PDF file from its objects, laid out exactly as pypdf's PdfWriter.write does."""
    parts = [head]
    at = len(head)
    offsets: list[int] = []
    free: list[int] = []
    for number, data in enumerate(objects, start=1):
        if data is None:
            offsets.append(-1)
            free.append(number)
            continue
        offsets.append(at)
        part = b"%d 0 obj\n%b\nendobj\n" % (number, data)
        parts.append(part)
        at += len(part)
    free.append(0)
    xref = [b"xref\n0 %d\n%010d 65535 f \n" % (len(objects) + 1, free[0])]
    next_free = 1
    for offset in offsets:
        if offset > 0:
            xref.append(b"%010d 00000 n \n" % offset)
        else:
            xref.append(b"%010d 00001 f \n" % free[next_free])
            next_free += 1
    parts += xref
    parts.append(b"trailer\n%b\nstartxref\n%d\n%%%%EOF\n" % (trailer, at))
    return b"".join(parts)


# --- the AcroForm (pypdf) -------------------------------------------------------------------


def _form_writer(
    pdf: bytes,
    placed: Sequence[_Placed],
    definition: FormDefinition,
    year: int,
    empty: bool = False,
    options: Sequence[_PlacedOption] = (),
) -> tuple[Any, Any, list[_Slot], list[_RadioSlot]]:
    """The laid-out pages with a field on every placed box and a radio group on every set of
    placed options, holding its value (none if `empty`): the pypdf writer, the /DR
    resources, and where each field's objects are."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    resources = _resources(writer)
    fields = ArrayObject()
    slots = [_add_field(writer, item, resources, fields, empty) for item in placed]
    radios = _add_radio_groups(writer, options, resources, fields, empty)
    first = writer.pages[0]
    data = {
        "form_kind": definition.kind,
        "form_year": str(year),
        "form_definition": definition.name,
    }
    for key, value in data.items():
        hidden = writer._add_object(_hidden_field(key, value, first.indirect_reference))
        _annotations(first).append(hidden)
        fields.append(hidden)
    _catalog(writer, fields, resources, definition.title_for(year))
    return writer, resources, slots, radios


def _resources(writer: Any) -> Any:
    """/DR: Helvetica with WinAnsiEncoding as /Helv, for our appearances and the viewers'."""
    from pypdf.generic import DictionaryObject, NameObject

    # pypdf has no public way to add an indirect object; _add_object is what its own code uses.
    font = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
                NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
                NameObject("/Name"): NameObject("/Helv"),
            }
        )
    )
    return DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/Helv"): font})})


def _add_field(writer: Any, item: _Placed, resources: Any, fields: Any, empty: bool) -> _Slot:
    """One placed box as a field on its page (listed in `fields`), and where its objects are."""
    page = writer.pages[item.page]
    page_ref = page.indirect_reference
    assert page_ref is not None  # a writer's pages are indirect objects
    value = "" if empty else item.box.value
    drawn = writer._add_object(_appearance_stream(item, value, resources))
    widget = writer._add_object(_field(item, value, page_ref, drawn))
    _annotations(page).append(widget)
    fields.append(widget)
    return _Slot(item, widget.idnum, drawn.idnum, page_ref.idnum)


def _catalog(writer: Any, fields: Any, resources: Any, title: str) -> None:
    """The AcroForm, the language and the title a viewer shows in its window."""
    from pypdf.generic import BooleanObject, DictionaryObject, NameObject, TextStringObject

    writer._root_object[NameObject("/AcroForm")] = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Fields"): fields,
                NameObject("/DR"): resources,
                NameObject("/DA"): TextStringObject("/Helv 0 Tf 0 g"),
            }
        )
    )
    writer._root_object[NameObject("/Lang")] = TextStringObject("da-DK")
    writer._root_object[NameObject("/ViewerPreferences")] = DictionaryObject(
        {NameObject("/DisplayDocTitle"): BooleanObject(True)}
    )
    writer.add_metadata({"/Title": title})


def _annotations(page: Any) -> Any:
    from pypdf.generic import ArrayObject, NameObject

    if "/Annots" not in page:
        page[NameObject("/Annots")] = ArrayObject()
    return page["/Annots"]


def _appearance_stream(item: _Placed, value: str, resources: Any) -> Any:
    """The field's normal appearance showing `value`: our wrapped WinAnsi text, compressed."""
    from pypdf.generic import ArrayObject, DecodedStreamObject, FloatObject, NameObject

    box = item.box
    x0, y0, x1, y1 = item.rect
    width, height = x1 - x0, y1 - y0
    status = box.spec.type == "status"
    stream = DecodedStreamObject()
    stream.set_data(appearance(box.fit_of(value), width, height, box.multiline, centered=status))
    stream.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject(
                [FloatObject(0), FloatObject(0), FloatObject(width), FloatObject(height)]
            ),
            NameObject("/Resources"): resources,
        }
    )
    return stream.flate_encode()


def _field(item: _Placed, value: str, page_ref: Any, appearance_ref: Any) -> Any:
    """A field merged with its one widget annotation, holding `value`, drawn by our stream."""
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        FloatObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    box = item.box
    spec = box.spec
    status = spec.type == "status"
    size = "0" if box.multiline else _num(box.font_size)
    flags = _FF_MULTILINE if box.multiline else 0
    field = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Widget"),
            NameObject("/FT"): NameObject("/Ch" if status else "/Tx"),
            NameObject("/T"): TextStringObject(spec.key),
            NameObject("/TU"): TextStringObject(box.tooltip),
            NameObject("/V"): TextStringObject(value),
            NameObject("/Ff"): NumberObject(flags | (_FF_COMBO if status else 0)),
            NameObject("/Rect"): ArrayObject([FloatObject(v) for v in item.rect]),
            NameObject("/P"): page_ref,
            NameObject("/F"): NumberObject(_F_PRINT),
            NameObject("/DA"): TextStringObject(f"/Helv {size} Tf 0 g"),
            NameObject("/Q"): NumberObject(1 if status else 0),
            NameObject("/MK"): DictionaryObject(),
            NameObject("/AP"): DictionaryObject({NameObject("/N"): appearance_ref}),
        }
    )
    if status:
        field[NameObject("/Opt")] = ArrayObject([TextStringObject(o) for o in STATUS_OPTIONS])
    return field


def _hidden_field(key: str, value: str, page_ref: Any) -> Any:
    """form_kind / form_year / form_definition: data for readers, never shown or printed."""
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        FloatObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Widget"),
            NameObject("/FT"): NameObject("/Tx"),
            NameObject("/T"): TextStringObject(key),
            NameObject("/TU"): TextStringObject(key),
            NameObject("/V"): TextStringObject(value),
            NameObject("/Ff"): NumberObject(_FF_READ_ONLY),
            NameObject("/Rect"): ArrayObject([FloatObject(0)] * 4),
            NameObject("/P"): page_ref,
            NameObject("/F"): NumberObject(_F_HIDDEN),
            NameObject("/DA"): TextStringObject("/Helv 10 Tf 0 g"),
        }
    )


# --- radio groups: seed 002's competence wheel and smiley scale -------------------------------

# Field flags (12.7.4.2.1): a radio group (not a push button, not toggled off by a click).
_FF_RADIO = 1 << 15


@dataclass(frozen=True)
class _RadioSlot:
    """Where one radio group lives in a written layout: its field and its buttons' widgets.

    A value changes only the group's /V and each button's /AS: filling rewrites those objects
    (`fill`), the appearance streams stay as written.
    """

    key: str
    tooltip: str
    parent: int  # the field (/FT /Btn, radio flag) holding /V
    buttons: tuple[tuple[_PlacedOption, int, int], ...]  # (option, widget, its page)
    on: int  # the chosen button's appearance (CHOSEN_MARK), shared by the group
    off: int  # the empty appearance

    def fill(self, objects: list[bytes | None], value: str) -> None:
        from pypdf.generic import IndirectObject

        kids = [IndirectObject(widget, 0, None) for _, widget, _ in self.buttons]
        parent = _radio_field(self.key, self.tooltip, value, kids)
        objects[self.parent - 1] = _written(parent)
        for option, widget, page in self.buttons:
            refs = [IndirectObject(n, 0, None) for n in (self.parent, page, self.on, self.off)]
            objects[widget - 1] = _written(_radio_button(option, value, *refs))


def _add_radio_groups(
    writer: Any, options: Sequence[_PlacedOption], resources: Any, fields: Any, empty: bool
) -> list[_RadioSlot]:
    """A radio group per field among `options` (its five buttons, in order), listed in
    `fields`; its buttons on their pages."""
    from pypdf.generic import DictionaryObject

    groups: dict[str, list[_PlacedOption]] = {}
    for option in options:
        groups.setdefault(option.spec.key, []).append(option)
    slots = []
    for key, buttons in groups.items():
        value = "" if empty else buttons[0].value
        on = writer._add_object(_mark_stream(resources, CHOSEN_MARK))
        off = writer._add_object(_mark_stream(resources, ""))
        parent_dict = DictionaryObject()
        parent = writer._add_object(parent_dict)  # numbered first: its buttons point to it
        placed, kids = [], []
        for option in buttons:
            page = writer.pages[option.page].indirect_reference
            widget = writer._add_object(_radio_button(option, value, parent, page, on, off))
            _annotations(writer.pages[option.page]).append(widget)
            placed.append((option, widget.idnum, page.idnum))
            kids.append(widget)
        parent_dict.update(_radio_field(key, buttons[0].tooltip, value, kids))
        fields.append(parent)
        slots.append(
            _RadioSlot(key, buttons[0].tooltip, parent.idnum, tuple(placed), on.idnum, off.idnum)
        )
    return slots


def _radio_field(key: str, tooltip: str, value: str, kids: Sequence[Any]) -> Any:
    """The group's field: named by its contract key, /V the chosen mark (a name) or /Off."""
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    return DictionaryObject(
        {
            NameObject("/FT"): NameObject("/Btn"),
            NameObject("/T"): TextStringObject(key),
            NameObject("/TU"): TextStringObject(tooltip),
            NameObject("/Ff"): NumberObject(_FF_RADIO),
            NameObject("/V"): NameObject(f"/{value}" if value in RATING_SCORES else "/Off"),
            NameObject("/Kids"): ArrayObject(kids),
        }
    )


def _radio_button(
    option: _PlacedOption, value: str, parent: Any, page: Any, on: Any, off: Any
) -> Any:
    """One button of a group: its on-state is its mark, shown as CHOSEN_MARK when chosen."""
    from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, NumberObject

    state = f"/{option.mark}"
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Widget"),
            NameObject("/Parent"): parent,
            NameObject("/Rect"): ArrayObject([FloatObject(v) for v in option.rect]),
            NameObject("/P"): page,
            NameObject("/F"): NumberObject(_F_PRINT),
            NameObject("/AS"): NameObject(state if value == option.mark else "/Off"),
            NameObject("/MK"): DictionaryObject(),
            NameObject("/AP"): DictionaryObject(
                {
                    NameObject("/N"): DictionaryObject(
                        {NameObject(state): on, NameObject("/Off"): off}
                    )
                }
            ),
        }
    )


def _mark_stream(resources: Any, mark: str) -> Any:
    """A button's appearance: CHOSEN_MARK centred in the square, in Helvetica (text, so a flattened
    form still shows which button was chosen); "" for the empty state."""
    from pypdf.generic import ArrayObject, DecodedStreamObject, FloatObject, NameObject

    size = OPTION_SIZE * 0.8
    body = b""
    if mark:
        x = (OPTION_SIZE - _width(mark, size)) / 2
        y = (OPTION_SIZE - size * 0.72) / 2
        body = b"q BT /Helv %s Tf 0 g %s %s Td %s Tj ET Q\n" % (
            _num(size).encode(),
            _num(x).encode(),
            _num(y).encode(),
            pdf_string(mark),
        )
    stream = DecodedStreamObject()
    stream.set_data(body)
    stream.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject(
                [FloatObject(0), FloatObject(0), FloatObject(OPTION_SIZE), FloatObject(OPTION_SIZE)]
            ),
            NameObject("/Resources"): resources,
        }
    )
    return stream
