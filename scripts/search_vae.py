"""Model selection for the beta-VAE on the synthetic cohort's *validation* split (never the test split).

Trains one VAE config (``configs/vae_synthetic.yaml`` with overrides) on a subset of the train split and
measures on the val split: reconstruction RMSE, linear read-out R2 of the true factors (fitted on the
training subset), the best single factor's |Spearman| per true factor, and MIG. With anchored factors
(``--set anchor_features=qrs_ms,qt_ms``) also the |Spearman| of each anchored factor with its true
factor. With ``--rotate`` also the same single-factor numbers after post-hoc orthogonal rotations of
the latent (FastICA without whitening, and the principal axes, fitted on the training beats' posterior
means: the N(0, I) prior is rotation invariant, so the generative model is unchanged). One JSON per
candidate; the fitted VAE is saved beside it (``<output>/<name>/``) and ``--reuse`` measures it again
without training.

Usage::

    python scripts/search_vae.py --name L10_b4 --set latent_dim=10 --set beta=4 --set epochs=100 \\
        [--n-train 1500] [--threads 1] [--rotate] [--reuse] [-o runs/search]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import FastICA

from vaescan.analysis.model_metrics import best_single_factor, vae_metrics
from vaescan.config import load_config
from vaescan.data.beats import BeatSet
from vaescan.data.dataset import load_data
from vaescan.io import read_json, write_json
from vaescan.models.run_configs import VAERunConfig
from vaescan.models.vae import VAE
from vaescan.stats.disentangle import mutual_info_gap

TARGET_R2 = ("qrs_ms", "qt_ms", "pr_ms", "st_mv_anterior", "t_amp_mv", "r_amp_mv")
TARGET_RHO = ("qrs_ms", "qt_ms", "t_amp_mv")


def rotations(z_train: np.ndarray, seed: int = 0) -> dict[str, np.ndarray]:
    """Orthogonal matrices R (latent x latent) fitted on centred posterior means; rotated factors are
    ``(z - mean) @ R.T``. ``ica``: FastICA without whitening (its unmixing is then orthogonal: the most
    non-Gaussian directions); ``pca``: the principal axes of the posterior means."""
    centred = z_train - z_train.mean(0)
    ica = FastICA(whiten=False, max_iter=5000, tol=1e-3, random_state=seed).fit(centred)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return {"ica": ica.components_, "pca": vt}


def single_factor_scores(z: np.ndarray, truth) -> dict:
    """Best single factor's |Spearman| per target factor, and MIG (complete rows), on one split."""
    best = best_single_factor(z, truth)
    complete = truth.notna().all(axis=1).to_numpy()
    return {"best_rho": {k: abs(best[k]["rho"]) for k in TARGET_RHO if k in best},
            "mig": float(mutual_info_gap(z[complete], truth[complete].to_numpy()))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="configs/vae_synthetic.yaml")
    parser.add_argument("--name", required=True, help="candidate name (output file name)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="VAEConfig override")
    parser.add_argument("--n-train", type=int, default=1500, help="training beats used (first N of train)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rotate", action="store_true", help="also measure ICA and PCA rotations of the latent")
    parser.add_argument("--reuse", action="store_true", help="load the candidate's saved VAE instead of training")
    parser.add_argument("-o", "--output", default="runs/search")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    base = load_config(VAERunConfig, args.config)
    over = {}
    for item in args.set:
        key, _, value = item.partition("=")
        if not value or not hasattr(base.vae, key):
            parser.error(f"--set {item!r}: expected KEY=VALUE with KEY a VAEConfig setting")
        kind = type(getattr(base.vae, key))
        if kind is tuple:
            over[key] = tuple(v for v in value.split(",") if v and v != "none")
        else:
            over[key] = kind(float(value)) if kind in (int, float) else value
    cfg = dataclasses.replace(base.vae, **over, device="cpu")
    data = load_data(base.data, progress=False)
    train, train_rows = data.split("train")
    val, val_rows = data.split("val")
    n = min(args.n_train, len(train.record_ids))
    train = BeatSet(train.beats[:n], train.record_ids[:n], train.fs, train.window_ms)
    train_rows = train_rows.iloc[:n].reset_index(drop=True)
    factors = data.cohort.factor_names
    out = Path(args.output)
    t0 = time.perf_counter()
    if args.reuse:
        vae, seconds = VAE.load(out / args.name, device="cpu"), float("nan")
        previous = out / f"{args.name}.json"
        if previous.is_file():
            seconds = read_json(previous)["train_seconds"]
    else:
        vae = VAE(cfg).fit(train, None, progress=False)
        seconds = time.perf_counter() - t0
    m = vae_metrics(vae, train, val, train_rows[factors], val_rows[factors], seed=0)
    row = {"name": args.name, "overrides": over, "n_train": n, "n_val": len(val.record_ids), "split": "val",
           "train_seconds": seconds, "val_rmse_uv": m["test_rmse_uv"], "n_active": m["n_active"],
           "mig": m.get("disentanglement", {}).get("mig"),
           "readout_r2": {k: m["readout_r2"].get(k) for k in TARGET_R2},
           "best_rho": {k: abs(m["best_factor"][k]["rho"]) for k in TARGET_RHO if k in m["best_factor"]}}
    if "anchored_factor" in m:
        row["anchored_rho"] = {k: abs(v["rho"]) for k, v in m["anchored_factor"].items()}
        row["best_free_rho"] = {k: abs(m["best_free_factor"][k]["rho"]) for k in TARGET_RHO}
    if args.rotate:
        z_train, z_val = vae.transform(train), vae.transform(val)
        center = z_train.mean(0)
        for kind, r in rotations(z_train, seed=cfg.seed).items():
            row[f"{kind}_rotation"] = single_factor_scores((z_val - center) @ r.T, val_rows[factors])
        row["unrotated_mig_binned"] = single_factor_scores(z_val, val_rows[factors])["mig"]
    if not args.reuse:
        vae.save(out / args.name)
    write_json(out / f"{args.name}.json", row)
    r2 = " ".join(f"{k}={v:.2f}" for k, v in row["readout_r2"].items())
    rho = " ".join(f"{k}={v:.2f}" for k, v in row["best_rho"].items())
    if "anchored_rho" in row:
        rho = " ".join(f"{k}={v:.2f}" for k, v in row["anchored_rho"].items())
        print("anchored factors |rho| with the truth: " + rho)
    for kind in ("ica", "pca") if args.rotate else ():
        rot = row[f"{kind}_rotation"]
        print(f"{kind} rotation: MIG {rot['mig']:.3f} (unrotated, same estimator {row['unrotated_mig_binned']:.3f}) "
              "rho " + " ".join(f"{k}={v:.2f}" for k, v in rot["best_rho"].items()))
    print(f"{args.name}: rmse {row['val_rmse_uv']:.1f} active {row['n_active']} MIG {row['mig']:.3f} "
          f"R2 {r2} | rho {rho} | {seconds:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
