"""Which time window each column shows, from the beats it shares with the rhythm strip (``column_time``)."""

import numpy as np

from vaescan.digitize.column_time import column_shifts
from vaescan.pages.layout import layout_panels

FS = 500.0
T = np.arange(5000) / FS


def _ecg(beats: np.ndarray) -> np.ndarray:
    """Narrow QRS spikes at the given times (s)."""
    return sum(np.exp(-((T - b) / 0.012) ** 2) for b in beats if b < 10.0)


def _rows(layout: str, ecg: np.ndarray, same_window: bool) -> list[np.ndarray]:
    """Each row of ``layout`` as printed: its panels side by side, each showing its own window or (``same_window``)
    all showing the first column's; rhythm strips the whole 10 s."""
    panels = layout_panels(layout)
    rows = []
    for r in sorted({p.row for p in panels}):
        row = np.full(T.size, np.nan)
        for p in (p for p in panels if p.row == r):
            i0, i1 = p.sample_range(FS)
            j0 = 0 if same_window and p.t1_s - p.t0_s < 10.0 else i0
            row[i0:i1] = ecg[j0:j0 + i1 - i0]
        rows.append(row)
    return rows


IRREGULAR = np.cumsum(np.r_[0.3, 0.7 + 0.25 * np.sin(np.arange(14))])   # RR 0.45-0.95 s


def test_six_by_two_showing_one_window_in_both_columns():
    shifts, scores = column_shifts(layout_panels("6x2+II"), _rows("6x2+II", _ecg(IRREGULAR), True), FS, 10.0)
    assert shifts == {0: 0.0, 1: -5.0}
    assert scores[1][-5.0] > 0.9 > 0.3 > scores[1][0.0]


def test_six_by_two_with_its_own_windows_is_kept():
    shifts, _ = column_shifts(layout_panels("6x2+II"), _rows("6x2+II", _ecg(IRREGULAR), False), FS, 10.0)
    assert shifts == {0: 0.0, 1: 0.0}


def test_a_regular_rhythm_cannot_tell_the_windows_apart():
    # beats every 1.0 s: 0-5 s and 5-10 s look the same, so the layout's own windows stay
    shifts, scores = column_shifts(layout_panels("6x2+II"), _rows("6x2+II", _ecg(np.arange(0.4, 10, 1.0)), True),
                                   FS, 10.0)
    assert shifts == {0: 0.0, 1: 0.0} and abs(scores[1][-5.0] - scores[1][0.0]) < 0.2


def test_short_columns_and_pages_without_a_strip_keep_their_windows():
    ecg = _ecg(IRREGULAR)
    assert set(column_shifts(layout_panels("3x4+II"), _rows("3x4+II", ecg, True), FS, 10.0)[0].values()) == {0.0}
    assert set(column_shifts(layout_panels("6x2"), _rows("6x2", ecg, True), FS, 10.0)[0].values()) == {0.0}
