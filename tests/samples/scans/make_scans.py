"""Make the scanned sample forms: filled forms printed, signed by pen and scanned.

Run from the project root: `python tests/samples/scans/make_scans.py [NAME ...]` (all samples,
or those named; needs pdftoppm, and tesseract with `dan` for the page texts of the batches;
takes about half a minute). It is deterministic (seeded), so a re-run writes the same files.

Each sample starts from a filled PDF: formflow's own preparation or agreement form (rendered by
formflow's renderer, filled with pypdf and flattened) or a foreign layout from
`tests/samples/foreign/`. Its pages are rasterised by pdftoppm at 150, 200 or 300 dpi (grey or
colour), signed with drawn pen strokes in the signature boxes (or left unsigned), sometimes
answered by hand (strokes in an answer box instead of typed text), turned by a known small angle
(0.5-2 degrees) and shift (one upside down), given a paper tone and a little noise, JPEG-encoded
(quality 75) and wrapped back into an image-only PDF by Pillow.

For every `<name>.pdf` a `<name>.json` says what is on it:

- `forms`: one entry per form in the PDF (two in `two-agreements-150-gray.pdf`), each with its
  `source`, `kind`, `year`, `expected` (the typed values a reader must return, dates as ISO; a
  signature or answer that is drawn is absent; `complete` is false when only some of the form's
  pages were scanned), `signatures` (per signature key: `drawn`,
  `typed` or `missing`), `handwritten` (answer keys written by hand), `boxes` (those keys'
  widget rectangles on the blank form: form page index and [x0, y0, x1, y1] in PDF points) and
  `pages`: per scanned page the `pdf_page` it is in this PDF, its `form_page`, the `angle`
  (degrees, counter-clockwise on the page as seen), `shift` (pixels), `upside_down` and
  `matrix`: the 2x3 affine map from the blank page's pixels to the scan's pixels at `dpi`;
- `dpi`, `colour`, and for the batches `page_texts`: what tesseract (`-l dan`) read on each
  page of the PDF, for the tests of page ordering.
"""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from pypdf import PdfReader, PdfWriter

HERE = Path(__file__).resolve().parent
SAMPLES = HERE.parent
sys.path.insert(0, str(SAMPLES))
from make_samples import filled_and_expected  # noqa: E402

from formflow.forms.library import load_definition  # noqa: E402
from formflow.forms.render import render_bytes  # noqa: E402

YEAR = 2026
SIGNATURES = ("signature_leader", "signature_employee")
SECOND_EMPLOYEE = {"employee_name": "Jonas Kæmpe Møller", "employee_number": "4712"}


@dataclass(frozen=True)
class Page:
    """How one page lies on the scanner: angle in degrees, shift in pixels, upside down."""

    angle: float
    shift: tuple[int, int]
    upside_down: bool = False


@dataclass(frozen=True)
class Form:
    """One form on paper: its source, how it is signed and which answers are handwritten."""

    source: str  # "agreement", "preparation" or "foreign/<file>.pdf"
    pages: tuple[Page, ...]
    signatures: dict[str, str] = field(default_factory=dict)  # key -> drawn/typed/missing
    handwritten: tuple[str, ...] = ()
    values: dict[str, str] = field(default_factory=dict)  # overrides of the typed values
    seed: int = 1
    keep: tuple[int, ...] | None = None  # the form's pages that are scanned (default: all)


@dataclass(frozen=True)
class Sample:
    name: str
    dpi: int
    colour: bool
    forms: tuple[Form, ...]
    order: tuple[int, ...] | None = None  # scanned page order (indices into all pages)
    page_texts: bool = False


DRAWN = dict.fromkeys(SIGNATURES, "drawn")
TILTED3 = (Page(1.2, (14, -9)), Page(-0.8, (-6, 11)), Page(1.6, (9, 5)))

