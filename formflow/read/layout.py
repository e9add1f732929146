"""Reading a PDF whose form fields are gone (flattened, printed to PDF, a DOCX exported to PDF).

Only the page is left: text and the ruling lines of the form's tables. Each page is read in one
pass over its objects: the words (with positions) once, the stroked lines once. The ruled
tables are rebuilt from those lines (filled areas, such as the shaded answer boxes, are left
out, so they do not split cells); words inside a cell make its text, the other words make the
paragraphs between tables. Lines are joined back into the text a person typed: a line that
ended because the next word did not fit is a soft wrap (a space), any other end a line break;
a line in another font (a bold label under its answer) starts a new paragraph, and a value
beside its label wrapped under itself stays one value. Bold or larger lines are headings.

The result is the same `Para`/`Table` sequence the DOCX label reader produces, read against
the form definition by `formflow.read.labels` (labels, sections, goal tables), so both
readers place answers the same way and leave out what they cannot place.
"""

from __future__ import annotations

import io
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from formflow.config import Settings
from formflow.model import Extraction
from formflow.read.labels import UNCERTAIN, Block, Para, Table
from formflow.read.marks import read_marks

# pdfplumber's word settings: characters further apart than this (pt) start a new word.
# Words keep their font: a bold label line over its answer is no wrapped line of one paragraph.
_WORD_SETTINGS: dict[str, Any] = {
    "x_tolerance": 1.5,
    "y_tolerance": 2,
    "keep_blank_chars": False,
    "extra_attrs": ["fontname"],
}
# How far apart (pt) two words' tops may be and still sit on one line.
_LINE_TOLERANCE = 2.5
# A line in the bottom or top band of the page that looks like a page number is furniture.
_PAGE_NUMBER = re.compile(r"\bside\s+\d+(\s*(af|/)\s*\d+)?\b", re.IGNORECASE)
# Table cells from ruling lines only, joined across small gaps: pdfplumber's "lines" strategy
# with these tolerances (pt). `ruled_tables` runs that strategy's steps itself; the settings
# are what `page.find_tables` would be given for the same tables (the tests compare the two).
_SNAP = 3
_JOIN = 3
_INTERSECTION = 3
_EDGE_MIN_PREFILTER = 1  # pdfplumber's default: shorter edges are dropped before merging
_EDGE_MIN = 3  # ... and merged edges shorter than this after
_TABLE_SETTINGS = {
    "vertical_strategy": "lines",
    "horizontal_strategy": "lines",
    "snap_tolerance": _SNAP,
    "join_tolerance": _JOIN,
    "intersection_tolerance": _INTERSECTION,
    "edge_min_length_prefilter": _EDGE_MIN_PREFILTER,
    "edge_min_length": _EDGE_MIN,
}

if TYPE_CHECKING:
    from formflow.read.widgets import Widget

Bbox = tuple[float, float, float, float]
# The form field boxes of a page (its number, the pdfplumber page): `formflow.read.widgets`.
WidgetSource = Callable[[int, Any], Sequence["Widget"]]


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    font: str = ""
    # The form field whose value this is (`formflow.read.widgets`), "" for printed text.
    field: str = ""


def read_layout(
    data: bytes, file: str, settings: Settings, *, widgets: WidgetSource | None = None
) -> Extraction:
    """Read a PDF without form fields by the labels on its pages (reader "layout"); with
    `widgets` (page number, page -> its field boxes), a fillable one whose fields are not
    formflow's: each field's value is read in its box (`formflow.read.widgets`)."""
    import pdfplumber

    from formflow.read import finish, read_labelled, unreadable

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as error:  # pdfminer raises many types for a malformed file
        raise unreadable("corrupt", f"{type(error).__name__}: {str(error)[:200]}") from error
    with pdf:
        if len(pdf.pages) > settings.limits.max_pages:
            raise unreadable("too_many_pages", f"{len(pdf.pages)} pages")
        from formflow.read.regions import read_known

        known = read_known(pdf, data, file, settings)  # a form whose boxes formflow knows: by place
        if known is not None:
            return known
        pages_blocks: list[list[Block]] = []
        for number, page in enumerate(pdf.pages):
            boxes = widgets(number, page) if widgets is not None else ()
            pages_blocks.append(page_blocks(page, boxes))
            page.close()  # free the page's parsed objects before the next one
        blocks = joined_pages(pages_blocks)
        pages = len(pdf.pages)
    definition, edition, values = read_labelled(blocks, {}, settings)
    values = {**values, **read_marks(data, definition)}  # seed 002's wheel and smileys
    return finish(
        file=file,
        reader="layout",
        edition=edition,
        definition=definition,
        values=values,
        pages=pages,
    )


