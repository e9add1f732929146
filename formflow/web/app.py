"""The web app of `formflow serve`: Flask, synchronous like the rest of formflow.

`create_app(settings)` builds it (tests drive it with Flask's test client; `serve` runs it
under waitress). Every request for a page or a download is checked on the server: logged in
(a session kept in `users.sqlite`, its cookie only a random token), then need to know
(`access.may_see`); whatever a user may not see answers the same 404 as a number that does
not exist. Every view and download is written to the archive's audit log (who, what, which
employee and form; never form contents) before it is answered. Every POST carries a CSRF
token (an HMAC of the session, or for the login form of a random cookie), failed logins are
rate-limited, and every answer carries a Content-Security-Policy allowing nothing inline.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import wraps
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from formflow.archive import Archive
from formflow.archive.index import EmployeeRow
from formflow.archive.records import valid_number
from formflow.config import Settings
from formflow.display import shown
from formflow.errors import ArchiveError
from formflow.ingest import Assigned
from formflow.reasons import reason_words
from formflow.web import access, pages, preview, queues, roundpage
from formflow.web.sso import Refused, SingleSignOn
from formflow.web.users import Users, UsersError, normal_login
from formflow.wheel_file import draw_wheels
from formflow.workers import Work, read_in_process

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
MIMETYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
TOO_MANY = "For mange mislykkede forsøg på at logge ind. Vent {minutes} minutter, og prøv igen."
WRONG = "Forkert brugernavn eller adgangskode."

site = Blueprint("site", __name__)


def _now() -> datetime:
    return datetime.now().astimezone()


@dataclass(frozen=True)
class Web:
    """What the requests share: settings, the users file, the archive and the clock."""

    settings: Settings
    users: Users
    archive: Archive
    clock: Callable[[], datetime]
    secret: bytes
    rounds: roundpage.Rounds
    sso: SingleSignOn
    work: Work  # what a worker reads a held form with when HR resolves it

    @property
    def cookie(self) -> str:
        # __Host-: the browser keeps it only from HTTPS, for this host, on path /
        return "__Host-formflow" if self.settings.web.secure_cookies else "formflow"

    @property
    def login_cookie(self) -> str:
        return f"{self.cookie}-login"

    @property
    def sso_cookie(self) -> str:
        return f"{self.cookie}-sso"

    def set_cookie(self, response: BaseResponse, name: str, value: str) -> None:
        """HttpOnly, SameSite=Lax, Secure behind TLS (`web.secure_cookies`), path /."""
        secure = self.settings.web.secure_cookies
        response.set_cookie(name, value, httponly=True, samesite="Lax", secure=secure)

    def drop_cookie(self, response: BaseResponse, name: str) -> None:
        # with the attributes it was set with: a browser keeps a __Host- cookie otherwise
        secure = self.settings.web.secure_cookies
        response.delete_cookie(name, httponly=True, samesite="Lax", secure=secure)

    def csrf(self, bound: str) -> str:
        return hmac.new(self.secret, bound.encode("utf-8"), hashlib.sha256).hexdigest()

    def today(self) -> date:
        return self.clock().date()


def create_app(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = _now,
    hasher: PasswordHasher | None = None,
    work: Work = read_in_process,
) -> Flask:
    """The app over the archive and users of `settings` (`clock`: sessions, the round's day;
    `work`: what the worker resolving a held form reads with, tests inject their own)."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024  # a login form, a logout button
    users = Users.of_archive(settings.archive, hasher=hasher, clock=clock)
    archive = Archive(settings.archive, settings)
    rounds = roundpage.Rounds(archive, settings.validation.preparation_deadline_days)
    sso = SingleSignOn(settings.web, users)
    app.extensions["formflow"] = Web(
        settings, users, archive, clock, users.secret(), rounds, sso, work
    )
    app.register_blueprint(site)
    app.before_request(_load_session)
    app.before_request(_check_csrf)
    app.after_request(_secure_headers)
    app.register_error_handler(404, _not_found)
    app.jinja_env.globals["csrf_token"] = _csrf_token
    app.jinja_env.globals["role_words"] = pages.ROLE_WORDS
    app.jinja_env.filters["tal"] = pages.danish_number  # counts as Danes write them: 10.001
    return app


def web() -> Web:
    found: Web = current_app.extensions["formflow"]
    return found


