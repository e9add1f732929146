"""What the CLI shows: tables, JSON objects and progress bars for check, status and carry-over.

Presentation only: every function takes results the library already computed. rich is imported
inside the functions, so importing this module costs nothing at `formflow --help`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from itertools import zip_longest
from json.encoder import encode_basestring as _q
from pathlib import Path
from typing import TYPE_CHECKING, Any

from formflow.config import Settings
from formflow.display import shown

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from formflow.archive import EmployeeRow, FormRow
    from formflow.carryover_run import Report
    from formflow.errors import UnreadableForm
    from formflow.forms.definition import FormDefinition
    from formflow.model import CheckResult
    from formflow.rounds import RoundStatus, StatusRow


def check_json(result: CheckResult, settings: Settings) -> dict[str, Any]:
    """CheckResult.to_json(), with status scores as integers (the JSON contract) and the
    `state` that `formflow watch` files the form under (or "rejected")."""
    from formflow.errors import DefinitionError
    from formflow.forms.library import load_definition

    data: dict[str, Any] = {**result.to_json(), "state": check_state(result)}
    if data["state"] == "held":
        data["held"] = result.held
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
    (received, signed, awaiting_employee, awaiting_leader), "held" (in til-afklaring for a
    person to decide: whose form it is, or a scan to transcribe) or "rejected"."""
    from formflow.decision import decide

    decision = decide(result)
    return decision.state if decision.action == "filed" else decision.action


def print_checks(
    files: Sequence[Path], results: Sequence[CheckResult | UnreadableForm], settings: Settings
) -> None:
    """A table per file of the fields read (by label), the signatures and the problems found."""
    from rich.console import Console
    from rich.text import Text

    from formflow.errors import UnreadableForm

    console = Console(highlight=False)
    for path, result in zip(files, results, strict=True):
        console.print()
        if isinstance(result, UnreadableForm):
            _print_unreadable(console, path, result)
            continue
        console.print(_check_heading(path, result))
        if result.held:
            console.print(Text(f"  {shown(result.held)}"))
        definition = _definition_of(result, settings)
        console.print(_fields_table(result, definition))
        if result.signatures:
            console.print(_signatures_table(result))
        if result.problems:
            console.print(_problems_table(result, definition))


def _print_unreadable(console: Console, path: Path, error: UnreadableForm) -> None:
    from rich.text import Text

    console.print(Text.assemble((shown(str(path)), "bold"), ": ", ("cannot be read", "red")))
    console.print(Text(f"  {error.message}"))
    console.print(Text(f"  ({error.code}: {error.detail})", style="dim"))


CHECK_VERDICTS = {  # a state of `check_state`: how the heading says it
    "rejected": ("has problems", "red"),
    "awaiting_employee": ("awaiting the employee's signature", "yellow"),
    "awaiting_leader": ("awaiting the leader's signature", "yellow"),
    "held": ("held for a person to decide (til-afklaring)", "yellow"),
}


def _check_heading(path: Path, result: CheckResult) -> Text:
    from rich.text import Text

    extraction = result.extraction
    verdict = CHECK_VERDICTS.get(check_state(result), ("valid", "green"))
    return Text.assemble(
        (shown(str(path)), "bold"),  # a dropped file's name is the employee's to choose
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
    """The fields filled in, by name and key; the empty ones counted. A value as `shown`
    shows it, a multi-line answer on its lines."""
    from rich.table import Table
    from rich.text import Text

    extraction = result.extraction
    table = Table("Field")
    table.add_column("Key", overflow="fold")  # keys are never cut short
    table.add_column("Value")
    filled = {k: v for k, v in extraction.fields.items() if v}
    for key, value in filled.items():
        value = shown(value, keep_lines=True)
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
            Text(shown(signature.signer)),
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
            Text(shown(problem.message, keep_lines=True)),  # may quote a value
        )
    return table


RICH_TABLE_MAX_ROWS = 500  # rich styles every line (10 000 lines take it a second)
STATUS_WIDTH = 80  # the plain table's width: a terminal's, a printout's, a mail's
NAME_MIN_WIDTH = 10  # the fewest columns a name gets before numbers fold instead
_STYLES = {"title": "bold", "heading": "bold", "rule": "dim", "leader": "bold", "note": "dim"}


def print_status(status: RoundStatus, console: Console | None = None) -> None:
    """The round as a table: on a terminal (or `console`) through rich, styled and as wide as
    the terminal; plain 80 columns when the output goes to a file or a pipe, or when the round
    is too big to style. The lines are the same (`status_lines`)."""
    import click

    if console is None and (len(status.rows) > RICH_TABLE_MAX_ROWS or not sys.stdout.isatty()):
        click.echo(status_table(status), nl=False)
        return
    from rich.console import Console
    from rich.text import Text

    console = console or Console(highlight=False)
    # never narrower than 80 columns (a narrower terminal wraps the lines itself)
    for kind, line in status_lines(status, max(console.width, STATUS_WIDTH)):
        console.print(Text(line, style=_STYLES.get(kind, "")), soft_wrap=True)


