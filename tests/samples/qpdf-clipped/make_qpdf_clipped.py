"""formflow's own forms filled with long answers by pypdf and flattened by qpdf (issue 14.6).

Run from the project root: `python tests/samples/qpdf-clipped/make_qpdf_clipped.py` (needs
qpdf). Writes 20 forms, `clipped-NN-<kind>.pdf` (10 agreements, 10 preparation forms, each
with other people and other answers), and `expected.json`: per file, what a reader must return
(every key of the form, dates as ISO).

Each form is rendered blank by formflow, filled by pypdf (`update_page_form_field_values`,
which sets NeedAppearances) and flattened by `qpdf --generate-appearances
--flatten-annotations=all`: qpdf draws each answer as one line clipped to its box, so a long
goal text runs, hidden, over the date boxes beside it. Before the region reader, these forms
were rejected as `date_unreadable`.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from formflow.forms.library import load_definition
from formflow.forms.render import render_bytes

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from make_samples import DATES, VALUES, YEAR  # noqa: E402

COUNT = 20
PEOPLE = [
    ("Birthe Ærø Søndergård", "4711", "Åge Østergaard"),
    ("Jens Peter Kjærgaard", "1002", "Lise Løvgren"),
    ("Søren Å. Bøgh", "1003", "Lise Løvgren"),
    ("Mette Frederiksen-Lund", "2040", "Åge Østergaard"),
    ("Anna Ærø", "1001", "Hanne Holm"),
    ("Ole Bjørn Møller", "3301", "Hanne Holm"),
    ("Karen Blixen Dinesen", "3302", "Åge Østergaard"),
    ("Mads Mikkelsen", "5150", "Lise Løvgren"),
    ("Fatima Øzdemir", "6001", "Hanne Holm"),
    ("Niels Bohr Jørgensen", "7007", "Lise Løvgren"),
]
TAILS = [
    ", og derudover en længere beskrivelse af, hvad det betyder for afdelingen og for mig",
    " – især i forhold til de nye kunder i Jylland og samarbejdet med økonomiafdelingen",
    " (aftalt med lederen på sidste møde; vi følger op hver måned i det kommende år)",
    "; det kræver, at vi får tid til det i hverdagen, og at kollegerne er med på idéen",
]
# Answers that get a long tail: the goal texts beside their date boxes, plans, questions.
LONG = ("_text", "_competence", "_activity", "_success", "q_", "summary", "relations")


def values_for(kind: str, n: int) -> tuple[dict[str, str], dict[str, str]]:
    """Form n's values as typed and as a reader must return them (every key of the form)."""
    name, number, leader = PEOPLE[n % len(PEOPLE)]
    base = dict(VALUES[kind])
    base.update(employee_name=name, employee_number=number, leader_name=leader)
    for key in ("signature_employee", "signature_leader"):
        if key in base:
            base[key] = name if key == "signature_employee" else leader
    definition = load_definition(kind)
    filled: dict[str, str] = {}
    expected: dict[str, str] = {}
    for index, key in enumerate(definition.keys):
        value = base.get(key, "")
        if definition.field(key).type == "date" and value:
            filled[key], expected[key] = DATES[value]
            continue
        if value and (key.endswith(LONG) or key.startswith(LONG)) and (index + n) % 3:
            value += TAILS[(index + n) % len(TAILS)]
        filled[key] = expected[key] = value
    return filled, expected


def make(kind: str, n: int, work: Path) -> dict[str, str]:
    """Write form n (filled by pypdf, flattened by qpdf); returns its expected values."""
    filled, expected = values_for(kind, n)
    blank = render_bytes(load_definition(kind), YEAR, {}, "pdf")
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(blank)))
    for page in writer.pages:
        writer.update_page_form_field_values(page, filled, auto_regenerate=True)
    pypdf_file = work / f"{n}.pdf"
    with pypdf_file.open("wb") as out:
        writer.write(out)
    target = HERE / f"clipped-{n:02d}-{kind}.pdf"
    command = ["qpdf", "--generate-appearances", "--flatten-annotations=all"]
    subprocess.run([*command, str(pypdf_file), str(target)], check=True, timeout=120)
    return expected


def main() -> None:
    expected: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for n in range(COUNT):
            kind = ("agreement", "preparation")[n % 2]
            values = make(kind, n, Path(folder))
            expected[f"clipped-{n:02d}-{kind}.pdf"] = {
                "kind": kind,
                "year": YEAR,
                "expected": values,
            }
    text = json.dumps(expected, ensure_ascii=False, indent=1, sort_keys=True)
    (HERE / "expected.json").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