SAMPLE_LIST = (
    Sample("agreement-200-gray-signed", 200, False, (Form("agreement", TILTED3, DRAWN, seed=2),)),
    Sample(
        "agreement-300-colour-unsigned",
        300,
        True,
        (
            Form(
                "agreement",
                (Page(0.5, (20, 14)),),
                dict.fromkeys(SIGNATURES, "missing"),
                seed=3,
                keep=(2,),
            ),
        ),
    ),
    Sample(
        "agreement-150-colour-upside-down",
        150,
        True,
        (
            Form(
                "agreement",
                (Page(0.9, (6, -4), True), Page(-1.4, (-5, 7), True), Page(1.1, (4, 6), True)),
                {"signature_leader": "drawn", "signature_employee": "missing"},
                seed=4,
            ),
        ),
    ),
    Sample(
        "preparation-150-gray-handwritten",
        150,
        False,
        (
            Form(
                "preparation",
                tuple(
                    Page(a, (s, -s))
                    for a, s in ((-1.9, 7), (0.6, -5), (1.3, 4), (-0.5, 9), (2.0, -3))
                ),
                {"signature_employee": "drawn"},
                handwritten=("q_career",),
                seed=5,
            ),
        ),
    ),
    Sample(
        "clinic-agreement-200-gray",
        200,
        False,
        (Form("foreign/clinic-agreement-lo.pdf", (Page(1.4, (10, -7)),), seed=7),),
    ),
    Sample(
        "hr-agreement-twocol-200-colour",
        200,
        True,
        (Form("foreign/hr-agreement-twocol-gs.pdf", (Page(-0.6, (-12, 16)),), seed=8),),
    ),
    Sample(  # faint grey rulings under bold labels: the row lines must still be found
        "hr-agreement-twocol-150-gray",
        150,
        False,
        (Form("foreign/hr-agreement-twocol-gs.pdf", (Page(0.78, (16, -12)),), seed=258),),
    ),
    # more foreign layouts, as their organisations print them (issue 15's "other forms")
    Sample(
        "company-preparation-200-gray",
        200,
        False,
        (
            Form(
                "foreign/company-preparation-lo.pdf",
                (Page(0.8, (9, -6)), Page(-1.2, (-4, 8)), Page(0.5, (6, 3))),
                seed=12,
            ),
        ),
    ),
    Sample(
        "colon-agreement-150-colour",
        150,
        True,
        (Form("foreign/colon-agreement.pdf", (Page(-1.5, (7, 5)),), seed=13),),
    ),
    Sample(
        "devplan-200-gray",
        200,
        False,
        (Form("foreign/devplan.pdf", (Page(1.8, (-9, -4)),), seed=14),),
    ),
    Sample(
        "inspiration-preparation-200-gray",
        200,
        False,
        (
            Form(
                "foreign/inspiration-preparation-lo.pdf",
                (Page(-0.7, (5, 6)), Page(1.1, (-6, 2))),
                seed=15,
            ),
        ),
    ),
    Sample(
        "labels-above-150-gray",
        150,
        False,
        (Form("foreign/labels-above-gs.pdf", (Page(0.9, (4, -5)), Page(-1.3, (-3, 7))), seed=16),),
    ),
    Sample(
        "ruled-preparation-300-colour",
        300,
        True,
        (Form("foreign/ruled-preparation.pdf", (Page(-0.5, (12, 9)),), seed=17),),
    ),
    Sample(
        "hr-preparation-twopage-200-gray",
        200,
        False,
        (
            Form(
                "foreign/hr-preparation-twopage-lo.pdf",
                (Page(1.3, (-8, 4)), Page(-0.9, (7, -5))),
                seed=18,
            ),
        ),
    ),
    Sample(
        "clinic-agreement-tabs-150-gray",
        150,
        False,
        (Form("foreign/clinic-agreement-tabs-lo.pdf", (Page(-1.7, (6, 8)),), seed=19),),
    ),
    Sample(
        "agreement-batch-reversed-150-gray",
        150,
        False,
        (
            Form(
                "agreement",
                (Page(0.7, (5, 3)), Page(-0.9, (-8, 4)), Page(1.3, (6, -10))),
                {"signature_leader": "drawn", "signature_employee": "typed"},
                seed=9,
            ),
        ),
        order=(2, 1, 0),
        page_texts=True,
    ),
    Sample(
        "two-agreements-150-gray",
        150,
        False,
        (
            Form("agreement", TILTED3, DRAWN, seed=10),
            Form(
                "agreement",
                (Page(-1.1, (-7, 5)), Page(0.6, (8, 8)), Page(-1.7, (3, -6))),
                DRAWN,
                values=SECOND_EMPLOYEE,
                seed=11,
            ),
        ),
        page_texts=True,
    ),
)