# --- sessions, CSRF, headers ------------------------------------------------------------------


def _load_session(*_: Any) -> None:
    site = web()
    token = request.cookies.get(site.cookie, "")
    session = site.users.session(token, site.settings.web.idle_minutes * 60) if token else None
    g.session = session
    g.user = session.user if session else None


def _csrf_token() -> str:
    """The token the page's forms carry: bound to the session, or on the login page to the
    random value of its own cookie (set by `login_page`)."""
    site = web()
    if g.get("session") is not None:
        return site.csrf("session:" + g.session.token)
    return site.csrf("login:" + g.login_nonce)


def _check_csrf() -> Response | None:
    """Refuse a POST whose token is not the one its page was given (the login form too)."""
    if request.method != "POST":
        return None
    site = web()
    if g.session is not None:
        expected = site.csrf("session:" + g.session.token)
    else:
        nonce = request.cookies.get(site.login_cookie, "")
        expected = site.csrf("login:" + nonce) if nonce else ""
    given = request.form.get("csrf", "")
    if expected and hmac.compare_digest(given.encode(), expected.encode()):
        return None
    body = render_template(
        "message.html",
        title="Formularen er udløbet",
        message="Siden var for gammel, eller formularen kom ikke fra formflow. "
        "Gå tilbage, indlæs siden igen, og prøv en gang til.",
    )
    return Response(body, status=400)


def _secure_headers(response: Response) -> Response:
    response.headers.update(HEADERS)
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"  # personnel data stays off disks
    return response


def _not_found(_: Exception) -> tuple[str, int]:
    """One answer for a number that does not exist and one that is not the user's to see."""
    body = render_template(
        "message.html",
        title="Siden findes ikke",
        message="Siden findes ikke, eller du har ikke adgang til den.",
    )
    return body, 404


def logged_in(view: Callable[..., Any]) -> Callable[..., Any]:
    """The view for a logged-in user; anyone else is sent to the login page."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if g.user is None:
            return redirect(url_for("site.login_page"))
        return view(*args, **kwargs)

    return checked


# --- login and logout ---------------------------------------------------------------------------


@site.get("/login")
def login_page() -> BaseResponse:
    if g.user is not None:
        return redirect(url_for("site.round_page"))
    return _login_form("", 200)


def _login_form(error: str, status: int) -> Response:
    site = web()
    g.login_nonce = secrets.token_urlsafe(24)
    body = render_template("login.html", error=error, sso=site.sso.configured)
    response = Response(body, status=status)
    site.set_cookie(response, site.login_cookie, g.login_nonce)
    return response


@site.post("/login")
def login() -> BaseResponse:
    site, options = web(), web().settings.web
    window = options.login_window_minutes * 60
    try:
        login = normal_login(request.form.get("login", ""))
    except UsersError:
        login = "?"  # counted like a wrong password: the form asks for nothing else
    keys = (f"login:{login}", f"address:{request.remote_addr or '?'}")
    if any(site.users.failures(key, window) >= options.login_attempts for key in keys):
        return _login_form(TOO_MANY.format(minutes=options.login_window_minutes), 429)
    user = site.users.authenticate(login, request.form.get("password", ""))
    if user is None:
        site.users.record_failure(keys, window)
        return _login_form(WRONG, 401)
    site.users.clear_failures(keys[0])
    response = _logged_in_as(user, "password")
    site.drop_cookie(response, site.login_cookie)
    return response


@site.get("/login/sso")
def sso_login() -> BaseResponse:
    """Off to the organisation's identity provider (`sso`), when one is set up."""
    site = web()
    if not site.sso.configured:
        abort(404)
    try:
        url, state = site.sso.begin(url_for("site.sso_answer", _external=True))
    except (Refused, OSError):
        return _sso_refused("Organisationens log ind kan ikke nås lige nu. Prøv igen om lidt.")
    response = redirect(url)
    site.set_cookie(response, site.sso_cookie, state)
    return response


@site.get("/login/sso/svar")
def sso_answer() -> BaseResponse:
    """The identity provider's answer: logs in the formflow user its ID token names."""
    site = web()
    if not site.sso.configured:
        abort(404)
    try:
        user = site.sso.finish(
            request.args,
            request.cookies.get(site.sso_cookie, ""),
            url_for("site.sso_answer", _external=True),
        )
    except Refused as refused:
        site.archive.audit("web_login_refused", method="sso")
        return _sso_refused(str(refused))
    except OSError:
        return _sso_refused("Organisationens log ind kan ikke nås lige nu. Prøv igen om lidt.")
    response = _logged_in_as(user, "sso")
    site.drop_cookie(response, site.sso_cookie)
    return response


