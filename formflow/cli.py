"""The command line: thin click commands over the library.

Each command parses its options, calls one library function and turns `FormflowError` into a
clean exit. Heavy libraries (pypdf, reportlab, pdfplumber, python-docx, watchdog) are imported
inside the commands, never at module level, so `formflow --help` answers at once.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from formflow import __version__
from formflow.errors import FormflowError

if TYPE_CHECKING:
    from formflow.config import Settings


class Context:
    """Settings are loaded on first use, so `--help` never reads a file."""

    def __init__(self, config: Path | None) -> None:
        self.config = config
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from formflow.config import load_settings

            self._settings = load_settings(self.config)
        return self._settings


pass_context = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="formflow")
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Settings file (default: ./formflow.toml or $FORMFLOW_CONFIG; none needed).",
)
@click.pass_context
def cli(ctx: click.Context, config: Path | None) -> None:
    """formflow: the paperwork of the Danish employee development interview (MUS).

    Renders the preparation and agreement forms, reads them back from whatever program filled
    them, files them into personnel folders and carries last year's agreement over into next
    year's preparation form.
    """
    ctx.obj = Context(config)


# --- forms ----------------------------------------------------------------------------------


@cli.group()
def forms() -> None:
    """Render the MUS forms and build an organisation's own."""


@forms.command("render")
@click.argument("kind")
@click.option(
    "--year", type=click.IntRange(2000, 2100), required=True, help="MUS year shown in the title."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["pdf", "docx", "both"]),
    default="both",
    show_default=True,
    help="File format(s) to write.",
)
@click.option(
    "--data",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON object of contract keys -> values to pre-fill.",
)
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder to write into.",
)
@click.option(
    "--roster",
    "per_employee",
    is_flag=True,
    help="One form per employee on the roster (setting `roster`), pre-filled with number, "
    "name, leader, and position and meeting date when the roster has them, in "
    "<out>/<leader>/<number> <name>/.",
)
@pass_context
def forms_render(
    ctx: Context,
    kind: str,
    year: int,
    fmt: str,
    data: Path | None,
    out_dir: Path,
    per_employee: bool,
) -> None:
    """Render form KIND (preparation, agreement or an own definition), blank or pre-filled.

    With --roster: the first round, one pre-filled form per employee, so nobody types their
    own employee number.
    """
    from formflow.forms.library import load_definition
    from formflow.forms.render import render_files

    definition = load_definition(kind, ctx.settings)
    values = _load_json_object(data) if data else {}
    formats = ["pdf", "docx"] if fmt == "both" else [fmt]
    if per_employee:
        from formflow.first_round import render_first_round

        paths = render_first_round(ctx.settings.roster, definition, year, values, formats, out_dir)
    else:
        paths = iter(render_files(definition, year, values, formats, out_dir))
    for path in paths:
        click.echo(str(path))


@forms.command("learn")
@click.argument("blank", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="Name of the learned definition (e.g. firma).")
@click.option(
    "--kind", type=click.Choice(["preparation", "agreement"]), help="When the title does not say."
)
@click.option("--yes", is_flag=True, help="Take the certain proposals; leave uncertain places out.")
@pass_context
def forms_learn(ctx: Context, blank: Path, name: str, kind: str | None, yes: bool) -> None:
    """Learn an organisation's own BLANK form (DOCX or PDF) as a definition in forms.directory."""
    from formflow.forms.learn_command import learn

    path = learn(blank, name, kind, yes, ctx.settings)
    click.echo(f"Skrev {path}. Udfyldte kopier læses nu efter det; tegn det med:")
    click.echo(f"  formflow forms render {name} --year ÅÅÅÅ")


@forms.command("list")
@pass_context
def forms_list(ctx: Context) -> None:
    """List the form definitions available (built-in and the organisation's own)."""
    from formflow.forms.library import available_definitions, load_definition

    for name in available_definitions(ctx.settings):
        definition = load_definition(name, ctx.settings)
        click.echo(
            f"{name:28} {definition.kind:15} {len(definition.fields):4} fields  "
            f"{definition.subtitle}"
        )


