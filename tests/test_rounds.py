"""The MUS round (`formflow status`): every state, row by row, over a real archive."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formflow.archive import Archive
from formflow.archive.index import Index
from formflow.archive.records import FormRow
from formflow.cli import cli
from formflow.config import Settings
from formflow.model import CheckResult, Extraction
from formflow.rounds import (
    CSV_COLUMNS,
    Person,
    StatusRow,
    latest_forms,
    round_of,
    round_status,
    table_cells,
    totals_line,
)

YEAR = 2026
TODAY = date(2026, 6, 1)
LISE = "Lise Leder"
MADS = "Mads Møller"


def _file(
    archive: Archive,
    number: str,
    name: str,
    kind: str,
    year: int,
    state: str,
    arrived: str,
    **fields: str,
) -> None:
    values = {"employee_number": number, "employee_name": name, **fields}
    extraction = Extraction(
        file=f"{kind}.pdf",
        reader="acroform",
        kind=kind,
        year=year,
        definition=kind,
        fields=values,
    )
    data = f"%PDF-1.7 {number} {kind} {year} {state} {arrived} {sorted(fields.items())}"
    archive.file(
        data.encode(),
        CheckResult(extraction, {}, ()),
        state=state,
        arrived=datetime.fromisoformat(arrived),
        source_name=f"{kind}.pdf",
    )


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    """One employee per state of the round of 2026, as of 1 June 2026."""
    settings = Settings(archive=tmp_path / "archive", roster=tmp_path / "employees.csv")
    a = Archive.open(settings)
    # 101: on time; agreement first awaiting, then signed (v2 counts); three follow-ups
    _file(a, "101", "Anne Ås", "preparation", YEAR, "received", "2026-05-01T09:00+02:00",
          meeting_date="2026-05-20", leader_name=LISE)  # fmt: skip
    agreement_101 = {
        "meeting_date": "2026-05-20",
        "next_meeting_date": "2027-05-15",
        "leader_name": LISE,
        "plan_1_followup_date": "2026-06-10",
        "plan_2_followup_date": "2026-05-25",
        "plan_3_followup_date": "2026-09-01",
    }
    _file(a, "101", "Anne Ås", "agreement", YEAR, "awaiting_employee", "2026-05-22T10:00+02:00",
          **agreement_101)  # fmt: skip
    _file(a, "101", "Anne Ås", "agreement", YEAR, "signed", "2026-05-24T10:00+02:00",
          **agreement_101)  # fmt: skip
    # 102: late preparation (two days before the meeting), agreement awaiting the employee
    _file(a, "102", "Bo Bæk", "preparation", YEAR, "received", "2026-05-18T08:00+02:00",
          meeting_date="2026-05-20", leader_name=LISE)  # fmt: skip
    _file(a, "102", "Bo Bæk", "agreement", YEAR, "awaiting_employee", "2026-05-21T08:00+02:00",
          meeting_date="2026-05-20", leader_name=LISE,
          plan_1_followup_date="2026-06-15")  # fmt: skip
    # 103: no preparation, agreement awaiting the leader (another leader)
    _file(a, "103", "Cæcilie Øst", "agreement", YEAR, "awaiting_leader", "2026-04-12T08:00+02:00",
          meeting_date="2026-04-10", leader_name=MADS)  # fmt: skip
    # 104: preparation only, on time for a meeting in July
    _file(a, "104", "Dorte Dam", "preparation", YEAR, "received", "2026-05-30T08:00+02:00",
          meeting_date="2026-07-01", leader_name=MADS)  # fmt: skip
    # 105: only last year's agreement: this year's meeting is its next meeting date
    _file(a, "105", "Erik Eg", "agreement", YEAR - 1, "signed", "2025-06-25T08:00+02:00",
          meeting_date="2025-06-20", next_meeting_date="2026-06-20", leader_name=LISE)  # fmt: skip
    # 106: last year's agreement and a carry-over form formflow generated: nothing received
    _file(a, "106", "Frida Fjord", "agreement", YEAR - 1, "signed", "2025-09-01T08:00+02:00",
          meeting_date="2025-08-28", next_meeting_date="2026-08-27", leader_name=LISE)  # fmt: skip
    a.record_generated(
        b"%PDF-1.7 generated 106", employee="106", name="Frida Fjord", year=YEAR,
        kind="preparation", fmt="pdf",
    )  # fmt: skip
    # 107: forms only from 2024: not in this round without a roster
    _file(a, "107", "Gustav Gran", "agreement", 2024, "signed", "2024-05-01T08:00+02:00",
          meeting_date="2024-04-28", leader_name=LISE)  # fmt: skip
    # 109: a preparation without a meeting date: received, not judged
    _file(a, "109", "Ib Ilsø", "preparation", YEAR, "received", "2026-05-02T08:00+02:00",
          leader_name=MADS)  # fmt: skip
    return a


def _status(archive: Archive, leader: str | None = None) -> dict[str, dict[str, Any]]:
    status = round_of(archive, YEAR, today=TODAY, deadline_days=7, leader=leader)
    return {row.number: row.to_json() for row in status.rows}


def test_every_state_row_by_row(archive: Archive) -> None:
    rows = _status(archive)
    assert list(rows) == ["101", "102", "103", "104", "105", "106", "109"]
    expected: dict[str, dict[str, Any]] = {
        "101": dict(preparation="on_time", preparation_arrived="2026-05-01",
                    preparation_deadline="2026-05-13", meeting_date="2026-05-20",
                    agreement="signed", followups_due=["2026-06-10"],
                    followups_overdue=["2026-05-25"], next_meeting_date="2027-05-15",
                    leader=LISE, name="Anne Ås"),
        "102": dict(preparation="late", preparation_arrived="2026-05-18",
                    meeting_date="2026-05-20", agreement="awaiting_employee",
                    followups_due=["2026-06-15"], followups_overdue=[], next_meeting_date=None),
        "103": dict(preparation="missing", preparation_arrived=None,
                    preparation_deadline="2026-04-03", meeting_date="2026-04-10",
                    agreement="awaiting_leader", leader=MADS, name="Cæcilie Øst"),
        "104": dict(preparation="on_time", meeting_date="2026-07-01", agreement="missing",
                    followups_due=[], followups_overdue=[]),
        "105": dict(preparation="missing", meeting_date="2026-06-20",
                    preparation_deadline="2026-06-13", agreement="missing", leader=LISE,
                    next_meeting_date=None),
        "106": dict(preparation="missing", meeting_date="2026-08-27", agreement="missing",
                    name="Frida Fjord"),
        "109": dict(preparation="received", meeting_date=None, preparation_deadline=None,
                    agreement="missing"),
    }  # fmt: skip
    for number, want in expected.items():
        got = {key: rows[number][key] for key in want}
        assert got == want, number


def test_totals(archive: Archive) -> None:
    status = round_of(archive, YEAR, today=TODAY, deadline_days=7)
    assert status.totals == {
        "employees": 7,
        "preparation_on_time": 2,
        "preparation_late": 1,
        "preparation_received": 1,
        "preparation_missing": 3,
        "agreement_signed": 1,
        "agreement_awaiting_employee": 1,
        "agreement_awaiting_leader": 1,
        "agreement_missing": 4,
        "followups_due": 2,
        "followups_overdue": 1,
    }
    assert "7 medarbejdere" in totals_line(status)


def test_leader_filter_ignores_case_and_spacing(archive: Archive) -> None:
    assert list(_status(archive, leader="mads  møller")) == ["103", "104", "109"]


def test_roster_lists_who_sent_nothing_and_its_leader(archive: Archive, tmp_path: Path) -> None:
    (tmp_path / "employees.csv").write_text(
        "number,name,leader\n101,Anne Ås,Lise Leder\n105,Erik Eg,Lise Leder\n"
        "108,Hanne Holm,Mads Møller\n",
        encoding="utf-8",
    )
    rows = _status(archive)
    # the roster adds 108; 102-104, 109 sent forms this year, so they stay; 106 and 107 go
    assert list(rows) == ["101", "102", "103", "104", "105", "108", "109"]
    assert rows["108"] | {} == {
        "number": "108",
        "name": "Hanne Holm",
        "leader": MADS,
        "preparation": "missing",
        "preparation_arrived": None,
        "preparation_deadline": None,
        "meeting_date": None,
        "agreement": "missing",
        "followups_due": [],
        "followups_overdue": [],
        "next_meeting_date": None,
    }


def test_danish_cells(archive: Archive) -> None:
    status = round_of(archive, YEAR, today=TODAY, deadline_days=7)
    cells = {row.number: table_cells(row) for row in status.rows}
    assert cells["101"][3:] == (
        "modtaget til tiden",
        "20.05.2026",
        "underskrevet",
        "forfalden 25.05.2026, snart 10.06.2026",
        "15.05.2027",
    )
    assert cells["103"][3] == "mangler (frist 03.04.2026)"
    assert cells["102"][5] == "venter på medarbejderens underskrift"


def test_csv_and_json_round_trip(archive: Archive) -> None:
    status = round_of(archive, YEAR, today=TODAY, deadline_days=7)
    lines = status.to_csv().splitlines()
    assert lines[0].startswith("number,name,leader,preparation,")
    assert lines[1] == (
        "101,Anne Ås,Lise Leder,on_time,2026-05-01,2026-05-13,2026-05-20,signed,"
        "2026-06-10,2026-05-25,2027-05-15"
    )
    data = json.loads(json.dumps(status.to_json(), ensure_ascii=False))
    assert data["totals"]["employees"] == 7 and data["employees"][2]["name"] == "Cæcilie Øst"


def test_status_command(archive: Archive, tmp_path: Path) -> None:
    config = tmp_path / "formflow.toml"
    config.write_text(f'archive = "{archive.root}"\n', encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(cli, ["--config", str(config), "status", "--year", "2026", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [row["number"] for row in data["employees"]] == [
        "101", "102", "103", "104", "105", "106", "109"
    ]  # fmt: skip
    table = runner.invoke(
        cli, ["--config", str(config), "status", "--year", "2026"], env={"COLUMNS": "200"}
    )
    assert table.exit_code == 0 and "Cæcilie Øst" in table.output
    both = runner.invoke(cli, ["--config", str(config), "status", "--json", "--csv"])
    assert both.exit_code == 2 and "choose one" in both.output


def test_generated_form_never_counts_as_received() -> None:
    class Form:
        def __init__(self, state: str, version: int) -> None:
            self.employee, self.employee_name, self.leader_name = "1", "A", ""
            self.year, self.kind, self.version, self.state = YEAR, "preparation", version, state
            self.meeting_date = "2026-07-01"
            self.next_meeting_date: str | None = None
            self.arrived: str | None = None
            self.followups: tuple[str, ...] = ()

    forms = [Form("received", 1), Form("generated", 2)]
    forms[0].arrived = "2026-05-01T00:00:00+00:00"
    status = round_status(YEAR, forms, today=TODAY, deadline_days=7, roster={"1": Person("1", "A")})
    assert status.rows[0].preparation == "on_time"


class _Form:
    """A form version as `round_status` reads it (the index's `RoundForm`)."""

    def __init__(self, employee: str, year: int, kind: str, version: int, state: str) -> None:
        self.employee, self.employee_name, self.leader_name = employee, f"N {employee}", ""
        self.year, self.kind, self.version, self.state = year, kind, version, state
        self.meeting_date: str | None = None
        self.next_meeting_date: str | None = None
        self.arrived: str | None = None
        self.followups: tuple[str, ...] = ()


def test_the_version_that_counts_and_who_is_in_the_round() -> None:
    forms = [
        _Form("1", YEAR, "preparation", 1, "received"),
        _Form("1", YEAR, "preparation", 2, "generated"),  # a later carry-over form: not sent
        _Form("2", YEAR, "preparation", 1, "generated"),  # only generated: not a member
        _Form("3", YEAR - 1, "agreement", 1, "generated"),
        _Form("3", YEAR - 1, "agreement", 2, "signed"),  # last year's promise: a member
        _Form("4", YEAR - 2, "agreement", 1, "signed"),  # older agreements join too
        _Form("5", YEAR - 1, "preparation", 1, "received"),  # last year's preparation: no
    ]
    forms[0].meeting_date, forms[1].meeting_date = "2026-07-01", "2026-08-01"
    status = round_status(YEAR, forms, today=TODAY, deadline_days=7)
    assert [row.number for row in status.rows] == ["1", "3", "4"]
    assert status.rows[0].meeting_date == "2026-07-01"  # the version sent, not the generated
    assert latest_forms(forms)[("1", YEAR, "preparation")] is forms[0]
    with_roster = round_status(
        YEAR, forms, today=TODAY, deadline_days=7, roster={"9": Person("9", "Nina")}
    )
    assert [row.number for row in with_roster.rows] == ["1", "9"]  # agreements: no word


def test_rows_go_by_number_then_by_text() -> None:
    forms = [_Form(n, YEAR, "agreement", 1, "signed") for n in ("10", "x2", "9", "07", "7", "A")]
    for _ in range(3):  # the same order whatever order the set of numbers iterates in
        status = round_status(YEAR, forms, today=TODAY, deadline_days=7)
        assert [row.number for row in status.rows] == ["07", "7", "9", "10", "A", "x2"]
        forms.reverse()


def test_csv_columns_are_the_row_fields() -> None:
    """`RoundStatus.to_csv` writes each row's fields in order: the columns must follow them."""
    assert StatusRow._fields == CSV_COLUMNS


def test_round_forms_joins_each_agreement_version_with_its_follow_ups(tmp_path: Path) -> None:
    def row(year: int, kind: str, version: int, followups: tuple[tuple[int, str], ...]) -> FormRow:
        return FormRow(
            employee="1", employee_name="A", year=year, kind=kind, version=version,
            state="signed", file_format="pdf", sha256=f"{year}{kind}{version}", size=1,
            original="o", record="r", arrived=None, filed="2026-01-01T00:00:00",
            reader="acroform", followups=followups,
        )  # fmt: skip

    index = Index(tmp_path / "index.sqlite")
    index.rebuild(
        [
            row(YEAR, "agreement", 1, ((2, "2026-03-01"), (1, "2026-09-01"))),
            row(YEAR, "agreement", 2, ((1, "2026-10-01"),)),
            row(YEAR, "preparation", 1, ((1, "2026-04-01"),)),
            row(YEAR - 1, "agreement", 1, ((1, "2025-10-01"),)),
            row(YEAR - 2, "agreement", 1, ()),
        ],
        {"1": "personale/1 A"},
    )
    found = {(f.year, f.kind, f.version): f.followups for f in index.round_forms(YEAR)}
    assert found == {
        (YEAR, "agreement", 1): ("2026-09-01", "2026-03-01"),  # in plan order
        (YEAR, "agreement", 2): ("2026-10-01",),
        (YEAR, "preparation", 1): (),  # follow-ups count only on this year's agreements
        (YEAR - 1, "agreement", 1): (),
    }


@pytest.mark.slow
def test_status_over_ten_thousand_employees_and_five_years(tmp_path: Path) -> None:
    rows = []
    for n in range(10_000):
        number = str(10_000 + n)
        for year in range(2022, 2027):
            for kind, state in (("preparation", "received"), ("agreement", "signed")):
                rows.append(
                    FormRow(
                        employee=number, employee_name=f"Medarbejder {n}", year=year, kind=kind,
                        version=1, state=state, file_format="pdf", sha256=f"{number}{year}{kind}",
                        size=1, original=f"personale/{number} M/{year}/x.pdf",
                        record=f"personale/{number} M/{year}/x.json",
                        arrived=f"{year}-05-01T08:00:00+02:00", filed=f"{year}-05-01T08:00:00",
                        reader="acroform", leader_name=f"Leder {n % 40}",
                        meeting_date=f"{year}-05-20", next_meeting_date=f"{year + 1}-05-20",
                        followups=((1, f"{year}-09-01"), (2, f"{year}-12-01"))
                        if kind == "agreement" else (),
                    )
                )  # fmt: skip
    folders = {str(10_000 + n): f"personale/{10_000 + n} M" for n in range(10_000)}
    index = Index(tmp_path / "index.sqlite")
    index.rebuild(rows, folders)

    class View:
        def __init__(self) -> None:
            self.index = index

        def roster(self) -> None:
            return None

        def employees(self) -> list[object]:
            return list(index.employees())

    # Speed is measured by bench/run.py (target: under 0.3 s), not asserted here: a timed
    # test only measures how busy the CI machine is.
    status = round_of(View(), 2026, today=TODAY, deadline_days=7)
    assert status.totals["employees"] == 10_000
    assert status.totals["agreement_signed"] == 10_000


# --- the index's facts and the forms' facts agree --------------------------------------------

_NAMES = st.sampled_from(["", " ", "\xa0", "Anne Ås", " Bo Bæk ", "Lise Leder", "\u2003Mads\t"])
_DAYS = st.sampled_from(
    [None, "", "2026-05-20", "2026-06-05", "2026-06-20", "2025-12-01", "2027-01-10", "x", "2026061"]
)
_ARRIVED = st.sampled_from(
    [None, "", "2026-05-01T09:00:00+02:00", "2026-06-19T23:30:00+02:00", "2026-06-30", "nope"]
)
_FOLLOWUPS = st.lists(
    st.tuples(
        st.integers(1, 3),
        # the index reads only dates that can be due: these are split into words first
        st.sampled_from(["2026-05-25", "2026-06-10", "2026-09-01", "", "2026-09-01 2026-06-02"]),
    ),
    max_size=3,
    unique_by=lambda plan: plan[0],
).map(tuple)


@st.composite
def _form_rows(draw: st.DrawFn) -> FormRow:
    employee = draw(st.sampled_from(["1", "2", "07", "7", "10", "x"]))
    year = draw(st.sampled_from([YEAR - 2, YEAR - 1, YEAR]))
    # kinds of its own sort before, between and after the two a round reads
    kind = draw(st.sampled_from(["preparation", "agreement", "accord", "own", "review"]))
    version = draw(st.integers(1, 3))
    return FormRow(
        employee=employee,
        employee_name=draw(_NAMES),
        year=year,
        kind=kind,
        version=version,
        state=draw(st.sampled_from(["received", "signed", "awaiting_employee", "generated"])),
        file_format="pdf",
        sha256=f"{employee}-{year}-{kind}-{version}",
        size=1,
        original="o",
        record="r",
        arrived=draw(_ARRIVED),
        filed="2026-01-01T00:00:00",
        reader="acroform",
        leader_name=draw(_NAMES),
        meeting_date=draw(_DAYS),
        next_meeting_date=draw(_DAYS),
        followups=draw(_FOLLOWUPS),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(_form_rows(), max_size=25, unique_by=lambda r: r.sha256),
    st.none() | st.dictionaries(st.sampled_from(["1", "7", "9"]), _NAMES, max_size=3),
    st.none() | st.sampled_from(["lise leder", "Mads"]),
)
def test_the_index_picks_the_forms_that_count_as_round_status_does(
    tmp_path_factory: pytest.TempPathFactory,
    forms: list[FormRow],
    roster_names: dict[str, str] | None,
    leader: str | None,
) -> None:
    """`round_of` reads the index's `round_facts` (versions picked by SQLite); `round_status`
    picks them from the lean rows of `round_forms` in Python: every row must be the same."""
    index = Index(tmp_path_factory.mktemp("index") / "index.sqlite")
    index.rebuild(forms, {"1": "personale/1 Folder Navn", "x": "personale/x  "})
    roster = None
    if roster_names is not None:
        roster = {n: Person(n, name, "Rosa Roster") for n, name in roster_names.items()}

    class View:
        def __init__(self) -> None:
            self.index = index

        def roster(self) -> dict[str, Person] | None:
            return roster

    kwargs: dict[str, Any] = dict(today=TODAY, deadline_days=7, leader=leader)
    expected = round_status(
        YEAR,
        index.round_forms(YEAR),
        roster=roster,
        archive_people={e.number: e for e in index.employees()},
        **kwargs,
    )
    assert round_of(View(), YEAR, **kwargs) == expected


@settings(max_examples=500)
@given(
    st.text(alphabet="0123456789-WT:+. Z", max_size=24)
    | st.datetimes().map(datetime.isoformat)
    | st.dates().map(lambda d: d.strftime("%Y%m%d"))
)
def test_the_arrival_day_is_the_date_fromisoformat_reads(arrived: str) -> None:
    """`_arrived_day` takes the date's ten characters as they stand where the timestamp
    starts `YYYY-MM-DD`: the same text as the parsed date written out."""
    from formflow.rounds import _arrived_day

    try:
        expected: str | None = datetime.fromisoformat(arrived).date().isoformat()
    except ValueError:
        expected = None
    assert _arrived_day(arrived) == (expected if arrived else None)
