"""Make the DOCX samples: an agreement rendered by formflow, and the same file saved by LibreOffice.

    python tests/samples/make_docx_samples.py

Writes, beside this script:
- docx_agreement_formflow.docx: formflow's pre-filled agreement 2027 (tags, bookmarks),
- docx_agreement_libreoffice.docx: that file opened and saved as DOCX by LibreOffice
  (`soffice --convert-to docx`); LibreOffice 7.4 drops every content-control tag,
- docx_agreement_values.txt: the values filled in, one `key='value'` per line (sorted), which a
  reader must get back from both files.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from formflow.forms.docx import render_docx
from formflow.forms.library import load_definition

HERE = Path(__file__).resolve().parent


def sample_values() -> dict[str, str]:
    definition = load_definition("agreement")
    values = {key: f"Svar {n}: æøå ÆØÅ “citat”" for n, key in enumerate(definition.keys)}
    values.update(
        employee_name="Søren Ærø Åberg",
        employee_number="4711",
        meeting_date="23.11.2026",
        next_meeting_date="15. november 2027",
        summary="Linje 1\nLinje 2\tmed tab\n„Tredje“ linje",
        plan_2_when="",  # one answer left empty: its placeholder must read as ""
        signature_leader="Lise Leder",
    )
    return values


def main() -> None:
    values = sample_values()
    source = HERE / "docx_agreement_formflow.docx"
    source.write_bytes(render_docx(load_definition("agreement"), 2027, values))
    with tempfile.TemporaryDirectory() as work:
        profile = (Path(work) / "profile").as_uri()
        command = ["soffice", f"-env:UserInstallation={profile}", "--headless"]
        command += ["--convert-to", "docx:MS Word 2007 XML", "--outdir", work, str(source)]
        subprocess.run(
            command,
            check=True,
            capture_output=True,
            timeout=180,
        )
        shutil.copyfile(Path(work) / source.name, HERE / "docx_agreement_libreoffice.docx")
    lines = "".join(f"{key}={value!r}\n" for key, value in sorted(values.items()))
    (HERE / "docx_agreement_values.txt").write_text(lines, encoding="utf-8")


if __name__ == "__main__":
    main()
