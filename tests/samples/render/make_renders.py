"""Make the reference renders of the PDF form in this folder (blank and pre-filled, both kinds).

Run from the project root: `python tests/samples/render/make_renders.py`. The renderer is
deterministic (reportlab invariant mode), so re-running without changes gives the same bytes.
Each pre-filled PDF has its values beside it as JSON (`<name>.json`), for readers' tests.
"""

from __future__ import annotations

import json
from pathlib import Path

from formflow.forms.library import load_definition
from formflow.forms.pdf import render_pdf

HERE = Path(__file__).resolve().parent
HEADER = {
    "employee_name": "Birthe Å. Mølgaard",
    "employee_number": "10423",
    "employee_position": "Sygeplejerske, Ærø afdeling",
    "leader_name": "Søren Østergaard",
}
AGREEMENT = {
    **HEADER,
    "meeting_date": "23.11.2026",
    "goal_professional_1_text": (
        "Gennemføre kurset „Moderne sårbehandling“ og dele viden med teamet på et "
        "personalemøde – senest i foråret."
    ),
    "goal_professional_1_start": "01.01.2027",
    "goal_professional_1_end": "30.06.2027",
    "goal_personal_1_text": "Blive bedre til at sige fra, når opgaverne hober sig op.",
    "goal_personal_1_start": "1/2-2027",
    "goal_personal_1_end": "31. december 2027",
    "plan_1_competence": "Sårpleje: kende de nye retningslinjer og bruge dem i hverdagen.",
    "plan_1_activity": "Kursus (3 dage) og sidemandsoplæring med Åse.",
    "plan_1_when": "Foråret 2027",
    "plan_1_success": "Afdelingen har én fælles praksis,\nsom alle kender.",
    "plan_1_followup_date": "01.06.2027",
    "plan_1_followup_how": "Kort møde",
    "plan_1_followup_who": "Søren Østergaard",
    "summary": (
        "Vi talte om:\n- arbejdsmiljøet i afdelingen\n- ønsket om færre aftenvagter\n\n"
        "Lederen vender tilbage inden for 14 dage med et forslag til en ny vagtplan."
    ),
    "next_meeting_date": "15.11.2027",
    "signature_leader": "Søren Østergaard",
    "signature_leader_date": "24.11.2026",
    "signature_employee": "Birthe Å. Mølgaard",
    "signature_employee_date": "25.11.2026",
}
PREPARATION = {
    **HEADER,
    "meeting_date": "15.11.2027",
    "prev_goal_professional_1_text": AGREEMENT["goal_professional_1_text"],
    "prev_goal_professional_1_start": "01.01.2027",
    "prev_goal_professional_1_end": "30.06.2027",
    "prev_goal_professional_1_status": "3",
    "prev_goal_personal_1_text": AGREEMENT["goal_personal_1_text"],
    "prev_goal_personal_1_status": "2",
    "prev_plan_1_competence": AGREEMENT["plan_1_competence"],
    "prev_plan_1_status": "4",
    "other_activities": "Superbruger på det nye journalsystem.",
    "highlight_1": "Oplæring af to nye kolleger",
    "highlight_2": "Projektet om „tryg udskrivelse“",
    "activity_comments": "Samarbejdet med natholdet er blevet meget bedre.\tTak for det!",
    "q_results": (
        "Jeg har gennemført kurset og lavet en kort vejledning til kollegerne. Den bruges nu "
        "på hele afdelingen, og vi har færre genindlæggelser på grund af sår. Jeg er også "
        "blevet bedre til at planlægge min dag, så der er tid til dokumentation, og jeg har "
        "taget ansvar for at introducere to nye kolleger til afdelingens arbejdsgange."
    ),
    "signature_employee": "Birthe Å. Mølgaard",
    "signature_employee_date": "01.11.2027",
}
RENDERS = {
    "agreement-2026-blank": ("agreement", 2026, {}),
    "preparation-2027-blank": ("preparation", 2027, {}),
    "agreement-2026-prefilled": ("agreement", 2026, AGREEMENT),
    "preparation-2027-prefilled": ("preparation", 2027, PREPARATION),
}


def main() -> None:
    for name, (kind, year, values) in RENDERS.items():
        (HERE / f"{name}.pdf").write_bytes(render_pdf(load_definition(kind), year, values))
        if values:
            text = json.dumps(values, ensure_ascii=False, indent=2) + "\n"
            (HERE / f"{name}.json").write_text(text, encoding="utf-8")
        print(name)


if __name__ == "__main__":
    main()