# --- one page -> blocks ----------------------------------------------------------------------


def page_blocks(page: Any, widgets: Sequence[Widget] = ()) -> list[Block]:
    """The page as paragraphs and tables in reading order (top to bottom); the values of its
    form fields' boxes `widgets` as words too."""
    from pdfplumber.utils import extract_words

    content = page_content(page)
    printed = [c for c in content.chars if id(c) not in content.in_parts]
    words = [
        Word(
            _repaired(w["text"]),
            float(w["x0"]),
            float(w["x1"]),
            float(w["top"]),
            float(w["bottom"]),
            w["fontname"],
        )
        for w in extract_words(printed, **_WORD_SETTINGS)
    ]
    words = _answers(page, content, [*widgets, *_flattened_fields(content)], words)
    edges = ruling_edges(_without_parts(content))
    grids = [(table.bbox, table.rows) for table in ruled_tables(page, edges)]
    cells, free = place_words(words, grids)
    placed: list[tuple[float, Block]] = []
    for t, (bbox, rows) in enumerate(grids):
        placed.append((float(bbox[1]), _table(page.page_number, t, rows, cells)))
    height = float(page.height)
    rulings = sorted(float(edge["top"]) for edge in edges if edge["orientation"] == "h")
    free = [w for w in free if not _furniture_word(w, free, height)]
    placed.extend(free_blocks(free, float(page.width), rulings))
    placed.sort(key=lambda item: item[0])
    return [block for _, block in placed]


_PART = 0.15  # of the page's area: a form XObject smaller is a part of the page, not all of it


def _without_parts(content: Content) -> Content:
    if not content.in_parts:
        return content
    parts = content.in_parts
    return Content(
        content.chars,
        [line for line in content.lines if id(line) not in parts],
        [rect for rect in content.rects if id(rect) not in parts],
    )


def _flattened_fields(content: Content) -> list[Widget]:
    """The text each small form XObject draws (a flattened field's value, as its appearance
    showed it) as a field's widget over the XObject's bounds: read as an unflattened
    field's value is, set on the line of the label beside it (`widgets.field_words`)."""
    from pdfplumber.utils import extract_words

    from formflow.read.widgets import Widget

    by_part: dict[int, tuple[Any, list[dict[str, Any]]]] = {}
    for char in content.chars:
        part = content.in_parts.get(id(char))
        if part is not None:
            by_part.setdefault(id(part), (part, []))[1].append(char)
    found = []
    for n, (part, chars) in enumerate(by_part.values()):
        words = [
            Word(_repaired(w["text"]), w["x0"], w["x1"], w["top"], w["bottom"])
            for w in extract_words(chars, **_WORD_SETTINGS)
        ]
        lines = [_line_text(line) for line in lines_of(words)]
        text = "\n".join(line for line in lines if line.strip())
        if text:
            rect = (float(part.x0), float(part.y0), float(part.x1), float(part.y1))
            found.append(Widget(f"flattened-{n}", text, rect, len(lines) > 1))
    return found


def _answers(
    page: Any, content: Content, widgets: Sequence[Widget], words: list[Word]
) -> list[Word]:
    """The page's words with its form fields' values (`widgets`), or, on a flattened page,
    its drawn boxes' answers (`widgets.answer_words`)."""
    if content.boxes:
        words = _drawn_answers(content.boxes, words)
    if not widgets:
        return words
    from formflow.read.widgets import button_words, field_words

    size = _body_height(words) or 10.0
    buttons = [widget for widget in widgets if widget.button]
    if buttons:
        words = button_words(page, buttons, words, size)
    typed = [widget for widget in widgets if not widget.button]
    return words + field_words(page, typed, words, size)


def _table(
    page: int, t: int, rows: Sequence[Any], cells: dict[tuple[int, int, int], list[Word]]
) -> Table:
    """Ruled table `t` of the page numbered `page`: its cells' texts and places."""
    texts = tuple(
        tuple(
            None if cell is None else cell_text(cells.get((t, r, c), []), cell[0], cell[2])
            for c, cell in enumerate(row.cells)
        )
        for r, row in enumerate(rows)
    )
    boxes = tuple(
        tuple(
            None
            if cell is None
            else (page, (float(cell[0]), float(cell[1]), float(cell[2]), float(cell[3])))
            for cell in row.cells
        )
        for row in rows
    )
    return Table(texts, boxes)


