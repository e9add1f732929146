"""Reading scanned forms (image-only PDFs; TIFF, PNG, JPEG scans) with tesseract's Danish model.

Each page goes through these steps, then the pages are read like a flattened PDF:

    rasterise  a PDF page at `ocr.dpi` (pypdfium2); an image file's frames as they are
    deskew     the angle whose row profile is sharpest (text lines and ruling lines line
               up) within a few degrees, and the page turned back by it (OpenCV)
    rulings    the form's ruling lines (OpenCV morphology): erased before OCR, since an empty
               box's frame reads as junk letters, and kept as the edges the layout reader
               builds the form's tables from
    OCR        tesseract (`image_to_data`, sparse text, `-l dan`): each word with its box and
               confidence. A page read mostly as nonsense is asked how it is turned (OSD,
               `--psm 0`), turned upright and read again
    words      tesseract's words become the layout reader's `Word`s (in points). A word below
               `ocr.min_confidence` keeps its letters for matching labels but makes any answer
               holding it "not found" (`UNCERTAIN`, as a word a narrow box may have cut).
               Ink that no confident word explains (handwriting, a drawn signature, a stamp)
               becomes an `UNCERTAIN` word of its own where it lies: an answer box with
               handwriting in it is never read as empty
    read       the label reader (`formflow.read.labels`) on the blocks, as for any form

The result is reader "ocr"; `Extraction.scan` says per value how sure the OCR was
(`ScanReading.confidence`, the least confident word of the value) and which places held
something that could not be read (`ScanReading.unread`): the ingest holds such a form for a
person (`formflow.transcribe`), since it is not the employee's fault. A drawn signature on
paper is judged by ink in its box after registration to the blank form (`formflow.scan`);
without that judgement a signature on a scan is not found, never guessed. On a registered
page each answer box is also read alone (`formflow.read.boxes`): a confident reading fills
what the label reader missed, and the two disagreeing leave the answer not found.

Tesseract runs as a child process of the worker that reads the file, under its time and
memory limits; `OMP_THREAD_LIMIT=1` (set by the workers) keeps tesseract's own threads from
fighting the other workers (a page took 3-18 s instead of about 1 s without it).
"""

from __future__ import annotations

import io
import statistics
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, cast

from formflow.config import Settings
from formflow.model import Evidence, Extraction, ScanReading
from formflow.read.labels import UNCERTAIN, Block, Para, Table
from formflow.read.layout import (
    Word,
    cell_text,
    free_blocks,
    lines_of,
    place_words,
    ruled_tables,
)

if TYPE_CHECKING:
    import numpy as np
    from PIL.Image import Image

    from formflow.forms.definition import FormDefinition
    from formflow.scan.blank import BlankForm

POINTS = 72.0
A4_WIDTH_PT = 595.0
# A page coarser than this (dots per inch) is no scan to read: its letters are a few pixels.
MIN_DPI = 100
# How far (degrees) a page may lie skewed on the scanner's glass; beyond that it is turned
# (OSD), not skewed.
MAX_SKEW = 4.0
# A page read with fewer words than this, or with their median confidence below
# SENSIBLE, is asked for its orientation (an upside-down page reads as confident nonsense
# far less often than as low-confidence junk).
FEW_WORDS = 8
SENSIBLE = 60.0
# Ink marks smaller than this (mm, both sides) are specks of dust or JPEG noise.
SPECK_MM = 1.2
# A line ending closer than this (pt) to its cell's right side, and closer than it starts
# from the left side (by CLIP_MARGIN), may be clipped by the box (`_clipped`).
CLIP_PT = 5.0
CLIP_MARGIN = 0.75
# A faint ruling line's pixels are darker than the paper beside them by this much (0-255).
RULING_CONTRAST = 10
# A word read with less confidence than this is read again, and is confident only when the
# second reading agrees (`looked_again`).
CONFIRM = 90.0
# A line whose strokes are this wide for its font size (ems) is set in bold
# (`_stroke_share`).
BOLD = 0.14
# A line whose font is this much larger than the page's usual one is a heading (as the layout
# reader takes a larger line in a PDF).
LARGER = 1.25
# Ink of a mark is darker than this (0-255): a pen's or a printer's, not a grey shading.
MARK_DARKNESS = 170
# Ink marks closer than this (mm) are one mark (the strokes of one handwritten word).
MARK_GAP_MM = 2.5


@dataclass(frozen=True)
class OcrWord:
    """One word as tesseract read it, in pixels of the upright, deskewed page."""

    text: str
    confidence: float
    left: int
    top: int
    width: int
    height: int
    line: tuple[int, int, int]  # tesseract's (block, paragraph, line)


@dataclass(frozen=True)
class ScanPage:
    """One page, upright and deskewed, with what tesseract read on it."""

    image: np.ndarray  # grey, 0 black .. 255 white
    dpi: float
    words: tuple[OcrWord, ...]
    turned: int  # degrees the page was turned to be upright (0, 90, 180, 270)
    skew: float  # degrees it was skewed


def read_scan(data: bytes, file: str, settings: Settings, *, is_pdf: bool) -> Extraction:
    """Read a scanned form (an image-only PDF, or an image file) by OCR (reader "ocr")."""
    from formflow.read import finish, read_labelled, unreadable

    pages = [scan_page(image, dpi, settings) for image, dpi in page_images(data, is_pdf, settings)]
    if not any(page.words for page in pages):
        raise unreadable("scanned", "no text found by OCR")
    limit = settings.ocr.min_confidence
    per_page = [page_blocks(page, limit) for page in pages]
    definition, edition, values = read_labelled(_joined(per_page), {}, settings)
    order = page_order(pages, definition, edition.year)
    if order != tuple(range(len(pages))):  # a scanner batch fed in another order
        pages, per_page = [pages[i] for i in order], [per_page[i] for i in order]
        definition, edition, values = read_labelled(_joined(per_page), {}, settings)
    blocks = _joined(per_page)
    form = registered_form(definition, edition.year, pages, settings)
    values, disagreed, from_boxes = _with_boxes(values, definition, form, settings)
    # A value that is no value of its field (a date that is no date) was misread as likely
    # as mistyped: on a scan it is not read, never quoted back to the employee as written.
    misread = {
        p.field for p in finish(file=file, reader="ocr", edition=edition,
                                definition=definition, values=values).problems if p.field
    }  # fmt: skip
    values = {key: value for key, value in values.items() if key not in misread}
    unread = {*unread_places(definition, blocks, values, settings), *misread, *disagreed}
    drawn = signatures_on_paper(definition, form, unread, values)
    words = [word for page in pages for word in page.words]
    confidence = {**value_confidences(values, words), **from_boxes}
    reading = ScanReading(
        confidence={key: confidence[key] for key in values if key in confidence},
        unread=tuple(sorted(unread)),
        pages=len(pages),
    )
    return finish(
        file=file,
        reader="ocr",
        edition=edition,
        definition=definition,
        values=values,
        evidence=Evidence(drawn=drawn),
        pages=len(pages),
        scan=reading,
    )


