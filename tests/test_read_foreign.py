"""Forms organisations already have: their own titles, words and layouts, read by their labels.

The samples in `tests/samples/foreign/` were made by other programs (LibreOffice from HTML,
python-docx, reportlab, Ghostscript) in the styles of seeds 000, 003 and 004 and of HR
rebuilds; the scripts beside them made them, and `<sample>.json` holds the kind, the year and
the values the form has a place for. Each must read with the right kind and year, at least
95 % of its values found, none wrong, and nothing found where the form holds no answer.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from formflow.config import Settings
from formflow.read import read_form

FOREIGN = Path(__file__).parent / "samples" / "foreign"
SAMPLES = sorted(p for p in FOREIGN.iterdir() if p.suffix in (".pdf", ".docx"))


def test_there_are_a_dozen_foreign_samples() -> None:
    assert len(SAMPLES) >= 12
    assert all(path.with_name(path.name + ".json").is_file() for path in SAMPLES)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: path.name)
def test_foreign_form_reads_kind_year_and_values_none_wrong(path: Path) -> None:
    data = json.loads(path.with_name(path.name + ".json").read_text(encoding="utf-8"))
    extraction = read_form(path, Settings())
    assert (extraction.kind, extraction.year) == (data["kind"], data["year"])
    expected: dict[str, str] = data["expected"]
    found = {key: value for key, value in extraction.fields.items() if value}
    wrong = {
        key: (value, expected.get(key, ""))
        for key, value in found.items()
        if value != expected.get(key, "")
    }
    assert wrong == {}
    missing = sorted(key for key in expected if found.get(key) != expected[key])
    assert len(expected) - len(missing) >= 0.95 * len(expected), missing