def _drawn_answers(boxes: Sequence[tuple[Any, Bbox]], words: list[Word]) -> list[Word]:
    """The words of a flattened page with its boxes' captions read as answers, as an
    unflattened form's buttons are (`widgets.answer_words`); each box its own field, a row
    of them one answer."""
    from formflow.read.widgets import answer_words, drawn_states

    figures = [figure for figure, _ in boxes]
    fields = [f"drawn-{i}" for i in range(len(boxes))]
    return answer_words(
        [bbox for _, bbox in boxes],
        fields,
        lambda group: drawn_states([figures[i] for i in group]),
        words,
        _body_height(words) or 10.0,
    )


# --- pages -> blocks: a table continued on the next page -------------------------------------

_SAME_X = 1.5  # pt: a column edge this close to one on the page before is the same column


def joined_pages(pages: Sequence[Sequence[Block]]) -> list[Block]:
    """The pages' blocks in order, a ruled table continued on the next page one table: the
    last block on its page and the first on the next (no heading between), its columns at
    the same places. A row the page break cut (`kompetenceu` | `dvikling`) is one row again
    when the next page's first row only goes on in cells the row above has text in, each
    in lower case: its halves are joined by UNCERTAIN (a label still reads, an answer in it
    is not found: where the cut fell in a word is not certain)."""
    blocks: list[Block] = []
    for page in pages:
        if not page:
            continue
        before, after = blocks[-1] if blocks else None, page[0]
        if isinstance(before, Table) and isinstance(after, Table) and _continues_on(before, after):
            blocks[-1] = _joined_tables(before, after)
            blocks.extend(page[1:])
        else:
            blocks.extend(page)
    return blocks


def _continues_on(before: Table, after: Table) -> bool:
    if not before.boxes or not after.boxes or not before.rows or not after.rows:
        return False
    last, first = before.boxes[-1], after.boxes[0]
    if len(last) != len(first) or last[0] is None or first[0] is None:
        return False
    if first[0][0] != last[0][0] + 1:
        return False  # not the very next page
    return all(
        (a is None) == (b is None)
        and (a is None or b is None or all(abs(a[1][i] - b[1][i]) <= _SAME_X for i in (0, 2)))
        for a, b in zip(last, first, strict=True)
    )


def _joined_tables(before: Table, after: Table) -> Table:
    rows, boxes = list(before.rows), list(before.boxes)
    cut, rest = rows[-1], after.rows[0]
    if _goes_on(cut, rest):
        rows[-1] = tuple(
            a if not b else b if not a else f"{a}{UNCERTAIN}{b}"
            for a, b in zip(cut, rest, strict=True)
        )
        boxes[-1] = tuple(None for _ in cut)  # on two pages: no one rectangle
        return Table((*rows, *after.rows[1:]), (*boxes, *after.boxes[1:]))
    return Table((*rows, *after.rows), (*boxes, *after.boxes))


def _goes_on(cut: tuple[str | None, ...], rest: tuple[str | None, ...]) -> bool:
    """Whether `rest` (the next page's first row) is the rest of the row `cut`."""
    texts = [(a or "", b or "") for a, b in zip(cut, rest, strict=True)]
    going = [(a, b) for a, b in texts if b.strip()]
    return bool(going) and all(a.strip() and b.lstrip()[:1].islower() for a, b in going)


@dataclass(frozen=True)
class Content:
    """What the reader takes from a page: its characters, lines and rects, as pdfplumber's
    `page.chars`, `page.lines` and `page.rects` give them (characters with fewer keys)."""

    chars: list[dict[str, Any]]
    lines: list[dict[str, Any]]
    rects: list[dict[str, Any]]
    # A flattened form's check boxes and radio buttons (`widgets.drawn_boxes`), as pdfminer's
    # figures, with their bounds as a word's (x0, top, x1, bottom).
    boxes: list[tuple[Any, Bbox]] = field(default_factory=list)
    # The characters, lines and rects (by id) drawn in a small form XObject (its figure): a
    # flattened field's box and value, or a logo. Its lines are never a table's rulings (a
    # flattened goal grid's boxes cut its rows in two), its text is read as a field's value.
    in_parts: dict[int, Any] = field(default_factory=dict)


