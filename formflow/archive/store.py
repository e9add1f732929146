"""The archive as the rest of formflow sees it: one `Archive` over the jobs done on it.

Opening an archive makes its folders (`layout`), rebuilds an index from an older schema or
none (`books`) and clears what an interrupted filing staged. The jobs live in modules of
their own: `filing` (file a form, with the recovery of an interrupted filing and the
`staging` of its files), `queries` (forms, employees, the roster), `maintenance` (verify,
reindex) and `export` (the GDPR access export).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from formflow.archive.audit import AuditLog, MetaValue
from formflow.archive.books import Books
from formflow.archive.export import export_person
from formflow.archive.filing import Filing
from formflow.archive.index import EmployeeRow, Index
from formflow.archive.layout import AUDIT_HEAD_NAME, AUDIT_NAME, INDEX_NAME, Layout
from formflow.archive.maintenance import Maintenance
from formflow.archive.queries import Queries
from formflow.archive.records import FiledForm, FormRow
from formflow.archive.roster import RosterEntry, default_matcher
from formflow.config import Settings
from formflow.errors import ArchiveError
from formflow.model import CheckResult


def _now() -> datetime:
    return datetime.now().astimezone()


class Archive:
    """The personnel file under `root` (settings.archive)."""

    def __init__(
        self,
        root: Path,
        settings: Settings | None = None,
        *,
        clock: Callable[[], datetime] = _now,
        same_person: Callable[[str, str], bool] | None = None,
    ) -> None:
        self.root = root
        self.settings = settings or Settings()
        self.clock = clock
        self.same_person = same_person or default_matcher()
        self.layout = Layout(root)
        self.people = self.layout.people
        self.work = self.layout.work
        self.index = Index(root / INDEX_NAME)
        self.audit_log = AuditLog(
            root / AUDIT_NAME, clock, head_path=self.layout.work / AUDIT_HEAD_NAME
        )
        self._books = Books(self.layout, self.index, self.audit_log)
        self._queries = Queries(self.layout, self._books, self.settings.roster, self.same_person)
        self._filing = Filing(self.layout, self._books, self._queries, clock)
        self._maintenance = Maintenance(self.layout, self._books)
        try:
            self.layout.prepare()
        except OSError as error:
            raise ArchiveError(f"cannot prepare the archive at {root}: {error}") from error
        if not self.index.is_current():
            with self.layout.exclusive():
                self._books.rebuild_index()
        self.layout.clear_incoming(wait=False)

    @classmethod
    def open(cls, settings: Settings) -> Archive:
        return cls(settings.archive, settings)

    # --- filing (`filing`) ----------------------------------------------------------------

    def file(
        self,
        data: bytes,
        result: CheckResult,
        *,
        state: str,
        arrived: datetime,
        source_name: str,
        transcription: tuple[str, bytes] | None = None,
    ) -> FiledForm:
        """File a read and checked form; the same bytes twice give the first filing back (a
        scan may come with a person's transcription: `Filing.file`)."""
        return self._filing.file(
            data,
            result,
            state=state,
            arrived=arrived,
            source_name=source_name,
            transcription=transcription,
        )

    def record_generated(
        self, data: bytes, *, employee: str, name: str, year: int, kind: str, fmt: str
    ) -> FiledForm:
        """Keep a form formflow made for the employee (carry-over) in their personnel folder."""
        return self._filing.record_generated(
            data, employee=employee, name=name, year=year, kind=kind, fmt=fmt
        )

    # --- queries (`queries`) --------------------------------------------------------------

    def find_by_hash(self, sha256: str) -> FiledForm | None:
        """The filed form with exactly these bytes, if any."""
        return self._queries.find_by_hash(sha256)

    def forms(
        self,
        *,
        year: int | None = None,
        employee: str | None = None,
        kind: str | None = None,
        latest_only: bool = True,
    ) -> list[FormRow]:
        """Filed forms; with `latest_only` one per (employee, year, kind): the one that counts
        (the highest version, a form from the employee before one formflow generated)."""
        return self._queries.forms(year=year, employee=employee, kind=kind, latest_only=latest_only)

    def employees(self) -> list[EmployeeRow]:
        return self._queries.employees()

    def find_employee(self, query: str) -> EmployeeRow:
        """The employee with this number, else the only one with this name."""
        return self._queries.find_employee(query)

    def personnel_file(self, query: str) -> tuple[EmployeeRow, list[FormRow]]:
        """Every version of every form of one employee (audited as viewed)."""
        return self._queries.personnel_file(query)

    def transcriptions(self, rows: Iterable[FormRow]) -> dict[str, str]:
        """For the filed scans among `rows` that a person transcribed: the row's record ->
        the transcription's file beside the original (from the records themselves)."""
        from formflow.archive.layout import decoded, read_bytes

        found = {}
        for row in rows:
            with contextlib.suppress(OSError):
                record = decoded(read_bytes(self.root / row.record))
                copy = (record or {}).get("transcription") or {}
                if isinstance(copy, dict) and copy.get("file"):
                    found[row.record] = str(copy["file"])
        return found

    def roster(self) -> dict[str, RosterEntry] | None:
        """The roster's entries, None without a roster file (re-read when the file changes)."""
        return self._queries.roster()

    def check_identity(self, number: str, name: str) -> str | None:
        """A Danish reason to hold a form for (number, name), or None to file it."""
        return self._queries.check_identity(number, name)

    # --- the audit log, verify and reindex (`maintenance`), export (`export`) ---------------

    def audit(self, action: str, **meta: MetaValue) -> None:
        """Append to the audit log: hashes, numbers, states, codes; never form contents."""
        self._books.audit(action, **meta)

    def reindex(self) -> int:
        """Rebuild the index from the records; complete or clear interrupted filings
        (`Maintenance.reindex`). Returns the number of forms indexed."""
        return self._maintenance.reindex()

    def verify(self) -> list[str]:
        """Every inconsistency found, in English (empty when all is well); audited."""
        return self._maintenance.verify()

    def export(self, employee: str, out: Path) -> Path:
        """A zip of everything held on one employee (GDPR access request); audited."""
        return export_person(self, employee, out)
