"""Separating the trace from paper, grid, text and shadows, and following it column by column.

On the rectified page (grid axis-aligned, known px per mm):

1. :func:`ink_map`: each channel is divided by its local paper brightness (a
   wide max-filter then blur: shadows and uneven light drop out); the brightest
   channel of the result stays near white on a coloured grid line, so
   ``1 - max channel`` shows dark ink only. What is left of the grid (grey grids,
   JPEG colour bleed) repeats every 5 mm cell; the median cell around each
   place is that residue and is subtracted.
2. :func:`trace_mask`: hysteresis threshold relative to the ink level of the
   page's strokes.
3. :func:`column_runs`: every vertical run of ink in every pixel column, with
   its intensity-weighted centre.
4. :func:`trace_follow`: dynamic programming (Viterbi) over the columns of a
   strip picks one run per column: cheap to stay connected, costly to jump or to
   leave the strip's band. This keeps to its own lead where tall waves of the
   neighbouring rows reach into the band, and steps over labels and specks.
5. :func:`path_polyline`: each column's run is the range of values the trace
   takes during that column's time; the polyline enters and leaves each column
   where it meets its neighbours and visits the run's end when that end is a
   local peak (an R wave's apex), so sharp peaks keep their height.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


def ink_map(image: np.ndarray, px_per_mm: float, phase_px: tuple[float, float] | None = None,
            cell_mm: float = 5.0) -> np.ndarray:
    """Darkness of ink in [0, 1] on a rectified RGB page, with paper, shadows and grid removed.

    ``phase_px`` (x, y of a major grid line) enables removing the periodic grid residue,
    cell by cell, with the median of the 7x7 cells around each cell. An opaque pen covers
    the grid where it crosses a line, so the residue g is not simply subtracted (that dims
    the trace on every grey line it crosses, by the line's darkness): a pixel of ink i
    holds a pen coverage c = (i - g) / (P - g), P being the darkest strokes' ink (99th
    percentile of inked pixels), and keeps i - g + c^2 g: P where the pen covers it, while
    faint leftovers of the grid (c near 0) are not amplified. Only pixels within about
    0.3 mm of the pen's clear strokes are unmixed; elsewhere the residue is subtracted.

    Example
    -------
    >>> page = np.full((200, 300, 3), 255, np.uint8)
    >>> page[:, ::20] = (240, 130, 160)        # pink grid lines: no ink
    >>> page[100, 50:250] = (20, 20, 20)       # a black trace: ink
    >>> ink = ink_map(page, 4.0)
    >>> float(ink[100, 150]) > 0.8, float(ink[50, 40]) < 0.1
    (True, True)
    """
    img = image.astype(np.float32)
    h, w = img.shape[:2]
    # paper brightness: max filter over ~3 mm removes lines, text and trace; computed small, then blurred
    f = max(1, int(px_per_mm // 2))
    small = cv2.resize(img, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
    k = max(3, int(round(3.0 * px_per_mm / f)) | 1)
    paper = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    paper = cv2.GaussianBlur(paper, (0, 0), sigmaX=k)
    paper = cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR)
    norm = np.minimum(img / np.maximum(paper, 1.0), 1.0)
    ink = 1.0 - norm.max(axis=2)
    if phase_px is not None:
        residue = _grid_residue(ink, px_per_mm * cell_mm, phase_px)
        sample = ink[::2, ::2]
        inked = sample[sample > 0.15]
        pen = float(np.percentile(inked, 99)) if inked.size > 50 else 1.0
        clean = ink - residue
        # only beside the pen's clear strokes (where the grid is light): a grid line as dark as the pen
        # would otherwise have every leftover of its own amplified into a line of "trace"
        k = 2 * max(1, int(round(0.3 * px_per_mm))) + 1
        near = cv2.dilate((clean > 0.5 * pen).astype(np.uint8), np.ones((k, k), np.uint8)) > 0
        near &= (residue > 0.005) & (residue < pen - 0.05)
        g = residue[near]
        cover = np.clip(clean[near] / (pen - g), 0.0, 1.0)
        clean[near] += cover ** 2 * g
        ink = np.clip(clean, 0.0, 1.0)
    return ink


def _grid_residue(ink: np.ndarray, cell_px: float, phase_px: tuple[float, float], block: int = 7) -> np.ndarray:
    """The periodic part of ``ink``: per cell, the median of the ``block`` x ``block`` cells around it.

    Cells with less than half the typical ink of a gridded cell of the page (page margins
    without grid) are left out of the median. The typical cell is taken over the whole page,
    not per block: at the edge of the grid a block may hold more margin than grid.
    """
    p = int(round(cell_px))
    if p < 4 or abs(cell_px - p) > 0.05:
        return np.zeros_like(ink)
    h, w = ink.shape
    ox, oy = int(round(phase_px[0])) % p, int(round(phase_px[1])) % p
    # pad so that cells start at the grid phase and tile the image
    top, left = (p - oy) % p, (p - ox) % p
    ny, nx = -(-(h + top) // p), -(-(w + left) // p)
    padded = np.full((ny * p, nx * p), np.nan, np.float32)
    padded[top:top + h, left:left + w] = ink
    cells = padded.reshape(ny, p, nx, p).transpose(0, 2, 1, 3)  # (ny, nx, p, p)
    totals_all = np.nansum(cells, axis=(2, 3))
    typical = _typical_cell(totals_all)
    by, bx = max(1, ny // block), max(1, nx // block)
    residue = np.empty_like(cells)
    ys = np.linspace(0, ny, by + 1).round().astype(int)
    xs = np.linspace(0, nx, bx + 1).round().astype(int)
    for y0, y1 in zip(ys[:-1], ys[1:]):
        for x0, x1 in zip(xs[:-1], xs[1:]):
            group = cells[y0:y1, x0:x1].reshape(-1, p, p)
            # cells of the margin (no grid) would hide the grid of the others: leave them out
            keep = totals_all[y0:y1, x0:x1].reshape(-1) >= 0.5 * typical
            residue[y0:y1, x0:x1] = np.nanmedian(group[keep], axis=0) if keep.any() else 0.0
    out = residue.transpose(0, 2, 1, 3).reshape(ny * p, nx * p)[top:top + h, left:left + w]
    return np.nan_to_num(out, nan=0.0)


def _typical_cell(totals: np.ndarray) -> float:
    """The ink of a typical gridded cell: the most common cell total (log scale, 0.1 decade bins).

    Gridded cells repeat one pattern, so their totals pile up at one value; cells
    with trace spread over a wide range, and empty margin cells sit far below.
    """
    t = totals[np.isfinite(totals) & (totals > 0)]
    if t.size == 0:
        return 0.0
    logs = np.log10(t)
    edges = np.arange(logs.min(), logs.max() + 0.2, 0.1)
    counts, edges = np.histogram(logs, bins=edges)
    counts = np.convolve(counts, np.ones(3), mode="same")
    k = int(np.argmax(counts))
    return float(10 ** (0.5 * (edges[k] + edges[k + 1])))


def trace_mask(ink: np.ndarray, level: float | None = None, floor: float = 0.0) -> np.ndarray:
    """Boolean mask of trace (and text) strokes: hysteresis at 45 % / 22 % of the stroke ink level.

    ``level`` defaults to the 90th percentile of ink among clearly inked pixels.
    ``floor``: ink of what is left of the grid (:func:`grid_darkness`); the thresholds
    stay above it (low: 1.3 x, high: 2 x, at most 0.8 of the stroke level).

    Example
    -------
    >>> ink = np.zeros((50, 50), np.float32); ink[25, 5:45] = 0.9; ink[24, 5:45] = 0.3
    >>> m = trace_mask(ink)
    >>> int(m[25].sum()), int(m[24].sum()), int(m[10].sum())
    (40, 40, 0)
    """
    from skimage.filters import apply_hysteresis_threshold

    if level is None:
        strong = ink[ink > 0.15]
        level = float(np.percentile(strong, 90)) if strong.size > 50 else 0.5
    level = max(level, 0.2)
    low = min(max(0.22 * level, 1.3 * floor), 0.6 * level)
    high = min(max(0.45 * level, 2.0 * floor), 0.8 * level)
    return apply_hysteresis_threshold(ink, low, max(high, low))


def grid_darkness(ink: np.ndarray, px_per_mm: float, phase_px: tuple[float, float], cell_mm: float = 5.0) -> float:
    """Ink left on the major grid lines (80th percentile along them, the darkest of +-2 px around each).

    High when a dark (grey, black) grid survives :func:`ink_map`'s removal, e.g. on a
    wrinkled page whose grid is no longer periodic, where removal leaves it in patches.

    Example
    -------
    >>> ink = np.zeros((100, 100), np.float32); ink[:, ::20] = 0.5; ink[50, :] = 1.0
    >>> round(grid_darkness(ink, 4.0, (0.0, 0.0)), 2)
    0.5
    """
    h, w = ink.shape
    step = px_per_mm * cell_mm
    xs = np.arange(phase_px[0] % step, w, step).round().astype(int)
    if xs.size == 0:
        return 0.0
    cols = [ink[:, max(0, x - 2):min(w, x + 3)].max(axis=1) for x in xs]
    # a high percentile: removal may leave the grid in patches; traces cross the lines rarely
    return float(np.percentile(np.concatenate(cols), 80))


def straight_lines(mask: np.ndarray, px_per_mm: float, min_mm: float = 40.0) -> np.ndarray:
    """Pixels of ``mask`` on perfectly straight horizontal lines at least ``min_mm`` long (grid borders, rules).

    A trace never stays within one pixel row for 40 mm (1.6 s at 25 mm/s); the edges
    of a grid, underlines and table rules do.

    Example
    -------
    >>> m = np.zeros((20, 400), bool); m[5, 10:390] = True                  # a rule
    >>> m[12, :] = np.arange(400) % 50 < 25                                 # a trace that moves
    >>> s = straight_lines(m, 4.0)
    >>> bool(s[5, 10:390].all()), int(s[12].sum())
    (True, 0)
    """
    length = max(3, int(round(min_mm * px_per_mm)) | 1)  # odd: the opening stays centred
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1))
    return cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, kernel) > 0


@dataclass
class Runs:
    """Vertical runs of ink per pixel column: column, top and bottom row (inclusive), weighted centre, ink mass.

    Sorted by column, then top. ``starts[c]:starts[c+1]`` indexes the runs of column c.
    """

    col: np.ndarray
    top: np.ndarray
    bot: np.ndarray
    centre: np.ndarray
    mass: np.ndarray
    starts: np.ndarray

    def in_column(self, c: int) -> slice:
        """Index range of the runs in column ``c``."""
        return slice(int(self.starts[c]), int(self.starts[c + 1]))


def column_runs(mask: np.ndarray, ink: np.ndarray) -> Runs:
    """Every vertical run of True in ``mask``, with its ink-weighted centre (sub-pixel).

    Example
    -------
    >>> m = np.zeros((10, 3), bool); m[2:5, 1] = True; m[7, 1] = True
    >>> r = column_runs(m, m.astype(np.float32))
    >>> r.col.tolist(), r.top.tolist(), r.bot.tolist(), r.centre.tolist()
    ([1, 1], [2.0, 7.0], [4.0, 7.0], [3.0, 7.0])
    """
    mt = np.ascontiguousarray(mask.T)
    w, h = mt.shape
    padded = np.zeros((w, h + 2), np.int8)
    padded[:, 1:-1] = mt
    d = np.diff(padded, axis=1)
    sc, sr = np.nonzero(d == 1)
    _, er = np.nonzero(d == -1)
    top, bot = sr, er - 1
    weight = np.where(mt, np.asarray(ink, np.float32).T, 0.0).astype(np.float64)
    cw = np.zeros((w, h + 1))
    cy = np.zeros((w, h + 1))
    np.cumsum(weight, axis=1, out=cw[:, 1:])
    np.cumsum(weight * np.arange(h)[None, :], axis=1, out=cy[:, 1:])
    mass = cw[sc, bot + 1] - cw[sc, top]
    centre = np.where(mass > 1e-9, (cy[sc, bot + 1] - cy[sc, top]) / np.maximum(mass, 1e-9), (top + bot) / 2.0)
    starts = np.searchsorted(sc, np.arange(w + 1))
    return Runs(col=sc, top=top.astype(np.float64), bot=bot.astype(np.float64), centre=centre,
                mass=np.maximum(mass, 1e-6), starts=starts)


@dataclass
class Path:
    """A followed trace: per column of ``[x0, x1)`` the run's top, bottom and centre (NaN: no trace)."""

    x0: int
    top: np.ndarray
    bot: np.ndarray
    centre: np.ndarray
    jump_mm: np.ndarray

    @property
    def found(self) -> np.ndarray:
        """Columns with a trace."""
        return np.isfinite(self.centre)


