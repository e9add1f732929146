"""The ingest workers: whole ingests in processes, with the reading still limited and isolated.

Each misbehaviour is injected as a module-level read or build function (a fresh worker
imports it by name); after each failure the same pool must file a good form again, and the
file it failed on must be handed back with its reason or kept in the inbox, never lost.
"""

from __future__ import annotations

import ctypes
import dataclasses
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from samples.watch.make_watch_samples import sample, vary_pdf

from formflow.config import Settings
from formflow.errors import FormflowError
from formflow.ingest import Ingestor, Outcome, Reader
from formflow.model import Extraction
from formflow.read import read_data
from formflow.workers import IngestPool, build_ingestor

pytestmark = pytest.mark.slow  # each test starts worker processes (about a second each)


def limited(tmp_path: Path, timeout: float = 2.0, memory_mb: int = 1024) -> Settings:
    settings = Settings().replace(
        inbox=tmp_path / "inbox", archive=tmp_path / "archive", roster=tmp_path / "none.csv"
    )
    limits = dataclasses.replace(
        settings.limits, parse_timeout_seconds=timeout, parse_memory_mb=memory_mb
    )
    return settings.replace(limits=limits)


# Read functions run inside the workers; the form's employee number picks the misbehaviour.


def misbehave(data: bytes, name: str, settings: Settings) -> Extraction:
    extraction = read_data(data, name, settings)
    cue = extraction.employee_number
    if cue == "9001":
        time.sleep(60)
    elif cue == "9002":
        hog = bytearray(3 * 1024 * 1024 * 1024)  # 3 GB: fits the machine, not the limit
        hog[-1] = 1
    elif cue == "9003":
        ctypes.string_at(0)  # reads address 0: SIGSEGV
    elif cue == "9005":
        time.sleep(0.5)  # long enough for a second worker to take the same bytes meanwhile
    return extraction


def build_dying(settings: Settings, reader: Reader) -> tuple[Ingestor, Callable[[], None]]:
    """The real stages, except that employee 9004's form kills the worker after reading and
    9006's takes its time to check."""
    ingestor, close = build_ingestor(settings, reader)
    check = ingestor.validator

    def validator(extraction: Extraction, arrived: object) -> object:
        if extraction.employee_number == "9004":
            os._exit(3)
        if extraction.employee_number == "9006":
            time.sleep(1.5)  # checking (not reading) while the other slot reads
        return check(extraction, arrived)  # type: ignore[arg-type]

    ingestor.validator = validator  # type: ignore[assignment]
    return ingestor, close


def build_unanswerable(settings: Settings, reader: Reader) -> tuple[Ingestor, Callable[[], None]]:
    """The real stages, except that a file named "ubesvarlig" gets an answer that cannot be
    sent back (its slot could not answer it: a bug in the job)."""
    ingestor, close = build_ingestor(settings, reader)
    ingest = ingestor.ingest

    def unanswerable(path: Path) -> Outcome:
        if "ubesvarlig" in path.name:
            return Outcome("filed", path.name, destination=threading.Lock())  # type: ignore[arg-type]
        return ingest(path)

    ingestor.ingest = unanswerable  # type: ignore[method-assign]
    return ingestor, close


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = limited(tmp_path)
    settings.inbox.mkdir(parents=True)
    return settings


@pytest.fixture
def own(settings: Settings) -> Iterator[Ingestor]:
    """The daemon's own Ingestor (hands back what a killed worker left)."""
    ingestor, close = build_ingestor(settings, lambda data, name: read_data(data, name, settings))
    yield ingestor
    close()


def drop(settings: Settings, number: str, name: str = "") -> Path:
    data = vary_pdf(sample("preparation.pdf"), number, f"Medarbejder {number}")
    path = settings.inbox / (name or f"skema {number}.pdf")
    path.write_bytes(data)
    return path


def records(settings: Settings) -> list[Path]:
    return sorted((settings.archive / "personale").rglob("*.json"))


def test_a_worker_files_a_form_from_intake_to_archive(settings: Settings, own: Ingestor) -> None:
    path = drop(settings, "1042")
    with IngestPool(settings, own, workers=1) as pool:
        outcome = pool.ingest(path)
    assert (outcome.action, outcome.state) == ("filed", "received")
    assert not path.exists() and len(records(settings)) == 1


@pytest.mark.parametrize(
    ("number", "code"),
    [
        pytest.param("9001", "timeout", id="read_past_timeout"),
        pytest.param("9002", "too_much_memory", id="read_past_memory_limit"),
        pytest.param("9003", "crashed", id="segfault_while_reading"),
    ],
)
def test_a_misbehaving_read_hands_the_file_back_and_the_pool_carries_on(
    settings: Settings, own: Ingestor, number: str, code: str
) -> None:
    bad = drop(settings, number)
    with IngestPool(settings, own, workers=1, work=misbehave) as pool:
        started = time.monotonic()
        outcome = pool.ingest(bad)
        assert time.monotonic() - started < 15
        assert (outcome.action, outcome.codes) == ("rejected", (code,))
        assert outcome.destination is not None and outcome.destination.exists()
        notice = outcome.destination.with_name(outcome.destination.name + ".txt")
        assert "Ret skemaet" in notice.read_text(encoding="utf-8")  # Danish, for the employee
        assert pool.ingest(drop(settings, "1042")).action == "filed"  # a fresh worker
    assert not bad.exists() and len(records(settings)) == 1


