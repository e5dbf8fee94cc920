"""Benchmark: do the black boxes' Jacobian explanations point at the known causes of the synthetic cohort?

Trains (or reuses) the black-box runs on a synthetic cohort: the signal model with two seeds and the
page-image model with one (``configs/blackbox_{signal,image}_synthetic.yaml``), then, on test-split
records that truly have a label:

- localisation: the share of true positives whose top lead x wave cell (positive evidence for the label) is
  one where the label's cause shows (:data:`vaescan.analysis.localisation.DEFINING`), the share of all
  positive evidence that lies in those cells, and where the top cells lie (wave counts); per label, model and
  attribution method;
- background share of the image model: the part of the raw map's absolute mass off the trace;
- faithfulness: deletion and insertion scores of the label's logit against a random order (the top-k% samples
  set to the isoelectric 0 mV, or pixels to the page's paper level; score 2 = twice better than random);
- model randomisation: rank correlation of the trained model's maps with those of the same network with
  re-initialised weights (it must be low: the map depends on what was learned);
- seed stability: rank correlation of the per lead x wave evidence of the two signal models (seeds 0, 1);
- peak memory of ``vaescan explain`` on 100 and 1000 records (it must stay flat);
- accuracy: test AUROC per label and age MAE of each run (from its metrics.json).

Targets (issue 15): top cell defining for >= 70% of true positives of LBBB, MI_ANT and LQT for both models;
background share < 20%; deletion >= 2x better than random; randomised maps rank-correlate < 0.2; seed-to-seed
>= 0.8. The numbers are reported as measured, met or not.

    python scripts/bench_explain.py --work runs/bench_explain --jobs 2 -o docs/results/bench_explain.json
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from vaescan.analysis.localisation import DEFINING, explanation_localisation, localisation_summary
from vaescan.bench import bench_parser, machine_info
from vaescan.config import load_config
from vaescan.data.dataset import DataConfig, open_cohort
from vaescan.explain import Jacobian, faithfulness, randomize_weights, rank_correlation
from vaescan.io import read_json, write_json
from vaescan.models.blackbox import BlackBox
from vaescan.models.run import read_run
from vaescan.models.run_configs import BlackBoxRunConfig
from vaescan.workflows.blackbox import train_blackbox_run
from vaescan.workflows.explain import NOISE_SD, ExplainSettings, iter_evidence

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = (("jacobian_x_input", 0), ("jacobian", 0), ("jacobian_x_input", 16))
"""(method, SmoothGrad copies) compared: the seed-1 model runs the first and last only."""
TARGET_LABELS = ("LBBB", "MI_ANT", "LQT")
"""Labels with a localisation target (>= 70% of true positives)."""


def train_runs(work: Path, cohort: Path, n: int, jobs: int, seeds: tuple[int, ...]) -> dict[str, Path]:
    """Train (or reuse finished) runs: ``signal_seed<s>`` for each seed and ``image_seed0``."""
    runs = {}
    for kind, seed in [("signal", s) for s in seeds] + [("image", 0)]:
        folder = work / f"{kind}_seed{seed}"
        runs[f"{kind}_seed{seed}"] = folder
        if (folder / "run.json").is_file() and read_run(folder)["status"] == "done":
            continue
        config = load_config(BlackBoxRunConfig, ROOT / f"configs/blackbox_{kind}_synthetic.yaml")
        data = dataclasses.replace(config.data, path=str(cohort), simulate_n=n, jobs=jobs,
                                   cache_dir=str(work / "cache"))
        config = dataclasses.replace(config, data=data, output=str(folder),
                                     model=dataclasses.replace(config.model, seed=seed))
        train_blackbox_run(config, force=True)
    return runs


def true_positives(metadata: pd.DataFrame, per_label: int) -> pd.DataFrame:
    """Test-split rows that have a label of :data:`DEFINING`, at most ``per_label`` per label (first ones)."""
    test = metadata[metadata["split"] == "test"]
    picked = pd.concat([test[test[label] == 1].head(per_label) for label in DEFINING if label in test])
    return picked.drop_duplicates("record_id")


def evidence_of(run: Path, cohort, rows: pd.DataFrame, settings: ExplainSettings) -> tuple[list, BlackBox]:
    """Evidence objects for ``rows`` of the cohort with one run and one attribution setting."""
    config = load_config(BlackBoxRunConfig, run / "config.yaml")
    model = BlackBox.load(run)
    index = {rid: i for i, rid in enumerate(cohort.metadata["record_id"].astype(str))}
    items = [("record", cohort.record_path(index[rid]), rid) for rid in rows["record_id"].astype(str)]
    return list(iter_evidence(model, config, items, settings, progress=False)), model


def localisation(evidence: list, model: BlackBox, metadata: pd.DataFrame) -> dict:
    table = pd.concat([ev.table(model.output_names_) for ev in evidence], ignore_index=True)
    per = explanation_localisation(table, metadata)
    summary = localisation_summary(per)
    top_waves = per.groupby("label")["top_wave"].value_counts()
    return {label: {"n": int(row.n), "top_hit": round(float(row.top_hit), 3),
                    "defining_share": round(float(row.defining_share), 3),
                    "top_waves": {w: int(c) for w, c in top_waves[label].items()}}
            for label, row in summary.iterrows()}


def _targets(evidence: list, model: BlackBox, metadata: pd.DataFrame) -> list[tuple[int, int]]:
    """(evidence index, output index): each record's first true label among the scored ones."""
    meta = metadata.set_index(metadata["record_id"].astype(str))
    pairs = []
    for i, ev in enumerate(evidence):
        labels = [lab for lab in DEFINING if lab in model.output_names_ and meta.at[ev.item.record_id, lab] == 1]
        if labels:
            pairs.append((i, model.output_names_.index(labels[0])))
    return pairs


