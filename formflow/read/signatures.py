"""What a PDF shows about its signatures: digital signatures (pyHanko) and drawn ink or images.

`pdf_evidence` is called by the AcroForm reader with the open `PdfReader` and the file's bytes.
It judges nothing about people (that is `formflow.validate`): it reports, per PDF signature,
whether it is intact, cryptographically valid and trusted, who the certificate names, and which
form fields changed value after it; and which signature boxes hold ink or an image.

What changed after a signature is computed from values, not objects: the signed revision (the
file up to the end of the signature's ByteRange) is read with pypdf and its field values are
compared with the final ones. pyHanko's own difference analysis reports every field object a
later tool rewrote, even when the value stayed the same.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import (
    ArrayObject,
    ContentStream,
    DictionaryObject,
    IndirectObject,
    StreamObject,
)

from formflow.config import Settings
from formflow.errors import SettingsError
from formflow.model import DigitalSignature, Evidence
from formflow.read import contract_key

log = logging.getLogger(__name__)


class _UntrustedChainNoise(logging.Filter):
    """Drop pyHanko's traceback for a chain that reaches no trust root.

    An untrusted signer is an expected finding here (reported as `trusted=False`), not a
    fault; and the record carries the signer's name, which logs must not.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Failed to build path")


logging.getLogger("pyhanko.sign.validation.generic_cms").addFilter(_UntrustedChainNoise())

SIGNATURE_KEY = re.compile(r"^signature_[a-z]+$")
# A drawn signature flattened into the page is many short path segments; a box border or a
# signature line drawn by the form itself is a handful. Fewer segments than this is not ink.
MIN_INK_SEGMENTS = 12
# Share of a mark's bounding box that must lie inside the signature box (signatures overflow
# their box a little; a logo elsewhere on the page does not overlap at all).
MIN_OVERLAP = 0.3
_MAX_XOBJECT_DEPTH = 4
_MAX_OPERATIONS = 200_000  # per page, across nested forms: a bound for hostile content

Box = tuple[float, float, float, float]  # x0, y0, x1, y1
Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def pdf_evidence(reader: PdfReader, data: bytes, settings: Settings) -> Evidence:
    """The signature evidence of one PDF: drawn signature boxes and digital signatures."""
    return Evidence(
        drawn=drawn_signatures(reader),
        digital=digital_signatures(reader, data, settings),
    )


# --- digital signatures --------------------------------------------------------------------


def digital_signatures(
    reader: PdfReader, data: bytes, settings: Settings
) -> tuple[DigitalSignature, ...]:
    """Every signed /Sig field, validated by pyHanko against the configured trust roots."""
    if not _has_signed_fields(reader):
        return ()  # the common case: no pyHanko import, no second parse
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        embedded = list(PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures)
    except (PdfError, PyPdfError, ValueError, KeyError, TypeError) as error:
        log.warning("signatures unreadable by pyHanko: %s", type(error).__name__)
        return tuple(
            DigitalSignature(name, "", False, False, False, detail="unreadable signature")
            for name in _signed_field_names(reader)
        )
    final = field_values(reader)
    roots = trust_roots(tuple(settings.signatures.trust_roots))
    return tuple(_examine(signature, data, final, roots) for signature in embedded)


def _examine(
    signature: Any, data: bytes, final: dict[str, str], roots: tuple[Any, ...]
) -> DigitalSignature:
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    name = contract_key(str(signature.field_name or ""))
    try:
        # An explicit (possibly empty) list: never the operating system's trust store, and
        # never the network: trust is the organisation's policy, set in formflow.toml.
        context = ValidationContext(trust_roots=list(roots), allow_fetching=False)
        # skip_diff: what changed after signing is computed below from field values.
        status = validate_pdf_signature(signature, context, skip_diff=True)
    except Exception as error:  # pyHanko raises many kinds on hostile input; none may crash
        log.warning("signature in field %s could not be validated: %s", name, type(error).__name__)
        return DigitalSignature(
            name, _signer(signature), False, False, False, detail=type(error).__name__
        )
    changed = changed_after(data, signature.byte_range, final)
    signed_at = status.signer_reported_dt
    return DigitalSignature(
        field=name,
        signer=_common_name(status.signing_cert),
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        changed_fields=changed,
        signed_at=signed_at.isoformat() if signed_at else None,
    )


def _signer(signature: Any) -> str:
    try:
        return _common_name(signature.signer_cert)
    except Exception:  # the certificate itself may be what is broken
        return ""


def _common_name(certificate: Any) -> str:
    subject = certificate.subject.native
    return str(subject.get("common_name") or subject.get("pseudonym") or "")


def changed_after(data: bytes, byte_range: Any, final: dict[str, str]) -> tuple[str, ...]:
    """Contract keys whose value differs between the signed revision and the final file."""
    try:
        end = int(byte_range[2]) + int(byte_range[3])
        signed = field_values(PdfReader(io.BytesIO(data[:end]), strict=False))
    except (PyPdfError, ValueError, TypeError, IndexError, KeyError) as error:
        log.warning("signed revision unreadable: %s", type(error).__name__)
        return ("*",)  # unknown: the signature cannot be shown to cover the final values
    keys = set(signed) | set(final)
    return tuple(sorted(k for k in keys if signed.get(k, "") != final.get(k, "")))


