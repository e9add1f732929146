"""Validation: the rules of seeds 000, 001 and 004 over what a reader extracted.

`check` turns an `Extraction` into a `CheckResult`: a verdict per signature field and a list
of `Problem`s (data, not exceptions). A problem about a field carries the field's key; its
Danish message says what is wrong with the value, quoted as it was read („31.02.2026“), and
leaves naming the field to whoever shows it (`formflow.notices.field_name`), so a notice names
a field once. The rules are pure: the form definition, the arrival time and today's date come
in as arguments (`formflow.checking` loads the definition), digital signatures come already
examined by `formflow.read.signatures`.

A value the reader could not read (a date it could not normalise) arrives as a reading
Problem on that field; no rule here reports it again or reasons about its order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from formflow.config import Settings
from formflow.forms.definition import (
    RATING_SCORES,
    FormDefinition,
    GoalTable,
    SignatureRole,
    SignaturesBlock,
)
from formflow.model import (
    CheckResult,
    DigitalSignature,
    Extraction,
    Problem,
    Severity,
    Signature,
    SignatureKind,
)
from formflow.notices import field_name
from formflow.signer_names import names_match

# Every code validation emits, with what it means (stable: the daemon, reports and other tools
# key on them; never rename one).
CODES: dict[str, str] = {
    "unknown_form": "the form's kind/definition is unknown, so no rule could run",
    "required_missing": "a required field is empty or absent",
    "invalid_date": "a date field holds no real date (not ISO after reading, or e.g. 30.02)",
    "goal_end_before_start": "a goal's end date is before its start date",
    "status_out_of_range": "a status score is not a whole number 1-4",
    "mark_out_of_range": "a competence-wheel or smiley answer is not one mark 1-5",
    "colleague_input_empty": "a colleague's input says neither what they value nor any idea",
    "year_mismatch": "the form's MUS year differs from the year of its meeting date",
    "signature_date_before_meeting": "a signature is dated before the meeting",
    "date_in_future": "a signature date lies after today",
    "next_meeting_not_after_meeting": "the next meeting is not after this meeting",
    "next_meeting_too_late": "the next meeting is beyond validation.next_meeting_max_months",
    "followup_before_meeting": "a plan's follow-up date is not after the meeting",
    "preparation_late": "warning: the preparation form arrived after its deadline",
    "agreement_late": "warning: the agreement was completed after its deadline",
    "signature_missing": "a required signature is missing",
    "signature_kind_not_allowed": "the signature's kind is not accepted for that role",
    "signature_name_mismatch": "a typed signature names someone other than the role's person",
    "signature_wrong_role": "the other party's name is typed in this role's signature field",
    "signature_broken": "a digital signature is not intact or not cryptographically valid",
    "signature_wrong_signer": "a digital signature's certificate names someone else",
    "changed_after_signing": "fields other than the other party's signature changed after a "
    "digital signature",
    "signature_untrusted": "warning: a digital signature does not chain to a trusted root",
    "digital_signature_unmatched": "warning: a digital signature belongs to no role",
}

# Required on every form, whatever places it has (with the signatures and their dates).
ALWAYS_REQUIRED = frozenset({"employee_name", "meeting_date"})

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ROLE_WORDS = {
    "leader": ("lederen", "lederens"),
    "employee": ("medarbejderen", "medarbejderens"),
}
_KIND_WORDS = {"digital": "digitalt", "drawn": "i hånden", "typed": "med skrevet navn"}


def check(
    extraction: Extraction,
    definition: FormDefinition,
    settings: Settings,
    *,
    today: date,
    arrived: datetime | None = None,
) -> CheckResult:
    """Every rule of `definition` over one extracted form; `arrived` None leaves deadlines
    unjudged."""
    form = _Form(
        definition,
        extraction.fields,
        extraction.raw,
        _unreadable(extraction.problems),
        extraction.places,
    )
    signatures, signature_problems = signature_verdicts(extraction, definition, settings)
    problems = [
        *extraction.problems,
        *_required(form, signatures),
        *_real_dates(form),
        *_statuses(form),
        *_marks(form),
        *_colleague_input(form),
        *_goal_order(form),
        *_year(form, extraction.year),
        *_signature_dates(form, today),
        *_next_meeting(form, settings.validation.next_meeting_max_months),
        *_followups(form),
        *signature_problems,
        *_deadlines(form, settings, arrived),
    ]
    return CheckResult(extraction, signatures, tuple(problems))


def unknown_form(extraction: Extraction) -> CheckResult:
    """The verdict on a form whose definition is unknown: no rule could run."""
    unknown = _problem(
        None,
        "unknown_form",
        "Skemaet kunne ikke genkendes som et MUS-skema (forberedelsesskema eller "
        "aftaleskema). Brug et af de udleverede skemaer.",
    )
    return CheckResult(extraction, {}, (*extraction.problems, unknown))


# --- the form as validation sees it ------------------------------------------------------


@dataclass(frozen=True)
class _Form:
    definition: FormDefinition
    fields: Mapping[str, str]
    raw: Mapping[str, str]  # the text as written, where reading normalised it
    unreadable: frozenset[str]
    places: frozenset[str] | None = None  # an organisation's own form: its labels found

    @property
    def kind(self) -> str:
        return self.definition.kind

    def has_place(self, key: str) -> bool:
        """Whether the form has a place for `key`: every field of formflow's own forms; on
        an organisation's own form the labels found, and always the name and meeting date."""
        return self.places is None or key in self.places or key in ALWAYS_REQUIRED

    def value(self, key: str) -> str:
        return self.fields.get(key, "").strip()

    def quoted(self, key: str) -> str:
        """The value as the person wrote it, in Danish quotes: „1/12-26“."""
        return _quote(self.raw.get(key, "").strip() or self.value(key))

    def date(self, key: str) -> date | None:
        """The field's date, or None if empty, unreadable or not a real date."""
        if key in self.unreadable:
            return None
        return _parse_date(self.value(key))

    def keys_of_type(self, kind: str) -> list[str]:
        return [
            spec.key
            for spec in self.definition.fields
            if spec.type == kind and spec.key not in self.unreadable
        ]

    @property
    def roles(self) -> tuple[SignatureRole, ...]:
        return _roles(self.definition)