def _joined(per_page: Sequence[Sequence[Block]]) -> list[Block]:
    return [block for blocks in per_page for block in blocks]


def page_order(
    pages: Sequence[ScanPage], definition: FormDefinition, year: int | None
) -> tuple[int, ...]:
    """The pages of a scanner batch in their form's order, by their page numbers and
    headings (`formflow.scan.pages`); the scan's own order when they do not tell for
    certain. Two forms in one file are refused (`several_forms`): each is filed on its own,
    never merged."""
    from formflow.read import unreadable
    from formflow.scan.pages import Outline, read_batch

    scanned = tuple(range(len(pages)))
    if year is None or len(pages) < 2:
        return scanned
    batch = read_batch([page_text(page) for page in pages], Outline.of(definition, year))
    if batch.count > 1:
        raise unreadable("several_forms", f"{batch.count} forms in one file")
    return batch.forms[0] if batch.forms and len(batch.forms[0]) == len(pages) else scanned


def page_text(page: ScanPage) -> str:
    """What OCR read on the page, line by line from the top (for telling its place in a
    form: its title, headings and page number)."""
    lines: dict[tuple[int, int, int], list[OcrWord]] = {}
    for word in page.words:
        lines.setdefault(word.line, []).append(word)
    ordered = sorted(lines.values(), key=lambda words: min(w.top for w in words))
    return "\n".join(
        " ".join(w.text for w in sorted(line, key=lambda w: w.left)) for line in ordered
    )


def registered_form(
    definition: FormDefinition,
    year: int | None,
    pages: Sequence[ScanPage],
    settings: Settings,
) -> tuple[BlankForm, dict[int, Any]] | None:
    """The blank form (formflow's own renderer at the scan's resolution, `formflow.scan`,
    kept in the archive's cache; a learned form's own blank, kept when it was learned) and
    each of its pages' registration onto the scanned page that is it (None: no scanned page
    registers onto it: another form's layout, a page too damaged, a page not scanned), or
    None when there is no blank to register to."""
    if not pages:
        return None
    from formflow.errors import FormflowError
    from formflow.forms.learned import learned_blank_form
    from formflow.scan.blank import blank_cache, blank_form, boxes_in_place

    dpi, needed = round(pages[0].dpi), _blank_pages_needed(pages)
    learned = learned_blank_form(definition.name, settings, dpi, needed)
    if learned is not None:  # its boxes only where its print is found in place
        registered = _registrations(pages, learned.pages)
        return boxes_in_place(learned, registered), registered
    if year is None:
        return None
    try:
        blank = blank_form(definition, year, dpi, needed, blank_cache(settings.archive))
    except FormflowError:
        return None
    return blank, _registrations(pages, blank.pages)


def _blank_pages_needed(pages: Sequence[ScanPage]) -> set[int] | None:
    """The form's pages (from 0) the scanned pages' footers number, or None (all of them)
    when a scanned page has no page number."""
    from formflow.scan.pages import PAGE_NUMBER

    needed = set()
    for page in pages:
        mark = PAGE_NUMBER.search(page_text(page))
        if mark is None:
            return None
        needed.add(int(mark.group(1)) - 1)
    return needed


def _registrations(
    pages: Sequence[ScanPage], blanks: Sequence[np.ndarray | None]
) -> dict[int, Any]:
    """Each blank page's registration onto the scanned page that is it (None: none is). A
    page is tried against the blank page its footer numbers (last first: the signatures
    end a form), one without a page number against the blank pages most like it
    (`register_pages`): each scanned page is registered once or twice, never against every
    page of the form (a page that registers nowhere, another organisation's layout, costs
    ECC and the feature matching each time)."""
    from formflow.scan.pages import PAGE_NUMBER
    from formflow.scan.register import register, register_pages

    registered: dict[int, Any] = dict.fromkeys(range(len(blanks)))
    unnumbered = []
    for page in reversed(pages):
        mark = PAGE_NUMBER.search(page_text(page))
        index = int(mark.group(1)) - 1 if mark else -1
        blank = blanks[index] if 0 <= index < len(blanks) else None
        if blank is not None:
            if registered[index] is None:
                registered[index] = register(page.image, blank)
        else:
            unnumbered.append(page.image)
    rendered = [i for i, blank in enumerate(blanks) if blank is not None]
    if unnumbered and rendered:
        found = register_pages(unnumbered, [b for b in blanks if b is not None])
        for one in found:
            if one is not None and registered[rendered[one[0]]] is None:
                registered[rendered[one[0]]] = one[1]
    return registered


def _with_boxes(
    values: dict[str, str],
    definition: FormDefinition,
    form: tuple[BlankForm, dict[int, Any]] | None,
    settings: Settings,
) -> tuple[dict[str, str], set[str], dict[str, float]]:
    """The label reader's values with what the registered answer boxes read
    (`formflow.read.boxes`): the values, the keys the two readings disagree on or neither
    reads in a box with ink (not found, unread), and the confidences of the values read
    from boxes."""
    if form is None:
        return values, set(), {}
    from formflow.read.boxes import merged, read_boxes

    blank, registered = form
    boxes = read_boxes(definition, blank, registered, settings)
    return merged(values, boxes, settings.ocr.min_confidence)


