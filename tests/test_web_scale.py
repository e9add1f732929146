"""`formflow serve` at scale: the round worked out once per change and shown a page at a
time, the file page's "who has looked" from the index (not the whole audit log), sessions
not written per request, and the bench rows (`bench/web.py`) in a tiny run."""

from __future__ import annotations

import sqlite3
import sys
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from test_web import (  # noqa: F401 (fixtures)
    CHEAP,
    Clock,
    _hold_unknown_employee,
    app,
    clock,
    filled,
    log_in,
    settings,
)

from formflow.archive import Archive
from formflow.archive.audit import AuditLog
from formflow.config import Settings
from formflow.web import roundpage


def test_the_round_is_shown_a_page_at_a_time_with_totals_of_all(
    app: Flask,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(roundpage, "PAGE_ROWS", 2)
    client = log_in(app, "hanne")
    first = client.get("/").get_data(as_text=True)
    assert "Side 1 af 3: medarbejder 1-2 af 5" in first
    assert 'href="/medarbejder/1001"' in first and 'href="/medarbejder/1003"' not in first
    assert "<th>Medarbejdere</th><td>5</td>" in first  # every row counted
    assert 'rel="next" href="/?aar=' in first and 'rel="prev"' not in first
    last = client.get("/?side=3").get_data(as_text=True)
    assert "Side 3 af 3: medarbejder 5-5 af 5" in last and 'href="/medarbejder/1005"' in last
    assert 'rel="next"' not in last
    assert "Side 3 af 3" in client.get("/?side=99").get_data(as_text=True)  # kept in range
    ole = client.get("/?leder=Ole+Olsen").get_data(as_text=True)  # one row: no pages
    assert "Side 1 af" not in ole and "<th>Medarbejdere</th><td>1</td>" in ole


def test_counts_are_written_the_danish_way(
    app: Flask,  # noqa: F811
    settings: Settings,  # noqa: F811
) -> None:
    """10.001, not 10001: the paging line and the totals group thousands with a dot."""
    roster = settings.roster
    extra = "".join(f"{n},Medarbejder {n},Ole Olsen\n" for n in range(20000, 21000))
    roster.write_text(roster.read_text(encoding="utf-8") + extra, encoding="utf-8")
    client = log_in(app, "hanne")
    page = client.get("/?side=99").get_data(as_text=True)  # the last: 100 rows a page
    assert "Side 11 af 11: medarbejder 1.001-1.005 af 1.005" in page
    assert "<th>Medarbejdere</th><td>1.005</td>" in page
    ole = client.get("/?leder=Ole+Olsen").get_data(as_text=True)
    assert "<th>Medarbejdere</th><td>1.001</td>" in ole


def test_danish_numbers() -> None:
    from formflow.web.pages import danish_number

    assert [danish_number(n) for n in (0, 999, 1000, 10001, 1234567)] == [
        "0", "999", "1.000", "10.001", "1.234.567",
    ]  # fmt: skip
    assert [danish_number(x) for x in (60.0, 1.5, 0.25, 1234.5)] == ["60", "1,5", "0,25", "1.234,5"]


def test_the_round_is_worked_out_again_after_a_change(
    app: Flask,  # noqa: F811
    settings: Settings,  # noqa: F811
    filled: tuple[Path, int],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    worked: list[int] = []
    real = roundpage.work_out
    monkeypatch.setattr(roundpage, "work_out", lambda *a: worked.append(1) or real(*a))
    client = log_in(app, "hanne")
    assert "4242" not in client.get("/").get_data(as_text=True)
    client.get("/?side=1")
    log_in(app, "lise").get("/")
    assert len(worked) == 1  # once for everyone
    _hold_unknown_employee(settings, filled[1])  # a form handed back: the index changed
    assert '<td class="who">4242</td>' in client.get("/").get_data(as_text=True)
    assert len(worked) == 2
    roster = settings.roster
    roster.write_text(roster.read_text(encoding="utf-8") + "1006,Dorte Dahl,Ole Olsen\n")
    page = client.get("/").get_data(as_text=True)
    assert "Dorte Dahl" in page and len(worked) == 3


def test_who_has_looked_comes_from_the_index_and_survives_a_reindex(
    app: Flask,  # noqa: F811
    settings: Settings,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log_in(app, "lise").get("/medarbejder/1001")
    anna = log_in(app, "anna")

    def whole_log(self: AuditLog) -> None:
        raise AssertionError("the employee's page read the whole audit log")

    with monkeypatch.context() as patched:
        patched.setattr(AuditLog, "entries", whole_log)
        page = anna.get("/medarbejder/1001").get_data(as_text=True)
    assert "lise (leder)" in page and "anna (medarbejder)" in page
    archive = Archive(settings.archive, settings)
    before = archive.index.looks_at("1001")
    assert [look.who for look in before] == ["lise", "anna"]
    archive.reindex()  # the index rebuilt from the audit log: the same looks
    assert archive.index.looks_at("1001") == before
    assert archive.index.looks_at("1002") == []


def test_a_session_is_not_written_on_every_request(
    app: Flask,  # noqa: F811
    settings: Settings,  # noqa: F811
    clock: Clock,  # noqa: F811
) -> None:
    lise = log_in(app, "lise")
    path = settings.archive / ".formflow" / "users.sqlite"

    def last_seen() -> float:
        with closing(sqlite3.connect(path)) as db:
            ((seen,),) = db.execute("SELECT last_seen FROM sessions").fetchall()
        return float(seen)

    started = last_seen()
    clock.now += timedelta(seconds=30)
    lise.get("/")
    assert last_seen() == started  # within the minute: no write
    clock.now += timedelta(seconds=31)
    lise.get("/")
    assert last_seen() == started + 61
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


@pytest.mark.needs("qpdf")
@pytest.mark.slow
def test_the_web_bench_rows_measure(tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from test_bench_smoke import TINY

    from bench.run import run

    rows = run(TINY, ("web",), root=tmp_path, log=lambda _: None)
    assert [row.what.split(",")[0] for row in rows] == [
        "round page (HR)",
        "an employee's own file page",
    ]
    for row in rows:
        assert row.formflow.startswith("p95 ") and row.met is not None
        assert row.budget in ("p95 < 200 ms", "p95 < 50 ms")
    assert "works the round out again" in rows[0].note


def test_the_queues_come_from_the_index_and_survive_a_reindex(
    app: Flask,  # noqa: F811
    settings: Settings,  # noqa: F811
    filled: tuple[Path, int],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _hold_unknown_employee(settings, filled[1])
    Archive(settings.archive, settings).reindex()  # the hand-backs rebuilt from the log
    client = log_in(app, "hanne")

    def whole_log(self: AuditLog) -> None:
        raise AssertionError("the queues page read the whole audit log")

    monkeypatch.setattr(AuditLog, "entries", whole_log)
    page = client.get("/koer").get_data(as_text=True)
    assert "Afviste skemaer (1)" in page and "aftaleskema-carla.pdf" in page
    assert "Til afklaring (1)" in page and "aftale-aase.pdf" in page and "4242" in page
