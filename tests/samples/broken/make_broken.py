"""Make the broken and hostile sample files in this folder (tests/test_check_cli.py etc.).

Run from anywhere: `python tests/samples/broken/make_broken.py`. Needs formflow installed and
qpdf and pdftoppm (poppler-utils) on PATH. Every file is small; the zip bombs declare far more
than they hold. The outputs are committed so tests never need these tools.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
import zipfile
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from formflow.forms.library import load_definition
from formflow.forms.render import render_bytes

HERE = Path(__file__).resolve().parent
MB = 1024 * 1024

VALUES = {
    "employee_name": "Birthe Mølgaard",
    "employee_number": "1042",
    "leader_name": "Søren Åberg",
    "meeting_date": "12.03.2026",
    "goal_professional_1_text": "Tage certificering i æøå-håndtering",
    "summary": "Særlige aftaler:\nHjemmearbejde om fredagen.",
}

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/></Types>'
)
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def main() -> None:
    agreement = load_definition("agreement")
    pdf = render_bytes(agreement, 2026, VALUES, "pdf")
    docx = render_bytes(agreement, 2026, VALUES, "docx")

    write("empty.pdf", b"")
    write("truncated.pdf", pdf[: len(pdf) * 6 // 10])
    write("truncated.docx", docx[: len(docx) // 2])
    write("corrupt.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n")
    write("text-named.pdf", "Dette er ikke et skema, bare tekst med æøå.\n".encode())
    write("picture.png", page_png(pdf, dpi=20))
    write("old-word.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4088))
    write("not-word.docx", zip_of({"mimetype": b"application/vnd.oasis.opendocument.text"}))
    write("other-form.pdf", other_form())
    write("three-thousand-pages.pdf", many_pages(3000))
    encrypt(pdf, "encrypted.pdf", user="hemmelig")
    encrypt(pdf, "owner-password-only.pdf", user="")
    write("scanned.pdf", scanned(pdf))
    write("zip-bomb.docx", zip_bomb(200 * MB))
    write("zip-bomb-ratio.docx", zip_bomb(20 * MB))
    write("xxe.docx", docx_with(xxe_document()))
    write("billion-laughs.docx", docx_with(billion_laughs()))


def write(name: str, data: bytes) -> None:
    (HERE / name).write_bytes(data)
    print(f"{name}: {len(data)} bytes")


def page_png(pdf: bytes, dpi: int = 50) -> bytes:
    """The first page of `pdf` as a grey PNG (pdftoppm): a photo or scan of the form."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "form.pdf"
        source.write_bytes(pdf)
        options = ["-r", str(dpi), "-gray", "-png", "-f", "1", "-l", "1", "-singlefile"]
        subprocess.run(["pdftoppm", *options, str(source), str(Path(tmp) / "page")], check=True)
        return (Path(tmp) / "page.png").read_bytes()


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def other_form() -> bytes:
    """A PDF form, but not a MUS form: fields no contract has, no MUS title."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.drawString(72, 780, "Ansøgning om parkeringstilladelse")
    form = pdf.acroForm
    form.textfield(name="license_plate", x=72, y=700, width=200, height=20, value="AB 12345")
    form.textfield(name="tax_id", x=72, y=650, width=200, height=20, value="123")
    pdf.save()
    return buffer.getvalue()


def many_pages(count: int) -> bytes:
    """A tiny PDF whose page tree lists one page object `count` times."""
    kids = " ".join(["3 0 R"] * count)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def encrypt(pdf: bytes, name: str, user: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "plain.pdf"
        plain.write_bytes(pdf)
        subprocess.run(
            ["qpdf", "--encrypt", user, "ejer-kode", "256", "--", str(plain), str(HERE / name)],
            check=True,
        )
    print(f"{name}: encrypted (user password {'set' if user else 'empty'})")


def scanned(pdf: bytes) -> bytes:
    """The filled form's first page as an image, wrapped into an image-only PDF."""
    from reportlab.lib.utils import ImageReader

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.drawImage(ImageReader(io.BytesIO(page_png(pdf))), 0, 0, width=A4[0], height=A4[1])
    page.save()
    return buffer.getvalue()


def zip_bomb(size: int) -> bytes:
    """A DOCX-shaped zip whose document part unpacks to `size` bytes of spaces."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(f'<w:document xmlns:w="{W}"><w:body>'.encode())
            chunk = b" " * MB
            for _ in range(size // MB):
                member.write(chunk)
            member.write(b"</w:body></w:document>")
    return buffer.getvalue()


def docx_with(document_xml: str) -> bytes:
    return zip_of(
        {"[Content_Types].xml": CONTENT_TYPES.encode(), "word/document.xml": document_xml.encode()}
    )


def xxe_document() -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        f'<w:document xmlns:w="{W}"><w:body><w:sdt><w:sdtPr><w:tag w:val="employee_name"/>'
        "</w:sdtPr><w:sdtContent><w:r><w:t>&xxe;</w:t></w:r></w:sdtContent></w:sdt>"
        "</w:body></w:document>"
    )


def billion_laughs() -> str:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    ]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<!DOCTYPE w:document [{''.join(entities)}]>"
        f'<w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p>'
        "</w:body></w:document>"
    )


if __name__ == "__main__":
    main()