def page_content(page: Any) -> Content:
    """The page's characters, lines and rects from pdfminer's layout of it, in one walk.

    pdfplumber's `page.objects` turns every object into a dict of all its ~20 attributes
    (colours, fonts, marked content; curves, images): about a third of the parse of a form's
    page. Word building reads only a character's text, box, document top and uprightness, so a
    character gets just those, computed as `Page.process_object` does; lines and rects (few)
    are pdfplumber's own dicts. Curves and images are no part of the reading. The tests hold
    the words, lines and rects equal to pdfplumber's on every sample page. A PDF opened with
    layout analysis or Unicode normalisation (not done here) gets pdfplumber's own objects.
    """
    from pdfminer.layout import LTChar, LTLine, LTRect

    if page.pdf.laparams is not None or page.pdf.unicode_norm is not None:
        return Content(page.chars, page.lines, page.rects)
    height = page.height
    left, top_offset = page.mediabox[0], page.mediabox[1]
    doctop = page.initial_doctop
    content = Content([], [], [], _drawn_boxes(page))
    boxes = {id(figure) for figure, _ in content.boxes}
    last: dict[int, tuple[dict[str, Any], float]] = {}  # the last kept in each figure, its y0
    for obj, clip in _leaves(page.layout, None):
        kind = type(obj)
        if kind is LTChar:
            if clip is not None and (id(clip) in boxes or _clipped(obj, clip, last.get(id(clip)))):
                continue  # a box's tick is no text; what a box clips is not shown
            top = (height - obj.y1) + top_offset
            content.chars.append(
                {
                    "text": obj.get_text(),
                    "x0": obj.x0 + left if left != 0 else obj.x0,
                    "x1": obj.x1 + left if left != 0 else obj.x1,
                    "top": top,
                    "bottom": (height - obj.y0) + top_offset,
                    "doctop": doctop + top,
                    "upright": obj.upright,
                    "fontname": obj.fontname,
                }
            )
            last[id(clip)] = (content.chars[-1], obj.y0)
            if clip is not None and clip.width * clip.height < _PART * page.width * page.height:
                content.in_parts[id(content.chars[-1])] = clip
        elif kind is LTLine or kind is LTRect:
            drawn = page.process_object(obj)
            (content.lines if kind is LTLine else content.rects).append(drawn)
            if clip is not None and clip.width * clip.height < _PART * page.width * page.height:
                content.in_parts[id(drawn)] = clip
    return content


def _repaired(text: str) -> str:
    """A word whose ligatures a printer's ToUnicode map wrote byte-swapped (Ghostscript prints
    LibreOffice's "fi" as U+6600 U+6900): each such character back to the letter it encodes.
    A glyph the file gives no character for at all (pdfminer's `(cid:3)`: a printer dropped
    the font's map, as Ghostscript's PostScript output does for "æøå"), or a "?" between two
    letters (a program's stand-in for one it could not encode), is UNCERTAIN: no answer is
    read through it, and no label holding it is recognised."""
    if "(cid:" in text:
        text = _UNMAPPED.sub(UNCERTAIN, text)
    if "?" in text:
        text = _REPLACED.sub(UNCERTAIN, text)
    if text.isascii() or not any(_swapped(c) for c in text):
        return text
    return "".join(chr(ord(c) >> 8) if _swapped(c) else c for c in text)


_UNMAPPED = re.compile(r"\(cid:\d+\)")
# A "?" before a letter is a letter a program could not encode ("S?gaard", "?berg": qpdf's
# appearance of a flattened field draws "ø" and "Å" so), never something a person wrote.
_REPLACED = re.compile(r"\?(?=[^\W\d_])")


def _swapped(char: str) -> bool:
    code = ord(char)
    return code & 0xFF == 0 and 0x21 <= code >> 8 <= 0x7E


def _leaves(objects: Iterable[Any], clip: Any) -> Iterator[tuple[Any, Any]]:
    """Layout objects depth first, a figure's (form XObject's) in its place, as pdfplumber
    lists them (without layout analysis a container itself is no object), each with the
    bounds of the innermost figure holding it (None: the page's own): a form XObject is
    clipped to its /BBox, so text a flattened field's box draws past its edge (qpdf's
    flattening writes a long value whole) is not on the page."""
    from pdfminer.layout import LTContainer, LTFigure

    for obj in objects:
        if isinstance(obj, LTFigure):
            yield from _leaves(obj, obj)
        elif isinstance(obj, LTContainer):
            yield from _leaves(obj, clip)
        else:
            yield obj, clip


def _drawn_boxes(page: Any) -> list[tuple[Any, Bbox]]:
    from formflow.read.widgets import drawn_boxes

    height, left, top = page.height, page.mediabox[0], page.mediabox[1]
    return [
        (f, (f.x0 + left, height - f.y1 + top, f.x1 + left, height - f.y0 + top))
        for f in drawn_boxes(page.layout)
    ]


