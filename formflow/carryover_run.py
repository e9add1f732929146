"""`formflow carry-over`: every signed agreement of year N becomes next year's preparation form.

The I/O around the pure `formflow.carryover`, in three steps:

1. read what the archive holds (`read_facts`): the index's rows, the roster, the files already
   in `out`; each signed agreement's record is read when the plan asks for it;
2. the plan (`carryover.employees`, `carryover.step_for`) decides each employee's step;
3. carry it out, one employee at a time: render (in a process pool: a round of 1000
   employees uses every core), write the files a leader hands out

       <out>/<leader>/<number> <name>/forberedelsesskema-<to-year>-<number>-<name>.pdf

   keep the same form in the personnel folder (state "generated"), and forget the bytes: the
   report holds only small facts, so memory stays flat however many forms are made.

A dry run stops after step 2: it reads the archive's index read-only (no WAL, no lock file) and
writes nothing at all. A second run makes nothing new: a form already in the personnel folder
is "already made" (copied back to `out` if its file went missing) unless `force` is set.

The form made is the organisation's own preparation form (`forms.directory`) or `--form NAME`;
see `form_name`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from formflow.archive.index import Index, read_only_index
from formflow.archive.records import FormRow, decode_record
from formflow.archive.roster import read_roster
from formflow.carryover import (
    Agreement,
    Options,
    Person,
    RoundFacts,
    Step,
    danish_dates,
    employees,
    number_order,
    output_folder,
    step_for,
)
from formflow.config import Settings
from formflow.errors import ArchiveError, FormflowError
from formflow.forms.definition import FormDefinition
from formflow.forms.library import load_definition, own_definitions
from formflow.fsutil import make_private_dirs, write_bytes

__all__ = ["Line", "Options", "Report", "danish_dates", "output_folder", "run_carry_over"]

Result = Literal["made", "would_make", "already_made", "skipped"]
RESULTS: tuple[Result, ...] = ("made", "would_make", "already_made", "skipped")
RESULT_NAMES: dict[Result, str] = {  # what people read
    "made": "lavet",
    "would_make": "laves",
    "already_made": "lavet før",
    "skipped": "intet skema",
}
SOURCE_FORM = "agreement"
TARGET_KIND = "preparation"
OUTPUT_MODE = 0o644  # the leader hands these out
COPIED_BACK = "kopieret tilbage fra personalemappen"


@dataclass(frozen=True)
class Line:
    """One employee in the report: small facts only (reason and overflow in Danish)."""

    number: str
    name: str
    leader: str
    result: Result
    reason: str = ""
    files: tuple[Path, ...] = ()
    overflow: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    from_year: int
    to_year: int
    out: Path
    form: str  # the definition the forms were made from
    lines: tuple[Line, ...]

    def count(self, result: Result) -> int:
        return sum(1 for line in self.lines if line.result == result)

    @property
    def overflowing(self) -> int:
        return sum(1 for line in self.lines if line.overflow)


@dataclass(frozen=True)
class Rendered:
    """One employee's form in each format, and the fields whose text overflows in the PDF."""

    files: dict[str, bytes]
    too_long: tuple[str, ...]


Progress = Callable[[int, int], None]  # (done, total)


def form_name(settings: Settings, name: str | None = None) -> str:
    """The preparation form carry-over fills: `name` (--form), else the organisation's own
    in `forms.directory`, else the built-in one. Several of its own: the choice is the
    organisation's, so it is asked for rather than guessed."""
    if name:
        kind = load_definition(name, settings).kind
        if kind != TARGET_KIND:
            raise FormflowError(f"--form {name}: a {kind} form; carry-over makes preparation forms")
        return name
    own = [n for n in own_definitions(settings) if load_definition(n, settings).kind == TARGET_KIND]
    if len(own) > 1:
        raise FormflowError(
            f"forms.directory holds several preparation forms ({', '.join(own)}): "
            "choose one with --form NAME"
        )
    return own[0] if own else TARGET_KIND


