"""An organisation's own blank form learned as a definition (`formflow forms learn`).

The blank (DOCX, or PDF, fillable or not) is turned into the `Para`/`Table` blocks the label
readers use. Its answer places are the empty cells of its tables (each with the label above or
beside it) and the empty room under a heading or question (the next block is another
heading). To propose a contract key for each place, every place gets a marker of its own and
the general label reader (`formflow.read.labels`, with the vocabulary) reads the marked
blank: a place whose marker comes back, whole, as exactly one key's answer is that key's
(certain); any other place is uncertain, and only a person may map it (the candidates are
the keys whose labels share the most words with the place's label), or it is left out.

The learned definition is an ordinary definition TOML (kind, title, sections of field
blocks; `formflow forms render NAME` draws it with formflow's fields) plus a `[learned]`
table: the blank's tables and headings (to recognise filled copies) and, per field, its key,
the label printed on the form and where its answer stands (a table, row and cell, or the
heading it follows). `read_learned` reads a filled copy's blocks by that map before the
general readers do. The parts that decide are pure; files are read and written by the CLI.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from formflow.errors import DefinitionError
from formflow.read.labels import UNCERTAIN, Block, Para, Table, compact, norm

if TYPE_CHECKING:
    from formflow.config import Settings
    from formflow.forms.definition import FormDefinition
    from formflow.read import FormEdition
    from formflow.read.vocabulary import Vocabulary
    from formflow.scan.blank import BlankForm

# A filled copy is the learned form when this share of the blank's labels is on it.
_RECOGNISED = 0.9
_WRAPPED_LINES = 3  # a title or heading printed on up to this many lines is still one label
_CANDIDATES = 6
_SOFFICE_SECONDS = 120  # LibreOffice's first start in a fresh profile takes a while
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Place:
    """Where an answer stands in the blank: a cell (`table`, `row`, `cell`; the n-th table of
    the document, from 0) or the room after a heading or question (`after`)."""

    label: str
    table: int | None = None
    row: int = 0
    cell: int = 0
    after: str = ""
    # In a PDF blank, the cell's page (from 1) and rectangle (points from the top left);
    # in a fillable one, also the form field's own name (`field`).
    page: int = 0
    rect: tuple[float, float, float, float] | None = None
    field: str = ""


@dataclass(frozen=True)
class Proposal:
    """A place and the key proposed for it: `key` when the label reader places it with
    certainty, else None with the `candidates` a person may choose from."""

    place: Place
    key: str | None
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class LearnedMap:
    """A learned form's map: its definition's name and kind, the blank's labels and tables
    (to recognise a filled copy) and each field's place."""

    name: str
    kind: str
    title: str
    labels: tuple[str, ...]
    tables: tuple[tuple[tuple[str, ...], ...], ...]
    fields: tuple[tuple[str, Place], ...]
    # The blank as a PDF, kept beside the definition (its file name; "": none kept, as by
    # formflow before 2026-12): a scan of a copy is registered to it (`learned_blank_form`).
    blank: str = ""


# --- the blank's places ----------------------------------------------------------------------


def find_places(blocks: Sequence[Block], row_labels: Iterable[str] = ()) -> list[Place]:
    """The blank's answer places, in reading order. `row_labels` are the words that head a
    table's first column without being answered under (goal categories)."""
    heads = {compact(label) for label in row_labels}
    places: list[Place] = []
    table = -1
    for index, block in enumerate(blocks):
        if isinstance(block, Table):
            table += 1
            places.extend(_cell_places(block, table, heads))
        elif _asks(block) and _room_after(blocks, index):
            places.append(Place(block.text, after=block.text))
    return places


def _asks(block: Para) -> bool:
    """A heading or a question/label line: what an answer under it answers."""
    return block.heading or block.text.rstrip().endswith(("?", ":"))


def _room_after(blocks: Sequence[Block], index: int) -> bool:
    """Nothing but another heading (or the end) follows: the blank's room for an answer."""
    following = blocks[index + 1] if index + 1 < len(blocks) else None
    return following is None or (isinstance(following, Para) and following.heading)


