"""Forms filled, flattened, printed and rebuilt by other programs, read value by value.

The samples and the script that made them are in `tests/samples/` (`make_samples.py`). A form
with fields (AcroForm, content controls) must read every field exactly; a flattened, printed or
rebuilt one at least 90 % of the filled fields exactly, and no field wrong: a field it cannot
place is absent (not found), never a wrong value.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from formflow.config import Settings
from formflow.model import Extraction
from formflow.read import read_form

SAMPLES = Path(__file__).parent / "samples"
EXACT = [
    pytest.param(f"{kind}-{variant}", reader, id=f"{kind}_{variant.replace('-', '_')}")
    for kind in ("preparation", "agreement")
    for variant, reader in (
        ("pdftk.pdf", "acroform"),
        ("pdftk-need-appearances.pdf", "acroform"),
        ("prefilled.docx", "docx"),
        ("libreoffice.docx", "docx"),
    )
]
BY_LABELS = [
    pytest.param(f"{kind}-{variant}", reader, id=f"{kind}_{name}")
    for kind in ("preparation", "agreement")
    for variant, reader, name in (
        ("pdftk-flattened.pdf", "layout", "flattened_by_pdftk"),
        ("qpdf-flattened.pdf", "layout", "flattened_by_qpdf"),
        ("gs-printed.pdf", "layout", "printed_by_ghostscript"),
        ("libreoffice.pdf", "layout", "docx_exported_by_libreoffice"),
        ("rebuilt.docx", "docx-layout", "rebuilt_in_word"),
    )
]


def expected(name: str) -> tuple[int, dict[str, str]]:
    kind = name.split("-", 1)[0]
    data = json.loads((SAMPLES / f"{kind}-expected.json").read_text(encoding="utf-8"))
    return data["year"], data["expected"]


def read(name: str) -> Extraction:
    return read_form(SAMPLES / name, Settings())


@pytest.mark.parametrize(("name", "reader"), EXACT)
def test_form_with_fields_reads_every_field_exactly(name: str, reader: str) -> None:
    year, values = expected(name)
    extraction = read(name)
    assert (extraction.reader, extraction.kind, extraction.year) == (
        reader,
        name.split("-", 1)[0],
        year,
    )
    for key, value in values.items():
        assert extraction.fields.get(key) == value, key


@pytest.mark.parametrize(("name", "reader"), BY_LABELS)
def test_form_without_fields_reads_nine_in_ten_and_nothing_wrong(name: str, reader: str) -> None:
    year, values = expected(name)
    extraction = read(name)
    assert (extraction.reader, extraction.kind, extraction.year) == (
        reader,
        name.split("-", 1)[0],
        year,
    )
    wrong = {
        key: (extraction.fields[key], value)
        for key, value in values.items()
        if key in extraction.fields and extraction.fields[key] != value
    }
    assert wrong == {}
    filled = {key for key, value in values.items() if value}
    exact = {key for key in filled if extraction.fields.get(key) == values[key]}
    assert len(exact) >= 0.9 * len(filled), sorted(filled - exact)
    assert not [p for p in extraction.problems if p.code.startswith("date_")]


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("preparation-qpdf-flattened.pdf", id="flattened_by_qpdf"),
        pytest.param("preparation-gs-printed.pdf", id="printed_by_ghostscript"),
    ],
)
def test_flattened_sample_shows_the_values_as_text(name: str) -> None:
    """The samples really lost their fields but kept the values as page text."""
    import pypdf

    reader = pypdf.PdfReader(SAMPLES / name)
    assert not reader.get_fields()
    text = "".join(page.extract_text() or "" for page in reader.pages)
    assert "Birthe Ærø Søndergård" in text
    assert "12/3-2026" in text


def test_expected_values_cover_every_field_of_both_forms() -> None:
    from formflow.forms.library import load_definition

    for kind in ("preparation", "agreement"):
        _, values = expected(f"{kind}-x")
        assert set(values) == set(load_definition(kind).keys)


@pytest.mark.parametrize(("name", "reader"), EXACT + BY_LABELS)
def test_every_sample_passes_validation(name: str, reader: str) -> None:
    """What the daemon does with them: a form filled in any of these ways is accepted. (A
    flattened agreement once lost the employee's signature date, the last field on the form,
    and was rejected for it.)"""
    from formflow.checking import check_form

    result = check_form(read(name), Settings())
    assert [p.code for p in result.problems if p.severity == "error"] == []
