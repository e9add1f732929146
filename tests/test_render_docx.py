"""The DOCX form: content controls tagged by contract key, properties, round trips, LibreOffice."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from collections import Counter
from pathlib import Path

import docx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from formflow.errors import UnreadableForm
from formflow.forms.definition import FormDefinition
from formflow.forms.docx import (
    PLACEHOLDERS,
    clean_value,
    read_content_controls,
    read_custom_properties,
    render_docx,
)
from formflow.forms.library import load_definition
from formflow.forms.render import render_bytes

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
KINDS = [pytest.param("preparation", id="preparation"), pytest.param("agreement", id="agreement")]
SAMPLES = Path(__file__).parent / "samples"
DANISH = "abcdefghijklmnopqrstuvwxyzæøåÆØÅABCXYZéü 0123456789.,-/:;!?()“”‘’„«»–—…'\"&<>\t\n"


def _document_xml(data: bytes) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return etree.fromstring(archive.read("word/document.xml"))


def _filled(definition: FormDefinition) -> dict[str, str]:
    values = {key: f"Svar {n}: æøå ÆØÅ “citat”" for n, key in enumerate(definition.keys)}
    values["employee_name"] = "Søren Ærø Åberg"
    values[next(s.key for s in definition.fields if s.multiline)] = "Linje 1\nLinje 2\tmed tab"
    return values


@pytest.mark.parametrize("kind", KINDS)
def test_every_contract_key_is_a_tag_exactly_once(kind: str) -> None:
    definition = load_definition(kind)
    root = _document_xml(render_docx(definition, 2027, {}))
    tags = Counter(tag.get(f"{W}val") for tag in root.iter(f"{W}tag"))
    assert tags == Counter(definition.keys)
    for sdt in root.iter(f"{W}sdt"):
        key = sdt.find(f"{W}sdtPr/{W}tag").get(f"{W}val")
        assert sdt.find(f"{W}sdtPr/{W}alias").get(f"{W}val") == definition.field(key).label


@pytest.mark.parametrize("kind", KINDS)
def test_controls_are_plain_text_for_one_line_and_rich_text_for_the_rest(kind: str) -> None:
    definition = load_definition(kind)
    root = _document_xml(render_docx(definition, 2027, {}))
    for sdt in root.iter(f"{W}sdt"):
        spec = definition.field(sdt.find(f"{W}sdtPr/{W}tag").get(f"{W}val"))
        plain = sdt.find(f"{W}sdtPr/{W}text") is not None
        assert plain == (spec.type not in ("multiline", "signature")), spec.key


@pytest.mark.parametrize("kind", KINDS)
def test_blank_form_shows_placeholders_and_reads_empty(kind: str) -> None:
    definition = load_definition(kind)
    data = render_docx(definition, 2027, {})
    root = _document_xml(data)
    for sdt in root.iter(f"{W}sdt"):
        assert sdt.find(f"{W}sdtPr/{W}showingPlcHdr") is not None
        text = "".join(sdt.find(f"{W}sdtContent").itertext())
        assert text in PLACEHOLDERS.values()
    assert read_content_controls(data) == dict.fromkeys(definition.keys, "")


@pytest.mark.parametrize("kind", KINDS)
def test_kind_and_year_are_document_properties(kind: str) -> None:
    definition = load_definition(kind)
    data = render_bytes(definition, 2027, {}, "docx")
    assert read_custom_properties(data) == {
        "form_kind": kind,
        "form_year": "2027",
        "form_definition": kind,
    }
    document = docx.Document(io.BytesIO(data))
    assert document.core_properties.title == definition.title_for(2027)
    assert document.paragraphs[0].text == definition.title_for(2027)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        types = archive.read("[Content_Types].xml").decode()
        rels = archive.read("_rels/.rels").decode()
    assert "application/vnd.openxmlformats-officedocument.custom-properties+xml" in types
    assert "relationships/custom-properties" in rels


@pytest.mark.parametrize("kind", KINDS)
def test_page_is_a4_and_goal_table_header_repeats(kind: str) -> None:
    definition = load_definition(kind)
    document = docx.Document(io.BytesIO(render_docx(definition, 2027, {})))
    page = document.sections[0]
    assert (round(page.page_width.cm, 1), round(page.page_height.cm, 1)) == (21.0, 29.7)
    goal_tables = [t for t in document.tables if t.rows[0].cells[0].text == "Område"]
    assert goal_tables
    for table in goal_tables:
        assert table.rows[0]._tr.trPr.find(f"{W}tblHeader") is not None
        labels = [cell.text for cell in table.rows[0].cells[1:4]]
        assert labels == ["Aftaler og mål (konkrete og målbare)", "Startdato", "Slutdato"]
        # The category label is one cell merged over its rows (seed 004).
        first_column = [row.cells[0].text for row in table.rows[1:]]
        assert first_column[0] == definition.categories[0].label
        assert first_column[0] == first_column[1]


@st.composite
def _values(draw: st.DrawFn, kind: str) -> dict[str, str]:
    keys = load_definition(kind).keys
    chosen = draw(st.lists(st.sampled_from(keys), unique=True, max_size=12))
    text = st.text(alphabet=DANISH, max_size=60).filter(
        lambda v: v.strip() not in PLACEHOLDERS.values()
    )
    return {key: draw(text) for key in chosen}


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_round_trip_keeps_danish_text(kind: str, data: st.DataObject) -> None:
    definition = load_definition(kind)
    values = data.draw(_values(kind))
    rendered = render_docx(definition, 2027, values)
    expected = dict.fromkeys(definition.keys, "") | values
    assert read_content_controls(rendered) == expected
    docx.Document(io.BytesIO(rendered))  # python-docx opens it


def test_reader_falls_back_to_bookmarks_when_tags_are_gone() -> None:
    """What LibreOffice 7.4 does on save: no w:tag, no showingPlcHdr; bookmarks stay."""
    definition = load_definition("agreement")
    values = _filled(definition) | {"summary": "", "plan_1_when": ""}
    data = render_docx(definition, 2027, values)
    stripped = _rewrite_document(
        data, lambda xml: re.sub(rb"<w:tag [^>]*/>|<w:showingPlcHdr/>", b"", xml)
    )
    assert b"<w:tag " not in stripped
    assert read_content_controls(stripped) == values


def test_reader_reads_a_form_saved_by_libreoffice() -> None:
    """A committed sample: rendered by formflow, opened and saved as DOCX by LibreOffice 7.4."""
    data = (SAMPLES / "docx_agreement_libreoffice.docx").read_bytes()
    expected = (SAMPLES / "docx_agreement_values.txt").read_text(encoding="utf-8")
    values = read_content_controls(data)
    assert b"<w:tag " not in _document_bytes(data)  # LibreOffice dropped every tag
    assert _as_text(values) == expected
    assert read_custom_properties(data)["form_kind"] == "agreement"


def test_reader_reads_block_level_controls_of_a_hand_made_form() -> None:
    """An HR department's own Word form: a block-level control holding paragraphs and a tab
    stop. Paragraph ends read as line breaks; the tab stop is not text."""
    document = docx.Document()
    document.add_paragraph("Evt. opsummering")
    block = etree.fromstring(
        f"""<w:sdt xmlns:w="{W[1:-1]}"><w:sdtPr><w:alias w:val="Opsummering"/>
        <w:tag w:val="summary"/></w:sdtPr><w:sdtContent>
        <w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="2000"/></w:tabs></w:pPr>
        <w:r><w:t>én</w:t><w:tab/><w:t>linje</w:t></w:r></w:p>
        <w:p><w:r><w:t xml:space="preserve">to </w:t></w:r><w:r><w:t>Ærø</w:t></w:r></w:p>
        </w:sdtContent></w:sdt>"""
    )
    document.element.body.insert(1, block)
    buffer = io.BytesIO()
    document.save(buffer)
    assert read_content_controls(buffer.getvalue()) == {"summary": "én\tlinje\nto Ærø"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("a\r\nb\rc", "a\nb\nc", id="windows_and_old_mac_newlines"),
        pytest.param("bip\x07 \x00ok\x1f", "bip ok", id="control_characters_dropped"),
        pytest.param("tab\tstays", "tab\tstays", id="tab_kept"),
    ],
)
def test_values_are_cleaned_for_xml(value: str, expected: str) -> None:
    assert clean_value(value) == expected
    data = render_docx(load_definition("agreement"), 2027, {"summary": value})
    assert read_content_controls(data)["summary"] == expected


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"not a zip at all", id="not_a_zip"),
        pytest.param(b"PK\x03\x04" + b"\x00" * 40, id="broken_zip"),
    ],
)
def test_reader_refuses_what_is_not_a_docx(data: bytes) -> None:
    with pytest.raises(UnreadableForm) as caught:
        read_content_controls(data)
    assert caught.value.code in ("not_docx", "truncated")
    assert "Word" in caught.value.message or "beskadiget" in caught.value.message


def test_reader_refuses_a_docx_with_malformed_xml() -> None:
    data = render_docx(load_definition("agreement"), 2027, {})
    broken = _rewrite_document(data, lambda xml: xml[: len(xml) // 2])
    with pytest.raises(UnreadableForm) as caught:
        read_content_controls(broken)
    assert caught.value.code == "truncated"


def test_reader_does_not_resolve_entities(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("HEMMELIGT", encoding="utf-8")
    data = render_docx(load_definition("agreement"), 2027, {"summary": "XX"})

    def inject(xml: bytes) -> bytes:
        doctype = f'<!DOCTYPE w:document [<!ENTITY x SYSTEM "file://{secret}">]>'.encode()
        xml = xml.replace(b"?>", b"?>" + doctype, 1)
        return xml.replace(b">XX<", b">&x;<")

    values = read_content_controls(_rewrite_document(data, inject))
    assert "HEMMELIGT" not in values["summary"]


# --- LibreOffice ---------------------------------------------------------------------------------


def _soffice(tmp_path: Path, target: str, *files: Path) -> Path:
    out = tmp_path / "out"
    # A private profile: another soffice running on the machine must not share ours.
    profile = (tmp_path / "profile").as_uri()
    command = ["soffice", f"-env:UserInstallation={profile}", "--headless"]
    command += ["--convert-to", target, "--outdir", str(out), *map(str, files)]
    subprocess.run(
        command,
        check=True,
        capture_output=True,
        timeout=180,
    )
    return out


@pytest.mark.slow
@pytest.mark.needs("soffice", "pdftotext")
def test_libreoffice_converts_both_forms_to_pdf(tmp_path: Path) -> None:
    files = []
    for kind in ("preparation", "agreement"):
        definition = load_definition(kind)
        for name, values in (("blank", {}), ("filled", _filled(definition))):
            path = tmp_path / f"{kind}-{name}.docx"
            path.write_bytes(render_docx(definition, 2027, values))
            files.append(path)
    out = _soffice(tmp_path, "pdf", *files)
    for path in files:
        pdf = out / f"{path.stem}.pdf"
        assert pdf.stat().st_size > 10_000, pdf
        text = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
        ).stdout
        kind = path.stem.split("-")[0]
        assert load_definition(kind).title_for(2027) in text
        if path.stem.endswith("filled"):
            assert "Søren Ærø Åberg" in text
        else:
            assert "Skriv her" in text


@pytest.mark.slow
@pytest.mark.needs("soffice")
def test_libreoffice_docx_round_trip_keeps_values(tmp_path: Path) -> None:
    definition = load_definition("preparation")
    values = _filled(definition)
    source = tmp_path / "in" / "form.docx"
    source.parent.mkdir()
    source.write_bytes(render_docx(definition, 2027, values))
    out = _soffice(tmp_path, "docx:MS Word 2007 XML", source)
    saved = (out / "form.docx").read_bytes()
    assert read_content_controls(saved) == values
    assert read_custom_properties(saved)["form_year"] == "2027"


# --- helpers -------------------------------------------------------------------------------------


def _document_bytes(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("word/document.xml")


def _rewrite_document(data: bytes, change: object) -> bytes:
    """A copy of the DOCX with word/document.xml passed through `change`."""
    assert callable(change)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "word/document.xml":
                content = change(content)
            target.writestr(item, content)
    return out.getvalue()


def _as_text(values: dict[str, str]) -> str:
    """Values one per line, escaped, for comparison with a committed expectation."""
    return "".join(f"{key}={value!r}\n" for key, value in sorted(values.items()))


def _parts(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


@pytest.mark.parametrize("kind", KINDS)
def test_a_form_filled_into_its_blank_is_the_full_render(kind: str) -> None:
    from formflow.forms import docx as form_docx

    definition = load_definition(kind)
    for values in ({}, _filled(definition), {"employee_name": "Å\x01\r\nØ"}):
        full, _ = form_docx._render_in_full(definition, 2027, values)
        assert _parts(render_docx(definition, 2027, values)) == _parts(full)


def test_a_blank_that_does_not_serialize_back_means_full_renders(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from formflow.forms import docx as form_docx

    definition = load_definition("preparation")
    values = _filled(definition)
    expected = _parts(form_docx._render_in_full(definition, 2027, values)[0])
    monkeypatch.setattr(form_docx, "_BLANKS", {})
    monkeypatch.setattr(form_docx, "_serialized", lambda root: b"<other/>")
    assert form_docx._blank(definition, 2027) is None
    assert _parts(render_docx(definition, 2027, values)) == expected