def test_a_worker_dying_outside_the_read_keeps_the_file_for_another_try(
    settings: Settings, own: Ingestor, caplog: pytest.LogCaptureFixture
) -> None:
    path = drop(settings, "9004")
    with IngestPool(settings, own, workers=1, build=build_dying) as pool:
        with caplog.at_level("ERROR", logger="formflow.watch"):
            outcome = pool.ingest(path)
        assert (outcome.action, outcome.detail) == ("retry", "worker_lost")
        assert path.exists()  # kept: not the file's fault as far as anyone knows
        assert "a worker died while taking skema 9004.pdf" in caplog.text
        assert pool.ingest(drop(settings, "1042")).action == "filed"


def test_a_slot_that_cannot_answer_ends_its_worker_not_the_daemon(
    settings: Settings, own: Ingestor
) -> None:
    """It once ended its thread quietly, and the daemon's thread waited for it for ever."""
    path = drop(settings, "1042", "ubesvarlig.pdf")
    with IngestPool(settings, own, workers=1, build=build_unanswerable) as pool:
        outcomes: list[Outcome] = []
        waiting = threading.Thread(target=lambda: outcomes.append(pool.ingest(path)), daemon=True)
        waiting.start()
        waiting.join(timeout=30)
        assert not waiting.is_alive(), "the daemon's thread waits for ever"
        assert [(o.action, o.detail) for o in outcomes] == [("retry", "worker_lost")]
        assert path.exists()
        assert pool.ingest(drop(settings, "1043")).action == "filed"  # a fresh worker


def test_a_crash_blames_only_the_file_being_read(settings: Settings, own: Ingestor) -> None:
    """Two files in one worker: the one being read when it dies goes back as crashed, the
    other (being checked meanwhile) stays in the inbox for another try."""
    checked, read = drop(settings, "9006"), drop(settings, "9003")
    outcomes: dict[str, str] = {}
    with IngestPool(settings, own, workers=1, build=build_dying, work=misbehave) as pool:
        pool.ingest(drop(settings, "1042"))  # started and warm
        first = threading.Thread(
            target=lambda: outcomes.update(checked=pool.ingest(checked).action)
        )
        first.start()
        time.sleep(0.5)  # 9006 is read by now and being checked
        outcomes["read"] = pool.ingest(read).action
        first.join(30)
        assert pool.ingest(drop(settings, "1043")).action == "filed"
    assert outcomes == {"checked": "retry", "read": "rejected"}
    assert checked.exists() and not read.exists()


def test_a_worker_is_replaced_politely_after_its_share_of_files(
    settings: Settings, own: Ingestor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("formflow.workers.RECYCLE_AFTER", 1)
    with IngestPool(settings, own, workers=1) as pool:
        actions = [pool.ingest(drop(settings, str(2000 + n))).action for n in range(3)]
        workers = list(pool._all)
    assert actions == ["filed"] * 3
    assert not any(worker.process.is_alive() for worker in workers)


def test_two_copies_of_the_same_bytes_in_two_workers_are_filed_once(
    settings: Settings, own: Ingestor
) -> None:
    first = drop(settings, "9005", "kopi 1.pdf")
    second = settings.inbox / "kopi 2.pdf"
    second.write_bytes(first.read_bytes())
    actions: list[str] = []
    with IngestPool(settings, own, workers=2, work=misbehave) as pool:
        threads = [
            threading.Thread(target=lambda p=p: actions.append(pool.ingest(p).action))
            for p in (first, second)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert sorted(actions) == ["duplicate", "filed"]
    assert len(records(settings)) == 1
    assert not first.exists() and not second.exists()


def test_workers_ignore_ctrl_c_the_daemon_stops_them(settings: Settings, own: Ingestor) -> None:
    with IngestPool(settings, own, workers=1) as pool:
        (worker,) = pool._all
        os.kill(worker.process.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
        os.kill(worker.process.pid, signal.SIGTERM)  # and so may `systemctl stop`
        time.sleep(0.3)
        assert pool.ingest(drop(settings, "1042")).action == "filed"
    assert not worker.process.is_alive()


def test_a_memory_limit_below_the_workers_own_size_is_a_clear_error(
    settings: Settings, own: Ingestor
) -> None:
    small = settings.replace(limits=dataclasses.replace(settings.limits, parse_memory_mb=1))
    with pytest.raises(FormflowError, match="parse_memory_mb"):
        IngestPool(small, own).start()


def test_the_pool_must_be_started(settings: Settings, own: Ingestor) -> None:
    with pytest.raises(RuntimeError):
        IngestPool(settings, own).ingest(drop(settings, "1042"))
