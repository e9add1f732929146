"""`formflow check`: every broken sample gives its code and no traceback; valid, invalid and
unreadable forms give exit status 0, 1 and 2; the JSON has the CheckResult shape."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from formflow.cli import cli
from formflow.config import Settings
from formflow.errors import UnreadableForm
from formflow.forms.library import load_definition
from formflow.forms.render import render_bytes
from formflow.read import MESSAGES, read_form
from formflow.read.sniff import sniff

BROKEN = Path(__file__).parent / "samples" / "broken"
BROKEN_CODES = [
    pytest.param("empty.pdf", "empty", id="empty"),
    pytest.param("truncated.pdf", "truncated", id="truncated_pdf"),
    pytest.param("truncated.docx", "truncated", id="truncated_docx"),
    pytest.param("corrupt.pdf", "corrupt", id="corrupt_pdf"),
    pytest.param("encrypted.pdf", "encrypted", id="encrypted_user_password"),
    pytest.param("text-named.pdf", "wrong_type", id="text_named_pdf"),
    # a 20 dpi picture of a form: too coarse for OCR (a legible scan is read: test_ocr*.py)
    pytest.param("picture.png", "scanned", id="png"),
    pytest.param("old-word.doc", "old_word", id="old_word_doc"),
    pytest.param("not-word.docx", "wrong_type", id="zip_without_word_part"),
    pytest.param("other-form.pdf", "not_a_form", id="another_pdf_form"),
    pytest.param("three-thousand-pages.pdf", "too_many_pages", id="3000_pages"),
    pytest.param("zip-bomb.docx", "zip_bomb", id="zip_bomb_total"),
    pytest.param("zip-bomb-ratio.docx", "zip_bomb", id="zip_bomb_ratio"),
    pytest.param("xxe.docx", "unsafe_xml", id="xxe"),
    pytest.param("billion-laughs.docx", "unsafe_xml", id="billion_laughs"),
]
VALID = {
    "employee_name": "Birthe Mølgaard",
    "employee_number": "1042",
    "leader_name": "Søren Åberg",
    "meeting_date": "12.03.2026",
    "next_meeting_date": "1. marts 2027",
    "goal_professional_1_text": "Certificering [bold]i[/] Excel",  # not rich markup
    "goal_professional_1_start": "1.4.2026",
    "goal_professional_1_end": "31.12.2026",
    "signature_leader": "Søren Åberg",
    "signature_leader_date": "13.03.2026",
    "signature_employee": "Birthe Mølgaard",
    "signature_employee_date": "14.03.2026",
}


@pytest.mark.parametrize(("name", "code"), BROKEN_CODES)
def test_broken_sample_code(name: str, code: str) -> None:
    with pytest.raises(UnreadableForm) as caught:
        read_form(BROKEN / name, Settings())
    assert caught.value.code == code
    assert caught.value.message == MESSAGES[code]


@pytest.fixture(scope="module")
def forms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("forms")
    agreement = load_definition("agreement")
    preparation = load_definition("preparation")
    made = {
        "valid.pdf": render_bytes(agreement, 2026, VALID, "pdf"),
        "valid.docx": render_bytes(agreement, 2026, VALID, "docx"),
        "bad-date.pdf": render_bytes(
            agreement, 2026, {**VALID, "meeting_date": "31.02.2026"}, "pdf"
        ),
        "preparation.pdf": render_bytes(
            preparation, 2027, {"prev_goal_professional_1_status": "3 - Bedre"}, "pdf"
        ),
    }
    for name, data in made.items():
        (folder / name).write_bytes(data)
    return {name: folder / name for name in made}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["check", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def test_all_broken_samples_at_once_json() -> None:
    paths = [str(BROKEN / p.values[0]) for p in BROKEN_CODES]  # type: ignore[index]
    status, output = run("--json", *paths)
    assert status == 2
    lines = [json.loads(line) for line in output.splitlines()]
    assert [line["problems"][0]["code"] for line in lines] == [p.values[1] for p in BROKEN_CODES]
    for path, line in zip(paths, lines, strict=True):
        assert line == {
            "file": path,
            "kind": None,
            "year": None,
            "reader": None,
            "fields": {},
            "signatures": {},
            "problems": [
                {
                    "field": None,
                    "severity": "error",
                    "code": line["problems"][0]["code"],
                    "message": MESSAGES[line["problems"][0]["code"]],
                }
            ],
            "valid": False,
            "state": "rejected",
        }


@pytest.mark.parametrize("name", ["valid.pdf", "valid.docx"])
def test_valid_form_exits_0(forms: dict[str, Path], name: str) -> None:
    status, output = run("--json", str(forms[name]))
    assert status == 0, output
    data = json.loads(output)
    assert data["valid"] is True
    assert data["problems"] == []
    assert (data["kind"], data["year"]) == ("agreement", 2026)
    assert data["reader"] == ("acroform" if name.endswith(".pdf") else "docx")
    assert data["fields"]["meeting_date"] == "2026-03-12"
    assert data["fields"]["employee_name"] == "Birthe Mølgaard"
    assert data["signatures"]["signature_leader"] == {
        "kind": "typed",
        "valid": True,
        "signer": "Søren Åberg",
        "detail": "typed name matches leader_name",
    }
    assert data["state"] == "signed"  # what `formflow watch` files it as
    assert list(data) == [
        "file", "kind", "year", "reader", "fields", "signatures", "problems", "valid", "state"
    ]  # fmt: skip


def test_form_with_problems_exits_1(forms: dict[str, Path]) -> None:
    status, output = run("--json", str(forms["bad-date.pdf"]))
    assert status == 1
    data = json.loads(output)
    assert data["state"] == "rejected"
    assert data["fields"]["meeting_date"] == "31.02.2026"  # kept as written
    problem = next(p for p in data["problems"] if p["field"] == "meeting_date")
    assert problem["code"] == "date_invalid"
    # the value as it was read; "field" says where (a notice names the field once, by its label)
    assert problem["message"].startswith("„31.02.2026“ findes ikke")


def test_status_is_an_integer_in_json(forms: dict[str, Path]) -> None:
    _, output = run("--json", str(forms["preparation.pdf"]))
    fields = json.loads(output)["fields"]
    assert fields["prev_goal_professional_1_status"] == 3
    assert fields["prev_goal_personal_1_status"] == ""


def test_unreadable_wins_over_invalid(forms: dict[str, Path]) -> None:
    status, output = run("--json", str(forms["bad-date.pdf"]), str(BROKEN / "empty.pdf"))
    assert status == 2
    assert len(output.splitlines()) == 2


def test_missing_file_is_reported_not_raised(tmp_path: Path) -> None:
    status, output = run("--json", str(tmp_path / "nope.pdf"))
    assert status == 2
    assert json.loads(output)["problems"][0]["code"] == "cannot_open"


def test_table_shows_labels_values_and_problems(forms: dict[str, Path]) -> None:
    status, output = run(str(forms["bad-date.pdf"]), str(BROKEN / "encrypted.pdf"))
    assert status == 2
    assert "Medarbejdernr." in output and "1042" in output
    assert "[bold]i[/]" in output  # a value is printed as text, never as rich markup
    assert "date_invalid" in output
    assert MESSAGES["encrypted"] in " ".join(output.split())


def test_real_command_never_shows_a_traceback() -> None:
    paths = [str(BROKEN / p.values[0]) for p in BROKEN_CODES]  # type: ignore[index]
    done = subprocess.run(
        [sys.executable, "-m", "formflow", "check", *paths],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stdout + done.stderr


def test_file_over_the_size_limit_is_too_big(forms: dict[str, Path]) -> None:
    settings = Settings()
    small = settings.replace(limits=dataclasses.replace(settings.limits, max_file_mb=0.001))
    with pytest.raises(UnreadableForm) as caught:
        read_form(forms["valid.pdf"], small)
    assert caught.value.code == "too_big"


def test_a_folder_cannot_be_opened(tmp_path: Path) -> None:
    with pytest.raises(UnreadableForm) as caught:
        read_form(tmp_path, Settings())
    assert caught.value.code == "cannot_open"


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        pytest.param(b"%PDF-1.7\n", "pdf", id="pdf"),
        pytest.param(b"\r\nX-Mailer: junk\r\n%PDF-1.4", "pdf", id="pdf_after_junk"),
        pytest.param(b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml", "docx", id="docx"),
        pytest.param(b"PK\x03\x04\x14\x00mimetypeapplication/vnd.oasis", "zip", id="odt"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", "doc", id="ole2"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00", "image", id="png"),
        pytest.param(b"\xff\xd8\xff\xe0\x00\x10JFIF", "image", id="jpeg"),
        pytest.param(b"II*\x00\x08\x00", "image", id="tiff"),
        pytest.param(b"\x00\x00\x00\x18ftypheic\x00", "image", id="heic"),
        pytest.param(b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image", id="webp"),
        pytest.param(b"Navn: Birthe", "unknown", id="text"),
        pytest.param(b"", "unknown", id="nothing"),
    ],
)
def test_sniff_by_magic_bytes(head: bytes, kind: str) -> None:
    assert sniff(head) == kind