def _cell_places(table: Table, number: int, heads: set[str]) -> list[Place]:
    """Empty cells with the label over them (a row of labels over a row of answers; a row's
    own label in the first column added) or, with none over them, beside them."""
    places = []
    for r, row in enumerate(table.rows):
        for c, text in enumerate(row):
            if text is None or text.strip():
                continue
            if c == 0 and compact(_cell(table, 0, 0)) in heads:
                continue  # under a goal category: the category's rows, not an answer
            above = next(
                (_cell(table, up, c) for up in range(r - 1, -1, -1) if _cell(table, up, c)), ""
            )
            side = _cell(table, r, 0) if c > 0 else ""
            if above:
                label = f"{above} ({side})" if side and r > 1 else above
            else:
                label = _cell(table, r, c - 1)
            if label:
                places.append(Place(label, number, r, c))
    return places


def _cell(table: Table, row: int, cell: int) -> str:
    if row < 0 or cell < 0 or row >= len(table.rows) or cell >= len(table.rows[row]):
        return ""
    return _shown((table.rows[row][cell] or "").strip())


def _shown(label: str) -> str:
    """A label as a person reads it: where its lines were joined uncertainly (a word cut
    at the cell's edge or a page break, or wrapped?) a long word goes on without a space
    (`kompetenceu` `dvikling`), a short one with one (`af` `kompetenceudvikling`). Only
    shown and kept as the field's label: the label is matched by its letters either way."""
    parts = label.split(UNCERTAIN)
    text = parts[0]
    for part in parts[1:]:
        last = text.split()[-1] if text.split() else ""
        text += ("" if len(last) > 4 and last.isalpha() else " ") + part
    return text


# --- proposals -------------------------------------------------------------------------------


def propose(
    blocks: Sequence[Block],
    places: Sequence[Place],
    definition: FormDefinition,
    vocabulary: Vocabulary,
) -> list[Proposal]:
    """A key for each place the label reader places with certainty; candidates for the rest.

    Two readings of the marked blank: one with a word per place, one with a date per place
    (date fields take dates only). A key is a place's when exactly one marker of that place
    comes back, whole, as its answer, in either reading, and no other place claims the key.
    """
    from formflow.read.labels import read_blocks

    def read(markers: Sequence[str]) -> Mapping[str, str]:
        return read_blocks(definition, marked(blocks, places, markers), vocabulary)

    return proposals_from(read, places, definition, vocabulary)


def proposals_from(
    read: Callable[[Sequence[str]], Mapping[str, str]],
    places: Sequence[Place],
    definition: FormDefinition,
    vocabulary: Vocabulary,
) -> list[Proposal]:
    """The proposals, given how to read the blank with a marker in each place."""
    claims: dict[int, set[str]] = {}
    for markers in (_words(len(places)), _dates(len(places))):
        for key, value in read(markers).items():
            if value in markers:
                claims.setdefault(markers.index(value), set()).add(key)
    owners: dict[str, list[int]] = {}
    for index, keys in claims.items():
        for key in keys:
            owners.setdefault(key, []).append(index)
    taken = {key for key, indexes in owners.items() if len(indexes) == 1}
    chosen = {
        index: next(iter(keys))
        for index, keys in claims.items()
        if len(keys) == 1 and next(iter(keys)) in taken
    }
    for index, place in enumerate(places):
        named = _named_exactly(place, definition, vocabulary)
        if index not in chosen and named and named not in chosen.values():
            chosen[index] = named
    used = set(chosen.values())
    return [
        Proposal(place, chosen[index])
        if index in chosen
        else Proposal(place, None, candidates(place, definition, vocabulary, used))
        for index, place in enumerate(places)
    ]


def _named_exactly(place: Place, definition: FormDefinition, vocabulary: Vocabulary) -> str | None:
    """The one key whose own label, or a word of the vocabulary for it, is the place's label
    as printed (`Underskrift (medarbejder)`); None when none or several are."""
    label = compact(place.label)
    keys = [
        spec.key
        for spec in definition.fields
        if label in {compact(spec.label), *(compact(w) for w in vocabulary.words(spec.key))}
    ]
    return keys[0] if len(keys) == 1 else None


def _words(count: int) -> list[str]:
    return [f"Svar{n:03d}" for n in range(count)]


def _dates(count: int) -> list[str]:
    first = date(2001, 1, 1)
    return [(first + timedelta(days=n)).strftime("%d.%m.%Y") for n in range(count)]


def marked(blocks: Sequence[Block], places: Sequence[Place], markers: Sequence[str]) -> list[Block]:
    """The blank with each place's marker written into it."""
    cells = {
        (p.table, p.row, p.cell): m for p, m in zip(places, markers, strict=True) if p.after == ""
    }
    after = {p.after: m for p, m in zip(places, markers, strict=True) if p.after}
    out: list[Block] = []
    table = -1
    for block in blocks:
        if isinstance(block, Table):
            table += 1
            rows = tuple(
                tuple(cells.get((table, r, c), text) for c, text in enumerate(row))
                for r, row in enumerate(block.rows)
            )
            out.append(Table(rows))
            continue
        out.append(block)
        if block.text in after:
            out.append(Para(after.pop(block.text)))
    return out


