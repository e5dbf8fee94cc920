"""Sweep the beta-VAE over latent size x beta on the synthetic cohort: reconstruction and disentanglement.

For every (latent_dim, beta) a VAE run is trained with the rest of ``--config`` (default
``configs/vae_synthetic.yaml``) into ``--runs/L<latent>_b<beta>`` and measured on the test split: the
reconstruction RMSE (uV, at 500 Hz), the number of active factors, MIG, DCI (disentanglement,
completeness, informativeness) and SAP against the cohort's true factors, and the linear read-out R2 of
each true factor. Writes a JSON table and a figure (``--output`` and the same name with ``.png``).

Usage::

    python scripts/sweep_vae.py [--latent 8 16 32] [--beta 1 4 16] [--epochs 40] [--warmup-epochs 5]
                                [--threads 2] [-o runs/sweep/sweep_vae.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure

from vaescan.config import load_config
from vaescan.io import read_json, write_json
from vaescan.models.run_configs import VAERunConfig
from vaescan.report.ecg_plots import save_figure
from vaescan.workflows.training import train_vae_run

READOUT = ("qrs_ms", "qt_ms", "pr_ms", "st_mv_anterior", "t_amp_mv", "r_amp_mv")


def summarise(metrics: dict) -> dict:
    """The sweep's columns from a run's metrics.json."""
    row = {"test_rmse_uv": metrics["test_rmse_uv"], "n_active": metrics["n_active"],
           "train_seconds": metrics["train_seconds"]}
    d = metrics.get("disentanglement")
    if d:
        row.update(mig=d["mig"], dci_disentanglement=d["dci"]["disentanglement"],
                   dci_completeness=d["dci"]["completeness"],
                   dci_informativeness_nrmse=d["dci"]["informativeness_nrmse"],
                   sap=d["sap"])
    r2 = metrics.get("readout_r2", {})
    row["readout_r2"] = {k: r2[k] for k in READOUT if k in r2}
    row["readout_r2_mean"] = float(np.nanmean(list(row["readout_r2"].values()))) if row["readout_r2"] else None
    return row


def plot(rows: list[dict]) -> Figure:
    fig = Figure(figsize=(15, 4), layout="constrained")
    axes = fig.subplots(1, 3)
    for latent in sorted({r["latent_dim"] for r in rows}):
        part = sorted((r for r in rows if r["latent_dim"] == latent), key=lambda r: r["beta"])
        betas = [r["beta"] for r in part]
        for ax, key, label in ((axes[0], "test_rmse_uv", "test RMSE (uV)"), (axes[1], "mig", "MIG"),
                               (axes[2], "readout_r2_mean", "mean linear read-out R2")):
            ax.plot(betas, [r.get(key) for r in part], marker="o", label=f"latent {latent}")
            ax.set_xscale("log", base=2)
            ax.set_xlabel("beta")
            ax.set_ylabel(label)
    axes[0].legend()
    fig.suptitle("beta-VAE sweep on the synthetic cohort (test split)")
    return fig


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="configs/vae_synthetic.yaml", help="base VAE run config")
    parser.add_argument("--latent", type=int, nargs="+", default=[8, 16, 32], help="latent sizes")
    parser.add_argument("--beta", type=float, nargs="+", default=[1.0, 4.0, 16.0], help="beta values")
    parser.add_argument("--epochs", type=int, help="epochs per run (default: the config's)")
    parser.add_argument("--warmup-epochs", type=int, help="KL warm-up epochs per run (default: the config's)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--runs", default="runs/sweep", help="folder for the run folders")
    parser.add_argument("-o", "--output", default="runs/sweep/sweep_vae.json", help="JSON output")
    parser.add_argument("--resume", action="store_true", help="keep finished runs, train only missing ones")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    base = load_config(VAERunConfig, args.config)
    rows = []
    for latent in args.latent:
        for beta in args.beta:
            vae = dataclasses.replace(base.vae, latent_dim=latent, beta=beta,
                                      epochs=args.epochs or base.vae.epochs,
                                      warmup_epochs=base.vae.warmup_epochs if args.warmup_epochs is None
                                      else args.warmup_epochs)
            run = Path(args.runs) / f"L{latent}_b{beta:g}"
            done = (run / "metrics.json").is_file() and read_json(run / "run.json").get("status") == "done"
            if not (args.resume and done):
                train_vae_run(dataclasses.replace(base, vae=vae, output=str(run)), force=True)
            row = {"latent_dim": latent, "beta": beta, "epochs": vae.epochs, "warmup_epochs": vae.warmup_epochs,
                   "threads": torch.get_num_threads(), "run": str(run)}
            row.update(summarise(read_json(run / "metrics.json")))
            rows.append(row)
            print(f"latent {latent:3d} beta {beta:5g}: RMSE {row['test_rmse_uv']:.1f} uV, {row['n_active']} active, "
                  f"MIG {row.get('mig', float('nan')):.3f}, read-out R2 {row['readout_r2_mean']:.3f}")
    out = Path(args.output)
    write_json(out, {"config": args.config, "data": base.data.path, "rows": rows})
    save_figure(plot(rows), out.with_suffix(".png"))
    print(f"wrote {out} and {out.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
