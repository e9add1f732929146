"""What becomes of a checked form: filed under which state, or sent back. Pure.

One decision for `formflow check` and `formflow watch`, so the two never disagree:

    valid preparation                          filed as "received"
    valid agreement                            filed as "signed"
    agreement complete but for one signature   filed as "awaiting_employee" / "awaiting_leader"
    anything else with an error                rejected, with its problems

An agreement the leader completed and signed is the normal step before the employee signs
(seed 004): it is filed as awaiting that signature, never sent back. A form to file without an
employee number is settled by its name in the roster first (`by_name`), by both commands, so
that they hold the same forms. The daemon may still hold a form it would file when the archive
cannot tell who the employee is (`Decision.held`); that needs the archive, so it is the
ingest's step, not this module's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from formflow.model import CheckResult, Extraction, Problem

Action = Literal["filed", "rejected", "held"]
ROLES = ("employee", "leader")


@dataclass(frozen=True)
class Decision:
    """The verdict on a form before anything is moved: filed (with its archive state),
    rejected (with its problems, errors first) or held (with the reason a person must see)."""

    action: Action
    state: str = ""
    problems: tuple[Problem, ...] = ()
    reason: str = ""  # held: why a person must decide
    # held: a scan's fields OCR could not read, for a person to transcribe (formflow.transcribe)
    transcribe: tuple[str, ...] = ()

    def held(self, reason: str) -> Decision:
        """This decision, held for a person to decide (the state it would be filed under kept)."""
        return replace(self, action="held", reason=reason)

    @property
    def awaiting(self) -> str | None:
        """The role whose signature the filed form awaits, if any."""
        role = self.state.removeprefix("awaiting_")
        return role if role != self.state else None


UNREAD_SCAN = "Skemaet er scannet, og nogle felter kunne ikke læses med sikkerhed."


def decide(result: CheckResult) -> Decision:
    """Filed with its archive state, held or rejected with its problems (errors first). A
    scan with places OCR could not read is held for a person to transcribe, valid or not:
    the answer there is unknown, and that is not the employee's fault. A form whose person
    the roster does not settle (`result.held`) is held with the state it would be filed
    under kept."""
    from formflow.transcribe import unread_keys

    unread = unread_keys(result)
    if unread:
        ordered = sorted(result.problems, key=lambda p: p.severity != "error")
        return Decision("held", problems=tuple(ordered), reason=UNREAD_SCAN, transcribe=unread)
    decision = _verdict(result)
    return decision.held(result.held) if result.held and decision.action == "filed" else decision


def _verdict(result: CheckResult) -> Decision:
    kind = result.extraction.kind
    if result.valid:
        return Decision("filed", "signed" if kind == "agreement" else "received")
    role = awaiting(result)
    if role is not None:
        return Decision("filed", f"awaiting_{role}")
    errors = tuple(p for p in result.problems if p.severity == "error")
    warnings = tuple(p for p in result.problems if p.severity != "error")
    return Decision("rejected", problems=errors + warnings)


def by_name(
    result: CheckResult,
    find: Callable[[str], tuple[str, str, str] | str],
    validate: Callable[[Extraction], CheckResult],
) -> CheckResult:
    """`result` for a form to file without an employee number (seed 004), settled by its name:
    `find(name)` gives the one roster row (number, name, leader), taken by `from_roster`, or
    the Danish reason to hold the form (two rows with that name, none, no roster), which the
    result then carries. A form with a number, or one sent back anyway, is left as it is."""
    if result.extraction.employee_number.strip() or decide(result).action != "filed":
        return result
    found = find(result.extraction.employee_name)
    if isinstance(found, str):
        return replace(result, held=found)
    return from_roster(result, found, validate)


def identified(result: CheckResult, reason: Callable[[str, str], str | None]) -> CheckResult:
    """`result`, held where the form would be filed but `reason(number, name)` says a person
    must first confirm whose it is (the roster's rules, as the daemon's archive applies
    them: a number not on the roster, a name that is not that number's)."""
    if result.held or decide(result).action != "filed":
        return result
    extraction = result.extraction
    why = reason(extraction.employee_number, extraction.employee_name)
    return replace(result, held=why) if why else result


def from_roster(
    result: CheckResult,
    row: tuple[str, str, str],
    validate: Callable[[Extraction], CheckResult],
) -> CheckResult:
    """`result` for a form without an employee number whose name is the roster row `row`
    (number, name, leader): the number, and the leader the form does not name, taken from the
    row and validated again (`validate`: the leader's typed signature is judged against the
    roster's leader), with a warning `number_from_roster` that says where they came from."""
    number, name, leader = row
    extraction = result.extraction
    fields = {**extraction.fields, "employee_number": number}
    also = ""
    if leader and not fields.get("leader_name", "").strip():
        fields["leader_name"] = leader
        also = " Lederen er også taget fra medarbejderlisten."
    warning = Problem(
        "employee_number",
        "warning",
        "number_from_roster",
        "Skemaet har intet medarbejdernummer; det er fundet ud fra navnet i medarbejderlisten "
        f"(nr. {number} {name}).{also}",
    )
    checked = validate(replace(extraction, fields=fields))
    return replace(checked, problems=(*checked.problems, warning))


def assigned_to(
    result: CheckResult,
    number: str,
    leader: str,
    who: str,
    validate: Callable[[Extraction], CheckResult],
) -> CheckResult:
    """`result` for a held form a person assigned to employee `number` (HR on the web page):
    that number, and the roster's `leader` where the form names none, validated again, with a
    warning `number_assigned` saying who assigned it and the number the form gave."""
    extraction = result.extraction
    fields = {**extraction.fields, "employee_number": number}
    if leader and not fields.get("leader_name", "").strip():
        fields["leader_name"] = leader
    said = extraction.employee_number.strip()
    warning = Problem(
        "employee_number",
        "warning",
        "number_assigned",
        f"Skemaet blev holdt til afklaring; {who} har lagt det i personalemappen for "
        f"medarbejder {number}" + (f" (skemaet angav nr. {said})." if said else "."),
    )
    checked = validate(replace(extraction, fields=fields))
    return replace(checked, problems=(*checked.problems, warning))


def rejected(problems: tuple[Problem, ...]) -> Decision:
    return Decision("rejected", problems=problems)


def held(reason: str) -> Decision:
    return Decision("held", reason=reason)


def awaiting(result: CheckResult) -> str | None:
    """The role whose signature alone keeps a complete agreement from being valid.

    "employee" is the normal step of seed 004 (the leader completes and signs, then the
    employee signs); "leader" the other order. Only that signature and its date may be wrong.
    """
    if result.extraction.kind != "agreement":
        return None
    errors = [p for p in result.problems if p.severity == "error"]
    for role in ROLES:
        key = f"signature_{role}"
        verdict = result.signatures.get(key)
        if verdict is None or verdict.kind != "missing":
            continue
        if errors and all(p.field in (key, f"{key}_date") for p in errors):
            return role
    return None