def candidates(
    place: Place, definition: FormDefinition, vocabulary: Vocabulary, used: set[str]
) -> tuple[str, ...]:
    """The keys not yet `used` whose labels (the definition's and the vocabulary's) share the
    most words with the place's label, best first; none when no word is shared."""
    words = set(_WORD.findall(norm(place.label)))
    scored = []
    for spec in definition.fields:
        if spec.key in used:
            continue
        texts = (spec.label, spec.title, *vocabulary.words(spec.key))
        best = max(len(words & set(_WORD.findall(norm(text)))) for text in texts)
        if best:
            scored.append((-best, definition.keys.index(spec.key), spec.key))
    return tuple(key for _, _, key in sorted(scored)[:_CANDIDATES])


# --- the learned definition as TOML ----------------------------------------------------------


def learned_toml(
    name: str,
    kind: str,
    title: str,
    source: str,
    blocks: Sequence[Block],
    mapping: Sequence[tuple[str, Place]],
    builtin: FormDefinition,
    blank: str = "",
) -> str:
    """The learned definition: an ordinary definition (field blocks, grouped by the built-in
    form's sections) and the `[learned]` map (`blank`: the file name of the blank's PDF kept
    beside it, if any)."""
    lines = [
        f"# Lært af `formflow forms learn` fra {source}: {name}.",
        "# Hvert felt: kontraktnøgle, etiketten som på skemaet, og hvor svaret står",
        "# (tabel/række/celle fra 0, eller overskriften, svaret står under).",
        "",
        f"kind = {_q(kind)}",
        f"title = {_q(title)}",
        f"subtitle = {_q(builtin.subtitle)}",
        "",
        "[learned]",
        f"source = {_q(source)}",
        *([f"blank = {_q(blank)}"] if blank else []),
        f"labels = {_array(_labels(blocks))}",
        "tables = [",
        *(
            f"    {_array([_array([c or '' for c in row]) for row in t.rows], raw=True)},"
            for t in _tables(blocks)
        ),
        "]",
        "",
    ]
    for key, place in mapping:
        lines += ["[[learned.field]]", f"key = {_q(key)}", f"label = {_q(place.label)}"]
        if place.after:
            lines.append(f"after = {_q(place.after)}")
        elif place.table is not None:
            lines += [f"table = {place.table}", f"row = {place.row}", f"cell = {place.cell}"]
        if place.field:
            lines.append(f"field = {_q(place.field)}")
        if place.rect is not None:
            rect = ", ".join(f"{v:.1f}" for v in place.rect)
            lines += [f"page = {place.page}", f"rect = [{rect}]"]
        lines.append("")
    lines += _sections({key for key, _ in mapping}, builtin)
    return "\n".join(lines)


def _sections(keys: set[str], builtin: FormDefinition) -> list[str]:
    """The built-in form's sections and blocks that hold mapped keys (the header's keys come
    from common.toml in every definition): goal tables, plans and grids as tables (as many
    rows as the form has; carry-over fills them), other fields one by one."""
    header = {spec.key for spec in builtin.header}
    lines: list[str] = []
    for section in builtin.sections:
        blocks = [
            _block(block, keys - header)
            for block in section.blocks
            if any(s.key in keys and s.key not in header for s in block.fields)
        ]
        if blocks:
            lines += ["[[section]]", f"id = {_q(section.id)}", f"title = {_q(section.title)}", ""]
            lines += [line for block in blocks for line in block]
    return lines


