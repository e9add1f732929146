"""Reading a DOCX whose content controls are gone, by its labels (reader "docx-layout").

A form re-saved by an editor that drops content controls, or rebuilt by hand in Word from the
seed form's layout, still has the contract's labels: label tables (`Navn | Birthe`, or a row
of labels over a row of answers), paragraphs (`Navn: Birthe`), numbered headings and the goal
tables with the category in the first column. The body is turned into the `Para`/`Table`
sequence of `formflow.read.labels` (merged cells kept as None, so columns stay aligned) and
read there, like a flattened PDF.

The caller (`formflow.read.docx`) has checked the package's sizes and parsed
`word/document.xml` with a locked-down parser; `document_root` does the same for callers that
hold only the bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator, Mapping
from typing import Any

from formflow.config import Settings
from formflow.model import Extraction
from formflow.read.labels import Block, Para, Table

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W = f"{{{W_NS}}}"
# Tag names built once: every cell and paragraph of the body is compared with them.
_P = f"{_W}p"
_R = f"{_W}r"
_T = f"{_W}t"
_TAB = f"{_W}tab"
_TEXT_TAGS = (_T, _TAB, f"{_W}br", f"{_W}cr", _P)
_TBL = f"{_W}tbl"
_TR = f"{_W}tr"
_TC = f"{_W}tc"
_TC_PR = f"{_W}tcPr"
_GRID_SPAN = f"{_W}gridSpan"
_V_MERGE = f"{_W}vMerge"
_SDT = f"{_W}sdt"
_SDT_CONTENT = f"{_W}sdtContent"
_VAL = f"{_W}val"
_P_PR = f"{_W}pPr"
_SDT_PR = f"{_W}sdtPr"
_SHOWING = f"{_W}showingPlcHdr"
_R_STYLE = f"{_W}rStyle"
_P_STYLE = f"{_W}pStyle"
_OUTLINE = f"{_W}outlineLvl"
_HEADING_STYLE = re.compile(r"(heading|overskrift|title|titel)", re.IGNORECASE)


def read_docx_labels(
    root: Any, custom_props: Mapping[str, str], settings: Settings, file: str
) -> Extraction:
    """The answers of a DOCX without content controls, found by their labels."""
    from formflow.read import finish, read_labelled

    definition, edition, values = read_labelled(body_blocks(root), custom_props, settings)
    return finish(
        file=file,
        reader="docx-layout",
        edition=edition,
        definition=definition,
        values=values,
    )


def document_root(data: bytes, settings: Settings) -> Any:
    """`word/document.xml` of DOCX bytes, size-checked and parsed without entities or DTD."""
    from lxml import etree

    from formflow.read import unreadable

    limit = settings.limits.docx_max_unpacked_mb * 1024 * 1024
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > limit:
                raise unreadable("zip_bomb", "declared unpacked size over the limit")
            xml = archive.read("word/document.xml")
    except (zipfile.BadZipFile, KeyError) as error:
        raise unreadable("corrupt", f"{type(error).__name__}: {error}") from error
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        return etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as error:
        raise unreadable("corrupt", f"malformed XML: {error}") from error


def body_blocks(root: Any) -> list[Block]:
    """The document body as paragraphs and tables in order (block-level controls opened)."""
    body = _first_child(root, f"{_W}body")
    return list(_blocks(body if body is not None else root))


def _first_child(element: Any, tag: str) -> Any:
    """`element.find(tag)` by lxml's tag filter (ElementPath is slower)."""
    return next(element.iterchildren(tag), None)


def _blocks(parent: Any) -> Iterator[Block]:
    for child in parent:
        tag = child.tag
        if tag == _P:
            text = paragraph_text(child)
            if text.strip():
                yield Para(text, _is_heading(child))
        elif tag == _TBL:
            yield Table(_table_rows(child))
        elif tag == _SDT:
            content = _first_child(child, _SDT_CONTENT)
            if content is not None and not _showing_placeholder(child):
                yield from _blocks(content)


def _is_heading(paragraph: Any) -> bool:
    """A paragraph in a heading or title style (Word's "Heading 2", Danish "Overskrift 2",
    LibreOffice's) or with an outline level."""
    properties = _first_child(paragraph, _P_PR)
    if properties is None:
        return False
    if _first_child(properties, _OUTLINE) is not None:
        return True
    style = _first_child(properties, _P_STYLE)
    name = (style.get(_VAL) or "") if style is not None else ""
    return bool(_HEADING_STYLE.match(name))


def _table_rows(table: Any) -> tuple[tuple[str | None, ...], ...]:
    """Rows of cell texts on the table grid: a spanned or vertically merged cell is None."""
    rows = []
    for row in table.iterchildren(_TR):
        cells: list[str | None] = []
        for cell in _row_cells(row):
            properties = _first_child(cell, _TC_PR)
            span = _int(properties, _GRID_SPAN, 1)
            merge = _first_child(properties, _V_MERGE) if properties is not None else None
            continued = merge is not None and merge.get(_VAL, "continue") == "continue"
            cells.append(None if continued else _cell_text(cell))
            cells.extend([None] * (span - 1))
        rows.append(tuple(cells))
    return tuple(rows)


def _row_cells(row: Any) -> Iterator[Any]:
    for child in row:
        tag = child.tag
        if tag == _TC:
            yield child
        elif tag == _SDT:  # a control around a whole cell
            content = _first_child(child, _SDT_CONTENT)
            if content is not None:
                yield from content.iterchildren(_TC)


def _int(properties: Any, tag: str, default: int) -> int:
    if properties is None:
        return default
    element = _first_child(properties, tag)
    try:
        return max(1, int(element.get(_VAL))) if element is not None else default
    except (TypeError, ValueError):
        return default


def _cell_text(cell: Any) -> str:
    """A cell's paragraphs joined by line breaks (a nested table's text included)."""
    lines = [paragraph_text(p) for p in cell.iter(_P)]
    return "\n".join(lines).strip("\n")


def paragraph_text(paragraph: Any) -> str:
    """A paragraph's text: runs, tabs and line breaks; deleted text, field codes and the
    placeholder a content control shows while empty left out."""
    hidden = _placeholder_runs(paragraph)
    parts: list[str] = []
    for element in paragraph.iter(*_TEXT_TAGS):
        tag = element.tag
        if tag == _P and element is not paragraph:
            continue  # a nested paragraph (text box) is its own text
        parent = element.getparent()
        if parent is None or parent.tag != _R or (hidden and parent in hidden):
            continue  # a w:tab in the paragraph's tab stops is not text
        if tag == _T:
            parts.append(element.text or "")
        elif tag == _TAB:
            parts.append("\t")
        else:
            parts.append("\n")
    return "".join(parts)


def _showing_placeholder(control: Any) -> bool:
    properties = _first_child(control, _SDT_PR)
    return properties is not None and _first_child(properties, _SHOWING) is not None


def _placeholder_runs(paragraph: Any) -> set[Any]:
    """The runs of a paragraph that show a content control's placeholder ("Klik eller tryk her
    for at skrive tekst."): in a control flagged as showing it, or in the placeholder style."""
    hidden: set[Any] = set()
    for control in paragraph.iter(_SDT):
        if _showing_placeholder(control):
            hidden.update(control.iter(_R))
    for style in paragraph.iter(_R_STYLE):
        if style.get(_VAL) in ("PlaceholderText", "Placeholder Text"):
            run = style.getparent().getparent()  # w:rStyle in w:rPr in w:r
            if run is not None:
                hidden.add(run)
    return hidden
