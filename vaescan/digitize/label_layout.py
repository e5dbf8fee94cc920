"""Printed lead labels against the layout: which panel each label names, and the layout the labels support.

A label is printed beside the start of its lead's trace (above, below or just before it),
so it belongs to the trace row nearest to it and to the panel of that row whose start it
is closest to (:func:`labels_place`). Each candidate layout for the number of rows found
is scored by how many placed labels agree with it less how many contradict it
(:func:`layout_from_labels`): the labels settle what the signals leave open (a 3x4 page with
three rhythm strips against a 6x2 page; which lead a rhythm strip shows).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from vaescan.data.leads import EXTRA_LEADS, LEADS
from vaescan.digitize.labels import LeadLabel
from vaescan.pages.layout import GRIDS, Panel, layout_name, layout_panels

MISFIT_MARGIN = 0.1
"""How much closer (in panel widths) the labels must stand to one grid's panel starts than to the inferred grid's
for the labels, agreeing equally with both, to choose it."""


@dataclass(frozen=True)
class PlacedLabel:
    """A label and the (row, column) of the panel it names, or ``None`` where it sits by no panel's start."""

    label: LeadLabel
    panel: tuple[int, int] | None


def labels_place(labels: Sequence[LeadLabel], rows_y: Sequence[float], rows_x0: Sequence[float], px_per_s: float,
                 layout: str, duration_s: float) -> list[PlacedLabel]:
    """Place each label at a panel of ``layout``: nearest row (within 0.6 row gaps of its baseline ``rows_y``,
    px), then the panel of that row whose start (``rows_x0`` + t0 * ``px_per_s``, px) is nearest to the
    label's left edge, within a quarter of the panel's width.

    Example
    -------
    >>> lab = [LeadLabel("aVL", (600, 410, 640, 430), 0.9, "aVL"), LeadLabel("V5", (1350, 60, 1390, 80), 0.9, "V5")]
    >>> placed = labels_place(lab, [100.0, 400.0, 700.0], [100.0] * 3, 200.0, "3x4", 10.0)
    >>> [p.panel for p in placed]
    [(1, 1), None]
    """
    if not rows_y:
        return [PlacedLabel(label, None) for label in labels]
    ys = np.asarray(rows_y, float)
    gap = float(np.median(np.diff(ys))) if len(ys) > 1 else 100.0
    panels = layout_panels(layout, duration_s)
    out = []
    for label in labels:
        x0, y0, x1, y1 = label.box
        row = int(np.argmin(np.abs(ys - 0.5 * (y0 + y1))))
        if abs(ys[row] - 0.5 * (y0 + y1)) > 0.6 * gap:
            out.append(PlacedLabel(label, None))
            continue
        mine = [p for p in panels if p.row == row]
        best = min(mine, key=lambda p: abs(rows_x0[row] + p.t0_s * px_per_s - x0), default=None)
        if best is None or abs(rows_x0[row] + best.t0_s * px_per_s - x0) > 0.25 * (best.t1_s - best.t0_s) * px_per_s:
            out.append(PlacedLabel(label, None))
            continue
        out.append(PlacedLabel(label, (best.row, best.column)))
    return out


def label_agreement(placed: Sequence[PlacedLabel], layout: str, duration_s: float) -> tuple[int, int]:
    """(labels that name their panel's lead in ``layout``, labels that name another lead).

    Example
    -------
    >>> placed = [PlacedLabel(LeadLabel("V1", (0, 0, 1, 1), 0.9, "V1"), (0, 2))]     # row 0, column 2
    >>> label_agreement(placed, "3x4", 10.0), label_agreement(placed, "3x4+II", 10.0)
    ((1, 0), (1, 0))
    """
    lead_at = {(p.row, p.column): p.lead for p in layout_panels(layout, duration_s)}
    agree = sum(1 for p in placed if p.panel in lead_at and _names(p.label.name, lead_at[p.panel]))
    disagree = sum(1 for p in placed if p.panel in lead_at and not _names(p.label.name, lead_at[p.panel]))
    return agree, disagree


def _names(label: str, lead: str) -> bool:
    """Whether a label can name a panel the layout gives to ``lead``: the same lead, or any extra lead in a place
    for extra leads (a 3x5 page prints the ones of its choice)."""
    return label == lead or (lead in EXTRA_LEADS and label in EXTRA_LEADS)


