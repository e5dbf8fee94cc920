"""Published magnitudes of what explainability costs, set beside ours with a verdict computed from our numbers.

Each published comparison (:data:`PUBLISHED`) is matched to the same question asked of our representations
(:data:`OURS`): the best representation of an explainable level against the best black box, paired on the same
test records (:func:`vaescan.analysis.tradeoff.black_box_gaps`), or, for age, the linear model's R2 against the
best non-linear representation's. :func:`published_comparison` gives the table (``published.csv``),
:func:`published_sentences` one plain sentence per comparison saying whether ours agree or differ: the rule is
fixed in advance (:func:`auroc_verdict`, :func:`r2_verdict`), so no result is forced.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vaescan.analysis.tradeoff import BLACK_BOX_LEVELS, TradeoffResult

PUBLISHED = pd.DataFrame([
    ("FactorECG (van de Leur et al. 2022)", "21 ECG factors + interpretable models vs black-box DNN, 35 diagnoses",
     "AUROC", 0.94, 0.96),
    ("Harvey et al. 2024", "VAE encodings vs black box, reduced ejection fraction", "AUROC", 0.901, 0.910),
    ("Strodthoff et al. 2021 (PTB-XL benchmark)", "wavelet features + network vs best CNN, superclasses",
     "macro AUROC", 0.874, 0.930),
    ("human-readable features, age and sex (2022; as quoted in issue 17)", "linear vs non-linear models", "R2",
     "0.49-0.57", "0.69-0.70"),
], columns=["study", "comparison", "metric", "explainable", "black box"])
"""Published magnitudes of the cost of explainability (explainable vs black box), set beside ours in the report."""

OURS = (2, 3, 1, "age")
"""What each row of :data:`PUBLISHED` is compared with: the explainable level whose best representation is set
against the best black box (FactorECG's factors: SCAN, level 2; Harvey's VAE encodings: VAE + a non-linear head,
level 3; Strodthoff's wavelet features: engineered features, level 1), or ``age``: the linear model's R2 against
the best non-linear representation's (levels 3-5)."""

AGE_LINEAR, AGE_NONLINEAR = (0.49, 0.57), (0.69, 0.70)
"""The published R2 ranges for age and sex from human-readable features: linear, non-linear."""

COLUMNS = ["study", "metric", "published_explainable", "published_black_box", "published_gap", "ours_explainable",
           "ours_explainable_value", "ours_explainable_low", "ours_explainable_high", "ours_black_box",
           "ours_black_box_value", "ours_black_box_low", "ours_black_box_high", "ours_n", "ours_gap",
           "ours_gap_low", "ours_gap_high", "ours_p", "verdict"]


def auroc_verdict(published_gap: float, gap: float, low: float, high: float, p: float) -> str:
    """Whether our paired gap (explainable - black box, 95% interval, p) agrees with a published one.

    The black box is *ahead* when the interval lies below 0 with p < 0.05, the explainable one when above; the
    gap is *of the published size* when the published gap lies inside our interval.

    Example
    -------
    >>> auroc_verdict(-0.02, -0.05, -0.08, -0.02, 0.002)
    'agrees: the black box is ahead here too, by 0.050, of the published size (-0.020 lies in our interval)'
    >>> auroc_verdict(-0.02, 0.10, 0.05, 0.15, 0.002)
    'differs: here the explainable representation is ahead, by 0.100'
    """
    if not np.isfinite(gap):
        return "not compared (a label with one class among the shared records)"
    inside = low <= published_gap <= high
    if high < 0 and p < 0.05:
        size = (f"of the published size ({published_gap:+.3f} lies in our interval)" if inside else
                f"{'larger' if gap < published_gap else 'smaller'} than the published {-published_gap:.3f}")
        return f"agrees: the black box is ahead here too, by {-gap:.3f}, {size}"
    if low > 0 and p < 0.05:
        return f"differs: here the explainable representation is ahead, by {gap:.3f}"
    if inside:
        return (f"undecided: our interval holds both no gap and the published {published_gap:+.3f} (too few test "
                "records to tell)")
    return (f"differs: no measurable gap here (the interval includes 0) and the published {published_gap:+.3f} lies "
            "outside our interval")


def r2_verdict(linear: tuple[float, float, float], nonlinear: tuple[float, float, float]) -> str:
    """Whether our age R2 (value, low, high) of the linear model and of the best non-linear one agree with the
    published ranges (:data:`AGE_LINEAR`, :data:`AGE_NONLINEAR`): the order (non-linear ahead when the intervals
    are apart) and the level (each R2 against its published range).

    Example
    -------
    >>> verdict = r2_verdict((0.20, 0.10, 0.30), (0.45, 0.38, 0.52))
    >>> verdict.split("; ")[0]
    'agrees in direction: the non-linear model is ahead (intervals apart), by 0.25 (published 0.12-0.21)'
    >>> verdict.split("; ")[1]
    'our R2 are lower than published (linear 0.20 vs 0.49-0.57, non-linear 0.45 vs 0.69-0.70)'
    """
    (lin, lin_low, lin_high), (non, non_low, non_high) = linear, nonlinear
    if not (np.isfinite(lin) and np.isfinite(non)):
        return "not compared (no age R2)"
    gap_range = f"{AGE_NONLINEAR[0] - AGE_LINEAR[1]:.2f}-{AGE_NONLINEAR[1] - AGE_LINEAR[0]:.2f}"
    if lin_high < non_low:
        order = f"agrees in direction: the non-linear model is ahead (intervals apart), by {non - lin:.2f}"
    elif non_high < lin_low:
        order = f"differs: the linear model is ahead (intervals apart), by {lin - non:.2f}"
    else:
        order = f"differs: no difference shown (the intervals overlap; non-linear minus linear {non - lin:+.2f})"

    def level(value: float, rng: tuple[float, float]) -> str:
        return "lower" if value < rng[0] else "higher" if value > rng[1] else "within"
    a, b = level(lin, AGE_LINEAR), level(non, AGE_NONLINEAR)
    words = {"lower": "lower than published", "higher": "higher than published", "within": "within the range"}
    where = ("our R2 lie within the published ranges" if a == b == "within" else
             f"our R2 are {words[a]}" if a == b else f"our linear R2 is {words[a]}, the non-linear {words[b]}")
    return (f"{order} (published {gap_range}); {where} (linear {lin:.2f} vs {AGE_LINEAR[0]:.2f}-{AGE_LINEAR[1]:.2f}, "
            f"non-linear {non:.2f} vs {AGE_NONLINEAR[0]:.2f}-{AGE_NONLINEAR[1]:.2f})")


def _macro(summary: pd.DataFrame, name: str) -> tuple[float, float, float]:
    row = summary.set_index("representation").loc[name]
    return float(row["macro_auroc"]), float(row["macro_auroc_low"]), float(row["macro_auroc_high"])


def _age_rows(result: TradeoffResult) -> tuple[pd.Series | None, pd.Series | None]:
    """Age's rows of the linear features model (level 1) and of the best non-linear representation (3-5)."""
    table = result.table
    if not len(table) or "r2" not in table.columns:
        return None, None
    age = table[(table["task"] == "age") & np.isfinite(table["r2"].to_numpy(dtype=float))]
    linear, nonlinear = age[age["level"] == 1], age[age["level"].isin((3, *BLACK_BOX_LEVELS))]
    return (linear.loc[linear["r2"].idxmax()] if len(linear) else None,
            nonlinear.loc[nonlinear["r2"].idxmax()] if len(nonlinear) else None)


def published_comparison(result: TradeoffResult) -> pd.DataFrame:
    """One row per published comparison (:data:`PUBLISHED`): the published numbers and gap, ours (names, values
    with 95% intervals, the paired gap, its interval and p; NaN where we have no such representation) and the
    verdict (:func:`auroc_verdict`, :func:`r2_verdict`).

    Example
    -------
    >>> s = pd.DataFrame({"representation": ["features", "cnn"], "level": [1, 4], "macro_auroc": [0.8, 0.9],
    ...                   "macro_auroc_low": [0.75, 0.86], "macro_auroc_high": [0.85, 0.94]})
    >>> bb = pd.DataFrame({"level": [1], "explainable": ["features"], "black_box": ["cnn"], "n": [100],
    ...                    "gap": [-0.1], "gap_low": [-0.15], "gap_high": [-0.07], "p": [0.002]})
    >>> table = published_comparison(TradeoffResult(pd.DataFrame(), s, ["AF"], "cnn", black_box=bb))
    >>> table.loc[2, "ours_explainable"], table.loc[2, "verdict"]
    ('features', 'agrees: the black box is ahead here too, by 0.100, larger than the published 0.056')
    >>> table.loc[0, "verdict"]
    'not compared: no representation of level 2 and a black box were both scored'
    """
    rows = []
    gaps = result.black_box.set_index("level") if len(result.black_box) else pd.DataFrame()
    for (_, pub), ours in zip(PUBLISHED.iterrows(), OURS):
        row = {"study": pub["study"], "metric": pub["metric"], "published_explainable": pub["explainable"],
               "published_black_box": pub["black box"]}
        if ours == "age":
            row["published_gap"] = f"{AGE_NONLINEAR[0] - AGE_LINEAR[1]:.2f}-{AGE_NONLINEAR[1] - AGE_LINEAR[0]:.2f}"
            linear, nonlinear = _age_rows(result)
            if linear is None or nonlinear is None:
                rows.append({**row, "verdict": "not compared: no age R2 of the linear features model and of a "
                                               "non-linear representation"})
                continue
            values = [tuple(float(r[k]) for k in ("r2", "r2_low", "r2_high")) for r in (linear, nonlinear)]
            rows.append({**row, "ours_explainable": linear["representation"], "ours_black_box":
                         nonlinear["representation"], "ours_n": int(min(linear["n"], nonlinear["n"])),
                         **dict(zip(["ours_explainable_value", "ours_explainable_low", "ours_explainable_high"],
                                    values[0])),
                         **dict(zip(["ours_black_box_value", "ours_black_box_low", "ours_black_box_high"],
                                    values[1])),
                         "ours_gap": values[0][0] - values[1][0], "verdict": r2_verdict(*values)})
            continue
        published_gap = float(pub["explainable"]) - float(pub["black box"])
        row["published_gap"] = round(published_gap, 3)
        if ours not in gaps.index:
            rows.append({**row, "verdict": f"not compared: no representation of level {ours} and a black box were "
                                           "both scored"})
            continue
        g = gaps.loc[ours]
        explainable, box = _macro(result.summary, g["explainable"]), _macro(result.summary, g["black_box"])
        rows.append({**row, "ours_explainable": g["explainable"], "ours_black_box": g["black_box"],
                     **dict(zip(["ours_explainable_value", "ours_explainable_low", "ours_explainable_high"],
                                explainable)),
                     **dict(zip(["ours_black_box_value", "ours_black_box_low", "ours_black_box_high"], box)),
                     "ours_n": int(g["n"]), "ours_gap": float(g["gap"]), "ours_gap_low": float(g["gap_low"]),
                     "ours_gap_high": float(g["gap_high"]), "ours_p": float(g["p"]),
                     "verdict": auroc_verdict(published_gap, float(g["gap"]), float(g["gap_low"]),
                                              float(g["gap_high"]), float(g["p"]))})
    return pd.DataFrame(rows).reindex(columns=COLUMNS)


def _ci(value: float, low: float, high: float, digits: int) -> str:
    return f"{value:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]" if np.isfinite(value) else "-"


def _ours(r, digits: int) -> str:
    """``features 0.850 [0.80, 0.90] vs cnn 0.700 [...]`` of a comparison row."""
    explainable = _ci(r.ours_explainable_value, r.ours_explainable_low, r.ours_explainable_high, digits)
    box = _ci(r.ours_black_box_value, r.ours_black_box_low, r.ours_black_box_high, digits)
    return f"{r.ours_explainable} {explainable} vs {r.ours_black_box} {box}"


def published_sentences(comparison: pd.DataFrame) -> list[str]:
    """One plain sentence per published comparison: theirs, ours with intervals, and the verdict.

    Example
    -------
    >>> row = {"study": "S", "metric": "AUROC", "published_explainable": 0.874, "published_black_box": 0.93,
    ...        "published_gap": -0.056, "verdict": "not compared: no representation of level 1"}
    >>> published_sentences(pd.DataFrame([row]).reindex(columns=COLUMNS))
    ['S: 0.874 vs 0.93 (AUROC); ours not compared: no representation of level 1.']
    """
    out = []
    for r in comparison.itertuples():
        theirs = f"{r.study}: {r.published_explainable} vs {r.published_black_box} ({r.metric})"
        if not isinstance(r.ours_explainable, str):
            out.append(f"{theirs}; ours {r.verdict}.")
            continue
        digits = 2 if r.metric == "R2" else 3
        gap = (f", paired gap {_ci(r.ours_gap, r.ours_gap_low, r.ours_gap_high, 3)}, p = {r.ours_p:.3g}"
               if np.isfinite(r.ours_p) else "")
        metric = "age R2" if r.metric == "R2" else "macro AUROC"
        out.append(f"{theirs}. Ours, {metric} on {int(r.ours_n)} test records: {_ours(r, digits)}{gap}: "
                   f"{r.verdict}.")
    return out


def published_display(comparison: pd.DataFrame) -> pd.DataFrame:
    """The comparison as the report shows it: theirs, ours with 95% intervals, our paired gap and p, the verdict.

    Example
    -------
    >>> row = {"study": "S", "metric": "AUROC", "published_explainable": 0.874, "published_black_box": 0.93,
    ...        "published_gap": -0.056, "verdict": "not compared"}
    >>> published_display(pd.DataFrame([row]).reindex(columns=COLUMNS)).iloc[0].tolist()
    ['S', 'AUROC', '0.874 vs 0.93 (-0.056)', '-', '-', '-', 'not compared']
    """
    rows = []
    for r in comparison.itertuples():
        digits = 2 if r.metric == "R2" else 3
        ours = isinstance(r.ours_explainable, str)
        rows.append({
            "study": r.study, "metric": r.metric,
            "published: explainable vs black box (gap)": f"{r.published_explainable} vs {r.published_black_box} "
                                                         f"({r.published_gap})",
            "ours: explainable vs black box [95% CI]": _ours(r, digits) if ours else "-",
            "our gap [95% CI]": (_ci(r.ours_gap, r.ours_gap_low, r.ours_gap_high, 3) if np.isfinite(r.ours_p) else
                                 f"{r.ours_gap:+.2f} (point)" if ours else "-"),
            "p (paired)": f"{r.ours_p:.3g}" if np.isfinite(r.ours_p) else "-",
            "verdict": r.verdict})
    return pd.DataFrame(rows)


NOTE = ("Published: explainable vs black box on real cohorts; ours: the same question on this report's test records "
        "(the best representation of the matching level against the best black box, paired bootstrap; for age the "
        "linear features model against the best non-linear representation). The verdict follows a fixed rule: "
        "'agrees' when the black box is ahead with an interval below 0 (p < 0.05), 'differs' when the explainable "
        "one is ahead or no gap is measured while the published gap lies outside our interval, 'undecided' when "
        "our interval holds both. A cohort's difficulty moves every number, so agreement in size says as much "
        "about how hard the tasks are as about what explainability costs.")