@forms.command("fields")
@click.argument("kind")
@pass_context
def forms_fields(ctx: Context, kind: str) -> None:
    """List the field keys, types and Danish labels of form KIND (the contract)."""
    from formflow.forms.library import load_definition

    definition = load_definition(kind, ctx.settings)
    for spec in definition.fields:
        row = f" [{spec.row}]" if spec.row else ""
        click.echo(f"{spec.key:36} {spec.type:10} {spec.label}{row}")


@forms.command("questions")
def forms_questions() -> None:
    """List the question bank (seeds 000 and 003) by main theme, with the ids `forms new` takes."""
    from formflow.forms.library import question_bank

    bank = question_bank()
    for theme in bank.themes:
        click.echo(f"\n{theme.label} ({theme.key})")
        for question in bank.questions:
            if question.theme == theme.key:
                mark = " [anerkendende]" if question.appreciative else ""
                click.echo(f"  {question.id:24} [{question.source}]{mark} {question.text}")


@forms.command("new")
@click.argument("organisation")
@click.option(
    "-q",
    "--question",
    "questions",
    multiple=True,
    help="Question id from `formflow forms questions` (repeat; all three themes needed). "
    "Without any, you pick interactively.",
)
@click.option(
    "-c",
    "--category",
    "categories",
    multiple=True,
    help="Own goal category as key=Label, e.g. clinical='Klinisk udvikling' (repeat).",
)
@click.option("--subtitle", default="", help="Subtitle under the title, e.g. the organisation.")
@click.option(
    "--scale",
    type=click.Choice(["text", "smiley"]),
    default="text",
    show_default=True,
    help="How the questions are answered: in words, or on five faces (seed 002's smiley MUS).",
)
@click.option(
    "--appreciative",
    is_flag=True,
    help="An appreciative MUS (seed 002): pick from the appreciative questions only; "
    "without --question, all of them.",
)
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the definition into (default: the forms.directory setting, "
    "else ./own-forms).",
)
@pass_context
def forms_new(
    ctx: Context,
    organisation: str,
    questions: tuple[str, ...],
    categories: tuple[str, ...],
    subtitle: str,
    scale: str,
    appreciative: bool,
    out_dir: Path | None,
) -> None:
    """Build ORGANISATION's own preparation form from the question bank (the MUS-automat)."""
    import tomllib

    from formflow.forms.builder import build_preparation, definition_name, parse_categories
    from formflow.forms.library import builtin_forms_dir, load_definition, question_bank
    from formflow.fsutil import make_private_dirs, write_bytes

    bank = question_bank()
    name = definition_name(organisation)
    picked = list(questions) or _pick_questions(bank, appreciative)
    base = tomllib.loads((builtin_forms_dir() / "preparation.toml").read_text(encoding="utf-8"))
    text = build_preparation(
        base,
        bank,
        picked,
        organisation,
        parse_categories(categories),
        subtitle,
        scale=scale,
        appreciative=appreciative,
    )
    folder = out_dir or Path(ctx.settings.forms.directory or "own-forms")
    make_private_dirs(folder)
    path = folder / f"{name}.toml"
    write_bytes(path, text.encode("utf-8"), mode=0o644)
    definition = load_definition(str(path), ctx.settings)  # proves it loads
    click.echo(f"Wrote {path}: {len(definition.fields)} fields, {len(picked)} questions.")
    click.echo(f"Render it: formflow forms render {path} --year YYYY")
    if not ctx.settings.forms.directory:
        click.echo(f'To use it by name, set [forms] directory = "{folder}" in formflow.toml.')


def _pick_questions(bank: Any, appreciative: bool = False) -> list[str]:
    offered = bank.appreciative if appreciative else bank.questions
    if not sys.stdin.isatty():
        if appreciative:  # every appreciative question: three per main theme
            return [q.id for q in offered]
        raise click.UsageError("give --question ids (or run in a terminal to pick interactively)")
    numbered = []
    for theme in bank.themes:
        click.echo(f"\n{theme.label}")
        for question in offered:
            if question.theme == theme.key:
                numbered.append(question.id)
                click.echo(f"  {len(numbered):2}. {question.text}")
    answer = click.prompt("\nNumbers of the questions to include (e.g. 1,4,13-15)")
    return [numbered[i - 1] for i in _parse_numbers(answer, len(numbered))]