def _clipped(char: Any, clip: Any, last: tuple[dict[str, Any], float] | None) -> bool:
    """Whether a character's centre lies outside its figure's bounds (clipped, never shown).
    The last character kept in that figure, if on the same line, then ends a value cut at
    the box's edge: it gets UNCERTAIN after it, so that no answer is read from what is left
    ("01.03.202", "det kræver, at vi")."""
    x, y = (char.x0 + char.x1) / 2, (char.y0 + char.y1) / 2
    if clip.x0 - 0.5 <= x <= clip.x1 + 0.5 and clip.y0 - 0.5 <= y <= clip.y1 + 0.5:
        return False
    if last is not None and not char.get_text().isspace():
        kept, y0 = last
        if abs(y0 - char.y0) < char.height / 2 and not kept["text"].endswith(UNCERTAIN):
            kept["text"] += UNCERTAIN
    return True


def place_words(
    words: Sequence[Word], grids: Sequence[tuple[Any, Any]]
) -> tuple[dict[tuple[int, int, int], list[Word]], list[Word]]:
    """Each word in the first cell (by table, row, column) holding its centre, or left free.

    `grids` are the tables' bounds and rows. A cell lies within its row's and its table's
    bounds, so a word outside those skips all their cells: one pass over the words instead of
    one over all words per cell.
    """
    cells: dict[tuple[int, int, int], list[Word]] = {}
    free: list[Word] = []
    for word in words:
        place = _cell_of(word, grids)
        if place is None:
            free.append(word)
        else:
            cells.setdefault(place, []).append(word)
    return cells, free


def _cell_of(word: Word, grids: Sequence[tuple[Any, Any]]) -> tuple[int, int, int] | None:
    for t, (bbox, rows) in enumerate(grids):
        if not _inside(word, bbox):
            continue
        for r, row in enumerate(rows):
            if not _inside(word, row.bbox):
                continue
            for c, cell in enumerate(row.cells):
                if cell is not None and _inside(word, cell):
                    return t, r, c
    return None


def _is_ruling(obj: dict[str, Any]) -> bool:
    """Lines and thin bars draw a table; filled boxes (answer fields, shading) do not."""
    kind = obj.get("object_type")
    if kind == "line":
        return True
    if kind == "rect":
        thin = min(float(obj["width"]), float(obj["height"])) < 2.0
        return thin or (bool(obj.get("stroke")) and not obj.get("fill"))
    return kind not in ("curve",)


# --- ruled tables -------------------------------------------------------------------------------


def ruling_edges(content: Content) -> list[dict[str, Any]]:
    """The edges of the page's ruling lines and bars, in the order pdfplumber lists a page's
    edges (lines, then rects; curves never rule a table): `page.filter(_is_ruling).edges`
    without testing every character of the page."""
    from pdfplumber.utils import line_to_edge, rect_to_edges

    edges = [line_to_edge(line) for line in content.lines if _is_ruling(line)]
    for rect in content.rects:
        if _is_ruling(rect):
            edges.extend(rect_to_edges(rect))
    return edges


def ruled_tables(page: Any, edges: Sequence[dict[str, Any]]) -> list[Any]:
    """pdfplumber's tables from `edges`, as `page.filter(_is_ruling).find_tables(...)` finds
    them: the "lines" strategy's steps with pdfplumber's own functions, except the cell search
    (`_cells`), whose result is the same but which does not rebuild sets per pair of points."""
    from pdfplumber.table import Table as RuledTable
    from pdfplumber.table import cells_to_tables, edges_to_intersections, merge_edges
    from pdfplumber.utils import filter_edges

    lines = filter_edges(edges, "v", min_length=_EDGE_MIN_PREFILTER) + filter_edges(
        edges, "h", min_length=_EDGE_MIN_PREFILTER
    )
    merged = merge_edges(lines, _SNAP, _SNAP, _JOIN, _JOIN)
    merged = filter_edges(merged, min_length=_EDGE_MIN)
    intersections = edges_to_intersections(merged, _INTERSECTION, _INTERSECTION)
    return [RuledTable(page, group) for group in cells_to_tables(_cells(intersections))]


Point = tuple[float, float]


