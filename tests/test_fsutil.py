"""Crash-safe writing (`formflow.fsutil`): one mechanism, `TempFile`, for every durable write."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from formflow import fsutil
from formflow.fsutil import TempFile, save_file, write_bytes


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_file_written_in_place_replaces_the_old_one_whole(tmp_path: Path) -> None:
    target = tmp_path / "skema.txt"
    write_bytes(target, b"old")
    write_bytes(target, "ny æøå".encode(), mode=0o644)
    assert target.read_bytes() == "ny æøå".encode()
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert names(tmp_path) == ["skema.txt"]


def test_without_replace_an_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "aftaleskema-2026-v1.pdf"
    write_bytes(target, b"first", replace=False)
    with pytest.raises(FileExistsError):
        write_bytes(target, b"second", replace=False)
    assert target.read_bytes() == b"first"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert names(tmp_path) == ["aftaleskema-2026-v1.pdf"]  # no temporary file left


def test_an_error_while_writing_leaves_no_file_at_all(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), save_file(tmp_path / "half.zip") as handle:
        handle.write(b"half a zip")
        raise RuntimeError("the zip could not be finished")
    assert names(tmp_path) == []


def test_a_process_killed_while_writing_leaves_no_partial_file_under_the_name(
    tmp_path: Path,
) -> None:
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from formflow.fsutil import save_file\n"
        "with save_file(Path(sys.argv[1])) as handle:\n"
        "    handle.write(b'half a form')\n"
        "    handle.flush()\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    killed = subprocess.run([sys.executable, "-c", script, str(tmp_path / "skema.pdf")])
    assert killed.returncode == -9
    [left] = tmp_path.iterdir()  # only the temporary name, which every cleanup recognises
    assert left.name.startswith(fsutil.TEMP_PREFIX) and left.name.endswith(fsutil.TEMP_SUFFIX)


def test_bytes_are_fsynced_before_they_get_their_name_and_the_name_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real_fsync, real_link = os.fsync, os.link

    def fsync(fd: int) -> None:
        calls.append("fsync folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        real_fsync(fd)

    def link(src: object, dst: object) -> None:
        calls.append("link")
        real_link(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "link", link)
    write_bytes(tmp_path / "a.json", b"{}", replace=False)
    assert calls == ["fsync file", "link", "fsync folder"]


def test_a_staged_file_is_placed_in_another_folder_and_its_staging_name_removed(
    tmp_path: Path,
) -> None:
    staging, year = tmp_path / "incoming", tmp_path / "2026"
    staging.mkdir()
    year.mkdir()
    staged = TempFile(staging)
    staged.handle.write(b"%PDF-1.7 form")
    staged.seal()
    staged.place(year / "aftaleskema-2026-v1.pdf", sync=False)
    staged.discard()  # nothing left to do once placed
    assert (year / "aftaleskema-2026-v1.pdf").read_bytes() == b"%PDF-1.7 form"
    assert names(staging) == []


def test_a_staged_file_is_written_anew_where_a_link_cannot_reach(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Staged on another file system (EXDEV): written beside the target the same way."""
    staging, year = tmp_path / "incoming", tmp_path / "2026"
    staging.mkdir()
    year.mkdir()
    real_link = os.link

    def link(src: Path, dst: Path) -> None:
        if Path(src).parent != Path(dst).parent:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_link(src, dst)

    monkeypatch.setattr(os, "link", link)
    staged = TempFile(staging)
    staged.handle.write(b"record")
    staged.seal()
    staged.place(year / "aftaleskema-2026-v1.json")
    staged.discard()
    assert (year / "aftaleskema-2026-v1.json").read_bytes() == b"record"
    assert names(year) == ["aftaleskema-2026-v1.json"]
    assert names(staging) == []
    (year / "other").write_bytes(b"x")
    again = TempFile(staging)
    again.seal()
    with pytest.raises(FileExistsError):  # and never over an existing file, that way too
        again.place(year / "aftaleskema-2026-v1.json")
    again.discard()
    assert (year / "aftaleskema-2026-v1.json").read_bytes() == b"record"
    assert names(staging) == [] and names(year) == ["aftaleskema-2026-v1.json", "other"]


def test_a_file_system_without_links_is_an_error_not_a_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def link(src: Path, dst: Path) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", link)
    with pytest.raises(PermissionError):
        write_bytes(tmp_path / "a.pdf", b"x", replace=False)
    assert names(tmp_path) == []
