"""`formflow archive show EMPLOYEE --wheel FILE`: the employee's competence wheels across the
years drawn into one SVG or PDF (the I/O around `formflow.charts`).

Each year's wheel is read from the filed forms' records (what was read in them), never from
the originals; the picture is as private as the personnel file (0600).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from formflow.archive.index import EmployeeRow
from formflow.archive.records import FormRow, decode_record
from formflow.charts import FiledWheel, wheel_drawing, wheel_pdf, wheel_svg, wheels_across_years
from formflow.config import Settings
from formflow.errors import FormflowError
from formflow.forms.definition import Competence
from formflow.fsutil import write_bytes

FORMATS = (".svg", ".pdf")


def write_wheels(
    settings: Settings, root: Path, person: EmployeeRow, rows: Sequence[FormRow], out: Path
) -> str:
    """Draw `person`'s wheels (one per year) to `out`; a Danish line saying what was done."""
    if out.suffix.lower() not in FORMATS:
        raise FormflowError(f"--wheel {out}: write an .svg or a .pdf file")
    drawn = draw_wheels(settings, root, person, rows, out.suffix.lower())
    if drawn is None:
        return f"Ingen kompetencespind i skemaerne for {person.name}; {out} er ikke skrevet."
    data, wheels = drawn
    write_bytes(out, data)
    return f"Kompetencespind skrevet til {out}: {', '.join(wheels)}."


def draw_wheels(
    settings: Settings, root: Path, person: EmployeeRow, rows: Sequence[FormRow], fmt: str
) -> tuple[bytes, list[str]] | None:
    """`person`'s wheels across the years as SVG (`.svg`) or PDF bytes, with the legend of
    each wheel; None when no filed form marks the wheel. (A web page can serve the SVG.)"""
    competences = tuple(Competence(c["key"], c["label"]) for c in settings.forms.competences)
    if not competences:
        raise FormflowError(
            "no competence wheel is set up: name the competences in formflow.toml "
            "([forms] competences = [{ key = ..., label = ... }, ...])"
        )
    filed = [
        FiledWheel(row.year, row.kind, row.version, _fields(root / row.record)) for row in rows
    ]
    wheels = wheels_across_years(filed, competences)
    if not wheels:
        return None
    drawing = wheel_drawing(competences, wheels, 300.0, f"Kompetencespind: {person.name}", 9.0)
    data = wheel_svg(drawing) if fmt == ".svg" else wheel_pdf(drawing)
    return data, [wheel.legend for wheel in wheels]


def _fields(path: Path) -> dict[str, str]:
    """The values read in one filed form (its record); {} for a record that cannot be read."""
    try:
        record = decode_record(path.read_bytes())
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    fields = (record.get("result") or {}).get("fields") or {}
    return {str(k): str(v) for k, v in fields.items() if isinstance(v, str)}
