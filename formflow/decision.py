"""What becomes of a checked form: filed under which state, or sent back. Pure.

One decision for `formflow check` and `formflow watch`, so the two never disagree:

    valid preparation                          filed as "received"
    valid agreement                            filed as "signed"
    agreement complete but for one signature   filed as "awaiting_employee" / "awaiting_leader"
    anything else with an error                rejected, with its problems

An agreement the leader completed and signed is the normal step before the employee signs
(seed 004): it is filed as awaiting that signature, never sent back. The daemon may still
hold a form it would file when the archive cannot tell who the employee is (`Decision.held`);
that needs the archive, so it is the ingest's step, not this module's.
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
    """Filed with its archive state, or rejected with its problems (errors first); a scan
    with places OCR could not read is held for a person to transcribe, valid or not: the
    answer there is unknown, and that is not the employee's fault."""
    from formflow.transcribe import unread_keys

    unread = unread_keys(result)
    if unread:
        ordered = sorted(result.problems, key=lambda p: p.severity != "error")
        return Decision("held", problems=tuple(ordered), reason=UNREAD_SCAN, transcribe=unread)
    kind = result.extraction.kind
    if result.valid:
        return Decision("filed", "signed" if kind == "agreement" else "received")
    role = awaiting(result)
    if role is not None:
        return Decision("filed", f"awaiting_{role}")
    errors = tuple(p for p in result.problems if p.severity == "error")
    warnings = tuple(p for p in result.problems if p.severity != "error")
    return Decision("rejected", problems=errors + warnings)


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
