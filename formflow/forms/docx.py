"""The DOCX form: a Word/LibreOffice document in which every answer sits in a content control.

`render_docx` lays out a form definition the way the PDF form does (title with the year,
header, numbered sections, seed 004's goal tables, the development plan, signatures) and puts
every answer in a content control (`w:sdt`) whose tag is the contract key and whose alias is
the Danish label. An empty control shows grey placeholder text, so a person sees where to
write; a pre-filled value replaces it. The form's kind and year travel as custom document
properties (`form_kind`, `form_year`, `form_definition`), the title with the year as the core
title, so a reader knows what it holds even after the file has been renamed.

`read_content_controls` is the other direction: the answers of a DOCX by tag. It is pure (bytes
in, dict out) and parses with a locked-down XML parser, because the file comes from outside.

One-line answers sit in plain text controls; multi-line answers and the signature in rich text
controls (see `plain_text` for why); line breaks are `w:br`, tabs `w:tab`. No date pickers or
drop-down lists: LibreOffice 7.4 keeps neither, and a typed date is read like any other.

LibreOffice 7.4 drops every `w:tag` (and `showingPlcHdr`) when it saves a DOCX, but keeps
bookmarks: so each control also sits in a bookmark named by its key, and the reader falls back
to it. A form filled in LibreOffice and saved as DOCX is read by key all the same.
"""

from __future__ import annotations

import copy
import io
import re
import threading
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from lxml import etree

from formflow.errors import UnreadableForm
from formflow.forms.definition import (
    FACE_LABELS,
    RATING_SCORES,
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

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W = f"{{{W_NS}}}"

FONT = "Calibri"  # Word's default; LibreOffice maps it to the metric-compatible Carlito
LANGUAGE = "da-DK"
PLACEHOLDER_STYLE = "Placeholder Text"
PLACEHOLDERS = {
    "text": "Skriv her",
    "multiline": "Skriv her",
    "date": "dd.mm.åååå",
    "status": "1-4",
    "signature": "Skriv dit navn eller indsæt din underskrift",
}
LABEL_FILL = "E7EEF6"  # light blue-grey behind labels and header rows
LINE_HEIGHT_CM = 0.55  # one written line, for the minimum height of multi-line boxes
TEXT_WIDTH_CM = 17.0  # A4 (21 cm) minus 2 cm margins
MAX_BOOKMARK_NAME = 40  # Word's limit; a longer key gets no bookmark (its tag still works)
PLACEHOLDER_GREY = "808080"

CUSTOM_PROPERTIES_URI = "/docProps/custom.xml"
CUSTOM_PROPERTIES_CT = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CUSTOM_PROPERTIES_RT = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
)
OFFICE_DOCUMENT_RT = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
)
_CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
_PROPERTY_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"  # the fmtid of user properties

# XML 1.0 cannot hold most control characters; they are dropped rather than failing the form.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_MAX_XML_BYTES = 100 * 1024 * 1024
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")  # contract keys; Word's own bookmarks start with "_"
_PLACEHOLDER_TEXTS = frozenset(PLACEHOLDERS.values())


# --- rendering ---------------------------------------------------------------------------------


def render_docx(definition: FormDefinition, year: int, values: Mapping[str, str]) -> bytes:
    """The form as DOCX bytes, blank or pre-filled with `values` (contract keys -> strings).

    python-docx builds the blank form once per definition and year (~0.1 s: a whole document
    from its template); each form is that blank with its values' content controls put in the
    place of the empty ones. Values change nothing else, so every part comes out as a full
    render would write it.
    """
    blank = _blank(definition, year)
    if blank is None or any(values.get(key) for key in definition.drawn_keys):
        # last year's wheel (carry-over) is a column the blank does not have
        return _render_in_full(definition, year, values)[0]
    return blank.fill(values)


def _render_in_full(
    definition: FormDefinition, year: int, values: Mapping[str, str]
) -> tuple[bytes, list[tuple[int, FieldSpec]]]:
    """The DOCX built by python-docx, and the (id, field) of each content control in it."""
    from docx import Document

    document = Document()
    _setup_document(document, definition, year)
    form = _FormWriter(document, values)
    form.title(definition, year)
    form.header(definition.header)
    for section in definition.sections:
        form.section(section, definition)
    _add_custom_properties(
        document,
        {"form_kind": definition.kind, "form_year": str(year), "form_definition": definition.name},
    )
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue(), form.controls


