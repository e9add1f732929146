"""`formflow watch` refuses folders it cannot watch safely, at start, touching nothing.

An archive inside the inbox (`--archive inbox/arkiv`) made the daemon take its own index and
audit log for forms; a mistyped inbox became a second, empty inbox. Both are refused before
anything is created or moved, with both paths named and exit status 5.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from formflow.cli import cli, main
from formflow.config import Settings, check_watch_folders
from formflow.errors import FolderError
from formflow.watch import Services, run_watch


def tree(folder: Path) -> list[str]:
    """Every path under `folder`, relative: what the refused start must leave as it was."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def no_services(settings: Settings, stop: threading.Event) -> Services:
    pytest.fail("the daemon started although its folders should have been refused")


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with an inbox holding one dropped form; relative paths start here."""
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "aftale.pdf").write_bytes(b"%PDF-1.7 dropped form\n%%EOF\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def refused(settings: Settings) -> str:
    with pytest.raises(FolderError) as error:
        run_watch(settings, once=True, services=no_services)
    return str(error.value)


def test_an_archive_inside_the_inbox_is_refused(workspace: Path) -> None:
    before = tree(workspace)
    message = refused(Settings(inbox=Path("inbox"), archive=Path("inbox/arkiv")))
    assert f"archive inbox/arkiv (= {workspace}/inbox/arkiv) lies inside inbox inbox" in message
    assert tree(workspace) == before  # no archive, no lock, no afvist/ or til-afklaring/


def test_an_inbox_inside_the_archive_is_refused(workspace: Path) -> None:
    (workspace / "archive").mkdir()
    (workspace / "inbox").rename(workspace / "archive" / "inbox")
    before = tree(workspace)
    message = refused(Settings(inbox=Path("archive/inbox"), archive=Path("archive")))
    assert "inbox archive/inbox" in message and "lies inside archive archive" in message
    assert tree(workspace) == before


@pytest.mark.parametrize(
    "archive",
    [
        pytest.param("inbox", id="same_path"),
        pytest.param("archive/../inbox", id="dot_dot"),
        pytest.param("link-to-inbox", id="symlink"),
    ],
)
def test_one_folder_as_both_is_refused(workspace: Path, archive: str) -> None:
    (workspace / "link-to-inbox").symlink_to(workspace / "inbox")
    before = tree(workspace)
    message = refused(Settings(inbox=Path("inbox"), archive=Path(archive)))
    assert f"inbox inbox (= {workspace}/inbox) and archive {archive}" in message
    assert "are the same folder" in message
    assert tree(workspace) == before


def test_an_archive_under_a_symlink_into_the_inbox_is_refused(workspace: Path) -> None:
    (workspace / "shared").symlink_to(workspace / "inbox", target_is_directory=True)
    message = refused(Settings(inbox=workspace / "inbox", archive=workspace / "shared" / "arkiv"))
    assert f"(= {workspace}/inbox/arkiv) lies inside inbox {workspace}/inbox" in message


@pytest.mark.parametrize("inbox", ["inbx", "aftale.pdf"], ids=["missing", "a_file"])
def test_an_inbox_that_is_not_a_folder_is_refused(workspace: Path, inbox: str) -> None:
    (workspace / "aftale.pdf").write_bytes(b"%PDF")
    before = tree(workspace)
    message = refused(Settings(inbox=Path(inbox), archive=Path("archive")))
    state = "does not exist" if inbox == "inbx" else "is not a folder"
    assert f"inbox {inbox} (= {workspace}/{inbox}) {state}" in message
    assert tree(workspace) == before  # neither a second inbox nor an archive was made


@pytest.mark.parametrize("archive", ["archive", "inbox-arkiv", "../elsewhere/archive"])
def test_separate_folders_pass(workspace: Path, archive: str) -> None:
    check_watch_folders(Settings(inbox=Path("inbox"), archive=Path(archive)))


def test_the_cli_refuses_before_touching_anything(workspace: Path) -> None:
    before = tree(workspace)
    result = CliRunner().invoke(cli, ["watch", "--once", "--archive", "inbox/arkiv"])
    assert isinstance(result.exception, FolderError)
    assert "archive inbox/arkiv" in str(result.exception)
    assert "lies inside inbox inbox" in str(result.exception)
    assert tree(workspace) == before


def test_the_command_exits_5_with_both_paths(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["formflow", "watch", "--once", "--inbox", "indbakke"])
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 5
    error = capsys.readouterr().err
    assert error.startswith(f"Error: inbox indbakke (= {workspace}/indbakke) does not exist")
    assert "Traceback" not in error
    assert not (workspace / "indbakke").exists() and not (workspace / "archive").exists()
