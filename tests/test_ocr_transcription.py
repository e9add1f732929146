"""A scan OCR cannot read whole goes to til-afklaring with a pre-filled copy; the completed copy
dropped into the inbox is filed as the transcription of the scan, which stays the original.

One agreement, signed by pen and with a handwritten answer, is scanned here (three pages at
200 dpi) and taken through a worker's stages twice: the scan, then the copy a person filled in.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from conftest import ingest_for_real, no_roster
from PIL import Image
from pypdf import PdfReader, PdfWriter
from test_ocr import DPI, handwrite, scanned, scanned_page

from formflow.config import Settings
from formflow.forms.library import load_definition
from formflow.forms.render import render_bytes
from formflow.read import read_data
from formflow.transcribe import transcribed_scan

TYPED = {
    "employee_name": "Birthe Ærø Søndergård",
    "employee_number": "4711",
    "leader_name": "Åge Østergaard",
    "meeting_date": "12.03.2026",
    "goal_professional_1_text": "Blive superbruger i økonomisystemet",
    "goal_professional_1_start": "1. april 2026",
    "goal_professional_1_end": "30.09.2026",
    "plan_1_competence": "Rapportering i økonomisystemet",
    "plan_1_activity": "Sidemandsoplæring med Jørn",
    "plan_1_followup_date": "30.06.2026",
    "summary": "Vi talte om hjemmearbejde.",
    "next_meeting_date": "15.03.2027",
    "signature_leader_date": "20.03.2026",
    "signature_employee_date": "20.03.2026",
}
BY_HAND = ("employee_position", "signature_leader", "signature_employee")  # pen strokes
WRITTEN = {  # what the person transcribing reads off the scan
    "employee_position": "Økonomimedarbejder",
    "signature_leader": "Åge Østergaard",
    "signature_employee": "Birthe Ærø Søndergård",
}


def pen_scan() -> bytes:
    """The agreement filled with TYPED, the BY_HAND boxes written in by pen, scanned."""
    blank = render_bytes(load_definition("agreement"), 2026, TYPED, "pdf")
    pages = _printed(blank)
    for page, box in _boxes(blank, BY_HAND):
        pages[page] = handwrite(pages[page], box)
    return scanned(*(scanned_page(page, 0.8) for page in pages))


def _printed(pdf: bytes) -> list[Image.Image]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    document.init_forms()
    pages = [page.render(scale=DPI / 72, grayscale=True).to_pil().convert("L") for page in document]
    document.close()
    return pages


def _boxes(pdf: bytes, keys: tuple[str, ...]) -> list[tuple[int, tuple[float, ...]]]:
    """Each key's widget: its page and its box in points from the top left (a little inside)."""
    found = []
    for number, page in enumerate(PdfReader(io.BytesIO(pdf)).pages):
        height = float(page.mediabox.top)
        for annotation in page.get("/Annots") or []:
            widget = annotation.get_object()
            if widget.get("/T") in keys:
                x0, y0, x1, y1 = (float(v) for v in widget["/Rect"])
                box = (x0 + 4, height - y1 + 2, min(x1, x0 + 120), height - y0 - 2)
                found.append((number, box))
    return found