class _Blank:
    """A blank DOCX form taken apart: its zip members and its parsed main part, with the
    content control of every field, to be filled with one employee's values at a time."""

    MAIN = "word/document.xml"

    def __init__(self, docx: bytes, controls: Sequence[tuple[int, FieldSpec]]) -> None:
        with zipfile.ZipFile(io.BytesIO(docx)) as archive:
            self.members = [(info.filename, archive.read(info)) for info in archive.infolist()]
        self.main = dict(self.members)[self.MAIN]
        self.root = etree.fromstring(self.main)  # formflow's own blank: no need to lock down
        self.by_id = {str(control_id): spec for control_id, spec in controls}
        self.controls = [
            (index, self.by_id[_control_id(sdt)])
            for index, sdt in enumerate(self.fields(self.root))
        ]

    def fields(self, root: Any) -> list[Any]:
        """The fields' controls in document order (not the check boxes inside a wheel's)."""
        return [sdt for sdt in root.iter(f"{_W}sdt") if _control_id(sdt) in self.by_id]

    def reproduces(self) -> bool:
        """Whether the parsed main part serializes as python-docx wrote it."""
        return _serialized(self.root) == self.main and len(self.controls) > 0

    def fill(self, values: Mapping[str, str]) -> bytes:
        filled = {
            index: (spec, value)
            for index, spec in self.controls
            if (value := clean_value(values.get(spec.key, "") or ""))
        }
        main = self.main
        if filled:
            root = copy.deepcopy(self.root)
            for index, sdt in enumerate(self.fields(root)):
                if index in filled:
                    spec, value = filled[index]
                    control_id = int(sdt.find(f"{_W}sdtPr/{_W}id").get(f"{_W}val"))
                    sdt.getparent().replace(sdt, content_control(spec, value, control_id))
            main = _serialized(root)
        out = io.BytesIO()
        # as python-docx writes a package: every member deflated, in the same order
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in self.members:
                archive.writestr(name, main if name == self.MAIN else data)
        return out.getvalue()


def _control_id(sdt: Any) -> str:
    found = sdt.find(f"{_W}sdtPr/{_W}id")
    return "" if found is None else str(found.get(f"{_W}val"))


def _serialized(root: Any) -> bytes:
    """A part's XML as python-docx serializes it."""
    return bytes(etree.tostring(root, encoding="UTF-8", standalone=True))


_BLANKS: dict[tuple[int, int], tuple[FormDefinition, _Blank | None]] = {}
_MAX_BLANKS = 8  # definitions x years kept per process
_BLANKS_LOCK = threading.Lock()


def _blank(definition: FormDefinition, year: int) -> _Blank | None:
    """The blank form of `definition` and `year`, made on first use; None (fill by a full
    render) if its main part does not serialize back to the same bytes."""
    key = (id(definition), year)
    with _BLANKS_LOCK:  # the cache is per process; a thread may render too
        cached = _BLANKS.get(key)
        if cached is not None and cached[0] is definition:  # the same object, not a reused id
            return cached[1]
        made = _Blank(*_render_in_full(definition, year, {}))
        blank = made if made.reproduces() else None
        if len(_BLANKS) >= _MAX_BLANKS:
            _BLANKS.pop(next(iter(_BLANKS)))
        _BLANKS[key] = (definition, blank)
    return blank


def clean_value(value: str) -> str:
    """A value as it can live in a DOCX: one newline convention, no XML-invalid characters."""
    return _NOT_XML.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