def _sso_refused(message: str) -> Response:
    response = _message(
        "Log ind mislykkedes", message, 403, (url_for("site.login_page"), "Til log ind")
    )
    web().drop_cookie(response, web().sso_cookie)
    return response


def _logged_in_as(user: Any, method: str) -> BaseResponse:
    """A new session for `user`, audited; the browser is sent to the round (or its file)."""
    site = web()
    site.users.end_idle_sessions(site.settings.web.idle_minutes * 60)
    token = site.users.start_session(user.login)
    site.archive.audit("web_login", who=user.login, role=user.role, method=method)
    response = redirect(url_for("site.round_page"))
    site.set_cookie(response, site.cookie, token)
    return response


@site.get("/logout")
@logged_in
def logout_page() -> str:
    return render_template("logout.html")


@site.post("/logout")
def logout() -> BaseResponse:
    site = web()
    if g.session is not None:
        site.users.end_session(g.session.token)
    response = redirect(url_for("site.login_page"))
    site.drop_cookie(response, site.cookie)
    return response


# --- the round ----------------------------------------------------------------------------------


@site.get("/")
@logged_in
def round_page() -> Any:
    """The round of a year like `formflow status`: HR everyone (a leader's to choose), a
    leader their own employees; an employee is sent to their own file. A page of it at a
    time (`roundpage.PAGE_ROWS`), the totals of every row the filters keep."""
    site, user = web(), g.user
    if user.role == "employee":
        return redirect(url_for("site.employee_page", number=user.person))
    today = site.today()
    year = request.args.get("aar", type=int) or today.year
    year = year if 2000 <= year <= 2100 else today.year
    found = site.rounds.of(year, today)
    rows = found.rows_of(user)  # HR sees every row, a form handed back by an unknown number too
    chosen_leader = request.args.get("leder", "") if user.role == "hr" else ""
    state = request.args.get("tilstand", "")
    state = state if state in pages.STATE_FILTERS else ""
    if chosen_leader or state:
        rows = tuple(
            r
            for r in rows
            if (not chosen_leader or r.leader == chosen_leader) and pages.matches_state(r, state)
        )
    shown_rows, page, page_count = roundpage.page_of(rows, request.args.get("side", 1, type=int))
    site.archive.audit(
        "web_round", who=user.login, role=user.role, year=year, employees=len(rows), page=page
    )
    leaders = found.leaders if user.role == "hr" else ()
    return render_template(
        "round.html",
        year=year,
        lines=pages.round_lines(shown_rows, today.isoformat()),
        files=found.files,
        totals=pages.totals_table(roundpage.counted(found, rows)),
        leaders=leaders,
        chosen_leader=chosen_leader,
        states=pages.STATE_FILTERS,
        chosen_state=state,
        page=page,
        page_count=page_count,
        first=(page - 1) * roundpage.PAGE_ROWS + 1,
        count=len(rows),
    )


# --- the personnel file -------------------------------------------------------------------------


def _visible(number: str) -> tuple[Any, Any]:
    """(roster, people) when the user may see `number`'s file; else the request ends in 404."""
    site = web()
    if not valid_number(number):
        abort(404)
    person = site.archive.index.person(number)  # its folder's row only: `may_see` reads no other
    roster, people = site.archive.roster(), ({number: person} if person else {})
    if not access.may_see(g.user, number, roster, people):
        abort(404)
    return roster, people


@site.get("/medarbejder/<number>")
@logged_in
def employee_page(number: str) -> str:
    site, user = web(), g.user
    roster, people = _visible(number)
    rows = site.archive.forms(employee=number, latest_only=False)
    ids = [pages.form_id(row) for row in rows]
    site.archive.audit(
        "web_viewed", who=user.login, role=user.role, page="medarbejder", employee=number, forms=ids
    )
    own = user.role == "employee"  # only the employee is shown who has looked (the log is read)
    looks = pages.looks_at(site.archive.index.looks_at(number)) if own else []
    years = pages.personnel_file(site.archive.root, rows, site.settings)
    return render_template(
        "employee.html",
        number=number,
        name=shown(access.name_of(number, roster, people)),
        leader=shown(access.leader_of_employee(number, roster, people)),
        years=years,
        wheels=pages.wheel_legends(years, site.settings),
        looks=looks,
        own=own,
        previewable={f.upper() for f in preview.formats()},
    )


