"""``vaescan predict``: a finished run's predictions for every record of a cohort or folder.

A run's ``kind`` selects its predictor (:data:`PREDICTORS`); each predictor turns
a cohort into one row of predictions per record and, where the model has them,
per-factor contributions. An image black box also predicts page images (a file or
a folder of them), one row per image.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from vaescan.batch import run_batch
from vaescan.config import load_config
from vaescan.data.beats import BeatConfig
from vaescan.data.cohort import Cohort
from vaescan.data.cohort_beats import cohort_beats
from vaescan.data.signals import cohort_signals
from vaescan.data.sources import load_cohort
from vaescan.errors import VaescanInputError
from vaescan.io import atomic_path
from vaescan.models.blackbox import BlackBox
from vaescan.models.run import CONFIG_FILE, require_done
from vaescan.models.run_configs import BlackBoxRunConfig, SCANRunConfig
from vaescan.models.scan import SCAN
from vaescan.pages.image import image_paths


class RunPredictor(Protocol):
    """What ``vaescan predict`` needs from a trained run of any kind."""

    def predict_cohort(self, cohort: Cohort, *, jobs: int = 1, progress: bool = True,
                       cache_dir: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """Predictions (one row per record, ``record_id`` first) and per-factor contributions (long) or None."""


def prediction_table(pred: pd.DataFrame, record_ids: list[str], skipped: list[tuple[str, str]],
                     binary: list[str], order: list[str] | None = None) -> pd.DataFrame:
    """One row per record: ``record_id``, ``prob_<label>``, ``pred_<variable>``, ``skipped`` (the reason, or empty).

    ``pred`` holds the model's outputs (probabilities, then continuous values) of ``record_ids``; the
    ``skipped`` records get empty predictions and their reason; rows follow ``order`` (ids) if given.

    Example
    -------
    >>> pred = pd.DataFrame({"LBBB": [0.9], "age": [61.0]})
    >>> prediction_table(pred, ["b"], [("a", "flat lead")], ["LBBB"], order=["a", "b"]).to_dict("list")
    {'record_id': ['a', 'b'], 'prob_LBBB': [nan, 0.9], 'pred_age': [nan, 61.0], 'skipped': ['flat lead', '']}
    """
    pred = pred.copy()
    pred.columns = [f"prob_{c}" if c in binary else f"pred_{c}" for c in pred.columns]
    pred.insert(0, "record_id", record_ids)
    pred["skipped"] = ""
    rows = pd.DataFrame({"record_id": [r for r, _ in skipped], "skipped": [w for _, w in skipped]})
    preds = pd.concat([pred, rows], ignore_index=True) if len(rows) else pred
    if order is not None:
        index = {rid: i for i, rid in enumerate(order)}
        preds = preds.iloc[np.argsort([index.get(r, len(index)) for r in preds.record_id], kind="stable")]
    return preds.reset_index(drop=True)


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
        nb = len(scan.binary_names_)
        preds = prediction_table(scan.predict(beats), beats.record_ids, beats.skipped, scan.binary_names_,
                                 cohort.metadata["record_id"].astype(str).tolist())
        contrib = scan.explain(beats)
        k = contrib.shape[2] - 1
        rows = pd.DataFrame(contrib.reshape(-1, k + 1), columns=[f"z{i}" for i in range(k)] + ["intercept"])
        rows.insert(0, "record_id", np.repeat(beats.record_ids, len(scan.output_names_)))
        rows.insert(1, "output", np.tile(scan.output_names_, len(beats.record_ids)))
        rows.insert(2, "scale", np.tile(["logit"] * nb + ["value"] * (len(scan.output_names_) - nb),
                                        len(beats.record_ids)))
        rows["total"] = contrib.sum(-1).reshape(-1)
        return preds, rows


class BlackBoxPredictor:
    """``vaescan predict`` for black-box runs: records (as signals or rendered pages) or page images ->
    probabilities and predictions (no per-factor contributions: see ``vaescan explain``)."""

    def __init__(self, model: BlackBox, config: BlackBoxRunConfig):
        self.model = model
        self.config = config

    @classmethod
    def load(cls, folder: Path) -> BlackBoxPredictor:
        """The predictor of a finished black-box run folder."""
        return cls(BlackBox.load(folder), load_config(BlackBoxRunConfig, folder / CONFIG_FILE))

    @property
    def reads_images(self) -> bool:
        """Whether the model reads page images (then ``predict_images`` serves image files)."""
        return self.config.input == "image"

    def predict_cohort(self, cohort: Cohort, *, jobs: int = 1, progress: bool = True,
                       cache_dir: str | None = None) -> tuple[pd.DataFrame, None]:
        """Predictions per record (``prob_<label>``, ``pred_<variable>``; skipped records with their reason)."""
        options = dict(cache_dir=cache_dir, jobs=jobs, progress=progress)
        if self.config.input == "signal":
            found = cohort_signals(cohort, self.config.signal, **options)
            inputs = found.signals
        else:
            from vaescan.pages.model_input import cohort_page_inputs

            found = cohort_page_inputs(cohort, self.config.image, **options)
            inputs = found.images
        return prediction_table(self.model.predict(inputs), list(found.record_ids), list(found.skipped),
                                self.model.binary_names_, cohort.metadata["record_id"].astype(str).tolist()), None

    def predict_images(self, paths: list[Path], *, jobs: int = 1, progress: bool = True) -> pd.DataFrame:
        """Predictions per page image (``record_id`` = the file's path); unreadable images listed as skipped."""
        from vaescan.pages.model_input import image_file_input

        result = run_batch(paths, functools.partial(image_file_input, config=self.config.image), desc="page images",
                           jobs=jobs, progress=progress)
        inputs = np.stack([x for _, x in result.done]) if result.done else None
        pred = self.model.predict(inputs) if inputs is not None else pd.DataFrame(columns=self.model.output_names_)
        return prediction_table(pred, [str(p) for p, _ in result.done], [(str(p), w) for p, w in result.skipped],
                                self.model.binary_names_, [str(p) for p in paths])


PREDICTORS: dict[str, type] = {"scan": SCANPredictor, "blackbox": BlackBoxPredictor}
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
    images = image_paths(path) if getattr(predictor, "reads_images", False) else []
    if images:
        preds, contributions = predictor.predict_images(images, jobs=jobs, progress=progress), None
    else:
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
