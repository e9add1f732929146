"""The readers' caches notice a changed definition file (the daemon runs for months).

`formflow.forms.library.load_definition` parses a definition once per version of its file,
keyed by the file's (mtime_ns, size, inode); `identify_title` compiles one pattern per title.
An organisation's own definition edited while formflow runs must be read again.
"""

from __future__ import annotations

import os
from pathlib import Path

from formflow.config import Settings, settings_from_dict
from formflow.forms.library import builtin_forms_dir, load_definition
from formflow.read import identify_title

OWN = "preparation-klinik"


def own_definition(folder: Path, title: str) -> Path:
    """The built-in preparation form saved as an organisation's own, under another title."""
    base = (builtin_forms_dir() / "preparation.toml").read_text(encoding="utf-8")
    path = folder / f"{OWN}.toml"
    path.write_text(
        base.replace('title = "Forberedelsesskema til MUS"', f'title = "{title}"', 1),
        encoding="utf-8",
    )
    return path


def settings_for(folder: Path) -> Settings:
    return settings_from_dict({"forms": {"directory": str(folder)}})


def test_an_edited_definition_is_loaded_again(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    own_definition(tmp_path, "Klinikkens forberedelse til MUS")
    first = load_definition(OWN, settings)
    assert first.title == "Klinikkens forberedelse til MUS"
    assert load_definition(OWN, settings) is first  # unchanged file: parsed once

    own_definition(tmp_path, "Klinikkens samtaleskema til MUS")
    assert load_definition(OWN, settings).title == "Klinikkens samtaleskema til MUS"


def test_an_edit_that_keeps_the_size_is_noticed_by_its_time(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    path = own_definition(tmp_path, "Klinikkens forberedelse A")
    assert load_definition(OWN, settings).title == "Klinikkens forberedelse A"
    before = path.stat()

    text = path.read_text(encoding="utf-8").replace("forberedelse A", "forberedelse B")
    with path.open("r+", encoding="utf-8") as file:  # same inode, same size
        file.write(text)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000))
    assert path.stat().st_size == before.st_size

    assert load_definition(OWN, settings).title == "Klinikkens forberedelse B"


def test_a_renamed_title_identifies_by_the_new_title_only(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    own_definition(tmp_path, "Klinikkens forberedelse til MUS")
    found = identify_title("Klinikkens forberedelse til MUS 2027", settings)
    assert (found.kind, found.year, found.definition) == ("preparation", 2027, OWN)

    own_definition(tmp_path, "Klinikkens samtaleskema til MUS")
    assert identify_title("Klinikkens forberedelse til MUS 2027", settings).kind is None
    found = identify_title("KLINIKKENS  samtaleskema til MUS\n2028", settings)
    assert (found.kind, found.year, found.definition) == ("preparation", 2028, OWN)
