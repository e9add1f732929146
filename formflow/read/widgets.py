"""The values of a fillable PDF whose fields are not formflow's, set as words on its pages.

An organisation's own fillable form names its fields as its program did ("Tekstfelt1",
"Navn", "txtDato"): the names say nothing certain, the labels printed beside or above the
fields do. So each text or choice field's value is set as one word inside its widget's
rectangle, holding its lines as they were typed, and the layout reader
(`formflow.read.layout`) reads the page as it reads a flattened one: the labels place the
values, and a value whose label is not certain is not found. The word carries the field it
came from (`Word.field`): it is never joined to a printed line, and it is its own part of a
line (a label printed right beside its box still ends before it).

A one-line field beside a printed label is set on that label's line (the label and the box
rarely share a baseline exactly, and the reader groups words into lines by their tops);
anywhere else it is set where a viewer shows it, centred in its box, a multi-line one from the
top.

Check boxes and radio buttons are read where certain (`button_words`): each box's caption is
the printed text right beside it ("1", "Ja", "Bedre end forventet"); a radio group's boxes, or
a row of check boxes on one line with only their captions between them, are one answer. The
captions are taken off the page and the ticked box's caption is set in their place, as one
word, as if it had been typed there: a status cell "☐1 ☐2 ☒3 ☐4" reads "3". Two ticked are
kept as written ("2 og 4", for validation to send back); none ticked is an empty answer; a
box without a caption, or two boxes with the same one, or a stray word among the boxes, leave
the whole group not found. Push buttons and signature fields hold no answer.

A flattened form (qpdf, pdftk) keeps each field's appearance as a small form XObject:
`formflow.read.layout` reads its text as that field's value (a `Widget` over its bounds), and
its small square ones as boxes (`drawn_boxes`), ticked where they draw more than the others of
their row (`drawn_states`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from formflow.read.layout import Word

Bbox = tuple[float, float, float, float]  # x0, top, x1, bottom on the page
FIELD_FONT = "formflow-field"  # no "bold" in it: a value is never a heading
_MULTILINE = 1 << 12  # /Ff bit 13
_MAX_PARENTS = 32  # a field's ancestors; real forms use 1-3 levels
_UNSEEN = 2 | 32  # annotation /F: Hidden, NoView (a value never shown is no answer)
_PUSH = 1 << 16  # /Ff bit 17: a push button holds no answer
_OFF = ("", "Off")  # a button's appearance state (/AS) when not ticked
_BOX_SIZES = (6.0, 24.0)  # pt: a flattened check box's or radio button's side, smallest, largest


@dataclass(frozen=True)
class Widget:
    """One box of a field on a page: the field's full name, its value, its /Rect (in the
    page's own coordinates) and whether it holds several lines."""

    field: str
    value: str
    rect: tuple[float, float, float, float]
    multiline: bool
    # A check box's or radio button's: "on" when ticked, "off" when not; "" for text.
    button: str = ""

    @classmethod
    def of(
        cls, field: str, kind: str, value: str, flags: int, rect: Any, shown: Any, state: str = ""
    ) -> Widget | None:
        """The widget of a text or choice field holding a value, or of a check box or radio
        button (`state`: its /AS without the slash), shown on the page (`shown`: the
        annotation's /F flags); None for any other widget."""
        text = value.replace("\r\n", "\n").replace("\r", "\n")
        hidden = isinstance(shown, int) and shown & _UNSEEN
        if rect is None or hidden or rect[0] == rect[2] or rect[1] == rect[3]:
            return None  # a box of no size shows nothing
        if kind == "Btn" and not flags & _PUSH:
            # What a viewer shows is the box's appearance state, whatever /V says.
            return cls(field, "", rect, False, "off" if state in _OFF else "on")
        if kind not in ("Tx", "Ch") or not text.strip():
            return None
        return cls(field, text, rect, bool(flags & _MULTILINE) or "\n" in text)