def _parse_numbers(answer: str, count: int) -> list[int]:
    numbers: list[int] = []
    for part in answer.replace(" ", "").split(","):
        low, _, high = part.partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            raise click.BadParameter(f"{part!r} is not a number or a range like 3-5")
        for n in range(int(low), int(high or low) + 1):
            if not 1 <= n <= count:
                raise click.BadParameter(f"{n} is not between 1 and {count}")
            if n not in numbers:
                numbers.append(n)
    return numbers


# --- settings -------------------------------------------------------------------------------


@cli.command("settings")
@click.option("--defaults", is_flag=True, help="Print every setting with its default as TOML.")
@pass_context
def settings_command(ctx: Context, defaults: bool) -> None:
    """Show the settings in force (or all defaults, documented, as a formflow.toml)."""
    from formflow.config import describe_settings

    if defaults:
        section = ""
        for key, default, help_text in describe_settings():
            head, _, name = key.rpartition(".")
            if head != section:
                section = head
                click.echo(f"\n[{head}]")
            click.echo(f"# {help_text}\n{name} = {default}")
        return
    settings = ctx.settings
    for key, _, _ in describe_settings():
        value: Any = settings
        for part in key.split("."):
            value = getattr(value, part)
        click.echo(f"{key} = {value}")


# --- archive --------------------------------------------------------------------------------


@cli.group("archive")
def archive_group() -> None:
    """The personnel file: show, export (GDPR access), verify and reindex the archive."""


@archive_group.command("show")
@click.argument("employee")
@click.option(
    "--wheel",
    "wheel_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also draw the employee's competence wheels across the years to this .svg or .pdf.",
)
@pass_context
def archive_show(ctx: Context, employee: str, wheel_file: Path | None) -> None:
    """Show the personnel file of EMPLOYEE (number or name): every form and version."""
    from formflow import report
    from formflow.archive import Archive

    archive = Archive.open(ctx.settings)
    person, rows = archive.personnel_file(employee)
    click.echo(report.personnel_table(person, rows, archive.transcriptions(rows)), nl=False)
    if wheel_file is not None:
        from formflow.wheel_file import write_wheels

        click.echo(write_wheels(ctx.settings, archive.layout.root, person, rows, wheel_file))


@archive_group.command("export")
@click.argument("employee")
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Zip file to write (never overwritten).",
)
@pass_context
def archive_export(ctx: Context, employee: str, out: Path) -> None:
    """Export everything held on EMPLOYEE (number or name) to a zip, for a GDPR access request."""
    from formflow.archive import Archive

    click.echo(str(Archive.open(ctx.settings).export(employee, out)))


@archive_group.command("verify")
@pass_context
def archive_verify(ctx: Context) -> None:
    """Check every file against its recorded hash and audit entry, every filing in the audit
    log against the files, and the audit chain against its kept head; exit 1 on any problem."""
    from formflow.archive import Archive

    problems = Archive.open(ctx.settings).verify()
    for problem in problems:
        click.echo(problem)
    if problems:
        click.echo(f"{len(problems)} problem(s) found", err=True)
        raise click.exceptions.Exit(1)
    click.echo(
        "archive verified: every file matches its record, every filing in the audit log is"
        " in the archive, the audit chain is intact and reaches its kept head"
    )


@archive_group.command("reindex")
@pass_context
def archive_reindex(ctx: Context) -> None:
    """Rebuild the index from the records on disk (and clear interrupted filings)."""
    from formflow.archive import Archive

    count = Archive.open(ctx.settings).reindex()
    click.echo(f"indexed {count} form(s)")


# --- check ----------------------------------------------------------------------------------