def _unreadable(problems: Iterable[Problem]) -> frozenset[str]:
    return frozenset(p.field for p in problems if p.field)


def _parse_date(value: str) -> date | None:
    if not _ISO_DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _roles(definition: FormDefinition) -> tuple[SignatureRole, ...]:
    blocks: list[SignaturesBlock] = definition.blocks(SignaturesBlock)
    return tuple(role for block in blocks for role in block.roles)


def _problem(field: str | None, code: str, message: str, severity: Severity = "error") -> Problem:
    assert code in CODES, code
    return Problem(field, severity, code, message)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _quote(text: str) -> str:
    """Text quoted the Danish way, the one style of quotes in every message."""
    return f"„{text}“"


def _danish(day: date) -> str:
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


# --- field rules -------------------------------------------------------------------------


def _required(form: _Form, signatures: Mapping[str, Signature]) -> list[Problem]:
    """Required header fields; on an agreement the next meeting and both signature dates.
    A field the form has no place for is not required (`_Form.has_place`); the signatures'
    dates always are."""
    keys = [spec.key for spec in form.definition.fields if spec.required]
    if form.kind == "agreement" and form.definition.has("next_meeting_date"):
        keys.append("next_meeting_date")
    keys = [key for key in keys if form.has_place(key)]
    for role in form.roles:
        verdict = signatures.get(role.signature.key)
        signed = verdict is not None and verdict.kind != "missing"
        if form.kind == "agreement" or signed:
            keys.append(role.date.key)
    return [
        _problem(key, "required_missing", "Feltet er ikke udfyldt. Udfyld det.")
        for key in dict.fromkeys(keys)
        if key not in form.unreadable and not form.value(key)
    ]