def status_table(status: RoundStatus, width: int = STATUS_WIDTH) -> str:
    """The round as plain text no wider than `width`: a title, the headings, the employees
    per leader (one line each, unless a name wraps or a note follows) and the totals."""
    return "\n".join(line for _, line in status_lines(status, width)) + "\n"


def status_lines(status: RoundStatus, width: int) -> list[tuple[str, str]]:
    """The table's parts, each with its kind (title, heading, rule, leader, row, note, totals)
    and its lines (joined by newlines) no wider than `width`. Dates and states are never cut:
    the columns of states and dates take their widest cell, and the name (then the number) gets
    the room that is left and wraps within it; follow-ups and reasons go on a note under the
    row."""
    from formflow.rounds import TABLE_HEADINGS, by_leader, row_notes, table_cells, totals_line

    today = status.today.isoformat()
    groups = [(leader, [table_cells(r, today) for r in rows], rows) for leader, rows in
              by_leader(status.rows)]  # fmt: skip
    every = [TABLE_HEADINGS, *(cells for _, group, _ in groups for cells in group)]
    widths, measure = _column_widths(every, width)
    tails = _Tails(widths)
    lines = [("title", f"MUS {status.year}"), ("heading", _table_line(TABLE_HEADINGS, widths))]
    lines.append(("rule", "  ".join("-" * w for w in widths)))
    indent = " " * (widths[0] + 2)
    for leader, group, rows in groups:
        people = f"{len(rows)} {'medarbejder' if len(rows) == 1 else 'medarbejdere'}"
        heading = f"{shown(leader)} ({people})"
        lines += [("", ""), ("leader", "\n".join(_wrapped(heading, width)))]
        for cells, row in zip(group, rows, strict=True):
            lines.append(("row", _row_text(cells, widths, measure, tails)))
            if notes := row_notes(row):
                note = _wrapped(notes, width - len(indent))
                lines.append(("note", "\n".join(indent + line for line in note)))
    lines += [("", ""), ("totals", "\n".join(_wrapped(totals_line(status), width)))]
    return lines


