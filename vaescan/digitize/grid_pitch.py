"""The grid's pitch: tile spectra, the line families and the fundamental period of each.

ECG paper carries a square lattice: thin lines every 1 mm, bold ones every 5 mm.
Its spectrum has a comb of sharp peaks along two nearly perpendicular
directions, whatever the grid's colour or form (lines or dots). The power spectra
of overlapping tiles of the page's map (:mod:`~vaescan.digitize.grid_maps`) give,
tile by tile, the two line families and the fundamental period of each (the 5 mm
major grid when the 1 mm/5 mm pattern is visible), as local lattice frequency vectors.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np


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


def _best_harmonic(spec: np.ndarray, direction: np.ndarray, f0: float) -> int:
    """Harmonic of f0 with the strongest peak, up to 40 bins (higher ones smear under perspective)."""
    js = np.arange(1, max(1, int(min(spec.shape[0] / 2 - 3, 40.0) / f0)) + 1)
    vals = np.log(_radial(spec, direction, js * f0) + 1e-9) + 0.1 * np.log(js)
    return int(js[int(np.argmax(vals))])


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
