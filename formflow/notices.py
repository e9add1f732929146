"""The plain Danish explanation placed beside a returned form (`<name>.txt`), pure text.

A rejected form goes back to the employee in the inbox's rejected folder; the explanation
says what is wrong, in which field (its Danish label, as printed on the form), how to fix it,
and ends with what to do: "Ret skemaet og læg det i indbakken igen." A held form waits in the
held folder for a person (HR, the leader) to decide; its explanation says why.

Written for people, not programs: no codes up front, no English, no stack traces. The codes
follow at the bottom in brackets so support can search for them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from formflow.forms.definition import FormDefinition
from formflow.model import Problem

RESUBMIT = "Ret skemaet og læg det i indbakken igen."

# Advice for the few refusals whose message says what broke but not what to do (the readers'
# and validation's messages already end with what to do).
FIXES: dict[str, str] = {
    "cannot_open": "Gem skemaet igen som PDF eller Word (.docx), og læg den nye fil i indbakken.",
    "too_many_pages": "Brug det udleverede skema uden ekstra sider.",
    "not_a_form": "Brug det MUS-skema, du har fået udleveret.",
}


def labels_of(definition: FormDefinition) -> dict[str, str]:
    """Contract key -> the label a person sees, with its row: `Startdato (Faglig udvikling)`."""
    return {spec.key: spec.title for spec in definition.fields}


def rejection_notice(
    source_name: str,
    problems: Sequence[Problem],
    *,
    labels: Mapping[str, str],
    received: datetime,
) -> str:
    """Why a form came back, what to fix, field by field; ends with what to do next."""
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]
    lines = _heading(f"Skemaet »{source_name}« er sendt retur", received)
    lines.append("Skemaet kunne ikke arkiveres, fordi:")
    lines.append("")
    lines += _problem_lines(errors, labels)
    if warnings:
        lines += ["Desuden (ikke en fejl, men værd at se på):", ""]
        lines += _problem_lines(warnings, labels)
    lines += [
        RESUBMIT,
        "Du kan slette denne fil og det returnerede skema, når det rettede skema er modtaget.",
        "",
        _codes(problems),
    ]
    return "\n".join(lines) + "\n"


def held_notice(source_name: str, reason: str, *, received: datetime) -> str:
    """Why a form waits for a person to decide (whose it is is unclear, or it could not be
    filed)."""
    lines = _heading(f"Skemaet »{source_name}« afventer afklaring", received)
    lines += [
        "Skemaet er ikke arkiveret endnu. En person skal tage stilling til det, fordi:",
        "",
        f"  {reason}",
        "",
        "En person (HR eller lederen) afgør, hvad der skal ske med skemaet. Er der en fejl i "
        "navnet eller medarbejdernummeret på skemaet, så ret det, og læg skemaet i indbakken "
        "igen.",
        "",
    ]
    return "\n".join(lines) + "\n"


# --- helpers --------------------------------------------------------------------------------


def _heading(title: str, received: datetime) -> list[str]:
    return [title, "=" * len(title), f"Modtaget {received:%d.%m.%Y kl. %H.%M}", ""]


def _problem_lines(problems: Sequence[Problem], labels: Mapping[str, str]) -> list[str]:
    lines: list[str] = []
    for number, problem in enumerate(problems, start=1):
        where = ""
        if problem.field:
            where = f"Feltet »{labels.get(problem.field, problem.field)}«: "
        lines.append(f"{number:2}. {where}{problem.message}")
        fix = FIXES.get(problem.code)
        if fix:
            lines.append(f"    Sådan retter du det: {fix}")
        lines.append("")
    return lines


def _codes(problems: Sequence[Problem]) -> str:
    codes = ", ".join(dict.fromkeys(p.code for p in problems))
    return f"[fejlkoder til support: {codes}]" if codes else ""