@site.get("/medarbejder/<number>/kompetencespind.svg")
@logged_in
def wheel_image(number: str) -> Response:
    """The employee's competence wheels across the years (`archive show --wheel`'s picture),
    checked and audited like the file; 404 when no filed form marks a wheel."""
    site, user = web(), g.user
    roster, people = _visible(number)
    if not site.settings.forms.competences:
        abort(404)  # no wheel is set up: none to draw
    rows = site.archive.forms(employee=number, latest_only=False)
    person = EmployeeRow(number, shown(access.name_of(number, roster, people)), "", "")
    drawn = draw_wheels(site.settings, site.archive.root, person, rows, ".svg")
    if drawn is None:
        abort(404)
    site.archive.audit(
        "web_viewed", who=user.login, role=user.role, page="kompetencespind", employee=number
    )
    # text escaped by reportlab, no script; served under the CSP like every answer
    return Response(drawn[0], mimetype="image/svg+xml")


@site.get("/medarbejder/<number>/maal")
@logged_in
def goals_page(number: str) -> str:
    """Each agreement's goals beside the status they got in the next year's preparation."""
    site, user = web(), g.user
    roster, people = _visible(number)
    rows = site.archive.forms(employee=number, latest_only=False)
    site.archive.audit("web_viewed", who=user.login, role=user.role, page="maal", employee=number)
    return render_template(
        "goals.html",
        number=number,
        name=shown(access.name_of(number, roster, people)),
        years=pages.goal_years(site.archive.root, rows, site.settings),
        value=pages.value_text,
    )


@site.get("/medarbejder/<number>/skema/<form>/original")
@logged_in
def original(number: str, form: str) -> Response:
    """The original as it was handed in, found by the form's id among the employee's rows."""
    site, user = web(), g.user
    row, path = _original_of(number, form)
    site.archive.audit("web_downloaded", who=user.login, role=user.role, employee=number, form=form)
    # read whole (forms are small, `limits.max_file_mb`): no file handle outlives the request
    response = Response(
        path.read_bytes(), mimetype=MIMETYPES.get(row.file_format, "application/octet-stream")
    )
    response.headers.set("Content-Disposition", "attachment", filename=f"{form}.{row.file_format}")
    return response


@site.get("/medarbejder/<number>/skema/<form>/side-1.png")
@logged_in
def page_image(number: str, form: str) -> Response:
    """An image of page 1 of the original (`preview`), checked and audited like a download."""
    site, user = web(), g.user
    row, path = _original_of(number, form)
    image = preview.page_one(site.archive.work, path, row.sha256, row.file_format)
    if image is None:
        abort(404)
    site.archive.audit("web_previewed", who=user.login, role=user.role, employee=number, form=form)
    return Response(image, mimetype="image/png")


def _original_of(number: str, form: str) -> tuple[Any, Path]:
    """The index row and original of the form with id `form` among `number`'s, when the user
    may see them; else the request ends in 404."""
    _visible(number)
    rows = web().archive.forms(employee=number, latest_only=False)
    row = next((r for r in rows if pages.form_id(r) == form), None)
    path = pages.within(web().archive.root, row.original) if row is not None else None
    if row is None or path is None:
        abort(404)
    return row, path


# --- HR: the queues and the access export --------------------------------------------------------


def hr_only() -> None:
    """Anyone but HR gets the 404 of a page that does not exist."""
    if g.user.role != "hr":
        abort(404)


@site.get("/koer")
@logged_in
def queues_page() -> str:
    """The rejected and held forms still in the inbox, with the reasons they were given."""
    hr_only()
    site, user = web(), g.user
    watch = site.settings.watch
    found = {
        action: queues.queue(site.settings.inbox / folder, action, _handed_back)
        for action, folder in (("rejected", watch.rejected_folder), ("held", watch.held_folder))
    }
    site.archive.audit(
        "web_queues", who=user.login, role=user.role, **{a: len(f) for a, f in found.items()}
    )
    return render_template(
        "queues.html",
        queues=[
            (queues.QUEUE_TITLES[a], folder, f)
            for (a, f), folder in zip(
                found.items(), (watch.rejected_folder, watch.held_folder), strict=True
            )
        ],
        moment=pages.moment,
        kinds=pages.KIND_TITLES,
        reasons=reason_words,
        people=queues.people_to_pick(site.archive.roster(), site.archive.index.people())
        if found["held"]
        else [],
    )


