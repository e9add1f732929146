"""Foreign forms written as HTML and converted by LibreOffice, as an HR department makes them.

Run from the project root: `python tests/samples/foreign/make_html_forms.py` (needs
LibreOffice; Ghostscript for the printed copy). Writes, beside this script, each form and its
`<name>.json` (kind, year, the values a reader must find):

- `clinic-agreement-lo.pdf` / `.docx`: seed 000's clinic agreement ("Udviklings- og
  aftaleskema for MUS", no year): `Navn: ...` lines, the leader is the *klinikejer*, goals in a
  table with a row per category, the plan's questions as columns, the summary under its
  heading, and the date and the signature sharing one box per person, labels under the boxes;
- `hr-agreement-twocol.docx` and `hr-agreement-twocol-gs.pdf` (exported, then printed by
  Ghostscript): "Udviklings- og aftaleskema (MUS) 2025" as one two-column table, a label cell
  beside each value cell, goals as category-prefixed labels ("Faglig udvikling: Startdato");
- `devplan-lo.docx`: seed 003's "Min udviklingsplan": each label on its own line above its
  answer, unnumbered headings, no year in the title.
"""

from __future__ import annotations

import html
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from values import AGREEMENT, HERE, typed, write_expected  # noqa: E402

STYLE = (
    "<style>body{font-family:'DejaVu Sans';font-size:10pt} td,th{border:1px solid #000;"
    "padding:3px;vertical-align:top} table{border-collapse:collapse;width:100%}</style>"
)
CATEGORIES = (
    ("professional", "Faglig udvikling"),
    ("personal", "Personlig udvikling"),
    ("sales", "Hjælp til salg"),
    ("company", "Hjælp til andre dele af firmaet"),
)


def t(key: str) -> str:
    return html.escape(typed(AGREEMENT, key)).replace("\n", "<br>")


def page(title: str, body: str) -> str:
    return f"<html><head><meta charset='utf-8'>{STYLE}</head><body><h1>{title}</h1>{body}</body></html>"


def clinic() -> str:
    goals = "".join(
        f"<tr><td>{label}</td><td>{t(f'goal_{cat}_1_text') if f'goal_{cat}_1_text' in AGREEMENT else ''}</td>"
        f"<td>{t(f'goal_{cat}_1_start') if f'goal_{cat}_1_start' in AGREEMENT else ''}</td>"
        f"<td>{t(f'goal_{cat}_1_end') if f'goal_{cat}_1_end' in AGREEMENT else ''}</td></tr>"
        for cat, label in CATEGORIES
    )
    questions = (
        "Hvilke kompetencer skal udvikles og med hvilke mål?",
        "Hvilke kompetence-udviklingsaktiviteter skal gennemføres?",
        "Hvornår?",
        "Hvordan ved I, at målet er nået?",
        "Hvornår følges der op?",
        "Hvordan følges op?",
        "Hvem følger op?",
    )
    plan_keys = ("competence", "activity", "when", "success", "followup_date", "followup_how",
                 "followup_who")  # fmt: skip
    plan = (
        "<table border='1' cellpadding='3'><tr>" + "".join(f"<th>{q}</th>" for q in questions) + "</tr><tr>"
        + "".join(f"<td>{t(f'plan_1_{k}')}</td>" for k in plan_keys) + "</tr>"
        + "<tr>" + "<td>&nbsp;</td>" * 7 + "</tr></table>"
    )  # fmt: skip
    body = (
        "<p>Skemaet udfyldes i fællesskab og opbevares af klinikejer og den ansatte.</p>"
        f"<p>Navn: {t('employee_name')}</p><p>Klinikejer: {t('leader_name')}</p>"
        f"<p>Dato for samtale: {t('meeting_date')}</p>"
        "<h2>Aftaler og mål for det kommende år</h2>"
        "<table border='1' cellpadding='3'><tr><th>Område</th><th>Aftaler og mål (konkrete og målbare)</th>"
        f"<th>Startdato</th><th>Slutdato</th></tr>{goals}</table>"
        f"<h2>Udviklingsplan</h2>{plan}"
        "<h2>Evt. opsummering af særlige aftaler eller temaer, der blev talt om:</h2>"
        + "".join(f"<p>{html.escape(line)}</p>" for line in typed(AGREEMENT, "summary").split("\n"))
        + "<p>&nbsp;</p><table border='1' cellpadding='3'><tr>"
        f"<td>{t('signature_leader_date')} {t('signature_leader')}</td>"
        f"<td>{t('signature_employee_date')} {t('signature_employee')}</td></tr>"
        "<tr><td>Dato og underskrift, klinikejer</td><td>Dato og underskrift, medarbejder</td>"
        "</tr></table>"
    )
    return page("Udviklings- og aftaleskema for MUS", body)


CLINIC_KEYS = [
    "employee_name", "leader_name", "meeting_date",
    *[f"goal_{c}_1_{col}" for c in ("professional", "personal", "sales") for col in ("text", "start", "end")],
    *[f"plan_1_{k}" for k in ("competence", "activity", "when", "success", "followup_date",
                              "followup_how", "followup_who")],
    "summary", "signature_leader", "signature_leader_date", "signature_employee",
    "signature_employee_date",
]  # fmt: skip


