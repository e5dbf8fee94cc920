"""A followed trace as a polyline in px: read from its columns' runs, refitted on steep strokes, sampled.

:func:`path_polyline`: each column's run is the range of values the trace
takes during that column's time; the polyline enters and leaves each column
where it meets its neighbours and visits the run's end when that end is a
local peak (an R wave's apex), so sharp peaks keep their height.
"""

from __future__ import annotations

import numpy as np

from vaescan.digitize.runs import Path, true_stretches


def path_polyline(path: Path, width_px: float, max_gap_px: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """The trace as a polyline (x, y) in px, NaN-separated where it is missing.

    Each column's run, less half the line width at each end, is the range of values
    the trace takes during that column. Flat columns give their ink-weighted centre;
    between steep columns the line crosses where their ranges meet (the middle of the
    overlap); where the top (or bottom) ends of a few neighbouring columns reach
    beyond those on both sides, the trace turns there: an apex at that height, in
    the middle of those columns. Gaps up to ``max_gap_px`` columns are bridged.

    Example
    -------
    >>> p = Path(0, np.array([10., 2, 2, 10]), np.array([12., 12, 12, 12]), np.array([11., 7, 7, 11]), np.zeros(4))
    >>> x, y = path_polyline(p, 3.0)
    >>> float(y.min()), float(x[np.argmin(y)])     # apex between columns 1 and 2, run top 2 + (3 - 1) / 2
    (3.0, 1.5)
    """
    half = max(0.0, (width_px - 1.0) / 2.0)
    lo = path.top + half
    hi = path.bot - half
    mid = path.centre.copy()
    short = hi - lo < 1.0
    lo = np.where(short, mid, lo)
    hi = np.where(short, mid, hi)
    n = len(mid)
    ok = np.isfinite(mid)
    if ok.any() and not ok.all():  # bridge short gaps by linear interpolation of the centre
        idx = np.arange(n)
        fill = (~ok) & (_gap_lengths(ok) <= max_gap_px)
        interp = np.interp(idx, idx[ok], mid[ok])
        lo, hi, mid = (np.where(fill, interp, v) for v in (lo, hi, mid))
        short = short | fill
        ok = ok | fill
    pts: list[tuple[float, float]] = []
    inside = np.zeros(max(n - 1, 0), bool)  # crossing c|c+1 lies within a turning plateau
    for values, sign in ((lo, 1.0), (hi, -1.0)):
        for a, b, level in _turns(sign * np.where(ok, values, np.nan), ok, short):
            pts.append((path.x0 + 0.5 * (a + b), sign * level))
            inside[a:b] = True
    a_lo, a_hi, b_lo, b_hi = lo[:-1], hi[:-1], lo[1:], hi[1:]
    ov_lo, ov_hi = np.maximum(a_lo, b_lo), np.minimum(a_hi, b_hi)
    cross = np.where(ov_lo <= ov_hi, 0.5 * (ov_lo + ov_hi),
                     np.where(a_hi < b_lo, 0.5 * (a_hi + b_lo), 0.5 * (a_lo + b_hi)))
    for c in range(n - 1):
        if ok[c] and ok[c + 1] and not inside[c] and not (short[c] and short[c + 1]):
            pts.append((path.x0 + c + 0.5, float(cross[c])))
    for c in np.flatnonzero(ok & (short | _isolated(ok))):
        pts.append((path.x0 + c, float(mid[c])))
    if not pts:
        return np.empty(0), np.empty(0)
    arr = np.array(sorted(pts))
    # NaN separators where columns are missing
    col_ok = np.concatenate([ok, [False]])
    xs, ys = [], []
    prev_x = None
    for x, y in arr:
        gap = prev_x is not None and not col_ok[int(np.floor(prev_x - path.x0 + 0.5)):
                                                int(np.floor(x - path.x0)) + 1].all()
        if gap:
            xs.append(np.nan)
            ys.append(np.nan)
        xs.append(x)
        ys.append(y)
        prev_x = x
    return np.asarray(xs, np.float64), np.asarray(ys, np.float64)


def polyline_refine(path: Path, xs: np.ndarray, ys: np.ndarray, step_px: float = 0.5, smooth: float = 0.3,
                    rounds: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Refit a row's polyline on its steep stretches (QRS) to the ink a round pen leaves in each column.

    A pen of radius r inks, in column c, everything within r of the curve: the run's
    top is the least ``y(x) - b(x - c)`` over the curve points within reach, its
    bottom the greatest ``y(x) + b(x - c)``, with ``b(d) = sqrt(r^2 - (|d| - 1/2)^2)``
    (a column is one pixel wide); r is half the run of a flat stretch. On a steep
    stroke, at an apex and at the foot of a wave the ends of a column's run come
    from curve points up to r + 1/2 columns away, which :func:`path_polyline` (one
    column at a time) does not model, so a thick pen's QRS was read early at its
    foot, late at its top and low at its apex. Where a column's run is more than
    two pixels longer than a flat one (and a few columns around), the curve is
    refitted every ``step_px`` px: least squares on the points that make each run's
    ends (found again in each of ``rounds`` rounds), a penalty ``smooth`` on its
    second difference, and held within the bounds every column's run puts on it
    (no point may lie where its pen would ink above a run's top or below its
    bottom). Flat stretches keep their ink-weighted centres. ``xs, ys`` is the
    polyline of :func:`path_polyline`, returned in the same form.

    Example
    -------
    >>> x = np.arange(40.0); curve = 20.0 - 14.0 * np.maximum(0.0, 1.0 - np.abs(x - 20.0) / 3.0)  # narrow spike
    >>> fine = np.linspace(0.0, 39.0, 3901); dx = np.maximum(0.0, np.abs(fine - x[:, None]) - 0.5)
    >>> ink = np.hypot(dx, np.interp(fine, x, curve) - np.arange(40.0)[:, None, None]) <= 2.0  # a 4 px pen
    >>> top = np.argmax(ink.any(2), axis=0) * 1.0; bot = 39.0 - np.argmax(ink.any(2)[::-1], axis=0)
    >>> path = Path(0, top, bot, (top + bot) / 2, np.zeros(40))
    >>> px, py = path_polyline(path, 4.0); rx, ry = polyline_refine(path, px, py)
    >>> [round(float(np.max(np.abs(np.interp(x, qx, qy) - curve))), 1) for qx, qy in ((px, py), (rx, ry))]  # px
    [3.8, 1.2]
    """
    ok = path.found
    if ok.sum() < 8:
        return xs, ys
    runs = path.bot - path.top + 1.0
    flat = float(np.percentile(runs[ok], 30))
    steep = ok & (runs > flat + 2.0)
    if not steep.any():
        return xs, ys
    # a single line drawn by a round pen is as tall on a flat stretch as it is wide across a steep
    # stroke; a band taller than that is a fast wiggle the pen drew (mains hum, tremor), which this
    # model of one curve does not describe: such a row keeps the column-by-column reading
    across = [_stroke_width(path, c) for c in np.flatnonzero(steep)]
    if flat > 1.4 * float(np.percentile(across, 10)):
        return xs, ys
    r = 0.5 * flat
    finite = np.isfinite(xs)
    if finite.sum() < 2:
        return xs, ys
    lead = int(np.ceil(r + 0.5))
    near = np.convolve(steep.astype(int), np.ones(2 * lead + 5, int), mode="same") > 0
    fit = near & ok
    seg = np.cumsum(~finite)  # pieces of the polyline; a NaN separator opens its piece
    key = np.where(finite, xs, -np.inf)
    drop = np.zeros(len(xs), bool)
    new_x, new_y, new_seg = [], [], []
    for a, b in true_stretches(fit):
        inside = finite & (xs - path.x0 >= a) & (xs - path.x0 <= b)
        if b - a < 3 or not inside.any():
            continue
        cols = np.arange(a, b + 1)
        xk = np.arange(a - lead, b + lead + 1e-9, step_px)
        y0 = np.interp(xk + path.x0, xs[finite], ys[finite])
        yk = _envelope_fit(cols, path.top[cols] - 0.5, path.bot[cols] + 0.5, r, xk, y0, smooth, rounds)
        keep = (xk >= a) & (xk <= b)
        drop |= inside
        new_x.append(xk[keep] + path.x0)
        new_y.append(yk[keep])
        new_seg.append(np.full(int(keep.sum()), seg[np.flatnonzero(inside)[0]]))
    if not new_x:
        return xs, ys
    order = np.lexsort((np.concatenate([key[~drop]] + new_x), np.concatenate([seg[~drop]] + new_seg)))
    return np.concatenate([xs[~drop]] + new_x)[order], np.concatenate([ys[~drop]] + new_y)[order]


def _stroke_width(path: Path, c: int) -> int:
    """Columns whose run covers the middle row of column ``c``'s run: the stroke's width across a steep stroke (px)."""
    y = 0.5 * (path.top[c] + path.bot[c])
    a = b = c
    while a > 0 and path.top[a - 1] <= y <= path.bot[a - 1]:
        a -= 1
    while b < len(path.top) - 1 and path.top[b + 1] <= y <= path.bot[b + 1]:
        b += 1
    return b - a + 1


def _envelope_fit(cols: np.ndarray, top_edge: np.ndarray, bot_edge: np.ndarray, r: float, xk: np.ndarray,
                  y0: np.ndarray, smooth: float, rounds: int) -> np.ndarray:
    """The curve at ``xk`` whose round-pen envelope meets each column's run ends (see :func:`polyline_refine`)."""
    from scipy.linalg import solveh_banded

    k_n = len(xk)
    step = xk[1] - xk[0]
    reach = r + 0.5
    span = int(np.ceil(2 * reach / step)) + 2
    win = np.searchsorted(xk, cols - reach - 1e-9)[:, None] + np.arange(span)[None, :]
    valid = win < k_n
    win = np.minimum(win, k_n - 1)
    ext = np.maximum(0.0, np.abs(xk[win] - cols[:, None]) - 0.5)
    valid &= ext < r
    bump = np.sqrt(np.maximum(r * r - ext * ext, 0.0))
    # hard bounds: a point's pen must not ink above any run's top or below any run's bottom
    lower = np.full(k_n, -np.inf)
    upper = np.full(k_n, np.inf)
    np.maximum.at(lower, win[valid], (top_edge[:, None] + bump)[valid])
    np.minimum.at(upper, win[valid], (bot_edge[:, None] - bump)[valid])
    # smooth^2 D'D (D: second difference) plus a weak pull to the start, as a symmetric band
    s2, pull = smooth * smooth, 1e-4
    band = np.zeros((3, k_n))
    band[0, 2:] = s2
    band[1, 1:-1] = -2.0 * s2
    band[1, 2:] -= 2.0 * s2
    d0 = np.zeros(k_n)
    d0[:-2] += 1.0
    d0[1:-1] += 4.0
    d0[2:] += 1.0
    rows = np.arange(len(cols))
    y = y0.copy()
    for _ in range(rounds):
        kt = np.argmin(np.where(valid, y[win] - bump, np.inf), axis=1)
        kb = np.argmax(np.where(valid, y[win] + bump, -np.inf), axis=1)
        it, ib = win[rows, kt], win[rows, kb]
        diag = pull + np.bincount(it, minlength=k_n) + np.bincount(ib, minlength=k_n)
        rhs = (pull * y0 + np.bincount(it, top_edge + bump[rows, kt], minlength=k_n)
               + np.bincount(ib, bot_edge - bump[rows, kb], minlength=k_n))
        band[2] = diag + s2 * d0
        y = solveh_banded(band, rhs)
    lo = np.where(np.isfinite(lower), lower, y)
    up = np.where(np.isfinite(upper), upper, y)
    return np.clip(y, np.minimum(lo, up), np.maximum(lo, up))


def _isolated(ok: np.ndarray) -> np.ndarray:
    """Columns with a trace whose neighbours both have none."""
    left = np.concatenate([[False], ok[:-1]])
    right = np.concatenate([ok[1:], [False]])
    return ok & ~left & ~right


def _turns(values: np.ndarray, ok: np.ndarray, short: np.ndarray) -> list[tuple[int, int, float]]:
    """Plateaus (a, b inclusive, level) of ``values`` that are local minima by more than 0.5 px on both sides.

    Only plateaus holding at least one steep (long-run) column count: on flat stretches
    the centres already carry the value.
    """
    out = []
    n = len(values)
    c = 0
    while c < n:
        if not ok[c]:
            c += 1
            continue
        level = values[c]
        a = b = c
        while b + 1 < n and ok[b + 1] and abs(values[b + 1] - level) <= 0.5:
            b += 1
            level = min(level, values[b])
        left = values[a - 1] if a > 0 and ok[a - 1] else np.nan
        right = values[b + 1] if b + 1 < n and ok[b + 1] else np.nan
        if np.isfinite(left) and np.isfinite(right) and left > level + 0.5 and right > level + 0.5 \
                and not short[a:b + 1].all():
            out.append((a, b, float(level)))
        c = b + 1
    return out


def _clip(v: float, lo: float, hi: float) -> float:
    return float(min(max(v, lo), hi))


def _gap_lengths(ok: np.ndarray) -> np.ndarray:
    """For each False entry, the length of the run of False it belongs to (0 for True entries)."""
    n = len(ok)
    out = np.zeros(n, int)
    for i, j in true_stretches(~np.asarray(ok, bool)):
        out[i:j + 1] = j - i + 1 if (i > 0 and j < n - 1) else n  # gaps at the ends are not bridged
    return out


def polyline_sample(xs: np.ndarray, ys: np.ndarray, x_at: np.ndarray, max_gap: float,
                    extend: bool = False) -> np.ndarray:
    """Sample a NaN-separated polyline at positions ``x_at`` (NaN outside it or across gaps wider than max_gap).

    Within ``max_gap`` of a piece's end the end value is held; with ``extend`` the
    polyline's two outer ends are continued along their slope instead (a panel's edge,
    where the neighbouring panel's stroke was left out): the gentler of the last two
    pixels' slopes, none where they disagree in sign (:func:`_end_slope`), so that a QRS
    stroke running into the edge goes on, while the remnant of a calibration pulse's
    stroke or a pen tip's hook at the very end is not continued as if it were the trace.

    Example
    -------
    >>> polyline_sample(np.array([0., 1, np.nan, 5, 6]), np.array([0., 2, np.nan, 4, 4]),
    ...                 np.array([0.5, 3.0, 5.5]), max_gap=1.0).tolist()
    [1.0, nan, 4.0]
    >>> polyline_sample(np.array([1., 2, 3]), np.array([2., 4, 6]), np.array([0.5, 3.5]), max_gap=1.0,
    ...                 extend=True).tolist()
    [1.0, 7.0]
    >>> polyline_sample(np.array([1., 2, 3]), np.array([30., 4, 4]), np.array([0.5]), max_gap=1.0,
    ...                 extend=True).tolist()                       # a pulse's stroke at the start: held
    [30.0]
    """
    out = np.full(len(x_at), np.nan)
    ok = np.isfinite(xs)
    seg_id = np.cumsum(~ok)
    pieces = np.unique(seg_id[ok])
    for sid in pieces:
        sel = ok & (seg_id == sid)
        sx, sy = xs[sel], ys[sel]
        if len(sx) == 0:
            continue
        order = np.argsort(sx, kind="stable")
        sx, sy = sx[order], sy[order]
        inside = (x_at >= sx[0] - max_gap) & (x_at <= sx[-1] + max_gap)
        if inside.any():
            out[inside] = np.interp(x_at[inside], sx, sy)
        if extend and sx[-1] - sx[0] >= 1.0:
            if sid == pieces[0]:
                beyond = inside & (x_at < sx[0])
                out[beyond] = sy[0] + _end_slope(sx, sy) * (x_at[beyond] - sx[0])
            if sid == pieces[-1]:
                beyond = inside & (x_at > sx[-1])
                out[beyond] = sy[-1] + _end_slope(-sx[::-1], sy[::-1]) * (sx[-1] - x_at[beyond])
    return out


def _end_slope(sx: np.ndarray, sy: np.ndarray) -> float:
    """dy/dx at a polyline's start (``sx`` increasing): the minmod of its first two pixels' slopes.

    The gentler of the two where they agree in sign, 0 where they do not (a slope limiter):
    a stroke running on keeps its slope, a hook or a neighbour's stroke in the first pixel
    does not set it.
    """
    def pixel(i: int) -> tuple[float, int] | None:
        j = int(np.searchsorted(sx, sx[i] + 1.0))
        return ((sy[j] - sy[i]) / (sx[j] - sx[i]), j) if j < len(sx) else None

    first = pixel(0)
    if first is None:
        return 0.0
    second = pixel(first[1])
    if second is None:
        return first[0]
    a, b = first[0], second[0]
    return 0.0 if a * b <= 0 else (a if abs(a) < abs(b) else b)
