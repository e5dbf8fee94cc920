"""Reading the printed lead labels ("I", "aVR", "V4R", ...) and the other text on an ECG page.

A page names its leads in print, beside or under the start of each trace. Reading
those names beats inferring them from an assumed layout, as long as a wrong name is
never returned: a name comes back only when the whole word reads as a lead name with
a confident score. Steps (:func:`page_text_read`):

0. Pages finer than 8 px/mm are shrunk to it (labels 2-5 mm tall stay 16-40 px), pages
   coarser than 5 px/mm enlarged to 6 (small photos: 2 mm glyphs would touch).
1. Ink: the page's brightest channel, raised by half its colour saturation (dark
   blue or green grids), divided by the local paper brightness (a coloured grid and
   uneven light drop out); glyphs are searched at 6 px/mm. Straight runs over 6 mm
   lighter than the darkest strokes (grey grid lines) are not ink.
2. Glyph candidates: connected ink pieces 1-7.5 mm tall. A trace touching a label
   (labels printed under a trace's start touch it) is one big piece: the flat
   stretches (1.5 mm) and vertical bars (4.5 mm: separator ticks, pulse edges) of
   big pieces are cut away first, so what hangs off a trace becomes a piece of its
   own (the word is then *touched*).
3. Words: pieces side by side on one line (gap under 0.9 x their height) join.
   Three or more narrow bars one above the other are a dashed line, dropped. A word
   is *crossed* when a glyph is much taller than the others or trace that was cut
   away lies inside its middle half.
4. Reading: each word is cropped with only its own glyphs kept (trace and grid
   around whitened) and read by RapidOCR's PP-OCRv6 recogniser (ONNX model inside
   the ``rapidocr`` wheel, no download; CPU, one thread), recognition only: its
   text detector is slower and misses labels that touch a trace. Free-standing and
   label-shaped words are read first, up to :data:`READ_BUDGET`.
5. Names: :func:`lead_name_parse` maps the text (``"AVR"``, ``"Vl"``, ``"ll"``,
   ``"V4 R"``) to a canonical name or ``None``; two or three plain bars of one
   height read as "11" are II or "111" III. A name is kept only when the word is
   not crossed, is no wider than its text, reads with a score of at least
   :data:`MIN_SCORE`, and for a lone "I": is free-standing, not a dash of a line,
   and reads with :data:`MIN_SCORE_SINGLE`; numerals must be as tall as the page's
   lettered labels (aVR, V1, ...) and a lone I in line with one. Words that are not lead names, read
   with some confidence and touch no trace are returned as :class:`TextBox`
   (headers, footers, measurements), for masking; a rejected lead name is neither.

Measured on both page generators and the real photos: docs/digitize.md ("Reading the
printed lead labels"), ``scripts/bench_labels.py``.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import cv2
import numpy as np

from vaescan.data.leads import EXTRA_LEADS, LEADS

LABEL_NAMES: tuple[str, ...] = LEADS + EXTRA_LEADS
"""Every name :func:`labels_read` can return."""

MIN_SCORE = 0.8
"""Recognition score a word needs to be taken as a lead label (0-1)."""

MIN_SCORE_SINGLE = 0.93
"""Score a one-character "I" needs: a lone bar is the label most easily confused with a piece of trace."""

TEXT_MIN_SCORE = 0.8
"""Score a word that is not a lead name needs to be returned as text."""

WORK_PX_PER_MM = 8.0
"""Pages finer than this are read at this resolution (px per mm)."""

MIN_PX_PER_MM = 5.0
"""Pages coarser than this are enlarged to 6 px/mm first (small scans and photos: glyphs of 2 mm that touch)."""

READ_BUDGET = 50.0
"""How much is read per page, in short words (one costs about 10 ms; a word w px wide and h px tall counts
max(1, w / h / 1.33) of them, as the recogniser's time grows with its width): free-standing words go first,
then label-shaped ones, then the tallest."""


@dataclass(frozen=True)
class LeadLabel:
    """A printed lead name: canonical ``name``, ``box`` (x0, y0, x1, y1, image px), ``score`` 0-1, raw ``text``."""

    name: str
    box: tuple[int, int, int, int]
    score: float
    text: str


@dataclass(frozen=True)
class TextBox:
    """Printed text that is not a lead name (header, footer, measurement): ``text``, ``box`` (image px), ``score``."""

    text: str
    box: tuple[int, int, int, int]
    score: float


_ROMAN = {"I": "I", "II": "II", "III": "III"}
_ONE_LIKE = set("Il|!i")   # what OCR makes of a printed capital I (serif or not)
_V_RE = re.compile(r"^V([1-9])(R?)$")
_UNICODE_NUMERALS = str.maketrans({"\u2160": "I", "\u2161": "II", "\u2162": "III"})   # the recogniser writes "Ⅱ"


def lead_name_parse(text: str) -> str | None:
    """The canonical lead name that OCR ``text`` spells, or ``None`` if it is not (only) a lead name.

    Tolerates case (``AVR``, ``avr``), spaces (``V4 R``), a leading "Lead", a trailing
    dot or colon, ``l``/``|`` for the capital I of I, II, III, ``l``/``I``/``i``
    for the digit 1 of V1 and a separator tick read before a name other than I, II,
    III (``| aVR``). Anything else (headers, dates, ``25mm/s``) gives ``None``.

    Example
    -------
    >>> [lead_name_parse(t) for t in ("AVR", "aVl", "Vl", "ll", "I I I", "V4 R", "v7", "|", "I aVF", "25mm/s", "11")]
    ['aVR', 'aVL', 'V1', 'II', 'III', 'V4R', 'V7', 'I', 'aVF', None, None]
    """
    text = text.translate(_UNICODE_NUMERALS)
    key = re.sub(r"\s+", "", text.strip())
    key = re.sub(r"^(?i:lead)", "", key).rstrip(".:")
    rest = key[1:]
    if len(rest) >= 2 and key[0] in _ONE_LIKE and not all(c in _ONE_LIKE for c in rest):
        return lead_name_parse(rest)  # a separator tick printed just before the name: "| aVR", "IaVL", "I V1"
    if not key or len(key) > 4:
        return None
    if all(c in _ONE_LIKE for c in key) and len(key) <= 3:
        parts = re.sub(r"^\s*(?i:lead)", "", text).split()
        if len(parts) > 1 and any(len(part) > 1 for part in parts):
            return None   # "I II": a tick before II, or III? Spaced numerals ("I I I") are spaced evenly
        return _ROMAN["I" * len(key)]
    upper = key.upper()
    if upper in ("AVR", "AVL", "AVF"):
        if key[0] not in "aA" or key[1] not in "vV":
            return None
        return "aV" + upper[2]
    if upper[0] == "V" and len(upper) >= 2:
        digit = key[1]
        if digit in "lIi|":           # V1 read as Vl / VI
            digit = "1"
        m = _V_RE.match("V" + digit + upper[2:])
        if m:
            name = "V" + m.group(1) + m.group(2)
            return name if name in LABEL_NAMES else None
    return None


def labels_read(image: np.ndarray, px_per_mm: float | None = None) -> list[LeadLabel]:
    """The lead labels printed on an RGB page (uint8, H x W x 3), left to right within rows top to bottom.

    ``px_per_mm`` (image px per mm of paper) narrows the glyph sizes looked for; without
    it the page is taken as about 280 mm wide. Only confident readings come back
    (see :mod:`vaescan.digitize.labels`); a label that is not read is simply missing.

    Example
    -------
    >>> from vaescan.pages.render import PageStyle, ecg_render
    >>> from vaescan.data.records import Record
    >>> rec = Record(np.zeros((5000, 12)), 500.0, list(LEADS), name="demo")
    >>> page, _ = ecg_render(rec, PageStyle(dpi=150, footer=False))
    >>> " ".join(label.name for label in labels_read(page, 150 / 25.4))
    'I aVR V1 V4 II aVL V2 V5 III aVF V3 V6 II'
    """
    return page_text_read(image, px_per_mm)[0]


def text_boxes(image: np.ndarray, px_per_mm: float | None = None) -> list[TextBox]:
    """Printed text on an RGB page that is not a lead label (headers, footers, measurements), for masking.

    Example
    -------
    >>> from vaescan.pages.render import PageStyle, ecg_render
    >>> from vaescan.data.records import Record
    >>> rec = Record(np.zeros((5000, 12)), 500.0, list(LEADS), name="demo")
    >>> page, _ = ecg_render(rec, PageStyle(dpi=100))
    >>> any("mm/s" in t.text for t in text_boxes(page, 100 / 25.4))
    True
    """
    return page_text_read(image, px_per_mm)[1]


def page_text_read(image: np.ndarray, px_per_mm: float | None = None) -> tuple[list[LeadLabel], list[TextBox]]:
    """Lead labels and other text of an RGB page in one pass: ``(labels, text)`` (see :func:`labels_read`).

    Example
    -------
    >>> labels, text = page_text_read(np.full((400, 600, 3), 255, np.uint8))
    >>> labels, text
    ([], [])
    """
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.dstack([image] * 3)
    h, w = image.shape[:2]
    ppm = float(px_per_mm) if px_per_mm else max(h, w) / 280.0
    f = min(1.0, WORK_PX_PER_MM / ppm) if ppm >= MIN_PX_PER_MM else 6.0 / ppm
    if f != 1.0:   # labels 2-5 mm tall are 16-40 px at 8 px/mm: plenty for a recogniser that reads at 48 px
        image = cv2.resize(image, (max(1, round(w * f)), max(1, round(h * f))),
                           interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC)
        ppm *= f
    clean = _paper_normalised(image, ppm)
    words = _word_boxes(clean, ppm)
    if not words:
        return [], []
    crops = [_crop(clean, word) for word in words]
    texts, scores = _recognise(crops)
    labels: list[LeadLabel] = []
    other: list[TextBox] = []
    for (box, touched, crossed, _, _, bars, cut), text, score in zip(words, texts, scores):
        name = lead_name_parse(text)
        if bars:   # plain bars: the shapes count the numeral; the recogniser, poor at counting them, must see strokes
            seen = _numeral_count(text)
            sure = seen == 1 and score >= MIN_SCORE_SINGLE if bars == 1 else seen in (2, 3) and score >= 0.5
            if not sure or touched or crossed or _bar_continues(clean, box):
                continue   # a bar touching a trace, a dash of a line, or beside another upright stroke
            labels.append(LeadLabel("I" * bars, box, round(float(score), 4), text))
            continue
        if name is None:
            if score >= TEXT_MIN_SCORE and _is_text(text) and not (touched or cut):   # masking that cuts traces
                other.append(TextBox(text, box, round(float(score), 4)))
            continue
        # a lead name that is not sure is neither a label nor masked as text (a trace may run through it)
        if crossed:
            continue       # a stroke of trace runs through the word: R and F, 1 and 4 are easily confused
        if name == "I" and (touched or _bar_continues(clean, box)):
            continue       # a bar touching a trace, a dash of a line, or beside another bar: never taken for "I"
        if name in ("I", "II", "III") and not _numeral_confirmed(image, ppm, box, name):
            continue       # read again with more room and colour kept, it is not the same numeral
        if name in ("V3", "V4", "V5") and _stroke_after(clean, box):
            continue       # a stroke right after it may be the R of V4R that the word lost (to a grid line)
        if box[2] - box[0] > (box[3] - box[1]) * (0.95 * len(text.strip()) + 0.4):
            continue       # the word is wider than its text: the reading left out part of what is there
        if score >= (MIN_SCORE_SINGLE if name == "I" else MIN_SCORE):
            labels.append(LeadLabel(name, box, round(float(score), 4), text))
    labels = _numerals_in_line(labels)
    if f != 1.0:
        labels = [dataclasses.replace(b, box=_scaled(b.box, 1.0 / f)) for b in labels]
        other = [dataclasses.replace(b, box=_scaled(b.box, 1.0 / f)) for b in other]
    order = lambda b: (round(b.box[1] / (8 * ppm / f)), b.box[0])  # noqa: E731
    return sorted(labels, key=order), sorted(other, key=order)


def _numerals_in_line(labels: list[LeadLabel]) -> list[LeadLabel]:
    """Keep I, II, III only as tall as the page's lettered labels (aVR, V1, ...: within -25 %/+30 % of their
    median height), and a lone I only in line with one of them (top and bottom within a third of its height):
    labels are printed in one size, row by row, and a stray bar or stroke is neither."""
    lettered = [b for b in labels if b.name not in ("I", "II", "III")]
    if not lettered:
        return [b for b in labels if b.name != "I"]
    ref = float(np.median([b.box[3] - b.box[1] for b in lettered]))
    out = []
    for b in labels:
        h = b.box[3] - b.box[1]
        if b.name in ("I", "II", "III"):
            if not 0.75 * ref <= h <= 1.3 * ref:
                continue
            if b.name == "I" and not any(abs(b.box[1] - r.box[1]) <= h / 3 and abs(b.box[3] - r.box[3]) <= h / 3
                                         for r in lettered):
                continue
        out.append(b)
    return out


def _scaled(box: tuple[int, int, int, int], k: float) -> tuple[int, int, int, int]:
    return tuple(int(round(v * k)) for v in box)


def _bar_continues(clean: np.ndarray, box: tuple[int, int, int, int]) -> bool:
    """A lone bar is not alone: ink continues it straight up or down within 0.8 x its height (a dashed line, a
    tick), or another upright stroke half its height stands within 0.8 x its height beside it (the other bar
    of a II whose second bar was lost to a trace)."""
    x0, y0, x1, y1 = box
    h = y1 - y0
    reach = max(2, int(round(0.8 * h)))
    cols = slice(max(0, x0 - 1), x1 + 1)
    rows = slice(y0 + h // 10, y1 - h // 10)
    parts = ((clean[max(0, y0 - reach):max(0, y0 - 1), cols], 0.3),
             (clean[y1 + 1:y1 + reach, cols], 0.3),
             (clean[rows, max(0, x0 - reach):max(0, x0 - 1)], 0.5),
             (clean[rows, x1 + 1:x1 + reach], 0.5))
    level = _ink_level(clean, box)
    return any(part.size and _longest_upright_run(part < level) >= share * h for part, share in parts)


def _stroke_after(clean: np.ndarray, box: tuple[int, int, int, int]) -> bool:
    """An upright stroke (a third of the word's height or more) within 0.6 x its height after the word."""
    x0, y0, x1, y1 = box
    h = y1 - y0
    part = clean[y0 + h // 4:y1, x1 + 1:x1 + 1 + max(2, int(round(0.6 * h)))]
    return bool(part.size) and _longest_upright_run(part < _ink_level(clean, box)) >= h / 3


def _ink_level(clean: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """Grey level half-way from a word's darkest ink (5th percentile in its box) to the paper (255)."""
    x0, y0, x1, y1 = box
    own = clean[y0:y1, x0:x1]
    return 0.5 * (float(np.percentile(own, 5)) + 255.0) if own.size else 140.0


def _longest_upright_run(ink: np.ndarray) -> int:
    """Longest run of inked pixels down any one column of a boolean patch (px)."""
    runs = np.zeros(ink.shape[1], int)
    best = 0
    for row in ink:
        runs = (runs + 1) * row
        best = max(best, int(runs.max()))
    return best


def _is_text(text: str) -> bool:
    """Worth masking as text: two or more letters or digits (one stray character is more likely trace)."""
    return sum(c.isalnum() for c in text) >= 2


def _paper_normalised(image: np.ndarray, ppm: float, chroma: float = 0.5) -> np.ndarray:
    """Grey page (uint8), paper white, coloured grids gone: the brightest channel (raised by ``chroma`` x the
    colour saturation, for dark blue or green grids) over the local paper level."""
    hi = image.max(axis=2).astype(np.float32)
    v = np.minimum(hi + chroma * (hi - image.min(axis=2)), 255).astype(np.uint8)
    k = max(3, int(round(3.0 * ppm)) | 1)
    small = max(1, int(ppm // 2))
    vs = v[::small, ::small] if small > 1 else v
    ks = max(3, (k // small) | 1)
    bg = cv2.dilate(vs, cv2.getStructuringElement(cv2.MORPH_RECT, (ks, ks)))
    bg = cv2.blur(bg, (ks, ks))
    if small > 1:
        bg = cv2.resize(bg, (v.shape[1], v.shape[0]), interpolation=cv2.INTER_LINEAR)
    out = np.clip(255.0 * v.astype(np.float32) / np.maximum(bg.astype(np.float32), 1.0), 0, 255)
    return out.astype(np.uint8)


def _numeral_count(text: str) -> int | None:
    """How many strokes a reading has ("11" and "Il" are 2), or None if it is not only strokes."""
    key = text.translate(_UNICODE_NUMERALS).replace(" ", "")
    return len(key) if key and all(c in "1Il|!i" for c in key) else None


def _numeral_confirmed(image: np.ndarray, ppm: float, box: tuple[int, int, int, int], name: str) -> bool:
    """I, II, III read again from a crop 0.8 x its height wider on each side, colour kept (a bar printed in a
    colour fringe is not lost): the same name, or the word was part of a longer one (II missing a bar)."""
    x0, y0, x1, y1 = box
    h = y1 - y0
    m = max(2, int(round(0.8 * h)))
    H, W = image.shape[:2]
    ya, yb, xa, xb = max(0, y0 - h // 4), min(H, y1 + h // 4), max(0, x0 - m), min(W, x1 + m)
    part = _paper_normalised(image[ya:yb, xa:xb], ppm, chroma=0.0)
    texts, scores = _recognise([cv2.cvtColor(_padded(part), cv2.COLOR_GRAY2BGR)])
    return lead_name_parse(texts[0]) == name


class _Word(NamedTuple):
    """A candidate word: ``box`` (x0, y0, x1, y1, image px); ``touched``: it hangs off a bigger piece of ink (a
    trace), as labels printed under a trace's start do; ``crossed``: a trace runs through it, or one glyph is
    much taller than the others."""

    box: tuple[int, int, int, int]
    touched: bool
    crossed: bool
    crop: tuple[int, int, int, int]   # the box with a margin of a quarter of its height, clipped to the page
    ink: np.ndarray                    # the word's own glyphs within ``crop`` (bool, at the search resolution)
    bars: int                          # 1-3 when the word is that many plain bars of one height, else 0
    cut: bool                          # trace cut away lies inside the word's middle half


def _word_boxes(clean: np.ndarray, ppm: float) -> list[_Word]:
    """Candidate words grouped from glyph-sized ink pieces along a line, most promising first."""
    scale = min(1.0, 6.0 / ppm)        # find glyphs at about 6 px/mm
    g = cv2.resize(clean, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else clean
    s = ppm * scale
    inv = 255 - g
    long_ = max(3, int(round(6.0 * s)))
    lines = np.maximum(cv2.morphologyEx(inv, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (long_, 1))),
                       cv2.morphologyEx(inv, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, long_))))
    dark = float(np.percentile(inv, 99.7))      # the darkness of strokes (trace and text)
    darkest = float(np.percentile(inv, 99.95))  # of the darkest (text; a coloured trace may be paler)
    # grid lines: straight runs over 6 mm, lighter than the darkest strokes (a trace's flat stretch stays ink)
    grid = (lines.astype(np.float32) > 0.5 * inv) & (inv < 0.75 * darkest)
    ink = ((inv > max(60.0, 0.45 * dark, 0.32 * darkest)) & ~grid).astype(np.uint8)
    n, lab, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    # big pieces (traces): cut away their flat stretches so what hangs off them stands alone
    big = np.flatnonzero((stats[1:, cv2.CC_STAT_WIDTH] > 10 * s) | (stats[1:, cv2.CC_STAT_HEIGHT] > 8 * s)) + 1
    in_big = np.zeros_like(ink)
    cut = np.zeros_like(ink)
    if big.size:
        is_big = np.zeros(n, bool)
        is_big[big] = True
        in_big = is_big[lab].astype(np.uint8)
        flat_k = max(3, int(round(1.5 * s)))
        flat = cv2.morphologyEx(in_big, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (flat_k, 1)))
        flat = cv2.dilate(flat, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 3)))
        bar_k = max(3, int(round(4.5 * s)))   # separator ticks (a label's glyph can hang off one)
        flat |= cv2.morphologyEx(in_big, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, bar_k)))
        cut = in_big & flat
        n, lab, stats, _ = cv2.connectedComponentsWithStats(ink & (1 - flat), connectivity=8)
    touched_piece = np.zeros(n, bool)
    touched_piece[np.unique(lab[in_big > 0])] = True
    x, y, bw, bh, area = (stats[1:, i] for i in range(5))
    glyph = (bh >= 1.0 * s) & (bh <= 7.5 * s) & (bw <= 12 * s) & (area >= 0.15 * s * s)
    idx = np.flatnonzero(glyph)     # dots and colons are left out: no lead name has one
    pieces = sorted((int(x[i]), int(y[i]), int(x[i] + bw[i]), int(y[i] + bh[i]), bool(touched_piece[i + 1]),
                     int(i + 1)) for i in idx)
    words: list[list] = []
    active: list[list] = []          # words that may still grow (pieces come left to right)
    for x0, y0, x1, y1, touched, piece in pieces:
        best = None
        active = [wd for wd in active if wd[2] >= x0 - 7 * s]
        for wd in active:
            wx0, wy0, wx1, wy1 = wd[:4]
            hh = wy1 - wy0
            gap = x0 - wx1
            overlap = min(y1, wy1) - max(y0, wy0)
            if -0.2 * hh <= gap <= 0.9 * max(hh, y1 - y0) and overlap >= 0.5 * min(hh, y1 - y0):
                best = wd
                break
        if best is None:
            words.append([x0, y0, x1, y1, [y1 - y0], touched, [piece], [x1 - x0]])
            active.append(words[-1])
            continue
        best[0], best[1], best[2], best[3] = min(best[0], x0), min(best[1], y0), max(best[2], x1), max(best[3], y1)
        best[4].append(y1 - y0)
        best[5] |= touched
        best[6].append(piece)
        best[7].append(x1 - x0)
    out = []
    H, W = clean.shape
    for wx0, wy0, wx1, wy1, heights, touched, ids, widths in words:
        n_glyphs = len(heights)
        hh, ww = wy1 - wy0, wx1 - wx0
        if hh < 1.2 * s or hh > 7.5 * s or ww > 60 * s or ww > 25 * hh:
            continue
        if touched and n_glyphs == 1 and ww < 0.5 * hh:
            continue   # a lone bar off a trace: most often a QRS stroke, never taken for "I"
        # trace runs through the word: trace cut away inside its middle half; or a glyph much taller than the
        # others (a lead name's glyphs are of one height, "a" a little lower; text has ascenders and "/")
        crossed = bool(cut[wy0 + int(0.25 * hh):wy1 - int(0.25 * hh), wx0:wx1].any())
        uneven = n_glyphs >= 2 and max(heights) > 1.2 * float(np.median(heights)) + 1
        box = tuple(int(round(v / scale)) for v in (wx0, wy0, wx1, wy1))
        m = max(2, int(round(0.25 * (box[3] - box[1]))))
        crop = (max(0, box[0] - m), max(0, box[1] - m), min(W, box[2] + m), min(H, box[3] + m))
        rows = slice(int(crop[1] * scale), int(np.ceil(crop[3] * scale)))
        region = lab[rows, int(crop[0] * scale):int(np.ceil(crop[2] * scale))]
        # two or three plain bars of one height: the numerals II and III of a sans-serif font (OCR may say "11")
        bars = n_glyphs <= 3 and max(widths) <= 0.3 * min(heights) and max(heights) <= 1.15 * min(heights)
        out.append(_Word(box, bool(touched), bool(crossed or uneven), crop, np.isin(region, ids),
                         n_glyphs if bars else 0, crossed))
    out = _without_dashes(out, ppm)
    out.sort(key=lambda b: (b.touched, (b.box[2] - b.box[0]) > 5 * (b.box[3] - b.box[1]), -(b.box[3] - b.box[1])))
    cost = np.cumsum([max(1.0, (b.box[2] - b.box[0]) / (b.box[3] - b.box[1]) / 1.33) for b in out])
    return out[:int(np.searchsorted(cost, READ_BUDGET, side="right"))]


def _without_dashes(words: list[_Word], ppm: float) -> list[_Word]:
    """Drop the dashes of dashed lines: three or more narrow bars one above the other (x within 1 mm)."""
    bars = [w for w in words if (w.box[2] - w.box[0]) < 0.5 * (w.box[3] - w.box[1])]
    xs = np.array([0.5 * (w.box[0] + w.box[2]) for w in bars])
    dashes = {id(w) for w, x in zip(bars, xs) if np.count_nonzero(np.abs(xs - x) <= 1.0 * ppm) >= 3}
    return [w for w in words if id(w) not in dashes]


def _crop(clean: np.ndarray, word: _Word) -> np.ndarray:
    """The word's grey crop, its own glyphs only (trace and grid around them whitened), 3-channel for the
    recogniser."""
    x0, y0, x1, y1 = word.crop
    c = clean[y0:y1, x0:x1].copy()
    if word.ink.size and c.size:
        keep = cv2.resize(word.ink.astype(np.uint8), (c.shape[1], c.shape[0]), interpolation=cv2.INTER_NEAREST)
        grow = max(3, int(round(2 * c.shape[0] / max(word.ink.shape[0], 1))) | 1)
        keep = cv2.dilate(keep, np.ones((grow, grow), np.uint8))
        c[keep == 0] = 255
    return cv2.cvtColor(_padded(c), cv2.COLOR_GRAY2BGR)


def _padded(c: np.ndarray) -> np.ndarray:
    """White margins up to the recogniser's 4:3 input (it would pad a narrow word with mid-grey)."""
    h, w = c.shape[:2]
    extra = int(np.ceil(1.4 * h)) - w
    if extra <= 0:
        return c
    return cv2.copyMakeBorder(c, 0, 0, extra // 2, extra - extra // 2, cv2.BORDER_CONSTANT, value=255)


def _recognise(crops: list[np.ndarray]) -> tuple[list[str], list[float]]:
    """Text and score of each crop (RapidOCR recognition only)."""
    out = _engine().recognize_txt(crops)
    return [str(t) for t in out.txts], [float(s) for s in out.scores]


@lru_cache(maxsize=1)
def _engine():
    """RapidOCR with its shipped PP-OCRv6 models on one CPU thread (loaded once, about 1 s)."""
    import logging

    from rapidocr import RapidOCR

    engine = RapidOCR(params={
        "Global.log_level": "error",
        "Global.use_cls": False,
        "Rec.rec_img_shape": [3, 48, 64],     # pad short words to 64 px, not 320: 4x faster
        "EngineConfig.onnxruntime.intra_op_num_threads": 1,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    })
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    return engine