class _FormWriter:
    """Appends the form's parts to a python-docx Document, numbering the content controls."""

    def __init__(self, document: Any, values: Mapping[str, str]) -> None:
        self.document = document
        self.values = values
        self.next_id = 1001
        self.controls: list[tuple[int, FieldSpec]] = []  # (id, field) of each control made

    # --- parts of the form

    def title(self, definition: FormDefinition, year: int) -> None:
        self.document.add_paragraph(definition.title_for(year), style="Title")
        if definition.subtitle:
            self.document.add_paragraph(definition.subtitle, style="Subtitle")
        for text in definition.intro:
            self.document.add_paragraph(text)

    def header(self, specs: Sequence[FieldSpec]) -> None:
        table = self._table([4.0, TEXT_WIDTH_CM - 4.0])
        for spec in specs:
            row = self._row(table)
            _label_cell(row.cells[0], spec.label, bold=True)
            self._control_cell(row.cells[1], spec)
        self._gap()

    def section(self, section: Section, definition: FormDefinition) -> None:
        self.document.add_paragraph(section.heading, style="Heading 1")
        for block in section.blocks:
            if isinstance(block, TextBlock):
                self.text(block, definition)
            elif isinstance(block, FieldBlock):
                self.box(block.field)
            elif isinstance(block, ListBlock):
                self.numbered_list(block)
            elif isinstance(block, GoalTable):
                self.goal_table(block)
            elif isinstance(block, RowTable):
                self.row_table(block)
            elif isinstance(block, Grid):
                self.grid(block)
            elif isinstance(block, QuestionsBlock):
                self.questions(block)
            elif isinstance(block, SignaturesBlock):
                self.signatures(block)
            elif isinstance(block, WheelBlock):
                self.wheel(block)
            else:  # pragma: no cover - a new block type must be drawn here too
                raise TypeError(f"no DOCX layout for {type(block).__name__}")

    def text(self, block: TextBlock, definition: FormDefinition) -> None:
        for text in block.paragraphs:
            self.document.add_paragraph(text)
        for text in block.bullets:
            self.document.add_paragraph(text, style="List Bullet")
        if block.scale:
            for score, meaning in definition.scale:
                paragraph = self.document.add_paragraph(style="List Paragraph")
                paragraph.add_run(f"{score} = ").bold = True
                paragraph.add_run(meaning)

    def box(self, spec: FieldSpec) -> None:
        """A single answer in a framed box, as tall as the lines the definition asks for."""
        table = self._table([TEXT_WIDTH_CM])
        row = self._row(table, lines=spec.lines)
        self._control_cell(row.cells[0], spec)
        self._gap()

    def numbered_list(self, block: ListBlock) -> None:
        table = self._table([1.0, TEXT_WIDTH_CM - 1.0])
        for spec in block.fields:
            row = self._row(table)
            _label_cell(row.cells[0], spec.row, bold=True)
            self._control_cell(row.cells[1], spec)
        self._gap()

    def goal_table(self, block: GoalTable) -> None:
        """Seed 004's goal table: the category on the left, merged over its rows."""
        widths = [3.1, 2.8, 2.8] + ([1.7] if block.status else [])
        widths.insert(1, TEXT_WIDTH_CM - sum(widths))
        table = self._table(widths)
        self._header_row(table, ["Område", *(column.label for column in block.columns)])
        for category in block.categories:
            rows = [(self._row(table, lines=2), goal) for goal in block.rows_of(category)]
            if not rows:
                continue
            first = rows[0][0].cells[0]
            merged = first.merge(rows[-1][0].cells[0]) if len(rows) > 1 else first
            _label_cell(merged, category.label, bold=True)
            for row, goal in rows:
                for cell, spec in zip(row.cells[1:], goal.cells, strict=True):
                    self._control_cell(cell, spec)
        self._gap()

    def row_table(self, block: RowTable) -> None:
        """A narrow row table as one table; a wide one (the agreement's plan) row by row."""
        if len(block.columns) <= 3:
            rest = [2.2] * (len(block.columns) - 1)
            table = self._table([1.0, TEXT_WIDTH_CM - 1.0 - sum(rest), *rest])
            self._header_row(table, ["Nr.", *(column.label for column in block.columns)])
            for number, cells in enumerate(block.rows, start=1):
                row = self._row(table, lines=max(spec.lines for spec in cells))
                _label_cell(row.cells[0], str(number), bold=True)
                for cell, spec in zip(row.cells[1:], cells, strict=True):
                    self._control_cell(cell, spec)
            self._gap()
            return
        for number, cells in enumerate(block.rows, start=1):
            caption = f"{block.title} {number}" if block.title else str(number)
            self.document.add_paragraph(caption, style="Heading 3")
            table = self._table([6.5, TEXT_WIDTH_CM - 6.5])
            for spec in cells:
                row = self._row(table, lines=min(spec.lines, 2))
                _label_cell(row.cells[0], spec.label)
                self._control_cell(row.cells[1], spec)
            _keep_together(table)
            self._gap()

    def grid(self, block: Grid) -> None:
        first = 2.6
        each = (TEXT_WIDTH_CM - first) / len(block.columns)
        table = self._table([first] + [each] * len(block.columns))
        self._header_row(table, ["", *(column.label for column in block.columns)], small=True)
        for grid_row in block.rows:
            row = self._row(table, lines=max(spec.lines for spec in grid_row.cells))
            _label_cell(row.cells[0], grid_row.label, bold=True)
            for cell, spec in zip(row.cells[1:], grid_row.cells, strict=True):
                self._control_cell(cell, spec)
        self._gap()

    def questions(self, block: QuestionsBlock) -> None:
        for group in block.groups:
            self.document.add_paragraph(group.theme.label, style="Heading 2")
            for question, spec in group.questions:
                paragraph = self.document.add_paragraph(question.text)
                paragraph.paragraph_format.keep_with_next = True
                paragraph.paragraph_format.space_after = _pt(2)
                self.box(spec)

    def wheel(self, block: WheelBlock) -> None:
        """Seed 002's competence wheel: a row per competence, five check boxes 1-5 in one
        control; after a carry-over last year's agreed mark beside it (no drawing: reportlab
        draws no bitmap here, and Word shows no SVG everywhere)."""
        previous = [self.values.get(key, "") for key in block.previous_keys]
        shown = block.previous and any(previous)
        widths = [6.0, TEXT_WIDTH_CM - 6.0 - (2.2 if shown else 0.0)] + ([2.2] if shown else [])
        table = self._table(widths)
        self._header_row(table, ["Kompetence", "Marker 1-5", *(["Sidste år"] if shown else [])])
        for spec, last in zip(block.fields, previous, strict=True):
            row = self._row(table)
            _label_cell(row.cells[0], spec.label, bold=True)
            self._control_cell(row.cells[1], spec)
            if shown:
                _label_cell(row.cells[2], last or "–")
        _keep_together(table)  # a wheel is read as a whole
        self._gap()

    def signatures(self, block: SignaturesBlock) -> None:
        """Per role: date and signature cells with a line under them, the labels below."""
        from docx.shared import Pt

        for role in block.roles:
            table = self._table([4.5, 1.0, TEXT_WIDTH_CM - 5.5], grid=False)
            line = self._row(table, lines=2)
            self._control_cell(line.cells[0], role.date)
            self._control_cell(line.cells[2], role.signature)
            for cell in (line.cells[0], line.cells[2]):
                _border(cell, "bottom", size=8)
                cell.vertical_alignment = _bottom()
            labels = self._row(table)
            for cell, text in ((labels.cells[0], role.date.label), (labels.cells[2], role.label)):
                run = cell.paragraphs[0].add_run(text)
                run.font.size = Pt(8.5)
            _keep_together(table)
            self._gap()

    # --- building blocks

    def _table(self, widths_cm: Sequence[float], grid: bool = True) -> Any:
        from docx.enum.table import WD_TABLE_ALIGNMENT
        from docx.shared import Cm

        table = self.document.add_table(rows=0, cols=len(widths_cm))
        if grid:
            table.style = self.document.styles["Table Grid"]
        table.autofit = False
        table.alignment = WD_TABLE_ALIGNMENT.LEFT
        for column, width in zip(table.columns, widths_cm, strict=True):
            column.width = Cm(width)
        _fixed_layout(table)
        return table

    def _row(self, table: Any, lines: int = 1) -> Any:
        from docx.enum.table import WD_ROW_HEIGHT_RULE
        from docx.shared import Cm

        row = table.add_row()
        # Word reads each cell's width, LibreOffice the table grid: give both the same.
        for cell, column in zip(row.cells, table.columns, strict=True):
            cell.width = column.width
        _tr_flag(row, "cantSplit")  # a row is never torn across two pages
        if lines > 1:
            row.height = Cm(lines * LINE_HEIGHT_CM + 0.2)
            row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
        return row

    def _header_row(self, table: Any, labels: Iterable[str], small: bool = False) -> None:
        row = self._row(table)
        _tr_flag(row, "tblHeader")  # repeated at the top of every page the table runs over
        for cell, label in zip(row.cells, labels, strict=True):
            _label_cell(cell, label, bold=not small)
            if small:  # long column labels over narrow columns (section 6's grid)
                for run in cell.paragraphs[0].runs:
                    run.font.size = _pt(9)

    def _control_cell(self, cell: Any, spec: FieldSpec) -> None:
        """The answer's control in the cell, inside a bookmark named by the key as well.

        LibreOffice (7.4) drops every `w:tag` when it saves a DOCX but keeps bookmarks, so the
        bookmark is how a form saved by LibreOffice is still read by key.
        """
        paragraph = cell.paragraphs[0]._p
        value = clean_value(self.values.get(spec.key, "") or "")
        control_id = self.next_id
        self.next_id += 1
        self.controls.append((control_id, spec))
        marked = len(spec.key) <= MAX_BOOKMARK_NAME
        if marked:
            start = _sub(paragraph, "w:bookmarkStart")
            start.set(f"{_W}id", str(control_id))
            start.set(f"{_W}name", spec.key)
        paragraph.append(content_control(spec, value, control_id))
        if marked:
            _sub(paragraph, "w:bookmarkEnd").set(f"{_W}id", str(control_id))

    def _gap(self) -> None:
        """A small paragraph after a table: keeps tables apart (Word would glue them)."""
        paragraph = self.document.add_paragraph()
        paragraph.paragraph_format.space_after = _pt(4)


