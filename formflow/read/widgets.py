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
top. Check boxes, radio buttons, push buttons and signature fields hold no answer here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from formflow.read.layout import Word

FIELD_FONT = "formflow-field"  # no "bold" in it: a value is never a heading
_MULTILINE = 1 << 12  # /Ff bit 13
_MAX_PARENTS = 32  # a field's ancestors; real forms use 1-3 levels
_UNSEEN = 2 | 32  # annotation /F: Hidden, NoView (a value never shown is no answer)


@dataclass(frozen=True)
class Widget:
    """One box of a field on a page: the field's full name, its value, its /Rect (in the
    page's own coordinates) and whether it holds several lines."""

    field: str
    value: str
    rect: tuple[float, float, float, float]
    multiline: bool

    @classmethod
    def of(
        cls, field: str, kind: str, value: str, flags: int, rect: Any, shown: Any
    ) -> Widget | None:
        """The widget of a text or choice field holding a value, shown on the page (`shown`:
        the annotation's /F flags; None for any other widget)."""
        text = value.replace("\r\n", "\n").replace("\r", "\n")
        hidden = isinstance(shown, int) and shown & _UNSEEN
        if kind not in ("Tx", "Ch") or not text.strip() or rect is None or hidden:
            return None
        if rect[0] == rect[2] or rect[1] == rect[3]:
            return None  # a box of no size shows nothing
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
        widget = Widget.of(field, kind, _text(value), flags, rect, shown)
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
    for widget in widgets:
        lines = [line.strip() for line in widget.value.split("\n") if line.strip()]
        x0, top, x1, bottom = box(page, widget.rect)
        label = _label_beside((x0, top, x1, bottom), widget.multiline, printed, size)
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
