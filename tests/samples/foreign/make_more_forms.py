"""Three more foreign layouts: a two-page LibreOffice rebuild, a Ghostscript print, Word controls.

Run from the project root: `python tests/samples/foreign/make_more_forms.py` (needs
LibreOffice and Ghostscript). Writes, beside this script, each form and its `<name>.json`
(kind, year, the values a reader must find):

- `hr-preparation-twopage-lo.pdf`: an HR department's preparation form rebuilt in LibreOffice
  (from HTML), "Forberedelse til MUS 2025 – Teknik og Miljø": the header as `Label: value`
  paragraphs, the goal tables under numbered headings, the answers as paragraphs (several for
  one answer) under numbered headings, running over onto a second page, the signature line at
  the end;
- `labels-above-gs.pdf`: an agreement written in LibreOffice (from HTML) with each bold label
  on its own line above its answer (goals as "Faglig udvikling – Mål", the plan's questions,
  "Underskrift, leder" over the name and "Dato" over its date), exported to PDF and printed
  to PDF by Ghostscript;
- `sdt-own-tags.docx`: a clinic agreement typed in Word (python-docx) whose answers sit in
  content controls (`w:sdt`) tagged by the organisation's own names ("txtNavn", "ddDato",
  "Tekst7"): a label cell beside each control, the goals in a table of controls, one control
  left empty showing Word's placeholder text.
"""

from __future__ import annotations

import html
import subprocess
import sys
import tempfile
from pathlib import Path

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
    ("followup_date", "Hvornår følges der op?"),
    ("followup_how", "Hvordan følges op?"),
    ("followup_who", "Hvem følger op?"),
)
# Longer answers than the shared values, so that the rebuild runs over two pages.
LONG = {
    "other_activities": (
        "Flytning af lageret til den nye hal i Vejle, hvor jeg stod for planlægningen af "
        "reolerne og for at få alle varer talt op inden åbningen.\n"
        "Oplæring af to nye kolleger i pakkeområdet i foråret.\n"
        "Deltagelse i arbejdsgruppen om det nye scannersystem, med møder hver anden uge."
    ),
    "work_environment": (
        "Bedre lys ved pakkebordene.\n"
        "Støjen fra kompressoren i hal 2 er generende om eftermiddagen; den kunne flyttes."
    ),
}


def p(key: str) -> str:
    return LONG.get(key) or (typed(PREPARATION, key) if key in PREPARATION else "")


def a(key: str) -> str:
    return typed(AGREEMENT, key) if key in AGREEMENT else ""


# --- LibreOffice: two pages, answers as paragraphs under numbered headings ----------------------


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{html.escape(line)}</p>" for line in text.split("\n"))


def _goal_table(prefix: str, columns: tuple[str, ...]) -> tuple[str, list[str]]:
    heads = {"text": "Mål", "start": "Startdato", "end": "Slutdato", "status": "Status (1-4)"}
    keys: list[str] = []
    rows = ""
    for cat, label in CATEGORIES:
        cells = ""
        for column in columns:
            key = f"{prefix}_{cat}_1_{column}"
            cells += f"<td>{html.escape(p(key))}</td>"
            if key in PREPARATION:
                keys.append(key)
        rows += f"<tr><td>{label}</td>{cells}</tr>"
    head = "".join(f"<th>{heads[c]}</th>" for c in columns)
    table = f"<table border='1' cellpadding='4'><tr><th>Område</th>{head}</tr>{rows}</table>"
    return table, keys


