"""A scanned form that OCR could not read whole: held for a person, with a fillable copy.

A scan whose answers could not all be read with certainty (handwriting, an unclear word, ink
that no word explains: `Extraction.scan.unread`) is not the employee's fault. The ingest holds
it in `til-afklaring/` with a Danish note naming the fields that could not be read, and beside
it a fillable copy: formflow's own form of the scan's kind and year, rendered by formflow's
renderer and pre-filled with every value read with certainty. The copy carries the scan's
SHA-256 in its document information (`TRANSCRIBES`), which survives filling in Acrobat,
Preview, a browser, pdftk or pypdf.

A person fills in the rest from the scan and drops the copy into the inbox. It is filed as the
transcription of that scan: the scan (still in `til-afklaring/`) is filed as the original, its
signatures judged on the paper's ink, the copy's values as what it says, and the record names
the copy (`transcription`, shown by `formflow archive show`). Signatures are never transcribed:
a person cannot sign for another.

`unread_keys` and `copy_values` are pure; `prefilled_copy` and `transcribed_scan` read and
write PDF bytes, nothing else.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace

from formflow.config import Settings
from formflow.model import CheckResult, Extraction

# The document information key of a copy: the SHA-256 (hex) of the scan it transcribes.
TRANSCRIBES = "/FormflowAfskriftAf"
COPY_SUFFIX = "-afskrift"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def unread_keys(result: CheckResult) -> tuple[str, ...]:
    """The keys a person must read off the scan: the places OCR found but could not read,
    but for a signature whose ink was judged drawn (that signature is read)."""
    scan = result.extraction.scan
    if scan is None:
        return ()
    drawn = set(result.extraction.evidence.drawn)
    return tuple(key for key in scan.unread if key not in drawn)


def copy_values(extraction: Extraction) -> dict[str, str]:
    """What the copy is pre-filled with: every value read with certainty, as written (a date
    as the person wrote it), never a signature (nobody signs for another)."""
    return {
        key: extraction.raw.get(key, value)
        for key, value in extraction.fields.items()
        if value and not _is_signature(key)
    }


def copy_name(held_name: str) -> str:
    """`skema.pdf` -> `skema-afskrift.pdf`: the copy beside the held scan."""
    stem, dot, _ = held_name.rpartition(".")
    return f"{stem if dot else held_name}{COPY_SUFFIX}.pdf"


def prefilled_copy(extraction: Extraction, scan_sha256: str, settings: Settings) -> bytes:
    """formflow's own form of the scan's kind and year, pre-filled with `copy_values` and
    marked as the transcription of the scan with `scan_sha256`."""
    from pypdf import PdfReader, PdfWriter

    from formflow.forms.library import load_definition
    from formflow.forms.render import render_bytes

    if extraction.kind is None or extraction.year is None:
        raise ValueError("a copy needs the scan's kind and year")
    definition = load_definition(extraction.definition or extraction.kind, settings)
    values = {k: v for k, v in copy_values(extraction).items() if definition.has(k)}
    rendered = render_bytes(definition, extraction.year, values, "pdf")
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(rendered)))
    writer.add_metadata({TRANSCRIBES: scan_sha256})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def transcribed_scan(data: bytes) -> str | None:
    """The SHA-256 of the scan a completed copy transcribes, None for any other file."""
    if TRANSCRIBES.encode("ascii")[1:] not in data:
        return None  # cheap: nearly every file is no copy, and is not parsed again here
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        info = PdfReader(io.BytesIO(data), strict=False).metadata
    except (PdfReadError, ValueError, TypeError, KeyError, OSError):
        return None
    value = str(info.get(TRANSCRIBES, "")) if info else ""
    return value if _SHA256.match(value) else None


def transcribed(copy: Extraction, scan: Extraction) -> Extraction:
    """What a filed transcription says: the copy's values, the scan's signatures.

    A signature is never taken from the copy's text (nobody signs for another): it is drawn
    where the scan's ink was judged a drawn signature, or where OCR saw ink it could not read
    in the signature's place and the person transcribing wrote the signer's name there (the
    paper bears a signature, the scan beside the record shows it). The scan's OCR reading is
    kept for its confidences, its unread places now read by the person.
    """
    signatures = {key for key in (*copy.fields, *scan.fields) if _is_signature(key)}
    unread = set(scan.scan.unread) if scan.scan else set()
    attested = {key for key in signatures if copy.fields.get(key, "").strip() and key in unread}
    drawn = tuple(sorted({*scan.evidence.drawn, *attested}))
    return replace(
        copy,
        fields={k: v for k, v in copy.fields.items() if not _is_signature(k)},
        raw={k: v for k, v in copy.raw.items() if not _is_signature(k)},
        evidence=replace(scan.evidence, drawn=drawn),
        scan=replace(scan.scan, unread=()) if scan.scan else None,
    )


def _is_signature(key: str) -> bool:
    return key.startswith("signature_") and not key.endswith("_date")
