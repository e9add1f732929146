"""`formflow demo`: a small MUS workspace, run through the whole round, explained as it goes.

It makes a folder with a settings file, a roster of five employees and an inbox holding four
forms filled by other programs than formflow's renderer (the blank PDF filled with pypdf as a
PDF viewer would, the blank DOCX edited with python-docx as Word would): a signed agreement,
one awaiting the employee's signature, one with an impossible date, and a preparation form.
Then it runs `watch --once`, `status` and `carry-over` on it and says what happened, with the
paths to look at, and adds three users for `formflow serve` (HR, the leader, one employee) with
fresh random passwords, printed once and kept in `demo-brugere.txt` (0600) for a second look.
Only formflow's own dependencies are needed (no pdftk, no LibreOffice).
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from formflow.config import Settings, load_settings
from formflow.errors import FormflowError
from formflow.forms.library import load_definition
from formflow.forms.render import render_bytes
from formflow.fsutil import make_private_dirs, write_bytes

DEFAULT_FOLDER = Path("mus-demo")
LEADER = "Lise Løvgren"
# The web page's users the demo makes: login, role, person (see `formflow users add`).
WEB_USERS = (("hanne", "hr", ""), ("lise", "leader", LEADER), ("anna", "employee", "1001"))
USERS_FILE = "demo-brugere.txt"
# Letters and digits no one misreads when typing a password off the screen (no 0/O, 1/l/I).
_PASSWORD_LETTERS = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ROSTER = (
    ("1001", "Anna Ærø", LEADER),
    ("1002", "Bent Bødker", LEADER),
    ("1003", "Carla Østergaard", LEADER),
    ("1004", "Dennis Åberg", LEADER),
    ("1005", "Eva Holm", LEADER),
)
SETTINGS_TEXT = """\
# formflow settings for the demo workspace (see `formflow settings --defaults`).
# inbox, archive and roster are the built-in defaults, written out to show where things are.
inbox = "inbox"
archive = "archive"
roster = "employees.csv"

[watch]
stability_seconds = 0.5
"""

Say = Callable[[str], None]


@dataclass(frozen=True)
class DemoResult:
    """What the demo's round did, for the summary and the tests."""

    folder: Path
    year: int
    filed: dict[str, str]  # employee number -> archive state
    rejected: tuple[str, ...]  # file names returned to the inbox's rejected folder
    held: tuple[str, ...]
    made: tuple[Path, ...]  # carry-over forms
    users: dict[str, str]  # login -> password of the web users made now (none if they existed)


