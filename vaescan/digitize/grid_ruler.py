"""The rectified page's grid as a ruler: where its horizontal lines stand, and how its vertical lines drift.

Rectification puts the grid on an exact lattice across the page (a projective map). A page that is
not flat (creased, curled, photographed) keeps a residual that no projective map removes: along a row,
the vertical lines drift by up to a few millimetres' worth of pixels, and the trace, drawn in the same
coordinates, drifts with them; read at the lattice's even spacing, its time drifts (wrinkled_06 of the
outside pages: 6-8 px, 30-40 ms, across a row). The 1 mm lines, demodulated window by window along a
row's band and unwrapped, measure that drift (:func:`grid_drift`); the row is then sampled where the grid
says each time is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DRIFT_MIN_PX = 2.0
"""A row's grid drift smaller than this (px, end to end; 10 ms at 200 dpi) is left uncorrected: the lattice fit
leaves 0.1 px on the clean outside pages, and corrections of 1-2 px changed creased pages by -3 to +1 dB."""

LIFT_MIN_PX = 1.0
"""A row's lift (the horizontal lines' drift along it) smaller than this (px, end to end; 0.013 mV at 10 mm/mV
and 200 dpi) is left uncorrected: the clean outside pages measure 0.01-0.05 px, the tilted ones 4-6 px."""

DRIFT_FIT_RMS_PX = 0.6
"""The drift is used only where the windows' measurements lie this close (px, rms) to its smooth fit: faint or
blurred 1 mm lines (photographed pages at 5-6 px per mm) give phases that jump, not a drift."""

WINDOW_MM, STEP_MM = 8.0, 4.0
"""Windows (mm) along the row in which the lines' phase is measured, and their step."""


def grid_line_y(grid_map: np.ndarray, px_per_mm: float) -> float:
    """y (px, in [0, 1 mm)) where the horizontal 1 mm grid lines stand on the rectified page's ``grid_map``.

    The map's phase (averaged along each pixel row) at exactly 1 mm: every line adds up there,
    the major ones and the minor ones. On a page with 5 mm lines only it is one of them.

    Example
    -------
    >>> m = np.zeros((400, 300), np.float32); m[3::8] = 0.5       # lines every 8 px from y = 3
    >>> round(grid_line_y(m, 8.0), 2)
    3.0
    """
    profile = grid_map.mean(axis=1).astype(np.float64)
    y = np.arange(len(profile))
    z = np.sum((profile - profile.mean()) * np.exp(-2j * np.pi * y / px_per_mm))
    return float((-np.angle(z) / (2 * np.pi) * px_per_mm) % px_per_mm)


@dataclass(frozen=True)
class GridDrift:
    """The grid's drift along a row: a cubic in x (px), held constant beyond [``lo``, ``hi``] where it was measured.

    Example
    -------
    >>> d = GridDrift((0.0, 0.0, 0.01, 0.0), 0.0, 100.0)             # 0.01 px per px: 1 px over the row
    >>> d(np.array([0.0, 50.0, 200.0])).tolist(), GridDrift.from_json(d.to_json()) == d
    ([0.0, 0.5, 1.0], True)
    """

    coef: tuple[float, float, float, float]
    lo: float
    hi: float

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """The drift (px) at columns ``x`` (px)."""
        return np.polyval(self.coef, np.clip(x, self.lo, self.hi))

    def to_json(self) -> dict:
        """For the report: the cubic's coefficients (highest power first) and where it was measured (px)."""
        return {"coef": [float(c) for c in self.coef], "x_range_px": [self.lo, self.hi]}

    @classmethod
    def from_json(cls, d: dict | None) -> GridDrift | None:
        """The drift a report row holds (None where it has none)."""
        return None if d is None else cls(tuple(d["coef"]), *d["x_range_px"])