def _block(block: Any, keys: set[str]) -> list[str]:
    """One block of the built-in form as learned TOML, cut to the rows the form has."""
    from formflow.forms.definition import GoalTable, Grid, ListBlock, RowTable, SignaturesBlock

    mapped = [spec for spec in block.fields if spec.key in keys]
    rows = max((_row_number(spec.key) for spec in mapped), default=1)
    if isinstance(block, GoalTable):
        status = any(spec.key.endswith("_status") for spec in mapped)
        head = [f"prefix = {_q(block.prefix)}", f"status = {str(status).lower()}", f"rows = {rows}"]
        return ["[[section.block]]", 'type = "goal_table"', *head, ""]
    if isinstance(block, RowTable):
        head = [f"prefix = {_q(block.prefix)}", f"title = {_q(block.title)}", f"rows = {rows}"]
        return ["[[section.block]]", 'type = "row_table"', *head, _columns(block.columns), ""]
    if isinstance(block, Grid):
        kept = [r for r in block.rows if any(c.key in keys for c in r.cells)]
        grid_rows = ", ".join(f"{{ key = {_q(r.key)}, label = {_q(r.label)} }}" for r in kept)
        head = [f"prefix = {_q(block.prefix)}", f"rows = [{grid_rows}]", _columns(block.columns)]
        return ["[[section.block]]", 'type = "grid"', *head, ""]
    if isinstance(block, SignaturesBlock):
        roles = ", ".join(
            f"{{ role = {_q(r.role)}, label = {_q(r.label)}, date_label = {_q(r.date.label)} }}"
            for r in block.roles
            if r.signature.key in keys
        )
        return ["[[section.block]]", 'type = "signatures"', f"roles = [{roles}]", ""]
    if isinstance(block, ListBlock):
        head = [f"prefix = {_q(block.prefix)}", f"label = {_q(block.label)}", f"count = {rows}"]
        return ["[[section.block]]", 'type = "list"', *head, ""]
    lines: list[str] = []
    for spec in mapped:
        lines += ["[[section.block]]", 'type = "field"', f"key = {_q(spec.key)}"]
        lines += [f"label = {_q(spec.title)}", f"field = {_q(spec.type)}"]
        lines += ["required = true", ""] if spec.required else [""]
    return lines


def _row_number(key: str) -> int:
    """The row a table's key is in (`goal_sales_2_end` -> 2, `plan_3_when` -> 3)."""
    numbers = [int(part) for part in key.split("_") if part.isdigit()]
    return numbers[-1] if numbers else 1


def _columns(columns: Sequence[Any]) -> str:
    items = ", ".join(
        f"{{ key = {_q(c.key)}, label = {_q(c.label)}, type = {_q(c.type)} }}" for c in columns
    )
    return f"columns = [{items}]"


def _labels(blocks: Sequence[Block]) -> list[str]:
    return [block.text for block in blocks if isinstance(block, Para)]


def _tables(blocks: Sequence[Block]) -> list[Table]:
    return [block for block in blocks if isinstance(block, Table)]


