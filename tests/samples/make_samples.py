"""Make the sample forms filled, flattened and rebuilt by programs other than formflow.

Run from the project root: `python tests/samples/make_samples.py` (needs pdftk, qpdf,
Ghostscript and LibreOffice; takes about a minute). For each form kind it writes, into
`tests/samples/`:

- `<kind>-expected.json`: the values typed in (`filled`, Danish dates as people write them) and
  what a reader must return (`expected`, dates as ISO);
- `<kind>-blank.pdf`: formflow's blank form; `<kind>-pdftk.pdf`: filled by `pdftk fill_form`
  from an XFDF with æøå; `<kind>-pdftk-need-appearances.pdf`: the same with
  `need_appearances` (no appearance streams, viewers draw them);
- `<kind>-pdftk-flattened.pdf` (`pdftk ... fill_form ... flatten`), `<kind>-qpdf-flattened.pdf`
  (`qpdf --flatten-annotations=all` of a filled form), `<kind>-gs-printed.pdf` (Ghostscript
  `pdfwrite` of a filled form, what "print to PDF" leaves);
- `<kind>-prefilled.docx` (formflow's DOCX, pre-filled), `<kind>-libreoffice.pdf` (that DOCX
  exported to PDF by LibreOffice) and `<kind>-libreoffice.docx` (re-saved by LibreOffice);
- `<kind>-rebuilt.docx`: the form rebuilt by hand in Word from seed 004's layout, with no
  content controls (written with python-docx the way an HR person types it).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

from formflow.forms.library import load_definition
from formflow.forms.render import render_bytes

HERE = Path(__file__).resolve().parent
YEAR = 2026

# (as typed, as read): the Danish ways of writing a date.
DATES = {
    "meeting": ("12.03.2026", "2026-03-12"),
    "start": ("12/3-2026", "2026-03-12"),
    "end": ("12. marts 2026", "2026-03-12"),
    "q2": ("1. april 2026", "2026-04-01"),
    "summer": ("30-06-2026", "2026-06-30"),
    "iso": ("2026-09-01", "2026-09-01"),
    "signed": ("20.3.2026", "2026-03-20"),
    "next": ("15. marts 2027", "2027-03-15"),
}

HEADER = {
    "employee_name": "Birthe Ærø Søndergård",
    "employee_number": "4711",
    "employee_position": "Økonomimedarbejder",
    "leader_name": "Åge Østergaard",
    "meeting_date": "meeting",
}

PREPARATION = {
    **HEADER,
    "prev_goal_professional_1_text": "Gennemføre kursus i Excel for øvede",
    "prev_goal_professional_1_start": "start",
    "prev_goal_professional_1_end": "end",
    "prev_goal_professional_1_status": "3",
    "prev_goal_professional_2_text": "Lære det nye lønsystem at kende",
    "prev_goal_professional_2_start": "q2",
    "prev_goal_professional_2_end": "summer",
    "prev_goal_professional_2_status": "2",
    "prev_goal_personal_1_text": "Sige fra over for opgaver uden for mit område",
    "prev_goal_personal_1_start": "start",
    "prev_goal_personal_1_end": "iso",
    "prev_goal_personal_1_status": "1",
    "prev_goal_sales_1_text": "Hjælpe salg med tilbudsberegninger",
    "prev_goal_sales_1_status": "4",
    "prev_goal_company_1_text": "Sidemandsoplæring af ny kollega i bogholderiet",
    "prev_goal_company_1_end": "summer",
    "prev_goal_company_1_status": "2",
    "prev_plan_1_competence": "Kursus i regnskabsaflæggelse",
    "prev_plan_1_status": "3",
    "prev_plan_2_competence": "Engelsk for økonomifolk",
    "prev_plan_2_status": "1",
    "other_activities": "Årsafslutning i januar.\nFlytning af arkivet til kælderen.",
    "highlight_1": "Budgetarbejdet sammen med salgsafdelingen",
    "highlight_2": "Den nye rejseafregning",
    "highlight_3": "Fredagsbaren – jeg står for den nu",
    "activity_comments": (
        "Samarbejdet med »lønnen« kan blive bedre; vi mangler en fast ugentlig aftale."
    ),
    "goal_professional_1_text": "Blive superbruger i økonomisystemet",
    "goal_professional_1_start": "q2",
    "goal_professional_1_end": "iso",
    "goal_personal_1_text": "Holde et oplæg på personalemødet",
    "goal_personal_1_start": "summer",
    "goal_personal_1_end": "iso",
    "goal_sales_1_text": "Månedlig rapport til salgscheferne",
    "goal_company_1_text": "Beskrive bogholderiets arbejdsgange",
    "goal_company_1_end": "summer",
    "competence_near_need": "Økonomisystemets rapportmodul",
    "competence_near_target": "Kan selv lave månedsrapporten",
    "competence_near_method": "Sidemandsoplæring med Jørn",
    "competence_near_when": "Forår 2026",
    "competence_long_need": "Ledelse af små projekter",
    "competence_long_target": "Kan lede et projekt med 3-4 kolleger",
    "competence_long_method": "Kursus og et mindre projekt",
    "competence_long_when": "2027",
    "work_environment": "Støj fra printeren ved mit bord. Den kunne flyttes ud på gangen.",
    "relations": "Godt samarbejde med kollegerne; mere “sparring” med lederen ønskes.",
    "other_topics": "Mulighed for hjemmearbejde om fredagen?",
    "q_results": "Årsregnskabet blev færdigt to uger før tid.",
    "q_went_well": "Budgettet gik godt. Udfordrende: systemskiftet i foråret.",
    "q_motivation": "Når jeg kan se, at mit arbejde gør en forskel for salg.",
    "q_wellbeing": "Jeg trives godt, især med de nye kolleger.",
    "q_competence_needs": "Rapportering og lidt projektledelse.",
    "q_career": "Jeg vil gerne på sigt være controller.",
    "signature_employee": "Birthe Ærø Søndergård",
    "signature_employee_date": "signed",
}

AGREEMENT = {
    **HEADER,
    "goal_professional_1_text": "Blive superbruger i økonomisystemet",
    "goal_professional_1_start": "q2",
    "goal_professional_1_end": "iso",
    "goal_professional_2_text": "Tage certificering i lønsystemet",
    "goal_professional_2_start": "start",
    "goal_professional_2_end": "summer",
    "goal_personal_1_text": "Holde et oplæg på personalemødet",
    "goal_personal_1_end": "iso",
    "goal_sales_1_text": "Månedlig rapport til salgscheferne",
    "goal_sales_1_start": "q2",
    "goal_company_1_text": "Beskrive bogholderiets arbejdsgange",
    "goal_company_1_start": "start",
    "goal_company_1_end": "summer",
    "plan_1_competence": "Rapportering i økonomisystemet",
    "plan_1_activity": "Sidemandsoplæring med Jørn",
    "plan_1_when": "Forår 2026",
    "plan_1_success": "Birthe laver selv månedsrapporten",
    "plan_1_followup_date": "summer",
    "plan_1_followup_how": "Kort møde",
    "plan_1_followup_who": "Åge",
    "plan_2_competence": "Projektledelse",
    "plan_2_activity": "Kursus hos en ekstern udbyder",
    "plan_2_when": "Efterår 2026",
    "plan_2_success": "Et lille projekt er gennemført",
    "plan_2_followup_date": "iso",
    "plan_2_followup_how": "Ved næste MUS",
    "plan_2_followup_who": "Birthe",
    "summary": "Vi talte om hjemmearbejde; Birthe må prøve det om fredagen i tre måneder.",
    "next_meeting_date": "next",
    "signature_leader": "Åge Østergaard",
    "signature_leader_date": "signed",
    "signature_employee": "Birthe Ærø Søndergård",
    "signature_employee_date": "signed",
}

VALUES = {"preparation": PREPARATION, "agreement": AGREEMENT}


def filled_and_expected(kind: str) -> tuple[dict[str, str], dict[str, str]]:
    """The values as typed and as a reader must return them (every key of the form)."""
    definition = load_definition(kind)
    filled, expected = {}, {}
    for key in definition.keys:
        value = VALUES[kind].get(key, "")
        if definition.field(key).type == "date" and value:
            filled[key], expected[key] = DATES[value]
        else:
            filled[key] = expected[key] = value
    return filled, expected


def xfdf(values: dict[str, str]) -> bytes:
    fields = "".join(
        f"<field name={quoteattr(key)}><value>{_escape(value)}</value></field>"
        for key, value in values.items()
        if value
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<xfdf xmlns="http://ns.adobe.com/xfdf/" xml:space="preserve">'
        f"<fields>{fields}</fields></xfdf>"
    ).encode()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def run(*command: str | Path) -> None:
    subprocess.run([str(part) for part in command], check=True, capture_output=True, timeout=300)


def make_pdfs(kind: str, filled: dict[str, str], work: Path) -> None:
    definition = load_definition(kind)
    blank = HERE / f"{kind}-blank.pdf"
    blank.write_bytes(render_bytes(definition, YEAR, {}, "pdf"))
    data = work / f"{kind}.xfdf"
    data.write_bytes(xfdf(filled))
    pdftk = HERE / f"{kind}-pdftk.pdf"
    run("pdftk", blank, "fill_form", data, "output", pdftk)
    run(
        "pdftk",
        blank,
        "fill_form",
        data,
        "output",
        HERE / f"{kind}-pdftk-need-appearances.pdf",
        "need_appearances",
    )
    run(
        "pdftk", blank, "fill_form", data, "output", HERE / f"{kind}-pdftk-flattened.pdf", "flatten"
    )
    run("qpdf", "--flatten-annotations=all", pdftk, HERE / f"{kind}-qpdf-flattened.pdf")
    run(
        "gs",
        "-q",
        "-dBATCH",
        "-dNOPAUSE",
        "-dSAFER",
        "-sDEVICE=pdfwrite",
        f"-sOutputFile={HERE / f'{kind}-gs-printed.pdf'}",
        pdftk,
    )


def make_libreoffice(kind: str, filled: dict[str, str], work: Path) -> None:
    definition = load_definition(kind)
    prefilled = HERE / f"{kind}-prefilled.docx"
    prefilled.write_bytes(render_bytes(definition, YEAR, filled, "docx"))
    profile = f"-env:UserInstallation=file://{work / 'lo-profile'}"
    run("soffice", profile, "--headless", "--convert-to", "pdf", "--outdir", work, prefilled)
    shutil.copy(work / f"{kind}-prefilled.pdf", HERE / f"{kind}-libreoffice.pdf")
    resaved = work / "resaved"
    resaved.mkdir()
    run(
        "soffice",
        profile,
        "--headless",
        "--convert-to",
        "docx:MS Word 2007 XML",
        "--outdir",
        resaved,
        prefilled,
    )
    shutil.copy(resaved / f"{kind}-prefilled.docx", HERE / f"{kind}-libreoffice.docx")


def make_rebuilt(kind: str, filled: dict[str, str]) -> None:
    """The form as an HR person rebuilds it in Word: no controls, values typed in."""
    from docx import Document

    definition = load_definition(kind)
    document = Document()
    document.add_heading(definition.title_for(YEAR), level=0)
    value = filled.get

    def table(rows: list[list[str]]) -> None:
        grid = document.add_table(rows=0, cols=len(rows[0]))
        grid.style = "Table Grid"
        for row in rows:
            cells = grid.add_row().cells
            for cell, text in zip(cells, row, strict=True):
                cell.text = text

    # Seed 004's header: a row of labels over a row of answers.
    table(
        [
            ["Navn", "Stilling", "Dato for samtale"],
            [value("employee_name", ""), value("employee_position", ""), value("meeting_date", "")],
        ]
    )
    table([["Medarbejdernr.", value("employee_number", "")], ["Leder", value("leader_name", "")]])
    for section in definition.sections:
        document.add_heading(section.heading, level=1)
        for block in section.blocks:
            _rebuilt_block(document, table, block, value)
    document.save(str(HERE / f"{kind}-rebuilt.docx"))


def _rebuilt_block(document, table, block, value) -> None:  # type: ignore[no-untyped-def]
    from formflow.forms.definition import (
        FieldBlock,
        GoalTable,
        Grid,
        ListBlock,
        QuestionsBlock,
        RowTable,
        SignaturesBlock,
        TextBlock,
    )

    if isinstance(block, TextBlock):
        for text in block.paragraphs:
            document.add_paragraph(text)
    elif isinstance(block, FieldBlock):
        for line in value(block.field.key, "").split("\n"):
            document.add_paragraph(line)
    elif isinstance(block, ListBlock):
        for number, spec in enumerate(block.fields, start=1):
            document.add_paragraph(f"{number}. {value(spec.key, '')}")
    elif isinstance(block, GoalTable):
        # One small table per category, the category heading its rows (seed 004).
        for category in block.categories:
            rows = [[category.label, *(c.label for c in block.columns)]]
            for goal in block.rows_of(category):
                rows.append(["", *(value(spec.key, "") for spec in goal.cells)])
            table(rows)
    elif isinstance(block, RowTable):
        rows = [["Nr.", *(c.label for c in block.columns)]]
        for number, cells in enumerate(block.rows, start=1):
            rows.append([f"{number}.", *(value(spec.key, "") for spec in cells)])
        table(rows)
    elif isinstance(block, Grid):
        rows = [["", *(c.label for c in block.columns)]]
        for grid_row in block.rows:
            rows.append([grid_row.label, *(value(spec.key, "") for spec in grid_row.cells)])
        table(rows)
    elif isinstance(block, QuestionsBlock):
        for group in block.groups:
            document.add_heading(group.theme.label, level=2)
            for question, spec in group.questions:
                document.add_paragraph(question.text)
                if value(spec.key, ""):
                    document.add_paragraph(value(spec.key, ""))
    elif isinstance(block, SignaturesBlock):
        for role in block.roles:
            table(
                [
                    [role.date.label, role.label],
                    [value(role.date.key, ""), value(role.signature.key, "")],
                ]
            )


def main() -> int:
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        for kind in VALUES:
            filled, expected = filled_and_expected(kind)
            (HERE / f"{kind}-expected.json").write_text(
                json.dumps(
                    {"year": YEAR, "filled": filled, "expected": expected},
                    ensure_ascii=False,
                    indent=1,
                )
                + "\n",
                encoding="utf-8",
            )
            (work / kind).mkdir()
            make_pdfs(kind, filled, work / kind)
            make_libreoffice(kind, filled, work / kind)
            make_rebuilt(kind, filled)
    return 0


if __name__ == "__main__":
    sys.exit(main())