def grid_drift(grid_map: np.ndarray, band: tuple[float, float], px_per_mm: float,
               lines: str = "vertical") -> GridDrift | None:
    """How far (px) the grid lines stand from the lattice along x, in the rows ``band`` (y0, y1) of the map.

    ``lines="vertical"``: the vertical lines' offset along x (where the grid says each time is);
    ``"horizontal"``: the horizontal lines' offset along y (a row left tilted or bent by the rectification:
    its 0 mV level moves with them). Returns a :class:`GridDrift` (a cubic fitted to the 1 mm lines' phase
    in windows of :data:`WINDOW_MM` along x, unwrapped along the row, constant beyond the windows), or None
    where the lines do not measure it (:data:`DRIFT_FIT_RMS_PX`). Whether it is large enough to correct is
    the caller's (:data:`DRIFT_MIN_PX`, :data:`LIFT_MIN_PX`).

    Example
    -------
    >>> x = np.arange(1600.0)
    >>> shifted = x - 4.0 * (x / 1600) ** 2                        # lines drift by up to 4 px to the right
    >>> m = np.tile((np.cos(2 * np.pi * shifted / 8.0) > 0.9).astype(np.float32), (40, 1))
    >>> d = grid_drift(m, (0, 40), 8.0)
    >>> [round(float(v), 1) for v in d(np.array([32.0, 800.0, 1568.0])) - d(np.array([32.0]))]
    [0.0, 1.0, 3.9]
    >>> y, x = np.mgrid[0:80, 0:1600].astype(np.float64)
    >>> tilted = (np.cos(np.pi * (y - 3.0 * x / 1600) / 8.0) ** 16).astype(np.float32)  # 3 px lower at the end
    >>> d = grid_drift(tilted, (0, 80), 8.0, lines="horizontal")
    >>> [round(float(v), 1) for v in d(np.array([32.0, 800.0, 1568.0])) - d(np.array([32.0]))]
    [0.0, 1.4, 2.9]
    """
    y0, y1 = max(0, int(band[0])), min(grid_map.shape[0], int(band[1]))
    if y1 - y0 < 2:
        return None
    r = px_per_mm
    win, step = int(round(WINDOW_MM * r)), max(1, int(round(STEP_MM * r)))
    if lines == "vertical":
        profile = grid_map[y0:y1].mean(axis=0).astype(np.float64)
        carrier = np.exp(-2j * np.pi * np.arange(len(profile), dtype=np.float64) / r)

        def demodulated(a: int) -> complex:
            seg = profile[a:a + win]
            return np.sum((seg - seg.mean()) * carrier[a:a + win])
    elif lines == "horizontal":
        band_map = grid_map[y0:y1].astype(np.float64)
        carrier = np.exp(-2j * np.pi * np.arange(y0, y1, dtype=np.float64) / r)

        def demodulated(a: int) -> complex:
            prof = band_map[:, a:a + win].mean(axis=1)
            return np.sum((prof - prof.mean()) * carrier)
    else:
        raise ValueError(f"lines must be 'vertical' or 'horizontal', not {lines!r}")
    starts = range(0, grid_map.shape[1] - win + 1, step)
    if len(starts) < 8:
        return None
    centres = np.array([a + 0.5 * win for a in starts])
    zs = np.array([demodulated(a) for a in starts])
    phases, weights = np.angle(zs), np.abs(zs)
    lines_seen = weights > 0.3 * np.percentile(weights, 90)
    if lines_seen.sum() < 8:
        return None
    xs = centres[lines_seen]
    d = -np.unwrap(phases[lines_seen]) / (2 * np.pi) * r
    coef = np.polyfit(xs, d, 3, w=weights[lines_seen])
    fit = np.polyval(coef, xs)
    if np.sqrt(np.mean((d - fit) ** 2)) > DRIFT_FIT_RMS_PX:
        return None
    return GridDrift(tuple(float(c) for c in coef), float(xs.min()), float(xs.max()))


def row_x_at(x0: float, t: np.ndarray, px_per_s: float, drift: GridDrift | None = None) -> np.ndarray:
    """x (px, rectified page) where a row shows times ``t`` (s): ``x0`` + ``t`` x ``px_per_s``, moved with the grid.

    Example
    -------
    >>> drift = GridDrift((0.0, 0.0, 0.01, 0.0), 0.0, 1000.0)        # the grid 1 % further along x
    >>> row_x_at(100.0, np.array([0.0, 1.0]), 200.0).tolist(), row_x_at(100.0, np.array([1.0]), 200.0, drift).tolist()
    ([100.0, 300.0], [302.0])
    """
    x = x0 + np.asarray(t, np.float64) * px_per_s
    return x if drift is None else x + drift(x) - drift(np.array([x0]))[0]
