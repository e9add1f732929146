"""The fast path of the AcroForm reader: the same reading as `acroform`, on pikepdf (qpdf).

pypdf parses every object it is asked for in Python; a MUS agreement's field walk and the
search of its signature boxes for drawn ink took ~8 ms there. Here each pikepdf call crosses
pybind11, so the calls are what is counted: one walk over the field tree gives the values,
the signature-field check and each field's name by object (for the pages' widgets), and a
page's content is parsed for the drawing operators only. This module reads
exactly what `formflow.read.acroform` reads (each field's `/V`, the same inheritance, the same
limits) and what `formflow.read.signatures.drawn_signatures` finds (the same content walk),
and gives up with `Unusual` wherever the two libraries could disagree: a file qpdf had to
repair, an encrypted or over-long one, a page count qpdf and the file's own tree disagree on,
a value of a type other than text, name or integer, any digital signature field (pyHanko
reads those), a title that must be read from the page, a form without fields that the layout
reader cannot read (the reference tells scanned from not-a-form). The caller then
reads the file the pypdf way, so every unusual file gets exactly the old treatment.

Strings are decoded by pypdf's own `create_string_object` from qpdf's raw bytes, so text comes
out character for character as the pypdf reader gives it (PDFDocEncoding, UTF-16 with BOM);
only plain ASCII and UTF-16 with a BOM, which pypdf decodes with nothing but the codec, are
decoded here directly. qpdf parses the file from an anonymous memory mapping of the bytes
(`_memory_file`), not through Python calls.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, BinaryIO

import pikepdf
from pypdf.generic import ByteStringObject, create_string_object

from formflow.config import Settings
from formflow.errors import UnreadableForm
from formflow.forms.learned import learned_by_fields
from formflow.model import Evidence, Extraction
from formflow.read import (
    DATA_FIELDS,
    answers,
    contract_key,
    finish,
    first_values,
    identify,
    own_fields,
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

if TYPE_CHECKING:  # the layout reader and its words: only for an organisation's own fields
    from formflow.read.layout import WidgetSource
    from formflow.read.widgets import Widget

MAX_FIELD_DEPTH = 32  # as in acroform
MAX_FIELDS = 5000
_PUSHBUTTON = 1 << 16
_INHERITABLE = ("/FT", "/Ff", "/V", "/Opt")
_UTF16_BOMS = (codecs.BOM_UTF16_BE, codecs.BOM_UTF16_LE)


class Unusual(Exception):
    """This file needs the pypdf reader (the reference): nothing about the file is implied."""


def read_pdf_fast(data: bytes, file: str, settings: Settings) -> Extraction:
    """`acroform.read_pdf` for an ordinary filled form; raises `Unusual` for anything else.

    UnreadableForm raised here (not a MUS form) is the same verdict the pypdf path gives,
    since it is reached from the same values.
    """
    if b"%%EOF" not in data[-1024:]:
        raise Unusual("truncated: the reference reports it")
    with _memory_file(data) as source:
        try:
            pdf = pikepdf.open(source, access_mode=pikepdf.AccessMode.mmap)
        except Exception as error:  # corrupt, encrypted with a user password: the reference
            raise Unusual(type(error).__name__) from error
        with pdf:
            return _read(pdf, data, file, settings)


def _memory_file(data: bytes) -> BinaryIO:
    """`data` as a file qpdf can map: an anonymous in-memory file (Linux's memfd), else a
    BytesIO.

    The bytes never touch a file system either way. What differs is how qpdf reads them:
    from a mapping it parses in C++, while through a BytesIO every read and seek is a call
    back into Python (resolving a form's ~60 field objects took 1.2 ms that way, 0.5 ms
    mapped). pikepdf falls back to reading the stream itself where mapping fails.
    """
    create = getattr(os, "memfd_create", None)
    if create is None or not data:
        return io.BytesIO(data)
    try:
        fd = create("formflow-pdf", os.MFD_CLOEXEC)
    except OSError:  # out of descriptors, or a kernel without memfd: read it as a stream
        return io.BytesIO(data)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.lseek(fd, 0, os.SEEK_SET)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _read(pdf: pikepdf.Pdf, data: bytes, file: str, settings: Settings) -> Extraction:
    if pdf.is_encrypted or pdf.get_warnings():
        raise Unusual("encrypted or repaired")
    pages = _page_count(pdf)
    if pages > settings.limits.max_pages:
        raise Unusual("too many pages: the reference reports it")
    tree = _field_tree(_fields(pdf))
    values = dict(first_values(tree.values))
    if not values:
        return _without_fields(data, file, settings)
    if learned_by_fields(values, settings) is not None:
        raise Unusual("a learned form's own field names: the reference reads them")
    data_fields = {k: values.pop(k) for k in DATA_FIELDS if k in values}
    if not own_fields(values, data_fields, settings):
        boxes = page_widgets(pdf)
        return _without_fields(data, file, settings, lambda number, _: boxes.get(number, ()))
    named = identify(data_fields, _title_texts(), settings)
    definition, edition = resolve_definition(named, values, settings)
    contract = answers(values, definition, named.definition)
    if not contract and not data_fields:
        raise unreadable("not_a_form", "form fields, but none of the MUS contract")
    if tree.signature_fields:
        raise Unusual("digital signature fields: pyHanko reads them")
    try:
        drawn = drawn_signatures(pdf, tree.titles)
    except Unusual:
        raise
    except Exception as error:  # the reference logs and tolerates what it cannot parse
        raise Unusual(type(error).__name__) from error
    return finish(
        file=file,
        reader="acroform",
        edition=edition,
        definition=definition,
        values=contract,
        evidence=Evidence(drawn=drawn, digital=()),
        pages=pages,
    )


def _without_fields(
    data: bytes, file: str, settings: Settings, widgets: WidgetSource | None = None
) -> Extraction:
    """A flattened or printed form, read by its labels (with `widgets`: an organisation's own
    fillable form, its fields' values read in their boxes).

    The reference first asks pypdf whether the first pages hold any text (~15 ms), only to
    choose between the layout reader and `scanned`; pdfplumber then parses the same pages
    again. Here the layout reader goes first: a form it reads has text. When it cannot read
    the file, the reference decides (scanned, not a form, or the layout reader's own verdict).
    """
    from formflow.read.layout import read_layout

    try:
        return read_layout(data, file, settings, widgets=widgets)
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


@dataclass
class _FieldTree:
    """What one walk over the field tree finds: the values as `acroform._walk` yields them,
    whether the reference would meet a digital signature there, and each titled field's
    contract key by object (a page's widgets are mostly these same objects)."""

    values: list[tuple[str, str]] = field(default_factory=list)
    # a /Sig field or a dictionary /V anywhere (or a /FT that is a string: pypdf compares a
    # string with a name's text, the reference must decide)
    signature_fields: bool = False
    titles: dict[tuple[int, int], str] = field(default_factory=dict)
    visited: set[tuple[int, int]] = field(default_factory=set)


def _field_tree(fields: pikepdf.Array | None) -> _FieldTree:
    """One walk for the values, the signature fields and the titles (each pikepdf call crosses
    pybind11, so every field's keys are read once and only present keys are fetched).

    The reference's walk skips an object met twice or past MAX_FIELDS objects, and stops at
    MAX_FIELD_DEPTH, each in its own order; a tree that comes near any of these is declined,
    so within them every walk order sees the same objects.
    """
    tree = _FieldTree()
    if fields is not None:
        _walk(tree, _entries(tree, fields, 0), "", {}, 0)
    return tree


_Entry = tuple[pikepdf.Dictionary, set[str], tuple[int, int]]


def _entries(tree: _FieldTree, kids: pikepdf.Array, depth: int) -> list[_Entry]:
    """The dictionaries among `kids` with their keys, each object counted once."""
    if depth > MAX_FIELD_DEPTH and len(kids):
        raise Unusual("a field tree deeper than MAX_FIELD_DEPTH: the reference bounds it")
    entries = []
    for kid in kids:
        objgen = kid.objgen  # (0, 0) for a direct object
        if objgen != (0, 0):
            if objgen in tree.visited or len(tree.visited) > MAX_FIELDS:
                raise Unusual("a field met twice, or too many: the reference bounds the walk")
            tree.visited.add(objgen)
        if isinstance(kid, pikepdf.Stream):
            raise Unusual("a field that is a stream")
        if isinstance(kid, pikepdf.Dictionary):
            entries.append((kid, kid.keys(), objgen))
    return entries


def _walk(
    tree: _FieldTree,
    entries: list[_Entry],
    parent: str,
    inherited: dict[str, Any],
    depth: int,
) -> None:
    for node, keys, objgen in entries:
        part = _string(node["/T"]) if "/T" in keys else ""
        if part and objgen != (0, 0):
            tree.titles[objgen] = contract_key(part)
        name = f"{parent}.{part}" if parent and part else part or parent
        # /FT, /Ff, /V and /Opt are inheritable: a kid without them takes its parent's
        here = {k: node[k] for k in _INHERITABLE if k in keys}
        _note_signature(tree, here)
        attributes = {**inherited, **here} if inherited else here
        kids = _kids(tree, node, keys, depth)
        if kids and any("/T" in kid_keys for _, kid_keys, _ in kids):
            _walk(tree, kids, name, attributes, depth + 1)
            continue
        _widgets(tree, kids, depth + 1)  # no field among them: widgets of this field
        value = _value(attributes)
        if name and value is not None:
            tree.values.append((name, value))


def _widgets(tree: _FieldTree, entries: list[_Entry], depth: int) -> None:
    """Kids that are no fields (widgets): the reference's signature check still sees them."""
    for node, keys, _ in entries:
        _note_signature(tree, {k: node[k] for k in ("/FT", "/V") if k in keys})
        _widgets(tree, _kids(tree, node, keys, depth), depth + 1)


def _kids(tree: _FieldTree, node: pikepdf.Dictionary, keys: set[str], depth: int) -> list[_Entry]:
    if "/Kids" not in keys:
        return []
    kids = node["/Kids"]
    return _entries(tree, kids, depth + 1) if isinstance(kids, pikepdf.Array) else []


def _note_signature(tree: _FieldTree, here: dict[str, Any]) -> None:
    """The reference's signature check on one object: its own /FT and /V (not inherited)."""
    kind = here.get("/FT")
    tree.signature_fields = tree.signature_fields or (
        isinstance(kind, pikepdf.String)
        or (isinstance(kind, pikepdf.Name) and str(kind) == "/Sig")
        or isinstance(here.get("/V"), pikepdf.Dictionary)  # a signature value, another /FT
    )


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
        if value is not None and not isinstance(value, pikepdf.Name):
            raise Unusual("a button's /V not a name: the reference reads its widgets' states")
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
    elif raw[:2] in _UTF16_BOMS:
        # pypdf decodes text with a byte order mark as UTF-16 and nothing else (pdftk writes
        # every non-ASCII value so); its text object then spends ~8 us per value on a flag
        # we do not read. Bytes that are no UTF-16 go pypdf's way below (tested to agree).
        with contextlib.suppress(UnicodeDecodeError):
            return raw.decode("utf-16")
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


# --- an organisation's own fields (as widgets.page_widgets) --------------------------------------


def page_widgets(pdf: pikepdf.Pdf) -> dict[int, list[Widget]]:
    """Each page's text and choice field boxes holding a value, by page number: what
    `widgets.page_widgets` finds there through pdfminer, read from qpdf's parse (pdfminer
    parses each annotation object in Python, a quarter of the reading of such a form)."""
    from formflow.read.widgets import Widget

    found: dict[int, list[Widget]] = {}
    for number, page in enumerate(pdf.pages):
        for annotation in _annotations(page.obj):
            if annotation.get("/Subtype") != pikepdf.Name.Widget:
                continue
            field, kind, value, flags = _field_of(annotation)
            rect, shown = _rect(annotation.get("/Rect")), annotation.get("/F")
            appearance = annotation.get("/AS")
            state = str(appearance)[1:] if isinstance(appearance, pikepdf.Name) else ""
            widget = Widget.of(field, kind, value, flags, rect, shown, state)
            if widget is not None:
                found.setdefault(number, []).append(widget)
    return found


def _field_of(annotation: pikepdf.Dictionary) -> tuple[str, str, str, int]:
    """The widget's field: its full name, type, value and flags (inherited from parents)."""
    names: list[str] = []
    found: dict[str, Any] = {}
    node: Any = annotation
    for _ in range(MAX_FIELD_DEPTH):
        if not isinstance(node, pikepdf.Dictionary):
            break
        for key in ("/FT", "/V", "/Ff"):
            if key not in found and key in node:
                found[key] = node[key]
        if "/T" in node:
            names.append(_string(node["/T"]))
        node = node.get("/Parent")
    kind = found.get("/FT")
    flags = found.get("/Ff", 0)
    value = found.get("/V")
    if isinstance(value, pikepdf.Array):  # a multiple choice
        text = "\n".join(map(_text, value))
    else:  # a name is no text a person typed: as pdfminer gives it, without its slash
        text = _name(value)[1:] if isinstance(value, pikepdf.Name) else _text(value)
    return (
        ".".join(reversed(names)),
        str(kind)[1:] if isinstance(kind, pikepdf.Name) else "",
        text,
        int(flags) if isinstance(flags, int) else 0,
    )


# --- drawn signatures (as signatures.drawn_signatures) --------------------------------------


def drawn_signatures(
    pdf: pikepdf.Pdf, titles: dict[tuple[int, int], str] | None = None
) -> tuple[str, ...]:
    """As `signatures.drawn_signatures`: every page's /Annots decides which signature boxes
    it holds (a widget's /P is optional and a widget need not be in /Fields, so the field
    tree alone cannot say). `titles` (object -> contract key, from the field walk) spares
    the name lookup for widgets that are titled fields themselves."""
    drawn: set[str] = set()
    titles = titles or {}
    for page in pdf.pages:
        obj = page.obj
        annotations = list(_annotations(obj))
        boxes = list(_signature_boxes(annotations, titles))
        if not boxes:
            continue
        marked = list(_mark_annotations(annotations))
        marks: tuple[list[Box], list[tuple[float, float]]] | None = None
        for key, box in boxes:
            if key in drawn:
                continue
            if any(_overlaps(mark, box) for mark in marked):
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
    if "/Annots" not in page:
        return
    annotations = page["/Annots"]
    if not isinstance(annotations, pikepdf.Array):
        return
    for annotation in annotations:
        if isinstance(annotation, pikepdf.Stream):
            raise Unusual("an annotation that is a stream")
        if isinstance(annotation, pikepdf.Dictionary):
            yield annotation


def _signature_boxes(
    annotations: list[pikepdf.Dictionary], titles: dict[tuple[int, int], str]
) -> Iterator[tuple[str, Box]]:
    for annotation in annotations:
        name = titles.get(annotation.objgen)
        if name is not None:
            # a titled field: its name first, as only a signature key's widget is a box
            # (whatever its /Subtype, any other annotation is none)
            if not SIGNATURE_KEY.match(name) or _named(annotation.get("/Subtype")) != "/Widget":
                continue
        elif _named(annotation.get("/Subtype")) == "/Widget":
            name = _field_name(annotation)
            if not SIGNATURE_KEY.match(name):
                continue
        else:
            continue
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


def _mark_annotations(annotations: list[pikepdf.Dictionary]) -> Iterator[Box]:
    for annotation in annotations:
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


# The operators the content walk acts on: qpdf drops the others (text, colours, `re`, `m`)
# before they become Python objects. Inline images are not among them: pikepdf's filter
# cannot keep them whole (its "INLINE IMAGE" is no operator there), see `_most_operations`.
_DRAWING = "q Q cm l c v y Do"


_UNBOUNDED = _MAX_OPERATIONS + 1
_PLAIN_NUMBERS = frozenset({int, Decimal})  # exact types: a bool is an int, and refused


@dataclass
class _Content:
    """One page's content walk: what it collects, and its bound on hostile content."""

    operators: str  # "" for every operation
    images: list[Box] = field(default_factory=list)
    segments: list[tuple[float, float]] = field(default_factory=list)
    budget: int = _MAX_OPERATIONS  # the reference's: every operation counts, not only ours
    most: int = 0  # how many operations the streams walked could hold at most


def _page_marks(page: pikepdf.Page) -> tuple[list[Box], list[tuple[float, float]]]:
    """Images and path points on the page, as `signatures._page_marks` finds them.

    The walk first asks qpdf for the drawing operators only. That cannot change what is
    found unless the budget (which counts every operation) ran out, or a stream holds an
    inline image; an operation takes at least two bytes, so when the streams walked hold too
    few bytes for the budget and no "BI", neither happened. Otherwise the page is walked
    again with every operation, as the reference walks it.
    """
    if "/Contents" not in page.obj:
        return [], []
    resources = page.obj.get("/Resources")
    content = _Content(_DRAWING)
    content.most = _most_operations(page.obj["/Contents"])
    _walk_content(content, page, resources, _IDENTITY, 0)
    if content.most > _MAX_OPERATIONS:  # rare: long or hostile content
        content = _Content("")
        _walk_content(content, page, resources, _IDENTITY, 0)
    return content.images, content.segments


def _most_operations(contents: Any) -> int:
    """An upper bound on the operations in a content stream (or a page's array of them);
    more than the budget where the operator filter could lose something (inline images)."""
    streams = contents if isinstance(contents, pikepdf.Array) else [contents]
    most = 0
    for stream in streams:
        if not isinstance(stream, pikepdf.Stream):
            return _UNBOUNDED  # not for the filter to find out
        data = stream.read_bytes()
        if b"BI" in data:  # perhaps an inline image
            return _UNBOUNDED
        most += (len(data) + 2) // 2 + 1  # + the separator qpdf puts between streams
    return most


def _walk_content(content: _Content, source: Any, resources: Any, ctm: Matrix, depth: int) -> None:
    xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
    stack: list[Matrix] = []
    segments = content.segments
    for instruction in pikepdf.parse_content_stream(source, content.operators):
        content.budget -= 1
        if content.budget < 0:
            return
        operator = str(instruction.operator)
        # q and Q, two thirds of a form's drawing operations, take no operands: fetching
        # them (a pikepdf call and a list each) is left to the others
        if operator == "q":
            stack.append(ctm)
            continue
        if operator == "Q":
            ctm = stack.pop() if stack else ctm
            continue
        if operator == "INLINE IMAGE":
            content.images.append(_unit_square(ctm))
            continue
        operands = instruction.operands
        if operator == "cm" and len(operands) == 6:
            ctm = _multiply(_matrix(operands), ctm)
        elif operator == "l" and len(operands) == 2:
            segments.append(_apply(ctm, _float(operands[0]), _float(operands[1])))
        elif operator in ("c", "v", "y") and len(operands) >= 4:
            segments.append(_apply(ctm, _float(operands[-2]), _float(operands[-1])))
        elif operator == "Do" and operands and isinstance(xobjects, pikepdf.Dictionary):
            _draw(content, xobjects, operands[0], resources, ctm, depth)


def _draw(
    content: _Content,
    xobjects: pikepdf.Dictionary,
    name: Any,
    resources: Any,
    ctm: Matrix,
    depth: int,
) -> None:
    """`name Do`: an image is a mark; a form is walked in its own matrix."""
    if not isinstance(name, pikepdf.Name):
        raise Unusual("Do without a name")
    xobject = xobjects.get(name)
    if not isinstance(xobject, pikepdf.Stream):
        return
    subtype = _named(xobject.get("/Subtype"))
    if subtype == "/Image":
        content.images.append(_unit_square(ctm))
    elif subtype == "/Form" and depth < _MAX_XOBJECT_DEPTH:
        matrix = _matrix(xobject.get("/Matrix", _IDENTITY))
        content.most += _most_operations(xobject)
        _walk_content(
            content,
            xobject,
            xobject.get("/Resources", resources),
            _multiply(matrix, ctm),
            depth + 1,
        )


def _float(value: Any) -> float:
    if type(value) in _PLAIN_NUMBERS:  # nearly every operand: what `_number` does, sooner
        return float(value)
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