def completed(copy: bytes, values: dict[str, str]) -> bytes:
    """The copy as a person fills it in with pypdf (any PDF program would do)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(copy)))
    for page in writer.pages:
        writer.update_page_form_field_values(page, values, auto_regenerate=False)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "inbox").mkdir()
    return Settings().replace(
        inbox=tmp_path / "inbox", archive=tmp_path / "archive", roster=no_roster(tmp_path)
    )


@pytest.mark.needs("tesseract")
@pytest.mark.slow
def test_a_scan_with_handwriting_is_held_and_its_completed_copy_filed_with_it(
    settings: Settings,
) -> None:
    scan = pen_scan()
    (settings.inbox / "aftale.pdf").write_bytes(scan)

    held = ingest_for_real(settings, settings.inbox / "aftale.pdf")

    assert (held.action, held.codes) == ("held", ("scan_unread",))
    folder = settings.inbox / "til-afklaring"
    assert (folder / "aftale.pdf").read_bytes() == scan
    notice = (folder / "aftale.pdf.txt").read_text()
    assert "Stilling" in notice and "aftale-afskrift.pdf" in notice
    copy = (folder / "aftale-afskrift.pdf").read_bytes()
    assert transcribed_scan(copy) == hashlib.sha256(scan).hexdigest()
    prefilled = read_data(copy, "copy.pdf", Settings())
    assert prefilled.reader == "acroform"  # formflow's own fillable form
    assert prefilled.fields["employee_name"] == "Birthe Ærø Søndergård"
    assert prefilled.fields["plan_1_activity"] == "Sidemandsoplæring med Jørn"
    assert prefilled.fields["employee_position"] == ""  # handwritten: for the person
    assert prefilled.fields["signature_leader"] == ""  # nobody signs for another

    missing = {k: v for k, v in WRITTEN.items() if not prefilled.fields.get(k)}
    (settings.inbox / "afskrift.pdf").write_bytes(completed(copy, missing))
    filed = ingest_for_real(settings, settings.inbox / "afskrift.pdf")

    assert (filed.action, filed.state) == ("filed", "signed")
    year = next((settings.archive / "personale").iterdir()) / "2026"
    assert (year / "aftaleskema-2026-v1.pdf").read_bytes() == scan  # the scan is the original
    record = json.loads((year / "aftaleskema-2026-v1.json").read_text())
    transcription = record["transcription"]
    assert transcription["file"] == "aftaleskema-2026-v1-afskrift.pdf"
    kept = (year / transcription["file"]).read_bytes()
    assert transcription["sha256"] == hashlib.sha256(kept).hexdigest()
    assert record["result"]["fields"]["employee_position"] == "Økonomimedarbejder"
    signatures = record["result"]["signatures"]
    assert signatures["signature_leader"]["kind"] == "drawn"
    assert not any(folder.iterdir())  # scan, explanation and copy left til-afklaring
    assert not (settings.inbox / "afskrift.pdf").exists()


def test_a_copy_whose_scan_is_gone_is_held_saying_so(settings: Settings) -> None:
    from formflow.transcribe import TRANSCRIBES

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(render_bytes(
        load_definition("agreement"), 2026, {"employee_name": "Birthe"}, "pdf"))))  # fmt: skip
    writer.add_metadata({TRANSCRIBES: "ab" * 32})
    out = io.BytesIO()
    writer.write(out)
    (settings.inbox / "afskrift.pdf").write_bytes(out.getvalue())

    outcome = ingest_for_real(settings, settings.inbox / "afskrift.pdf")

    assert (outcome.action, outcome.codes) == ("held", ("transcription_scan_missing",))
    notice = (settings.inbox / "til-afklaring" / "afskrift.pdf.txt").read_text()
    assert "scannede skema ligger ikke længere" in notice


def test_an_export_holds_a_scans_transcription_and_says_what_it_is(tmp_path: Path) -> None:
    import zipfile
    from datetime import datetime

    from formflow.archive.export import write_export
    from formflow.archive.index import EmployeeRow

    year = tmp_path / "personale" / "4711-birthe" / "2026"
    year.mkdir(parents=True)
    names = ("aftaleskema-2026-v1.json", "aftaleskema-2026-v1.pdf",
             "aftaleskema-2026-v1-afskrift.pdf")  # fmt: skip
    for name in names:
        (year / name).write_bytes(name.encode())
    files = [(year / name, Path("4711-birthe", "2026", name)) for name in names]
    person = EmployeeRow("4711", "Birthe", "personale/4711-birthe", "Åge")
    out = tmp_path / "indsigt.zip"

    write_export(out, person, files, [], datetime(2026, 12, 3, 12, 0))

    with zipfile.ZipFile(out) as exported:
        kept = exported.read("4711-birthe/2026/aftaleskema-2026-v1-afskrift.pdf")
        readme = exported.read("README.txt").decode()
    assert kept == b"aftaleskema-2026-v1-afskrift.pdf"
    assert "Skemaerne (1 stk.)" in readme  # the transcription is no form of its own
    assert "afskrift af det scannede skema" in readme


SCANS = Path(__file__).parent / "samples" / "scans"


class Killed(BaseException):
    """kill -9 at that very point: nothing after it runs."""


@pytest.mark.needs("tesseract")
@pytest.mark.slow
def test_a_daemon_killed_before_the_copy_is_written_writes_it_at_its_restart(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from formflow.returns import Folder
    from formflow.watch import _reads_in_workers
    from formflow.workers import build_ingestor

    scan = (SCANS / "preparation-150-gray-handwritten.pdf").read_bytes()  # q_career by hand
    (settings.inbox / "samtale.pdf").write_bytes(scan)
    meant: list[bytes] = []

    def killed_writing_the_copy(folder: Folder, name: str, data: bytes, mode: int) -> None:
        meant.append(data)
        raise Killed

    monkeypatch.setattr(Folder, "write", killed_writing_the_copy)
    with pytest.raises(Killed):
        ingest_for_real(settings, settings.inbox / "samtale.pdf")
    monkeypatch.undo()
    assert (settings.inbox / "samtale.pdf").read_bytes() == scan  # killed before anything moved

    daemon, close = build_ingestor(settings, _reads_in_workers)  # reads no file itself
    try:
        assert [o.action for o in daemon.recover()] == ["held"]
    finally:
        close()

    folder = settings.inbox / "til-afklaring"
    assert sorted(p.name for p in folder.iterdir()) == [
        "samtale-afskrift.pdf", "samtale.pdf", "samtale.pdf.txt"
    ]  # fmt: skip
    copy = (folder / "samtale-afskrift.pdf").read_bytes()
    assert copy == meant[0]  # the very copy the interrupted return was writing
    assert transcribed_scan(copy) == hashlib.sha256(scan).hexdigest()
    prefilled = read_data(copy, "copy.pdf", Settings())
    assert prefilled.fields["employee_name"] == "Birthe Ærø Søndergård"
    assert prefilled.fields["q_career"] == ""  # handwritten: for the person
    assert "samtale-afskrift.pdf" in (folder / "samtale.pdf.txt").read_text()