def _q(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def _array(items: Iterable[str], raw: bool = False) -> str:
    return "[" + ", ".join(item if raw else _q(item) for item in items) + "]"


# --- reading by the learned map --------------------------------------------------------------


def parse_learned(data: Mapping[str, Any], name: str) -> LearnedMap | None:
    """The map of a definition's TOML data; None for a definition that was not learned."""
    learned = data.get("learned")
    if not isinstance(learned, dict):
        return None
    try:
        fields = tuple(
            (
                str(f["key"]),
                Place(
                    str(f["label"]),
                    int(f["table"]) if "table" in f else None,
                    int(f.get("row", 0)),
                    int(f.get("cell", 0)),
                    str(f.get("after", "")),
                    int(f.get("page", 0)),
                    _rect(f["rect"]) if "rect" in f else None,
                    str(f.get("field", "")),
                ),
            )
            for f in learned.get("field", [])
        )
        tables = tuple(tuple(tuple(str(c) for c in row) for row in t) for t in learned["tables"])
        labels = tuple(str(label) for label in learned["labels"])
    except (KeyError, TypeError, ValueError) as error:
        raise DefinitionError(f"{name}: malformed [learned] map ({error!r})") from error
    blank = str(learned.get("blank", ""))
    if blank and Path(blank).name != blank:
        raise DefinitionError(f"{name}: the blank {blank!r} must be a file beside the definition")
    kind, title = str(data["kind"]), str(data["title"])
    return LearnedMap(name, kind, title, labels, tables, fields, blank)


def _rect(values: Any) -> tuple[float, float, float, float]:
    x0, top, x1, bottom = (float(v) for v in values)
    return x0, top, x1, bottom


def recognised(learned: LearnedMap, blocks: Sequence[Block]) -> bool:
    """The blocks are a copy of the learned blank: its title, and nearly all its headings
    and table labels, are there."""
    texts = _para_texts(blocks)
    cells = {compact(c) for t in _tables(blocks) for row in t.rows for c in row if c}
    if compact(learned.title) not in texts:
        return False
    wanted = [compact(label) for label in learned.labels] + [
        compact(c) for t in learned.tables for row in t for c in row if c
    ]
    present = sum(1 for text in wanted if text in texts or text in cells)
    return present >= _RECOGNISED * len(wanted)


def _para_texts(blocks: Sequence[Block]) -> set[str]:
    """The paragraphs' texts (`compact`), each also joined with the next few: a scan's OCR
    gives each printed line of a long heading or title as a paragraph of its own."""
    texts: set[str] = set()
    run: list[str] = []
    for block in blocks:
        if not isinstance(block, Para):
            run = []
            continue
        run = [*run[-(_WRAPPED_LINES - 1) :], compact(block.text)]
        texts.update("".join(run[i:]) for i in range(len(run)))
    return texts


def read_by_map(learned: LearnedMap, blocks: Sequence[Block]) -> dict[str, str | None]:
    """The answers the map finds in a filled copy's blocks. A place whose table is not found
    (cut by a page break, changed) gives nothing: the key is left to the general readers. An
    answer holding a word read uncertainly (UNCERTAIN: a scan's word below the confidence
    limit, ink no word explains, such as a drawn signature) is None: not found, never
    guessed, and not left to the general readers either (its place is known)."""
    tables = _match_tables(learned.tables, _tables(blocks))
    values: dict[str, str | None] = {}
    for key, place in learned.fields:
        if place.after:
            found = _after(blocks, place.after, learned.labels)
        elif place.table is not None and place.table in tables:
            table = tables[place.table]  # `_cell` shows a cut label whole: look at it as read
            found = (
                UNCERTAIN
                if UNCERTAIN in _raw(table, place)
                else _cell(table, place.row, place.cell)
            )
        else:
            found = None
        if found is not None:
            values[key] = None if UNCERTAIN in found else found
    return values


def learned_places(name: str, blocks: Sequence[Block], settings: Settings) -> frozenset[str]:
    """The keys whose place the map of the learned form `name` finds in `blocks`, answered
    or not (empty for a form not learned): a scan's unsure answer there is known to be
    unread, and its form waits for a person (`formflow.read.ocr.unread_places`)."""
    for learned, _path in learned_maps(settings):
        if learned.name == name:
            return frozenset(read_by_map(learned, blocks))
    return frozenset()


def _raw(table: Table, place: Place) -> str:
    """A cell's text as read, UNCERTAIN marks kept ("" outside the table)."""
    rows = table.rows
    inside = 0 <= place.row < len(rows) and 0 <= place.cell < len(rows[place.row])
    return (rows[place.row][place.cell] or "") if inside else ""


def _match_tables(
    learned: Sequence[tuple[tuple[str, ...], ...]], copy: Sequence[Table]
) -> dict[int, Table]:
    """Each learned table's table in the copy: of the copy's tables with its shape and labels
    (the label cells saying what the blank's say), the one in the same place in order. Alike
    tables (a goal table per category, twice) pair up only when the copy has as many of them
    as the blank: one cut by a page break would shift the rest onto the wrong goals."""
    alike: dict[int, list[int]] = {}
    for number, rows in enumerate(learned):
        first = next(n for n, other in enumerate(learned) if other == rows)
        alike.setdefault(first, []).append(number)
    matched: dict[int, Table] = {}
    for numbers in alike.values():
        found = [table for table in copy if _same_table(learned[numbers[0]], table)]
        if len(found) == len(numbers):
            matched.update(zip(numbers, found, strict=True))
    return matched


def _same_table(rows: tuple[tuple[str, ...], ...], table: Table) -> bool:
    if len(rows) != len(table.rows) or any(
        len(a) != len(b) for a, b in zip(rows, table.rows, strict=True)
    ):
        return False
    return all(
        compact(label) == compact(table.rows[r][c] or "")
        for r, row in enumerate(rows)
        for c, label in enumerate(row)
        if label
    )


def _after(blocks: Sequence[Block], heading: str, labels: Sequence[str]) -> str | None:
    """The paragraphs after `heading` up to the next heading, table or text of the blank;
    None when the heading is not there (once) to anchor them. A heading a scan's OCR gives
    line by line (a paragraph each) anchors as well."""
    at = _heading_ends(blocks, compact(heading))
    if len(at) != 1:
        return None
    known = {compact(label) for label in labels}
    parts = []
    for block in blocks[at[0] + 1 :]:
        if not isinstance(block, Para) or block.heading or compact(block.text) in known:
            break
        parts.append(block.text)
    return "\n".join(parts)


def _heading_ends(blocks: Sequence[Block], wanted: str) -> list[int]:
    """Where a heading (`compact`) ends: the last of the up to `_WRAPPED_LINES` paragraphs in
    a row that together say it."""
    ends = []
    for end in range(len(blocks)):
        run = ""
        for start in range(end, max(-1, end - _WRAPPED_LINES), -1):
            block = blocks[start]
            if not isinstance(block, Para):
                break
            run = compact(block.text) + run
            if run == wanted:
                ends.append(end)
                break
    return ends


def learned_maps(settings: Settings) -> list[tuple[LearnedMap, Path]]:
    """The learned forms in `forms.directory`, with their files (parsed once per version of
    the files: every form read asks)."""
    folder = Path(settings.forms.directory) if settings.forms.directory else None
    if folder is None or not folder.is_dir():
        return []
    files = []
    for path in sorted(folder.glob("*.toml")):
        try:
            stat = path.stat()
        except OSError:
            continue
        files.append((path, stat.st_mtime_ns, stat.st_size))
    return _parsed_maps(tuple(files))


@lru_cache(maxsize=8)
def _parsed_maps(files: tuple[tuple[Path, int, int], ...]) -> list[tuple[LearnedMap, Path]]:
    import tomllib

    maps = []
    for path, _mtime, _size in files:
        try:
            learned = parse_learned(tomllib.loads(path.read_text(encoding="utf-8")), path.stem)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, DefinitionError):
            continue  # a broken own definition is reported by `formflow forms`, not here
        if learned is not None:
            maps.append((learned, path))
    return maps


