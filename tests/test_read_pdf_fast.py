"""The pikepdf fast path reads exactly what the pypdf reader reads, or declines (`Unusual`).

Every sample PDF is read both ways: the Extractions must be equal wherever the fast path
answers, and the ordinary filled forms must not be declined (else the fast path is dead code).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    TextStringObject,
)

from formflow.config import Settings
from formflow.errors import UnreadableForm
from formflow.forms.library import load_definition
from formflow.forms.render import render_bytes
from formflow.model import Extraction
from formflow.read.acroform import read_pdf, read_pdf_pypdf
from formflow.read.pdf_fast import Unusual, read_pdf_fast

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
