"""Following a trace column by column through the vertical runs of ink of the trace mask.

1. :func:`column_runs`: every vertical run of ink in every pixel column, with
   its intensity-weighted centre.
2. :func:`trace_follow`: dynamic programming (Viterbi) over the columns of a
   strip picks one run per column: cheap to stay connected, costly to jump or to
   leave the strip's band. This keeps to its own lead where tall waves of the
   neighbouring rows reach into the band, and steps over labels and specks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vaescan.digitize.ink import stroke_level


@dataclass
class Runs:
    """Vertical runs of ink per pixel column: column, top and bottom row (inclusive), weighted centre, ink mass.

    Sorted by column, then top. ``starts[c]:starts[c+1]`` indexes the runs of column c.
    """

    col: np.ndarray
    top: np.ndarray
    bot: np.ndarray
    centre: np.ndarray
    mass: np.ndarray
    starts: np.ndarray

    def in_column(self, c: int) -> slice:
        """Index range of the runs in column ``c``."""
        return slice(int(self.starts[c]), int(self.starts[c + 1]))


def column_runs(mask: np.ndarray, ink: np.ndarray) -> Runs:
    """Every vertical run of True in ``mask``, with its ink-weighted centre (sub-pixel).

    Example
    -------
    >>> m = np.zeros((10, 3), bool); m[2:5, 1] = True; m[7, 1] = True
    >>> r = column_runs(m, m.astype(np.float32))
    >>> r.col.tolist(), r.top.tolist(), r.bot.tolist(), r.centre.tolist()
    ([1, 1], [2.0, 7.0], [4.0, 7.0], [3.0, 7.0])
    """
    mt = np.ascontiguousarray(mask.T)
    w, h = mt.shape
    padded = np.zeros((w, h + 2), np.int8)
    padded[:, 1:-1] = mt
    d = np.diff(padded, axis=1)
    sc, sr = np.nonzero(d == 1)
    _, er = np.nonzero(d == -1)
    top, bot = sr, er - 1
    weight = np.where(mt, np.asarray(ink, np.float32).T, 0.0).astype(np.float64)
    cw = np.zeros((w, h + 1))
    cy = np.zeros((w, h + 1))
    np.cumsum(weight, axis=1, out=cw[:, 1:])
    np.cumsum(weight * np.arange(h)[None, :], axis=1, out=cy[:, 1:])
    mass = cw[sc, bot + 1] - cw[sc, top]
    centre = np.where(mass > 1e-9, (cy[sc, bot + 1] - cy[sc, top]) / np.maximum(mass, 1e-9), (top + bot) / 2.0)
    starts = np.searchsorted(sc, np.arange(w + 1))
    return Runs(col=sc, top=top.astype(np.float64), bot=bot.astype(np.float64), centre=centre,
                mass=np.maximum(mass, 1e-6), starts=starts)


@dataclass
class Path:
    """A followed trace: per column of ``[x0, x1)`` the run's top, bottom and centre (NaN: no trace)."""

    x0: int
    top: np.ndarray
    bot: np.ndarray
    centre: np.ndarray
    jump_mm: np.ndarray

    @property
    def found(self) -> np.ndarray:
        """Columns with a trace."""
        return np.isfinite(self.centre)


SLIVER_COST = 0.3
"""Cost per column (mm-equivalent) of a run one pixel tall lying on a horizontal grid line: a piece of grid line
left between close strokes (between the up- and downstroke of a QRS, where the grid is unmixed from the pen's
ink), which is flat and so cheaper to follow than the apex above it. On the outside page clean_04 such pieces
bridged 4-8 columns under R apexes of every row and cut them (0.4-1.3 mV); following the apex instead costs
about 0.8 there."""


