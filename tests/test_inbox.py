"""The inbox's pure rules: filters, the stability tracker, completeness and safe names."""

from __future__ import annotations

import io
import os
import unicodedata
import zipfile
from pathlib import PurePath

import pytest

from formflow.inbox import (
    MAX_NAME_BYTES,
    StabilityTracker,
    is_candidate,
    is_ignored_name,
    looks_complete,
    pdf_complete,
    sanitize_name,
    shown_text,
    unique_name,
    zip_complete,
)

OWN = ("afvist", "til-afklaring")


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("~$aftale.docx", id="word_owner_file"),
        pytest.param(".~lock.aftale.docx#", id="libreoffice_lock"),
        pytest.param("aftale.docx.tmp", id="tmp"),
        pytest.param("aftale.pdf.part", id="part"),
        pytest.param("aftale.pdf.crdownload", id="chrome_download"),
        pytest.param("AFTALE.PDF.TMP", id="tmp_uppercase"),
        pytest.param(".hemmelig.pdf", id="hidden"),
        pytest.param("Thumbs.db", id="thumbs"),
        pytest.param("thumbs.db", id="thumbs_lowercase"),
        pytest.param("desktop.ini", id="desktop_ini"),
        pytest.param(".DS_Store", id="ds_store"),
        pytest.param("@eaDir", id="synology"),
        pytest.param("", id="empty"),
    ],
)
def test_ignored_names(name: str) -> None:
    assert is_ignored_name(name)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("aftaleskema 2026.pdf", id="pdf"),
        pytest.param("Forberedelse Søren Ærø.docx", id="danish"),
        pytest.param("~skema.pdf", id="tilde_not_lock"),
        pytest.param("skema", id="no_extension"),
        pytest.param("tmp.pdf", id="tmp_in_stem"),
    ],
)
def test_forms_are_not_ignored(name: str) -> None:
    assert not is_ignored_name(name)


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        pytest.param("skema.pdf", True, id="top"),
        pytest.param("salg/skema.pdf", True, id="department"),
        pytest.param("salg/nord/skema.pdf", True, id="nested_department"),
        pytest.param("afvist/skema.pdf", False, id="rejected_folder"),
        pytest.param("til-afklaring/skema.pdf", False, id="held_folder"),
        pytest.param("salg/afvist/skema.pdf", False, id="department_rejected"),
        pytest.param("AFVIST/skema.pdf", False, id="rejected_case_insensitive"),
        pytest.param("@eaDir/skema.pdf", False, id="synology_folder"),
        pytest.param(".snapshot/skema.pdf", False, id="hidden_folder"),
        pytest.param("salg/~$skema.docx", False, id="lock_in_department"),
    ],
)
def test_candidates(relative: str, expected: bool) -> None:
    assert is_candidate(PurePath(relative), OWN) is expected


def test_tracker_waits_for_the_window() -> None:
    tracker = StabilityTracker(window=2.0)
    tracker.observe("a.pdf", 100, 1, now=10.0)
    assert tracker.stable(now=11.9) == []
    tracker.observe("a.pdf", 100, 1, now=11.9)  # unchanged: the window keeps running
    assert tracker.stable(now=12.0) == ["a.pdf"]


def test_tracker_restarts_the_window_on_change() -> None:
    tracker = StabilityTracker(window=2.0)
    tracker.observe("a.pdf", 100, 1, now=10.0)
    tracker.observe("a.pdf", 200, 2, now=11.5)  # still being written
    assert tracker.stable(now=12.5) == []
    tracker.observe("a.pdf", 200, 3, now=12.6)  # same size, new mtime: still being written
    assert tracker.stable(now=14.0) == []
    assert tracker.stable(now=14.6) == ["a.pdf"]


def test_tracker_slow_writer_never_stable_while_growing() -> None:
    tracker = StabilityTracker(window=2.0)
    for second in range(30):
        tracker.observe("slow.pdf", 1000 * second, second, now=float(second))
        assert tracker.stable(now=float(second) + 0.5) == []


def test_tracker_forgets_missing_and_orders_oldest_first() -> None:
    tracker = StabilityTracker(window=1.0)
    tracker.observe("b.pdf", 1, 1, now=5.0)
    tracker.observe("a.pdf", 1, 1, now=3.0)
    tracker.observe("c.pdf", 1, 1, now=4.0)
    assert tracker.stable(now=10.0) == ["a.pdf", "c.pdf", "b.pdf"]
    assert tracker.forget_missing(["a.pdf"]) == ["b.pdf", "c.pdf"]
    assert tracker.pending() == ["a.pdf"]
    tracker.forget("a.pdf")
    assert len(tracker) == 0


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>" * 100)
    return buffer.getvalue()


