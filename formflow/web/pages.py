"""What the web pages show, in Danish: the round of a year and one employee's personnel file.

Built from the archive's index, its records and its audit log; nothing here decides who may
see what (`access` does, before any of this is called) and nothing here writes.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from formflow.archive import FormRow
from formflow.archive.index import Look
from formflow.archive.layout import read_record
from formflow.archive.records import PEOPLE_FOLDER, STATE_WORDS, file_stem
from formflow.charts import FiledWheel, wheels_across_years
from formflow.config import Settings
from formflow.display import shown
from formflow.forms.definition import Competence
from formflow.reasons import reason_words
from formflow.rounds import (
    AGREEMENT_STATES,
    AGREEMENT_WORDS,
    PREPARATION_STATES,
    PREPARATION_WORDS,
    StatusRow,
    danish_date,
    followup_words,
    preparation_words,
)
from formflow.web.goals import GoalYear, goals_across_years


def danish_number(value: float) -> str:
    """A count or a limit as Danes write it: 10.001, 2,5 (a dot between thousands, a decimal
    comma); a whole float loses its ",0"."""
    if isinstance(value, float) and not value.is_integer():
        whole, _, decimals = f"{value:,.2f}".rstrip("0").partition(".")
        whole = whole.replace(",", ".")
        return f"{whole},{decimals}" if decimals else whole
    return f"{int(value):,}".replace(",", ".")


KIND_TITLES = {
    "preparation": "Forberedelsesskema",
    "agreement": "Udviklings- og aftaleskema",
    "colleague_input": "Input fra en kollega",  # issue 18 (helper wheel): seed 002
}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SEVERITY_WORDS = {"error": "fejl", "warning": "advarsel"}
AWAITING_WORDS = {
    "employee": "afventer medarbejderens underskrift",
    "leader": "afventer lederens underskrift",
}
LOOK_WORDS = {
    "web_viewed": "så personalemappen",
    "web_downloaded": "hentede",
    "web_previewed": "så side 1 af",
    "viewed": "så personalemappen (kommandolinjen)",
    "exported": "udleverede alt (indsigtsanmodning)",
}
ROLE_WORDS = {"hr": "HR", "leader": "leder", "employee": "medarbejder"}
# the state filter of the round page: value -> (Danish label, test on a row)
STATE_FILTERS: dict[str, str] = {
    **{f"forberedelse-{s}": f"Forberedelse: {w}" for s, w in PREPARATION_WORDS.items()},
    **{f"aftale-{s}": f"Aftale: {w}" for s, w in AGREEMENT_WORDS.items()},
    "opfoelgning-forfalden": "Opfølgning forfalden",
}


def day(iso: str | None) -> str:
    """`2026-11-23` or a timestamp as `23.11.2026`; "-" for none."""
    return danish_date(iso[:10]) if iso and len(iso) >= 10 else "-"


def moment(iso: str | None) -> str:
    """A timestamp as `23.11.2026 kl. 09.05` (Danish time of day; "kl." and the time kept
    on one line); "-" for none."""
    if not iso:
        return "-"
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return "-"
    return f"{when:%d.%m.%Y} kl.\u00a0{when:%H.%M}"


def form_id(row: FormRow) -> str:
    """The id a form has in URLs (`aftaleskema-2026-v1`): found among the employee's rows
    in the index, never used as a path."""
    return file_stem(row.kind, row.year, row.version)


# --- the round ------------------------------------------------------------------------------


def matches_state(row: StatusRow, wanted: str) -> bool:
    """Whether a round's row is in the state `wanted` (a key of STATE_FILTERS; "" for all)."""
    if not wanted:
        return True
    form, _, state = wanted.partition("-")
    if form == "forberedelse":
        return row.preparation == state
    if form == "aftale":
        return row.agreement == state
    return bool(row.followups_overdue)


@dataclass(frozen=True)
class RoundLine:
    """One row of the round page, its cells in Danish; `late` marks what is overdue."""

    number: str
    name: str
    leader: str
    preparation: str
    preparation_late: bool
    meeting: str
    agreement: str
    followups: str
    followups_late: bool
    reasons: str


