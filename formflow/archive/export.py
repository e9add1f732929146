"""The GDPR access export: everything held on one employee in one zip, explained in Danish.

The zip holds the personnel folder as it lies in the archive (originals byte for byte and
their records), the audit entries about that employee as JSON lines, and a README.txt that
tells the employee what each part is. It is written atomically and never over an existing
file. `export_person` gathers it through the archive's public side and audits it.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from formflow.archive.index import EmployeeRow
from formflow.archive.layout import year_files
from formflow.errors import ArchiveError
from formflow.fsutil import TEMP_PREFIX, save_file

if TYPE_CHECKING:
    from formflow.archive.store import Archive

AUDIT_NAME = "logbog.jsonl"
# A scanned form's transcription by a person lies beside the scan (`transcription_name`).
TRANSCRIPTION = "-afskrift."
TRANSCRIBED = """
  Et skema med -afskrift i navnet er en afskrift af det scannede skema ved siden af: en
  medarbejder har skrevet det af, som ikke kunne læses maskinelt (fx håndskrift). Det
  scannede skema er originalen; afskriften er det, formflow læste indholdet fra.
"""


def export_person(archive: Archive, employee: str, out: Path) -> Path:
    """A zip at `out` of everything `archive` holds on one employee (GDPR access request),
    never over an existing file; audited as exported."""
    person = archive.find_employee(employee)
    folder = archive.root / person.folder
    files = [(path, path.relative_to(archive.people)) for _, path in year_files(folder)]
    files = [(p, r) for p, r in files if not p.name.startswith(TEMP_PREFIX)]
    hashes = {r.sha256 for r in archive.forms(employee=person.number, latest_only=False)}
    entries = [
        e
        for e in archive.audit_log.entries()
        if e.get("employee") == person.number or e.get("sha256") in hashes
    ]
    try:
        digest, count = write_export(out, person, files, entries, archive.clock())
    except FileExistsError as error:
        raise ArchiveError(f"{out} exists already; choose another file name") from error
    except OSError as error:
        raise ArchiveError(f"cannot write {out}: {error}") from error
    archive.audit("exported", employee=person.number, files=count, sha256=digest)
    return out


def readme_text(person: EmployeeRow, folder: str, files: list[str], exported: datetime) -> str:
    """The Danish README.txt of an export (pure)."""
    originals = [f for f in files if not f.endswith(".json") and TRANSCRIPTION not in f]
    transcriptions = TRANSCRIBED if any(TRANSCRIPTION in f for f in files) else ""
    listing = "\n".join(f"  {f}" for f in files) or "  (ingen filer)"
    return f"""\
Indsigt i oplysninger fra medarbejderudviklingssamtaler (MUS)

Medarbejdernr. {person.number}: {person.name}
Udtrukket {exported.strftime("%d.%m.%Y kl. %H.%M")} af formflow.

Denne fil indeholder alt, hvad personalemappen for MUS rummer om dig:

{folder}/<år>/
  Skemaerne ({len(originals)} stk.) præcis som de blev afleveret eller lavet til dig:
  forberedelsesskema-<år>-v<n> er forberedelsesskemaet, aftaleskema-<år>-v<n> er
  udviklings- og aftaleskemaet. En rettet udgave har et højere versionsnummer (v2, v3 …).
  kollegainput-<år>-v<n> er input fra kolleger til samtalen, ét pr. kollega.

  Til hvert skema en .json-fil med det, formflow læste i skemaet: felternes indhold,
  underskrifterne, eventuelle fejl eller advarsler, hvornår skemaet kom ind, og i hvilken
  tilstand det blev arkiveret (modtaget, underskrevet, venter på underskrift, dannet).
{transcriptions}
{AUDIT_NAME}
  Logbogen over alt, der er sket med dine skemaer: arkiveret, afvist, sat til afklaring,
  set og udleveret, med tidspunkt. Logbogen rummer ikke skemaernes indhold.

Filer:
{listing}
"""


def write_export(
    out: Path,
    person: EmployeeRow,
    files: list[tuple[Path, Path]],
    audit_entries: list[dict[str, Any]],
    exported: datetime,
) -> tuple[str, int]:
    """Write the zip to `out` (never over an existing file); returns (its sha256, files).

    `files` are (path on disk, path inside the personnel area) pairs.
    """
    folder = PurePosixPath(person.folder).name
    names = [PurePosixPath(*rel.parts).as_posix() for _, rel in files]
    stamp = exported.timetuple()[:6]
    with (
        save_file(out, replace=False) as handle,
        zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        text = readme_text(person, folder, names, exported)
        archive.writestr(_entry("README.txt", stamp), text.encode("utf-8"))
        for (path, _), name in zip(files, names, strict=True):
            archive.writestr(_entry(name, stamp), path.read_bytes())
        lines = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in audit_entries)
        archive.writestr(_entry(AUDIT_NAME, stamp), lines.encode("utf-8"))
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    return digest, len(files)


def _entry(name: str, stamp: tuple[int, ...]) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, stamp)  # type: ignore[arg-type]
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16  # unpacked files stay private
    return info
