"""The DOCX reader: content controls by tag, bookmarks after LibreOffice, hostile packages.

Forms are rendered by formflow and filled with python-docx the way Word fills a content
control (placeholder flag removed, runs replaced); the committed samples of
`tests/samples/make_docx_samples.py` add a file re-saved by LibreOffice, which drops tags.
"""

from __future__ import annotations

import ast
import io
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from test_read_acroform import filled_values  # the same typed values for both formats

from formflow.config import Settings
from formflow.errors import UnreadableForm
from formflow.forms.library import load_definition
from formflow.forms.render import render_bytes
from formflow.read import read_form
from formflow.read.docx import parse_xml, read_docx
from formflow.read.normalize import normalize_values

SETTINGS = Settings()
SAMPLES = Path(__file__).parent / "samples"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def fill_controls(data: bytes, values: dict[str, str]) -> bytes:
    """Type `values` into the tagged content controls, as Word does (python-docx edits)."""
    document = docx.Document(io.BytesIO(data))
    for sdt in document.element.body.iter(qn("w:sdt")):
        tag = sdt.find(f"{qn('w:sdtPr')}/{qn('w:tag')}")
        key = tag.get(qn("w:val")) if tag is not None else None
        if key not in values:
            continue
        properties = sdt.find(qn("w:sdtPr"))
        for flag in properties.findall(qn("w:showingPlcHdr")):
            properties.remove(flag)
        content = sdt.find(qn("w:sdtContent"))
        for child in list(content):
            content.remove(child)
        run = OxmlElement("w:r")
        for number, line in enumerate(values[key].split("\n")):
            if number:
                run.append(OxmlElement("w:br"))
            for part_number, part in enumerate(line.split("\t")):
                if part_number:
                    run.append(OxmlElement("w:tab"))
                text = OxmlElement("w:t")
                text.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
                text.text = part
                run.append(text)
        content.append(run)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["preparation", "agreement"])
def test_every_control_read_exactly(tmp_path: Path, kind: str) -> None:
    definition = load_definition(kind)
    typed, expected = filled_values(definition)
    typed["summary" if kind == "agreement" else "other_topics"] = "a\tb\nc"
    expected["summary" if kind == "agreement" else "other_topics"] = "a\tb\nc"
    path = tmp_path / "filled.docx"
    path.write_bytes(fill_controls(render_bytes(definition, 2026, {}, "docx"), typed))

    extraction = read_form(path, SETTINGS)

    assert (extraction.reader, extraction.kind, extraction.year) == ("docx", kind, 2026)
    for key in definition.keys:
        assert extraction.fields.get(key) == expected[key], key
    assert extraction.problems == ()


def test_empty_controls_read_as_empty(tmp_path: Path) -> None:
    definition = load_definition("agreement")
    path = tmp_path / "blank.docx"
    path.write_bytes(render_bytes(definition, 2027, {"employee_number": "1042"}, "docx"))
    extraction = read_form(path, SETTINGS)
    assert extraction.fields["employee_number"] == "1042"
    assert {k for k, v in extraction.fields.items() if v} == {"employee_number"}
    assert set(extraction.fields) == set(definition.keys)


def sample_values() -> dict[str, str]:
    lines = (SAMPLES / "docx_agreement_values.txt").read_text(encoding="utf-8").splitlines()
    return {k: ast.literal_eval(v) for k, v in (line.split("=", 1) for line in lines if line)}


@pytest.mark.parametrize(
    ("sample", "reader"),
    [
        pytest.param("docx_agreement_formflow.docx", "docx", id="formflow"),
        pytest.param("docx_agreement_libreoffice.docx", "docx", id="saved_by_libreoffice"),
    ],
)
def test_committed_samples(sample: str, reader: str) -> None:
    definition = load_definition("agreement")
    expected = normalize_values(definition, sample_values())

    extraction = read_form(SAMPLES / sample, SETTINGS)

    assert (extraction.reader, extraction.kind) == (reader, "agreement")
    for key in definition.keys:
        assert extraction.fields.get(key) == expected.fields.get(key, ""), key
    assert extraction.raw == expected.raw
    assert set(extraction.problems) == set(expected.problems)  # 'Svar 6: …' in date fields


