"""Separating the trace's ink from paper, grid, text and shadows, on the rectified page (known px per mm).

1. :func:`ink_map`: each channel is divided by its local paper brightness (a
   wide max-filter then blur: shadows and uneven light drop out); the brightest
   channel of the result stays near white on a coloured grid line, so
   ``1 - max channel`` shows dark ink only. What is left of the grid (grey grids,
   JPEG colour bleed) repeats every 5 mm cell; the median cell around each
   place is that residue and is subtracted.
2. :func:`trace_mask`: hysteresis threshold relative to the ink level of the
   page's strokes.
3. :func:`straight_lines` (grid borders, rules) and :func:`shadow_blobs` (the
   grey shadow of a crease wider than the paper estimate's window) are taken out
   of the mask.
"""

from __future__ import annotations

import cv2
import numpy as np

from vaescan.digitize.grid_maps import paper_light


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
    paper = paper_light(img, 3.0 * px_per_mm)  # over ~3 mm: lines, text and trace removed
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


def stroke_level(ink: np.ndarray, default: float = 0.5) -> float:
    """The ink of the page's pen strokes: the 90th percentile of clearly inked pixels (ink > 0.15).

    ``default`` where fewer than 50 pixels are inked (a blank page).

    Example
    -------
    >>> ink = np.zeros((50, 50), np.float32); ink[25, :] = 0.9; ink[10, :] = 0.3
    >>> round(stroke_level(ink), 2), stroke_level(np.zeros((50, 50)))
    (0.9, 0.5)
    """
    strong = ink[ink > 0.15]
    return float(np.percentile(strong, 90)) if strong.size > 50 else default


def trace_mask(ink: np.ndarray, level: float | None = None, floor: float | np.ndarray = 0.0) -> np.ndarray:
    """Boolean mask of trace (and text) strokes: hysteresis at 45 % / 22 % of the stroke ink level.

    ``level`` defaults to :func:`stroke_level`.
    ``floor``: ink of what is left of the grid (:func:`grid_darkness`, or per pixel:
    :func:`grid_darkness_map`); the thresholds stay above it (low: 1.3 x, high: 2 x, at
    most 0.8 of the stroke level).

    Example
    -------
    >>> ink = np.zeros((50, 50), np.float32); ink[25, 5:45] = 0.9; ink[24, 5:45] = 0.3
    >>> m = trace_mask(ink)
    >>> int(m[25].sum()), int(m[24].sum()), int(m[10].sum())
    (40, 40, 0)
    """
    from skimage.filters import apply_hysteresis_threshold

    level = max(stroke_level(ink) if level is None else level, 0.2)
    low = np.minimum(np.maximum(0.22 * level, 1.3 * floor), 0.6 * level)
    high = np.minimum(np.maximum(0.45 * level, 2.0 * floor), 0.8 * level)
    return apply_hysteresis_threshold(ink, low, np.maximum(high, low))


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
    return _line_floor(_major_lines(ink, px_per_mm, phase_px, cell_mm)[1])


def _line_floor(lines: np.ndarray) -> float:
    """The 80th percentile of ink along grid lines: removal may leave the grid in patches; traces cross it rarely."""
    return float(np.percentile(lines, 80)) if lines.size else 0.0


def _major_lines(ink: np.ndarray, px_per_mm: float, phase_px: tuple[float, float],
                 cell_mm: float) -> tuple[np.ndarray, np.ndarray]:
    """x (px) of each vertical major grid line, and (height, lines) the darkest ink within +-2 px of each."""
    h, w = ink.shape
    step = px_per_mm * cell_mm
    xs = np.arange(phase_px[0] % step, w, step).round().astype(int)
    if xs.size == 0:
        return xs, np.zeros((h, 0), ink.dtype)
    return xs, np.stack([ink[:, max(0, x - 2):min(w, x + 3)].max(axis=1) for x in xs], axis=1)