def _handed_back(sha256: str) -> dict[str, Any] | None:
    return web().archive.index.handed_back([sha256]).get(sha256)


@site.post("/koer/afklar")
@logged_in
def resolve_held() -> Response:
    """HR assigns a held form to an employee: it is filed through the normal ingest under
    that number (`Ingestor.ingest(assigned=...)`, in a worker process under `[limits]`), and
    the decision is audited."""
    hr_only()
    site, user = web(), g.user
    folder = site.settings.inbox / site.settings.watch.held_folder
    wanted = request.form.get("skema", "")
    form = next((f for f in queues.queue(folder, "held", _handed_back) if f.sha256 == wanted), None)
    if form is None:
        abort(404)
    number = request.form.get("nummer", "").strip()
    person = site.archive.index.person(number) if valid_number(number) else None
    roster, people = site.archive.roster(), ({number: person} if person else {})
    if not valid_number(number) or not access.is_known(number, roster, people):
        return _message(
            "Ukendt medarbejdernummer",
            f"Medarbejdernummer {shown(number)!s} står hverken i medarbejderlisten eller i "
            "arkivet. Gå tilbage, og skriv nummeret på den medarbejder, skemaet hører til.",
            400,
        )
    leader = access.leader_of_employee(number, roster, people)
    assigned = Assigned(number, leader, user.login)
    outcome = queues.resolve(site.settings, folder, form, assigned, work=site.work)
    site.archive.audit(
        "web_resolved",
        who=user.login,
        role=user.role,
        sha256=form.sha256,
        employee=number,
        # a worker lost over the form: "timeout" or "crashed" (never a path or an error text)
        outcome=outcome.detail if outcome.detail in queues.NOT_READ else outcome.action,
    )
    if outcome.action != "filed":
        message = queues.not_filed(outcome, site.settings)
        return _message("Skemaet blev ikke arkiveret", message, 409)
    name = shown(access.name_of(number, roster, people))
    return _message(
        "Skemaet er arkiveret",
        f"{form.name} ligger nu i personalemappen for {number} {name}.",
        200,
        (url_for("site.employee_page", number=number), "Se personalemappen"),
    )


def _message(title: str, message: str, status: int, link: Any = None) -> Response:
    body = render_template("message.html", title=title, message=message, link=link)
    return Response(body, status=status)


@site.post("/medarbejder/<number>/indsigt")
@logged_in
def access_export(number: str) -> Response:
    """The GDPR access export of one person: the zip `formflow archive export` makes."""
    hr_only()
    site, user = web(), g.user
    _visible(number)
    with tempfile.TemporaryDirectory(prefix="formflow-indsigt-") as folder:  # 0700
        try:
            made = site.archive.export(number, Path(folder) / "indsigt.zip")
        except ArchiveError:  # on the roster, no personnel folder yet: nothing is held
            body = render_template(
                "message.html",
                title="Intet at udlevere",
                message=f"Arkivet har ingen personalemappe for medarbejder {number} endnu.",
            )
            return Response(body, status=404)
        data = made.read_bytes()
    site.archive.audit("web_exported", who=user.login, role=user.role, employee=number)
    response = Response(data, mimetype="application/zip")
    name = f"indsigt-{number}-{site.today().isoformat()}.zip"
    response.headers.set("Content-Disposition", "attachment", filename=name)
    return response


def serve(settings: Settings, host: str, port: int) -> None:
    """Run the app under waitress until stopped."""
    from waitress import serve as waitress_serve

    proxy = settings.web.trusted_proxy
    options: dict[str, Any] = {"host": host, "port": port, "threads": 8, "ident": "formflow"}
    if proxy:
        options |= {
            "trusted_proxy": proxy,
            "trusted_proxy_count": 1,
            "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
            "clear_untrusted_proxy_headers": True,
        }
    waitress_serve(create_app(settings), **options)