def content_control(spec: FieldSpec, value: str, control_id: int) -> Any:
    """An inline `w:sdt` for `spec`: tag = key, alias = label, the value or a placeholder."""
    from docx.oxml import OxmlElement

    sdt = OxmlElement("w:sdt")
    properties = _sub(sdt, "w:sdtPr")
    _sub(properties, "w:alias", val=spec.label)
    _sub(properties, "w:tag", val=spec.key)
    _sub(properties, "w:id", val=str(control_id))
    if spec.type in ("rating", "face"):
        _sub(sdt, "w:sdtContent").extend(mark_boxes(spec, value, control_id))
        return sdt
    if not value:
        _sub(properties, "w:showingPlcHdr")
    if plain_text(spec, value):
        _sub(properties, "w:text")
    content = _sub(sdt, "w:sdtContent")
    if value:
        for run in _runs(value):
            content.append(run)
    else:
        run = _run(PLACEHOLDERS[spec.type])
        properties_of_run = OxmlElement("w:rPr")
        _sub(properties_of_run, "w:rStyle", val=_style_id(PLACEHOLDER_STYLE))
        # Also grey directly: LibreOffice ignores the character style inside a plain text control.
        _sub(properties_of_run, "w:color", val=PLACEHOLDER_GREY)
        run.insert(0, properties_of_run)
        content.append(run)
    return sdt