def signatures_on_paper(
    definition: FormDefinition,
    form: tuple[BlankForm, dict[int, Any]] | None,
    unread: Iterable[str],
    values: Mapping[str, str],
) -> tuple[str, ...]:
    """The signatures drawn on the paper: ink inside a signature's box (its interior: the
    frame never counts) on the scan registered to the blank form (`registered_form`). Only
    signatures OCR read no typed name for (whose place held ink it could not read, `unread`,
    or was not found); a page that does not register judges nothing: its signatures stay
    unread, never guessed."""
    keys = [
        spec.key
        for spec in definition.fields
        if spec.type == "signature" and (spec.key in unread or spec.key not in values)
    ]
    if not keys or form is None:
        return ()
    from formflow.scan.ink import signature_state

    blank, registered = form
    drawn = []
    for key in keys:
        box = blank.boxes.get(key)
        found = registered.get(box.page) if box is not None else None
        if found is not None and signature_state(found.image, blank.pixels(key)) == "signed":
            drawn.append(key)
    return tuple(drawn)


# --- pages -----------------------------------------------------------------------------------


def page_images(data: bytes, is_pdf: bool, settings: Settings) -> Iterator[tuple[Image, float]]:
    """Each page as a grey image and its resolution (dots per inch)."""
    from formflow.read import unreadable

    if is_pdf:
        yield from _pdf_pages(data, settings)
        return
    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        frames = list(ImageSequence.Iterator(image))
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise unreadable("corrupt", f"image: {type(error).__name__}") from error
    if len(frames) > settings.limits.max_pages:
        raise unreadable("too_many_pages", f"{len(frames)} pages")
    for frame in frames:
        grey = frame.convert("L")
        # A scanner's dpi tag is often wrong or missing; the forms are A4, so the page's
        # width says its resolution (the shorter side, in case it lies sideways).
        dpi = min(grey.size) / (A4_WIDTH_PT / POINTS)
        if dpi < MIN_DPI:
            raise unreadable("scanned", f"about {dpi:.0f} dpi: too coarse to read")
        yield grey, dpi


def _pdf_pages(data: bytes, settings: Settings) -> Iterator[tuple[Image, float]]:
    import pypdfium2 as pdfium

    from formflow.read import unreadable

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        raise unreadable("corrupt", f"pdfium: {str(error)[:200]}") from error
    try:
        if len(pdf) > settings.limits.max_pages:
            raise unreadable("too_many_pages", f"{len(pdf)} pages")
        dpi = float(settings.ocr.dpi)
        for index in range(len(pdf)):
            page = pdf[index]
            bitmap = page.render(scale=dpi / POINTS, grayscale=True)
            yield bitmap.to_pil().convert("L"), dpi
            bitmap.close()
            page.close()
    finally:
        pdf.close()


def scan_page(image: Image, dpi: float, settings: Settings) -> ScanPage:
    """The page upright and deskewed, its rulings erased, read by tesseract."""
    import numpy as np

    grey = np.asarray(image, dtype=np.uint8)
    turned = 0
    if grey.shape[1] > grey.shape[0] * 1.15:  # lying sideways: ask before reading
        turned = orientation(grey, settings)
        grey = turn(grey, turned)
    grey, skew = deskew(grey)
    clean = without_rulings(grey)
    words = recognise(clean, settings)
    if not _sensible(words):
        turn_by = orientation(grey, settings)
        if turn_by:
            turned = (turned + turn_by) % 360
            grey, more = deskew(turn(grey, turn_by))
            skew += more
            clean = without_rulings(grey)
            words = recognise(clean, settings)
    words = looked_again(grey, clean, words, dpi, settings)
    return ScanPage(grey, dpi, tuple(words), turned, skew)


def looked_again(
    grey: np.ndarray, clean: np.ndarray, words: list[OcrWord], dpi: float, settings: Settings
) -> list[OcrWord]:
    """The page's words after a second look at what the first reading was not sure of (its
    words below CONFIRM) or passed over (ink no word explains). A word is confident only
    when read again the same way with confidence: one read two ways is not known, however
    confident either reading ("Travit" at 83 for "Travlt"). A mark read again becomes a word
    (confident or not: it explains its ink either way). `clean` is the page `grey` without
    its rulings, as tesseract reads it."""
    limit = settings.ocr.min_confidence
    confident = [w for w in words if w.confidence >= limit]
    marks = marks_of(grey, confident, dpi)
    # Unsure words inside a mark are the mark's junk (a drawn signature read as "hine eN"):
    # the mark, one word where it lies, stands for them.
    checked = [w for w in words if w.confidence < CONFIRM and not _inside_any(w, marks)]
    sure = [w for w in confident if w.confidence >= CONFIRM or _inside_any(w, marks)]
    boxes = [(w.left, w.top, w.left + w.width - 1, w.top + w.height - 1) for w in checked]
    # a full stop the reading left off a word is read again with its word ("fredagen.")
    stopped = {i: _stopped_word(mark, sure, dpi) for i, mark in enumerate(marks)}
    crops = [_joined_box(mark, stopped[i]) for i, mark in enumerate(marks)]
    again = {w.line[2]: w for w in second_look(clean, [*boxes, *crops], settings)}
    junk = [w for w in words if w.confidence < limit and w not in checked]
    read = []
    for i, ended in stopped.items():
        word = again.get(len(checked) + i)
        if word is None:
            continue
        if any(_inside_any(w, [marks[i]]) for w in junk) and word.confidence < CONFIRM:
            # the first reading was unsure there too: one more reading is not sure enough
            word = replace(word, confidence=min(word.confidence, limit - 1))
        if ended is not None:
            if ended not in sure or not _ends_it(word, ended, limit):
                continue  # read otherwise ("stormimmet." for "storrummet" and a dot): unread
            sure.remove(ended)
            word = OcrWord(word.text, word.confidence, word.left, word.top, word.width,
                           word.height, ended.line)  # fmt: skip
        read.append(word)  # a mark: the second reading, sure or not
    return sure + [_confirmed(w, again.get(i), limit) for i, w in enumerate(checked)] + read


