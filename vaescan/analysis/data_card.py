"""The data card of a cohort: records per split, label prevalences, age and sex, sampling rate and source.

:func:`data_card` counts what the cohort's metadata says (no record is read but a few headers for the sampling
rate); the report shows it as its first section (:mod:`vaescan.workflows.report_sections`).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from vaescan.data.cohort import Cohort

SPLIT_ORDER = ("train", "val", "test")
"""Splits in the card's column order (others follow in the order met)."""

HEADERS_READ = 20
"""Records whose headers are read for the sampling rate when the cohort does not state it."""


@dataclasses.dataclass
class DataCard:
    """A cohort's card: ``splits`` (one row per split and ``all``: ``records``, ``patients``, age mean/sd in years,
    ``female_pct``), ``prevalence`` (one row per label: positives and percent per split and overall),
    ``sampling_rate_hz`` (the rates found, Hz), ``source`` (kind and folder)."""

    splits: pd.DataFrame
    prevalence: pd.DataFrame
    sampling_rate_hz: list[float]
    source: str


def _splits(meta: pd.DataFrame) -> list[str]:
    found = [str(s) for s in meta["split"].dropna().unique()] if "split" in meta else []
    return [s for s in SPLIT_ORDER if s in found] + [s for s in found if s not in SPLIT_ORDER]


def _sampling_rates(cohort: Cohort) -> list[float]:
    if "sampling_rate" in cohort.info:
        return [float(cohort.info["sampling_rate"])]
    import wfdb

    rates = set()
    for i in range(min(HEADERS_READ, len(cohort))):
        try:
            rates.add(float(wfdb.rdheader(str(cohort.record_path(i))).fs))
        except (OSError, ValueError):           # a missing or broken header: the card says what it could read
            continue
    return sorted(rates)


def data_card(cohort: Cohort) -> DataCard:
    """The cohort's :class:`DataCard` (sex coded 0 = male, 1 = female, as vaescan's cohorts and PTB-XL code it).

    Example
    -------
    >>> meta = pd.DataFrame({"record_id": ["a", "b", "c"], "patient_id": ["a", "b", "c"], "age": [50.0, 60.0, 70.0],
    ...                      "sex": [0, 1, 1], "split": ["train", "train", "test"], "AF": [0, 1, 1]})
    >>> card = data_card(Cohort(".", meta, label_names=["AF"], info={"sampling_rate": 500}))
    >>> card.splits[["split", "records", "female_pct"]].round(1).values.tolist()
    [['train', 2, 50.0], ['test', 1, 100.0], ['all', 3, 66.7]]
    >>> card.prevalence.iloc[:, :3].values.tolist(), card.sampling_rate_hz
    ([['AF', 1, 50.0]], [500.0])
    """
    meta = cohort.metadata
    parts = [(s, meta[meta["split"] == s]) for s in _splits(meta)] + [("all", meta)]
    rows = []
    for name, part in parts:
        age = pd.to_numeric(part["age"], errors="coerce") if "age" in part else pd.Series(dtype=float)
        sex = pd.to_numeric(part["sex"], errors="coerce").dropna() if "sex" in part else pd.Series(dtype=float)
        rows.append({"split": name, "records": len(part),
                     "patients": int(part["patient_id"].nunique()) if "patient_id" in part else len(part),
                     "age_mean": float(age.mean()) if age.notna().any() else np.nan,
                     "age_sd": float(age.std()) if age.notna().sum() > 1 else np.nan,
                     "female_pct": 100.0 * float((sex == 1).mean()) if len(sex) else np.nan})
    prevalence = []
    for label in cohort.label_names:
        row: dict = {"label": label}
        for name, part in parts:
            y = pd.to_numeric(part[label], errors="coerce").dropna()
            row[f"{name}_n"] = int(y.sum())
            row[f"{name}_pct"] = 100.0 * float(y.mean()) if len(y) else np.nan
        prevalence.append(row)
    source = f"{cohort.kind} cohort at {cohort.root}"
    return DataCard(pd.DataFrame(rows), pd.DataFrame(prevalence), _sampling_rates(cohort), source)
