"""The quickstart's model stage: a small VAE-SCAN trained on a cohort, and the figures of what it learned."""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd

from vaescan.config import load_config
from vaescan.data.dataset import DataConfig
from vaescan.io import read_json, write_json
from vaescan.models.run import read_run
from vaescan.models.run_configs import SCANRunConfig, VAERunConfig
from vaescan.models.scan import SCAN, SCANConfig
from vaescan.models.vae import VAEConfig
from vaescan.workflows.products import associate_run, generate_run, traverse_run
from vaescan.workflows.training import train_scan_run, train_vae_run

log = logging.getLogger("vaescan")


def quick_configs(data_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str]) -> tuple[VAERunConfig,
                                                                                                SCANRunConfig]:
    """Small, fast VAE and SCAN configs for a few hundred records (minutes on 2 CPU cores).

    The beta-VAE sees 125 Hz beats (``downsample`` 4) through three convolutions,
    8 factors, beta 2, z0..z2 anchored to the measured QRS, QT and T amplitude
    (:class:`~vaescan.models.vae.VAEConfig` ``anchor_features``); SCAN links every
    label, sex and age. Use the shipped
    ``configs/*_synthetic.yaml`` for the full-size model.

    Example
    -------
    >>> vae_cfg, scan_cfg = quick_configs("runs/synthetic", "runs/quick")
    >>> vae_cfg.vae.latent_dim, vae_cfg.output, scan_cfg.vae_run
    (8, 'runs/quick/vae', 'runs/quick/vae')
    """
    out = Path(out_dir)
    vae = VAEConfig(latent_dim=8, beta=2.0, warmup_epochs=5, downsample=4, channels=(16, 32, 64), hidden=128,
                    epochs=40, batch_size=64, lr=3e-3, anchor_features=("qrs_ms", "qt_ms", "t_amp_mv"))
    vae_cfg = VAERunConfig(output=str(out / "vae"), data=DataConfig(path=str(data_dir)), vae=vae)
    scan_cfg = SCANRunConfig(output=str(out / "scan"), vae_run=str(out / "vae"),
                             scan=SCANConfig(epochs=150, batch_size=64))
    return vae_cfg, scan_cfg


def _train_or_skip(train, config, folder: Path, kind: str, progress: bool) -> bool:
    """Train a run unless ``folder`` holds a finished one; an interrupted one is resumed. True if trained."""
    if (folder / "run.json").is_file():
        if read_run(folder, kind)["status"] == "done":
            log.info("%s run %s is done; skipping", kind, folder)
            return False
        train(config, folder, resume=True, progress=progress)
        return True
    train(config, folder, progress=progress)
    return True


