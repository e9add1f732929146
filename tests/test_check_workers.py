"""`formflow check` reads each file in a worker process (`formflow.workers`, the daemon's pool):
time limit, memory limit, crashes, and a pool that carries on.

The misbehaving read functions are injected (module-level, so a fresh worker can import them
by name); after each failure the same pool must read a real form again.
"""

from __future__ import annotations

import ctypes
import dataclasses
import os
import time
from pathlib import Path

import pytest

from formflow.checking import check_form
from formflow.config import Settings
from formflow.errors import FormflowError, UnreadableForm
from formflow.forms.library import load_definition
from formflow.forms.render import render_bytes
from formflow.model import CheckResult, Extraction
from formflow.read import read_form
from formflow.workers import check_files

BROKEN = Path(__file__).parent / "samples" / "broken"


def limited(timeout: float = 3.0, memory_mb: int = 1024) -> Settings:
    settings = Settings()
    limits = dataclasses.replace(
        settings.limits, parse_timeout_seconds=timeout, parse_memory_mb=memory_mb
    )
    return settings.replace(limits=limits)


# Read functions run inside the workers. A path's name picks the misbehaviour, so one pool
# can be fed a bad file and then a good one.


def misbehave(path: Path, settings: Settings) -> Extraction:
    if path.name == "sleep":
        time.sleep(60)
    elif path.name == "allocate":
        hog = bytearray(3 * 1024 * 1024 * 1024)  # 3 GB: fits the machine, not the limit
        hog[-1] = 1
    elif path.name == "exit":
        os._exit(3)
    elif path.name == "segfault":
        ctypes.string_at(0)  # reads address 0: SIGSEGV
    elif path.name == "raise":
        raise KeyError("a parser bug")
    return read_form(path, settings)


@pytest.fixture(scope="module")
def form(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("forms") / "agreement.pdf"
    values = {"employee_name": "Birthe Mølgaard", "employee_number": "1042"}
    path.write_bytes(render_bytes(load_definition("agreement"), 2026, values, "pdf"))
    return path


def name_of(result: CheckResult | UnreadableForm) -> str:
    return result.code if isinstance(result, UnreadableForm) else result.extraction.employee_name


def test_reads_and_checks_like_read_form(form: Path) -> None:
    settings = limited()
    (result,) = check_files([form], settings)
    assert result == check_form(read_form(form, settings), settings)


def test_unreadable_file_keeps_its_code_and_message() -> None:
    (result,) = check_files([BROKEN / "encrypted.pdf"], limited())
    assert isinstance(result, UnreadableForm) and result.code == "encrypted"
    assert "adgangskode" in result.message


@pytest.mark.parametrize(
    ("name", "code"),
    [
        pytest.param("sleep", "timeout", id="sleeps_past_timeout"),
        pytest.param("allocate", "too_much_memory", id="allocates_past_limit"),
        pytest.param("exit", "crashed", id="os_exit"),
        pytest.param("segfault", "crashed", id="segfault"),
        pytest.param("raise", "crashed", id="unexpected_exception"),
    ],
)
def test_misbehaving_worker_is_replaced(form: Path, tmp_path: Path, name: str, code: str) -> None:
    started = time.monotonic()
    bad, good = check_files(
        [tmp_path / name, form], limited(timeout=2.0), workers=1, read=misbehave
    )
    assert time.monotonic() - started < 15
    assert isinstance(bad, UnreadableForm) and bad.code == code
    assert bad.message  # Danish, for the employee
    assert name_of(good) == "Birthe Mølgaard"  # the pool carried on with a fresh worker


def test_workers_share_the_files(form: Path, tmp_path: Path) -> None:
    paths = [form, tmp_path / "exit", form, form, BROKEN / "empty.pdf", form]
    results = check_files(paths, limited(), workers=2, read=misbehave)
    assert [name_of(r) for r in results] == [
        "Birthe Mølgaard", "crashed", "Birthe Mølgaard", "Birthe Mølgaard", "empty",
        "Birthe Mølgaard",
    ]  # fmt: skip


def test_memory_limit_below_the_readers_own_size_is_a_clear_error(form: Path) -> None:
    with pytest.raises(FormflowError, match="parse_memory_mb"):
        check_files([form], limited(memory_mb=1))


def test_no_files_start_no_worker() -> None:
    assert check_files([], limited(memory_mb=1)) == []


def slow_read(path: Path, settings: Settings) -> Extraction:
    time.sleep(1.0)
    return read_form(path, settings)


def test_a_worker_whose_daemon_died_mid_read_exits_without_a_traceback(form: Path) -> None:
    """kill -9 of the daemon leaves its readers without a pipe: they end quietly."""
    import subprocess
    import sys

    script = (
        "import functools, multiprocessing, sys, time\n"
        "sys.path.insert(0, sys.argv[2])\n"
        "from test_check_workers import slow_read\n"
        "from formflow.config import Settings\n"
        "from formflow.workers import _worker_main, check_job\n"
        "if __name__ == '__main__':\n"
        "    ctx = multiprocessing.get_context('spawn')\n"
        "    parent, child = ctx.Pipe()\n"
        "    job = functools.partial(check_job, slow_read)\n"
        "    clock = ctx.RawArray('d', 1)\n"
        "    args = ([child], Settings(), clock, None, job)\n"
        "    worker = ctx.Process(target=_worker_main, args=args)\n"
        "    worker.start()\n"
        "    child.close()\n"
        "    parent.recv()\n"
        "    parent.send(sys.argv[1])\n"
        "    parent.close()  # as the kernel does for a killed daemon\n"
        "    worker.join(30)\n"
        "    sys.exit(worker.exitcode)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(form), str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
