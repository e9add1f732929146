"""What the CLI shows: tables, JSON objects and progress bars for check, status and carry-over.

Presentation only: every function takes results the library already computed. rich is imported
inside the functions, so importing this module costs nothing at `formflow --help`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from formflow.config import Settings

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from formflow.archive import EmployeeRow, FormRow
    from formflow.carryover_run import Report
    from formflow.errors import UnreadableForm
    from formflow.forms.definition import FormDefinition
    from formflow.model import CheckResult
    from formflow.rounds import RoundStatus


def check_json(result: CheckResult, settings: Settings) -> dict[str, Any]:
    """CheckResult.to_json(), with status scores as integers (the JSON contract) and the
    `state` that `formflow watch` files the form under (or "rejected")."""
    from formflow.errors import DefinitionError
    from formflow.forms.library import load_definition

    data: dict[str, Any] = {**result.to_json(), "state": check_state(result)}
    try:
        definition = load_definition(result.extraction.definition or "", settings)
    except DefinitionError:
        return data
    data["fields"] = {
        key: int(value)
        if definition.has(key) and definition.field(key).type == "status" and value.isdigit()
        else value
        for key, value in data["fields"].items()
    }
    return data


def unreadable_json(path: Path, error: UnreadableForm) -> dict[str, Any]:
    return {
        "file": str(path),
        "kind": None,
        "year": None,
        "reader": None,
        "fields": {},
        "signatures": {},
        "problems": [
            {"field": None, "severity": "error", "code": error.code, "message": error.message}
        ],
        "valid": False,
        "state": "rejected",
    }


def check_state(result: CheckResult) -> str:
    """What `formflow watch` does with the form: the archive state it files it under
    (received, signed, awaiting_employee, awaiting_leader), or "rejected"."""
    from formflow.decision import decide

    decision = decide(result)
    return decision.state if decision.action == "filed" else "rejected"


def print_checks(
    files: Sequence[Path], results: Sequence[CheckResult | UnreadableForm], settings: Settings
) -> None:
    """A table per file of the fields read (by label), the signatures and the problems found."""
    from rich.console import Console

    from formflow.errors import UnreadableForm

    console = Console(highlight=False)
    for path, result in zip(files, results, strict=True):
        console.print()
        if isinstance(result, UnreadableForm):
            _print_unreadable(console, path, result)
            continue
        console.print(_check_heading(path, result))
        definition = _definition_of(result, settings)
        console.print(_fields_table(result, definition))
        if result.signatures:
            console.print(_signatures_table(result))
        if result.problems:
            console.print(_problems_table(result, definition))


def _print_unreadable(console: Console, path: Path, error: UnreadableForm) -> None:
    from rich.text import Text

    console.print(Text.assemble((str(path), "bold"), ": ", ("cannot be read", "red")))
    console.print(Text(f"  {error.message}"))
    console.print(Text(f"  ({error.code}: {error.detail})", style="dim"))


CHECK_VERDICTS = {  # a state of `check_state`: how the heading says it
    "rejected": ("has problems", "red"),
    "awaiting_employee": ("awaiting the employee's signature", "yellow"),
    "awaiting_leader": ("awaiting the leader's signature", "yellow"),
}


def _check_heading(path: Path, result: CheckResult) -> Text:
    from rich.text import Text

    extraction = result.extraction
    verdict = CHECK_VERDICTS.get(check_state(result), ("valid", "green"))
    return Text.assemble(
        (str(path), "bold"),
        f": {extraction.kind} {extraction.year or '?'} "
        f"(read as {extraction.reader}, definition {extraction.definition}) ",
        verdict,
    )


def _definition_of(result: CheckResult, settings: Settings) -> FormDefinition | None:
    from formflow.errors import DefinitionError
    from formflow.forms.library import load_definition

    try:
        return load_definition(result.extraction.definition or "", settings)
    except DefinitionError:
        return None


def _field_name(definition: FormDefinition | None, key: str) -> str:
    """A field as the notices name it (`notices.field_name`), or its key on an unknown form."""
    from formflow.notices import field_name

    return field_name(definition, key) if definition else key


def _fields_table(result: CheckResult, definition: FormDefinition | None) -> Table:
    """The fields filled in, by name and key; the empty ones counted."""
    from rich.table import Table
    from rich.text import Text

    extraction = result.extraction
    table = Table("Field")
    table.add_column("Key", overflow="fold")  # keys are never cut short
    table.add_column("Value")
    filled = {k: v for k, v in extraction.fields.items() if v}
    for key, value in filled.items():
        table.add_row(Text(_field_name(definition, key)), Text(key, style="dim"), Text(value))
    empty = len(extraction.fields) - len(filled)
    table.caption = f"{len(filled)} fields filled, {empty} empty"
    return table


def _signatures_table(result: CheckResult) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table("Signature", "Kind", "Valid", "Signer")
    for key, signature in result.signatures.items():
        table.add_row(
            Text(key),
            Text(signature.kind),
            Text("yes" if signature.valid else "no"),
            Text(signature.signer),
        )
    return table


def _problems_table(result: CheckResult, definition: FormDefinition | None) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table("Field", "Severity", "Code", "Message (to the employee)")
    for problem in result.problems:
        style = "red" if problem.severity == "error" else "yellow"
        table.add_row(
            Text(_field_name(definition, problem.field) if problem.field else "-"),
            Text(problem.severity, style=style),
            Text(problem.code),
            Text(problem.message),
        )
    return table


RICH_TABLE_MAX_ROWS = 500  # rich lays out every cell (10 000 rows take it seconds)


def print_status(status: RoundStatus) -> None:
    """The round as a table: rich's boxed table on a terminal, plain fixed-width rows when
    the output goes to a file or a pipe, or when the round is too big to read as a box."""
    import click

    if len(status.rows) > RICH_TABLE_MAX_ROWS or not sys.stdout.isatty():
        click.echo(status_table(status), nl=False)
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from formflow.rounds import TABLE_HEADINGS, table_cells, totals_line

    console = Console(highlight=False)
    table = Table(*TABLE_HEADINGS, title=f"MUS {status.year}")
    for row in status.rows:
        table.add_row(*(Text(cell) for cell in table_cells(row)))
    console.print(table)
    console.print(Text(totals_line(status)))


def status_table(status: RoundStatus) -> str:
    """The round as plain text: a title, the headings, one fixed-width line per employee (two
    spaces between columns, nothing cut short) and the totals line.

    Built column by column: each column's cells are padded in one `map` (a format call per
    line cost twice as much over 10 000 rows), then the lines are joined from them."""
    from formflow.rounds import TABLE_HEADINGS, table_cells, totals_line

    columns = zip(TABLE_HEADINGS, *map(table_cells, status.rows), strict=True)
    widths, padded = zip(*map(_padded, columns), strict=True)
    lines = map(str.rstrip, map("  ".join, zip(*padded, strict=True)))
    headings = next(lines)
    rule = "  ".join("-" * width for width in widths)
    return "\n".join([f"MUS {status.year}", headings, rule, *lines, totals_line(status)]) + "\n"


def _padded(column: tuple[str, ...]) -> tuple[int, list[str]]:
    """The column's width on screen and its cells padded to it with spaces."""
    if _latin_1("".join(column)):  # one look at the whole column: its widths are lengths
        width = max(map(len, column))
        return width, list(map(str.ljust, column, repeat(width)))
    sizes = {cell: _text_width(cell) for cell in set(column)}  # each text measured once
    width = max(sizes.values())
    return width, [cell + " " * (width - sizes[cell]) for cell in column]


