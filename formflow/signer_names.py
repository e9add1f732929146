"""Typed-name matching: does the name typed in a signature box name the expected person?

People type their names the way their keyboard and habits allow: without Danish letters
("Moelgaard", "Molgaard"), in other case, with extra spaces, with or without a middle name or
its initial ("Birthe Mølgaard" for "Birthe Å. Mølgaard"), or surname first ("Mølgaard,
Birthe"). A match needs the same first name and the same last name; middle names may be left
out or abbreviated on either side but must not contradict each other. A different person's
name never matches. Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Danish letters written the long way (ø -> oe) and the lazy way (ø -> o): a token matches if
# either spelling agrees, so "Møller" == "Moeller" == "Moller", but "Moeller" != "Moller".
_LONG = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ä": "ae", "ö": "oe", "ü": "ue"})
_SHORT = str.maketrans({"æ": "ae", "ø": "o", "å": "a"})
_SEPARATORS = re.compile(r"[\s\-‐‑–—_]+")
_DROP = re.compile(r"[^\w\s]", re.UNICODE)


@dataclass(frozen=True)
class Token:
    """One name part in its two spellings; `initial` when it was written as "Å." or "A"."""

    long: str
    short: str
    initial: bool

    def same(self, other: Token) -> bool:
        return self.long == other.long or self.short == other.short

    def abbreviates(self, other: Token) -> bool:
        """True if self is an initial or prefix abbreviation of `other` ("Å." of "Åse")."""
        if self.same(other):
            return True
        if not self.initial:
            return False
        return other.long.startswith(self.long) or other.short.startswith(self.short)


def _fold(text: str, table: dict[int, str]) -> str:
    text = text.lower().translate(table)
    # Other accents (é, ü written as u) are dropped: "José" == "Jose".
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens(name: str) -> tuple[Token, ...]:
    """The name's parts in written order ("Mølgaard, Birthe" is reordered to first-last)."""
    text = unicodedata.normalize("NFC", name).strip()
    if text.count(",") == 1:
        last, first = (part.strip() for part in text.split(","))
        if last and first:
            text = f"{first} {last}"
    parts = []
    for raw in _SEPARATORS.split(text):
        abbreviated = raw.endswith(".")
        word = _DROP.sub("", raw)
        if not word:
            continue
        long, short = _fold(word, _LONG), _fold(word, _SHORT)
        parts.append(Token(long, short, abbreviated or len(word) == 1))
    return tuple(parts)


def names_match(typed: str, person: str) -> bool:
    """True if `typed` names `person` (tolerating case, accents, spacing and middle names)."""
    a, b = tokens(typed), tokens(person)
    if not a or not b:
        return False
    if len(a) == 1 or len(b) == 1:
        return len(a) == len(b) and a[0].same(b[0])
    if not (a[0].same(b[0]) and a[-1].same(b[-1])):
        return False
    return _middles_agree(a[1:-1], b[1:-1])


def _middles_agree(a: tuple[Token, ...], b: tuple[Token, ...]) -> bool:
    """The shorter list of middle names must appear, in order, in the longer one."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    position = 0
    for token in short:
        while position < len(long) and not _compatible(token, long[position]):
            position += 1
        if position == len(long):
            return False
        position += 1
    return True


def _compatible(x: Token, y: Token) -> bool:
    return x.abbreviates(y) or y.abbreviates(x)
