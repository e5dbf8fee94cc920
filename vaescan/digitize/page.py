"""Reading a rectified page's structure: trace rows, calibration pulses, where time 0 is, the layout.

- :func:`find_rows`: trace rows are long, nearly continuous horizontal structures;
  text is broken by spaces. A row's strength at height y is the longest stretch of
  columns (mm) inked within 2.5 mm of y; rows are the peaks of that profile that hold a
  stroke larger than a glyph (text is not a row) and form an evenly spaced ladder (a header,
  footer or QR code above or below it is not a row).
- :func:`find_pulse`: a calibration pulse is a flat plateau 2.5 mm or more above
  the row's base with vertical edges down to it, at either end of a row. Its
  height is 1 mV (the voltage scale) and its foot is 0 mV (the baseline).
- :func:`trace_extent`: the stretch of columns a row's trace covers.
- :func:`time_origin`: every row of a clinical layout starts at t = 0 at the same
  x. The start of a row's trace (where no pulse is in the way) or its end minus
  the shown duration gives it; the median over rows is used.
- :func:`infer_layout`: from the number of rows, and for rhythm strips and
  6-row pages from the signals themselves: a rhythm strip repeats, sample for
  sample, one panel of the grid above it (the same lead at the same time).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from scipy.signal import find_peaks

from vaescan.digitize.runs import Path, true_stretches
from vaescan.digitize.strips import StripMatch, strip_matches
from vaescan.pages.layout import layout_name

ROW_MIN_MM = 12.0
"""Trace rows are at least this far apart (12 rows on a 180 mm grid are 15 mm apart)."""

GLYPH_MAX_MM = 8.0
"""A row whose every stroke is shorter and lower than this (mm) is text: glyphs, not a trace."""

LADDER_SPREAD = 1.75
"""A first or last row further than this many typical gaps from the next is not a trace row (:func:`rows_ladder`)."""

CAP_REACH = 0.85
"""Where a trace's end sample lies inside the outer edge of its ink, in pen radii: a round tip reaches one
radius beyond it, a little less in the darkest pixel row of a pixel-sampled cap: measured 0.87 radii (median
over the row ends of the clean pages of ``digitize-eval --seed 0 --noiseless``, all four style families)."""


def find_rows(mask: np.ndarray, px_per_mm: float, min_mm: float = 40.0) -> list[float]:
    """Baseline rows (px) of the trace rows in a rectified trace mask, top to bottom.

    Example
    -------
    >>> m = np.zeros((400, 1200), bool)
    >>> m[100, 50:1150] = True; m[300, 60:1100] = True      # two traces
    >>> m[200, 100:1100:40] = True                            # dotted text-like specks
    >>> find_rows(m, 4.0)                                     # within a px of the traces
    [100.5, 300.5]
    """
    f = max(1, int(px_per_mm // 2))  # work at about 2 px per mm
    small = cv2.resize(mask.astype(np.uint8), (max(1, mask.shape[1] // f), max(1, mask.shape[0] // f)),
                       interpolation=cv2.INTER_AREA) > 0
    r = px_per_mm / f
    reach = max(1, int(round(2.5 * r)))
    band = cv2.dilate(small.astype(np.uint8), np.ones((2 * reach + 1, 1), np.uint8))
    close = max(1, int(round(1.0 * r)))
    band = cv2.morphologyEx(band, cv2.MORPH_CLOSE, np.ones((1, 2 * close + 1), np.uint8)) > 0
    longest = band.sum(axis=1) / r  # mm of the row covered (panels may be drawn apart)
    if longest.size == 0 or longest.max() < min_mm:
        return []
    smooth = np.convolve(longest, np.ones(3) / 3, mode="same")
    peaks, _ = find_peaks(smooth, height=max(min_mm, 0.35 * smooth.max()), distance=max(1, int(ROW_MIN_MM * r)))
    # text (a header, a footer, measurements) is a row of glyphs a few mm wide and high; a trace row holds at
    # least one stroke longer or taller than any glyph (a QRS complex, a stretch of trace), even where the
    # trace is broken into pieces
    n, labels, stats, _ = cv2.connectedComponentsWithStats(small.astype(np.uint8), connectivity=8)
    top, height, width = stats[1:, cv2.CC_STAT_TOP], stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_WIDTH]
    size = np.maximum(width, height) / r
    peaks = [p for p in peaks if size[(top <= p + reach) & (top + height > p - reach)].max(initial=0) >= GLYPH_MAX_MM]
    rows = []
    for p in peaks:  # the middle of the plateau at the peak
        level = smooth[p]
        a = p
        while a > 0 and smooth[a - 1] >= level - 1e-9:
            a -= 1
        b = p
        while b < len(smooth) - 1 and smooth[b + 1] >= level - 1e-9:
            b += 1
        rows.append(((a + b) / 2 + 0.5) * f - 0.5)
    return [float(round(y, 1)) for y in rows_ladder(rows)]


def rows_ladder(rows: list[float], spread: float = LADDER_SPREAD) -> list[float]:
    """The rows that form the page's ladder of trace rows: the first or last row is dropped (repeatedly)
    while its gap to the next is more than ``spread`` times the median gap of the others.

    Printers space trace rows evenly; a header, a footer, a QR code or a shadow found as a "row"
    sits far above or below them.

    Example
    -------
    >>> rows_ladder([40.0, 700.0, 980.0, 1260.0, 1520.0])       # a header at the top
    [700.0, 980.0, 1260.0, 1520.0]
    """
    rows = sorted(rows)
    while len(rows) > 3:
        gaps = np.diff(rows)
        if gaps[0] > spread * np.median(gaps[1:]):
            rows = rows[1:]
        elif gaps[-1] > spread * np.median(gaps[:-1]):
            rows = rows[:-1]
        else:
            break
    return rows


@dataclass
class Pulse:
    """A calibration pulse: its side, rising and falling edge x (px), foot (0 mV) and top (1 mV) y (px)."""

    side: str
    x_rise: float
    x_fall: float
    base_px: float
    top_px: float

    @property
    def height_px(self) -> float:
        """Pulse height in px: 1 mV."""
        return self.base_px - self.top_px


def find_pulse(path: Path, side: str, extent: tuple[int, int], px_per_mm: float, width_px: float,
               search_mm: float = 16.0) -> Pulse | None:
    """Look for a calibration pulse at one end (``left``/``right``) of a row's trace.

    The pulse is a plateau 1.5-12 mm long whose centre line moves at most 0.5 mm from
    column to column and 1 mm in all (a wrinkle may bend it), with vertical edges (runs
    reaching at least 2.5 mm below it) within 1 mm of each end. One edge may be stepped
    over by the path instead (the trace resumes 2.5 mm or more below within 1 mm): a
    heavy pen's edge is broken at every grid line where the grid's residue is removed.
    Its foot (0 mV) is where the outer edge, the one away from the trace, ends, less half
    the plateau's thickness, or a flat lead-in line 0.5-1.5 mm outside it where that is
    lower (a broken outer edge ends short of the foot).
    """
    r = px_per_mm
    xa, xb = extent
    lo_x = (xa - int(6 * r)) if side == "left" else (xb - int(search_mm * r))
    hi_x = (xa + int(search_mm * r)) if side == "left" else (xb + int(6 * r))
    a, b = max(0, lo_x - path.x0), min(len(path.centre), hi_x - path.x0)
    if b - a < 3 * r:
        return None
    top, bot, mid = path.top[a:b], path.bot[a:b], path.centre[a:b]
    ok = np.isfinite(mid)
    if ok.sum() < 3 * r:
        return None
    length = bot - top + 1
    flat = ok & (length <= 2.0 * width_px + 1)
    # short gaps in the plateau (a grid line's residue subtracted under a heavy pen) are bridged
    gap = max(2, int(round(0.5 * r)))
    # a plateau may bend (a wrinkle under it): 0.5 mm from column to column, 1 mm in all
    step, bend = 0.5 * r, 1.0 * r
    mid, flat, length = mid.copy(), flat.copy(), length.copy()
    idx = np.flatnonzero(flat)
    for k0, k1 in zip(idx[:-1], idx[1:]):
        if 1 < k1 - k0 <= gap + 1 and not ok[k0 + 1:k1].any() and abs(mid[k1] - mid[k0]) <= step:
            mid[k0 + 1:k1] = 0.5 * (mid[k0] + mid[k1])
            length[k0 + 1:k1] = length[k0]
            flat[k0 + 1:k1] = True
    # plateau candidates: runs of flat columns at one level
    best = None
    i = 0
    n = len(mid)
    while i < n:
        if not flat[i]:
            i += 1
            continue
        j = i
        lo = hi = mid[i]
        while j + 1 < n and flat[j + 1] and abs(mid[j + 1] - mid[j]) <= step \
                and max(hi, mid[j + 1]) - min(lo, mid[j + 1]) <= bend:
            j += 1
            lo, hi = min(lo, mid[j]), max(hi, mid[j])
        run_mm = (j - i + 1) / r
        if 1.5 <= run_mm <= 12.0:
            level = float(np.median(mid[i:j + 1]))
            edges, drawn = [], []
            for k0, k1 in ((max(0, i - int(r) - 1), i), (j + 1, min(n, j + int(r) + 2))):
                seg = slice(k0, k1)
                # an edge: runs hanging from the plateau's level at least 2.5 mm down
                tall = ok[seg] & (bot[seg] - level >= 2.5 * r) & (top[seg] <= level + 1.0 * r)
                # (its lowest reach: columns at the corner, half plateau and half edge, end higher)
                if tall.any():
                    edges.append(float(np.max(bot[seg][tall])))
                    drawn.append(True)
                    continue
                # an edge the path stepped over (a heavy pen's edge broken at every grid line):
                # the trace resumes 2.5 mm or more below the plateau within 1 mm
                low = ok[seg] & (mid[seg] - level >= 2.5 * r)
                edges.append(float(np.max(bot[seg][low])) if low.any() else None)
                drawn.append(False)
            if edges[0] is not None and edges[1] is not None and any(drawn):
                # the foot is where the outer edge (away from the trace) ends, less half the line
                outer = edges[0] if side == "left" else edges[1]
                half = (float(np.median(length[i:j + 1])) - 1) / 2
                # a broken outer edge ends short of the foot: a flat lead-in line 0.5-1.5 mm outside
                # it, lower than the edge's reach, is the foot (the pulse rises from 0 mV)
                k0, k1 = (max(0, i - int(1.5 * r)), max(0, i - int(0.5 * r))) if side == "left" else \
                    (min(n, j + int(0.5 * r) + 1), min(n, j + int(1.5 * r) + 1))
                lead = ok[k0:k1] & (length[k0:k1] <= 2.0 * width_px + 1)
                if lead.sum() >= 0.5 * r:
                    outer = max(outer, float(np.median(mid[k0:k1][lead])) + half)
                base = outer - half
                if base - level >= 2.5 * r:
                    cand = Pulse(side, path.x0 + a + i - 0.5, path.x0 + a + j + 0.5, base, level)
                    if best is None or (side == "left" and cand.x_rise < best.x_rise) or \
                            (side == "right" and cand.x_rise > best.x_rise):
                        best = cand
        i = j + 1
    return best


WIDENED = 1.5
"""A pulse stroke's core wider than this many times the page's pen core (and by 0.5 px) is widened by a trace
lying against it. On the outside pages strokes differ by up to 0.15 px from the page's median (clean_07: its
falling strokes 2.43-2.48 px, rising 2.14-2.19), and the strokes that a first beat lay against were 2.7 px
against a core of 1.0 (photo_02, rows 2 and 4: their t = 0 read 1 px late)."""


def pulse_edge(ink: np.ndarray, pulse: Pulse, edge: str, width_px: float,
               core_px: float | None = None) -> float | None:
    """Sub-pixel x (px) of the centre of a calibration pulse's ``rise`` or ``fall`` stroke.

    Read in the rows of the middle half of the pulse's height, where only the vertical stroke is drawn, from
    the stroke's core (ink within 70 % of the darkest): in each row, where the core begins on the pulse's own
    side (interpolated between the pixels it crosses), plus half the core's width in the fifth of the
    rows where it is narrowest. A trace that leaves the falling stroke (or reaches the rising one) runs on the
    stroke's other side and, where it starts steeply, lies against the stroke: it widens those rows without
    moving the pulse's side, as long as a fifth of the rows are clear of it. The centre does not depend on how
    the pen's ends are drawn (round or square caps), unlike the end of a trace, nor on which whole columns the
    stroke darkens most. None where fewer than half of the band's rows hold the core. A trace lying against the
    stroke in all of those rows widens every one of them; with ``core_px`` (the page's pen core,
    :func:`pulse_core_width`) a core wider than :data:`WIDENED` times that is read at the page's core.

    Example
    -------
    >>> ink = np.zeros((60, 80), np.float32)
    >>> ink[10:50, 40:43] = 1.0                              # a 3 px stroke centred on x = 41
    >>> p = Pulse("left", 20.5, 40.5, base_px=50.0, top_px=10.0)
    >>> pulse_edge(ink, p, "fall", 3.0)
    41.0
    >>> ink[20:32, 43:46] = 1.0                              # the trace starting steeply beside it
    >>> pulse_edge(ink, p, "fall", 3.0)
    41.0
    """
    own = _stroke_core(ink, pulse, edge, width_px)
    if own is None:
        return None
    x0, side, width = own
    # a trace that lies against the stroke along its whole middle (a steep first beat) widens it well beyond
    # the pen's core over the page's pulse strokes (:func:`pulse_core_width`): the core is taken instead
    if core_px is not None and width > max(WIDENED * core_px, core_px + 0.5):
        width = core_px
    centre = side + width / 2
    return x0 + centre if edge == "fall" else x0 - centre


def pulse_core_width(ink: np.ndarray, pulses: list[Pulse], width_px: float) -> float | None:
    """The pen's core width (px) on a page: the median over its calibration pulses' strokes, both edges of each.

    Every pulse on a page is drawn by one pen; a stroke widened by a trace lying against it is one of
    several. None where no stroke's core could be read.

    Example
    -------
    >>> ink = np.zeros((120, 80), np.float32)
    >>> ink[10:50, [20, 21, 22, 40, 41, 42]] = 1.0           # two rows' pulses, strokes 3 px wide
    >>> ink[70:110, [20, 21, 22, 40, 41, 42]] = 1.0
    >>> ink[10:50, 43:46] = 1.0                              # a trace lying against the first falling stroke
    >>> ps = [Pulse("left", 20.5, 40.5, base_px=y + 40.0, top_px=y) for y in (10.0, 70.0)]
    >>> core = pulse_core_width(ink, ps, 3.0)
    >>> round(core, 2), pulse_edge(ink, ps[0], "fall", 3.0), pulse_edge(ink, ps[0], "fall", 3.0, core)
    (2.6, 42.5, 41.0)
    """
    widths = [core[2] for p in pulses for edge in ("rise", "fall")
              if (core := _stroke_core(ink, p, edge, width_px)) is not None]
    return float(np.median(widths)) if widths else None


def _stroke_core(ink: np.ndarray, pulse: Pulse, edge: str, width_px: float) -> tuple[float, float, float] | None:
    """(origin, side, width) of a pulse stroke's core: the stroke's own side lies at origin + side (fall) or
    origin - side (rise), px; width is the core's 20th-percentile width over the middle half of the pulse's
    height (see :func:`pulse_edge`). None where fewer than half of those rows hold the core."""
    x = pulse.x_fall if edge == "fall" else pulse.x_rise
    h = pulse.base_px - pulse.top_px
    y0, y1 = int(np.ceil(pulse.top_px + 0.25 * h)), int(np.floor(pulse.base_px - 0.25 * h))
    reach = int(np.ceil(width_px)) + 2
    x0, x1 = max(0, int(np.floor(x)) - reach), min(ink.shape[1], int(np.ceil(x)) + reach + 1)
    if y1 <= y0 or x1 <= x0:
        return None
    band = ink[y0:y1, x0:x1]
    if not band.max() > 0:
        return None
    # the pulse's own side is the left of a falling stroke and the right of a rising one: mirror the latter
    band = band if edge == "fall" else band[:, ::-1]
    level = 0.7 * band.max()  # a dark grid line beside the stroke (black-and-white paper) is lighter than the pen
    sides, widths = [], []
    for v in band:
        on = np.flatnonzero(v >= level)
        if on.size == 0:
            continue
        a = b = on[0]
        while b + 1 < v.size and v[b + 1] >= level:
            b += 1
        side = a - (v[a] - level) / (v[a] - v[a - 1]) if a > 0 else a - 0.5
        far = b + (v[b] - level) / (v[b] - v[b + 1]) if b + 1 < v.size and v[b] > v[b + 1] else b + 0.5
        sides.append(side)
        widths.append(far - side)
    if 2 * len(sides) < y1 - y0:
        return None
    return (float(x0) if edge == "fall" else float(x1 - 1)), float(np.median(sides)), float(np.percentile(widths, 20))


def trace_extent(path: Path, px_per_mm: float, gap_mm: float = 2.0, attach_mm: float = 6.0) -> tuple[int, int] | None:
    """Columns [first, last] (inclusive, px) the row's trace covers: its longest stretch, plus nearby long pieces.

    Example
    -------
    >>> c = np.full(100, np.nan); c[10:60] = 5.0; c[63:90] = 5.0; c[95:97] = 5.0
    >>> trace_extent(Path(0, c - 1, c + 1, c, np.zeros(100)), px_per_mm=1.0, gap_mm=2.0, attach_mm=4.0)
    (10, 89)
    """
    found = path.found.copy()
    if not found.any():
        return None
    r = px_per_mm
    pieces = true_stretches(found, max_gap=int(round(gap_mm * r)))
    longest = max(pieces, key=lambda p: p[1] - p[0])
    a, b = longest
    changed = True
    while changed:
        changed = False
        for p0, p1 in pieces:
            if (p1 - p0) >= 3 * r and ((0 < a - p1 <= attach_mm * r) or (0 < p0 - b <= attach_mm * r)):
                a, b = min(a, p0), max(b, p1)
                changed = True
    return path.x0 + a, path.x0 + b


def trace_end(ink: np.ndarray, path: Path, extent: tuple[int, int], side: str, px_per_mm: float,
              width_px: float, cap: float = CAP_REACH) -> float | None:
    """Sub-pixel x (px) of the first (``left``) or last (``right``) sample of a row's trace.

    A pen's round tip reaches one radius (half the pen width ``width_px``) beyond the end
    sample whatever the line's direction there: a flat start and the steep stroke of a QRS
    at t = 0 end the same way. So the end is read from each column's *darkest* pixel near
    the end (its coverage of the column, relative to the stroke's darkness), not from the
    column's ink, which a steep stroke inflates. The outer edge of the ink is the inner side
    of the first fully dark column less the coverage of the columns outside it (a sub-pixel
    edge); the end sample lies ``cap`` radii inside it (the tip's edge in the darkest pixel
    row, measured on clean pages: :data:`CAP_REACH`).

    Example
    -------
    >>> ink = np.zeros((20, 60), np.float32)
    >>> ink[9:12, 20:] = 1.0; ink[9:12, 19] = 0.4        # a 3 px line whose edge is at x = 19.1
    >>> c = np.full(60, np.nan); c[19:] = 10.0
    >>> x = trace_end(ink, Path(0, c - 1, c + 1, c, np.zeros(60)), (19, 59), "left", 4.0, 3.0)
    >>> round(x - 19.1, 3) == round(CAP_REACH * 1.5, 3)
    True
    """
    xa, xb = extent
    step = 1 if side == "left" else -1
    end = xa if side == "left" else xb
    h, w = ink.shape
    ks = [end - path.x0 + step * j for j in range(13)]
    if not all(0 <= k < len(path.top) and np.isfinite(path.top[k]) for k in ks):
        return None
    cols = [end + step * j for j in range(-5, 4)]  # outward to inward
    if not all(0 <= c < w for c in cols):
        return None
    # the stroke's darkness: the darkest pixel of each column 3-12 px inside, on the path's own run
    inner = [ink[max(0, int(path.top[k]) - 2):min(h, int(path.bot[k]) + 3), path.x0 + k] for k in ks[3:]]
    dark = float(np.median([col.max() for col in inner]))
    if not dark > 0:
        return None
    pad = int(np.ceil(width_px)) + 2
    y0 = max(0, int(min(path.top[k] for k in ks[:4])) - pad)
    y1 = min(h, int(max(path.bot[k] for k in ks[:4])) + pad + 1)
    cover = np.clip(np.array([ink[y0:y1, c].max() for c in cols]) / dark, 0.0, 1.0)
    full = np.flatnonzero(cover >= 0.9)
    if full.size == 0 or full[0] == 0:
        return None
    k = int(full[0])
    outside = 0.0
    for j in range(k - 1, -1, -1):  # the partly covered columns just outside, up to the first empty one
        if cover[j] < 0.05:
            break
        outside += cover[j]
    edge = cols[k] - step * (cover[k] - 0.5) - step * outside
    return float(edge + step * cap * 0.5 * width_px)


def time_origin(starts: list[float], ends: list[float], px_per_s: float, duration_s: float,
                fs: float = 500.0) -> tuple[float | None, str]:
    """x (px) of t = 0 from trace starts (first sample) and ends (last sample) of the rows.

    With both, their mean is used: the end-cap model's error cancels. When they disagree
    by more than 2 mm at 25 mm/s (80 ms), the rows do not show ``duration_s``: when they are
    too long (an unrecognised calibration pulse drawn on at the start) the ends are used, when
    too short the starts; the disagreement is reported.

    Example
    -------
    >>> time_origin([100.4, 100.2], [2068.1], px_per_s=196.85, duration_s=10.0)
    (100.147, 'start and end')
    """
    span = (duration_s - 1.0 / fs) * px_per_s
    from_end = [e - span for e in ends]
    if starts and from_end:
        a, b = float(np.median(starts)), float(np.median(from_end))
        if b - a > 0.08 * px_per_s:
            # rows too long: something is drawn on at one end, most often a calibration pulse that was
            # not recognised, and printers draw those at the start of the rows: the ends are kept
            return b, "end (rows are longer than the layout's duration)"
        if a - b > 0.08 * px_per_s:
            return a, "start (rows are shorter than the layout's duration)"
        return round(0.5 * (a + b), 3), "start and end"
    if starts:
        return float(np.median(starts)), "start"
    if from_end:
        return float(np.median(from_end)), "end"
    return None, "none"


def infer_layout(n_rows: int, rows_signal: list[np.ndarray], fs: float, duration_s: float,
                 matches_of: Callable[[str], list[StripMatch]] | None = None) -> tuple[str | None, str]:
    """The layout of a page with ``n_rows`` trace rows, checked against the rows' signals.

    ``rows_signal``: each row's trace sampled at ``fs`` over ``[0, duration_s)`` (any units,
    NaN where missing). 3 rows: 3x4; 12 rows: 12x1; 4 or 5 rows: 3x4 with rhythm strips;
    7 rows: 6x2 with a strip; 6 rows: 3x4 with three strips when each bottom row repeats
    a panel of the grid (:func:`~vaescan.digitize.strips.strip_matches`), else 6x2. A strip's
    lead is the lead of the panel it repeats (:func:`rhythm_leads`). ``matches_of(base)``: the strips'
    matches when already computed. Returns (layout name or None, how it was decided).

    Example
    -------
    >>> infer_layout(12, [], 500.0, 10.0)
    ('12x1', 'row count')
    >>> infer_layout(2, [], 500.0, 10.0)[0] is None
    True
    """
    if n_rows == 3:
        return "3x4", "row count"
    if n_rows == 12:
        return "12x1", "row count"
    base = {4: "3x4", 5: "3x4", 6: "3x4", 7: "6x2"}.get(n_rows)
    if base is None:
        return None, f"{n_rows} trace rows fit no 12-lead layout (3, 4, 6, 7 or 12 rows)"
    matches = (matches_of(base) if matches_of is not None else strip_matches(base, rows_signal, fs, duration_s)) \
        if rows_signal else []
    leads = rhythm_leads(base, rows_signal, fs, duration_s, matches)
    worst = max((m.residual for m in matches), default=float("inf"))
    if n_rows == 6:
        # each of the three bottom rows must repeat one panel, unlike any other: the bottom rows of a 6x2 page
        # (aVR|V4, aVL|V5, aVF|V6) match 3x4 panels of neighbouring chest leads at residuals down to 0.06, but
        # never all three as clearly (own pages, seeds 0 and 1: 5 such 6x2 pages, 8 pages with three strips)
        if matches and all(m.confirmed for m in matches):
            return layout_name(base, leads), f"bottom rows repeat grid panels (residual {_pct(worst)})"
        return "6x2", f"6 rows; bottom rows do not each repeat one grid panel (residual {_pct(worst)})"
    if matches and all(m.confirmed for m in matches):
        return layout_name(base, leads), f"rhythm strips repeat grid panels (residual {_pct(worst)})"
    why = "; ".join(f"{m.lead} {_pct(m.residual)}, {m.runner_up} {_pct(m.runner_up_residual)}" for m in matches)
    return layout_name(base, leads), (f"rhythm strip leads not confirmed by the grid's panels (best residuals: "
                                      f"{why or 'none'}); named {', '.join(leads)}")


def _pct(x: float) -> str:
    return f"{x:.0%}" if np.isfinite(x) else "none"


def rhythm_leads(base: str, rows_signal: list[np.ndarray], fs: float, duration_s: float,
                 matches: list[StripMatch] | None = None) -> list[str]:
    """Each rhythm strip's lead: the grid panel's it repeats (:func:`~vaescan.digitize.strips.strip_matches`).

    A strip whose match is not confirmed (:attr:`~vaescan.digitize.strips.StripMatch.confirmed`: no
    close match, another lead about as close, or a grid row read twice) is given the usual strip lead of
    its place (II; V1, II, V5 for three strips; II, V5 for two), and the report flags it.

    Example
    -------
    >>> from vaescan.pages.layout import GRIDS, layout_panels
    >>> t = np.arange(5000) / 500.0
    >>> x = {row[0]: np.sin(2 * np.pi * (1.0 + 0.1 * k) * t) for k, row in enumerate(GRIDS["12x1"])}
    >>> grid = [np.concatenate([x[p.lead][round(p.t0_s * 500):round(p.t1_s * 500)]
    ...                         for p in layout_panels("3x4") if p.row == r]) for r in range(3)]
    >>> rhythm_leads("3x4", grid + [x["V5"]], 500.0, 10.0)
    ['V5']
    """
    if matches is None:
        matches = strip_matches(base, rows_signal, fs, duration_s)
    usual = {1: ["II"], 2: ["II", "V5"], 3: ["V1", "II", "V5"]}.get(len(matches), ["II"] * len(matches))
    return [m.lead if m.confirmed else usual[k] for k, m in enumerate(matches)]