def _real_dates(form: _Form) -> list[Problem]:
    return [
        _problem(
            key,
            "invalid_date",
            f"{form.quoted(key)} er ikke en gyldig dato. "
            "Skriv en dato, der findes, f.eks. 23.11.2026.",
        )
        for key in form.keys_of_type("date")
        if form.value(key) and _parse_date(form.value(key)) is None
    ]


def _statuses(form: _Form) -> list[Problem]:
    return [
        _problem(
            key,
            "status_out_of_range",
            f"{form.quoted(key)} er ikke en status. Skriv et helt tal fra 1 til 4.",
        )
        for key in form.keys_of_type("status")
        if form.value(key) and form.value(key) not in ("1", "2", "3", "4")
    ]


def _marks(form: _Form) -> list[Problem]:
    """A wheel's 1-5 and a smiley's face: one mark each (two crosses in a row say nothing)."""
    advice = {
        "rating": "Sæt ét kryds fra 1 til 5 ud for kompetencen.",
        "face": "Sæt ét kryds under den smiley, der passer bedst.",
    }
    return [
        _problem(key, "mark_out_of_range", f"{form.quoted(key)} er ikke ét kryds. {advice[kind]}")
        for kind in advice
        for key in form.keys_of_type(kind)
        if form.value(key) and form.value(key) not in RATING_SCORES
    ]


def _colleague_input(form: _Form) -> list[Problem]:
    """A colleague's input holds something for the talk: what they value, or an idea."""
    if form.kind != "colleague_input" or form.value("valued") or form.value("ideas"):
        return []
    message = (
        "Skemaet er tomt. Skriv, hvad du sætter pris på i din kollegas arbejde, eller en idé "
        "til din kollegas udvikling."
    )
    return [_problem("valued", "colleague_input_empty", message)]


def _goal_order(form: _Form) -> list[Problem]:
    problems = []
    tables: list[GoalTable] = form.definition.blocks(GoalTable)
    for table in tables:
        for row in table.rows:
            by_column = {cell.key.rsplit("_", 1)[1]: cell.key for cell in row.cells}
            start, end = form.date(by_column["start"]), form.date(by_column["end"])
            if start and end and end < start:
                problems.append(
                    _problem(
                        by_column["end"],
                        "goal_end_before_start",
                        f"{form.quoted(by_column['end'])} ligger før startdatoen "
                        f"{form.quoted(by_column['start'])} i samme række.",
                    )
                )
    return problems


def _year(form: _Form, year: int | None) -> list[Problem]:
    meeting = form.date("meeting_date")
    if year is None or meeting is None or meeting.year == year:
        return []
    return [
        _problem(
            "meeting_date",
            "year_mismatch",
            f"{form.quoted('meeting_date')} ligger i {meeting.year}, men skemaet er til MUS "
            f"{year}. Ret datoen, eller brug skemaet for det rigtige år.",
        )
    ]


def _signature_dates(form: _Form, today: date) -> list[Problem]:
    meeting = form.date("meeting_date")
    problems = []
    for role in form.roles:
        key = role.date.key
        signed = form.date(key)
        if signed is None:
            continue
        # The preparation form is signed before the meeting; only the agreement after it.
        if form.kind == "agreement" and meeting is not None and signed < meeting:
            problems.append(
                _problem(
                    key,
                    "signature_date_before_meeting",
                    f"{form.quoted(key)} ligger før samtalen den {_danish(meeting)}. "
                    "Skemaet underskrives på eller efter samtalens dato.",
                )
            )
        if signed > today:
            problems.append(
                _problem(
                    key,
                    "date_in_future",
                    f"{form.quoted(key)} ligger ude i fremtiden. "
                    "Skriv den dato, skemaet blev underskrevet.",
                )
            )
    return problems


