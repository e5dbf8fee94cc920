"""The trade-off report's figure and documents: performance against explainability, report.md and report.html.

:func:`plot_tradeoff` draws the macro AUROC (with its bootstrap interval) of every
representation against its explainability level; :func:`summary_sentences` says in
plain words, with the numbers, whether explainability cost performance;
:func:`render_markdown` and :func:`render_html` lay out the same content (the HTML
is one self-contained file: the figure embedded as base64 PNG, no external link). Figures are built on
:class:`matplotlib.figure.Figure` directly (no pyplot state).
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from vaescan.analysis.tradeoff import EXPLAINABILITY_LEVELS, TradeoffResult
from vaescan.report.explorer import explorer_html, explorer_markdown

PUBLISHED = pd.DataFrame([
    ("FactorECG (van de Leur et al.)", "21 ECG factors vs black-box DNN, 35 diagnoses", "AUROC", 0.94, 0.96),
    ("Harvey et al. 2024", "VAE encodings vs black box, reduced ejection fraction", "AUROC", 0.901, 0.910),
    ("Strodthoff et al. 2021 (PTB-XL benchmark)", "wavelet features + network vs best CNN, superclasses",
     "macro AUROC", 0.874, 0.930),
    ("human-readable features, age and sex (as quoted in issue 17)", "linear vs non-linear models", "R2",
     "0.49-0.57", "0.69-0.70"),
], columns=["study", "comparison", "metric", "explainable", "black box"])
"""Published magnitudes of the cost of explainability, set beside ours in the report."""


def _ci(value: float, low: float, high: float, digits: int = 3) -> str:
    if not np.isfinite(value):
        return "-"
    return f"{value:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def plot_tradeoff(summary: pd.DataFrame, labels: list[str] | None = None) -> Figure:
    """Macro AUROC (point, 95% interval as a bar) of each representation against its explainability level.

    Example
    -------
    >>> s = pd.DataFrame({"representation": ["features", "cnn"], "level": [1, 4], "macro_auroc": [0.8, 0.9],
    ...                   "macro_auroc_low": [0.75, 0.86], "macro_auroc_high": [0.85, 0.94]})
    >>> fig = plot_tradeoff(s, ["AF", "LBBB"])
    >>> fig.axes[0].get_xlabel()
    'explainability level (1 = most explainable)'
    """
    fig = Figure(figsize=(7.5, 4.5))
    ax = fig.add_subplot()
    palette = sns.color_palette("colorblind", max(len(summary), 1))
    shown = summary[np.isfinite(summary["macro_auroc"].to_numpy(dtype=float))]
    for (i, row), colour in zip(summary.iterrows(), palette):
        if i not in shown.index:
            continue
        same = summary.index[summary["level"] == row["level"]].tolist()
        x = row["level"] + 0.12 * (same.index(i) - (len(same) - 1) / 2)
        ax.errorbar(x, row["macro_auroc"], yerr=[[row["macro_auroc"] - row["macro_auroc_low"]],
                                                 [row["macro_auroc_high"] - row["macro_auroc"]]],
                    fmt="o", color=colour, capsize=4, markersize=7, label=row["representation"])
    ax.set_xticks(list(EXPLAINABILITY_LEVELS), [textwrap.fill(f"{k}: {v}", 16)
                                                 for k, v in EXPLAINABILITY_LEVELS.items()], fontsize=7)
    ax.set_xlim(0.5, len(EXPLAINABILITY_LEVELS) + 0.5)
    ax.set_xlabel("explainability level (1 = most explainable)")
    n = len(labels) if labels is not None else "all"
    ax.set_ylabel(f"macro AUROC over {n} labels\n(test split, 95% bootstrap CI)")
    ax.grid(axis="y", alpha=0.3)
    if len(shown):
        ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig


def summary_sentences(result: TradeoffResult) -> list[str]:
    """A plain-language summary with the numbers: the best representation, the most explainable one's gap to
    it (interval, p), whether that is a measured cost, and age's R2 per representation. No conclusion forced.

    Example
    -------
    >>> s = pd.DataFrame({"representation": ["features", "cnn"], "level": [1, 4], "macro_auroc": [0.8, 0.9],
    ...                   "macro_auroc_low": [0.75, 0.86], "macro_auroc_high": [0.85, 0.94], "n": [100, 100],
    ...                   "gap_to_best": [-0.1, 0.0], "gap_low": [-0.15, 0.0], "gap_high": [-0.05, 0.0],
    ...                   "p_gap": [0.002, 1.0]})
    >>> r = TradeoffResult(pd.DataFrame(columns=["task", "representation", "r2", "r2_low", "r2_high"]), s,
    ...                    ["AF"], "cnn")
    >>> "explainability cost performance" in summary_sentences(r)[1]
    True
    """
    s = result.summary
    if result.best is None:
        return ["No representation could be scored on the test split (too few records or one class per label)."]
    rows = s.set_index("representation")
    best = rows.loc[result.best]
    out = [f"Best macro AUROC over the {len(result.macro_labels)} labels every representation predicts "
           f"({', '.join(result.macro_labels)}): {result.best} (level {int(best['level'])}), "
           f"{_ci(best['macro_auroc'], best['macro_auroc_low'], best['macro_auroc_high'])} on {int(best['n'])} "
           "test records."]
    scored = s[np.isfinite(s["macro_auroc"].to_numpy(dtype=float))]
    top = scored.sort_values("level").iloc[0]
    if top["representation"] == result.best:
        out.append(f"The most explainable representation scored ({top['representation']}, level {int(top['level'])})"
                   " is also the best: here explainability cost no measurable performance.")
    else:
        gap = _ci(top["gap_to_best"], top["gap_low"], top["gap_high"])
        verdict = ("explainability cost performance" if top["p_gap"] < 0.05 and top["gap_high"] < 0
                   else "the data do not show that explainability cost performance (the interval includes 0)")
        out.append(f"The most explainable representation, {top['representation']} (level {int(top['level'])}), "
                   f"scored {_ci(top['macro_auroc'], top['macro_auroc_low'], top['macro_auroc_high'])}: a gap to "
                   f"the best of {gap} (paired bootstrap, p = {top['p_gap']:.3g}); here {verdict}.")
    others = s[(s["representation"] != result.best) & np.isfinite(s["gap_to_best"].to_numpy(dtype=float))]
    if len(others):
        out.append("Gaps to the best (paired bootstrap on the same resampled records): " + "; ".join(
            f"{r['representation']} (level {int(r['level'])}) {_ci(r['gap_to_best'], r['gap_low'], r['gap_high'])}, "
            f"p = {r['p_gap']:.3g}" for _, r in others.iterrows()) + ".")
    binary = result.table[result.table["kind"] == "binary"]["task"].unique() if len(result.table) else []
    left_out = [t for t in binary if t not in result.macro_labels]
    if left_out:
        out.append(f"Left out of the macro AUROC (too few test records of one class, or not predicted by every "
                   f"representation): {', '.join(left_out)}; their own rows are in the per-task table.")
    ages = result.table[result.table["task"] == "age"] if len(result.table) else result.table
    if len(ages):
        out.append("Age (R2 on the test split, 95% CI): " + "; ".join(
            f"{r['representation']} {_ci(r['r2'], r['r2_low'], r['r2_high'], 2)}" for _, r in ages.iterrows()) + ".")
    published = ("Published (explainable vs black box, table below): FactorECG 0.94 vs 0.96, Harvey et al. 0.901 vs "
                 "0.910, Strodthoff et al. 0.874 vs 0.930: the black box ahead by 0.01-0.06, and the VAE-SCAN paper "
                 "found that intrinsic interpretability costs performance.")
    boxes, open_ = scored[scored["level"] >= 4], scored[scored["level"] <= 3]
    if len(boxes) and len(open_):
        box = boxes.loc[boxes["macro_auroc"].idxmax()]
        best_open = open_.loc[open_["macro_auroc"].idxmax()]
        diff = best_open["macro_auroc"] - box["macro_auroc"]
        direction = ("agrees in direction (the black box ahead)" if diff < 0
                     else "differs: here an explainable representation is not behind the black box")
        published += (f" Ours: {best_open['representation']} {best_open['macro_auroc']:.3f} vs {box['representation']} "
                      f"{box['macro_auroc']:.3f} ({diff:+.3f}), which {direction}.")
    out.append(published + " Those are real cohorts; ours is the given cohort, so agreement or difference says how "
               "hard its tasks are as much as what explainability costs.")
    return out


def _summary_display(summary: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "representation": summary["representation"], "level": summary["level"],
        "explanation": summary["explanation"], "n test": summary["n"],
        "macro AUROC [95% CI]": [_ci(r.macro_auroc, r.macro_auroc_low, r.macro_auroc_high)
                                 for r in summary.itertuples()],
        "gap to best [95% CI]": [_ci(r.gap_to_best, r.gap_low, r.gap_high) for r in summary.itertuples()],
        "p (paired)": [f"{p:.3g}" if np.isfinite(p) else "-" for p in summary["p_gap"]]})


def _table_display(table: pd.DataFrame) -> pd.DataFrame:
    t = table.sort_values(["kind", "task", "level"], kind="stable")
    return pd.DataFrame({
        "task": t["task"], "representation": t["representation"], "level": t["level"], "n": t["n"],
        "positives": [str(round(n * p)) if np.isfinite(p) else "-" for n, p in zip(t["n"], t["prevalence"])],
        "AUROC [95% CI]": [_ci(r.auroc, r.auroc_low, r.auroc_high) for r in t.itertuples()],
        "AUPRC [95% CI]": [_ci(r.auprc, r.auprc_low, r.auprc_high) for r in t.itertuples()],
        "ECE": [f"{e:.3f}" if np.isfinite(e) else "-" for e in t["ece"].to_numpy(dtype=float)],
        "R2 [95% CI]": [_ci(r.r2, r.r2_low, r.r2_high, 2) for r in t.itertuples()],
        "MAE years [95% CI]": [_ci(r.mae, r.mae_low, r.mae_high, 1) for r in t.itertuples()]})


def _markdown_table(frame: pd.DataFrame) -> str:
    cells = [[str(c) for c in frame.columns]] + [[str(v) for v in row] for row in frame.itertuples(index=False)]
    lines = ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join([lines[0], "|" + "---|" * len(frame.columns), *lines[1:]])


TITLE = "What explainability costs: the trade-off report"
NOTE = ("Every representation is scored on the same test records; intervals are percentile bootstrap 95% "
        "intervals over resampled records; ECE is the expected calibration error over 10 equal-width bins; the "
        "gap to the best is a paired bootstrap on the same resampled records, with a two-sided p.")


def render_markdown(result: TradeoffResult, figure: str, meta: Mapping,
                    explorer: Sequence[Mapping] | None = None) -> str:
    """report.md: summary, the figure (a relative path), the summary and per-task tables, published magnitudes,
    and where the latent explorer is (``explorer``: :func:`vaescan.analysis.explorer.explorer_data` per SCAN run).

    Example
    -------
    >>> s = pd.DataFrame(columns=["representation", "level", "explanation", "n", "macro_auroc", "macro_auroc_low",
    ...                           "macro_auroc_high", "gap_to_best", "gap_low", "gap_high", "p_gap"])
    >>> md = render_markdown(TradeoffResult(pd.DataFrame(), s, [], None), "tradeoff.png", {"cohort": "c"})
    >>> md.splitlines()[0]
    '# What explainability costs: the trade-off report'
    """
    parts = [f"# {TITLE}", "", f"Cohort `{meta.get('cohort', '')}`, {meta.get('n_test', '?')} test records, "
             f"{meta.get('n_boot', '?')} bootstrap resamples. {NOTE}", "", "## Summary", "",
             *[f"- {s}" for s in summary_sentences(result)], "", f"![trade-off]({figure})", "",
             "## Representations", "", _markdown_table(_summary_display(result.summary)), ""]
    if len(result.table):
        parts += ["## Per task", "", _markdown_table(_table_display(result.table)), ""]
    parts += ["## Published magnitudes", "", _markdown_table(PUBLISHED), "", explorer_markdown(explorer)]
    return "\n".join(parts)


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; max-width: 70em; margin: 2em auto; padding: 0 1em; color: #222; }}
table {{ border-collapse: collapse; font-size: 0.85em; margin: 1em 0; }}
th, td {{ border: 1px solid #bbb; padding: 0.25em 0.5em; text-align: left; }}
th {{ background: #eee; }}
img {{ max-width: 100%; }}
</style></head>
<body>
<h1>{title}</h1>
<p>{intro}</p>
<h2>Summary</h2>
<ul>{summary}</ul>
<img alt="macro AUROC against explainability level" src="data:image/png;base64,{png}">
<h2>Representations</h2>
{representations}
<h2>Per task</h2>
{tasks}
<h2>Published magnitudes</h2>
{published}
{explorer}
</body></html>
"""