def _cells(intersections: dict[Point, dict[str, list[dict[str, Any]]]]) -> list[Bbox]:
    """pdfplumber's `intersections_to_cells`: for each point, in order, the smallest cell it is
    the top-left corner of (the first point below it and the first to its right that an edge
    joins it to and that a fourth joined point closes). Two points are joined when one edge
    passes through both; each point's edges are made a set once here."""
    from pdfplumber.utils import obj_to_bbox

    through = {
        point: (
            {obj_to_bbox(edge) for edge in ends["v"]},
            {obj_to_bbox(edge) for edge in ends["h"]},
        )
        for point, ends in intersections.items()
    }

    def joined(a: Point, b: Point) -> bool:
        if a[0] == b[0] and not through[a][0].isdisjoint(through[b][0]):
            return True
        return a[1] == b[1] and not through[a][1].isdisjoint(through[b][1])

    points = sorted(intersections)
    columns: dict[float, list[Point]] = {}
    rows: dict[float, list[Point]] = {}
    for point in points:  # sorted by x, then y: each column top down, each row left to right
        columns.setdefault(point[0], []).append(point)
        rows.setdefault(point[1], []).append(point)
    cells: list[Bbox] = []
    for point in points:
        column, row = columns[point[0]], rows[point[1]]
        below = column[column.index(point) + 1 :]
        right = [p for p in row[row.index(point) + 1 :] if joined(point, p)]
        cell = _smallest_cell(point, below, right, intersections, joined)
        if cell is not None:
            cells.append(cell)
    return cells


def _smallest_cell(
    point: Point,
    below: Sequence[Point],
    right: Sequence[Point],
    intersections: dict[Point, Any],
    joined: Any,
) -> Bbox | None:
    for lower in below:
        if not joined(point, lower):
            continue
        for beside in right:
            corner = (beside[0], lower[1])
            if corner in intersections and joined(corner, beside) and joined(corner, lower):
                return (point[0], point[1], corner[0], corner[1])
    return None


def _inside(word: Word, bbox: Sequence[float]) -> bool:
    x = (word.x0 + word.x1) / 2
    y = (word.top + word.bottom) / 2
    return bbox[0] <= x <= bbox[2] and bbox[1] <= y <= bbox[3]


def _furniture_word(word: Word, words: Sequence[Word], height: float) -> bool:
    """A word of a page footer or header: its line, near the page edge, has a page number."""
    if height * 0.06 < word.top < height * 0.93:
        return False
    line = " ".join(w.text for w in words if abs(w.top - word.top) <= _LINE_TOLERANCE)
    return bool(_PAGE_NUMBER.search(line))


# --- lines and reflow ---------------------------------------------------------------------------


def lines_of(words: Sequence[Word]) -> list[list[Word]]:
    """Words grouped into lines, top to bottom, each line left to right."""
    lines: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.top, w.x0)):
        if lines and abs(lines[-1][0].top - word.top) <= _LINE_TOLERANCE:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [sorted(line, key=lambda w: w.x0) for line in lines]


def _line_text(line: Sequence[Word]) -> str:
    return " ".join(w.text for w in line)


def _wrapped(line: Sequence[Word], following: Sequence[Word], limit: float) -> bool:
    """The line ended because the next word would not have fitted: a soft wrap."""
    space = max(2.0, (line[-1].x1 - line[-1].x0) / max(1, len(line[-1].text)) * 0.9)
    first = following[0]
    return line[-1].x1 + space + (first.x1 - first.x0) > limit


def _broken_word(line: Sequence[Word], following: Sequence[Word], limit: float) -> bool:
    """A lone word filling its line, cut by the filler because the whole word is wider than
    the box (a word that ends in punctuation, or would fit whole, was wrapped, not cut); or a
    date cut after its hyphen (`2025-04-` over `15`)."""
    word, rest = line[-1], following[0]
    if word.text[-1:] == "-" and word.text[-2:-1].isdigit() and rest.text[:1].isdigit():
        return True
    return (
        len(line) == 1
        and len(word.text) > 4
        and word.text[-1] not in _ENDS
        and word.x1 > limit - 2 * _char_width(word)
        and (word.x1 - word.x0) + (rest.x1 - rest.x0) > limit - word.x0
    )


# Short Danish words that may stand alone at the start of a line after a long word.
_SHORT_WORDS = frozenset(
    ("er", "at", "og", "i", "på", "en", "et", "de", "du", "af", "til", "med", "om", "for", "den",
     "det", "som", "har", "kan", "vi", "jeg", "man", "så", "nu", "ud", "op", "ind", "ikke", "der",
     "her", "ved", "fra")
)  # fmt: skip
_ENDS = frozenset(",.;:!?)»”\"'")