def read_learned(
    blocks: Sequence[Block],
    settings: Settings,
    placed: Mapping[str, Mapping[str, str]] | None = None,
) -> tuple[FormDefinition, FormEdition, dict[str, str]] | None:
    """A filled copy of a learned form, read by its map first: the definition, the edition
    and the answers; None when the blocks are no learned form's.

    A key the map cannot find (its table cut by a page break) takes the general reader's
    answer, if that reader is certain of one; keys the map does not have are not read.
    `placed` holds, per learned form, the answers read into its rectangles on a PDF copy
    whose cells stand where the blank's do (`formflow.read.regions`): they come first.
    """
    from formflow.forms.library import load_definition
    from formflow.read import FormEdition
    from formflow.read.labels import read_answers
    from formflow.read.vocabulary import vocabulary_for

    for learned, _path in learned_maps(settings):
        if not recognised(learned, blocks):
            continue
        definition = load_definition(learned.name, settings)
        general, _places = read_answers(
            load_definition(learned.kind, settings), blocks, vocabulary_for(settings)
        )
        keys = {key for key, _ in learned.fields}
        values = {k: v for k, v in general.items() if k in keys}
        for key, value in read_by_map(learned, blocks).items():
            if value is None:
                values.pop(key, None)
            else:
                values[key] = value
        values.update((placed or {}).get(learned.name, {}))
        year = meeting_year(values)
        edition = FormEdition(definition.kind, year, definition.name, frozenset(keys))
        return definition, edition, values
    return None


# --- the blank as blocks (I/O) -----------------------------------------------------------------


def blank_blocks(data: bytes, settings: Settings) -> tuple[list[Block], str]:
    """The blank's blocks and its type ("docx" or "pdf"), by the label readers' own parsers."""
    import io

    from formflow.read import unreadable
    from formflow.read.sniff import HEAD_BYTES, sniff

    kind = sniff(data[:HEAD_BYTES])
    if kind in ("docx", "zip"):
        from formflow.read.docx_labels import body_blocks, document_root

        return body_blocks(document_root(data, settings)), "docx"
    if kind == "pdf":
        import pdfplumber

        from formflow.read.layout import joined_pages, page_blocks

        with pdfplumber.open(io.BytesIO(data)) as pdf:
            return joined_pages([page_blocks(page) for page in pdf.pages]), "pdf"
    raise unreadable("wrong_type", f"a blank form must be DOCX or PDF, not {kind}")


def title_and_kind(
    blocks: Sequence[Block], vocabulary: Vocabulary, kind: str | None
) -> tuple[str, str | None]:
    """The blank's title (the first line that names a form, else its first heading) and
    its kind (`kind` when given, else the title's)."""
    from formflow.read.labels import title_kind

    paras = [b for b in blocks[:12] if isinstance(b, Para)]
    for para in paras:
        found, _year = title_kind(para.text, vocabulary)
        if found:
            return para.text.strip(), kind or found
    heading = next((p.text for p in paras if p.heading), paras[0].text if paras else "")
    return heading.strip(), kind


