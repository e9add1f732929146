"""The filed record and the names of the personnel file: pure functions, no file access.

A filed form is two files side by side in `personale/<number> <Name>/<year>/`: the original,
byte for byte (`aftaleskema-2026-v1.pdf`), and its record (`aftaleskema-2026-v1.json`): what
`formflow check --json` said about it plus the filing metadata. The record is the truth the
index is rebuilt from, so everything the index holds is derived here from a record alone.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from formflow.archive.audit import Anchor
from formflow.model import CheckResult
from formflow.naming import KIND_FILE_NAMES

RECORD_FORMAT = "formflow-record/1"
PEOPLE_FOLDER = "personale"

# Which states a filed form may have, per kind. "generated" is a form formflow made for the
# employee (carry-over output), kept in the personnel folder like any other.
STATES: dict[str, tuple[str, ...]] = {
    "preparation": ("received", "generated"),
    "agreement": ("signed", "awaiting_employee", "awaiting_leader", "generated"),
    "colleague_input": ("received",),
}
# Each state as people read it (`archive show`, the web page).
STATE_WORDS = {
    "received": "modtaget",
    "signed": "underskrevet",
    "awaiting_employee": "venter på medarbejderens underskrift",
    "awaiting_leader": "venter på lederens underskrift",
    "generated": "lavet af formflow",
}
FORMATS = ("pdf", "docx", "png", "jpg", "tif")  # the images: scans (reader "ocr")
READER_FORMATS = {"acroform": "pdf", "layout": "pdf", "docx": "docx", "docx-layout": "docx"}
_IMAGE_FORMATS = ((b"\x89PNG", "png"), (b"\xff\xd8\xff", "jpg"), (b"II*\x00", "tif"),
                  (b"MM\x00*", "tif"))  # fmt: skip

# An employee number is the personnel-folder key and becomes part of a folder name: letters,
# digits and a few separators, nothing a file system or a person browsing could misread.
_NUMBER = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$")
_FOLDER = re.compile(r"^(?P<number>[0-9A-Za-z][0-9A-Za-z._-]{0,31}) (?P<name>.+)$")
_FILE = re.compile(
    r"^(?P<stem>[a-zæøå-]+)-(?P<year>\d{4})-v(?P<version>\d+)"
    r"\.(?P<ext>pdf|docx|png|jpg|tif|json)$"
)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FOLLOWUP = re.compile(r"^plan_(\d+)_followup_date$")
_NAME_UNSAFE = frozenset('/\\:*?"<>|')
MAX_NAME = 80


def valid_number(number: str) -> bool:
    """Whether `number` can key a personnel folder (see `_NUMBER`)."""
    return bool(_NUMBER.match(number))


def folder_name(number: str, name: str) -> str:
    """`1042 Birthe Mølgaard`: the personnel folder, readable, safe on any file system.

    The name keeps every letter (æøå, é, ü) and its spaces; path separators, characters
    Windows shares refuse and anything unprintable (controls, zero-width, undecodable bytes)
    become a space; at most 80 characters.
    """
    if not valid_number(number):
        raise ValueError(f"not a usable employee number: {number!r}")
    text = unicodedata.normalize("NFC", name)
    text = "".join(c if c.isprintable() and c not in _NAME_UNSAFE else " " for c in text)
    text = " ".join(text.split())[:MAX_NAME].strip(" .")
    return f"{number} {text or 'ukendt'}"


def parse_folder_name(folder: str) -> tuple[str, str] | None:
    """(number, name) of a personnel folder name, None for anything else."""
    match = _FOLDER.match(unicodedata.normalize("NFC", folder))
    return (match["number"], match["name"]) if match else None


def file_stem(kind: str, year: int, version: int) -> str:
    """`aftaleskema-2026-v1`: the name of an original and its record, without extension."""
    return f"{KIND_FILE_NAMES[kind]}-{year}-v{version}"


@dataclass(frozen=True)
class FileName:
    """A file name formflow made in a year folder, taken apart."""

    kind: str
    year: int
    version: int
    ext: str


def parse_file_name(name: str) -> FileName | None:
    match = _FILE.match(unicodedata.normalize("NFC", name))
    if not match:
        return None
    kinds = {v: k for k, v in KIND_FILE_NAMES.items()}
    if match["stem"] not in kinds:
        return None
    return FileName(kinds[match["stem"]], int(match["year"]), int(match["version"]), match["ext"])


def text_only(name: str, limit: int = 255) -> str:
    """A dropped file's name as plain text for a record: never used as a path.

    Unprintable characters (controls, undecodable bytes as surrogates) are shown escaped.
    """
    shown = "".join(c if c.isprintable() else _escape(c) for c in name)
    return shown[:limit]


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def file_format(result: CheckResult, data: bytes) -> str:
    """pdf or docx, from the reader that read it, else from the bytes themselves (a scan:
    pdf, or the image format it came in)."""
    fmt = READER_FORMATS.get(result.extraction.reader)
    if fmt and result.extraction.scan is None:
        return fmt
    for magic, image in _IMAGE_FORMATS:
        if data.startswith(magic):
            return image
    return "pdf" if data.lstrip()[:5] == b"%PDF-" else "docx"


def build_record(
    result: CheckResult | None,
    *,
    employee: str,
    name: str,
    kind: str,
    year: int,
    version: int,
    state: str,
    fmt: str,
    sha256: str,
    size: int,
    source_name: str,
    arrived: datetime | None,
    filed: datetime,
    audit_head: Anchor | None = None,
) -> dict[str, Any]:
    """The record JSON of one filed form (`result` is None for a form formflow generated).

    `audit_head` is the audit log's last line at the filing: `verify` checks the log still
    holds it as it was (a record from before it has none, and is not checked)."""
    if kind not in STATES:
        raise ValueError(f"unknown form kind {kind!r}")
    if state not in STATES[kind]:
        raise ValueError(f"state {state!r} is not one of {', '.join(STATES[kind])} for {kind}")
    if fmt not in FORMATS:
        raise ValueError(f"unknown file format {fmt!r}")
    stem = file_stem(kind, year, version)
    return {
        "format": RECORD_FORMAT,
        "employee": {"number": employee, "name": name},
        "kind": kind,
        "year": year,
        "version": version,
        "state": state,
        "original": f"{stem}.{fmt}",
        "file_format": fmt,
        "sha256": sha256,
        "size": size,
        "source_name": text_only(source_name),
        "arrived": arrived.isoformat() if arrived else None,
        "filed": filed.isoformat(),
        "reader": result.extraction.reader if result else "formflow",
        "result": result.to_json() if result else None,
        # the text as written wherever the record's value differs from it (a Danish date
        # stored as ISO, an answer in a field the definition did not know)
        "as_written": dict(result.extraction.raw) if result else {},
        "audit_head": audit_head.to_json() if audit_head else None,
    }


def transcription_name(kind: str, year: int, version: int) -> str:
    """`aftaleskema-2026-v1-afskrift.pdf`: a transcription beside its scanned original."""
    return f"{file_stem(kind, year, version)}-afskrift.pdf"


def encode_record(record: dict[str, Any]) -> bytes:
    """Readable UTF-8 JSON (æøå as themselves, indented: a person may open it years later)."""
    return (json.dumps(record, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def decode_record(data: bytes) -> dict[str, Any]:
    """A record from its bytes; ValueError if it is not one."""
    record = json.loads(data.decode("utf-8"))
    if not isinstance(record, dict) or record.get("format") != RECORD_FORMAT:
        raise ValueError("not a formflow record")
    for key, kind in (("kind", str), ("year", int), ("version", int), ("sha256", str)):
        if not isinstance(record.get(key), kind):
            raise ValueError(f"record without a valid {key!r}")
    if record["kind"] not in STATES or record.get("file_format") not in FORMATS:
        raise ValueError("record with an unknown kind or file format")
    return record


@dataclass(frozen=True)
class SignatureSummary:
    """One signature field of a filed form: which kind, and whether validation accepted it."""

    key: str
    kind: str
    valid: bool


@dataclass(frozen=True)
class FormRow:
    """One filed form as the index holds it (paths relative to the archive root)."""

    employee: str
    employee_name: str
    year: int
    kind: str
    version: int
    state: str
    file_format: str
    sha256: str
    size: int
    original: str
    record: str
    arrived: str | None
    filed: str
    reader: str
    employee_signed: str | None = None  # the date the employee signed the form (ISO)
    leader_name: str = ""
    meeting_date: str | None = None
    next_meeting_date: str | None = None
    valid: bool = True
    errors: int = 0
    warnings: int = 0
    problem_codes: tuple[str, ...] = ()
    signatures: tuple[SignatureSummary, ...] = ()
    followups: tuple[tuple[int, str], ...] = field(default=())  # (plan row, ISO date)

    @property
    def arrived_date(self) -> date | None:
        return datetime.fromisoformat(self.arrived).date() if self.arrived else None


@dataclass(frozen=True)
class FiledForm:
    """A form in the personnel file: where it lies and under which version and state.

    `duplicate` is True when the same bytes were already filed (nothing new was written).
    """

    employee: str
    name: str
    year: int
    kind: str
    version: int
    state: str
    sha256: str
    original: Path
    record: Path
    duplicate: bool = False

    @classmethod
    def from_row(cls, root: Path, row: FormRow, *, duplicate: bool) -> FiledForm:
        """The filed form an index row describes, in the archive under `root`."""
        return cls(
            employee=row.employee,
            name=row.employee_name,
            year=row.year,
            kind=row.kind,
            version=row.version,
            state=row.state,
            sha256=row.sha256,
            original=root / row.original,
            record=root / row.record,
            duplicate=duplicate,
        )


def _iso_date(value: Any) -> str | None:
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            return None
    return None


def row_from_record(record: dict[str, Any], folder: str) -> FormRow:
    """The index row of a record kept in `folder` (`personale/<number> <Name>/<year>`)."""
    result = record.get("result") or {}
    fields = result.get("fields") or {}
    problems = result.get("problems") or []
    followups = []
    for key, value in fields.items():
        match = _FOLLOWUP.match(key)
        # only a follow-up field's value is parsed as a date (a form has dozens of fields)
        when = _iso_date(value) if match else None
        if match and when:
            followups.append((int(match[1]), when))
    signatures = tuple(
        SignatureSummary(key, str(s.get("kind", "")), bool(s.get("valid")))
        for key, s in sorted((result.get("signatures") or {}).items())
    )
    stem = file_stem(record["kind"], record["year"], record["version"])
    employee = record.get("employee") or {}
    return FormRow(
        employee=str(employee.get("number", "")),
        employee_name=str(employee.get("name", "")),
        year=record["year"],
        kind=record["kind"],
        version=record["version"],
        state=str(record.get("state", "")),
        file_format=record["file_format"],
        sha256=record["sha256"],
        size=int(record.get("size", 0)),
        original=f"{folder}/{stem}.{record['file_format']}",
        record=f"{folder}/{stem}.json",
        arrived=record.get("arrived"),
        employee_signed=_iso_date(fields.get("signature_employee_date")),
        filed=str(record.get("filed", "")),
        reader=str(record.get("reader", "")),
        leader_name=str(fields.get("leader_name", "")).strip(),
        meeting_date=_iso_date(fields.get("meeting_date")),
        next_meeting_date=_iso_date(fields.get("next_meeting_date")),
        valid=bool(result.get("valid", True)),
        errors=sum(1 for p in problems if p.get("severity") == "error"),
        warnings=sum(1 for p in problems if p.get("severity") == "warning"),
        problem_codes=tuple(str(p.get("code", "")) for p in problems),
        signatures=signatures,
        followups=tuple(sorted(followups)),
    )


def latest_first_key(row: FormRow) -> tuple[bool, int]:
    """Which version of a (employee, year, kind) counts: the highest one, a form the person
    sent beating one formflow generated (a carry-over form re-made later must not hide the
    employee's filled-in copy)."""
    return (row.state != "generated", row.version)
