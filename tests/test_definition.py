"""The form definitions follow the field contract (../shared/forms-contract.md)."""

from __future__ import annotations

import pytest

from formflow.config import settings_from_dict
from formflow.errors import DefinitionError
from formflow.forms.library import load_definition, question_bank

HEADER = ["employee_name", "employee_number", "employee_position", "leader_name", "meeting_date"]
CATEGORIES = ["professional", "personal", "sales", "company"]


@pytest.mark.parametrize("kind", ["preparation", "agreement"])
def test_header_keys_and_labels(kind: str) -> None:
    definition = load_definition(kind)
    assert list(definition.keys[:5]) == HEADER
    assert [definition.field(k).label for k in HEADER] == [
        "Navn",
        "Medarbejdernr.",
        "Stilling",
        "Leder",
        "Dato for samtale",
    ]
    assert definition.field("employee_number").required


def test_preparation_has_the_contract_keys() -> None:
    definition = load_definition("preparation")
    for cat in CATEGORIES:
        for suffix, kind in [
            ("text", "multiline"),
            ("start", "date"),
            ("end", "date"),
            ("status", "status"),
        ]:
            assert definition.field(f"prev_goal_{cat}_1_{suffix}").type == kind
        assert definition.field(f"goal_{cat}_1_text").row
        assert not definition.has(f"goal_{cat}_1_status")
    for key in [
        "prev_plan_1_competence",
        "prev_plan_1_status",
        "other_activities",
        "highlight_1",
        "highlight_3",
        "activity_comments",
        "competence_near_need",
        "competence_long_when",
        "work_environment",
        "relations",
        "other_topics",
        "signature_employee",
        "signature_employee_date",
        "q_results",
        "q_more_less",
    ]:
        assert definition.has(key), key
    assert not definition.has("signature_leader")
    assert definition.title_for(2027) == "Forberedelsesskema til MUS 2027"


def test_agreement_has_the_contract_keys() -> None:
    definition = load_definition("agreement")
    for suffix in [
        "competence",
        "activity",
        "when",
        "success",
        "followup_date",
        "followup_how",
        "followup_who",
    ]:
        assert definition.has(f"plan_1_{suffix}")
    assert definition.field("plan_1_followup_date").type == "date"
    for key in [
        "summary",
        "next_meeting_date",
        "signature_leader",
        "signature_leader_date",
        "signature_employee",
        "signature_employee_date",
    ]:
        assert definition.has(key)
    assert definition.field("next_meeting_date").label == "Dato for næste samtale"
    assert definition.field("goal_company_2_end").row == "Hjælp til andre dele af firmaet"


def test_scale_has_the_danish_meanings() -> None:
    scale = dict(load_definition("preparation").scale)
    assert scale == {
        1: "Ikke opnået",
        2: "Helt som aftalt og forventet",
        3: "Bedre end forventet",
        4: "Den ekstraordinært seje indsats",
    }


def test_question_bank_has_seed_000_and_003_by_theme() -> None:
    bank = question_bank()
    assert [t.label for t in bank.themes] == [
        "Status / siden sidst",
        "Arbejdssituation generelt",
        "Mål og udviklingsaktiviteter",
    ]
    by_source = {s: [q for q in bank.questions if q.source == s] for s in ("000", "003")}
    assert len(by_source["000"]) == 12
    assert len(by_source["003"]) == 15
    assert {q.theme for q in by_source["000"]} == {"status", "work", "goals"}


def test_categories_and_rows_are_replaceable_per_organisation() -> None:
    settings = settings_from_dict(
        {
            "forms": {
                "categories": [{"key": "clinical", "label": "Klinisk udvikling"}],
                "goal_rows": 4,
            }
        }
    )
    definition = load_definition("agreement", settings)
    assert definition.has("goal_clinical_4_end")
    assert not definition.has("goal_professional_1_text")
    assert definition.field("goal_clinical_1_text").row == "Klinisk udvikling"


def test_unknown_definition_is_a_clear_error() -> None:
    with pytest.raises(DefinitionError, match="no form definition named 'appraisal'"):
        load_definition("appraisal")
