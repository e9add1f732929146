"""`formflow archive show`: one employee's personnel file as a Danish table (issue 12 item 8)."""

from __future__ import annotations

from dataclasses import replace

from formflow.archive import STATES, EmployeeRow, FormRow
from formflow.archive.records import STATE_WORDS
from formflow.report import personnel_table

PERSON = EmployeeRow("1042", "Birthe Mølgaard", "personale/1042-Birthe-Mølgaard", "Lone Leder")


def row(kind: str, state: str, version: int = 1) -> FormRow:
    name = "forberedelsesskema" if kind == "preparation" else "aftaleskema"
    return FormRow(
        employee="1042",
        employee_name="Birthe Mølgaard",
        year=2026,
        kind=kind,
        version=version,
        state=state,
        file_format="pdf",
        sha256="ab" * 32,
        size=1000,
        original=f"personale/1042-Birthe-Mølgaard/2026/{name}-2026-v{version}.pdf",
        record=f"personale/1042-Birthe-Mølgaard/2026/{name}-2026-v{version}.json",
        arrived="2026-11-28T09:05:00+01:00",
        filed="2026-11-28T09:05:01+01:00",
        reader="acroform",
        meeting_date="2026-11-23",
    )


def test_every_archive_state_has_danish_words() -> None:
    states = {state for kind in STATES.values() for state in kind}
    assert set(STATE_WORDS) == states


def test_the_table_is_danish_with_danish_dates() -> None:
    rows = [row("preparation", "received"), row("agreement", "awaiting_employee", 2)]
    assert personnel_table(PERSON, rows).splitlines() == [
        "1042 Birthe Mølgaard, leder Lone Leder: personale/1042-Birthe-Mølgaard",
        "År    Skema               Version  Tilstand                              Samtale     "
        "Modtaget    Arkiveret   Fil",
        "2026  forberedelsesskema  1        modtaget                              23.11.2026  "
        "28.11.2026  28.11.2026  forberedelsesskema-2026-v1.pdf",
        "2026  aftaleskema         2        venter på medarbejderens underskrift  23.11.2026  "
        "28.11.2026  28.11.2026  aftaleskema-2026-v2.pdf",
    ]


def test_an_empty_personnel_file_says_so_in_danish() -> None:
    assert personnel_table(PERSON._replace(leader=""), []) == (
        "1042 Birthe Mølgaard: personale/1042-Birthe-Mølgaard\n(ingen skemaer arkiveret)\n"
    )


def test_names_from_forms_are_shown_on_one_line_without_bidi_controls() -> None:
    """Issue 13 item 5: a name holding a line break or a right-to-left override, kept as it
    came in the record, is shown with marks for them: one line, read left to right."""
    person = EmployeeRow("1042", "Birthe\nMølgaard\u202e", "personale/1042-Birthe", "Lone\x00Leder")
    form = replace(
        row("preparation", "received"), original="personale/1042-Birthe/skema\u202efdp.exe"
    )
    lines = personnel_table(person, [form]).splitlines()
    assert len(lines) == 3
    assert (
        lines[0] == "1042 Birthe⏎Mølgaard<U+202E>, leder Lone<U+0000>Leder: personale/1042-Birthe"
    )
    assert lines[2].endswith("  skema<U+202E>fdp.exe")
    assert lines[2].startswith("2026  forberedelsesskema  1        modtaget")