def round_lines(rows: Iterable[StatusRow], today: str) -> list[RoundLine]:
    lines = []
    for row in rows:
        deadline = row.preparation_deadline
        late = row.preparation == "late" or (
            row.preparation == "missing" and deadline is not None and deadline < today
        )
        reasons = [
            f"{form} {words[state]}: {reason_words(codes)}"
            for form, words, state, codes in (
                ("Forberedelsesskema", PREPARATION_WORDS, row.preparation, row.preparation_reason),
                ("Aftaleskema", AGREEMENT_WORDS, row.agreement, row.agreement_reason),
            )
            if codes is not None
        ]
        lines.append(
            RoundLine(
                row.number,
                shown(row.name) or "-",
                shown(row.leader) or "Uden leder",
                preparation_words(row, today),
                late,
                day(row.meeting_date),
                AGREEMENT_WORDS[row.agreement],
                followup_words(row),
                bool(row.followups_overdue),
                "; ".join(reasons),
            )
        )
    return lines


def totals_table(totals: Mapping[str, int]) -> list[tuple[str, int]]:
    """The totals as (Danish label, count), in the order of the states."""
    found = [("Medarbejdere", totals["employees"])]
    found += [
        (f"Forberedelse {PREPARATION_WORDS[s]}", totals[f"preparation_{s}"])
        for s in PREPARATION_STATES
    ]
    found += [(f"Aftale {AGREEMENT_WORDS[s]}", totals[f"agreement_{s}"]) for s in AGREEMENT_STATES]
    found.append(("Opfølgning forfalden", totals["followups_overdue"]))
    found.append(("Opfølgning inden for 14 dage", totals["followups_due"]))
    return found


# --- the personnel file ---------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    field: str
    severity: str
    message: str


@dataclass(frozen=True)
class Version:
    """One filed version of a form, as the file page shows it."""

    id: str
    title: str
    version: int
    state: str
    meeting: str
    arrived: str
    filed: str
    file_format: str
    findings: tuple[Finding, ...]
    values: tuple[tuple[str, str], ...]
    wheel: FiledWheel  # its competence wheel marks (`wheel_<key>`), for `wheel_legends`


def personnel_file(
    root: Path, rows: Sequence[FormRow], settings: Settings
) -> list[tuple[int, list[Version]]]:
    """The employee's forms by year (newest first), each form's versions in order, with the
    values and problems read from their records."""
    years: dict[int, list[Version]] = {}
    for row in sorted(rows, key=lambda r: (-r.year, r.kind, r.version)):
        years.setdefault(row.year, []).append(_KEPT.version(root, row, settings))
    return list(years.items())


class _Kept:
    """The versions built lately, by their index row, their record file's stamp and the form
    definition that named their fields: a record is written once, so a file page viewed
    again reads and labels nothing again (a file of 10 versions was 30 ms of a request)."""

    SIZE = 2048

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: OrderedDict[tuple[Any, ...], tuple[Any, Version]] = OrderedDict()

    def version(self, root: Path, row: FormRow, settings: Settings) -> Version:
        path = within(root, row.record)
        try:
            stat = path.stat() if path is not None else None
        except OSError:
            stat = None
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size) if stat else None
        definition = _definition(row.kind, settings)
        key = (root, row, stamp)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and kept[0] is definition:
                self._kept.move_to_end(key)
                return kept[1]
        made = _version(_result_of(path), row, _labeller(definition))
        with self._lock:
            self._kept[key] = (definition, made)
            while len(self._kept) > self.SIZE:
                self._kept.popitem(last=False)
        return made


_KEPT = _Kept()


def _version(result: Mapping[str, Any], row: FormRow, label: Callable[[Any], str]) -> Version:
    awaited = _awaited_fields(row.state)
    problems = [p for p in result.get("problems") or [] if isinstance(p, dict)]
    findings = tuple(
        Finding(
            label(p.get("field")) if p.get("field") else "",  # about the whole form
            SEVERITY_WORDS.get(str(p.get("severity")), str(p.get("severity"))),
            shown(str(p.get("message", "")), keep_lines=True),
        )
        for p in problems
        if p.get("field") not in awaited
    )
    if awaited and any(p.get("field") in awaited for p in problems):
        # the step between leader and employee (`decision.awaiting`), not a fault
        role = awaited[0].removeprefix("signature_")
        findings = (Finding(label(awaited[0]), "afventer", AWAITING_WORDS[role]), *findings)
    fields = result.get("fields") or {}
    values = tuple((label(k), value_text(v)) for k, v in fields.items() if isinstance(v, str) and v)
    return Version(
        form_id(row),
        KIND_TITLES.get(row.kind, row.kind),
        row.version,
        STATE_WORDS.get(row.state, row.state),
        day(row.meeting_date),
        moment(row.arrived),
        moment(row.filed),
        row.file_format.upper(),
        findings,
        values,
        FiledWheel(
            row.year,
            row.kind,
            row.version,
            {k: v for k, v in fields.items() if k.startswith("wheel_") and isinstance(v, str)},
        ),
    )


