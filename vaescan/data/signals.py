"""Whole records as the black-box models see them: cleaned, resampled 12-lead signals of a fixed duration.

:func:`record_signal` cleans a record exactly as the median beats are cleaned
(:func:`vaescan.data.beats.ecg_clean`: 0.5 Hz high-pass and a mains notch, at the
cleaning rate of ``SignalConfig.clean``), resamples it to ``SignalConfig.fs``
and crops or zero-pads it to ``duration_s``. :func:`cohort_signals` does so for
every record of a cohort, caches the result as a ``.npz`` beside the median
beats (:mod:`vaescan.data.cohort_beats`, under ``signals/``) and lists the records
it had to skip with their reasons.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

from vaescan.config import Limit, above, check_limits
from vaescan.data.beats import BeatConfig, check_signal, ecg_clean, signal_resample
from vaescan.data.cohort import Cohort
from vaescan.data.cohort_beats import cached_cohort, cohort_batch
from vaescan.data.leads import LEADS
from vaescan.data.records import Record, read_record
from vaescan.data.shards import sharded_cohort
from vaescan.errors import VaescanInputError
from vaescan.io import load_npz, save_npz


@dataclass(frozen=True)
class SignalConfig:
    """How a record becomes a model input.

    fs: sampling rate the model sees, Hz.
    duration_s: seconds kept from the start of the record (shorter records are zero-padded at the end).
    clean: the cleaning settings (the median beats' :class:`~vaescan.data.beats.BeatConfig`: the rate the
        filters run at, the mains frequency, the flat-lead and minimum-duration checks).
    """

    fs: float = 100.0
    duration_s: float = 10.0
    clean: BeatConfig = field(default_factory=BeatConfig)

    LIMITS: ClassVar[dict[str, Limit]] = {"fs": above(0, 100_000), "duration_s": above(0, 3600)}

    def __post_init__(self) -> None:
        check_limits(self)

    @property
    def n_samples(self) -> int:
        """Samples per lead of a model input."""
        return max(1, int(round(self.duration_s * self.fs)))


def record_signal(record: Record, config: SignalConfig = SignalConfig()) -> np.ndarray:
    """The cleaned record at ``config.fs``, cropped or zero-padded to ``duration_s``: (12, samples) float32 mV.

    Raises :class:`~vaescan.errors.VaescanInputError` (naming the record) for a record the median
    beats would refuse too: missing leads, NaN samples, a flat lead, too short.

    Example
    -------
    >>> t = np.arange(5000) / 500.0
    >>> rec = Record(np.column_stack([np.sin(2 * np.pi * 1.2 * t)] * 12), 500.0, list(LEADS))
    >>> x = record_signal(rec, SignalConfig(fs=100.0, duration_s=12.0))
    >>> x.shape, x.dtype, bool(np.all(x[:, 1000:] == 0))  # 10 s of signal, then 2 s of padding
    ((12, 1200), dtype('float32'), True)
    """
    check_signal(record, config.clean)
    cleaned = signal_resample(ecg_clean(record, config.clean), config.clean.fs, config.fs)
    out = np.zeros((len(LEADS), config.n_samples), dtype=np.float32)
    n = min(config.n_samples, cleaned.shape[0])
    out[:, :n] = cleaned[:n].T
    return out


@dataclass
class SignalSet:
    """Model inputs of many records: ``signals`` (records, 12, samples) float32 mV at ``fs`` Hz.

    ``record_ids`` name the rows; ``skipped`` lists (record id, reason) of the records left out.

    Example
    -------
    >>> s = SignalSet(np.zeros((2, 12, 1000), np.float32), ["a", "b"], 100.0)
    >>> s.signals.shape, s.skipped
    ((2, 12, 1000), [])
    """

    signals: np.ndarray
    record_ids: list[str]
    fs: float
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the set as a compressed ``.npz`` (atomic, no pickles)."""
        return save_npz(path, signals=self.signals.astype(np.float32), record_ids=np.array(self.record_ids, dtype=str),
                        fs=np.float64(self.fs), skipped=np.array([f"{r}\t{why}" for r, why in self.skipped], dtype=str))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SignalSet:
        """Read a set written by :meth:`save`."""
        data = load_npz(path)
        missing = [k for k in ("signals", "record_ids", "fs") if k not in data]
        if missing:
            raise VaescanInputError(path, f"not a vaescan signals file (missing {missing})")
        skipped = [tuple(s.split("\t", 1)) for s in data.get("skipped", np.array([], dtype=str)).tolist()]
        return cls(data["signals"], data["record_ids"].tolist(), float(data["fs"]), skipped)  # type: ignore[arg-type]


def _signal_item(config: SignalConfig, item: tuple[str, Path]) -> np.ndarray:
    """Model input of a (record id, path) item (module level so worker processes can run it); errors name the file."""
    try:
        return record_signal(read_record(item[1]), config)
    except VaescanInputError as exc:
        raise VaescanInputError(item[1], exc.problem) from None


def cohort_signals(cohort: Cohort, config: SignalConfig = SignalConfig(), *,
                   cache_dir: str | os.PathLike[str] | None = None, use_cache: bool = True, jobs: int = 1,
                   progress: bool = True, shard_size: int = 0) -> SignalSet:
    """:func:`record_signal` of every record of ``cohort`` in metadata order; bad records listed in ``skipped``.

    Cached in ``<cache_dir>/signals/<key>.npz`` (keyed by the settings and every record file's size and
    time, :func:`~vaescan.data.cohort_beats.cohort_cache_key`). With ``shard_size`` > 0 the signals are
    written instead as shards of that many records on disk, resumable per shard
    (:func:`~vaescan.data.shards.sharded_cohort`), and ``signals`` is a
    :class:`~vaescan.data.shards.ShardedArray` that reads them on demand. Raises
    :class:`~vaescan.errors.VaescanInputError` when no record is usable.

    Example
    -------
    >>> import tempfile
    >>> from vaescan.data.synth import simulate_cohort
    >>> cohort = simulate_cohort(3, seed=0, out_dir=tempfile.mkdtemp(), progress=False)
    >>> s = cohort_signals(cohort, use_cache=False, progress=False)
    >>> s.signals.shape, s.record_ids == cohort.metadata.record_id.tolist()
    ((3, 12, 1000), True)
    """
    if shard_size > 0:
        rows = sharded_cohort(cohort, config, "signals", functools.partial(_signal_item, config),
                              shard_size=shard_size, cache_dir=cache_dir, jobs=jobs, progress=progress)
        return SignalSet(rows, rows.record_ids, config.fs, rows.skipped)  # type: ignore[arg-type]

    def compute() -> SignalSet:
        done, skipped = cohort_batch(cohort, functools.partial(_signal_item, config), what="a usable signal",
                                     desc="signals", jobs=jobs, progress=progress)
        stacked = np.stack([x for _, x in done])
        return SignalSet(stacked, [rid for rid, _ in done], config.fs, skipped)

    return cached_cohort(cohort, config, "signals", compute, SignalSet.load, SignalSet.save, cache_dir=cache_dir,
                         use_cache=use_cache)
