"""The Danish notices beside a returned form, on forms rendered, filled, read and checked.

Each rule of issue 12 item 8 on a real notice: a field is named once, by its row where its
category has several, the value is quoted as it was read, and „…“ are the only quotes.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path

import pytest

from formflow.checking import check_form
from formflow.config import Settings, settings_from_dict
from formflow.forms.library import load_definition
from formflow.forms.render import render_bytes
from formflow.notices import field_name, held_notice, labels_of, rejection_notice
from formflow.read import read_data

SETTINGS = Settings()
AGREEMENT = load_definition("agreement")
PREPARATION = load_definition("preparation")
# Birthe's agreement as a person filled it (meeting 12.03.2026, signed 20.3.2026).
FILLED: dict[str, str] = json.loads(
    (Path(__file__).parent / "samples" / "agreement-expected.json").read_text(encoding="utf-8")
)["filled"]
RECEIVED = datetime(2026, 3, 21, 9, 5)


def notice(changes: dict[str, str], fmt: str = "pdf") -> str:
    """The rejection notice of Birthe's agreement with `changes`, rendered as `fmt`."""
    data = render_bytes(AGREEMENT, 2026, {**FILLED, **changes}, fmt)
    extraction = read_data(data, f"aftale.{fmt}", SETTINGS)
    result = check_form(extraction, SETTINGS, today=date(2026, 3, 25), arrived=RECEIVED)
    return rejection_notice(
        "Aftale Birthe.pdf", result.problems, labels=labels_of(AGREEMENT), received=RECEIVED
    )


def numbered(text: str) -> list[str]:
    """The notice's numbered lines, without their numbers."""
    return [m[1] for m in re.finditer(r"^ ?\d+\. (.*)$", text, re.MULTILINE)]


BROKEN = {
    "goal_professional_2_start": "31.02.2026",
    "plan_2_followup_date": "1/3-2026",
    "signature_employee_date": "10.03.2026",
    "signature_employee": "Jens Hansen",
    "next_meeting_date": "",
}


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_each_problem_names_its_field_once_and_quotes_the_value(fmt: str) -> None:
    assert numbered(notice(BROKEN, fmt)) == [
        "Faglig udvikling, række 2, Startdato: „31.02.2026“ findes ikke i kalenderen. Ret datoen.",
        "Dato for næste samtale: Feltet er ikke udfyldt. Udfyld det.",
        "Dato ved medarbejderens underskrift: „10.03.2026“ ligger før samtalen den "
        "12.03.2026. Skemaet underskrives på eller efter samtalens dato.",
        "Kompetenceudvikling, række 2, Hvornår følges der op?: „1/3-2026“ skal ligge efter "
        "samtalen den 12.03.2026.",
        "Dato og underskrift, medarbejder: „Jens Hansen“ er ikke medarbejderens navn "
        "(„Birthe Ærø Søndergård“). Her skal medarbejderen selv underskrive.",
        "Aftaleskemaet blev færdigt 20.03.2026, men skulle være færdigt senest 19.03.2026, "
        "7 dage efter samtalen.",
    ]


def test_a_field_is_named_once_whatever_the_rule() -> None:
    text = notice(
        {
            "goal_sales_1_start": "01.07.2026",  # after its end: goal_end_before_start
            "goal_sales_1_end": "30.06.2026",
            "meeting_date": "12.03.2025",  # not the form's year
            "signature_leader": "Birthe Ærø Søndergård",  # the other party's name
        }
    )
    lines = numbered(text)
    assert len(lines) == 5  # the four above, and the agreement is late
    for line in lines:
        name, _, message = line.partition(": ")
        assert name not in message, line
    assert "Dato for samtale: „12.03.2025“ ligger i 2025, men skemaet er til MUS 2026." in text
    assert (
        "Hjælp til salg, række 1, Slutdato: „30.06.2026“ ligger før startdatoen „01.07.2026“ "
        "i samme række." in numbered(text)
    )


def test_a_row_is_named_only_where_its_category_has_several() -> None:
    own = PREPARATION
    assert field_name(own, "goal_professional_1_end") == "Faglig udvikling, række 1, Slutdato"
    assert field_name(own, "prev_goal_sales_2_status") == (
        "Hjælp til salg fra sidste MUS, række 2, Status (1-4)"
    )
    assert field_name(own, "prev_plan_3_competence") == "Kompetenceudvikling aftalt sidst, række 3"
    assert field_name(own, "competence_near_when") == "Nærmeste fremtid, Tidspunkt"
    assert field_name(own, "meeting_date") == "Dato for samtale"
    one_goal_each = load_definition("agreement", settings_from_dict({"forms": {"goal_rows": 1}}))
    assert field_name(one_goal_each, "goal_professional_1_end") == "Faglig udvikling, Slutdato"


def test_one_style_of_quotes_in_every_notice() -> None:
    texts = [
        notice({**BROKEN, "signature_leader": "Birthe Ærø Søndergård"}),
        held_notice(
            "Forberedelse Søren.pdf", "Medarbejdernr. 1042 findes ikke.", received=RECEIVED
        ),
    ]
    for text in texts:
        assert not set(text) & set("»«'\"”‘’"), text
        assert text.count("„") == text.count("“") > 0
    assert texts[1].startswith("Skemaet „Forberedelse Søren.pdf“ afventer afklaring")