def run_vae_scan(data_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str],
                 vae_config: VAERunConfig | str | os.PathLike[str] | None = None,
                 scan_config: SCANRunConfig | str | os.PathLike[str] | None = None, quick: bool = True,
                 jobs: int = 1, progress: bool = True, traversal_figures: int | None = None) -> dict:
    """Train VAE-SCAN on a cohort and draw what it learned; the quickstart's model stage.

    ``data_dir`` is a cohort with a ``split`` column (e.g. from ``vaescan synth``).
    Writes into ``out_dir``: ``vae/`` and ``scan/`` (run folders), ``traversal/``
    (:func:`traverse_run`; a figure for each active factor, or for the first ``traversal_figures``),
    ``associations/`` (:func:`associate_run`, test split)
    and ``generated/`` (:func:`generate_run`: LBBB=1, or the first label other
    than NORM, beside the NORM beat). Configs default to :func:`quick_configs`
    (``quick``) or to the full-size defaults; a config given as a path is read
    from that file, and its output, data path and VAE run are set to ``out_dir``
    and ``data_dir``. A finished stage is skipped and an interrupted one resumed,
    so calling it again continues where it stopped. ``jobs`` worker processes
    compute the median beats (cached for later calls). Returns a short summary of
    measured numbers (also written to ``summary.json``): test RMSE (uV), active
    factors, the linear read-out R2 of the true factors (mean and per factor) and
    MIG when the cohort has them, the test AUROC per label, the QRS (ms) of the
    generated and NORM beats, training seconds and the output paths.

    Example
    -------
    >>> summary = run_vae_scan("runs/synthetic_300", "runs/quickstart/vae_scan")  # doctest: +SKIP
    >>> summary["auroc"]["LBBB"], summary["generated_qrs_ms"]  # doctest: +SKIP
    """
    out = Path(out_dir)
    quick_vae, quick_scan = quick_configs(data_dir, out)
    if not quick:
        quick_vae = VAERunConfig(output=quick_vae.output, data=quick_vae.data)
        quick_scan = SCANRunConfig(output=quick_scan.output, vae_run=quick_scan.vae_run)
    if vae_config is None:
        vae_cfg = quick_vae
    else:
        vae_cfg = vae_config if isinstance(vae_config, VAERunConfig) else load_config(VAERunConfig, vae_config)
        vae_cfg = dataclasses.replace(vae_cfg, output=quick_vae.output,
                                      data=dataclasses.replace(vae_cfg.data, path=str(data_dir)))
    vae_cfg = dataclasses.replace(vae_cfg, data=dataclasses.replace(vae_cfg.data, jobs=jobs))
    if scan_config is None:
        scan_cfg = quick_scan
    else:
        scan_cfg = scan_config if isinstance(scan_config, SCANRunConfig) else load_config(SCANRunConfig, scan_config)
        scan_cfg = dataclasses.replace(scan_cfg, output=quick_scan.output, vae_run=quick_scan.vae_run,
                                       data=dataclasses.replace(scan_cfg.data, path=""))
    vae_run, scan_run = Path(vae_cfg.output), Path(scan_cfg.output)
    _train_or_skip(train_vae_run, vae_cfg, vae_run, "vae", progress)
    _train_or_skip(train_scan_run, scan_cfg, scan_run, "scan", progress)

    if not (out / "traversal" / "traversal_overview.png").is_file():
        traverse_run(scan_run, out / "traversal", figures=traversal_figures)
    if not (out / "associations" / "scan_weights.png").is_file():
        associate_run(scan_run, out / "associations", progress=progress)
    scan = SCAN.load(scan_run)
    labels = [c for c in scan.binary_names_ if c not in ("NORM", "sex")]
    label = "LBBB" if "LBBB" in labels else (labels[0] if labels else None)
    generated = None
    if label is not None:
        if not (out / "generated" / "features.csv").is_file():
            generate_run(scan_run, {label: 1.0}, out / "generated")
        generated = pd.read_csv(out / "generated" / "features.csv", index_col=0)

    vm, sm = read_json(vae_run / "metrics.json"), read_json(scan_run / "metrics.json")
    readout = {k: v for k, v in vm.get("readout_r2", {}).items() if np.isfinite(v)}
    summary = {
        "test_rmse_uv": vm["test_rmse_uv"], "n_active": vm["n_active"], "latent_dim": len(vm["kl_per_unit"]),
        "readout_r2_mean": float(np.mean(list(readout.values()))) if readout else None,
        "readout_r2": readout, "mig": vm.get("disentanglement", {}).get("mig"),
        "anchored_rho": {k: v["rho"] for k, v in vm.get("anchored_factor", {}).items()},
        "auroc": sm["auroc"], "generated_label": label,
        "generated_qrs_ms": None if generated is None else float(generated.loc["generated", "qrs_ms"]),
        "reference_qrs_ms": None if generated is None else float(generated.loc["reference", "qrs_ms"]),
        "vae_train_seconds": vm["train_seconds"], "scan_train_seconds": sm["train_seconds"],
        "paths": {"vae_run": str(vae_run), "scan_run": str(scan_run), "traversal": str(out / "traversal"),
                  "associations": str(out / "associations"), "generated": str(out / "generated")},
    }
    write_json(out / "summary.json", summary)
    return summary