def layout_from_labels(labels: Sequence[LeadLabel], rows_y: Sequence[float], rows_x0: Sequence[float],
                       px_per_s: float, inferred: str, duration_s: float,
                       strips_guess: Callable[[str], Sequence[str]] | None = None,
                       shown_s: float = float("inf")) -> tuple[str, str]:
    """The layout the labels support best among those with as many rows as ``inferred``, and why.

    Every base grid that leaves 0-3 rows for rhythm strips, and whose last column the rows show over half its
    width at least (``shown_s``: the seconds the rows' ink spans from t = 0), is tried; a strip's lead is its
    label's where one is read (a standard lead), else ``strips_guess(base)``'s (e.g. the grid
    panel each strip repeats, :func:`~vaescan.digitize.page.rhythm_leads`), else II. The inferred
    layout is kept unless another scores strictly higher (agreeing less contradicting labels).

    Example
    -------
    >>> names = ["I", "aVR", "V1", "V4", "II", "aVL", "V2", "V5", "III", "aVF", "V3", "V6", "V1", "II", "V5"]
    >>> ys = [100.0 * (k + 1) for k in range(6)]
    >>> at = [(r, c) for r in range(3) for c in range(4)] + [(3, 0), (4, 0), (5, 0)]
    >>> labs = [LeadLabel(n, (100 + 500 * c, 100 * (r + 1) + 10, 130 + 500 * c, 100 * (r + 1) + 30), 0.9, n)
    ...         for n, (r, c) in zip(names, at)]
    >>> layout_from_labels(labs, ys, [100.0] * 6, 200.0, "6x2", 10.0)[0]
    '3x4+V1,II,V5'
    """
    n_rows = len(rows_y)
    candidates = [inferred]
    for base, grid in GRIDS.items():
        n_strips = n_rows - len(grid)
        # a page read at a wrong time scale puts a 3x4 page's labels where a 3x5 page has its columns (seed 1,
        # page033, its rows ending at 8.1 s): a grid's last column must hold trace
        if not 0 <= n_strips <= 3 or duration_s * (1.0 - 0.5 / len(grid[0])) > shown_s:
            continue
        strip_rows = range(len(grid), n_rows)
        placed = labels_place(labels, rows_y, rows_x0, px_per_s, layout_name(base, ["II"] * n_strips), duration_s)
        guess = list(strips_guess(base)) if strips_guess is not None and n_strips else []
        strips = []
        for k, row in enumerate(strip_rows):
            read = [p.label.name for p in placed if p.panel == (row, 0) and p.label.name in LEADS]
            strips.append(read[0] if read else guess[k] if k < len(guess) and guess[k] in LEADS else "II")
        candidates.append(layout_name(base, strips))
    scored = []
    for name in dict.fromkeys(candidates):
        placed = labels_place(labels, rows_y, rows_x0, px_per_s, name, duration_s)
        agree, disagree = label_agreement(placed, name, duration_s)
        scored.append((agree - disagree, agree, name, _label_misfit(placed, rows_x0, px_per_s, name, duration_s)))
    best = max(scored, key=lambda s: (s[0], s[2] == inferred, -s[3]))
    inferred_score = next(s for s in scored if s[2] == inferred)
    if best[2] != inferred and best[0] > inferred_score[0] and best[1] > 0:   # labels support what they name
        return best[2], f"printed labels ({best[1]} agree; {inferred_score[1]} with {inferred})"
    # as many agree (a 3x5 page whose labels read are those a 3x4 grid has too): the grid whose panels start where
    # the labels stand, by a tenth of a panel's width or more (labels are printed at their panel's start)
    level = [s for s in scored if s[:2] == inferred_score[:2] and s[1] > 0]
    closest = min(level, key=lambda s: s[3], default=inferred_score)
    if closest[2] != inferred and closest[3] + MISFIT_MARGIN <= inferred_score[3]:
        return closest[2], (f"printed labels ({closest[1]} agree, at {closest[3]:.0%} of a panel's width from "
                            f"their panels' starts; {inferred_score[3]:.0%} with {inferred})")
    return inferred, ""


def _label_misfit(placed: Sequence[PlacedLabel], rows_x0: Sequence[float], px_per_s: float, layout: str,
                  duration_s: float) -> float:
    """Mean distance of the agreeing labels' left edges from their panels' starts, in panel widths (inf: none)."""
    panel_at = {(p.row, p.column): p for p in layout_panels(layout, duration_s)}
    off = [abs(pl.label.box[0] - rows_x0[q.row] - q.t0_s * px_per_s) / ((q.t1_s - q.t0_s) * px_per_s)
           for pl in placed if pl.panel in panel_at and _names(pl.label.name, (q := panel_at[pl.panel]).lead)]
    return float(np.mean(off)) if off else float("inf")


def panel_names(placed: Sequence[PlacedLabel], panels: Sequence[Panel]) -> dict[tuple[int, int], tuple[str, str]]:
    """Per panel (row, column): the name it is written under and where the name came from.

    ``"label"`` where a label agrees with the layout (or names any extra lead in a 3x5 page's fifth column),
    ``"layout"`` where none was read,
    ``"label (layout: X)"`` where a label names another standard lead that no other panel
    shows at the same time (the trace is written under the label's name), and
    ``"not written: label reads X"`` where the label names an extra lead (V4R, V7-V9...)
    or a lead another panel already shows then: never under a name the page contradicts.

    Example
    -------
    >>> lab = LeadLabel("V4R", (0, 0, 1, 1), 0.9, "V4R")
    >>> names = panel_names([PlacedLabel(lab, (0, 3))], layout_panels("3x4"))
    >>> names[(0, 3)], names[(0, 0)]
    (('V4', 'not written: label reads V4R'), ('I', 'layout'))
    """
    read: dict[tuple[int, int], str] = {}
    for p in placed:
        if p.panel is not None:
            read.setdefault(p.panel, p.label.name)
    out = {}
    for panel in panels:
        key = (panel.row, panel.column)
        name = read.get(key)
        if name is None:
            out[key] = (panel.lead, "layout")
        elif _names(name, panel.lead):
            out[key] = (name, "label")
        elif name in LEADS and not any(q.lead == name and q.t0_s < panel.t1_s and panel.t0_s < q.t1_s
                                       for q in panels if (q.row, q.column) != key):
            out[key] = (name, f"label (layout: {panel.lead})")
        else:
            out[key] = (panel.lead, f"not written: label reads {name}")
    return out
