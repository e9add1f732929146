"""Reading filled MUS forms: any file in, one `Extraction` (contract keys -> values) out.

`read_form(path, settings)` tells the file's type by its first bytes and hands it to a reader:
- `acroform` (pypdf): PDFs with form fields, from any filler;
- `layout` (pdfplumber, `formflow.read.layout`): PDFs whose fields are gone (flattened,
  printed to PDF), found by their labels;
- `docx` (zipfile + lxml): Word documents with content controls tagged by contract key, and
  through `formflow.read.docx_labels` those whose controls are gone (rebuilt by hand);
- `ocr` (tesseract, `formflow.read.ocr`): scans, as image-only PDFs or TIFF, PNG, JPEG files.
Every reader hands its raw text to `finish`, which identifies the form's definition and
normalises the values (`normalize.py`), so a form reads the same whichever program filled it.

Anything that is not a readable MUS form raises `UnreadableForm(code, Danish message, English
detail)` with one of the codes in `MESSAGES`. Readers run third-party parsers on files anyone
can drop: run them in `formflow.workers` (worker processes with time and memory limits)
wherever the file comes from outside.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from formflow.config import Settings
from formflow.errors import DefinitionError, FormflowError, UnreadableForm
from formflow.forms.definition import FORM_KINDS, FormDefinition
from formflow.model import Evidence, Extraction, Problem, ReaderName, ScanReading
from formflow.read.normalize import normalize_values
from formflow.read.sniff import HEAD_BYTES, sniff

if TYPE_CHECKING:
    from formflow.read.labels import Block

MB = 1024 * 1024

# The Danish message for each way a file can fail to be a readable form. The employee reads
# these (a rejected form goes back with a note), so they say what to do, not what broke.
MESSAGES: dict[str, str] = {
    "cannot_open": "Filen kunne ikke åbnes.",
    "empty": "Filen er tom. Gem skemaet igen og send det på ny.",
    "too_big": "Filen er for stor til at være et MUS-skema. Send skemaet uden indsatte billeder.",
    "wrong_type": (
        "Filen er hverken en PDF eller et Word-dokument (.docx). "
        "Send MUS-skemaet som PDF eller .docx."
    ),
    "old_word": (
        "Filen er i det gamle Word-format (.doc) eller beskyttet med adgangskode. "
        "Gem den som Word-dokument (.docx) uden adgangskode og send den igen."
    ),
    "truncated": (
        "Filen er ikke hel; den er formentlig blevet afbrudt under kopiering eller upload. "
        "Send den igen."
    ),
    "corrupt": "Filen er beskadiget og kan ikke læses. Gem skemaet igen og send det på ny.",
    "encrypted": "Filen er beskyttet med en adgangskode. Send skemaet uden adgangskode.",
    "zip_bomb": (
        "Word-dokumentet pakker sig ud til en unormalt stor mængde data og bliver derfor ikke "
        "åbnet. Gem skemaet igen og send det på ny."
    ),
    "unsafe_xml": (
        "Word-dokumentet indeholder konstruktioner, som almindelige dokumenter ikke bruger, og "
        "bliver af sikkerhedshensyn ikke åbnet. Gem skemaet igen i Word og send det på ny."
    ),
    "scanned": (
        "Filen er et scannet billede, men der kunne ikke læses tekst på det. Scan skemaet "
        "igen (lige og skarpt, mindst 150 dpi), eller udfyld det på computeren."
    ),
    "too_many_pages": "Filen har for mange sider til at være et MUS-skema.",
    "several_forms": (
        "Filen indeholder flere scannede skemaer. Scan hvert skema for sig, og læg dem i "
        "indbakken hver for sig."
    ),
    "not_a_form": (
        "Filen er ikke et MUS-skema (et forberedelsesskema eller et udviklings- og "
        "aftaleskema fra formflow)."
    ),
    "timeout": "Det tog for lang tid at læse filen. Gem skemaet igen og send det på ny.",
    "too_much_memory": "Filen kræver for meget hukommelse at læse. Gem skemaet igen og send det.",
    "crashed": "Filen fik læseprogrammet til at gå ned. Gem skemaet igen og send det på ny.",
}

DATA_FIELDS = ("form_kind", "form_year", "form_definition")


def unreadable(code: str, detail: str = "") -> UnreadableForm:
    """The UnreadableForm for `code`, with its Danish message."""
    return UnreadableForm(code, MESSAGES[code], detail or code)


def read_form(path: Path, settings: Settings) -> Extraction:
    """Read one file as a MUS form (in this process; see `formflow.workers` for untrusted files)."""
    return read_data(_load(path, settings), str(path), settings)


def read_data(data: bytes, file: str, settings: Settings) -> Extraction:
    """Read a file's bytes as a MUS form; `file` names it in the result (the daemon's
    workers read the bytes they took from the inbox, checked for size there)."""
    file_type = sniff(data[:HEAD_BYTES])
    try:
        if file_type == "pdf":
            from formflow.read.acroform import read_pdf

            return read_pdf(data, file, settings)
        if file_type in ("docx", "zip"):
            from formflow.read.docx import read_docx

            return read_docx(data, file, settings)
        if file_type == "image":
            from formflow.read.ocr import read_scan

            return read_scan(data, file, settings, is_pdf=False)
    except (FormflowError, MemoryError):
        raise  # MemoryError: the isolating worker reports it as too_much_memory
    except Exception as error:
        # A parser choking on a malformed file (pypdf, lxml raise many types, RecursionError
        # on deeply nested objects) is a corrupt file, not a bug to show as a traceback.
        raise unreadable("corrupt", f"{type(error).__name__}: {str(error)[:200]}") from error
    if file_type == "doc":
        raise unreadable("old_word", "OLE2 compound file (.doc or encrypted Office document)")
    raise unreadable("wrong_type", "neither PDF nor DOCX by its first bytes")


def _load(path: Path, settings: Settings) -> bytes:
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise unreadable("cannot_open", "not a regular file")
        if size == 0:
            raise unreadable("empty", "0 bytes")
        if size > settings.limits.max_file_mb * MB:
            raise unreadable(
                "too_big", f"{size / MB:.1f} MB > limits.max_file_mb={settings.limits.max_file_mb}"
            )
        return path.read_bytes()
    except OSError as error:
        raise unreadable("cannot_open", f"{type(error).__name__}: {error.strerror}") from error


# --- identification -------------------------------------------------------------------------


@dataclass(frozen=True)
class FormEdition:
    """Which edition of which form a file is: its kind (preparation or agreement), its MUS
    year and its definition's name, as far as the file says."""

    kind: str | None = None
    year: int | None = None
    definition: str | None = None
    # The keys an organisation's own form has a place for (`Extraction.places`); None for
    # formflow's own forms, named by their data or title: every field of the definition.
    places: frozenset[str] | None = None


