"""What the tests share, one section per concern: `# --- programs` (tests running Debian
tools), `# --- ingest` (the ingest's stand-in forms and a real archive)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from formflow.archive import Archive, FiledForm
from formflow.config import Settings
from formflow.errors import UnreadableForm
from formflow.ingest import Outcome
from formflow.model import CheckResult, Extraction, Problem, Signature

# --- programs
# Some tests drive another program the way a user's tools would (pdftk fills a form, soffice
# converts it, pdftotext reads what a viewer shows). A test says so with
# `@pytest.mark.needs("pdftk")`. On a developer's fresh machine a missing program skips the
# test and names the Debian package to install; under CI (`CI=true`, where `.ci/run` has
# installed every program) it fails the test, so a broken install never passes as a green run
# that tested nothing.

# tesseract's own threads fight the test's processes for the two cores (a page took 3-18 s
# instead of about 1 s); the workers set this themselves, a test reading in-process needs it
os.environ["OMP_THREAD_LIMIT"] = "1"

PACKAGES = {  # program -> the Debian package that brings it
    "gs": "ghostscript",
    "pdftk": "pdftk-java",
    "pdftoppm": "poppler-utils",
    "pdftotext": "poppler-utils",
    "qpdf": "qpdf",
    "soffice": "libreoffice-writer-nogui",
    "tesseract": "tesseract-ocr",
    "chromium": "chromium",
    "chromedriver": "chromium-driver",
}


def under_ci(environ: Mapping[str, str]) -> bool:
    """CI services (GitHub, GitLab, Woodpecker, ...) set CI=true; `.ci/run` sets it too."""
    return environ.get("CI", "").strip().lower() in ("true", "1")


def missing_programs(programs: Iterable[str], path: str | None = None) -> list[str]:
    """The programs not found on `path` (default: $PATH), in the order asked for."""
    return [program for program in programs if shutil.which(program, path=path) is None]


def programs_verdict(programs: Iterable[str], environ: Mapping[str, str]) -> tuple[str, str] | None:
    """None when every program is on environ's PATH, else ("skip" or "fail", the reason)."""
    wanted = list(dict.fromkeys(programs))
    unknown = [program for program in wanted if program not in PACKAGES]
    if unknown:
        return "fail", f"needs: unknown program(s) {', '.join(unknown)}; add them to PACKAGES"
    missing = missing_programs(wanted, environ.get("PATH", os.defpath))
    if not missing:
        return None
    packages = sorted({PACKAGES[program] for program in missing})
    reason = f"needs {', '.join(missing)} (apt-get install {' '.join(packages)})"
    if under_ci(environ):
        return "fail", f"{reason}: missing under CI=true, where .ci/run installs it"
    return "skip", reason


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "needs(*programs): the test runs these Debian programs; skipped when one is missing, "
        "failed instead under CI=true",
    )


def _verdict(item: pytest.Item) -> tuple[str, str] | None:
    programs = [program for mark in item.iter_markers("needs") for program in mark.args]
    return programs_verdict(programs, os.environ) if programs else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A skip mark (rather than pytest.skip in a hook) reports each skip at its test.
    for item in items:
        verdict = _verdict(item)
        if verdict and verdict[0] == "skip":
            item.add_marker(pytest.mark.skip(reason=verdict[1]))


def pytest_runtest_setup(item: pytest.Item) -> None:
    verdict = _verdict(item)
    if verdict and verdict[0] == "fail":
        pytest.fail(verdict[1], pytrace=False)


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


def ingest_for_real(settings: Settings, path: Path) -> Outcome:
    """`path` through the stages a worker builds (real reader, rules and archive), in process."""
    from formflow.workers import build_ingestor, read_in_process

    ingestor, close = build_ingestor(
        settings, lambda data, name: read_in_process(data, name, settings)
    )
    try:
        return ingestor.ingest(path)
    finally:
        close()


# --- intake and returns -----------------------------------------------------------------------
# An inbox, and a folder outside it holding someone's file that links from the inbox point at.
@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "personale"
    folder.mkdir()
    (folder / "hemmelig.pdf").write_bytes(b"%PDF-1.7 fortroligt %%EOF")
    return folder
