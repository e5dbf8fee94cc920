"""Pipeline helpers checked against known answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vaescan.digitize.pipeline import _heart_rate

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
