"""Make the signed agreement samples for tests/test_signatures.py.

    python tests/samples/signed/make_signed.py

Writes into this folder:
- `certs/`: a test CA ("formflow Test CA"), a second CA nobody trusts, and certificates with
  keys for the leader "Lone Leder", the employee "Birthe Å. Mølgaard", a stranger "Mette
  Mallory" and "Lone Leder" again from the untrusted CA (all made with `cryptography`).
- agreements rendered by formflow, filled with pypdf (Danish dates, æøå), then:
  `leader-signed.pdf`       the leader signed (pyHanko, new field signature_leader_digital)
  `both-signed.pdf`         then the employee filled her date (pypdf incremental) and signed
  `rewritten.pdf`           leader-signed, then a tool rewrote every field object, keeping the
                            values, and the employee typed her name and date
  `tampered.pdf`            leader-signed, then goal_professional_1_text changed (incremental)
  `wrong-signer.pdf`        signed in the leader's field by Mette Mallory
  `untrusted.pdf`           signed by Lone Leder with a certificate from the untrusted CA
  `unsigned.pdf`            filled, no signature at all
  `drawn-ink.pdf`           an ink annotation (a pen) in the employee's signature box
  `drawn-image.pdf`         a scanned signature image in the leader's box (page content),
                            a logo elsewhere
  `drawn-paths.pdf`         pen strokes flattened into the page content in the employee's box
  `logo-only.pdf`           an image and a line on the page, but outside every signature box

The keys are test keys, committed on purpose so the samples can be regenerated.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from PIL import Image, ImageDraw
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from formflow.forms.library import load_definition
from formflow.forms.render import render_bytes

HERE = Path(__file__).resolve().parent
CERTS = HERE / "certs"
VALID_FROM = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
VALID_TO = dt.datetime(2099, 12, 31, tzinfo=dt.UTC)

VALUES = {
    "employee_name": "Birthe Mølgaard",
    "employee_number": "1042",
    "employee_position": "Sygeplejerske",
    "leader_name": "Lone Leder",
    "meeting_date": "02.11.2026",
    "goal_professional_1_text": "Kursus i sårpleje, afsluttet med certifikat",
    "goal_professional_1_start": "01.01.2027",
    "goal_professional_1_end": "30.06.2027",
    "goal_personal_1_text": "Øve “svære samtaler” med pårørende",
    "goal_personal_1_start": "1. februar 2027",
    "goal_personal_1_end": "31/12-2027",
    "plan_1_competence": "Sårpleje",
    "plan_1_activity": "Kursus på Ærø",
    "plan_1_followup_date": "01.03.2027",
    "summary": "Hjemmearbejde om fredagen.\tAftalt med afdelingen.",
    "next_meeting_date": "01.11.2027",
    "signature_leader_date": "04.11.2026",
}


# --- certificates --------------------------------------------------------------------------


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "DK"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def make_ca(common_name: str, stem: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(VALID_FROM)
        .not_valid_after(VALID_TO)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    _write(stem, key, cert)
    return key, cert


def make_person(
    common_name: str, stem: str, ca: tuple[ec.EllipticCurvePrivateKey, x509.Certificate]
) -> None:
    ca_key, ca_cert = ca
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(VALID_FROM)
        .not_valid_after(VALID_TO)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), True
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write(stem, key, cert)


def _write(stem: str, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> None:
    CERTS.mkdir(exist_ok=True)
    (CERTS / f"{stem}.cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (CERTS / f"{stem}.key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def make_certificates() -> None:
    ca = make_ca("formflow Test CA", "ca")
    untrusted = make_ca("Ukendt Signeringstjeneste", "untrusted-ca")
    make_person("Lone Leder", "leader", ca)
    make_person("Birthe Å. Mølgaard", "employee", ca)
    make_person("Mette Mallory", "mallory", ca)
    make_person("Lone Leder", "leader-untrusted", untrusted)


# --- forms ---------------------------------------------------------------------------------


def blank() -> bytes:
    return render_bytes(load_definition("agreement"), 2026, {}, "pdf")


def fill(data: bytes, values: dict[str, str], *, incremental: bool = False) -> bytes:
    """Fill fields with pypdf; `incremental` appends a revision (as after a signature)."""
    writer = (
        PdfWriter(io.BytesIO(data), incremental=True)
        if incremental
        else PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    )
    writer.update_page_form_field_values(None, values, auto_regenerate=False)
    out = io.BytesIO()
    writer.write(out)
    result = out.getvalue()
    assert not incremental or result.startswith(data), "pypdf rewrote the signed revision"
    return result


def rewrite_every_field(data: bytes, values: dict[str, str]) -> bytes:
    """Like a tool that saves every field object again (a tooltip added), values kept."""
    writer = PdfWriter(io.BytesIO(data), incremental=True)
    for page in writer.pages:
        for ref in page.get("/Annots") or []:
            annotation = ref.get_object()
            if "/T" in annotation:
                annotation[NameObject("/TU")] = TextStringObject(str(annotation["/T"]))
    writer.update_page_form_field_values(None, values, auto_regenerate=False)
    out = io.BytesIO()
    writer.write(out)
    assert out.getvalue().startswith(data)
    return out.getvalue()


def box_of(data: bytes, key: str) -> tuple[int, tuple[float, float, float, float]]:
    """(page index, rectangle) of field `key`'s widget."""
    for index, page in enumerate(PdfReader(io.BytesIO(data)).pages):
        for ref in page.get("/Annots") or []:
            annotation = ref.get_object()
            if annotation.get("/T") == key:
                x0, y0, x1, y1 = (float(v) for v in annotation["/Rect"])
                return index, (x0, y0, x1, y1)
    raise KeyError(key)


