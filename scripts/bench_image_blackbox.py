"""The image black box at the quickstart's size: one setting trained on 210 pages, scored on 300 others; JSON out.

Trains :class:`vaescan.models.blackbox.BlackBox` on the page images of the train split of ``--train``
(the quickstart's default cohort: ``vaescan synth -n 300 --seed 0``), validated on its val split, and scores
it on every record of ``--eval`` (``vaescan synth -n 300 --seed 1``, pages drawn the same way): AUROC per
label (labels with >= 5 records per class), the macro AUROC over the 10 labels with a 95% bootstrap interval
(200 resamples), and the macro over NORM, LVH, MI_ANT, LQT on the train cohort's test split (45 records: a
rough check). CPU seconds of training and predicting, and the process's peak memory. Each run is appended
to the output as one JSON line. docs/explain.md, "The image black box on few pages", gives the runs.

Usage::

    python scripts/bench_image_blackbox.py --train runs/synthetic_300 --eval runs/synthetic_300_seed1 \\
        [--ink value] [--layout 12x1] [--batch 8] [--epochs 30] [-o runs/bench/bench_image_blackbox.jsonl]
"""

from __future__ import annotations

import json
import resource
import time

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from vaescan.bench import bench_parser
from vaescan.data.sources import load_cohort
from vaescan.models.blackbox import BlackBox
from vaescan.pages.model_input import PageInputConfig, cohort_page_inputs

LABELS = ["NORM", "LBBB", "RBBB", "LVH", "MI_ANT", "MI_INF", "AF", "LQT", "HYPERK", "AVB1"]
REPORTED = ["NORM", "LVH", "MI_ANT", "LQT"]
"""The labels with >= 5 test records per class in the default quickstart's 45 test records."""


def _aurocs(model: BlackBox, x: np.ndarray, rows) -> tuple[dict, object]:
    prob = model.predict_proba(x)
    out = {}
    for label in LABELS:
        y = rows[label].to_numpy()
        if y.sum() >= 5 and (1 - y).sum() >= 5:
            out[label] = float(roc_auc_score(y, prob[label]))
    return out, prob


def main() -> int:
    parser = bench_parser(__doc__.split("\n\n")[0], "runs/bench/bench_image_blackbox.jsonl")
    parser.add_argument("--train", required=True, help="cohort folder trained on (train/val split)")
    parser.add_argument("--eval", required=True, help="cohort folder scored (every record)")
    parser.add_argument("--ink", default="grey", choices=["grey", "value"])
    parser.add_argument("--layout", default="3x4+II")
    parser.add_argument("--stem", type=int, nargs="+", default=[16, 16])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache-dir", default=None, help="page cache (default: vaescan's)")
    args = parser.parse_args()

    torch.set_num_threads(1)
    config = PageInputConfig(layout=args.layout, ink=args.ink)
    sets = {}
    for name in (args.train, args.eval):
        cohort = load_cohort(name)
        pages = cohort_page_inputs(cohort, config, cache_dir=args.cache_dir, jobs=2, progress=False)
        rows = cohort.metadata.set_index("record_id").loc[pages.record_ids].reset_index()
        sets[name] = (pages.images, rows)
    x, rows = sets[args.train]
    split = {s: (rows.split == s).to_numpy() for s in ("train", "val", "test")}
    model = BlackBox(input="image", stem=tuple(args.stem), widths=(16, 32, 64, 64), kernel=3, epochs=args.epochs,
                     batch_size=args.batch, lr=args.lr, seed=args.seed, device="cpu")
    cpu = time.process_time()
    model.fit(x[split["train"]], rows[split["train"]], binary=LABELS, continuous=["age"],
              val=(x[split["val"]], rows[split["val"]]), progress=False)
    per_eval, prob = _aurocs(model, *sets[args.eval])
    per_test, _ = _aurocs(model, x[split["test"]], rows[split["test"]])
    cpu = time.process_time() - cpu
    y_eval = sets[args.eval][1]
    rng = np.random.default_rng(0)
    boots = []
    for _ in range(200):
        i = rng.integers(0, len(y_eval), len(y_eval))
        boots.append(np.mean([roc_auc_score(y_eval[k].to_numpy()[i], prob[k].to_numpy()[i]) for k in LABELS]))
    result = {"settings": {k: v for k, v in vars(args).items() if k != "output"},
              "cpu_s": round(cpu, 1), "peak_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 2),
              "macro_eval": round(float(np.mean(list(per_eval.values()))), 3),
              "macro_eval_ci": [round(float(np.quantile(boots, q)), 3) for q in (0.025, 0.975)],
              "macro_test_reported": round(float(np.mean([per_test[k] for k in REPORTED if k in per_test])), 3),
              "eval": {k: round(v, 2) for k, v in per_eval.items()},
              "test": {k: round(v, 2) for k, v in per_test.items()}}
    print(json.dumps(result))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with open(args.output, "a") as f:
        f.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
