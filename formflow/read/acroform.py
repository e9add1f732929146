"""The AcroForm reader: a PDF's form fields -> contract values (pypdf).

Field values are read from each field's `/V`, never from its appearance: fillers differ in
whether they draw appearances (pdftk with `need_appearances`, pypdf without regeneration,
browsers), but all of them set `/V`. Field names may be nested (`form.page1.employee_name`) or
carry XFA-style indexes (`employee_name[0]`): the contract key is the last component.

A PDF whose fields are none of formflow's (an organisation's own fillable form) is read by
the labels beside its fields (`formflow.read.widgets`). A PDF without form fields is a
flattened or printed copy: it goes to the layout reader
(`formflow.read.layout.read_layout(data, file, settings)`) when it has text, and is reported
as scanned when it has only images.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pypdf import PasswordType, PdfReader
from pypdf.errors import PdfReadError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, StreamObject

from formflow.config import Settings
from formflow.model import Extraction
from formflow.read import (
    DATA_FIELDS,
    answers,
    finish,
    first_values,
    identify,
    own_fields,
    resolve_definition,
    unreadable,
)
from formflow.read.signatures import pdf_evidence

if TYPE_CHECKING:
    from formflow.forms.learned import LearnedMap

MAX_FIELD_DEPTH = 32  # nesting of field kids; real forms use 1-3 levels
MAX_FIELDS = 5000  # a MUS form has a few hundred fields
_PUSHBUTTON = 1 << 16  # /Ff bit 17: a push button holds no value
_TEXT_PAGES = 3  # pages looked at for a title or for any text at all


def read_pdf(data: bytes, file: str, settings: Settings) -> Extraction:
    """Read a PDF form from its bytes (`file` is only the name reported back).

    An ordinary filled form is read by the pikepdf fast path (`formflow.read.pdf_fast`, the
    same reading, several times faster); anything it is not sure of is read here with pypdf.
    Two readers are kept because the fast path more than halves a whole durable ingest of a
    filled agreement (issue 12: median of 50, 9.3 ms with it, 24.9 ms with pypdf alone).
    """
    from formflow.read.pdf_fast import Unusual, read_pdf_fast

    try:
        return read_pdf_fast(data, file, settings)
    except Unusual:
        return read_pdf_pypdf(data, file, settings)


def read_pdf_pypdf(data: bytes, file: str, settings: Settings) -> Extraction:
    """The reference reading with pypdf (and pyHanko for digital signatures)."""
    reader = open_pdf(data, settings)
    pages = len(reader.pages)
    values = dict(_field_values(reader))
    if not values:
        return _without_fields(reader, data, file, settings)
    from formflow.forms.learned import learned_by_fields

    learned = learned_by_fields(values, settings)
    if learned is not None:  # an organisation's own fillable form, learned: its map
        return _read_learned(reader, data, file, settings, learned, values)
    data_fields = {k: values.pop(k) for k in DATA_FIELDS if k in values}
    if not own_fields(values, data_fields, settings):
        from formflow.read.layout import read_layout
        from formflow.read.widgets import page_widgets

        return read_layout(data, file, settings, widgets=lambda _, page: page_widgets(page))
    named = identify(data_fields, _title_texts(reader), settings)
    definition, edition = resolve_definition(named, values, settings)
    contract = answers(values, definition, named.definition)
    if not contract and not data_fields:
        raise unreadable("not_a_form", "form fields, but none of the MUS contract")
    return finish(
        file=file,
        reader="acroform",
        edition=edition,
        definition=definition,
        values=contract,
        evidence=pdf_evidence(reader, data, settings),
        pages=pages,
    )


def _read_learned(
    reader: PdfReader,
    data: bytes,
    file: str,
    settings: Settings,
    learned: LearnedMap,
    fields: dict[str, str],
) -> Extraction:
    """An organisation's own fillable form learned by `formflow forms learn`, its fields
    under their own names: read by the learned map; the year is the meeting date's."""
    from formflow.forms.learned import learned_values, meeting_year
    from formflow.forms.library import load_definition
    from formflow.read import FormEdition

    values = learned_values(learned, fields)
    definition = load_definition(learned.name, settings)
    places = frozenset(key for key, _place in learned.fields)
    edition = FormEdition(definition.kind, meeting_year(values), definition.name, places)
    return finish(
        file=file,
        reader="acroform",
        edition=edition,
        definition=definition,
        values=values,
        evidence=pdf_evidence(reader, data, settings),
        pages=len(reader.pages),
    )


def open_pdf(data: bytes, settings: Settings) -> PdfReader:
    """A PdfReader on `data`, decrypted if only a permissions password is set; page count checked.

    Raises `truncated`, `corrupt`, `encrypted` or `too_many_pages`.
    """
    # A PDF ends with %%EOF (readers allow a little junk after it); a file cut off on its way
    # lost its end, and with it possibly the last revision and a signature.
    if b"%%EOF" not in data[-1024:]:
        raise unreadable("truncated", "no %%EOF marker at the end")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
    except PdfReadError as error:
        raise unreadable("corrupt", f"pypdf: {str(error)[:200]}") from error
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")
        except (PdfReadError, NotImplementedError) as error:
            raise unreadable("encrypted", f"cannot decrypt: {str(error)[:200]}") from error
        if opened == PasswordType.NOT_DECRYPTED:
            raise unreadable("encrypted", "a user password is set")
    pages = len(reader.pages)
    if pages > settings.limits.max_pages:
        raise unreadable("too_many_pages", f"{pages} pages > limits.max_pages")
    return reader


