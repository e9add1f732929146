"""`formflow demo`: the whole round on a fresh workspace, told in plain words."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from formflow.cli import cli
from formflow.demo import fill_docx, run_demo
from formflow.forms.docx import read_content_controls
from formflow.forms.library import load_definition
from formflow.forms.render import render_bytes


def test_demo_files_rejects_and_carries_over(tmp_path: Path) -> None:
    told: list[str] = []
    folder = tmp_path / "mus-demo"
    result = run_demo(folder, say=told.append)
    assert result.filed == {"1001": "signed", "1002": "awaiting_employee", "1004": "received"}
    assert result.rejected == ("aftaleskema-carla.pdf",)
    assert result.held == ()
    reason = (folder / "inbox" / "afvist" / "aftaleskema-carla.pdf.txt").read_text("utf-8")
    assert "findes ikke i kalenderen" in reason and "Slutdato" in reason
    (made,) = result.made
    assert made.is_file() and made.parent.name == "1001 Anna-Ærø"
    text = "\n".join(told)
    assert "filed for 1002 as awaiting employee" in text
    assert "1005 Eva Holm: forberedelse mangler; aftale mangler" in text
    assert "venter på medarbejderens underskrift" in text  # carry-over's reason, in Danish
    assert str(made) in text


def test_demo_makes_the_web_pages_users_with_passwords_kept_private(tmp_path: Path) -> None:
    from formflow.config import load_settings
    from formflow.web.users import Users

    folder = tmp_path / "mus-demo"
    told: list[str] = []
    result = run_demo(folder, say=told.append)
    assert set(result.users) == {"hanne", "lise", "anna"}
    users = Users.of_archive(load_settings(folder / "formflow.toml").archive)
    signed_in = {
        login: users.authenticate(login, password) for login, password in result.users.items()
    }
    assert {login: (u.role, u.person) for login, u in signed_in.items() if u} == {
        "hanne": ("hr", ""),
        "lise": ("leader", "Lise Løvgren"),
        "anna": ("employee", "1001"),
    }
    kept = folder / "demo-brugere.txt"
    assert kept.stat().st_mode & 0o777 == 0o600
    assert kept.read_text("utf-8").split() == [
        word for login, password in result.users.items() for word in (login, password)
    ]
    assert any("formflow serve" in line for line in told)
    again = run_demo(folder, force=True, say=told.append)
    assert again.users == {}
    assert users.authenticate("anna", result.users["anna"]) is not None


def test_demo_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "formflow", "demo", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "is not empty; choose another folder or use --force" in done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt"]


@pytest.mark.slow
def test_demo_command_with_force_keeps_what_was_there(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me", encoding="utf-8")
    result = CliRunner().invoke(cli, ["demo", str(tmp_path), "--force"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "mine.txt").read_text(encoding="utf-8") == "keep me"
    assert "made for 1001 Anna Ærø" in result.output


def test_fill_docx_writes_into_the_tagged_controls() -> None:
    blank = render_bytes(load_definition("agreement"), 2026, {}, "docx")
    filled = fill_docx(blank, {"employee_name": "Bent Bødker", "summary": "Godt år, “flot”"})
    values = read_content_controls(filled)
    assert values["employee_name"] == "Bent Bødker"
    assert values["summary"] == "Godt år, “flot”"
    assert values["leader_name"] == ""
