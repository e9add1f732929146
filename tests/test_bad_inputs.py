"""Bad inputs for `formflow watch`: each gets a reason, none is lost, the daemon keeps running.

One daemon (`formflow watch --polling`, the real readers and archive) gets every kind of bad
input at once: broken and hostile files (H3's samples under tests/samples/broken/), links,
special files, hostile names, duplicates, unknown employees, lock and temp files, files whose
extension lies. Then a good form dropped last must still be filed, and SIGTERM must end it
cleanly. Each case says where its original must end up and with which code.
"""

from __future__ import annotations

import hashlib
import os
import signal
import stat
import subprocess
import sys
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from samples.watch.make_watch_samples import sample, vary_pdf

BROKEN = Path(__file__).parent / "samples" / "broken"
ROSTER = "nummer;navn;leder\n1042;Birthe Mølgaard;Lone Leder\n2001;Søren Ærø;Lone Leder\n"


@dataclass(frozen=True)
class Case:
    """A bad input: its name in the inbox, how to make it, where it must end and why."""

    name: str
    make: Callable[[Path, Path], None]  # (path in the inbox, a folder outside the inbox)
    place: str  # "afvist", "til-afklaring", "archive", "ignored", "gone" (a duplicate)
    code: str = ""
    returned_as: str = ""  # the returned copy's name, when sanitizing changes it


def data(content: bytes) -> Callable[[Path, Path], None]:
    return lambda path, outside: path.write_bytes(content)


def broken(name: str) -> Callable[[Path, Path], None]:
    return data((BROKEN / name).read_bytes())


def symlink_to_file(path: Path, outside: Path) -> None:
    target = outside / "personalesag.pdf"
    target.write_bytes(sample("agreement.pdf"))
    path.symlink_to(target)


def symlink_to_dir(path: Path, outside: Path) -> None:
    path.symlink_to(outside, target_is_directory=True)


def hardlink(path: Path, outside: Path) -> None:
    target = outside / "hardlinked.pdf"
    target.write_bytes(vary_pdf(sample("preparation.pdf"), "1042", "Birthe Mølgaard",
                                employee_position="hardlink"))  # fmt: skip
    os.link(target, path)


def fifo(path: Path, outside: Path) -> None:
    os.mkfifo(path)


def device(path: Path, outside: Path) -> None:
    os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 3))


def sparse(size: int) -> Callable[[Path, Path], None]:
    def make(path: Path, outside: Path) -> None:
        with open(path, "wb") as handle:
            handle.write(b"%PDF-1.7\n")
            handle.truncate(size)

    return make


def prep(**values: str) -> bytes:
    number = values.pop("number", "1042")
    name = values.pop("name", "Birthe Mølgaard")
    return vary_pdf(sample("preparation.pdf"), number, name, **values)


