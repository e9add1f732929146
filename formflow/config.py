"""Settings: one frozen object, read once from `formflow.toml` at the edge.

Every setting has a default, so formflow runs with no file at all (local `inbox/` and
`archive/`). A `formflow.toml` in the working folder (or the file named by `--config` or the
`FORMFLOW_CONFIG` environment variable) overrides any of them. Relative paths in the file are
relative to the file's folder. Unknown keys are refused, so a typo never silently keeps a
default. Every field's `help` is the documentation: `formflow settings` prints it and the
README's reference is checked against it by a test.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

from formflow.errors import FolderError, SettingsError

CONFIG_FILE = "formflow.toml"
SIGNATURE_KINDS = ("digital", "drawn", "typed")


def _setting(default: Any, help: str) -> Any:
    if isinstance(default, list | dict):
        return field(default_factory=lambda: type(default)(default), metadata={"help": help})
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class FormsSettings:
    """[forms]: the forms an organisation hands out."""

    categories: list[dict[str, str]] = _setting(
        [],
        "Goal categories replacing seed 004's four, as a list of {key, label} tables; keys are "
        "[a-z]+. Empty: Faglig udvikling, Personlig udvikling, Hjælp til salg, Hjælp til andre "
        "dele af firmaet.",
    )
    goal_rows: int = _setting(
        0, "Rows per goal category in the goal tables; 0 keeps the form's own."
    )
    plan_rows: int = _setting(
        0, "Rows in the development plan (and last year's plan); 0 keeps the form's own."
    )
    competences: list[dict[str, str]] = _setting(
        [],
        "Seed 002's competence wheel: the 6-8 most important competences of the job, as a list "
        "of {key, label} tables (keys [a-z]+). The preparation form asks the employee to mark "
        "each 1-5 (fields wheel_<key>), the agreement the placement agreed in the talk. Empty: "
        "no wheel.",
    )
    directory: str = _setting(
        "", "Folder with the organisation's own form definitions (from `formflow forms new`)."
    )
    vocabulary: str = _setting(
        "",
        "A TOML file of the organisation's own words for the forms' labels, added to "
        "forms/vocabulary.toml (same layout), for reading its own forms.",
    )


@dataclass(frozen=True)
class WatchSettings:
    """[watch]: how the inbox is watched."""

    stability_seconds: float = _setting(
        2.0, "A file is taken once its size and modification time stayed unchanged this long."
    )
    poll_seconds: float = _setting(
        5.0, "Interval of `--polling` (for network shares, where file events never arrive)."
    )
    rescan_seconds: float = _setting(
        60.0, "Full rescan of the inbox this often; the rescan is the source of truth."
    )
    workers: int = _setting(
        2,
        "Worker processes that read, check and file forms (two at a time each); one per core.",
    )
    rejected_folder: str = _setting(
        "afvist",
        "Folder inside the inbox where rejected forms go back, with a .txt explaining why.",
    )
    held_folder: str = _setting(
        "til-afklaring",
        "Folder inside the inbox for forms a person must decide on (unknown employee number, "
        "number and name disagree with the archive).",
    )


@dataclass(frozen=True)
class LimitsSettings:
    """[limits]: what a dropped file may cost."""

    max_file_mb: float = _setting(50.0, "Largest file accepted, in MB.")
    max_pages: int = _setting(50, "Most pages a PDF form may have.")
    parse_timeout_seconds: float = _setting(60.0, "Time limit for reading one file.")
    parse_memory_mb: int = _setting(1024, "Memory limit (address space) of each worker process.")
    docx_max_unpacked_mb: float = _setting(
        100.0, "Largest declared unpacked size of a DOCX (zip bombs are refused before reading)."
    )


@dataclass(frozen=True)
class OcrSettings:
    """[ocr]: reading scanned forms (tesseract)."""

    min_confidence: float = _setting(
        80.0,
        "A word tesseract reads with less confidence (0-100) than this is not read: a value "
        "holding it is not found, and a scan missing a required value goes to a person.",
    )
    dpi: int = _setting(200, "Resolution a scanned PDF page is rasterised at for OCR.")
    language: str = _setting("dan", "Tesseract's language model (`tesseract --list-langs`).")


@dataclass(frozen=True)
class ValidationSettings:
    """[validation]: the deadlines and windows of seed 004."""

    preparation_deadline_days: int = _setting(
        7, "The preparation form is due this many days before the meeting (later: a warning)."
    )
    agreement_deadline_days: int = _setting(
        7, "The agreement is due this many days after the meeting (later: a warning)."
    )
    next_meeting_max_months: int = _setting(
        13, "The next meeting must fall within this many months after the meeting."
    )


@dataclass(frozen=True)
class SignatureSettings:
    """[signatures]: which kinds of signature each role may use."""

    leader: list[str] = _setting(
        list(SIGNATURE_KINDS), "Accepted kinds for the leader: digital, drawn, typed."
    )
    employee: list[str] = _setting(
        list(SIGNATURE_KINDS), "Accepted kinds for the employee: digital, drawn, typed."
    )
    trust_roots: list[str] = _setting(
        [], "PEM or DER files of the certificate authorities trusted for digital signatures."
    )


@dataclass(frozen=True)
class WebSettings:
    """[web]: `formflow serve`, the personnel file and the round in a browser."""

    secure_cookies: bool = _setting(
        False,
        "Send the session cookie only over HTTPS (Secure); turn on behind a TLS proxy.",
    )
    idle_minutes: int = _setting(
        30, "A browser session ends after this many minutes without a request."
    )
    login_attempts: int = _setting(
        5, "Failed logins allowed per login and per client address within login_window_minutes."
    )
    login_window_minutes: int = _setting(
        15, "The window in which failed logins are counted (then the login is open again)."
    )
    trusted_proxy: str = _setting(
        "",
        "Address of the reverse proxy whose X-Forwarded-For/-Proto headers are believed "
        '(e.g. "127.0.0.1"); empty: none.',
    )
    sso_metadata_url: str = _setting(
        "",
        "Single sign-on by OpenID Connect: the identity provider's discovery document (e.g. "
        '"https://login.microsoftonline.com/<tenant>/v2.0/.well-known/openid-configuration"); '
        "empty: passwords only.",
    )
    sso_client_id: str = _setting("", "The client (application) id formflow is registered with.")
    sso_client_secret_file: str = _setting(
        "", "A file holding the client secret (only that), readable by formflow alone."
    )
    sso_login_claim: str = _setting(
        "preferred_username",
        "The ID token's claim naming the formflow login (e.g. preferred_username or email); "
        "users are added with `formflow users add`, never made by a login.",
    )


@dataclass(frozen=True)
class MailSettings:
    """[mail]: the round's invitations and reminders by e-mail (`formflow remind`)."""

    host: str = _setting(
        "", "SMTP server that sends the round's mail; empty: no mail (`formflow remind` refuses)."
    )
    port: int = _setting(25, "SMTP port: 25 or 587 (with starttls), 465 (with ssl).")
    sender: str = _setting("", 'The From address of the mail, e.g. "HR <mus@example.dk>".')
    starttls: bool = _setting(False, "Upgrade the connection with STARTTLS before sending.")
    ssl: bool = _setting(False, "Connect with TLS from the start (SMTPS, port 465).")
    username: str = _setting("", "Login at the SMTP server; empty: a relay without login.")
    password_file: str = _setting(
        "",
        "File holding the SMTP password (its first line); empty: the environment variable "
        "FORMFLOW_SMTP_PASSWORD.",
    )
    meetings: str = _setting(
        "meetings.csv",
        "Optional CSV of meetings (number;date;time;place); a row wins over the date the "
        "latest agreement gives as next meeting.",
    )
    templates: str = _setting(
        "",
        "Folder of the organisation's own mail texts (same file names as formflow/mail/"
        "templates); a text missing there is the built-in one.",
    )
    inbox_text: str = _setting(
        "",
        "Where employees hand in forms, as they know it (a share's name); empty: the inbox "
        "setting's path.",
    )
    attachment: str = _setting(
        "pdf", "Format of the pre-filled preparation form in the invitation: pdf or docx."
    )
    hour: int = _setting(7, "Hour of the day (0-23) at which `formflow watch` sends the mail due.")
    meeting_minutes: int = _setting(60, "Length of a meeting in the calendar invitation.")
    invitation_days: int = _setting(
        21, "The invitation goes this many days before the meeting (employee, leader in copy)."
    )
    handin_reminder_days: int = _setting(
        3,
        "Reminder to hand in the preparation form this many days before its deadline, unless "
        "one has been filed.",
    )
    agreement_reminder_days: int = _setting(
        2,
        "Reminder to the leader this many days before the agreement's deadline, unless one "
        "has been filed.",
    )
    signature_reminder_days: int = _setting(
        3, "Reminder to the employee when an agreement has awaited their signature this long."
    )
    followup_reminder_days: int = _setting(
        7, "Reminder to employee and leader this many days before each plan follow-up date."
    )