def _next_meeting(form: _Form, max_months: int) -> list[Problem]:
    meeting, following = form.date("meeting_date"), form.date("next_meeting_date")
    if meeting is None or following is None:
        return []
    written = form.quoted("next_meeting_date")
    if following <= meeting:
        return [
            _problem(
                "next_meeting_date",
                "next_meeting_not_after_meeting",
                f"{written} ligger ikke efter samtalen den {_danish(meeting)}. "
                "Skriv datoen for den næste samtale.",
            )
        ]
    if following > _add_months(meeting, max_months):
        return [
            _problem(
                "next_meeting_date",
                "next_meeting_too_late",
                f"{written} ligger mere end {max_months} måneder efter samtalen den "
                f"{_danish(meeting)}. MUS holdes hvert år; vælg en dato inden for et år.",
            )
        ]
    return []


def _add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for last in (day.day, 30, 29, 28):  # 31 January + 1 month -> 28/29 February
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def _followups(form: _Form) -> list[Problem]:
    meeting = form.date("meeting_date")
    if meeting is None:
        return []
    problems = []
    for key in form.keys_of_type("date"):
        if not re.fullmatch(r"plan_\d+_followup_date", key):
            continue
        followup = form.date(key)
        if followup is not None and followup <= meeting:
            problems.append(
                _problem(
                    key,
                    "followup_before_meeting",
                    f"{form.quoted(key)} skal ligge efter samtalen den {_danish(meeting)}.",
                )
            )
    return problems


def _deadlines(form: _Form, settings: Settings, arrived: datetime | None) -> list[Problem]:
    """Seed 004's week before and week after: late forms are filed with a warning."""
    meeting = form.date("meeting_date")
    if meeting is None:
        return []
    if form.kind == "preparation":
        if arrived is None:
            return []
        deadline = meeting - timedelta(days=settings.validation.preparation_deadline_days)
        if arrived.date() <= deadline:
            return []
        return [
            _problem(
                None,
                "preparation_late",
                f"Forberedelsesskemaet kom {_danish(arrived.date())}, men skulle afleveres "
                f"senest {_danish(deadline)}, {settings.validation.preparation_deadline_days} "
                "dage før samtalen.",
                "warning",
            )
        ]
    signed = [d for role in form.roles if (d := form.date(role.date.key)) is not None]
    completed = max(signed) if signed else (arrived.date() if arrived else None)
    if completed is None:
        return []
    deadline = meeting + timedelta(days=settings.validation.agreement_deadline_days)
    if completed <= deadline:
        return []
    return [
        _problem(
            None,
            "agreement_late",
            f"Aftaleskemaet blev færdigt {_danish(completed)}, men skulle være færdigt senest "
            f"{_danish(deadline)}, {settings.validation.agreement_deadline_days} dage efter "
            "samtalen.",
            "warning",
        )
    ]


# --- signatures --------------------------------------------------------------------------


def signature_verdicts(
    extraction: Extraction, definition: FormDefinition, settings: Settings
) -> tuple[dict[str, Signature], list[Problem]]:
    """A verdict per signature field of `definition`, and the problems behind them.

    Kinds are tried in order digital, drawn, typed, missing: a digital signature (by its
    field name or its signer) outranks ink in the box, which outranks a typed name.
    """
    roles = _roles(definition)
    persons = {role.role: extraction.fields.get(f"{role.role}_name", "").strip() for role in roles}
    digital, unmatched = _assign_digital(extraction.evidence.digital, roles, persons)
    verdicts: dict[str, Signature] = {}
    problems: list[Problem] = []
    for role in roles:
        verdict, found = _judge_role(
            role, roles, extraction, definition, persons, digital.get(role.role, [])
        )
        allowed = getattr(settings.signatures, role.role, None)
        if verdict.kind != "missing" and allowed is not None and verdict.kind not in allowed:
            found.append(_kind_not_allowed(role, verdict.kind, allowed))
            verdict = Signature(
                verdict.kind, False, verdict.signer, verdict.trusted, "kind not allowed"
            )
        required = definition.kind == "agreement" or role.role == "employee"
        if verdict.kind == "missing" and required:
            found.append(
                _problem(
                    role.signature.key,
                    "signature_missing",
                    f"Skemaet er ikke underskrevet her. Det skal underskrives af "
                    f"{_role_word(role.role)}.",
                )
            )
        verdicts[role.signature.key] = verdict
        problems.extend(found)
    for signature in unmatched:
        problems.append(
            _problem(
                None,
                "digital_signature_unmatched",
                f"Skemaet har en digital underskrift fra {_quote(signature.signer)}, som hverken "
                "er lederen eller medarbejderen på skemaet.",
                "warning",
            )
        )
    return verdicts, problems


