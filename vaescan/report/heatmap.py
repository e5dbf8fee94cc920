"""Annotated heatmaps of latents x variables tables (correlations, AUROC, weights)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure


def plot_heatmap(
    df: pd.DataFrame,
    title: str | None = None,
    center: float | None = 0,
    fmt: str = ".2f",
    *,
    cmap: str = "vlag",
    vmin: float | None = None,
    vmax: float | None = None,
    annot: bool = True,
    cbar_label: str | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """An annotated heatmap of a numeric table (e.g. a Spearman matrix) as a matplotlib Figure.

    With ``center`` set (0 for rho, 0.5 for AUROC) the diverging palette is
    centred on it and the colour range is symmetric around it, so equal colours
    mean equal strength in both directions. NaN cells stay blank (an all-NaN
    table gives a blank map rather than an error). The figure
    is built without pyplot, so it works headless (Agg) and holds no global
    state; save it with ``fig.savefig(path)``.

    Example
    -------
    >>> table = pd.DataFrame({"age": [0.8, -0.1], "qrs_ms": [0.0, -0.6]}, index=["z0", "z1"])
    >>> fig = plot_heatmap(table, title="Spearman rho")
    >>> [t.get_text() for t in fig.axes[0].texts]
    ['0.80', '0.00', '-0.10', '-0.60']
    >>> fig.axes[0].collections[0].norm.vmin
    -0.8
    """
    if not isinstance(df, pd.DataFrame) or df.empty:
        raise ValueError("plot_heatmap needs a non-empty pandas DataFrame")
    try:
        values = df.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError("plot_heatmap needs a numeric table") from None
    finite = values.to_numpy()[np.isfinite(values.to_numpy())]
    if center is not None:
        span = float(np.max(np.abs(finite - center))) if finite.size else 0.0
        vmin = center - (span or 1.0) if vmin is None else vmin
        vmax = center + (span or 1.0) if vmax is None else vmax
    elif not finite.size:  # an all-NaN table: draw it blank on a default range
        vmin, vmax = (0.0 if vmin is None else vmin), (1.0 if vmax is None else vmax)
    rows, cols = values.shape
    fig = Figure(figsize=figsize or (1.6 + 0.75 * cols, 1.2 + 0.45 * rows), layout="constrained")
    ax = fig.subplots()
    with warnings.catch_warnings():  # seaborn 0.13 calls Colormap.set_bad, which matplotlib >= 3.11 deprecates
        warnings.filterwarnings("ignore", "The set_bad function", PendingDeprecationWarning)
        sns.heatmap(values, ax=ax, annot=annot, fmt=fmt, cmap=cmap, center=center, vmin=vmin, vmax=vmax,
                    linewidths=0.5, cbar_kws={"label": cbar_label} if cbar_label else None)
    ax.set_xlabel(values.columns.name or "")
    ax.set_ylabel(values.index.name or "")
    if title:
        ax.set_title(title)
    return fig