NFD_NAME = unicodedata.normalize("NFD", "Åse Ørbæk skema.pdf")
LONG_NAME = "æ" * 120 + ".pdf"  # 244 bytes: allowed on disk, too long to keep as is
CASES = [
    Case("empty.pdf", broken("empty.pdf"), "afvist", "empty"),
    Case("truncated.pdf", broken("truncated.pdf"), "afvist", "truncated"),
    Case("truncated.docx", broken("truncated.docx"), "afvist", "truncated"),
    Case("corrupt.pdf", broken("corrupt.pdf"), "afvist", "corrupt"),
    Case("picture.png", broken("picture.png"), "afvist", "scanned"),  # 20 dpi: too coarse
    Case("text-named.pdf", broken("text-named.pdf"), "afvist", "wrong_type"),
    Case("not-word.docx", broken("not-word.docx"), "afvist", "wrong_type"),
    Case("old-word.doc", broken("old-word.doc"), "afvist", "old_word"),
    Case("encrypted.pdf", broken("encrypted.pdf"), "afvist", "encrypted"),
    Case("zip-bomb.docx", broken("zip-bomb.docx"), "afvist", "zip_bomb"),
    Case("zip-bomb-ratio.docx", broken("zip-bomb-ratio.docx"), "afvist", "zip_bomb"),
    Case("xxe.docx", broken("xxe.docx"), "afvist", "unsafe_xml"),
    Case("billion-laughs.docx", broken("billion-laughs.docx"), "afvist", "unsafe_xml"),
    Case("3000-sider.pdf", broken("three-thousand-pages.pdf"), "afvist", "too_many_pages"),
    # a legible scan of page 1 alone is read by OCR: the rest of the form is missing
    Case("scannet.pdf", broken("scanned.pdf"), "afvist", "required_missing"),
    Case("andet-skema.pdf", broken("other-form.pdf"), "afvist", "not_a_form"),
    Case("for-stor.pdf", sparse(60_000_000), "afvist", "too_big"),
    Case("uden-dato.pdf", data(sample("preparation-no-date.pdf")), "afvist", "required_missing"),
    Case("genvej.pdf", symlink_to_file, "afvist", "symlink"),
    Case("genvej-mappe", symlink_to_dir, "afvist", "symlink"),
    Case("hardlink.pdf", hardlink, "afvist", "hardlink"),
    Case("fifo.pdf", fifo, "afvist", "not_a_file"),
    Case("enhed.pdf", device, "afvist", "not_a_file"),
    Case("x\\..\\..\\etc\\passwd.pdf", broken("corrupt.pdf"), "afvist", "corrupt",
         returned_as="x_.._.._etc_passwd.pdf"),
    Case("..\\..\\skjult.pdf", broken("corrupt.pdf"), "ignored"),  # a hidden name
    Case("skema\x1b[31m\x07.pdf", broken("text-named.pdf"), "afvist", "wrong_type",
         returned_as="skema[31m.pdf"),
    Case(LONG_NAME, broken("empty.pdf"), "afvist", "empty", returned_as="æ" * 98 + ".pdf"),
    Case(NFD_NAME, data(prep(employee_position="nfd")), "archive"),
    Case("Skema.PDF", broken("picture.png"), "afvist", "scanned"),
    Case("skema.pdf", broken("empty.pdf") , "afvist", "empty", returned_as="skema (2).pdf"),
    Case("original.pdf", data(prep(employee_position="dublet")), "archive"),
    Case("kopi af original.pdf", data(prep(employee_position="dublet")), "gone"),
    Case("ukendt.pdf", data(prep(number="9999", name="Ukendt Person")), "til-afklaring"),
    Case("forkert-navn.pdf", data(prep(number="2001", name="Hans Hansen")), "til-afklaring"),
    Case("~$skema.docx", data(b"lock"), "ignored"),
    Case(".~lock.skema.docx#", data(b"lock"), "ignored"),
    Case("skema.pdf.part", data(prep(employee_position="part")), "ignored"),
    Case("skema.pdf.crdownload", data(b"half"), "ignored"),
    Case(".skjult.pdf", data(prep(employee_position="hidden")), "ignored"),
    Case("Thumbs.db", data(b"thumbs"), "ignored"),
    Case("pdf-med-forkert-endelse.docx", data(sample("agreement.pdf")), "archive"),
    Case("word-med-forkert-endelse.pdf", data(sample("agreement.docx")), "archive"),
    Case("venter-på-medarbejder.pdf", data(sample("agreement-awaiting.pdf")), "archive"),
    # names that are not UTF-8 (Latin-1 from an old client), more of them than the daemon has
    # threads: each goes back under a name that can be shown, and filing goes on
    *(Case(os.fsdecode(b"skema-\xe6\xf8 %d.pdf" % n), broken("corrupt.pdf"), "afvist", "corrupt",
           returned_as=f"skema-__ {n}.pdf") for n in range(5)),
]  # fmt: skip


def cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from formflow.cli import main; main()", *args]


