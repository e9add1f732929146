"""The archive's pure parts: names, the record JSON, index rows, the roster, the audit chain."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from formflow.archive.audit import GENESIS, check_chain, line_hash, make_line
from formflow.archive.records import (
    build_record,
    decode_record,
    encode_record,
    folder_name,
    parse_file_name,
    parse_folder_name,
    row_from_record,
    text_only,
)
from formflow.archive.roster import hold_reason, parse_roster, plain_same_person
from formflow.model import CheckResult, Extraction, Problem

FILED = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def record(**fields: str) -> dict[str, object]:
    extraction = Extraction("x.docx", "docx", "agreement", 2026, "agreement", fields)
    problems = (
        Problem("meeting_date", "warning", "late", "For sent"),
        Problem("summary", "error", "x", "Fejl"),
    )
    return build_record(
        CheckResult(extraction, {}, problems),
        employee="1042",
        name="Birthe Mølgaard",
        kind="agreement",
        year=2026,
        version=3,
        state="awaiting_leader",
        fmt="docx",
        sha256="ab" * 32,
        size=10,
        source_name="skema.docx",
        arrived=None,
        filed=FILED,
    )


@given(st.text(max_size=120))
def test_any_name_gives_one_safe_folder_that_parses_back(name: str) -> None:
    folder = folder_name("1042", name)
    assert "/" not in folder and "\\" not in folder and "\x00" not in folder
    assert all(c.isprintable() for c in folder)
    assert len(folder) <= 5 + 80
    parsed = parse_folder_name(folder)
    assert parsed is not None and parsed[0] == "1042"


@pytest.mark.parametrize("number", ["", "../1", "1 2", "a/b", "x" * 33, "-1", "é1"])
def test_unusable_numbers_are_refused(number: str) -> None:
    with pytest.raises(ValueError):
        folder_name(number, "Ole")
    assert hold_reason(number, "Ole", roster=None, known_names=None) is not None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("aftaleskema-2026-v12.pdf", ("agreement", 2026, 12, "pdf"), id="agreement"),
        pytest.param(
            "forberedelsesskema-2027-v1.json", ("preparation", 2027, 1, "json"), id="prep"
        ),
        pytest.param("aftaleskema-2026-v1.PDF", None, id="upper_case_ext"),
        pytest.param("andet-2026-v1.pdf", None, id="unknown_kind"),
        pytest.param(".tmp-aftaleskema-2026-v1.pdf", None, id="temp"),
    ],
)
def test_parse_file_name(name: str, expected: tuple[str, int, int, str] | None) -> None:
    parsed = parse_file_name(name)
    got = (parsed.kind, parsed.year, parsed.version, parsed.ext) if parsed else None
    assert got == expected


def test_record_round_trip_and_index_row() -> None:
    data = record(
        meeting_date="2026-03-10",
        next_meeting_date="10.03.2027",  # not normalised: no date in the index
        plan_2_followup_date="2026-09-01",
        plan_1_followup_date="2026-02-30",  # impossible: left out
        leader_name=" Lone Leder ",
    )
    assert decode_record(encode_record(data)) == data
    row = row_from_record(data, "personale/1042 Birthe Mølgaard/2026")
    assert row.original == "personale/1042 Birthe Mølgaard/2026/aftaleskema-2026-v3.docx"
    assert row.record == "personale/1042 Birthe Mølgaard/2026/aftaleskema-2026-v3.json"
    assert (row.meeting_date, row.next_meeting_date) == ("2026-03-10", None)
    assert row.followups == ((2, "2026-09-01"),)
    assert (row.errors, row.warnings, row.valid) == (1, 1, False)
    assert row.leader_name == "Lone Leder" and row.arrived_date is None


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"[]", id="not_object"),
        pytest.param(b'{"format": "other"}', id="other_format"),
        pytest.param(b"\xff", id="not_utf8"),
        pytest.param(b'{"format": "formflow-record/1", "kind": "agreement"}', id="incomplete"),
    ],
)
def test_decode_refuses_what_is_not_a_record(data: bytes) -> None:
    with pytest.raises(ValueError):
        decode_record(data)


def test_text_only_escapes_what_cannot_be_shown() -> None:
    assert text_only("a\x00b\udcffc\n.pdf") == "a\\x00b\\udcffc\\x0a.pdf"
    assert len(text_only("x" * 1000)) == 255


def test_roster_refuses_duplicates_and_short_rows() -> None:
    with pytest.raises(ValueError, match="twice"):
        parse_roster("1,A\n1,B\n")
    with pytest.raises(ValueError, match="number and name"):
        parse_roster("1;\n")
    assert parse_roster("") == {}
    assert plain_same_person(" Åse  Holm", "åse holm")


def test_audit_chain_of_made_lines() -> None:
    first = make_line(GENESIS, 1, FILED, "filed", {"employee": "1", "problems": ["x"]})
    second = make_line(line_hash(first), 2, FILED, "viewed", {"employee": "1"})
    assert check_chain([first, second]) == []
    assert check_chain([second, first]) != []
    with pytest.raises(ValueError):
        make_line(GENESIS, 1, FILED, "Filed!", {})
    with pytest.raises(ValueError):
        make_line(GENESIS, 1, FILED, "filed", {"values": [1]})
