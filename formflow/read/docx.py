"""The DOCX reader: content controls (or their bookmarks) -> contract values, zipfile + lxml.

A DOCX is a zip of XML parts from outside, so it is opened defensively: the archive's declared
unpacked sizes and compression ratios are checked before anything is unpacked (zip bombs), each
part is read with a size cap, and XML is parsed without DTDs, entities, network or huge trees;
a part that declares a DOCTYPE is refused outright (XXE, billion laughs).

Values are found, in this order:
1. content controls (`w:sdt`) whose `w:tag` is a contract key (formflow's DOCX, Word);
2. bookmarks named by a contract key around the answer: formflow's renderer puts one around
   every control because LibreOffice drops `w:tag` when it saves a DOCX but keeps bookmarks;
3. when neither exists (a form rebuilt by hand from the seed), the label reader
   `formflow.read.docx_labels.read_docx_labels(document, properties, settings, file)`.
Placeholder text (a control showing its placeholder, or the renderer's placeholder wording that
LibreOffice keeps as plain text) reads as "". An image in a signature's control or table cell
is evidence of a drawn signature.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Container, Iterable, Iterator
from functools import cache
from typing import Any

from lxml import etree

from formflow.config import Settings
from formflow.errors import UnreadableForm
from formflow.model import Evidence, Extraction
from formflow.read import (
    DATA_FIELDS,
    MB,
    answers,
    finish,
    identify,
    resolve_definition,
    unreadable,
)

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W = f"{{{W_NS}}}"
_CUSTOM = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"
_DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
_OFFICE_DOCUMENT = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
)

MAX_ENTRIES = 2000  # a DOCX has a few dozen parts
MAX_RATIO = 100  # XML compresses 5-30x; a part packed tighter than this is a bomb
RATIO_FLOOR = 1 * MB  # small parts may compress well without harm
_DOCTYPE = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")  # contract keys; Word's own bookmarks start with "_"
_IMAGES = (f"{_W}drawing", f"{_W}pict", f"{_W}object")
_PLACEHOLDER_STYLES = frozenset({"PlaceholderText", "Placeholder Text"})
_TITLE_CHARS = 4000  # how much of the body to search for the form's title


def read_docx(data: bytes, file: str, settings: Settings) -> Extraction:
    """Read a DOCX form from its bytes (`file` is only the name reported back)."""
    archive = open_docx(data, settings)
    with archive:
        main = _main_part(archive, settings)
        document = parse_xml(_member(archive, main, settings), main)
        properties = _custom_properties(archive, settings)
        title = _core_title(archive, settings)
    values, drawn = _controls(document)
    contract: dict[str, str] = {}
    if values:  # else the labels tell the form (`read_docx_labels` identifies it itself)
        texts = _title_texts(title, document)
        named = identify({k: properties.get(k, "") for k in DATA_FIELDS}, texts, settings)
        try:
            definition, edition = resolve_definition(named, values, settings)
        except UnreadableForm:
            pass  # tags of some other template: perhaps the labels still say which form
        else:
            contract = answers(values, definition, named.definition)
    if not contract:
        return _by_labels(document, properties, file, settings)
    return finish(
        file=file,
        reader="docx",
        edition=edition,
        definition=definition,
        values=contract,
        evidence=Evidence(drawn=tuple(k for k in drawn if definition.has(k))),
    )


# --- the package ----------------------------------------------------------------------------


def open_docx(data: bytes, settings: Settings) -> zipfile.ZipFile:
    """The zip archive, after its declared sizes passed the zip-bomb checks."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        # The central directory sits at the end of a zip: without it the file was cut off.
        code = "truncated" if data.startswith(b"PK\x03\x04") else "corrupt"
        raise unreadable(code, f"zip: {error}") from error
    infos = archive.infolist()
    limit = settings.limits.docx_max_unpacked_mb * MB
    total = sum(info.file_size for info in infos)
    if len(infos) > MAX_ENTRIES or total > limit:
        archive.close()
        raise unreadable("zip_bomb", f"{len(infos)} entries, {total / MB:.0f} MB declared")
    for info in infos:
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            archive.close()
            ratio = info.file_size // max(info.compress_size, 1)
            raise unreadable("zip_bomb", f"{info.filename} is compressed {ratio}x")
    return archive