@pytest.mark.slow
@pytest.mark.needs("soffice")
def test_filled_then_saved_by_libreoffice(tmp_path: Path) -> None:
    definition = load_definition("preparation")
    typed, expected = filled_values(definition)
    source = tmp_path / "in" / "form.docx"
    source.parent.mkdir()
    source.write_bytes(fill_controls(render_bytes(definition, 2027, {}, "docx"), typed))
    convert = ["--headless", "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(tmp_path)]
    subprocess.run(["soffice", *convert, str(source)], check=True, capture_output=True, timeout=120)
    extraction = read_form(tmp_path / "form.docx", SETTINGS)
    assert (extraction.kind, extraction.year) == ("preparation", 2027)
    wrong = [k for k in definition.keys if extraction.fields.get(k) != expected[k]]
    assert wrong == []


# --- identification and evidence ---------------------------------------------------------------


def rewrite(
    data: bytes, drop: tuple[str, ...] = (), replace: dict[str, bytes] | None = None
) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename in drop:
                continue
            target.writestr(info.filename, source.read(info.filename))
    return buffer.getvalue()


def test_kind_and_year_from_title_without_custom_properties() -> None:
    data = render_bytes(load_definition("preparation"), 2028, {"employee_name": "Ib"}, "docx")
    stripped = rewrite(data, drop=("docProps/custom.xml", "docProps/core.xml"))
    extraction = read_docx(stripped, "x.docx", SETTINGS)
    assert (extraction.kind, extraction.year) == ("preparation", 2028)
    assert extraction.employee_name == "Ib"


def picture_run(document: docx.document.Document) -> object:
    """A run holding an inline picture (a drawn signature), detached from its paragraph."""
    paragraph = document.add_paragraph()
    paragraph.add_run().add_picture(str(SAMPLES / "broken" / "picture.png"))
    run = paragraph._p.findall(qn("w:r"))[-1]
    paragraph._p.getparent().remove(paragraph._p)
    return run


def control(document: docx.document.Document, key: str) -> object:
    for sdt in document.element.body.iter(qn("w:sdt")):
        tag = sdt.find(f"{qn('w:sdtPr')}/{qn('w:tag')}")
        if tag is not None and tag.get(qn("w:val")) == key:
            return sdt
    raise AssertionError(f"no control {key}")


@pytest.mark.parametrize("where", ["in_control", "in_cell"])
def test_image_in_signature_box_is_drawn_evidence(where: str) -> None:
    data = render_bytes(load_definition("agreement"), 2026, {}, "docx")
    document = docx.Document(io.BytesIO(data))
    sdt = control(document, "signature_employee")
    if where == "in_control":
        sdt.find(qn("w:sdtContent")).append(picture_run(document))  # type: ignore[attr-defined]
    else:
        paragraph = next(sdt.iterancestors(qn("w:p")))  # type: ignore[attr-defined]
        paragraph.append(picture_run(document))
    buffer = io.BytesIO()
    document.save(buffer)

    extraction = read_docx(buffer.getvalue(), "x.docx", SETTINGS)

    assert extraction.evidence.drawn == ("signature_employee",)
    assert extraction.fields["signature_employee"] == ""


def test_unsafe_xml_in_utf16_is_refused() -> None:
    xml = (
        '<?xml version="1.0" encoding="UTF-16"?>'
        '<!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        f'<w:document xmlns:w="{W}"/>'
    ).encode("utf-16")
    with pytest.raises(UnreadableForm) as caught:
        parse_xml(xml, "word/document.xml")
    assert caught.value.code == "unsafe_xml"


def test_another_word_document_is_not_a_form() -> None:
    document = docx.Document()
    document.add_paragraph("Referat af personalemøde")
    buffer = io.BytesIO()
    document.save(buffer)
    with pytest.raises(UnreadableForm) as caught:
        read_docx(buffer.getvalue(), "x.docx", SETTINGS)
    assert caught.value.code == "not_a_form"


def test_rebuilt_form_without_controls_goes_to_the_label_reader() -> None:
    document = docx.Document()
    document.add_paragraph("Udviklings- og aftaleskema til MUS 2026")
    document.add_paragraph("Navn: Birthe Mølgaard")
    buffer = io.BytesIO()
    document.save(buffer)
    extraction = read_docx(buffer.getvalue(), "x.docx", SETTINGS)
    assert (extraction.reader, extraction.kind, extraction.year) == (
        "docx-layout",
        "agreement",
        2026,
    )
