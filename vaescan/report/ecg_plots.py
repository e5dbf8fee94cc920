"""Figures of 12-lead beats: traversals (one factor, leads overlaid on a colour ramp) and beat comparisons, the
12-lead ones on standard ECG paper (:func:`draw_paper`: 25 mm/s, 10 mm/mV, 1 mm and 5 mm grid).

Figures are built on :class:`matplotlib.figure.Figure` directly (no pyplot
state), so they work headless; save them with :func:`save_figure`.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from vaescan.data.leads import LEADS
from vaescan.io import atomic_path


def traversal_cmap() -> mpl.colors.Colormap:
    """Colour ramp of traversals: blue at -3 sd, dark grey at the mean, red at +3 sd (every step visible on white).

    Example
    -------
    >>> cmap = traversal_cmap()
    >>> bool(max(cmap(0.5)[:3]) < 0.2), bool(cmap(0.0)[2] > cmap(0.0)[0]), bool(cmap(1.0)[0] > cmap(1.0)[2])
    (True, True, True)
    """
    return sns.diverging_palette(250, 15, s=90, l=50, center="dark", as_cmap=True)


PAPER_MS_PER_MV = 400.0
"""At 25 mm/s and 10 mm/mV, 1 mV takes as much paper (10 mm) as 400 ms: the aspect of a beat drawn in ms and mV."""


def paper_range(beats: np.ndarray) -> tuple[float, float]:
    """The amplitude range (mV) a paper panel shows for ``beats``: their extremes rounded out to 0.5 mV (a large
    box), at least -0.5 to +0.5 mV.

    Example
    -------
    >>> paper_range(np.array([[-0.3, 1.2], [0.0, 0.4]]))
    (-0.5, 1.5)
    """
    finite = np.asarray(beats, dtype=float)
    finite = finite[np.isfinite(finite)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    return min(-0.5, float(np.floor(low / 0.5) * 0.5)), max(0.5, float(np.ceil(high / 0.5) * 0.5))


def draw_paper(ax, t_ms: tuple[float, float], mv: tuple[float, float]) -> None:
    """Standard ECG paper under a beat drawn in ms (x) and mV (y): 1 mm lines every 40 ms and 0.1 mV, 5 mm lines
    every 200 ms and 0.5 mV (two line collections), the limits ``t_ms`` and ``mv``, and the 25 mm/s : 10 mm/mV
    aspect (:data:`PAPER_MS_PER_MV`).

    Example
    -------
    >>> ax = Figure().add_subplot()
    >>> draw_paper(ax, (-400, 600), (-1.0, 2.0))
    >>> ax.get_aspect(), [float(v) for v in ax.get_ylim()], len(ax.collections)
    (400.0, [-1.0, 2.0], 2)
    """
    (t0, t1), (v0, v1) = t_ms, mv
    for step_ms, step_mv, colour, lw in ((40.0, 0.1, "#f6d3d8", 0.3), (200.0, 0.5, "#ea9aa6", 0.6)):
        xs = np.arange(np.ceil(t0 / step_ms - 1e-9) * step_ms, t1 + 1e-9, step_ms)
        ys = np.arange(np.ceil(v0 / step_mv - 1e-9) * step_mv, v1 + 1e-9, step_mv)
        segments = [((x, v0), (x, v1)) for x in xs] + [((t0, y), (t1, y)) for y in ys]
        ax.add_collection(LineCollection(segments, colors=colour, linewidths=lw, zorder=0))
    ax.set_xlim(t0, t1)
    ax.set_ylim(v0, v1)
    ax.set_aspect(PAPER_MS_PER_MV, adjustable="box")


def _paper_figure(t: np.ndarray, mv: tuple[float, float]) -> tuple[Figure, np.ndarray]:
    """A 3 x 4 figure of paper panels sized so that every panel keeps the paper's aspect."""
    width_mm, height_mm = (t[-1] - t[0]) / 40.0, (mv[1] - mv[0]) * 10.0
    panel_in = 2.7
    fig = Figure(figsize=(12, min(3 * panel_in * height_mm / width_mm + 1.2, 16)), layout="constrained")
    return fig, fig.subplots(3, 4, sharex=True, sharey=True).ravel()


LARGE_PNG_BYTES = 256_000
"""A PNG figure larger than this (page images, Jacobian maps over pixels: noise that does not compress) is stored
with a palette of 256 colours (median cut, no dithering): 2-3 times fewer bytes in the files and in the
self-contained report, the same to the eye. Smaller figures (line plots) keep every colour."""