def _char_width(word: Word) -> float:
    return (word.x1 - word.x0) / max(1, len(word.text))


def cell_text(words: Sequence[Word], left: float, right: float) -> str:
    """A cell's words as typed: soft wraps joined with a space, line breaks kept."""
    lines = lines_of(words)
    if not lines:
        return ""
    padding = max(1.0, min(line[0].x0 for line in lines) - left)
    limit = right - padding
    return _reflow(lines, limit)


def _reflow(lines: Sequence[Sequence[Word]], limit: float) -> str:
    """The lines as typed. Where a cut word's rest is also a word of its own (`journaler` over
    `er`: "journalerer" cut, or "journaler er" wrapped?) the lines are joined by UNCERTAIN: as a
    label the text still reads (labels compare letters only), as an answer it is not found."""
    parts = [_line_text(lines[0])]
    for previous, line in itertools.pairwise(lines):
        if previous[-1].field or line[0].field:  # a field's value: its lines as typed
            parts.append("\n")
        elif _broken_word(previous, line, limit):
            cut = line[0].text.casefold().rstrip(".,;:!?") in _SHORT_WORDS
            parts.append(UNCERTAIN if cut else "")
        else:
            parts.append(" " if _wrapped(previous, line, limit) else "\n")
        parts.append(_line_text(line))
    return "".join(parts)


def segments(line: Sequence[Word]) -> list[list[Word]]:
    """A line cut where words stand far apart (a date and a signature side by side)."""
    parts = [[line[0]]]
    for word in line[1:]:
        size = word.bottom - word.top
        if word.x0 - parts[-1][-1].x1 > size * 2.5 or word.field != parts[-1][-1].field:
            parts.append([word])
        else:
            parts[-1].append(word)
    return parts


def free_blocks(
    words: Sequence[Word], page_width: float, rulings: Sequence[float] = ()
) -> list[tuple[float, Block]]:
    """Text outside tables: paragraphs, and side-by-side lines as a table of their parts.

    Lines make one paragraph when they are close, the same size, not parted by a ruling line,
    and the earlier one wrapped. Consecutive lines cut into parts by wide gaps (a signature
    line: `12.03.2026    Birthe Ærø` over `Dato    Underskrift`) become one table whose
    columns are the parts' positions.
    """
    lines = lines_of(words)
    if not lines:
        return []
    right = max(line[-1].x1 for line in lines)
    limit = min(right, page_width) - 2.0
    lines = _continued(lines, limit)
    groups: list[list[list[Word]]] = []
    for line in lines:
        if groups and _joins(groups[-1], line, limit, rulings):
            groups[-1].append(line)
        else:
            groups.append([line])
    groups = _caption_lines(groups)
    body = _body_height(words)
    blocks: list[tuple[float, Block]] = []
    for group in groups:
        top = group[0][0].top
        if any(len(segments(line)) > 1 for line in group):
            blocks.append((top, _segment_table(group)))
        else:
            blocks.append((top, Para(_reflow(group, limit), _is_heading(group, body))))
    return blocks


def _joins(
    group: Sequence[Sequence[Word]], line: Sequence[Word], limit: float, rulings: Sequence[float]
) -> bool:
    """`line` goes on with the paragraph or side-by-side table `group` (`free_blocks`)."""
    previous = group[-1]
    height = previous[0].bottom - previous[0].top
    gap = line[0].top - previous[0].bottom
    middle = (line[0].top + line[0].bottom) / 2
    parted = any(previous[0].bottom <= y <= middle for y in rulings)
    joinable = gap < height * 0.6 and not parted
    side_by_side = len(segments(line)) > 1 or len(segments(previous)) > 1
    if side_by_side and len(segments(group[0])) > 1 and gap < height * 1.5:
        return len(segments(line)) > 1
    return (
        joinable
        and not side_by_side
        and line[0].font == previous[-1].font
        and not (line[0].field or previous[-1].field)  # a form field's value is whole
        and abs((line[0].bottom - line[0].top) - height) < 1.0
        and _wrapped(previous, line, limit)
    )


def _body_height(words: Sequence[Word]) -> float:
    """The height of most words on the page: its body text's size."""
    heights = Counter(round(w.bottom - w.top) for w in words)
    return float(heights.most_common(1)[0][0]) if heights else 0.0


def _is_heading(group: Sequence[Sequence[Word]], body: float) -> bool:
    """Lines set clearly larger than the body text (a quarter; answers may be typed a little
    larger than the printed labels), or all in a bold font: a heading, never an answer."""
    first = group[0][0]
    larger = first.bottom - first.top > body * 1.25
    return larger or all("bold" in w.font.casefold() for line in group for w in line)


