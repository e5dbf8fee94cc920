"""``vaescan predict``: a finished run's predictions for every record of a cohort or folder.

A run's ``kind`` selects its predictor (:data:`PREDICTORS`); each predictor turns
a cohort into one row of predictions per record and, where the model has them,
per-factor contributions.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from vaescan.config import load_config
from vaescan.data.beats import BeatConfig
from vaescan.data.cohort import Cohort
from vaescan.data.cohort_beats import cohort_beats
from vaescan.data.sources import load_cohort
from vaescan.errors import VaescanInputError
from vaescan.io import atomic_path
from vaescan.models.run import CONFIG_FILE, require_done
from vaescan.models.run_configs import SCANRunConfig
from vaescan.models.scan import SCAN


class RunPredictor(Protocol):
    """What ``vaescan predict`` needs from a trained run of any kind."""

    def predict_cohort(self, cohort: Cohort, *, jobs: int = 1, progress: bool = True,
                       cache_dir: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """Predictions (one row per record, ``record_id`` first) and per-factor contributions (long) or None."""


class SCANPredictor:
    """``vaescan predict`` for SCAN runs: median beats -> probabilities, predictions and per-factor contributions."""

    def __init__(self, scan: SCAN, beat_config: BeatConfig):
        self.scan = scan
        self.beat_config = beat_config

    @classmethod
    def load(cls, folder: Path) -> SCANPredictor:
        """The predictor of a finished SCAN run folder."""
        config = load_config(SCANRunConfig, folder / CONFIG_FILE)
        return cls(SCAN.load(folder), config.data.beats)

    def predict_cohort(self, cohort: Cohort, *, jobs: int = 1, progress: bool = True,
                       cache_dir: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Predictions per record (``prob_<label>``, ``pred_<variable>``; skipped records with their reason)
        and contributions per record and output (``z0``.. ``intercept``, ``total`` = logit or prediction)."""
        beats = cohort_beats(cohort, self.beat_config, cache_dir=cache_dir, jobs=jobs, progress=progress)
        scan = self.scan
        pred = scan.predict(beats)
        nb = len(scan.binary_names_)
        pred.columns = [f"prob_{c}" for c in scan.binary_names_] + [f"pred_{c}" for c in scan.continuous_names_]
        pred.insert(0, "record_id", beats.record_ids)
        pred["skipped"] = ""
        skipped = pd.DataFrame({"record_id": [r for r, _ in beats.skipped], "skipped": [w for _, w in beats.skipped]})
        order = {rid: i for i, rid in enumerate(cohort.metadata["record_id"].astype(str))}
        preds = pd.concat([pred, skipped], ignore_index=True)
        preds = preds.iloc[np.argsort([order.get(r, len(order)) for r in preds.record_id], kind="stable")]
        contrib = scan.explain(beats)
        k = contrib.shape[2] - 1
        rows = pd.DataFrame(contrib.reshape(-1, k + 1), columns=[f"z{i}" for i in range(k)] + ["intercept"])
        rows.insert(0, "record_id", np.repeat(beats.record_ids, len(scan.output_names_)))
        rows.insert(1, "output", np.tile(scan.output_names_, len(beats.record_ids)))
        rows.insert(2, "scale", np.tile(["logit"] * nb + ["value"] * (len(scan.output_names_) - nb),
                                        len(beats.record_ids)))
        rows["total"] = contrib.sum(-1).reshape(-1)
        return preds.reset_index(drop=True), rows


PREDICTORS: dict[str, type] = {"scan": SCANPredictor}
"""Run kind -> predictor class with a ``load(folder)`` classmethod returning a :class:`RunPredictor`."""


def load_predictor(folder: str | os.PathLike[str]) -> RunPredictor:
    """The predictor of a finished run, by its ``kind`` (see :data:`PREDICTORS`).

    Example
    -------
    >>> predictor = load_predictor("runs/scan1")  # doctest: +SKIP
    """
    info = require_done(folder)
    predictor = PREDICTORS.get(info["kind"])
    if predictor is None:
        raise VaescanInputError(folder, f"a {info['kind']} run makes no clinical predictions; runs that do: "
                                f"{sorted(PREDICTORS)}")
    return predictor.load(Path(folder))


def predict_run(run: str | os.PathLike[str], path: str | os.PathLike[str], output: str | os.PathLike[str], *,
                jobs: int = 1, ptbxl_rate: int = 500, cache_dir: str | None = None,
                progress: bool = True) -> tuple[Path, Path | None]:
    """Predict every record under ``path`` with a finished run; writes ``output`` and ``<stem>_contributions.csv``.

    Example
    -------
    >>> predict_run("runs/scan1", "data/new_ecgs", "preds.csv")  # doctest: +SKIP
    """
    predictor = load_predictor(run)
    cohort = load_cohort(path, sampling_rate=ptbxl_rate)
    preds, contributions = predictor.predict_cohort(cohort, jobs=jobs, progress=progress, cache_dir=cache_dir)
    out = Path(output)
    with atomic_path(out) as tmp:
        preds.to_csv(tmp, index=False, float_format="%.6g")
    if contributions is None:
        return out, None
    contrib_path = out.with_name(f"{out.stem}_contributions.csv")
    with atomic_path(contrib_path) as tmp:
        contributions.to_csv(tmp, index=False, float_format="%.6g")
    return out, contrib_path
