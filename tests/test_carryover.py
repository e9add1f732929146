"""Carry-over as the contract's table says: agreement (year N) -> preparation (year N+1)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from formflow.carryover import (
    Agreement,
    Options,
    Person,
    RoundFacts,
    carry_over,
    employees,
    step_for,
)
from formflow.config import settings_from_dict
from formflow.forms.library import load_definition

AGREEMENT = load_definition("agreement")
PREPARATION = load_definition("preparation")
FROM_YEAR = 2026

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


def test_the_plan_needs_no_files() -> None:
    """Who gets which values in which file, and who gets none and why: from facts alone (the
    out folder does not exist, no archive is open)."""
    out = Path("/nowhere/out")
    facts = RoundFacts(
        agreements={
            "1": Agreement("signed", "Birthe Å. Mølgaard", "Lone Leder"),
            "2": Agreement("awaiting_leader", "Bo Bæk", "Lone Leder"),
            "3": Agreement("signed", "Cæcilie Øst", "Lone Leder"),
        },
        preparations=frozenset(),
        handed_in=frozenset(),
        generated={"3": {"pdf": "personale/3 Cæcilie-Øst/2027/forberedelsesskema-2027-v1.pdf"}},
        roster={
            "1": Person("Birthe Å. Mølgaard", "Ny Leder"),
            "2": Person("Bo Bæk"),
            "3": Person("Cæcilie Øst"),
            "4": Person("Dorte Dam"),
        },
        people={},
        existing=frozenset(),
        fields={"1": SIGNED},
    )
    options = Options(FROM_YEAR, FROM_YEAR + 1, out)
    steps = {
        step.employee.number: step
        for step in (
            step_for(e, facts, options, AGREEMENT, PREPARATION) for e in employees(facts, options)
        )
    }
    made = steps["1"]
    assert (made.outcome, made.employee.leader, made.render) == ("make", "Ny Leder", ("pdf",))
    assert made.files == (
        out
        / "Ny-Leder"
        / "1 Birthe-Å-Mølgaard"
        / "forberedelsesskema-2027-1-Birthe-Å-Mølgaard.pdf",
    )
    assert made.values["leader_name"] == "Ny Leder"  # the roster's leader hands it out
    assert made.values["meeting_date"] == "10.03.2027"  # written the Danish way
    assert (steps["2"].outcome, steps["2"].reason) == (
        "skipped",
        "aftalen for 2026 er ikke underskrevet: venter på lederens underskrift",
    )
    assert steps["3"].outcome == "already_made"
    assert steps["3"].copy_back == (
        (steps["3"].files[0], "personale/3 Cæcilie-Øst/2027/forberedelsesskema-2027-v1.pdf"),
    )
    assert (steps["4"].outcome, steps["4"].reason) == ("skipped", "ingen aftale for 2026")
    only_lone = [e.number for e in employees(facts, replace(options, leader="lone leder"))]
    # the roster's leader counts; where it names none, the agreement's
    assert only_lone == ["2", "3"]