def _continued(lines: list[list[Word]], limit: float) -> list[list[Word]]:
    """A label and its value side by side (`Navn:      Birthe Ærø`), the value wrapped onto
    lines under itself: each such line joins the value (one word holding its text, a space
    where the line wrapped, a line break where it did not)."""
    out: list[list[Word]] = []
    physical: list[Word] = []  # the last line as printed, for telling a wrap
    for line in lines:
        parts = segments(out[-1]) if out else []
        value = parts[-1] if len(parts) > 1 else None
        if value is not None and _continues(value, physical or value, line):
            joiner = " " if _wrapped(physical or value, line, limit) else "\n"
            text = _line_text(value) + joiner + _line_text(line)
            first = value[0]
            joined = Word(text, first.x0, max(value[-1].x1, line[-1].x1), first.top,
                          first.bottom, first.font, first.field)  # fmt: skip
            out[-1] = [*out[-1][: len(out[-1]) - len(value)], joined]
        else:
            out.append(line)
        physical = line
    return out


def _continues(value: Sequence[Word], above: Sequence[Word], line: Sequence[Word]) -> bool:
    """`line` goes on with the value: one part, starting where the value starts, close under
    the line above in the same font and size."""
    height = above[0].bottom - above[0].top
    return (
        len(segments(line)) == 1
        and abs(line[0].x0 - value[0].x0) <= 3.0
        and 0 <= line[0].top - above[0].bottom < height * 0.6
        and line[0].font == above[-1].font
        and not (line[0].field or above[-1].field)  # a form field's value is whole
        and abs((line[0].bottom - line[0].top) - height) < 1.0
    )


def _caption_lines(groups: list[list[list[Word]]]) -> list[list[list[Word]]]:
    """Short lines right above or below side-by-side lines, starting where one of their parts
    starts, join them: the labels over and under a signature line (`Dato` over the date)."""
    merged: list[list[list[Word]]] = []
    for group in groups:
        side_by_side = any(len(segments(line)) > 1 for line in group)
        if side_by_side and merged and _caption_of(merged[-1], group, above=True):
            group = [*merged.pop(), *group]
        elif (
            merged
            and len(group) == 1
            # only right under the side-by-side line itself: a caption under a caption is the
            # next signature's label (`Dato` over the employee's date), not this one's
            and len(segments(merged[-1][-1])) > 1
            and _caption_of(group, merged[-1], above=False)
        ):
            merged[-1] = [*merged[-1], *group]
            continue
        merged.append(group)
    return merged


def _caption_of(caption: list[list[Word]], table: list[list[Word]], above: bool) -> bool:
    if len(caption) != 1 or len(segments(caption[0])) != 1:
        return False
    line = caption[0]
    if len(line) > 5 or line[0].text[:1].isdigit():
        return False  # a label is a few words; a numbered heading is no caption
    near = table[0] if above else table[-1]
    height = line[0].bottom - line[0].top
    if height > (near[0].bottom - near[0].top) + 1.0:
        return False  # a larger line is a heading, not a box's label
    gap = near[0].top - line[0].bottom if above else line[0].top - near[0].bottom
    starts = [part[0].x0 for row in table for part in segments(row)]
    # A label sits close over its box; under a signature box it may be a box's height away.
    reach = height * (2.5 if above else 5.0)
    return 0 <= gap < reach and any(abs(line[0].x0 - x) <= 15 for x in starts)


def _segment_table(lines: Sequence[Sequence[Word]]) -> Table:
    """Side-by-side lines as table rows, parts put in columns by where they start."""
    cut = [segments(line) for line in lines]
    starts = sorted({round(part[0].x0) for parts in cut for part in parts})
    columns: list[float] = []
    for start in starts:
        if not columns or start - columns[-1] > 15:
            columns.append(start)
    rows = []
    for parts in cut:
        row: list[str | None] = [""] * len(columns)
        for part in parts:
            index = min(range(len(columns)), key=lambda i: abs(columns[i] - part[0].x0))
            row[index] = _line_text(part)
        rows.append(tuple(row))
    return Table(tuple(rows))


def free_paragraphs(words: Sequence[Word], page_width: float) -> list[tuple[float, str]]:
    """Only the paragraphs of `free_blocks` (their text and top)."""
    return [
        (top, block.text)
        for top, block in free_blocks(words, page_width)
        if isinstance(block, Para)
    ]
