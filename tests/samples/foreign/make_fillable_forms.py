"""Organisations' own fillable PDF forms, whose fields are named as their programs named them.

Run from the project root: `python tests/samples/foreign/make_fillable_forms.py` (needs
LibreOffice and pdftk). Writes, beside this script, each form and its `<name>.json` (kind,
year, the values a reader must find). None of the field names is a formflow contract key:
the values are placed by the labels printed beside or above their boxes.

- `fillable-clinic-lo.pdf`: seed 000's clinic agreement written as HTML with form controls
  (`<input>`, `<textarea>`) and exported by LibreOffice with its form fields ("Tekstfelt1",
  ...): `Navn:` with its box on the same line, the goals in a table with a box per cell, the
  summary in a box under its heading, date and signature boxes over their captions; no year
  in the title;
- `fillable-company-rl.pdf`: seed 004's company preparation form drawn by reportlab with its
  own AcroForm fields ("Navn", "txtDato", "Felt_7", ...), filled by reportlab: labels left of
  their boxes, goal grids with a box per cell, numbered headings over multi-line boxes; no
  employee number, no year in the title;
- `fillable-devplan-pdftk.pdf`: an HR department's "Udviklings- og aftaleskema (MUS) 2025"
  drawn blank by reportlab, each label above its box ("txtNavn", "Dato1", ...), filled by
  pdftk `fill_form` from an XFDF file.
"""

from __future__ import annotations

import html
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

sys.path.insert(0, str(Path(__file__).resolve().parent))
from values import AGREEMENT, HERE, PREPARATION, typed, write_expected  # noqa: E402

CATEGORIES = (
    ("professional", "Faglig udvikling"),
    ("personal", "Personlig udvikling"),
    ("sales", "Hjælp til salg"),
    ("company", "Hjælp til andre dele af firmaet"),
)
PLAN = (
    ("competence", "Hvilke kompetencer skal udvikles og med hvilke mål?"),
    ("activity", "Hvilke kompetenceudviklingsaktiviteter skal gennemføres?"),
    ("when", "Hvornår?"),
    ("success", "Hvordan ved I, at målet er nået?"),
)


def a(key: str) -> str:
    return typed(AGREEMENT, key) if key in AGREEMENT else ""


def p(key: str) -> str:
    return typed(PREPARATION, key) if key in PREPARATION else ""


# --- LibreOffice: HTML form controls ------------------------------------------------------------


class Controls:
    """HTML form controls named "Tekstfelt1", "Tekstfelt2", ... as LibreOffice names them."""

    def __init__(self) -> None:
        self.count = 0

    def name(self) -> str:
        self.count += 1
        return f"Tekstfelt{self.count}"

    def input(self, key: str, size: int = 30) -> str:
        value = quoteattr(a(key))
        return f"<input type='text' name='{self.name()}' value={value} size='{size}'>"

    def area(self, key: str, rows: int = 4, cols: int = 70) -> str:
        text = html.escape(a(key))
        return f"<textarea name='{self.name()}' rows='{rows}' cols='{cols}'>{text}</textarea>"


def clinic_html() -> tuple[str, list[str]]:
    c = Controls()
    goals = "".join(
        f"<tr><td>{label}</td><td>{c.input(f'goal_{cat}_1_text', 34)}</td>"
        f"<td>{c.input(f'goal_{cat}_1_start', 10)}</td><td>{c.input(f'goal_{cat}_1_end', 10)}</td></tr>"
        for cat, label in CATEGORIES[:3]
    )
    plan = "".join(
        f"<p><b>{question}</b></p><p>{c.input(f'plan_1_{key}', 70)}</p>" for key, question in PLAN
    )
    body = (
        "<p>Skemaet udfyldes i fællesskab og opbevares af klinikejer og den ansatte.</p>"
        f"<p>Navn: {c.input('employee_name')}</p><p>Klinikejer: {c.input('leader_name')}</p>"
        f"<p>Dato for samtale: {c.input('meeting_date', 12)}</p>"
        "<h2>Aftaler og mål for det kommende år</h2>"
        "<table border='1' cellpadding='3'><tr><th>Område</th>"
        "<th>Aftaler og mål (konkrete og målbare)</th><th>Startdato</th><th>Slutdato</th></tr>"
        f"{goals}</table><h2>Udviklingsplan</h2>{plan}"
        "<h2>Evt. opsummering af særlige aftaler eller temaer, der blev talt om:</h2>"
        f"<p>{c.area('summary')}</p>"
        f"<p>Dato for næste samtale: {c.input('next_meeting_date', 16)}</p>"
        "<p>&nbsp;</p><table border='1' cellpadding='3'><tr>"
        f"<td>{c.input('signature_leader_date', 12)}</td><td>{c.input('signature_leader')}</td>"
        f"<td>{c.input('signature_employee_date', 12)}</td><td>{c.input('signature_employee')}</td>"
        "</tr><tr><td>Dato</td><td>Underskrift, klinikejer</td><td>Dato</td>"
        "<td>Underskrift, medarbejder</td></tr></table>"
    )
    style = (
        "<style>body{font-family:'DejaVu Sans';font-size:10pt} td,th{border:1px solid #000;"
        "padding:3px;vertical-align:top} table{border-collapse:collapse}</style>"
    )
    page = (
        f"<html><head><meta charset='utf-8'>{style}</head><body>"
        f"<h1>Udviklings- og aftaleskema for MUS</h1><form>{body}</form></body></html>"
    )
    keys = [
        "employee_name", "leader_name", "meeting_date",
        *[f"goal_{cat}_1_{col}" for cat, _ in CATEGORIES[:3] for col in ("text", "start", "end")],
        *[f"plan_1_{key}" for key, _ in PLAN], "summary", "next_meeting_date",
        "signature_leader_date", "signature_leader", "signature_employee_date",
        "signature_employee",
    ]  # fmt: skip
    return page, keys


