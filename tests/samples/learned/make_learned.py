"""Seed 004's company form rebuilt by hand, blank and filled, for `formflow forms learn`.

Run from the project root: `python tests/samples/learned/make_learned.py` (needs LibreOffice).
Writes, beside this script:

- `firma-blank.docx`: seed 004's "Forberedelseskema til Medarbejderudviklings- samtale (MUS)"
  typed in Word (python-docx) as an HR department rebuilds it: no year in the title, no
  employee number, the header as a row of labels over a row of empty cells, a goal table per
  category, an empty paragraph under each question, the signatures as a row of labels;
- `firma-blank.pdf`: that blank exported to PDF by LibreOffice (`soffice --convert-to pdf`);
- `firma-filled.docx`: the blank filled by another program (python-docx opens the blank and
  types into its cells and empty paragraphs), and `firma-filled.pdf`, its LibreOffice export;
- `firma-filled.json`: kind, year and the values a reader must return (dates as ISO).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
TITLE = "Forberedelseskema til Medarbejderudviklings- samtale (MUS)"
CATEGORIES = (
    ("professional", "Faglig udvikling"),
    ("personal", "Personlig udvikling"),
    ("sales", "Hjælp til salg"),
    ("company", "Hjælp til andre dele af firmaet"),
)
GOAL_HEADER = ("Aftaler og mål (konkrete og målbare)", "Startdato", "Slutdato", "Status (1-4)")
QUESTIONS = (
    ("3. Hvilke yderligere aktiviteter var der i gang sidste år?", "other_activities"),
    ("4b. Øvrige kommentarer til aktiviteter/opgaver/samarbejde?", "activity_comments"),
    (
        "7a. Arbejdsvilkår/arbejds miljø: Har du konkrete forslag til forbedring?",
        "work_environment",
    ),
    (
        "7b. Forhold til kollegaer/leder/eksterne samarbejdspartnere, kunder m.v.: Har du "
        "konkrete forslag til forbedringer?",
        "relations",
    ),
    ("8. Andet du ønsker at drøfte?", "other_topics"),
)
# (as typed, as read) for the filled copy: Ulla is on the test roster, without a number here.
VALUES: dict[str, tuple[str, str]] = {
    "employee_name": ("Ulla Bødker Lassen", "Ulla Bødker Lassen"),
    "employee_position": ("Salgskoordinator", "Salgskoordinator"),
    "meeting_date": ("4. marts 2026", "2026-03-04"),
    "prev_goal_professional_1_text": ("Kursus i tilbudsberegning", "Kursus i tilbudsberegning"),
    "prev_goal_professional_1_start": ("01.04.2025", "2025-04-01"),
    "prev_goal_professional_1_end": ("30.06.2025", "2025-06-30"),
    "prev_goal_professional_1_status": ("3", "3"),
    "prev_goal_sales_1_text": ("Stå på messen i Herning", "Stå på messen i Herning"),
    "prev_goal_sales_1_end": ("30/9-2025", "2025-09-30"),
    "prev_goal_sales_1_status": ("4", "4"),
    "other_activities": ("Nyt CRM-system i efteråret.", "Nyt CRM-system i efteråret."),
    "highlight_1": ("Messen i Herning", "Messen i Herning"),
    "highlight_2": ("Det nye CRM", "Det nye CRM"),
    "activity_comments": ("Travlt, men godt.", "Travlt, men godt."),
    "goal_professional_1_text": ("Blive superbruger i CRM", "Blive superbruger i CRM"),
    "goal_professional_1_start": ("1. april 2026", "2026-04-01"),
    "goal_professional_1_end": ("31.08.2026", "2026-08-31"),
    "goal_company_1_text": ("Hjælpe lageret med optælling", "Hjælpe lageret med optælling"),
    "competence_near_need": ("Excel", "Excel"),
    "competence_near_when": ("Foråret", "Foråret"),
    "work_environment": ("Mere ro i storrummet.", "Mere ro i storrummet."),
    "relations": ("Godt samarbejde med lageret.", "Godt samarbejde med lageret."),
    "other_topics": ("Hjemmearbejde om fredagen?", "Hjemmearbejde om fredagen?"),
    "signature_employee_date": ("25.02.2026", "2026-02-25"),
    "signature_employee": ("Ulla Bødker Lassen", "Ulla Bødker Lassen"),
}


def blank(path: Path) -> None:
    """Seed 004's form typed in Word, with nothing filled in."""
    from docx import Document

    doc = Document()
    doc.add_heading(TITLE, 1)
    doc.add_paragraph(
        "Forud for MUS udfyldes skemaet og afleveres til din leder senest en uge inden "
        "samtalen sammen med sidste års handlingsplan."
    )
    _table(doc, [["Navn", "Stilling", "Dato for samtale"], ["", "", ""]])
    doc.add_heading("1. Samtalens formål og forløb", 2)
    doc.add_paragraph("MUS handler om at blive bedre sammen – det er ikke en lønsamtale.")
    doc.add_heading("2. Status på mål og aftaler fra sidste MUS", 2)
    doc.add_paragraph("Gør kort status over hvert mål, og vurder resultatet fra 1-4, hvor")
    doc.add_paragraph("1= Ikke opnået. 2= Helt som aftalt. 3= Bedre end forventet. 4= SEJT.")
    _goal_tables(doc)
    doc.add_heading(QUESTIONS[0][0], 2)
    doc.add_paragraph("")
    doc.add_heading(
        "4a. Hvilke 3 aktiviteter/opgaver m.v. har du været specielt glad for i det forløbne år",
        2,
    )
    _table(doc, [["1", ""], ["2", ""], ["3", ""]])
    for heading, _key in QUESTIONS[1:2]:
        doc.add_heading(heading, 2)
        doc.add_paragraph("")
    doc.add_heading("5. Aftaler og mål og aftaler for det kommende år", 2)
    _goal_tables(doc)
    doc.add_heading("6. Hvilke kompetencer er der brug for at styrke og udvikle?", 2)
    _table(
        doc,
        [
            [
                "",
                "Behov for kompetenceudvikling",
                "Mål for udbytte af kompetenceudvikling (konkrete og målbare)",
                "Hvordan skal kompetenceudviklingen gennemføres? f.eks. selvstudium, "
                "sidemandsoplæring, mv.",
                "Tidspunkt",
            ],
            ["Nærmeste fremtid", "", "", "", ""],
            ["På sigt 1 - 3 år", "", "", "", ""],
        ],
    )
    for heading, _key in QUESTIONS[2:]:
        doc.add_heading(heading, 2)
        doc.add_paragraph("")
    doc.add_heading("10. Underskrift", 2)
    _table(doc, [["Dato", "Underskrift (medarbejder)", "Underskrift (leder)"], ["", "", ""]])
    doc.save(str(path))