@cli.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON object per file and line (the shape of CheckResult.to_json(), plus "
    "`state`).",
)
@pass_context
def check_command(ctx: Context, files: tuple[Path, ...], as_json: bool) -> None:
    """Read filled MUS forms (PDF or DOCX) and report what was read and what is wrong.

    Each file is read in a separate worker process with the time and memory limits of
    [limits]. Each form's state is what `formflow watch` does with it: filed as received,
    signed, awaiting_employee or awaiting_leader (an agreement complete but for that one
    signature), held (til-afklaring: a form whose employee the roster does not settle: no
    number and a name on no row or on two, a number not on it, another name than its) or
    rejected. Exit status: 0 when every form would be filed (an agreement
    awaiting a signature included), 1 when a form has problems that send it back or would be
    held, 2 when a file cannot be read as a form at all.
    """
    import json

    from formflow import report
    from formflow.archive.roster import read_roster
    from formflow.errors import UnreadableForm
    from formflow.workers import check_files

    settings = ctx.settings
    read_roster(settings.roster)  # a roster that cannot be read is said here, not per file
    results = check_files(list(files), settings)
    if as_json:
        for path, result in zip(files, results, strict=True):
            data = (
                report.unreadable_json(path, result)
                if isinstance(result, UnreadableForm)
                else report.check_json(result, settings)
            )
            click.echo(json.dumps(data, ensure_ascii=False))
    else:
        report.print_checks(files, results, settings)
    if any(isinstance(r, UnreadableForm) for r in results):
        raise click.exceptions.Exit(2)
    states = [report.check_state(r) for r in results if not isinstance(r, UnreadableForm)]
    # held (the roster does not settle whose it is, or a scan to transcribe): not filed either
    raise click.exceptions.Exit(1 if {"rejected", "held"} & set(states) else 0)


# --- watch ----------------------------------------------------------------------------------


@cli.command("watch")
@click.option(
    "--inbox",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder employees drop forms into; it must exist (default: settings inbox, ./inbox).",
)
@click.option(
    "--archive",
    type=click.Path(file_okay=False, path_type=Path),
    help="The personnel folders, made if missing; outside the inbox, never holding it "
    "(default: settings archive, ./archive).",
)
@click.option(
    "--polling",
    type=click.FloatRange(min=0.1),
    is_flag=False,
    flag_value=0.0,
    default=None,
    metavar="[SECONDS]",
    help="Scan the inbox every SECONDS instead of using file events (network shares; "
    "default interval: settings watch.poll_seconds).",
)
@click.option("--once", is_flag=True, help="Process what is in the inbox now, then exit.")
@pass_context
def watch_command(
    ctx: Context, inbox: Path | None, archive: Path | None, polling: float | None, once: bool
) -> None:
    """File every form dropped into the inbox into its personnel folder, exactly once.

    Forms with errors go back to the inbox's rejected folder with a Danish explanation; forms
    whose employee is unclear wait in the held folder. Stop with SIGTERM or Ctrl-C: the files
    in progress are finished first.

    Exit status: 0 when stopped or done (--once); 1 when files were left in the inbox after
    repeated failures; 2 for bad settings; 4 when another daemon watches the inbox; 5 when the
    inbox does not exist or the inbox and the archive overlap (refused at start, before
    anything is created or moved).
    """
    import logging

    from formflow.watch import run_watch

    settings = ctx.settings
    if inbox:
        settings = settings.replace(inbox=inbox)
    if archive:
        settings = settings.replace(archive=archive)
    if polling == 0.0:
        polling = settings.watch.poll_seconds
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    sys.exit(run_watch(settings, polling=polling, once=once))


# --- the round: status, carry-over, demo ----------------------------------------------------


@cli.command("status")
@click.option(
    "--year", type=click.IntRange(2000, 2100), help="MUS year (default: the current year)."
)
@click.option("--leader", help="Only the employees of this leader.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the rows and totals as JSON (English codes)."
)
@click.option(
    "--csv",
    "as_csv",
    is_flag=True,
    help="Print one CSV line per employee for Excel: semicolons, UTF-8 with BOM, Danish "
    "headings and states, ISO dates; a cell that Excel would take for a formula (=, +, -, @) "
    "starts with '.",
)
@pass_context
def status_command(
    ctx: Context, year: int | None, leader: str | None, as_json: bool, as_csv: bool
) -> None:
    """Where the MUS round stands: one row per employee, and the totals.

    Preparation form on time, late, received, missing, rejected (with the reason code) or
    held for a person to decide; meeting date; agreement signed, awaiting whose signature,
    missing, rejected or held; follow-up dates due within 14 days or overdue; next meeting.

    On time: the form arrived, or the employee dated their signature, at least
    validation.preparation_deadline_days before the meeting; the earlier of the two counts, so
    a form that lay in the inbox before formflow watched it is not late.

    Who leads whom: the roster's leader where the roster names one (a form naming another
    leader is filed with a warning), else the one the latest form names. With a roster
    (setting `roster`), employees who sent nothing are listed too.

    The table fits 80 columns, employees grouped per leader; --json gives every field with
    stable English codes (arrival, deadline, next meeting too).
    """
    import gc

    if as_json and as_csv:
        raise click.UsageError("choose one of --json and --csv")
    # A round of 10 000 employees makes ~100 000 small objects and no reference cycles:
    # the cyclic collector would only walk them again and again (~15 % of the command). Off
    # before the archive's modules are imported too: their objects set off a full pass.
    collecting = gc.isenabled()
    gc.disable()
    try:
        _print_round(ctx.settings, year, leader, "json" if as_json else "csv" if as_csv else "")
    finally:
        if collecting:
            gc.enable()