def _html_table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, border=0, escape=True, na_rep="-")


def render_html(result: TradeoffResult, png_base64: str, meta: Mapping,
                explorer: Sequence[Mapping] | None = None) -> str:
    """report.html: the content of :func:`render_markdown` as one self-contained page (figure as a base64 PNG),
    ending with the latent explorer (:func:`vaescan.report.explorer.explorer_html`).

    Example
    -------
    >>> s = pd.DataFrame(columns=["representation", "level", "explanation", "n", "macro_auroc", "macro_auroc_low",
    ...                           "macro_auroc_high", "gap_to_best", "gap_low", "gap_high", "p_gap"])
    >>> page = render_html(TradeoffResult(pd.DataFrame(), s, [], None), "iVBORw0KGgo=", {"cohort": "c"})
    >>> "data:image/png;base64,iVBORw0KGgo=" in page, "http" in page
    (True, False)
    """
    intro = (f"Cohort <code>{html.escape(str(meta.get('cohort', '')))}</code>, {meta.get('n_test', '?')} test "
             f"records, {meta.get('n_boot', '?')} bootstrap resamples. {html.escape(NOTE)}")
    return PAGE.format(
        title=html.escape(TITLE), intro=intro, png=png_base64,
        summary="".join(f"<li>{html.escape(s)}</li>" for s in summary_sentences(result)),
        representations=_html_table(_summary_display(result.summary)),
        tasks=_html_table(_table_display(result.table)) if len(result.table) else "<p>-</p>",
        published=_html_table(PUBLISHED), explorer=explorer_html(explorer))