# --- seed 002: check boxes for the competence wheel and the smiley scale ------------------------

CHECKED, UNCHECKED = "☒", "☐"
BOX_FONT = "MS Gothic"  # Word's own check box font; LibreOffice falls back to one with ☐☒
# 1 saddest .. 5 gladdest, each with its name beside; from U+1F600-1F640, which common fonts
# (DejaVu Sans, Segoe UI Emoji) draw; U+1F641/1F642 are missing from DejaVu.
FACES = ("😞", "😟", "😐", "😊", "😄")
# A check box's w:id: its own range above every field's control id (fields count from 1, a few
# hundred a form), the field's id * 10 + its mark; unique in the form.
_MARK_IDS = 10
_MARK_ID_BASE = 1_000_000


def mark_boxes(spec: FieldSpec, value: str, control_id: int) -> list[Any]:
    """Five check box controls (`w14:checkbox`) with their captions, the one for `value`
    ticked: the content of a wheel's or smiley's control. Read back as text (`☐ 1 ☒ 2 ...`),
    the ticked box's place is the answer (`normalize_mark`), also when a program drops the
    check box controls and keeps their characters."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    captions = (
        [f" {face} {name}   " for face, name in zip(FACES, FACE_LABELS, strict=True)]
        if spec.type == "face"
        else [f" {mark}   " for mark in RATING_SCORES]
    )
    parts: list[Any] = []
    for mark, caption in zip(RATING_SCORES, captions, strict=True):
        box = OxmlElement("w:sdt")
        properties = _sub(box, "w:sdtPr")
        _sub(properties, "w:alias", val=f"{spec.label}: {caption.strip()}")
        _sub(properties, "w:id", val=str(_MARK_ID_BASE + control_id * _MARK_IDS + int(mark)))
        checkbox = _sub(properties, "w14:checkbox")
        _sub(checkbox, "w14:checked").set(qn("w14:val"), "1" if value == mark else "0")
        for state, char in (("w14:checkedState", CHECKED), ("w14:uncheckedState", UNCHECKED)):
            element = _sub(checkbox, state)
            element.set(qn("w14:val"), f"{ord(char):04X}")
            element.set(qn("w14:font"), BOX_FONT)
        run = _run(CHECKED if value == mark else UNCHECKED)
        fonts = OxmlElement("w:rPr")
        _sub(fonts, "w:rFonts").set(qn("w:ascii"), BOX_FONT)
        fonts[0].set(qn("w:hAnsi"), BOX_FONT)
        fonts[0].set(qn("w:eastAsia"), BOX_FONT)
        run.insert(0, fonts)
        _sub(box, "w:sdtContent").append(run)
        parts += [box, _run(caption)]
    return parts


def plain_text(spec: FieldSpec, value: str = "") -> bool:
    """A plain text control for one-line answers; rich text for the rest.

    Rich text for multi-line answers because LibreOffice 7.4 moves every line break out of a
    plain text control (`w:text w:multiLine="1"`) when it opens the file, showing and saving
    "Linje 1Linje 2"; it keeps them in a rich text control. Rich text for the signature, so a
    drawn signature can be pasted into it as an image.
    """
    return spec.type not in ("multiline", "signature") and "\n" not in value


def _runs(value: str) -> list[Any]:
    """One run per line; a tab is `w:tab`, a line break `w:br` (what Word itself writes)."""
    from docx.oxml import OxmlElement

    runs = []
    for index, line in enumerate(value.split("\n")):
        run = OxmlElement("w:r")
        if index:
            _sub(run, "w:br")
        for part_index, part in enumerate(line.split("\t")):
            if part_index:
                _sub(run, "w:tab")
            if part:
                _text(run, part)
        runs.append(run)
    return runs


def _run(text: str) -> Any:
    from docx.oxml import OxmlElement

    run = OxmlElement("w:r")
    _text(run, text)
    return run


def _text(run: Any, text: str) -> None:
    element = _sub(run, "w:t")
    element.text = text
    element.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")


def _sub(parent: Any, tag: str, val: str | None = None) -> Any:
    from docx.oxml import OxmlElement

    element = OxmlElement(tag)
    if val is not None:
        element.set(f"{_W}val", val)
    parent.append(element)
    return element


def _style_id(name: str) -> str:
    return name.replace(" ", "")


def _pt(points: float) -> Any:
    from docx.shared import Pt

    return Pt(points)


def _bottom() -> Any:
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT

    return WD_CELL_VERTICAL_ALIGNMENT.BOTTOM


def _label_cell(cell: Any, text: str, bold: bool = False) -> None:
    from docx.oxml import OxmlElement

    paragraph = cell.paragraphs[0]
    paragraph.add_run(text).bold = bold
    properties = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(f"{_W}val", "clear")
    shading.set(f"{_W}color", "auto")
    shading.set(f"{_W}fill", LABEL_FILL)
    properties.append(shading)


def _border(cell: Any, side: str, size: int) -> None:
    from docx.oxml import OxmlElement

    properties = cell._tc.get_or_add_tcPr()
    borders = properties.find(f"{_W}tcBorders")
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        properties.append(borders)
    edge = _sub(borders, f"w:{side}", val="single")
    edge.set(f"{_W}sz", str(size))
    edge.set(f"{_W}space", "0")
    edge.set(f"{_W}color", "000000")


def _tr_flag(row: Any, name: str) -> None:
    _sub(row._tr.get_or_add_trPr(), f"w:{name}")


def _keep_together(table: Any) -> None:
    """Keep a small table on one page: every row but the last keeps with the next."""
    for row in table.rows[:-1]:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.keep_with_next = True


def _fixed_layout(table: Any) -> None:
    from docx.oxml import OxmlElement

    layout = OxmlElement("w:tblLayout")
    layout.set(f"{_W}type", "fixed")
    table._tbl.tblPr.append(layout)


# --- the document around the form --------------------------------------------------------------


def _setup_document(document: Any, definition: FormDefinition, year: int) -> None:
    """A4 with 2 cm margins, one font with æøå everywhere, Danish, a footer with the title."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.shared import Cm, Pt, RGBColor

    page = document.sections[0]
    page.page_width, page.page_height = Cm(21.0), Cm(29.7)
    page.left_margin = page.right_margin = Cm(2.0)
    page.top_margin, page.bottom_margin = Cm(2.0), Cm(2.0)
    page.header_distance = page.footer_distance = Cm(1.0)

    styles = document.styles
    _one_font(styles.element)
    normal = styles["Normal"]
    normal.font.size = Pt(10)
    normal.paragraph_format.space_after = Pt(4)
    for name, size in (("Title", 20), ("Subtitle", 12), ("Heading 1", 13), ("Heading 2", 11.5)):
        styles[name].font.size = Pt(size)
    for name in ("Heading 1", "Heading 2", "Heading 3"):
        styles[name].paragraph_format.space_before = Pt(12 if name == "Heading 1" else 8)
        styles[name].paragraph_format.space_after = Pt(4)
    styles["Heading 3"].font.size = Pt(10.5)
    placeholder = styles.add_style(PLACEHOLDER_STYLE, WD_STYLE_TYPE.CHARACTER)
    placeholder.font.color.rgb = RGBColor.from_string(PLACEHOLDER_GREY)
    placeholder.hidden = False
    placeholder.unhide_when_used = True
    placeholder.priority = 99

    footer = page.footer.paragraphs[0]
    footer.text = f"{definition.title_for(year)} · side "
    footer.runs[0].font.size = Pt(8)
    footer._p.append(_page_number_field())

    core = document.core_properties
    core.title = definition.title_for(year)
    core.subject = definition.subtitle
    core.author = "formflow"
    core.last_modified_by = "formflow"
    core.language = LANGUAGE
    core.keywords = f"MUS {definition.kind} {year}"
    core.comments = ""