def save_figure(fig: Figure, path: str | os.PathLike[str], dpi: int = 120) -> Path:
    """Save a figure atomically (format from the suffix; a large PNG with 256 colours, :data:`LARGE_PNG_BYTES`)
    and return the path.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = save_figure(Figure(), pathlib.Path(tempfile.mkdtemp()) / "empty.png")
    >>> p.stat().st_size > 0
    True
    """
    path = Path(path)
    fmt = path.suffix.lstrip(".") or "png"
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=dpi, bbox_inches="tight", format=fmt)
    data = buffer.getvalue()
    if fmt == "png" and len(data) > LARGE_PNG_BYTES:
        from PIL import Image

        palette = Image.open(io.BytesIO(data)).convert("RGB").quantize(
            256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        buffer = io.BytesIO()
        palette.save(buffer, format="png", optimize=True)
        data = min(data, buffer.getvalue(), key=len)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return path


def _time_ms(n_samples: int, fs: float, window_ms: Sequence[float]) -> np.ndarray:
    return window_ms[0] + np.arange(n_samples) * 1000.0 / fs


def plot_traversal(beats: np.ndarray, steps: Sequence[float], fs: float, window_ms: Sequence[float],
                   title: str = "", leads: Sequence[str] = LEADS) -> Figure:
    """One factor's traversal: a panel per lead on standard paper (:func:`draw_paper`), the decoded beats overlaid
    from blue (-) to red (+).

    ``beats`` is (steps, 12, samples) in mV, ``steps`` the factor value of each in sd.

    Example
    -------
    >>> t = np.linspace(-1, 1, 500)
    >>> beats = np.stack([np.tile(np.exp(-0.5 * (t / w) ** 2), (12, 1)) for w in (0.02, 0.04, 0.06)])
    >>> fig = plot_traversal(beats, [-3, 0, 3], 500.0, (-400, 600), title="z0")
    >>> len(fig.axes), fig.axes[0].get_aspect()  # 12 leads on paper and the colour bar
    (13, 400.0)
    """
    steps = np.asarray(steps, dtype=float)
    span = float(np.max(np.abs(steps))) or 1.0
    norm = mpl.colors.Normalize(-span, span)
    cmap = traversal_cmap()
    t = _time_ms(beats.shape[-1], fs, window_ms)
    mv = paper_range(beats)
    fig, axes = _paper_figure(t, mv)
    for j, lead in enumerate(leads):
        ax = axes[j]
        draw_paper(ax, (t[0], t[-1]), mv)
        for k in np.argsort(np.abs(steps))[::-1]:  # the mean last, on top
            ax.plot(t, beats[k, j], color=cmap(norm(steps[k])), lw=1.2)
        ax.set_title(lead, fontsize=10, loc="left")
    for ax in axes[8:]:
        ax.set_xlabel("ms from QRS (25 mm/s)")
    for ax in axes[::4]:
        ax.set_ylabel("mV (10 mm/mV)")
    bar = fig.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=axes.tolist(), shrink=0.6)
    bar.set_label("factor value (sd from the mean)")
    if title:
        fig.suptitle(title)
    return fig


def plot_traversal_overview(table: pd.DataFrame, beats: np.ndarray, fs: float, window_ms: Sequence[float],
                            leads: Sequence[str] = ("I", "II", "aVF", "V1", "V3", "V5"),
                            factor_labels: Mapping[int, str] | None = None) -> Figure:
    """Every traversed factor at a glance: one row per factor, one column per lead in ``leads``.

    ``table`` and ``beats`` come from :func:`vaescan.analysis.traversal.latent_traversal`.

    Example
    -------
    >>> t = np.linspace(-1, 1, 500)
    >>> beats = np.stack([np.tile(np.exp(-0.5 * (t / w) ** 2), (12, 1)) for w in (0.02, 0.04, 0.03, 0.05)])
    >>> table = pd.DataFrame({"factor": [0, 0, 1, 1], "step": [-3.0, 3.0, -3.0, 3.0]})
    >>> len(plot_traversal_overview(table, beats, 500.0, (-400, 600)).axes)  # 2 x 6 panels and the bar
    13
    """
    factors = list(dict.fromkeys(table["factor"].tolist()))
    span = float(table["step"].abs().max()) or 1.0
    norm = mpl.colors.Normalize(-span, span)
    cmap = traversal_cmap()
    t = _time_ms(beats.shape[-1], fs, window_ms)
    rows = max(len(factors), 1)
    fig = Figure(figsize=(2.2 * len(leads) + 1, 1.5 * rows + 0.8), layout="constrained")
    axes = np.atleast_2d(fig.subplots(rows, len(leads), sharex=True, squeeze=False))
    for r, factor in enumerate(factors):
        idx = np.flatnonzero(table["factor"].to_numpy() == factor)
        order = idx[np.argsort(np.abs(table["step"].to_numpy()[idx]))[::-1]]
        for c, lead in enumerate(leads):
            ax = axes[r, c]
            for k in order:
                ax.plot(t, beats[k, LEADS.index(lead)], color=cmap(norm(table["step"].iloc[k])), lw=0.9)
            ax.set_yticks([])
            if r == 0:
                ax.set_title(lead, fontsize=10)
        label = (factor_labels or {}).get(factor, f"z{factor}")
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    for ax in axes[-1]:
        ax.set_xlabel("ms")
    bar = fig.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=axes.ravel().tolist(), shrink=0.5)
    bar.set_label("sd from the mean")
    return fig


