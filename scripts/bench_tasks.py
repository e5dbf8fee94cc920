"""Benchmark: how hard each task of the synthetic cohort is, per preset (``easy``, ``realistic``).

For each preset, simulates a cohort, measures the engineered features (``vaescan.data.features``) of every
record and decodes every task from them with the report's level-1 model (median imputation, standardisation,
logistic regression per label and for sex, linear regression for age), scored by 5-fold stratified
cross-validation over all records (out-of-fold predictions; more stable than a 15 % test split at these
prevalences). Per label: AUROC against the recorded labels (what a model is trained and scored on) and
against the true causes (``true_<label>``; the same out-of-fold predictions), with and without the HRV
indices (``HRV_FEATURES``), and (true causes) with missing-value indicators beside the median imputation.
Also: the measured label-noise rate, the simulation and feature times.

    python scripts/bench_tasks.py --n 800 --seed 1 --jobs 2 -o docs/results/synth_tasks.json
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.metrics import r2_score, roc_auc_score
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from vaescan.bench import bench_parser
from vaescan.data.features import HRV_FEATURES, cohort_features, feature_names
from vaescan.data.synth import LABELS, SynthConfig, simulate_cohort
from vaescan.io import write_json
from vaescan.workflows.tradeoff import RIDGE_ALPHAS

SUBTYPES = {"MI_ANT": "mi_ant_stage", "MI_INF": "mi_inf_stage", "LVH": "lvh_strain"}
"""Labels whose subtypes are scored apart (AUROC of each subtype's true positives against the true negatives)."""


def _model(binary: bool, indicators: bool = False):
    head = LogisticRegression(max_iter=2000) if binary else RidgeCV(alphas=RIDGE_ALPHAS)
    return make_pipeline(SimpleImputer(strategy="median", add_indicator=indicators), StandardScaler(), head)


def decode(x: np.ndarray, y: np.ndarray, binary: bool, seed: int, indicators: bool = False) -> np.ndarray:
    """Out-of-fold predictions (probability or value) of the level-1 model, 5 folds; ``indicators`` adds a 0/1
    column per feature that can be missing (e.g. PR without a P wave), which median imputation alone hides."""
    folds = (StratifiedKFold if binary else KFold)(5, shuffle=True, random_state=seed)
    method = "predict_proba" if binary else "predict"
    out = cross_val_predict(_model(binary, indicators), x, y, cv=folds, method=method)
    return out[:, 1] if binary else out


def evaluate(meta: pd.DataFrame, table: pd.DataFrame, seed: int) -> dict:
    """Per task: prevalence, AUROC (recorded and true labels) with all features and without HRV; age R2."""
    keep = ["record_id", "age", "sex", "label_misread", *SUBTYPES.values(), *LABELS,
            *(f"true_{label}" for label in LABELS)]
    rows = meta[keep].merge(table, on="record_id")
    sets = {"all": feature_names(), "no_hrv": [n for n in feature_names() if n not in HRV_FEATURES]}
    xs = {k: rows[v].to_numpy(np.float64) for k, v in sets.items()}
    tasks = {}
    for task in [*LABELS, "sex"]:
        y = rows[task].to_numpy(int)
        truth = rows[f"true_{task}"].to_numpy(int) if task != "sex" else y
        if min(y.sum(), len(y) - y.sum()) < 5:
            continue
        entry = {"n_pos": int(y.sum()), "n_pos_true": int(truth.sum())}
        for k, x in xs.items():
            p = decode(x, y, True, seed)
            entry[f"auroc_{k}"] = round(float(roc_auc_score(y, p)), 4)
            entry[f"auroc_true_{k}"] = round(float(roc_auc_score(truth, p)), 4)
            if k == "all" and task in SUBTYPES:  # each subtype's true positives against the true negatives
                kind = rows[SUBTYPES[task]].astype(str)
                entry["auroc_true_by_subtype"] = {
                    str(v): round(float(roc_auc_score(truth[mask | (truth == 0)], p[mask | (truth == 0)])), 4)
                    for v in sorted(kind[truth == 1].unique())
                    if (mask := ((kind == v).to_numpy() & (truth == 1))).sum() >= 3}
        p = decode(xs["all"], y, True, seed, indicators=True)
        entry["auroc_true_all_missing_indicators"] = round(float(roc_auc_score(truth, p)), 4)
        tasks[task] = entry
    age = rows["age"].to_numpy(np.float64)
    pred = decode(xs["all"], age, False, seed)
    tasks["age"] = {"r2_all": round(float(r2_score(age, pred)), 4),
                    "mae_years": round(float(np.mean(np.abs(age - pred))), 2)}
    labels = [t for t in tasks if t in LABELS]
    return {"tasks": tasks,
            "macro_auroc_labels": round(float(np.mean([tasks[t]["auroc_all"] for t in labels])), 4),
            "macro_auroc_labels_true": round(float(np.mean([tasks[t]["auroc_true_all"] for t in labels])), 4),
            "n_records": int(len(rows)),
            "label_misread_rate": round(float(rows["label_misread"].mean()), 4)}


def main(argv: list[str] | None = None) -> int:
    p = bench_parser(__doc__, "runs/bench/synth_tasks.json")
    p.add_argument("--n", type=int, default=800, help="records per preset (default 800)")
    p.add_argument("--seed", type=int, default=1, help="cohort seed (default 1)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--presets", nargs="+", default=["easy", "realistic"], help="presets (default both)")
    args = p.parse_args(argv)
    result = {"what": __doc__.split("\n\n")[0], "n": args.n, "seed": args.seed, "jobs": args.jobs,
              "command": f"python scripts/bench_tasks.py --n {args.n} --seed {args.seed} --jobs {args.jobs}",
              "presets": {}}
    for name in args.presets:
        config = SynthConfig.preset(name)
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            cohort = simulate_cohort(args.n, args.seed, Path(tmp) / "cohort", config, jobs=args.jobs, progress=False)
            synth_s = time.perf_counter() - start
            start = time.perf_counter()
            table, batch = cohort_features(cohort, jobs=args.jobs, progress=False)
            features_s = time.perf_counter() - start
        meta = cohort.metadata.assign(record_id=cohort.metadata["record_id"].astype(str))
        entry = evaluate(meta, table.assign(record_id=table["record_id"].astype(str)), args.seed)
        entry.update(config={"difficulty": config.difficulty, "label_noise": config.label_noise},
                     synth_seconds=round(synth_s, 1), features_seconds=round(features_s, 1),
                     features_skipped=len(batch.skipped))
        result["presets"][name] = entry
        print(f"{name}: macro AUROC {entry['macro_auroc_labels']} (true labels {entry['macro_auroc_labels_true']}), "
              f"misread {entry['label_misread_rate']}, synth {synth_s:.0f} s, features {features_s:.0f} s")
        for task, t in entry["tasks"].items():
            print(f"  {task:7s} {t}")
    write_json(args.output, result)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
