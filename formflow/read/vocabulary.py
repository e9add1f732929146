"""The Danish words organisations use for the contract's labels, as data (`forms/vocabulary.toml`).

An organisation's own form says *klinikejer* where formflow's says *Leder*, "Samtaledato" for
"Dato for samtale", "Dato og underskrift, klinikejer" for a box holding a date and a
signature. The built-in vocabulary lists such words per contract key; the setting
`forms.vocabulary` names a file of the organisation's own, added to them. `parse_vocabulary` is
pure (TOML text in, a frozen `Vocabulary` out); `vocabulary_for(settings)` reads the files,
once per version of them.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from formflow.errors import DefinitionError, SettingsError

if TYPE_CHECKING:
    from formflow.config import Settings

_PLACEHOLDERS = {
    "<cat>": "[a-z]+",
    "<row>": "[a-z]+",
    "<n>": r"\d+",
    "<role>": "(?P<role>[a-z]+)",
}
_SECTIONS = ("titles", "roles", "labels", "combined", "categories")


@dataclass(frozen=True)
class Vocabulary:
    """Words by contract key pattern (`goal_<cat>_<n>_start`), roles, titles and categories."""

    titles: tuple[tuple[str, tuple[str, ...]], ...] = ()
    roles: tuple[tuple[str, tuple[str, ...]], ...] = ()
    labels: tuple[tuple[str, tuple[str, ...]], ...] = ()
    combined: tuple[tuple[str, tuple[str, ...]], ...] = ()
    categories: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def words(self, key: str) -> tuple[str, ...]:
        """The labels that may name field `key` (its definition label comes on top)."""
        return _expand(self.labels, self.roles, key)

    def combined_words(self, key: str) -> tuple[str, ...]:
        """The labels of a box holding both signature `key` and its date."""
        return _expand(self.combined, self.roles, key)

    def category_words(self, key: str) -> tuple[str, ...]:
        return dict(self.categories).get(key, ())

    def title_words(self) -> tuple[tuple[str, str], ...]:
        """(word, kind) pairs, longest word first (one title word may contain another)."""
        pairs = [(word, kind) for kind, words in self.titles for word in words]
        return tuple(sorted(pairs, key=lambda pair: -len(pair[0])))


@lru_cache(maxsize=1024)
def _pattern(key: str) -> re.Pattern[str]:
    text = re.escape(key)
    for placeholder, regex in _PLACEHOLDERS.items():
        text = text.replace(re.escape(placeholder), regex)
    return re.compile(text)


def _expand(
    table: tuple[tuple[str, tuple[str, ...]], ...],
    roles: tuple[tuple[str, tuple[str, ...]], ...],
    key: str,
) -> tuple[str, ...]:
    found: list[str] = []
    for pattern, words in table:
        match = _pattern(pattern).fullmatch(key)
        if match is None:
            continue
        role = match.groupdict().get("role")
        for word in words:
            if "{role}" in word:
                names = dict(roles).get(role or "", ())
                found.extend(word.replace("{role}", name) for name in names)
            else:
                found.append(word)
    return tuple(dict.fromkeys(found))


def parse_vocabulary(texts: Iterable[tuple[str, str]]) -> Vocabulary:
    """The vocabulary of TOML `texts` ((name, text) pairs), later files adding to earlier."""
    merged: dict[str, dict[str, list[str]]] = {section: {} for section in _SECTIONS}
    for name, text in texts:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise DefinitionError(f"{name}: {error}") from error
        _merge(merged, data, name)
    return Vocabulary(
        **{
            section: tuple((key, tuple(words)) for key, words in merged[section].items())
            for section in _SECTIONS
        }
    )


def _merge(merged: dict[str, dict[str, list[str]]], data: Mapping[str, Any], name: str) -> None:
    unknown = sorted(set(data) - set(_SECTIONS))
    if unknown:
        raise DefinitionError(f"{name}: unknown table(s) {', '.join(unknown)}")
    for section, table in data.items():
        if not isinstance(table, dict):
            raise DefinitionError(f"{name}: [{section}] must be a table")
        for key, words in table.items():
            if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
                raise DefinitionError(f"{name}: {section}.{key} must be a list of words")
            known = merged[section].setdefault(key, [])
            known.extend(word for word in words if word not in known)


def check_vocabulary_file(path: Path) -> None:
    """An organisation's vocabulary file (setting `forms.vocabulary`) that cannot be used is a
    settings error, found when the settings are read, not at each form."""
    try:
        parse_vocabulary([(str(path), path.read_text(encoding="utf-8"))])
    except (OSError, UnicodeDecodeError, DefinitionError) as error:
        raise SettingsError(f"forms.vocabulary: {error}") from error


def vocabulary_for(settings: Settings | None = None) -> Vocabulary:
    """The built-in vocabulary plus the organisation's `forms.vocabulary` file, if set."""
    from formflow.forms.library import builtin_forms_dir

    paths = [builtin_forms_dir() / "vocabulary.toml"]
    own = settings.forms.vocabulary if settings is not None else ""
    if own:
        paths.append(Path(own))
    return _load(tuple((path, _stamp(path)) for path in paths))


def _stamp(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (0, -1)
    return (stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)  # keyed by the files' stamps: an edited file is read again
def _load(files: tuple[tuple[Path, tuple[int, int]], ...]) -> Vocabulary:
    texts = []
    for path, _version in files:
        try:
            texts.append((str(path), path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as error:
            raise DefinitionError(f"vocabulary {path}: {error}") from error
    return parse_vocabulary(texts)