def _one_font(styles: Any) -> None:
    """Every style in FONT: the template's theme fonts would differ between Word and LibreOffice."""
    from docx.oxml import OxmlElement

    defaults = styles.find(f"{_W}docDefaults/{_W}rPrDefault/{_W}rPr")
    lang = defaults.find(f"{_W}lang")
    if lang is None:
        lang = OxmlElement("w:lang")
        defaults.append(lang)
    lang.set(f"{_W}val", LANGUAGE)
    for fonts in styles.iter(f"{_W}rFonts"):
        for attribute in list(fonts.attrib):
            if attribute.endswith("Theme") or attribute.endswith("theme"):
                del fonts.attrib[attribute]
        for attribute in ("ascii", "hAnsi", "cs", "eastAsia"):
            fonts.set(f"{_W}{attribute}", FONT)


def _page_number_field() -> Any:
    from docx.oxml import OxmlElement

    field = OxmlElement("w:fldSimple")
    field.set(f"{_W}instr", "PAGE")
    run = _run("1")
    size = OxmlElement("w:rPr")
    _sub(size, "w:sz", val="16")
    run.insert(0, size)
    field.append(run)
    return field


def _add_custom_properties(document: Any, properties: Mapping[str, str]) -> None:
    """docProps/custom.xml: python-docx has no API for it, so the part is added by hand."""
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    package = document.part.package
    part = Part(
        PackURI(CUSTOM_PROPERTIES_URI),
        CUSTOM_PROPERTIES_CT,
        custom_properties_xml(properties),
        package,
    )
    package.relate_to(part, CUSTOM_PROPERTIES_RT)