def trace_follow(runs: Runs, x0: int, x1: int, band: tuple[float, float], home: tuple[float, float],
                 px_per_mm: float, start_y: float | None = None, max_candidates: int = 6,
                 grid_y: tuple[float, float] | None = None) -> Path:
    """Follow one trace from column x0 to x1 by dynamic programming over the runs of each column.

    ``band``: rows (top, bottom) where the trace may go at all; ``home``: the rows it
    belongs to. Each column is either one of its runs or *absent* (no trace there).
    Costs, in mm: moving on costs the vertical gap between consecutive runs (0 when
    they touch) plus 0.1 x the change of centre; every column costs 0.05 per mm the
    run lies outside ``home`` (a tall wave may reach into the next row's band for a
    few columns, but the path does not settle on a neighbour's trace); an absent
    column costs 1; starting or resuming costs 3 plus 0.5 per mm outside ``home``
    plus 0.3 per mm away from ``start_y``. Labels and specks away from the trace are
    thus left out, and gaps in the ink leave the trace missing there. With ``grid_y``
    (y of a horizontal grid line, spacing in px), a run one pixel tall on a grid line
    costs :data:`SLIVER_COST` more per column.
    """
    x0, x1 = max(0, x0), min(len(runs.starts) - 1, x1)
    n = max(0, x1 - x0)
    top = np.full(n, np.nan)
    bot = np.full(n, np.nan)
    centre = np.full(n, np.nan)
    jumps = np.zeros(n)
    if n == 0:
        return Path(x0, top, bot, centre, jumps)
    r = px_per_mm
    ref = 0.5 * (home[0] + home[1]) if start_y is None else start_y
    absent_cost, restart = 1.0, 3.0
    cost = np.array([0.0])  # state 0 = absent
    states: list[np.ndarray] = []
    backs: list[np.ndarray] = []
    prev_idx = np.empty(0, int)
    for c in range(x0, x1):
        sl = runs.in_column(c)
        t, b = runs.top[sl], runs.bot[sl]
        idx = np.arange(sl.start, sl.stop)[(b >= band[0]) & (t <= band[1])]
        if len(idx) > max_candidates:
            idx = idx[np.argsort(np.abs(runs.centre[idx] - ref))[:max_candidates]]
        t, b, m = runs.top[idx], runs.bot[idx], runs.centre[idx]
        outside = (np.maximum(0.0, home[0] - m) + np.maximum(0.0, m - home[1])) / r
        unary = 0.05 * outside
        if grid_y is not None:
            off = (m - grid_y[0]) % grid_y[1]
            on_line = np.minimum(off, grid_y[1] - off) <= 0.75
            unary = unary + SLIVER_COST * ((b - t) < 1.0) * on_line
        k_prev = len(prev_idx)
        trans = np.empty((k_prev + 1, len(idx) + 1))
        trans[:, 0] = 0.0  # to absent
        trans[0, 1:] = restart + 0.5 * outside + 0.3 * np.abs(m - ref) / r  # absent -> run
        if k_prev:
            pt, pb, pm = runs.top[prev_idx], runs.bot[prev_idx], runs.centre[prev_idx]
            gap = np.maximum(0.0, np.maximum(t[None, :] - pb[:, None], pt[:, None] - b[None, :])) / r
            trans[1:, 1:] = gap + 0.1 * np.abs(m[None, :] - pm[:, None]) / r
        total = cost[:, None] + trans
        back = np.argmin(total, axis=0)
        cost = total[back, np.arange(len(idx) + 1)] + np.concatenate([[absent_cost], unary])
        cost -= cost.min()
        states.append(idx)
        backs.append(back)
        prev_idx = idx
    j = int(np.argmin(cost))
    chosen = np.full(n, -1)
    for k in range(n - 1, -1, -1):
        if j > 0:
            chosen[k] = states[k][j - 1]
            i = chosen[k]
            top[k], bot[k], centre[k] = runs.top[i], runs.bot[i], runs.centre[i]
        j = int(backs[k][j])
    _complete_strokes(runs, x0, chosen, top, bot, centre)
    ok = np.isfinite(centre)
    jumps[1:] = np.where(ok[1:] & ok[:-1], np.maximum(0.0, np.maximum(top[1:] - bot[:-1], top[:-1] - bot[1:])) / r,
                         0.0)
    return Path(x0, top, bot, centre, jumps)


def _complete_strokes(runs: Runs, x0: int, chosen: np.ndarray, top: np.ndarray, bot: np.ndarray,
                      centre: np.ndarray) -> None:
    """Join the other runs of a column that lie within its neighbours' reach into the chosen run, in place.

    At a sharp apex the rising and falling strokes meet inside one column with a gap
    between them; both belong to the trace, and the apex is the top of their union.
    """
    n = len(chosen)
    new_top, new_bot, new_centre = top.copy(), bot.copy(), centre.copy()
    for k in range(n):
        if chosen[k] < 0:
            continue
        near = [q for q in (k - 1, k + 1) if 0 <= q < n and chosen[q] >= 0]
        if not near:
            continue
        lo = min(top[q] for q in near)
        hi = max(bot[q] for q in near)
        sl = runs.in_column(x0 + k)
        t, b = runs.top[sl], runs.bot[sl]
        join = (b >= lo) & (t <= hi)
        if join.sum() <= 1:
            continue
        idx = np.arange(sl.start, sl.stop)[join]
        idx = idx[(runs.top[idx] <= max(bot[k], hi)) & (runs.bot[idx] >= min(top[k], lo))]
        idx = np.union1d(idx, [chosen[k]])
        m = runs.mass[idx]
        new_top[k], new_bot[k] = runs.top[idx].min(), runs.bot[idx].max()
        new_centre[k] = float(np.sum(runs.centre[idx] * m) / np.sum(m))
    top[:], bot[:], centre[:] = new_top, new_bot, new_centre


