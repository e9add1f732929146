"""Fixtures shared by several test modules, by section."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from formflow.archive import Archive, FiledForm
from formflow.config import Settings
from formflow.model import CheckResult

# --- ingest -----------------------------------------------------------------------------------
# The ingest's and the daemon's tests file into a real archive in a temporary folder; only an
# injected failure (a full disk, a refusal) is not the archive's own doing.


class FlakyArchive(Archive):
    """The real archive; `failures` are raised by the next filings first, one each."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings.archive, settings)
        self.failures: list[BaseException] = []

    def file(
        self, data: bytes, result: CheckResult, *, state: str, arrived: datetime, source_name: str
    ) -> FiledForm:
        if self.failures:
            raise self.failures.pop(0)
        return super().file(data, result, state=state, arrived=arrived, source_name=source_name)

    def states(self) -> dict[str, str]:
        """sha256 -> archive state of every form filed."""
        return {row.sha256: row.state for row in self.forms(latest_only=False)}

    def audits(self) -> list[dict[str, Any]]:
        """The audit log's entries, oldest first."""
        return list(self.audit_log.entries())


@pytest.fixture
def archive(settings: Settings) -> FlakyArchive:
    """A real archive at `settings.archive` (each test module has its own `settings`)."""
    return FlakyArchive(settings)


def no_roster(tmp_path: Path) -> Path:
    """A roster path with no file: the archive decides identity by its own folders."""
    return tmp_path / "no-roster.csv"