def trace_follow(runs: Runs, x0: int, x1: int, band: tuple[float, float], home: tuple[float, float],
                 px_per_mm: float, start_y: float | None = None, max_candidates: int = 6) -> Path:
    """Follow one trace from column x0 to x1 by dynamic programming over the runs of each column.

    ``band``: rows (top, bottom) where the trace may go at all; ``home``: the rows it
    belongs to. Each column is either one of its runs or *absent* (no trace there).
    Costs, in mm: moving on costs the vertical gap between consecutive runs (0 when
    they touch) plus 0.1 x the change of centre; every column costs 0.05 per mm the
    run lies outside ``home`` (a tall wave may reach into the next row's band for a
    few columns, but the path does not settle on a neighbour's trace); an absent
    column costs 1; starting or resuming costs 3 plus 0.5 per mm outside ``home``
    plus 0.3 per mm away from ``start_y``. Labels and specks away from the trace are
    thus left out, and gaps in the ink leave the trace missing there.
    """
    x0, x1 = max(0, x0), min(len(runs.starts) - 1, x1)
    n = max(0, x1 - x0)
    top = np.full(n, np.nan)
    bot = np.full(n, np.nan)
    centre = np.full(n, np.nan)
    jumps = np.zeros(n)
    if n == 0:
        return Path(x0, top, bot, centre, jumps)
    r = px_per_mm
    ref = 0.5 * (home[0] + home[1]) if start_y is None else start_y
    absent_cost, restart = 1.0, 3.0
    cost = np.array([0.0])  # state 0 = absent
    states: list[np.ndarray] = []
    backs: list[np.ndarray] = []
    prev_idx = np.empty(0, int)
    for c in range(x0, x1):
        sl = runs.in_column(c)
        t, b = runs.top[sl], runs.bot[sl]
        idx = np.arange(sl.start, sl.stop)[(b >= band[0]) & (t <= band[1])]
        if len(idx) > max_candidates:
            idx = idx[np.argsort(np.abs(runs.centre[idx] - ref))[:max_candidates]]
        t, b, m = runs.top[idx], runs.bot[idx], runs.centre[idx]
        outside = (np.maximum(0.0, home[0] - m) + np.maximum(0.0, m - home[1])) / r
        unary = 0.05 * outside
        k_prev = len(prev_idx)
        trans = np.empty((k_prev + 1, len(idx) + 1))
        trans[:, 0] = 0.0  # to absent
        trans[0, 1:] = restart + 0.5 * outside + 0.3 * np.abs(m - ref) / r  # absent -> run
        if k_prev:
            pt, pb, pm = runs.top[prev_idx], runs.bot[prev_idx], runs.centre[prev_idx]
            gap = np.maximum(0.0, np.maximum(t[None, :] - pb[:, None], pt[:, None] - b[None, :])) / r
            trans[1:, 1:] = gap + 0.1 * np.abs(m[None, :] - pm[:, None]) / r
        total = cost[:, None] + trans
        back = np.argmin(total, axis=0)
        cost = total[back, np.arange(len(idx) + 1)] + np.concatenate([[absent_cost], unary])
        cost -= cost.min()
        states.append(idx)
        backs.append(back)
        prev_idx = idx
    j = int(np.argmin(cost))
    chosen = np.full(n, -1)
    for k in range(n - 1, -1, -1):
        if j > 0:
            chosen[k] = states[k][j - 1]
            i = chosen[k]
            top[k], bot[k], centre[k] = runs.top[i], runs.bot[i], runs.centre[i]
        j = int(backs[k][j])
    _complete_strokes(runs, x0, chosen, top, bot, centre)
    ok = np.isfinite(centre)
    jumps[1:] = np.where(ok[1:] & ok[:-1], np.maximum(0.0, np.maximum(top[1:] - bot[:-1], top[:-1] - bot[1:])) / r,
                         0.0)
    return Path(x0, top, bot, centre, jumps)


