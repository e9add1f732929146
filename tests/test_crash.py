"""Crash safety: `formflow watch` killed with SIGKILL at random moments, restarted each time.

200 forms (preparations, agreements, agreements awaiting the employee, and some with errors)
are dropped in batches while the daemon is killed at least 20 times; a last `--once` run
finishes. Then every form must be in exactly one place (archived once, or returned with its
explanation), none lost, none duplicated, no partial file anywhere, and the archive verifies.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from samples.watch.make_watch_samples import sample, vary_pdf

FORMS = 200
KILLS = 22
NAMES = ["Birthe Mølgaard", "Søren Ærø", "Åse Østergård", "Jens Hansen", "Mette Sørensen"]


def make_forms() -> dict[str, tuple[bytes, str]]:
    """file name -> (bytes, expected place): "archive" or "afvist"."""
    kinds = [
        ("preparation.pdf", "archive"),
        ("agreement.pdf", "archive"),
        ("agreement-awaiting.pdf", "archive"),
        ("preparation-no-date.pdf", "afvist"),
    ]
    bases = {name: sample(name) for name, _ in kinds}
    forms = {}
    for n in range(FORMS):
        kind, place = kinds[0 if n % 10 < 5 else 1 if n % 10 < 8 else 2 if n % 10 < 9 else 3]
        number = str(5000 + n // 4)  # a few forms per employee: versions in one folder
        name = f"{NAMES[int(number) % len(NAMES)]} {number}"
        data = vary_pdf(bases[kind], number, name, employee_position=f"Stilling {n}")
        forms[f"{kind.removesuffix('.pdf')} {n:03}.pdf"] = (data, place)
    return forms


def cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from formflow.cli import main; main()", *args]


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the daemon first (the crash), then its reader workers (test hygiene)."""
    process.send_signal(signal.SIGKILL)
    process.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


@pytest.mark.slow
def test_killed_at_random_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    random.seed(20261123)
    (tmp_path / "formflow.toml").write_text(
        "[watch]\nstability_seconds = 0.2\nrescan_seconds = 0.5\nworkers = 2\n", encoding="utf-8"
    )
    inbox, archive = tmp_path / "inbox", tmp_path / "archive"
    inbox.mkdir()
    forms = make_forms()
    names = list(forms)
    batches = [names[i::KILLS] for i in range(KILLS)]
    log = tmp_path / "watch.log"
    started = time.monotonic()
    with open(log, "ab") as out:
        for batch in batches:
            for name in batch:
                folder = inbox / ("salg" if hash(name) % 3 == 0 else "")
                folder.mkdir(exist_ok=True)
                (folder / name).write_bytes(forms[name][0])
            process = subprocess.Popen(
                cli("watch", "--polling", "0.2"),
                cwd=tmp_path,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
            time.sleep(random.uniform(0.3, 3.0))
            kill_group(process)
        final = subprocess.run(cli("watch", "--once"), cwd=tmp_path, stdout=out, stderr=out)
    assert final.returncode == 0, log.read_text(encoding="utf-8")[-3000:]
    text = log.read_text(encoding="utf-8")
    # most daemons got to work before their kill (the others died while starting: fine too)
    assert text.count("watching") >= KILLS // 2
    # nothing ends in a traceback, not even a reader worker orphaned by its daemon's SIGKILL
    tracebacks = text.split("Traceback (most recent call last):")[1:]
    assert not tracebacks, tracebacks[0][:2000]

    # every form in exactly one place
    archived: dict[str, int] = {}
    for record in (archive / "personale").rglob("*.json"):
        sha = json.loads(record.read_text(encoding="utf-8"))["sha256"]
        archived[sha] = archived.get(sha, 0) + 1
    originals = [p for p in (archive / "personale").rglob("*") if p.suffix in (".pdf", ".docx")]
    returned = {
        hashlib.sha256(p.read_bytes()).hexdigest(): p for p in (inbox / "afvist").rglob("*.pdf")
    }
    lost, duplicated, misplaced = [], [], []
    for name, (data, place) in forms.items():
        sha = hashlib.sha256(data).hexdigest()
        count = archived.get(sha, 0) + (sha in returned)
        if count == 0:
            lost.append(name)
        elif count > 1 or archived.get(sha, 0) > 1:
            duplicated.append(name)
        elif (place == "archive") != (sha in archived):
            misplaced.append(name)
    assert (lost, duplicated, misplaced) == ([], [], [])
    assert len(archived) == sum(place == "archive" for _, place in forms.values())
    assert len(originals) == len(archived)  # no original without its record

    # nothing partial, nothing left behind
    for path in returned.values():
        notice = path.with_name(path.name + ".txt").read_text(encoding="utf-8")
        assert "Ret skemaet og læg det i indbakken igen." in notice
    leftovers = [
        p for p in inbox.rglob("*")
        if p.is_file() and p.name != ".formflow.lock"
        and p.relative_to(inbox).parts[0] != "afvist"
    ]  # fmt: skip
    assert leftovers == []
    assert list((inbox / "afvist").rglob(".tmp-*")) == []
    assert [p for p in (archive / "personale").rglob("*") if p.name.startswith(".")] == []
    assert list((archive / ".formflow" / "incoming").iterdir()) == []
    verify = subprocess.run(cli("archive", "verify"), cwd=tmp_path, capture_output=True)
    assert verify.returncode == 0, verify.stdout.decode() + verify.stderr.decode()
    assert time.monotonic() - started < 240
