"""`formflow forms learn`: the terminal side of learning a blank form (`formflow.forms.learned`).

Shows the proposed mapping as a Danish table, asks about each uncertain place (or, with
`--yes`, leaves it out and says so), and writes the learned definition into
`forms.directory`, with the blank beside it as a PDF (`NAME.blank.pdf`; a DOCX blank as
LibreOffice prints it): a scanned copy is registered to it, box by box.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import click

from formflow.config import Settings
from formflow.errors import FormflowError
from formflow.forms.learned import (
    Place,
    Proposal,
    blank_as_pdf,
    blank_blocks,
    find_places,
    learned_toml,
    propose,
    propose_widgets,
    title_and_kind,
    widget_places,
    with_cell_rects,
    with_rects,
)

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")
_RESERVED = {"preparation", "agreement", "common", "questions", "vocabulary"}


def learn(blank: Path, name: str, kind: str | None, yes: bool, settings: Settings) -> Path:
    """Learn `blank` as definition `name`; returns the file written."""
    from formflow.forms.library import load_definition
    from formflow.read.vocabulary import vocabulary_for

    target = _target(name, settings)
    data = blank.read_bytes()
    blocks, fmt = blank_blocks(data, settings)
    vocabulary = vocabulary_for(settings)
    title, kind = title_and_kind(blocks, vocabulary, kind)
    if kind is None:
        raise click.UsageError("the title names no form: say which with --kind")
    builtin = load_definition(kind, settings)
    heads = [c.label for c in builtin.categories]
    heads += [w for c in builtin.categories for w in vocabulary.category_words(c.key)]
    printed = blank_as_pdf(data, fmt)
    fields = widget_places(data) if fmt == "pdf" else []
    if fields:  # a fillable PDF: its own fields are the places
        proposals = propose_widgets(data, fields, builtin, vocabulary)
    else:
        places = find_places(blocks, heads)
        if fmt == "pdf":
            places = with_rects(blocks, places)
        elif printed is not None:
            places = with_cell_rects(printed, blocks, places)
        proposals = propose(blocks, places, builtin, vocabulary)
    show(proposals, builtin)
    mapping = _decide(proposals, yes, builtin)
    kept = f"{name}.blank.pdf" if printed is not None else ""
    text = learned_toml(name, kind, title, blank.name, blocks, mapping, builtin, kept)
    _check(text, name, settings)  # a file that would not load is never written
    _write(target, text, printed)
    load_definition(str(target), settings)  # proves it loads
    if printed is None:
        click.echo("LibreOffice kunne ikke lave skemaet om til PDF: scannede kopier læses kun")
        click.echo("efter deres etiketter.")
    return target


def _write(target: Path, text: str, printed: bytes | None) -> None:
    """The definition, and the blank's PDF beside it (first: the definition names it). Both
    readable by all: a blank form and its map hold no one's data."""
    from formflow.fsutil import make_private_dirs, write_bytes

    make_private_dirs(target.parent)
    if printed is not None:
        write_bytes(target.with_name(f"{target.stem}.blank.pdf"), printed, mode=0o644)
    write_bytes(target, text.encode("utf-8"), mode=0o644)


def _check(text: str, name: str, settings: Settings) -> None:
    import tomllib

    from formflow.forms.definition import parse_definition
    from formflow.forms.learned import parse_learned
    from formflow.forms.library import builtin_forms_dir, overrides_from, question_bank

    common = (builtin_forms_dir() / "common.toml").read_text(encoding="utf-8")
    parse_definition(text, common, question_bank(), name, overrides_from(settings))
    parse_learned(tomllib.loads(text), name)


def _target(name: str, settings: Settings) -> Path:
    if not _NAME.match(name) or name in _RESERVED:
        raise click.BadParameter(
            f"{name!r}: use lower-case letters, digits and '-', not a built-in name",
            param_hint="--name",
        )
    folder = Path(settings.forms.directory or "own-forms")
    target = folder / f"{name}.toml"
    if target.exists():
        raise FormflowError(f"{target} exists already; choose another --name or remove it")
    return target


def show(proposals: Sequence[Proposal], builtin: object) -> None:
    """The mapping as a Danish table: place, label as printed, proposed field."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Skemaets felter", show_lines=False)
    for heading in ("Nr.", "Etiket på skemaet", "Sted", "Felt i formflow", "Forslag"):
        table.add_column(heading)
    for number, proposal in enumerate(proposals, 1):
        table.add_row(
            str(number),
            proposal.place.label,
            where(proposal.place),
            _field_title(proposal.key, builtin) if proposal.key else "–",
            "sikkert" if proposal.key else "usikkert",
        )
    Console(width=120).print(table)


def where(place: Place) -> str:
    """A place in words: `tabel 2, række 2, celle 1` (counted from 1) or under its heading."""
    if place.after:
        return "under overskriften"
    if place.field:
        return f"feltet „{place.field}“, side {place.page}"
    assert place.table is not None
    return f"tabel {place.table + 1}, række {place.row + 1}, celle {place.cell + 1}"


def _field_title(key: str, builtin: object) -> str:
    spec = builtin.field(key)  # type: ignore[attr-defined]
    return f"{spec.title} ({key})"


def _decide(proposals: Sequence[Proposal], yes: bool, builtin: object) -> list[tuple[str, Place]]:
    """Certain proposals as they are; each uncertain one asked about, or (--yes) left out."""
    mapping = [(p.key, p.place) for p in proposals if p.key]
    uncertain = [p for p in proposals if p.key is None]
    if yes:
        if uncertain:
            click.echo(f"{len(uncertain)} usikre steder er ikke taget med (--yes):")
            for p in uncertain:
                click.echo(f"  – „{p.place.label}“ ({where(p.place)})")
        return mapping
    used = {key for key, _ in mapping}
    for proposal in uncertain:
        key = _ask(proposal, used, builtin)
        if key:
            used.add(key)
            mapping.append((key, proposal.place))
    return mapping


def _ask(proposal: Proposal, used: set[str], builtin: object) -> str | None:
    options = [key for key in proposal.candidates if key not in used]
    click.echo(f"\nUsikkert: „{proposal.place.label}“ ({where(proposal.place)})")
    click.echo("  0. spring over")
    for number, key in enumerate(options, 1):
        click.echo(f"  {number}. {_field_title(key, builtin)}")
    choice = click.prompt("Vælg", type=click.IntRange(0, len(options)), default=0)
    return options[choice - 1] if choice else None
