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
