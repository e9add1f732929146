"""Names people see: file and folder names for forms and personnel folders.

Pure functions. A name built here never comes from a dropped file's own name: it is made from
the form's data and reduced to a safe, readable ASCII-and-Danish set of characters.
"""

from __future__ import annotations

import re
import unicodedata

KIND_FILE_NAMES = {
    "preparation": "forberedelsesskema",
    "agreement": "aftaleskema",
    "colleague_input": "kollegainput",
}
_UNSAFE = re.compile(r"[^0-9A-Za-zÆØÅæøå]+")
MAX_PART = 60


def safe_part(text: str, fallback: str = "ukendt") -> str:
    """`text` as one safe name part: NFC, letters/digits (æøå kept), hyphens, at most 60 chars."""
    text = unicodedata.normalize("NFC", text).strip()
    part = _UNSAFE.sub("-", text).strip("-")[:MAX_PART].strip("-")
    return part or fallback


def form_file_stem(kind: str, year: int, number: str = "", name: str = "") -> str:
    """`forberedelsesskema-2027` or `forberedelsesskema-2027-1042-Birthe-Mølgaard`."""
    parts = [KIND_FILE_NAMES.get(kind, safe_part(kind)), str(year)]
    if number:
        parts.append(safe_part(number))
    if name:
        parts.append(safe_part(name))
    return "-".join(parts)