def clinic_lo(out: Path) -> list[str]:
    text, keys = clinic_html()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "fillable-clinic-lo.html"
        source.write_text(text, encoding="utf-8")
        subprocess.run(
            ["soffice", "--headless", "--infilter=HTML (StarWriter)", "--convert-to", "pdf",
             "--outdir", tmp, str(source)],
            check=True, capture_output=True, timeout=180,
        )  # fmt: skip
        shutil.copy(source.with_suffix(".pdf"), out)
    return keys


# --- reportlab: AcroForm fields of its own --------------------------------------------------------


class Sheet:
    """A reportlab page with text and AcroForm text fields, top down (y from the top)."""

    def __init__(self, path: Path) -> None:
        from reportlab.lib.pagesizes import A4
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont
        from reportlab.pdfgen import canvas

        for name, file in (("DejaVu", "DejaVuSans.ttf"), ("DejaVuB", "DejaVuSans-Bold.ttf")):
            pdfmetrics.registerFont(TTFont(name, f"/usr/share/fonts/truetype/dejavu/{file}"))
        self.c = canvas.Canvas(str(path), pagesize=A4)
        self.height = A4[1]
        self.y = 60.0

    def need(self, space: float) -> None:
        if self.y + space > self.height - 50:
            self.c.showPage()
            self.y = 60.0

    def text(self, text: str, x: float = 50, size: float = 10, bold: bool = False) -> None:
        self.c.setFont("DejaVuB" if bold else "DejaVu", size)
        self.c.drawString(x, self.height - self.y - size, text)

    def line(self, text: str, size: float = 10, bold: bool = False) -> None:
        self.need(size + 8)
        self.text(text, size=size, bold=bold)
        self.y += size + 6

    def field(self, name: str, value: str, x: float, width: float, lines: int = 1) -> None:
        """A text box at the current line (`lines` high); `value` filled in, or blank."""
        height = 16.0 * lines
        self.c.acroForm.textfield(
            name=name, value=value, x=x, y=self.height - self.y - height + 3, width=width,
            height=height, fontName="Helvetica", fontSize=9, borderWidth=1,
            fieldFlags="multiline" if lines > 1 else "",
        )  # fmt: skip


def company_rl(out: Path) -> list[str]:
    s = Sheet(out)
    s.line("Forberedelseskema til Medarbejderudviklingssamtale (MUS)", 14, bold=True)
    s.line("Udfyldes af medarbejderen og afleveres til lederen en uge før samtalen.")
    s.y += 6
    for n, (label, key) in enumerate(
        (("Navn", "employee_name"), ("Stilling", "employee_position"),
         ("Dato for samtale", "meeting_date"))
    ):  # fmt: skip
        s.text(f"{label}:")
        s.field(("Navn", "Felt_2", "txtDato")[n], p(key), 170, 250)
        s.y += 22
    keys = ["employee_name", "employee_position", "meeting_date"]
    for title, prefix, columns in (
        ("2. Status på mål og aftaler fra sidste MUS", "prev_goal", ("text", "start", "end", "status")),
        ("5. Aftaler og mål for det kommende år", "goal", ("text", "start", "end")),
    ):  # fmt: skip
        s.y += 8
        s.line(title, 11, bold=True)
        keys += _goal_grid(s, prefix, columns)
    for title, key in (
        ("3. Hvilke yderligere aktiviteter var der i gang sidste år?", "other_activities"),
        ("7a. Arbejdsvilkår/arbejdsmiljø: Har du konkrete forslag til forbedring?", "work_environment"),
        ("8. Andet du ønsker at drøfte?", "other_topics"),
    ):  # fmt: skip
        s.y += 8
        s.need(80)
        s.line(title, 11, bold=True)
        s.field(f"Felt_{len(keys)}", p(key), 50, 480, lines=4)
        s.y += 70
        keys.append(key)
    s.y += 10
    s.need(60)
    s.line("10. Underskrift", 11, bold=True)
    s.text("Dato:")
    s.field("Dato2", p("signature_employee_date"), 200, 120)
    s.y += 22
    s.text("Underskrift (medarbejder):")
    s.field("Underskrift", p("signature_employee"), 200, 250)
    s.c.save()
    return [*keys, "signature_employee_date", "signature_employee"]


