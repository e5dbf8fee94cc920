"""ECG grid detection: the lattice's pitch, the page's rotation and perspective, and rectification.

ECG paper carries a square lattice: thin lines every 1 mm, bold ones every 5 mm.
Its spectrum has a comb of sharp peaks along two nearly perpendicular
directions, whatever the grid's colour or form (lines or dots). This module:

1. sums the power spectra of overlapping tiles of the page's darkness map and
   finds the two line families and the fundamental period of each (the 5 mm
   major grid when the 1 mm/5 mm pattern is visible);
2. measures, tile by tile, the local lattice frequency vectors. For a page seen
   through a homography these are the gradients of the page coordinates (u, v)
   with respect to image pixels, so a homography fitted to them removes rotation
   and perspective together (robust least squares: tiles on text or shadows do
   not pull the fit);
3. rectifies the page to an axis-aligned image at a chosen px per mm, then
   refines the scale and finds the grid phase from the phase of the grid's own
   periodic profile across the whole page (precision about 0.01 %).

When only one line spacing is visible (no 1 mm/5 mm pattern), whether it is
1 mm or 5 mm is left open (``unit_ambiguous``); the digitiser settles it from
the calibration pulse or the rows' length.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import cv2
import numpy as np
from scipy.optimize import least_squares

WORK_MAX_SIDE = 1600
"""Grid detection runs on the page downscaled to at most this many px a side."""

SHADE_SPREAD = 0.1
"""Paper lit more unevenly than this (:func:`_paper_spread`) keeps the trace in the grey grid's refinement:
a darkness threshold would take shaded grid lines out with the trace."""


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


def darkness(image: np.ndarray) -> np.ndarray:
    """Darkness of each pixel in [0, 1] from its darkest channel: coloured grids, grey grids and ink all show.

    Example
    -------
    >>> [round(float(v), 2) for v in darkness(np.array([[[255, 255, 255], [240, 130, 160], [0, 0, 0]]], np.uint8))[0]]
    [0.0, 0.49, 1.0]
    """
    r, g, b = cv2.split(np.ascontiguousarray(image))
    return 1.0 - cv2.min(cv2.min(r, g), b).astype(np.float32) / 255.0


def grid_maps(image: np.ndarray) -> list[np.ndarray]:
    """Maps in which to look for the grid, best first, as float32 in [0, 1].

    Colour saturation (brightest minus darkest channel) shows a coloured grid while
    black ink drops out; it comes first when the page has noticeable colour. The
    darkness, clipped at 0.5 so that heavy ink weighs no more than grid lines,
    serves grey grids and faded colour.

    Example
    -------
    >>> maps = grid_maps(np.array([[[255, 255, 255], [240, 130, 160], [0, 0, 0]]] * 4, np.uint8))
    >>> [[round(float(v), 2) for v in m[0]] for m in maps]
    [[0.0, 0.43, 0.0], [0.0, 0.49, 0.5]]
    """
    r, g, b = cv2.split(image)
    lo = cv2.min(cv2.min(r, g), b)
    chroma = cv2.subtract(cv2.max(cv2.max(r, g), b), lo).astype(np.float32) / 255.0
    dark = np.minimum(1.0 - lo.astype(np.float32) / 255.0, 0.5)
    return [chroma, dark] if float(np.percentile(chroma, 99)) > 0.08 else [dark]


def _tiles(shape: tuple[int, int], size: int) -> list[tuple[int, int]]:
    h, w = shape
    ys = np.unique(np.linspace(0, max(h - size, 0), max(1, int(np.ceil((h - size) / (size / 2))) + 1)).astype(int))
    xs = np.unique(np.linspace(0, max(w - size, 0), max(1, int(np.ceil((w - size) / (size / 2))) + 1)).astype(int))
    return [(y, x) for y in ys for x in xs]


def _spectra(dark: np.ndarray, size: int, max_tiles: int = 64) -> tuple[list[tuple[int, int]], np.ndarray]:
    """Power spectra (fftshifted, float32) of Hann-windowed overlapping tiles (at most ``max_tiles``)."""
    from scipy import fft

    window = np.outer(np.hanning(size), np.hanning(size)).astype(np.float32)
    corners = _tiles(dark.shape, size)
    if len(corners) > max_tiles:
        corners = [corners[i] for i in np.linspace(0, len(corners) - 1, max_tiles).round().astype(int)]
    stack = np.stack([dark[y:y + size, x:x + size] for y, x in corners])
    stack = (stack - stack.mean(axis=(1, 2), keepdims=True)) * window
    spec = np.abs(fft.fftshift(fft.fft2(stack, workers=1), axes=(1, 2))) ** 2
    return corners, spec.astype(np.float32)


def _radial(spec: np.ndarray, direction: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """Spectrum sampled along a ray from the centre (max over a 3-bin-wide strip, bilinear)."""
    size = spec.shape[0]
    c = size / 2
    normal = np.array([-direction[1], direction[0]])
    best = np.zeros(len(radii), np.float32)
    for off in (-1.0, 0.0, 1.0):
        pts = c + radii[:, None] * direction[None, :] + off * normal[None, :]
        mx = pts[:, 0].astype(np.float32)
        my = pts[:, 1].astype(np.float32)
        vals = cv2.remap(spec, mx[None, :], my[None, :], cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)[0]
        best = np.maximum(best, vals)
    return best


def _fundamental(spec: np.ndarray, peak: np.ndarray) -> tuple[float, bool, float]:
    """Fundamental frequency (bins) of the harmonic comb through ``peak`` along its direction.

    The fundamental is the smallest f0 = |peak| / n whose multiples up to the peak
    are (nearly) all peaks, standing 2x above the valleys between them. Returns (f0, whether the comb
    shows the 1 mm/5 mm pattern, i.e. a boosted 5th harmonic: f0 is then the 5 mm
    spacing, contrast in log units).
    """
    size = spec.shape[0]
    r1 = float(np.hypot(*peak))
    direction = peak / r1
    radii = np.arange(0, size / 2 - 1, 0.25)
    prof = np.log(_radial(spec, direction, radii) + 1e-9)

    def at(r):
        return np.interp(r, radii, prof)

    offsets = np.array([-0.5, -0.25, 0.0, 0.25, 0.5])

    def peak_at(r):  # peaks may sit a little off the exact multiple (perspective, rounding)
        r = np.atleast_1d(r)
        return at(r[:, None] + offsets[None, :]).max(axis=1)

    def rise(r, gap):  # how far peaks at r stand above the valleys half a spacing either side
        return peak_at(r) - np.maximum(at(r - 0.5 * gap), at(r + 0.5 * gap))

    best_f0, best_c = r1, float(rise(np.array([r1]), r1)[0])
    for n in range(2, 13):
        f0 = r1 / n
        if f0 < 2.0:
            break
        # every multiple of f0 up to the strong peak must itself be a peak (blur may erase those above)
        rises = rise(np.arange(1, n + 1) * f0, f0)
        if np.mean(rises > np.log(2.0)) >= 0.7:
            best_f0, best_c = f0, float(np.median(rises))
    five = False
    if 6 * best_f0 < size / 2 - 2:
        p4, p5, p6 = peak_at(np.array([4, 5, 6]) * best_f0)
        five = p5 - max(p4, p6) > np.log(2.0)
    return best_f0, bool(five), best_c


@functools.lru_cache(maxsize=4)
def _freq_grid(size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    c = size // 2
    fy, fx = np.mgrid[-c:size - c, -c:size - c].astype(np.float32)
    return fx, fy, np.hypot(fx, fy)


def _peak(spec: np.ndarray, r_min: float, near_dir: np.ndarray | None = None,
          max_angle: float = 25.0) -> tuple[np.ndarray, float]:
    """Strongest bin (as a frequency vector from the centre, bins) outside radius r_min.

    With ``near_dir`` only bins within ``max_angle`` degrees of that direction (either sign) count.
    """
    size = spec.shape[0]
    c = size // 2
    fx, fy, r = _freq_grid(size)
    ok = (r >= r_min) & (r < c - 1)
    if near_dir is not None:
        cosang = np.abs(fx * near_dir[0] + fy * near_dir[1]) / np.maximum(r, 1e-6)
        ok &= cosang > np.cos(np.radians(max_angle))
    masked = np.where(ok, spec, -1.0)
    iy, ix = np.unravel_index(int(np.argmax(masked)), spec.shape)
    return np.array([ix - c, iy - c], np.float64), float(spec[iy, ix])


def _refine(spec: np.ndarray, guess: np.ndarray, radius: float) -> tuple[np.ndarray, float] | None:
    """Sub-bin peak near ``guess`` (bins from centre) within ``radius`` bins: Gaussian interpolation."""
    size = spec.shape[0]
    c = size // 2
    gx, gy = guess + c
    r = max(int(np.ceil(radius)), 1)
    x0, x1 = int(round(gx)) - r, int(round(gx)) + r + 1
    y0, y1 = int(round(gy)) - r, int(round(gy)) + r + 1
    if x0 < 1 or y0 < 1 or x1 > size - 1 or y1 > size - 1:
        return None
    win = spec[y0:y1, x0:x1]
    iy, ix = np.unravel_index(int(np.argmax(win)), win.shape)
    py, px = y0 + iy, x0 + ix
    lv = np.log(spec[py - 1:py + 2, px - 1:px + 2] + 1e-12)
    dx_den = lv[1, 0] - 2 * lv[1, 1] + lv[1, 2]
    dy_den = lv[0, 1] - 2 * lv[1, 1] + lv[2, 1]
    dx = 0.5 * (lv[1, 0] - lv[1, 2]) / dx_den if dx_den < 0 else 0.0
    dy = 0.5 * (lv[0, 1] - lv[2, 1]) / dy_den if dy_den < 0 else 0.0
    return np.array([px + np.clip(dx, -0.5, 0.5) - c, py + np.clip(dy, -0.5, 0.5) - c]), float(spec[py, px])


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


def _tile_lattice(s: np.ndarray, r_min: float) -> tuple[np.ndarray, np.ndarray, bool, float] | None:
    """Local lattice of one tile's spectrum: fundamental frequency vectors of the u and v line families.

    Returns (vector u, vector v) in bins (u: vertical lines, pointing +x; v: pointing +y),
    whether the 1 mm/5 mm pattern shows, and the weaker family's peak over the background.
    """
    bg = float(np.median(s[::4, ::4])) + 1e-12
    k1, p1 = _peak(s, r_min)
    k2, p2 = _peak(s, r_min, near_dir=np.array([-k1[1], k1[0]]) / np.hypot(*k1))
    strength = min(p1, p2) / bg
    if strength < 20.0:
        return None
    out, five = [], False
    for k in sorted((k1, k2), key=lambda k: -abs(k[0]) / np.hypot(*k)):
        f0, five_k, rise = _fundamental(s, k)
        if rise < np.log(3.0):
            return None
        d = k / np.hypot(*k)
        d = d if d[len(out)] >= 0 else -d  # u family points +x, v family +y
        j = _best_harmonic(s, d, f0)
        found = _refine(s, d * f0 * j, radius=max(0.35 * f0, 1.0))
        if found is None or found[1] / bg < 10.0:
            return None
        vec = found[0] if np.dot(found[0], d) >= 0 else -found[0]
        out.append(vec / j)
        five |= five_k
    u, v = out
    cos = abs(np.dot(u, v)) / (np.hypot(*u) * np.hypot(*v))
    if cos > np.cos(np.radians(60)):
        return None
    return u, v, five, strength


def _lattice_fit(dark: np.ndarray) -> _Fit | None:
    """One pass: each tile's local lattice (frequency vectors of both line families), then a homography.

    Tiles are analysed one by one (not summed) so that perspective, which changes the
    local spacing across the page, does not smear the peaks. Tiles agree on the
    fundamental (the 5 mm spacing where the 1 mm/5 mm pattern shows) by consensus;
    tiles on text, traces or the table beside the page drop out.
    """
    h, w = dark.shape
    size = 256 if min(h, w) >= 384 else 128
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
    # consensus on the fundamental: the most common spacing of each family (tiles may see 1 mm or 5 mm)
    cu, cv = _mode(ru), _mode(rv)
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


def _mode(values: np.ndarray) -> float:
    """The value with the most others within 10 % of it (a robust most-common value)."""
    counts = [(np.sum(np.abs(values / v - 1) < 0.1), -i) for i, v in enumerate(values)]
    best = max(range(len(values)), key=lambda i: counts[i])
    near = values[np.abs(values / values[best] - 1) < 0.1]
    return float(np.median(near))


def _best_harmonic(spec: np.ndarray, direction: np.ndarray, f0: float) -> int:
    """Harmonic of f0 with the strongest peak, up to 40 bins (higher ones smear under perspective)."""
    js = np.arange(1, max(1, int(min(spec.shape[0] / 2 - 3, 40.0) / f0)) + 1)
    vals = np.log(_radial(spec, direction, js * f0) + 1e-9) + 0.1 * np.log(js)
    return int(js[int(np.argmax(vals))])


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
    >>> from vaescan.digitize.render import ecg_render, PageStyle
    >>> from vaescan.data.records import Record
    >>> from vaescan.data.leads import LEADS
    >>> page, truth = ecg_render(Record(np.zeros((5000, 12)), 500.0, list(LEADS)), PageStyle(dpi=150))
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
    for period in periods + [periods[-1]]:
        rect = cv2.warpPerspective(dark, to_work @ H, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                   borderMode=cv2.BORDER_CONSTANT, borderValue=0)
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
    phases = []
    for axis in (0, 1):
        major = _profile_period(rect.mean(axis=axis).astype(np.float64), max(unit_mm, 5.0 if minor else 1.0) * ppm)
        phases.append(0.0 if major is None else major[1])
    return H, size, (phases[0], phases[1]), notes


def page_rectify(image: np.ndarray, lattice: Lattice) -> np.ndarray:
    """Warp the page so its grid is axis-aligned at ``lattice.px_per_mm`` (white outside the photo).

    Example
    -------
    >>> from vaescan.digitize.render import ecg_render, PageStyle
    >>> from vaescan.data.records import Record
    >>> from vaescan.data.leads import LEADS
    >>> page, _ = ecg_render(Record(np.zeros((5000, 12)), 500.0, list(LEADS)), PageStyle(dpi=100))
    >>> lat = grid_detect(page, px_per_mm_out=4.0)
    >>> page_rectify(page, lat).shape[2]
    3
    """
    w, h = lattice.size
    shrink = lattice.px_per_mm / max(lattice.image_px_per_mm, 1e-9)
    flags = cv2.INTER_AREA if shrink < 0.7 else cv2.INTER_LINEAR
    src = image
    H = lattice.homography
    if flags == cv2.INTER_AREA:
        # pre-shrink so the warp does not alias thin lines, then warp from the smaller image
        f = shrink * 1.25
        src = cv2.resize(image, (max(1, int(round(image.shape[1] * f))), max(1, int(round(image.shape[0] * f)))),
                         interpolation=cv2.INTER_AREA)
        fx, fy = src.shape[1] / image.shape[1], src.shape[0] / image.shape[0]
        H = np.array([[fx, 0, 0.5 * fx - 0.5], [0, fy, 0.5 * fy - 0.5], [0, 0, 1]], np.float64) @ H
        flags = cv2.INTER_LINEAR
    return cv2.warpPerspective(src, H, (w, h), flags=flags | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=(255, 255, 255))


def page_outside(image: np.ndarray, rectified: np.ndarray, lattice: Lattice) -> np.ndarray:
    """Boolean mask, on the rectified page, of what is not paper: beyond the photo, or the table around the page.

    A tilted page in a photo sits on a darker surround, and its edges would read as
    trace ink. Dark pixels (brightest channel under 45 % of the paper's) that connect
    to the region beyond the photo or to the image border are the surround; they are
    grown by 1 mm to cover the paper's edge.

    Example
    -------
    >>> from vaescan.digitize.render import ecg_render, PageStyle
    >>> from vaescan.data.records import Record
    >>> from vaescan.data.leads import LEADS
    >>> page, _ = ecg_render(Record(np.zeros((5000, 12)), 500.0, list(LEADS)), PageStyle(dpi=100))
    >>> photo = np.full((page.shape[0] + 100, page.shape[1] + 100, 3), 70, np.uint8)   # page on a table
    >>> photo[50:-50, 50:-50] = page
    >>> lat = grid_detect(photo)
    >>> out = page_outside(photo, page_rectify(photo, lat), lat)
    >>> bool(out[0, 0]), bool(out[out.shape[0] // 2, out.shape[1] // 2])
    (True, False)
    """
    h, w = rectified.shape[:2]
    valid = cv2.warpPerspective(np.full(image.shape[:2], 255, np.uint8), lattice.homography, (w, h),
                                flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_CONSTANT,
                                borderValue=0) > 0
    bright = rectified.max(axis=2)
    paper = float(np.percentile(bright[valid], 90)) if valid.any() else 255.0
    candidate = (~valid | (bright < 0.45 * paper)).astype(np.uint8)
    candidate[0, :] = candidate[-1, :] = 1
    candidate[:, 0] = candidate[:, -1] = 1
    n, labels = cv2.connectedComponents(candidate, connectivity=8)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    edge = edge[edge > 0]
    outside = np.isin(labels, edge) & (candidate > 0)
    if not outside.any():
        return outside
    grow = max(3, int(round(2 * lattice.px_per_mm)) | 1)
    return cv2.dilate(outside.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow, grow))) > 0