def plot_beats(beats: Mapping[str, np.ndarray], fs: float, window_ms: Sequence[float], title: str = "",
               leads: Sequence[str] = LEADS) -> Figure:
    """Named 12-lead beats (each 12 x samples, mV) overlaid, one panel per lead on standard paper (e.g. generated
    vs NORM; colour-blind palette).

    Example
    -------
    >>> t = np.linspace(-1, 1, 500)
    >>> fig = plot_beats({"NORM": np.tile(np.exp(-(t / 0.02) ** 2), (12, 1)),
    ...                   "LBBB": np.tile(np.exp(-(t / 0.05) ** 2), (12, 1))}, 500.0, (-400, 600))
    >>> len(fig.axes), fig.axes[0].get_aspect()   # 12 leads, each on paper: 1 mV as tall as 400 ms is wide
    (12, 400.0)
    """
    palette = sns.color_palette("colorblind", len(beats))
    names = list(beats)
    t = _time_ms(next(iter(beats.values())).shape[-1], fs, window_ms)
    mv = paper_range(np.stack([np.asarray(b, dtype=float) for b in beats.values()]))
    fig, axes = _paper_figure(t, mv)
    for j, lead in enumerate(leads):
        draw_paper(axes[j], (t[0], t[-1]), mv)
        for name, color in zip(names, palette):
            axes[j].plot(t, beats[name][j], color=color, lw=1.3, label=name)
        axes[j].set_title(lead, fontsize=10, loc="left")
    for ax in axes[8:]:
        ax.set_xlabel("ms from QRS (25 mm/s)")
    for ax in axes[::4]:
        ax.set_ylabel("mV (10 mm/mV)")
    axes[0].legend(fontsize=8, loc="upper left")
    if title:
        fig.suptitle(title)
    return fig


def plot_curves(curves: pd.DataFrame, title: str = "", loss_label: str = "negative ELBO per record (nats)") -> Figure:
    """Training curves: the loss per record (train and validation, named ``loss_label``) and any extra columns,
    per epoch.

    Example
    -------
    >>> c = pd.DataFrame({"epoch": [1, 2, 3], "train_loss": [9.0, 5.0, 4.0], "val_loss": [9.5, 6.0, 5.0],
    ...                   "val_rmse_uv": [80.0, 50.0, 40.0], "anneal": [1.0, 1.0, 1.0], "seconds": [1.0, 1.0, 1.0]})
    >>> len(plot_curves(c).axes)
    2
    """
    extra = [c for c in curves.columns if c not in ("epoch", "train_loss", "val_loss", "anneal", "seconds")]
    fig = Figure(figsize=(5 * (1 + len(extra)), 3.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, 1 + len(extra), squeeze=False).ravel())
    for col in ("train_loss", "val_loss"):
        if col in curves:
            axes[0].plot(curves["epoch"], curves[col], label=col.replace("_loss", ""))
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel(loss_label)
    if len(curves) and curves[[c for c in ("train_loss", "val_loss") if c in curves]].min().min() > 0:
        axes[0].set_yscale("log")
    axes[0].legend()
    for ax, col in zip(axes[1:], extra):
        ax.plot(curves["epoch"], curves[col])
        ax.set_xlabel("epoch")
        ax.set_ylabel(col)
    if title:
        fig.suptitle(title)
    return fig
