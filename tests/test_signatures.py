"""Signature evidence from real PDFs (tests/samples/signed, made by make_signed.py), and
validation's verdict on them: digital (pyHanko), drawn (ink, images, flattened strokes)."""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from formflow.checking import check_form
from formflow.config import Settings, settings_from_dict
from formflow.decision import awaiting
from formflow.errors import SettingsError
from formflow.model import Evidence, Extraction
from formflow.read.acroform import read_pdf
from formflow.read.signatures import pdf_evidence, trust_roots

SIGNED = Path(__file__).parent / "samples" / "signed"
CA = str(SIGNED / "certs" / "ca.cert.pem")
TRUSTING = settings_from_dict({"signatures": {"trust_roots": [CA]}})
TODAY = date(2026, 12, 1)


def sample(name: str) -> bytes:
    return (SIGNED / name).read_bytes()


def evidence(data: bytes, settings: Settings = TRUSTING) -> Evidence:
    return pdf_evidence(PdfReader(io.BytesIO(data)), data, settings)


def read(name: str, settings: Settings = TRUSTING) -> Extraction:
    """The sample read by the AcroForm reader, with this module's evidence."""
    data = sample(name)
    return dataclasses.replace(read_pdf(data, name, settings), evidence=evidence(data, settings))


@pytest.mark.parametrize(
    ("name", "digital"),
    [
        pytest.param("unsigned.pdf", [], id="unsigned"),
        pytest.param(
            "leader-signed.pdf",
            [("signature_leader_digital", "Lone Leder", True, True, True, ())],
            id="leader_signed",
        ),
        pytest.param(
            "both-signed.pdf",
            [
                (
                    "signature_leader_digital",
                    "Lone Leder",
                    True,
                    True,
                    True,
                    ("signature_employee_date",),
                ),
                ("signature_employee_digital", "Birthe Å. Mølgaard", True, True, True, ()),
            ],
            id="employee_signed_after_leader",
        ),
        pytest.param(
            "rewritten.pdf",
            [
                (
                    "signature_leader_digital",
                    "Lone Leder",
                    True,
                    True,
                    True,
                    ("signature_employee", "signature_employee_date"),
                )
            ],
            id="every_field_object_rewritten",
        ),
        pytest.param(
            "tampered.pdf",
            [
                (
                    "signature_leader_digital",
                    "Lone Leder",
                    True,
                    True,
                    True,
                    ("goal_professional_1_text",),
                )
            ],
            id="tampered",
        ),
        pytest.param(
            "wrong-signer.pdf",
            [("signature_leader_digital", "Mette Mallory", True, True, True, ())],
            id="wrong_signer",
        ),
        pytest.param(
            "untrusted.pdf",
            [("signature_leader_digital", "Lone Leder", True, True, False, ())],
            id="untrusted_root",
        ),
    ],
)
def test_digital_evidence(name: str, digital: list[tuple[object, ...]]) -> None:
    found = evidence(sample(name))
    assert [
        (d.field, d.signer, d.intact, d.valid, d.trusted, d.changed_fields) for d in found.digital
    ] == digital
    assert found.drawn == ()


def test_no_trust_roots_means_untrusted_not_a_crash() -> None:
    (signature,) = evidence(sample("leader-signed.pdf"), Settings()).digital
    assert (signature.valid, signature.trusted) == (True, False)


@pytest.mark.parametrize(
    ("name", "drawn"),
    [
        pytest.param("drawn-ink.pdf", ("signature_employee",), id="ink_annotation"),
        pytest.param("drawn-image.pdf", ("signature_leader",), id="image_in_box"),
        pytest.param("drawn-paths.pdf", ("signature_employee",), id="flattened_strokes"),
        pytest.param("logo-only.pdf", (), id="image_and_line_outside_boxes"),
        pytest.param("unsigned.pdf", (), id="blank_boxes"),
        pytest.param("leader-signed.pdf", (), id="digital_appearance_is_not_ink"),
    ],
)
def test_drawn_evidence(name: str, drawn: tuple[str, ...]) -> None:
    found = evidence(sample(name))
    assert found.drawn == drawn


def _corrupt(data: bytes, pattern: bytes, replace: bytes) -> bytes:
    position = data.index(pattern)
    return data[:position] + replace + data[position + len(pattern) :]