def with_rects(blocks: Sequence[Block], places: Sequence[Place]) -> list[Place]:
    """A PDF blank's cell places with their page and rectangle (the ruled cell they are; a
    table continued on the next page is one table, `layout.joined_pages`)."""
    tables = _tables(blocks)
    return [_with_rect(place, tables) for place in places]


def page_tables(page: Any) -> list[Any]:
    """A page's ruled tables in the order the layout reader gives its Table blocks."""
    from formflow.read.layout import page_content, ruled_tables, ruling_edges

    tables = ruled_tables(page, ruling_edges(page_content(page)))
    return sorted(tables, key=lambda table: float(table.bbox[1]))


def _with_rect(place: Place, tables: Sequence[Table]) -> Place:
    if place.table is None or place.table >= len(tables):
        return place
    try:
        box = tables[place.table].boxes[place.row][place.cell]
    except IndexError:
        return place
    if box is None:
        return place
    page, (x0, top, x1, bottom) = box
    return replace(place, page=page, rect=(x0, top, x1, bottom))


def with_cell_rects(pdf: bytes, blocks: Sequence[Block], places: Sequence[Place]) -> list[Place]:
    """A DOCX blank's cell places with their page and rectangle in its PDF (`blank_as_pdf`):
    each of the DOCX's tables is found among the PDF's ruled tables by its shape and labels
    (`_match_tables`, as a filled copy's are); a place whose table is not found there for
    certain keeps no rectangle (never guessed)."""
    import io

    import pdfplumber

    from formflow.read.layout import joined_pages, page_blocks

    with pdfplumber.open(io.BytesIO(pdf)) as opened:
        printed = _tables(joined_pages([page_blocks(page) for page in opened.pages]))
    shapes = tuple(tuple(tuple(c or "" for c in row) for row in t.rows) for t in _tables(blocks))
    matched = _match_tables(shapes, printed)
    return [_rect_in(place, matched) for place in places]


def _rect_in(place: Place, matched: Mapping[int, Table]) -> Place:
    """The place with its cell's page and rectangle in the matched table (its own number
    kept: the map counts the DOCX's tables)."""
    if place.table is None or place.table not in matched:
        return place
    found = _with_rect(replace(place, table=0), [matched[place.table]])
    return replace(found, table=place.table)


def blank_as_pdf(data: bytes, fmt: str) -> bytes | None:
    """The blank as a PDF: a PDF as it is, a DOCX as LibreOffice prints it (`soffice
    --headless --convert-to pdf`, its own profile, a time limit); None when LibreOffice is
    missing or fails (the form is then read on a scan by its labels alone)."""
    import subprocess
    import tempfile

    if fmt == "pdf":
        return data
    with tempfile.TemporaryDirectory(prefix="formflow-learn-") as temporary:
        folder = Path(temporary)
        (folder / "blank.docx").write_bytes(data)
        profile = f"-env:UserInstallation=file://{folder}/profile"  # not the user's own
        convert = ["--headless", "--convert-to", "pdf", "--outdir", str(folder)]
        try:
            subprocess.run(
                ["soffice", profile, *convert, str(folder / "blank.docx")],
                capture_output=True, timeout=_SOFFICE_SECONDS, check=True,
            )  # fmt: skip
            return (folder / "blank.pdf").read_bytes()
        except (OSError, subprocess.SubprocessError):
            return None


def learned_blank_form(
    name: str, settings: Settings, dpi: int, only: Iterable[int] | None = None
) -> BlankForm | None:
    """The blank kept beside learned form `name`, rasterised at `dpi` (`only` those pages,
    from 0), with its places' rectangles as the boxes of their keys; None when the form was
    learned without keeping its blank, or the file cannot be read or rendered."""
    from pypdf.errors import PyPdfError

    from formflow.errors import FormflowError
    from formflow.scan.blank import learned_blank

    for learned, path in learned_maps(settings):
        if learned.name != name or not learned.blank:
            continue
        try:
            pdf = (path.parent / learned.blank).read_bytes()
            rects = {
                key: (place.page, place.rect)
                for key, place in learned.fields
                if place.rect is not None and place.page > 0
            }
            return learned_blank(learned.kind, pdf, rects, dpi, None if only is None else set(only))
        except (OSError, ValueError, PyPdfError, FormflowError):
            return None  # as for a form learned without its blank: read by its labels
    return None


# --- a fillable PDF blank ----------------------------------------------------------------------


