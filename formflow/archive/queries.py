"""Reading the archive: filed forms and employees from the index, and who a form belongs to
by the roster (settings.roster) and the personnel folders (`roster` holds the rules)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from formflow.archive.books import Books
from formflow.archive.index import EmployeeRow
from formflow.archive.layout import Layout
from formflow.archive.records import FiledForm, FormRow, parse_folder_name, valid_number
from formflow.archive.roster import RosterEntry, hold_reason, parse_roster
from formflow.errors import ArchiveError, SettingsError

RosterCache = tuple[tuple[int, int], dict[str, RosterEntry]]  # (mtime_ns, size), entries


class Queries:
    """The archive's answers about filed forms, employees and the roster."""

    def __init__(
        self,
        layout: Layout,
        books: Books,
        roster_path: Path,
        same_person: Callable[[str, str], bool],
    ) -> None:
        self.layout = layout
        self.books = books
        self.index = books.index
        self.roster_path = roster_path
        self.same_person = same_person
        self._roster_cache: RosterCache | None = None

    # --- filed forms and employees --------------------------------------------------------

    def find_by_hash(self, sha256: str) -> FiledForm | None:
        """The filed form with exactly these bytes, if any."""
        row = self.index.find_by_hash(sha256)
        if row is None or not (self.layout.root / row.record).is_file():
            return None
        return FiledForm.from_row(self.layout.root, row, duplicate=True)

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
        return self.index.forms(year=year, employee=employee, kind=kind, latest_only=latest_only)

    def employees(self) -> list[EmployeeRow]:
        return self.index.employees()

    def find_employee(self, query: str) -> EmployeeRow:
        """The employee with this number, else the only one with this name."""
        people = self.employees()
        query = query.strip()
        for person in people:
            if person.number == query:
                return person
        matches = [p for p in people if self.same_person(query, p.name)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            numbers = ", ".join(p.number for p in matches)
            raise ArchiveError(f"several employees match that name (numbers {numbers})")
        raise ArchiveError("no employee with that number or name in the archive")

    def personnel_file(self, query: str) -> tuple[EmployeeRow, list[FormRow]]:
        """Every version of every form of one employee (audited as viewed)."""
        person = self.find_employee(query)
        rows = self.forms(employee=person.number, latest_only=False)
        self.books.audit("viewed", employee=person.number, forms=len(rows))
        return person, rows

    def folder_of(self, number: str) -> Path | None:
        """The personnel folder of `number`: found by number, whatever name it shows.

        The index knows it for every number it has seen; the folders are the truth for the
        rest (a new employee, an index that lags after a crash), through `FolderMap`."""
        known = self.index.folder_of(number)
        if known is not None and (self.layout.root / known).is_dir():
            return self.layout.root / known
        return self.layout.folders.find(number)

    # --- the roster -----------------------------------------------------------------------

    def roster(self) -> dict[str, RosterEntry] | None:
        """The roster's entries, None without a roster file (re-read when the file changes)."""
        path = self.roster_path
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise SettingsError(f"roster {path}: {error}") from error
        key = (stat.st_mtime_ns, stat.st_size)
        if self._roster_cache and self._roster_cache[0] == key:
            return self._roster_cache[1]
        try:
            entries = parse_roster(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise SettingsError(f"roster {path}: {error}") from error
        self._roster_cache = (key, entries)
        return entries

    def check_identity(self, number: str, name: str) -> str | None:
        """A Danish reason to hold a form for (number, name), or None to file it."""
        number = number.strip()
        roster = self.roster()
        known: list[str] | None = None
        if roster is None and valid_number(number):  # a roster decides alone
            folder = self.folder_of(number)
            if folder is not None:
                parsed = parse_folder_name(folder.name)
                known = [parsed[1]] if parsed else []
                known += self.index.names_of(number)
        return hold_reason(
            number, name, roster=roster, known_names=known, same_person=self.same_person
        )
