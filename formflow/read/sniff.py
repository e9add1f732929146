"""What a file is, told by its first bytes (never by its name: people rename files freely).

`sniff(head)` looks at the first few kilobytes. A DOCX is a zip whose first entries name
`[Content_Types].xml` or `word/`; any other zip is "zip" (the DOCX reader still looks inside,
since the head of a zip need not show its whole table of contents).
"""

from __future__ import annotations

from typing import Literal

FileType = Literal["pdf", "docx", "zip", "doc", "image", "unknown"]

HEAD_BYTES = 4096

_ZIP = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header; an empty archive
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc, .xls, and password-protected .docx
_IMAGES = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"GIF87a",
    b"GIF89a",
    b"II*\x00",  # TIFF, little-endian (scanners)
    b"MM\x00*",  # TIFF, big-endian
    b"BM",  # BMP
)


def sniff(head: bytes) -> FileType:
    """The type of a file from its first bytes (give at least `HEAD_BYTES` if there are)."""
    # PDF readers accept up to 1024 bytes of junk before the header (some mailers add some).
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(_ZIP):
        return "docx" if b"[Content_Types].xml" in head or b"word/" in head else "zip"
    if head.startswith(_OLE2):
        return "doc"
    if head.startswith(_IMAGES) or _is_riff_webp(head) or _is_heif(head):
        return "image"
    return "unknown"


def _is_riff_webp(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def _is_heif(head: bytes) -> bool:
    # Phone photos: an ISO media box `ftyp` with a HEIF brand.
    return head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"avif")
