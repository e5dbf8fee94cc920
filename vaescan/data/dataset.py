"""A cohort as training data: where its records come from, and its median beats split by the ``split`` column.

:class:`DataConfig` is the ``data:`` part of every run config; :func:`load_data`
opens the cohort (simulating the synthetic one first if asked) and returns its
median beats (cached) with the metadata rows they belong to; :class:`CohortInputs`
holds any other per-record model input (whole signals, page images) the same way.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from vaescan.config import Limit, at_least, check_limits, one_of
from vaescan.data.beats import BeatConfig, BeatSet
from vaescan.data.cohort import Cohort
from vaescan.data.cohort_beats import beat_row, beats_cohort, cohort_beats
from vaescan.data.shards import sharded_cohort
from vaescan.data.sources import load_cohort
from vaescan.errors import VaescanInputError

log = logging.getLogger("vaescan")


@dataclass
class DataConfig:
    """Where a run's records come from and how they become median beats.

    path: a vaescan cohort folder, a PTB-XL release or a folder of WFDB records.
    ptbxl_rate: which PTB-XL records to read (100 or 500 Hz).
    simulate_n: if > 0 and ``path`` holds no cohort yet, simulate a synthetic cohort of this many records there.
    simulate_seed: seed of that simulation.
    cache_dir: where median beats are cached ("" = the default user cache, see :mod:`vaescan.data.cohort_beats`).
    jobs: worker processes for the median beats.
    shard_size: 0 (default) keeps the model inputs in memory (cached as one ``.npz``); above 0 they are
        written as shards of this many records on disk, computed by ``jobs`` workers, resumable per shard, and
        training streams them a batch at a time (:mod:`vaescan.data.shards`), for data larger than memory.
    beats: median-beat settings.
    """

    path: str = ""
    ptbxl_rate: int = 500
    simulate_n: int = 0
    simulate_seed: int = 0
    cache_dir: str = ""
    jobs: int = 1
    shard_size: int = 0
    beats: BeatConfig = field(default_factory=BeatConfig)

    LIMITS: ClassVar[dict[str, Limit]] = {
        "ptbxl_rate": one_of(100, 500), "simulate_n": at_least(0, 1_000_000), "simulate_seed": at_least(0, 2**32 - 1),
        "jobs": at_least(1, 1024), "shard_size": at_least(0, 100_000_000),
    }

    def __post_init__(self) -> None:
        check_limits(self)


@dataclass
class CohortData:
    """Median beats of a cohort and the metadata rows they belong to (row i describes beat i)."""

    cohort: Cohort
    beats: BeatSet

    def split(self, name: str) -> tuple[BeatSet, pd.DataFrame]:
        """Beats and metadata rows of one split (``train``, ``val`` or ``test``)."""
        mask = (self.cohort.metadata["split"] == name).to_numpy()
        b = self.beats
        subset = BeatSet(b.beats[mask], [r for r, m in zip(b.record_ids, mask) if m], b.fs, b.window_ms)
        return subset, self.cohort.metadata[mask].reset_index(drop=True)

    @property
    def skipped(self) -> list[tuple[str, str]]:
        """(record id, reason) of the records that gave no median beat."""
        return self.beats.skipped


@dataclass
class CohortInputs:
    """Model inputs of a cohort, one row per metadata row (``inputs[i]`` is ``cohort.metadata`` row i),
    and the records left out with their reasons.

    Example
    -------
    >>> from vaescan.data.cohort import Cohort
    >>> meta = pd.DataFrame({"record_id": ["a", "b"], "split": ["train", "test"]})
    >>> data = CohortInputs(Cohort(".", meta), np.zeros((2, 12, 100), np.float32), [("c", "flat lead")])
    >>> x, rows = data.split("train")
    >>> x.shape, rows.record_id.tolist()
    ((1, 12, 100), ['a'])
    """

    cohort: Cohort
    inputs: np.ndarray
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def split(self, name: str) -> tuple[np.ndarray, pd.DataFrame]:
        """Inputs and metadata rows of one split (``train``, ``val`` or ``test``)."""
        mask = (self.cohort.metadata["split"] == name).to_numpy()
        return self.inputs[mask], self.cohort.metadata[mask].reset_index(drop=True)


def open_cohort(data: DataConfig, progress: bool = True) -> Cohort:
    """Open the cohort of a data config, simulating the synthetic cohort first if asked and missing.

    Example
    -------
    >>> cohort = open_cohort(DataConfig(path="runs/synthetic", simulate_n=500))  # doctest: +SKIP
    """
    if not data.path:
        raise VaescanInputError(None, "no data path given (--data DIR or data.path in the config)")
    path = Path(data.path)
    if data.simulate_n > 0 and not (path / "metadata.csv").is_file():
        from vaescan.data.synth import simulate_cohort

        log.info("simulating a synthetic cohort of %d records (seed %d) in %s", data.simulate_n,
                 data.simulate_seed, path)
        simulate_cohort(data.simulate_n, data.simulate_seed, path, progress=progress)
    return load_cohort(path, sampling_rate=data.ptbxl_rate)


def load_data(data: DataConfig, progress: bool = True) -> CohortData:
    """The cohort of ``data`` and its median beats (computed once, then read from the cache; with
    ``data.shard_size`` as shards on disk, ``beats.beats`` a :class:`~vaescan.data.shards.ShardedArray`).

    Example
    -------
    >>> d = load_data(DataConfig(path="runs/synthetic"))  # doctest: +SKIP
    >>> train_beats, train_rows = d.split("train")  # doctest: +SKIP
    """
    cohort = open_cohort(data, progress)
    if data.shard_size > 0:
        rows = sharded_cohort(cohort, data.beats, "beats", functools.partial(beat_row, data.beats),
                              shard_size=data.shard_size, cache_dir=data.cache_dir or None, jobs=data.jobs,
                              progress=progress)
        beats = BeatSet(rows, rows.record_ids, data.beats.fs, data.beats.window_ms, rows.skipped)  # type: ignore
    else:
        beats = cohort_beats(cohort, data.beats, cache_dir=data.cache_dir or None, jobs=data.jobs,
                             progress=progress)
    return CohortData(beats_cohort(cohort, beats), beats)
