"""The roster and the rules for holding a form whose employee a person must confirm.

With a roster (settings.roster: a CSV of number,name,leader; header row optional; UTF-8 with
or without BOM; `;` or `,` separated; a header row may name further columns: position and
meeting date for the first round's forms, email for the round's mail), a form's employee
number must be on it and its name must match; a form without a number (seed 004) is the one
row with its name (`find_by_name`), else held naming the rows it may be. Without one, a new
number makes a new personnel folder, and a known number with a name the archive has never
seen for it is held.
The reasons are Danish (they are written beside the held form) and never repeat the name on
file for a number the form gives: the inbox is a shared folder. Only a form with no number
names the roster rows it may be (numbers and names), since the person deciding needs them.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from formflow.archive.records import valid_number
from formflow.errors import SettingsError

_HEADER_WORDS = {
    "number",
    "nr",
    "nr.",
    "nummer",
    "medarbejdernr",
    "medarbejdernr.",
    "medarbejdernummer",
    "employee_number",
}
# A header row names its columns; without one they are number, name, leader.
_COLUMN_WORDS = {
    "number": _HEADER_WORDS,
    "name": {"name", "navn", "employee_name", "medarbejder", "medarbejdernavn"},
    "leader": {"leader", "leder", "leader_name", "nærmeste leder"},
    "position": {"position", "stilling", "employee_position", "titel", "jobtitel"},
    "meeting_date": {"meeting_date", "mødedato", "samtaledato", "mus-dato"},
    "email": {"email", "e-mail", "mail", "e-mailadresse", "mailadresse"},
}
_POSITIONAL = {"number": 0, "name": 1, "leader": 2}


@dataclass(frozen=True)
class RosterEntry:
    number: str
    name: str
    leader: str = ""
    position: str = ""  # optional columns, named by a header row
    meeting_date: str = ""  # as written in the roster
    email: str = ""  # the round's mail goes here (`formflow remind`); a leader's is on their row


def parse_roster(text: str) -> dict[str, RosterEntry]:
    """The roster's entries by number; ValueError (English) on a malformed file."""
    text = text.removeprefix("\ufeff")
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return {}
    delimiter = ";" if lines[0].count(";") >= lines[0].count(",") and ";" in lines[0] else ","
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    columns = _POSITIONAL
    if rows and rows[0] and rows[0][0].strip().casefold() in _HEADER_WORDS:
        columns = _columns(rows.pop(0))
    entries: dict[str, RosterEntry] = {}
    for line_no, row in enumerate(rows, start=1):
        cells = [unicodedata.normalize("NFC", c).strip() for c in row]
        entry = RosterEntry(**{key: _cell(cells, at) for key, at in columns.items()})
        if not entry.number or not entry.name:
            raise ValueError(f"roster row {line_no}: expected number and name")
        if entry.number in entries:
            raise ValueError(f"roster row {line_no}: employee number {entry.number} appears twice")
        entries[entry.number] = entry
    return entries


def read_roster(path: Path) -> dict[str, RosterEntry] | None:
    """The roster file's entries by number, None when there is no roster file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"roster {path}: {error}") from error
    try:
        return parse_roster(text)
    except ValueError as error:
        raise SettingsError(f"roster {path}: {error}") from error


def _columns(header: list[str]) -> dict[str, int]:
    """Which column holds what, by the header's words (the first column is the number)."""
    columns = {"number": 0}
    for at, cell in enumerate(header[1:], start=1):
        word = " ".join(cell.casefold().split())
        for key, words in _COLUMN_WORDS.items():
            if word in words:
                columns.setdefault(key, at)
    if "name" not in columns:
        raise ValueError("roster header: no name column (navn or name)")
    return columns


def _cell(cells: list[str], at: int) -> str:
    return cells[at] if at < len(cells) else ""


