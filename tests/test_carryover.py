"""Carry-over as the contract's table says: agreement (year N) -> preparation (year N+1)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from formflow.carryover import carry_over
from formflow.config import settings_from_dict
from formflow.forms.library import load_definition

AGREEMENT = load_definition("agreement")
PREPARATION = load_definition("preparation")

SIGNED = {
    "employee_name": "Birthe Å. Mølgaard",
    "employee_number": "1042",
    "employee_position": "Kiropraktor",
    "leader_name": "Lone Leder",
    "meeting_date": "2026-03-12",
    "next_meeting_date": "2027-03-10",
    "goal_professional_1_text": "Gennemføre kursus i ømme skuldre",
    "goal_professional_1_start": "2026-04-01",
    "goal_professional_1_end": "2026-12-31",
    "goal_sales_2_text": "Øge mersalg med 5 %",
    "plan_1_competence": "Bedre til at formidle øvelser",
    "plan_1_activity": "Sidemandsoplæring",
    "summary": "Fortroligt: ikke med over",
    "signature_leader": "Lone Leder",
    "signature_employee": "Birthe Mølgaard",
}


def test_contract_mapping() -> None:
    result = carry_over(SIGNED, AGREEMENT, PREPARATION)
    assert result.overflow == ()
    assert result.values == {
        "employee_name": "Birthe Å. Mølgaard",
        "employee_number": "1042",
        "employee_position": "Kiropraktor",
        "leader_name": "Lone Leder",
        "meeting_date": "2027-03-10",
        "prev_goal_professional_1_text": "Gennemføre kursus i ømme skuldre",
        "prev_goal_professional_1_start": "2026-04-01",
        "prev_goal_professional_1_end": "2026-12-31",
        # row 1 of "sales" was empty: the goal moves up, no gap on the new form
        "prev_goal_sales_1_text": "Øge mersalg med 5 %",
        "prev_plan_1_competence": "Bedre til at formidle øvelser",
    }
    assert not any(k.endswith("_status") for k in result.values)


def test_more_goals_than_rows_is_reported_not_dropped() -> None:
    big = load_definition("agreement", settings_from_dict({"forms": {"goal_rows": 3}}))
    values = {f"goal_personal_{n}_text": f"Mål {n}" for n in (1, 2, 3)}
    result = carry_over(values, big, PREPARATION)
    assert result.values["prev_goal_personal_2_text"] == "Mål 2"
    assert [o.source_key for o in result.overflow] == ["goal_personal_3_text"]
    assert "plads til 2 mål under 'Personlig udvikling'" in result.overflow[0].reason


def test_category_missing_next_year_is_reported() -> None:
    clinic = settings_from_dict({"forms": {"categories": [{"key": "clinical", "label": "Klinik"}]}})
    result = carry_over(
        {"goal_sales_1_text": "x"}, AGREEMENT, load_definition("preparation", clinic)
    )
    assert [o.source_key for o in result.overflow] == ["goal_sales_1_text"]


danish = st.text(alphabet="abcæøåABCÆØÅ .,-–“”'\n", min_size=1, max_size=40).filter(str.strip)


@settings(max_examples=60, deadline=None)
@given(
    goals=st.dictionaries(
        st.sampled_from([c.key for c in AGREEMENT.categories]),
        st.lists(danish, min_size=0, max_size=2),
    )
)
def test_every_goal_arrives_in_order(goals: dict[str, list[str]]) -> None:
    values = {
        f"goal_{cat}_{i + 1}_text": text
        for cat, texts in goals.items()
        for i, text in enumerate(texts)
    }
    result = carry_over(values, AGREEMENT, PREPARATION)
    assert result.overflow == ()
    for cat, texts in goals.items():
        got = [result.values.get(f"prev_goal_{cat}_{i + 1}_text") for i in range(len(texts))]
        assert got == texts
