"""`formflow carry-over`: every signed agreement of year N becomes next year's preparation form.

The I/O around the pure `formflow.carryover`: which employees get a form (the archive's latest
agreement of year N, signed), the values read from that agreement's record, rendering (in a
process pool: a round of 1000 employees uses every core), the files a leader hands out

    <out>/<leader>/<number> <name>/forberedelsesskema-<to-year>-<number>-<name>.pdf

and the same form kept in the employee's personnel folder (state "generated"). A second run
makes nothing new: a form already in the personnel folder is "already made" (copied back to
`out` if its file went missing) unless `force` is set. An employee who already handed in next
year's preparation form gets none. Nothing a form cannot hold is dropped silently: goals
without a row and text too long for its box are reported per employee as overflow.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from formflow.archive.records import decode_record
from formflow.carryover import carry_over
from formflow.config import Settings
from formflow.errors import ArchiveError, FormflowError
from formflow.forms.definition import FormDefinition
from formflow.forms.library import load_definition
from formflow.fsutil import make_private_dirs, write_bytes
from formflow.naming import form_file_stem, safe_part
from formflow.rounds import same_text

Result = Literal["made", "would_make", "already_made", "skipped"]
RESULTS: tuple[Result, ...] = ("made", "would_make", "already_made", "skipped")
SOURCE_FORM = "agreement"
TARGET_FORM = "preparation"
NO_LEADER = "uden-leder"
OUTPUT_MODE = 0o644  # the leader hands these out
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


@dataclass(frozen=True)
class Options:
    """What to carry over, and where to."""

    from_year: int
    to_year: int
    out: Path
    formats: tuple[str, ...] = ("pdf",)
    employees: tuple[str, ...] = ()  # only these numbers (all when empty)
    leader: str | None = None
    dry_run: bool = False
    force: bool = False


@dataclass(frozen=True)
class Line:
    """One employee in the report (reasons and overflow in English, for the operator)."""

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
    lines: tuple[Line, ...]

    def count(self, result: Result) -> int:
        return sum(1 for line in self.lines if line.result == result)

    @property
    def overflowing(self) -> int:
        return sum(1 for line in self.lines if line.overflow)


@dataclass(frozen=True)
class Job:
    """One employee's form to render: pure data, sent to a worker process."""

    number: str
    name: str
    leader: str
    values: dict[str, str]
    overflow: tuple[str, ...]
    folder: Path
    stem: str
    formats: tuple[str, ...]
    copies: dict[str, Path] = field(default_factory=dict)  # fmt -> archived original


Progress = Callable[[int, int], None]  # (done, total)


def output_folder(out: Path, leader: str, number: str, name: str) -> Path:
    """`<out>/<leader>/<number> <name>`: how a leader finds each employee's form."""
    return out / safe_part(leader, NO_LEADER) / f"{safe_part(number)} {safe_part(name)}"


def danish_dates(definition: FormDefinition, values: Mapping[str, str]) -> dict[str, str]:
    """ISO dates (as records hold them) written the Danish way for the person filling in."""
    shown = {}
    for key, value in values.items():
        match = _ISO.match(value)
        is_date = definition.has(key) and definition.field(key).type == "date"
        shown[key] = f"{match[3]}.{match[2]}.{match[1]}" if match and is_date else value
    return shown


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
    if archive is None:
        from formflow.archive import Archive

        archive = Archive.open(settings)
    source = load_definition(SOURCE_FORM, settings)
    target = load_definition(TARGET_FORM, settings)
    jobs, lines = _plan(archive, options, source, target)
    if options.dry_run:
        lines += [_would_make(job, target, options.to_year) for job in jobs]
    else:
        lines += _make(archive, settings, options, jobs, progress, workers)
        archive.audit(
            "carried_over",
            from_year=options.from_year,
            to_year=options.to_year,
            made=sum(1 for line in lines if line.result == "made"),
            already_made=sum(1 for line in lines if line.result == "already_made"),
            skipped=sum(1 for line in lines if line.result == "skipped"),
        )
    lines.sort(key=lambda line: (line.leader.casefold(), _number_order(line.number)))
    return Report(options.from_year, options.to_year, options.out, tuple(lines))


# --- who gets a form ---------------------------------------------------------------------------


