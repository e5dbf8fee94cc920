"""ECG grid detection: the lattice's pitch, the page's rotation and perspective (:func:`grid_detect`).

1. The tiles' local lattice frequency vectors (:mod:`~vaescan.digitize.grid_pitch`). For
   a page seen through a homography these are the gradients of the page coordinates
   (u, v) with respect to image pixels, so a homography fitted to them removes rotation
   and perspective together (robust least squares: tiles on text or shadows do not pull
   the fit).
2. The map from an axis-aligned image at a chosen px per mm to the page, refined by the
   grid's own lines (:mod:`~vaescan.digitize.grid_refine`, precision about 0.01 %); the
   page is warped with it in :mod:`~vaescan.digitize.rectify`.

When only one line spacing is visible (no 1 mm/5 mm pattern), whether it is
1 mm or 5 mm is left open (``unit_ambiguous``); the digitiser settles it from
the calibration pulse or the rows' length.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from scipy.optimize import least_squares

from vaescan.digitize.grid_maps import grid_maps
from vaescan.digitize.grid_pitch import _spectra, _tile_lattice
from vaescan.digitize.grid_refine import _refine_lattice, _trace_removed

WORK_MAX_SIDE = 1600
"""Grid detection runs on the page downscaled to at most this many px a side."""

TILE_MIN = 128
"""The smallest tile whose spectrum is analysed (px of the downscaled page): its short side must hold one."""


def grid_size_problem(shape: tuple[int, ...]) -> str | None:
    """Why an image of this shape (height, width, ...) cannot hold a grid the search can find; ``None`` if it can.

    The search analyses tiles of at least :data:`TILE_MIN` px on the page downscaled to
    :data:`WORK_MAX_SIDE` px a side, so the short side must keep :data:`TILE_MIN` px after
    that reduction: at least 128 px, and sides in a ratio of at most 1600:128 = 12.5:1.

    Example
    -------
    >>> grid_size_problem((1100, 1700, 3)) is None
    True
    >>> grid_size_problem((100, 100, 3))
    'image is 100x100 px: too small to hold an ECG grid (need at least 128 px a side)'
    >>> grid_size_problem((100, 50000))
    'image is 50000x100 px: too narrow to hold an ECG grid (sides 500:1; at most 12.5:1)'
    """
    h, w = int(shape[0]), int(shape[1])
    scale = min(1.0, WORK_MAX_SIDE / max(h, w, 1))
    if max(h, w) > WORK_MAX_SIDE and min(int(round(w * scale)), int(round(h * scale))) < TILE_MIN:
        return (f"image is {w}x{h} px: too narrow to hold an ECG grid (sides {max(h, w) / max(min(h, w), 1):.3g}:1; "
                f"at most {WORK_MAX_SIDE / TILE_MIN:g}:1)")
    if min(h, w) < TILE_MIN:
        return f"image is {w}x{h} px: too small to hold an ECG grid (need at least {TILE_MIN} px a side)"
    return None


@dataclass
class Lattice:
    """The grid of a page: the map from rectified pixels to image pixels, and its scale.

    ``homography`` maps rectified-image pixel coordinates (x, y) to input-image
    pixel coordinates. The rectified image has ``px_per_mm`` px per mm on both
    axes, its grid lines are axis-aligned, and major (5 mm) lines sit at
    ``phase_px + k * 5 * px_per_mm``. ``rotation_deg`` is the page's tilt (positive:
    counter-clockwise as seen), ``perspective`` the largest relative change of
    scale across the page caused by perspective. ``unit_ambiguous``: only one line
    spacing was seen and it was taken as ``unit_mm`` (1 or 5 mm); the other is
    possible. ``strength`` is the lattice peak over the spectrum's background.
    """

    homography: np.ndarray
    px_per_mm: float
    size: tuple[int, int]
    image_px_per_mm: float
    rotation_deg: float
    perspective: float
    unit_mm: float
    unit_ambiguous: bool
    strength: float
    phase_px: tuple[float, float] = (0.0, 0.0)
    tiles_used: int = 0
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        """The lattice as plain JSON values for reports."""
        return {"px_per_mm_image": round(self.image_px_per_mm, 4), "px_per_mm_rectified": self.px_per_mm,
                "rotation_deg": round(self.rotation_deg, 3), "perspective": round(self.perspective, 4),
                "unit_mm": self.unit_mm, "unit_ambiguous": self.unit_ambiguous,
                "grid_strength": round(self.strength, 1), "tiles_used": self.tiles_used,
                "homography": np.round(self.homography, 8).tolist()}


def _gradients(params: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Gradients of u and v at pts for u = (a x + b y)/(g x + h y + 1), v = (d x + e y)/(...)."""
    a, b, d, e, g, h = params
    x, y = pts[:, 0], pts[:, 1]
    den = g * x + h * y + 1.0
    nu, nv = a * x + b * y, d * x + e * y
    den2 = den * den
    return np.stack([(a * den - nu * g) / den2, (b * den - nu * h) / den2,
                     (d * den - nv * g) / den2, (e * den - nv * h) / den2], axis=1)