def run(*command: str | Path) -> None:
    subprocess.run([str(part) for part in command], check=True, capture_output=True, timeout=300)


# --- the filled form and its boxes


def own_form(form: Form) -> tuple[bytes, dict[str, str], dict[str, dict[str, object]]]:
    """formflow's form filled with pypdf and flattened; the expected values; the drawn boxes."""
    definition = load_definition(form.source)
    filled, expected = filled_and_expected(form.source)
    filled = {**filled, **form.values}
    expected = {**expected, **form.values}
    blank = render_bytes(definition, YEAR, {}, "pdf")
    boxes = widget_boxes(blank, [*form.handwritten, *form.signatures])
    for key, how in form.signatures.items():
        if how != "typed":
            filled[key] = expected[key] = ""
    for key in form.handwritten:
        filled[key] = expected[key] = ""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(blank)))
    for page in writer.pages:
        writer.update_page_form_field_values(
            page, {k: v for k, v in filled.items() if v}, auto_regenerate=False, flatten=True
        )
    writer.remove_annotations(subtypes="/Widget")
    del writer.root_object["/AcroForm"]
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), {k: v for k, v in expected.items() if v}, boxes


def widget_boxes(pdf: bytes, keys: list[str]) -> dict[str, dict[str, object]]:
    """The rectangles (form page, PDF points) of the named widgets of a blank form."""
    boxes: dict[str, dict[str, object]] = {}
    for number, page in enumerate(PdfReader(io.BytesIO(pdf)).pages):
        for annotation in page.get("/Annots") or []:
            widget = annotation.get_object()
            if widget.get("/T") in keys:
                rect = [round(float(v), 3) for v in widget["/Rect"]]
                boxes[str(widget["/T"])] = {"page": number, "rect": rect}
    return boxes


def foreign_form(form: Form) -> tuple[bytes, dict[str, str], dict[str, dict[str, object]]]:
    path = SAMPLES / form.source
    expected = json.loads(Path(f"{path}.json").read_text(encoding="utf-8"))["expected"]
    return path.read_bytes(), expected, {}


# --- pen strokes


def pen_width(dpi: int) -> int:
    """A ballpoint's line (about 0.5 mm) in pixels."""
    return max(2, round(dpi * 0.5 / 25.4))


def envelope(rng: np.random.Generator, t: np.ndarray, low: float, knots: int) -> np.ndarray:
    """A letter height that wanders between `low` and 1 along the stroke."""
    return np.interp(t, np.linspace(0, 1, knots), rng.uniform(low, 1.0, knots))


def signature_strokes(rng: np.random.Generator, box: tuple[int, int, int, int]) -> list[np.ndarray]:
    """A name-like scrawl (loops of varying height moving right) and an underline, in the box."""
    x0, y0, x1, y1 = box
    width, height = x1 - x0, y1 - y0
    start = x0 + width * rng.uniform(0.05, 0.2)
    length = width * rng.uniform(0.45, 0.65)
    t = np.linspace(0, 1, 600)
    loops = rng.uniform(6, 10)
    phase = 2 * math.pi * loops * t
    tall = envelope(rng, t, 0.35, 7)
    tall[t < 0.12] = 1.6  # the capital
    x = start + length * t + (length / loops) * 0.32 * np.cos(phase)
    y = y0 + height * (0.68 - 0.36 * tall * (1 + np.sin(phase)) / 2 + 0.05 * np.sin(3 * t))
    underline_x = np.linspace(start - width * 0.03, start + length * 1.05, 60)
    underline_y = y0 + height * (0.8 + 0.05 * np.sin(np.linspace(0, math.pi, 60)))
    return [np.column_stack([x, y]), np.column_stack([underline_x, underline_y])]


