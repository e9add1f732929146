"""The data that flows between formflow's stages: frozen, plain, serialisable.

A reader turns a file into an `Extraction` (contract keys -> values, plus the evidence it saw
for signatures). Validation turns an Extraction into a `CheckResult`: `Problem`s and a
`Signature` verdict per signature field. The archive files the form's bytes with its
CheckResult (`formflow.archive`). None of these touch a file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]
SignatureKind = Literal["digital", "drawn", "typed", "missing"]
ReaderName = Literal["acroform", "layout", "docx", "docx-layout", "ocr"]


@dataclass(frozen=True)
class Problem:
    """A finding about a form: which field, how bad, a stable code, a plain Danish message."""

    field: str | None
    severity: Severity
    code: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DigitalSignature:
    """What a PDF signature's validation found (filled in by the reader, judged by validation)."""

    field: str  # the signature field's name in the PDF
    signer: str  # the certificate's subject common name
    intact: bool  # the signed bytes hash to the signed digest
    valid: bool  # cryptographically valid
    trusted: bool  # chains to a configured trust root
    changed_fields: tuple[str, ...] = ()  # fields whose values changed after this signature
    signed_at: str | None = None  # ISO timestamp claimed by the signer, if any
    detail: str = ""


@dataclass(frozen=True)
class Evidence:
    """What a reader saw besides text, per signature field key."""

    drawn: tuple[str, ...] = ()  # signature keys with ink or an image in their box
    digital: tuple[DigitalSignature, ...] = ()


@dataclass(frozen=True)
class ScanReading:
    """What OCR was sure of on a scanned form (reader "ocr", `formflow.read.ocr`)."""

    confidence: dict[str, float]  # per value read: its least confident word's (0-100)
    unread: tuple[str, ...] = ()  # keys whose place held something OCR could not read
    pages: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Extraction:
    """One file read as a MUS form: contract keys -> normalised values.

    `fields` holds only what was found: a key that is absent was not found (a flattened form's
    label missing), a key with "" was found empty. `raw` keeps the text as written for values
    normalisation changed (a Danish date -> ISO), so nothing a person wrote is lost.
    `places` are the keys the form has a place for, when that is not its definition's every
    field: an organisation's own form read by its labels has only the labels found on the
    page (seed 000's clinic agreement has no next meeting date). None: every field.
    """

    file: str
    reader: ReaderName
    kind: str | None
    year: int | None
    definition: str | None
    fields: dict[str, str]
    raw: dict[str, str] = field(default_factory=dict)
    evidence: Evidence = field(default_factory=Evidence)
    problems: tuple[Problem, ...] = ()
    pages: int = 0
    places: frozenset[str] | None = None
    scan: ScanReading | None = None  # a scanned form: what OCR was sure of

    @property
    def employee_number(self) -> str:
        return self.fields.get("employee_number", "").strip()

    @property
    def employee_name(self) -> str:
        return self.fields.get("employee_name", "").strip()


@dataclass(frozen=True)
class Signature:
    """The verdict on one signature field."""

    kind: SignatureKind
    valid: bool
    signer: str = ""
    trusted: bool | None = None  # digital only
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "valid": self.valid}
        if self.signer:
            data["signer"] = self.signer
        if self.trusted is not None:
            data["trusted"] = self.trusted
        if self.detail:
            data["detail"] = self.detail
        return data


@dataclass(frozen=True)
class CheckResult:
    """An Extraction with validation's verdict: what `formflow check --json` prints."""

    extraction: Extraction
    signatures: dict[str, Signature]
    problems: tuple[Problem, ...]
    # Why a person must decide before the form is filed, in Danish (`decision.by_name`: a
    # form without an employee number whose name the roster does not settle); "" otherwise.
    held: str = ""

    @property
    def valid(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    def to_json(self) -> dict[str, Any]:
        e = self.extraction
        return {
            "file": e.file,
            "kind": e.kind,
            "year": e.year,
            "reader": e.reader,
            "fields": e.fields,
            "signatures": {k: s.to_json() for k, s in self.signatures.items()},
            "problems": [p.to_json() for p in self.problems],
            "valid": self.valid,
            **({"scan": e.scan.to_json()} if e.scan else {}),
        }