def _complete_strokes(runs: Runs, x0: int, chosen: np.ndarray, top: np.ndarray, bot: np.ndarray,
                      centre: np.ndarray) -> None:
    """Join the other runs of a column that lie within its neighbours' reach into the chosen run, in place.

    At a sharp apex the rising and falling strokes meet inside one column with a gap
    between them; both belong to the trace, and the apex is the top of their union.
    """
    n = len(chosen)
    new_top, new_bot, new_centre = top.copy(), bot.copy(), centre.copy()
    for k in range(n):
        if chosen[k] < 0:
            continue
        near = [q for q in (k - 1, k + 1) if 0 <= q < n and chosen[q] >= 0]
        if not near:
            continue
        lo = min(top[q] for q in near)
        hi = max(bot[q] for q in near)
        sl = runs.in_column(x0 + k)
        t, b = runs.top[sl], runs.bot[sl]
        join = (b >= lo) & (t <= hi)
        if join.sum() <= 1:
            continue
        idx = np.arange(sl.start, sl.stop)[join]
        idx = idx[(runs.top[idx] <= max(bot[k], hi)) & (runs.bot[idx] >= min(top[k], lo))]
        idx = np.union1d(idx, [chosen[k]])
        m = runs.mass[idx]
        new_top[k], new_bot[k] = runs.top[idx].min(), runs.bot[idx].max()
        new_centre[k] = float(np.sum(runs.centre[idx] * m) / np.sum(m))
    top[:], bot[:], centre[:] = new_top, new_bot, new_centre