def faithfulness_and_randomisation(evidence: list, model: BlackBox, metadata: pd.DataFrame, image: bool,
                                   n_records: int, attribution: dict) -> dict:
    """Deletion/insertion scores of each record's true label, and the trained-vs-randomised map correlation."""
    pairs = _targets(evidence, model, metadata)[:n_records]
    forward = model.output_module()
    random_forward = randomize_weights(forward, seed=0)
    deletion, insertion, rand_signed, rand_abs = [], [], [], []
    for i, k in pairs:
        ev = evidence[i]
        x = torch.as_tensor(ev.item.inputs[None], dtype=torch.float32)
        attr = torch.as_tensor(ev.maps[k][None], dtype=torch.float32)
        baseline = float(np.median(ev.item.inputs)) if image else 0.0
        f = faithfulness(forward, x, attr, k, baseline=baseline)
        deletion.append(f.deletion_score)
        insertion.append(f.insertion_score)
        random_map = Jacobian(random_forward, **attribution).attribute(x, target=k).detach().numpy()
        trained_map = ev.maps[k][None]
        rand_signed.append(rank_correlation(trained_map, random_map))
        rand_abs.append(rank_correlation(trained_map, random_map, absolute=True))

    def med(values: list[float]) -> float:
        known = [v for v in values if not np.isnan(v)]            # an infinite score (nothing left) counts
        return round(float(np.median(known)), 3) if known else float("nan")

    return {"records": len(pairs), "deletion_score_median": med(deletion), "insertion_score_median": med(insertion),
            "deletion_2x_share": round(float(np.mean([v >= 2 for v in deletion])), 3) if deletion else float("nan"),
            "randomised_rank_corr_signed": med(rand_signed), "randomised_rank_corr_abs": med(rand_abs)}


def seed_stability(a: list, b: list, model: BlackBox, metadata: pd.DataFrame) -> dict:
    """Rank correlation over the 12 x 6 lead x wave cells of each record's true label, seed 0 vs seed 1."""
    by_id = {ev.item.record_id: ev for ev in b}
    corr = []
    for i, k in _targets(a, model, metadata):
        other = by_id.get(a[i].item.record_id)
        if other is not None:
            corr.append(rank_correlation(a[i].sums[k][None], other.sums[k][None]))
    return {"records": len(corr), "rank_corr_median": round(float(np.nanmedian(corr)), 3),
            "rank_corr_mean": round(float(np.nanmean(corr)), 3)}


def explain_peak_mb(run: Path, paths: list[Path], jobs: int, out: Path) -> float:
    """Peak resident memory (MB) of ``vaescan explain`` on ``paths``, in its own process."""
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    cmd = [sys.executable, "-m", "vaescan", "-q", "explain", str(run), *map(str, paths), "-o", str(out),
           "--figures", "0", "--jobs", str(jobs)]
    res = subprocess.run([sys.executable, "-c", code, *cmd], check=True, capture_output=True, text=True)
    return round(int(res.stdout.split()[-1]) / 1024, 1)


