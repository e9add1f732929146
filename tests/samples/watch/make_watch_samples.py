"""Make the forms the watch tests drop into an inbox: `python tests/samples/watch/make_watch_samples.py`.

Rendered with formflow's own renderers (PDF and DOCX) from the values below, so a reader that
changes is tested against the same forms. The crash and burst tests vary the employee number
and name of these with pypdf (`vary_pdf` in the tests) to get many distinct forms quickly.

- preparation.pdf / preparation.docx: a complete preparation form (state "received");
- agreement.pdf / agreement.docx: a complete, signed agreement (state "signed");
- agreement-awaiting.pdf: signed by the leader only (filed as "awaiting_employee");
- preparation-no-date.pdf: the meeting date left out (rejected: a required field).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from formflow.forms.library import load_definition
from formflow.forms.render import render_bytes

HERE = Path(__file__).parent
YEAR = 2026
HEADER = {
    "employee_name": "Birthe Mølgaard",
    "employee_number": "1042",
    "employee_position": "Sygeplejerske",
    "leader_name": "Lone Leder",
    "meeting_date": "16.11.2026",
}
PREPARATION = {
    **HEADER,
    "work_environment": "Mere lys i kantinen – og »stille rum« til æøå-opgaver.",
    "signature_employee": "Birthe Mølgaard",
    "signature_employee_date": "02.11.2026",
}
AGREEMENT = {
    **HEADER,
    "goal_professional_1_text": "Lære at bruge det nye journalsystem",
    "goal_professional_1_start": "01.12.2026",
    "goal_professional_1_end": "01.06.2027",
    "next_meeting_date": "15.11.2027",
    "signature_leader": "Lone Leder",
    "signature_leader_date": "18.11.2026",
    "signature_employee": "Birthe Mølgaard",
    "signature_employee_date": "19.11.2026",
}
AWAITING = {k: v for k, v in AGREEMENT.items() if not k.startswith("signature_employee")}
NO_DATE = {k: v for k, v in PREPARATION.items() if k != "meeting_date"}

SAMPLES = {
    "preparation.pdf": ("preparation", PREPARATION, "pdf"),
    "preparation.docx": ("preparation", PREPARATION, "docx"),
    "agreement.pdf": ("agreement", AGREEMENT, "pdf"),
    "agreement.docx": ("agreement", AGREEMENT, "docx"),
    "agreement-awaiting.pdf": ("agreement", AWAITING, "pdf"),
    "preparation-no-date.pdf": ("preparation", NO_DATE, "pdf"),
}


def vary_pdf(data: bytes, number: str, name: str, **values: str) -> bytes:
    """The form `data` (a PDF sample) as filled by employee `number` `name` (pypdf, fast).

    The typed employee signature follows the name (else validation rejects it as someone
    else's); `values` sets further fields.
    """
    reader = PdfReader(io.BytesIO(data))
    fields = reader.get_fields() or {}
    changes = {"employee_number": number, "employee_name": name, **values}
    if fields.get("signature_employee", {}).get("/V"):
        changes.setdefault("signature_employee", name)
    writer = PdfWriter(clone_from=reader)
    for page in writer.pages:
        writer.update_page_form_field_values(page, changes, auto_regenerate=False)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def vary_docx(data: bytes, number: str, name: str) -> bytes:
    """The DOCX sample `data` as filled by employee `number` `name`: the text of its content
    controls replaced in the XML (much faster than python-docx, for bursts of forms)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "word/document.xml":
                content = content.replace(
                    f">{HEADER['employee_number']}<".encode(), f">{number}<".encode()
                ).replace(HEADER["employee_name"].encode(), name.encode())
            target.writestr(item, content)
    return out.getvalue()


def sample(name: str) -> bytes:
    return (HERE / name).read_bytes()


def main() -> None:
    for name, (kind, values, fmt) in SAMPLES.items():
        (HERE / name).write_bytes(render_bytes(load_definition(kind), YEAR, values, fmt))
        print(HERE / name)


if __name__ == "__main__":
    main()
