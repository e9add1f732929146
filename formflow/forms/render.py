"""Render a form definition to files: the I/O around the PDF and DOCX renderers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from formflow.errors import FormflowError
from formflow.forms.definition import DATA_KEYS, FormDefinition
from formflow.fsutil import make_private_dirs, write_bytes
from formflow.naming import form_file_stem

FORMATS = ("pdf", "docx")


def check_values(definition: FormDefinition, values: Mapping[str, str]) -> dict[str, str]:
    """Values as strings, refusing keys the form does not have (a typo would be lost silently)."""
    drawn = definition.drawn_keys  # last year's wheel, drawn beside the empty one
    unknown = sorted(
        k for k in values if not definition.has(k) and k not in DATA_KEYS and k not in drawn
    )
    if unknown:
        raise FormflowError(
            f"{definition.name} has no field(s) {', '.join(unknown)}; "
            f"see `formflow forms fields {definition.name}`"
        )
    return {k: "" if v is None else str(v) for k, v in values.items() if k not in DATA_KEYS}


def render_bytes(
    definition: FormDefinition, year: int, values: Mapping[str, str], fmt: str
) -> bytes:
    """One form as PDF or DOCX bytes, blank or pre-filled with `values` (contract keys)."""
    clean = check_values(definition, values)
    if fmt == "pdf":
        from formflow.forms.pdf import render_pdf

        return render_pdf(definition, year, clean)
    if fmt == "docx":
        from formflow.forms.docx import render_docx

        return render_docx(definition, year, clean)
    raise FormflowError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def render_files(
    definition: FormDefinition,
    year: int,
    values: Mapping[str, str],
    formats: Iterable[str],
    out_dir: Path,
    stem: str | None = None,
) -> list[Path]:
    """Write the form in each format to `out_dir`; returns the paths written."""
    make_private_dirs(out_dir)
    stem = stem or form_file_stem(
        definition.kind, year, values.get("employee_number", ""), values.get("employee_name", "")
    )
    written = []
    for fmt in formats:
        path = out_dir / f"{stem}.{fmt}"
        write_bytes(path, render_bytes(definition, year, values, fmt), mode=0o644)
        written.append(path)
    return written