def page_widgets(page: Any) -> list[Widget]:
    """The text and choice fields' boxes on a pdfplumber page that hold a value (pdfminer
    parses them; the fast PDF path reads the same from qpdf, `pdf_fast.page_widgets`).

    The page's annotations are resolved one key at a time: pdfplumber's `page.annots`
    resolves each one whole (its appearance streams, its page), a third of the reading of a
    form with fifty fields, for the four keys read here.
    """
    from pdfminer.pdftypes import resolve1

    found = []
    for ref in resolve1(page.page_obj.annots) or []:
        data = resolve1(ref)
        if not isinstance(data, dict) or _name(resolve1(data.get("Subtype"))) != "Widget":
            continue
        field, kind, value, flags = _field_of(data)
        rect, shown = _rect(resolve1(data.get("Rect"))), resolve1(data.get("F"))
        state = _name(resolve1(data.get("AS")))
        widget = Widget.of(field, kind, _text(value), flags, rect, shown, state)
        if widget is not None:
            found.append(widget)
    return found


def _rect(rect: Any) -> tuple[float, float, float, float] | None:
    from pdfminer.pdftypes import resolve1

    if not isinstance(rect, list) or len(rect) != 4:
        return None
    try:
        a, b, c, d = (float(resolve1(v)) for v in rect)
    except (TypeError, ValueError):
        return None
    return a, b, c, d


