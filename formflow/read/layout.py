"""Reading a PDF whose form fields are gone (flattened, printed to PDF, a DOCX exported to PDF).

Only the page is left: text and the ruling lines of the form's tables. Each page is read in one
pass over its objects: the words (with positions) once, the stroked lines once. The ruled
tables are rebuilt from those lines (filled areas, such as the shaded answer boxes, are left
out, so they do not split cells); words inside a cell make its text, the other words make the
paragraphs between tables. Lines are joined back into the text a person typed: a line that
ended because the next word did not fit is a soft wrap (a space), any other end a line break.

The result is the same `Para`/`Table` sequence the DOCX label reader produces, read against
the form definition by `formflow.read.labels` (labels, sections, goal tables), so both
readers place answers the same way and leave out what they cannot place.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from formflow.config import Settings
from formflow.model import Extraction
from formflow.read.labels import Block, Para, Table, read_blocks, title_kind

# How far apart (pt) two words' tops may be and still sit on one line.
_LINE_TOLERANCE = 2.5
# A line in the bottom or top band of the page that looks like a page number is furniture.
_PAGE_NUMBER = re.compile(r"\bside\s+\d+(\s*(af|/)\s*\d+)?\b", re.IGNORECASE)
# pdfplumber table settings: cells from ruling lines only, joined across small gaps.
_TABLE_SETTINGS = {
    "vertical_strategy": "lines",
    "horizontal_strategy": "lines",
    "snap_tolerance": 3,
    "join_tolerance": 3,
    "intersection_tolerance": 3,
}


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float


def read_layout(data: bytes, file: str, settings: Settings) -> Extraction:
    """Read a PDF without form fields by the labels on its pages (reader "layout")."""
    import pdfplumber

    from formflow.read import finish, identify, resolve_definition, unreadable

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as error:  # pdfminer raises many types for a malformed file
        raise unreadable("corrupt", f"{type(error).__name__}: {str(error)[:200]}") from error
    with pdf:
        if len(pdf.pages) > settings.limits.max_pages:
            raise unreadable("too_many_pages", f"{len(pdf.pages)} pages")
        blocks: list[Block] = []
        for page in pdf.pages:
            blocks.extend(page_blocks(page))
            page.close()  # free the page's parsed objects before the next one
        pages = len(pdf.pages)
    texts = [block.text for block in blocks[:12] if isinstance(block, Para)]
    identity = identify({}, texts, settings)
    if identity.kind is None:
        # Seed 004's own spelling ("Forberedelseskema til Medarbejderudviklingssamtale").
        identity = _seed_title(texts, identity)
    definition, identity = resolve_definition(identity, (), settings)
    values = read_blocks(definition, blocks)
    return finish(
        file=file,
        reader="layout",
        identity=identity,
        definition=definition,
        values=values,
        pages=pages,
    )


def _seed_title(texts: Iterable[str], identity: Any) -> Any:
    from formflow.read import Identity

    for text in texts:
        kind, year = title_kind(text)
        if kind:
            return Identity(kind, year, None)
    return identity


# --- one page -> blocks ----------------------------------------------------------------------


def page_blocks(page: Any) -> list[Block]:
    """The page as paragraphs and tables in reading order (top to bottom)."""
    words = [
        Word(w["text"], float(w["x0"]), float(w["x1"]), float(w["top"]), float(w["bottom"]))
        for w in page.extract_words(x_tolerance=1.5, y_tolerance=2, keep_blank_chars=False)
    ]
    ruled = page.filter(_is_ruling)
    tables = ruled.find_tables(_TABLE_SETTINGS)
    placed: list[tuple[float, Block]] = []
    taken: set[int] = set()
    for table in tables:
        rows: list[tuple[str | None, ...]] = []
        for row in table.rows:
            cells: list[str | None] = []
            for bbox in row.cells:
                if bbox is None:
                    cells.append(None)
                    continue
                inside = [i for i, w in enumerate(words) if i not in taken and _inside(w, bbox)]
                taken.update(inside)
                cells.append(cell_text([words[i] for i in inside], bbox[0], bbox[2]))
            rows.append(tuple(cells))
        placed.append((float(table.bbox[1]), Table(tuple(rows))))
    free = [w for i, w in enumerate(words) if i not in taken]
    height = float(page.height)
    rulings = sorted(float(edge["top"]) for edge in ruled.horizontal_edges)
    free = [w for w in free if not _furniture_word(w, free, height)]
    placed.extend(free_blocks(free, float(page.width), rulings))
    placed.sort(key=lambda item: item[0])
    return [block for _, block in placed]


def _is_ruling(obj: dict[str, Any]) -> bool:
    """Lines and thin bars draw a table; filled boxes (answer fields, shading) do not."""
    kind = obj.get("object_type")
    if kind == "line":
        return True
    if kind == "rect":
        thin = min(float(obj["width"]), float(obj["height"])) < 2.0
        return thin or (bool(obj.get("stroke")) and not obj.get("fill"))
    return kind not in ("curve",)


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


def _broken_word(line: Sequence[Word], limit: float) -> bool:
    """A lone word filling its line: a word too long for the box, cut by the filler."""
    word = line[-1]
    return len(line) == 1 and len(word.text) > 4 and word.x1 > limit - 2 * _char_width(word)


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
    parts = [_line_text(lines[0])]
    for previous, line in itertools.pairwise(lines):
        if _broken_word(previous, limit):
            parts.append("")
        else:
            parts.append(" " if _wrapped(previous, line, limit) else "\n")
        parts.append(_line_text(line))
    return "".join(parts)


def segments(line: Sequence[Word]) -> list[list[Word]]:
    """A line cut where words stand far apart (a date and a signature side by side)."""
    parts = [[line[0]]]
    for word in line[1:]:
        size = word.bottom - word.top
        if word.x0 - parts[-1][-1].x1 > size * 2.5:
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
    groups: list[list[list[Word]]] = []
    for line in lines:
        if groups:
            previous = groups[-1][-1]
            height = previous[0].bottom - previous[0].top
            gap = line[0].top - previous[0].bottom
            middle = (line[0].top + line[0].bottom) / 2
            parted = any(previous[0].bottom <= y <= middle for y in rulings)
            joinable = gap < height * 0.6 and not parted
            side_by_side = len(segments(line)) > 1 or len(segments(previous)) > 1
            if side_by_side and len(segments(groups[-1][0])) > 1 and gap < height * 1.5:
                if len(segments(line)) > 1:
                    groups[-1].append(line)
                    continue
            elif (
                joinable
                and not side_by_side
                and abs((line[0].bottom - line[0].top) - height) < 1.0
                and _wrapped(previous, line, limit)
            ):
                groups[-1].append(line)
                continue
        groups.append([line])
    groups = _caption_lines(groups)
    blocks: list[tuple[float, Block]] = []
    for group in groups:
        top = group[0][0].top
        if any(len(segments(line)) > 1 for line in group):
            blocks.append((top, _segment_table(group)))
        else:
            blocks.append((top, Para(_reflow(group, limit))))
    return blocks


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
