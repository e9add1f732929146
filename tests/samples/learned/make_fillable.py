"""An organisation's own fillable PDF form (reportlab), blank and filled, for `forms learn`.

Run from the project root: `python tests/samples/learned/make_fillable.py` (needs qpdf).
Writes, beside this script:

- `klinik-blank.pdf`: a clinic's own agreement drawn with reportlab, "Udviklingsaftale –
  Klinik Nord" (a title that names no year), its labels left of its fields and the fields
  named the way a PDF editor names them (`Tekst1`, `Tekst2`, ...), not by formflow's keys;
- `klinik-filled.pdf`: the blank filled by pypdf (the fields kept), and
  `klinik-flattened.pdf`, that copy flattened by `qpdf --generate-appearances
  --flatten-annotations=all` (the answers are without æøå: reportlab's field font has no
  encoding for them, so qpdf would draw "?", and the page would say so);
- `klinik-filled.json`: kind, year and the values a reader must return.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

HERE = Path(__file__).resolve().parent
TITLE = "Udviklings- og aftaleskema – Klinik Nord"
# (label as printed, field name, as typed, as read)
FIELDS = [
    ("Medarbejderens navn", "Tekst1", "Mette Kjergaard Olsen", "Mette Kjergaard Olsen"),
    ("Klinikejer", "Tekst2", "Karen Aaberg Holm", "Karen Aaberg Holm"),
    ("Samtaledato", "Tekst3", "12.03.2026", "2026-03-12"),
    ("Evt. opsummering af særlige aftaler", "Tekst4",
     "Mere tid til journaler om fredagen og et kursus i hygiejne til efteraaret.",
     "Mere tid til journaler om fredagen og et kursus i hygiejne til efteraaret."),
    ("Dato for næste samtale", "Tekst5", "10.03.2027", "2027-03-10"),
    ("Underskrift (medarbejder)", "Tekst6", "Mette Kjergaard Olsen", "Mette Kjergaard Olsen"),
    ("Dato", "Tekst7", "14.03.2026", "2026-03-14"),
    ("Underskrift (klinikejer)", "Tekst8", "Karen Aaberg Holm", "Karen Aaberg Holm"),
    ("Dato", "Tekst9", "13.03.2026", "2026-03-13"),
]  # fmt: skip


def blank(path: Path) -> None:
    page = canvas.Canvas(str(path), pagesize=A4)
    page.setTitle(TITLE)
    page.setFont("Helvetica-Bold", 15)
    page.drawString(56, 780, TITLE)
    page.setFont("Helvetica", 9)
    page.drawString(56, 762, "Udfyldes af klinikejer og medarbejder ved afslutningen af samtalen.")
    y = 720
    for label, name, _typed, _read in FIELDS:
        page.setFont("Helvetica", 10)
        page.drawString(56, y + 6, label)
        height = 44 if name == "Tekst4" else 20
        page.acroForm.textfield(
            name=name, x=250, y=y - height + 20, width=290, height=height, fontSize=10,
            borderWidth=1, fieldFlags="multiline" if name == "Tekst4" else "",
        )  # fmt: skip
        y -= height + 16
    page.save()


def main() -> None:
    blank(HERE / "klinik-blank.pdf")
    writer = PdfWriter(clone_from=PdfReader(HERE / "klinik-blank.pdf"))
    values = {name: typed for _label, name, typed, _read in FIELDS}
    writer.update_page_form_field_values(writer.pages[0], values, auto_regenerate=True)
    with (HERE / "klinik-filled.pdf").open("wb") as out:
        writer.write(out)
    subprocess.run(
        ["qpdf", "--generate-appearances", "--flatten-annotations=all",
         str(HERE / "klinik-filled.pdf"), str(HERE / "klinik-flattened.pdf")],
        check=True, timeout=120,
    )  # fmt: skip
    keys = ["employee_name", "leader_name", "meeting_date", "summary", "next_meeting_date",
            "signature_employee", "signature_employee_date", "signature_leader",
            "signature_leader_date"]  # fmt: skip
    expected = {key: read for key, (_l, _n, _t, read) in zip(keys, FIELDS, strict=True)}
    data = {"kind": "agreement", "year": 2026, "expected": expected}
    text = json.dumps(data, ensure_ascii=False, indent=1)
    (HERE / "klinik-filled.json").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
