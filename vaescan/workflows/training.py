"""Training runs from configs: cohort -> model inputs (cached) -> train/val/test -> a run folder.

Every model family follows one template (:func:`train_from_data`): in a run folder
:mod:`vaescan.models.run` opened, load the cohort's inputs (median beats here,
whole signals or pages for :mod:`vaescan.workflows.blackbox`), fit on ``train``
(``val`` for validation), save the model (and pyro's parameters where it has
them), measure on the evaluation split (``test``, else ``val``, else ``train``),
and finish the run with its metrics, curves and curves figure.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from vaescan.analysis.model_metrics import scan_metrics, vae_metrics
from vaescan.config import load_config
from vaescan.data.beats import BeatSet
from vaescan.data.cohort import Cohort
from vaescan.data.dataset import CohortData, CohortInputs, load_data
from vaescan.errors import VaescanInputError
from vaescan.io import atomic_path
from vaescan.models.distributed import barrier, distributed_close, distributed_init, is_main
from vaescan.models.run import (
    CHECKPOINT_FILE,
    CONFIG_FILE,
    finish_run,
    marking_failure,
    require_done,
    save_param_store,
    start_run,
)
from vaescan.models.run_configs import SCANRunConfig, VAERunConfig, resolve_scan_config
from vaescan.models.scan import SCAN
from vaescan.models.train import resolve_device
from vaescan.models.vae import VAE
from vaescan.report.ecg_plots import plot_curves, save_figure

Split = tuple[BeatSet, pd.DataFrame]
"""Median beats of one split and the metadata rows they belong to."""


def _eval_split(data: CohortData | CohortInputs) -> str:
    for name in ("test", "val", "train"):
        if (data.cohort.metadata["split"] == name).any():
            return name
    return "train"


def open_run(folder: Path, kind: str, config: Any, device: str, **options: Any) -> Any:
    """:func:`~vaescan.models.run.start_run` under ``torchrun`` too: joins the process group (gloo on the CPU, nccl
    on CUDA), rank 0 opens the folder and the other ranks read the config it saved; ``options`` go to start_run.

    Example
    -------
    >>> import tempfile
    >>> run = Path(tempfile.mkdtemp()) / "run"
    >>> open_run(run, "vae", VAERunConfig(), "cpu").vae.epochs, (run / CONFIG_FILE).is_file()
    (60, True)
    """
    distributed_init(resolve_device(device))
    if is_main():
        config = start_run(folder, kind, config, **options)
    barrier()
    return config if is_main() else load_config(type(config), folder / CONFIG_FILE)


def train_from_data(folder: Path, load: Callable[[], CohortData | CohortInputs], source: str, *,
                    fit: Callable[[Any, Any, Any], Any], measure: Callable[[Any, Any, Any], dict], title: str,
                    params: Callable[[Any, Any], dict[str, torch.Tensor]] | None = None,
                    loss_label: str | None = None) -> Path:
    """The template of every training run, in a folder :func:`~vaescan.models.run.start_run` opened (see the
    module docstring). ``load()`` gives the cohort's data (anything with ``cohort``, ``skipped`` and
    ``split(name)`` -> (inputs, rows)); ``fit``, ``measure`` and ``params`` (pyro models: their parameter
    store) are the model family's own steps; ``source`` names the data in errors.

    Under ``torchrun`` every process loads the data (rank 0 first, filling the caches) and trains its shard;
    only rank 0 writes the folder and measures."""
    data = load() if is_main() else None
    barrier()  # under torchrun rank 0 fills the input caches first; the other ranks then read them
    data = data if data is not None else load()
    if is_main():
        with atomic_path(folder / "skipped.csv") as tmp:
            pd.DataFrame(data.skipped, columns=["record_id", "reason"]).to_csv(tmp, index=False)
    train = data.split("train")
    if not len(train[1]):
        raise VaescanInputError(source, "no usable 'train' records; training needs a cohort with a split column "
                                "(a vaescan cohort or PTB-XL)")
    model = fit(data, train, data.split("val"))
    # every rank done with its collectives before any leaves the group: a rank that left first once aborted the
    # other in gloo's teardown ('terminate called without an active exception', after the run was written)
    barrier()
    distributed_close()
    if not is_main():
        return folder
    model.save(folder)
    if params is not None:
        save_param_store(folder, params(model, train))
    split = _eval_split(data)
    metrics = measure(model, data, data.split(split))
    metrics.update(eval_split=split, n_skipped=len(data.skipped),
                   train_seconds=float(model.curves_["seconds"].sum()), epochs=len(model.curves_))
    finish_run(folder, metrics, model.curves_)
    figure = plot_curves(model.curves_, f"{title} ({folder.name})", **({"loss_label": loss_label} if loss_label
                                                                           else {}))
    save_figure(figure, folder / "curves.png")
    return folder


def clinical_columns(cohort: Cohort, binary: list[str] | None, continuous: list[str] | None,
                     where: str | os.PathLike[str], what: str) -> tuple[list[str], list[str]]:
    """A run config's clinical variables (None: the cohort's labels, its continuous variables), each checked to be
    a metadata column of ``cohort``; a missing one is a :class:`VaescanInputError` naming ``where`` and the
    ``what`` config.

    Example
    -------
    >>> from pathlib import Path
    >>> c = Cohort(Path("toy"), pd.DataFrame({"record_id": ["r1"], "record": ["r1"], "WIDE": [1], "age": [50.0]}),
    ...            label_names=["WIDE"], continuous_names=["age"])
    >>> clinical_columns(c, None, None, "toy", "SCAN")
    (['WIDE'], ['age'])
    >>> clinical_columns(c, ["LBBB"], None, "toy", "SCAN")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vaescan.errors.VaescanInputError: toy: the cohort has no column(s) ['LBBB'] (clinical variables of the SCAN ...
    """
    binary = list(cohort.label_names if binary is None else binary)
    continuous = list(cohort.continuous_names if continuous is None else continuous)
    missing = [c for c in binary + continuous if c not in cohort.metadata.columns]
    if missing:
        raise VaescanInputError(where, f"the cohort has no column(s) {missing} (clinical variables of the {what} "
                                f"config); columns: {list(cohort.metadata.columns)}")
    return binary, continuous


def train_vae_run(config: VAERunConfig, output: str | os.PathLike[str] | None = None, *, resume: bool = False,
                  force: bool = False, progress: bool = True,
                  overrides: Callable[[VAERunConfig], VAERunConfig] | None = None) -> Path:
    """Train the beta-VAE of ``config`` into a run folder and measure it; returns the folder.

    ``resume`` continues the folder's run with its saved config, changed by
    ``overrides`` (e.g. more epochs); a run that raises is marked ``failed``.

    ``metrics.json`` holds the reconstruction RMSE (uV), the KL per factor and
    the active factors, the training time, and on a cohort with ground-truth
    factors the linear read-out R2, the best single factor per true factor and
    MIG/DCI/SAP (:func:`vaescan.analysis.model_metrics.vae_metrics`, on the test split).

    Example
    -------
    >>> from vaescan.config import load_config
    >>> run = train_vae_run(load_config(VAERunConfig, "configs/vae_synthetic.yaml"))  # doctest: +SKIP
    """
    folder = Path(output or config.output)
    config = open_run(folder, "vae", config, config.vae.device, resume=resume, force=force, data=config.data.path,
                      overrides=overrides)
    progress = progress and is_main()

    def fit(data: CohortData, train: Split, val: Split) -> VAE:
        return VAE(config.vae).fit(train[0], val[0], checkpoint=folder / CHECKPOINT_FILE, resume=resume,
                                   progress=progress)

    def measure(vae: VAE, data: CohortData, evaluation: Split) -> dict:
        factors = data.cohort.factor_names
        train, train_rows = data.split("train")
        metrics = vae_metrics(vae, train, evaluation[0],
                              train_rows[factors] if factors else None, evaluation[1][factors] if factors else None,
                              seed=config.vae.seed)
        metrics.update(device=str(vae.device_), torch_threads=torch.get_num_threads())
        return metrics

    with marking_failure(folder):
        return train_from_data(folder, lambda: load_data(config.data, progress), config.data.path, fit=fit,
                               params=lambda vae, train: vae.param_store(train[0]), measure=measure,
                               title="beta-VAE")


def train_scan_run(config: SCANRunConfig, output: str | os.PathLike[str] | None = None, *,
                   resume: bool = False, force: bool = False, progress: bool = True,
                   overrides: Callable[[SCANRunConfig], SCANRunConfig] | None = None) -> Path:
    """Train SCAN over the frozen VAE of ``config.vae_run`` into a run folder and measure it; returns the folder.

    The SCAN run keeps a copy of the VAE, so it predicts and generates on its
    own. ``metrics.json`` holds the test AUROC per binary variable, R2/MAE per
    continuous one, and the measured features of the beat generated for each
    binary variable (:func:`vaescan.analysis.model_metrics.scan_metrics`).

    Example
    -------
    >>> from vaescan.config import load_config
    >>> run = train_scan_run(load_config(SCANRunConfig, "configs/scan_synthetic.yaml"))  # doctest: +SKIP
    """
    folder = Path(output or config.output)
    if not resume:
        config = resolve_scan_config(config)
    config = open_run(folder, "scan", config, config.scan.device, resume=resume, force=force, data=config.data.path,
                      overrides=overrides)
    progress = progress and is_main()
    columns: list[str] = []

    def fit(data: CohortData, train: Split, val: Split) -> SCAN:
        require_done(config.vae_run, ("vae",))
        vae = VAE.load(config.vae_run, device=config.scan.device)
        binary, continuous = clinical_columns(data.cohort, config.binary, config.continuous, config.data.path,
                                              "SCAN")
        columns.extend(binary + continuous)
        return SCAN(vae, config.scan).fit(
            train[0], train[1][columns], val=(val[0], val[1][columns]) if val[0].record_ids else None,
            binary=binary, continuous=continuous, checkpoint=folder / CHECKPOINT_FILE, resume=resume,
            progress=progress)

    def measure(scan: SCAN, data: CohortData, evaluation: Split) -> dict:
        metrics = scan_metrics(scan, evaluation[0], evaluation[1][columns])
        metrics.update(vae_run=str(config.vae_run))
        return metrics

    with marking_failure(folder):
        return train_from_data(folder, lambda: load_data(config.data, progress), config.data.path, fit=fit,
                               params=lambda scan, train: scan.param_store(train[0], train[1][columns]),
                               measure=measure, title="SCAN")
