"""Black-box training runs: cohort -> whole signals or page images (cached) -> a residual CNN -> a run folder.

The same template as the VAE and SCAN runs (:func:`vaescan.workflows.training.train_from_data`),
run kind ``blackbox``: config, weights (``blackbox_weights.pt``, loaded with
``weights_only=True``), ``blackbox.json``, a checkpoint per epoch or every N steps (``--resume``),
``curves.csv``/``curves.png``, ``skipped.csv`` and ``metrics.json`` (test AUROC and
AUPRC per label, R2 and MAE of age, training time, parameters).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from vaescan.analysis.model_metrics import blackbox_metrics
from vaescan.data.cohort_beats import beats_cohort
from vaescan.data.dataset import CohortInputs, open_cohort
from vaescan.data.signals import cohort_signals
from vaescan.models.blackbox import BlackBox
from vaescan.models.distributed import is_main
from vaescan.models.run import CHECKPOINT_FILE, marking_failure
from vaescan.models.run_configs import BlackBoxRunConfig
from vaescan.workflows.training import clinical_columns, open_run, train_from_data

Split = tuple[np.ndarray, pd.DataFrame]
"""Model inputs of one split and the metadata rows they belong to."""


def load_inputs(config: BlackBoxRunConfig, progress: bool = True) -> CohortInputs:
    """The cohort of ``config`` as model inputs: signals (records, 12, samples) or page images (records, 1, H, W),
    computed once and then read from the cache, with the metadata rows they belong to. With
    ``config.data.shard_size`` the signals or pages are shards on disk
    (:class:`~vaescan.data.shards.ShardedArray`), streamed by training.

    Example
    -------
    >>> from vaescan.data.dataset import DataConfig
    >>> data = load_inputs(BlackBoxRunConfig(data=DataConfig(path="runs/synthetic")))  # doctest: +SKIP
    >>> x, rows = data.split("train")  # doctest: +SKIP
    """
    cohort = open_cohort(config.data, progress)
    options = dict(cache_dir=config.data.cache_dir or None, jobs=config.data.jobs, progress=progress)
    if config.input == "signal":
        signals = cohort_signals(cohort, config.signal, shard_size=config.data.shard_size, **options)
        return CohortInputs(beats_cohort(cohort, signals), signals.signals, list(signals.skipped))
    from vaescan.pages.model_input import cohort_page_images, cohort_page_inputs

    if config.data.shard_size:
        images, skipped = cohort_page_images(cohort, config.image, shard_size=config.data.shard_size, **options)
        return CohortInputs(beats_cohort(cohort, images), images, skipped)
    pages = cohort_page_inputs(cohort, config.image, **options)
    return CohortInputs(beats_cohort(cohort, pages), pages.images, list(pages.skipped))


def train_blackbox_run(config: BlackBoxRunConfig, output: str | os.PathLike[str] | None = None, *,
                       resume: bool = False, force: bool = False, progress: bool = True,
                       overrides: Callable[[BlackBoxRunConfig], BlackBoxRunConfig] | None = None) -> Path:
    """Train the black-box classifier of ``config`` into a run folder and measure it; returns the folder.

    ``resume`` continues the folder's run with its saved config, changed by
    ``overrides`` (e.g. more epochs); a run that raises is marked ``failed``.

    Example
    -------
    >>> from vaescan.config import load_config
    >>> config = load_config(BlackBoxRunConfig, "configs/blackbox_signal_synthetic.yaml")  # doctest: +SKIP
    >>> run = train_blackbox_run(config)  # doctest: +SKIP
    """
    folder = Path(output or config.output)
    config = open_run(folder, "blackbox", config, config.model.device, resume=resume, force=force,
                      data=config.data.path, overrides=overrides)
    progress = progress and is_main()

    def fit(data: CohortInputs, train: Split, val: Split) -> BlackBox:
        binary, continuous = clinical_columns(data.cohort, config.binary, config.continuous, config.data.path,
                                              "black-box")
        return BlackBox(config.model).fit(
            train[0], train[1], binary=binary, continuous=continuous, val=val if len(val[1]) else None,
            checkpoint=folder / CHECKPOINT_FILE, resume=resume, progress=progress)

    def measure(model: BlackBox, data: CohortInputs, evaluation: Split) -> dict:
        metrics = blackbox_metrics(model, *evaluation)
        metrics.update(input=config.input, device=str(model.device_), torch_threads=torch.get_num_threads())
        return metrics

    with marking_failure(folder):
        return train_from_data(folder, lambda: load_inputs(config, progress), config.data.path, fit=fit,
                               measure=measure, title=f"black box ({config.input})",
                               loss_label="BCE + weighted squared error per record")
