"""Which time window each column of a page shows, told from the beats it shares with the rhythm strips.

Most printers give each column of the grid its own time window (3x4: 0-2.5, 2.5-5, ... s; 6x2: 0-5 and
5-10 s), but not all: ECG-Image-Kit's 6x2 pages show 0-5 s in both columns. All leads are recorded at once,
so a column's QRS complexes fall at the same times as the rhythm strip's: the window whose strip beats line up
with the column's is the one it shows. Where the strips do not tell (no strip, columns too short to hold enough
beats, or a rhythm so regular that two windows look alike), the layout's own window is kept.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vaescan.pages.layout import Panel

ENVELOPE_S = 0.06
"""Width (s) of the moving average that turns a trace's slope into its QRS envelope."""

MARGIN = 0.2
"""How much better (correlation) another window must line the beats up than the layout's own to replace it."""

MIN_SCORE = 0.3
"""The lowest mean correlation of a column's beats with the strips' at which another window is taken."""

MIN_WINDOW_S = 4.0
"""Columns shorter than this (s) keep the layout's windows: a 2.5 s panel holds 2-4 beats, too few to tell
windows apart (on the true signals of the outside 3x4 pages the QRS envelopes of a 2.5 s panel correlated with
the rhythm strip up to 0.58 at a wrong window, and as little as 0.25 at the right one)."""


def qrs_envelope(x: np.ndarray, fs: float) -> np.ndarray:
    """The trace's slope magnitude (units per s) averaged over :data:`ENVELOPE_S`: high at each QRS.

    NaN where the trace is missing.

    Example
    -------
    >>> x = np.zeros(500); x[250:255] = [0.5, 1.0, 0.5, -0.2, 0.0]
    >>> e = qrs_envelope(x, 500.0)
    >>> bool(e[252] > 10 * e[100]), bool(e[100] == 0), bool(np.isnan(e[0]))
    (True, True, True)
    """
    d = np.abs(np.diff(np.asarray(x, float), prepend=np.nan)) * fs
    ok = np.isfinite(d)
    k = max(1, int(round(ENVELOPE_S * fs)))
    kernel = np.ones(k)
    s = np.convolve(np.where(ok, d, 0.0), kernel, mode="same")
    n = np.convolve(ok.astype(float), kernel, mode="same")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok & (n > 0), s / np.maximum(n, 1e-9), np.nan)


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 100:
        return float("nan")
    x, y = a[ok] - a[ok].mean(), b[ok] - b[ok].mean()
    den = np.sqrt(np.sum(x * x) * np.sum(y * y))
    return float(np.sum(x * y) / den) if den > 0 else float("nan")


def column_shifts(panels: Sequence[Panel], rows_signal: Sequence[np.ndarray], fs: float,
                  duration_s: float) -> tuple[dict[int, float], dict[int, dict[float, float]]]:
    """Per base-grid column, the shift (s) from where its panels stand on the page to the time they show.

    ``panels``: the layout's panels (:func:`vaescan.pages.layout.layout_panels`); ``rows_signal``: each row's
    trace sampled at ``fs`` over its page time ``[0, duration_s)`` (NaN where not traced). A panel standing at
    page time [t0, t1) shows the record's [t0 + shift, t1 + shift). The candidate windows are those of the
    grid's columns; a column takes another column's window when its beats line up with the rhythm strips'
    there by :data:`MARGIN` better than at its own, and by at least :data:`MIN_SCORE`; columns shorter than
    :data:`MIN_WINDOW_S` keep their windows. Returns the shifts
    (0.0 where kept) and the scores per column and candidate shift (mean correlation of the QRS envelopes).

    Example
    -------
    >>> from vaescan.pages.layout import layout_panels
    >>> fs, t = 500.0, np.arange(5000) / 500.0
    >>> beats = np.cumsum(np.r_[0.3, 0.7 + 0.25 * np.sin(np.arange(14))])     # irregular beat times (s)
    >>> ecg = sum(np.exp(-((t - b) / 0.012) ** 2) for b in beats[beats < 10])
    >>> left = np.where(t < 5, ecg, np.nan)
    >>> right = np.where(t >= 5, np.roll(ecg, 2500), np.nan)                # the right column shows 0-5 s too
    >>> rows = [np.where(np.isfinite(left), left, right)] * 6 + [ecg]
    >>> shifts, _ = column_shifts(layout_panels("6x2+II"), rows, fs, 10.0)
    >>> shifts
    {0: 0.0, 1: -5.0}
    """
    strips = [p.row for p in panels if p.t0_s == 0.0 and p.t1_s >= duration_s - 1e-9 and p.row < len(rows_signal)]
    grid = [p for p in panels if p.row not in strips and p.row < len(rows_signal)]
    starts = sorted({p.t0_s for p in grid})
    if not strips or len(starts) < 2 or min(p.t1_s - p.t0_s for p in grid) < MIN_WINDOW_S:
        return {p.column: 0.0 for p in grid}, {}
    env = {i: qrs_envelope(rows_signal[i], fs) ** 2 for i in {p.row for p in panels if p.row < len(rows_signal)}}
    n = int(round(duration_s * fs))
    shifts: dict[int, float] = {}
    scores: dict[int, dict[float, float]] = {}
    for column in sorted({p.column for p in grid}):
        own = [p for p in grid if p.column == column]
        t0 = own[0].t0_s
        per_shift = {}
        for start in starts:
            shift = round(start - t0, 6)
            vals = []
            for p in own:
                i0, i1 = int(round(p.t0_s * fs)), int(round(p.t1_s * fs))
                j0, j1 = i0 + int(round(shift * fs)), i1 + int(round(shift * fs))
                if j0 < 0 or j1 > n:
                    continue
                vals += [_corr(env[p.row][i0:i1], env[s][j0:j1]) for s in strips]
            vals = [v for v in vals if np.isfinite(v)]
            if vals:
                per_shift[shift] = float(np.mean(vals))
        scores[column] = per_shift
        best = max(per_shift, key=per_shift.get) if per_shift else 0.0
        base = per_shift.get(0.0, float("nan"))
        take = best != 0.0 and per_shift[best] >= MIN_SCORE and not per_shift[best] - base < MARGIN
        shifts[column] = best if take else 0.0
    return shifts, scores