def _latin_1(text: str) -> bool:
    """Whether every character is Latin-1 (æøå too), so one column each on screen. Asked by
    encoding, which is a copy in C where `max(text)` walks the text character by character;
    the Latin letters beyond Latin-1 (below `_COMBINING`) are measured one by one instead."""
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


_WIDTHS: dict[str, int] = {}  # widths of the texts beyond Latin seen so far
_COMBINING = "\u0300"  # the first combining mark: below it, one column per character


def _text_width(text: str) -> int:
    """Columns a terminal gives `text`: combining marks take none (a name in NFD), East Asian
    wide characters two."""
    if not text or max(text) < _COMBINING:  # Latin letters (æøå too) below the combining marks
        return len(text)
    width = _WIDTHS.get(text)
    if width is None:
        import unicodedata

        width = sum(
            0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
            for ch in text
        )
        _WIDTHS[text] = width
    return width


def status_json(status: RoundStatus) -> str:
    """Exactly `json.dumps(status.to_json(), ensure_ascii=False, indent=2)`, written row by
    row: json's indenting encoder is pure Python and takes ~0.1 s over 10 000 employees,
    while its C string encoder does the part that needs care (escaping)."""
    from json.encoder import encode_basestring as q

    from formflow.rounds import StatusRow

    def dates(values: tuple[str, ...]) -> str:
        if not values:
            return "[]"
        return "[\n" + ",\n".join(f"        {q(v)}" for v in values) + "\n      ]"

    # one line per field of StatusRow, in its order (the test against json.dumps holds us to it)
    template = "    {\n" + ",\n".join(f"      {q(k)}: %s" for k in StatusRow._fields) + "\n    }"
    rows = [
        template
        % (
            q(number),
            q(name),
            q(leader),
            q(preparation),
            "null" if arrived is None else q(arrived),
            "null" if deadline is None else q(deadline),
            "null" if meeting is None else q(meeting),
            q(agreement),
            dates(due) if due else "[]",
            dates(overdue) if overdue else "[]",
            "null" if next_meeting is None else q(next_meeting),
        )
        for (
            number,
            name,
            leader,
            preparation,
            arrived,
            deadline,
            meeting,
            agreement,
            due,
            overdue,
            next_meeting,
        ) in status.rows
    ]
    employees = "[\n" + ",\n".join(rows) + "\n  ]" if rows else "[]"
    counts = ",\n".join(f"    {q(k)}: {int(v)!r}" for k, v in status.totals.items())
    totals = "{\n" + counts + "\n  }" if counts else "{}"
    return (
        f'{{\n  "year": {status.year!r},\n  "today": {q(status.today.isoformat())},\n'
        f'  "employees": {employees},\n  "totals": {totals}\n}}'
    )


