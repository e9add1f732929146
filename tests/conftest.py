"""Fixtures shared by several test modules, by section."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from formflow.archive import Archive, FiledForm
from formflow.config import Settings
from formflow.errors import UnreadableForm
from formflow.model import CheckResult, Extraction, Problem, Signature

# --- ingest -----------------------------------------------------------------------------------
# The ingest's and the daemon's tests file into a real archive in a temporary folder; only an
# injected failure (a full disk, a refusal) is not the archive's own doing. Their forms are
# stand-ins: JSON between PDF markers, which `fake_reader` reads and `fake_validator` checks,
# so a test says what a form holds.


def form_bytes(number: str = "1042", name: str = "Birthe Mølgaard", **extra: Any) -> bytes:
    """A stand-in form: the fake reader reads this JSON between PDF markers."""
    payload = {"kind": "preparation", "year": 2026, "number": number, "name": name, **extra}
    return b"%PDF-1.7\n" + json.dumps(payload).encode() + b"\n%%EOF\n"


def fake_reader(data: bytes, name: str) -> Extraction:
    if not data.startswith(b"%PDF"):
        raise UnreadableForm("wrong_type", "Filen er hverken en PDF eller et Word-dokument.", "")
    payload = json.loads(data[9:-7])
    if payload.get("crash"):
        raise RuntimeError("a bug in a reader, quoting Birthe's text")
    fields = {"employee_number": payload["number"], "employee_name": payload["name"]}
    problems = tuple(
        Problem(key, "error", code, f"Feltet er forkert ({code}).")
        for key, code in payload.get("errors", [])
    )
    return Extraction(name, "acroform", payload["kind"], 2026, payload["kind"], fields,
                      problems=problems)  # fmt: skip


def fake_validator(extraction: Extraction, arrived: datetime) -> CheckResult:
    signatures = {}
    if extraction.kind == "agreement":
        missing = any(p.field == "signature_employee" for p in extraction.problems)
        signatures["signature_employee"] = Signature("missing" if missing else "typed", not missing)
    return CheckResult(extraction, signatures, extraction.problems)


class FlakyArchive(Archive):
    """The real archive; `failures` are raised by the next filings first, one each."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings.archive, settings)
        self.failures: list[BaseException] = []

    def file(
        self, data: bytes, result: CheckResult, *, state: str, arrived: datetime, source_name: str
    ) -> FiledForm:
        if self.failures:
            raise self.failures.pop(0)
        return super().file(data, result, state=state, arrived=arrived, source_name=source_name)

    def states(self) -> dict[str, str]:
        """sha256 -> archive state of every form filed."""
        return {row.sha256: row.state for row in self.forms(latest_only=False)}

    def audits(self) -> list[dict[str, Any]]:
        """The audit log's entries, oldest first."""
        return list(self.audit_log.entries())


@pytest.fixture
def archive(settings: Settings) -> FlakyArchive:
    """A real archive at `settings.archive` (each test module has its own `settings`)."""
    return FlakyArchive(settings)


def no_roster(tmp_path: Path) -> Path:
    """A roster path with no file: the archive decides identity by its own folders."""
    return tmp_path / "no-roster.csv"
