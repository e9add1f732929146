"""The scanned samples of tests/samples/scans read by OCR, held to issue 15's "done when":
typed answers read exactly and none wrong, every drawn, typed and missing signature judged
right, the handwritten answer holding its form for a person, two forms in one file refused.

Each sample is read once (tesseract: a few seconds a page); the tests look at the readings.
Only the values on the pages a sample holds are expected (one sample is a form's last page).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from formflow.config import Settings
from formflow.errors import UnreadableForm
from formflow.model import CheckResult

SAMPLES = Path(__file__).parent / "samples" / "scans"
SINGLE = sorted(
    path
    for path in SAMPLES.glob("*.pdf")
    if len(json.loads(path.with_suffix(".json").read_text())["forms"]) == 1
)
# The share of the typed answers on the scanned pages read exactly, at least (the rest are not
# found: never wrong). Issue 15 asks 95 %; see the README's "Scanned forms" for what is missed.
READ_SHARE = 0.95

pytestmark = [pytest.mark.needs("tesseract"), pytest.mark.slow]


@cache
def checked(name: str) -> CheckResult:
    from formflow.checking import check_form
    from formflow.read import read_form

    settings = Settings()
    return check_form(read_form(SAMPLES / name, settings), settings)


def sample(path: Path) -> dict[str, Any]:
    form: dict[str, Any] = json.loads(path.with_suffix(".json").read_text())["forms"][0]
    return form


def on_scanned_pages(form: dict[str, Any]) -> dict[str, str]:
    """The expected values that lie on the pages the sample holds (own forms know where)."""
    from formflow.forms.library import load_definition
    from formflow.forms.render import render_bytes
    from formflow.scan.blank import field_boxes

    expected: dict[str, str] = form["expected"]
    if form["source"] not in ("agreement", "preparation"):
        return expected
    boxes = field_boxes(render_bytes(load_definition(form["kind"]), form["year"], {}, "pdf"))
    pages = {page["form_page"] for page in form["pages"]}
    return {key: value for key, value in expected.items() if boxes[key].page in pages}


@pytest.mark.parametrize("path", SINGLE, ids=lambda p: p.stem)
def test_no_typed_answer_on_a_scan_is_read_wrong(path: Path) -> None:
    fields = checked(path.name).extraction.fields
    expected = on_scanned_pages(sample(path))
    wrong = {k: (v, fields[k]) for k, v in expected.items() if k in fields and fields[k] != v}
    assert not wrong


def test_typed_answers_on_the_scans_are_read_exactly() -> None:
    read = total = 0
    for path in SINGLE:
        fields = checked(path.name).extraction.fields
        expected = on_scanned_pages(sample(path))
        read += sum(1 for key, value in expected.items() if fields.get(key) == value)
        total += len(expected)
    assert read / total >= READ_SHARE, f"{read} of {total}"


@pytest.mark.parametrize("path", SINGLE, ids=lambda p: p.stem)
def test_every_signature_on_a_scan_is_judged_right(path: Path) -> None:
    signatures = checked(path.name).signatures
    judged = {key: signatures[key].kind for key in sample(path)["signatures"]}
    assert judged == sample(path)["signatures"]


def test_a_handwritten_answer_holds_the_form_for_a_person() -> None:
    from formflow.decision import decide

    decision = decide(checked("preparation-150-gray-handwritten.pdf"))
    assert decision.action == "held"
    assert "q_career" in decision.transcribe


def test_a_signed_scan_read_whole_is_filed_as_signed() -> None:
    from formflow.decision import decide

    decision = decide(checked("agreement-200-gray-signed.pdf"))
    assert (decision.action, decision.state) == ("filed", "signed")


def test_two_forms_in_one_scan_are_reported_never_merged() -> None:
    from formflow.read import read_form

    with pytest.raises(UnreadableForm) as refused:
        read_form(SAMPLES / "two-agreements-150-gray.pdf", Settings())
    assert refused.value.code == "several_forms"
