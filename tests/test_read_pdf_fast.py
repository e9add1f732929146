"""The pikepdf fast path reads exactly what the pypdf reader reads, or declines (`Unusual`).

Every sample PDF is read both ways: the Extractions must be equal wherever the fast path
answers, and the ordinary filled forms must not be declined (else the fast path is dead code).
"""

from __future__ import annotations

import codecs
import io
import warnings
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    TextStringObject,
    create_string_object,
)

from formflow.config import Settings
from formflow.errors import UnreadableForm
from formflow.forms.library import load_definition
from formflow.forms.render import render_bytes
from formflow.model import Extraction
from formflow.read import pdf_fast
from formflow.read.acroform import read_pdf, read_pdf_pypdf
from formflow.read.pdf_fast import Unusual, _string, read_pdf_fast

SAMPLES = Path(__file__).parent / "samples"
SETTINGS = Settings()
ALL_PDFS = sorted(SAMPLES.rglob("*.pdf"))
# Filled forms without digital signatures, and forms whose fields are gone: the fast path
# must read these itself.
ORDINARY = [
    "agreement-pdftk.pdf",
    "agreement-pdftk-need-appearances.pdf",
    "preparation-pdftk.pdf",
    "signed/drawn-ink.pdf",
    "signed/drawn-image.pdf",
    "signed/drawn-paths.pdf",
    "signed/logo-only.pdf",
    "signed/unsigned.pdf",
    "watch/agreement.pdf",
    # flattened and printed: the layout reader, without pypdf's text probe first
    "agreement-pdftk-flattened.pdf",
    "agreement-qpdf-flattened.pdf",
    "agreement-gs-printed.pdf",
    "preparation-libreoffice.pdf",
]


def outcome(read: object, data: bytes) -> Extraction | tuple[str, str]:
    try:
        return read(data, "x.pdf", SETTINGS)  # type: ignore[operator]
    except UnreadableForm as error:
        return ("unreadable", error.code)


@pytest.mark.parametrize(
    "path", [pytest.param(p, id=str(p.relative_to(SAMPLES))) for p in ALL_PDFS]
)
def test_same_reading_as_pypdf_or_declined(path: Path) -> None:
    data = path.read_bytes()
    reference = outcome(read_pdf_pypdf, data)
    try:
        fast = outcome(read_pdf_fast, data)
    except Unusual:
        assert str(path.relative_to(SAMPLES)) not in ORDINARY
        assert outcome(read_pdf, data) == reference  # read_pdf falls back to the reference
        return
    assert fast == reference


def test_ordinary_samples_exist() -> None:
    assert all((SAMPLES / name).is_file() for name in ORDINARY)


_DANISH_TEXT = st.text(
    alphabet=st.sampled_from(list("abcæøåABCÆØÅéü€ 0123456789.,-–“”'\n\t!?()")), max_size=60
)


@settings(max_examples=25, deadline=None)
@given(employee_name=_DANISH_TEXT, summary=_DANISH_TEXT)
def test_any_text_decodes_as_pypdf_decodes_it(employee_name: str, summary: str) -> None:
    values = {"employee_name": employee_name, "summary": summary}
    data = render_bytes(load_definition("agreement"), 2026, values, "pdf")
    assert read_pdf_fast(data, "x.pdf", SETTINGS) == read_pdf_pypdf(data, "x.pdf", SETTINGS)


_BOM_TEXT = st.one_of(
    st.binary(max_size=40).map(lambda b: b"\xfe\xff" + b),
    st.binary(max_size=40).map(lambda b: b"\xff\xfe" + b),
    st.text(max_size=30).map(
        lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be", "surrogatepass")
    ),
    st.binary(max_size=40),
)


@settings(max_examples=300, deadline=None)
@given(raw=_BOM_TEXT)
def test_strings_decode_as_pypdf_decodes_them(raw: bytes) -> None:
    """The UTF-16 shortcut in `_string` gives pypdf's text for any bytes, odd lengths and
    lone surrogates included (those go pypdf's own way)."""
    decoded = create_string_object(raw)
    expected = (
        bytes(decoded).decode("utf-8", "replace")
        if isinstance(decoded, ByteStringObject)
        else str(decoded)
    )
    assert _string(pikepdf.String(raw)) == expected


