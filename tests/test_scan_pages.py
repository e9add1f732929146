"""Scanner batches (formflow/scan/pages.py) over the page texts tesseract read on the scanned
samples (stored in their JSON by make_scans.py) and over the text of formflow's own pages."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from formflow.forms.library import load_definition
from formflow.scan.pages import Batch, Outline, page_marks, read_batch

SAMPLES = Path(__file__).parent / "samples"
AGREEMENT = Outline.of(load_definition("agreement"), 2026)
PREPARATION = Outline.of(load_definition("preparation"), 2026)


def scanned(sample: str) -> dict[str, Any]:
    return json.loads((SAMPLES / "scans" / f"{sample}.json").read_text(encoding="utf-8"))


def form_orders(sample: dict[str, Any]) -> tuple[tuple[int, ...], ...]:
    """Each form's PDF pages in the form's order, as the sample was made."""
    return tuple(
        tuple(page["pdf_page"] for page in sorted(form["pages"], key=lambda p: p["form_page"]))
        for form in sample["forms"]
    )


def without_page_numbers(texts: list[str]) -> list[str]:
    return [re.sub(r"(?i)side\s*\d+\s*af\s*\d+", "", text) for text in texts]


def test_the_outline_holds_the_title_and_the_headings_without_numbers() -> None:
    assert AGREEMENT.title == "Udviklings- og aftaleskema til MUS 2026"
    assert AGREEMENT.headings[3] == "Dato for næste samtale"
    assert AGREEMENT.headings[-1] == PREPARATION.headings[-1] == "Underskrift"
    assert PREPARATION.headings[3].startswith("Hvilke 3 aktiviteter")  # "4a. " is gone


def test_the_marks_of_a_scanned_page_as_ocr_read_it() -> None:
    """OCR read "4. Dato for næste samtale" as "14. ...", "Side 3 af 3" as "Side 3af 3"."""
    texts = scanned("agreement-batch-reversed-150-gray")["page_texts"]
    marks = page_marks(texts[0], AGREEMENT)
    assert (marks.title, marks.number, marks.total, marks.headings) == (False, 3, 3, (3, 4))
    first = page_marks(texts[2], AGREEMENT)
    assert first.title and first.first and first.headings == (0,)


def test_the_footer_title_does_not_make_a_first_page() -> None:
    footer_only = (
        "2. Udviklingsplan\nnoget tekst\n\nmere\n\nUdviklings- og aftaleskema til MUS 2026\n"
    )
    assert not page_marks(footer_only, AGREEMENT).title


def test_a_reversed_batch_is_put_back_in_order() -> None:
    sample = scanned("agreement-batch-reversed-150-gray")
    assert form_orders(sample) == ((2, 1, 0),)
    assert read_batch(sample["page_texts"], AGREEMENT) == Batch(((2, 1, 0),), 1)


def test_without_page_numbers_the_headings_order_the_pages() -> None:
    texts = without_page_numbers(scanned("agreement-batch-reversed-150-gray")["page_texts"])
    assert read_batch(texts, AGREEMENT) == Batch(((2, 1, 0),), 1)


@pytest.mark.parametrize("numbered", [True, False])
def test_a_shuffled_preparation_form_is_put_in_order(numbered: bool) -> None:
    pages = PdfReader(SAMPLES / "preparation-pdftk-flattened.pdf").pages
    texts = [page.extract_text() for page in pages]
    texts = texts if numbered else without_page_numbers(texts)
    shuffled = [texts[i] for i in (3, 0, 4, 2, 1)]  # the signatures page (4) in the middle
    batch = read_batch(shuffled, PREPARATION)
    assert batch == Batch(((1, 4, 3, 0, 2),), 1)
    assert [shuffled[i] for i in batch.forms[0]] == texts


def test_two_forms_in_one_pdf_are_reported_and_kept_apart() -> None:
    sample = scanned("two-agreements-150-gray")
    batch = read_batch(sample["page_texts"], AGREEMENT)
    assert batch.count == 2
    assert batch.forms == form_orders(sample) == ((0, 1, 2), (3, 4, 5))


@pytest.mark.parametrize("numbered", [True, False])
def test_two_forms_scanned_the_wrong_way_round_are_kept_apart(numbered: bool) -> None:
    texts = scanned("two-agreements-150-gray")["page_texts"][::-1]
    texts = texts if numbered else without_page_numbers(texts)
    batch = read_batch(texts, AGREEMENT)
    assert (batch.count, batch.forms) == (2, ((2, 1, 0), (5, 4, 3)))


@pytest.mark.parametrize("numbered", [True, False])
def test_two_forms_shuffled_together_are_reported_never_merged(numbered: bool) -> None:
    texts = scanned("two-agreements-150-gray")["page_texts"]
    texts = texts if numbered else without_page_numbers(texts)
    shuffled = [texts[i] for i in (0, 3, 1, 4, 2, 5)]
    assert read_batch(shuffled, AGREEMENT) == Batch((), 2, "several_forms")


def test_a_page_that_places_nowhere_leaves_the_batch_unordered() -> None:
    texts = without_page_numbers(scanned("agreement-batch-reversed-150-gray")["page_texts"])
    texts.append("Noget helt andet\n\nen side uden overskrift\n")
    assert read_batch(texts, AGREEMENT) == Batch((), 1, "unordered")


def test_a_one_page_form_is_one_form() -> None:
    texts = scanned("two-agreements-150-gray")["page_texts"][:1]
    assert read_batch(texts, AGREEMENT) == Batch(((0,),), 1)