def _goal_grid(s: Sheet, prefix: str, columns: tuple[str, ...]) -> list[str]:
    """A ruled grid: a header row, then a row per category with a box in each answer cell."""
    heads = {"text": "Aftaler og mål (konkrete og målbare)", "start": "Startdato",
             "end": "Slutdato", "status": "Status (1-4)"}  # fmt: skip
    widths = [150.0, 180.0, 65.0, 65.0, 60.0][: len(columns) + 1]
    rows = [cat for cat in CATEGORIES if f"{prefix}_{cat[0]}_1_text" in PREPARATION]
    s.need(22 * (len(rows) + 1) + 10)
    keys = []
    for r, row in enumerate([None, *rows]):
        x = 50.0
        for c, width in enumerate(widths):
            s.c.rect(x, s.height - s.y - 22, width, 22)
            if row is None:
                s.c.setFont("DejaVuB", 8)
                s.c.drawString(
                    x + 3, s.height - s.y - 14, "Område" if c == 0 else heads[columns[c - 1]]
                )
            elif c == 0:
                s.text(row[1], x + 3, size=9)
                s.c.setFont("DejaVu", 9)
            else:
                key = f"{prefix}_{row[0]}_1_{columns[c - 1]}"
                s.field(f"Felt_{r}_{c}_{prefix}", p(key), x + 2, width - 4)
                keys.append(key)
            x += width
        s.y += 22
    return keys


def devplan_blank(out: Path) -> dict[str, str]:
    """The blank form (labels above boxes); returns field name -> contract key."""
    s = Sheet(out)
    s.line("Udviklings- og aftaleskema (MUS) 2025", 14, bold=True)
    s.line("Udfyldes af leder og medarbejder sammen. Begge gemmer en kopi.")
    names: dict[str, str] = {}
    items = [
        ("Medarbejderens navn", "employee_name", "txtNavn", 1),
        ("Stilling", "employee_position", "txtStilling", 1),
        ("Nærmeste leder", "leader_name", "txtLeder", 1),
        ("Dato for samtale", "meeting_date", "Dato1", 1),
        *[(q, f"plan_1_{k}", f"Spm{n}", 2) for n, (k, q) in enumerate(PLAN, 1)],
        ("Evt. opsummering af særlige aftaler eller temaer, der blev talt om", "summary",
         "Opsummering", 3),
        ("Dato for næste samtale", "next_meeting_date", "Dato2", 1),
        ("Underskrift, leder", "signature_leader", "Sign1", 1),
        ("Dato, leder", "signature_leader_date", "Dato3", 1),
        ("Underskrift, medarbejder", "signature_employee", "Sign2", 1),
        ("Dato, medarbejder", "signature_employee_date", "Dato4", 1),
    ]  # fmt: skip
    for label, key, name, lines in items:
        s.y += 6
        s.need(16 * lines + 20)
        s.line(label, bold=True)
        s.field(name, "", 50, 480 if lines > 1 else 260, lines=lines)
        s.y += 16 * lines + 2
        names[name] = key
    s.c.save()
    return names


def devplan_pdftk(out: Path) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        blank = Path(tmp) / "blank.pdf"
        names = devplan_blank(blank)
        fields = "".join(
            f"<field name={quoteattr(name)}><value>{html.escape(a(key))}</value></field>"
            for name, key in names.items()
        )
        xfdf = Path(tmp) / "data.xfdf"
        xfdf.write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n<xfdf xmlns="http://ns.adobe.com/xfdf/">'
            f"<fields>{fields}</fields></xfdf>",
            encoding="utf-8",
        )
        subprocess.run(
            ["pdftk", str(blank), "fill_form", str(xfdf), "output", str(out), "need_appearances"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
    return list(names.values())


def main() -> None:
    for name, make, kind, values in (
        ("fillable-clinic-lo.pdf", clinic_lo, "agreement", AGREEMENT),
        ("fillable-company-rl.pdf", company_rl, "preparation", PREPARATION),
        ("fillable-devplan-pdftk.pdf", devplan_pdftk, "agreement", AGREEMENT),
    ):
        write_expected(name, kind, 2025, values, make(HERE / name))


if __name__ == "__main__":
    main()
