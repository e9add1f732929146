"""Reading in worker processes: time limit, memory limit, crashes, and a pool that carries on.

The misbehaving work functions are injected (module-level, so a fresh worker can import them
by name); after each failure the same pool must read a real form again.
"""

from __future__ import annotations

import ctypes
import dataclasses
import os
import threading
import time
from pathlib import Path

import pytest

from formflow.config import Settings
from formflow.errors import FormflowError, UnreadableForm
from formflow.forms.library import load_definition
from formflow.forms.render import render_bytes
from formflow.model import Extraction
from formflow.read import read_form
from formflow.read.isolate import ReaderPool, read_isolated

BROKEN = Path(__file__).parent / "samples" / "broken"


def limited(timeout: float = 3.0, memory_mb: int = 1024) -> Settings:
    settings = Settings()
    limits = dataclasses.replace(
        settings.limits, parse_timeout_seconds=timeout, parse_memory_mb=memory_mb
    )
    return settings.replace(limits=limits)


# Work functions run inside the workers. A path's name picks the misbehaviour, so one pool
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


def test_pool_reads_like_read_form(form: Path) -> None:
    settings = limited()
    with ReaderPool(settings) as pool:
        assert pool.read(form) == read_form(form, settings)


def test_unreadable_file_keeps_its_code_and_message() -> None:
    with ReaderPool(limited()) as pool, pytest.raises(UnreadableForm) as caught:
        pool.read(BROKEN / "encrypted.pdf")
    assert caught.value.code == "encrypted"
    assert "adgangskode" in caught.value.message


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
    with ReaderPool(limited(timeout=2.0), work=misbehave) as pool:
        started = time.monotonic()
        with pytest.raises(UnreadableForm) as caught:
            pool.read(tmp_path / name)
        assert caught.value.code == code
        assert caught.value.message  # Danish, for the employee
        assert time.monotonic() - started < 10
        # The pool carries on with a fresh worker.
        assert pool.read(form).employee_name == "Birthe Mølgaard"


def test_threads_share_the_pool(form: Path, tmp_path: Path) -> None:
    results: list[object] = []
    lock = threading.Lock()

    def call(path: Path) -> None:
        try:
            outcome: object = pool.read(path).employee_number
        except UnreadableForm as error:
            outcome = error.code
        with lock:
            results.append(outcome)

    with ReaderPool(limited(), workers=2, work=misbehave) as pool:
        paths = [form, tmp_path / "exit", form, form, BROKEN / "empty.pdf", form]
        threads = [threading.Thread(target=call, args=(p,)) for p in paths]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert sorted(map(str, results)) == sorted(["1042"] * 4 + ["crashed", "empty"])


def test_memory_limit_below_the_readers_own_size_is_a_clear_error() -> None:
    with pytest.raises(FormflowError, match="parse_memory_mb"):
        ReaderPool(limited(memory_mb=1)).start()


def test_read_isolated(form: Path) -> None:
    assert read_isolated(form, limited()).employee_number == "1042"


def test_pool_must_be_started(form: Path) -> None:
    with pytest.raises(RuntimeError):
        ReaderPool(limited()).read(form)


def slow_read(path: Path, settings: Settings) -> Extraction:
    time.sleep(1.0)
    return read_form(path, settings)


def test_a_worker_whose_daemon_died_mid_read_exits_without_a_traceback(form: Path) -> None:
    """kill -9 of the daemon leaves its readers without a pipe: they end quietly."""
    import subprocess
    import sys

    script = (
        "import multiprocessing, sys, time\n"
        "from pathlib import Path\n"
        "sys.path.insert(0, sys.argv[2])\n"
        "from test_isolate import slow_read\n"
        "from formflow.config import Settings\n"
        "from formflow.read.isolate import _worker_main\n"
        "if __name__ == '__main__':\n"
        "    ctx = multiprocessing.get_context('spawn')\n"
        "    parent, child = ctx.Pipe()\n"
        "    worker = ctx.Process(target=_worker_main, args=(child, Settings(), slow_read))\n"
        "    worker.start()\n"
        "    child.close()\n"
        "    parent.recv()\n"
        "    parent.send(Path(sys.argv[1]))\n"
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
