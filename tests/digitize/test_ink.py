"""Ink and trace mask: a crease's grey shadow is taken out of the mask, a pen stroke never."""

from __future__ import annotations

import cv2
import numpy as np

from tests.digitize.test_trace import _ink
from vaescan.digitize.ink import shadow_blobs, trace_mask
from vaescan.digitize.runs import column_runs, trace_follow

R = 8.0  # px per mm (200 dpi)


def _row(hum_mv: float = 0.0, shadow_ink: float = 0.45):
    """A 1.2 s trace (T wave at 0.6 s, QRS at 1.0 s; 0 mV on y 120) and, from 0.5 s before its end, a crease's grey
    shadow 3 mm wide running down and away from it. Returns (ink, x, y of the trace, shadow's pixels)."""
    t = np.arange(0, 1.2, 1 / 500)
    mv = (np.exp(-((t - 1.0) / 0.012) ** 2) - 0.3 * np.exp(-((t - 1.03) / 0.008) ** 2)
          + 0.15 * np.exp(-((t - 0.6) / 0.05) ** 2) + hum_mv * np.sin(2 * np.pi * 50 * t))
    x, y = 10 + t * 25 * R, 120 - mv * 10 * R
    ink = 0.9 * _ink(x, [y], 3.0, 240)
    band = np.zeros_like(ink, np.uint8)
    cv2.line(band, (int(x[-1]) - 120, 130), (int(x[-1]) + 10, 235), 1, thickness=int(3 * R))
    return np.maximum(ink, shadow_ink * cv2.GaussianBlur(band.astype(np.float32), (0, 0), 2)), x, y, band > 0


def _columns_off(mask: np.ndarray, ink: np.ndarray, x: np.ndarray, y: np.ndarray) -> int:
    """Columns where the row's followed path is more than 3 px from the drawn trace."""
    path = trace_follow(column_runs(mask, ink), 0, ink.shape[1], (0, ink.shape[0]), (80, 200), R, start_y=120)
    cols = np.arange(int(x[0]) + 2, int(x[-1]) - 2)
    return int((np.abs(path.centre[cols] - np.interp(cols, x, y)) > 3).sum())


def test_a_creases_shadow_is_not_followed_and_the_trace_beside_it_is():
    ink, x, y, band = _row()
    mask = trace_mask(ink)
    shadow = shadow_blobs(mask, ink, R)
    pen = _ink(x, [y], 3.0, 240) > 0.5
    assert shadow[band & ~cv2.dilate(pen.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)].mean() > 0.95
    assert not (shadow & pen).any()                                  # the trace across the shadow stays
    # measured: 126 columns off (the path runs down the shadow) without, 12 with (the QRS's steep strokes,
    # where a column's centre is not the curve; the same 12 as on the page without a shadow)
    assert _columns_off(mask, ink, x, y) > 100
    assert _columns_off(mask & ~shadow, ink, x, y) <= 12


def test_a_noisy_trace_is_as_wide_as_a_shadow_but_in_full_ink():
    ink, x, y, _ = _row(hum_mv=0.1, shadow_ink=0.0)                  # 50 Hz hum draws a band 2 mm tall
    mask = trace_mask(ink)
    core = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                                                                               (13, 13)))
    assert core.sum() > 3 * R * R                                    # wide enough to be a shadow by shape
    assert not shadow_blobs(mask, ink, R).any()
