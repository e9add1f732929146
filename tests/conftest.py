"""What the tests share, one section per concern (`# --- programs`: tests running Debian tools)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Mapping

import pytest

# --- programs
# Some tests drive another program the way a user's tools would (pdftk fills a form, soffice
# converts it, pdftotext reads what a viewer shows). A test says so with
# `@pytest.mark.needs("pdftk")`. On a developer's fresh machine a missing program skips the
# test and names the Debian package to install; under CI (`CI=true`, where `.ci/run` has
# installed every program) it fails the test, so a broken install never passes as a green run
# that tested nothing.

PACKAGES = {  # program -> the Debian package that brings it
    "gs": "ghostscript",
    "pdftk": "pdftk-java",
    "pdftoppm": "poppler-utils",
    "pdftotext": "poppler-utils",
    "qpdf": "qpdf",
    "soffice": "libreoffice-writer-nogui",
    "tesseract": "tesseract-ocr",
    "chromium": "chromium",
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