def grid_darkness_map(ink: np.ndarray, px_per_mm: float, phase_px: tuple[float, float], cell_mm: float = 5.0,
                      tile_mm: float = 30.0) -> np.ndarray:
    """Per-pixel grid floor: :func:`grid_darkness` over the page, raised to that of each 30 mm tile where higher.

    Under a shadow or a fold the grid survives :func:`ink_map` more than elsewhere (the paper
    is darker there and its noise is divided by less light); the page's single floor would
    leave it in the trace mask, where it reads as a row of trace.

    Example
    -------
    >>> ink = np.zeros((400, 400), np.float32); ink[:, ::20] = 0.1
    >>> ink[240:360, 240:360][:, ::20] = 0.5                    # the grid left under a shadow
    >>> f = grid_darkness_map(ink, 4.0, (0.0, 0.0))
    >>> round(float(f[50, 50]), 2), round(float(f[300, 300]), 2)
    (0.1, 0.5)
    """
    h, w = ink.shape
    xs, lines = _major_lines(ink, px_per_mm, phase_px, cell_mm)
    floor = _line_floor(lines)
    tile = max(8, int(round(tile_mm * px_per_mm)))
    ny, nx = -(-h // tile), -(-w // tile)
    local = np.full((ny, nx), floor, np.float32)
    for j in range(nx):
        mine = lines[:, (xs >= j * tile) & (xs < (j + 1) * tile)]
        if not mine.size:
            continue
        for i in range(ny):
            local[i, j] = max(floor, _line_floor(mine[i * tile:(i + 1) * tile]))
    return local.repeat(tile, axis=0).repeat(tile, axis=1)[:h, :w]


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


SHADOW_MM = 1.5
"""Width (mm) of a disk that must fit inside a band of the mask for the band to be a shadow: wider than any pen's
stroke. A noisy trace's zigzag band can be as wide; it is told apart by its full ink (:data:`SHADOW_GREY`)."""
SHADOW_AREA_MM2 = 3.0
"""Smallest shadow (mm^2 of the band's core) removed: a smaller core is a blot, an apex, a letter."""
SHADOW_GREY = 0.6
"""A band is a shadow when its median ink is below this share of the page's stroke ink level."""


def shadow_blobs(mask: np.ndarray, ink: np.ndarray, px_per_mm: float, level: float | None = None) -> np.ndarray:
    """Pixels of ``mask`` that belong to the grey shadow of a crease or curl, not to a pen stroke.

    The paper estimate of :func:`ink_map` follows shadows a few mm wide; a crease's shadow
    wider than that survives as a grey band in the trace mask, and a row's trace that ends
    beside it, or crosses it, follows the band away. A band is a shadow where a disk of
    ``SHADOW_MM`` fits inside it over at least ``SHADOW_AREA_MM2`` and its median ink stays
    below ``SHADOW_GREY`` of the stroke level (``level``, as in :func:`trace_mask`): a
    noisy trace draws a band as wide, but in the pen's full ink. Within a shadow, pixels
    darker than midway between its grey and the pen (a trace crossing it) are kept.

    Example
    -------
    >>> ink = np.zeros((120, 200), np.float32)
    >>> ink[60, 10:190] = 0.9                                   # a trace
    >>> ink[20:100, 120:140] = np.maximum(ink[20:100, 120:140], 0.35)   # a crease's shadow across it
    >>> mask = ink > 0.2
    >>> s = shadow_blobs(mask, ink, 8.0)
    >>> bool(s[30, 130]), bool(s[60, 130]), bool(s[60, 50])
    (True, False, False)
    """
    if level is None:
        level = stroke_level(ink)
    d = max(3, int(round(SHADOW_MM * px_per_mm)) | 1)
    core = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN,
                            cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (d, d)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(core, connectivity=8)
    grey = np.zeros(n, np.float32)
    for i in np.flatnonzero(stats[:, cv2.CC_STAT_AREA] >= SHADOW_AREA_MM2 * px_per_mm ** 2):
        if i == 0:
            continue
        x, y, w, h = stats[i, :4]
        box = labels[y:y + h, x:x + w] == i
        median = float(np.median(ink[y:y + h, x:x + w][box]))
        if median < SHADOW_GREY * level:
            grey[i] = median
    if not grey.any():
        return np.zeros_like(mask, bool)
    # the band's own ragged edge belongs to it too: one pixel around the core, with the core's grey
    around = cv2.dilate(np.where(grey[labels] > 0, labels, 0).astype(np.float32), np.ones((3, 3), np.uint8))
    band_grey = grey[around.astype(np.int64)]
    return mask & (band_grey > 0) & (ink < 0.5 * (band_grey + level))
