"""Evidence drawn where a clinician looks: the ECG on standard paper, its trace coloured by signed evidence.

:func:`plot_signal_evidence` lays a 12-lead record out as printed (3 x 4 panels
of 2.5 s and a 10 s lead II rhythm strip, 25 mm/s, 10 mm/mV, 1 mm and 5 mm
grid) and colours the trace by an attribution map: orange for evidence *for*
the output, purple for evidence *against* (readable with the common
colour-vision deficiencies), dark grey where the map is near zero.
:func:`plot_page_evidence` does the same on a page image: the raw map over the
whole page (where the model looked, paper included) beside the map restricted
to the trace.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import numpy as np
import seaborn as sns
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from vaescan.data.leads import LEADS
from vaescan.pages.layout import layout_panels
from vaescan.pages.model_input import background_share

EVIDENCE_CMAP = sns.diverging_palette(275, 40, s=95, l=55, center="dark", as_cmap=True)
"""Purple (against) - dark grey (none) - orange (for): colour-blind safe, and a trace without evidence stays
visible on white paper."""

PAGE_CMAP = "PuOr_r"
"""On a page image the printed trace stays visible underneath, so evidence is drawn purple - white - orange and
only where it is at least a tenth of the colour scale."""

_GAIN_MM_MV, _SPEED_MM_S, _ROW_MM = 10.0, 25.0, 30.0


def _evidence_norm(evidence: np.ndarray) -> mpl.colors.Normalize:
    """A symmetric colour scale at the 99th percentile of |evidence| (a few extreme samples do not wash it out)."""
    vmax = float(np.percentile(np.abs(evidence), 99)) if np.any(evidence) else 1.0
    return mpl.colors.TwoSlopeNorm(vcenter=0.0, vmin=-(vmax or 1.0), vmax=vmax or 1.0)


def _draw_grid(ax, width_mm: float, height_mm: float) -> None:
    """The 1 mm and 5 mm grid as two line collections (one artist each: hundreds of axvline/axhline artists made
    each figure take over a second to draw)."""
    for step, colour, lw in ((1.0, "#f6d3d8", 0.3), (5.0, "#ea9aa6", 0.6)):
        xs, ys = np.arange(0, width_mm + 1e-9, step), np.arange(0, height_mm + 1e-9, step)
        segments = [((x, 0.0), (x, height_mm)) for x in xs] + [((0.0, y), (width_mm, y)) for y in ys]
        ax.add_collection(LineCollection(segments, colors=colour, linewidths=lw, zorder=0))


def plot_signal_evidence(signal: np.ndarray, fs: float, evidence: np.ndarray, title: str = "",
                         leads: Sequence[str] = LEADS, layout: str = "3x4+II") -> Figure:
    """A record (leads, samples in mV at ``fs`` Hz) on standard paper, its trace coloured by ``evidence``.

    ``evidence`` is shaped like ``signal`` (signed: positive for, negative
    against). The figure is drawn at true scale (1 mm on the figure is 1 mm of
    paper at 100 % zoom).

    Example
    -------
    >>> t = np.arange(1000) / 100.0
    >>> x = np.tile(np.sin(2 * np.pi * t), (12, 1))
    >>> fig = plot_signal_evidence(x, 100.0, x * 0.5, "demo")
    >>> len(fig.axes)
    2
    """
    duration = signal.shape[1] / fs
    panels = layout_panels(layout, duration)
    n_rows = max(p.row for p in panels) + 1
    width_mm, height_mm = duration * _SPEED_MM_S + 10.0, n_rows * _ROW_MM
    fig = Figure(figsize=(width_mm / 25.4 + 1.2, height_mm / 25.4 + 0.6))
    ax = fig.add_axes((0.02, 0.02, (width_mm / 25.4) / (width_mm / 25.4 + 1.2) - 0.02, 0.9))
    _draw_grid(ax, width_mm, height_mm)
    norm = _evidence_norm(evidence)
    for p in panels:
        i0, i1 = p.sample_range(fs)
        i1 = min(i1, signal.shape[1])
        k = list(leads).index(p.lead)
        x = 5.0 + np.arange(i0, i1) / fs * _SPEED_MM_S
        y = height_mm - (p.row + 0.6) * _ROW_MM + signal[k, i0:i1] * _GAIN_MM_MV
        points = np.stack([x, y], axis=1)
        segments = np.stack([points[:-1], points[1:]], axis=1)
        colours = 0.5 * (evidence[k, i0:i1 - 1] + evidence[k, i0 + 1:i1])
        ax.add_collection(LineCollection(segments, array=colours, cmap=EVIDENCE_CMAP, norm=norm, lw=1.3, zorder=2))
        ax.text(x[0] + 1, height_mm - p.row * _ROW_MM - 6, p.lead, fontsize=8, zorder=3)
    ax.set(xlim=(0, width_mm), ylim=(0, height_mm), aspect="equal", xticks=[], yticks=[])
    ax.set_title(title, fontsize=9, loc="left")
    cax = fig.add_axes((0.93, 0.15, 0.012, 0.6))
    bar = fig.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=EVIDENCE_CMAP), cax=cax)
    bar.set_label("evidence (against < 0 < for)", fontsize=8)
    fig.text(0.02, 0.005, "25 mm/s, 10 mm/mV; grid 1 mm / 5 mm", fontsize=7)
    return fig


def plot_page_evidence(image: np.ndarray, pixel_map: np.ndarray, trace_map: np.ndarray, title: str = "") -> Figure:
    """A page image (H, W; ink high) with a pixel map: raw |map| over the page, and the signed map on the trace.

    ``trace_map`` is the page's trace map (:func:`vaescan.pages.model_input.page_input`; -1 off the trace).

    Example
    -------
    >>> img = np.zeros((40, 60)); img[20, :] = 1.0
    >>> fig = plot_page_evidence(img, img * 2 - 0.1, np.where(img > 0.5, 0, -1), "demo")
    >>> len(fig.axes)
    3
    """
    h, w = image.shape
    fig = Figure(figsize=(16, 16 * h / w / 2 + 0.8))
    raw_ax, trace_ax = fig.subplots(1, 2)
    paper = 1.0 - image
    raw_ax.imshow(paper, cmap="gray", vmin=0, vmax=1)
    magnitude = np.abs(pixel_map)
    raw_ax.imshow(np.ma.masked_less_equal(magnitude, 0), cmap="magma_r", alpha=0.7,
                  vmax=float(np.percentile(magnitude, 99.5)) or None)
    share = background_share(pixel_map, trace_map)
    trace_mask = trace_map >= 0
    raw_ax.set_title(f"|evidence| on the whole page ({share:.0%} off the trace)", fontsize=9)
    trace_ax.imshow(paper, cmap="gray", vmin=0, vmax=1)
    on_trace = np.where(trace_mask, pixel_map, 0.0)
    norm = _evidence_norm(on_trace[trace_mask]) if trace_mask.any() else _evidence_norm(on_trace)
    faint = np.abs(on_trace) < 0.1 * norm.vmax          # the page shows through where the evidence is faint
    trace_ax.imshow(np.ma.masked_where(~trace_mask | faint, on_trace), cmap=PAGE_CMAP, norm=norm)
    trace_ax.set_title("evidence on the trace (orange for, purple against)", fontsize=9)
    for ax in (raw_ax, trace_ax):
        ax.set(xticks=[], yticks=[])
    fig.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=PAGE_CMAP), ax=trace_ax, shrink=0.6)
    fig.suptitle(title, fontsize=10, x=0.02, ha="left")
    return fig