def twopage_html() -> tuple[str, list[str]]:
    keys = ["employee_name", "employee_number", "leader_name", "meeting_date"]
    body = (
        "<p>Skemaet udfyldes af medarbejderen og sendes til lederen senest en uge før "
        "samtalen. Skriv gerne flere afsnit, hvor der er brug for det.</p>"
        f"<p>Navn: {html.escape(p('employee_name'))}</p>"
        f"<p>Medarbejdernummer: {html.escape(p('employee_number'))}</p>"
        f"<p>Nærmeste leder: {html.escape(p('leader_name'))}</p>"
        f"<p>Dato for samtale: {html.escape(p('meeting_date'))}</p>"
        "<h2>1. Status på mål og aftaler fra sidste MUS</h2>"
        "<p>Vurder hvert mål fra 1 (ikke opnået) til 4 (opnået).</p>"
    )
    table, goal_keys = _goal_table("prev_goal", ("text", "start", "end", "status"))
    body += table
    keys += goal_keys
    for heading, key in (
        ("2. Hvilke yderligere aktiviteter var der i gang sidste år?", "other_activities"),
        ("3. Øvrige kommentarer til aktiviteter/opgaver/samarbejde?", "activity_comments"),
        ("4. Arbejdsvilkår/arbejdsmiljø: Har du konkrete forslag til forbedring?",
         "work_environment"),
        ("5. Forhold til kollegaer/leder/eksterne samarbejdspartnere, kunder m.v.: Har du "
         "konkrete forslag til forbedringer?", "relations"),
    ):  # fmt: skip
        body += f"<h2>{heading}</h2>{_paragraphs(p(key))}"
        keys.append(key)
    body += "<h2>6. Aftaler og mål for det kommende år</h2>"
    table, goal_keys = _goal_table("goal", ("text", "start", "end"))
    body += table
    keys += goal_keys
    body += f"<h2>7. Andet du ønsker at drøfte?</h2>{_paragraphs(p('other_topics'))}"
    keys.append("other_topics")
    body += (
        "<h2>8. Underskrift</h2>"
        f"<p>Underskrift medarbejder: {html.escape(p('signature_employee'))}</p>"
        f"<p>Dato: {html.escape(p('signature_employee_date'))}</p>"
    )
    keys += ["signature_employee", "signature_employee_date"]
    style = (
        "<style>body{font-family:'DejaVu Serif';font-size:12pt} h2{font-size:13pt} "
        "td,th{border:1px solid #000;vertical-align:top} table{border-collapse:collapse;"
        "width:100%}</style>"
    )
    page = (
        f"<html><head><meta charset='utf-8'>{style}</head><body>"
        f"<h1>Forberedelse til MUS 2025 – Teknik og Miljø</h1>{body}</body></html>"
    )
    return page, keys


def twopage_lo(out: Path) -> list[str]:
    text, keys = twopage_html()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "twopage.html"
        source.write_text(text, encoding="utf-8")
        subprocess.run(
            ["soffice", "--headless", "--infilter=HTML (StarWriter)", "--convert-to", "pdf",
             "--outdir", tmp, str(source)],
            check=True, capture_output=True, timeout=180,
        )  # fmt: skip
        out.write_bytes(source.with_suffix(".pdf").read_bytes())
    return keys


# --- reportlab, printed through Ghostscript: each label above its answer ------------------------


def labels_above_gs(out: Path) -> list[str]:
    items: list[tuple[str, str]] = [
        ("Medarbejder", "employee_name"),
        ("Stilling", "employee_position"),
        ("Leder", "leader_name"),
        ("Dato for samtale", "meeting_date"),
    ]
    for cat, label in CATEGORIES[:3]:
        items += [(f"{label} – Mål", f"goal_{cat}_1_text"),
                  (f"{label} – Startdato", f"goal_{cat}_1_start"),
                  (f"{label} – Slutdato", f"goal_{cat}_1_end")]  # fmt: skip
    items += [(question, f"plan_1_{key}") for key, question in PLAN]
    items += [("Dato for næste samtale", "next_meeting_date"),
              ("Underskrift, leder", "signature_leader"), ("Dato", "signature_leader_date"),
              ("Underskrift, medarbejder", "signature_employee"),
              ("Dato", "signature_employee_date")]  # fmt: skip
    body = "".join(
        f"<p style='margin-bottom:0'><b>{html.escape(label)}</b></p>"
        f"<p style='margin-top:0'>{html.escape(a(key))}</p>"
        for label, key in items
    )
    page = (
        "<html><head><meta charset='utf-8'><style>body{font-family:'Liberation Sans';"
        "font-size:10pt}</style></head><body><h1>Udviklings- og aftaleskema 2025</h1>"
        f"{body}</body></html>"
    )
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "above.html"
        source.write_text(page, encoding="utf-8")
        subprocess.run(
            ["soffice", "--headless", "--infilter=HTML (StarWriter)", "--convert-to", "pdf",
             "--outdir", tmp, str(source)],
            check=True, capture_output=True, timeout=180,
        )  # fmt: skip
        subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-sDEVICE=pdfwrite",
                        f"-sOutputFile={out}", str(source.with_suffix(".pdf"))],
                       check=True, timeout=120)  # fmt: skip
    return [key for _, key in items]


# --- Word content controls tagged by the organisation's own names ------------------------------