def test_reads_the_same_without_a_memory_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where no memfd can be made, qpdf reads the bytes through a BytesIO: the same reading."""
    data = (SAMPLES / "signed" / "drawn-ink.pdf").read_bytes()
    mapped = read_pdf_fast(data, "x.pdf", SETTINGS)
    monkeypatch.delattr(pdf_fast.os, "memfd_create", raising=False)
    assert isinstance(pdf_fast._memory_file(data), io.BytesIO)
    assert read_pdf_fast(data, "x.pdf", SETTINGS) == mapped


# --- declined ---------------------------------------------------------------------------------


def with_field(extra: DictionaryObject) -> bytes:
    """The pdftk-filled agreement with one more top-level field."""
    reader = PdfReader(SAMPLES / "agreement-pdftk.pdf")
    writer = PdfWriter(clone_from=reader)
    reference: IndirectObject = writer._add_object(extra)
    form = writer._root_object["/AcroForm"].get_object()
    assert isinstance(form, DictionaryObject)
    fields = form["/Fields"].get_object()
    assert isinstance(fields, ArrayObject)
    fields.append(reference)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def text_field(name: str, value: object, kind: str = "/Tx") -> DictionaryObject:
    return DictionaryObject(
        {
            NameObject("/T"): TextStringObject(name),
            NameObject("/FT"): NameObject(kind),
            NameObject("/V"): value,
        }
    )


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param(
            DictionaryObject(
                {
                    NameObject("/T"): TextStringObject("approval"),
                    NameObject("/FT"): NameObject("/Sig"),
                }
            ),
            id="signature-field",
        ),
        pytest.param(text_field("q_extra", FloatObject("2.50")), id="number-value"),
        pytest.param(text_field("q_extra", NameObject("/A#20B")), id="escaped-name"),
    ],
)
def test_declines_what_pypdf_must_read(extra: DictionaryObject) -> None:
    data = with_field(extra)
    with pytest.raises(Unusual):
        read_pdf_fast(data, "x.pdf", SETTINGS)
    assert read_pdf(data, "x.pdf", SETTINGS) == read_pdf_pypdf(data, "x.pdf", SETTINGS)


def test_declines_a_file_without_its_end() -> None:
    data = (SAMPLES / "agreement-pdftk.pdf").read_bytes()[:-2000]
    with pytest.raises(Unusual):
        read_pdf_fast(data, "x.pdf", SETTINGS)


# --- one walk: signature boxes found as the reference finds them on the pages -----------------

DRAWN_PATHS = SAMPLES / "signed/drawn-paths.pdf"  # ink in signature_employee's box


def edited(path: Path, edit: Callable[[pikepdf.Pdf], None]) -> bytes:
    """`path` changed by `edit` and saved by qpdf (which the fast path reads without repair)."""
    with pikepdf.open(path) as pdf:
        edit(pdf)
        buffer = io.BytesIO()
        with warnings.catch_warnings():  # a widget outside /Fields is what one test wants
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
            pdf.save(buffer)
    return buffer.getvalue()


def signature_widget(pdf: pikepdf.Pdf, key: str) -> pikepdf.Dictionary:
    fields = pdf.Root["/AcroForm"]["/Fields"]
    return next(f for f in fields if str(f.get("/T", "")) == key)


def without_page_links(pdf: pikepdf.Pdf) -> None:
    for page in pdf.pages:
        for annotation in page.obj.get("/Annots", []):
            if "/P" in annotation:
                del annotation["/P"]


def widget_as_kid(pdf: pikepdf.Pdf) -> None:
    """signature_employee split into a field and a separate widget kid without /T."""
    merged = signature_widget(pdf, "signature_employee")
    field = pdf.make_indirect(
        pikepdf.Dictionary(T=merged.T, FT=merged.FT, V=merged.V, Ff=merged.get("/Ff", 0))
    )
    for key in ("/T", "/FT", "/V", "/Ff"):
        if key in merged:
            del merged[key]
    merged.Parent = field
    field.Kids = pikepdf.Array([merged])
    fields = pdf.Root["/AcroForm"]["/Fields"]
    fields.append(field)
    fields.remove(merged)


def widget_outside_fields(pdf: pikepdf.Pdf) -> None:
    """signature_employee's widget stays on its page but is gone from /Fields."""
    pdf.Root["/AcroForm"]["/Fields"].remove(signature_widget(pdf, "signature_employee"))


def inline_image_in_leader_box(pdf: pikepdf.Pdf) -> None:
    x0, y0, x1, y1 = (float(v) for v in signature_widget(pdf, "signature_leader").Rect)
    image = b"BI /W 1 /H 1 /BPC 8 /CS /G ID \x80 EI"
    drawing = f"q {x1 - x0:.2f} 0 0 {y1 - y0:.2f} {x0:.2f} {y0:.2f} cm ".encode() + image + b" Q"
    page = pdf.pages[2]
    page.contents_add(pdf.make_stream(drawing), prepend=False)


@pytest.mark.parametrize(
    ("edit", "drawn"),
    [
        pytest.param(without_page_links, ("signature_employee",), id="widgets-without-P"),
        pytest.param(widget_as_kid, ("signature_employee",), id="signature-widget-a-kid"),
        pytest.param(widget_outside_fields, ("signature_employee",), id="widget-not-in-fields"),
        pytest.param(
            inline_image_in_leader_box,
            ("signature_employee", "signature_leader"),
            id="inline-image-in-box",
        ),
    ],
)
def test_signature_boxes_as_the_reference_finds_them(
    edit: Callable[[pikepdf.Pdf], None], drawn: tuple[str, ...]
) -> None:
    data = edited(DRAWN_PATHS, edit)
    reference = read_pdf_pypdf(data, "x.pdf", SETTINGS)
    assert reference.evidence.drawn == drawn
    assert read_pdf_fast(data, "x.pdf", SETTINGS) == reference


def shared_field(pdf: pikepdf.Pdf) -> None:
    fields = pdf.Root["/AcroForm"]["/Fields"]
    fields.append(fields[0])


def signature_on_a_widget_kid(pdf: pikepdf.Pdf) -> None:
    widget_as_kid(pdf)
    signature_widget(pdf, "signature_employee").Kids[0].FT = pikepdf.Name.Sig


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(shared_field, id="a-field-listed-twice"),
        pytest.param(signature_on_a_widget_kid, id="sig-on-a-widget-kid"),
    ],
)
def test_declines_field_trees_the_reference_must_walk(edit: Callable[[pikepdf.Pdf], None]) -> None:
    data = edited(DRAWN_PATHS, edit)
    with pytest.raises(Unusual):
        read_pdf_fast(data, "x.pdf", SETTINGS)
    assert read_pdf(data, "x.pdf", SETTINGS) == read_pdf_pypdf(data, "x.pdf", SETTINGS)