def run_carry_over(
    settings: Settings,
    options: Options,
    *,
    archive: Any = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> Report:
    """Make (or with `dry_run` list) next year's preparation forms; see the module doc."""
    if options.to_year <= options.from_year:
        raise FormflowError("--to-year must come after --from-year")
    form = form_name(settings, options.form)
    source = load_definition(SOURCE_FORM, settings)
    target = load_definition(form, settings)
    if options.dry_run:  # the index read-only, and nothing written
        index, root = read_only_index(settings.archive), settings.archive
    else:
        if archive is None:
            from formflow.archive import Archive

            archive = Archive.open(settings)
        index, root = archive.index, archive.root
    facts = read_facts(index, root, settings, options)
    people = employees(facts, options)
    steps = (step_for(e, facts, options, source, target) for e in people)
    if options.dry_run:
        lines = [_preview(step, target, options.to_year) for step in steps]
    else:
        made = _rendered(settings, options.to_year, form, steps, workers)
        lines = _keep_all(archive, target, options, made, len(people), progress)
    lines.sort(key=lambda line: (line.leader.casefold(), number_order(line.number)))
    return Report(options.from_year, options.to_year, options.out, target.name, tuple(lines))


# --- 1. what the archive holds -----------------------------------------------------------------


def read_facts(index: Index | None, root: Path, settings: Settings, options: Options) -> RoundFacts:
    """The facts the plan decides on, from the index (None: no archive yet; it may be
    read-only: nothing here writes) and the roster; the records under `root` are read when
    the plan asks for them."""

    def forms(**query: Any) -> list[FormRow]:
        return index.forms(**query) if index is not None else []

    n, to = options.from_year, options.to_year
    rows = forms(year=n, kind="agreement")
    handed_in: set[str] = set()
    generated: dict[str, dict[str, str]] = {}
    for row in forms(year=to, kind=TARGET_KIND, latest_only=False):
        if row.state == "generated":
            generated.setdefault(row.employee, {})[row.file_format] = row.original
        else:
            handed_in.add(row.employee)
    roster = read_roster(settings.roster)
    signed = {r.employee: r.record for r in rows if r.state == "signed"}
    people = index.employees() if index is not None else []
    out = options.out  # rglob of a missing folder finds nothing
    return RoundFacts(
        agreements={r.employee: Agreement(r.state, r.employee_name, r.leader_name) for r in rows},
        preparations=frozenset(r.employee for r in forms(year=n, kind="preparation")),
        handed_in=frozenset(handed_in),
        generated=generated,
        roster=None if roster is None else {k: Person(e.name, e.leader) for k, e in roster.items()},
        people={p.number: Person(p.name, p.leader) for p in people},
        existing=frozenset(p for p in out.rglob("*") if p.is_file()),
        fields=_Records(root, signed),
    )  # fmt: skip


class _Records(Mapping[str, Mapping[str, str]]):
    """What was read in each signed agreement, by employee number, read from its record when
    the plan asks (holding every agreement's values at once would grow with the round)."""

    def __init__(self, root: Path, records: dict[str, str]) -> None:
        self.root = root
        self.records = records

    def __getitem__(self, number: str) -> Mapping[str, str]:
        path = self.root / self.records[number]
        try:
            record = decode_record(path.read_bytes())
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise ArchiveError(f"cannot read the record {self.records[number]}: {error}") from error
        fields = (record.get("result") or {}).get("fields") or {}
        return {str(k): str(v) for k, v in fields.items() if isinstance(v, str)}

    def __iter__(self) -> Iterator[str]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)


# --- 3. carrying the plan out ------------------------------------------------------------------


def _preview(step: Step, target: FormDefinition, year: int) -> Line:
    """What the step would make (a dry run): the overflow is measured, nothing is written."""
    from formflow.forms.pdf import overflowing_fields

    who = step.employee
    if step.outcome == "skipped":
        return Line(who.number, who.name, who.leader, "skipped", step.reason)
    if step.outcome == "already_made":
        back = "kopieres tilbage fra personalemappen" if step.copy_back else ""
        return Line(who.number, who.name, who.leader, "already_made", back, step.files)
    too_long = overflowing_fields(target, step.values, year) if "pdf" in step.render else []
    overflow = step.overflow + tuple(_too_long(target, key) for key in too_long)
    files = tuple(p for p in step.files if p.suffix[1:] in step.render)
    return Line(who.number, who.name, who.leader, "would_make", "", files, overflow)


