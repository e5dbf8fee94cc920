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
from vaescan.report.published import NOTE as PUBLISHED_NOTE
from vaescan.report.published import published_comparison, published_display, published_sentences


def _ci(value: float, low: float, high: float, digits: int = 3) -> str:
    if not np.isfinite(value):
        return "-"
    return f"{value:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def plot_tradeoff(summary: pd.DataFrame, labels: list[str] | None = None,
                  profile: pd.DataFrame | None = None) -> Figure:
    """Macro AUROC (point, 95% interval as a bar) of each representation against its explainability level; with
    the explainability ``profile``, each point is annotated with its deletion AUC relative to a random order and
    its localisation (``deletion 0.45x random, top on cause 80%``; nothing where not measured).

    Example
    -------
    >>> s = pd.DataFrame({"representation": ["features", "cnn"], "level": [1, 4], "macro_auroc": [0.8, 0.9],
    ...                   "macro_auroc_low": [0.75, 0.86], "macro_auroc_high": [0.85, 0.94]})
    >>> fig = plot_tradeoff(s, ["AF", "LBBB"])
    >>> fig.axes[0].get_xlabel()
    'explainability level (1 = most explainable)'
    """
    fig = Figure(figsize=(10.5, 4.8) if profile is not None and len(profile) else (7.5, 4.5))
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
                    fmt="o", color=colour, capsize=4, markersize=7, label=_legend(row))
        note = _annotation(profile, row["representation"])
        if note:
            ax.annotate(note, (x, row["macro_auroc"]), xytext=(6, 4), textcoords="offset points", fontsize=6,
                        color=colour)
    ax.set_xticks(list(EXPLAINABILITY_LEVELS), [textwrap.fill(f"{k}: {v}", 16)
                                                 for k, v in EXPLAINABILITY_LEVELS.items()], fontsize=7)
    ax.set_xlim(0.5, len(EXPLAINABILITY_LEVELS) + 0.5)
    ax.set_xlabel("explainability level (1 = most explainable)")
    n = len(labels) if labels is not None else "all"
    ax.set_ylabel(f"macro AUROC over {n} labels\n(test split, 95% bootstrap CI)")
    ax.grid(axis="y", alpha=0.3)
    if len(shown):
        if profile is not None and len(profile):          # beside the axes: the annotations need the room
            ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
        else:
            ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig


def _legend(row: pd.Series) -> str:
    anchoring = row.get("anchoring", "")
    return f"{row['representation']}, {anchoring}" if isinstance(anchoring, str) and anchoring else \
        str(row["representation"])


def _annotation(profile: pd.DataFrame | None, name: str) -> str:
    """``deletion 0.45x random, top on cause 80%`` for a representation of the profile (empty without one)."""
    if profile is None or not len(profile) or name not in set(profile["representation"]):
        return ""
    row = profile.set_index("representation").loc[name]
    ratio, hit = float(row["deletion_ratio"]), float(row["localisation_top_hit"])
    parts = ([f"deletion {ratio:.2f}x random"] if np.isfinite(ratio) else []) + \
        ([f"top on cause {hit:.0%}"] if np.isfinite(hit) else [])
    return ", ".join(parts)