def _table(doc: object, rows: list[list[str]]) -> None:
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    doc.add_paragraph("")  # type: ignore[attr-defined]


def _goal_tables(doc: object) -> None:
    for _key, label in CATEGORIES:
        _table(doc, [[label, *GOAL_HEADER], ["", "", "", "", ""]])


def fill(source: Path, target: Path) -> None:
    """Another program fills the blank: python-docx types into its cells and paragraphs."""
    from docx import Document

    doc = Document(str(source))
    tables = doc.tables
    t = {key: typed for key, (typed, _read) in VALUES.items()}
    _cells(
        tables[0], 1, [t.get("employee_name"), t.get("employee_position"), t.get("meeting_date")]
    )
    for offset, prefix in ((1, "prev_goal"), (6, "goal")):
        for n, (cat, _label) in enumerate(CATEGORIES):
            row = [t.get(f"{prefix}_{cat}_1_{col}") for col in ("text", "start", "end", "status")]
            _cells(tables[offset + n], 1, [None, *row])
    for n in range(3):
        _cells(tables[5], n, [None, t.get(f"highlight_{n + 1}")])
    for r, row in ((1, "near"), (2, "long")):
        cols = ("need", "target", "method", "when")
        _cells(tables[10], r, [None, *(t.get(f"competence_{row}_{c}") for c in cols)])
    _cells(tables[11], 1, [t.get("signature_employee_date"), t.get("signature_employee"), None])
    paragraphs = doc.paragraphs
    for heading, key in QUESTIONS:
        index = next(i for i, p in enumerate(paragraphs) if p.text == heading)
        if key in t:
            paragraphs[index + 1].text = t[key]
    doc.save(str(target))


def _cells(table: object, row: int, texts: list[str | None]) -> None:
    for c, text in enumerate(texts):
        if text:
            table.cell(row, c).text = text  # type: ignore[attr-defined]


def export(docx: Path, work: Path) -> Path:
    """The DOCX as LibreOffice exports it to PDF."""
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(work), str(docx)],
        check=True,
        capture_output=True,
        timeout=300,
        env={"HOME": str(work), "PATH": "/usr/bin:/bin"},
    )
    return work / docx.with_suffix(".pdf").name


def main() -> None:
    blank(HERE / "firma-blank.docx")
    fill(HERE / "firma-blank.docx", HERE / "firma-filled.docx")
    with tempfile.TemporaryDirectory() as folder:
        for name in ("firma-blank", "firma-filled"):
            shutil.copy(export(HERE / f"{name}.docx", Path(folder)), HERE / f"{name}.pdf")
    expected = {
        "kind": "preparation",
        "year": 2026,
        "expected": {k: v for k, (_t, v) in VALUES.items()},
    }
    text = json.dumps(expected, ensure_ascii=False, indent=1)
    (HERE / "firma-filled.json").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
