"""The fast path of the AcroForm reader: the same reading as `acroform`, on pikepdf (qpdf).

pypdf parses every object it is asked for in Python; a MUS agreement's field walk and the
search of its signature boxes for drawn ink took ~8 ms there, ~1.5 ms here. This module reads
exactly what `formflow.read.acroform` reads (each field's `/V`, the same inheritance, the same
limits) and what `formflow.read.signatures.drawn_signatures` finds (the same content walk),
and gives up with `Unusual` wherever the two libraries could disagree: a file qpdf had to
repair, an encrypted or over-long one, a page count qpdf and the file's own tree disagree on,
a value of a type other than text, name or integer, any digital signature field (pyHanko
reads those), a title that must be read from the page, a form without fields that the layout
reader cannot read (the reference tells scanned from not-a-form). The caller then
reads the file the pypdf way, so every unusual file gets exactly the old treatment.

Strings are decoded by pypdf's own `create_string_object` from qpdf's raw bytes, so text comes
out character for character as the pypdf reader gives it (PDFDocEncoding, UTF-16 with BOM).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pikepdf
from pypdf.generic import ByteStringObject, create_string_object

from formflow.config import Settings
from formflow.errors import UnreadableForm
from formflow.model import Evidence, Extraction
from formflow.read import (
    DATA_FIELDS,
    answers,
    contract_key,
    finish,
    first_values,
    identify,
    resolve_definition,
    unreadable,
)
from formflow.read.signatures import (
    _IDENTITY,
    _MAX_OPERATIONS,
    _MAX_XOBJECT_DEPTH,
    MIN_INK_SEGMENTS,
    SIGNATURE_KEY,
    Box,
    Matrix,
    _apply,
    _inside,
    _multiply,
    _overlaps,
    _unit_square,
)

MAX_FIELD_DEPTH = 32  # as in acroform
MAX_FIELDS = 5000
_PUSHBUTTON = 1 << 16


class Unusual(Exception):
    """This file needs the pypdf reader (the reference): nothing about the file is implied."""


def read_pdf_fast(data: bytes, file: str, settings: Settings) -> Extraction:
    """`acroform.read_pdf` for an ordinary filled form; raises `Unusual` for anything else.

    UnreadableForm raised here (not a MUS form) is the same verdict the pypdf path gives,
    since it is reached from the same values.
    """
    if b"%%EOF" not in data[-1024:]:
        raise Unusual("truncated: the reference reports it")
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except Exception as error:  # corrupt, encrypted with a user password: the reference says
        raise Unusual(type(error).__name__) from error
    with pdf:
        return _read(pdf, data, file, settings)


def _read(pdf: pikepdf.Pdf, data: bytes, file: str, settings: Settings) -> Extraction:
    if pdf.is_encrypted or pdf.get_warnings():
        raise Unusual("encrypted or repaired")
    pages = _page_count(pdf)
    if pages > settings.limits.max_pages:
        raise Unusual("too many pages: the reference reports it")
    fields = _fields(pdf)
    values = dict(_field_values(fields))
    if not values:
        return _without_fields(data, file, settings)
    data_fields = {k: values.pop(k) for k in DATA_FIELDS if k in values}
    named = identify(data_fields, _title_texts(), settings)
    definition, identity = resolve_definition(named, values, settings)
    contract = answers(values, definition, named.definition)
    if not contract and not data_fields:
        raise unreadable("not_a_form", "form fields, but none of the MUS contract")
    if _has_signature_fields(fields):
        raise Unusual("digital signature fields: pyHanko reads them")
    try:
        drawn = drawn_signatures(pdf)
    except Unusual:
        raise
    except Exception as error:  # the reference logs and tolerates what it cannot parse
        raise Unusual(type(error).__name__) from error
    return finish(
        file=file,
        reader="acroform",
        identity=identity,
        definition=definition,
        values=contract,
        evidence=Evidence(drawn=drawn, digital=()),
        pages=pages,
    )


def _without_fields(data: bytes, file: str, settings: Settings) -> Extraction:
    """A flattened or printed form, read by its labels.

    The reference first asks pypdf whether the first pages hold any text (~15 ms), only to
    choose between the layout reader and `scanned`; pdfplumber then parses the same pages
    again. Here the layout reader goes first: a form it reads has text. When it cannot read
    the file, the reference decides (scanned, not a form, or the layout reader's own verdict).
    """
    from formflow.read.layout import read_layout

    try:
        return read_layout(data, file, settings)
    except UnreadableForm as error:
        raise Unusual(f"layout: {error.code}") from error


def _page_count(pdf: pikepdf.Pdf) -> int:
    """The page count, when qpdf's page list and the tree's own /Count agree (pypdf trusts
    the /Count; qpdf counts the leaves)."""
    count = len(pdf.pages)
    declared = pdf.Root.get("/Pages")
    declared = declared.get("/Count") if isinstance(declared, pikepdf.Dictionary) else None
    if not isinstance(declared, int) or isinstance(declared, bool) or declared != count:
        raise Unusual("page tree")
    return count


def _title_texts() -> Iterator[str]:
    """A title from the page needs pypdf's text extraction: the reference path."""
    raise Unusual("title from the page text")
    yield ""  # pragma: no cover - makes this a generator, consumed only when needed


# --- fields ---------------------------------------------------------------------------------


def _fields(pdf: pikepdf.Pdf) -> pikepdf.Array | None:
    form = pdf.Root.get("/AcroForm")
    if form is None:
        return None
    if not isinstance(form, pikepdf.Dictionary):
        raise Unusual("/AcroForm")
    fields = form.get("/Fields")
    return fields if isinstance(fields, pikepdf.Array) else None


def _field_values(fields: pikepdf.Array | None) -> Iterator[tuple[str, str]]:
    if fields is None:
        return
    yield from first_values(_walk(fields, "", {}, 0, set()))


def _walk(
    kids: pikepdf.Array,
    parent: str,
    inherited: dict[str, Any],
    depth: int,
    visited: set[int],
) -> Iterator[tuple[str, str]]:
    if depth > MAX_FIELD_DEPTH:
        return
    for field in kids:
        if field.is_indirect:
            number = field.objgen[0]
            if number in visited or len(visited) > MAX_FIELDS:
                continue
            visited.add(number)
        if isinstance(field, pikepdf.Stream):
            raise Unusual("a field that is a stream")
        if not isinstance(field, pikepdf.Dictionary):
            continue
        title = field.get("/T")
        part = "" if title is None else _string(title)
        name = f"{parent}.{part}" if parent and part else part or parent
        here = {k: field[k] for k in ("/FT", "/Ff", "/V", "/Opt") if k in field}
        attributes = {**inherited, **here}
        children = field.get("/Kids")
        if isinstance(children, pikepdf.Array) and any(_is_field(c) for c in children):
            yield from _walk(children, name, attributes, depth + 1, visited)
            continue
        value = _value(attributes)
        if name and value is not None:
            yield name, value


def _is_field(kid: Any) -> bool:
    if isinstance(kid, pikepdf.Stream):
        raise Unusual("a kid that is a stream")
    return isinstance(kid, pikepdf.Dictionary) and "/T" in kid


def _value(attributes: dict[str, Any]) -> str | None:
    kind = attributes.get("/FT")
    if kind is not None and not isinstance(kind, pikepdf.Name):
        raise Unusual("/FT not a name")
    kind = str(kind) if kind is not None else None
    value = attributes.get("/V")
    if kind == "/Tx":
        return _text(value)
    if kind == "/Ch":
        if isinstance(value, pikepdf.Array):
            return "\n".join(_text(v) for v in value)
        return _text(value)
    if kind == "/Btn":
        flags = attributes.get("/Ff", 0)
        if not isinstance(flags, int) or isinstance(flags, bool):
            raise Unusual("/Ff not an integer")
        if flags & _PUSHBUTTON:
            return None
        if not isinstance(value, pikepdf.Name) or _name(value) == "/Off":
            return ""
        state = _name(value)[1:]
        options = attributes.get("/Opt")
        if isinstance(options, pikepdf.Array) and state.isdigit() and int(state) < len(options):
            return _text(options[int(state)])
        return state
    return None


def _text(value: Any) -> str:
    """As `acroform._text` gives it for the same object under pypdf."""
    if value is None:
        return ""
    if isinstance(value, pikepdf.String):
        return _string(value)
    if isinstance(value, pikepdf.Name):
        return _name(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise Unusual(f"a value of type {type(value).__name__}")


def _string(value: Any) -> str:
    if not isinstance(value, pikepdf.String):
        raise Unusual("a name that is not a string")
    raw = bytes(value)
    if raw.isascii():
        text = raw.decode("ascii")
        if text.isprintable():  # PDFDocEncoding is ASCII here: pypdf decodes it the same
            return text
    decoded = create_string_object(raw)
    if isinstance(decoded, ByteStringObject):
        return bytes(decoded).decode("utf-8", "replace")
    return str(decoded)


def _name(value: pikepdf.Name) -> str:
    text = str(value)
    # pypdf and qpdf agree on plain names; escapes and non-ASCII bytes are theirs to decode
    if "#" in text or not text.isascii() or not text.isprintable():
        raise Unusual("an escaped name")
    return text


def _has_signature_fields(fields: pikepdf.Array | None) -> bool:
    """Any /Sig field at all, signed or not (bounded as the walk is)."""
    if fields is None:
        return False
    stack: list[tuple[Any, int]] = [(f, 0) for f in fields]
    seen: set[int] = set()
    while stack:
        field, depth = stack.pop()
        if field.is_indirect:
            if field.objgen[0] in seen or len(seen) > MAX_FIELDS:
                continue
            seen.add(field.objgen[0])
        if not isinstance(field, pikepdf.Dictionary) or depth > MAX_FIELD_DEPTH:
            continue
        if _named(field.get("/FT")) == "/Sig":
            return True
        value = field.get("/V")
        if isinstance(value, pikepdf.Dictionary):  # a signature value under another type
            return True
        kids = field.get("/Kids")
        if isinstance(kids, pikepdf.Array):
            stack.extend((kid, depth + 1) for kid in kids)
    return False


# --- drawn signatures (as signatures.drawn_signatures) --------------------------------------


def drawn_signatures(pdf: pikepdf.Pdf) -> tuple[str, ...]:
    drawn: set[str] = set()
    for page in pdf.pages:
        obj = page.obj
        boxes = list(_signature_boxes(obj))
        if not boxes:
            continue
        annotations = list(_mark_annotations(obj))
        marks: tuple[list[Box], list[tuple[float, float]]] | None = None
        for key, box in boxes:
            if key in drawn:
                continue
            if any(_overlaps(mark, box) for mark in annotations):
                drawn.add(key)
                continue
            if marks is None:
                marks = _page_marks(page)
            images, segments = marks
            inside = sum(1 for x, y in segments if _inside((x, y), box))
            if inside >= MIN_INK_SEGMENTS or any(_overlaps(image, box) for image in images):
                drawn.add(key)
    return tuple(sorted(drawn))


def _annotations(page: pikepdf.Dictionary) -> Iterator[pikepdf.Dictionary]:
    annotations = page.get("/Annots")
    if not isinstance(annotations, pikepdf.Array):
        return
    for annotation in annotations:
        if isinstance(annotation, pikepdf.Stream):
            raise Unusual("an annotation that is a stream")
        if isinstance(annotation, pikepdf.Dictionary):
            yield annotation


def _signature_boxes(page: pikepdf.Dictionary) -> Iterator[tuple[str, Box]]:
    for annotation in _annotations(page):
        if _named(annotation.get("/Subtype")) != "/Widget":
            continue
        name = _field_name(annotation)
        if SIGNATURE_KEY.match(name):
            box = _rect(annotation.get("/Rect"))
            if box is not None:
                yield name, box


def _field_name(widget: pikepdf.Dictionary) -> str:
    node: Any = widget
    for _ in range(8):
        if "/T" in node:
            return contract_key(_string(node["/T"]))
        parent = node.get("/Parent")
        if parent is None:
            return ""
        if not isinstance(parent, pikepdf.Dictionary):
            raise Unusual("a /Parent that is no dictionary")
        node = parent
    return ""


def _mark_annotations(page: pikepdf.Dictionary) -> Iterator[Box]:
    for annotation in _annotations(page):
        if _named(annotation.get("/Subtype")) in ("/Ink", "/Stamp"):
            box = _rect(annotation.get("/Rect"))
            if box is not None:
                yield box


def _rect(value: Any) -> Box | None:
    if not isinstance(value, pikepdf.Array) or len(value) != 4:
        return None
    numbers = [_number(v) for v in value]
    if any(n is None for n in numbers):
        return None
    x0, y0, x1, y1 = (float(n) for n in numbers if n is not None)
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _number(value: Any) -> float | None:
    """A number as pypdf's float() takes it; None where pypdf's float() fails (a name, an
    array, null); a string (which pypdf would parse as a number) needs the reference."""
    if isinstance(value, (bool, pikepdf.String)):
        raise Unusual("a boolean or string where a number belongs")
    if isinstance(value, int | Decimal):
        return float(value)
    if value is None or isinstance(value, pikepdf.Object):
        return None
    raise Unusual(f"a {type(value).__name__} where a number belongs")


def _named(value: Any) -> str | None:
    """A name's text for comparing (pypdf compares a string with the same text as equal)."""
    if isinstance(value, pikepdf.String):
        raise Unusual("a string where a name belongs")
    return str(value) if isinstance(value, pikepdf.Name) else None


def _page_marks(page: pikepdf.Page) -> tuple[list[Box], list[tuple[float, float]]]:
    images: list[Box] = []
    segments: list[tuple[float, float]] = []
    if "/Contents" not in page.obj:
        return images, segments
    budget = [_MAX_OPERATIONS]
    _walk_content(page, page.obj.get("/Resources"), _IDENTITY, images, segments, 0, budget)
    return images, segments


def _walk_content(
    source: Any,
    resources: Any,
    ctm: Matrix,
    images: list[Box],
    segments: list[tuple[float, float]],
    depth: int,
    budget: list[int],
) -> None:
    xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
    stack: list[Matrix] = []
    for instruction in pikepdf.parse_content_stream(source):
        budget[0] -= 1
        if budget[0] < 0:
            return
        operator = str(instruction.operator)
        if operator == "INLINE IMAGE":
            images.append(_unit_square(ctm))
            continue
        operands = instruction.operands
        if operator == "q":
            stack.append(ctm)
        elif operator == "Q":
            ctm = stack.pop() if stack else ctm
        elif operator == "cm" and len(operands) == 6:
            ctm = _multiply(_matrix(operands), ctm)
        elif operator == "l" and len(operands) == 2:
            segments.append(_apply(ctm, _float(operands[0]), _float(operands[1])))
        elif operator in ("c", "v", "y") and len(operands) >= 4:
            segments.append(_apply(ctm, _float(operands[-2]), _float(operands[-1])))
        elif operator == "Do" and operands and isinstance(xobjects, pikepdf.Dictionary):
            name = operands[0]
            if not isinstance(name, pikepdf.Name):
                raise Unusual("Do without a name")
            xobject = xobjects.get(name)
            if not isinstance(xobject, pikepdf.Stream):
                continue
            subtype = _named(xobject.get("/Subtype"))
            if subtype == "/Image":
                images.append(_unit_square(ctm))
            elif subtype == "/Form" and depth < _MAX_XOBJECT_DEPTH:
                matrix = _matrix(xobject.get("/Matrix", _IDENTITY))
                _walk_content(
                    xobject,
                    xobject.get("/Resources", resources),
                    _multiply(matrix, ctm),
                    images,
                    segments,
                    depth + 1,
                    budget,
                )


def _float(value: Any) -> float:
    number = _number(value)
    if number is None:
        raise Unusual("a path operand that is no number")
    return number


def _matrix(values: Any) -> Matrix:
    numbers = [_float(v) for v in values]
    if len(numbers) != 6:
        raise Unusual("a matrix without six numbers")
    a, b, c, d, e, f = numbers
    return (a, b, c, d, e, f)