def _print_round(settings: Settings, year: int | None, leader: str | None, fmt: str) -> None:
    """`formflow status`: the round of `year` (default: this year) as a table, JSON or CSV."""
    from datetime import date

    from formflow import report
    from formflow.archive import Archive
    from formflow.rounds import round_of

    today = date.today()
    status = round_of(
        Archive.open(settings),
        year or today.year,
        today=today,
        deadline_days=settings.validation.preparation_deadline_days,
        leader=leader,
    )
    if fmt == "json":
        click.echo(report.status_json(status))
    elif fmt == "csv":
        click.echo(status.to_csv(), nl=False)  # bytes: the BOM and UTF-8 whatever the locale
    else:
        report.print_status(status)


@cli.command("carry-over")
@click.option(
    "--from-year",
    type=click.IntRange(2000, 2100),
    required=True,
    help="MUS year of the signed agreements.",
)
@click.option(
    "--to-year",
    type=click.IntRange(2000, 2100),
    help="Year of the new preparation forms (default: the year after --from-year).",
)
@click.option(
    "--employee", "employees", multiple=True, help="Only this employee number (repeatable)."
)
@click.option("--leader", help="Only the employees of this leader.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["pdf", "docx", "both"]),
    default="pdf",
    show_default=True,
    help="File format(s) to make.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the forms, one subfolder per leader (default: ./carry-over-<to-year>).",
)
@click.option(
    "--form",
    "form",
    metavar="NAME",
    help="The preparation form to make (default: the organisation's own in forms.directory, "
    "else the built-in one).",
)
@click.option("--dry-run", is_flag=True, help="List what would be made; write nothing at all.")
@click.option("--force", is_flag=True, help="Make forms again even if they were made before.")
@pass_context
def carry_over_command(
    ctx: Context,
    from_year: int,
    to_year: int | None,
    employees: tuple[str, ...],
    leader: str | None,
    fmt: str,
    out: Path | None,
    form: str | None,
    dry_run: bool,
    force: bool,
) -> None:
    """Make next year's preparation forms from this year's signed agreements.

    Every employee whose latest agreement for --from-year is signed gets a preparation form
    with last year's goals, dates and development plan filled in, in
    <out>/<leader>/<number> <name>/ (the roster's leader, else the agreement's), and the same
    form is kept in their personnel folder. Running it again makes nothing new unless --force.
    """
    from formflow import report
    from formflow.carryover_run import Options, run_carry_over

    to_year = to_year or from_year + 1
    options = Options(
        from_year=from_year,
        to_year=to_year,
        out=out or Path(f"carry-over-{to_year}"),
        formats=("pdf", "docx") if fmt == "both" else (fmt,),
        employees=tuple(e.strip() for e in employees),
        leader=leader,
        dry_run=dry_run,
        force=force,
        form=form,
    )
    made = run_carry_over(ctx.settings, options, progress=report.progress_bar("Making forms"))
    report.print_carry_over(made)


@cli.command("demo")
@click.argument(
    "folder", required=False, type=click.Path(file_okay=False, path_type=Path), default="mus-demo"
)
@click.option("--force", is_flag=True, help="Use FOLDER even if it is not empty.")
def demo_command(folder: Path, force: bool) -> None:
    """Make a small MUS workspace in FOLDER (default ./mus-demo) and run a round on it.

    Four sample forms filled by other programs go through `watch --once`, then `status` and
    `carry-over` run on the result; what happened is told with the paths to look at.
    """
    from formflow.demo import run_demo

    run_demo(folder, force=force, say=click.echo)