def _field_values(reader: PdfReader) -> Iterator[tuple[str, str]]:
    """(contract key, value) for each terminal field with a value-bearing type."""
    form = reader.root_object.get("/AcroForm")
    form = form.get_object() if form is not None else None
    fields = form.get("/Fields") if isinstance(form, DictionaryObject) else None
    if not isinstance(fields, ArrayObject):
        return
    yield from first_values(_walk(fields, "", {}, 0, set()))


def _walk(
    kids: ArrayObject,
    parent: str,
    inherited: dict[str, Any],
    depth: int,
    visited: set[int],
) -> Iterator[tuple[str, str]]:
    if depth > MAX_FIELD_DEPTH:
        return
    for ref in kids:
        if isinstance(ref, IndirectObject):
            if ref.idnum in visited or len(visited) > MAX_FIELDS:
                continue  # a cycle in a malformed file, or an absurd number of fields
            visited.add(ref.idnum)
        field = ref.get_object()
        if not isinstance(field, DictionaryObject):
            continue
        part = str(field.get("/T", ""))
        name = f"{parent}.{part}" if parent and part else part or parent
        # /FT, /Ff and /V are inheritable: a kid without them takes its parent's.
        here = {k: field[k] for k in ("/FT", "/Ff", "/V", "/Opt") if k in field}
        attributes = {**inherited, **here}
        children = field.get("/Kids")
        if isinstance(children, ArrayObject) and any(
            isinstance(c.get_object(), DictionaryObject) and "/T" in c.get_object()
            for c in children
        ):
            yield from _walk(children, name, attributes, depth + 1, visited)
            continue
        value = _value(field, attributes)
        if name and value is not None:
            yield name, value


def _value(field: DictionaryObject, attributes: dict[str, Any]) -> str | None:
    """The field's value as text; None for fields that hold no value (buttons, signatures)."""
    kind = attributes.get("/FT")
    value = attributes.get("/V")
    value = value.get_object() if value is not None else None
    if kind == "/Tx":
        return _text(value)
    if kind == "/Ch":
        if isinstance(value, ArrayObject):  # a multiple-choice list
            return "\n".join(_text(v.get_object()) for v in value)
        return _text(value)
    if kind == "/Btn":
        if int(attributes.get("/Ff", 0)) & _PUSHBUTTON:
            return None
        if value is not None and not isinstance(value, NameObject):
            return _shown_states(field)
        if not isinstance(value, NameObject) or value == "/Off":
            return ""
        state = str(value)[1:]
        options = attributes.get("/Opt")
        # With /Opt, on-states are indexes into the export values (PDF 1.7, 12.7.4.2.3).
        if isinstance(options, ArrayObject) and state.isdigit() and int(state) < len(options):
            return _text(options[int(state)].get_object())
        return state
    return None


def _shown_states(field: DictionaryObject) -> str:
    """A button whose /V is text, not a name (pypdf writes a radio's choice so): what a
    viewer shows, its widgets' appearance states (/AS). One state on is the answer; several
    are kept as written, for validation to send back, never one of them picked."""
    kids = field.get("/Kids")
    widgets = [k.get_object() for k in kids] if isinstance(kids, ArrayObject) else [field]
    shown = {
        str(state)[1:]
        for widget in widgets
        if isinstance(widget, DictionaryObject)
        and isinstance(state := widget.get("/AS"), NameObject)
        and state != "/Off"
    }
    return " og ".join(sorted(shown))  # as read/marks.py gives two crosses on a page


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, StreamObject):  # rich text or long text stored as a stream
        return value.get_data().decode("utf-8", "replace")
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _title_texts(reader: PdfReader) -> Iterator[str]:
    """The document title, then the first page's text: where a form's title can be found."""
    try:
        title = reader.metadata.title if reader.metadata else None
    except (PdfReadError, AttributeError, TypeError):
        title = None
    if title:
        yield str(title)
    if len(reader.pages):
        yield reader.pages[0].extract_text() or ""


def _without_fields(reader: PdfReader, data: bytes, file: str, settings: Settings) -> Extraction:
    """A PDF with no form fields: flattened/printed (text) or scanned (images only)."""
    pages = reader.pages[:_TEXT_PAGES]
    if any((page.extract_text() or "").strip() for page in pages):
        from formflow.read.layout import read_layout

        return read_layout(data, file, settings)
    if any(_has_images(page) for page in pages):
        from formflow.read.ocr import read_scan

        return read_scan(data, file, settings, is_pdf=True)
    raise unreadable("not_a_form", "no form fields, no text, no images")


def _has_images(page: Any) -> bool:
    return _images_in(page.get("/Resources"), depth=0)


def _images_in(resources: Any, depth: int) -> bool:
    """An image XObject in `resources`, or in a form XObject drawn from them (scanners nest)."""
    resources = resources.get_object() if resources is not None else None
    if depth > 4 or not isinstance(resources, DictionaryObject):
        return False
    xobjects = resources.get("/XObject")
    xobjects = xobjects.get_object() if xobjects is not None else None
    if not isinstance(xobjects, DictionaryObject):
        return False
    for reference in xobjects.values():
        xobject = reference.get_object()
        if not isinstance(xobject, DictionaryObject):
            continue
        if xobject.get("/Subtype") == "/Image":
            return True
        if xobject.get("/Subtype") == "/Form" and _images_in(xobject.get("/Resources"), depth + 1):
            return True
    return False
