"""The rejected and held folders: real folders inside the inbox, links never followed."""

from __future__ import annotations

import os
from pathlib import Path, PurePath

import pytest

from formflow.returns import NotAFolder, folder_mode, notice_mode, open_folder, return_folder


def test_take_never_overwrites_and_keeps_links_as_links(inbox: Path, outside: Path) -> None:
    link = inbox / "genvej.pdf"
    link.symlink_to(outside / "hemmelig.pdf")
    with return_folder(inbox, "afvist", PurePath()) as folder:
        name = folder.free_name(link.name)
        folder.take(link, inbox, name)
        target = inbox / "afvist" / name
        assert target.is_symlink() and not os.path.lexists(link)
        assert (outside / "hemmelig.pdf").read_bytes().startswith(b"%PDF")  # untouched
        (inbox / "genvej.pdf").write_bytes(b"ny")
        with pytest.raises(FileExistsError):
            folder.take(inbox / "genvej.pdf", inbox, name)
        assert folder.free_name("GENVEJ.PDF") == "GENVEJ (2).PDF"


def test_free_name_sanitizes(inbox: Path) -> None:
    with return_folder(inbox, "afvist", PurePath("salg")) as folder:
        name = folder.free_name("../../\x07etc.pdf")
        assert folder.path == inbox / "afvist" / "salg"
    assert "/" not in name and "\x07" not in name


@pytest.mark.parametrize("kind", ["link", "file"])
def test_open_folder_refuses_what_is_no_real_folder(inbox: Path, outside: Path, kind: str) -> None:
    (inbox / "afvist").mkdir()
    if kind == "link":
        (inbox / "afvist" / "salg").symlink_to(outside)
    else:
        (inbox / "afvist" / "salg").write_bytes(b"x")
    with pytest.raises(NotAFolder) as caught:
        open_folder(inbox, ("afvist", "salg", "nord"), modes=(0o700, 0o700, 0o700))
    assert caught.value.relative == PurePath("afvist/salg")
    assert sorted(os.listdir(outside)) == ["hemmelig.pdf"]  # nothing created through it


def test_write_is_whole_with_its_mode(inbox: Path) -> None:
    old = os.umask(0o077)
    try:
        with return_folder(inbox, "afvist", PurePath()) as folder:
            folder.write("skema.pdf.txt", "Forklaring æøå\n".encode(), 0o640)
            folder.write("skema.pdf.txt", b"igen\n", 0o640)  # a redo after a restart
    finally:
        os.umask(old)
    written = inbox / "afvist" / "skema.pdf.txt"
    assert written.read_bytes() == b"igen\n"
    assert oct(written.stat().st_mode & 0o777) == "0o640"
    assert os.listdir(inbox / "afvist") == ["skema.pdf.txt"]  # no temporary left


@pytest.mark.parametrize(
    ("form", "notice"), [(0o600, 0o600), (0o400, 0o600), (0o640, 0o640), (0o666, 0o644),
                         (0o604, 0o604), (None, 0o600)],
)  # fmt: skip
def test_notice_mode(form: int | None, notice: int) -> None:
    assert notice_mode(form) == notice


def test_folder_mode() -> None:
    assert folder_mode(0o40755) == 0o755
    assert folder_mode(0o2770) == 0o2770  # setgid kept: the share's group stays
    assert folder_mode(0o4555) == 0o755  # setuid dropped, formflow may write
