"""Register a scanned page to the blank form's page, so every box of the form is a known place.

The scan and the blank are greyscale numpy arrays at the same resolution (the blank rendered at
the scan's dpi). OpenCV's ECC (`cv2.findTransformECC`, a Euclidean motion: the turn and shift of
a sheet on the scanner glass) runs first on small copies of both, upright and upside down (the
better one wins). Then it is refined twice at a finer scale on a cleaned copy of the scan: what
the person added (typed answers, pen strokes) is whitened, so only the form's own print is
matched; drawn signatures otherwise pull a page with little print a few pixels off. ORB feature
matching is the fallback when ECC fails; it also finds the few per cent that a print "fit to
page" shrinks (a similarity, refined by an affine ECC).

An answer is accepted only when the blank's print (labels, frames, headings) is found in the
registered scan at the very same pixels; otherwise `register` returns None: a page that cannot
be registered is never guessed onto the form.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

COARSE_WIDTH = 480  # pixels: ECC's first pass, fast and wide-reaching
FINE_WIDTH = 700  # pixels: the refinement (about 85 dpi for A4); sub-pixel at full size
COARSE_ITERATIONS, FINE_ITERATIONS = 60, 20
UPRIGHT_CORRELATION = 0.5  # coarse ECC upright at least this (0.75-0.85 seen): skip upside down
ECC_EPS = 1e-4  # ECC stops when the correlation gains less than this
ADDED_DISTANCE = 4  # pixels: ink farther than this from the blank's print was added by hand
MIN_QUALITY = 0.9  # share of the blank's print that must be found in the registered scan
CORE = 0.6  # of the blank's Otsu threshold: its print's dark cores, which every scan keeps
ORB_WIDTH, ORB_FEATURES = 1000, 2000  # pixels, features: ORB's corners of letters and frames
MIN_MATCHES = 12  # ORB matches (and RANSAC inliers) below which features place nothing
PAPER = 255


@dataclass(frozen=True, eq=False)
class Registration:
    """A scan registered to a blank page.

    `matrix` (2x3) maps the blank's pixels to the scan's; `image` is the scan turned onto the
    blank's pixels (same shape as the blank); `quality` is the share of the blank's print found
    in `image` at the same pixels (1.0: every label and frame line in place); `method` is
    "ecc" or "orb".
    """

    matrix: np.ndarray
    image: np.ndarray
    quality: float
    method: str

    def to_scan(self, x: float, y: float) -> tuple[float, float]:
        """A point of the blank in the scan's pixels."""
        u, v = self.matrix @ np.array([x, y, 1.0])
        return float(u), float(v)


def greyscale(image: np.ndarray) -> np.ndarray:
    """An 8-bit single-channel copy of a greyscale or RGB(A) image."""
    if image.ndim == 2:
        return image.astype(np.uint8, copy=False)
    code = cv2.COLOR_RGBA2GRAY if image.shape[2] == 4 else cv2.COLOR_RGB2GRAY
    return cv2.cvtColor(image.astype(np.uint8, copy=False), code)


def register(
    scan: np.ndarray, blank: np.ndarray, min_quality: float = MIN_QUALITY
) -> Registration | None:
    """The scan registered onto the blank page, or None when it cannot be placed for certain."""
    scan, blank = greyscale(scan), greyscale(blank)
    for method, find in (("ecc", _ecc), ("orb", _orb)):
        matrix = find(scan, blank)
        if matrix is None:
            continue
        image = warp_to_blank(scan, matrix, blank.shape)
        quality = print_found(blank, image)
        if quality >= min_quality:
            return Registration(matrix, image, quality, method)
    return None