def paths_unshare(paths: list[Path], max_px: int) -> None:
    """Where two rows' paths hold the same ink for up to ``max_px`` columns, keep each within its own reach, in place.

    Where one row's QRS reaches into the next row, both strokes fall in the same
    columns and join into one vertical run; each row's path takes the whole run, and
    its polyline turns at the far end, inside the other row (an apex 2-5 mV off). In
    such columns each path is clipped to the span of its own columns on either side:
    a flat row stays flat and a stroke passing through stays, but an apex inside the
    shared columns is cut to that span. Longer shared stretches (a path that followed
    another row's trace) are left as they are. All paths must share ``x0`` and length.

    Example
    -------
    >>> c = np.full(10, 5.0); a = Path(0, c - 1, c + 1, c, np.zeros(10))        # row a dips 12 px ...
    >>> a.bot[3], a.bot[6] = 12.0, 12.0
    >>> d = np.full(10, 20.0); b = Path(0, d - 2, d + 2, d, np.zeros(10))       # ... into flat row b
    >>> for p in (a, b):
    ...     p.top[4:6], p.bot[4:6] = 4.0, 22.0                                   # both take the joined run
    >>> paths_unshare([a, b], max_px=3)
    >>> a.top[4:6].tolist(), a.bot[4:6].tolist(), b.top[4:6].tolist(), b.bot[4:6].tolist()
    ([4.0, 4.0], [12.0, 12.0], [18.0, 18.0], [22.0, 22.0])
    """
    shared = [np.zeros(len(p.centre), bool) for p in paths]
    for i in range(len(paths)):
        for j in range(i + 1, len(paths)):
            a, b = paths[i], paths[j]
            both = a.found & b.found
            both[both] &= (a.top[both] <= b.bot[both]) & (b.top[both] <= a.bot[both])
            for k0, k1 in true_stretches(both):
                if k1 - k0 + 1 <= max_px:
                    shared[i][k0:k1 + 1] = shared[j][k0:k1 + 1] = True
    for path, gone in zip(paths, shared):
        n = len(path.centre)
        for k0, k1 in true_stretches(gone):
            sides = [k for k in (k0 - 1, k1 + 1) if 0 <= k < n and path.found[k] and not gone[k]]
            if not sides:
                path.top[k0:k1 + 1] = path.bot[k0:k1 + 1] = path.centre[k0:k1 + 1] = np.nan
                continue
            lo, hi = min(path.top[k] for k in sides), max(path.bot[k] for k in sides)
            top, bot = np.maximum(path.top[k0:k1 + 1], lo), np.minimum(path.bot[k0:k1 + 1], hi)
            bot = np.maximum(bot, top)
            path.top[k0:k1 + 1], path.bot[k0:k1 + 1] = top, bot
            path.centre[k0:k1 + 1] = 0.5 * (top + bot)