def field_values(reader: PdfReader) -> dict[str, str]:
    """Contract key -> value text of every field that holds a value (signatures excluded)."""
    values: dict[str, str] = {}
    for name, field in (reader.get_fields() or {}).items():
        if field.get("/FT") == "/Sig":
            continue
        value = field.get("/V")
        text = _text(value.get_object() if isinstance(value, IndirectObject) else value)
        key = contract_key(name)
        if key and (key not in values or not values[key]):
            values[key] = text
    return values


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, StreamObject):
        return value.get_data().decode("utf-8", "replace")
    if isinstance(value, ArrayObject):
        return "\n".join(_text(v) for v in value)
    return str(value)


def _has_signed_fields(reader: PdfReader) -> bool:
    return any(True for _ in _signed_field_names(reader))


def _signed_field_names(reader: PdfReader) -> Iterator[str]:
    try:
        fields = reader.get_fields() or {}
    except (PyPdfError, ValueError, TypeError, KeyError, RecursionError):
        return
    for name, field in fields.items():
        if field.get("/FT") == "/Sig" and field.get("/V") is not None:
            yield contract_key(name)


@lru_cache(maxsize=8)
def trust_roots(paths: tuple[str, ...]) -> tuple[Any, ...]:
    """The configured trust roots (PEM or DER files) as asn1crypto certificates."""
    from asn1crypto import pem, x509  # type: ignore[import-untyped]

    roots: list[Any] = []
    for path in paths:
        try:
            raw = Path(path).read_bytes()
            if pem.detect(raw):
                roots.extend(x509.Certificate.load(der) for _, _, der in pem.unarmor(raw, True))
            else:
                roots.append(x509.Certificate.load(raw))
            for root in roots:
                root.native  # noqa: B018 - parse now: a bad file must fail here, not later
        except (OSError, ValueError, TypeError) as error:
            raise SettingsError(
                f"signatures.trust_roots: cannot read a certificate from {path}: {error}"
            ) from error
    return tuple(roots)


# --- drawn signatures ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Marks:
    """What is drawn on a page: bounding boxes of images, and the points of path segments."""

    images: tuple[Box, ...]
    segments: tuple[tuple[float, float], ...]


def drawn_signatures(reader: PdfReader) -> tuple[str, ...]:
    """Signature keys whose box holds ink: an ink or stamp annotation, an image, or drawn paths."""
    drawn: set[str] = set()
    for page in reader.pages:
        boxes = list(_signature_boxes(page))
        if not boxes:
            continue
        annotations = list(_mark_annotations(page))
        marks: _Marks | None = None
        for key, box in boxes:
            if key in drawn:
                continue
            if any(_overlaps(mark, box) for mark in annotations):
                drawn.add(key)
                continue
            if marks is None:
                marks = _page_marks(page)
            inside = sum(1 for x, y in marks.segments if _inside((x, y), box))
            if inside >= MIN_INK_SEGMENTS or any(_overlaps(image, box) for image in marks.images):
                drawn.add(key)
    return tuple(sorted(drawn))


def _signature_boxes(page: Any) -> Iterator[tuple[str, Box]]:
    """(signature key, rectangle) of each signature widget on the page."""
    for annotation in _annotations(page):
        if annotation.get("/Subtype") != "/Widget":
            continue
        name = _field_name(annotation)
        if SIGNATURE_KEY.match(name):
            box = _rect(annotation.get("/Rect"))
            if box is not None:
                yield name, box


def _field_name(widget: DictionaryObject) -> str:
    """The widget's contract key: its own /T, or its parent field's (a widget kid)."""
    node: Any = widget
    for _ in range(8):
        if "/T" in node:
            return contract_key(str(node["/T"]))
        parent = node.get("/Parent")
        if parent is None:
            return ""
        node = parent.get_object()
    return ""


def _mark_annotations(page: Any) -> Iterator[Box]:
    """Rectangles of annotations that carry handwriting: ink (a pen) or a stamp (a picture)."""
    for annotation in _annotations(page):
        if annotation.get("/Subtype") in ("/Ink", "/Stamp"):
            box = _rect(annotation.get("/Rect"))
            if box is not None:
                yield box


def _annotations(page: Any) -> Iterator[DictionaryObject]:
    annotations = page.get("/Annots")
    annotations = annotations.get_object() if annotations is not None else None
    if not isinstance(annotations, ArrayObject):
        return
    for ref in annotations:
        annotation = ref.get_object()
        if isinstance(annotation, DictionaryObject):
            yield annotation