def test_pdf_completeness() -> None:
    assert pdf_complete(b"%PDF-1.7\n...\nstartxref\n123\n%%EOF\n")
    assert not pdf_complete(b"%PDF-1.7\n...\nstream\n")
    # %%EOF of an earlier revision far from the end does not count (a half-copied update)
    assert not pdf_complete(b"%%EOF" + b"x" * 2000)


def test_zip_completeness() -> None:
    data = _zip_bytes()
    assert zip_complete(data)
    assert not zip_complete(data[: len(data) - 10])
    assert not zip_complete(b"")


@pytest.mark.parametrize(
    ("head", "body", "whole", "expected"),
    [
        pytest.param(b"%PDF-1.7", b"%PDF-1.7 ... %%EOF\n", False, True, id="pdf_whole"),
        pytest.param(b"%PDF-1.7", b"%PDF-1.7 ... obj", False, False, id="pdf_cut"),
        pytest.param(b"PK\x03\x04", _zip_bytes(), True, True, id="zip_whole"),
        pytest.param(b"PK\x03\x04", _zip_bytes()[:40], True, False, id="zip_cut"),
        pytest.param(b"PK\x03\x04", b"", False, False, id="zip_needs_whole"),
        pytest.param(b"\x89PNG\r\n", b"...", False, True, id="other_types_have_no_marker"),
    ],
)
def test_looks_complete(head: bytes, body: bytes, whole: bool, expected: bool) -> None:
    assert looks_complete(head, body, whole=whole) is expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("aftale.pdf", "aftale.pdf", id="plain"),
        pytest.param("../../etc/passwd", "_.._etc_passwd", id="traversal"),
        pytest.param("..", "skema", id="dotdot"),
        pytest.param("a\x00b\x1bc\nd.pdf", "abcd.pdf", id="control_characters"),
        pytest.param(".skjult.pdf", "skjult.pdf", id="leading_dot"),
        pytest.param("C:\\Users\\x.pdf", "C__Users_x.pdf", id="windows_path"),
        pytest.param("Søren Ærø.pdf", "Søren Ærø.pdf", id="danish_kept"),
    ],
)
def test_sanitize_name(name: str, expected: str) -> None:
    assert sanitize_name(name) == expected


def test_sanitize_makes_nfc() -> None:
    nfd = unicodedata.normalize("NFD", "Mølgård.pdf")
    assert nfd != "Mølgård.pdf"
    assert sanitize_name(nfd) == "Mølgård.pdf"


def test_sanitize_shortens_long_names_keeping_the_extension() -> None:
    name = "æ" * 300 + ".docx"
    safe = sanitize_name(name)
    assert safe.endswith(".docx")
    assert len(safe.encode("utf-8")) <= MAX_NAME_BYTES
    safe.encode("utf-8").decode("utf-8")  # not cut inside a character


def test_unique_name_avoids_case_and_nfd_collisions_and_the_notice() -> None:
    assert unique_name("skema.pdf", []) == "skema.pdf"
    assert unique_name("skema.pdf", ["SKEMA.PDF"]) == "skema (2).pdf"
    assert unique_name("skema.pdf", ["skema.pdf", "skema (2).pdf"]) == "skema (3).pdf"
    assert unique_name("skema.pdf", ["skema.pdf.txt"]) == "skema (2).pdf"
    nfd = unicodedata.normalize("NFD", "Mølgård.pdf")
    assert unique_name("Mølgård.pdf", [nfd]) == "Mølgård (2).pdf"
    assert unique_name("README", ["readme"]) == "README (2)"


def test_unique_name_stays_short() -> None:
    name = sanitize_name("ø" * 300 + ".pdf")
    other = unique_name(name, [name])
    assert other.endswith(" (2).pdf")
    assert len(other.encode("utf-8")) <= MAX_NAME_BYTES


def test_a_name_that_is_not_utf8_can_be_shown() -> None:
    """Undecodable bytes (surrogates from os.fsdecode) become `_` in a name to create and
    are escaped in text to store; both are valid UTF-8."""
    name = os.fsdecode(b"skema-\xe6\xf8.pdf")
    assert sanitize_name(name) == "skema-__.pdf"
    assert shown_text(name) == "skema-\\xe6\\xf8.pdf"
    assert sanitize_name(os.fsdecode(b"\xff\xfe.pdf")) == "__.pdf"
    for text in (sanitize_name(name), shown_text(name)):
        text.encode("utf-8")
