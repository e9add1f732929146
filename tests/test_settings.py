"""Settings files: paths in them are the file's, wherever formflow is started."""

from __future__ import annotations

from pathlib import Path

import pytest

from formflow.config import load_settings


def test_forms_paths_are_relative_to_the_settings_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "ord.toml").write_text("", encoding="utf-8")
    (etc / "formflow.toml").write_text(
        '[forms]\ndirectory = "egne-skemaer"\nvocabulary = "ord.toml"\n', encoding="utf-8"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    settings = load_settings(etc / "formflow.toml")
    assert Path(settings.forms.directory) == etc.resolve() / "egne-skemaer"
    assert Path(settings.forms.vocabulary) == etc.resolve() / "ord.toml"


def test_absolute_forms_paths_stay_as_written(tmp_path: Path) -> None:
    folder = tmp_path / "skemaer"
    (tmp_path / "formflow.toml").write_text(f'[forms]\ndirectory = "{folder}"\n', "utf-8")
    assert Path(load_settings(tmp_path / "formflow.toml").forms.directory) == folder


def test_no_forms_folder_stays_unset(tmp_path: Path) -> None:
    (tmp_path / "formflow.toml").write_text("[forms]\n", "utf-8")
    settings = load_settings(tmp_path / "formflow.toml")
    assert settings.forms.directory == ""
    assert settings.forms.vocabulary == ""
