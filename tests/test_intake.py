"""Safe intake: links, special files and limits are refused without following or blocking."""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from pathlib import Path

import pytest

from formflow.errors import UnreadableForm
from formflow.intake import (
    Vanished,
    lstat_identity,
    open_dropped,
    remove_original,
    same_file,
)

LIMIT = 1_000_000


def _code(inbox: Path, path: Path) -> str:
    with pytest.raises(UnreadableForm) as caught:
        open_dropped(inbox, path, max_bytes=LIMIT)
    assert caught.value.message  # a Danish sentence for the employee
    return caught.value.code


def test_reads_a_plain_file_whole(inbox: Path) -> None:
    path = inbox / "salg" / "Aftale Søren Ærø.pdf"
    path.parent.mkdir()
    data = b"%PDF-1.7\n" + os.urandom(3 * 1024 * 1024 // 4) + b"\n%%EOF\n"
    path.write_bytes(data)
    dropped = open_dropped(inbox, path, max_bytes=10 * LIMIT)
    assert dropped.data == data
    assert dropped.sha256 == hashlib.sha256(data).hexdigest()
    assert str(dropped.relative) == "salg/Aftale Søren Ærø.pdf"
    assert dropped.identity == lstat_identity(path)


def test_symlink_to_a_file_outside(inbox: Path, outside: Path) -> None:
    link = inbox / "skema.pdf"
    link.symlink_to(outside / "hemmelig.pdf")
    assert _code(inbox, link) == "symlink"


def test_symlink_inside_the_inbox_is_not_followed_either(inbox: Path) -> None:
    (inbox / "a.pdf").write_bytes(b"%PDF-1.7 %%EOF")
    link = inbox / "b.pdf"
    link.symlink_to(inbox / "a.pdf")
    assert _code(inbox, link) == "symlink"


def test_file_reached_through_a_linked_folder_is_outside(inbox: Path, outside: Path) -> None:
    (inbox / "afdeling").symlink_to(outside, target_is_directory=True)
    assert _code(inbox, inbox / "afdeling" / "hemmelig.pdf") == "outside_inbox"


def test_hardlink_is_refused(inbox: Path, outside: Path) -> None:
    link = inbox / "skema.pdf"
    os.link(outside / "hemmelig.pdf", link)
    assert _code(inbox, link) == "hardlink"


def test_fifo_is_refused_without_blocking(inbox: Path) -> None:
    fifo = inbox / "skema.pdf"
    os.mkfifo(fifo)
    result: list[str] = []
    worker = threading.Thread(target=lambda: result.append(_code(inbox, fifo)), daemon=True)
    worker.start()
    worker.join(timeout=5)
    assert result == ["not_a_file"], "opening a FIFO must never block"


@pytest.mark.skipif(os.geteuid() != 0, reason="creating a device node needs root")
def test_device_is_refused(inbox: Path) -> None:
    device = inbox / "skema.pdf"
    os.mknod(device, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # like /dev/null
    assert _code(inbox, device) == "not_a_file"


def test_too_big_is_refused_before_reading(inbox: Path) -> None:
    path = inbox / "stor.pdf"
    path.write_bytes(b"x" * (LIMIT + 1))
    assert _code(inbox, path) == "too_big"


def test_empty_is_refused(inbox: Path) -> None:
    path = inbox / "tom.pdf"
    path.write_bytes(b"")
    assert _code(inbox, path) == "empty"


def test_a_file_gone_before_reading_vanished(inbox: Path) -> None:
    with pytest.raises(Vanished):
        open_dropped(inbox, inbox / "væk.pdf", max_bytes=LIMIT)


def test_remove_original_only_the_same_file(inbox: Path) -> None:
    path = inbox / "skema.pdf"
    path.write_bytes(b"first")
    identity = lstat_identity(path)
    path.unlink()
    path.write_bytes(b"second, dropped under the same name")
    assert not same_file(path, identity)
    assert remove_original(path, identity) is False
    assert path.exists()
    assert remove_original(path, lstat_identity(path)) is True
    assert not path.exists()
    assert remove_original(path, identity) is False  # already gone: nothing to do