def _role_word(role: str, genitive: bool = False) -> str:
    words = _ROLE_WORDS.get(role, (role, role + "s"))
    return words[1] if genitive else words[0]


def _assign_digital(
    signatures: Iterable[DigitalSignature],
    roles: tuple[SignatureRole, ...],
    persons: Mapping[str, str],
) -> tuple[dict[str, list[DigitalSignature]], list[DigitalSignature]]:
    """Each PDF signature to a role: by its field name first, else by who signed it."""
    assigned: dict[str, list[DigitalSignature]] = {}
    unmatched: list[DigitalSignature] = []
    for signature in signatures:
        role = next(
            (r.role for r in roles if signature.field.startswith(r.signature.key)), None
        ) or next(
            (
                r.role
                for r in roles
                if persons.get(r.role) and names_match(signature.signer, persons[r.role])
            ),
            None,
        )
        if role is None:
            unmatched.append(signature)
        else:
            assigned.setdefault(role, []).append(signature)
    return assigned, unmatched


def _judge_role(
    role: SignatureRole,
    roles: tuple[SignatureRole, ...],
    extraction: Extraction,
    definition: FormDefinition,
    persons: Mapping[str, str],
    digital: list[DigitalSignature],
) -> tuple[Signature, list[Problem]]:
    key = role.signature.key
    if digital:
        verdicts = [_judge_digital(role, roles, d, definition, persons) for d in digital]
        # Several PDF signatures for one role: one bad one spoils it.
        problems = [p for _, found in verdicts for p in found]
        worst = next((v for v, _ in verdicts if not v.valid), verdicts[-1][0])
        return worst, problems
    if key in extraction.evidence.drawn:
        return Signature("drawn", True, detail="ink or an image in the signature box"), []
    typed = extraction.fields.get(key, "").strip()
    if typed:
        return _judge_typed(role, roles, typed, persons)
    return Signature("missing", False), []


def _judge_typed(
    role: SignatureRole,
    roles: tuple[SignatureRole, ...],
    typed: str,
    persons: Mapping[str, str],
) -> tuple[Signature, list[Problem]]:
    key, person = role.signature.key, persons.get(role.role, "")
    if not person:
        # The missing name is reported on its own field (required_missing); this signature
        # cannot be judged until it is there.
        return Signature("typed", False, typed, detail=f"no {role.role}_name to compare"), []
    if names_match(typed, person):
        return Signature("typed", True, typed, detail=f"typed name matches {role.role}_name"), []
    other = next(
        (
            r
            for r in roles
            if r.role != role.role and persons.get(r.role) and names_match(typed, persons[r.role])
        ),
        None,
    )
    if other is not None:
        return Signature("typed", False, typed, detail=f"{other.role}'s name"), [
            _problem(
                key,
                "signature_wrong_role",
                f"Her står {_quote(typed)}, som er {_role_word(other.role, genitive=True)} "
                f"navn. Her skal {_role_word(role.role)} selv underskrive.",
            )
        ]
    return Signature("typed", False, typed, detail=f"does not match {role.role}_name"), [
        _problem(
            key,
            "signature_name_mismatch",
            f"{_quote(typed)} er ikke {_role_word(role.role, genitive=True)} navn "
            f"({_quote(person)}). Her skal {_role_word(role.role)} selv underskrive.",
        )
    ]


# What one look at a digital signature found: the verdict's detail, and the problem if any.
_Finding = tuple[str, Problem | None]


