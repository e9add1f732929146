"""Who a form belongs to: the roster and the rules for holding a form for a person to decide.

With a roster (settings.roster: a CSV of number,name,leader; header row optional; UTF-8 with
or without BOM; `;` or `,` separated), a form's employee number must be on it and its name
must match. Without one, a new number makes a new personnel folder, and a known number with a
name the archive has never seen for it is held. The reasons are Danish (they are written
beside the held form) and never repeat the name on file: the inbox is a shared folder.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from formflow.archive.records import valid_number

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


@dataclass(frozen=True)
class RosterEntry:
    number: str
    name: str
    leader: str = ""


def parse_roster(text: str) -> dict[str, RosterEntry]:
    """The roster's entries by number; ValueError (English) on a malformed file."""
    text = text.removeprefix("\ufeff")
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return {}
    delimiter = ";" if lines[0].count(";") >= lines[0].count(",") and ";" in lines[0] else ","
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    if rows and rows[0] and rows[0][0].strip().casefold() in _HEADER_WORDS:
        rows = rows[1:]
    entries: dict[str, RosterEntry] = {}
    for line_no, row in enumerate(rows, start=1):
        cells = [unicodedata.normalize("NFC", c).strip() for c in row]
        if len(cells) < 2 or not cells[0] or not cells[1]:
            raise ValueError(f"roster row {line_no}: expected number and name")
        if cells[0] in entries:
            raise ValueError(f"roster row {line_no}: employee number {cells[0]} appears twice")
        entries[cells[0]] = RosterEntry(cells[0], cells[1], cells[2] if len(cells) > 2 else "")
    return entries


def read_roster(path: Path) -> dict[str, RosterEntry] | None:
    """The roster file's entries, None without a roster file; SettingsError (English) when it
    cannot be read (`formflow check` reads it so; the archive keeps its own cached copy)."""
    from formflow.errors import SettingsError

    try:
        return parse_roster(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise SettingsError(f"roster {path}: {error}") from error


def plain_same_person(a: str, b: str) -> bool:
    """Exact match after Unicode normalisation, case folding and collapsing whitespace."""

    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).casefold().split())

    return norm(a) == norm(b)


def default_matcher() -> Callable[[str, str], bool]:
    """Typed-name tolerant matching (`formflow.names`): "Birthe Å. Mølgaard" on file accepts
    "birthe moelgaard" on the form, a different person's name never."""
    from formflow.names import names_match

    return names_match


def identity_reason(
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
        return "Skemaet mangler medarbejdernummer, så det kan ikke lægges i en personalemappe."
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
