"""The AcroForm reader: every field of a filled PDF form read exactly, whoever filled it.

Forms are rendered by formflow and filled by other programs (pdftk with XFDF and FDF, with and
without NeedAppearances; pypdf without regenerating appearances), then read back value by
value. Hand-built PDFs cover what our renderer never writes but other forms do: nested field
names, checkboxes, radio buttons, list boxes, inherited field types.
"""

from __future__ import annotations

import io
import subprocess
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    TextStringObject,
)
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from formflow.config import Settings
from formflow.errors import UnreadableForm
from formflow.forms.definition import FormDefinition
from formflow.forms.library import load_definition
from formflow.forms.render import render_bytes
from formflow.read import read_form
from formflow.read.acroform import read_pdf
from formflow.read.normalize import tidy_text

SETTINGS = Settings()
BROKEN = Path(__file__).parent / "samples" / "broken"
DATES = (
    "12.03.2026",
    "12-03-2026",
    "12/03/2026",
    "12/03-2026",
    "12.03.26",
    "12. mar. 2026",
    "12. marts 2026",
    "2026-03-12",
)
STATUSES = ("1", "2 - Helt som aftalt og forventet", " 3 ", "4")


def filled_values(definition: FormDefinition) -> tuple[dict[str, str], dict[str, str]]:
    """A value for every field of `definition` as a person types it, and as it must read."""
    typed: dict[str, str] = {}
    expected: dict[str, str] = {}
    for index, spec in enumerate(definition.fields):
        if spec.type == "date":
            typed[spec.key] = DATES[index % len(DATES)]
            expected[spec.key] = "2026-03-12"
        elif spec.type == "status":
            typed[spec.key] = STATUSES[index % len(STATUSES)]
            expected[spec.key] = STATUSES[index % len(STATUSES)].strip()[0]
        elif spec.type == "multiline":
            typed[spec.key] = f"Svar {index}: æøå ÆØÅ “citat”\nAnden linje – slut"
            expected[spec.key] = typed[spec.key]
        elif spec.type == "signature":
            typed[spec.key] = "Søren Åberg"
            expected[spec.key] = "Søren Åberg"
        else:
            typed[spec.key] = f"Værdi {index} for {spec.key}"
            expected[spec.key] = typed[spec.key]
    return typed, expected


# --- fillers -----------------------------------------------------------------------------------


def pdftk_xfdf(blank: Path, values: dict[str, str], out: Path, need_appearances: bool) -> None:
    fields = "".join(
        f'<field name="{escape(k)}"><value>{escape(v)}</value></field>' for k, v in values.items()
    )
    data = blank.with_suffix(".xfdf")
    data.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<xfdf xmlns="http://ns.adobe.com/xfdf/" xml:space="preserve">'
        f"<fields>{fields}</fields></xfdf>",
        encoding="utf-8",
    )
    flags = ["need_appearances"] if need_appearances else []
    subprocess.run(
        ["pdftk", str(blank), "fill_form", str(data), "output", str(out), *flags],
        check=True,
        capture_output=True,
    )


