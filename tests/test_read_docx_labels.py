"""The DOCX label reader: documents whose content controls are gone."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from formflow.config import Settings
from formflow.forms.library import load_definition
from formflow.read.docx_labels import W_NS, body_blocks, document_root, read_docx_labels
from formflow.read.labels import Para, Table, read_blocks

SAMPLES = Path(__file__).parent / "samples"


def document(body: str) -> etree._Element:
    return etree.fromstring(f'<w:document xmlns:w="{W_NS}"><w:body>{body}</w:body></w:document>')


def cell(text: str, properties: str = "") -> str:
    return f"<w:tc><w:tcPr>{properties}</w:tcPr><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>"


def test_merged_cells_keep_the_columns_aligned() -> None:
    root = document(
        "<w:p><w:r><w:t>Navn:</w:t><w:tab/><w:t>Birthe</w:t><w:br/><w:t>Ærø</w:t></w:r></w:p>"
        "<w:tbl><w:tr>"
        + cell("Faglig udvikling", '<w:vMerge w:val="restart"/>')
        + cell("Mål", '<w:gridSpan w:val="2"/>')
        + "</w:tr><w:tr>"
        + cell("", "<w:vMerge/>")
        + cell("a")
        + cell("b")
        + "</w:tr></w:tbl>"
    )
    assert body_blocks(root) == [
        Para("Navn:\tBirthe\nÆrø"),
        Table((("Faglig udvikling", "Mål", None), (None, "a", "b"))),
    ]


def test_rebuilt_sample_reads_header_goals_and_signatures() -> None:
    data = (SAMPLES / "agreement-rebuilt.docx").read_bytes()
    root = document_root(data, Settings())
    extraction = read_docx_labels(root, {}, Settings(), "rebuilt.docx")
    assert (extraction.reader, extraction.kind, extraction.year) == (
        "docx-layout",
        "agreement",
        2026,
    )
    fields = extraction.fields
    assert fields["employee_name"] == "Birthe Ærø Søndergård"
    assert fields["meeting_date"] == "2026-03-12"
    assert fields["goal_professional_2_text"] == "Tage certificering i lønsystemet"
    assert fields["signature_leader"] == "Åge Østergaard"
    assert fields["signature_employee_date"] == "2026-03-20"


def test_paragraph_labels_and_one_answer_sections() -> None:
    blocks = [
        Para("Navn: Birthe Ærø"),
        Para("3. Evt. opsummering af særlige aftaler eller temaer, der blev talt om"),
        Para("Hjemmearbejde om fredagen."),
        Para("Prøves i tre måneder."),
        Para("4. Dato for næste samtale"),
        Para("Opfølgningssamtale eller næste MUS gennemføres den:"),
        Para("15. marts 2027"),
    ]
    values = read_blocks(load_definition("agreement"), blocks)
    assert values == {
        "employee_name": "Birthe Ærø",
        "summary": "Hjemmearbejde om fredagen.\nPrøves i tre måneder.",
        "next_meeting_date": "15. marts 2027",
    }


def test_an_answer_made_of_the_forms_own_labels_is_not_found() -> None:
    """A two-column table whose row rulings a scan lost: its label column is one cell,
    "Navn" over the other labels; the labels under "Navn" are no name."""
    from formflow.read.labels import read_answers

    blocks = [
        Table((("Navn\nMedarbejdernummer\nStilling", "Birthe Ærø\n4711\nBogholder"),)),
        Para("Nærmeste leder: Åge Østergaard"),
    ]
    values, places = read_answers(load_definition("agreement"), blocks)
    assert "employee_name" not in values
    assert "employee_name" in places
    assert values["leader_name"] == "Åge Østergaard"


def test_entities_are_not_expanded(tmp_path: Path) -> None:
    import zipfile

    xml = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        f'<w:document xmlns:w="{W_NS}"><w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p>'
        "</w:body></w:document>"
    )
    path = tmp_path / "xxe.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", xml)
    root = document_root(path.read_bytes(), Settings())
    assert "root:" not in "".join(root.itertext())