def handwriting_strokes(
    rng: np.random.Generator, box: tuple[int, int, int, int], dpi: int
) -> list[np.ndarray]:
    """Two lines of cursive-like words (letters of varying height, gaps between words)."""
    x0, y0, x1, _ = box
    strokes = []
    line_height = dpi * 0.22  # writing lines 5.6 mm apart
    advance = dpi * 0.075  # one letter
    for line in range(2):
        baseline = y0 + line_height * (line + 1)
        x = x0 + dpi * 0.08
        while x < x1 - dpi * 0.6:
            letters = int(rng.integers(2, 9))
            t = np.linspace(0, 1, 40 * letters)
            phase = 2 * math.pi * letters * t
            tall = envelope(rng, t, 0.45, letters + 1) * line_height * 0.55
            xs = x + advance * letters * t + advance * 0.3 * np.cos(phase)
            ys = baseline - tall * (1 + np.sin(phase - math.pi / 2)) / 2
            strokes.append(np.column_stack([xs, ys]))
            x += advance * letters + dpi * 0.12
    return strokes


def draw(page: np.ndarray, strokes: list[np.ndarray], dpi: int, colour: bool) -> None:
    ink = (40, 40, 150) if colour else (35,)  # blue ballpoint, RGB
    for stroke in strokes:
        points = np.round(stroke * 16).astype(np.int32).reshape(-1, 1, 2)
        cv2.polylines(page, [points], False, ink, pen_width(dpi), cv2.LINE_AA, shift=4)


def box_pixels(rect: list[float], dpi: int) -> tuple[int, int, int, int]:
    """A PDF-point rectangle on an A4 page as pixels (y down)."""
    scale = dpi / 72
    height = 841.89
    return (
        round(rect[0] * scale),
        round((height - rect[3]) * scale),
        round(rect[2] * scale),
        round((height - rect[1]) * scale),
    )


# --- the scanner


def rasterise(pdf: bytes, dpi: int, colour: bool, work: Path) -> list[np.ndarray]:
    source = work / "form.pdf"
    source.write_bytes(pdf)
    run("pdftoppm", "-r", str(dpi), "-png", *([] if colour else ["-gray"]), source, work / "p")
    pages = sorted(work.glob("p-*.png"))
    images = [np.array(Image.open(path).convert("RGB" if colour else "L")) for path in pages]
    for path in pages:
        path.unlink()
    return images


def placement(page: Page, size: tuple[int, int]) -> np.ndarray:
    """The 2x3 map from the page's pixels to the scan's: turn about the centre, then shift."""
    width, height = size
    angle = page.angle + (180.0 if page.upside_down else 0.0)
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    matrix[:, 2] += page.shift
    return matrix


