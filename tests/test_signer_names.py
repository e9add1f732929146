"""Typed-name matching: the tolerances a signature box needs, and the names it must refuse."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from formflow.signer_names import names_match, tokens


@pytest.mark.parametrize(
    ("typed", "person"),
    [
        pytest.param("Birthe Mølgaard", "Birthe Å. Mølgaard", id="middle_initial_left_out"),
        pytest.param("birthe aa. moelgaard", "Birthe Å. Mølgaard", id="ascii_long_spelling"),
        pytest.param("Birthe Å. Mølgaard", "Birthe Mølgaard", id="middle_initial_added"),
        pytest.param("Birthe Molgaard", "Birthe Mølgaard", id="o_for_oe"),
        pytest.param("BIRTHE  MØLGAARD ", "Birthe Mølgaard", id="case_and_spacing"),
        pytest.param("Mølgaard, Birthe", "Birthe Mølgaard", id="surname_first"),
        pytest.param("Anne Marie Hansen", "Anne-Marie Hansen", id="hyphen_as_space"),
        pytest.param("Birthe Å Mølgaard", "Birthe Åse Mølgaard", id="middle_abbreviated"),
        pytest.param("Birthe A. Mølgaard", "Birthe Åse Mølgaard", id="initial_without_ring"),
        pytest.param("Rene Aagaard", "René Ågård", id="accents_and_aa"),
        pytest.param("Søren Kierkegaard", "Søren Aabye Kierkegaard", id="middle_name_left_out"),
        pytest.param("Lone Leder", "Lone Leder", id="identical"),
    ],
)
def test_same_person(typed: str, person: str) -> None:
    assert names_match(typed, person)


@pytest.mark.parametrize(
    ("typed", "person"),
    [
        pytest.param("Lone Leder", "Birthe Mølgaard", id="different_person"),
        pytest.param("Birthe Hansen", "Birthe Mølgaard", id="other_surname"),
        pytest.param("Bente Mølgaard", "Birthe Mølgaard", id="other_first_name"),
        pytest.param("Birthe B. Mølgaard", "Birthe Å. Mølgaard", id="contradicting_initial"),
        pytest.param("Birthe", "Birthe Mølgaard", id="first_name_only"),
        pytest.param("B. Mølgaard", "Birthe Mølgaard", id="first_name_abbreviated"),
        pytest.param("Moeller Jens", "Jens Møller", id="swapped_without_comma"),
        pytest.param("", "Birthe Mølgaard", id="empty"),
        pytest.param("...", "Birthe Mølgaard", id="punctuation_only"),
    ],
)
def test_different_person(typed: str, person: str) -> None:
    assert not names_match(typed, person)


def test_tokens_keep_both_spellings() -> None:
    (token,) = tokens("Mølgaard")
    assert (token.long, token.short, token.initial) == ("moelgaard", "molgaard", False)


names = st.lists(
    st.text(alphabet="abcdefghijklmnoprstuvyæøåé", min_size=2, max_size=8), min_size=2, max_size=4
).map(lambda parts: " ".join(p.capitalize() for p in parts))


@given(names)
def test_a_name_matches_itself_in_any_case(name: str) -> None:
    assert names_match(name, name)
    assert names_match(name.upper(), name.lower())


@given(names)
def test_leaving_out_middle_names_still_matches(name: str) -> None:
    parts = name.split()
    assert names_match(f"{parts[0]} {parts[-1]}", name)
