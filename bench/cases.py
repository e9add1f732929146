"""The benchmark cases: each measures formflow, beside a floor, and returns table rows.

A row is held to its budget from issue 12 where it has one (the constants below); the floor
beside each figure (what the same job costs with the bare libraries, measured in the same run)
is context for reading it, not a target.

Per-file ingest is measured in this process, through formflow's own stages (`Ingestor` with the
real reader, validation and archive), so the figure is the work per form and not process
start-up; the daemon and the CLI are measured as subprocesses, as a user meets them.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast

from bench import floors, inputs
from bench.timing import Row, Stats, interleaved, run_command

FORMFLOW = shutil.which("formflow") or "formflow"

# The budgets of issue 12, on a 2-core machine (bench/README.md).
INGEST_MS = 20.0  # one AcroForm PDF or DOCX ingested end to end (durable): median, ms
BACKLOG = 1000  # a backlog of this many forms ...
BACKLOG_RATE = 60.0  # ... is filed at this many forms per second or more (2 workers)
MEMORY_GROWTH = 1.25  # "flat": peak memory with 10x the files waiting, at most this factor
HELP_RATIO = 1.5  # `formflow --help` at most this many times `python -c "import click"`
STATUS_SECONDS = 0.3  # `formflow status` over 10 000 employees x 5 years, under this
# Issue 14: reading the forms organisations already have (tests/samples/foreign/).
FOREIGN_PDF_RATIO = 1.2  # a foreign-layout PDF: at most this many times one pdfplumber pass
FOREIGN_DOCX_RATIO = 3.0  # a foreign DOCX: at most this many times loading it with python-docx
FOREIGN = Path(__file__).resolve().parent.parent / "tests" / "samples" / "foreign"


def _checkout_env() -> dict[str, str]:
    """The environment for formflow subprocesses: the checkout measured in this process comes
    first on the path, whatever checkout the editable install happens to point at; and
    bytecode is cached, as for an installed formflow (and the floor's click, compiled when pip
    installed it), even where PYTHONDONTWRITEBYTECODE is set (some shells and CI images):
    else every run would compile formflow's modules from source again."""
    import formflow

    root = str(Path(formflow.__file__).resolve().parent.parent)
    paths = [root, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


ENV = _checkout_env()


@dataclass
class Sizes:
    """How much each case does; `--quick` makes every number smaller."""

    per_file: int  # timed ingests per kind (after one warm-up)
    backlog: int  # forms in the backlog run (2 workers vs 1)
    memory: tuple[int, int]  # files waiting: small and large backlog
    memory_seconds: float  # how long the daemon runs over the waiting files
    drops: int  # drop -> filed measurements with native events
    polled_drops: int  # ... with polling
    cli_runs: int  # runs of `formflow --help` and of the floor
    carry_over: int  # employees carried over
    status_employees: int
    status_years: int


FULL = Sizes(20, 1000, (1000, 10_000), 20.0, 10, 6, 15, 1000, 10_000, 5)
QUICK = Sizes(5, 100, (300, 3000), 8.0, 4, 3, 7, 100, 10_000, 5)


@dataclass
class Workspace:
    """The temp dir with the generated inputs, shared by the cases."""

    root: Path
    sizes: Sizes
    year: int
    blank_pdf: bytes = b""
    blank_docx: bytes = b""
    filled: list[Path] = field(default_factory=list)
    flattened: list[Path] = field(default_factory=list)
    docx: list[Path] = field(default_factory=list)
    filler: str = ""
    flattener: str = ""
    template: bytes = b""  # a filled agreement whose number is BULK_MARK (see bulk_form)
    log: Callable[[str], None] = print

    def path(self, *parts: str) -> Path:
        target = self.root.joinpath(*parts)
        target.mkdir(parents=True, exist_ok=True)
        return target


BULK_MARK = b"99999"


def prepare(root: Path, sizes: Sizes, log: Callable[[str], None] = print) -> Workspace:
    """Render the blank agreement, fill it for each employee with another program, flatten
    it, type the values into the DOCX; and a template for the bulk backlogs."""
    from formflow.config import Settings
    from formflow.forms.library import load_definition
    from formflow.forms.render import render_bytes

    year = date.today().year
    ws = Workspace(root, sizes, year, log=log)
    definition = load_definition("agreement", Settings())
    ws.blank_pdf = render_bytes(definition, year, {}, "pdf")
    ws.blank_docx = render_bytes(definition, year, {}, "docx")
    blank = ws.path("inputs") / "blank.pdf"
    blank.write_bytes(ws.blank_pdf)
    count = sizes.per_file + 2  # one warm-up round, one spare
    ws.filler = "pdftk" if shutil.which("pdftk") else "pypdf"
    for n in range(count):
        values = inputs.agreement_values(n)
        stem = f"mus-{n:03d}"
        filled = ws.path("inputs", "filled") / f"{stem}.pdf"
        if ws.filler == "pdftk":
            inputs.fill_pdf_pdftk(blank, values, filled)
        else:
            filled.write_bytes(inputs.fill_pdf_pypdf(ws.blank_pdf, values))
        flat = ws.path("inputs", "flattened") / f"{stem}.pdf"
        ws.flattener = inputs.flatten(filled, flat)
        docx = ws.path("inputs", "docx") / f"{stem}.docx"
        docx.write_bytes(inputs.fill_docx(ws.blank_docx, values))
        ws.filled.append(filled)
        ws.flattened.append(flat)
        ws.docx.append(docx)
    values = inputs.agreement_values(0)
    name = values["employee_name"].rsplit(" ", 1)[0] + " " + BULK_MARK.decode()
    values.update(employee_number=BULK_MARK.decode(), employee_name=name, signature_employee=name)
    ws.template = inputs.fill_pdf_pypdf(ws.blank_pdf, values)
    if ws.template.count(BULK_MARK) < 2:
        raise RuntimeError("the bulk template does not carry its number as plain text")
    log(f"inputs: {count} employees' forms ({ws.filler} fill, {ws.flattener} flatten)")
    return ws


def bulk_form(ws: Workspace, n: int) -> bytes:
    """Employee 20000+n's agreement: the template with its number (and name) replaced in place
    (same length, so the cross-reference offsets stay right): thousands of distinct forms fast."""
    return ws.template.replace(BULK_MARK, f"{20000 + n:05d}".encode())


def settings_for(ws: Workspace, name: str, **watch: Any) -> tuple[Any, Path]:
    """Settings with their own inbox and archive under `name`; and a TOML file of them."""
    from formflow.config import settings_from_dict

    base = ws.path(name)
    data: dict[str, Any] = {
        "inbox": "inbox",
        "archive": "archive",
        "roster": "no-roster.csv",
        "watch": watch,
    }
    lines = [f'{key} = "{value}"' for key, value in data.items() if isinstance(value, str)]
    lines.append("[watch]")
    lines += [f"{key} = {value}" for key, value in watch.items()]
    config = base / "formflow.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = settings_from_dict(data, base=base)
    Path(settings.inbox).mkdir(parents=True, exist_ok=True)
    return settings, config


# --- per-file ingest, in process --------------------------------------------------------------


def make_ingestor(settings: Any) -> Any:
    """formflow's own stages, as a daemon's worker builds them (`formflow.workers`), reading
    in this process."""
    from formflow.workers import build_ingestor, read_in_process

    ingestor, _ = build_ingestor(settings, lambda data, name: read_in_process(data, name, settings))
    return ingestor


def _stage(files: list[Path], inbox: Path) -> list[Path]:
    staged = []
    for source in files:
        target = inbox / source.name
        shutil.copyfile(source, target)
        staged.append(target)
    return staged


def _outcomes(results: list[Any]) -> str:
    counts: dict[str, int] = {}
    for outcome in results:
        counts[outcome.action] = counts.get(outcome.action, 0) + 1
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


def ingest_acroform(ws: Workspace) -> list[Row]:
    """AcroForm PDF end to end vs pikepdf + sha256 + durable copy; also through the daemon's
    ingest worker process."""
    from formflow.workers import IngestPool

    settings, _ = settings_for(ws, "ingest-acroform")
    pooled_settings, _ = settings_for(ws, "ingest-acroform-pool")
    ingestor = make_ingestor(settings)
    own = make_ingestor(pooled_settings)
    pool = IngestPool(pooled_settings, own, workers=1)
    pool.start()
    files = _stage(ws.filled, Path(settings.inbox))
    pooled_files = _stage(ws.filled, Path(pooled_settings.inbox))
    copies = ws.path("floor-acroform")
    try:
        (floor, inproc, via_pool), results = interleaved(
            ws.sizes.per_file,
            lambda i: floors.acroform_floor(ws.filled[i], copies / ws.filled[i].name),
            lambda i: ingestor.ingest(files[i]),
            lambda i: pool.ingest(pooled_files[i]),
        )
    finally:
        pool.close()
        ingestor.ledger.close()
        own.ledger.close()
    rows = [
        _ratio_row(
            "ingest one AcroForm PDF (read, validate, archive, index)",
            inproc,
            floor,
            _ingest_budget(inproc),
            note=f"{ws.filler}-filled agreement; outcomes: {_outcomes(results[1])}; "
            "floor = pikepdf fields + sha256 + fsynced copy",
        ),
        _ratio_row(
            "… the same through the daemon's ingest worker (another process)",
            via_pool,
            floor,
            NO_BUDGET,
            note=f"outcomes: {_outcomes(results[2])}; adds the hop to the worker process "
            "(the path there, the Outcome back) and its read clock",
        ),
    ]
    return rows


def ingest_flattened(ws: Workspace) -> list[Row]:
    settings, _ = settings_for(ws, "ingest-flattened")
    ingestor = make_ingestor(settings)
    files = _stage(ws.flattened, Path(settings.inbox))
    try:
        (floor, ours), results = interleaved(
            ws.sizes.per_file,
            lambda i: floors.pdfplumber_floor(ws.flattened[i]),
            lambda i: ingestor.ingest(files[i]),
        )
    finally:
        ingestor.ledger.close()
    return [
        _ratio_row(
            "ingest one flattened PDF",
            ours,
            floor,
            NO_BUDGET,
            note=f"{ws.filler}-filled, {ws.flattener}-flattened; outcomes: "
            f"{_outcomes(results[1])}; floor = one pdfplumber pass (words + lines per page)",
        )
    ]


def ingest_docx(ws: Workspace) -> list[Row]:
    settings, _ = settings_for(ws, "ingest-docx")
    ingestor = make_ingestor(settings)
    files = _stage(ws.docx, Path(settings.inbox))
    copies = ws.path("floor-docx")
    try:
        (floor, ours), results = interleaved(
            ws.sizes.per_file,
            lambda i: floors.docx_floor(ws.docx[i], copies / ws.docx[i].name),
            lambda i: ingestor.ingest(files[i]),
        )
    finally:
        ingestor.ledger.close()
    return [
        _ratio_row(
            "ingest one DOCX",
            ours,
            floor,
            _ingest_budget(ours),
            note=f"controls typed into by lxml (as Word does); outcomes: "
            f"{_outcomes(results[1])}; floor = zipfile + lxml (controls, custom properties) "
            "+ sha256 + fsynced copy",
        )
    ]


def read_foreign(ws: Workspace) -> list[Row]:
    """Reading the forms organisations already have (issue 14): each foreign-layout PDF and
    each foreign DOCX in tests/samples/foreign/ read by `read_data` (the reading alone: its
    budget is the reader's) beside its floor, interleaved file by file; the row's figures
    are the whole set's per round, the note names the file furthest from its floor."""
    from formflow.config import Settings
    from formflow.read import read_data

    settings = Settings()
    rounds = max(3, ws.sizes.per_file // 2)
    rows = []
    for suffix, floor_of, limit, floor_text in (
        (".pdf", floors.pdfplumber_floor, FOREIGN_PDF_RATIO, "one pdfplumber pass over each"),
        (".docx", floors.python_docx_floor, FOREIGN_DOCX_RATIO, "python-docx loads each"),
    ):
        paths = sorted(FOREIGN.glob(f"*{suffix}"))
        timed = [
            interleaved(
                rounds,
                lambda i, path=path, floor_of=floor_of: floor_of(path),
                lambda i, path=path: read_data(path.read_bytes(), path.name, settings),
            )
            for path in paths
        ]
        floor, ours = (_summed([t[0][n] for t in timed]) for n in (0, 1))
        worst, name = max(
            (t[0][1].median / t[0][0].median, path.name)
            for t, path in zip(timed, paths, strict=True)
        )
        readers = sorted({t[1][1][0].reader for t in timed})
        budget = f"≤ {limit:g}× floor", ours.median / floor.median <= limit
        what = f"read the {len(paths)} foreign-layout {suffix[1:].upper()} samples"
        note = (
            f"tests/samples/foreign/ (read as {', '.join(readers)}); floor = {floor_text}; "
            f"furthest from its floor: {name} at {worst:.2f}×"
        )
        rows.append(_ratio_row(what, ours, floor, budget, note=note))
    return rows


def _summed(each: list[Stats]) -> Stats:
    """Several files' timings, run by run (their rounds interleaved alike), as one total."""
    return Stats(tuple(sum(round_) for round_ in zip(*(s.samples for s in each), strict=True)))


NO_BUDGET: tuple[str, bool | None] = ("–", None)


def _ingest_budget(ours: Stats) -> tuple[str, bool | None]:
    return f"median ≤ {INGEST_MS:g} ms", ours.median * 1000 <= INGEST_MS


def _ratio_row(
    what: str,
    ours: Stats,
    floor: Stats,
    budget: tuple[str, bool | None],
    note: str = "",
    unit: str = "ms",
) -> Row:
    """A row of formflow's figure beside the floor; `budget` is its text and whether it held."""
    ratio = ours.median / floor.median
    return Row(
        what,
        ours.show(unit),
        floor.show(unit),
        f"{ratio:.2f}×",
        *budget,
        note,
        {"ratio": ratio, "median": ours.median, "floor": floor.median},
    )


# --- the daemon: backlog, memory, latency -----------------------------------------------------


def _fill_inbox(ws: Workspace, inbox: Path, count: int) -> None:
    for n in range(count):
        (inbox / f"mus-{n:05d}.pdf").write_bytes(bulk_form(ws, n))


def _watch_once(config: Path, strace_to: Path | None = None) -> float:
    argv = [FORMFLOW, "--config", str(config), "watch", "--once"]
    if strace_to is not None:
        argv = ["strace", "-f", "-c", "-e", "trace=fsync,fdatasync", "-o", str(strace_to), *argv]
    return run_command(argv, stderr=subprocess.DEVNULL, env=ENV)


@dataclass
class _OnceRun:
    """One `watch --once` over a backlog: its wall time, the CPU seconds its whole process
    tree used (sampled from /proc every 0.1 s: the workers are no children the caller can
    wait for), how busy the whole machine was meanwhile (`_machine_busy`), and the seconds
    between the first and the last form filed (by the log's timestamps: the filing itself,
    without start-up, the stability window and the last scan)."""

    wall: float
    cpu: float
    machine: dict[str, float]
    filing: float
    filed: int


def _watch_once_cpu(config: Path) -> _OnceRun:
    machine = _cpu_ticks()
    log = config.with_name("watch.log")
    start = time.perf_counter()
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [FORMFLOW, "--config", str(config), "watch", "--once"],
            stdout=subprocess.DEVNULL,
            stderr=out,
            env=ENV,
        )
        seen: dict[int, float] = {}
        while process.poll() is None:
            for pid in _tree(process.pid):
                seen[pid] = max(seen.get(pid, 0.0), _cpu_seconds(pid))
            time.sleep(0.1)
    wall = time.perf_counter() - start
    if process.returncode:
        raise RuntimeError(f"formflow watch --once failed ({process.returncode})")
    filing, filed = _filing_span(log.read_text(encoding="utf-8"))
    return _OnceRun(wall, sum(seen.values()), _machine_busy(machine, _cpu_ticks()), filing, filed)


def _filing_span(text: str) -> tuple[float, int]:
    """Seconds from the first "filed" log line to the last, and how many there are."""
    stamps = [
        datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
        for line in text.splitlines()
        if " INFO filed " in line
    ]
    if len(stamps) < 2:
        return 0.0, len(stamps)
    return (stamps[-1] - stamps[0]).total_seconds(), len(stamps)


_CPU_FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")


def _cpu_ticks() -> dict[str, int]:
    """The machine's CPU time so far by kind (the first line of /proc/stat)."""
    with open("/proc/stat") as stat:
        values = stat.readline().split()[1 : 1 + len(_CPU_FIELDS)]
    return dict(zip(_CPU_FIELDS, map(int, values), strict=True))


def _machine_busy(before: dict[str, int], after: dict[str, int]) -> dict[str, float]:
    """Shares of all CPUs' time between two readings: user (+nice), system (+irq, softirq:
    the file system's journal work runs here, in kernel threads no process is charged for),
    steal (taken by the hypervisor), iowait and idle."""
    spent = {key: after[key] - before[key] for key in _CPU_FIELDS}
    total = sum(spent.values()) or 1
    return {
        "user": (spent["user"] + spent["nice"]) / total,
        "system": (spent["system"] + spent["irq"] + spent["softirq"]) / total,
        "steal": spent["steal"] / total,
        "iowait": spent["iowait"] / total,
        "idle": spent["idle"] / total,
    }


def _cpu_seconds(pid: int) -> float:
    """utime + stime of one process (all its threads), from /proc/<pid>/stat."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _count(folder: Path, pattern: str) -> int:
    return sum(1 for _ in folder.rglob(pattern)) if folder.exists() else 0


def backlog(ws: Workspace) -> list[Row]:
    """A backlog of forms filed by `formflow watch --once`, 1 worker vs 2; and the disk's
    fsync rate with the fsyncs one filing costs, to see whether the disk is the limit."""
    count = ws.sizes.backlog
    walls: dict[int, float] = {}
    cores: dict[int, float] = {}
    busy: dict[int, dict[str, float]] = {}
    rates: dict[int, float] = {}  # forms per second while filing
    for workers in (1, 2):
        settings, config = settings_for(
            ws, f"backlog-{workers}", workers=workers, stability_seconds=0.5
        )
        _fill_inbox(ws, Path(settings.inbox), count)
        run = _watch_once_cpu(config)
        walls[workers], busy[workers] = run.wall, run.machine
        cores[workers] = run.cpu / run.wall
        rates[workers] = (run.filed - 1) / run.filing if run.filing else 0.0
        filed = _count(Path(settings.archive), "udviklings*.pdf") or _count(
            Path(settings.archive), "*.json"
        )
        left = _count(Path(settings.inbox), "mus-*.pdf")
        ws.log(
            f"backlog {count} with {workers} worker(s): {walls[workers]:.1f} s, "
            f"filing {rates[workers]:.0f} forms/s, {cores[workers]:.2f} cores busy, "
            f"machine {_shares(busy[workers])}, left {left}"
        )
        if left:
            raise RuntimeError(f"{left} forms left in the inbox after watch --once")
        _ = filed
    speedup = walls[1] / walls[2]
    filing_speedup = rates[2] / rates[1] if rates[1] else 0.0
    per_form = walls[2] / count
    fsyncs = _fsyncs_per_form(ws)
    rate_2 = count / walls[2]

    # the disk's fsyncs per second when as many threads as the 2-worker daemon's write at once
    from formflow.workers import SLOTS_PER_WORKER

    rate = fsync_rate(ws.path("fsync-rate"), threads=2 * SLOTS_PER_WORKER)
    bound = rate / fsyncs if fsyncs else float("inf")
    return [
        Row(
            f"backlog of {count} forms, 2 workers vs 1",
            f"{walls[2]:.1f} s with 2 ({rate_2:.1f} forms/s)",
            f"{walls[1]:.1f} s with 1",
            f"{speedup:.2f}× faster",
            f"≥ {BACKLOG_RATE:g} forms/s with 2 workers, {BACKLOG} forms",
            rate_2 >= BACKLOG_RATE if count == BACKLOG else None,  # held for that size only
            note="`formflow watch --once`, stability 0.5 s, includes start-up and the "
            f"stability window; {per_form * 1000:.0f} ms/form with 2 workers; while filing "
            f"(first to last form filed, by the log) {rates[2]:.0f} forms/s with 2 workers vs "
            f"{rates[1]:.0f} with 1 = {filing_speedup:.2f}×; disk: {rate:.0f} fsyncs/s "
            f"({2 * SLOTS_PER_WORKER} threads writing new files durably, as the 2 workers' "
            "slots do), "
            f"{fsyncs:.1f} fsyncs per filed form (strace) → fsync bound ≈ {bound:.0f} forms/s; "
            f"CPU of the daemon and its readers (of {os.cpu_count()}): {cores[1]:.2f} cores "
            f"with 1 worker, {cores[2]:.2f} with 2; the whole machine meanwhile: with 1 "
            f"worker {_shares(busy[1])}; with 2 {_shares(busy[2])}",
            extra={
                "speedup": speedup,
                "filing_speedup": filing_speedup,
                "walls": walls,
                "cores": cores,
                "machine": busy,
                "fsync_rate": rate,
                "fsyncs": fsyncs,
            },
        )
    ]


def _shares(busy: dict[str, float]) -> str:
    return ", ".join(f"{key} {share:.0%}" for key, share in busy.items())


def _fsyncs_per_form(ws: Workspace) -> float:
    """fsync + fdatasync calls per filed form, counted by strace over a small backlog."""
    count = min(20, ws.sizes.backlog)
    if not shutil.which("strace"):
        return 0.0
    settings, config = settings_for(ws, "fsync-count", workers=1, stability_seconds=0.2)
    _fill_inbox(ws, Path(settings.inbox), count)
    _, empty_config = settings_for(ws, "fsync-count-empty", workers=1, stability_seconds=0.2)
    report = ws.root / "strace.txt"
    _watch_once(empty_config, report)
    baseline = _strace_calls(report)
    _watch_once(config, report)
    return (_strace_calls(report) - baseline) / count


def _strace_calls(report: Path) -> int:
    total = 0
    for line in report.read_text().splitlines():
        parts = line.split()
        if parts and parts[-1] in ("fsync", "fdatasync"):
            # columns: % time, seconds, usecs/call, calls, [errors], syscall
            total += int(parts[3])
    return total


def fsync_rate(folder: Path, threads: int = 2, seconds: float = 2.0) -> float:
    """The disk's fsyncs per second: `threads` threads each writing new 40 kB files durably
    (write, fsync, rename, fsync of the folder: two fsyncs a file), as filing does."""
    data = os.urandom(40_000)
    done = [0] * threads
    stop = time.perf_counter() + seconds

    def writer(k: int) -> None:
        n = 0
        while time.perf_counter() < stop:
            floors.durable_copy(data, folder / f"w{k}-{n}.bin")
            n += 1
        done[k] = 2 * n

    pool = [threading.Thread(target=writer, args=(k,)) for k in range(threads)]
    start = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return sum(done) / (time.perf_counter() - start)


def _tree(pid: int) -> list[int]:
    """The pid and its descendants (from /proc/<pid>/task/*/children)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    todo += [int(c) for c in children.read().split()]
    return found


def _proc_kb(pid: int, key: str, table: str = "status") -> int:
    """One kB figure of a process from /proc/<pid>/<table> (`status`, `smaps_rollup`)."""
    try:
        with open(f"/proc/{pid}/{table}") as lines:
            for line in lines:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


@contextlib.contextmanager
def daemon(config: Path, *extra: str) -> Iterator[subprocess.Popen[bytes]]:
    """`formflow watch` running until the block ends (then SIGTERM, as systemd stops it)."""
    process = subprocess.Popen(
        [FORMFLOW, "--config", str(config), "watch", *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env=ENV,
    )
    assert process.stderr is not None
    drain: threading.Thread | None = None
    try:
        ready = time.perf_counter() + 60
        while time.perf_counter() < ready:
            line = process.stderr.readline().decode("utf-8", "replace")
            if not line:
                raise RuntimeError("formflow watch exited before it was ready")
            if " watching " in line:
                break
        # Keep draining the log so the daemon never blocks on a full pipe.
        drain = threading.Thread(target=process.stderr.read, daemon=True)
        drain.start()
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if drain is not None:
            drain.join(timeout=10)  # the log's end: the daemon and its workers are gone
        process.stderr.close()


def memory(ws: Workspace) -> list[Row]:
    """Peak memory of the daemon (and its worker processes) with many files waiting."""
    peaks: dict[int, tuple[int, int, int]] = {}
    for waiting in ws.sizes.memory:
        settings, config = settings_for(ws, f"memory-{waiting}", stability_seconds=1.0)
        _fill_inbox(ws, Path(settings.inbox), waiting)
        pss_peak = rss_peak = main_peak = 0
        with daemon(config) as process:
            end = time.perf_counter() + ws.sizes.memory_seconds
            while time.perf_counter() < end and process.poll() is None:
                pids = _tree(process.pid)
                pss_peak = max(pss_peak, sum(_proc_kb(p, "Pss", "smaps_rollup") for p in pids))
                rss_peak = max(rss_peak, sum(_proc_kb(p, "VmRSS") for p in pids))
                main_peak = max(main_peak, _proc_kb(process.pid, "VmHWM"))
                time.sleep(0.1)
        left = _count(Path(settings.inbox), "mus-*.pdf")
        ws.log(
            f"memory with {waiting} waiting: {pss_peak / 1024:.0f} MB PSS, "
            f"{rss_peak / 1024:.0f} MB RSS ({left} still waiting)"
        )
        peaks[waiting] = (pss_peak, main_peak, rss_peak)
    small, large = ws.sizes.memory
    total = peaks[large][0] / 1024
    growth = peaks[large][0] / peaks[small][0]
    return [
        Row(
            f"peak memory, {large} files waiting",
            f"{total:.0f} MB (daemon {peaks[large][1] / 1024:.0f} MB + workers)",
            f"{peaks[small][0] / 1024:.0f} MB with {small} waiting",
            f"{growth:.2f}× for {large // small}× the files",
            f"flat: ≤ {MEMORY_GROWTH:g}× for more files",
            growth <= MEMORY_GROWTH,
            note="PSS of `formflow watch` and its processes summed (each shared page counted "
            "once, split among the processes sharing it: what the machine spends; the workers "
            f"share the forkserver's imported modules), sampled every 0.1 s for "
            f"{ws.sizes.memory_seconds:g} s while it works through the backlog; their RSS "
            f"summed (shared pages counted in every process): {peaks[large][2] / 1024:.0f} MB",
        )
    ]


def latency(ws: Workspace, polling: bool) -> list[Row]:
    """Drop a form into a watched inbox; time until the original has left it (filed)."""
    from formflow.config import Settings

    defaults = Settings().watch
    window, poll = defaults.stability_seconds, defaults.poll_seconds
    name = "latency-polling" if polling else "latency-events"
    settings, config = settings_for(ws, name)
    inbox = Path(settings.inbox)
    outside = ws.path(name, "outside")
    drops = ws.sizes.polled_drops if polling else ws.sizes.drops
    samples = []
    phases = [poll * (k + 0.5) / drops for k in range(drops)]  # spread over the poll cycle
    with daemon(config, *(["--polling", str(poll)] if polling else [])):
        for k in range(drops):
            source = outside / f"drop-{k}.pdf"
            source.write_bytes(bulk_form(ws, 5000 + k + (100 if polling else 0)))
            if polling:
                time.sleep(phases[k])
            target = inbox / source.name
            start = time.perf_counter()
            os.rename(source, target)  # the file appears whole, as a share's rename does
            while os.path.lexists(target):
                time.sleep(0.005)
                if time.perf_counter() - start > 60:
                    raise RuntimeError("a dropped form was not filed within 60 s")
            samples.append(time.perf_counter() - start)
            time.sleep(0.2)
    filed = _count(Path(settings.archive), "*.json")
    returned = {
        folder: _count(inbox / folder, "drop-*.pdf")
        for folder in (settings.watch.rejected_folder, settings.watch.held_folder)
    }
    for folder, count in returned.items():
        if count:
            notice = next((inbox / folder).rglob("*.txt"), None)
            text = notice.read_text(encoding="utf-8")[:300] if notice else ""
            ws.log(f"{name}: {count} drop(s) went to {folder}/: {text!r}")
    stats = Stats(tuple(samples))
    mode = f"polling every {poll:g} s" if polling else "native events"
    return [
        Row(
            f"drop → filed, {mode}",
            stats.show("s"),
            f"stability window {window:g} s" + (f" + poll {poll:g} s" if polling else ""),
            f"{stats.median - (window + (poll if polling else 0)):+.2f} s vs "
            + ("window + poll" if polling else "window"),
            *NO_BUDGET,
            note=f"{drops} drops (atomic rename into the inbox), {filed} records filed, "
            f"{sum(returned.values())} returned; time "
            "until the original left the inbox (after its archive copy was durable)"
            + ("; drops spread over the poll cycle" if polling else "")
            + (
                f"; {missing} drop(s) neither filed nor returned when the daemon stopped"
                if (missing := drops - filed - sum(returned.values())) > 0
                else ""
            ),
        )
    ]


# --- the CLI ----------------------------------------------------------------------------------


def cli_help(ws: Workspace) -> list[Row]:
    (floor, ours), _ = interleaved(
        ws.sizes.cli_runs,
        lambda i: run_command([sys.executable, "-c", "import click"]),
        lambda i: run_command([FORMFLOW, "--help"], env=ENV),
    )
    note = 'floor = `python -c "import click"`'
    budget = f"≤ {HELP_RATIO:g}× import click", ours.median / floor.median <= HELP_RATIO
    return [_ratio_row("`formflow --help`", ours, floor, budget, note=note)]


def status(ws: Workspace) -> list[Row]:
    """`formflow status` over an index of employees × years × both kinds."""
    from formflow.archive.index import Index
    from formflow.archive.records import FormRow

    employees, years = ws.sizes.status_employees, ws.sizes.status_years
    settings, config = settings_for(ws, "status")
    archive = Path(settings.archive)
    archive.mkdir(parents=True, exist_ok=True)
    rows, folders = [], {}
    for n in range(employees):
        number = str(30000 + n)
        folder = f"personale/{number} Medarbejder {n}"
        folders[number] = folder
        for year in range(ws.year - years + 1, ws.year + 1):
            meeting = date(year, 11, 1 + n % 28)
            for kind, state in (("preparation", "received"), ("agreement", "signed")):
                stem = f"{kind}-{year}-v1"
                rows.append(
                    FormRow(
                        employee=number,
                        employee_name=f"Medarbejder Ærø {n}",
                        year=year,
                        kind=kind,
                        version=1,
                        state=state if n % 10 else "awaiting_employee",
                        file_format="pdf",
                        sha256=f"{n:032d}{year:08d}{kind:>24}",
                        size=40000,
                        original=f"{folder}/{year}/{stem}.pdf",
                        record=f"{folder}/{year}/{stem}.json",
                        arrived=datetime(year, 10, 1 + n % 28).isoformat(),
                        filed=datetime(year, 10, 1 + n % 28).isoformat(),
                        reader="acroform",
                        leader_name=f"Leder {n % 40}",
                        meeting_date=meeting.isoformat(),
                        next_meeting_date=date(year + 1, 11, 1 + n % 28).isoformat(),
                        followups=((1, date(year + 1, 2, 1 + n % 28).isoformat()),),
                    )
                )
    Index(archive / "index.sqlite").rebuild(rows, folders)
    base = [FORMFLOW, "--config", str(config), "status", "--year", str(ws.year)]
    (floor, table, as_json), _ = interleaved(
        max(3, ws.sizes.cli_runs // 3),
        lambda i: run_command([sys.executable, "-c", "import click"]),
        lambda i: run_command(base, env=ENV),
        lambda i: run_command([*base, "--json"], env=ENV),
    )
    what = f"`formflow status` over {employees} employees × {years} years"
    return [
        Row(
            what,
            table.show("ms"),  # in ms: a tenth of a second is a third of the budget
            floor.show("ms"),
            f"{table.median / floor.median:.1f}× import click",
            f"< {STATUS_SECONDS:g} s",
            table.median < STATUS_SECONDS,
            note=f"{len(rows)} forms in the index; the command's wall time, table to a pipe "
            f'(with --json: {as_json.show("ms")}); floor = `python -c "import click"`',
        )
    ]


# --- carry-over -------------------------------------------------------------------------------


def carry_over(ws: Workspace, archive_from: Path | None) -> list[Row]:
    """`formflow carry-over` of N employees, PDF + DOCX, vs the fill floor per form."""
    from formflow.carryover import carry_over as carry
    from formflow.config import Settings
    from formflow.forms.library import load_definition
    from formflow.forms.render import render_bytes

    settings = Settings()
    agreement = load_definition("agreement", settings)
    preparation = load_definition("preparation", settings)
    blank_pdf = render_bytes(preparation, ws.year + 1, {}, "pdf")
    blank_docx = render_bytes(preparation, ws.year + 1, {}, "docx")
    samples = [carry(inputs.agreement_values(n), agreement, preparation).values for n in range(8)]
    (pdf_floor, docx_floor, pdf_ours, docx_ours), _ = interleaved(
        max(ws.sizes.per_file, 8),
        lambda i: floors.pdf_fill_floor(blank_pdf, samples[i % 8]),
        lambda i: floors.docx_fill_floor(blank_docx, samples[i % 8]),
        lambda i: render_bytes(preparation, ws.year + 1, samples[i % 8], "pdf"),
        lambda i: render_bytes(preparation, ws.year + 1, samples[i % 8], "docx"),
    )
    floor_per_form = (pdf_floor.median + docx_floor.median) / 2
    floor_text = (
        f"{floor_per_form * 1000:.1f} ms/form (pikepdf {pdf_floor.show()}, lxml "
        f"{docx_floor.show()})"
    )
    render_note = (
        f"formflow's renderer in one process: PDF {pdf_ours.show()}, DOCX {docx_ours.show()} "
        f"({(pdf_ours.median + docx_ours.median) / 2 / floor_per_form:.1f}× the floor per form, "
        "one core)"
    )
    count = ws.sizes.carry_over
    has_command = (
        subprocess.run([FORMFLOW, "carry-over", "--help"], capture_output=True, env=ENV).returncode
        == 0
    )
    if not has_command or archive_from is None:
        return [
            Row(
                f"carry-over of {count} employees, PDF + DOCX, 2 cores",
                "not measured",
                floor_text,
                "–",
                *NO_BUDGET,
                note="`formflow carry-over` is not available yet; " + render_note,
            )
        ]
    settings_co, config = settings_for(ws, "carry-over")
    shutil.rmtree(settings_co.archive, ignore_errors=True)
    shutil.copytree(archive_from, settings_co.archive, symlinks=True)
    out = ws.root / "carry-over" / "out"
    argv = [FORMFLOW, "--config", str(config), "carry-over", "--from-year", str(ws.year)]
    argv += ["--format", "both", "--out", str(out)]
    wall = run_command(argv, stderr=subprocess.DEVNULL, env=ENV)
    made = _count(out, "*.pdf") + _count(out, "*.docx")
    if not made:
        raise RuntimeError("carry-over made no forms")
    per_form = wall / made
    ratio = per_form / floor_per_form
    return [
        Row(
            f"carry-over of {count} employees, PDF + DOCX, 2 cores",
            f"{per_form * 1000:.1f} ms/form ({wall:.1f} s for {made} forms)",
            floor_text,
            f"{ratio:.2f}×",
            *NO_BUDGET,
            note="the command's wall time (start-up, archive queries, rendering on a process "
            "pool, recording in the personnel folders) / forms made; floor per form on one core; "
            + render_note,
            extra={"ratio": ratio},
        )
    ]


# --- where the time of one ingest goes ----------------------------------------------------------


class _Timed:
    """A proxy recording the seconds each named method call takes (stage timing without
    touching formflow's code: the Ingestor gets the proxy instead of the real object)."""

    def __init__(self, target: Any, prefix: str, log: dict[str, list[float]]) -> None:
        self._target, self._prefix, self._log = target, prefix, log

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return attribute(*args, **kwargs)
            finally:
                key = f"{self._prefix}.{name}"
                self._log.setdefault(key, []).append(time.perf_counter() - start)

        return call


def _timed_fn(fn: Callable[..., Any], key: str, log: dict[str, list[float]]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args)
        finally:
            log.setdefault(key, []).append(time.perf_counter() - start)

    return call


def stages(ws: Workspace) -> list[Row]:
    """One ingest split into its stages (AcroForm PDF and DOCX), medians per form."""
    return [_stages_of(ws, "AcroForm PDF", ws.filled), _stages_of(ws, "DOCX", ws.docx)]


def _stages_of(ws: Workspace, kind: str, files: list[Path]) -> Row:
    from formflow.archive import Archive
    from formflow.checking import check_form
    from formflow.ingest import Ingestor
    from formflow.ledger import Ledger
    from formflow.read import read_data

    settings, _ = settings_for(ws, f"stages-{kind.split()[0].lower()}")
    spent: dict[str, list[float]] = {}
    work = Path(settings.archive) / ".formflow"
    ledger = Ledger(work / "ledger.sqlite")
    ingestor = Ingestor(
        settings,
        reader=_timed_fn(lambda data, name: read_data(data, name, settings), "read", spent),
        validator=_timed_fn(
            lambda e, arrived: check_form(e, settings, arrived=arrived), "validate", spent
        ),
        archive=_Timed(Archive.open(settings), "archive", spent),
        ledger=cast(Ledger, _Timed(ledger, "ledger", spent)),
    )
    staged = _stage(files, Path(settings.inbox))
    totals = []
    try:
        for i, path in enumerate(staged):
            start = time.perf_counter()
            ingestor.ingest(path)
            if i:
                totals.append(time.perf_counter() - start)
            else:
                spent.clear()  # the first one warms up imports and caches
    finally:
        ledger.close()
    total = Stats(tuple(totals)).median
    parts = {key: Stats(tuple(v)).median * len(v) / len(totals) for key, v in spent.items()}
    parts["rest (intake read + hash, removal, logs)"] = total - sum(parts.values())
    shown = ", ".join(
        f"{key} {seconds * 1000:.1f} ms ({seconds / total:.0%})"
        for key, seconds in sorted(parts.items(), key=lambda kv: -kv[1])
    )
    detail = _read_detail(files[0], settings) if kind == "AcroForm PDF" else ""
    return Row(
        f"stages of one {kind} ingest",
        f"{total * 1000:.1f} ms",
        "–",
        "–",
        "–",
        None,
        note=shown + (f"; inside read: {detail}" if detail else ""),
    )


def _read_detail(path: Path, settings: Any) -> str:
    """The AcroForm reader's own steps on one file (pypdf open, field walk, evidence)."""
    try:
        from formflow.read import acroform, signatures
    except ImportError:
        return ""
    data = path.read_bytes()
    steps: dict[str, list[float]] = {"pypdf open": [], "field walk": [], "signature evidence": []}
    for _ in range(6):
        start = time.perf_counter()
        reader = acroform.open_pdf(data, settings)
        opened = time.perf_counter()
        dict(acroform._field_values(reader))
        walked = time.perf_counter()
        signatures.pdf_evidence(reader, data, settings)  # as read_pdf does: the same reader
        done = time.perf_counter()
        steps["pypdf open"].append(opened - start)
        steps["field walk"].append(walked - opened)
        steps["signature evidence"].append(done - walked)
    pike = [time.perf_counter()]
    for _ in range(6):
        floors.pikepdf_fields(data)
        pike.append(time.perf_counter())
    fastest = min(b - a for a, b in itertools.pairwise(pike))
    shown = ", ".join(f"{k} {min(v) * 1000:.1f} ms" for k, v in steps.items())
    return f"{shown} (pikepdf reads the same fields in {fastest * 1000:.1f} ms)"


# --- a scanned form: OCR ----------------------------------------------------------------------

SCAN_RATIO = 1.6  # `formflow check` of a one-page 200 dpi scan, at most this times the floor
SCAN_DPI = 200
SCAN_RUNS = 5  # at most (a run is seconds): fewer with fewer `cli_runs`


def scan(ws: Workspace) -> list[Row]:
    """`formflow check` of a one-page 200 dpi scan (page 1 of a flattened agreement printed
    by pdftoppm, tilted 1.2°, JPEG in a PDF, as an office scanner sends it) beside the floor:
    pdftoppm rasterising the page and `tesseract -l dan` reading it, both in the same run
    (tesseract with one thread in both, as formflow's workers run it)."""
    page = _scan_of(ws.flattened[0], ws.path("inputs", "scan"))
    env = {**ENV, "OMP_THREAD_LIMIT": "1"}
    work = ws.path("scan-floor")
    # an installation: `check` keeps the blank form it registers to in the archive's cache
    installed = ws.path("scan-check")
    ws.path("scan-check", "archive", ".formflow")

    def floor(_: int) -> float:
        start = time.perf_counter()
        subprocess.run(["pdftoppm", "-r", str(SCAN_DPI), "-gray", "-f", "1", "-l", "1", "-png",
                        str(page), str(work / "page")], check=True, env=env)  # fmt: skip
        image = next(work.glob("page*.png"))
        subprocess.run(["tesseract", str(image), "-", "-l", "dan"], check=True, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        image.unlink()
        return time.perf_counter() - start

    def ours(_: int) -> float:
        start = time.perf_counter()
        # exit 1: the one page lacks the agreement's signatures (the form is read whole)
        done = subprocess.run([FORMFLOW, "check", "--json", str(page)], env=env, cwd=installed,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)  # fmt: skip
        if done.returncode not in (0, 1) or b'"reader": "ocr"' not in done.stdout:
            raise RuntimeError(f"formflow check did not read the scan: {done.stdout[:300]!r}")
        return time.perf_counter() - start

    runs = max(1, min(ws.sizes.cli_runs, SCAN_RUNS))
    (floor_stats, our_stats), _ = interleaved(runs, floor, ours)
    ratio = our_stats.median / floor_stats.median
    budget = f"≤ {SCAN_RATIO:g}× floor", ratio <= SCAN_RATIO
    note = (
        "floor = `pdftoppm -r 200 -gray` of the page + `tesseract -l dan` on it; formflow "
        "starts its worker, deskews, finds the rulings, reads (tesseract, sparse text), "
        "looks again at unsure words, reads the labels, registers the page to the blank "
        "form (kept in the archive's cache since the warm-up run) and reads its answer "
        "boxes (tesseract, one strip)"
    )
    return [_ratio_row("`formflow check` of a 1-page 200 dpi scan", our_stats, floor_stats,
                       budget, note=note, unit="s")]  # fmt: skip


def _scan_of(pdf: Path, folder: Path) -> Path:
    """Page 1 of `pdf` as a scan: printed at 200 dpi, tilted, JPEG, in an image-only PDF."""
    import io

    from PIL import Image

    subprocess.run(["pdftoppm", "-r", str(SCAN_DPI), "-gray", "-f", "1", "-l", "1", "-png",
                    str(pdf), str(folder / "print")], check=True)  # fmt: skip
    printed = Image.open(next(folder.glob("print*.png"))).convert("L")
    tilted = printed.rotate(1.2, resample=Image.Resampling.BICUBIC, fillcolor=255)
    jpeg = io.BytesIO()
    tilted.save(jpeg, "JPEG", quality=80)
    target = folder / "scan.pdf"
    Image.open(jpeg).save(target, "PDF", resolution=SCAN_DPI)
    return target