def sign(data: bytes, role: str, stem: str, field: str | None = None) -> bytes:
    """Sign with pyHanko in a new signature field laid over the role's signature box."""
    name = field or f"signature_{role}_digital"
    page, (x0, y0, x1, y1) = box_of(data, f"signature_{role}")
    signer = signers.SimpleSigner.load(
        str(CERTS / f"{stem}.key.pem"),
        str(CERTS / f"{stem}.cert.pem"),
        ca_chain_files=(
            str(CERTS / f"{'untrusted-ca' if 'untrusted' in stem else 'ca'}.cert.pem"),
        ),
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    spec = fields.SigFieldSpec(name, on_page=page, box=(int(x0), int(y0), int(x1), int(y1)))
    out = signers.sign_pdf(
        writer, signers.PdfSignatureMetadata(field_name=name), signer=signer, new_field_spec=spec
    )
    return out.getvalue()


def add_ink(data: bytes, key: str) -> bytes:
    """An /Ink annotation, as a PDF viewer's pen tool makes it, inside `key`'s box."""
    page, (x0, y0, x1, y1) = box_of(data, key)
    points = [(x0 + 10 + i * 6, y0 + (y1 - y0) / 2 + (8 if i % 2 else -8)) for i in range(20)]
    flat = [coordinate for point in points for coordinate in point]
    path = f"{points[0][0]:.1f} {points[0][1]:.1f} m " + " ".join(
        f"{x:.1f} {y:.1f} l" for x, y in points[1:]
    )
    appearance = StreamObject()
    appearance.set_data(f"0 0 1 RG 1.5 w {path} S".encode())
    appearance.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject([FloatObject(v) for v in (x0, y0, x1, y1)]),
        }
    )
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    ink = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Ink"),
            NameObject("/Rect"): ArrayObject(
                [FloatObject(v) for v in (x0 + 8, y0 + 5, x0 + 140, y1 - 5)]
            ),
            NameObject("/InkList"): ArrayObject([ArrayObject([FloatObject(v) for v in flat])]),
            NameObject("/C"): ArrayObject([NumberObject(0), NumberObject(0), NumberObject(1)]),
            NameObject("/AP"): DictionaryObject({NameObject("/N"): writer._add_object(appearance)}),
        }
    )
    writer.add_annotation(page, ink)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _signature_image() -> ImageReader:
    image = Image.new("RGB", (300, 80), "white")
    draw = ImageDraw.Draw(image)
    draw.line([(10, 60), (60, 15), (90, 55), (140, 20), (200, 50), (280, 30)], fill="navy", width=4)
    return ImageReader(image)


def overlay(
    data: bytes, draw: dict[int, list[tuple[str, tuple[float, float, float, float]]]]
) -> bytes:
    """Merge reportlab drawings into the page content (a scanned or flattened signature)."""
    reader = PdfReader(io.BytesIO(data))
    writer = PdfWriter(clone_from=reader)
    for index, marks in draw.items():
        page = writer.pages[index]
        buffer = io.BytesIO()
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        pdf = canvas.Canvas(buffer, pagesize=(width, height))
        for kind, (x0, y0, x1, y1) in marks:
            if kind == "image":
                pdf.drawImage(_signature_image(), x0, y0, x1 - x0, y1 - y0)
            elif kind == "line":
                pdf.line(x0, y0, x1, y1)
            elif kind == "strokes":
                path = pdf.beginPath()
                path.moveTo(x0, (y0 + y1) / 2)
                step = (x1 - x0) / 16
                for i in range(16):
                    x = x0 + step * i
                    path.curveTo(x + step / 3, y1, x + 2 * step / 3, y0, x + step, (y0 + y1) / 2)
                pdf.drawPath(path)
        pdf.save()
        page.merge_page(PdfReader(io.BytesIO(buffer.getvalue())).pages[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def main() -> None:
    make_certificates()
    filled = fill(blank(), VALUES)
    leader = sign(filled, "leader", "leader")
    samples = {
        "unsigned.pdf": filled,
        "leader-signed.pdf": leader,
        "both-signed.pdf": sign(
            fill(leader, {"signature_employee_date": "06.11.2026"}, incremental=True),
            "employee",
            "employee",
        ),
        "rewritten.pdf": rewrite_every_field(
            leader,
            {"signature_employee": "Birthe Mølgaard", "signature_employee_date": "06.11.2026"},
        ),
        "tampered.pdf": fill(
            leader, {"goal_professional_1_text": "Ingen kurser i år"}, incremental=True
        ),
        "wrong-signer.pdf": sign(filled, "leader", "mallory"),
        "untrusted.pdf": sign(filled, "leader", "leader-untrusted"),
        "drawn-ink.pdf": add_ink(filled, "signature_employee"),
    }
    page, leader_box = box_of(filled, "signature_leader")
    _, employee_box = box_of(filled, "signature_employee")
    x0, y0, _, y1 = leader_box
    samples["drawn-image.pdf"] = overlay(
        filled,
        {
            0: [("image", (40, 780, 120, 810))],  # a logo at the top of page 1
            page: [("image", (x0 + 5, y0 + 2, x0 + 155, y1 - 2))],
        },
    )
    ex0, ey0, ex1, ey1 = employee_box
    samples["drawn-paths.pdf"] = overlay(
        filled, {page: [("strokes", (ex0 + 10, ey0 + 4, ex0 + 200, ey1 - 4))]}
    )
    samples["logo-only.pdf"] = overlay(
        filled,
        {
            page: [
                ("image", (x0, y1 + 60, x0 + 80, y1 + 90)),
                ("line", (ex0, ey0 - 2, ex1, ey0 - 2)),
            ]
        },
    )
    for name, data in samples.items():
        (HERE / name).write_bytes(data)
        print(name, len(data))


if __name__ == "__main__":
    main()
