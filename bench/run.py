"""Benchmark formflow against its budgets (issue 12) on this machine; writes a Markdown table.

    python bench/run.py [--quick] [--n N] [--only CASE ...] [--out bench/out/results.md]

Generates its own inputs in a temp dir (N employees' agreements: an AcroForm PDF rendered by
formflow and filled by pdftk or pypdf, its flattened copy, a DOCX), measures each case beside
its floor with the runs interleaved, and prints the table: medians with min-max, each figure's
budget and whether it was met (cases without a budget show their figure only), and the ratio to
the floor from the same run (the machine is shared and noisy: the floor tells a slow run from a
slow formflow).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` and `formflow` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import cases, web
from bench.timing import Row, markdown

CASES = (
    "acroform",
    "flattened",
    "docx",
    "foreign",
    "stages",
    "backlog",
    "memory",
    "events",
    "polling",
    "help",
    "carry-over",
    "status",
    "web",
    "scan",
)


def run(
    sizes: cases.Sizes,
    only: Sequence[str] = CASES,
    root: Path | None = None,
    log: Callable[[str], None] = print,
) -> list[Row]:
    """Every case in `only`, in a temp dir under `root`; the table rows in CASES order."""
    with tempfile.TemporaryDirectory(prefix="formflow-bench-", dir=root) as tmp:
        ws = cases.prepare(Path(tmp), sizes, log)
        backlog_archive: Path | None = None
        rows: list[Row] = []
        steps: dict[str, Callable[[], list[Row]]] = {
            "acroform": lambda: cases.ingest_acroform(ws),
            "flattened": lambda: cases.ingest_flattened(ws),
            "docx": lambda: cases.ingest_docx(ws),
            "foreign": lambda: cases.read_foreign(ws),
            "stages": lambda: cases.stages(ws),
            "backlog": lambda: cases.backlog(ws),
            "memory": lambda: cases.memory(ws),
            "events": lambda: cases.latency(ws, polling=False),
            "polling": lambda: cases.latency(ws, polling=True),
            "help": lambda: cases.cli_help(ws),
            "carry-over": lambda: cases.carry_over(ws, backlog_archive),
            "status": lambda: cases.status(ws),
            "web": lambda: web.web(ws),
            "scan": lambda: cases.scan(ws),
        }
        for name in CASES:
            if name not in only:
                continue
            start = time.perf_counter()
            found = steps[name]()
            log(f"{name}: {time.perf_counter() - start:.1f} s")
            for row in found:
                verdict = {True: "met", False: "MISSED", None: "no budget"}[row.met]
                log(f"  {row.what}: {row.formflow} (budget {row.budget}: {verdict})")
            rows += found
            if name == "backlog":
                backlog_archive = ws.root / "backlog-2" / "archive"
    return rows


def header(sizes: cases.Sizes, quick: bool) -> str:
    return (
        f"formflow benchmark, {datetime.now():%Y-%m-%d %H:%M}, "
        f"{'quick' if quick else 'full'} run: {sizes.per_file} forms per ingest case, "
        f"backlog {sizes.backlog}; Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller numbers: a few minutes")
    parser.add_argument("--n", type=int, help="timed forms per ingest case (default 20, quick 5)")
    parser.add_argument("--only", nargs="+", choices=CASES, help="run only these cases")
    parser.add_argument(
        "--out", type=Path, default=Path("bench/out/results.md"), help="Markdown file to write"
    )
    args = parser.parse_args(argv)
    sizes = cases.QUICK if args.quick else cases.FULL
    if args.n:
        sizes = dataclasses.replace(sizes, per_file=args.n)
    start = time.perf_counter()
    rows = run(sizes, args.only or CASES, log=lambda text: print(text, file=sys.stderr))
    table = markdown(rows, header(sizes, args.quick))
    table += f"\nTotal run time: {time.perf_counter() - start:.0f} s.\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table, encoding="utf-8")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