def pen_width(ink: np.ndarray, paths: list[Path]) -> float:
    """Thickness (px) of the pen that drew the traces: ink per column over the stroke's darkness.

    A column crossing a flat stretch of line holds the pen's thickness times its
    darkness of ink; columns across waves, or across noise drawn into the trace
    (mains hum, tremor), hold more. The tenth percentile over the followed columns
    of all rows, divided by the stroke darkness (90th percentile of inked pixels), is
    the pen.

    Example
    -------
    >>> ink = np.zeros((40, 60), np.float32); ink[18:21, :] = 1.0; ink[17, :] = 0.5
    >>> c = np.full(60, 19.0)
    >>> pen_width(ink, [Path(0, c - 2, c + 1, c, np.zeros(60))])
    3.5
    """
    h, w = ink.shape
    cum = np.vstack([np.zeros((1, w)), np.cumsum(ink, axis=0, dtype=np.float64)])
    masses = []
    for path in paths:
        ok = np.flatnonzero(path.found)
        cols = path.x0 + ok
        top = np.clip(path.top[ok].astype(int) - 2, 0, h)
        bot = np.clip(path.bot[ok].astype(int) + 3, 0, h)
        masses.append(cum[bot, cols] - cum[top, cols])
    strong = ink[ink > 0.15]
    level = float(np.percentile(strong, 90)) if strong.size > 50 else 1.0
    allm = np.concatenate(masses) if masses else np.empty(0)
    if allm.size == 0:
        return 1.0
    return float(max(1.0, np.percentile(allm, 10) / max(level, 0.2)))