def _page_marks(page: Any) -> _Marks:
    images: list[Box] = []
    segments: list[tuple[float, float]] = []
    budget = [_MAX_OPERATIONS]
    try:
        contents = page.get_contents()
        if contents is not None:
            _walk_content(contents, page.get("/Resources"), _IDENTITY, images, segments, 0, budget)
    except (PyPdfError, ValueError, TypeError, KeyError, IndexError, RecursionError) as error:
        # A page whose content cannot be parsed has no provable ink; the reader still reads
        # its fields. Log the kind only.
        log.warning("page content unreadable for drawn signatures: %s", type(error).__name__)
    return _Marks(tuple(images), tuple(segments))


def _walk_content(
    stream: Any,
    resources: Any,
    ctm: Matrix,
    images: list[Box],
    segments: list[tuple[float, float]],
    depth: int,
    budget: list[int],
) -> None:
    """Follow the graphics state through a content stream, collecting images and path points."""
    content = stream if isinstance(stream, ContentStream) else ContentStream(stream, None)
    resources = resources.get_object() if resources is not None else None
    xobjects = resources.get("/XObject") if isinstance(resources, DictionaryObject) else None
    xobjects = xobjects.get_object() if xobjects is not None else None
    stack: list[Matrix] = []
    for operands, operator in content.operations:
        budget[0] -= 1
        if budget[0] < 0:
            return
        if operator == b"q":
            stack.append(ctm)
        elif operator == b"Q":
            ctm = stack.pop() if stack else ctm
        elif operator == b"cm" and len(operands) == 6:
            ctm = _multiply(_matrix(operands), ctm)
        elif operator in _PATH_OPERATORS:
            point = _end_point(operator, operands)
            if point is not None:
                segments.append(_apply(ctm, *point))
        elif operator == b"INLINE IMAGE":
            images.append(_unit_square(ctm))
        elif operator == b"Do" and operands and isinstance(xobjects, DictionaryObject):
            xobject = xobjects.get(operands[0])
            xobject = xobject.get_object() if xobject is not None else None
            if isinstance(xobject, StreamObject):
                _draw(xobject, resources, ctm, images, segments, depth, budget)


_PATH_OPERATORS = (b"l", b"c", b"v", b"y")


def _end_point(operator: bytes, operands: list[Any]) -> tuple[float, float] | None:
    """Where a path segment ends: `x y l`, or the last two operands of a curve."""
    if operator == b"l":
        return (float(operands[0]), float(operands[1])) if len(operands) == 2 else None
    return (float(operands[-2]), float(operands[-1])) if len(operands) >= 4 else None


def _draw(
    xobject: StreamObject,
    resources: Any,
    ctm: Matrix,
    images: list[Box],
    segments: list[tuple[float, float]],
    depth: int,
    budget: list[int],
) -> None:
    """An XObject drawn with `Do`: an image is a mark; a form is walked in its own matrix."""
    if xobject.get("/Subtype") == "/Image":
        images.append(_unit_square(ctm))
    elif xobject.get("/Subtype") == "/Form" and depth < _MAX_XOBJECT_DEPTH:
        matrix = _matrix(xobject.get("/Matrix", _IDENTITY))
        _walk_content(
            ContentStream(xobject, None),
            xobject.get("/Resources", resources),
            _multiply(matrix, ctm),
            images,
            segments,
            depth + 1,
            budget,
        )


def _matrix(values: Iterable[Any]) -> Matrix:
    a, b, c, d, e, f = (float(v) for v in values)
    return (a, b, c, d, e, f)


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    """m then n (PDF row-vector convention: cm's matrix is applied before the current CTM)."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (
        a * A + b * C,
        a * B + b * D,
        c * A + d * C,
        c * B + d * D,
        e * A + f * C + E,
        e * B + f * D + F,
    )


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return (a * x + c * y + e, b * x + d * y + f)


def _unit_square(m: Matrix) -> Box:
    """An image fills the unit square of its CTM: its bounding box on the page."""
    corners = [_apply(m, x, y) for x, y in ((0, 0), (1, 0), (0, 1), (1, 1))]
    xs, ys = [p[0] for p in corners], [p[1] for p in corners]
    return (min(xs), min(ys), max(xs), max(ys))


def _rect(value: Any) -> Box | None:
    value = value.get_object() if value is not None else None
    if not isinstance(value, ArrayObject) or len(value) != 4:
        return None
    try:
        x0, y0, x1, y1 = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _inside(point: tuple[float, float], box: Box) -> bool:
    return box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


def _overlaps(mark: Box, box: Box) -> bool:
    """True if enough of the mark lies in the box (or a point-thin mark lies inside it)."""
    width = min(mark[2], box[2]) - max(mark[0], box[0])
    height = min(mark[3], box[3]) - max(mark[1], box[1])
    if width < 0 or height < 0:
        return False
    area = (mark[2] - mark[0]) * (mark[3] - mark[1])
    if area <= 0:
        return _inside(((mark[0] + mark[2]) / 2, (mark[1] + mark[3]) / 2), box)
    return width * height / area >= MIN_OVERLAP
