"""The blank form a scan is registered to (formflow/scan/blank.py), kept in the archive's cache:
rendered and rasterised once, read back as the very same pixels and boxes, private, made again
from the kept PDF for another page or resolution or when a kept page is damaged, and never
needed for reading (a cache that cannot be written costs time only)."""

from __future__ import annotations

import logging
import stat
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from formflow.forms.definition import FormDefinition
from formflow.forms.library import load_definition
from formflow.scan import blank as blank_module
from formflow.scan.blank import BlankForm, blank_cache, blank_form

pytestmark = pytest.mark.needs("pdftoppm")

DPI = 60  # the pixels do not matter here, only that they are the same: small is fast
YEAR = 2026


@pytest.fixture(scope="module")
def agreement() -> FormDefinition:
    return load_definition("agreement")


@pytest.fixture(scope="module")
def uncached(agreement: FormDefinition) -> BlankForm:
    return blank_form(agreement, YEAR, DPI)


def refuse_rendering(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make rendering the blank PDF or rasterising a page fail the test."""

    def refused(*_: Any, **__: Any) -> Any:
        raise AssertionError("rendered again")

    monkeypatch.setattr("formflow.forms.render.render_bytes", refused)
    monkeypatch.setattr(blank_module, "_rasterised", refused)


def same(one: BlankForm, other: BlankForm) -> bool:
    pages = all(
        (a is None and b is None) or (a is not None and b is not None and np.array_equal(a, b))
        for a, b in zip(one.pages, other.pages, strict=True)
    )
    return pages and one.boxes == other.boxes and (one.kind, one.dpi) == (other.kind, other.dpi)


def kept_files(cache: Path) -> list[str]:
    return sorted(path.name for path in cache.rglob("*") if path.is_file())


def test_a_blank_is_kept_privately_and_read_back_without_rendering(
    agreement: FormDefinition, uncached: BlankForm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "blanks"
    made = blank_form(agreement, YEAR, DPI, {0}, cache)
    assert kept_files(cache) == [f"{DPI}-1.png", "blank.pdf"]
    assert made.pages[1] is None and np.array_equal(made.pages[0], uncached.pages[0])
    files = [path for path in cache.rglob("*") if path.is_file()]
    folders = [cache, *(path for path in cache.rglob("*") if path.is_dir())]
    assert {stat.S_IMODE(path.stat().st_mode) for path in files} == {0o600}
    assert {stat.S_IMODE(path.stat().st_mode) for path in folders} == {0o700}
    refuse_rendering(monkeypatch)
    assert same(blank_form(agreement, YEAR, DPI, {0}, cache), made)


def test_another_page_or_resolution_is_rasterised_from_the_kept_pdf(
    agreement: FormDefinition, uncached: BlankForm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "blanks"
    blank_form(agreement, YEAR, DPI, {0}, cache)
    monkeypatch.setattr(
        "formflow.forms.render.render_bytes", lambda *_: pytest.fail("rendered again")
    )
    assert same(blank_form(agreement, YEAR, DPI, None, cache), uncached)
    blank_form(agreement, YEAR, DPI + 10, {2}, cache)
    assert kept_files(cache) == [f"{DPI}-1.png", f"{DPI}-2.png", f"{DPI}-3.png",
                                 f"{DPI + 10}-3.png", "blank.pdf"]  # fmt: skip


def test_each_definition_and_year_is_kept_apart(agreement: FormDefinition, tmp_path: Path) -> None:
    cache = tmp_path / "blanks"
    blank_form(agreement, YEAR, DPI, {0}, cache)
    blank_form(agreement, YEAR + 1, DPI, {0}, cache)
    preparation = blank_form(load_definition("preparation"), YEAR, DPI, {0}, cache)
    assert len(list(cache.iterdir())) == 3
    assert preparation.kind == "preparation"
    assert same(blank_form(load_definition("preparation"), YEAR, DPI, {0}), preparation)


def test_a_damaged_kept_page_is_rasterised_again(
    agreement: FormDefinition, uncached: BlankForm, tmp_path: Path
) -> None:
    cache = tmp_path / "blanks"
    blank_form(agreement, YEAR, DPI, {0}, cache)
    (kept,) = cache.rglob(f"{DPI}-1.png")
    kept.write_bytes(kept.read_bytes()[:200])  # cut off, as a full disk might have left it
    again = blank_form(agreement, YEAR, DPI, {0}, cache)
    assert np.array_equal(again.pages[0], uncached.pages[0])
    assert len(kept.read_bytes()) > 200  # kept whole again


def test_a_kept_pdf_cut_short_is_rendered_again(
    agreement: FormDefinition, uncached: BlankForm, tmp_path: Path
) -> None:
    cache = tmp_path / "blanks"
    blank_form(agreement, YEAR, DPI, {0}, cache)
    (kept,) = cache.rglob("blank.pdf")
    whole = kept.read_bytes()
    kept.write_bytes(whole[: len(whole) // 2])
    (kept.parent / f"{DPI}-1.png").unlink()
    assert same(blank_form(agreement, YEAR, DPI, None, cache), uncached)
    assert b"%%EOF" in kept.read_bytes()[-32:]  # kept whole again


def test_a_cache_that_cannot_be_written_costs_time_only(
    agreement: FormDefinition, uncached: BlankForm, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "blanks"
    blocked.write_text("a file where the cache folder would be")
    with caplog.at_level(logging.WARNING, logger="formflow.scan.blank"):
        made = blank_form(agreement, YEAR, DPI, None, blocked)
    assert same(made, uncached)
    assert "cannot keep a blank form" in caplog.text


def test_the_cache_lives_in_the_archives_work_folder_once_there_is_one(tmp_path: Path) -> None:
    assert blank_cache(tmp_path / "missing") is None
    assert blank_cache(tmp_path) is None  # an archive formflow never worked in: nothing made
    (tmp_path / ".formflow").mkdir()
    assert blank_cache(tmp_path) == tmp_path / ".formflow" / "cache" / "blanks"
    assert sorted(path.name for path in tmp_path.rglob("*")) == [".formflow"]


@pytest.mark.slow
@pytest.mark.needs("tesseract")
def test_a_scan_read_in_an_installation_keeps_its_blank_and_reads_the_same_from_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_ocr import PAGE_ONE, page_image, scanned, scanned_page

    from formflow.config import Settings
    from formflow.read import read_data

    (tmp_path / ".formflow").mkdir()
    settings = Settings(archive=tmp_path)
    scan = scanned(scanned_page(page_image(PAGE_ONE)))
    first = read_data(scan, "scan.pdf", settings)
    assert kept_files(tmp_path / ".formflow" / "cache" / "blanks") == ["200-1.png", "blank.pdf"]
    refuse_rendering(monkeypatch)
    again = read_data(scan, "scan.pdf", settings)
    assert (again.fields, again.scan) == (first.fields, first.scan)
    assert again.fields["employee_name"] == PAGE_ONE["employee_name"]
