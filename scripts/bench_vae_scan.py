"""VAE-SCAN on the synthetic cohort, measured against the targets of issue 5; JSON out.

Trains the shipped configs (``configs/vae_synthetic.yaml``, ``configs/scan_synthetic.yaml``: 5,000
records, simulated and beaten on first use, both cached) into ``--runs``, then reads their
``metrics.json`` and generates the LBBB and NORM beats. Every number is measured on the test split:

- reconstruction RMSE (uV) and active factors; MIG, DCI and SAP against the true factors;
- linear read-out R2 of qrs_ms, qt_ms, pr_ms, st_mv_anterior, t_amp_mv, r_amp_mv (target >= 0.8);
- the single factor with the largest |Spearman rho| for qrs_ms, qt_ms, t_amp_mv (target >= 0.7); with
  anchored factors also each anchored factor's rho and the best unanchored ("free") factor's;
- SCAN AUROC for LBBB, LVH, MI_ANT (target >= 0.95);
- QRS (ms) measured on the generated beat of LBBB=1 (target >= 120) and of NORM=1 (target < 110);
- training time of the VAE (target <= 600 s on 2 cores).

For reference it also gives the same linear read-out from the first ``latent_dim`` and 64 principal
components of the raw beats (``readout_r2_reference``).

Usage::

    python scripts/bench_vae_scan.py [--runs runs/bench/vae_scan] [--threads 2] [-o runs/bench/bench_vae_scan.json]
"""

from __future__ import annotations

import dataclasses
import operator
import os
import sys
from pathlib import Path

import numpy as np
import torch

from vaescan.bench import Stopwatch, bench_parser
from vaescan.config import load_config
from vaescan.io import read_json, write_json
from vaescan.models.run_configs import SCANRunConfig, VAERunConfig
from vaescan.workflows.products import generate_run
from vaescan.workflows.training import train_scan_run, train_vae_run

READOUT = ("qrs_ms", "qt_ms", "pr_ms", "st_mv_anterior", "t_amp_mv", "r_amp_mv")
MONOTONIC = ("qrs_ms", "qt_ms", "t_amp_mv")
AUROC = ("LBBB", "LVH", "MI_ANT")


OPS = {">=": operator.ge, "<": operator.lt, "<=": operator.le}


def target(value: float | None, op: str, bound: float) -> dict:
    """A measured value, its target and whether it is met (a missing or NaN value misses)."""
    ok = value is not None and bool(np.isfinite(value)) and OPS[op](value, bound)
    return {"value": value, "target": f"{op} {bound:g}", "pass": bool(ok)}


def pca_readout(vae_cfg: VAERunConfig, components: tuple[int, ...]) -> dict:
    """Reference: test R2 of the same linear read-out from the first k principal components of the raw
    beats (fitted on train), to tell what the VAE misses from what a linear code of the beats misses."""
    from sklearn.decomposition import PCA

    from vaescan.analysis.model_metrics import linear_readout
    from vaescan.data.dataset import load_data

    data = load_data(vae_cfg.data, progress=False)
    (train, rows_train), (test, rows_test) = data.split("train"), data.split("test")
    flat_train, flat_test = (b.beats.reshape(len(b.beats), -1) for b in (train, test))
    out = {}
    for k in components:
        pca = PCA(k, random_state=0).fit(flat_train)
        out[f"pca{k}"] = linear_readout(pca.transform(flat_train), rows_train[list(READOUT)],
                                        pca.transform(flat_test), rows_test[list(READOUT)])
    return out


