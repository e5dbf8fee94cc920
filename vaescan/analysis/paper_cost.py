"""What the paper path costs: each representation on the original records against itself on the same records
printed, photographed and digitised (the photographed path, explainability level 6), paired.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from vaescan.analysis.tradeoff import _aligned, macro_auroc, paired_auroc_gap

PAPER_COLUMNS = ["representation", "digitised", "n", "filled", "labels", "macro_auroc_original",
                 "macro_auroc_digitised", "gap", "gap_low", "gap_high", "p"]


def paper_gaps(predictions: Mapping[str, pd.DataFrame], truth: pd.DataFrame, pairs: Mapping[str, str],
               labels: Sequence[str], *, filled: Mapping[str, int] | None = None, min_per_class: int = 2,
               n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """For each ``pairs`` entry (digitised representation -> its original), the macro AUROC of both on the records
    both predict, and the paired bootstrap gap digitised - original with its 95% interval and p
    (:func:`vaescan.analysis.tradeoff.paired_auroc_gap`). The macro averages those of ``labels`` with at least
    ``min_per_class`` of those records in each class (listed in ``labels``); ``filled`` (digitised name -> count)
    says how many of them had the train prior for a prediction.

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> truth = pd.DataFrame({"record_id": [str(i) for i in range(200)], "A": rng.integers(0, 2, 200)})
    >>> original = truth.assign(prob_A=truth.A + rng.normal(0, 0.5, 200))
    >>> paper = truth.assign(prob_A=truth.A + rng.normal(0, 3, 200)).iloc[:100]
    >>> gaps = paper_gaps({"cnn": original, "cnn (digitised)": paper}, truth, {"cnn (digitised)": "cnn"}, ["A"],
    ...                   n_boot=100)
    >>> int(gaps.n.iloc[0]), bool(gaps.gap_high.iloc[0] < 0)
    (100, True)
    """
    rows = []
    for digitised, original in pairs.items():
        a, b = (_aligned(predictions[k], truth) for k in (digitised, original))
        usable = [t for t in labels if f"prob_{t}" in a.columns and f"prob_{t}" in b.columns]
        pa, pb = (x[[f"prob_{t}" for t in usable]].to_numpy(dtype=np.float64) for x in (a, b))
        y = truth[usable].to_numpy(dtype=np.float64)
        keep = np.isfinite(y).all(1) & np.isfinite(pa).all(1) & np.isfinite(pb).all(1)
        counts = [(y[keep, j] == 1).sum() for j in range(len(usable))], [(y[keep, j] == 0).sum()
                                                                          for j in range(len(usable))]
        cols = [j for j in range(len(usable)) if min(counts[0][j], counts[1][j]) >= min_per_class]
        row = {"representation": original, "digitised": digitised, "n": int(keep.sum()),
               "filled": int((filled or {}).get(digitised, 0)), "labels": " ".join(usable[j] for j in cols)}
        if cols:
            yk, ak, bk = y[keep][:, cols], pa[keep][:, cols], pb[keep][:, cols]
            row.update(macro_auroc_original=macro_auroc(yk, bk), macro_auroc_digitised=macro_auroc(yk, ak))
            try:
                test = paired_auroc_gap(yk, ak, bk, n_boot, seed)
                row.update(gap=test["gap"], gap_low=test["low"], gap_high=test["high"], p=test["p"])
            except ValueError:  # a resample without both classes of a label
                pass
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=PAPER_COLUMNS)