def pdftk_fdf(blank: Path, values: dict[str, str], out: Path, need_appearances: bool) -> None:
    def utf16(text: str) -> str:
        return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"

    fields = "\n".join(f"<< /T {utf16(k)} /V {utf16(v)} >>" for k, v in values.items())
    data = blank.with_suffix(".fdf")
    data.write_bytes(
        b"%FDF-1.2\n1 0 obj\n<< /FDF << /Fields [\n"
        + fields.encode("ascii")
        + b"\n] >> >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )
    flags = ["need_appearances"] if need_appearances else []
    subprocess.run(
        ["pdftk", str(blank), "fill_form", str(data), "output", str(out), *flags],
        check=True,
        capture_output=True,
    )


def pypdf_fill(blank: Path, values: dict[str, str], out: Path, need_appearances: bool) -> None:
    writer = PdfWriter(clone_from=PdfReader(blank))
    for page in writer.pages:
        writer.update_page_form_field_values(page, values, auto_regenerate=need_appearances)
    with out.open("wb") as stream:
        writer.write(stream)


Filler = Callable[[Path, dict[str, str], Path, bool], None]
needs_pdftk = pytest.mark.needs("pdftk")


@pytest.mark.parametrize("kind", ["preparation", "agreement"])
@pytest.mark.parametrize(
    ("filler", "need_appearances"),
    [
        pytest.param(pdftk_xfdf, False, id="pdftk_xfdf", marks=needs_pdftk),
        pytest.param(pdftk_xfdf, True, id="pdftk_xfdf_need_appearances", marks=needs_pdftk),
        pytest.param(pdftk_fdf, False, id="pdftk_fdf", marks=needs_pdftk),
        pytest.param(pdftk_fdf, True, id="pdftk_fdf_need_appearances", marks=needs_pdftk),
        pytest.param(pypdf_fill, False, id="pypdf_no_regeneration"),
        pytest.param(pypdf_fill, True, id="pypdf_regenerated"),
    ],
)
def test_every_field_read_exactly(
    tmp_path: Path, kind: str, filler: Filler, need_appearances: bool
) -> None:
    definition = load_definition(kind)
    blank = tmp_path / "blank.pdf"
    blank.write_bytes(render_bytes(definition, 2026, {}, "pdf"))
    typed, expected = filled_values(definition)
    filled = tmp_path / "filled.pdf"
    filler(blank, typed, filled, need_appearances)

    extraction = read_form(filled, SETTINGS)

    assert (extraction.reader, extraction.kind, extraction.year) == ("acroform", kind, 2026)
    assert extraction.definition == kind
    for key in definition.keys:
        assert extraction.fields.get(key) == expected[key], key
    assert set(extraction.fields) == set(definition.keys)
    assert extraction.problems == ()
    changed_dates = {k for k, v in typed.items() if definition.field(k).type == "date"}
    assert set(extraction.raw) == changed_dates - {k for k in changed_dates if typed[k][4] == "-"}


def test_prefilled_by_formflow(tmp_path: Path) -> None:
    definition = load_definition("agreement")
    values = {"employee_name": "Birthe Mølgaard", "employee_number": "1042"}
    path = tmp_path / "form.pdf"
    path.write_bytes(render_bytes(definition, 2027, values, "pdf"))
    extraction = read_form(path, SETTINGS)
    assert extraction.employee_name == "Birthe Mølgaard"
    assert extraction.employee_number == "1042"
    assert extraction.fields["summary"] == ""  # found, empty
    assert extraction.pages >= 1


def test_owner_password_only_is_read() -> None:
    extraction = read_form(BROKEN / "owner-password-only.pdf", SETTINGS)
    assert extraction.kind == "agreement"
    assert extraction.employee_name == "Birthe Mølgaard"
    assert extraction.fields["summary"] == "Særlige aftaler:\nHjemmearbejde om fredagen."


# --- forms made by other programs ---------------------------------------------------------------


def hand_built(fields: list[DictionaryObject]) -> bytes:
    """A one-page PDF with the given field trees (kids nested as dictionaries) in /AcroForm."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)

    def register(node: DictionaryObject) -> IndirectObject:
        reference = writer._add_object(node)
        kids = node.get("/Kids")
        if kids is not None:
            node[NameObject("/Kids")] = ArrayObject(register(kid) for kid in kids)
            for kid in node["/Kids"]:
                kid.get_object()[NameObject("/Parent")] = reference
        return reference

    writer._root_object[NameObject("/AcroForm")] = DictionaryObject(
        {NameObject("/Fields"): ArrayObject(register(f) for f in fields)}
    )
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def field(name: str, **entries: object) -> DictionaryObject:
    result = DictionaryObject({NameObject("/T"): TextStringObject(name)})
    for key, value in entries.items():
        result[NameObject(f"/{key}")] = value  # type: ignore[assignment]
    return result


def test_nested_names_checkboxes_choices_and_inheritance() -> None:
    writer_fields: list[DictionaryObject] = []
    page1 = field(
        "page1[0]",
        FT=NameObject("/Tx"),  # inherited by kids without their own /FT
        Kids=ArrayObject(
            [
                field("employee_name[0]", V=TextStringObject("Birthe Mølgaard")),
                field("employee_number[0]", V=TextStringObject("1042")),
                field("meeting_date[0]", V=TextStringObject("23. nov. 2026")),
                field(
                    "prev_goal_professional_1_status[0]",
                    FT=NameObject("/Ch"),
                    V=TextStringObject("3"),
                ),
                field(
                    "prev_goal_personal_1_status",
                    FT=NameObject("/Ch"),
                    V=ArrayObject([TextStringObject("2")]),
                ),
                field("prev_goal_sales_1_status", FT=NameObject("/Btn"), V=NameObject("/4")),
                field(
                    "prev_goal_company_1_status",
                    FT=NameObject("/Btn"),
                    V=NameObject("/1"),
                    Opt=ArrayObject([TextStringObject(s) for s in ("1", "2", "3", "4")]),
                ),
                field("other_topics", FT=NameObject("/Btn"), V=NameObject("/Off")),
                field("push", FT=NameObject("/Btn"), Ff=NumberObject(1 << 16)),
                field("leader_name"),  # no value: found, empty
            ]
        ),
    )
    root = field("form1[0]", Kids=ArrayObject([page1]))
    data_fields = [
        field("form_kind", FT=NameObject("/Tx"), V=TextStringObject("preparation")),
        field("form_year", FT=NameObject("/Tx"), V=TextStringObject("2027")),
    ]
    writer_fields = [root, *data_fields]

    extraction = read_pdf(hand_built(writer_fields), "x.pdf", SETTINGS)

    assert (extraction.kind, extraction.year) == ("preparation", 2027)
    assert extraction.fields == {
        "employee_name": "Birthe Mølgaard",
        "employee_number": "1042",
        "meeting_date": "2026-11-23",
        "prev_goal_professional_1_status": "3",
        "prev_goal_personal_1_status": "2",
        "prev_goal_sales_1_status": "4",
        "prev_goal_company_1_status": "2",  # on-state index 1 -> export value "2"
        "other_topics": "",
        "leader_name": "",
    }
    assert extraction.raw == {"meeting_date": "23. nov. 2026"}


def reportlab_form(title_text: str, values: dict[str, str], metadata_title: str = "") -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    if metadata_title:
        page.setTitle(metadata_title)
    for line, text in enumerate(title_text.split("\n")):
        page.drawString(72, 800 - 14 * line, text)
    for index, (key, value) in enumerate(values.items()):
        page.acroForm.textfield(
            name=key, x=72, y=760 - 30 * index, width=300, height=20, value=value
        )
    page.save()
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("title_text", "metadata_title", "kind", "year"),
    [
        pytest.param("Udviklings- og aftaleskema til MUS 2026", "", "agreement", 2026, id="page"),
        pytest.param("", "Forberedelsesskema til MUS 2027", "preparation", 2027, id="metadata"),
        pytest.param(
            "Forberedelsesskema  til\nMUS 2028", "", "preparation", 2028, id="page_spacing"
        ),
    ],
)
def test_kind_and_year_from_title(
    title_text: str, metadata_title: str, kind: str, year: int
) -> None:
    data = reportlab_form(title_text, {"employee_name": "Birthe"}, metadata_title)
    extraction = read_pdf(data, "x.pdf", SETTINGS)
    assert (extraction.kind, extraction.year, extraction.definition) == (kind, year, kind)
    assert extraction.fields == {"employee_name": "Birthe"}
    assert extraction.problems == ()


def test_kind_from_keys_without_title_needs_a_year() -> None:
    data = reportlab_form("", {"employee_name": "Birthe", "plan_1_competence": "Excel"})
    extraction = read_pdf(data, "x.pdf", SETTINGS)
    assert (extraction.kind, extraction.year) == ("agreement", None)
    assert [p.code for p in extraction.problems] == ["year_unknown"]


def test_fields_of_another_form_are_not_a_mus_form() -> None:
    with pytest.raises(UnreadableForm) as caught:
        read_pdf(reportlab_form("Parkering", {"license_plate": "AB"}), "x.pdf", SETTINGS)
    assert caught.value.code == "not_a_form"


def test_text_without_fields_goes_to_the_layout_reader() -> None:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.drawString(72, 800, "Udviklings- og aftaleskema til MUS 2026")
    page.drawString(72, 760, "Navn: Birthe Mølgaard")
    page.save()
    extraction = read_pdf(buffer.getvalue(), "x.pdf", SETTINGS)
    assert (extraction.reader, extraction.kind, extraction.year) == ("layout", "agreement", 2026)


@pytest.mark.parametrize(
    ("sample", "drawn", "signers"),
    [
        pytest.param("both-signed.pdf", (), ["Lone Leder", "Birthe Å. Mølgaard"], id="digital"),
        pytest.param("drawn-image.pdf", ("signature_leader",), [], id="drawn_image"),
        pytest.param("unsigned.pdf", (), [], id="unsigned"),
    ],
)
def test_signature_evidence(sample: str, drawn: tuple[str, ...], signers: list[str]) -> None:
    extraction = read_form(Path(__file__).parent / "samples" / "signed" / sample, SETTINGS)
    assert extraction.evidence.drawn == drawn
    assert sorted(s.signer for s in extraction.evidence.digital) == sorted(signers)


_DANISH_TEXT = st.text(
    alphabet=st.sampled_from(list("abcæøåABCÆØÅ 0123456789.,-–“”'\n\t!?")), max_size=60
)


@settings(max_examples=25, deadline=None)
@given(employee_name=_DANISH_TEXT, summary=_DANISH_TEXT, plan_when=_DANISH_TEXT)
def test_render_fill_read_round_trip(employee_name: str, summary: str, plan_when: str) -> None:
    values = {"employee_name": employee_name, "summary": summary, "plan_1_when": plan_when}
    data = render_bytes(load_definition("agreement"), 2026, values, "pdf")
    fields = read_pdf(data, "x.pdf", SETTINGS).fields
    assert {k: fields[k] for k in values} == {k: tidy_text(v) for k, v in values.items()}


def test_answers_of_an_own_definition_not_installed_here_are_kept_and_flagged(
    tmp_path: Path,
) -> None:
    """A form made from an organisation's own definition, read where it is not installed."""
    import tomllib

    from formflow.config import Settings
    from formflow.forms.builder import build_preparation
    from formflow.forms.definition import Category
    from formflow.forms.library import builtin_forms_dir, load_definition, question_bank
    from formflow.forms.render import render_bytes
    from formflow.read import read_form

    base = tomllib.loads((builtin_forms_dir() / "preparation.toml").read_text(encoding="utf-8"))
    own = tmp_path / "preparation-klinik.toml"
    own.write_text(
        build_preparation(
            base, question_bank(), ["last_agreements", "wellbeing_tasks", "competence_fit"],
            "klinik", [Category("clinical", "Klinisk udvikling")],
        ),
        encoding="utf-8",
    )  # fmt: skip
    blank = render_bytes(load_definition(str(own)), 2027, {}, "pdf")
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(blank)))
    values = {"employee_number": "1042", "prev_goal_clinical_1_text": "Færre aflysninger"}
    for page in writer.pages:
        writer.update_page_form_field_values(page, values, auto_regenerate=False)
    path = tmp_path / "filled.pdf"
    writer.write(path)

    extraction = read_form(path, Settings())  # forms.directory not set: built-in definition
    assert extraction.definition == "preparation"
    assert extraction.fields["employee_number"] == "1042"
    assert extraction.raw["prev_goal_clinical_1_text"] == "Færre aflysninger"
    assert [p.code for p in extraction.problems if p.severity == "warning"] == ["fields_unknown"]
