"""Scans of filled learned forms, printed, signed by pen and scanned, for `forms learn`.

Run from the project root after `make_learned.py` and `make_fillable.py`:
`python tests/samples/learned/make_learned_scans.py` (needs LibreOffice and pdftoppm). It is seeded,
so a re-run draws the same strokes, turns and noise (LibreOffice's export may differ by a
byte or two in a new version).

The scanner is `tests/samples/scans/make_scans.py`'s (rasterise, pen strokes, turn and
shift, paper tone and noise, JPEG, image-only PDF). Writes, beside this script:

- `firma-scan-200-gray-signed.pdf`: seed 004's rebuild (`firma-blank.docx`) filled by
  python-docx with `make_learned.py`'s values but the employee's signature, exported by
  LibreOffice, signed by pen in the signature cell, its three pages turned 1.2, -0.8 and
  1.4 degrees at 200 dpi, grey;
- `klinik-scan-150-colour-unsigned.pdf`: the clinic's fillable agreement (`make_fillable.py`)
  filled but its signatures, the employee's drawn by pen and the owner's left empty, turned
  -1.1 degrees at 150 dpi, colour;

and for each a `.json` like the scans' (`tests/samples/scans/`): `kind`, `year`, `dpi`,
`expected` (the typed values a reader must return, dates as ISO; a drawn signature is not
among them), `signatures` (per key: `drawn` or `missing`), `boxes` (the signature boxes: page
from 1 and [x0, top, x1, bottom] in points from the page's top left) and `pages` (angle,
shift, the 2x3 map from the printed page's pixels to the scan's).
"""

from __future__ import annotations

import io
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pdfplumber
from pypdf import PdfReader, PdfWriter

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "scans")]
import make_fillable  # noqa: E402
import make_learned  # noqa: E402
from make_scans import Page, draw, image_pdf, placement, rasterise, scan  # noqa: E402
from make_scans import signature_strokes  # noqa: E402

from formflow.read.layout import joined_pages, page_blocks  # noqa: E402
from formflow.read.labels import Table  # noqa: E402

Box = tuple[int, tuple[float, float, float, float]]  # page from 1, points from the top left
SIGNATURE_ROW = ("Dato", "Underskrift (medarbejder)", "Underskrift (leder)")


def firma(work: Path) -> tuple[bytes, dict[str, str], dict[str, Box]]:
    """The rebuild filled without the employee's signature and exported by LibreOffice; the
    values a reader must return; the signature cell's box on the export."""
    values = dict(make_learned.VALUES)
    del values["signature_employee"]
    saved = make_learned.VALUES
    make_learned.VALUES = values
    try:
        make_learned.fill(HERE / "firma-blank.docx", work / "firma-signed.docx")
    finally:
        make_learned.VALUES = saved
    pdf = make_learned.export(work / "firma-signed.docx", work).read_bytes()
    with pdfplumber.open(io.BytesIO(pdf)) as opened:
        blocks = joined_pages([page_blocks(page) for page in opened.pages])
    (row,) = [t for t in blocks if isinstance(t, Table) and t.rows and t.rows[0] == SIGNATURE_ROW]
    box = row.boxes[1][1]
    assert box is not None
    return pdf, {k: read for k, (_typed, read) in values.items()}, {"signature_employee": box}


def klinik() -> tuple[bytes, dict[str, str], dict[str, Box]]:
    """The clinic's agreement filled by pypdf (its fields kept) but its signatures; the
    values; the signature fields' boxes."""
    keys = ["employee_name", "leader_name", "meeting_date", "summary", "next_meeting_date",
            "signature_employee", "signature_employee_date", "signature_leader",
            "signature_leader_date"]  # fmt: skip
    signatures = {"Tekst6": "signature_employee", "Tekst8": "signature_leader"}
    fields = make_fillable.FIELDS
    writer = PdfWriter(clone_from=PdfReader(HERE / "klinik-blank.pdf"))
    typed = {name: value for _label, name, value, _read in fields if name not in signatures}
    writer.update_page_form_field_values(writer.pages[0], typed, auto_regenerate=True)
    out = io.BytesIO()
    writer.write(out)
    boxes: dict[str, Box] = {}
    page = PdfReader(HERE / "klinik-blank.pdf").pages[0]
    height = float(page.mediabox.top)
    for reference in page["/Annots"]:
        widget = reference.get_object()
        if str(widget.get("/T")) in signatures:
            x0, y0, x1, y1 = (float(v) for v in widget["/Rect"])
            boxes[signatures[str(widget["/T"])]] = (1, (x0, height - y1, x1, height - y0))
    expected = {
        key: read
        for key, (_l, name, _t, read) in zip(keys, fields, strict=True)
        if name not in signatures
    }
    return out.getvalue(), expected, boxes


def scanned(
    pdf: bytes, boxes: dict[str, Box], drawn: set[str], pages: list[Page], dpi: int,
    colour: bool, seed: int, work: Path,
) -> tuple[bytes, list[dict[str, object]]]:  # fmt: skip
    """The form printed at `dpi`, the `drawn` signatures signed by pen, and scanned."""
    rng = np.random.default_rng(seed)
    images = rasterise(pdf, dpi, colour, work)
    assert len(images) == len(pages), len(images)
    scale = dpi / 72
    for key in sorted(drawn):
        number, (x0, top, x1, bottom) = boxes[key]
        pixels = (round(x0 * scale), round(top * scale), round(x1 * scale), round(bottom * scale))
        draw(images[number - 1], signature_strokes(rng, pixels), dpi, colour)
    out, described = [], []
    for image, page in zip(images, pages, strict=True):
        matrix = placement(page, (image.shape[1], image.shape[0]))
        out.append(scan(image, matrix, rng))
        described.append(
            {
                "angle": page.angle,
                "shift": list(page.shift),
                "matrix": [[round(float(v), 4) for v in row] for row in matrix],
            }
        )
    return image_pdf(out, dpi), described


def write(name: str, pdf: bytes, record: dict[str, object]) -> None:
    (HERE / f"{name}.pdf").write_bytes(pdf)
    text = json.dumps(record, ensure_ascii=False, indent=1)
    (HERE / f"{name}.json").write_text(text + "\n", encoding="utf-8")
    print(f"{name}.pdf {len(pdf) // 1024} KiB")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        samples = (
            ("firma-scan-200-gray-signed", "preparation", *firma(work),
             {"signature_employee": "drawn"}, 200, False, 21,
             [Page(1.2, (12, -8)), Page(-0.8, (-6, 10)), Page(1.4, (9, 4))]),
            ("klinik-scan-150-colour-unsigned", "agreement", *klinik(),
             {"signature_employee": "drawn", "signature_leader": "missing"}, 150, True, 22,
             [Page(-1.1, (-7, 9))]),
        )  # fmt: skip
        for name, kind, pdf, expected, boxes, signatures, dpi, colour, seed, pages in samples:
            drawn = {key for key, how in signatures.items() if how == "drawn"}
            scan_pdf, described = scanned(pdf, boxes, drawn, pages, dpi, colour, seed, work)
            record = {
                "kind": kind, "year": 2026, "dpi": dpi, "colour": colour,
                "expected": expected, "signatures": signatures,
                "boxes": {key: {"page": p, "rect": list(r)} for key, (p, r) in boxes.items()},
                "pages": described,
            }  # fmt: skip
            write(name, scan_pdf, record)
        shutil.rmtree(work / "lo", ignore_errors=True)


if __name__ == "__main__":
    main()