def anchoring_sentences(anchoring: pd.DataFrame) -> list[str]:
    """What anchoring cost or gained, one sentence per anchored x unanchored pair (paired bootstrap).

    Example
    -------
    >>> a = pd.DataFrame({"level": [2], "anchored": ["SCAN (a)"], "unanchored": ["SCAN (b)"], "n": [120],
    ...                   "gap": [0.04], "gap_low": [0.01], "gap_high": [0.07], "p": [0.01]})
    >>> anchoring_sentences(a)[0][:60]
    'Anchoring (level 2): SCAN (a) minus SCAN (b), macro AUROC +0'
    """
    out = []
    for _, r in anchoring.iterrows():
        if not np.isfinite(r["gap"]):
            out.append(f"Anchoring (level {int(r['level'])}): {r['anchored']} against {r['unanchored']} could not "
                       "be compared (a label with one class among their shared records).")
            continue
        verdict = ("anchoring gained performance" if r["gap_low"] > 0 and r["p"] < 0.05 else
                   "anchoring cost performance" if r["gap_high"] < 0 and r["p"] < 0.05 else
                   "no measurable difference (the interval includes 0)")
        out.append(f"Anchoring (level {int(r['level'])}): {r['anchored']} minus {r['unanchored']}, macro AUROC "
                   f"{r['gap']:+.3f} [{r['gap_low']:+.3f}, {r['gap_high']:+.3f}] on {int(r['n'])} shared test "
                   f"records (paired bootstrap, p = {r['p']:.3g}): {verdict}.")
    return out


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
    out += anchoring_sentences(result.anchoring)
    ages = result.table[result.table["task"] == "age"] if len(result.table) else result.table
    if "level" in ages.columns:                         # level 6: its few printed records, in its own section
        ages = ages[ages["level"] < 6]
    if len(ages):
        out.append("Age (R2 on the test split, 95% CI): " + "; ".join(
            f"{r['representation']} {_ci(r['r2'], r['r2_low'], r['r2_high'], 2)}" for _, r in ages.iterrows()) + ".")
    comparison = published_comparison(result)
    verdicts = [f"{r.study.split(' (')[0]}: {r.verdict}" for r in comparison.itertuples()]
    out.append("The VAE-SCAN paper found that intrinsic interpretability costs performance; the published "
               "magnitudes against ours (section 'Published magnitudes', computed from our numbers): "
               + "; ".join(verdicts) + ".")
    return out


def _summary_display(summary: pd.DataFrame) -> pd.DataFrame:
    anchoring = summary["anchoring"] if "anchoring" in summary.columns else pd.Series("", index=summary.index)
    return pd.DataFrame({
        "representation": summary["representation"], "level": summary["level"],
        "anchoring": anchoring.fillna("").replace("", "-"),
        "explanation": summary["explanation"], "n test": summary["n"],
        "macro AUROC [95% CI]": [_ci(r.macro_auroc, r.macro_auroc_low, r.macro_auroc_high)
                                 for r in summary.itertuples()],
        "gap to best [95% CI]": [_ci(r.gap_to_best, r.gap_low, r.gap_high) for r in summary.itertuples()],
        "p (paired)": [f"{p:.3g}" if np.isfinite(p) else "-" for p in summary["p_gap"]]})


def _number(value: float, note: str, fmt: str = "{:.3f}") -> str:
    if np.isfinite(value):
        return fmt.format(value)
    if value == np.inf:
        return "inf"
    return note or "not measured"


def profile_display(profile: pd.DataFrame) -> pd.DataFrame:
    """The explainability profile as the report shows it: numbers where measured, the reason where not.

    Example
    -------
    >>> p = pd.DataFrame({"representation": ["cnn"], "level": [4], "anchoring": [""], "explanation": ["maps"],
    ...                   "faithfulness_n": [20], "deletion_auc": [0.2], "deletion_auc_random": [0.5],
    ...                   "deletion_ratio": [0.4], "deletion_score": [3.0], "faithfulness_note": [""],
    ...                   "localisation_n": [20], "localisation_top_hit": [0.75], "localisation_note": [""],
    ...                   "stability": [np.nan], "stability_with": [""], "stability_note": ["one run given"]})
    >>> profile_display(p).iloc[0].tolist()[4:]
    ['20', '0.200 vs 0.500', '0.40', '75% of 20', 'one run given']
    """
    rows = []
    for r in profile.itertuples():
        measured = np.isfinite(r.deletion_auc)
        rows.append({
            "representation": r.representation, "level": r.level, "anchoring": r.anchoring or "-",
            "explanation": r.explanation,
            "records": str(int(r.faithfulness_n)) if measured else "-",
            "deletion AUC vs random": f"{r.deletion_auc:.3f} vs {r.deletion_auc_random:.3f}" if measured
            else (r.faithfulness_note or "not measured"),
            "deletion AUC / random": _number(r.deletion_ratio, "-", "{:.2f}"),
            "localisation (top input on the cause)": f"{r.localisation_top_hit:.0%} of {int(r.localisation_n)}"
            if np.isfinite(r.localisation_top_hit) else (r.localisation_note or "not measured"),
            "stability across runs": f"{r.stability:.2f} (with {r.stability_with})" if np.isfinite(r.stability)
            else (r.stability_note or "not measured")})
    return pd.DataFrame(rows)