def identify(data: Mapping[str, str], texts: Iterable[str], settings: Settings) -> FormEdition:
    """Kind, year and definition from the data fields, else from the first title in `texts`.

    `data` holds `form_kind`, `form_year`, `form_definition` if the file carries them (PDF
    hidden fields, DOCX custom properties); `texts` are candidate title texts (the document
    title, the first page's text), tried in order and only as far as needed.
    """
    kind = data.get("form_kind", "").strip()
    year = _year(data.get("form_year", ""))
    name = data.get("form_definition", "").strip() or None
    edition = FormEdition(kind if kind in FORM_KINDS else None, year, name)
    if edition.kind and edition.year:
        return edition
    titles: list[tuple[str, str, str]] | None = None  # looked up once, for the first text
    for text in texts:
        titles = _titles(settings) if titles is None else titles
        found = identify_title(text, settings, titles)
        if found.kind:
            return FormEdition(
                edition.kind or found.kind, edition.year or found.year, name or found.definition
            )
    return edition


def identify_title(
    text: str, settings: Settings, titles: list[tuple[str, str, str]] | None = None
) -> FormEdition:
    """`Forberedelsesskema til MUS 2027` anywhere in `text` -> preparation, 2027 (`titles`:
    the definitions' titles, when the caller has looked them up already)."""
    for title, kind, name in titles if titles is not None else _titles(settings):
        match = _title_pattern(title).search(text)
        if match:
            return FormEdition(kind, int(match[1]), name)
    return FormEdition()


@lru_cache(maxsize=64)
def _title_pattern(title: str) -> re.Pattern[str]:
    """A title followed by a year, any spacing and case: compiled once per title."""
    pattern = r"\s+".join(map(re.escape, title.split())) + r"\s*((?:19|20|21)\d\d)\b"
    return re.compile(pattern, re.IGNORECASE)