def progress_bar(title: str) -> Callable[[int, int], None]:
    """A callback (done, total) drawing a rich progress bar on stderr while work goes on."""
    from rich.console import Console
    from rich.progress import Progress

    state: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in state:
            if total == 0:
                return
            state["bar"] = Progress(console=Console(stderr=True), transient=True)
            state["bar"].start()
            state["task"] = state["bar"].add_task(title, total=total)
        state["bar"].update(state["task"], completed=done)
        if done >= total:
            state.pop("bar").stop()

    return update


# A filed form's archive state as `archive show` names it (the states of archive.STATES).
ARCHIVE_STATES = {
    "received": "modtaget",
    "signed": "underskrevet",
    "awaiting_employee": "venter på medarbejderens underskrift",
    "awaiting_leader": "venter på lederens underskrift",
    "generated": "lavet af formflow",
}
PERSONNEL_HEADINGS = (
    "År",
    "Skema",
    "Version",
    "Tilstand",
    "Samtale",
    "Modtaget",
    "Arkiveret",
    "Fil",
)


def personnel_table(person: EmployeeRow, rows: Sequence[FormRow]) -> str:
    """`archive show`: one employee's filed forms, every version, as a Danish plain table."""
    from formflow.naming import KIND_FILE_NAMES

    leader = f", leder {person.leader}" if person.leader else ""
    lines = [f"{person.number} {person.name}{leader}: {person.folder}"]
    if not rows:
        return "\n".join([*lines, "(ingen skemaer arkiveret)"]) + "\n"
    table = [
        (
            str(row.year),
            KIND_FILE_NAMES.get(row.kind, row.kind),
            str(row.version),
            ARCHIVE_STATES.get(row.state, row.state),
            _danish_day(row.meeting_date),
            _danish_day(row.arrived),
            _danish_day(row.filed),
            row.original.rsplit("/", 1)[-1],
        )
        for row in rows
    ]
    widths = [max(len(r[i]) for r in [PERSONNEL_HEADINGS, *table]) for i in range(8)]
    for line in [PERSONNEL_HEADINGS, *table]:
        lines.append(
            "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        )
    return "\n".join(lines) + "\n"


def _danish_day(iso: str | None) -> str:
    """`2026-11-23` or `2026-11-23T09:05:00+01:00` -> `23.11.2026`; `-` for none."""
    if not iso or len(iso) < 10:
        return iso or "-"
    year, month, day = iso[:10].split("-")
    return f"{day}.{month}.{year}"


def print_carry_over(report: Report) -> None:
    """carry-over's report in Danish: one row per employee, and the totals."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from formflow.carryover_run import RESULT_NAMES

    console = Console(highlight=False)
    title = f"Næste års forberedelsesskemaer {report.from_year} → {report.to_year}"
    if report.form != "preparation":  # the organisation's own form
        title += f", skema {report.form}"
    table = Table("Medarbejder", "Leder", "Resultat", "Detaljer", title=title)
    for line in report.lines:
        details = [line.reason] if line.reason else []
        details += [str(path) for path in line.files]
        details += line.overflow
        style = {"skipped": "yellow", "made": "green", "would_make": "cyan"}.get(line.result, "")
        table.add_row(
            Text(f"{line.number} {line.name}"),
            Text(line.leader or "-"),
            Text(RESULT_NAMES[line.result], style=style),
            Text("\n".join(details)),
        )
    console.print(table)
    counts = ", ".join(f"{RESULT_NAMES[r]} {report.count(r)}" for r in RESULT_NAMES)
    console.print(
        f"{counts}; med tekst, der ikke er plads til: {report.overflowing}; "
        f"skemaerne ligger i {report.out}"
    )
