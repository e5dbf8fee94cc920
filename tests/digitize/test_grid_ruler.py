"""The rectified page's grid as a ruler: the horizontal lines' position and the vertical lines' drift."""

import numpy as np

from vaescan.digitize.grid_ruler import grid_drift, grid_line_y


def _lines(shift: np.ndarray, rows: int = 60, period: float = 8.0, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """A grid map of vertical 1 mm lines (period px) displaced by ``shift`` (px, per column)."""
    x = np.arange(len(shift), dtype=np.float64)
    m = np.tile(np.cos(np.pi * (x - shift) / period) ** 20, (rows, 1))
    return (m + noise * np.random.default_rng(seed).standard_normal(m.shape)).astype(np.float32)


def test_drift_recovered_to_a_fraction_of_a_pixel():
    x = np.arange(2000.0)
    shift = 5.0 * np.sin(2 * np.pi * x / 2000)                     # +-5 px, no projective map removes it
    d = grid_drift(_lines(shift, noise=0.3), (0, 60), 8.0)
    inner = x[100:-100]
    err = (d(inner) - d(inner).mean()) - (shift[100:-100] - shift[100:-100].mean())
    assert np.abs(err).max() <= 0.6                                # px; measured 0.41 (a cubic against a sine)


def test_flat_grid_has_no_drift_and_no_lines_no_measurement():
    d = grid_drift(_lines(np.zeros(2000)), (0, 60), 8.0)
    assert np.ptp(d(np.arange(2000.0))) < 0.05
    noise = np.random.default_rng(1).random((60, 2000)).astype(np.float32)
    assert grid_drift(noise, (0, 60), 8.0) is None                 # phases that jump are no drift


def test_horizontal_lines_found_at_their_phase():
    m = np.zeros((800, 50), np.float32)
    m[5::8] = 1.0
    m[5::40] = 1.2                                                 # major lines every 5 mm
    assert abs(grid_line_y(m, 8.0) - 5.0) < 0.05


def _grid(tilt_px: float, bend_px: float = 0.0, w: int = 2000, h: int = 120, period: float = 8.0) -> np.ndarray:
    """Horizontal and vertical 1 mm lines (period px); the horizontal ones ``tilt_px`` lower at the right end and
    bent by ``bend_px`` in the middle (a curled page), the vertical ones straight; 0.3 noise."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    lift = tilt_px * x / w + bend_px * np.sin(np.pi * x / w)
    m = np.maximum(np.cos(np.pi * (y - lift) / period) ** 20, np.cos(np.pi * x / period) ** 20)
    return (m + 0.3 * np.random.default_rng(2).standard_normal(m.shape)).astype(np.float32)


def test_horizontal_lines_lift_along_a_row():
    """A row left tilted by 4 px and bent by 2 px (wrinkled_03 of the outside pages: 4.4-5.7 px, 0 mV read at the
    pulse then 0.04 mV off at the row's end): the horizontal lines' offset along the row within 0.2 px; the
    vertical lines of the same map show no drift, and a level grid no lift."""
    x = np.arange(100.0, 1900.0)
    lift = grid_drift(_grid(4.0, 2.0), (0, 120), 8.0, lines="horizontal")
    truth = 4.0 * x / 2000 + 2.0 * np.sin(np.pi * x / 2000)
    err = (lift(x) - lift(x[:1])) - (truth - truth[0])
    assert np.abs(err).max() <= 0.2, np.abs(err).max()             # px; measured 0.08
    assert np.ptp(grid_drift(_grid(4.0, 2.0), (0, 120), 8.0)(x)) < 0.1
    assert np.ptp(grid_drift(_grid(0.0), (0, 120), 8.0, lines="horizontal")(x)) < 0.1