def paths_unshare(paths: list[Path], max_px: int) -> None:
    """Where two rows' paths hold the same ink for up to ``max_px`` columns, keep each within its own reach, in place.

    Where one row's QRS reaches into the next row, both strokes fall in the same
    columns and join into one vertical run; each row's path takes the whole run, and
    its polyline turns at the far end, inside the other row (an apex 2-5 mV off). In
    such columns each path is clipped to the span of its own columns on either side:
    a flat row stays flat and a stroke passing through stays, but an apex inside the
    shared columns is cut to that span. Longer shared stretches (a path that followed
    another row's trace) are left as they are. All paths must share ``x0`` and length.

    Example
    -------
    >>> c = np.full(10, 5.0); a = Path(0, c - 1, c + 1, c, np.zeros(10))        # row a dips 12 px ...
    >>> a.bot[3], a.bot[6] = 12.0, 12.0
    >>> d = np.full(10, 20.0); b = Path(0, d - 2, d + 2, d, np.zeros(10))       # ... into flat row b
    >>> for p in (a, b):
    ...     p.top[4:6], p.bot[4:6] = 4.0, 22.0                                   # both take the joined run
    >>> paths_unshare([a, b], max_px=3)
    >>> a.top[4:6].tolist(), a.bot[4:6].tolist(), b.top[4:6].tolist(), b.bot[4:6].tolist()
    ([4.0, 4.0], [12.0, 12.0], [18.0, 18.0], [22.0, 22.0])
    """
    shared = [np.zeros(len(p.centre), bool) for p in paths]
    for i in range(len(paths)):
        for j in range(i + 1, len(paths)):
            a, b = paths[i], paths[j]
            both = a.found & b.found
            both[both] &= (a.top[both] <= b.bot[both]) & (b.top[both] <= a.bot[both])
            for k0, k1 in true_stretches(both):
                if k1 - k0 + 1 <= max_px:
                    shared[i][k0:k1 + 1] = shared[j][k0:k1 + 1] = True
    for path, gone in zip(paths, shared):
        n = len(path.centre)
        for k0, k1 in true_stretches(gone):
            sides = [k for k in (k0 - 1, k1 + 1) if 0 <= k < n and path.found[k] and not gone[k]]
            if not sides:
                path.top[k0:k1 + 1] = path.bot[k0:k1 + 1] = path.centre[k0:k1 + 1] = np.nan
                continue
            lo, hi = min(path.top[k] for k in sides), max(path.bot[k] for k in sides)
            top, bot = np.maximum(path.top[k0:k1 + 1], lo), np.minimum(path.bot[k0:k1 + 1], hi)
            bot = np.maximum(bot, top)
            path.top[k0:k1 + 1], path.bot[k0:k1 + 1] = top, bot
            path.centre[k0:k1 + 1] = 0.5 * (top + bot)


def pen_width(ink: np.ndarray, paths: list[Path]) -> float:
    """Thickness (px) of the pen that drew the traces: ink per column over the stroke's darkness.

    A column crossing a flat stretch of line holds the pen's thickness times its
    darkness of ink; columns across waves, or across noise drawn into the trace
    (mains hum, tremor), hold more. The tenth percentile over the followed columns
    of all rows, divided by the stroke darkness (90th percentile of inked pixels), is
    the pen.

    Example
    -------
    >>> ink = np.zeros((40, 60), np.float32); ink[18:21, :] = 1.0; ink[17, :] = 0.5
    >>> c = np.full(60, 19.0)
    >>> pen_width(ink, [Path(0, c - 2, c + 1, c, np.zeros(60))])
    3.5
    """
    h, w = ink.shape
    cum = np.vstack([np.zeros((1, w)), np.cumsum(ink, axis=0, dtype=np.float64)])
    masses = []
    for path in paths:
        ok = np.flatnonzero(path.found)
        cols = path.x0 + ok
        top = np.clip(path.top[ok].astype(int) - 2, 0, h)
        bot = np.clip(path.bot[ok].astype(int) + 3, 0, h)
        masses.append(cum[bot, cols] - cum[top, cols])
    level = stroke_level(ink, default=1.0)
    allm = np.concatenate(masses) if masses else np.empty(0)
    if allm.size == 0:
        return 1.0
    return float(max(1.0, np.percentile(allm, 10) / max(level, 0.2)))


def true_stretches(found: np.ndarray, max_gap: int = 0) -> list[tuple[int, int]]:
    """Inclusive index ranges of True, joining runs separated by at most ``max_gap`` False.

    Example
    -------
    >>> true_stretches(np.array([1, 1, 0, 1, 0, 0, 1], bool)), true_stretches(np.array([1, 1, 0, 1], bool), max_gap=1)
    ([(0, 1), (3, 3), (6, 6)], [(0, 3)])
    """
    idx = np.flatnonzero(found)
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > max_gap + 1)
    starts = np.concatenate([[idx[0]], idx[breaks + 1]])
    ends = np.concatenate([idx[breaks], [idx[-1]]])
    return list(zip(starts.tolist(), ends.tolist()))