def test_bytes_changed_inside_the_signed_range_break_the_signature() -> None:
    data = sample("leader-signed.pdf")
    # An edit that keeps every offset: only the digest can tell.
    broken = _corrupt(data, b"/Producer", b"/Pr0ducer")
    (signature,) = evidence(broken).digital
    assert not signature.intact


def test_garbage_signature_contents_are_reported_not_raised() -> None:
    data = sample("leader-signed.pdf")
    match = re.search(rb"/Contents <([0-9a-fA-F]+)>", data)
    assert match is not None
    start, end = match.span(1)
    broken = data[:start] + b"0" * (end - start) + data[end:]
    (signature,) = evidence(broken).digital
    assert (signature.field, signature.intact, signature.valid) == (
        "signature_leader_digital",
        False,
        False,
    )
    result = check_form(
        dataclasses.replace(read("leader-signed.pdf"), evidence=Evidence(digital=(signature,))),
        TRUSTING,
        today=TODAY,
    )
    assert ("signature_leader", "signature_broken") in [(p.field, p.code) for p in result.problems]


def test_trust_roots_accept_pem_and_der(tmp_path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    der = tmp_path / "ca.der"
    der.write_bytes(
        x509.load_pem_x509_certificate(Path(CA).read_bytes()).public_bytes(Encoding.DER)
    )
    assert len(trust_roots((CA, str(der)))) == 2


def test_unreadable_trust_root_is_a_settings_error(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-cert.pem"
    bad.write_text("hello", encoding="utf-8")
    with pytest.raises(SettingsError, match="trust_roots"):
        trust_roots((str(bad),))
    with pytest.raises(SettingsError, match="trust_roots"):
        trust_roots((str(tmp_path / "missing.pem"),))


# --- through validation --------------------------------------------------------------------


def verdicts(
    name: str, settings: Settings = TRUSTING
) -> tuple[dict[str, tuple[str, bool]], list[tuple[str | None, str, str]]]:
    result = check_form(read(name, settings), settings, today=TODAY)
    return (
        {k: (s.kind, s.valid) for k, s in result.signatures.items()},
        [(p.field, p.code, p.severity) for p in result.problems],
    )


def test_both_signed_digitally_is_valid() -> None:
    signatures, problems = verdicts("both-signed.pdf")
    assert signatures == {
        "signature_leader": ("digital", True),
        "signature_employee": ("digital", True),
    }
    assert problems == []


def test_leader_signed_awaits_the_employee() -> None:
    result = check_form(read("leader-signed.pdf"), TRUSTING, today=TODAY)
    assert result.signatures["signature_leader"].kind == "digital"
    assert result.signatures["signature_leader"].trusted is True
    assert awaiting(result) == "employee"


def test_rewritten_by_a_tool_keeps_the_leader_signature() -> None:
    signatures, problems = verdicts("rewritten.pdf")
    assert signatures == {
        "signature_leader": ("digital", True),
        "signature_employee": ("typed", True),
    }
    assert problems == []


def test_tampered_after_signing_names_the_field() -> None:
    result = check_form(read("tampered.pdf"), TRUSTING, today=TODAY)
    problem = next(p for p in result.problems if p.code == "changed_after_signing")
    assert problem.field == "signature_leader"
    assert "„Faglig udvikling, række 1, Aftaler og mål (konkrete og målbare)“" in problem.message
    assert result.signatures["signature_leader"].valid is False


def test_wrong_signer() -> None:
    signatures, problems = verdicts("wrong-signer.pdf")
    assert signatures["signature_leader"] == ("digital", False)
    assert ("signature_leader", "signature_wrong_signer", "error") in problems


def test_untrusted_root_is_a_warning() -> None:
    signatures, problems = verdicts("untrusted.pdf")
    assert signatures["signature_leader"] == ("digital", True)
    assert ("signature_leader", "signature_untrusted", "warning") in problems


@pytest.mark.parametrize(
    ("name", "key"),
    [
        pytest.param("drawn-ink.pdf", "signature_employee", id="ink"),
        pytest.param("drawn-image.pdf", "signature_leader", id="image"),
        pytest.param("drawn-paths.pdf", "signature_employee", id="strokes"),
    ],
)
def test_drawn_signature_verdict(name: str, key: str) -> None:
    signatures, _ = verdicts(name)
    assert signatures[key] == ("drawn", True)
