"""Time origin from a row's first sample: a pen's round tip reaches one radius beyond it whatever the line's
direction, so a trace that opens on the steep stroke of a QRS (all leads are recorded at once: it opens
every row) starts where a flat trace does. Lines drawn here with a round pen, 8x supersampled."""

import numpy as np
import pytest

from vaescan.digitize.page import trace_end
from vaescan.digitize.runs import Path, column_runs

S = 8  # supersampling


def _draw(xs: np.ndarray, ys: np.ndarray, width: float, shape=(80, 200)) -> np.ndarray:
    """Ink (0..1) of a polyline drawn with a round pen of ``width`` px (pixel centres at integers)."""
    h, w = shape
    yy, xx = np.mgrid[0:h * S, 0:w * S]
    yy, xx = (yy + 0.5) / S - 0.5, (xx + 0.5) / S - 0.5
    fine = np.zeros((h * S, w * S), bool)
    t = np.linspace(0, 1, 400)
    for (xa, ya), (xb, yb) in zip(zip(xs[:-1], ys[:-1]), zip(xs[1:], ys[1:])):
        for px, py in zip(xa + t * (xb - xa), ya + t * (yb - ya)):
            x0, x1 = int(max(0, (px - width) * S)), int(min(w * S, (px + width + 1) * S))
            y0, y1 = int(max(0, (py - width) * S)), int(min(h * S, (py + width + 1) * S))
            fine[y0:y1, x0:x1] |= (xx[y0:y1, x0:x1] - px) ** 2 + (yy[y0:y1, x0:x1] - py) ** 2 <= (width / 2) ** 2
    return fine.reshape(h, S, w, S).mean(axis=(1, 3)).astype(np.float32)


def _path(ink: np.ndarray) -> Path:
    """The one trace of ``ink``: per column its (single) run of mask pixels."""
    runs = column_runs(ink > 0.3, ink)
    n = ink.shape[1]
    top, bot, centre = (np.full(n, np.nan) for _ in range(3))
    for c, t, b, m in zip(runs.col, runs.top, runs.bot, runs.centre):
        top[c], bot[c], centre[c] = t, b, m
    return Path(0, top, bot, centre, np.zeros(n))


@pytest.mark.parametrize("x_start", [40.0, 40.3, 40.6])
@pytest.mark.parametrize("steep", [False, True])
def test_start_read_within_a_fifth_of_a_pixel(x_start, steep):
    width = 2.4
    if steep:   # the trace opens on a QRS: 25 px down within one px, back up, then flat
        xs = np.array([x_start, x_start + 1.0, x_start + 2.0, 190.0])
        ys = np.array([15.0, 40.0, 30.0, 30.0])
    else:
        xs, ys = np.array([x_start, 190.0]), np.array([30.0, 30.0])
    ink = _draw(xs, ys, width)
    path = _path(ink)
    first = int(np.flatnonzero(np.isfinite(path.centre))[0])
    x = trace_end(ink, path, (first, 180), "left", 8.0, width)
    assert x is not None and abs(x - x_start) < 0.2