def box(page: Any, rect: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """A widget's /Rect as pdfplumber places an annotation (x0, top, x1, bottom): turned with
    the page, measured from the top."""
    (a, b), (c, d) = _turned(page, rect[0], rect[1]), _turned(page, rect[2], rect[3])
    height = page.root_page.height
    return min(a, c), height - max(b, d), max(a, c), height - min(b, d)


def _turned(page: Any, x: float, y: float) -> tuple[float, float]:
    """A point on a page shown turned (/Rotate), as pdfplumber turns an annotation's."""
    turns = page.rotation // 90
    for i in range(turns):
        x, y = y, (page.width if i == turns % 2 else page.height) - x
    return x, y


def field_words(
    page: Any, widgets: Sequence[Widget], printed: Sequence[Word], size: float
) -> list[Word]:
    """Each widget's value on `page` as one word (`size` high: the page's body text) holding
    its lines as typed, set where the module's docstring says: one word, so that no printed
    line can come between a value's lines, however many it has."""
    words = []
    boxes = [box(page, widget.rect) for widget in widgets]
    # A caption under or over another box is that box's, never a label beside this one.
    captions = [{i for i, b in enumerate(boxes) if _caption_of(w, b, size)} for w in printed]
    for n, (widget, (x0, top, x1, bottom)) in enumerate(zip(widgets, boxes, strict=True)):
        lines = [line.strip() for line in widget.value.split("\n") if line.strip()]
        free = [w for w, of in zip(printed, captions, strict=True) if of <= {n}]
        label = _label_beside((x0, top, x1, bottom), widget.multiline, free, size)
        if label is not None:
            first = label.top
        elif widget.multiline:
            first = top + 2.0
        else:
            first = (top + bottom - size) / 2
        width = min(max(len(line) for line in lines) * size * 0.5, max(x1 - x0 - 4.0, size))
        text = "\n".join(lines)
        words.append(
            Word(text, x0 + 2.0, x0 + 2.0 + width, first, first + size, FIELD_FONT, widget.field)
        )
    return words


def button_words(
    page: Any, buttons: Sequence[Widget], printed: Sequence[Word], size: float
) -> list[Word]:
    """The printed words of `page` without the check boxes' and radio buttons' captions, and
    a word per group of `buttons` holding its answer (the module's docstring says which)."""
    boxes = [box(page, button.rect) for button in buttons]
    fields = [button.field for button in buttons]
    return answer_words(
        boxes, fields, lambda group: [buttons[i].button for i in group], printed, size
    )


# The states ("on"/"off") of a group of buttons, by their indices; None when not certain.
States = Callable[[list[int]], list[str] | None]


def answer_words(
    boxes: Sequence[Bbox],
    fields: Sequence[str],
    states: States,
    printed: Sequence[Word],
    size: float,
) -> list[Word]:
    """The printed words without the captions of the buttons in `boxes` (x0, top, x1,
    bottom on the page; `fields`: the field each is a widget of), and a word per group of
    them holding its answer: the caption of its ticked box. Also for a flattened form's
    boxes (`formflow.read.layout`), whose states are told from what each box draws."""
    taken: set[int] = set()
    answers = []
    for group in _groups(fields, boxes, size):
        captions = [_caption(boxes[i], boxes, printed, size) for i in group]
        taken.update(id(word) for caption in captions for word in caption)
        strays = _strays([boxes[i] for i in group], captions, printed)
        taken.update(id(word) for word in strays)
        texts = [" ".join(word.text for word in caption) for caption in captions]
        if strays or not all(texts) or len(set(texts)) != len(texts):
            continue  # a box without a caption of its own: what it means is not certain
        shown = states(group)
        if shown is None:
            continue  # which box is ticked is not certain
        ticked = [text for state, text in zip(shown, texts, strict=True) if state == "on"]
        if ticked:
            first, last = captions[0][0], captions[-1][-1]
            x0 = boxes[group[0]][0]
            answers.append(
                Word(" og ".join(ticked), x0, max(last.x1, x0 + size), first.top,
                     first.bottom, FIELD_FONT, fields[group[0]])
            )  # fmt: skip
    return [word for word in printed if id(word) not in taken] + answers


def _strays(
    boxes: Sequence[Bbox], captions: Sequence[Sequence[Word]], printed: Sequence[Word]
) -> list[Word]:
    """Printed words among a row of boxes that are no box's caption (the caption of a box
    not seen, a flattened one drawn as nothing): left, they would read as the answer."""
    own = {id(word) for caption in captions for word in caption}
    loose = [word for word in printed if id(word) not in own]
    left = min(b[0] for b in boxes)
    found = []
    for where, caption in zip(boxes, captions, strict=True):
        right = max([where[2], *(word.x1 for word in caption)])
        found += [word for word in loose if _beside(word, where) and left <= word.x0 < right]
    return found + [word for word in _after_last(boxes, captions, loose) if word not in found]


def _beside(word: Word, box: Bbox) -> bool:
    """Whether the middle of `word` stands on the line of `box` (2 pt either way)."""
    return box[1] - 2.0 <= (word.top + word.bottom) / 2 <= box[3] + 2.0


def _after_last(
    boxes: Sequence[Bbox], captions: Sequence[Sequence[Word]], loose: Sequence[Word]
) -> list[Word]:
    """On a row of evenly set boxes, the words after the last box but before where a next
    box would stand."""
    if len(boxes) < 2 or len({round(_middle(b)) for b in boxes}) != 1:
        return []
    last = max(boxes, key=lambda b: b[0])
    step = (last[0] - min(b[0] for b in boxes)) / (len(boxes) - 1)
    end = max([last[2], *(w.x1 for c in captions for w in c)]) + step
    return [word for word in loose if _beside(word, last) and last[2] <= word.x0 < end]


def _groups(fields: Sequence[str], boxes: Sequence[Bbox], size: float) -> list[list[int]]:
    """The buttons that make one answer, each group in reading order: a field's widgets (a
    radio group), and check boxes of one widget each that follow each other on one line."""
    by_field: dict[str, list[int]] = {}
    for i, field in enumerate(fields):
        by_field.setdefault(field, []).append(i)
    groups = [members for members in by_field.values() if len(members) > 1]
    singles = sorted(
        (members[0] for members in by_field.values() if len(members) == 1),
        key=lambda i: (round(_middle(boxes[i]) / size), boxes[i][0]),
    )
    for i in singles:
        last = groups[-1][-1] if groups and groups[-1][0] in singles else None
        if last is not None and _next_on_line(boxes[last], boxes[i], size):
            groups[-1].append(i)
        else:
            groups.append([i])
    return [sorted(group, key=lambda i: (boxes[i][1], boxes[i][0])) for group in groups]


# --- a flattened form's boxes -----------------------------------------------------------------


def drawn_boxes(layout: Iterable[Any]) -> list[Any]:
    """A flattened form's check boxes and radio buttons: its form XObjects (each a flattened
    widget's appearance, pdfminer's LTFigure) that are small and square and draw shapes (a
    tick may be a glyph too), never text of a value."""
    from pdfminer.layout import LTChar, LTCurve, LTFigure

    found = []
    for obj in layout:
        if not isinstance(obj, LTFigure) or abs(obj.width - obj.height) > 1.5:
            continue
        parts = list(obj)
        shapes = [part for part in parts if isinstance(part, LTCurve)]
        glyphs = [part for part in parts if isinstance(part, LTChar)]
        small = _BOX_SIZES[0] <= obj.width <= _BOX_SIZES[1]
        # An empty one is a box not ticked whose appearance draws nothing (LibreOffice's).
        if small and len(shapes) + len(glyphs) == len(parts) and len(glyphs) <= 1:
            found.append(obj)
    return found


def drawn_states(figures: Sequence[Any]) -> list[str] | None:
    """The states of a group of flattened boxes, told apart by what each draws: the boxes
    that draw the least (the same, and what every other one draws as well) are not ticked,
    the others are. None when no box draws what all others hold (not one box style), or for
    a box alone (nothing to tell its ticked state from)."""
    drawings = [_drawing(figure) for figure in figures]
    least = [d for d in drawings if all(d <= other for other in drawings)]
    if len(figures) < 2 or not least:
        return None
    return ["off" if d == least[0] else "on" for d in drawings]


def _drawing(figure: Any) -> Counter[tuple[object, ...]]:
    """What a box draws: each shape by its size and paint, each glyph by its character."""
    from pdfminer.layout import LTChar

    return Counter(
        ("glyph", part.get_text())
        if isinstance(part, LTChar)
        else ("shape", round(part.width), round(part.height), part.fill, part.stroke)
        for part in figure
    )


def _next_on_line(before: Bbox, after: Bbox, size: float) -> bool:
    """Whether the box `after` follows `before` on its line, with room for a short caption
    between them only."""
    same_line = abs(_middle(before) - _middle(after)) <= size / 2
    return same_line and 0 < after[0] - before[2] <= size * 12


def _caption(
    where: Bbox, boxes: Sequence[Bbox], printed: Sequence[Word], size: float
) -> list[Word]:
    """The printed words right beside a button's box on its line, up to the next box or a
    wide gap: its caption ("1", "Ja", "Bedre end forventet")."""
    _, top, x1, bottom = where
    stop = min((b[0] for b in boxes if b[0] >= x1 and top <= _middle(b) <= bottom), default=1e9)
    line = sorted(
        (w for w in printed if top - 2.0 <= (w.top + w.bottom) / 2 <= bottom + 2.0),
        key=lambda w: w.x0,
    )
    caption: list[Word] = []
    edge = x1
    for word in line:
        if word.x0 < x1 - 1.0 or word.x1 > stop:
            continue
        if word.x0 - edge > size * (1.2 if not caption else 0.8):
            break
        caption.append(word)
        edge = word.x1
    return caption


def _middle(where: Bbox) -> float:
    return (where[1] + where[3]) / 2


def _caption_of(word: Word, where: Bbox, size: float) -> bool:
    """Whether `word` stands right under or over the box `where`, within its width."""
    within = where[0] - 1.0 <= word.x0 and word.x1 <= where[2] + 1.0
    under = -1.0 <= word.top - where[3] <= size * 1.5
    over = -1.0 <= where[1] - word.bottom <= size * 1.5
    return within and (under or over)


def _label_beside(
    where: tuple[float, float, float, float], multiline: bool, printed: Sequence[Word], size: float
) -> Word | None:
    """The nearest printed word left of a widget's box on its first line of text."""
    x0, top, _, bottom = where
    band = (top, top + size * 1.5) if multiline else (top, bottom)
    beside = [
        word
        for word in printed
        if word.x1 <= x0 + 2.0 and band[0] - 2.0 <= (word.top + word.bottom) / 2 <= band[1] + 2.0
    ]
    return max(beside, key=lambda word: word.x1, default=None)


def _field_of(data: dict[str, Any]) -> tuple[str, str, Any, int]:
    """The widget's field: its full name, type, value and flags (inherited from parents)."""
    from pdfminer.pdftypes import resolve1

    names: list[str] = []
    found: dict[str, Any] = {}
    node: Any = data
    for _ in range(_MAX_PARENTS):
        if not isinstance(node, dict):
            break
        for key in ("FT", "V", "Ff"):
            if key not in found and key in node:
                found[key] = resolve1(node[key])
        if "T" in node:
            names.append(_text(resolve1(node["T"])))
        node = resolve1(node.get("Parent"))
    flags = found.get("Ff", 0)
    flags = flags if isinstance(flags, int) else 0
    return ".".join(reversed(names)), _name(found.get("FT")), found.get("V"), flags


def _name(value: Any) -> str:
    from pdfminer.psparser import PSLiteral

    return str(value.name) if isinstance(value, PSLiteral) else ""


def _text(value: Any) -> str:
    """A string, a name or a list of them (a multiple choice) as text."""
    from pdfminer.pdftypes import resolve1
    from pdfminer.utils import decode_text

    value = resolve1(value)
    if isinstance(value, bytes):
        return decode_text(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(_text(item) for item in value)
    return _name(value)