def path_polyline(path: Path, width_px: float, max_gap_px: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """The trace as a polyline (x, y) in px, NaN-separated where it is missing.

    Each column's run, less half the line width at each end, is the range of values
    the trace takes during that column. Flat columns give their ink-weighted centre;
    between steep columns the line crosses where their ranges meet (the middle of the
    overlap); where the top (or bottom) ends of a few neighbouring columns reach
    beyond those on both sides, the trace turns there: an apex at that height, in
    the middle of those columns. Gaps up to ``max_gap_px`` columns are bridged.

    Example
    -------
    >>> p = Path(0, np.array([10., 2, 2, 10]), np.array([12., 12, 12, 12]), np.array([11., 7, 7, 11]), np.zeros(4))
    >>> x, y = path_polyline(p, 3.0)
    >>> float(y.min()), float(x[np.argmin(y)])     # apex between columns 1 and 2, run top 2 + (3 - 1) / 2
    (3.0, 1.5)
    """
    half = max(0.0, (width_px - 1.0) / 2.0)
    lo = path.top + half
    hi = path.bot - half
    mid = path.centre.copy()
    short = hi - lo < 1.0
    lo = np.where(short, mid, lo)
    hi = np.where(short, mid, hi)
    n = len(mid)
    ok = np.isfinite(mid)
    if ok.any() and not ok.all():  # bridge short gaps by linear interpolation of the centre
        idx = np.arange(n)
        fill = (~ok) & (_gap_lengths(ok) <= max_gap_px)
        interp = np.interp(idx, idx[ok], mid[ok])
        lo, hi, mid = (np.where(fill, interp, v) for v in (lo, hi, mid))
        short = short | fill
        ok = ok | fill
    pts: list[tuple[float, float]] = []
    inside = np.zeros(max(n - 1, 0), bool)  # crossing c|c+1 lies within a turning plateau
    for values, sign in ((lo, 1.0), (hi, -1.0)):
        for a, b, level in _turns(sign * np.where(ok, values, np.nan), ok, short):
            pts.append((path.x0 + 0.5 * (a + b), sign * level))
            inside[a:b] = True
    a_lo, a_hi, b_lo, b_hi = lo[:-1], hi[:-1], lo[1:], hi[1:]
    ov_lo, ov_hi = np.maximum(a_lo, b_lo), np.minimum(a_hi, b_hi)
    cross = np.where(ov_lo <= ov_hi, 0.5 * (ov_lo + ov_hi),
                     np.where(a_hi < b_lo, 0.5 * (a_hi + b_lo), 0.5 * (a_lo + b_hi)))
    for c in range(n - 1):
        if ok[c] and ok[c + 1] and not inside[c] and not (short[c] and short[c + 1]):
            pts.append((path.x0 + c + 0.5, float(cross[c])))
    for c in np.flatnonzero(ok & (short | _isolated(ok))):
        pts.append((path.x0 + c, float(mid[c])))
    if not pts:
        return np.empty(0), np.empty(0)
    arr = np.array(sorted(pts))
    # NaN separators where columns are missing
    col_ok = np.concatenate([ok, [False]])
    xs, ys = [], []
    prev_x = None
    for x, y in arr:
        gap = prev_x is not None and not col_ok[int(np.floor(prev_x - path.x0 + 0.5)):
                                                int(np.floor(x - path.x0)) + 1].all()
        if gap:
            xs.append(np.nan)
            ys.append(np.nan)
        xs.append(x)
        ys.append(y)
        prev_x = x
    return np.asarray(xs, np.float64), np.asarray(ys, np.float64)


def polyline_refine(path: Path, xs: np.ndarray, ys: np.ndarray, step_px: float = 0.5, smooth: float = 0.3,
                    rounds: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Refit a row's polyline on its steep stretches (QRS) to the ink a round pen leaves in each column.

    A pen of radius r inks, in column c, everything within r of the curve: the run's
    top is the least ``y(x) - b(x - c)`` over the curve points within reach, its
    bottom the greatest ``y(x) + b(x - c)``, with ``b(d) = sqrt(r^2 - (|d| - 1/2)^2)``
    (a column is one pixel wide); r is half the run of a flat stretch. On a steep
    stroke, at an apex and at the foot of a wave the ends of a column's run come
    from curve points up to r + 1/2 columns away, which :func:`path_polyline` (one
    column at a time) does not model, so a thick pen's QRS was read early at its
    foot, late at its top and low at its apex. Where a column's run is more than
    two pixels longer than a flat one (and a few columns around), the curve is
    refitted every ``step_px`` px: least squares on the points that make each run's
    ends (found again in each of ``rounds`` rounds), a penalty ``smooth`` on its
    second difference, and held within the bounds every column's run puts on it
    (no point may lie where its pen would ink above a run's top or below its
    bottom). Flat stretches keep their ink-weighted centres. ``xs, ys`` is the
    polyline of :func:`path_polyline`, returned in the same form.

    Example
    -------
    >>> x = np.arange(40.0); curve = 20.0 - 14.0 * np.maximum(0.0, 1.0 - np.abs(x - 20.0) / 3.0)  # narrow spike
    >>> fine = np.linspace(0.0, 39.0, 3901); dx = np.maximum(0.0, np.abs(fine - x[:, None]) - 0.5)
    >>> ink = np.hypot(dx, np.interp(fine, x, curve) - np.arange(40.0)[:, None, None]) <= 2.0  # a 4 px pen
    >>> top = np.argmax(ink.any(2), axis=0) * 1.0; bot = 39.0 - np.argmax(ink.any(2)[::-1], axis=0)
    >>> path = Path(0, top, bot, (top + bot) / 2, np.zeros(40))
    >>> px, py = path_polyline(path, 4.0); rx, ry = polyline_refine(path, px, py)
    >>> [round(float(np.max(np.abs(np.interp(x, qx, qy) - curve))), 1) for qx, qy in ((px, py), (rx, ry))]  # px
    [3.8, 1.2]
    """
    ok = path.found
    if ok.sum() < 8:
        return xs, ys
    runs = path.bot - path.top + 1.0
    flat = float(np.percentile(runs[ok], 30))
    steep = ok & (runs > flat + 2.0)
    if not steep.any():
        return xs, ys
    # a single line drawn by a round pen is as tall on a flat stretch as it is wide across a steep
    # stroke; a band taller than that is a fast wiggle the pen drew (mains hum, tremor), which this
    # model of one curve does not describe: such a row keeps the column-by-column reading
    across = [_stroke_width(path, c) for c in np.flatnonzero(steep)]
    if flat > 1.4 * float(np.percentile(across, 10)):
        return xs, ys
    r = 0.5 * flat
    finite = np.isfinite(xs)
    if finite.sum() < 2:
        return xs, ys
    lead = int(np.ceil(r + 0.5))
    near = np.convolve(steep.astype(int), np.ones(2 * lead + 5, int), mode="same") > 0
    fit = near & ok
    seg = np.cumsum(~finite)  # pieces of the polyline; a NaN separator opens its piece
    key = np.where(finite, xs, -np.inf)
    drop = np.zeros(len(xs), bool)
    new_x, new_y, new_seg = [], [], []
    for a, b in true_stretches(fit):
        inside = finite & (xs - path.x0 >= a) & (xs - path.x0 <= b)
        if b - a < 3 or not inside.any():
            continue
        cols = np.arange(a, b + 1)
        xk = np.arange(a - lead, b + lead + 1e-9, step_px)
        y0 = np.interp(xk + path.x0, xs[finite], ys[finite])
        yk = _envelope_fit(cols, path.top[cols] - 0.5, path.bot[cols] + 0.5, r, xk, y0, smooth, rounds)
        keep = (xk >= a) & (xk <= b)
        drop |= inside
        new_x.append(xk[keep] + path.x0)
        new_y.append(yk[keep])
        new_seg.append(np.full(int(keep.sum()), seg[np.flatnonzero(inside)[0]]))
    if not new_x:
        return xs, ys
    order = np.lexsort((np.concatenate([key[~drop]] + new_x), np.concatenate([seg[~drop]] + new_seg)))
    return np.concatenate([xs[~drop]] + new_x)[order], np.concatenate([ys[~drop]] + new_y)[order]


def _stroke_width(path: Path, c: int) -> int:
    """Columns whose run covers the middle row of column ``c``'s run: the stroke's width across a steep stroke (px)."""
    y = 0.5 * (path.top[c] + path.bot[c])
    a = b = c
    while a > 0 and path.top[a - 1] <= y <= path.bot[a - 1]:
        a -= 1
    while b < len(path.top) - 1 and path.top[b + 1] <= y <= path.bot[b + 1]:
        b += 1
    return b - a + 1


def _envelope_fit(cols: np.ndarray, top_edge: np.ndarray, bot_edge: np.ndarray, r: float, xk: np.ndarray,
                  y0: np.ndarray, smooth: float, rounds: int) -> np.ndarray:
    """The curve at ``xk`` whose round-pen envelope meets each column's run ends (see :func:`polyline_refine`)."""
    from scipy.linalg import solveh_banded

    k_n = len(xk)
    step = xk[1] - xk[0]
    reach = r + 0.5
    span = int(np.ceil(2 * reach / step)) + 2
    win = np.searchsorted(xk, cols - reach - 1e-9)[:, None] + np.arange(span)[None, :]
    valid = win < k_n
    win = np.minimum(win, k_n - 1)
    ext = np.maximum(0.0, np.abs(xk[win] - cols[:, None]) - 0.5)
    valid &= ext < r
    bump = np.sqrt(np.maximum(r * r - ext * ext, 0.0))
    # hard bounds: a point's pen must not ink above any run's top or below any run's bottom
    lower = np.full(k_n, -np.inf)
    upper = np.full(k_n, np.inf)
    np.maximum.at(lower, win[valid], (top_edge[:, None] + bump)[valid])
    np.minimum.at(upper, win[valid], (bot_edge[:, None] - bump)[valid])
    # smooth^2 D'D (D: second difference) plus a weak pull to the start, as a symmetric band
    s2, pull = smooth * smooth, 1e-4
    band = np.zeros((3, k_n))
    band[0, 2:] = s2
    band[1, 1:-1] = -2.0 * s2
    band[1, 2:] -= 2.0 * s2
    d0 = np.zeros(k_n)
    d0[:-2] += 1.0
    d0[1:-1] += 4.0
    d0[2:] += 1.0
    rows = np.arange(len(cols))
    y = y0.copy()
    for _ in range(rounds):
        kt = np.argmin(np.where(valid, y[win] - bump, np.inf), axis=1)
        kb = np.argmax(np.where(valid, y[win] + bump, -np.inf), axis=1)
        it, ib = win[rows, kt], win[rows, kb]
        diag = pull + np.bincount(it, minlength=k_n) + np.bincount(ib, minlength=k_n)
        rhs = (pull * y0 + np.bincount(it, top_edge + bump[rows, kt], minlength=k_n)
               + np.bincount(ib, bot_edge - bump[rows, kb], minlength=k_n))
        band[2] = diag + s2 * d0
        y = solveh_banded(band, rhs)
    lo = np.where(np.isfinite(lower), lower, y)
    up = np.where(np.isfinite(upper), upper, y)
    return np.clip(y, np.minimum(lo, up), np.maximum(lo, up))


def _isolated(ok: np.ndarray) -> np.ndarray:
    """Columns with a trace whose neighbours both have none."""
    left = np.concatenate([[False], ok[:-1]])
    right = np.concatenate([ok[1:], [False]])
    return ok & ~left & ~right


def _turns(values: np.ndarray, ok: np.ndarray, short: np.ndarray) -> list[tuple[int, int, float]]:
    """Plateaus (a, b inclusive, level) of ``values`` that are local minima by more than 0.5 px on both sides.

    Only plateaus holding at least one steep (long-run) column count: on flat stretches
    the centres already carry the value.
    """
    out = []
    n = len(values)
    c = 0
    while c < n:
        if not ok[c]:
            c += 1
            continue
        level = values[c]
        a = b = c
        while b + 1 < n and ok[b + 1] and abs(values[b + 1] - level) <= 0.5:
            b += 1
            level = min(level, values[b])
        left = values[a - 1] if a > 0 and ok[a - 1] else np.nan
        right = values[b + 1] if b + 1 < n and ok[b + 1] else np.nan
        if np.isfinite(left) and np.isfinite(right) and left > level + 0.5 and right > level + 0.5 \
                and not short[a:b + 1].all():
            out.append((a, b, float(level)))
        c = b + 1
    return out


def _clip(v: float, lo: float, hi: float) -> float:
    return float(min(max(v, lo), hi))


def _gap_lengths(ok: np.ndarray) -> np.ndarray:
    """For each False entry, the length of the run of False it belongs to (0 for True entries)."""
    n = len(ok)
    out = np.zeros(n, int)
    for i, j in true_stretches(~np.asarray(ok, bool)):
        out[i:j + 1] = j - i + 1 if (i > 0 and j < n - 1) else n  # gaps at the ends are not bridged
    return out


def true_stretches(found: np.ndarray, max_gap: int = 0) -> list[tuple[int, int]]:
    """Inclusive index ranges of True, joining runs separated by at most ``max_gap`` False.

    Example
    -------
    >>> true_stretches(np.array([1, 1, 0, 1, 0, 0, 1], bool)), true_stretches(np.array([1, 1, 0, 1], bool), max_gap=1)
    ([(0, 1), (3, 3), (6, 6)], [(0, 3)])
    """
    idx = np.flatnonzero(found)
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > max_gap + 1)
    starts = np.concatenate([[idx[0]], idx[breaks + 1]])
    ends = np.concatenate([idx[breaks], [idx[-1]]])
    return list(zip(starts.tolist(), ends.tolist()))


def polyline_sample(xs: np.ndarray, ys: np.ndarray, x_at: np.ndarray, max_gap: float,
                    extend: bool = False) -> np.ndarray:
    """Sample a NaN-separated polyline at positions ``x_at`` (NaN outside it or across gaps wider than max_gap).

    Within ``max_gap`` of a piece's end the end value is held; with ``extend`` the
    polyline's two outer ends are continued along the slope of their last pixel
    instead (a panel's edge, where the neighbouring panel's stroke was left out).

    Example
    -------
    >>> polyline_sample(np.array([0., 1, np.nan, 5, 6]), np.array([0., 2, np.nan, 4, 4]),
    ...                 np.array([0.5, 3.0, 5.5]), max_gap=1.0).tolist()
    [1.0, nan, 4.0]
    >>> polyline_sample(np.array([1., 2, 3]), np.array([2., 4, 6]), np.array([0.5, 3.5]), max_gap=1.0,
    ...                 extend=True).tolist()
    [1.0, 7.0]
    """
    out = np.full(len(x_at), np.nan)
    ok = np.isfinite(xs)
    seg_id = np.cumsum(~ok)
    pieces = np.unique(seg_id[ok])
    for sid in pieces:
        sel = ok & (seg_id == sid)
        sx, sy = xs[sel], ys[sel]
        if len(sx) == 0:
            continue
        order = np.argsort(sx, kind="stable")
        sx, sy = sx[order], sy[order]
        inside = (x_at >= sx[0] - max_gap) & (x_at <= sx[-1] + max_gap)
        if inside.any():
            out[inside] = np.interp(x_at[inside], sx, sy)
        if extend and sx[-1] - sx[0] >= 1.0:
            if sid == pieces[0]:
                beyond = inside & (x_at < sx[0])
                far = np.searchsorted(sx, sx[0] + 1.0)
                out[beyond] = sy[0] + (sy[far] - sy[0]) / (sx[far] - sx[0]) * (x_at[beyond] - sx[0])
            if sid == pieces[-1]:
                beyond = inside & (x_at > sx[-1])
                far = np.searchsorted(sx, sx[-1] - 1.0, side="right") - 1
                out[beyond] = sy[-1] + (sy[-1] - sy[far]) / (sx[-1] - sx[far]) * (x_at[beyond] - sx[-1])
    return out
