"""Trace-free refinement of the rectification: the grid lines' own positions against an exact lattice.

On the rectified page the lines' profile is demodulated at the ideal period, band by band;
the phase is the lines' displacement, and a projective correction puts them on the lattice
(scale, residual rotation and perspective to a small fraction of a pixel on a flat page).
The phase of the grid's periodic profile across the whole page gives the major lines'
position. On a grey grid the trace is taken out of the map first, so that it does not pull
the lines' phases.
"""

from __future__ import annotations

import cv2
import numpy as np

from vaescan.digitize.grid_maps import darkness

SHADE_SPREAD = 0.1
"""Paper lit more unevenly than this (:func:`_paper_spread`) keeps the trace in the grey grid's refinement:
a darkness threshold would take shaded grid lines out with the trace."""

BLUR_MAX = 0.8
"""The refinement is not applied where it leaves the finest lines' coherence across the page (:func:`_coherence`)
below this share of what it was before, on either axis: faint lines under noise can slip a phase between bands,
and the fit then tilts straight lines (rotated_03 of the outside pages: the horizontal lines' coherence fell to
0.23 of its value, the page was tilted by 1.1 degrees and read at -1.2 dB)."""


def _trace_removed(dark: np.ndarray, image: np.ndarray, H1: np.ndarray, size1: tuple[int, int],
                   period: float) -> np.ndarray:
    """The grey grid's map ``dark`` (of :func:`grid_maps`, at work scale) with the trace taken out, for refining.

    Clipped darkness weighs a heavy trace like a grid line, and a periodic trace (evenly
    spaced rows, regular beats) pulls the lines' phases: a tilt of 0.3 degrees on an
    unrotated page. Pixels darker than halfway from the grid lines' own darkness to black
    (grown by 1 px, for their anti-aliased edges) are set to 0, judged on the unclipped
    darkness. The lines' darkness is read on the roughly rectified map (``H1``, ``size1``):
    the 90th percentile of the pixels in the columns of the darkest phase, the page's
    columns folded on the lattice ``period`` (px). On unevenly lit paper ``dark`` is
    returned as it is.
    """
    h, w = dark.shape
    raw = cv2.resize(darkness(image), (w, h), interpolation=cv2.INTER_AREA)
    if _paper_spread(raw, period) > SHADE_SPREAD:
        return dark
    rect = cv2.warpPerspective(raw, H1, size1, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    bins = max(3, int(round(period)))
    phase = ((np.arange(rect.shape[1]) % period) / period * bins).astype(int)
    covered = (rect > 0).mean(axis=0) > 0.5
    if covered.sum() < 4 * period:
        return dark
    prof = rect[:, covered].mean(axis=0)
    means = np.bincount(phase[covered], prof, bins) / np.maximum(np.bincount(phase[covered], None, bins), 1)
    on_lines = rect[:, covered][:, phase[covered] == int(np.argmax(means))]
    on_lines = on_lines[on_lines > 0]
    if on_lines.size < 100:
        return dark
    # the lines' own darkness: most of a line column is line (the trace crosses it briefly)
    heavy = raw > (float(np.percentile(on_lines, 90)) + 1.0) / 2
    heavy = cv2.dilate(heavy.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    return np.where(heavy, 0.0, dark).astype(dark.dtype)


def _paper_spread(dark: np.ndarray, period: float) -> float:
    """How unevenly the paper is lit: 1 - (5th / 95th percentile) of the paper's brightness over the central 80 %.

    The paper's brightness is the brightest pixel within two lattice periods (``period``
    px), smoothed. On the 60 evaluation pages of seed 0: flat pages 0-0.03, creased pages
    0.01-0.04, photos with shadows (phone mix) 0.17-0.42.
    """
    k = max(3, int(2 * period) | 1)
    paper = cv2.dilate(1.0 - dark, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    paper = cv2.GaussianBlur(paper, (0, 0), sigmaX=1.5 * period)
    h, w = paper.shape
    core = paper[h // 10:h - h // 10, w // 10:w - w // 10]
    hi = float(np.percentile(core, 95))
    return 1.0 - float(np.percentile(core, 5)) / hi if hi > 0 else 0.0


def _line_offsets(rect: np.ndarray, period: float, axis: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Where the grid lines of one family actually are, relative to an ideal lattice of ``period`` px.

    ``axis`` 0 measures vertical lines (offsets along x) in horizontal bands, 1 horizontal lines in
    vertical bands. In each band the lines' profile is demodulated at the ideal frequency; its phase,
    unwrapped along the band and matched between neighbouring bands, is the lines' displacement.
    Returns sample positions (x, y), displacements (px, along the measured axis) and weights.
    """
    img = rect if axis == 0 else rect.T
    n_rows, n_cols = img.shape
    band = int(max(6 * period, 24))
    step = max(1, int(round(period / 2)))
    x = np.arange(n_cols, dtype=np.float64)
    carrier = np.exp(-2j * np.pi * x / period)
    k = max(3, int(round(3 * period)))
    kern = np.ones(k) / k
    trend_k = (max(3, int(3 * period)) | 1, 1)
    rows = []
    for y0 in range(0, n_rows - band // 2, band):
        prof = img[y0:y0 + band].mean(axis=0).astype(np.float64)
        prof = prof - cv2.blur(prof.reshape(1, -1), trend_k).ravel()
        zs = np.convolve(prof * carrier, kern, mode="same")[::step]
        rows.append((y0 + min(band, n_rows - y0) / 2, zs))
    if not rows:
        return (np.empty(0),) * 4
    xs = x[::step]
    amp_all = np.concatenate([np.abs(z) for _, z in rows])
    level = 0.25 * np.percentile(amp_all, 95)
    out_x, out_y, out_d, out_w = [], [], [], []
    prev = None  # (xs, d) of the last band with lines
    for yc, zs in rows:
        amp = np.abs(zs)
        valid = amp > level
        if valid.sum() < 8:
            continue
        phase = np.unwrap(np.angle(zs[valid]))
        d = -phase / (2 * np.pi) * period
        xv = xs[valid]
        if prev is not None:
            common, ia, ib = np.intersect1d(prev[0], xv, return_indices=True)
            ref = np.median(prev[1][ia] - d[ib]) if len(common) else np.median(prev[1]) - np.median(d)
            d = d + period * np.round(ref / period)
        prev = (xv, d)
        out_x.append(xv)
        out_y.append(np.full(len(xv), yc))
        out_d.append(d)
        out_w.append(amp[valid])
    if not out_x:
        return (np.empty(0),) * 4
    xa, ya, da, wa = (np.concatenate(v) for v in (out_x, out_y, out_d, out_w))
    return (xa, ya, da, wa) if axis == 0 else (ya, xa, da, wa)


def _coherence(rect: np.ndarray, period: float) -> tuple[float, float]:
    """How sharply the lines of each family (vertical, horizontal) add up across the whole page: the amplitude at
    ``period`` px of the page's mean profile along x and along y (trend removed). Lines that are straight and on
    one lattice add up; tilted or bent ones smear out."""
    out = []
    for axis in (0, 1):
        p = rect.mean(axis=axis).astype(np.float64)
        p = p - cv2.blur(p.reshape(1, -1), (max(3, int(3 * period)) | 1, 1)).ravel()
        x = np.arange(len(p))
        out.append(float(abs(np.sum(p * np.exp(-2j * np.pi * x / period)))) / max(len(p), 1))
    return out[0], out[1]


def _fit_correction(meas_x, meas_y, size: tuple[int, int]) -> np.ndarray | None:
    """Projective map M (current rectified px -> corrected px) putting the measured lines on the lattice.

    ``meas_x``/``meas_y``: (x, y, displacement, weight) of vertical / horizontal lines. Solved as a
    weighted, iteratively re-weighted (Huber) linear least-squares problem in normalised coordinates.
    """
    w, h = size
    c, s = np.array([w / 2, h / 2]), max(w, h) / 2
    blocks, targets, weights = [], [], []
    for (x, y, d, wt), which in ((meas_x, 0), (meas_y, 1)):
        if len(x) == 0:
            continue
        X, Y = (x - c[0]) / s, (y - c[1]) / s
        t = ((x if which == 0 else y) - d - c[which]) / s  # where this point belongs on the lattice
        one, zero = np.ones_like(X), np.zeros_like(X)
        if which == 0:
            blocks.append(np.stack([X, Y, one, zero, zero, zero, -t * X, -t * Y], axis=1))
        else:
            blocks.append(np.stack([zero, zero, zero, X, Y, one, -t * X, -t * Y], axis=1))
        targets.append(t)
        weights.append(wt / wt.max())
    if len(blocks) < 2:
        return None
    A, b, wts = np.concatenate(blocks), np.concatenate(targets), np.concatenate(weights)
    robust = np.ones_like(b)
    for _ in range(4):
        wr = wts * robust
        p = np.linalg.solve((A * wr[:, None]).T @ A + 1e-12 * np.eye(8), (A * wr[:, None]).T @ b)
        r = np.abs(A @ p - b) * s  # px
        robust = np.where(r < 0.5, 1.0, 0.5 / np.maximum(r, 1e-9))
    M = np.array([[p[0], p[1], p[2]], [p[3], p[4], p[5]], [p[6], p[7], 1.0]])
    N = np.array([[1 / s, 0, -c[0] / s], [0, 1 / s, -c[1] / s], [0, 0, 1]])
    return np.linalg.inv(N) @ M @ N


def _refine_lattice(dark: np.ndarray, to_work: np.ndarray, H: np.ndarray, size: tuple[int, int], ppm: float,
                    unit_mm: float, minor: bool) -> tuple[np.ndarray, tuple[int, int], tuple[float, float], list[str]]:
    """Register the rectified grid to an exact lattice by the phase of its lines; find the major-line phase.

    Corrects scale, residual rotation and perspective to a small fraction of a pixel
    on a flat page; two passes (the first on the coarse period when it is 1 mm).
    """
    notes = []
    periods = [unit_mm * ppm] + ([ppm] if minor and unit_mm > 1 else [])
    H0 = H
    first = None
    for period in periods + [periods[-1]]:
        rect = cv2.warpPerspective(dark, to_work @ H, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                   borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        first = rect if first is None else first
        mx = _line_offsets(rect, period, axis=0)
        my = _line_offsets(rect, period, axis=1)
        M = _fit_correction(mx, my, size)
        if M is None:
            notes.append("grid lines too faint to refine the rectification")
            break
        H = H @ np.linalg.inv(M)
        H = H / H[2, 2]
    rect = cv2.warpPerspective(dark, to_work @ H, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    # the refinement must leave the finest lines at least about as straight as it found them
    before, after = _coherence(first, periods[-1]), _coherence(rect, periods[-1])
    if any(b < BLUR_MAX * a for a, b in zip(before, after)):
        notes.append("a refinement of the rectification that blurred the grid lines was not applied")
        H = H0
        rect = first
    phases = []
    for axis in (0, 1):
        major = _profile_period(rect.mean(axis=axis).astype(np.float64), max(unit_mm, 5.0 if minor else 1.0) * ppm)
        phases.append(0.0 if major is None else major[1])
    return H, size, (phases[0], phases[1]), notes


def _profile_period(profile: np.ndarray, period: float) -> tuple[float, float, float] | None:
    """Refine a periodic profile's period and phase by complex demodulation.

    Returns (period, position of a line (px), relative amplitude) or None.
    """
    n = len(profile)
    if n < 4 * period:
        return None
    x = np.arange(n, dtype=np.float64)
    trend = cv2.blur(profile.reshape(1, -1).astype(np.float64), (max(3, int(3 * period) | 1), 1)).ravel()
    p = profile - trend
    z = p * np.exp(-2j * np.pi * x / period)
    k = max(3, int(round(4 * period)))
    kern = np.ones(k) / k
    zs = np.convolve(z, kern, mode="same")
    amp = np.abs(zs)
    valid = amp > 0.3 * np.percentile(amp, 95)
    if valid.sum() < 2 * period:
        return None
    phase = np.unwrap(np.angle(zs[valid]))
    xv = x[valid]
    wts = amp[valid]
    slope, intercept = np.polyfit(xv, phase, 1, w=wts)
    freq = 1.0 / period + slope / (2 * np.pi)
    if freq <= 0:
        return None
    line = (-intercept / (2 * np.pi)) / freq  # x where the phase is 0 (a line: darkness peaks)
    contrast = float(np.percentile(amp, 95) / (np.std(p) + 1e-12))
    return 1.0 / freq, float(line % (1.0 / freq)), contrast
