"""Need to know: whose personnel file a user of `formflow serve` may see (pure).

HR sees everyone; a leader sees the employees they lead, by the rule `formflow status` and
carry-over follow (`rounds.leader_of`: the roster's leader, without a roster or an entry
whom the latest filed form names); an employee sees only their own file. Only people the
archive or the roster knows have a file: any other number is as unseen as one that is not
the user's to see, so nobody can probe which numbers exist.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from formflow.archive.records import valid_number
from formflow.rounds import leader_of, same_text
from formflow.web.users import User, UsersError

# number -> (number, name, leader) as `Index.people` gives them
People = Mapping[str, tuple[Any, str, str]]
Roster = Mapping[str, Any] | None  # number -> an entry with .name and .leader


def leader_of_employee(number: str, roster: Roster, people: People) -> str:
    """The leader `number` belongs to ("" for none)."""
    entry = roster.get(number) if roster is not None else None
    folder = people.get(number)
    return leader_of(entry.leader if entry is not None else None, folder[2] if folder else None)


def is_known(number: str, roster: Roster, people: People) -> bool:
    return number in people or (roster is not None and number in roster)


def may_see(user: User, number: str, roster: Roster, people: People) -> bool:
    """Whether `user` may see the personnel file of `number` (False for a number nobody
    knows, whoever asks)."""
    if not is_known(number, roster, people):
        return False
    if user.role == "hr":
        return True
    if user.role == "employee":
        return number == user.person
    if user.role == "leader":
        return same_text(leader_of_employee(number, roster, people), user.person)
    return False


def name_of(number: str, roster: Roster, people: People) -> str:
    """The employee's name: the roster's, else the personnel folder's."""
    entry = roster.get(number) if roster is not None else None
    if entry is not None:
        return str(entry.name)
    folder = people.get(number)
    return folder[1] if folder else ""


def resolve_person(
    role: str,
    person: str,
    roster: Roster,
    people: People,
    same_person: Callable[[str, str], bool] = same_text,
) -> tuple[str, str | None]:
    """The person a new user of `role` stands for, and a warning (English) or None.

    An employee's person is their number: given as the number, or as a name that exactly
    one person on the roster (else in the archive) carries. A leader's is their name as
    `leader_of` gives it; a name that leads nobody yet is kept with a warning."""
    person = " ".join(person.split())
    if role == "employee":
        return _employee_number(person, roster, people, same_person)
    if role == "leader" and person:
        numbers = set(people) | set(roster or {})
        if not any(same_text(leader_of_employee(n, roster, people), person) for n in numbers):
            return person, f"no employee has {person!r} as leader (yet): check the spelling"
    return person, None


def _employee_number(
    person: str, roster: Roster, people: People, same_person: Callable[[str, str], bool]
) -> tuple[str, str | None]:
    if is_known(person, roster, people):
        return person, None
    names = {n: str(e.name) for n, e in roster.items()} if roster is not None else {}
    if not names:
        names = {n: row[1] for n, row in people.items()}
    matches = sorted(n for n, name in names.items() if same_person(person, name))
    if len(matches) == 1:
        return matches[0], None
    if matches:
        raise UsersError(f"several employees have that name (numbers {', '.join(matches)})")
    if valid_number(person):
        return person, f"employee number {person} is not on the roster or in the archive (yet)"
    raise UsersError("no employee with that number or name on the roster or in the archive")
