"""The report's section on the photographed path: what printing, photographing and digitising cost each
representation (the paired gaps of :func:`vaescan.analysis.paper_cost.paper_gaps`)."""

from __future__ import annotations

import html

import pandas as pd


def _lines(gaps: pd.DataFrame, info: dict) -> tuple[str, list[str]]:
    mix = ", ".join(f"{k} {v}" for k, v in info.get("categories", {}).items())
    intro = (f"{info['printed']} test records printed as {info.get('layout', '')} pages ({mix}), photographed "
             f"(distorted) and digitised; {info['rejected']} page(s) rejected by the digitiser"
             + (f" ({'; '.join(info['reasons'])})" if info.get("reasons") else "")
             + f"; a record without a prediction gets the {info['missing']}.")
    rows = []
    for r in gaps.itertuples():
        if pd.isna(r.macro_auroc_original):
            rows.append(f"{r.representation}: not scored on {r.n} records (no label with both classes)")
            continue
        gap = "" if pd.isna(r.gap) else f", gap {r.gap:+.3f} [{r.gap_low:+.3f}, {r.gap_high:+.3f}], p {r.p:.3g}"
        rows.append(f"{r.representation}: macro AUROC {r.macro_auroc_original:.3f} from the signals, "
                    f"{r.macro_auroc_digitised:.3f} from the digitised pages{gap} ({r.n} records, {r.filled} "
                    f"filled with the prior; labels {r.labels})")
    return intro, rows


def paper_markdown(gaps: pd.DataFrame, info: dict) -> str:
    """The section as Markdown (``gaps``: ``paper_cost.csv``'s rows; ``info``: the pages in numbers).

    Example
    -------
    >>> gaps = pd.DataFrame([{"representation": "cnn", "n": 8, "filled": 1, "labels": "AF",
    ...     "macro_auroc_original": 0.9, "macro_auroc_digitised": 0.8, "gap": -0.1, "gap_low": -0.2,
    ...     "gap_high": 0.0, "p": 0.05}])
    >>> info = {"printed": 8, "rejected": 1, "reasons": ["x: no ECG grid found"], "categories": {"clean": 8},
    ...         "layout": "3x4+II", "missing": "train prior"}
    >>> print(paper_markdown(gaps, info).splitlines()[-1][:80])
    - cnn: macro AUROC 0.900 from the signals, 0.800 from the digitised pages, gap -
    """
    intro, rows = _lines(gaps, info)
    return "\n## The photographed path (level 6): what the paper costs\n\n" + intro + \
        " Each representation, fitted on the signals, reads the digitised records; the gap is digitised minus " \
        "original on the same records (paired bootstrap, `paper_cost.csv`).\n\n" + \
        "\n".join(f"- {r}" for r in rows) + "\n"


def paper_html(gaps: pd.DataFrame, info: dict) -> str:
    """The section as an HTML fragment (see :func:`paper_markdown`).

    Example
    -------
    >>> info = {"printed": 2, "rejected": 0, "categories": {"clean": 2}, "layout": "3x4+II", "missing": "prior"}
    >>> paper_html(pd.DataFrame(columns=["representation"]), info).startswith('<section id="paper">')
    True
    """
    intro, rows = _lines(gaps, info)
    items = "".join(f"<li>{html.escape(r)}</li>" for r in rows)
    return (f'<section id="paper"><h2>The photographed path (level 6): what the paper costs</h2>'
            f"<p>{html.escape(intro)} Each representation, fitted on the signals, reads the digitised records; the "
            f"gap is digitised minus original on the same records (paired bootstrap, paper_cost.csv).</p>"
            f"<ul>{items}</ul></section>\n")


def paper_overlay(fig, gaps: pd.DataFrame, level: int = 6):
    """Draw the photographed path on the trade-off figure ``fig`` at ``level``: per representation, a hollow
    marker at its macro AUROC from the signals and a filled one from the digitised pages, on the same records,
    joined by a line (the paired drop), in the colour of the representation's own point. Returns ``fig``.

    Example
    -------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> gaps = pd.DataFrame([{"representation": "cnn", "macro_auroc_original": 0.9, "macro_auroc_digitised": 0.8}])
    >>> len(paper_overlay(fig, gaps).axes[0].lines)      # the drop, the hollow and the filled marker
    3
    """
    ax = fig.axes[0]
    handles, names = ax.get_legend_handles_labels()
    colours = {}
    for handle, name in zip(handles, names):
        line = handle[0] if isinstance(handle, tuple) or hasattr(handle, "__getitem__") else handle
        colours[name.split(", ")[0]] = line.get_color() if hasattr(line, "get_color") else None
    rows = gaps.dropna(subset=["macro_auroc_original", "macro_auroc_digitised"])
    for k, r in enumerate(rows.itertuples()):
        x = level + (k - (len(rows) - 1) / 2) * 0.12
        colour = colours.get(r.representation) or f"C{k}"
        ax.plot([x, x], [r.macro_auroc_original, r.macro_auroc_digitised], color=colour, lw=1.2)
        ax.plot([x], [r.macro_auroc_original], marker="o", mfc="white", color=colour, markersize=6)
        ax.plot([x], [r.macro_auroc_digitised], marker="v", color=colour, markersize=7, ls="none")
    if len(rows):
        n = int(gaps["n"].max()) if "n" in gaps.columns else 0
        ax.annotate(f"o signals -> v digitised pages\n(same {n} records, paper_cost.csv)", (level, ax.get_ylim()[0]),
                    xytext=(0, 4), textcoords="offset points", ha="center", fontsize=6)
    return fig
