"""Timing helpers: samples, medians with min-max, ratios measured in the same run, table rows.

The machine is shared and noisy, so every comparison interleaves formflow and its floor in one
loop (a burst of load then hits both) and reports the ratio of the medians, not absolute times.
"""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Stats:
    """Seconds of repeated runs of one thing."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def low(self) -> float:
        return min(self.samples)

    @property
    def high(self) -> float:
        return max(self.samples)

    def show(self, unit: str = "ms") -> str:
        """`12.3 ms (11.9-15.0)`: the median with the min-max range."""
        scale = {"ms": 1000.0, "s": 1.0}[unit]
        return (
            f"{_num(self.median * scale)} {unit} "
            f"({_num(self.low * scale)}–{_num(self.high * scale)})"
        )


def _num(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def interleaved(
    runs: int, *candidates: Callable[[int], Any], warmup: int = 1
) -> tuple[list[Stats], list[list[Any]]]:
    """Run each candidate `runs` times, alternating them per round; first `warmup` rounds
    are run but not counted (imports, caches). Candidates get the round number (to pick an
    input); returns the Stats and the results of each candidate."""
    times: list[list[float]] = [[] for _ in candidates]
    results: list[list[Any]] = [[] for _ in candidates]
    for round_ in range(warmup + runs):
        for i, candidate in enumerate(candidates):
            start = time.perf_counter()
            result = candidate(round_)
            seconds = time.perf_counter() - start
            if round_ >= warmup:
                times[i].append(seconds)
                results[i].append(result)
    return [Stats(tuple(t)) for t in times], results


def run_command(argv: Sequence[str], **kwargs: Any) -> float:
    """Wall time of one command (must succeed)."""
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, **kwargs)
    return time.perf_counter() - start


@dataclass
class Row:
    """One line of the results table."""

    what: str
    formflow: str
    floor: str  # what the figure is seen beside (context, not a target)
    ratio: str
    budget: str  # the budget of issue 12 the figure is held to, or "–" (figure only)
    met: bool | None  # None: no budget, or not measured
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def cells(self) -> list[str]:
        verdict = {True: "met", False: "**missed**", None: "–"}[self.met]
        return [self.what, self.formflow, self.floor, self.ratio, self.budget, verdict]


def markdown(rows: Sequence[Row], header: str = "") -> str:
    """The table, then one note per row that has one."""
    head = ["what", "formflow median (min–max)", "floor median (min–max)", "ratio", "budget"]
    head.append("met")
    lines = [header] if header else []
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row.cells()) + " |" for row in rows]
    notes = [f"- {row.what}: {row.note}" for row in rows if row.note]
    if notes:
        lines += ["", "Notes:", *notes]
    return "\n".join(lines) + "\n"
