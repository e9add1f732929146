"""Reading a flattened PDF into the known rectangles of its fields.

When formflow knows where a form's answers stand (its own forms: the widget rectangles of the
blank it renders from the definition; a learned form: the rectangles stored in its
definition), a copy whose fields are gone is read by place, not by label: each field gets the
characters drawn in its rectangle, with wrapped lines joined as the layout reader joins a
cell's lines.

Fillers differ in how they draw an answer. qpdf (`--generate-appearances
--flatten-annotations=all`) draws a long answer as one line in a form XObject clipped to the
field's box; the clipped characters stay in the page, over the box beside it. So a character
drawn inside a form XObject (pdfminer's figure; its bounding box is the clip) belongs to the
field whose rectangle that clip is, hidden or not: the hidden ones are the rest of that same
answer, and never part of a neighbour's. A character drawn outside any clip (a printed copy)
belongs to the rectangle its centre lies in; a line that runs across a rectangle's edge makes
both fields it touches uncertain (not found), because where one answer ends cannot be told.

The page must be the form it claims to be: the blank's own text (labels, headings) has to
stand where the blank has it, else the rectangles are not this page's (a pre-filled copy
whose boxes grew, another edition) and the general readers take over.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from formflow.read.labels import UNCERTAIN

if TYPE_CHECKING:
    from formflow.config import Settings
    from formflow.forms.definition import FormDefinition
    from formflow.model import Extraction

# How far (pt) a figure's clip may lie from a field's rectangle and still be that field's.
_CLIP_MATCH = 2.0
# How far (pt) a glyph of the blank may have moved in a copy and still stand in its place.
_PLACE = 1.5
# The share of the blank's glyphs that must stand in place (a printer may re-encode a few).
_IN_PLACE = 0.97
# pdfminer's text for a glyph without a Unicode mapping: its code (qpdf's line breaks).
_LINE_FEED = "(cid:10)"
_CARRIAGE_RETURN = "(cid:13)"


@dataclass(frozen=True)
class FieldBox:
    """Where one field's answer stands: page (0-based) and rectangle in pdfplumber's
    coordinates (points from the page's top left)."""

    key: str
    page: int
    x0: float
    top: float
    x1: float
    bottom: float

    def holds(self, x: float, y: float) -> bool:
        return self.x0 <= x <= self.x1 and self.top <= y <= self.bottom


@dataclass(frozen=True)
class Glyph:
    """One character as drawn: its box, font, the clip it was drawn in (a form XObject's
    box, None on the page itself) and its place in the content stream."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    font: str
    clip: tuple[float, float, float, float] | None
    order: int

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x0 + self.x1) / 2, (self.top + self.bottom) / 2


@dataclass(frozen=True)
class Regions:
    """What the rectangles hold: each field's text, and the fields that cannot be told apart."""

    values: Mapping[str, str]
    uncertain: frozenset[str]


# --- the page's glyphs --------------------------------------------------------------------------


def page_glyphs(page: Any) -> list[Glyph]:
    """The page's characters in content-stream order, each with the clip it was drawn in."""
    glyphs: list[Glyph] = []
    height, top_offset = float(page.height), float(page.mediabox[1])
    left = float(page.mediabox[0])
    _collect(page.layout, None, glyphs, height + top_offset, left)
    return glyphs


def _collect(
    objects: Iterable[Any],
    clip: tuple[float, float, float, float] | None,
    into: list[Glyph],
    flip: float,
    left: float,
) -> None:
    from pdfminer.layout import LTChar, LTContainer, LTFigure

    for obj in objects:
        if isinstance(obj, LTFigure):
            box = (obj.x0 + left, flip - obj.y1, obj.x1 + left, flip - obj.y0)
            _collect(obj, _within(clip, box), into, flip, left)
        elif isinstance(obj, LTContainer):
            _collect(obj, clip, into, flip, left)
        elif isinstance(obj, LTChar) and (text := _glyph_text(obj.get_text())):
            into.append(
                Glyph(
                    text,
                    obj.x0 + left,
                    obj.x1 + left,
                    flip - obj.y1,
                    flip - obj.y0,
                    obj.fontname,
                    clip,
                    len(into),
                )
            )


def _stream_text(page: Any) -> str:
    """A page's characters in content-stream order, spaces kept, a line break where a line
    ends: where formflow's title is found, without building words (the region reader must
    cost little on the forms it does not read)."""
    parts: list[str] = []
    last = None
    for obj in _chars(page.layout):
        if last is not None and abs(obj.y0 - last) > 1:
            parts.append("\n")
        parts.append(obj.get_text())
        last = obj.y0
    return "".join(parts)


def _chars(objects: Iterable[Any]) -> Iterator[Any]:
    from pdfminer.layout import LTChar, LTContainer

    for obj in objects:
        if isinstance(obj, LTContainer):
            yield from _chars(obj)
        elif isinstance(obj, LTChar):
            yield obj


def _glyph_text(text: str) -> str:
    """A character's text; a line feed drawn as a glyph (qpdf draws a multi-line answer on
    one line, its breaks as the font's code 10) is the line break it stands for."""
    if text == _LINE_FEED:
        return "\n"
    return "" if text == _CARRIAGE_RETURN else text.strip()


def _within(
    outer: tuple[float, float, float, float] | None, inner: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    """A nested figure's clip: its box inside the clip it is drawn in."""
    if outer is None:
        return inner
    return (
        max(outer[0], inner[0]),
        max(outer[1], inner[1]),
        min(outer[2], inner[2]),
        min(outer[3], inner[3]),
    )


# --- glyphs -> answers --------------------------------------------------------------------------


def read_regions(glyphs: Sequence[Glyph], boxes: Sequence[FieldBox]) -> Regions:
    """Each box's text from the glyphs of one page (`boxes` of that page)."""
    owned: dict[str, list[Glyph]] = defaultdict(list)
    loose: list[Glyph] = []
    for glyph in glyphs:
        owner = _clip_owner(glyph, boxes) if glyph.clip is not None else None
        if owner is not None:
            owned[owner.key].append(glyph)
        elif glyph.clip is None or _inside(glyph.centre, glyph.clip):
            loose.append(glyph)
    uncertain: set[str] = set()
    for run in _runs(loose):
        touched = {box.key: box for g in run if (box := _box_at(g.centre, boxes)) is not None}
        if len(touched) == 1:
            # One text drawn in one go, partly outside its box (a filler that does not
            # shrink a long date): all of it is that box's answer.
            owned[next(iter(touched))].extend(run)
        else:
            uncertain.update(touched)  # one text over two boxes: whose is which part?
    values = {
        box.key: "" if box.key in uncertain else text_of(owned.get(box.key, []), box)
        for box in boxes
    }
    return Regions(values, frozenset(uncertain))


def _runs(glyphs: Sequence[Glyph]) -> Iterator[list[Glyph]]:
    """Texts drawn in one go: glyphs one after the other in the content stream, on one line,
    no further apart than a letter's height."""
    run: list[Glyph] = []
    for glyph in glyphs:
        if run and not _follows(run[-1], glyph):
            yield run
            run = []
        run.append(glyph)
    if run:
        yield run


def _follows(before: Glyph, after: Glyph) -> bool:
    return (
        after.order == before.order + 1
        and abs(after.top - before.top) <= 1
        and -1 <= after.x0 - before.x1 <= before.bottom - before.top
    )


def _clip_owner(glyph: Glyph, boxes: Sequence[FieldBox]) -> FieldBox | None:
    """The field whose rectangle the glyph's clip is (a filler's appearance of that field)."""
    assert glyph.clip is not None
    x0, top, x1, bottom = glyph.clip
    for box in boxes:
        if (
            abs(box.x0 - x0) <= _CLIP_MATCH
            and abs(box.top - top) <= _CLIP_MATCH
            and abs(box.x1 - x1) <= _CLIP_MATCH
            and abs(box.bottom - bottom) <= _CLIP_MATCH
        ):
            return box
    return None


def _inside(point: tuple[float, float], clip: tuple[float, float, float, float]) -> bool:
    return clip[0] <= point[0] <= clip[2] and clip[1] <= point[1] <= clip[3]


def _box_at(point: tuple[float, float], boxes: Sequence[FieldBox]) -> FieldBox | None:
    for box in boxes:
        if box.holds(*point):
            return box
    return None


def text_of(glyphs: Sequence[Glyph], box: FieldBox) -> str:
    """The glyphs' text as typed: words by their gaps, wrapped lines joined (layout's rules),
    a drawn line break kept."""
    lines: list[list[Glyph]] = [[]]
    for glyph in glyphs:
        if glyph.text == "\n":
            lines.append([])
        else:
            lines[-1].append(glyph)
    return "\n".join(_drawn_text(line, box) for line in lines).strip()


def _drawn_text(glyphs: Sequence[Glyph], box: FieldBox) -> str:
    from pdfplumber.utils import extract_words

    from formflow.read.layout import Word, cell_text

    if not glyphs:
        return ""
    chars = [
        {
            "text": g.text,
            "x0": g.x0,
            "x1": g.x1,
            "top": g.top,
            "bottom": g.bottom,
            "doctop": g.top,
            "upright": True,
            "fontname": g.font,
        }
        for g in glyphs
    ]
    words = [
        Word(w["text"], float(w["x0"]), float(w["x1"]), float(w["top"]), float(w["bottom"]))
        for w in extract_words(chars, x_tolerance=1.5, y_tolerance=2, keep_blank_chars=False)
    ]
    # A clipped line runs past the box; the box's own right edge is where a line wraps.
    right = max(box.x1, max(w.x1 for w in words) + 1)
    return cell_text(words, box.x0, right)


# --- does the page fit the boxes? ------------------------------------------------------------


def fits(glyphs: Sequence[Glyph], blank: Sequence[tuple[str, float, float]]) -> bool:
    """The blank's own glyphs (text, x0, top) stand in place on the page (the same edition,
    and no box grew and pushed the labels below it down)."""
    if not blank:
        return False
    placed: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for glyph in glyphs:
        if glyph.clip is None:
            placed[glyph.text].append((glyph.x0, glyph.top))
    found = sum(
        1
        for text, x0, top in blank
        if any(abs(x - x0) <= _PLACE and abs(y - top) <= _PLACE for x, y in placed.get(text, ()))
    )
    return found >= _IN_PLACE * len(blank)


# --- formflow's own forms ---------------------------------------------------------------------


@dataclass(frozen=True)
class Blank:
    """A definition's blank as the region reader needs it: per page, the field boxes and the
    page's own glyphs (text, x0, top)."""

    boxes: tuple[tuple[FieldBox, ...], ...]
    glyphs: tuple[tuple[tuple[str, float, float], ...], ...]


@lru_cache(maxsize=16)
def own_blank(definition: FormDefinition, year: int) -> Blank:
    """The blank formflow renders for `definition` and `year`, measured (once per process)."""
    from formflow.forms.render import render_bytes

    return measure_blank(render_bytes(definition, year, {}, "pdf"))


def measure_blank(data: bytes) -> Blank:
    """A fillable PDF's field boxes (widget rectangles) and page text, page by page."""
    import pdfplumber
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    boxes: list[tuple[FieldBox, ...]] = []
    for number, page in enumerate(reader.pages):
        height = float(page.mediabox.top)
        boxes.append(tuple(_widget_boxes(page, number, height)))
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        glyphs = tuple(
            tuple((g.text, g.x0, g.top) for g in page_glyphs(page) if g.clip is None)
            for page in pdf.pages
        )
    return Blank(tuple(boxes), glyphs)


def _widget_boxes(page: Any, number: int, height: float) -> Iterator[FieldBox]:
    from formflow.read import contract_key

    for reference in page.get("/Annots") or ():
        widget = reference.get_object()
        if widget.get("/Subtype") != "/Widget":
            continue
        field = widget if "/T" in widget else widget.get("/Parent", {}).get_object()
        if field.get("/FT") == "/Btn":
            continue  # a wheel's or smiley's radio buttons: marks, read by read/marks.py
        name = contract_key(str(field.get("/T", "")))
        x0, y0, x1, y1 = sorted_rect(widget.get("/Rect") or (0, 0, 0, 0))
        if name and x1 - x0 > 1 and y1 - y0 > 1:
            yield FieldBox(name, number, x0, height - y1, x1, height - y0)


def sorted_rect(rect: Sequence[Any]) -> tuple[float, float, float, float]:
    """A PDF rectangle as (left, bottom, right, top), whichever corners it names."""
    xs = sorted((float(rect[0]), float(rect[2])))
    ys = sorted((float(rect[1]), float(rect[3])))
    return xs[0], ys[0], xs[1], ys[1]


def read_known(pdf: Any, data: bytes, file: str, settings: Settings) -> Extraction | None:
    """A flattened copy of formflow's own form (named by its title), read into the boxes of
    the blank of its definition and year; None when it is not one, or does not fit them."""
    from formflow.read import FormEdition, finish, identify, resolve_definition
    from formflow.read.marks import read_marks

    if not pdf.pages:
        return None
    text = _stream_text(pdf.pages[0])
    edition = identify({}, [text], settings)
    if edition.kind is None or edition.year is None:
        return read_learned_pdf(pdf, text, file, settings)
    definition, edition = resolve_definition(edition, (), settings)
    assert edition.year is not None
    blank = own_blank(definition, edition.year)
    values = read_pages([page_glyphs(page) for page in pdf.pages], blank)
    if values is None:
        return None
    values.update(read_marks(data, definition))  # seed 002's wheel and smileys
    return finish(
        file=file,
        reader="layout",
        edition=FormEdition(edition.kind, edition.year, edition.definition),
        definition=definition,
        values=values,
        pages=len(pdf.pages),
    )


def read_pages(glyph_pages: Sequence[Sequence[Glyph]], blank: Blank) -> dict[str, str] | None:
    """Every field's answer, when each page fits its blank page; None otherwise. An answer
    that cannot be told apart from its neighbour's is left out (not found)."""
    if len(glyph_pages) != len(blank.boxes):
        return None
    values: dict[str, str] = {}
    for glyphs, boxes, own in zip(glyph_pages, blank.boxes, blank.glyphs, strict=True):
        if not fits(glyphs, own):
            return None
        regions = read_regions(glyphs, boxes)
        for key, value in regions.values.items():
            if key in regions.uncertain or UNCERTAIN in value:
                values.pop(key, None)
            elif value or key not in values:
                values[key] = value
    return values


# --- learned forms ----------------------------------------------------------------------------

# How far (pt) a ruled cell of a copy may lie from the blank's and still be the same cell.
_CELL_MATCH = 2.0


def read_learned_pdf(pdf: Any, first_page: str, file: str, settings: Settings) -> Extraction | None:
    """A PDF copy of a form learned from a PDF blank (`formflow forms learn`): the cells that
    stand where the blank's stood are read by their rectangles, the rest by the learned map
    over the page's blocks. None when the copy is no learned PDF form."""
    from formflow.forms.learned import learned_maps, page_tables, read_learned
    from formflow.read import finish
    from formflow.read.labels import compact
    from formflow.read.layout import joined_pages, page_blocks

    title = compact(first_page)
    maps = [
        learned
        for learned, _path in learned_maps(settings)
        if any(place.rect for _key, place in learned.fields) and compact(learned.title) in title
    ]
    if not maps:
        return None
    glyphs = [page_glyphs(page) for page in pdf.pages]
    cells = [_ruled_cells(page_tables(page)) for page in pdf.pages]
    placed = {learned.name: _placed(learned.fields, glyphs, cells) for learned in maps}
    blocks = joined_pages([page_blocks(page) for page in pdf.pages])
    found = read_learned(blocks, settings, placed)
    if found is None:
        return None
    definition, edition, values = found
    return finish(
        file=file,
        reader="layout",
        edition=edition,
        definition=definition,
        values=values,
        pages=len(pdf.pages),
    )


def _ruled_cells(tables: Sequence[Any]) -> list[tuple[float, float, float, float]]:
    return [
        (float(c[0]), float(c[1]), float(c[2]), float(c[3]))
        for table in tables
        for row in table.rows
        for c in row.cells
        if c is not None
    ]


def _placed(
    fields: Sequence[tuple[str, Any]],
    glyphs: Sequence[Sequence[Glyph]],
    cells: Sequence[Sequence[tuple[float, float, float, float]]],
) -> dict[str, str]:
    """The answers of the places whose cell the copy has where the blank had it."""
    boxes: dict[int, list[FieldBox]] = {}
    for key, place in fields:
        if place.rect is None or not 1 <= place.page <= len(glyphs):
            continue
        index = place.page - 1
        # A ruled cell where the blank had it, or (a fillable form's field) the field's own
        # appearance drawn clipped to its rectangle: the page is laid out as the blank.
        there = cells[index] if not place.field else _clips(glyphs[index])
        if any(_near(place.rect, box) for box in there):
            boxes.setdefault(index, []).append(FieldBox(key, index, *place.rect))
    values: dict[str, str] = {}
    for index, page_boxes in boxes.items():
        regions = read_regions(glyphs[index], page_boxes)
        for key, value in regions.values.items():
            if key not in regions.uncertain and UNCERTAIN not in value:
                values[key] = value
    return values


def _clips(glyphs: Sequence[Glyph]) -> set[tuple[float, float, float, float]]:
    return {glyph.clip for glyph in glyphs if glyph.clip is not None}


def _near(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return all(abs(x - y) <= _CELL_MATCH for x, y in zip(a, b, strict=True))