def _confirmed(first: OcrWord, second: OcrWord | None, limit: float) -> OcrWord:
    """A word read twice: as confident as the surer reading when both read the same text
    and the second is confident (CONFIRM, when the first was unsure: "stormimmet." at 35
    then 88 is no "storrummet."), else unsure."""
    need = limit if first.confidence >= limit else CONFIRM
    if second is not None and second.text == first.text and second.confidence >= need:
        confidence = max(first.confidence, second.confidence)
    else:
        confidence = (
            min(first.confidence, limit - 1) if first.confidence >= limit else first.confidence
        )
    return OcrWord(first.text, confidence, first.left, first.top, first.width, first.height,
                   first.line)  # fmt: skip


def _stopped_word(mark: Box, words: Sequence[OcrWord], dpi: float) -> OcrWord | None:
    """The word `mark` is the full stop of (`_trailing`), if any."""
    return next(
        (w for w in words if _trailing(mark, [(w.left + w.width, w.top, w.height)], dpi / 25.4)),
        None,
    )


def _joined_box(mark: Box, word: OcrWord | None) -> Box:
    """The mark's box, with its word's when it is that word's full stop."""
    if word is None:
        return mark
    return (min(mark[0], word.left), min(mark[1], word.top), mark[2],
            max(mark[3], word.top + word.height - 1))  # fmt: skip


def _ends_it(reading: OcrWord, word: OcrWord, limit: float) -> bool:
    """Whether the word read again with its mark is the word and a stop, confidently."""
    return (
        reading.confidence >= limit
        and reading.text[:-1] == word.text
        and reading.text[-1:] in ".,;:!?"
    )


def _inside_any(word: OcrWord, boxes: Sequence[Box]) -> bool:
    x, y = word.left + word.width / 2, word.top + word.height / 2
    return any(left <= x <= right and top <= y <= bottom for left, top, right, bottom in boxes)


def _sensible(words: Sequence[OcrWord]) -> bool:
    confident = [w.confidence for w in words if len(w.text) > 2]
    return len(confident) >= FEW_WORDS and statistics.median(confident) >= SENSIBLE


def orientation(grey: np.ndarray, settings: Settings) -> int:
    """Degrees to turn the page clockwise to make it upright, as tesseract's OSD says
    (0 when it cannot tell: too little text)."""
    import pytesseract

    try:
        found = pytesseract.image_to_osd(grey, config="--psm 0", output_type="dict")
    except pytesseract.TesseractError:
        return 0
    return int(found.get("rotate", 0)) % 360


