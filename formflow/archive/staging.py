"""A filing's files, written ahead of their names by helper threads.

While a filing takes its employee's lock, decides names and versions and builds its record,
helpers write and fsync its original's bytes into a new file under `.formflow/incoming/` and
make an empty file there for the record, whose bytes a helper writes and fsyncs while the
filing makes its folders. On this disk creating a file or a folder takes 0.2-0.3 ms and an
fsync 0.3-0.6 ms, and all release the GIL: they ran one after the other before (and inside)
the filing's own steps, now beside them.

Each staged file is an `fsutil.TempFile`: nothing gets a name in a year folder before
`original()` and `record()` say its bytes are durable, and then only by `TempFile.place`
(a link, never over an existing file). A crash leaves no temporary or partial file among the
personnel files; the next open clears `incoming` (`Layout.clear_incoming`).
"""

from __future__ import annotations

import contextlib
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from formflow.fsutil import TempFile, make_private_dirs


class Staging:
    """The staged original and record of one filing, in the folder `incoming`."""

    def __init__(self, incoming: Path, data: bytes) -> None:
        helpers = _helpers()
        self._original = helpers.submit(_stage, incoming, data)
        self._record = helpers.submit(_new_file, incoming)
        self._record_write: Future[TempFile] | None = None

    def original(self) -> TempFile:
        """The staged original, once durable (raises what staging raised)."""
        return self._original.result()

    def write_record(self, data: bytes) -> None:
        """Start writing and fsyncing the record's bytes into the empty staged file (in a
        helper; `record()` waits for it). The helper waits only for the empty file, a task
        submitted before this one and so already running or done: never for a task queued
        behind it, so a busy pool cannot deadlock."""
        self._record_write = _helpers().submit(self._write_record, data)

    def _write_record(self, data: bytes) -> TempFile:
        staged = self._record.result()
        staged.handle.write(data)
        staged.seal()
        return staged

    def record(self) -> TempFile:
        """The staged record, once durable (raises what writing it raised)."""
        if self._record_write is None:
            raise RuntimeError("the record was never written (write_record)")
        return self._record_write.result()

    def discard(self) -> None:
        """Wait for the helpers and remove what is left of the staged files (placed, or not
        needed); an error the helpers met was raised by `original` or `record`, if asked."""
        if self._record_write is not None:
            with contextlib.suppress(Exception):
                self._record_write.result()  # done with the file before it is closed
        for staged in (self._original, self._record):
            with contextlib.suppress(Exception):
                staged.result().discard()


def _new_file(incoming: Path) -> TempFile:
    """A new empty file under `incoming`, open for writing (O_EXCL, 0600)."""
    make_private_dirs(incoming)
    return TempFile(incoming)


def _stage(incoming: Path, data: bytes) -> TempFile:
    """`data` in a new fsynced file under `incoming`, to be placed by the filing."""
    staged = _new_file(incoming)
    try:
        staged.handle.write(data)
        staged.seal()
    except BaseException:
        staged.discard()
        raise
    return staged


_HELPERS: tuple[int, ThreadPoolExecutor] | None = None
_HELPERS_LOCK = threading.Lock()


def _helpers() -> ThreadPoolExecutor:
    """This process's staging threads (a pool made before a fork has no threads in the
    child, so each process makes its own)."""
    global _HELPERS
    with _HELPERS_LOCK:
        if _HELPERS is None or _HELPERS[0] != os.getpid():
            _HELPERS = (os.getpid(), ThreadPoolExecutor(4, thread_name_prefix="formflow-stage"))
        return _HELPERS[1]
