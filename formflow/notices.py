"""The plain Danish explanation placed beside a returned form (`<name>.txt`), pure text.

A rejected form goes back to the employee in the inbox's rejected folder; the explanation
says what is wrong, in which field (its Danish label, as printed on the form), how to fix it,
and ends with what to do: "Ret skemaet og læg det i indbakken igen." A held form waits in the
held folder for a person (HR, the leader) to decide; its explanation says why.

Written for people, not programs: no codes up front, no English, no stack traces. The codes
follow at the bottom in brackets so support can search for them. A problem about a field is
one line that names the field once, as a person finds it on the form (`field_name`), followed
by the problem's message, which quotes the value that was read: `Faglig udvikling, række 2,
Startdato: „31.02.2026“ findes ikke i kalenderen.` Quotes are the Danish „…“ everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from formflow.forms.definition import (
    FormDefinition,
    GoalTable,
    Grid,
    RowTable,
    SignaturesBlock,
)
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
    """Contract key -> the field's name as a notice gives it (`field_name`)."""
    return {spec.key: field_name(definition, spec.key) for spec in definition.fields}


def field_name(definition: FormDefinition, key: str) -> str:
    """How a person finds a field on the form: `Faglig udvikling, række 2, Startdato`.

    A table cell is named by its row, then its column; a goal row's number only where its
    category has several rows. A key the definition does not know is named by itself.
    """
    if not definition.has(key):
        return key
    spec = definition.field(key)
    signatures: list[SignaturesBlock] = definition.blocks(SignaturesBlock)
    if any(key == role.signature.key for block in signatures for role in block.roles):
        return spec.label
    goals: list[GoalTable] = definition.blocks(GoalTable)
    for goal_table in goals:
        for goal in goal_table.rows:
            if spec in goal.cells:
                last_time = " fra sidste MUS" if goal_table.prefix.startswith("prev") else ""
                several = len(goal_table.rows_of(goal.category)) > 1
                number = f", række {goal.number}" if several else ""
                return f"{goal.category.label}{last_time}{number}, {spec.label}"
    tables: list[RowTable] = definition.blocks(RowTable)
    for table in tables:
        if spec in table.fields:
            column = "" if spec.label == table.title else f", {spec.label}"
            return f"{table.title}, række {spec.row}{column}"
    grids: list[Grid] = definition.blocks(Grid)
    for grid in grids:
        for row in grid.rows:
            if spec in row.cells:
                return f"{row.label}, {spec.label}"
    return spec.title


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
    lines = _heading(f"Skemaet „{source_name}“ er sendt retur", received)
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
    lines = _heading(f"Skemaet „{source_name}“ afventer afklaring", received)
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


def transcription_notice(
    source_name: str, unread: Sequence[str], copy: str, *, received: datetime
) -> str:
    """Why a scanned form waits for a person: the fields OCR could not read with certainty
    (`unread`, as a person finds them on the form), and what to do with the copy beside it."""
    lines = _heading(f"Det scannede skema „{source_name}“ afventer afklaring", received)
    lines += [
        "Skemaet er ikke arkiveret endnu. Det er scannet, og disse felter kunne ikke læses "
        "med sikkerhed (håndskrift, utydelig tekst eller en underskrift, der ikke kan "
        "bedømmes automatisk):",
        "",
        *(f"  - {label}" for label in unread),
        "",
        f"Ved siden af ligger en udfyldelig kopi af skemaet, „{copy}“, hvor alt det, der "
        "kunne læses med sikkerhed, er udfyldt. En person (HR eller lederen) udfylder de "
        "manglende felter ud fra det scannede skema og lægger kopien i indbakken. Kopien "
        "arkiveres som afskrift af det scannede skema, som forbliver originalen; "
        "underskrifterne bedømmes på det scannede skema. Er skemaet underskrevet på papiret, "
        "skriv underskriverens navn i underskriftsfeltet på kopien: underskriften gælder som "
        "den tegnede på papiret, aldrig som en skrevet. Flyt ikke det scannede skema herfra, "
        "før kopien er arkiveret.",
        "",
        "Det er ikke medarbejderens fejl; skemaet skal ikke sendes igen.",
        "",
        "[scan_unread]",
    ]
    return "\n".join(lines) + "\n"


# --- helpers --------------------------------------------------------------------------------


def _heading(title: str, received: datetime) -> list[str]:
    return [title, "=" * len(title), f"Modtaget {received:%d.%m.%Y kl. %H.%M}", ""]


def _problem_lines(problems: Sequence[Problem], labels: Mapping[str, str]) -> list[str]:
    lines: list[str] = []
    for number, problem in enumerate(problems, start=1):
        # The field is named here, once: a problem's message is about the value, not the field.
        where = f"{labels.get(problem.field, problem.field)}: " if problem.field else ""
        lines.append(f"{number:2}. {where}{problem.message}")
        fix = FIXES.get(problem.code)
        if fix:
            lines.append(f"    Sådan retter du det: {fix}")
        lines.append("")
    return lines


def _codes(problems: Sequence[Problem]) -> str:
    codes = ", ".join(dict.fromkeys(p.code for p in problems))
    return f"[fejlkoder til support: {codes}]" if codes else ""