def _column_widths(
    rows: Sequence[Sequence[str]], width: int
) -> tuple[list[int], Callable[[str], int]]:
    """Each column's width: its widest cell; where that is too wide for `width`, the name
    column (the second) gets what is left, down to NAME_MIN_WIDTH or two thirds of what the
    number and the name share, the number the rest. And how
    to measure a number or a name: by length where every one is Latin-1 (one look at them
    all), else on screen (`_text_width`)."""
    columns = list(zip(*rows, strict=True))
    measure = len if _latin_1("".join(columns[0] + columns[1])) else _text_width
    widths = [max(map(measure, set(column))) for column in columns]
    room = width - sum(widths[2:]) - 2 * (len(widths) - 1)  # for the number and the name
    if widths[0] + widths[1] > room:
        widths[1] = max(room - widths[0], NAME_MIN_WIDTH, room * 2 // 3)
        widths[0] = max(room - widths[1], 1)
    return widths, measure


def _table_line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(map(_pad, cells, widths)).rstrip()


def _row_text(
    cells: Sequence[str], widths: Sequence[int], measure: Callable[[str], int], tails: _Tails
) -> str:
    """A row's line; lines, unless its number or name is wider than its column (it wraps).
    Only the number and the name are measured; the rest of the line is one of a few hundred
    (`_Tails`): 10 000 rows a round, where a measure and a pad per cell cost three times as
    much."""
    number, name = cells[0], cells[1]
    number_width, name_width = measure(number), measure(name)
    tail = tails[cells[2:]]
    if number_width <= widths[0] and name_width <= widths[1]:
        gap = " " * (widths[0] - number_width + 2)
        return f"{number}{gap}{name}{' ' * (widths[1] - name_width + 2)}{tail}"
    numbers, names = _wrapped(number, widths[0]), _wrapped(name, widths[1])
    rest = zip_longest(numbers[1:], names[1:], fillvalue="")
    first = f"{_pad(numbers[0], widths[0])}  {_pad(names[0], widths[1])}  {tail}"
    return "\n".join([first, *(f"{_pad(n, widths[0])}  {m}".rstrip() for n, m in rest)])


class _Tails(dict[Sequence[str], str]):
    """The states and dates of a row (our own Latin-1 words, padded by length) as the end of
    its line, each made once: a round's rows share a few hundred."""

    def __init__(self, widths: Sequence[int]) -> None:
        super().__init__()
        self.widths = widths

    def __missing__(self, cells: Sequence[str]) -> str:
        padded = [cell.ljust(width) for cell, width in zip(cells, self.widths[2:], strict=False)]
        found = self[cells] = "  ".join(padded).rstrip()
        return found


def _latin_1(text: str) -> bool:
    """Whether every character is Latin-1 (æøå too), so one column each on screen. Asked by
    encoding, which is a copy in C where `max(text)` walks the text character by character."""
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _pad(cell: str, width: int) -> str:
    return cell + " " * (width - _text_width(cell))


def _wrapped(text: str, width: int) -> list[str]:
    """`text` in lines no wider than `width` on screen, broken between words; a word wider
    than a line is broken where it must (a long name or number, never a date or state)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        while _text_width(word) > width:  # fold it: fill the line, go on with the rest
            if line:
                lines.append(line)
            cut = _fitting(word, width)
            lines.append(word[:cut])
            line, word = "", word[cut:]
        if line and _text_width(line) + 1 + _text_width(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return [*lines, line] if line or not lines else lines


def _fitting(word: str, width: int) -> int:
    """How many of the word's characters fit `width` columns (at least one)."""
    cut = 1
    while cut < len(word) and _text_width(word[: cut + 1]) <= width:
        cut += 1
    return cut


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
    rows = _json_rows(status.rows)
    employees = "[\n" + ",\n".join(rows) + "\n  ]" if rows else "[]"
    counts = ",\n".join(f"    {_q(k)}: {int(v)!r}" for k, v in status.totals.items())
    totals = "{\n" + counts + "\n  }" if counts else "{}"
    return (
        f'{{\n  "year": {status.year!r},\n  "today": {_q(status.today.isoformat())},\n'
        f'  "employees": {employees},\n  "totals": {totals}\n}}'
    )


def _json_rows(rows: Sequence[StatusRow]) -> list[str]:
    """Each row as json.dumps indents it inside the list: one comprehension with the fields
    unpacked (a call per value, or a pass per column, cost half as much again)."""
    from formflow.rounds import StatusRow

    # one line per field of StatusRow, in its order (the test against json.dumps holds us to it)
    template = "    {\n" + ",\n".join(f"      {_q(k)}: %s" for k in StatusRow._fields) + "\n    }"
    q, dates = _q, _json_dates
    return [
        template
        % (q(number), q(name), q(leader), q(preparation),
           "null" if why is None else q(why), "null" if arrived is None else q(arrived),
           "null" if deadline is None else q(deadline), "null" if meeting is None else q(meeting),
           q(agreement), "null" if why_not is None else q(why_not),
           dates(due) if due else "[]", dates(overdue) if overdue else "[]",
           "null" if next_meeting is None else q(next_meeting), int(inputs))
        for (number, name, leader, preparation, why, arrived, deadline, meeting, agreement,
             why_not, due, overdue, next_meeting, inputs) in rows
    ]  # fmt: skip


def _json_dates(values: tuple[str, ...]) -> str:
    return "[\n" + ",\n".join(f"        {_q(v)}" for v in values) + "\n      ]"


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


def personnel_table(
    person: EmployeeRow, rows: Sequence[FormRow], transcriptions: Mapping[str, str] | None = None
) -> str:
    """`archive show`: one employee's filed forms, every version, as a Danish plain table;
    what came from forms (names, numbers, file names) as `shown` shows it. A scan filed with
    a person's transcription (`transcriptions`: record -> the copy's file) says so under
    its row."""
    from formflow.archive.records import STATE_WORDS
    from formflow.naming import KIND_FILE_NAMES

    leader = f", leder {person.leader}" if person.leader else ""
    lines = [shown(f"{person.number} {person.name}{leader}: {person.folder}")]
    if not rows:
        return "\n".join([*lines, "(ingen skemaer arkiveret)"]) + "\n"
    table = [
        (
            str(row.year),
            KIND_FILE_NAMES.get(row.kind, row.kind),
            str(row.version),
            STATE_WORDS.get(row.state, row.state),
            _danish_day(row.meeting_date),
            _danish_day(row.arrived),
            _danish_day(row.filed),
            shown(row.original.rsplit("/", 1)[-1]),
        )
        for row in rows
    ]
    widths = [max(len(r[i]) for r in [PERSONNEL_HEADINGS, *table]) for i in range(8)]
    for number, line in enumerate([PERSONNEL_HEADINGS, *table]):
        lines.append(
            "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        )
        copy = (transcriptions or {}).get(rows[number - 1].record) if number else None
        if copy:
            lines.append(f"  scannet original; afskrift: {shown(copy)}")
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
            Text(shown(f"{line.number} {line.name}")),
            Text(shown(line.leader) or "-"),
            Text(RESULT_NAMES[line.result], style=style),
            Text("\n".join(map(shown, details))),
        )
    console.print(table)
    counts = ", ".join(f"{RESULT_NAMES[r]} {report.count(r)}" for r in RESULT_NAMES)
    console.print(
        f"{counts}; med tekst, der ikke er plads til: {report.overflowing}; "
        f"skemaerne ligger i {report.out}"
    )