def _titles(settings: Settings) -> list[tuple[str, str, str]]:
    from formflow.forms.library import available_definitions, load_definition

    titles: list[tuple[str, str, str]] = []
    for name in available_definitions(settings):
        try:
            definition = load_definition(name, settings)
        except DefinitionError:
            continue  # a broken own definition is reported by `formflow forms`, not here
        titles.append((definition.title, definition.kind, name))
    # The built-in definition wins for a title an organisation's copy shares; longer titles
    # first so one title that contains another is not cut short.
    titles.sort(key=lambda t: (-len(t[0]), t[2] != t[1], t[2]))
    return titles


def _year(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and 1900 < int(text) < 2200 else None


def resolve_definition(
    edition: FormEdition, keys: Iterable[str], settings: Settings
) -> tuple[FormDefinition, FormEdition]:
    """The definition to read against: the one the file names, else its kind's built-in one.

    A file with contract keys but no kind (its data fields and title lost) is recognised by
    keys only one form has. Raises `not_a_form` when nothing says which form this is.
    """
    from formflow.forms.library import load_definition

    kind = edition.kind or _kind_from_keys(set(keys))
    if kind is None:
        raise unreadable("not_a_form", "no form_kind, no known title and no contract keys")
    for name in (edition.definition, kind):
        if not name:
            continue
        try:
            definition = load_definition(name, settings)
        except DefinitionError:
            continue  # named after an own definition this installation does not have
        if definition.kind == kind:
            return definition, FormEdition(kind, edition.year, definition.name)
    raise unreadable("not_a_form", f"no definition for kind {kind!r}")


def answers(
    values: Mapping[str, str], definition: FormDefinition, named: str | None
) -> dict[str, str]:
    """The values to read against `definition`: its own keys, and, when the file was made
    from another definition (`named`, e.g. an organisation's own form not installed here),
    every other answer too, so `finish` keeps and flags them instead of dropping them."""
    if named and named != definition.name:
        return {k: v for k, v in values.items() if k not in DATA_FIELDS}
    return {k: v for k, v in values.items() if definition.has(k)}


def own_fields(
    values: Mapping[str, str], data_fields: Mapping[str, str], settings: Settings
) -> bool:
    """Whether a fillable PDF's fields are formflow's: it carries formflow's data fields, or
    a field named by a contract key. Otherwise it is an organisation's own fillable form
    ("Tekstfelt1", "Navn", "txtDato"), read by the labels beside its fields."""
    from formflow.forms.library import load_definition

    if data_fields:
        return True
    definitions = [load_definition(kind, settings) for kind in FORM_KINDS]
    return any(definition.has(key) for key in values for definition in definitions)


_ONLY_IN = {
    "preparation": ("prev_goal_", "prev_plan_", "highlight_", "competence_", "q_"),
    "agreement": ("plan_", "summary", "next_meeting_date", "signature_leader"),
    "colleague_input": ("colleague_name", "valued", "ideas"),
}


def _kind_from_keys(keys: set[str]) -> str | None:
    for kind, prefixes in _ONLY_IN.items():
        if any(key.startswith(prefixes) for key in keys):
            return kind
    return None


# --- forms read by their labels -------------------------------------------------------------


def read_labelled(
    blocks: Sequence[Block], data: Mapping[str, str], settings: Settings
) -> tuple[FormDefinition, FormEdition, dict[str, str]]:
    """The definition, edition and raw answers of a form read by its labels (`blocks` from the
    layout or DOCX label reader; `data` the file's own form_kind/form_year, if any).

    The kind comes from the data, else the title (any of the vocabulary's title words), else
    the labels on the page: the kind whose own fields are answered, when the other kind's are
    not. The year comes from the data or the title, else it is the meeting date's.
    """
    from formflow.forms.learned import read_learned
    from formflow.read.labels import Para, read_answers, title_kind
    from formflow.read.vocabulary import vocabulary_for

    learned = read_learned(blocks, settings)  # a form `formflow forms learn` knows: its map
    if learned is not None:
        return learned
    vocabulary = vocabulary_for(settings)
    texts = [block.text for block in blocks[:12] if isinstance(block, Para)]
    edition = identify(data, texts, settings)
    own = edition.kind is not None  # formflow's own form: its data or its own title names it
    if edition.kind is None:
        for text in texts:
            kind, year = title_kind(text, vocabulary)
            if kind:
                edition = FormEdition(kind, edition.year or year, edition.definition)
                break
    if edition.kind is None:
        edition = FormEdition(_kind_by_labels(blocks, settings), edition.year, None)
    definition, edition = resolve_definition(edition, (), settings)
    values, places = read_answers(definition, blocks, vocabulary)
    year = edition.year or _meeting_year(values)
    edition = FormEdition(edition.kind, year, edition.definition, None if own else places)
    return definition, edition, values


def _kind_by_labels(blocks: Sequence[Block], settings: Settings) -> str | None:
    """The kind whose own fields (those the other kind lacks) the page answers: at least two
    of them, and none of the other kind's. Anything less decides nothing."""
    from formflow.forms.library import load_definition
    from formflow.read.labels import read_blocks
    from formflow.read.vocabulary import vocabulary_for

    definitions = {kind: load_definition(kind, settings) for kind in FORM_KINDS}
    answered: dict[str, int] = {}
    for kind, definition in definitions.items():
        others = {
            k for other in definitions.values() if other is not definition for k in other.keys
        }
        values = read_blocks(definition, blocks, vocabulary_for(settings))
        answered[kind] = sum(1 for k, v in values.items() if v.strip() and k not in others)
    ranked = sorted(answered.items(), key=lambda item: -item[1])
    (best, count), (_, runner_up) = ranked[0], ranked[1]
    return best if count >= 2 and runner_up == 0 else None


def _meeting_year(values: Mapping[str, str]) -> int | None:
    """The year of the meeting date, when the form has one that is a real date."""
    from formflow.read.dates import DateError, parse_date

    try:
        return parse_date(values.get("meeting_date", "")).year
    except DateError:
        return None


# --- finishing --------------------------------------------------------------------------------


def finish(
    *,
    file: str,
    reader: ReaderName,
    edition: FormEdition,
    definition: FormDefinition,
    values: Mapping[str, str],
    evidence: Evidence | None = None,
    pages: int = 0,
    problems: Iterable[Problem] = (),
    scan: ScanReading | None = None,
) -> Extraction:
    """The Extraction of raw `values` read from `file`, normalised against `definition`."""
    normalized = normalize_values(definition, values)
    # Answers in fields this definition does not know (a form made from an organisation's own
    # definition that is not installed here) are kept as written and flagged, never dropped.
    unknown = {
        key: value
        for key, value in values.items()
        if not definition.has(key) and key not in DATA_FIELDS and value.strip()
    }
    return Extraction(
        file=file,
        reader=reader,
        kind=definition.kind,
        year=edition.year,
        definition=definition.name,
        fields=normalized.fields,
        raw={**unknown, **normalized.raw},
        evidence=evidence or Evidence(),
        problems=(
            *problems,
            *_edition_problems(unknown, edition, definition),
            *normalized.problems,
        ),
        pages=pages,
        places=edition.places,
        scan=scan,
    )


def _edition_problems(
    unknown: Mapping[str, str], edition: FormEdition, definition: FormDefinition
) -> list[Problem]:
    """What the reading found about the form as a whole: answers its definition does not
    know (a warning), a year that could not be read (an error)."""
    found: list[Problem] = []
    if unknown:
        found.append(
            Problem(
                None,
                "warning",
                "fields_unknown",
                f"{len(unknown)} udfyldte felter kendes ikke af skemaet „{definition.name}“; "
                "de er gemt, som de blev skrevet. Kontakt HR, hvis skemaet er lavet efter "
                "jeres egen skabelon.",
            )
        )
    if edition.year is None:
        found.append(
            Problem(
                None,
                "error",
                "year_unknown",
                "Skemaets år kunne ikke læses. Brug skemaet for det rigtige år fra din leder.",
            )
        )
    return found


def first_values(named: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    """Field (name, value) pairs as contract keys; a key found twice (a field on two pages):
    the first non-empty value counts."""
    seen: dict[str, str] = {}
    for name, value in named:
        key = contract_key(name)
        if key and (key not in seen or (not seen[key] and value)):
            seen[key] = value
    yield from seen.items()


@lru_cache(maxsize=4096)  # pure; every form of a template asks for the same names twice
def contract_key(name: str) -> str:
    """A field name as the contract key it carries: last component of `a.b.c`, no `[0]`."""
    last = name.rsplit(".", 1)[-1]
    return _INDEX.sub("", last).strip()


_INDEX = re.compile(r"\[\d+\]")
