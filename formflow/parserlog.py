"""The PDF libraries' log records while a file is read: counted, not written.

pypdf, pdfminer and pikepdf log a record for every damaged object they meet: a 450 KB PDF
with broken cross-reference offsets wrote 16 505 warning lines per ingest, and such a line
may quote the form's bytes. While a file is read (`reading`), their records are counted in
the reading thread instead of written; the caller logs one line with the count and the
file's safe name. Outside a read their records go to the log as before.

The count is per thread (the workers read in several threads), so each library logger gets
one counting handler, once, in place of propagating to the root logger.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass

LIBRARIES = ("pypdf", "pdfminer", "pikepdf")

log = logging.getLogger("formflow.watch")


@dataclass
class Count:
    """The libraries' records during one read: how many were warnings or worse, and all."""

    warnings: int = 0
    records: int = 0


class _Counting(logging.Handler):
    """Counts a record in the reading thread's `Count`; outside a read, passes it on to the
    root logger's handlers (what propagation would have done)."""

    def __init__(self) -> None:
        super().__init__()
        self.local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        count: Count | None = getattr(self.local, "count", None)
        if count is None:
            logging.getLogger().handle(record)
            return
        count.records += 1
        if record.levelno >= logging.WARNING:
            count.warnings += 1


_handler = _Counting()
_install_lock = threading.Lock()
_installed = False


def _install() -> None:
    global _installed
    with _install_lock:
        if _installed:
            return
        for name in LIBRARIES:
            library = logging.getLogger(name)
            library.addHandler(_handler)
            library.propagate = False
        _installed = True


@contextlib.contextmanager
def reading(name: str) -> Iterator[Count]:
    """Count, not write, the PDF libraries' log records in this thread for the block; then
    one line for the file `name` (sanitized: safe to log) if there were warnings. The
    records' text is never written: it may quote the form."""
    _install()
    outer = getattr(_handler.local, "count", None)
    _handler.local.count = count = Count()
    try:
        yield count
    finally:
        _handler.local.count = outer
        if count.warnings:
            log.warning(
                "read %s: the PDF libraries gave %d warning(s) (not shown: they may quote it)",
                name,
                count.warnings,
            )