def _fit_projective(pts: np.ndarray, grads: np.ndarray, span: float) -> np.ndarray:
    """Fit (a, b, d, e, g, h) to measured gradients; perspective terms only with enough tiles."""
    gu, gv = np.median(grads[:, :2], axis=0), np.median(grads[:, 2:], axis=0)
    x0 = np.array([gu[0], gu[1], gv[0], gv[1]])
    scale = np.hypot(*gu)

    def resid(p):
        q = p if len(p) == 6 else np.concatenate([p, [0.0, 0.0]])
        return ((_gradients(q, pts) - grads) / scale).ravel()

    affine = least_squares(resid, x0, loss="soft_l1", f_scale=0.005).x
    if len(pts) < 6:
        return np.concatenate([affine, [0.0, 0.0]])
    bound = 0.5 / span
    return least_squares(resid, np.concatenate([affine, [0.0, 0.0]]), loss="soft_l1", f_scale=0.005,
                         bounds=([-np.inf] * 4 + [-bound, -bound], [np.inf] * 4 + [bound, bound])).x


@dataclass
class _Fit:
    G: np.ndarray  # work px -> (u, v) in fundamental periods (homogeneous 3x3)
    five: bool
    strength: float
    contrast: float
    tiles: int


def _lattice_fit(dark: np.ndarray) -> _Fit | None:
    """One pass: each tile's local lattice (frequency vectors of both line families), then a homography.

    Tiles are analysed one by one (not summed) so that perspective, which changes the
    local spacing across the page, does not smear the peaks. Tiles agree on the
    fundamental (the 5 mm spacing where the 1 mm/5 mm pattern shows) by consensus;
    tiles on text, traces or the table beside the page drop out.
    """
    h, w = dark.shape
    if min(h, w) < TILE_MIN:  # the second pass's rectified map of a narrow page can lose a px or two
        return None
    size = 256 if min(h, w) >= 384 else TILE_MIN
    r_min = 4.0 if size == 256 else 2.5
    corners, spec = _spectra(dark, size)
    found = []
    for (y, x), s in zip(corners, spec):
        local = _tile_lattice(s, r_min)
        if local is not None:
            found.append(((x + size / 2 - w / 2, y + size / 2 - h / 2), *local))
    if len(found) < max(2, len(corners) // 8):
        return None
    ru = np.array([np.hypot(*f[1]) for f in found])
    rv = np.array([np.hypot(*f[2]) for f in found])
    # consensus on the fundamental: the most common spacing of each family (tiles may see 1 mm or 5 mm),
    # unless that spacing is a pixel-grid alias of a finer one other tiles see
    cu, ku = _unaliased(ru)
    cv, kv = _unaliased(rv)
    found = [(f[0], f[1] * a, f[2] * b, *f[3:]) for f, a, b in zip(found, ku, kv)]
    ru, rv = ru * ku, rv * kv
    if not 0.75 < cu / cv < 1.33:
        cu = cv = cu if np.sum(np.abs(ru / cu - 1) < 0.2) >= np.sum(np.abs(rv / cv - 1) < 0.2) else cv
    keep = [f for f, a, b in zip(found, ru, rv) if abs(a / cu - 1) < 0.25 and abs(b / cv - 1) < 0.25]
    if len(keep) < max(2, len(corners) // 8):
        return None
    pts = np.array([f[0] for f in keep])
    grads = np.array([np.concatenate([f[1], f[2]]) / size for f in keep])  # fundamental periods per px
    a, b, d, e, g, hh = _fit_projective(pts, grads, span=max(h, w))
    centre = np.array([[1, 0, -w / 2], [0, 1, -h / 2], [0, 0, 1]], np.float64)
    G = np.array([[a, b, 0.0], [d, e, 0.0], [g, hh, 1.0]]) @ centre
    five = np.mean([f[3] for f in keep]) >= 0.5
    return _Fit(G=G, five=bool(five), strength=float(np.median([f[4] for f in keep])),
                contrast=0.0, tiles=len(keep))


ALIAS_FACTORS = (2, 8, 10)
"""Spacings the rounding of lines drawn at a non-integer px pitch repeats at: every 2nd 5 mm line (sharp/split
alternation), every 8th or 10th 1 mm line. Other multiples are left alone: a 12x1 page's rows (15 mm) and beats
are periodic too."""


def _mode(values: np.ndarray) -> float:
    """The value with the most others within 10 % of it (a robust most-common value)."""
    counts = [(np.sum(np.abs(values / v - 1) < 0.1), -i) for i, v in enumerate(values)]
    best = max(range(len(values)), key=lambda i: counts[i])
    near = values[np.abs(values / values[best] - 1) < 0.1]
    return float(np.median(near))


def _unaliased(freqs: np.ndarray) -> tuple[float, np.ndarray]:
    """The tiles' consensus frequency of one line family (bins), and per tile the factor that brings its own
    frequency to it.

    The consensus is the most common frequency (:func:`_mode`), unless some tiles see a finer
    spacing that divides the common one k times (k in :data:`ALIAS_FACTORS`): ECG grids space
    lines 1 and 5 mm apart, so a common spacing of 2, 8 or 10 of them is an alias. Lines drawn at a
    non-integer number of px repeat their rounding every few lines (1 mm lines at 7.87 px
    every 8 lines, 63 px; 5 mm lines at 25.6 px alternately sharp and split, 51 px), and on a
    small or photographed page that pattern can outweigh the lines themselves. Tiles that saw
    the alias get the factor k; where the finer spacing has too little support (at least two
    tiles and a tenth of them), nothing changes.

    Example
    -------
    >>> f, k = _unaliased(np.array([5.0, 5.0, 5.02, 4.98, 40.0, 40.1, 39.9]))   # 8 lines repeat: an alias
    >>> round(f, 1), k.tolist()
    (40.0, [8.0, 8.0, 8.0, 8.0, 1.0, 1.0, 1.0])
    >>> f, k = _unaliased(np.array([5.0, 5.0, 5.02, 25.0, 25.1]))             # 1 mm and 5 mm: a grid
    >>> round(f, 2), k.tolist()
    (5.0, [1.0, 1.0, 1.0, 1.0, 1.0])
    """
    common = _mode(freqs)
    factor = np.ones(len(freqs))
    best = None
    for k in ALIAS_FACTORS:
        near = np.abs(freqs / (k * common) - 1) < 0.03
        if near.sum() >= max(2, 0.1 * len(freqs)) and (best is None or near.sum() > best[1].sum()):
            best = (k, near)
    if best is None:
        return common, factor
    k, near = best
    factor[np.abs(freqs / common - 1) < 0.1] = k
    return float(np.median(freqs[near])), factor


def _jacobian(G: np.ndarray, x: float, y: float) -> np.ndarray:
    """2x2 Jacobian of the projective map G at (x, y)."""
    p = G @ np.array([x, y, 1.0])
    return (G[:2, :2] * p[2] - np.outer(p[:2], G[2, :2])) / p[2] ** 2


def _rectifying_map(G: np.ndarray, image_size: tuple[int, int], px_per_unit: float,
                    max_side: int) -> tuple[np.ndarray, tuple[int, int]]:
    """Homography from rectified px (``px_per_unit`` per period) to image px, and the size covering the image."""
    w0, h0 = image_size
    corners = np.array([[0, 0, 1], [w0, 0, 1], [w0, h0, 1], [0, h0, 1]], np.float64).T
    uvw = G @ corners
    uv = uvw[:2] / uvw[2] * px_per_unit
    lo, hi = uv.min(axis=1), uv.max(axis=1)
    centre = (lo + hi) / 2
    half = np.minimum((hi - lo) / 2, max_side / 2)  # extreme perspective: keep the output bounded
    lo, hi = centre - half, centre + half
    S = np.array([[1 / px_per_unit, 0, lo[0] / px_per_unit], [0, 1 / px_per_unit, lo[1] / px_per_unit],
                  [0, 0, 1]], np.float64)  # rectified px -> (u, v)
    H = np.linalg.inv(G) @ S
    return H / H[2, 2], (int(np.ceil(hi[0] - lo[0])) + 1, int(np.ceil(hi[1] - lo[1])) + 1)


def _first_fit(image: np.ndarray, scale: float) -> tuple[np.ndarray, _Fit, bool] | None:
    """The first map of ``grid_maps`` that shows a lattice, downscaled by ``scale``, its first-pass fit, and
    whether that map is the darkness map (a grey grid) rather than the colour map.

    A coloured pen puts the trace itself in the colour map, and a 12x1 page's rows and a
    regular heart beat are periodic too (rows 15 mm apart, beats 15-20 mm apart). That lattice
    never shows the 1 mm/5 mm comb; the grid does where its minor lines are visible. So when
    the first map's lattice lacks the comb and the next map shows it at another period, the
    next map's lattice is the grid. Where both see the same period the first map is kept.
    A comb-less first lattice at twice the next map's period is not a grid either (ECG grids
    space their lines 1 and 5 mm, never 10): lines 5 mm apart at a half-integer number of px
    (29.5 px at 150 dpi) are drawn alternately sharp and split, and the colour map of a blue
    grid on tinted paper showed that 10 mm alternation; the next map's lattice is taken.
    """
    h0, w0 = image.shape[:2]
    chosen = None
    maps = grid_maps(image)
    for i, dark in enumerate(maps):
        grey = i == len(maps) - 1  # the darkness map comes last
        if scale < 1.0:
            dark = cv2.resize(dark, (int(round(w0 * scale)), int(round(h0 * scale))), interpolation=cv2.INTER_AREA)
        fit = _lattice_fit(dark)
        if fit is None:
            continue
        if chosen is None:
            chosen = (dark, fit, grey)
            if fit.five:
                break
            continue
        ratio = _fit_period(fit, dark.shape) / _fit_period(chosen[1], dark.shape)
        if (fit.five and abs(ratio - 1) > 0.2) or abs(ratio - 0.5) < 0.05:
            chosen = (dark, fit, grey)
        break
    return chosen


def _fit_period(fit: _Fit, shape: tuple[int, int]) -> float:
    """Fundamental period (px) of a fitted lattice at the centre of a map of ``shape``."""
    return float(1.0 / np.sqrt(abs(np.linalg.det(_jacobian(fit.G, shape[1] / 2, shape[0] / 2)))))


def grid_detect(image: np.ndarray, px_per_mm_out: float | None = None, max_px_per_mm: float = 12.0,
                unit_mm: float | None = None) -> Lattice | None:
    """Find the ECG grid of an RGB page image; ``None`` when the page shows no grid lattice.

    ``px_per_mm_out`` fixes the rectified image's resolution; by default it is the
    image's own (rounded to 0.2 px/mm, within 4 to ``max_px_per_mm``). ``unit_mm`` forces
    the size of the fundamental spacing (1 or 5 mm) when the page shows only one.

    Example
    -------
    >>> from vaescan.pages.render import blank_page
    >>> page = blank_page(150)
    >>> lat = grid_detect(page)
    >>> round(lat.image_px_per_mm, 2), round(150 / 25.4, 2), lat.unit_mm, abs(lat.rotation_deg) < 0.05
    (5.91, 5.91, 5.0, True)
    """
    h0, w0 = image.shape[:2]
    scale = min(1.0, WORK_MAX_SIDE / max(h0, w0))
    found = _first_fit(image, scale)
    if found is None:
        return None
    dark, first, grey = found
    h, w = dark.shape
    sx, sy = w / w0, h / h0  # actual resize factors; pixel centres: x_work = s (x + 0.5) - 0.5
    to_work = np.array([[sx, 0, 0.5 * sx - 0.5], [0, sy, 0.5 * sy - 0.5], [0, 0, 1]], np.float64)

    # second pass on the roughly rectified page: peaks are sharp there, so the comb (1 mm / 5 mm)
    # and what is left of the perspective are measured cleanly
    period1 = _fit_period(first, (h, w))
    H1, size1 = _rectifying_map(first.G, (w, h), period1, max_side=2 * max(w, h))
    rect = cv2.warpPerspective(dark, H1, size1, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    second = _lattice_fit(rect)
    fit = first
    # the second pass refines the first; a lattice of another period there is the trace's (rows, beats)
    if second is not None and abs(_fit_period(second, rect.shape) / period1 - 1) < 0.2:
        G2 = second.G @ np.linalg.inv(H1)
        fit = _Fit(G=G2, five=second.five, strength=second.strength, contrast=second.contrast,
                   tiles=second.tiles)
    G = fit.G @ to_work  # image px -> (u, v)
    J = _jacobian(G, w0 / 2, h0 / 2)
    period_px = 1.0 / np.sqrt(abs(np.linalg.det(J)))  # fundamental period in image px, page centre
    ambiguous = not fit.five and unit_mm is None
    if unit_mm is None:
        unit_mm = 5.0 if fit.five else (1.0 if period_px <= 13.0 else 5.0)
    image_ppm = period_px / unit_mm
    if px_per_mm_out is None:
        px_per_mm_out = float(np.clip(round(image_ppm * 5) / 5, 4.0, max_px_per_mm))
    max_side = int(2.5 * max(w0, h0) * px_per_mm_out / image_ppm)
    H, size = _rectifying_map(G, (w0, h0), px_per_mm_out * unit_mm, max_side)
    if grey:
        dark = _trace_removed(dark, image, H1, size1, period1)
    H, size, phase, notes = _refine_lattice(dark, to_work, H, size, px_per_mm_out, unit_mm, fit.five)
    # page tilt: direction of the page's x axis in the image (positive: counter-clockwise as seen)
    Jh = _jacobian(H, size[0] / 2, size[1] / 2)
    image_ppm = px_per_mm_out * float(np.sqrt(abs(np.linalg.det(Jh))))
    rotation = -float(np.degrees(np.arctan2(Jh[1, 0], Jh[0, 0])))
    scales = [np.sqrt(abs(np.linalg.det(_jacobian(G, x, y)))) for x, y in ((0, 0), (w0, 0), (w0, h0), (0, h0))]
    perspective = float((max(scales) - min(scales)) / np.mean(scales))
    return Lattice(homography=H, px_per_mm=px_per_mm_out, size=size, image_px_per_mm=image_ppm,
                   rotation_deg=rotation, perspective=perspective, unit_mm=unit_mm, unit_ambiguous=ambiguous,
                   strength=fit.strength, phase_px=phase, tiles_used=fit.tiles, notes=notes)