def turn(grey: np.ndarray, degrees: int) -> np.ndarray:
    """`grey` turned clockwise by 0, 90, 180 or 270 degrees."""
    import numpy as np

    return np.ascontiguousarray(np.rot90(grey, k=-(degrees // 90) % 4))


def deskew(grey: np.ndarray) -> tuple[np.ndarray, float]:
    """The page turned back by its skew, and the skew (degrees, counter-clockwise positive).

    The skew is the angle at which the page's rows of ink line up best (the row profile of a
    small copy has the largest variance): text lines and ruling lines alike, so it works on
    any form. A coarse search in half degrees, then a fine one in tenths.
    """
    import cv2
    import numpy as np

    scale = 480.0 / max(grey.shape)
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ink = (small < 160).astype(np.float32)
    if ink.sum() == 0:
        return grey, 0.0

    def sharpness(angle: float) -> float:
        turned = _rotated(ink, angle, cv2.INTER_LINEAR, 0)
        return float(np.var(turned.sum(axis=1)))

    coarse = max(np.arange(-MAX_SKEW, MAX_SKEW + 0.01, 0.5), key=sharpness)
    fine = max(np.arange(coarse - 0.5, coarse + 0.51, 0.1), key=sharpness)
    angle = round(float(fine), 1)
    if abs(angle) < 0.05:
        return grey, 0.0
    return _rotated(grey, angle, cv2.INTER_CUBIC, 255), angle


def _rotated(image: np.ndarray, angle: float, interpolation: int, fill: int) -> np.ndarray:
    import cv2

    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    return cv2.warpAffine(image, matrix, (width, height), flags=interpolation, borderValue=fill)


# --- rulings ----------------------------------------------------------------------------------


def ink_of(grey: np.ndarray, contrast: int = 25, darker_than: int = 256) -> np.ndarray:
    """Dark pixels as 255: darker by `contrast` than the paper around them (an adaptive
    threshold, so a scan's uneven paper and a light-grey ruling line are told apart alike;
    the answer boxes' light shading is paper, not ink), and darker than `darker_than`."""
    import cv2

    block = max(15, (min(grey.shape) // 40) | 1)
    ink = cv2.adaptiveThreshold(
        grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, contrast
    )
    if darker_than < 256:
        ink[grey >= darker_than] = 0
    return ink


# The last page's rulings, with the page itself (held, so no other array can take its
# place): a page's steps (erasing, marks, tables) ask for them several times.
_LAST_RULINGS: list[tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]] = []


def ruling_masks(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rulings of `grey` (`find_rulings`), found once per page image."""
    if _LAST_RULINGS and _LAST_RULINGS[0][0] is grey:
        return _LAST_RULINGS[0][1]
    found = find_rulings(grey)
    _LAST_RULINGS[:] = [(grey, found)]
    return found


def find_rulings(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The horizontal and the vertical ruling lines of the page: long thin runs of faint ink
    (a scanned form's grey lines are barely darker than its paper; being long, they are no
    noise), with the gaps a scan breaks them into closed: up to 4 mm across, 1 mm down (two
    tables a few points apart stay two tables). A short upright run is a ruling only where
    it joins two horizontal lines (a cell's side): a headline's letter stems are as tall."""
    import cv2

    ink = ink_of(grey, contrast=10)
    height, width = ink.shape
    gap = max(3, round(min(height, width) / 52))  # 4 mm of an A4 page's width
    long_across = cv2.getStructuringElement(cv2.MORPH_RECT, (max(25, width // 25), 1))
    long_down = cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(25, height // 60)))
    thin = max(3, round(min(height, width) / 210))  # 1 mm: a ruling, not a shaded band's edge
    across_ink = ink | _faint_lines(grey, min(height, width))
    across = _thin(cv2.morphologyEx(across_ink, cv2.MORPH_OPEN, long_across), thin, axis=0)
    across = cv2.morphologyEx(
        across, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (gap, 1))
    )
    down = _thin(cv2.morphologyEx(ink, cv2.MORPH_OPEN, long_down), thin, axis=1)
    down = cv2.morphologyEx(
        down, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(1, gap // 4)))
    )
    return across, _cell_sides(down, across, tall=3 * gap)


def _faint_lines(grey: np.ndarray, width: int) -> np.ndarray:
    """Pixels darker (by RULING_CONTRAST) than the paper right above and below them (within
    about half a millimetre): a faint grey horizontal ruling under a bold label, where the
    adaptive threshold's mean over a wider block takes in the label's ink and loses the
    line. Letters' own bars pass too, but they are short (the long opening drops them)."""
    import cv2

    reach = max(2, width // 700)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (1, 2 * reach + 1))
    darker = cv2.morphologyEx(grey, cv2.MORPH_BLACKHAT, kernel)
    return cv2.threshold(darker, RULING_CONTRAST, 255, cv2.THRESH_BINARY)[1]


def _thin(runs: np.ndarray, most: int, axis: int) -> np.ndarray:
    """The runs no thicker than `most` pixels across `axis` (0: rows, for horizontal runs).
    The edge of a shaded band (a heading's grey bar) passes the adaptive threshold as a broad
    strip along it; a ruling line is a few pixels thick."""
    import cv2
    import numpy as np

    count, labels, stats, _ = cv2.connectedComponentsWithStats(runs, connectivity=8)
    size = stats[:, cv2.CC_STAT_HEIGHT if axis == 0 else cv2.CC_STAT_WIDTH]
    length = stats[:, cv2.CC_STAT_WIDTH if axis == 0 else cv2.CC_STAT_HEIGHT]
    # a long line a little off level spans a few more rows than it is thick
    keep = (size <= most + length // 200) & (np.arange(count) > 0)
    return np.where(keep[labels], 255, 0).astype(np.uint8)


def _cell_sides(down: np.ndarray, across: np.ndarray, tall: int) -> np.ndarray:
    """The upright runs of `down` that are `tall` or more, or that join two lines of
    `across` (a few pixels off either end)."""
    import cv2
    import numpy as np

    lines = cv2.dilate(across, np.ones((7, 7), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(down, connectivity=8)
    keep = np.zeros(count, dtype=bool)
    for index in range(1, count):
        left, top, run_width, run_height, _area = stats[index]
        bottom, right = top + run_height - 1, left + run_width
        keep[index] = run_height >= tall or (
            lines[top, left:right].any() and lines[bottom, left:right].any()
        )
    return np.where(keep[labels], 255, 0).astype(np.uint8)


def without_rulings(grey: np.ndarray) -> np.ndarray:
    """The page with its ruling lines painted white (and a pixel around them)."""
    import cv2

    across, down = ruling_masks(grey)
    lines = cv2.dilate(across | down, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))
    cleaned = grey.copy()
    cleaned[lines > 0] = 255
    return cleaned


def ruling_edges(grey: np.ndarray, dpi: float) -> list[dict[str, Any]]:
    """The ruling lines as pdfplumber's edges (in points), for the layout reader's tables."""
    import cv2

    across, down = ruling_masks(grey)
    scale = POINTS / dpi
    edges: list[dict[str, Any]] = []
    for mask, orientation in ((across, "h"), (down, "v")):
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        for left, top, width, height, _area in stats[1:count]:
            x0, x1 = left * scale, (left + width) * scale
            y0, y1 = top * scale, (top + height) * scale
            if orientation == "h":
                middle = (y0 + y1) / 2
                edges.append(_edge(x0, x1, middle, middle, "h"))
            else:
                middle = (x0 + x1) / 2
                edges.append(_edge(middle, middle, y0, y1, "v"))
    return edges


def _edge(x0: float, x1: float, top: float, bottom: float, orientation: str) -> dict[str, Any]:
    return {
        "x0": x0,
        "x1": x1,
        "top": top,
        "bottom": bottom,
        "width": x1 - x0,
        "height": bottom - top,
        "orientation": orientation,
        "object_type": "line",
    }


# --- OCR ---------------------------------------------------------------------------------------


def recognise(grey: np.ndarray, settings: Settings) -> list[OcrWord]:
    """Every word tesseract reads on the page (sparse text: a form's words stand in boxes and
    columns, not in running paragraphs), with its box and confidence (0-100)."""

    data = tesseract(grey, "--psm 11", settings)
    words = []
    for i, text in enumerate(data["text"]):
        text = typographic(text.strip())
        if not text:
            continue
        line = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        words.append(
            OcrWord(text, float(data["conf"][i]), int(data["left"][i]),
                    int(data["top"][i]), int(data["width"][i]), int(data["height"][i]), line)
        )  # fmt: skip
    return words


def tesseract(grey: np.ndarray, config: str, settings: Settings) -> dict[str, list[Any]]:
    """tesseract's `image_to_data` on a grey image, handed over as an uncompressed bitmap
    (pytesseract would write a PNG: its compression costs a quarter second a page)."""
    import tempfile

    import cv2
    import pytesseract

    from formflow.errors import FormflowError

    with tempfile.TemporaryDirectory(prefix="formflow-ocr-") as folder:
        image = f"{folder}/page.bmp"
        cv2.imwrite(image, grey)
        try:
            data: dict[str, list[Any]] = pytesseract.image_to_data(
                image,
                lang=settings.ocr.language,
                config=config,
                output_type=pytesseract.Output.DICT,
            )
        except pytesseract.TesseractNotFoundError as error:
            raise FormflowError("tesseract is not installed (apt install tesseract-ocr)") from error
        return data


# Characters tesseract does not tell apart at a scan's resolution, each written one way: the
# dash between words is the Danish tankestreg (en dash); a double quote opens as “ and
# closes as ” (Word's quotes).
_DASHES = str.maketrans({"—": "–", "‒": "–", "―": "–"})
_OPENING = '"“”„'


def typographic(text: str) -> str:
    """A word's dashes and double quotes the one way each is written (see above)."""
    text = text.translate(_DASHES)
    if text[:1] in _OPENING and len(text) > 1:
        text = "“" + text[1:]
    if text[-1:] in _OPENING and len(text) > 1:
        text = text[:-1] + "”"
    return text


# --- the page as the layout reader's blocks -------------------------------------------------------


def page_blocks(page: ScanPage, min_confidence: float) -> list[Block]:
    """The page as paragraphs and tables in reading order, as the layout reader makes them
    from a flattened PDF's words and ruling lines."""
    scale = POINTS / page.dpi
    sizes: dict[Word, float] = {}
    words = layout_words(page, min_confidence, sizes) + unread_marks(page, min_confidence)
    edges = ruling_edges(page.image, page.dpi)
    grids = [(table.bbox, table.rows) for table in _without_bands(page, edges)]
    cells, free = place_words(words, grids)
    placed: list[tuple[float, Block]] = []
    for t, (bbox, rows) in enumerate(grids):
        texts = tuple(
            tuple(
                None if cell is None else _cell_text(cells.get((t, r, c), []), cell, sizes)
                for c, cell in enumerate(row.cells)
            )
            for r, row in enumerate(rows)
        )
        placed.append((float(bbox[1]), Table(texts)))
    rulings = sorted(edge["top"] for edge in edges if edge["orientation"] == "h")
    free, title = _without_furniture(free, page.image.shape[0] * scale)
    if title:
        placed.append((-1.0, Para(title, heading=True)))
    placed.extend(free_blocks(free, page.image.shape[1] * scale, rulings))
    placed.sort(key=lambda item: item[0])
    return [block for _, block in placed]


def _without_furniture(words: list[Word], height: float) -> tuple[list[Word], str]:
    """The words without the page's header and footer lines (those with a page number, as
    the layout reader leaves them out), and the text of those lines but their page numbers:
    formflow prints the form's title in its footer, which names the form of a page scanned
    on its own (the last page of an agreement has no title of its own)."""
    from formflow.read.layout import _PAGE_NUMBER, _furniture_word, lines_of

    furniture = [w for w in words if _furniture_word(w, words, height)]
    if not furniture:
        return words, ""
    text = " ".join(" ".join(w.text for w in line) for line in lines_of(furniture))
    title = " ".join(_PAGE_NUMBER.sub(" ", text.replace(UNCERTAIN, "")).split())
    return [w for w in words if w not in furniture], title


def _without_bands(page: ScanPage, edges: list[dict[str, Any]]) -> list[Any]:
    """The ruled tables of the page without their shaded bands: a cell as wide as its table
    whose inside is grey is a heading's bar, which a PDF draws as a filled rectangle (never
    a table's cell: the layout reader leaves filled areas out), so its words are free text."""
    from pdfplumber.table import Table as RuledTable

    tables = []
    for table in ruled_tables(None, edges):
        left, _, right, _ = table.bbox
        cells = [
            cell
            for cell in table.cells
            if not (abs(cell[0] - left) < 2 and abs(cell[2] - right) < 2 and _shaded(page, cell))
        ]
        if cells:
            # a table of the scan's rulings has no pdfplumber page: only its cells are used
            kept = RuledTable(cast(Any, None), cells)
            tables.append(kept if len(cells) < len(table.cells) else table)
    return tables


def _shaded(page: ScanPage, cell: Sequence[float]) -> bool:
    """Whether the inside of `cell` (points) is clearly darker than the paper."""
    import numpy as np

    scale = page.dpi / POINTS
    x0, top, x1, bottom = (round(v * scale) for v in cell)
    inside = page.image[top + 3 : bottom - 2, x0 + 3 : x1 - 2]
    if inside.size == 0:
        return False
    paper = float(np.percentile(page.image, 90))
    return float(np.median(inside)) < paper - 12


def _cell_text(words: Sequence[Word], cell: Sequence[float], sizes: dict[Word, float]) -> str:
    """A cell's words as typed (`cell_text`), where a line set clearly larger or smaller than
    the line above starts a new line whatever its width: a form's small printed label and the
    answer typed under it in the same box are never one wrapped sentence. A line that runs
    into the cell's right side may go on beyond what the box shows (a filler clips what
    does not fit, `_clipped`): its run is not read (UNCERTAIN)."""
    runs: list[list[Word]] = []
    lines = lines_of(words)
    clipped = {id(line[-1]) for line in lines if _clipped(line, cell)}
    for line in lines:
        size = sizes.get(line[0], 0.0)
        previous = sizes.get(runs[-1][0], 0.0) if runs else 0.0
        if runs and previous and size and max(size, previous) / min(size, previous) < 1.3:
            runs[-1].extend(line)
        else:
            runs.append(list(line))
    return "\n".join(
        cell_text(run, cell[0], cell[2]) + (UNCERTAIN if any(id(w) in clipped for w in run) else "")
        for run in runs
    )


def _clipped(line: Sequence[Word], cell: Sequence[float]) -> bool:
    """Whether a line may run on beyond its box: a filler writes a field's text a padding in
    from its box's left side and clips it at the right side, so a clipped line ends closer to
    the right side than it starts from the left. A line that ends at least as far from the
    right side as it starts from the left fitted (a word processor's table wraps before its
    cell's padding: "01.04.2025" snug in a narrow date column)."""
    left, right = line[0].x0 - cell[0], cell[2] - line[-1].x1
    return right < CLIP_PT and right < left - CLIP_MARGIN


def layout_words(
    page: ScanPage, min_confidence: float, sizes: dict[Word, float] | None = None
) -> list[Word]:
    """Tesseract's words as the layout reader's, in points, one em high (the page's usual
    font size, `em_of`), centred on their line. A word's box depends on its letters
    (ascenders, descenders) and OCR knows no fonts, while the layout reader tells lines,
    wraps and headings apart by height and font: with one height, lines and wraps are told
    by position alone, as in a PDF. Only a line set a quarter larger (a heading, as in a
    PDF) or a bold line set larger (a question, whose wrapped lines are spaced by its size)
    keeps its own size. Each word's own line's font size goes into `sizes`, for telling a
    label from the answer under it in one box. A word below `min_confidence` carries
    UNCERTAIN: its letters still match a label, no answer holds it."""
    scale = POINTS / page.dpi
    grouped: dict[tuple[int, int, int], list[OcrWord]] = {}
    for read in page.words:
        grouped.setdefault(read.line, []).append(read)
    lines = sorted(grouped.values(), key=lambda members: min(w.top for w in members))
    ems = [_line_em(members) for members in lines]
    height = statistics.median([em for em in ems if em] or [1.0])
    ink = ink_of(page.image, darker_than=MARK_DARKNESS)
    out: list[Word] = []
    for members, em, bold in zip(lines, ems, _bold_lines(ink, lines, ems), strict=True):
        middle = statistics.median(w.top + w.height / 2 for w in members)
        size = em if em > height * LARGER or (bold and em > height) else height
        top, bottom = (middle - size / 2) * scale, (middle + size / 2) * scale
        for w in members:
            text = w.text if w.confidence >= min_confidence else w.text + UNCERTAIN
            word = Word(text, w.left * scale, (w.left + w.width) * scale, top, bottom,
                        "bold" if bold else "")  # fmt: skip
            out.append(word)
            if sizes is not None:
                sizes[word] = em
    return out


# How far a letter reaches above the baseline and below it, in ems of its font (DejaVu,
# Liberation and Carlito agree within a few hundredths). A word's box is as high as its
# tallest letter and its deepest descender, so "nye" and "lagerstyringssystem" in one font
# differ by a third in height; divided by their letters' reach both are one em.
_ACCENTED_CAPITALS = frozenset("ÅÄÖÜÉÈÁÀÓÒÚÙÍÌÊÂÔ")
_TALL = frozenset("bdfhkltij!?/()[]{}|%&#@§$'\"åäöüéèáàóòúùíìêâô")
_DEEP = {**dict.fromkeys("gjpqy", 0.21), **dict.fromkeys("()[]{}|", 0.13), ",": 0.12, ";": 0.12}
X_HEIGHT, ASCENDER, ACCENT = 0.55, 0.76, 0.92


def em_of(word: OcrWord) -> float:
    """The font size (pixels) the word's box says, by its letters' reach (above); 0 for a
    word of punctuation only, whose box says nothing of its font."""
    if not any(c.isalnum() for c in word.text):
        return 0.0
    top = max(
        ACCENT if c in _ACCENTED_CAPITALS
        else ASCENDER if c.isupper() or c.isdigit() or c in _TALL
        else X_HEIGHT
        for c in word.text
    )  # fmt: skip
    return word.height / (top + max(_DEEP.get(c, 0.0) for c in word.text))


def _line_em(members: Sequence[OcrWord]) -> float:
    """A line's font size (pixels): the median of its words' (`em_of`), 0 if none tells."""
    ems = [em for em in map(em_of, members) if em]
    return float(statistics.median(ems)) if ems else 0.0


def _bold_lines(
    ink: np.ndarray, lines: Sequence[Sequence[OcrWord]], ems: Sequence[float]
) -> list[bool]:
    """Which lines (top to bottom) are set in bold (`_stroke_share`): clearly bold ones, and
    the last line of a wrapped bold line right above it (the same left edge, no gap, the
    line above full: its first word did not fit there) that is nearly as bold (a short line
    measures a little thinner). An answer under a short bold question stays regular."""
    shares = [_stroke_share(ink, members, em) for members, em in zip(lines, ems, strict=True)]
    bold = [share >= BOLD for share in shares]
    right = max((w.left + w.width for members in lines for w in members), default=0)
    for i in range(1, len(lines)):
        above, line, em = lines[i - 1], lines[i], ems[i]
        first = min(line, key=lambda w: w.left)
        gap = min(w.top for w in line) - max(w.top + w.height for w in above)
        full = max(w.left + w.width for w in above) + em * 0.3 + first.width > right
        bold[i] = bold[i] or (
            bold[i - 1]
            and full
            and shares[i] >= BOLD * 0.85
            and abs(first.left - min(w.left for w in above)) <= em
            and gap < em
        )
    return bold


def _stroke_share(ink: np.ndarray, members: Sequence[OcrWord], em: float) -> float:
    """How wide a line's strokes are for its font size: twice the ink's area over its
    outline's length, the median over its words, over the line's em (`em_of`). Regular text
    measures about 0.09-0.13 em at 150-300 dpi, bold 0.14 and more; a line in between reads as
    regular (the layout reader then joins it as text, never takes it for a heading)."""
    import cv2

    widths = []
    for w in members:
        crop = ink[w.top : w.top + w.height, w.left : w.left + w.width]
        outlines, _ = cv2.findContours(crop, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
        outline = sum(len(c) for c in outlines)
        if outline:
            widths.append(2 * int((crop > 0).sum()) / outline)
    return statistics.median(widths) / em if widths and em else 0.0


Box = tuple[int, int, int, int]  # left, top, right, bottom (pixels)


def unread_marks(page: ScanPage, min_confidence: float) -> list[Word]:
    """Ink that no word explains, as one UNCERTAIN word per mark where it lies: the answer it
    stands in is then not found, never read as empty."""
    scale = POINTS / page.dpi
    return [
        Word(UNCERTAIN, left * scale, right * scale, top * scale, bottom * scale)
        for left, top, right, bottom in marks_of(page.image, page.words, page.dpi)
    ]


def marks_of(grey: np.ndarray, words: Sequence[OcrWord], dpi: float) -> list[Box]:
    """Ink that no word explains (handwriting, a drawn signature, a stamp, a lone digit the
    sparse reading passed over), mark by mark. Ruling lines and specks are no marks; each of
    `words` explains its own box. A mark standing on a line (a signature over the signature
    line) spans that line: the caption under the line then belongs to it."""
    import cv2
    import numpy as np

    ink = ink_of(grey, darker_than=MARK_DARKNESS)
    across, down = ruling_masks(grey)
    ink[cv2.dilate(across | down, np.ones((5, 5), np.uint8)) > 0] = 0
    count, _, lines, _ = cv2.connectedComponentsWithStats(across, connectivity=8)
    lines = lines[1:count]
    pad = max(2, round(dpi / 100))
    for w in words:
        top, left = max(0, w.top - pad), max(0, w.left - pad)
        ink[top : w.top + w.height + pad, left : w.left + w.width + pad] = 0
    _without_overhangs(ink, words, pad)
    per_mm = dpi / 25.4
    gap = max(1, round(MARK_GAP_MM * per_mm))
    joined = cv2.dilate(ink, np.ones((gap, gap), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    speck = SPECK_MM * per_mm + gap
    marks = []
    ends = [(w.left + w.width, w.top, w.height) for w in words]
    for left, top, width, height, _area in stats[1:count]:
        # the dilation grew the mark by half the gap on each side
        box = (left + gap // 2, top + gap // 2, left + width - gap // 2, top + height - gap // 2)
        if not ink[box[1] : box[3] + 1, box[0] : box[2] + 1].any():
            continue
        if width >= speck or height >= speck or _trailing(box, ends, per_mm):
            marks.append(_on_its_line(box, lines, per_mm))
    return marks


def _without_overhangs(ink: np.ndarray, words: Sequence[OcrWord], pad: int) -> None:
    """Erase from `ink` what is left of a word's own letters beyond its box: tesseract's box
    may cut a round letter's overhang at a word's ends (the tail of the s in "hos"). Such a
    rest touches the word's padded box and stays within a quarter of the word's height of
    it; a full stop after the word stands apart from it and is kept (`_trailing`)."""
    import cv2

    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    for left, top, width, height, _area in stats[1:count]:
        right, bottom = left + width, top + height
        for w in words:
            side = max(pad, w.height // 4)
            touches = right == w.left - pad or left == w.left + w.width + pad
            inside = (
                w.left - pad - side <= left
                and right <= w.left + w.width + pad + side
                and w.top - pad <= top
                and bottom <= w.top + w.height + pad
            )
            if touches and inside:
                ink[top:bottom, left:right] = 0
                break


def _trailing(box: Box, ends: Sequence[tuple[int, int, int]], per_mm: float) -> bool:
    """A dot right after a word, on its foot: a full stop the reading left off the word
    ("fredagen" for "fredagen."), which makes the word's text incomplete, not a speck. A dot
    is small (under 0.8 mm) and as high as it is wide."""
    width, height = box[2] - box[0] + 1, box[3] - box[1] + 1
    if max(width, height) > 0.8 * per_mm or max(width, height) > 2 * min(width, height):
        return False
    x, y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return any(
        end <= x <= end + size * 0.4 and top + size * 0.7 <= y <= top + size + 2
        for end, top, size in ends
    )


def _on_its_line(box: Box, lines: np.ndarray, per_mm: float) -> Box:
    """`box` widened to the signature line it stands on: the widest horizontal line within
    4 mm under its foot that reaches under its middle and is at most three times as wide (a
    pen's own underline is shorter; a table's ruling under a word written in a cell is far
    wider, and the word stays in its cell), if any."""
    left, top, right, bottom = box
    middle = (left + right) // 2
    under = [
        (int(width), int(x))
        for x, y, width, _height, _area in lines
        if -(bottom - top) / 2 <= y - bottom <= 4 * per_mm
        and x <= middle <= x + width
        and width <= 3 * (right - left + 1)
    ]
    if not under:
        return box
    width, x = max(under)
    return (min(left, x), top, max(right, x + width - 1), bottom)


STRIP_MARGIN = 30  # pixels of paper around and between the crops in a strip


def crops_strip(crops: Sequence[np.ndarray]) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """The crops one under another on white paper (one tesseract run reads them all, each
    on lines of its own), and the pixel rows each of them takes."""
    import numpy as np

    width = max(c.shape[1] for c in crops) + 2 * STRIP_MARGIN
    height = sum(c.shape[0] + STRIP_MARGIN for c in crops) + STRIP_MARGIN
    strip = np.full((height, width), 255, np.uint8)
    rows: list[tuple[int, int]] = []
    y = STRIP_MARGIN
    for crop in crops:
        strip[y : y + crop.shape[0], STRIP_MARGIN : STRIP_MARGIN + crop.shape[1]] = crop
        rows.append((y, y + crop.shape[0]))
        y += crop.shape[0] + STRIP_MARGIN
    return strip, rows


def second_look(grey: np.ndarray, marks: Sequence[Box], settings: Settings) -> list[OcrWord]:
    """The marks read again, each on a line of its own in one strip (one tesseract run, as a
    block of lines): the sparse reading passes over a lone digit in a box (a status 1-4),
    which reads at once by itself. Handwriting stays what it was: unsure, or junk below the
    confidence limit. Each mark's words become one word in the mark's place."""
    if not marks:
        return []
    crops = [grey[top : bottom + 1, left : right + 1] for left, top, right, bottom in marks]
    strip, rows = crops_strip(crops)
    data = tesseract(strip, "--psm 6", settings)
    found: dict[int, list[tuple[str, float]]] = {}
    for i, text in enumerate(data["text"]):
        middle = int(data["top"][i]) + int(data["height"][i]) / 2
        row = next((n for n, (a, b) in enumerate(rows) if a - 5 <= middle <= b + 5), None)
        if text.strip() and row is not None:
            found.setdefault(row, []).append((typographic(text.strip()), float(data["conf"][i])))
    words = []
    for row, read in found.items():
        left, top, right, bottom = marks[row]
        text = " ".join(t for t, _ in read)
        words.append(OcrWord(text, min(c for _, c in read), left, top, right - left + 1,
                             bottom - top + 1, (-1, 0, row)))  # fmt: skip
    return words


# --- what the reading is sure of ------------------------------------------------------------------


def value_confidences(values: dict[str, str], words: Sequence[OcrWord]) -> dict[str, float]:
    """Each non-empty value's confidence: that of its least confident word (0-100)."""
    by_text: dict[str, float] = {}
    for word in words:
        key = word.text.strip(".,;:")
        by_text[key] = min(by_text.get(key, 100.0), word.confidence)
    confidences = {}
    for key, value in values.items():
        tokens = [t.strip(".,;:") for t in value.split()]
        known = [by_text[t] for t in tokens if t in by_text]
        if known:
            confidences[key] = round(min(known), 1)
    return confidences


def unread_places(
    definition: Any, blocks: Sequence[Block], values: dict[str, str], settings: Settings
) -> tuple[str, ...]:
    """The keys whose place the label reader (or a learned form's map) found on the page
    but whose answer it could not read (it held an unsure word, or ink no word explains)."""
    from formflow.forms.learned import learned_places
    from formflow.read.labels import read_answers
    from formflow.read.vocabulary import vocabulary_for

    _, places = read_answers(definition, blocks, vocabulary_for(settings))
    known = places | learned_places(definition.name, blocks, settings)
    return tuple(sorted(key for key in known if key not in values))
