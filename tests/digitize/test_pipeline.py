"""Pipeline helpers checked against known answers."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from vaescan.digitize.pipeline import _follow_rows, _heart_rate
from vaescan.digitize.runs import column_runs

FIXTURES = Path(__file__).parent / "fixtures"


def test_row_rate_with_a_lead_of_small_qrs():
    """The second row of a 3x4 page (II, aVL, V2, V5, 2.5 s each) of a true synthetic record at 63 bpm.

    ``row_ii_avl_v2_v5.npy``: record 00021 of ``eval_records(21, seed=0, noiseless=True)``, mV at
    500 Hz. Its aVL has a QRS smaller than its T wave (read alone it gives 130 bpm). Each lead's
    QRS energy is scaled to its own peak so small complexes still count, but only up to a quarter of
    the row's strongest lead: raised to full scale, the aVL's T waves passed for beats and the row
    read 82 bpm.
    """
    row = np.load(FIXTURES / "row_ii_avl_v2_v5.npy").astype(np.float64)
    segments = [(0, 1250), (1250, 2500), (2500, 3750), (3750, 5000)]
    assert abs(_heart_rate(row, 500.0, segments) / 63.0 - 1.0) < 0.05


def _rows_with_pulses(ppm: float, baselines_mm: list[float]) -> np.ndarray:
    """Ink of 12x1-like rows: each a 1 mV (10 mm) calibration pulse at 5-10 mm, then a flat trace to 100 mm."""
    ink = np.zeros((int(120 * ppm), int(110 * ppm)), np.float32)
    for b in baselines_mm:
        pts = np.array([[2, b], [5, b], [5, b - 10], [10, b - 10], [10, b], [100, b]]) * ppm
        cv2.polylines(ink, [pts.round().astype(np.int32)], False, 1.0, thickness=3)
    return ink


def test_a_row_does_not_take_the_next_rows_pulse():
    """Rows 12 mm apart: the lower row's 10 mm pulse tops out 2 mm below the upper row's baseline, inside
    the upper row's band, while the upper row's own pulse top lies outside it. The upper row's path takes
    the lower pulse; read as its own, it put that row's 0 mV one row (1.2 mV) too low (three rows of four
    here). A pulse counts only when its foot lies in the row's own band."""
    ppm = 8.0
    baselines_mm = [40.0, 52.0, 64.0, 76.0]
    ink = _rows_with_pulses(ppm, baselines_mm)
    runs = column_runs(ink > 0.5, ink)
    rows = _follow_rows(runs, ink, [b * ppm for b in baselines_mm], ppm, ink.shape)
    assert "left" in rows[-1].pulses  # the last row's path stays on its own pulse
    for row in rows:
        if "left" in row.pulses:
            assert abs(row.pulses["left"].base_px / ppm - row.baseline_guess / ppm) < 0.5
