"""Every command has help and every setting is documented (sqlite-utils' test_docs habit)."""

from __future__ import annotations

import importlib.util
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from formflow.cli import cli
from formflow.config import describe_settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        found.append((prefix + name, command))
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix}{name} ")
    return found


@pytest.mark.parametrize(
    ("name", "command"), _commands(cli), ids=lambda v: v if isinstance(v, str) else ""
)
def test_commands_have_help(name: str, command: click.Command) -> None:
    assert command.help, f"{name} is missing its help"
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{name} {param.opts[0]} is missing its help"


@pytest.mark.parametrize(
    ("name", "command"), _commands(cli), ids=lambda v: v if isinstance(v, str) else ""
)
def test_commands_are_in_the_readme(name: str, command: click.Command) -> None:
    assert f"formflow {name}" in README, f"README does not mention `formflow {name}`"


@pytest.mark.parametrize("key", [row[0] for row in describe_settings()])
def test_every_setting_is_documented_in_the_readme(key: str) -> None:
    assert f"`{key}`" in README, f"README's settings reference lacks `{key}`"


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys; from formflow.cli import cli; "
        "heavy = ('pypdf', 'pdfplumber', 'docx', 'reportlab', 'watchdog', 'pyhanko', 'lxml'); "
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# --- the Quick start ----------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def quick_start() -> list[str]:
    """The shell commands of the README's Quick start block, one per `&&` part."""
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return [
        part.strip()
        for line in block.splitlines()
        for part in line.split(" #", 1)[0].split("&&")
        if part.strip()
    ]


def test_quick_start_makes_a_virtual_environment_first() -> None:
    commands = quick_start()
    assert commands[:2] == ["python3 -m venv .venv", ". .venv/bin/activate"]
    assert any(command.startswith("formflow ") for command in commands)  # the main job
    assert "python -m pytest" in commands


@pytest.mark.parametrize("command", quick_start())
def test_quick_start_commands_exist(command: str) -> None:
    words = shlex.split(command)
    if words[:2] in (["python3", "-m"], ["python", "-m"]):
        assert importlib.util.find_spec(words[2]) is not None, f"no module {words[2]}"
    elif words == [".", ".venv/bin/activate"]:
        pass  # made by the venv command before it
    elif words[:3] == ["pip", "install", "-e"]:
        project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
        extras = project["project"]["optional-dependencies"]
        path, _, extra = words[3].partition("[")
        assert path == "." and extra.rstrip("]") in extras, words[3]
    elif words[0] == "formflow":
        context = click.Context(cli, info_name="formflow")
        subcommand = cli.get_command(context, words[1])
        assert subcommand is not None, command
        subcommand.make_context(words[1], words[2:], parent=context)  # raises on a wrong option
    else:
        pytest.fail(f"the Quick start has a command this test does not know: {command}")


def test_quick_start_main_job_runs_in_a_fresh_clone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A clone holds `inbox/` (its .gitkeep), the folder the main job needs and never makes."""
    (main_job,) = [c for c in quick_start() if c.startswith("formflow ")]
    for folder in ("inbox", "archive"):
        (tmp_path / folder).mkdir()
        shutil.copyfile(ROOT / folder / ".gitkeep", tmp_path / folder / ".gitkeep")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, shlex.split(main_job)[1:])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "archive" / "index.sqlite").exists()
    assert (tmp_path / "inbox" / ".gitkeep").exists()
