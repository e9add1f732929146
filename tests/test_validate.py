"""Validation rules over Extractions built directly: one breaking form per rule, and valid ones."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from pathlib import Path

import pytest

from formflow.checking import check_form
from formflow.config import Settings, settings_from_dict
from formflow.decision import awaiting
from formflow.forms.library import load_definition
from formflow.model import DigitalSignature, Evidence, Extraction, Problem
from formflow.validate import CODES, check

TODAY = date(2027, 1, 15)
SETTINGS = Settings()

AGREEMENT = {
    "employee_name": "Birthe Å. Mølgaard",
    "employee_number": "1042",
    "employee_position": "Sygeplejerske",
    "leader_name": "Lone Leder",
    "meeting_date": "2026-11-23",
    "goal_professional_1_text": "Kursus i sårpleje, med certifikat",
    "goal_professional_1_start": "2027-01-01",
    "goal_professional_1_end": "2027-06-30",
    "goal_personal_2_start": "2027-02-01",
    "goal_personal_2_end": "2027-02-01",
    "plan_1_competence": "Sårpleje",
    "plan_1_followup_date": "2027-03-01",
    "summary": "Særlige aftaler: “hjemmearbejde” om fredagen.",
    "next_meeting_date": "2027-11-22",
    "signature_leader": "Lone Leder",
    "signature_leader_date": "2026-11-25",
    "signature_employee": "birthe moelgaard",
    "signature_employee_date": "2026-11-27",
}

PREPARATION = {
    "employee_name": "Birthe Å. Mølgaard",
    "employee_number": "1042",
    "leader_name": "Lone Leder",
    "meeting_date": "2027-11-22",
    "prev_goal_professional_1_text": "Kursus i sårpleje",
    "prev_goal_professional_1_start": "2027-01-01",
    "prev_goal_professional_1_end": "2027-06-30",
    "prev_goal_professional_1_status": "3",
    "prev_plan_1_status": "2",
    "signature_employee": "Birthe Mølgaard",
    "signature_employee_date": "2027-11-01",
}


def extraction(
    kind: str,
    fields: dict[str, str],
    year: int | None = None,
    evidence: Evidence | None = None,
    problems: tuple[Problem, ...] = (),
) -> Extraction:
    return Extraction(
        file="form.pdf",
        reader="acroform",
        kind=kind,
        year=year if year is not None else int(fields.get("meeting_date", "2026")[:4]),
        definition=kind,
        fields=fields,
        evidence=evidence or Evidence(),
        problems=problems,
    )


def agreement(**changes: str) -> Extraction:
    return extraction("agreement", {**AGREEMENT, **changes}, year=2026)


def without(fields: dict[str, str], *keys: str) -> dict[str, str]:
    return {k: v for k, v in fields.items() if k not in keys}


def codes(problems: tuple[Problem, ...]) -> list[tuple[str | None, str]]:
    return [(p.field, p.code) for p in problems]


def test_valid_agreement_passes() -> None:
    result = check_form(agreement(), SETTINGS, today=TODAY, arrived=datetime(2026, 11, 28, 9))
    assert result.problems == ()
    assert result.valid
    assert {k: (s.kind, s.valid) for k, s in result.signatures.items()} == {
        "signature_leader": ("typed", True),
        "signature_employee": ("typed", True),
    }
    assert awaiting(result) is None


def test_valid_preparation_passes() -> None:
    form = extraction("preparation", PREPARATION)
    result = check_form(
        form, SETTINGS, today=TODAY.replace(year=2028), arrived=datetime(2027, 11, 1)
    )
    assert result.problems == ()
    assert list(result.signatures) == ["signature_employee"]


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        pytest.param({"employee_name": ""}, "employee_name", "required_missing", id="no_name"),
        pytest.param(
            {"employee_number": " "}, "employee_number", "required_missing", id="no_number"
        ),
        pytest.param({"leader_name": ""}, "leader_name", "required_missing", id="no_leader"),
        pytest.param(
            {"next_meeting_date": ""}, "next_meeting_date", "required_missing", id="no_next"
        ),
        pytest.param(
            {"signature_leader_date": ""},
            "signature_leader_date",
            "required_missing",
            id="no_sig_date",
        ),
        pytest.param({"meeting_date": "2026-02-30"}, "meeting_date", "invalid_date", id="feb_30"),
        pytest.param(
            {"goal_sales_1_end": "23.11.2026"}, "goal_sales_1_end", "invalid_date", id="not_iso"
        ),
        pytest.param(
            {"goal_professional_1_end": "2026-12-31"},
            "goal_professional_1_end",
            "goal_end_before_start",
            id="goal_end_before_start",
        ),
        pytest.param(
            {"signature_employee_date": "2026-11-20"},
            "signature_employee_date",
            "signature_date_before_meeting",
            id="signed_before_meeting",
        ),
        pytest.param(
            {"next_meeting_date": "2026-11-23"},
            "next_meeting_date",
            "next_meeting_not_after_meeting",
            id="next_meeting_same_day",
        ),
        pytest.param(
            {"next_meeting_date": "2027-12-24"},
            "next_meeting_date",
            "next_meeting_too_late",
            id="next_meeting_13_months_on",
        ),
        pytest.param(
            {"plan_1_followup_date": "2026-11-23"},
            "plan_1_followup_date",
            "followup_before_meeting",
            id="followup_on_meeting_day",
        ),
        pytest.param(
            {"signature_employee": "Lone Leder"},
            "signature_employee",
            "signature_wrong_role",
            id="leader_name_in_employee_box",
        ),
        pytest.param(
            {"signature_leader": "Karsten Kollega"},
            "signature_leader",
            "signature_name_mismatch",
            id="other_person_typed",
        ),
        pytest.param(
            {"signature_leader": "", "signature_leader_date": ""},
            "signature_leader",
            "signature_missing",
            id="leader_not_signed",
        ),
    ],
)
def test_agreement_rule(changes: dict[str, str], field: str, code: str) -> None:
    result = check_form(agreement(**changes), SETTINGS, today=TODAY)
    found = codes(result.problems)
    assert (field, code) in found
    # Flagged on exactly that field: nothing else is reported but the signature date that
    # goes with a missing signature.
    assert {f for f, _ in found} <= {field, field + "_date"}, found
    assert not result.valid
    # The message is about the value, quoted as read; naming the field is the notice's job.
    message = next(p.message for p in result.problems if p.code == code)
    value = changes.get(field, "").strip()
    assert (f"„{value}“" in message) if value else ("„" not in message), message


def test_signature_date_in_the_future() -> None:
    result = check_form(
        agreement(signature_employee_date="2026-11-27"), SETTINGS, today=date(2026, 11, 26)
    )
    assert codes(result.problems) == [("signature_employee_date", "date_in_future")]


def test_preparation_is_signed_before_the_meeting() -> None:
    form = extraction("preparation", {**PREPARATION, "signature_employee_date": "2027-11-23"})
    result = check_form(form, SETTINGS, today=date(2027, 11, 22))
    assert codes(result.problems) == [("signature_employee_date", "date_in_future")]


def test_year_mismatch_is_flagged_on_the_meeting_date() -> None:
    form = extraction("agreement", AGREEMENT, year=2027)
    assert codes(check_form(form, SETTINGS, today=TODAY).problems) == [
        ("meeting_date", "year_mismatch")
    ]


@pytest.mark.parametrize(
    "value", [pytest.param(v, id=v or "blank") for v in ("0", "5", "2.5", "to", "-1")]
)
def test_status_out_of_range(value: str) -> None:
    form = extraction("preparation", {**PREPARATION, "prev_goal_professional_1_status": value})
    result = check_form(form, SETTINGS, today=TODAY.replace(year=2028))
    assert codes(result.problems) == [("prev_goal_professional_1_status", "status_out_of_range")]
    assert result.problems[0].message == (
        f"„{value}“ er ikke en status. Skriv et helt tal fra 1 til 4."
    )


def test_goal_message_quotes_both_dates_as_written() -> None:
    form = dataclasses.replace(
        agreement(goal_professional_1_end="2026-12-31"),
        raw={"goal_professional_1_end": "31/12-2026"},
    )
    result = check_form(form, SETTINGS, today=TODAY)
    assert result.problems[0].message == (
        "„31/12-2026“ ligger før startdatoen „2027-01-01“ i samme række."
    )


def test_reading_problem_is_not_reported_twice() -> None:
    unread = Problem(
        "goal_professional_1_end", "error", "unreadable_date", "Datoen kan ikke læses."
    )
    form = extraction(
        "agreement",
        {**AGREEMENT, "goal_professional_1_end": "31/2"},
        year=2026,
        problems=(unread,),
    )
    result = check_form(form, SETTINGS, today=TODAY)
    assert result.problems == (unread,)


def test_unreadable_meeting_date_skips_order_rules() -> None:
    unread = Problem("meeting_date", "error", "unreadable_date", "Datoen kan ikke læses.")
    form = extraction(
        "agreement", {**AGREEMENT, "meeting_date": "i går"}, year=2026, problems=(unread,)
    )
    assert check_form(form, SETTINGS, today=TODAY).problems == (unread,)


def test_check_is_pure_the_definition_and_today_come_in() -> None:
    """validate.check loads no definition and reads no clock: both are its arguments, and
    `checking.check_form` is the one edge that fetches them."""
    import formflow.validate as module

    source = Path(module.__file__).read_text(encoding="utf-8")
    assert "load_definition" not in source
    assert "today()" not in source
    own = dataclasses.replace(load_definition("agreement"), name="agreement-own")
    form = dataclasses.replace(
        agreement(signature_employee_date="2026-11-30"), definition="agreement-own"
    )
    assert check(form, own, SETTINGS, today=date(2026, 11, 30)).problems == ()
    assert codes(check(form, own, SETTINGS, today=date(2026, 11, 29)).problems) == [
        ("signature_employee_date", "date_in_future")
    ]
    # The edge finds no such definition installed: the form is unknown there.
    assert codes(check_form(form, SETTINGS, today=TODAY).problems) == [(None, "unknown_form")]


@pytest.mark.parametrize(
    ("kind", "definition"),
    [pytest.param(None, None, id="no_kind"), pytest.param("contract", "contract", id="unknown")],
)
def test_unknown_form_is_a_problem_not_a_crash(kind: str | None, definition: str | None) -> None:
    form = Extraction("x.pdf", "layout", kind, None, definition, {})
    result = check_form(form, SETTINGS, today=TODAY)
    assert codes(result.problems) == [(None, "unknown_form")]
    assert result.signatures == {}


def test_preparation_signature_date_required_only_when_signed() -> None:
    unsigned = without(PREPARATION, "signature_employee_date")
    result = check_form(
        extraction("preparation", unsigned), SETTINGS, today=TODAY.replace(year=2028)
    )
    assert codes(result.problems) == [("signature_employee_date", "required_missing")]
    assert result.problems[0].message == "Feltet er ikke udfyldt. Udfyld det."
    neither = without(PREPARATION, "signature_employee_date", "signature_employee")
    result = check_form(
        extraction("preparation", neither), SETTINGS, today=TODAY.replace(year=2028)
    )
    assert codes(result.problems) == [("signature_employee", "signature_missing")]


@pytest.mark.parametrize(
    ("arrived", "late"),
    [
        pytest.param(datetime(2027, 11, 15, 23, 59), False, id="exactly_a_week_before"),
        pytest.param(datetime(2027, 11, 16, 8, 0), True, id="six_days_before"),
    ],
)
def test_preparation_deadline_is_a_warning(arrived: datetime, late: bool) -> None:
    form = extraction("preparation", PREPARATION)
    result = check_form(form, SETTINGS, today=TODAY.replace(year=2028), arrived=arrived)
    assert codes(result.problems) == ([(None, "preparation_late")] if late else [])
    assert result.valid


def test_preparation_deadline_unjudged_without_arrival() -> None:
    form = extraction("preparation", PREPARATION)
    assert check_form(form, SETTINGS, today=TODAY.replace(year=2028)).problems == ()


@pytest.mark.parametrize(
    ("changes", "arrived", "late"),
    [
        pytest.param({}, None, False, id="signed_within_a_week"),
        pytest.param({"signature_employee_date": "2026-12-01"}, None, True, id="employee_late"),
        pytest.param(
            {"signature_leader_date": "", "signature_employee_date": ""},
            datetime(2026, 12, 5),
            True,
            id="no_dates_arrival_late",
        ),
    ],
)
def test_agreement_deadline_is_a_warning(
    changes: dict[str, str], arrived: datetime | None, late: bool
) -> None:
    result = check_form(agreement(**changes), SETTINGS, today=TODAY, arrived=arrived)
    assert ((None, "agreement_late") in codes(result.problems)) is late


def test_deadline_days_come_from_settings() -> None:
    settings = settings_from_dict({"validation": {"agreement_deadline_days": 14}})
    result = check_form(agreement(signature_employee_date="2026-12-01"), settings, today=TODAY)
    assert result.problems == ()


def test_awaiting_employee_signature() -> None:
    form = agreement(signature_employee="", signature_employee_date="")
    result = check_form(form, SETTINGS, today=TODAY)
    assert not result.valid
    assert codes(result.problems) == [
        ("signature_employee_date", "required_missing"),
        ("signature_employee", "signature_missing"),
    ]
    assert awaiting(result) == "employee"


def test_awaiting_leader_signature() -> None:
    result = check_form(
        agreement(signature_leader="", signature_leader_date=""), SETTINGS, today=TODAY
    )
    assert awaiting(result) == "leader"


def test_not_awaiting_when_something_else_is_wrong() -> None:
    form = agreement(signature_employee="", signature_employee_date="", summary="", leader_name="")
    assert awaiting(check_form(form, SETTINGS, today=TODAY)) is None
    both = agreement(
        signature_employee="",
        signature_employee_date="",
        signature_leader="",
        signature_leader_date="",
    )
    assert awaiting(check_form(both, SETTINGS, today=TODAY)) is None


def test_drawn_signature() -> None:
    form = extraction(
        "agreement",
        {**AGREEMENT, "signature_leader": ""},
        year=2026,
        evidence=Evidence(drawn=("signature_leader",)),
    )
    result = check_form(form, SETTINGS, today=TODAY)
    assert result.signatures["signature_leader"].kind == "drawn"
    assert result.valid


def test_kind_not_allowed_by_settings() -> None:
    settings = settings_from_dict({"signatures": {"employee": ["digital", "drawn"]}})
    result = check_form(agreement(), settings, today=TODAY)
    assert codes(result.problems) == [("signature_employee", "signature_kind_not_allowed")]
    assert "Medarbejderen skal underskrive digitalt eller i hånden." in result.problems[0].message
    assert result.signatures["signature_employee"].valid is False


def digital(
    field: str = "signature_leader", signer: str = "Lone Leder", **kw: object
) -> DigitalSignature:
    values: dict[str, object] = {"intact": True, "valid": True, "trusted": True, **kw}
    return DigitalSignature(field=field, signer=signer, **values)  # type: ignore[arg-type]


def signed(*signatures: DigitalSignature, **changes: str) -> Extraction:
    fields = {**AGREEMENT, "signature_leader": "", **changes}
    return extraction("agreement", fields, year=2026, evidence=Evidence(digital=signatures))


def test_digital_signature_valid() -> None:
    result = check_form(signed(digital()), SETTINGS, today=TODAY)
    assert result.problems == ()
    assert result.signatures["signature_leader"].to_json() == {
        "kind": "digital",
        "valid": True,
        "signer": "Lone Leder",
        "trusted": True,
        "detail": "intact and valid",
    }


def test_digital_signature_matched_by_signer_when_field_has_another_name() -> None:
    result = check_form(signed(digital(field="Signature1")), SETTINGS, today=TODAY)
    assert result.signatures["signature_leader"].kind == "digital"
    assert result.problems == ()


@pytest.mark.parametrize(
    ("signature", "code", "severity"),
    [
        pytest.param(digital(intact=False), "signature_broken", "error", id="not_intact"),
        pytest.param(digital(valid=False), "signature_broken", "error", id="bad_crypto"),
        pytest.param(
            digital(signer="Mette Mallory"), "signature_wrong_signer", "error", id="wrong"
        ),
        pytest.param(digital(trusted=False), "signature_untrusted", "warning", id="untrusted"),
        pytest.param(
            digital(changed_fields=("goal_professional_1_text",)),
            "changed_after_signing",
            "error",
            id="tampered",
        ),
    ],
)
def test_digital_signature_rule(signature: DigitalSignature, code: str, severity: str) -> None:
    result = check_form(signed(signature), SETTINGS, today=TODAY)
    assert [(p.field, p.code, p.severity) for p in result.problems] == [
        ("signature_leader", code, severity)
    ]
    assert result.signatures["signature_leader"].valid is (severity == "warning")


def test_tampering_names_the_fields_in_danish() -> None:
    signature = digital(changed_fields=("goal_professional_1_text", "summary"))
    (problem,) = check_form(signed(signature), SETTINGS, today=TODAY).problems
    assert problem.message.startswith(
        "Efter lederens digitale underskrift er der ændret i „Faglig udvikling, række 1, Aftaler "
        "og mål (konkrete og målbare)“ og „Evt. opsummering af særlige aftaler"
    )


def test_other_party_signing_afterwards_is_normal() -> None:
    signature = digital(
        changed_fields=("signature_employee", "signature_employee_date", "signature_employee_sig")
    )
    assert check_form(signed(signature), SETTINGS, today=TODAY).problems == ()
    own_date = digital(changed_fields=("signature_leader_date",))
    assert codes(check_form(signed(own_date), SETTINGS, today=TODAY).problems) == [
        ("signature_leader", "changed_after_signing")
    ]


def test_unmatched_digital_signature_is_a_warning() -> None:
    result = check_form(
        signed(digital(), digital(field="Witness", signer="Wenche Vidne")), SETTINGS, today=TODAY
    )
    assert codes(result.problems) == [(None, "digital_signature_unmatched")]
    assert result.valid


def test_every_code_is_documented_and_used() -> None:
    import formflow.validate as module

    source = Path(module.__file__).read_text(encoding="utf-8")
    rules = source[source.index("_ISO_DATE = ") :]
    assert {code for code in CODES if f'"{code}"' in rules} == set(CODES)


@pytest.mark.parametrize(
    ("meeting", "following", "late"),
    [
        pytest.param("2026-01-31", "2027-02-28", False, id="end_of_month_13_months"),
        pytest.param("2026-01-31", "2027-03-01", True, id="a_day_beyond"),
    ],
)
def test_next_meeting_window_counts_calendar_months(
    meeting: str, following: str, late: bool
) -> None:
    fields = {
        **AGREEMENT,
        "meeting_date": meeting,
        "next_meeting_date": following,
        "signature_leader_date": meeting,
        "signature_employee_date": meeting,
        "goal_professional_1_start": "2026-02-01",
        "goal_personal_2_start": "2026-02-01",
        "plan_1_followup_date": "2026-03-01",
    }
    result = check_form(extraction("agreement", fields, year=2026), SETTINGS, today=TODAY)
    assert codes(result.problems) == (
        [("next_meeting_date", "next_meeting_too_late")] if late else []
    )