def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def archived_hashes(archive: Path) -> list[str]:
    import json

    return [
        json.loads(p.read_text(encoding="utf-8"))["sha256"]
        for p in (archive / "personale").rglob("*.json")
    ]


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="the device case needs root (mknod)")
@pytest.mark.needs("tesseract")  # the scan is read by OCR
def test_every_bad_input_gets_a_reason_and_the_daemon_keeps_running(tmp_path: Path) -> None:
    assert len({c.code for c in CASES if c.code}) >= 15 and len(CASES) >= 25
    (tmp_path / "formflow.toml").write_text(
        "[watch]\nstability_seconds = 0.2\nrescan_seconds = 1\n", encoding="utf-8"
    )
    (tmp_path / "employees.csv").write_text(ROSTER, encoding="utf-8")
    inbox, archive, outside = tmp_path / "inbox", tmp_path / "archive", tmp_path / "outside"
    inbox.mkdir()
    outside.mkdir()
    contents: dict[str, bytes] = {}
    for case in CASES:
        case.make(inbox / case.name, outside)
        path = inbox / case.name
        if path.is_file() and not path.is_symlink():
            contents[case.name] = path.read_bytes()
    outside_before = {p.name: p.read_bytes() for p in outside.iterdir()}

    log = tmp_path / "watch.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            cli("watch", "--polling", "0.2"), cwd=tmp_path, stdout=out, stderr=out
        )
        try:
            ignored = {c.name for c in CASES if c.place == "ignored"}
            done = wait_for(
                lambda: {p.name for p in inbox.iterdir() if p.name not in OWN} <= ignored,
                timeout=90,
            )
            assert done, f"not processed: {sorted(p.name for p in inbox.iterdir())}"
            assert process.poll() is None, "the daemon died"
            last = prep(employee_position="til sidst")
            (inbox / "til-sidst.pdf").write_bytes(last)
            assert wait_for(lambda: sha(last) in archived_hashes(archive), timeout=30)
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                process.kill()
    text = log.read_text(encoding="utf-8")
    assert "Traceback" not in text, text[-3000:]

    hashes = archived_hashes(archive)
    rejected = inbox / "afvist"
    for case in CASES:
        where = f"{case.name!r} ({case.place})"
        if case.place == "ignored":
            assert (inbox / case.name).read_bytes() == contents[case.name], where
        elif case.place == "archive":
            assert hashes.count(sha(contents[case.name])) == 1, where
            assert not (inbox / case.name).exists(), where
        elif case.place == "gone":  # a duplicate: recorded once, the copy left the inbox
            assert hashes.count(sha(contents[case.name])) == 1, where
            assert not os.path.lexists(inbox / case.name), where
        else:
            folder = inbox / case.place
            returned = folder / (case.returned_as or unicodedata.normalize("NFC", case.name))
            assert os.path.lexists(returned), f"{where}: {sorted(os.listdir(folder))}"
            if case.name in contents:  # the original, byte for byte
                assert returned.read_bytes() == contents[case.name], where
            notice = returned.with_name(returned.name + ".txt").read_text(encoding="utf-8")
            if case.place == "afvist":
                assert f"[fejlkoder til support: {case.code}" in notice, f"{where}: {notice}"
                assert "Ret skemaet og læg det i indbakken igen." in notice
            else:
                assert "En person" in notice, where
            assert not os.path.lexists(inbox / case.name), where

    # links were moved as links: what they pointed at is untouched
    assert (rejected / "genvej.pdf").is_symlink() and (rejected / "genvej-mappe").is_symlink()
    assert {p.name: p.read_bytes() for p in outside.iterdir() if p.is_file()} == outside_before
    assert stat.S_ISFIFO(os.lstat(rejected / "fifo.pdf").st_mode)
    assert " 1. Dato for samtale: " in (rejected / "uden-dato.pdf.txt").read_text("utf-8")
    # the logs name files and hashes, never what the forms say
    assert "Mølgaard" not in text.replace("1042 Birthe Mølgaard", "")


OWN = {"afvist", "til-afklaring", ".formflow.lock"}