def _keep_all(
    archive: Any,
    target: FormDefinition,
    options: Options,
    made: Iterable[tuple[Step, Rendered | None]],
    total: int,
    progress: Progress | None,
) -> list[Line]:
    """Write and record each step as it comes, and keep only its line."""
    lines: list[Line] = []
    if progress:
        progress(0, total)
    for step, rendered in made:
        lines.append(_keep(archive, target, options.to_year, step, rendered))
        if progress:
            progress(len(lines), total)
    archive.audit(
        "carried_over",
        from_year=options.from_year,
        to_year=options.to_year,
        made=sum(1 for line in lines if line.result == "made"),
        already_made=sum(1 for line in lines if line.result == "already_made"),
        skipped=sum(1 for line in lines if line.result == "skipped"),
    )
    return lines


def _keep(
    archive: Any, target: FormDefinition, year: int, step: Step, rendered: Rendered | None
) -> Line:
    """One employee's forms where the leader finds them, and in the personnel folder."""
    who = step.employee
    if step.outcome == "skipped":
        return Line(who.number, who.name, who.leader, "skipped", step.reason)
    for path, original in step.copy_back:
        _write(path, (archive.root / original).read_bytes())
    if rendered is None:
        back = COPIED_BACK if step.copy_back else ""
        return Line(who.number, who.name, who.leader, "already_made", back, step.files)
    for fmt, data in rendered.files.items():
        _write(next(p for p in step.files if p.suffix == f".{fmt}"), data)
        archive.record_generated(
            data, employee=who.number, name=who.name, year=year, kind=target.kind, fmt=fmt
        )
    overflow = step.overflow + tuple(_too_long(target, key) for key in rendered.too_long)
    return Line(who.number, who.name, who.leader, "made", "", step.files, overflow)


def _write(path: Path, data: bytes) -> None:
    make_private_dirs(path.parent)
    write_bytes(path, data, mode=OUTPUT_MODE)


def _rendered(
    settings: Settings, year: int, form: str, steps: Iterable[Step], workers: int | None
) -> Iterator[tuple[Step, Rendered | None]]:
    """Each step with its rendered forms (None when nothing is to be made), as they finish.

    At most two forms per worker are in flight: the rest of the round waits as steps, not as
    rendered bytes.
    """
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        for step in steps:
            yield step, render_step(settings, year, form, step) if step.render else None
        return
    import multiprocessing

    # forkserver: the parent may run threads (the progress bar), which fork must not copy
    context = multiprocessing.get_context("forkserver")
    pending: dict[Future[Rendered], Step] = {}
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for step in steps:
            if not step.render:
                yield step, None
                continue
            pending[pool.submit(render_step, settings, year, form, step)] = step
            if len(pending) >= 2 * workers:
                yield from _finished(pending)
        while pending:
            yield from _finished(pending)


def _finished(pending: dict[Future[Rendered], Step]) -> Iterator[tuple[Step, Rendered]]:
    """Wait for at least one form in flight; hand over (and let go of) the finished ones."""
    done, _ = wait(pending, return_when=FIRST_COMPLETED)
    for future in done:
        yield pending.pop(future), future.result()


def render_step(settings: Settings, year: int, form: str, step: Step) -> Rendered:
    """One employee's forms (run in a worker process; definitions are cached per process)."""
    from formflow.forms.pdf import overflowing_fields
    from formflow.forms.render import render_bytes

    target = load_definition(form, settings)
    files = {fmt: render_bytes(target, year, step.values, fmt) for fmt in step.render}
    too_long = overflowing_fields(target, step.values, year) if "pdf" in step.render else []
    return Rendered(files, tuple(too_long))


def _too_long(target: FormDefinition, key: str) -> str:
    return (
        f"{target.field(key).title}: teksten er længere end feltet "
        "(feltet rummer den hele; tjek udskriften)"
    )
