"""Where form definitions live and how they are loaded (the I/O side of `definition`).

The built-in definitions are the project's `forms/` folder (packaged as `formflow/_forms` in a
wheel). An organisation's own definitions, made by `formflow forms new`, live in the folder
named by the `forms.directory` setting and are found by name before the built-in ones.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from formflow.config import Settings
from formflow.errors import DefinitionError
from formflow.forms.definition import (
    Category,
    Competence,
    FormDefinition,
    Overrides,
    QuestionBank,
    parse_definition,
    parse_question_bank,
)

_PACKAGE = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def builtin_forms_dir() -> Path:
    """The built-in `forms/` folder: beside the package in a checkout, inside it in a wheel.

    Looked up once: the package does not move while it runs (a missing folder raises, and an
    exception is not cached).
    """
    for candidate in (_PACKAGE.parent / "forms", _PACKAGE / "_forms"):
        if (candidate / "common.toml").is_file():
            return candidate
    raise DefinitionError("the built-in form definitions (forms/common.toml) are missing")


@lru_cache(maxsize=4)
def question_bank() -> QuestionBank:
    return parse_question_bank(_read(builtin_forms_dir() / "questions.toml"))


def overrides_from(settings: Settings) -> Overrides:
    return Overrides(
        categories=tuple(Category(c["key"], c["label"]) for c in settings.forms.categories),
        goal_rows=settings.forms.goal_rows,
        plan_rows=settings.forms.plan_rows,
        competences=tuple(Competence(c["key"], c["label"]) for c in settings.forms.competences),
    )


def definition_path(name: str, settings: Settings | None = None) -> Path:
    """The TOML file of definition `name` (an organisation's own first, then the built-in).

    `name` may also be the path of a definition file (`own-forms/preparation-klinik.toml`).
    """
    if name.endswith(".toml") and Path(name).is_file():
        return Path(name)
    folders = []
    if settings is not None and settings.forms.directory:
        folders.append(Path(settings.forms.directory))
    folders.append(builtin_forms_dir())
    for folder in folders:
        path = folder / f"{name}.toml"
        if path.is_file():
            return path
    known = ", ".join(available_definitions(settings))
    raise DefinitionError(f"no form definition named {name!r} (known: {known})")


def available_definitions(settings: Settings | None = None) -> list[str]:
    folders = [builtin_forms_dir()]
    if settings is not None and settings.forms.directory:
        folders.append(Path(settings.forms.directory))
    names = {p.stem for folder in folders if folder.is_dir() for p in folder.glob("*.toml")} - {
        "common",
        "questions",
        "vocabulary",
    }
    return sorted(names)


def own_definitions(settings: Settings) -> list[str]:
    """The names of the organisation's own definitions (in `forms.directory`)."""
    folder = Path(settings.forms.directory) if settings.forms.directory else None
    if folder is None or not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.toml"))


def load_definition(name: str, settings: Settings | None = None) -> FormDefinition:
    """The expanded definition `name` ("preparation", "agreement" or an organisation's own).

    Parsed once per version of its file: the cache is keyed by the files' stamps, so an
    organisation's definition edited while the daemon runs is read again.
    """
    settings = settings or Settings()
    path = definition_path(name, settings)
    common = builtin_forms_dir() / "common.toml"
    return _load(path, _stamp(path), _stamp(common), overrides_from(settings))


def _stamp(path: Path) -> tuple[int, int, int]:
    """What tells one version of a file from the next: (mtime_ns, size, inode).

    An editor's save and an atomic replace both change one of these; a missing file has no
    stamp, and `_read` reports it.
    """
    try:
        stat = path.stat()
    except OSError:
        return (0, -1, 0)
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


def definition_for(
    name: str | None, kind: str | None, settings: Settings | None = None
) -> FormDefinition:
    """The definition a filled form was made from: its own name if known here, else its kind.

    A form made from an organisation's own definition names it (`form_definition`); when that
    definition is not installed on this machine, the built-in definition of the same kind
    still reads and validates the contract fields.
    """
    if name:
        try:
            return load_definition(name, settings)
        except DefinitionError:
            if not kind:
                raise
    if not kind:
        raise DefinitionError("the form's kind is unknown")
    return load_definition(kind, settings)


@lru_cache(maxsize=32)
def _load(
    path: Path,
    stamp: tuple[int, int, int],
    common_stamp: tuple[int, int, int],
    overrides: Overrides,
) -> FormDefinition:
    """The parsed definition at `path`; the stamps only key the cache (see `_stamp`)."""
    common = _read(builtin_forms_dir() / "common.toml")
    try:
        return parse_definition(_read(path), common, question_bank(), path.stem, overrides)
    except (KeyError, TypeError, ValueError) as error:
        raise DefinitionError(f"{path.name}: malformed definition ({error!r})") from error


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise DefinitionError(f"cannot read {path}: {error}") from error
