"""A digitisation example for the report: the page image beside one lead traced from it and the true signal.

:func:`plot_digitisation` draws the page (as photographed or rendered) and, on ECG paper (25 mm/s, 10 mm/mV;
grid 0.04 s x 0.1 mV and 0.2 s x 0.5 mV), the digitised lead over the true one where the page shows it, with the
page's SNR in the title. Colours from seaborn's colour-blind palette.
"""

from __future__ import annotations

import numpy as np
import seaborn as sns
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

SPEED_MM_S, GAIN_MM_MV = 25.0, 10.0


def plot_digitisation(page: np.ndarray, time_s: np.ndarray, traced_mv: np.ndarray, true_mv: np.ndarray,
                      lead: str, title: str = "") -> Figure:
    """The page image (top) and lead ``lead`` traced from it over the true signal (below; NaN: not shown; the time
    axis spans the samples shown).

    Example
    -------
    >>> t = np.arange(0, 2.5, 0.002)
    >>> fig = plot_digitisation(np.ones((60, 80)), t, np.sin(t), np.sin(t) + 0.01, "II", "clean00: SNR 20 dB")
    >>> [ax.get_xlabel() for ax in fig.axes], fig.axes[1].get_ylabel()
    (['', 'time (s); 25 mm/s'], 'lead II (mV); 10 mm/mV')
    """
    fig = Figure(figsize=(11.0, 10.0))
    grid = fig.add_gridspec(2, 1, height_ratios=(3.0, 1.2))
    page_ax, ax = fig.add_subplot(grid[0]), fig.add_subplot(grid[1])
    page_ax.imshow(page, cmap="gray" if page.ndim == 2 else None, vmin=0, vmax=1 if page.max() <= 1 else 255)
    page_ax.set(xticks=[], yticks=[], title="page image")
    finite = np.concatenate([traced_mv[np.isfinite(traced_mv)], true_mv[np.isfinite(true_mv)]])
    low, high = (float(finite.min()) - 0.2, float(finite.max()) + 0.2) if len(finite) else (-1.0, 1.0)
    shown = np.flatnonzero(np.isfinite(traced_mv) | np.isfinite(true_mv))
    t0, t1 = (float(time_s[shown[0]]), float(time_s[shown[-1]])) if len(shown) else (float(time_s[0]),
                                                                                       float(time_s[-1]))
    for (xstep, ystep), colour, lw in (((0.04, 0.1), "#f6c6c6", 0.3), ((0.2, 0.5), "#e89a9a", 0.7)):
        xs = np.arange(np.floor(t0 / xstep) * xstep, t1 + 1e-9, xstep)
        ys = np.arange(np.floor(low / ystep) * ystep, high + 1e-9, ystep)
        ax.add_collection(LineCollection([((x, low), (x, high)) for x in xs] + [((t0, y), (t1, y)) for y in ys],
                                         colors=colour, linewidths=lw, zorder=0))
    blue, orange = sns.color_palette("colorblind")[0], sns.color_palette("colorblind")[1]
    ax.plot(time_s, true_mv, color=blue, lw=1.4, label="true signal", zorder=2)
    ax.plot(time_s, traced_mv, color=orange, lw=1.0, label="traced from the page", zorder=3)
    ax.set(xlim=(t0, t1), ylim=(low, high), xlabel="time (s); 25 mm/s", ylabel=f"lead {lead} (mV); 10 mm/mV")
    ax.set_aspect(GAIN_MM_MV / SPEED_MM_S)           # 1 s is 25 mm, 1 mV is 10 mm
    ax.legend(fontsize=7, loc="upper right")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