def _main_part(archive: zipfile.ZipFile, settings: Settings) -> str:
    """The main document part, through the package relationships as the standard says."""
    names = set(archive.namelist())
    if "_rels/.rels" in names:
        relationships = parse_xml(_member(archive, "_rels/.rels", settings), "_rels/.rels")
        for relationship in relationships:
            if relationship.get("Type") == _OFFICE_DOCUMENT:
                target = (relationship.get("Target") or "").lstrip("/")
                if target in names:
                    return target
    if "word/document.xml" in names:
        return "word/document.xml"
    raise unreadable("wrong_type", "a zip archive without a Word document part")


def _member(archive: zipfile.ZipFile, name: str, settings: Settings) -> bytes:
    limit = int(settings.limits.docx_max_unpacked_mb * MB)
    try:
        with archive.open(name) as member:
            data = member.read(limit + 1)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as error:
        # RuntimeError: an encrypted member; NotImplementedError: an unknown compression.
        raise unreadable("corrupt", f"{name}: {type(error).__name__}: {error}") from error
    if len(data) > limit:
        raise unreadable("zip_bomb", f"{name} unpacks beyond its declared size")
    return data


def parse_xml(data: bytes, name: str) -> Any:
    """Parse one XML part with a locked-down parser; a DOCTYPE or ENTITY is refused."""
    if _DOCTYPE.search(data):
        raise unreadable("unsafe_xml", f"{name} declares a DOCTYPE or ENTITY")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise unreadable("corrupt", f"{name}: malformed XML: {str(error)[:200]}") from error
    # Belt and braces: an encoding the byte scan cannot see (UTF-16) still shows up here.
    if root is None or root.getroottree().docinfo.internalDTD is not None:
        raise unreadable("unsafe_xml" if root is not None else "corrupt", f"{name}: DTD or empty")
    return root


def _custom_properties(archive: zipfile.ZipFile, settings: Settings) -> dict[str, str]:
    name = next((n for n in archive.namelist() if n.lower() == "docprops/custom.xml"), None)
    if name is None:
        return {}
    root = parse_xml(_member(archive, name, settings), name)
    found: dict[str, str] = {}
    for prop in root.iter(f"{_CUSTOM}property"):
        key = prop.get("name")
        if key and len(prop):
            found[key] = "".join(prop[0].itertext()).strip()
    return found


def _core_title(archive: zipfile.ZipFile, settings: Settings) -> str:
    name = next((n for n in archive.namelist() if n.lower() == "docprops/core.xml"), None)
    if name is None:
        return ""
    title = parse_xml(_member(archive, name, settings), name).find(_DC_TITLE)
    return (title.text or "") if title is not None else ""


# --- the document ---------------------------------------------------------------------------

# Tag names built once: the loops below compare every element's tag with them.
_P = f"{_W}p"
_R = f"{_W}r"
_T = f"{_W}t"
_TAB = f"{_W}tab"
_BREAKS = (f"{_W}br", f"{_W}cr")
_NO_BREAK_HYPHEN = f"{_W}noBreakHyphen"
_SDT = f"{_W}sdt"
_SDT_PR = f"{_W}sdtPr"
_SDT_CONTENT = f"{_W}sdtContent"
_TC = f"{_W}tc"
_BOOKMARK_START = f"{_W}bookmarkStart"
_BOOKMARK_END = f"{_W}bookmarkEnd"
_VAL = f"{_W}val"
_ID = f"{_W}id"
_NAME = f"{_W}name"
_TAG = f"{_W}tag"
_RPR = f"{_W}rPr"
_RSTYLE = f"{_W}rStyle"
_FLAG = f"{_W}showingPlcHdr"  # a control that shows its placeholder
# How far a bookmark's span is walked before the whole body is indexed instead: formflow's
# bookmarks hold one control (about a dozen elements), and the index bounds an odd file's cost.
_SPAN_WALK = 256