def widget_places(data: bytes) -> list[Place]:
    """A fillable PDF blank's text fields as places: the field's name, page and rectangle,
    labelled by the text left of it on its line, else the text just above it."""
    import io

    import pdfplumber
    from pypdf import PdfReader

    from formflow.read.regions import sorted_rect

    reader = PdfReader(io.BytesIO(data))
    places: list[Place] = []
    seen: set[str] = set()
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for number, (page, plumbed) in enumerate(zip(reader.pages, pdf.pages, strict=True), 1):
            words = plumbed.extract_words()
            height = float(page.mediabox.top)
            for name, rect in _text_widgets(page):
                if name in seen:
                    continue  # one field shown twice: its first place
                seen.add(name)
                x0, y0, x1, y1 = sorted_rect(rect)
                box = (x0, height - y1, x1, height - y0)
                label = _label_near(words, box)
                places.append(Place(label or name, page=number, rect=box, field=name))
    return places


def _text_widgets(page: Any) -> Iterable[tuple[str, Any]]:
    """(full field name, /Rect) of the page's text and choice field widgets."""
    for reference in page.get("/Annots") or ():
        widget = reference.get_object()
        if widget.get("/Subtype") != "/Widget" or "/Rect" not in widget:
            continue
        parts, node, kind = [], widget, None
        while node is not None:
            kind = kind or node.get("/FT")
            if "/T" in node:
                parts.append(str(node["/T"]))
            parent = node.get("/Parent")
            node = parent.get_object() if parent is not None else None
        if kind in ("/Tx", "/Ch") and parts:
            yield ".".join(reversed(parts)), widget["/Rect"]


def _label_near(words: Sequence[Mapping[str, Any]], box: tuple[float, float, float, float]) -> str:
    """The words left of a field on its first line, else those just above it."""
    x0, top, x1, _bottom = box
    left = [w for w in words if w["x1"] <= x0 + 1 and top - 4 <= w["top"] <= top + 14]
    if left:
        line_top = max(w["top"] for w in left)
        return " ".join(w["text"] for w in left if abs(w["top"] - line_top) < 3)
    above = [
        w for w in words if top - 18 <= w["bottom"] <= top + 1 and w["x0"] < x1 and w["x1"] > x0
    ]
    return " ".join(w["text"] for w in above)


def propose_widgets(
    data: bytes, places: Sequence[Place], definition: FormDefinition, vocabulary: Vocabulary
) -> list[Proposal]:
    """Proposals for a fillable blank's fields: the blank filled with a marker per field and
    flattened (pypdf), then read by the label reader like any flattened form."""
    import io

    import pdfplumber
    from pypdf import PdfReader, PdfWriter

    from formflow.read.labels import read_blocks
    from formflow.read.layout import joined_pages, page_blocks

    def read(markers: Sequence[str]) -> Mapping[str, str]:
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
        values = {place.field: marker for place, marker in zip(places, markers, strict=True)}
        for page in writer.pages:
            writer.update_page_form_field_values(page, values, auto_regenerate=False, flatten=True)
        out = io.BytesIO()
        writer.write(out)
        with pdfplumber.open(io.BytesIO(out.getvalue())) as pdf:
            blocks = joined_pages([page_blocks(page) for page in pdf.pages])
        return read_blocks(definition, blocks, vocabulary)

    return proposals_from(read, places, definition, vocabulary)


def learned_by_fields(values: Mapping[str, str], settings: Settings) -> LearnedMap | None:
    """The learned fillable form whose own field names a PDF's fields are (every field of its
    map among them); None for formflow's forms (they carry their kind as data) and others."""
    from formflow.read import contract_key

    if "form_kind" in values:
        return None
    for learned, _path in learned_maps(settings):
        names = {contract_key(place.field) for _key, place in learned.fields if place.field}
        if names and names <= set(values):
            return learned
    return None


def learned_values(learned: LearnedMap, values: Mapping[str, str]) -> dict[str, str]:
    """A learned fillable form's field values under their contract keys (unmapped fields,
    which a person chose to leave out, are not read)."""
    from formflow.read import contract_key

    return {
        key: values[contract_key(place.field)]
        for key, place in learned.fields
        if place.field and contract_key(place.field) in values
    }


def meeting_year(values: Mapping[str, str]) -> int | None:
    """The year of a learned form: its title has none, so the meeting date's (when real)."""
    from formflow.read.dates import DateError, parse_date

    try:
        return parse_date(values.get("meeting_date", "")).year
    except DateError:
        return None
