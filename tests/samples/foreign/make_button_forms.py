"""Organisations' own fillable PDFs whose goal status is ticked in boxes, not typed.

Run from the project root: `python tests/samples/foreign/make_button_forms.py` (needs
pdftk and LibreOffice). One blank, seed 004's company preparation form drawn by reportlab with its own
AcroForm fields: the header and the goals are text boxes; each goal's "Status (1-4)" is four
boxes captioned `1` `2` `3` `4` beside them: a row of check boxes ("Felt_s1_1" ..) for
"Faglig udvikling", a radio group ("Status2", states /1 .. /4) for "Personlig udvikling",
and a radio group for "Hjælp til salg". Then filled by other programs:

- `buttons-company-pypdf.pdf`: filled by pypdf (a radio's /V written as text, its /AS set);
- `buttons-company-pdftk.pdf`: filled by pdftk `fill_form` from an XFDF file;
- `buttons-company-lo.pdf`: the same form written as HTML with form controls (`<input
  type=checkbox|radio checked>`, captions after them) and exported by LibreOffice with its
  form fields (it writes a ticked check box's /AS as /Yes, its appearances as /on and /Off).

Each with its `<name>.json` (kind, year, the values a reader must find).
"""

from __future__ import annotations

import html
import subprocess
import sys
import tempfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

sys.path.insert(0, str(Path(__file__).resolve().parent))
from values import HERE, PREPARATION, typed, write_expected  # noqa: E402

ROWS = (
    ("professional", "Faglig udvikling", "checkbox"),
    ("personal", "Personlig udvikling", "radio"),
    ("sales", "Hjælp til salg", "radio"),
)
HEADS = ("Område", "Aftaler og mål (konkrete og målbare)", "Startdato", "Slutdato", "Status (1-4)")
WIDTHS = (110.0, 190.0, 58.0, 58.0, 96.0)


