"""A tiny run of the benchmark harness (bench/): every case runs and fills its row.

No timing is asserted (the machine is shared); what is asserted is that the harness works:
its inputs are real forms formflow files, each case measures, the table is written.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

# bench/ is a folder of scripts beside the package, not installed: import it from the checkout
# (plain `pytest` puts only tests/ on the path; `python -m pytest` also the working folder).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import cases
from bench.run import CASES, main, run
from bench.timing import Row, Stats, markdown

TINY = cases.Sizes(
    per_file=2,
    backlog=4,
    memory=(3, 6),
    memory_seconds=1.5,
    drops=1,
    polled_drops=1,
    cli_runs=1,
    carry_over=4,
    status_employees=20,
    status_years=2,
)
IN_PROCESS = ("acroform", "flattened", "docx", "foreign", "stages", "help", "status")
DAEMON = tuple(c for c in CASES if c not in IN_PROCESS)
needs_qpdf = pytest.mark.needs("qpdf")  # every case starts from the inputs, flattened by qpdf


def _by_case(rows: list[cases.Row]) -> dict[str, cases.Row]:
    return {row.what: row for row in rows}


@needs_qpdf
def test_in_process_cases_fill_their_rows(tmp_path: Path) -> None:
    rows = _by_case(run(TINY, IN_PROCESS, root=tmp_path, log=lambda _: None))
    acroform = rows["ingest one AcroForm PDF (read, validate, archive, index)"]
    assert "outcomes: filed 2" in acroform.note  # the generated forms are valid and filed
    assert acroform.extra["ratio"] > 0 and acroform.met is not None
    assert "outcomes: filed 2" in rows["ingest one DOCX"].note
    assert "outcomes:" in rows["ingest one flattened PDF"].note
    assert "read" in rows["stages of one AcroForm PDF ingest"].note
    assert rows["`formflow --help`"].met is not None
    assert "80 forms in the index" in rows["`formflow status` over 20 employees × 2 years"].note
    assert not list(tmp_path.iterdir())  # the temp workspace is gone


@needs_qpdf
@pytest.mark.needs("tesseract")  # the scan case reads a scan
@pytest.mark.slow
def test_daemon_cases_fill_their_rows(tmp_path: Path) -> None:
    rows = _by_case(run(TINY, DAEMON, root=tmp_path, log=lambda _: None))
    backlog = rows["backlog of 4 forms, 2 workers vs 1"]
    assert backlog.extra["speedup"] > 0
    assert rows["peak memory, 6 files waiting"].met is not None
    assert "1 records filed, 0 returned" in rows["drop → filed, native events"].note
    assert "1 records filed, 0 returned" in rows["drop → filed, polling every 5 s"].note
    carry = rows["carry-over of 4 employees, PDF + DOCX, 2 cores"]
    assert "ms/form" in carry.formflow, carry.note  # the command ran and made forms
    assert carry.met is None  # a figure without a budget
    assert rows["`formflow check` of a 1-page 200 dpi scan"].met is not None


def test_foreign_rows_read_every_sample_beside_its_floor(tmp_path: Path) -> None:
    pdf, docx = cases.read_foreign(cases.Workspace(tmp_path, TINY, 2025))
    assert pdf.what.startswith("read the ") and pdf.what.endswith(" foreign-layout PDF samples")
    assert (pdf.budget, docx.budget) == ("≤ 1.2× floor", "≤ 3× floor")
    assert pdf.met is not None and docx.met is not None
    assert "read as layout" in pdf.note and "furthest from its floor:" in pdf.note
    assert "docx-layout" in docx.note


@needs_qpdf
def test_bulk_forms_are_distinct_and_read_as_their_employee(tmp_path: Path) -> None:
    from formflow.config import Settings
    from formflow.read import read_form

    ws = cases.prepare(tmp_path, dataclasses.replace(TINY, per_file=0), log=lambda _: None)
    for n in (0, 7):
        path = tmp_path / f"bulk-{n}.pdf"
        path.write_bytes(cases.bulk_form(ws, n))
        extraction = read_form(path, Settings())
        assert extraction.employee_number == str(20000 + n)
        assert extraction.employee_name.endswith(str(20000 + n))
    assert cases.bulk_form(ws, 0) != cases.bulk_form(ws, 7)


@needs_qpdf
def test_main_writes_the_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results.md"
    assert main(["--quick", "--n", "2", "--only", "docx", "--out", str(out)]) == 0
    table = out.read_text(encoding="utf-8")
    assert table.startswith("formflow benchmark,")
    assert "| ingest one DOCX |" in table and "| median ≤ 20 ms |" in table
    assert table in capsys.readouterr().out


def test_each_budget_is_the_issues_and_is_judged() -> None:
    assert (cases.INGEST_MS, cases.BACKLOG, cases.BACKLOG_RATE) == (20.0, 1000, 60.0)
    assert (cases.MEMORY_GROWTH, cases.HELP_RATIO, cases.STATUS_SECONDS) == (1.25, 1.5, 0.3)
    assert cases._ingest_budget(Stats((0.012, 0.020, 0.090))) == ("median ≤ 20 ms", True)
    assert cases._ingest_budget(Stats((0.0201,))) == ("median ≤ 20 ms", False)
    figure_only = cases._ratio_row("carry", Stats((0.03,)), Stats((0.01,)), cases.NO_BUDGET)
    assert (figure_only.ratio, figure_only.budget, figure_only.met) == ("3.00×", "–", None)
    table = markdown([figure_only, Row("status", "0.4 s", "70 ms", "5.7×", "< 0.3 s", False)])
    assert "| carry | 30.0 ms (30.0–30.0) | 10.0 ms (10.0–10.0) | 3.00× | – | – |" in table
    assert "| status | 0.4 s | 70 ms | 5.7× | < 0.3 s | **missed** |" in table