def twocol() -> tuple[str, list[str]]:
    rows = [
        ("Navn", "employee_name"),
        ("Medarbejdernummer", "employee_number"),
        ("Stilling", "employee_position"),
        ("Nærmeste leder", "leader_name"),
        ("Samtaledato", "meeting_date"),
    ]
    for cat, label in CATEGORIES[:3]:
        rows += [
            (f"{label}: Mål", f"goal_{cat}_1_text"),
            (f"{label}: Startdato", f"goal_{cat}_1_start"),
            (f"{label}: Slutdato", f"goal_{cat}_1_end"),
        ]
    rows += [
        ("Kompetencer der skal udvikles", "plan_1_competence"),
        ("Aktiviteter", "plan_1_activity"),
        ("Hvornår?", "plan_1_when"),
        ("Hvordan ved I, at målet er nået?", "plan_1_success"),
        ("Opfølgning (dato)", "plan_1_followup_date"),
        ("Hvordan følges op?", "plan_1_followup_how"),
        ("Hvem følger op?", "plan_1_followup_who"),
        ("Opsummering", "summary"),
        ("Dato for næste samtale", "next_meeting_date"),
        ("Underskrift, leder", "signature_leader"),
        ("Dato, leder", "signature_leader_date"),
        ("Underskrift, medarbejder", "signature_employee"),
        ("Dato, medarbejder", "signature_employee_date"),
    ]
    table = "".join(f"<tr><td width='35%'><b>{label}</b></td><td>{t(key)}</td></tr>" for label, key in rows)
    body = (
        "<p>Udfyldes af leder og medarbejder sammen ved afslutningen af samtalen. "
        "Begge parter gemmer en kopi.</p>"
        f"<table border='1' cellpadding='3'>{table}</table>"
    )
    return page("Udviklings- og aftaleskema (MUS) 2025", body), [key for _, key in rows]


def devplan() -> tuple[str, list[str]]:
    parts = [
        ("Medarbejder", "employee_name"),
        ("Leder", "leader_name"),
        ("Dato for MUS", "meeting_date"),
    ]
    body = "<p>Skrives af medarbejderen efter samtalen og sendes til lederen.</p>"
    for label, key in parts:
        body += f"<p><b>{label}</b></p><p>{t(key)}</p>"
    body += "<h2>Kompetenceudvikling</h2>"
    for label, key in (
        ("Hvilke kompetencer skal udvikles og med hvilke mål?", "plan_1_competence"),
        ("Hvilke kompetenceudviklingsaktiviteter skal gennemføres?", "plan_1_activity"),
        ("Hvornår?", "plan_1_when"),
        ("Hvordan ved I, at målet er nået?", "plan_1_success"),
    ):
        body += f"<p><b>{label}</b></p><p>{t(key)}</p>"
    body += "<h2>Andre aftaler</h2>" + "".join(
        f"<p>{html.escape(line)}</p>" for line in typed(AGREEMENT, "summary").split("\n")
    )
    body += (
        f"<p><b>Dato for næste samtale</b></p><p>{t('next_meeting_date')}</p>"
        f"<p>Underskrift medarbejder: {t('signature_employee')}</p>"
        f"<p>Dato: {t('signature_employee_date')}</p>"
    )
    keys = [k for _, k in parts] + ["plan_1_competence", "plan_1_activity", "plan_1_when",
            "plan_1_success", "summary", "next_meeting_date", "signature_employee",
            "signature_employee_date"]  # fmt: skip
    return page("Min udviklingsplan", body), keys


def convert(source: Path, target: str, out: Path) -> Path:
    subprocess.run(
        ["soffice", "--headless", "--infilter=HTML (StarWriter)", "--convert-to", target,
         "--outdir", str(out), str(source)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    return out / f"{source.stem}.{target.split(':')[0]}"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        made = work / "clinic-agreement-lo.html"
        made.write_text(clinic(), encoding="utf-8")
        for target in ("pdf", "docx:MS Word 2007 XML"):
            result = convert(made, target, work)
            shutil.copy(result, HERE / result.name)
            write_expected(result.name, "agreement", 2025, AGREEMENT, CLINIC_KEYS)
        text, keys = twocol()
        made = work / "hr-agreement-twocol.html"
        made.write_text(text, encoding="utf-8")
        docx = convert(made, "docx:MS Word 2007 XML", work)
        shutil.copy(docx, HERE / docx.name)
        write_expected(docx.name, "agreement", 2025, AGREEMENT, keys)
        pdf = convert(made, "pdf", work)
        printed = HERE / "hr-agreement-twocol-gs.pdf"
        subprocess.run(
            ["gs", "-q", "-dNOPAUSE", "-dBATCH", "-sDEVICE=pdfwrite", f"-sOutputFile={printed}",
             str(pdf)],
            check=True, timeout=120,
        )  # fmt: skip
        write_expected(printed.name, "agreement", 2025, AGREEMENT, keys)
        text, keys = devplan()
        made = work / "devplan-lo.html"
        made.write_text(text, encoding="utf-8")
        docx = convert(made, "docx:MS Word 2007 XML", work)
        shutil.copy(docx, HERE / docx.name)
        write_expected(docx.name, "agreement", 2025, AGREEMENT, keys)


if __name__ == "__main__":
    main()
