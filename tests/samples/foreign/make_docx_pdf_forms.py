"""Foreign forms typed by hand in Word (python-docx) and drawn by other PDF programs (reportlab).

Run from the project root: `python tests/samples/foreign/make_docx_pdf_forms.py` (LibreOffice
and Ghostscript make the exported and printed copies). Writes, beside this script, each form
and its `<name>.json` (kind, year, the values a reader must find):

- `company-preparation.docx`, its LibreOffice PDF export `company-preparation-lo.pdf` and that
  printed by Ghostscript `company-preparation-gs.pdf`: seed 004's company form, its own
  spelling ("Forberedelseskema til Medarbejderudviklingssamtale (MUS)", no year), no employee
  number, a row of labels over a row of values, a goal table per category, numbered headings
  worded as in the seed, answers as paragraphs under their heading;
- `inspiration-preparation.docx` and its LibreOffice export `inspiration-preparation-lo.pdf`:
  seed 003's inspiration questions ("MUS-samtalen"), each answered under it; the questions
  decide the kind;
- `clinic-agreement-tabs.docx` and its LibreOffice export `clinic-agreement-tabs-lo.pdf`: seed
  000's clinic agreement typed in Word with tabs, the dates and signatures on one tabbed line
  over their captions ("Dato og underskrift, klinikejer");
- `unclear-title.docx`: "Medarbejdersamtale – referat": a title that names no form, so the
  labels on the page decide the kind; `Label: value` paragraphs;
- `colon-agreement.pdf` (reportlab, text only): "MUS 2025 – Udviklings- og aftaleskema",
  `Label: value` lines with wrapped continuation lines, category-prefixed goal labels
  ("Faglig udvikling: Startdato: 01.04.2025"), unnumbered headings, a combined date and
  signature line;
- `ruled-preparation.pdf` (reportlab, ruled tables): "Forberedelsesskema til MUS 2025" with a
  label cell beside each value cell and the goal tables drawn as grids;
- `colon-preparation.pdf` (reportlab, text only): the preparation form as `Label: value`
  lines in an HR department's own words, long answers wrapped under themselves, goals as
  category-prefixed labels;
- `devplan.pdf` (reportlab): seed 003's "Min udviklingsplan", labels above their answers.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from values import AGREEMENT, HERE, PREPARATION, QUESTIONS, typed, write_expected  # noqa: E402

CATEGORIES = (
    ("professional", "Faglig udvikling"),
    ("personal", "Personlig udvikling"),
    ("sales", "Hjælp til salg"),
    ("company", "Hjælp til andre dele af firmaet"),
)


def p(key: str) -> str:
    return typed(PREPARATION, key) if key in PREPARATION else ""


def a(key: str) -> str:
    return typed(AGREEMENT, key) if key in AGREEMENT else ""


# --- Word ---------------------------------------------------------------------------------------


def company_docx(path: Path) -> list[str]:
    from docx import Document

    doc = Document()
    doc.add_heading("Forberedelseskema til Medarbejderudviklingssamtale (MUS)", 1)
    doc.add_paragraph(
        "Forud for MUS udfyldes skemaet og afleveres til din leder senest en uge inden "
        "samtalen sammen med sidste års handlingsplan."
    )
    header = doc.add_table(rows=2, cols=3)
    header.style = "Table Grid"
    for i, (label, key) in enumerate(
        (("Navn", "employee_name"), ("Stilling", "employee_position"),
         ("Dato for samtale", "meeting_date"))
    ):  # fmt: skip
        header.cell(0, i).text = label
        header.cell(1, i).text = p(key)
    doc.add_heading("2. Status på mål og aftaler fra sidste MUS", 2)
    doc.add_paragraph("Gør kort status over hvert mål, og vurder resultatet fra 1-4, hvor")
    doc.add_paragraph("1= Ikke opnået. (Gå ikke i detaljen med hvorfor)")
    for prefix in ("prev_goal", "goal"):
        if prefix == "goal":
            doc.add_heading("5. Aftaler og mål og aftaler for det kommende år", 2)
        for cat, label in CATEGORIES:
            table = doc.add_table(rows=3, cols=5)
            table.style = "Table Grid"
            for i, text in enumerate(
                (label, "Aftaler og mål (konkrete og målbare)", "Startdato", "Slutdato",
                 "Status (1-4)")
            ):  # fmt: skip
                table.cell(0, i).text = text
            for i, col in enumerate(("text", "start", "end", "status"), start=1):
                table.cell(1, i).text = p(f"{prefix}_{cat}_1_{col}")
            _widths(table, (3.2, 7.0, 2.4, 2.4, 1.8))  # seed 004: a wide column for the goal
            doc.add_paragraph("")
        if prefix == "prev_goal":
            doc.add_heading("3. Hvilke yderligere aktiviteter var der i gang sidste år?", 2)
            doc.add_paragraph(p("other_activities"))
            doc.add_heading(
                "4a. Hvilke 3 aktiviteter/opgaver m.v. har du været specielt glad for i det "
                "forløbne år", 2,
            )  # fmt: skip
            for n in (1, 2, 3):
                doc.add_paragraph(f"{n}. {p(f'highlight_{n}')}")
            doc.add_heading("4b. Øvrige kommentarer til aktiviteter/opgaver/samarbejde?", 2)
            doc.add_paragraph(p("activity_comments"))
    doc.add_heading("6. Hvilke kompetencer er der brug for at styrke og udvikle?", 2)
    grid = doc.add_table(rows=3, cols=5)
    grid.style = "Table Grid"
    for i, text in enumerate(
        ("", "Behov for kompetenceudvikling",
         "Mål for udbytte af kompetenceudvikling (konkrete og målbare)",
         "Hvordan skal kompetenceudviklingen gennemføres? f.eks. selvstudium, "
         "sidemandsoplæring, mv.", "Tidspunkt")
    ):  # fmt: skip
        grid.cell(0, i).text = text
    for r, (row, label) in enumerate((("near", "Nærmeste fremtid"), ("long", "På sigt 1 - 3 år")), 1):
        grid.cell(r, 0).text = label
        for i, col in enumerate(("need", "target", "method", "when"), start=1):
            grid.cell(r, i).text = p(f"competence_{row}_{col}")
    doc.add_heading("7a. Arbejdsvilkår/arbejds miljø: Har du konkrete forslag til forbedring?", 2)
    doc.add_paragraph(p("work_environment"))
    doc.add_heading(
        "7b. Forhold til kollegaer/leder/eksterne samarbejdspartnere, kunder m.v.: Har du "
        "konkrete forslag til forbedringer?", 2,
    )  # fmt: skip
    doc.add_paragraph(p("relations"))
    doc.add_heading("8. Andet du ønsker at drøfte?", 2)
    doc.add_paragraph(p("other_topics"))
    doc.add_heading("10. Underskrift", 2)
    sign = doc.add_table(rows=2, cols=2)
    sign.style = "Table Grid"
    sign.cell(0, 0).text = "Dato"
    sign.cell(0, 1).text = "Underskrift (medarbejder)"
    sign.cell(1, 0).text = p("signature_employee_date")
    sign.cell(1, 1).text = p("signature_employee")
    doc.save(str(path))
    return [k for k in PREPARATION if k not in ("employee_number", "leader_name")]


def _widths(table, centimetres: tuple[float, ...]) -> None:  # type: ignore[no-untyped-def]
    from docx.shared import Cm

    table.autofit = False
    for column, width in zip(table.columns, centimetres, strict=True):
        column.width = Cm(width)  # the grid LibreOffice lays out by
    for row in table.rows:
        for cell, width in zip(row.cells, centimetres, strict=True):
            cell.width = Cm(width)


def clinic_tabs_docx(path: Path) -> list[str]:
    """Seed 000's clinic agreement typed in Word with tabs: `Navn:<tab>...` lines, the goals
    in a table, the plan's questions each over its answer, and the two signature boxes as a
    tabbed line of dates and names over a tabbed line of their captions."""
    from docx import Document

    doc = Document()
    doc.add_heading("Udviklings- og aftaleskema for MUS", 1)
    for label, key in (("Navn", "employee_name"), ("Klinikejer", "leader_name"),
                       ("Dato for samtale", "meeting_date")):  # fmt: skip
        doc.add_paragraph(f"{label}:\t{a(key)}")
    doc.add_heading("Aftaler og mål for det kommende år", 2)
    goals = doc.add_table(rows=4, cols=4)
    goals.style = "Table Grid"
    for i, text in enumerate(("Område", "Aftaler og mål", "Startdato", "Slutdato")):
        goals.cell(0, i).text = text
    for r, (cat, label) in enumerate(CATEGORIES[:3], start=1):
        goals.cell(r, 0).text = label
        for i, col in enumerate(("text", "start", "end"), start=1):
            goals.cell(r, i).text = a(f"goal_{cat}_1_{col}")
    _widths(goals, (3.5, 7.0, 2.8, 2.8))
    keys = ["employee_name", "leader_name", "meeting_date"]
    keys += [f"goal_{c}_1_{col}" for c, _ in CATEGORIES[:3] for col in ("text", "start", "end")]
    doc.add_heading("Udviklingsplan", 2)
    for question, key in (
        ("Hvilke kompetencer skal udvikles og med hvilke mål?", "plan_1_competence"),
        ("Hvilke kompetence-udviklingsaktiviteter skal gennemføres?", "plan_1_activity"),
        ("Hvornår?", "plan_1_when"),
        ("Hvem følger op?", "plan_1_followup_who"),
    ):
        doc.add_paragraph(question).runs[0].bold = True
        doc.add_paragraph(a(key))
        keys.append(key)
    doc.add_heading("Evt. opsummering af særlige aftaler eller temaer, der blev talt om:", 2)
    doc.add_paragraph(a("summary"))
    doc.add_paragraph("")
    doc.add_paragraph(
        f"{a('signature_leader_date')} {a('signature_leader')}\t\t"
        f"{a('signature_employee_date')} {a('signature_employee')}"
    )
    doc.add_paragraph("Dato og underskrift, klinikejer\t\tDato og underskrift, medarbejder")
    doc.save(str(path))
    return [*keys, "summary", "signature_leader", "signature_leader_date",
            "signature_employee", "signature_employee_date"]  # fmt: skip


def unclear_docx(path: Path) -> list[str]:
    from docx import Document

    doc = Document()
    doc.add_heading("Medarbejdersamtale – referat", 1)
    doc.add_paragraph("Referatet skrives af lederen og sendes til medarbejderen.")
    keys = []
    for label, key in (
        ("Navn", "employee_name"), ("Medarb.nr.", "employee_number"),
        ("Leder", "leader_name"), ("Dato for samtale", "meeting_date"),
    ):  # fmt: skip
        doc.add_paragraph(f"{label}: {a(key)}")
        keys.append(key)
    doc.add_heading("Hvilke kompetencer skal udvikles og med hvilke mål?", 2)
    doc.add_paragraph(a("plan_1_competence"))
    doc.add_heading("Hvordan ved I, at målet er nået?", 2)
    doc.add_paragraph(a("plan_1_success"))
    doc.add_heading("Dato for næste samtale", 2)
    doc.add_paragraph(a("next_meeting_date"))
    doc.add_paragraph(f"Underskrift, leder: {a('signature_leader')}")
    doc.add_paragraph(f"Dato, leder: {a('signature_leader_date')}")
    doc.save(str(path))
    return [*keys, "plan_1_competence", "plan_1_success", "next_meeting_date",
            "signature_leader", "signature_leader_date"]  # fmt: skip


SEED_003 = (
    ("Tilbageblik og feedback", (
        ("Hvilke resultater og præstationer har jeg opnået det seneste år?", "q_results"),
        ("Hvad er gået godt, hvad har været udfordrende? Og hvorfor?", "q_went_well"),
        ("Hvilke kompetencer har jeg særligt haft i spil det seneste år?", "q_competences_used"),
        ("Hvordan fungerer mit samarbejde med mine kollegaer, med samarbejdspartnere fra andre "
         "afdelinger, eksterne samarbejdspartnere mv.?", "q_cooperation"),
    )),
    ("Motivation og trivsel", (
        ("Hvad motiverer mig?", "q_motivation"),
        ("Hvordan trives jeg med mine opgaver, kolleger og min nærmeste leder?", "q_wellbeing"),
        ("Får jeg den feedback, som jeg har brug for fra mine kolleger og fra min nærmeste "
         "leder?", "q_feedback"),
    )),
    ("Mål og udvikling", (
        ("Hvilke kompetencer har jeg brug for at udvikle i forhold til afdelingens opgaver og "
         "udfordringer?", "q_competence_needs"),
        ("Mine overvejelser ift. opgaver/funktioner/karriere på kort og lidt længere sigt?",
         "q_career"),
        ("Hvad skal jeg gøre mere af/mindre af i det kommende år – lad os lave konkrete aftaler",
         "q_more_less"),
    )),
)  # fmt: skip


def inspiration_docx(path: Path) -> list[str]:
    """Seed 003's inspiration questions, answered under each question: a title that names no
    form ("MUS-samtalen"), so the questions decide the kind."""
    from docx import Document

    doc = Document()
    doc.add_heading("MUS-samtalen", 1)
    doc.add_paragraph("Dette materiale er inspiration til vores MUS.")
    doc.add_paragraph("Formål:")
    doc.add_paragraph(
        "At få drøftet det seneste års præstationer, opgaver, samarbejde, trivsel m.m.",
        style="List Bullet",
    )
    doc.add_paragraph(f"Navn: {typed(QUESTIONS, 'employee_name')}")
    doc.add_paragraph(f"Nærmeste leder: {typed(QUESTIONS, 'leader_name')}")
    doc.add_paragraph(f"Dato for samtale: {typed(QUESTIONS, 'meeting_date')}")
    doc.add_heading("Inspirationsspørgsmål til samtalen og udviklingsplan", 2)
    doc.add_paragraph(
        "Læs og tænk over inspirationsspørgsmålene nedenfor. Skriv gerne noter. Det gør jeg også."
    )
    keys = ["employee_name", "leader_name", "meeting_date"]
    for theme, questions in SEED_003:
        doc.add_heading(theme, 2)
        for number, (question, key) in enumerate(questions, start=1):
            doc.add_paragraph(f"{number}. {question}")
            if key in QUESTIONS:
                doc.add_paragraph(typed(QUESTIONS, key))
                keys.append(key)
            else:
                doc.add_paragraph("")
    doc.save(str(path))
    return keys


# --- reportlab ----------------------------------------------------------------------------------


def _canvas(path: Path):  # type: ignore[no-untyped-def]
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    for name, file in (("DejaVu", "DejaVuSans.ttf"), ("DejaVuB", "DejaVuSans-Bold.ttf")):
        pdfmetrics.registerFont(TTFont(name, f"/usr/share/fonts/truetype/dejavu/{file}"))
    return canvas.Canvas(str(path), pagesize=A4), A4


class Writer:
    """Lines down a page, wrapping long text under a hanging indent, new page when full."""

    def __init__(self, path: Path) -> None:
        self.c, (self.width, self.height) = _canvas(path)
        self.y = self.height - 60

    def need(self, space: float) -> None:
        if self.y - space < 50:
            self.c.showPage()
            self.y = self.height - 60

    def line(self, text: str, size: float = 10, bold: bool = False, x: float = 50) -> None:
        self.need(size + 6)
        self.c.setFont("DejaVuB" if bold else "DejaVu", size)
        self.c.drawString(x, self.y, text)
        self.y -= size + 5

    def labelled(self, label: str, value: str, indent: float = 170, width: float = 340) -> None:
        """`Label:` and the value beside it, wrapped lines under the value."""
        from reportlab.lib.utils import simpleSplit

        lines = [] if not value else [
            part for para in value.split("\n") for part in simpleSplit(para, "DejaVu", 10, width)
        ]  # fmt: skip
        self.need(15 * max(1, len(lines)))
        self.c.setFont("DejaVu", 10)
        self.c.drawString(50, self.y, f"{label}:")
        for part in lines or [""]:
            self.c.drawString(indent, self.y, part)
            self.y -= 15
        self.y -= 2

    def gap(self, size: float = 8) -> None:
        self.y -= size

    def save(self) -> None:
        self.c.save()


def colon_pdf(path: Path) -> list[str]:
    w = Writer(path)
    w.line("MUS 2025 – Udviklings- og aftaleskema", 15, bold=True)
    w.line("Udfyldes ved afslutningen af samtalen. Begge parter gemmer en kopi.")
    w.gap()
    for label, key in (("Navn", "employee_name"), ("Medarbejdernr.", "employee_number"),
                       ("Stilling", "employee_position"), ("Leder", "leader_name"),
                       ("Dato for samtale", "meeting_date")):  # fmt: skip
        w.labelled(label, a(key), indent=150)
    w.gap()
    w.line("Aftaler og mål for det kommende år", 12, bold=True)
    for cat, label in CATEGORIES[:3]:
        for col, word in (("text", "Aftaler og mål"), ("start", "Startdato"), ("end", "Slutdato")):
            w.labelled(f"{label}: {word}", a(f"goal_{cat}_1_{col}"), indent=260, width=260)
    w.gap()
    w.line("Udviklingsplan", 12, bold=True)
    for label, key in (
        ("Hvilke kompetencer skal udvikles og med hvilke mål?", "plan_1_competence"),
        ("Hvilke kompetenceudviklingsaktiviteter skal gennemføres?", "plan_1_activity"),
        ("Hvornår?", "plan_1_when"),
        ("Hvordan ved I, at målet er nået?", "plan_1_success"),
        ("Hvornår følges der op?", "plan_1_followup_date"),
        ("Hvordan følges op?", "plan_1_followup_how"),
        ("Hvem følger op?", "plan_1_followup_who"),
    ):
        w.line(label, bold=True)
        w.line(a(key))
        w.gap(4)
    w.gap()
    w.line("Evt. opsummering af særlige aftaler eller temaer, der blev talt om", 12, bold=True)
    for line in a("summary").split("\n"):
        w.line(line)
    w.gap()
    w.labelled("Dato for næste samtale", a("next_meeting_date"), indent=200)
    w.gap(20)
    w.labelled("Dato og underskrift, leder",
               f"{a('signature_leader_date')}  {a('signature_leader')}", indent=230)  # fmt: skip
    w.labelled("Dato og underskrift, medarbejder",
               f"{a('signature_employee_date')}  {a('signature_employee')}", indent=230)  # fmt: skip
    w.save()
    return [k for k in AGREEMENT]


def ruled_pdf(path: Path) -> list[str]:
    """Grids drawn with lines: label cells beside value cells, goal tables by category."""
    w = Writer(path)
    w.line("Forberedelsesskema til MUS 2025", 15, bold=True)
    w.gap()

    def grid(rows: list[list[str]], widths: list[float], bold_first_row: bool = False) -> None:
        from reportlab.lib.utils import simpleSplit

        for r, row in enumerate(rows):
            wrapped = [
                [part for para in text.split("\n") for part in simpleSplit(para, "DejaVu", 9, width - 6)]
                or [""]
                for text, width in zip(row, widths)
            ]
            height = 12 * max(len(parts) for parts in wrapped) + 6
            w.need(height)
            x = 50.0
            for parts, width in zip(wrapped, widths):
                w.c.rect(x, w.y - height, width, height)
                w.c.setFont("DejaVuB" if (bold_first_row and r == 0) else "DejaVu", 9)
                for i, part in enumerate(parts):
                    w.c.drawString(x + 3, w.y - 12 - 12 * i, part)
                x += width
            w.y -= height
        w.gap(14)

    header = [["Navn", p("employee_name")], ["Medarbejdernr.", p("employee_number")],
              ["Stilling", p("employee_position")], ["Leder", p("leader_name")],
              ["Dato for samtale", p("meeting_date")]]  # fmt: skip
    grid(header, [150, 345])
    for prefix, heading in (("prev_goal", "2. Status på mål og aftaler fra sidste MUS"),
                            ("goal", "5. Aftaler og mål for det kommende år")):  # fmt: skip
        w.line(heading, 12, bold=True)
        status = prefix == "prev_goal"
        head = ["Område", "Aftaler og mål", "Startdato", "Slutdato"] + (["Status (1-4)"] if status else [])
        rows = [head]
        for cat, label in CATEGORIES:
            cols = ("text", "start", "end", "status") if status else ("text", "start", "end")
            rows.append([label] + [p(f"{prefix}_{cat}_1_{col}") for col in cols])
        widths = [110, 175, 70, 70, 70] if status else [110, 245, 70, 70]
        grid(rows, widths, bold_first_row=True)
    for heading, key in (
        ("3. Hvilke yderligere aktiviteter var der i gang sidste år?", "other_activities"),
        ("4b. Øvrige kommentarer til aktiviteter/opgaver/samarbejde", "activity_comments"),
        ("7a. Arbejdsvilkår/arbejdsmiljø: Har du konkrete forslag til forbedring?", "work_environment"),
        ("7b. Forhold til kollegaer/leder/eksterne samarbejdspartnere", "relations"),
        ("8. Andet du ønsker at drøfte?", "other_topics"),
    ):
        w.line(heading, 11, bold=True)
        grid([[p(key)]], [495])
    w.line("Underskrift", 12, bold=True)
    grid([["Underskrift (medarbejder)", p("signature_employee")], ["Dato", p("signature_employee_date")]],
         [150, 345])  # fmt: skip
    w.save()
    goal_keys = [k for k in PREPARATION if k.startswith(("prev_goal_", "goal_"))]
    return ["employee_name", "employee_number", "employee_position", "leader_name",
            "meeting_date", *goal_keys, "other_activities", "activity_comments",
            "work_environment", "relations", "other_topics", "signature_employee",
            "signature_employee_date"]  # fmt: skip


def colon_preparation_pdf(path: Path) -> list[str]:
    """`Label:` and value side by side, long values wrapped under themselves, unnumbered
    headings, goals as category-prefixed labels (status included)."""
    w = Writer(path)
    w.line("Forberedelsesskema til MUS 2025", 15, bold=True)
    w.line("Afleveres til lederen senest en uge før samtalen.")
    w.gap()
    header = ("employee_name", "employee_number", "employee_position", "leader_name", "meeting_date")
    for label, key in zip(("Navn", "Lønnummer", "Stillingsbetegnelse", "Nærmeste leder",
                           "Samtaledato"), header):  # fmt: skip
        w.labelled(label, p(key), indent=170)
    keys = list(header)
    for prefix, heading in (("prev_goal", "Status på mål og aftaler fra sidste MUS"),
                            ("goal", "Aftaler og mål for det kommende år")):  # fmt: skip
        w.gap()
        w.line(heading, 12, bold=True)
        for cat, label in CATEGORIES:
            for col, word in (("text", "Mål"), ("start", "Startdato"), ("end", "Slutdato"),
                              ("status", "Status (1-4)")):  # fmt: skip
                key = f"{prefix}_{cat}_1_{col}"
                if key in PREPARATION:
                    w.labelled(f"{label}: {word}", p(key), indent=290, width=250)
                    keys.append(key)
    w.gap()
    w.line("Aktiviteter og samarbejde", 12, bold=True)
    for label, key in (("Andre aktiviteter", "other_activities"),
                       ("Kommentarer til aktiviteter", "activity_comments"),
                       ("Arbejdsmiljø", "work_environment"),
                       ("Forhold til kolleger og leder", "relations"),
                       ("Andet du ønsker at drøfte", "other_topics")):  # fmt: skip
        w.labelled(label, p(key), indent=230, width=300)
        keys.append(key)
    w.gap(20)
    w.labelled("Underskrift (medarbejder)", p("signature_employee"), indent=230)
    w.labelled("Dato", p("signature_employee_date"), indent=230)
    w.save()
    return [*keys, "signature_employee", "signature_employee_date"]


def devplan_pdf(path: Path) -> list[str]:
    w = Writer(path)
    w.line("MUS-samtalen", 13, bold=True)
    w.line("Samtalen slutter med en udviklingsplan, som du skriver efter samtalen.")
    w.gap()
    w.line("Min udviklingsplan", 15, bold=True)
    w.gap()
    keys = []
    for label, key in (("Navn", "employee_name"), ("Nærmeste leder", "leader_name"),
                       ("Samtaledato", "meeting_date"),
                       ("Hvilke kompetencer skal udvikles og med hvilke mål?", "plan_1_competence"),
                       ("Hvilke kompetenceudviklingsaktiviteter skal gennemføres?", "plan_1_activity"),
                       ("Hvornår?", "plan_1_when"),
                       ("Hvem følger op?", "plan_1_followup_who"),
                       ("Dato for næste samtale", "next_meeting_date")):  # fmt: skip
        w.line(label, bold=True)
        w.line(a(key))
        w.gap(6)
        keys.append(key)
    w.save()
    return keys


def export(docx: Path, out: Path) -> Path:
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(out), str(docx)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    return out / f"{docx.stem}.pdf"


def main() -> None:
    company = HERE / "company-preparation.docx"
    keys = company_docx(company)
    write_expected(company.name, "preparation", 2025, PREPARATION, keys)
    with tempfile.TemporaryDirectory() as tmp:
        pdf = export(company, Path(tmp))
        (HERE / "company-preparation-lo.pdf").write_bytes(pdf.read_bytes())
        write_expected("company-preparation-lo.pdf", "preparation", 2025, PREPARATION, keys)
        printed = HERE / "company-preparation-gs.pdf"
        subprocess.run(
            ["gs", "-q", "-dNOPAUSE", "-dBATCH", "-sDEVICE=pdfwrite", f"-sOutputFile={printed}",
             str(pdf)],
            check=True, timeout=120,
        )  # fmt: skip
        write_expected(printed.name, "preparation", 2025, PREPARATION, keys)
    inspiration = HERE / "inspiration-preparation.docx"
    keys = inspiration_docx(inspiration)
    write_expected(inspiration.name, "preparation", 2025, QUESTIONS, keys)
    with tempfile.TemporaryDirectory() as tmp:
        pdf = export(inspiration, Path(tmp))
        (HERE / "inspiration-preparation-lo.pdf").write_bytes(pdf.read_bytes())
        write_expected("inspiration-preparation-lo.pdf", "preparation", 2025, QUESTIONS, keys)
    clinic = HERE / "clinic-agreement-tabs.docx"
    keys = clinic_tabs_docx(clinic)
    write_expected(clinic.name, "agreement", 2025, AGREEMENT, keys)
    with tempfile.TemporaryDirectory() as tmp:
        pdf = export(clinic, Path(tmp))
        (HERE / "clinic-agreement-tabs-lo.pdf").write_bytes(pdf.read_bytes())
        write_expected("clinic-agreement-tabs-lo.pdf", "agreement", 2025, AGREEMENT, keys)
    unclear = HERE / "unclear-title.docx"
    write_expected(unclear.name, "agreement", 2025, AGREEMENT, unclear_docx(unclear))
    for name, make, kind, values in (
        ("colon-agreement.pdf", colon_pdf, "agreement", AGREEMENT),
        ("ruled-preparation.pdf", ruled_pdf, "preparation", PREPARATION),
        ("colon-preparation.pdf", colon_preparation_pdf, "preparation", PREPARATION),
        ("devplan.pdf", devplan_pdf, "agreement", AGREEMENT),
    ):
        write_expected(name, kind, 2025, values, make(HERE / name))


if __name__ == "__main__":
    main()