def custom_properties_xml(properties: Mapping[str, str]) -> bytes:
    """The custom-properties part; values as strings (vt:lpwstr) so every editor keeps them."""
    root = etree.Element(f"{{{_CUSTOM_NS}}}Properties", nsmap={None: _CUSTOM_NS, "vt": _VT_NS})
    for pid, (name, value) in enumerate(properties.items(), start=2):  # pids 0 and 1 are reserved
        prop = etree.SubElement(
            root, f"{{{_CUSTOM_NS}}}property", fmtid=_PROPERTY_FMTID, pid=str(pid), name=name
        )
        etree.SubElement(prop, f"{{{_VT_NS}}}lpwstr").text = value
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))


# --- reading -----------------------------------------------------------------------------------


def read_content_controls(docx_bytes: bytes) -> dict[str, str]:
    """The answers of a DOCX form by key: from content-control tags, else from bookmarks.

    Text is joined from runs: `w:br`/`w:cr` and paragraph ends are "\\n", `w:tab` is "\\t".
    A control still showing its placeholder reads as "", and so does text that is exactly one
    of formflow's placeholders (LibreOffice 7.4 drops the `showingPlcHdr` flag on save). Where
    a tag occurs twice (a hand-made form), the first non-empty value wins. A key whose control
    lost its tag (LibreOffice 7.4 drops every `w:tag`) is read from the bookmark of that name
    formflow puts around each control.
    """
    with _open_zip(docx_bytes) as archive:
        root = _parse(_read_member(archive, _main_part(archive)))
    values = _bookmark_texts(root)
    tagged: dict[str, str] = {}
    for sdt in root.iter(f"{_W}sdt"):
        tag = sdt.find(f"{_W}sdtPr/{_W}tag")
        key = (tag.get(f"{_W}val") or "").strip() if tag is not None else ""
        if key and not tagged.get(key):
            tagged[key] = _control_text(sdt)
    values.update(tagged)
    return {key: _unless_placeholder(value) for key, value in values.items()}


def _unless_placeholder(value: str) -> str:
    return "" if value.strip() in _PLACEHOLDER_TEXTS else value


def read_custom_properties(docx_bytes: bytes) -> dict[str, str]:
    """The custom document properties (docProps/custom.xml) as strings; {} if there are none."""
    with _open_zip(docx_bytes) as archive:
        names = archive.namelist()
        path = next((n for n in names if n.lower() == "docprops/custom.xml"), None)
        if path is None:
            return {}
        root = _parse(_read_member(archive, path))
    result: dict[str, str] = {}
    for prop in root.iter(f"{{{_CUSTOM_NS}}}property"):
        name = prop.get("name")
        if name and len(prop):
            result[name] = "".join(prop[0].itertext()).strip()
    return result


