"""The floors: the least work any program must do for the same job, with the fastest tools here.

- AcroForm ingest: pikepdf reads every field's /V, sha256 of the bytes, a durable copy (temp
  file, fsync, rename, fsync of the folder);
- flattened PDF: one pdfplumber pass (every page's words and ruling lines); the same for a
  foreign-layout PDF read by its labels;
- foreign DOCX: python-docx loads it;
- DOCX: zipfile + lxml over the document (every content control's tag and text, the custom
  properties), sha256, a durable copy;
- fill: pikepdf sets the form's values and saves without appearance streams; lxml writes the
  DOCX's document.xml into a new zip.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def durable_copy(data: bytes, target: Path) -> None:
    """What 'filed durably' costs at least: write, fsync, rename, fsync the folder."""
    tmp = target.with_name(target.name + ".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, target)
    folder = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def pikepdf_fields(data: bytes) -> dict[str, str]:
    """Every terminal field's value, walking /Kids (the least a form reader must do)."""
    import pikepdf

    values: dict[str, str] = {}
    with pikepdf.open(io.BytesIO(data)) as pdf:
        form = pdf.Root.get("/AcroForm")
        stack = list(form.get("/Fields", [])) if form is not None else []
        while stack:
            field = stack.pop()
            kids = field.get("/Kids")
            if kids is not None and any("/T" in kid for kid in kids):
                stack.extend(kids)
                continue
            value = field.get("/V")
            values[str(field.get("/T", ""))] = "" if value is None else str(value)
    return values


def acroform_floor(path: Path, copy_to: Path) -> int:
    data = path.read_bytes()
    values = pikepdf_fields(data)
    hashlib.sha256(data).hexdigest()
    durable_copy(data, copy_to)
    return len(values)


def pdfplumber_floor(path: Path) -> int:
    """One pass over a flattened form: each page's words (with positions) and lines."""
    import pdfplumber

    count = 0
    with pdfplumber.open(io.BytesIO(path.read_bytes())) as pdf:
        for page in pdf.pages:
            count += len(page.extract_words()) + len(page.lines)
    return count


def python_docx_floor(path: Path) -> int:
    """A DOCX loaded by python-docx (the document and its parts parsed), its paragraphs
    counted."""
    import docx

    return len(docx.Document(io.BytesIO(path.read_bytes())).paragraphs)


def docx_fields(data: bytes) -> dict[str, str]:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    values: dict[str, str] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = etree.fromstring(archive.read("word/document.xml"), parser)
        for sdt in root.iter(f"{W}sdt"):
            tag = sdt.find(f"{W}sdtPr/{W}tag")
            if tag is not None:
                values[tag.get(f"{W}val")] = "".join(sdt.itertext())
        if "docProps/custom.xml" in archive.namelist():
            custom = etree.fromstring(archive.read("docProps/custom.xml"), parser)
            for prop in custom:
                values[str(prop.get("name"))] = "".join(prop.itertext())
    return values


def docx_floor(path: Path, copy_to: Path) -> int:
    data = path.read_bytes()
    values = docx_fields(data)
    hashlib.sha256(data).hexdigest()
    durable_copy(data, copy_to)
    return len(values)


def pdf_fill_floor(blank: bytes, values: Mapping[str, str]) -> bytes:
    """pikepdf sets /V of each named field and saves; no appearance streams are drawn."""
    import pikepdf

    with pikepdf.open(io.BytesIO(blank)) as pdf:
        form = pdf.Root.AcroForm
        stack: list[Any] = list(form.Fields)
        while stack:
            field = stack.pop()
            kids = field.get("/Kids")
            if kids is not None and any("/T" in kid for kid in kids):
                stack.extend(kids)
                continue
            name = str(field.get("/T", ""))
            if name in values:
                field.V = pikepdf.String(values[name])
        form.NeedAppearances = True
        out = io.BytesIO()
        pdf.save(out)
    return out.getvalue()


def docx_fill_floor(blank: bytes, values: Mapping[str, str]) -> bytes:
    """lxml sets each tagged control's text; the zip is written anew (what Word must do)."""
    from bench.inputs import fill_docx

    return fill_docx(blank, values)
