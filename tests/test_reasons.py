"""Why a form came back, in Danish words (`formflow.reasons`): every reason code formflow can
record for a returned form has its phrase; the codes' order kept, a phrase said once."""

from __future__ import annotations

import ast
from pathlib import Path

import formflow
from formflow.ingest import HELD_CODES
from formflow.read import MESSAGES
from formflow.reasons import REASON_WORDS, reason_words
from formflow.validate import CODES

# How formflow names a reason: the code argument's place in each call that makes one.
MAKERS = {"unreadable": 0, "UnreadableForm": 0, "_problem": 1, "Problem": 2}


def _codes_in_source() -> set[str]:
    """Every code a call in formflow's source gives as a constant (a Problem, a refusal), and
    every `code = "..."` of a class (formflow.read.dates' errors)."""
    found = set()
    for path in Path(formflow.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            found.update(_code_of(node))
    return found


def _code_of(node: ast.AST) -> list[str]:
    """The code `node` names, if it is such a call or assignment."""
    value: ast.AST | None = None
    if isinstance(node, ast.Call):
        place = MAKERS.get(getattr(node.func, "id", getattr(node.func, "attr", "")), -1)
        value = node.args[place] if 0 <= place < len(node.args) else None
    elif isinstance(node, ast.Assign) and [getattr(t, "id", "") for t in node.targets] == ["code"]:
        value = node.value
    return [value.value] if isinstance(value, ast.Constant) and isinstance(value.value, str) else []


def test_every_code_formflow_records_has_danish_words() -> None:
    codes = {*_codes_in_source(), *CODES, *MESSAGES, *HELD_CODES.values(), "identity",
             "scan_unread"}  # fmt: skip
    assert {"date_invalid", "symlink", "fields_unknown", "too_much_memory"} <= codes  # found
    assert sorted(codes - set(REASON_WORDS)) == []
    assert all(word and word == word.strip() and "_" not in word for word in REASON_WORDS.values())


def test_codes_read_as_danish_words_in_their_order_each_once() -> None:
    assert reason_words("date_invalid") == "ugyldig dato"
    assert reason_words("required_missing,date_invalid,invalid_date") == (
        "et krævet felt er tomt, ugyldig dato"
    )  # the reader's and the rules' invalid date are one reason to a person
    assert reason_words("") == "-"  # a return the audit gave no code
    assert reason_words("signature_missing,a_newer_code") == "underskrift mangler, a_newer_code"