def _controls(document: Any) -> tuple[dict[str, str], list[str]]:
    """Values by content-control tag, then by bookmark for keys no tag gave; drawn keys.

    What is needed of the document is found in one walk (`_Marks`); a bookmark's span is
    walked from its start, short as it usually is. A document without any image (most forms
    before they are signed) is not searched for one per control.
    """
    values: dict[str, str] = {}
    drawn: list[str] = []
    marks = _Marks(document)
    for sdt in marks.controls:
        tag = marks.tags.get(sdt)
        key = (tag.get(_VAL) or "").strip() if tag is not None else ""
        content = marks.contents.get(sdt)
        if not _KEY.match(key) or content is None:
            continue
        image = marks.images and (
            next(content.iter(*_IMAGES), None) is not None or _cell_has_image(sdt)
        )
        _found(values, drawn, key, text_of(content.iter(), marks.hidden), image)
    spans = _Spans(document, marks.ends)
    for start in marks.starts:
        key = start.get(_NAME) or ""
        if not _KEY.match(key) or values.get(key):
            continue
        span = spans.between(start)
        if span is not None:
            image = marks.images and (any(e.tag in _IMAGES for e in span) or _cell_has_image(start))
            _found(values, drawn, key, text_of(span, marks.hidden), image)
    return values, drawn


class _Marks:
    """The controls, bookmarks, placeholder runs and images of a document, in one walk.

    lxml's tag filter finds the elements in document order, so `tags` and `contents` hold what
    `sdt.find("w:sdtPr/w:tag")` and `sdt.find("w:sdtContent")` would (the first one), and
    `ends` the last `w:bookmarkEnd` of each id. The element sets and dicts keep lxml handing
    out the same objects for these elements while they live.
    """

    def __init__(self, document: Any) -> None:
        self.controls: list[Any] = []
        self.tags: dict[Any, Any] = {}  # control -> its w:tag
        self.contents: dict[Any, Any] = {}  # control -> its w:sdtContent
        self.starts: list[Any] = []
        self.ends: dict[str | None, Any] = {}
        self.hidden: set[Any] = set()  # runs that show placeholder text
        self.images = False
        # locals: this loop runs for a few hundred elements per form
        controls, starts, ends = self.controls, self.starts, self.ends
        flags = []
        wanted = (_SDT, _TAG, _SDT_CONTENT, _BOOKMARK_START, _BOOKMARK_END, _RSTYLE, _FLAG)
        for element in document.iter(*wanted, *_IMAGES):
            tag = element.tag
            if tag == _SDT:
                controls.append(element)
            elif tag in (_TAG, _SDT_CONTENT):
                self._control_part(element)
            elif tag == _BOOKMARK_START:
                starts.append(element)
            elif tag == _BOOKMARK_END:
                ends[element.get(_ID)] = element
            elif tag == _RSTYLE:
                self._placeholder_style(element)
            elif tag == _FLAG:
                flags.append(element)
            else:  # w:drawing, w:pict or w:object
                self.images = True
        self._hide_flagged(flags)

    def _control_part(self, element: Any) -> None:
        """A control's w:tag (in its w:sdtPr) or its w:sdtContent: the first of each counts."""
        if element.tag == _TAG:
            properties = element.getparent()
            if properties is None or properties.tag != _SDT_PR:
                return
            control, parts = properties.getparent(), self.tags
        else:
            control, parts = element.getparent(), self.contents
        if control is not None and control.tag == _SDT and control not in parts:
            parts[control] = element

    def _hide_flagged(self, flags: list[Any]) -> None:
        """Every run inside a control flagged as showing its placeholder."""
        for flag in flags:
            properties = flag.getparent()
            sdt = properties.getparent() if properties is not None else None
            if sdt is not None and properties.tag == _SDT_PR and sdt.tag == _SDT:
                self.hidden.update(sdt.iter(_R))

    def _placeholder_style(self, style: Any) -> None:
        """A run whose (first) run style is a placeholder style shows placeholder text."""
        if style.get(_VAL) not in _PLACEHOLDER_STYLES:
            return
        properties = style.getparent()
        run = properties.getparent() if properties is not None else None
        if run is not None and run.tag == _R and _grandchild(run, _RPR, _RSTYLE) is style:
            self.hidden.add(run)


