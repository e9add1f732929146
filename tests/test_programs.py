"""The rule for tests that drive Debian programs (tests/conftest.py, `# --- programs`).

A missing program skips such a test with the package to install; under CI (`CI=true`) it fails
the test instead. Checked on a fake PATH: a temp folder holding only the programs a case wants.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import missing_programs, programs_verdict, under_ci

pytest_plugins = ["pytester"]


def fake_path(tmp_path: Path, *programs: str) -> str:
    """A PATH of one folder holding an executable stand-in for each of `programs`."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    for program in programs:
        stand_in = folder / program
        stand_in.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
        stand_in.chmod(0o755)
    return str(folder)


def test_a_present_program_runs_its_test(tmp_path: Path) -> None:
    path = fake_path(tmp_path, "pdftk", "qpdf")
    assert programs_verdict(["pdftk", "qpdf"], {"PATH": path}) is None
    assert programs_verdict(["pdftk"], {"PATH": path, "CI": "true"}) is None


def test_a_missing_program_skips_and_names_the_package(tmp_path: Path) -> None:
    path = fake_path(tmp_path, "pdftk")
    verdict = programs_verdict(["pdftk", "soffice"], {"PATH": path})
    assert verdict == ("skip", "needs soffice (apt-get install libreoffice-writer-nogui)")


def test_a_missing_program_fails_under_ci(tmp_path: Path) -> None:
    path = fake_path(tmp_path)
    verdict = programs_verdict(["gs", "pdftotext"], {"PATH": path, "CI": "true"})
    assert verdict is not None
    outcome, reason = verdict
    assert outcome == "fail"
    assert reason.startswith("needs gs, pdftotext (apt-get install ghostscript poppler-utils)")
    assert "CI=true" in reason


def test_a_file_that_is_not_executable_is_not_the_program(tmp_path: Path) -> None:
    path = fake_path(tmp_path)
    (Path(path) / "qpdf").write_text("not a program", encoding="utf-8")
    assert missing_programs(["qpdf"], path) == ["qpdf"]


def test_an_unknown_program_is_a_mistake_in_the_test() -> None:
    verdict = programs_verdict(["pdftkk"], {"PATH": ""})
    assert verdict is not None and verdict[0] == "fail" and "pdftkk" in verdict[1]


@pytest.mark.parametrize(
    ("value", "ci"),
    [("true", True), ("TRUE", True), ("1", True), ("false", False), ("0", False), ("", False)],
)
def test_ci_is_told_by_the_ci_variable(value: str, ci: bool) -> None:
    assert under_ci({"CI": value}) is ci
    assert under_ci({}) is False


# Under CI the test fails in its setup, which pytest counts as an error: the run is red either way.
@pytest.mark.parametrize(("ci", "outcome"), [(None, "skipped"), ("true", "errors")])
def test_the_marker_skips_or_fails_a_test_in_a_pytest_run(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    ci: str | None,
    outcome: str,
) -> None:
    pytester.makeconftest((Path(__file__).parent / "conftest.py").read_text(encoding="utf-8"))
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.needs("soffice")
        def test_converts():
            pass

        def test_plain():
            pass
        """
    )
    monkeypatch.setenv("PATH", fake_path(tmp_path, "qpdf"))
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    result = pytester.runpytest("-rsf")
    result.assert_outcomes(passed=1, **{outcome: 1})
    result.stdout.fnmatch_lines(["*needs soffice (apt-get install libreoffice-writer-nogui)*"])