def _plan(
    archive: Any, options: Options, source: FormDefinition, target: FormDefinition
) -> tuple[list[Job], list[Line]]:
    n, to = options.from_year, options.to_year
    agreements = {r.employee: r for r in archive.forms(year=n, kind="agreement")}
    preparations = {r.employee for r in archive.forms(year=n, kind="preparation")}
    handed_in: set[str] = set()
    generated: dict[str, dict[str, Any]] = {}
    for row in archive.forms(year=to, kind="preparation", latest_only=False):
        if row.state == "generated":
            generated.setdefault(row.employee, {})[row.file_format] = row
        else:
            handed_in.add(row.employee)
    roster = archive.roster() or {}
    people = {p.number: p for p in archive.employees()}
    numbers = set(options.employees) or (set(agreements) | preparations | set(roster))

    jobs: list[Job] = []
    lines: list[Line] = []
    for number in sorted(numbers):
        agreement = agreements.get(number)
        fields = _fields(archive, agreement) if agreement and agreement.state == "signed" else {}
        known = roster.get(number) or people.get(number)
        name = _first(fields.get("employee_name"), getattr(agreement, "employee_name", ""),
                      getattr(known, "name", ""))  # fmt: skip
        leader = _first(fields.get("leader_name"), getattr(agreement, "leader_name", ""),
                        getattr(known, "leader", ""))  # fmt: skip
        if options.leader is not None and not same_text(leader, options.leader):
            continue

        def skip(reason: str, number: str = number, name: str = name, leader: str = leader) -> None:
            lines.append(Line(number, name, leader, "skipped", reason))

        if agreement is None or agreement.state == "generated":
            if number not in people and number not in roster:
                skip("not in the archive")
            elif number in preparations:
                skip(f"only a preparation form for {n}")
            else:
                skip(f"no agreement for {n}")
            continue
        if agreement.state != "signed":
            whom = "the employee's" if agreement.state == "awaiting_employee" else "the leader's"
            skip(f"agreement for {n} not signed: awaiting {whom} signature")
            continue
        if number in handed_in:
            skip(f"the preparation form for {to} has already been handed in")
            continue
        folder = output_folder(options.out, leader, number, name)
        stem = form_file_stem(TARGET_FORM, to, number, name)
        made = generated.get(number, {})
        if options.force:
            formats, copies = options.formats, {}
        else:
            formats = tuple(f for f in options.formats if f not in made)
            copies = {
                f: archive.root / made[f].original
                for f in options.formats
                if f in made and not (folder / f"{stem}.{f}").exists()
            }
        if not formats:
            _copy_back(copies, folder, stem)
            files = tuple(folder / f"{stem}.{f}" for f in options.formats)
            reason = "copied back from the personnel folder" if copies else ""
            lines.append(Line(number, name, leader, "already_made", reason, files))
            continue
        carried = carry_over(fields, source, target)
        jobs.append(
            Job(
                number=number,
                name=name,
                leader=leader,
                values=danish_dates(target, carried.values),
                overflow=tuple(str(o) for o in carried.overflow),
                folder=folder,
                stem=stem,
                formats=formats,
                copies=copies,
            )
        )
    return jobs, lines


def _fields(archive: Any, row: Any) -> dict[str, str]:
    """What was read from the filed agreement (its record); the index holds only a summary."""
    try:
        record = decode_record((archive.root / row.record).read_bytes())
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ArchiveError(f"cannot read the record {row.record}: {error}") from error
    fields = (record.get("result") or {}).get("fields") or {}
    return {str(k): str(v) for k, v in fields.items() if isinstance(v, str)}


def _first(*values: str | None) -> str:
    return next((v.strip() for v in values if v and v.strip()), "")


def _copy_back(copies: Mapping[str, Path], folder: Path, stem: str) -> None:
    for fmt, original in copies.items():
        make_private_dirs(folder)
        write_bytes(folder / f"{stem}.{fmt}", original.read_bytes(), mode=OUTPUT_MODE)


# --- making the forms --------------------------------------------------------------------------


def _would_make(job: Job, target: FormDefinition, year: int) -> Line:
    from formflow.forms.pdf import overflowing_fields

    overflow = job.overflow
    if "pdf" in job.formats:
        overflow += tuple(_too_long(key) for key in overflowing_fields(target, job.values, year))
    files = tuple(job.folder / f"{job.stem}.{f}" for f in job.formats)
    return Line(job.number, job.name, job.leader, "would_make", "", files, overflow)


def _make(
    archive: Any,
    settings: Settings,
    options: Options,
    jobs: list[Job],
    progress: Progress | None,
    workers: int | None,
) -> list[Line]:
    lines: list[Line] = []
    total = len(jobs)
    if progress:
        progress(0, total)
    for done, (job, rendered, too_long) in enumerate(
        _rendered(settings, options.to_year, jobs, workers), start=1
    ):
        _copy_back(job.copies, job.folder, job.stem)
        make_private_dirs(job.folder)
        for fmt, data in rendered.items():
            write_bytes(job.folder / f"{job.stem}.{fmt}", data, mode=OUTPUT_MODE)
            archive.record_generated(
                data,
                employee=job.number,
                name=job.name,
                year=options.to_year,
                kind=TARGET_FORM,
                fmt=fmt,
            )
        files = tuple(job.folder / f"{job.stem}.{f}" for f in options.formats)
        overflow = job.overflow + tuple(_too_long(key) for key in too_long)
        lines.append(Line(job.number, job.name, job.leader, "made", "", files, overflow))
        if progress:
            progress(done, total)
    return lines


def _rendered(
    settings: Settings, year: int, jobs: list[Job], workers: int | None
) -> Iterable[tuple[Job, dict[str, bytes], list[str]]]:
    """Each job with its files and its overflowing fields, in the order they finish."""
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(jobs) < 2:
        for job in jobs:
            yield (job, *render_job(settings, year, job))
        return
    import multiprocessing

    # forkserver: the parent may run threads (the progress bar), which fork must not copy
    context = multiprocessing.get_context("forkserver")
    pool: Executor = ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context)
    with pool:
        futures = {pool.submit(render_job, settings, year, job): job for job in jobs}
        for future in as_completed(futures):
            yield (futures[future], *future.result())


_DEFINITIONS: dict[str, FormDefinition] = {}  # by repr(settings): one per worker and run


def render_job(settings: Settings, year: int, job: Job) -> tuple[dict[str, bytes], list[str]]:
    """One employee's form in each format, and the fields whose text overflows in the PDF
    (run in a worker process: the definition is loaded once per worker)."""
    from formflow.forms.pdf import overflowing_fields
    from formflow.forms.render import render_bytes

    key = repr(settings)
    if key not in _DEFINITIONS:
        _DEFINITIONS[key] = load_definition(TARGET_FORM, settings)
    target = _DEFINITIONS[key]
    rendered = {fmt: render_bytes(target, year, job.values, fmt) for fmt in job.formats}
    too_long = overflowing_fields(target, job.values, year) if "pdf" in job.formats else []
    return rendered, too_long


def _too_long(key: str) -> str:
    return f"{key}: text longer than its box (the field holds it whole; check the printout)"


def _number_order(number: str) -> tuple[int, int, str]:
    return (0, int(number), "") if number.isdigit() else (1, 0, number)