@dataclass(frozen=True)
class Settings:
    """All of formflow's settings."""

    inbox: Path = _setting(
        Path("inbox"), "The shared folder employees drop forms into; it must exist (never created)."
    )
    archive: Path = _setting(Path("archive"), "The personnel folders, the index and the audit log.")
    roster: Path = _setting(
        Path("employees.csv"),
        "Optional roster (number,name,leader) so `formflow status` lists who sent nothing.",
    )
    forms: FormsSettings = field(default_factory=FormsSettings)
    watch: WatchSettings = field(default_factory=WatchSettings)
    limits: LimitsSettings = field(default_factory=LimitsSettings)
    ocr: OcrSettings = field(default_factory=OcrSettings)
    validation: ValidationSettings = field(default_factory=ValidationSettings)
    signatures: SignatureSettings = field(default_factory=SignatureSettings)
    web: WebSettings = field(default_factory=WebSettings)
    mail: MailSettings = field(default_factory=MailSettings)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def load_settings(path: Path | None = None) -> Settings:
    """Settings from `path`, `$FORMFLOW_CONFIG` or `./formflow.toml`; defaults if none exists."""
    explicit = path or (
        Path(os.environ["FORMFLOW_CONFIG"]) if "FORMFLOW_CONFIG" in os.environ else None
    )
    candidate = explicit or Path(CONFIG_FILE)
    if not candidate.exists():
        if explicit:
            raise SettingsError(f"settings file not found: {explicit}")
        return Settings()
    try:
        data = tomllib.loads(candidate.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise SettingsError(f"{candidate}: {error}") from error
    return settings_from_dict(data, base=candidate.resolve().parent)


def settings_from_dict(data: dict[str, Any], base: Path | None = None) -> Settings:
    """Build Settings from parsed TOML; relative paths are taken relative to `base`."""
    settings = _build(Settings, data, "")
    if base is not None:
        settings = settings.replace(
            **{name: base / getattr(settings, name) for name in ("inbox", "archive", "roster")}
        )
        settings = settings.replace(mail=_mail_paths(settings.mail, base))
        settings = settings.replace(forms=_forms_paths(settings.forms, base))
    _check(settings)
    return settings


def _forms_paths(forms: FormsSettings, base: Path) -> FormsSettings:
    """[forms]' folder and vocabulary file relative to the settings file's folder, like the
    inbox: `formflow -c /etc/formflow/formflow.toml` must not depend on where it is started."""
    paths = {k: str(base / v) for k in ("directory", "vocabulary") if (v := getattr(forms, k))}
    return dataclasses.replace(forms, **paths)  # type: ignore[arg-type]


def _mail_paths(mail: MailSettings, base: Path) -> MailSettings:
    """[mail]'s file and folder settings relative to the settings file's folder."""
    paths = {
        k: str(base / v)
        for k in ("password_file", "meetings", "templates")
        if (v := getattr(mail, k))
    }
    return dataclasses.replace(mail, **paths)  # type: ignore[arg-type]


def _build(cls: type, data: dict[str, Any], prefix: str) -> Any:
    if not isinstance(data, dict):
        raise SettingsError(f"[{prefix.rstrip('.')}] must be a table")
    hints = get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise SettingsError(f"unknown setting(s): {', '.join(prefix + k for k in unknown)}")
    values: dict[str, Any] = {}
    for name, value in data.items():
        kind = hints[name]
        if dataclasses.is_dataclass(kind):
            values[name] = _build(kind, value, f"{prefix}{name}.")  # type: ignore[arg-type]
        else:
            values[name] = _coerce(kind, value, prefix + name)
    return cls(**values)


def _coerce(kind: Any, value: Any, name: str) -> Any:
    if kind is Path:
        if not isinstance(value, str):
            raise SettingsError(f"{name} must be a path (a string)")
        return Path(value)
    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    origin = getattr(kind, "__origin__", kind)
    if not isinstance(value, origin) or (isinstance(value, bool) and origin is not bool):
        raise SettingsError(f"{name} must be of type {getattr(origin, '__name__', origin)}")
    return value


def _check(settings: Settings) -> None:
    for role in ("leader", "employee"):
        kinds = getattr(settings.signatures, role)
        wrong = [k for k in kinds if k not in SIGNATURE_KINDS]
        if wrong:
            raise SettingsError(
                f"signatures.{role}: unknown kind(s) {', '.join(wrong)}; "
                f"use {', '.join(SIGNATURE_KINDS)}"
            )
    for category in settings.forms.categories:
        key = category.get("key", "") if isinstance(category, dict) else ""
        if not (isinstance(key, str) and key.isascii() and key.isalpha() and key.islower()):
            raise SettingsError(f"forms.categories: key {key!r} must be lowercase letters a-z")
        if not category.get("label"):
            raise SettingsError(f"forms.categories: category {key!r} needs a label")
    _check_competences(settings.forms.competences)
    if settings.watch.workers < 1:
        raise SettingsError("watch.workers must be at least 1")
    if min(settings.web.idle_minutes, settings.web.login_attempts) < 1:
        raise SettingsError("web.idle_minutes and web.login_attempts must be at least 1")
    if settings.web.login_window_minutes < 1:
        raise SettingsError("web.login_window_minutes must be at least 1")
    _check_mail(settings.mail)
    if settings.web.sso_metadata_url and not settings.web.sso_client_id:
        raise SettingsError("web.sso_metadata_url needs web.sso_client_id")
    if settings.forms.vocabulary:
        from formflow.read.vocabulary import check_vocabulary_file

        check_vocabulary_file(Path(settings.forms.vocabulary))


def _check_mail(mail: MailSettings) -> None:
    if mail.attachment not in ("pdf", "docx"):
        raise SettingsError("mail.attachment must be pdf or docx")
    if not 0 <= mail.hour <= 23:
        raise SettingsError("mail.hour must be an hour of the day, 0-23")
    if not 1 <= mail.port <= 65535:
        raise SettingsError("mail.port must be 1-65535")
    if mail.ssl and mail.starttls:
        raise SettingsError("mail.ssl and mail.starttls: choose one")
    days = ("invitation", "handin_reminder", "agreement_reminder", "signature_reminder")
    if min(getattr(mail, f"{d}_days") for d in (*days, "followup_reminder")) < 0:
        raise SettingsError("mail's *_days settings must be 0 or more")
    if mail.meeting_minutes < 1:
        raise SettingsError("mail.meeting_minutes must be at least 1")


def _check_competences(competences: list[dict[str, str]]) -> None:
    """forms.competences: 6-8 {key, label} tables, keys [a-z]+ and distinct (a clear message)."""
    from formflow.errors import DefinitionError
    from formflow.forms.definition import Competence, check_competences

    wheel = []
    for item in competences:
        if not isinstance(item, dict) or set(item) != {"key", "label"}:
            raise SettingsError(
                'forms.competences: write each competence as { key = "...", label = "..." }'
            )
        wheel.append(Competence(str(item["key"]), str(item["label"])))
    try:
        check_competences(tuple(wheel))
    except DefinitionError as error:
        raise SettingsError(str(error)) from None


def check_watch_folders(settings: Settings) -> None:
    """Refuse folders the daemon cannot watch safely, before it touches anything.

    The inbox must exist and be a folder: formflow never makes one, so a mistyped path (or a
    daemon started in the wrong folder) cannot become a second, empty inbox nobody drops into.
    The archive (made if missing) must lie outside the inbox and the inbox outside the
    archive: otherwise the daemon takes its own index and audit log for forms, or files forms
    among the originals.
    """
    inbox, archive = Path(settings.inbox), Path(settings.archive)
    if not inbox.is_dir():
        state = "is not a folder" if inbox.exists() else "does not exist"
        raise FolderError(
            f"inbox {_shown(inbox)} {state}; create it (mkdir -p {inbox}) or give the right "
            "--inbox or `inbox` setting (formflow never creates an inbox)"
        )
    archive_in_inbox, inbox_in_archive = _within(archive, inbox), _within(inbox, archive)
    if archive_in_inbox and inbox_in_archive:
        overlap = f"inbox {_shown(inbox)} and archive {_shown(archive)} are the same folder"
    elif archive_in_inbox:
        overlap = f"archive {_shown(archive)} lies inside inbox {_shown(inbox)}"
    elif inbox_in_archive:
        overlap = f"inbox {_shown(inbox)} lies inside archive {_shown(archive)}"
    else:
        return
    raise FolderError(
        f"{overlap}: they must be two separate folders, neither inside the other (refused "
        "before anything was moved or created)"
    )


def _within(path: Path, folder: Path) -> bool:
    """Whether `path` is `folder` or lies inside it, by real paths and by file identity (a bind
    mount or a case-insensitive network share can name one folder in two ways)."""
    real, real_folder = path.resolve(), folder.resolve()
    if real.is_relative_to(real_folder):
        return True
    if not real_folder.is_dir():
        return False
    return any(p.exists() and os.path.samefile(p, real_folder) for p in (real, *real.parents))


def _shown(path: Path) -> str:
    """The path as given, with its real path when that differs (symlinks, `..`, relative)."""
    real = path.resolve()
    return str(path) if str(path) == str(real) else f"{path} (= {real})"


def describe_settings() -> list[tuple[str, str, str]]:
    """(dotted key, default, help) for every setting: the documentation of formflow.toml."""
    rows: list[tuple[str, str, str]] = []

    def walk(cls: type, prefix: str) -> None:
        hints = get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if dataclasses.is_dataclass(hints[f.name]):
                walk(hints[f.name], f"{prefix}{f.name}.")
                continue
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[operator]
            rows.append((prefix + f.name, _toml_value(default), f.metadata["help"]))

    walk(Settings, "")
    return rows


def _toml_value(value: Any) -> str:
    if isinstance(value, Path):
        return f'"{value}"'
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return str(value)
