"""FolderMap: a personnel folder found by its number, listing the people folder only when it
changed in a way the map cannot follow."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import formflow.archive.folders as folders_module
from formflow.archive.folders import FolderMap


@pytest.fixture
def people(tmp_path: Path) -> Path:
    folder = tmp_path / "personale"
    folder.mkdir()
    (folder / "1042 Birthe Mølgaard").mkdir()
    (folder / "7 Åse Østergård").mkdir()
    return folder


@pytest.fixture
def listings(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every listing the map makes."""
    made: list[Path] = []
    real = folders_module._by_head

    def counted(people: Path) -> dict[str, list[str]]:
        made.append(people)
        return real(people)

    monkeypatch.setattr(folders_module, "_by_head", counted)
    return made


def test_finds_a_folder_by_number_whatever_its_name(people: Path) -> None:
    folders = FolderMap(people)
    assert folders.find("1042") == people / "1042 Birthe Mølgaard"
    assert folders.find("7") == people / "7 Åse Østergård"
    assert folders.find("104") is None  # a number is matched whole, not as a prefix
    assert folders.find("9") is None


def test_lists_once_while_nothing_changes(people: Path, listings: list[Path]) -> None:
    folders = FolderMap(people)
    for _ in range(3):
        folders.find("1042")
        folders.find("9")
    assert len(listings) == 1


def test_a_folder_made_elsewhere_is_found(people: Path, listings: list[Path]) -> None:
    folders = FolderMap(people)
    assert folders.find("55") is None
    (people / "55 Mads Ågård").mkdir()  # another process, or a person
    assert folders.find("55") == people / "55 Mads Ågård"
    assert len(listings) == 2


def test_our_own_new_folder_needs_no_new_listing(people: Path, listings: list[Path]) -> None:
    folders = FolderMap(people)
    assert folders.find("55") is None
    (people / "55 Mads Ågård").mkdir()
    folders.created(people / "55 Mads Ågård")
    assert folders.find("55") == people / "55 Mads Ågård"
    assert len(listings) == 1


def test_more_than_our_own_folder_makes_it_list_again(people: Path, listings: list[Path]) -> None:
    folders = FolderMap(people)
    assert folders.find("55") is None
    (people / "55 Mads Ågård").mkdir()
    (people / "56 Ida Ærø").mkdir()  # made by someone else meanwhile
    folders.created(people / "55 Mads Ågård")
    assert folders.find("56") == people / "56 Ida Ærø"
    assert len(listings) == 2


def test_a_folder_renamed_by_hand_is_found_under_its_new_name(people: Path) -> None:
    folders = FolderMap(people)
    assert folders.find("1042") == people / "1042 Birthe Mølgaard"
    time.sleep(0.05)  # a later clock tick: a rename changes only the folder's mtime
    (people / "1042 Birthe Mølgaard").rename(people / "1042 Birthe Mølgaard Hansen")
    assert folders.find("1042") == people / "1042 Birthe Mølgaard Hansen"