def _control(paragraph, tag: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """A plain-text content control `tag` holding `text` at the end of `paragraph`; empty,
    it shows Word's placeholder text, flagged as such."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    shown = html.escape(text or "Klik eller tryk her for at angive tekst.")
    flag = "" if text else "<w:showingPlcHdr/>"
    style = "" if text else '<w:rPr><w:rStyle w:val="PlaceholderText"/></w:rPr>'
    lines = shown.split("\n")
    runs = "<w:br/>".join(f'<w:t xml:space="preserve">{line}</w:t>' for line in lines)
    sdt = parse_xml(
        f'<w:sdt {nsdecls("w")}><w:sdtPr><w:alias w:val="{tag}"/><w:tag w:val="{tag}"/>'
        f'{flag}<w:text w:multiLine="1"/></w:sdtPr><w:sdtContent><w:r>{style}{runs}</w:r>'
        "</w:sdtContent></w:sdt>"
    )
    paragraph._p.append(sdt)


def sdt_docx(out: Path) -> list[str]:
    from docx import Document

    doc = Document()
    doc.add_heading("Udviklings- og aftaleskema for MUS", 1)
    doc.add_paragraph("Udfyldes af klinikejer og medarbejder sammen efter samtalen.")
    header = doc.add_table(rows=5, cols=2)
    header.style = "Table Grid"
    rows = (("Navn", "employee_name", "txtNavn"), ("Stilling", "", "txtStilling"),
            ("Klinikejer", "leader_name", "txtLeder"),
            ("Dato for samtale", "meeting_date", "ddDato"),
            ("Dato for næste samtale", "next_meeting_date", "ddNaeste"))  # fmt: skip
    for r, (label, key, tag) in enumerate(rows):
        header.cell(r, 0).text = label
        _control(header.cell(r, 1).paragraphs[0], tag, a(key))
    doc.add_heading("Aftaler og mål for det kommende år", 2)
    goals = doc.add_table(rows=4, cols=4)
    goals.style = "Table Grid"
    for i, text in enumerate(("Område", "Aftaler og mål", "Startdato", "Slutdato")):
        goals.cell(0, i).text = text
    n = 0
    for r, (cat, label) in enumerate(CATEGORIES[:3], start=1):
        goals.cell(r, 0).text = label
        for i, column in enumerate(("text", "start", "end"), start=1):
            n += 1
            _control(goals.cell(r, i).paragraphs[0], f"Tekst{n}", a(f"goal_{cat}_1_{column}"))
    doc.add_heading("Udviklingsplan", 2)
    for key, question in PLAN[:4]:
        n += 1
        doc.add_paragraph(question).runs[0].bold = True
        _control(doc.add_paragraph(), f"Tekst{n}", a(f"plan_1_{key}"))
    doc.add_heading("Evt. opsummering af særlige aftaler eller temaer, der blev talt om", 2)
    _control(doc.add_paragraph(), "txtOpsummering", a("summary"))
    sign = doc.add_table(rows=2, cols=2)
    sign.style = "Table Grid"
    _control(sign.cell(0, 0).paragraphs[0], "sigLeder",
             f"{a('signature_leader_date')} {a('signature_leader')}")  # fmt: skip
    _control(sign.cell(0, 1).paragraphs[0], "sigMedarbejder",
             f"{a('signature_employee_date')} {a('signature_employee')}")  # fmt: skip
    sign.cell(1, 0).text = "Dato og underskrift, klinikejer"
    sign.cell(1, 1).text = "Dato og underskrift, medarbejder"
    doc.save(str(out))
    return [
        "employee_name", "leader_name", "meeting_date", "next_meeting_date",
        *[f"goal_{cat}_1_{col}" for cat, _ in CATEGORIES[:3] for col in ("text", "start", "end")],
        *[f"plan_1_{key}" for key, _ in PLAN[:4]], "summary", "signature_leader",
        "signature_leader_date", "signature_employee", "signature_employee_date",
    ]  # fmt: skip


def main() -> None:
    values = {**PREPARATION, **{key: (text, text) for key, text in LONG.items()}}
    write_expected(
        "hr-preparation-twopage-lo.pdf", "preparation", 2025, values,
        twopage_lo(HERE / "hr-preparation-twopage-lo.pdf"),
    )  # fmt: skip
    write_expected(
        "labels-above-gs.pdf", "agreement", 2025, AGREEMENT,
        labels_above_gs(HERE / "labels-above-gs.pdf"),
    )  # fmt: skip
    write_expected(
        "sdt-own-tags.docx", "agreement", 2025, AGREEMENT, sdt_docx(HERE / "sdt-own-tags.docx")
    )


if __name__ == "__main__":
    main()
