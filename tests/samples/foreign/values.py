"""The answers typed into the foreign sample forms, shared by the scripts that make them.

Each value is (as typed, as read): dates are typed the Danish ways and read as ISO dates.
`expected(values)` is what a reader must return for a form holding `values`.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

AGREEMENT: dict[str, tuple[str, str]] = {
    "employee_name": ("Mette Kjærgaard Ølgod", "Mette Kjærgaard Ølgod"),
    "employee_number": ("2231", "2231"),
    "employee_position": ("Klinikassistent", "Klinikassistent"),
    "leader_name": ("Karen Åberg Holm", "Karen Åberg Holm"),
    "meeting_date": ("12.03.2025", "2025-03-12"),
    "goal_professional_1_text": (
        "Gennemføre kursus i røntgenhygiejne og dosimetri",
        "Gennemføre kursus i røntgenhygiejne og dosimetri",
    ),
    "goal_professional_1_start": ("01.04.2025", "2025-04-01"),
    "goal_professional_1_end": ("30. september 2025", "2025-09-30"),
    "goal_personal_1_text": (
        "Tage ansvar for oplæringen af nye elever",
        "Tage ansvar for oplæringen af nye elever",
    ),
    "goal_personal_1_start": ("1/5-2025", "2025-05-01"),
    "goal_personal_1_end": ("31.12.2025", "2025-12-31"),
    "goal_sales_1_text": ("Fortælle patienter om holdtræning", "Fortælle patienter om holdtræning"),
    "goal_sales_1_start": ("2025-04-15", "2025-04-15"),
    "goal_sales_1_end": ("30.06.25", "2025-06-30"),
    "plan_1_competence": (
        "Bedre til journalføring, så den er klar samme dag",
        "Bedre til journalføring, så den er klar samme dag",
    ),
    "plan_1_activity": ("Sidemandsoplæring hos Jonas", "Sidemandsoplæring hos Jonas"),
    "plan_1_when": ("Forår 2025", "Forår 2025"),
    "plan_1_success": (
        "Alle journaler er skrevet inden lukketid",
        "Alle journaler er skrevet inden lukketid",
    ),
    "plan_1_followup_date": ("15.06.2025", "2025-06-15"),
    "plan_1_followup_how": ("Kort møde", "Kort møde"),
    "plan_1_followup_who": ("Karen", "Karen"),
    "summary": (
        "Vi talte om arbejdstider og om ønsket om fri om fredagen.\n"
        "Det prøves i tre måneder fra april.",
        "Vi talte om arbejdstider og om ønsket om fri om fredagen.\n"
        "Det prøves i tre måneder fra april.",
    ),
    "next_meeting_date": ("10. marts 2026", "2026-03-10"),
    "signature_leader": ("Karen Åberg Holm", "Karen Åberg Holm"),
    "signature_leader_date": ("14.03.2025", "2025-03-14"),
    "signature_employee": ("Mette Kjærgaard Ølgod", "Mette Kjærgaard Ølgod"),
    "signature_employee_date": ("18.03.2025", "2025-03-18"),
}

PREPARATION: dict[str, tuple[str, str]] = {
    "employee_name": ("Jens Peter Søgaard", "Jens Peter Søgaard"),
    "employee_number": ("0815", "0815"),
    "employee_position": ("Lagerchef", "Lagerchef"),
    "leader_name": ("Birgitte Nørgaard", "Birgitte Nørgaard"),
    "meeting_date": ("5. februar 2025", "2025-02-05"),
    "prev_goal_professional_1_text": ("Truckcertifikat", "Truckcertifikat"),
    "prev_goal_professional_1_start": ("01.03.2024", "2024-03-01"),
    "prev_goal_professional_1_end": ("30.06.2024", "2024-06-30"),
    "prev_goal_professional_1_status": ("3", "3"),
    "prev_goal_personal_1_text": ("Holde oplæg på personalemødet", "Holde oplæg på personalemødet"),
    "prev_goal_personal_1_start": ("1/4-2024", "2024-04-01"),
    "prev_goal_personal_1_end": ("31.12.2024", "2024-12-31"),
    "prev_goal_personal_1_status": ("2", "2"),
    "prev_goal_sales_1_text": ("Hjælpe med messen i Herning", "Hjælpe med messen i Herning"),
    "prev_goal_sales_1_start": ("2024-09-01", "2024-09-01"),
    "prev_goal_sales_1_end": ("30.09.2024", "2024-09-30"),
    "prev_goal_sales_1_status": ("1", "1"),
    "other_activities": (
        "Flytning af lageret til den nye hal i Vejle, hvor jeg stod for planlægningen af "
        "reolerne og for at få alle varer talt op inden åbningen.",
        "Flytning af lageret til den nye hal i Vejle, hvor jeg stod for planlægningen af "
        "reolerne og for at få alle varer talt op inden åbningen.",
    ),
    "highlight_1": ("Flytningen af lageret", "Flytningen af lageret"),
    "highlight_2": ("Det nye scannersystem", "Det nye scannersystem"),
    "highlight_3": ("Samarbejdet med indkøb", "Samarbejdet med indkøb"),
    "activity_comments": (
        "Travlt i efteråret, men det gik godt.",
        "Travlt i efteråret, men det gik godt.",
    ),
    "goal_professional_1_text": ("Lære det nye lagerstyringssystem", "Lære det nye lagerstyringssystem"),
    "goal_professional_1_start": ("01.03.2025", "2025-03-01"),
    "goal_professional_1_end": ("31. maj 2025", "2025-05-31"),
    "goal_company_1_text": ("Hjælpe økonomi med status", "Hjælpe økonomi med status"),
    "goal_company_1_start": ("01.12.2025", "2025-12-01"),
    "goal_company_1_end": ("31.01.2026", "2026-01-31"),
    "competence_near_need": ("Excel", "Excel"),
    "competence_near_target": ("Lave egne lageropgørelser", "Lave egne lageropgørelser"),
    "competence_near_method": ("Kursus hos AMU", "Kursus hos AMU"),
    "competence_near_when": ("Foråret", "Foråret"),
    "competence_long_need": ("Ledelse", "Ledelse"),
    "competence_long_target": ("Kunne lede et lille team", "Kunne lede et lille team"),
    "competence_long_method": ("Diplommodul", "Diplommodul"),
    "competence_long_when": ("2026", "2026"),
    "work_environment": ("Bedre lys ved pakkebordene.", "Bedre lys ved pakkebordene."),
    "relations": ("Godt samarbejde med chaufførerne.", "Godt samarbejde med chaufførerne."),
    "other_topics": (
        "Mulighed for at gå ned i tid.\nEn fast dag med hjemmearbejde.",
        "Mulighed for at gå ned i tid.\nEn fast dag med hjemmearbejde.",
    ),
    "signature_employee": ("Jens Peter Søgaard", "Jens Peter Søgaard"),
    "signature_employee_date": ("28.01.2025", "2025-01-28"),
}


# Answers to seed 003's inspiration questions (the preparation form's `q_<id>` fields).
QUESTIONS: dict[str, tuple[str, str]] = {
    key: (text, text)
    for key, text in {
        "employee_name": "Sofie Ærenlund",
        "leader_name": "Thomas Bæk",
        "meeting_date": "2025-11-20",
        "q_results": "Jeg har fået styr på månedsafslutningen og lavet en ny skabelon.",
        "q_went_well": "Samarbejdet i teamet er gået godt; travlheden i juni var svær.",
        "q_competences_used": "Overblik og Excel.",
        "q_motivation": "At løse problemer for kunderne.",
        "q_wellbeing": "Jeg trives, men vil gerne have mere ro om formiddagen.",
        "q_feedback": "Ja, mest fra kollegerne.",
        "q_competence_needs": "Projektledelse og bedre formidling.",
        "q_career": "Jeg vil gerne være teamkoordinator om et par år.",
        "q_more_less": "Mere analyse, mindre manuel bogføring.",
    }.items()
}
QUESTIONS["meeting_date"] = ("20. november 2025", "2025-11-20")


def typed(values: dict[str, tuple[str, str]], key: str) -> str:
    return values[key][0]


def write_expected(
    name: str, kind: str, year: int, values: dict[str, tuple[str, str]], keys: list[str]
) -> None:
    """`<name>.json`: kind, year and the values a reader must find (the form's places only)."""
    data = {"kind": kind, "year": year, "expected": {key: values[key][1] for key in keys}}
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    (HERE / f"{name}.json").write_text(text, encoding="utf-8")