def wheel_legends(years: Sequence[tuple[int, Sequence[Version]]], settings: Settings) -> list[str]:
    """The competence wheels the file has, one a year ("2026 (aftalt)"), as `archive show
    --wheel` draws them; [] when none is marked or no wheel is set up (`forms.competences`)."""
    competences = tuple(Competence(c["key"], c["label"]) for c in settings.forms.competences)
    if not competences:
        return []
    filed = [version.wheel for _, versions in years for version in versions]
    return [wheel.legend for wheel in wheels_across_years(filed, competences)]


def _awaited_fields(state: str) -> tuple[str, ...]:
    """The signature and its date an agreement filed as awaiting a signature waits for:
    the only problems it was filed with as errors (`decision.awaiting`)."""
    role = state.removeprefix("awaiting_")
    if role == state or role not in AWAITING_WORDS:
        return ()
    return (f"signature_{role}", f"signature_{role}_date")


def value_text(value: str) -> str:
    """A value read as a person reads it: an ISO date (as formflow stores dates) the Danish
    way, control and bidi characters shown, not obeyed (`display.shown`)."""
    if _ISO_DATE.match(value):
        try:
            return danish_date(value)
        except ValueError:
            return value
    return shown(value, keep_lines=True)


def _result_of(path: Path | None) -> dict[str, Any]:
    """What the record says was read, or nothing when it cannot be read (the index row is
    still shown: `archive verify` reports the record)."""
    record = read_record(path) if path is not None else None
    result = record.get("result") if record else None
    return result if isinstance(result, dict) else {}


def within(root: Path, relative: str) -> Path | None:
    """`root/relative` if it lies inside `root`'s personnel folders (symlinks resolved),
    else None: a path from the index, never from a URL, and still checked."""
    people = (root / PEOPLE_FOLDER).resolve()
    path = (root / relative).resolve()
    return path if path.is_relative_to(people) and path.is_file() else None


def _definition(kind: str, settings: Settings) -> Any:
    """The form's definition (`load_definition` keeps it until its file changes), None for
    a kind formflow does not know."""
    from formflow.errors import DefinitionError
    from formflow.forms.library import load_definition

    try:
        return load_definition(kind, settings)
    except DefinitionError:
        return None


def _labeller(definition: Any) -> Callable[[Any], str]:
    """A function naming a field key as the form does, or by its key on an unknown form."""
    from formflow.notices import field_name

    if definition is None:
        return str

    return lambda key: field_name(definition, str(key))


# --- who has looked -------------------------------------------------------------------------


@dataclass(frozen=True)
class Lookup:
    """One line of "who has looked at your file", in Danish."""

    when: str
    who: str
    what: str


def looks_at(looks: Iterable[Look]) -> list[Lookup]:
    """Who has looked at a personnel file and when, newest first, from the looks the index
    keeps of the audit log (the web's views, downloads and page images, the command line's
    `archive show` and `archive export`)."""
    found = []
    for look in looks:
        if look.action not in LOOK_WORDS:
            continue
        who = look.who or "på serveren"
        role = ROLE_WORDS.get(look.role, "")
        what = LOOK_WORDS[look.action]
        if look.form:
            what += f" {look.form}"
        found.append(Lookup(moment(look.at), f"{who} ({role})" if role else who, what))
    return found[::-1]


# --- the goals across the years ---------------------------------------------------------------


def goal_years(root: Path, rows: Sequence[FormRow], settings: Settings) -> list[GoalYear]:
    """The employee's goals across the years from the records of the latest version of each
    year's agreement and preparation form (`goals.goals_across_years`)."""
    latest: dict[tuple[str, int], FormRow] = {}
    for row in sorted(rows, key=lambda r: r.version):
        latest[(row.kind, row.year)] = row
    fields: dict[str, dict[int, dict[str, str]]] = {"agreement": {}, "preparation": {}}
    for (kind, year), row in latest.items():
        if kind in fields:
            read = _result_of(within(root, row.record)).get("fields") or {}
            fields[kind][year] = {k: v for k, v in read.items() if isinstance(v, str)}
    return goals_across_years(fields["agreement"], fields["preparation"], _goal_labels(settings))


def _goal_labels(settings: Settings) -> dict[str, str]:
    """Category key -> label, as the agreement form names them (seed 004 or the settings')."""
    from formflow.errors import DefinitionError
    from formflow.forms.library import load_definition

    try:
        table = load_definition("agreement", settings).goal_table("goal")
    except DefinitionError:
        return {}
    return {c.key: c.label for c in table.categories} if table is not None else {}