def fill_pdf(blank: bytes, values: Mapping[str, str]) -> bytes:
    """Fill AcroForm fields as a PDF viewer does: values set, appearances left to the viewer."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(blank)))
    for page in writer.pages:
        writer.update_page_form_field_values(page, dict(values), auto_regenerate=False)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def fill_docx(blank: bytes, values: Mapping[str, str]) -> bytes:
    """Type answers into the DOCX's content controls as Word does (python-docx, by tag)."""
    from docx import Document
    from docx.oxml.ns import qn

    document = Document(io.BytesIO(blank))
    for sdt in document.element.body.iter(qn("w:sdt")):
        tag = sdt.find(f"{qn('w:sdtPr')}/{qn('w:tag')}")
        key = tag.get(qn("w:val")) if tag is not None else None
        if not isinstance(key, str) or key not in values:
            continue
        properties = sdt.find(qn("w:sdtPr"))
        for flag in properties.findall(qn("w:showingPlcHdr")):
            properties.remove(flag)
        content = sdt.find(qn("w:sdtContent"))
        runs = list(content.iter(qn("w:r")))
        first = runs[0]
        for run in runs[1:]:
            run.getparent().remove(run)
        for child in list(first):
            if child.tag != qn("w:t"):
                first.remove(child)  # the placeholder's grey style
        text = first.find(qn("w:t"))
        text.text = values[key]
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _danish(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def _agreement_values(
    number: str, name: str, meeting: date, today: date, *, employee_signed: bool
) -> dict[str, str]:
    """An agreement as leader and employee fill it in, signed by the leader (and employee)."""
    values = {
        "employee_number": number,
        "employee_name": name,
        "employee_position": "Konsulent",
        "leader_name": LEADER,
        "meeting_date": _danish(meeting),
        "goal_professional_1_text": "Tage certificering i projektledelse",
        "goal_professional_1_start": _danish(meeting + timedelta(days=10)),
        "goal_professional_1_end": _danish(meeting + timedelta(days=200)),
        "goal_sales_1_text": "Være med på tre kundemøder i Århus",
        "plan_1_competence": "Projektledelse: lede et lille projekt alene",
        "plan_1_followup_date": _danish(today + timedelta(days=10)),
        "plan_1_followup_who": LEADER,
        "next_meeting_date": _danish(meeting + timedelta(days=360)),
        "signature_leader": LEADER,
        "signature_leader_date": _danish(meeting + timedelta(days=2)),
    }
    if employee_signed:
        values["signature_employee"] = name
        values["signature_employee_date"] = _danish(meeting + timedelta(days=3))
    return values


def _preparation_values(meeting: date, today: date) -> dict[str, str]:
    """Dennis's preparation form for his coming meeting, signed today."""
    return {
        "employee_number": "1004",
        "employee_name": "Dennis Åberg",
        "leader_name": LEADER,
        "meeting_date": _danish(meeting),
        "highlight_1": "Kundeprojektet i Aalborg",
        "work_environment": "Mere ro i kontorlandskabet om formiddagen.",
        "signature_employee": "Dennis Åberg",
        "signature_employee_date": _danish(today),
    }


def sample_forms(today: date) -> tuple[int, dict[str, bytes]]:
    """The MUS year and the four forms dropped into the demo's inbox, by file name: a signed
    agreement, one awaiting the employee's signature, one with an impossible date (30
    February) and a preparation form for a meeting in two weeks."""
    meeting = today - timedelta(days=20)
    year = meeting.year
    signed = _agreement_values("1001", "Anna Ærø", meeting, today, employee_signed=True)
    awaiting = _agreement_values("1002", "Bent Bødker", meeting, today, employee_signed=False)
    impossible = _agreement_values("1003", "Carla Østergaard", meeting, today, employee_signed=True)
    impossible["goal_professional_1_end"] = f"30.02.{year}"
    next_meeting = today + timedelta(days=14)
    agreement = load_definition("agreement")
    blank_pdf = render_bytes(agreement, year, {}, "pdf")
    blank_preparation = render_bytes(load_definition("preparation"), next_meeting.year, {}, "pdf")
    return year, {
        "aftaleskema-anna.pdf": fill_pdf(blank_pdf, signed),
        "aftaleskema-bent.docx": fill_docx(render_bytes(agreement, year, {}, "docx"), awaiting),
        "aftaleskema-carla.pdf": fill_pdf(blank_pdf, impossible),
        "forberedelse-dennis.pdf": fill_pdf(
            blank_preparation, _preparation_values(next_meeting, today)
        ),
    }


def create_workspace(folder: Path, *, force: bool, today: date) -> tuple[Settings, int]:
    """The demo folder with settings, roster and a filled inbox; never overwrites a file."""
    if folder.exists() and not folder.is_dir():
        raise FormflowError(f"{folder} exists and is not a folder")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise FormflowError(f"{folder} is not empty; choose another folder or use --force")
    make_private_dirs(folder / "inbox")
    year, forms = sample_forms(today)
    roster = "number,name,leader\n" + "".join(f"{n},{name},{lead}\n" for n, name, lead in ROSTER)
    files = {"formflow.toml": SETTINGS_TEXT, "employees.csv": roster}
    for name, text in files.items():
        if not (folder / name).exists():
            write_bytes(folder / name, text.encode("utf-8"), mode=0o644)
    for name, data in forms.items():
        target = folder / "inbox" / name
        if not target.exists():
            write_bytes(target, data, mode=0o644)
    return load_settings(folder / "formflow.toml"), year


def run_demo(folder: Path, *, force: bool = False, say: Say = print) -> DemoResult:
    """Make the workspace, run the round on it, and tell what happened (see the module doc)."""
    today = date.today()
    settings, year = create_workspace(folder, force=force, today=today)
    say(f"Made a MUS workspace in {folder}/ for five employees of {LEADER} (employees.csv).")
    say("Four forms were filled by other programs (pypdf, python-docx) and dropped in inbox/.")
    say("")
    filed, rejected, held = _watch_once(settings, say)
    say("")
    _status(settings, year, today, say)
    say("")
    made = _carry_over(settings, folder, year, say)
    say("")
    users = _web_users(settings, folder, say)
    say("")
    say(f"Try next: cd {folder} && formflow status --year {year}, "
        "formflow archive show 1001, formflow check inbox/afvist/*.pdf")  # fmt: skip
    say(f"Or the web page: cd {folder} && formflow serve, then open "
        "http://127.0.0.1:8080/login and log in as hanne, lise or anna.")  # fmt: skip
    return DemoResult(folder, year, filed, rejected, held, made, users)


def _watch_once(
    settings: Settings, say: Say
) -> tuple[dict[str, str], tuple[str, ...], tuple[str, ...]]:
    """Step 1, `formflow watch --once`: what was filed (by employee), rejected and held."""
    from formflow.archive import Archive
    from formflow.watch import run_watch

    say("1. formflow watch --once: reading and filing the inbox ...")
    run_watch(settings, once=True)
    archive = Archive.open(settings)
    filed = {r.employee: r.state for r in archive.forms(latest_only=False)}
    rejected_dir = settings.inbox / settings.watch.rejected_folder
    held_dir = settings.inbox / settings.watch.held_folder
    rejected = _names(rejected_dir)
    held = _names(held_dir)
    for number, state in sorted(filed.items()):
        say(f"   filed for {number} as {state.replace('_', ' ')}")
    for name in rejected:
        say(f"   rejected {name}: the reason, in Danish, is in {rejected_dir}/{name}.txt")
    for name in held:
        say(f"   held {name} for a person to decide: see {held_dir}/")
    say(f"   Personnel folders: {settings.archive}/personale/")
    return filed, rejected, held


def _status(settings: Settings, year: int, today: date, say: Say) -> None:
    """Step 2, `formflow status`: one line per employee of the roster, and the totals."""
    from formflow.archive import Archive
    from formflow.rounds import round_of, row_summary, totals_line

    say(f"2. formflow status --year {year}: where the round stands")
    status = round_of(
        Archive.open(settings),
        year,
        today=today,
        deadline_days=settings.validation.preparation_deadline_days,
    )
    for row in status.rows:
        say(f"   {row.number} {row.name}: {row_summary(row, today.isoformat())}")
    say(f"   {totals_line(status)}")


def _carry_over(settings: Settings, folder: Path, year: int, say: Say) -> tuple[Path, ...]:
    """Step 3, `formflow carry-over`: next year's preparation forms; the files made."""
    from formflow.carryover_run import Options, run_carry_over

    say(f"3. formflow carry-over --from-year {year}: next year's preparation forms")
    out = folder / f"carry-over-{year + 1}"
    report = run_carry_over(settings, Options(from_year=year, to_year=year + 1, out=out), workers=1)
    made: list[Path] = []
    for line in report.lines:
        if line.result == "made":
            made += line.files
            say(f"   made for {line.number} {line.name}: {line.files[0]}")
        else:
            say(f"   {line.number} {line.name}: {line.result.replace('_', ' ')}"
                f"{': ' + line.reason if line.reason else ''}")  # fmt: skip
    return tuple(made)


def _web_users(settings: Settings, folder: Path, say: Say) -> dict[str, str]:
    """Step 4: HR, the leader and one employee as users of `formflow serve`, each with a
    fresh random password (a rerun with --force keeps users that exist and their passwords)."""
    from formflow.web.users import Users

    users = Users.of_archive(settings.archive)
    made: dict[str, str] = {}
    say("4. formflow users add: users for the web page (formflow serve)")
    for login, role, person in WEB_USERS:
        if users.get(login) is not None:
            say(f"   {login} ({role}) exists already; its password is unchanged")
            continue
        made[login] = "".join(secrets.choice(_PASSWORD_LETTERS) for _ in range(12))
        users.add(login, role, person, made[login])
        say(f"   {login} ({role}{', ' + person if person else ''}): password {made[login]}")
    if made:
        lines = "".join(f"{login} {password}\n" for login, password in made.items())
        write_bytes(folder / USERS_FILE, lines.encode("utf-8"), mode=0o600)
        say(f"   The passwords are also in {folder / USERS_FILE} (only you can read it).")
    return made


def _names(folder: Path) -> tuple[str, ...]:
    if not folder.is_dir():
        return ()
    return tuple(sorted(p.name for p in folder.iterdir() if p.is_file() and p.suffix != ".txt"))