def blank(out: Path) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """The blank form; returns text field name -> contract key, and per status key the
    button (check box row prefix or radio group name) and its kind."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    for name, file in (("DejaVu", "DejaVuSans.ttf"), ("DejaVuB", "DejaVuSans-Bold.ttf")):
        pdfmetrics.registerFont(TTFont(name, f"/usr/share/fonts/truetype/dejavu/{file}"))
    c = canvas.Canvas(str(out), pagesize=A4)
    top = A4[1]
    c.setFont("DejaVuB", 14)
    c.drawString(50, top - 70, "Forberedelseskema til Medarbejderudviklingssamtale (MUS)")
    texts: dict[str, str] = {}
    y = top - 110
    for label, key, name in (
        ("Navn:", "employee_name", "Navn"),
        ("Stilling:", "employee_position", "Felt_2"),
        ("Dato for samtale:", "meeting_date", "txtDato"),
    ):
        c.setFont("DejaVu", 10)
        c.drawString(50, y, label)
        c.acroForm.textfield(name=name, x=170, y=y - 4, width=250, height=16, borderWidth=1)
        texts[name] = key
        y -= 24
    y -= 10
    c.setFont("DejaVuB", 11)
    c.drawString(50, y, "2. Status på mål og aftaler fra sidste MUS")
    y -= 30
    buttons: dict[str, tuple[str, str]] = {}
    for r, row in enumerate([None, *ROWS]):
        x = 50.0
        for col, width in enumerate(WIDTHS):
            c.rect(x, y, width, 22)
            if row is None:
                c.setFont("DejaVuB", 8)
                c.drawString(x + 3, y + 8, HEADS[col])
            elif col == 0:
                c.setFont("DejaVu", 9)
                c.drawString(x + 3, y + 8, row[1])
            elif col < 4:
                key = f"prev_goal_{row[0]}_1_{('text', 'start', 'end')[col - 1]}"
                name = f"Felt_{r}_{col}"
                c.acroForm.textfield(
                    name=name, x=x + 2, y=y + 3, width=width - 4, height=16, borderWidth=1
                )
                texts[name] = key
            else:
                buttons[f"prev_goal_{row[0]}_1_status"] = _status_boxes(c, row, r, x, y)
            x += width
        y -= 22
    y -= 30
    c.setFont("DejaVuB", 11)
    c.drawString(50, y, "10. Underskrift")
    for label, key, name in (
        ("Dato:", "signature_employee_date", "Dato2"),
        ("Underskrift (medarbejder):", "signature_employee", "Underskrift"),
    ):
        y -= 24
        c.setFont("DejaVu", 10)
        c.drawString(50, y, label)
        c.acroForm.textfield(name=name, x=200, y=y - 4, width=220, height=16, borderWidth=1)
        texts[name] = key
    c.save()
    return texts, buttons


def _status_boxes(
    c: object, row: tuple[str, str, str], r: int, x: float, y: float
) -> tuple[str, str]:
    """Four boxes captioned 1-4 in a status cell: check boxes or one radio group."""
    form = c.acroForm  # type: ignore[attr-defined]
    name = f"Felt_s{r}" if row[2] == "checkbox" else f"Status{r}"
    for n in range(1, 5):
        bx = x + 4 + (n - 1) * 23
        if row[2] == "checkbox":
            form.checkbox(name=f"{name}_{n}", x=bx, y=y + 5, size=11, buttonStyle="check",
                          borderWidth=1, checked=False)  # fmt: skip
        else:
            form.radio(name=name, value=str(n), x=bx, y=y + 5, size=11, buttonStyle="circle",
                       borderWidth=1, selected=False)  # fmt: skip
        c.setFont("DejaVu", 9)  # type: ignore[attr-defined]
        c.drawString(bx + 13, y + 7, str(n))  # type: ignore[attr-defined]
    return name, row[2]


def _choices(buttons: dict[str, tuple[str, str]]) -> dict[str, str]:
    """Button field name -> state to set, for the statuses in PREPARATION."""
    chosen: dict[str, str] = {}
    for key, (name, kind) in buttons.items():
        status = typed(PREPARATION, key)
        if kind == "checkbox":
            chosen[f"{name}_{status}"] = "Yes"
        else:
            chosen[name] = status
    return chosen


def fill_pypdf(
    blank_pdf: Path, texts: dict[str, str], buttons: dict[str, tuple[str, str]], out: Path
) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=blank_pdf)
    values = {name: typed(PREPARATION, key) for name, key in texts.items()}
    values |= {name: f"/{state}" for name, state in _choices(buttons).items()}
    # pypdf writes a radio's choice as text ("/2") and sets its widget's /AS
    writer.update_page_form_field_values(writer.pages[0], values, auto_regenerate=False)
    writer.set_need_appearances_writer(True)
    writer.write(out)


def fill_pdftk(
    blank_pdf: Path, texts: dict[str, str], buttons: dict[str, tuple[str, str]], out: Path
) -> None:
    values = {name: typed(PREPARATION, key) for name, key in texts.items()} | _choices(buttons)
    fields = "".join(
        f"<field name={quoteattr(name)}><value>{html.escape(value)}</value></field>"
        for name, value in values.items()
    )
    with tempfile.TemporaryDirectory() as tmp:
        xfdf = Path(tmp) / "data.xfdf"
        xfdf.write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n<xfdf xmlns="http://ns.adobe.com/xfdf/">'
            f"<fields>{fields}</fields></xfdf>",
            encoding="utf-8",
        )
        subprocess.run(
            ["pdftk", str(blank_pdf), "fill_form", str(xfdf), "output", str(out), "need_appearances"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip


def lo_html() -> str:
    """The form as HTML with its answers in LibreOffice's form controls."""
    cells = []
    for r, (cat, label, kind) in enumerate(ROWS, 1):
        status = typed(PREPARATION, f"prev_goal_{cat}_1_status")
        boxes = "".join(
            f"<input type='{kind}' name='{f'S{r}_{n}' if kind == 'checkbox' else f'R{r}'}' "
            f"value='{n}'{' checked' if str(n) == status else ''}>{n} "
            for n in range(1, 5)
        )
        texts = "".join(
            f"<td><input type='text' name='T{r}{col}' size='{(24, 10, 10)[i]}' "
            f"value={quoteattr(typed(PREPARATION, f'prev_goal_{cat}_1_{col}'))}></td>"
            for i, col in enumerate(("text", "start", "end"))
        )
        cells.append(f"<tr><td>{label}</td>{texts}<td>{boxes}</td></tr>")
    heads = "".join(f"<th>{head}</th>" for head in HEADS)
    header = "".join(
        f"<p>{label} <input type='text' name='H{n}' size='30' "
        f"value={quoteattr(typed(PREPARATION, key))}></p>"
        for n, (label, key) in enumerate(
            (("Navn:", "employee_name"), ("Stilling:", "employee_position"),
             ("Dato for samtale:", "meeting_date"), ), 1)
    )  # fmt: skip
    signature = "".join(
        f"<p>{label} <input type='text' name='U{n}' size='30' "
        f"value={quoteattr(typed(PREPARATION, key))}></p>"
        for n, (label, key) in enumerate(
            (("Dato:", "signature_employee_date"),
             ("Underskrift (medarbejder):", "signature_employee")), 1)
    )  # fmt: skip
    style = "<style>body{font-family:'DejaVu Sans';font-size:9pt}</style>"
    return (
        f"<html><head><meta charset='utf-8'>{style}</head><body><form>"
        "<h1>Forberedelseskema til Medarbejderudviklingssamtale (MUS)</h1>"
        f"{header}<h2>2. Status på mål og aftaler fra sidste MUS</h2>"
        f"<table border='1' cellpadding='3'><tr>{heads}</tr>{''.join(cells)}</table>"
        f"<h2>10. Underskrift</h2>{signature}</form></body></html>"
    )


def fill_lo(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "buttons.html"
        source.write_text(lo_html(), encoding="utf-8")
        subprocess.run(
            ["soffice", "--headless", "--infilter=HTML (StarWriter)", "--convert-to", "pdf",
             "--outdir", tmp, str(source)],
            check=True, capture_output=True, timeout=180,
        )  # fmt: skip
        out.write_bytes(source.with_suffix(".pdf").read_bytes())


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        blank_pdf = Path(tmp) / "blank.pdf"
        texts, buttons = blank(blank_pdf)
        keys = [*texts.values(), *buttons]
        fill_pypdf(blank_pdf, texts, buttons, HERE / "buttons-company-pypdf.pdf")
        fill_pdftk(blank_pdf, texts, buttons, HERE / "buttons-company-pdftk.pdf")
    fill_lo(HERE / "buttons-company-lo.pdf")
    for name in ("pypdf", "pdftk", "lo"):
        write_expected(f"buttons-company-{name}.pdf", "preparation", 2025, PREPARATION, keys)


if __name__ == "__main__":
    main()