class _Spans:
    """The elements between a bookmark's start and its end, in document order.

    The end is the last `w:bookmarkEnd` with the start's id; an end before its start spans
    nothing. Short spans are walked from the start; a long one (or many: a hand-made file) is
    cut from an index of the whole body, made once.
    """

    def __init__(self, document: Any, ends: dict[str | None, Any]) -> None:
        self._document = document
        self._ends = ends  # the last w:bookmarkEnd of each id
        self._body: list[Any] = []
        self._position: dict[Any, int] = {}

    def between(self, start: Any) -> list[Any] | None:
        """The span from `start` up to its end (excluded); None when it has no end."""
        end = self._ends.get(start.get(_ID))
        if end is None:
            return None
        span: list[Any] = []
        for element in _following(start, self._document):
            if element is end:
                return span
            span.append(element)
            if len(span) > _SPAN_WALK:
                return self._cut(start, end)
        return []  # the end came before the start

    def _cut(self, start: Any, end: Any) -> list[Any]:
        if not self._body:
            self._body = list(self._document.iter())
            self._position = {element: index for index, element in enumerate(self._body)}
        return self._body[self._position[start] : self._position[end]]


def _following(start: Any, root: Any) -> Iterator[Any]:
    """`start`, its descendants and everything after it in `root`, in document order."""
    yield from start.iter()
    node = start
    while node is not root and node is not None:
        for sibling in node.itersiblings():
            yield from sibling.iter()
        node = node.getparent()


def _grandchild(element: Any, child: str, tag: str) -> Any:
    """`element.find("child/tag")` by lxml's tag filters (ElementPath is slower)."""
    for middle in element.iterchildren(child):
        found = next(middle.iterchildren(tag), None)
        if found is not None:
            return found
    return None


def _found(values: dict[str, str], drawn: list[str], key: str, text: str, image: bool) -> None:
    # A key found twice (a hand-edited form): the first non-empty value counts.
    if not values.get(key):
        values[key] = text
    if image and key not in drawn:
        drawn.append(key)


def text_of(elements: Iterable[Any], hidden: Container[Any]) -> str:
    """The text of elements in document order: runs' text, tabs, breaks, paragraph ends.

    Runs in `hidden` (see `_Marks`) show placeholder text and read as nothing.
    """
    parts: list[str] = []
    started = False
    for element in elements:
        tag = element.tag
        if tag == _P:
            if started:
                parts.append("\n")
            started = True
            continue
        parent = element.getparent()
        # w:t and w:tab count only inside a run (w:tab also names tab stops); deleted text is
        # w:delText and field codes w:instrText, so neither is read.
        if parent is None or parent.tag != _R or parent in hidden:
            continue
        started = True
        if tag == _T:
            parts.append(element.text or "")
        elif tag == _TAB:
            parts.append("\t")
        elif tag in _BREAKS:
            parts.append("\n")
        elif tag == _NO_BREAK_HYPHEN:
            parts.append("-")
    text = "".join(parts)
    # LibreOffice keeps an empty control's placeholder wording as ordinary text.
    return "" if text.strip() in _placeholder_texts() else text


@cache
def _placeholder_texts() -> frozenset[str]:
    """The renderer's placeholder wordings (imported late: the renderer is a heavy import)."""
    from formflow.forms.docx import PLACEHOLDERS

    return frozenset(PLACEHOLDERS.values())


def _cell_has_image(anchor: Any) -> bool:
    """An image in the table cell around `anchor` (the signature box)."""
    cell = next(anchor.iterancestors(_TC), None)
    return cell is not None and next(cell.iter(*_IMAGES), None) is not None


def _title_texts(title: str, document: Any) -> Iterator[str]:
    """Where the form's title may be: the document title, then the leading body text.

    A generator, so a file whose custom properties say its kind and year (every form formflow
    renders) is not searched for its title at all.
    """
    if title:
        yield title
    leading = _leading_text(document)
    if leading:
        yield leading


def _leading_text(document: Any) -> str:
    """The first few thousand characters of body text: where the form's title is."""
    parts: list[str] = []
    size = 0
    for element in document.iter(_P, _T):
        if element.tag == _P and parts:
            parts.append("\n")
        elif element.tag == _T and element.text:
            parts.append(element.text)
            size += len(element.text)
            if size > _TITLE_CHARS:
                break
    return "".join(parts)


def _by_labels(
    document: Any, properties: dict[str, str], file: str, settings: Settings
) -> Extraction:
    """A DOCX without controls or bookmarks by key: read by its labels (reader "docx-layout")."""
    from formflow.read.docx_labels import read_docx_labels

    return read_docx_labels(document, properties, settings, file)
