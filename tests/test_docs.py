"""Every command has help and every setting is documented (sqlite-utils' test_docs habit)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest

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