@cli.command("remind")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Send what is due on this day (YYYY-MM-DD; default: today).",
)
@click.option("--dry-run", is_flag=True, help="Show what would go; send and record nothing.")
@pass_context
def remind_command(ctx: Context, today: Any, dry_run: bool) -> None:
    """Send the round's mail due today: invitations and reminders (settings [mail]).

    Invitations with a calendar entry and the pre-filled preparation form, reminders to hand
    in the preparation form, to send the agreement, to sign it, and before follow-ups. Each
    message goes once: run it daily (cron) or let `formflow watch` do it at mail.hour. Exit
    status 1 when a message was refused or could not go (it is tried again on the next run).
    """
    from datetime import date

    from formflow.mail.run import run_remind, table

    report = run_remind(ctx.settings, today.date() if today else date.today(), dry_run=dry_run)
    click.echo(table(report), nl=False)
    if report.count("refused") or report.count("failed"):
        raise click.exceptions.Exit(1)


# --- the web: serve, users ------------------------------------------------------------------


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8080, show_default=True, help="Port."
)
@pass_context
def serve_command(ctx: Context, host: str, port: int) -> None:
    """Serve the MUS round and the personnel files in a browser (need to know only).

    Users log in at /login (add them with `formflow users add`). Put it behind a reverse
    proxy with TLS and set web.secure_cookies; see the README.
    """
    from formflow.web.app import serve

    click.echo(f"formflow serve: http://{host}:{port}/login (Ctrl-C stops)")
    serve(ctx.settings, host, port)


@cli.group("users")
def users_group() -> None:
    """Who may log in to `formflow serve`: add, list, remove, change a password."""


@users_group.command("add")
@click.argument("login")
@click.option(
    "--role",
    type=click.Choice(["hr", "leader", "employee"]),
    required=True,
    help="hr sees everyone, a leader their own employees, an employee their own file.",
)
@click.option(
    "--person",
    default="",
    metavar="NUMBER_OR_NAME",
    help="A leader's name as on the roster; an employee's number (or name).",
)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
@pass_context
def users_add(ctx: Context, login: str, role: str, person: str, password_stdin: bool) -> None:
    """Add the user LOGIN with a role and a password (asked twice unless --password-stdin)."""
    from formflow.archive import Archive
    from formflow.web.access import resolve_person
    from formflow.web.users import Users

    archive = Archive.open(ctx.settings)
    if role != "hr" and person:
        person, warning = resolve_person(role, person, archive.roster(), archive.index.people())
        if warning:
            click.echo(f"Warning: {warning}", err=True)
    users = Users.of_archive(ctx.settings.archive)
    user = users.add(login, role, person, _new_password(password_stdin))
    shown_person = f" for {user.person}" if user.person else ""
    click.echo(f"added {user.login} ({user.role}{shown_person})")


@users_group.command("list")
@pass_context
def users_list(ctx: Context) -> None:
    """List the users: login, role, person, created."""
    from formflow.display import shown
    from formflow.web.users import Users

    for user in Users.of_archive(ctx.settings.archive).all():
        click.echo(f"{user.login:24} {user.role:9} {shown(user.person) or '-':24} {user.created}")


@users_group.command("remove")
@click.argument("login")
@pass_context
def users_remove(ctx: Context, login: str) -> None:
    """Remove the user LOGIN; their sessions end at once."""
    from formflow.web.users import Users

    Users.of_archive(ctx.settings.archive).remove(login)
    click.echo(f"removed {login}")


@users_group.command("passwd")
@click.argument("login")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
@pass_context
def users_passwd(ctx: Context, login: str, password_stdin: bool) -> None:
    """Set a new password for LOGIN; their sessions end at once."""
    from formflow.web.users import Users

    Users.of_archive(ctx.settings.archive).set_password(login, _new_password(password_stdin))
    click.echo(f"new password set for {login}; their sessions have ended")


def _new_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


# --- helpers --------------------------------------------------------------------------------


def _load_json_object(path: Path) -> dict[str, Any]:
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise click.BadParameter(f"{path}: {error}", param_hint="--data") from error
    if not isinstance(data, dict):
        raise click.BadParameter(
            f"{path}: expected a JSON object of field keys", param_hint="--data"
        )
    return data


def main() -> None:
    try:
        # Without standalone mode click returns (not raises) the code of `Exit(n)`.
        code = cli.main(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except FormflowError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(error.exit_code)