def main(argv: list[str] | None = None) -> int:
    p = bench_parser(__doc__, "docs/results/bench_explain.json")
    p.add_argument("--work", default="runs/bench_explain", help="runs and cohort folder (default runs/bench_explain)")
    p.add_argument("--cohort", help="synthetic cohort folder (default WORK/cohort, simulated if missing)")
    p.add_argument("--n", type=int, default=2000, help="records to simulate (default 2000)")
    p.add_argument("--per-label", type=int, default=40, help="test true positives per label (default 40)")
    p.add_argument("--faithfulness-records", type=int, default=40, help="records for faithfulness (default 40)")
    p.add_argument("--memory", type=int, nargs=2, default=(100, 1000), help="record counts for peak memory")
    p.add_argument("--jobs", type=int, default=2)
    args = p.parse_args(argv)
    start = time.perf_counter()
    work = Path(args.work)
    cohort_path = Path(args.cohort) if args.cohort else work / "cohort"
    cohort = open_cohort(DataConfig(path=str(cohort_path), simulate_n=args.n), progress=False)
    runs = train_runs(work, cohort_path, args.n, args.jobs, seeds=(0, 1))
    rows = true_positives(cohort.metadata, args.per_label)
    result: dict = {"machine": machine_info("platform", "python", "processor", "cpus"), "cohort": str(cohort_path),
                    "n_records": len(cohort), "explained_records": len(rows),
                    "true_positives": {lab: int(rows[lab].sum()) for lab in DEFINING if lab in rows},
                    "accuracy": {}, "localisation": {}, "faithfulness": {}, "background_share": {}}
    for name, run in runs.items():
        metrics = read_json(run / "metrics.json")
        result["accuracy"][name] = {"auroc": metrics["auroc"], "age_mae": metrics["mae"].get("age"),
                                    "train_seconds": metrics.get("train_seconds")}
    evidence: dict[tuple[str, str], list] = {}
    for name in ("signal_seed0", "image_seed0", "signal_seed1"):
        kind = name.split("_")[0]
        for method, smooth in VARIANTS if name != "signal_seed1" else VARIANTS[::2]:
            t0 = time.perf_counter()
            settings = ExplainSettings(method=method, smooth=smooth, jobs=args.jobs)      # explicit, not the default
            ev, model = evidence_of(runs[name], cohort, rows, settings)
            variant = method + (f"+smooth{smooth}" if smooth else "")
            evidence[(name, variant)] = ev
            key = f"{name}/{variant}"
            result["localisation"][key] = localisation(ev, model, cohort.metadata)
            result["localisation"][key]["seconds"] = round(time.perf_counter() - t0, 1)
            if kind == "image":
                result["background_share"][variant] = round(float(np.nanmean([e.background_share for e in ev])), 3)
            if name != "signal_seed1":
                attribution = dict(times_input=method == "jacobian_x_input", noise_samples=smooth,
                                   noise_sd=NOISE_SD[kind])
                result["faithfulness"][key] = faithfulness_and_randomisation(
                    ev, model, cohort.metadata, kind == "image", args.faithfulness_records, attribution)
            print(f"{key}: {json.dumps(result['localisation'][key])}", flush=True)
    model = BlackBox.load(runs["signal_seed0"])
    result["seed_stability"] = {
        variant: seed_stability(evidence[("signal_seed0", variant)], evidence[("signal_seed1", variant)], model,
                                cohort.metadata) for name, variant in evidence if name == "signal_seed1"}
    records = [cohort.record_path(i) for i in range(len(cohort))]
    result["explain_peak_memory_mb"] = {str(n): explain_peak_mb(runs["signal_seed0"], records[:n], args.jobs,
                                                                work / f"explain_{n}") for n in args.memory}
    result["targets"] = {
        "localisation_top_hit_70": {f"{key}/{lab}": result["localisation"][key].get(lab, {}).get("top_hit", 0) >= 0.7
                                    for key in result["localisation"] for lab in TARGET_LABELS},
        "background_share_below_0.2": {m: v < 0.2 for m, v in result["background_share"].items()},
        "deletion_2x": {k: v["deletion_score_median"] >= 2 for k, v in result["faithfulness"].items()},
        "randomised_below_0.2": {k: v["randomised_rank_corr_abs"] < 0.2 for k, v in result["faithfulness"].items()},
        "seed_stability_0.8": {k: v["rank_corr_median"] >= 0.8 for k, v in result["seed_stability"].items()},
    }
    result["total_s"] = round(time.perf_counter() - start, 1)
    write_json(args.output, result)
    print(json.dumps({k: result[k] for k in ("background_share", "faithfulness", "seed_stability",
                                             "explain_peak_memory_mb")}, indent=1))
    print(f"wrote {args.output} in {result['total_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