def warp_to_blank(scan: np.ndarray, matrix: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The scan resampled onto the blank's pixels (outside the scan: white paper)."""
    height, width = shape[:2]
    return cv2.warpAffine(
        scan,
        matrix,
        (width, height),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=PAPER,
    )


def print_found(blank: np.ndarray, registered: np.ndarray) -> float:
    """The share of the blank's print (its dark cores) that is dark in the registered scan.

    Filling in a form only adds ink, so on a well registered scan nearly all of the blank's
    print is found (0.99 and more); two pixels off finds about 0.85, a wrong page 0.2.
    """
    blank_ink = ink_mask(blank, CORE)
    total = int(np.count_nonzero(blank_ink))
    if total == 0:
        return 0.0
    return int(np.count_nonzero(ink_mask(registered)[blank_ink])) / total


def ink_mask(image: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """Dark pixels by Otsu's threshold over the whole page (print and ink against paper);
    `strength` below 1 keeps only the darker cores of the strokes."""
    threshold, _ = cv2.threshold(image, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return image <= threshold * strength  # as OpenCV splits: above the threshold is paper


def without_print(registered: np.ndarray, blank: np.ndarray, distance: int = 2) -> np.ndarray:
    """The registered scan with the blank's own print (labels, frames, headings) whitened,
    `distance` pixels around it too: what is left is what the person added (typed answers, pen
    strokes). OCR of an answer box then reads no frame as junk text."""
    cleaned = registered.copy()
    cleaned[_near_print(greyscale(blank), distance)] = PAPER
    return cleaned


def _near_print(blank: np.ndarray, distance: int) -> np.ndarray:
    """The pixels within `distance` of the blank's print."""
    kernel = np.ones((2 * distance + 1, 2 * distance + 1), np.uint8)
    return cv2.dilate(ink_mask(blank).astype(np.uint8), kernel).astype(bool)


# --- ECC


def _ecc(scan: np.ndarray, blank: np.ndarray) -> np.ndarray | None:
    """ECC coarse (upright and upside down: the better one), then refined; None if it fails.

    ECC keeps its turn within a quarter turn, so the upside-down try registers the scan turned
    over by numpy (exactly) and composes that half turn into the answer.
    """
    coarse = COARSE_WIDTH / blank.shape[1]
    small_blank = _scaled(blank, coarse)
    found = []
    for turned in (False, True):
        small_scan = _scaled(np.rot90(scan, 2) if turned else scan, coarse)
        result = _ecc_step(small_blank, small_scan, _identity(), COARSE_ITERATIONS)
        if result is not None:
            found.append((result[0], turned, result[1]))
        if result is not None and result[0] >= UPRIGHT_CORRELATION:
            break  # clearly upright: a page that is also upside down does not exist
    if not found:
        return None
    _, turned, best = max(found, key=lambda one: one[0])
    upright = np.ascontiguousarray(np.rot90(scan, 2)) if turned else scan
    matrix = _refined(upright, blank, _rescaled(best, 1 / coarse), cv2.MOTION_EUCLIDEAN)
    if matrix is None:
        return None
    return _compose(_half_turn(scan.shape), matrix) if turned else matrix


def _refined(
    scan: np.ndarray, blank: np.ndarray, matrix: np.ndarray, motion: int
) -> np.ndarray | None:
    """The matrix corrected twice by ECC on the scan without what the person added."""
    fine = min(1.0, FINE_WIDTH / blank.shape[1])
    small_blank = _scaled(blank, fine)
    near_print = _near_print(blank, ADDED_DISTANCE)
    for _ in range(2):
        registered = warp_to_blank(scan, matrix, blank.shape)
        registered[ink_mask(registered) & ~near_print] = PAPER
        result = _ecc_step(
            small_blank, _scaled(registered, fine), _identity(), FINE_ITERATIONS, motion
        )
        if result is None:
            return None
        matrix = _compose(matrix, _rescaled(result[1], 1 / fine))
    return matrix


def _ecc_step(
    template: np.ndarray,
    image: np.ndarray,
    start: np.ndarray,
    iterations: int,
    motion: int = cv2.MOTION_EUCLIDEAN,
) -> tuple[float, np.ndarray] | None:
    """One ECC run: (correlation, template-to-image matrix), or None when it diverges."""
    warp = start.astype(np.float32).copy()
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, iterations, ECC_EPS)
    try:  # both images smoothed by a 5x5 Gaussian (OpenCV's default)
        correlation, found = cv2.findTransformECC(template, image, warp, motion, criteria, None)
    except cv2.error:  # "The algorithm stopped before its convergence": no answer
        return None
    return float(correlation), np.asarray(found, dtype=np.float64)


def _scaled(image: np.ndarray, factor: float) -> np.ndarray:
    if factor == 1.0:
        return image
    size = (round(image.shape[1] * factor), round(image.shape[0] * factor))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def _rescaled(matrix: np.ndarray, factor: float) -> np.ndarray:
    """The blank-to-scan matrix for both images `factor` times as large.

    Resizing maps a pixel centre p to factor * p + d with d = (factor - 1) / 2, so the shift
    becomes factor * t + (I - A) d; without the d term an upside-down page lands a pixel off.
    """
    turn = matrix[:, :2].astype(np.float64)
    offset = np.full(2, (factor - 1) / 2)
    shift = factor * matrix[:, 2] + (np.eye(2) - turn) @ offset
    return np.column_stack([turn, shift])


def _compose(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """The 2x3 map `outer` after `inner`."""
    return (np.vstack([outer, [0, 0, 1]]) @ np.vstack([inner, [0, 0, 1]]))[:2]


def _identity() -> np.ndarray:
    return np.eye(2, 3, dtype=np.float64)


def _half_turn(shape: tuple[int, ...]) -> np.ndarray:
    """The 2x3 map of a pixel to where it lies in the image turned upside down."""
    height, width = shape[:2]
    return np.array([[-1.0, 0.0, width - 1.0], [0.0, -1.0, height - 1.0]])


# --- ORB (fallback)


def _orb(scan: np.ndarray, blank: np.ndarray) -> np.ndarray | None:
    """A turn, shift and scale from matched ORB features (RANSAC), refined by affine ECC."""
    fine = min(1.0, ORB_WIDTH / blank.shape[1])
    small_scan, small_blank = _scaled(scan, fine), _scaled(blank, fine)
    orb = cv2.ORB.create(nfeatures=ORB_FEATURES)
    blank_points, blank_features = orb.detectAndCompute(small_blank, None)
    scan_points, scan_features = orb.detectAndCompute(small_scan, None)
    if blank_features is None or scan_features is None:
        return None
    matches = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True).match(blank_features, scan_features)
    if len(matches) < MIN_MATCHES:
        return None
    source = np.array([blank_points[m.queryIdx].pt for m in matches], np.float32)
    target = np.array([scan_points[m.trainIdx].pt for m in matches], np.float32)
    matrix, inliers = cv2.estimateAffinePartial2D(
        source, target, method=cv2.RANSAC, ransacReprojThreshold=2.0
    )
    if matrix is None or int(inliers.sum()) < MIN_MATCHES:
        return None
    return _refined(scan, blank, _rescaled(matrix, 1 / fine), cv2.MOTION_AFFINE)