def main() -> int:
    parser = bench_parser(__doc__.split("\n\n")[0], "runs/bench/bench_vae_scan.json")
    parser.add_argument("--vae-config", default="configs/vae_synthetic.yaml")
    parser.add_argument("--scan-config", default="configs/scan_synthetic.yaml")
    parser.add_argument("--runs", default="runs/bench/vae_scan", help="folder for the two run folders")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--reuse", action="store_true", help="measure finished runs in --runs without training")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    runs = Path(args.runs)
    vae_cfg = load_config(VAERunConfig, args.vae_config)
    vae_cfg = dataclasses.replace(vae_cfg, output=str(runs / "vae"))
    scan_cfg = load_config(SCANRunConfig, args.scan_config)
    scan_cfg = dataclasses.replace(scan_cfg, output=str(runs / "scan"), vae_run=str(runs / "vae"))
    load = {"before": os.getloadavg()}
    wall = {}
    if not args.reuse:
        with Stopwatch() as watch:
            train_vae_run(vae_cfg, force=True)
        wall["vae_run_s"] = watch.seconds
        load["after_vae"] = os.getloadavg()
        with Stopwatch() as watch:
            train_scan_run(scan_cfg, force=True)
        wall["scan_run_s"] = watch.seconds
    load["after"] = os.getloadavg()
    vm, sm = read_json(runs / "vae" / "metrics.json"), read_json(runs / "scan" / "metrics.json")

    lbbb = generate_run(runs / "scan", {"LBBB": 1.0}, runs / "generated_lbbb").loc["generated"]
    norm = generate_run(runs / "scan", {"NORM": 1.0}, runs / "generated_norm").loc["generated"]
    d = vm.get("disentanglement", {})
    targets = {
        **{f"readout_r2_{k}": target(vm["readout_r2"].get(k), ">=", 0.8) for k in READOUT},
        **{f"single_factor_abs_rho_{k}": target(abs(vm["best_factor"][k]["rho"]), ">=", 0.7) for k in MONOTONIC},
        **{f"auroc_{k}": target(sm["auroc"].get(k), ">=", 0.95) for k in AUROC},
        "generate_lbbb_qrs_ms": target(float(lbbb.qrs_ms), ">=", 120),
        "generate_norm_qrs_ms": target(float(norm.qrs_ms), "<", 110),
        "vae_train_seconds": target(vm["train_seconds"], "<=", 600),
    }
    result = {
        "what": "VAE-SCAN on the synthetic cohort against the targets of issue 5 (test split)",
        "vae_config": args.vae_config, "scan_config": args.scan_config, "runs": str(runs),
        "threads": torch.get_num_threads(), "cpu_count": os.cpu_count(), "load_average": load, "wall": wall,
        "n_train": vm["n_train"], "n_test": vm["n_test"], "n_skipped": vm["n_skipped"],
        "test_rmse_uv": vm["test_rmse_uv"], "n_active": vm["n_active"], "kl_per_unit": vm["kl_per_unit"],
        "mig": d.get("mig"), "dci": {k: v for k, v in d.get("dci", {}).items() if k != "importance"},
        "sap": d.get("sap"), "readout_r2": vm["readout_r2"], "best_factor": vm["best_factor"],
        "anchor_features": list(vae_cfg.vae.anchor_features), "anchor_sd": vae_cfg.vae.anchor_sd,
        "anchored_factor": vm.get("anchored_factor"), "best_free_factor": vm.get("best_free_factor"),
        "readout_r2_reference": pca_readout(vae_cfg, (vae_cfg.vae.latent_dim, 64)),
        "auroc": sm["auroc"], "r2": sm["r2"], "mae": sm["mae"],
        "generated": {"LBBB": lbbb.to_dict(), "NORM": norm.to_dict()},
        "vae_train_seconds": vm["train_seconds"], "scan_train_seconds": sm["train_seconds"],
        "targets": targets, "all_targets_pass": all(t["pass"] for t in targets.values()),
    }
    write_json(args.output, result)
    for name, t in targets.items():
        value = "n/a" if t["value"] is None else f"{t['value']:.3f}"
        print(f"{'PASS' if t['pass'] else 'MISS'}  {name:34s} {value:>10s}  (target {t['target']})")
    if vm.get("best_free_factor"):
        print("best unanchored factor |rho|: " + " ".join(f"{k}={abs(vm['best_free_factor'][k]['rho']):.3f}"
                                                         for k in MONOTONIC))
    print(f"test RMSE {vm['test_rmse_uv']:.1f} uV, {vm['n_active']} active factors, "
          f"MIG {d.get('mig', float('nan')):.3f}, "
          f"SAP {d.get('sap', float('nan')):.3f}; wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
