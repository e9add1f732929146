"""Copies of the filled seed 004 rebuild as other programs leave them, for `forms learn`.

Run from the project root after `make_learned.py`: `python tests/samples/learned/make_copies.py`
(needs Ghostscript and LibreOffice). Writes, beside this script, from `firma-filled.pdf` and
`firma-filled.docx` (their values: `firma-filled.json`):

- `firma-filled-gs.pdf`: the filled PDF printed to PDF through Ghostscript (`pdfwrite`: the
  fonts re-subset, the text re-encoded, the rulings redrawn);
- `firma-filled-lo.docx`: the filled DOCX opened and saved again by LibreOffice as DOCX (it
  rewrites the tables: its own grid, widths and cell properties);
- `firma-rendered-lo.docx`: the form learned from `firma-blank.docx`, rendered pre-filled by
  `formflow forms render firma --data` (its answers in content controls tagged by contract
  keys) and saved again by LibreOffice (it rewrites the content controls).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def resave(docx: Path, work: Path) -> Path:
    """The DOCX opened and saved again as DOCX by LibreOffice."""
    out = work / "lo"
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(out),
         str(docx)],
        check=True, capture_output=True, timeout=300,
        env={"HOME": str(work), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    return out / docx.name


def rendered(work: Path) -> Path:
    """The learned form rendered pre-filled with the sample's values (formflow's CLI)."""
    config = work / "formflow.toml"
    config.write_text('[forms]\ndirectory = "egne"\n', encoding="utf-8")
    data = work / "data.json"
    expected = json.loads((HERE / "firma-filled.json").read_text(encoding="utf-8"))["expected"]
    data.write_text(json.dumps(expected, ensure_ascii=False), encoding="utf-8")
    cli = [sys.executable, "-c", "from formflow.cli import cli; cli()", "--config", str(config)]
    env = {**os.environ, "PYTHONPATH": str(HERE.parents[2])}
    run = {"check": True, "capture_output": True, "timeout": 300, "env": env}
    subprocess.run([*cli, "forms", "learn", str(HERE / "firma-blank.docx"), "--name", "firma",
                    "--yes"], **run)  # type: ignore[call-overload]  # fmt: skip
    subprocess.run([*cli, "forms", "render", "firma", "--year", "2026", "--format", "docx",
                    "--data", str(data), "-o", str(work / "out")], **run)  # type: ignore[call-overload]  # fmt: skip
    (docx,) = (work / "out").glob("*.docx")
    return shutil.copy(docx, work / "firma-rendered-lo.docx")


def main() -> None:
    subprocess.run(
        ["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite",
         f"-sOutputFile={HERE / 'firma-filled-gs.pdf'}", str(HERE / "firma-filled.pdf")],
        check=True, timeout=120,
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        copy = shutil.copy(HERE / "firma-filled.docx", work / "firma-filled-lo.docx")
        shutil.copy(resave(Path(copy), work), HERE / "firma-filled-lo.docx")
        shutil.copy(resave(rendered(work), work), HERE / "firma-rendered-lo.docx")


if __name__ == "__main__":
    main()