def _judge_digital(
    role: SignatureRole,
    roles: tuple[SignatureRole, ...],
    signature: DigitalSignature,
    definition: FormDefinition,
    persons: Mapping[str, str],
) -> tuple[Signature, list[Problem]]:
    """A digital signature judged for `role`: intact, by the role's person, nothing changed
    after it but the other parties' signing, from a trusted issuer."""
    person = persons.get(role.role, "")
    findings = [
        *_integrity(role, signature),
        *_signer(role, signature, person),
        *_changes(role, roles, signature, definition),
        *_trust(role, signature),
    ]
    problems = [problem for _, problem in findings if problem is not None]
    # Without the role's name the signer cannot be compared: not valid until it can be.
    valid = bool(person) and not any(p.severity == "error" for p in problems)
    detail = "; ".join(d for d, _ in findings) or signature.detail or "intact and valid"
    return Signature("digital", valid, signature.signer, signature.trusted, detail), problems


def _integrity(role: SignatureRole, signature: DigitalSignature) -> list[_Finding]:
    if signature.intact and signature.valid:
        return []
    problem = _problem(
        role.signature.key,
        "signature_broken",
        "Den digitale underskrift er ugyldig: dokumentet er ændret efter underskriften, "
        "eller underskriften er beskadiget. Skemaet skal underskrives igen.",
    )
    return [("not intact" if not signature.intact else "not valid", problem)]


def _signer(role: SignatureRole, signature: DigitalSignature, person: str) -> list[_Finding]:
    if not person:
        # Reported on the name field itself (required_missing).
        return [(f"no {role.role}_name to compare", None)]
    if names_match(signature.signer, person):
        return []
    problem = _problem(
        role.signature.key,
        "signature_wrong_signer",
        f"Den digitale underskrift er lavet af {_quote(signature.signer)}, ikke af "
        f"{_role_word(role.role)} ({_quote(person)}).",
    )
    return [(f"signer is not {role.role}_name", problem)]


def _changes(
    role: SignatureRole,
    roles: tuple[SignatureRole, ...],
    signature: DigitalSignature,
    definition: FormDefinition,
) -> list[_Finding]:
    changed = _changed_after(role, roles, signature.changed_fields)
    if not changed:
        return []
    names = _listing([_quote(field_name(definition, key)) for key in changed])
    problem = _problem(
        role.signature.key,
        "changed_after_signing",
        f"Efter {_role_word(role.role, genitive=True)} digitale underskrift er der ændret i "
        f"{names}. Underskriften gælder derfor ikke længere; skemaet skal underskrives igen.",
    )
    return [("changed after signing: " + ", ".join(changed), problem)]


def _trust(role: SignatureRole, signature: DigitalSignature) -> list[_Finding]:
    if signature.trusted:
        return []
    problem = _problem(
        role.signature.key,
        "signature_untrusted",
        "Den digitale underskrift er ikke udstedt af en certifikatudbyder, som formflow er sat "
        "op til at stole på.",
        "warning",
    )
    return [("untrusted", problem)]


def _listing(items: list[str]) -> str:
    """„a“, „b“ og „c“."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " og " + items[-1]


def _changed_after(
    role: SignatureRole, roles: tuple[SignatureRole, ...], changed: Iterable[str]
) -> list[str]:
    """Changes that void `role`'s signature: anything but the other parties' signing."""
    others = tuple(r.signature.key for r in roles if r.role != role.role)
    return sorted(name for name in changed if not name.startswith(others))


def _kind_not_allowed(role: SignatureRole, kind: SignatureKind, allowed: list[str]) -> Problem:
    accepted = " eller ".join(_KIND_WORDS[k] for k in allowed if k in _KIND_WORDS)
    rule = (
        f"{_capital(_role_word(role.role))} skal underskrive {accepted}."
        if accepted
        else "Skemaet kan ikke underskrives her."
    )
    return _problem(
        role.signature.key,
        "signature_kind_not_allowed",
        f"Feltet er underskrevet {_KIND_WORDS[kind]}, og det godtages ikke. {rule}",
    )