def scan(image: np.ndarray, matrix: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The page as the scanner sees it: placed, on slightly grey paper, a little noise."""
    height, width = image.shape[:2]
    white = (255, 255, 255) if image.ndim == 3 else 255
    placed = cv2.warpAffine(
        image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=white
    )
    toned = placed.astype(np.float32) * 0.94 + 8
    if image.ndim == 3:
        toned[..., 2] -= 6  # yellowish paper
    noisy = toned + rng.normal(0, 2.0, toned.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def image_pdf(images: list[np.ndarray], dpi: int) -> bytes:
    pages = []
    for image in images:
        encoded = io.BytesIO()
        Image.fromarray(image).save(encoded, "JPEG", quality=75)
        pages.append(Image.open(io.BytesIO(encoded.getvalue())))
    out = io.BytesIO()
    made = time.gmtime(1774000000)  # a fixed date (March 2026): a re-run writes the same bytes
    pages[0].save(
        out,
        "PDF",
        resolution=dpi,
        save_all=True,
        append_images=pages[1:],
        creationDate=made,
        modDate=made,
    )
    return out.getvalue()


def make_form(form: Form, sample: Sample, work: Path) -> tuple[list[np.ndarray], dict[str, object]]:
    """The scanned pages of one form and its description (pdf_page filled in later)."""
    own = not form.source.startswith("foreign/")
    pdf, expected, boxes = own_form(form) if own else foreign_form(form)
    foreign = {} if own else json.loads(Path(f"{SAMPLES / form.source}.json").read_text())
    kind, year = (form.source, YEAR) if own else (foreign["kind"], foreign["year"])
    rng = np.random.default_rng(form.seed)
    images = rasterise(pdf, sample.dpi, sample.colour, work)
    keep = form.keep or tuple(range(len(images)))
    assert len(keep) == len(form.pages), (form.source, len(images))
    for key, how in form.signatures.items():
        if how == "drawn":
            box = boxes[key]
            strokes = signature_strokes(rng, box_pixels(box["rect"], sample.dpi))  # type: ignore[arg-type]
            draw(images[box["page"]], strokes, sample.dpi, sample.colour)  # type: ignore[index]
    for key in form.handwritten:
        box = boxes[key]
        strokes = handwriting_strokes(rng, box_pixels(box["rect"], sample.dpi), sample.dpi)  # type: ignore[arg-type]
        draw(images[box["page"]], strokes, sample.dpi, sample.colour)  # type: ignore[index]
    scanned, pages = [], []
    for number, page in zip(keep, form.pages, strict=True):
        image = images[number]
        matrix = placement(page, (image.shape[1], image.shape[0]))
        scanned.append(scan(image, matrix, rng))
        pages.append(
            {
                "form_page": number,
                "angle": page.angle,
                "shift": list(page.shift),
                "upside_down": page.upside_down,
                "matrix": [[round(float(v), 4) for v in row] for row in matrix],
            }
        )
    description = {
        "source": form.source,
        "kind": kind,
        "year": year,
        "expected": expected,
        "complete": form.keep is None,
        "signatures": {
            key: form.signatures.get(key, "typed")
            for key in SIGNATURES
            if (load_definition(kind).has(key) if own else key in expected)
        },
        "handwritten": list(form.handwritten),
        "boxes": boxes,
        "pages": pages,
    }
    return scanned, description


def ocr_texts(pdf: Path, work: Path) -> list[str]:
    """What tesseract reads on each page (for the batch tests; pages ordered by OCR text)."""
    texts = []
    for number, image in enumerate(PdfReader(pdf).pages):
        picture = work / f"ocr-{number}.png"
        image.images[0].image.save(picture)
        result = subprocess.run(
            ["tesseract", str(picture), "-", "-l", "dan", "--psm", "3"],
            check=True,
            capture_output=True,
            timeout=120,
            env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"},
        )
        texts.append(result.stdout.decode("utf-8"))
    return texts


def make_sample(sample: Sample, work: Path) -> int:
    images: list[np.ndarray] = []
    forms = []
    for form in sample.forms:
        scanned, description = make_form(form, sample, work)
        for index, page in enumerate(description["pages"]):  # type: ignore[arg-type]
            page["pdf_page"] = len(images) + index
        images.extend(scanned)
        forms.append(description)
    if sample.order:
        images = [images[i] for i in sample.order]
        for description in forms:
            for page in description["pages"]:  # type: ignore[attr-defined]
                page["pdf_page"] = sample.order.index(page["pdf_page"])
    pdf = HERE / f"{sample.name}.pdf"
    pdf.write_bytes(image_pdf(images, sample.dpi))
    record: dict[str, object] = {"dpi": sample.dpi, "colour": sample.colour, "forms": forms}
    if sample.page_texts:
        record["page_texts"] = ocr_texts(pdf, work)
    (HERE / f"{sample.name}.json").write_text(
        json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return pdf.stat().st_size


def main(names: list[str]) -> int:
    """Make every sample, or only those named on the command line."""
    total = 0
    with tempfile.TemporaryDirectory() as temporary:
        for sample in SAMPLE_LIST:
            if names and sample.name not in names:
                continue
            size = make_sample(sample, Path(temporary))
            total += size
            print(f"{sample.name}.pdf {size // 1024} KiB")
    print(f"total {total // 1024} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