PROFILE_NOTE = ("Faithfulness: each record's inputs (features, factors, samples or pixels) are deleted (set to the "
                "training mean, the prior mean, 0 mV or the page's median), most attributed first, and the predicted "
                "probability of its true label is followed; the deletion AUC is the area under that curve over the "
                "fraction deleted (lower: the probability falls faster), beside a random order's, and their ratio (1 = "
                "no better than random, lower = the explanation finds what the model uses; profile.csv also holds "
                "vaescan explain's deletion score). Localisation: the share of the records whose "
                "top input for the label measures its known cause (synthetic cohorts). Stability: the rank "
                "correlation of the same records' attributions from two runs of the same kind (1 = the same "
                "ranking). The same test records with a label of known cause serve every representation.")


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
                    explorer: Sequence[Mapping] | None = None, profile: pd.DataFrame | None = None,
                    card: str = "", sections: str = "") -> str:
    """report.md: summary, the figure (a relative path), the summary and per-task tables, published magnitudes,
    and where the latent explorer is (``explorer``: :func:`vaescan.analysis.explorer.explorer_data` per SCAN run);
    ``card`` (Markdown) follows the summary, ``sections`` (Markdown) precede the published magnitudes
    (:func:`vaescan.report.sections.sections_markdown`).

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
             *([card] if card else []),
             "## Representations", "", _markdown_table(_summary_display(result.summary)), ""]
    if profile is not None and len(profile):
        parts += ["## Explainability profile", "", PROFILE_NOTE, "", _markdown_table(profile_display(profile)), ""]
    if len(result.table):
        parts += ["## Per task", "", _markdown_table(_table_display(result.table)), ""]
    if sections:
        parts.append(sections)
    comparison = published_comparison(result)
    parts += ["## Published magnitudes", "", PUBLISHED_NOTE, "", _markdown_table(published_display(comparison)), "",
              *[f"- {s}" for s in published_sentences(comparison)], "", explorer_markdown(explorer)]
    return "\n".join(parts)


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; max-width: 70em; margin: 2em auto; padding: 0 1em; color: #222; }}
table {{ border-collapse: collapse; font-size: 0.85em; margin: 1em 0; }}
th, td {{ border: 1px solid #bbb; padding: 0.25em 0.5em; text-align: left; }}
th {{ background: #eee; }}
img {{ max-width: 100%; }}
figure {{ margin: 1em 0; }} figcaption {{ font-size: 0.85em; color: #444; }}
</style></head>
<body>
<h1>{title}</h1>
<p>{intro}</p>
<h2>Summary</h2>
<ul>{summary}</ul>
<img alt="macro AUROC against explainability level" src="data:image/png;base64,{png}">
{card}
<h2>Representations</h2>
{representations}
{profile}
<h2>Per task</h2>
{tasks}
{sections}
<h2>Published magnitudes</h2>
{published}
{explorer}
</body></html>
"""


def _published_html(comparison: pd.DataFrame) -> str:
    items = "".join(f"<li>{html.escape(s)}</li>" for s in published_sentences(comparison))
    return f"<p>{html.escape(PUBLISHED_NOTE)}</p>\n{_html_table(published_display(comparison))}\n<ul>{items}</ul>"


def _html_table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, border=0, escape=True, na_rep="-")


def render_html(result: TradeoffResult, png_base64: str, meta: Mapping,
                explorer: Sequence[Mapping] | None = None, profile: pd.DataFrame | None = None,
                card: str = "", sections: str = "") -> str:
    """report.html: the content of :func:`render_markdown` as one self-contained page (figure as a base64 PNG),
    ending with the latent explorer (:func:`vaescan.report.explorer.explorer_html`); ``card`` and ``sections``
    are HTML placed as in :func:`render_markdown` (:func:`vaescan.report.sections.sections_html`).

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
        profile=(f"<h2>Explainability profile</h2>\n<p>{html.escape(PROFILE_NOTE)}</p>\n"
                 f"{_html_table(profile_display(profile))}") if profile is not None and len(profile) else "",
        tasks=_html_table(_table_display(result.table)) if len(result.table) else "<p>-</p>",
        published=_published_html(published_comparison(result)), explorer=explorer_html(explorer), card=card,
        sections=sections)
