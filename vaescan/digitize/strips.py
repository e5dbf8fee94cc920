"""Which lead a rhythm strip shows, from the strip's own trace.

A rhythm strip is printed from the same recording as the lead grid above it, at the same
gain: over a grid panel's seconds, a strip of lead X is the very trace of X's panel, up to
the reading noise of both. So a strip is matched against every grid panel by the residual of
their difference (:func:`strip_residual`), which weighs shape *and* amplitude: II and aVF of
one record correlate 0.97 and more, but differ in size by lead I's half. The residual is
trimmed (its largest tenth left out), so that a few misread columns of either trace (a
glitch at a QRS, a label or pulse caught at a panel's edge) do not decide, and taken at the
best lag within :data:`MAX_LAG_S` (rows read a few px apart in time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vaescan.pages.layout import GRIDS, layout_panels

MAX_LAG_S = 0.03
"""Largest time offset (s) between a strip and a grid row taken up when they are matched."""

STRIP_MAX_RESIDUAL = 0.3
"""A strip matches a panel when their trimmed residual is at most this share of their size (right matches on the
36 outside pages: 0.01-0.17; on vaescan's own pages: see docs/digitize.md, "fourth round")."""

STRIP_MARGIN = 1.2
"""The best panel's lead names the strip only when every panel of another lead leaves a residual this many
times larger (II and aVF are alike when lead I is small; then the strip's name is not confirmed)."""

ROW_MARGIN = 2.5
"""A strip repeats one panel; a row whose other panels match it within this many times its best residual is a grid
row read a second time (a real photo, ecg00016, cropped under its third row: 0.12, 0.21 and 0.25 on three panels of
that row), not a strip. On the 36 outside pages the next panel of the best panel's row is 3.4 times worse or more."""

TRIM = 0.9
"""Share of the samples whose squared residual is kept (the largest tenth is left out)."""


@dataclass(frozen=True)
class StripMatch:
    """A strip's best lead, its residual, the best other lead and its residual, and whether the match names it."""

    lead: str | None
    residual: float
    runner_up: str | None
    runner_up_residual: float
    row_next_residual: float = float("inf")

    @property
    def row_again(self) -> bool:
        """Another panel of the best panel's row matches within ROW_MARGIN: a grid row read twice, not a strip."""
        return self.row_next_residual < ROW_MARGIN * self.residual

    @property
    def confirmed(self) -> bool:
        """The best lead matches (residual <= STRIP_MAX_RESIDUAL), no other lead comes close, and the strip is not
        its row read again."""
        return (self.lead is not None and self.residual <= STRIP_MAX_RESIDUAL
                and self.runner_up_residual >= STRIP_MARGIN * self.residual and not self.row_again)


def strip_residual(a: np.ndarray, b: np.ndarray) -> float:
    """Trimmed RMS of ``a - b`` against the geometric mean of their RMS, medians taken off (0: the same trace).

    ``b`` may be 2-D (lags x samples): then one residual per row of ``b``, NaN-free samples of ``a`` only.

    Example
    -------
    >>> t = np.linspace(0, 2.5, 1250)
    >>> x = np.sin(2 * np.pi * 1.2 * t) ** 9
    >>> round(float(strip_residual(x, x + 0.3)), 3), float(strip_residual(x, 0.5 * x)) > 0.3
    (0.0, True)
    """
    b2 = np.atleast_2d(b)
    ok = np.isfinite(a) & np.isfinite(b2).all(axis=0)
    if ok.sum() < 50:
        out = np.full(len(b2), np.inf)
        return out if b.ndim == 2 else float(out[0])
    x = a[ok] - np.median(a[ok])
    y = b2[:, ok] - np.median(b2[:, ok], axis=1, keepdims=True)
    scale = np.sqrt(np.sqrt(np.mean(x * x)) * np.sqrt(np.mean(y * y, axis=1)))
    d = x[None, :] - y
    r = (d - np.median(d, axis=1, keepdims=True)) ** 2
    keep = max(1, int(TRIM * r.shape[1]))
    trimmed = np.sqrt(np.mean(np.partition(r, keep - 1, axis=1)[:, :keep], axis=1))
    out = np.where(scale > 0, trimmed / np.where(scale > 0, scale, 1.0), np.inf)
    return out if b.ndim == 2 else float(out[0])


def _lagged(row: np.ndarray, i0: int, i1: int, fs: float) -> np.ndarray:
    """The row's samples [i0 + k, i1 + k) for each lag ``|k|`` up to MAX_LAG_S inside it (lags x samples)."""
    lag = int(round(MAX_LAG_S * fs))
    ks = [k for k in range(-lag, lag + 1) if i0 + k >= 0 and i1 + k <= len(row)]
    return np.stack([row[i0 + k:i1 + k] for k in ks]) if ks else np.empty((0, i1 - i0))


def _lagged_residual(strip: np.ndarray, row: np.ndarray, t0: float, t1: float, fs: float) -> float:
    """Best :func:`strip_residual` of the strip over [t0, t1) s (0.1 s in from each edge) against the row, lagged."""
    i0, i1 = int(round((t0 + 0.1) * fs)), int(round((t1 - 0.1) * fs))
    lagged = _lagged(row, i0, i1, fs)
    if not len(lagged):
        return float("inf")
    return float(np.min(strip_residual(strip[i0:i1], lagged)))


def strip_matches(base: str, rows_signal: Sequence[np.ndarray], fs: float, duration_s: float) -> list[StripMatch]:
    """Match each row below the ``base`` grid (a rhythm strip) against every grid panel over that panel's seconds.

    ``rows_signal``: each row's trace at ``fs`` over [0, duration_s) (mV or px, one scale for all; NaN where not
    read); the grid's rows first.

    Example
    -------
    >>> t = np.arange(5000) / 500.0
    >>> x = {row[0]: np.sin(2 * np.pi * (1.0 + 0.1 * k) * t) ** 3 for k, row in enumerate(GRIDS["12x1"])}
    >>> x["aVF"] = x["II"] - 0.5 * x["I"]                        # aVF correlates with II, but is not II
    >>> grid = [np.concatenate([x[p.lead][round(p.t0_s * 500):round(p.t1_s * 500)]
    ...                         for p in layout_panels("3x4") if p.row == r]) for r in range(3)]
    >>> m = strip_matches("3x4", grid + [x["II"]], 500.0, 10.0)[0]
    >>> m.lead, m.confirmed
    ('II', True)
    """
    grid = GRIDS[base]
    panels = [p for p in layout_panels(base, duration_s) if p.row < min(len(grid), len(rows_signal))]
    out = []
    for strip in rows_signal[len(grid):]:
        best: dict[str, float] = {}
        per_panel = []
        for p in panels:
            r = _lagged_residual(strip, rows_signal[p.row], p.t0_s, p.t1_s, fs)
            per_panel.append((r, p))
            best[p.lead] = min(r, best.get(p.lead, float("inf")))
        ranked = sorted(best.items(), key=lambda kv: kv[1])
        if not ranked or not np.isfinite(ranked[0][1]):
            out.append(StripMatch(None, float("inf"), None, float("inf")))
            continue
        second = ranked[1] if len(ranked) > 1 else (None, float("inf"))
        top = min(per_panel, key=lambda rp: rp[0])[1]
        row_next = min((r for r, p in per_panel if p.row == top.row and p is not top), default=float("inf"))
        out.append(StripMatch(ranked[0][0], ranked[0][1], second[0], second[1], row_next))
    return out