def plain_same_person(a: str, b: str) -> bool:
    """Exact match after Unicode normalisation, case folding and collapsing whitespace."""

    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).casefold().split())

    return norm(a) == norm(b)


def same_name(a: str, b: str) -> bool:
    """The same name after normalising case, accents ("José" = "Jose") and spacing: strict
    enough to take a form without an employee number as this roster row's."""

    def norm(text: str) -> str:
        decomposed = unicodedata.normalize("NFKD", text.casefold())
        return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())

    return norm(a) == norm(b)


def find_by_name(
    name: str,
    roster: dict[str, RosterEntry],
    loosely: Callable[[str, str], bool] | None = None,
) -> RosterEntry | str:
    """The one roster row whose name is the form's (`same_name`), or the Danish reason to
    hold the form naming the rows that match `loosely` (typed-name tolerant) or by name:
    never a guess between two people of the same name."""
    if not name.strip():
        return "Skemaet mangler både medarbejdernummer og medarbejderens navn."
    same = [entry for entry in roster.values() if same_name(name, entry.name)]
    if len(same) == 1:
        return same[0]
    loosely = loosely or default_matcher()
    candidates = same or [entry for entry in roster.values() if loosely(name, entry.name)]
    if len(same) > 1:
        start = "Skemaet har intet medarbejdernummer, og navnet står flere gange i "
    else:
        start = "Skemaet har intet medarbejdernummer, og navnet står ikke i "
    listing = "; ".join(f"nr. {entry.number} {entry.name}" for entry in candidates)
    found = f"Mulige medarbejdere: {listing}." if candidates else "Ingen mulige medarbejdere."
    return f"{start}medarbejderlisten. {found} Skriv medarbejdernummeret på skemaet."


NO_NUMBER = "Skemaet mangler medarbejdernummer, så det kan ikke lægges i en personalemappe."


def roster_row(name: str, roster: dict[str, RosterEntry] | None) -> tuple[str, str, str] | str:
    """`find_by_name` as `decision.by_name` asks it: the row (number, name, leader), or the
    reason to hold the form (`NO_NUMBER` without a roster)."""
    if roster is None:
        return NO_NUMBER
    found = find_by_name(name, roster)
    return found if isinstance(found, str) else (found.number, found.name, found.leader)


def default_matcher() -> Callable[[str, str], bool]:
    """Typed-name tolerant matching (`formflow.signer_names`): "Birthe Å. Mølgaard" on file
    accepts "birthe moelgaard" on the form, a different person's name never."""
    from formflow.signer_names import names_match

    return names_match


def hold_reason(
    number: str,
    name: str,
    *,
    roster: dict[str, RosterEntry] | None,
    known_names: Iterable[str] | None,
    same_person: Callable[[str, str], bool] = plain_same_person,
) -> str | None:
    """Why a form for (number, name) must be held, in Danish; None when it may be filed.

    `roster` is None without a roster file; `known_names` are the names the archive holds for
    this number (None: a number the archive has never seen).
    """
    number = number.strip()
    if not number:
        return NO_NUMBER
    if not valid_number(number):
        return (
            "Medarbejdernummeret på skemaet kan ikke bruges: det må kun bestå af bogstaver og "
            "tal (højst 32 tegn)."
        )
    if not name.strip():
        return "Skemaet mangler medarbejderens navn."
    if roster is not None:
        entry = roster.get(number)
        if entry is None:
            return f"Medarbejdernr. {number} findes ikke i medarbejderlisten."
        if not same_person(name, entry.name):
            return (
                f"Navnet på skemaet passer ikke til medarbejdernr. {number} i "
                "medarbejderlisten. Tjek nummer og navn."
            )
        return None
    if known_names is None:
        return None
    known = list(known_names)
    if known and not any(same_person(name, other) for other in known):
        return (
            f"Navnet på skemaet passer ikke til det navn, der står i personalemappen for "
            f"medarbejdernr. {number}. Tjek nummer og navn."
        )
    return None