def _control_text(sdt: Any) -> str:
    if _showing_placeholder(sdt):
        return ""
    content = sdt.find(f"{_W}sdtContent")
    if content is None:
        return ""
    parts: list[str] = []
    seen_paragraph = False
    for element in content.iter():
        if element.tag == f"{_W}p":
            if seen_paragraph:
                parts.append("\n")
            seen_paragraph = True
        else:
            parts.append(_run_text(element))
    return "".join(parts)


def _bookmark_texts(root: Any) -> dict[str, str]:
    """The text inside every bookmark named like a contract key, in document order."""
    names: dict[str, str] = {}  # open bookmark id -> name
    texts: dict[str, list[str]] = {}
    hidden: set[Any] = {
        sdt for sdt in root.iter(f"{_W}sdt") if _showing_placeholder(sdt)
    }  # a placeholder is not an answer
    for element in root.iter():
        tag = element.tag
        if tag == f"{_W}bookmarkStart":
            name = element.get(f"{_W}name") or ""
            if _KEY.match(name) and name not in texts:
                names[element.get(f"{_W}id") or ""] = name
                texts[name] = []
        elif tag == f"{_W}bookmarkEnd":
            names.pop(element.get(f"{_W}id") or "", None)
        elif names:
            if tag == f"{_W}p":
                text = "\n"
            elif any(ancestor in hidden for ancestor in element.iterancestors(f"{_W}sdt")):
                continue
            else:
                text = _run_text(element)
            for name in names.values():
                texts[name].append(text)
    return {name: "".join(parts) for name, parts in texts.items()}


def _showing_placeholder(sdt: Any) -> bool:
    return sdt.find(f"{_W}sdtPr/{_W}showingPlcHdr") is not None


def _run_text(element: Any) -> str:
    """What one element inside a run contributes to the text ("" for everything else)."""
    parent = element.getparent()
    if parent is None or parent.tag != f"{_W}r":
        return ""  # w:tab also appears in paragraph tab stops; only a run's children count
    tag = element.tag
    if tag == f"{_W}t":
        return str(element.text or "")
    if tag == f"{_W}tab":
        return "\t"
    if tag in (f"{_W}br", f"{_W}cr"):
        return "\n"
    if tag == f"{_W}noBreakHyphen":
        return "-"
    return ""


def _open_zip(docx_bytes: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(docx_bytes))
    except zipfile.BadZipFile as error:
        raise UnreadableForm(
            "not_docx",
            "Filen kan ikke læses som et Word-dokument (DOCX). Gem skemaet igen som .docx.",
            f"not a zip archive: {error}",
        ) from error


def _main_part(archive: zipfile.ZipFile) -> str:
    """The main document part, found through the package relationships as the standard says."""
    names = set(archive.namelist())
    if "_rels/.rels" in names:
        rels = _parse(_read_member(archive, "_rels/.rels"))
        for rel in rels:
            if rel.get("Type") == OFFICE_DOCUMENT_RT:
                target = (rel.get("Target") or "").lstrip("/")
                if target in names:
                    return target
    if "word/document.xml" in names:
        return "word/document.xml"
    raise UnreadableForm(
        "not_docx",
        "Filen kan ikke læses som et Word-dokument (DOCX). Gem skemaet igen som .docx.",
        "no main document part in the package",
    )


def _read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = archive.getinfo(name)
        if info.file_size > _MAX_XML_BYTES:
            raise UnreadableForm(
                "too_big",
                "Dokumentet er for stort til at blive læst.",
                f"{name} declares {info.file_size} bytes unpacked",
            )
        with archive.open(info) as member:
            data = member.read(_MAX_XML_BYTES + 1)
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, RuntimeError) as error:
        raise UnreadableForm(
            "truncated",
            "Dokumentet er beskadiget og kan ikke læses. Gem skemaet igen og send det på ny.",
            f"cannot read {name}: {error}",
        ) from error
    if len(data) > _MAX_XML_BYTES:
        raise UnreadableForm(
            "too_big", "Dokumentet er for stort til at blive læst.", f"{name} unpacks too big"
        )
    return data


def _parse(data: bytes) -> Any:
    # No entities, no DTD, no network, no huge trees: the file comes from outside.
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise UnreadableForm(
            "truncated",
            "Dokumentet er beskadiget og kan ikke læses. Gem skemaet igen og send det på ny.",
            f"malformed XML: {error}",
        ) from error
    if root is None:
        raise UnreadableForm(
            "truncated",
            "Dokumentet er beskadiget og kan ikke læses. Gem skemaet igen og send det på ny.",
            "empty XML part",
        )
    return root
