"""Synthetic cohorts in memory (:func:`simulate_records`) and on disk (:func:`simulate_cohort`).

On disk a cohort is a vaescan cohort folder that :func:`vaescan.data.sources.load_cohort`
reads like PTB-XL::

    DIR/records/00001.hea, 00001.dat, ...   WFDB, 12 leads, 16-bit at 1 uV
    DIR/metadata.csv                        one row per record: standard columns, labels, ground truth
    DIR/cohort.json                         which columns are labels, continuous variables, factors
    DIR/synth_config.json                   the SynthConfig (load it with load_config to re-run)

Splits are assigned by record number so that every prefix of the cohort has the
configured fractions as nearly as integers allow (records are independent
draws, so this is a random split). Every record is its own patient.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from vaescan import __version__
from vaescan.batch import run_batch
from vaescan.config import config_to_dict, save_config
from vaescan.data.cohort import SPLITS, Cohort, read_cohort, write_cohort
from vaescan.data.records import Record, write_record
from vaescan.data.synth.clinical import LABEL_DESCRIPTIONS, LABELS
from vaescan.data.synth.config import SynthConfig
from vaescan.data.synth.record import FACTORS, NOISE_COLUMNS, SUBTYPE_COLUMNS, TRUE_LABEL_COLUMNS, simulate_record
from vaescan.errors import VaescanError, VaescanInputError

RECORDS_DIR = "records"
CONFIG_FILE = "synth_config.json"
_OWNED = (RECORDS_DIR, "metadata.csv", "cohort.json", CONFIG_FILE)


def split_sequence(n: int, fractions: tuple[float, float, float] = (0.7, 0.15, 0.15)) -> list[str]:
    """Split of records 0..n-1: each goes to the split furthest below its target share so far.

    Example
    -------
    >>> split_sequence(10)
    ['train', 'train', 'val', 'train', 'test', 'train', 'train', 'train', 'val', 'train']
    """
    target = np.asarray(fractions, dtype=np.float64)
    counts = np.zeros(len(SPLITS))
    out = []
    for i in range(1, n + 1):
        j = int(np.argmax(target * i - counts))
        counts[j] += 1
        out.append(SPLITS[j])
    return out


def _row(index: int, seed: int, split: str, truth: dict) -> dict:
    rid = f"{index + 1:05d}"
    return {"record_id": rid, "record": f"{RECORDS_DIR}/{rid}", "patient_id": rid,
            "age": truth["age"], "sex": truth["sex"], "split": split,
            **{k: v for k, v in truth.items() if k not in ("age", "sex")}, "seed": int(seed)}


def simulate_records(n: int, seed: int, config: SynthConfig = SynthConfig()) -> Iterator[tuple[Record, dict]]:
    """Yield ``n`` synthetic records with their ground-truth rows, in memory.

    Each row is exactly the record's ``metadata.csv`` row in a cohort written by
    :func:`simulate_cohort` with the same ``seed`` and ``config``: standard columns
    (``record_id, record, patient_id, age, sex, split``), the 0/1 labels
    :data:`~vaescan.data.synth.clinical.LABELS`, the factors
    :data:`~vaescan.data.synth.record.FACTORS`, ``qtc_fridericia_ms``, the subtype
    and noise columns, and ``seed``. Record ``i`` does not depend on ``n``.

    Example
    -------
    >>> rows = [row for _, row in simulate_records(3, seed=7)]
    >>> [r["record_id"] for r in rows], rows[0]["split"]
    (['00001', '00002', '00003'], 'train')
    """
    for index, split in enumerate(split_sequence(n, config.split)):
        record, truth = simulate_record(index, seed, config)
        yield record, _row(index, seed, split, truth)


def _write_one(item: tuple[int, str], seed: int, config: SynthConfig, root: str) -> dict:
    index, split = item
    record, truth = simulate_record(index, seed, config)
    write_record(record, Path(root) / RECORDS_DIR / record.name)
    return _row(index, seed, split, truth)


def _prepare(out_dir: Path, overwrite: bool) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise VaescanInputError(out_dir, "exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        if not overwrite:
            raise VaescanInputError(out_dir, "folder is not empty; choose a new folder or allow overwriting "
                                             "(--overwrite)")
        for name in _OWNED:
            path = out_dir / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
    (out_dir / RECORDS_DIR).mkdir(parents=True, exist_ok=True)


def simulate_cohort(
    n: int,
    seed: int,
    out_dir: str | os.PathLike[str],
    config: SynthConfig = SynthConfig(),
    progress: bool = True,
    jobs: int = 1,
    overwrite: bool = False,
) -> Cohort:
    """Write ``n`` synthetic records, ``metadata.csv``, ``cohort.json`` and the config under ``out_dir``.

    The same ``seed`` and ``config`` give byte-identical files, whatever ``jobs``.
    ``out_dir`` must be new or empty unless ``overwrite`` (which replaces only the
    files a cohort consists of). Records are written atomically and the metadata
    last, so an interrupted run never looks like a finished cohort.

    Example
    -------
    >>> import tempfile
    >>> cohort = simulate_cohort(4, seed=0, out_dir=tempfile.mkdtemp(), progress=False)
    >>> len(cohort), cohort.kind, cohort.label_names[:3]
    (4, 'synthetic', ['NORM', 'LBBB', 'RBBB'])
    """
    if n < 1:
        raise VaescanInputError(None, f"the number of records must be at least 1, got {n}")
    out_dir = Path(out_dir)
    _prepare(out_dir, overwrite)
    items = list(enumerate(split_sequence(n, config.split)))
    fn = functools.partial(_write_one, seed=int(seed), config=config, root=str(out_dir))
    result = run_batch(items, fn, desc="synthetic records", jobs=jobs, progress=progress)
    if result.skipped:  # simulation raises no VaescanError for valid settings; never leave a partial cohort
        raise VaescanError(f"{len(result.skipped)} synthetic records failed: {result.skipped[0][1]}")
    metadata = pd.DataFrame([row for _, row in result.done])
    save_config(config, out_dir / CONFIG_FILE)
    write_cohort(
        out_dir, metadata, label_names=list(LABELS), continuous_names=["age"], factor_names=list(FACTORS),
        kind="synthetic",
        info={"seed": int(seed), "n_records": int(n), "generator": f"vaescan {__version__} vaescan.data.synth",
              "label_descriptions": LABEL_DESCRIPTIONS, "subtypes": list(SUBTYPE_COLUMNS),
              "nuisance": list(NOISE_COLUMNS), "true_labels": list(TRUE_LABEL_COLUMNS),
              "label_noise": config.label_noise, "difficulty": config.difficulty,
              "config": config_to_dict(config)},
    )
    return read_cohort(out_dir)
