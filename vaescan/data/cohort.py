"""Cohorts: a set of records with a metadata table, read the same way whatever their source.

Every cohort (PTB-XL, the synthetic cohort, a plain folder of WFDB records)
exposes one metadata table with these standard columns:

========== ===========================================================
record_id  unique id (string)
record     record path relative to the cohort root, no extension
patient_id patient id (string; the record id where unknown)
age        years (float; NaN where unknown)
sex        0 = male, 1 = female (as PTB-XL codes it; NaN where unknown)
split      ``train``, ``val`` or ``test``
<label>    one 0/1 column per label in :attr:`Cohort.label_names`
========== ===========================================================

A vaescan-format cohort is a folder with ``metadata.csv`` (those columns plus
any ground-truth columns) and ``cohort.json`` (which columns are labels,
continuous clinical variables and ground-truth factors).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vaescan.data.records import Record, read_record
from vaescan.errors import VaescanInputError
from vaescan.io import atomic_path, read_json, write_json

STANDARD_COLUMNS: tuple[str, ...] = ("record_id", "record", "patient_id", "age", "sex", "split")
SPLITS: tuple[str, ...] = ("train", "val", "test")


@dataclass
class Cohort:
    """Records under ``root`` with one metadata row each.

    ``label_names`` are binary clinical labels, ``continuous_names`` continuous
    clinical variables (e.g. ``age``), ``factor_names`` known ground-truth
    factors (synthetic cohorts only).

    Example
    -------
    >>> cohort = load_cohort("runs/quickstart/cohort")  # doctest: +SKIP
    >>> train = cohort.subset(cohort.metadata.split == "train")  # doctest: +SKIP
    >>> train.labels().shape  # doctest: +SKIP
    (350, 11)
    """

    root: Path
    metadata: pd.DataFrame
    label_names: list[str] = field(default_factory=list)
    continuous_names: list[str] = field(default_factory=list)
    factor_names: list[str] = field(default_factory=list)
    kind: str = "folder"
    info: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.metadata)

    def record_path(self, i: int) -> Path:
        """Path (no extension) of the ``i``-th record."""
        return self.root / str(self.metadata["record"].iloc[i])

    def read_record(self, i: int, **kwargs: Any) -> Record:
        """Read the ``i``-th record (keyword arguments go to :func:`read_record`)."""
        return read_record(self.record_path(i), **kwargs)

    def labels(self) -> np.ndarray:
        """Binary labels as a float array (records x labels)."""
        return self.metadata[self.label_names].to_numpy(dtype=np.float64)

    def subset(self, mask: Any) -> Cohort:
        """A cohort of the rows selected by a boolean mask or an index array."""
        rows = self.metadata[mask] if _is_bool_mask(mask) else self.metadata.iloc[mask]
        return Cohort(
            self.root, rows.reset_index(drop=True), list(self.label_names),
            list(self.continuous_names), list(self.factor_names), self.kind, dict(self.info),
        )


def outside_reason(record: object) -> str | None:
    """Why a metadata ``record`` value would be read from outside the dataset folder, or None if it stays inside.

    Record paths are relative to the cohort root: absolute paths, ``..`` parts, backslashes and empty
    values are refused (checked on the text, so a symlinked data folder still works).

    Example
    -------
    >>> outside_reason("records100/00000/00001_lr") is None, outside_reason("../../etc/passwd")
    (True, "has a '..' part")
    """
    text = "" if record is None or (isinstance(record, float) and np.isnan(record)) else str(record)
    if not text.strip():
        return "is empty"
    if "\\" in text or "\x00" in text:
        return "holds a backslash or NUL"
    if text.startswith("/") or (len(text) > 1 and text[1] == ":"):
        return "is an absolute path"
    if ".." in Path(text).parts:
        return "has a '..' part"
    return None


def check_record_column(metadata: pd.DataFrame, table: Path, column: str = "record", id_column: str = "record_id",
                        ) -> None:
    """Refuse a table whose ids are empty or repeated, or whose record paths leave the dataset folder.

    The error names the row by its id; ``column`` and ``id_column`` name the columns in the table's own
    words (PTB-XL: ``filename_lr``, ``ecg_id``).
    """
    ids = metadata[id_column].astype(str)
    for rid, record in zip(ids, metadata[column]):
        why = outside_reason(record)
        if why is not None:
            raise VaescanInputError(table, f"{id_column} {rid}: {column} {record!r} {why}; records must lie "
                                           "inside the dataset folder")
        if not rid.strip() or rid.lower() == "nan" or rid in (".", "..") or any(c in rid for c in "/\\\x00"):
            raise VaescanInputError(table, f"{id_column} {rid!r} (record {record!r}) is not a usable id "
                                           "(empty, or holds a path)")
    repeated = ids[ids.duplicated()].unique()
    if len(repeated):
        raise VaescanInputError(table, f"{id_column} {repeated[0]} appears {int((ids == repeated[0]).sum())} times")


def _is_bool_mask(mask: Any) -> bool:
    return np.asarray(mask).dtype == np.bool_


def read_cohort(root: str | os.PathLike[str]) -> Cohort:
    """Read a vaescan-format cohort folder (``metadata.csv`` + ``cohort.json``, as :func:`write_cohort` writes).

    Example
    -------
    >>> cohort = read_cohort("runs/quickstart/cohort")  # doctest: +SKIP
    """
    root = Path(root)
    info_path = root / "cohort.json"
    info = read_json(info_path) if info_path.is_file() else {}
    csv = root / "metadata.csv"
    try:
        metadata = pd.read_csv(csv, dtype={"record_id": str, "patient_id": str, "record": str})
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise VaescanInputError(csv, f"unreadable CSV ({exc})") from None
    labels = list(info.get("labels", []))
    required = list(STANDARD_COLUMNS) + labels
    missing = [c for c in required if c not in metadata.columns]
    if missing:
        raise VaescanInputError(csv, f"missing column(s) {missing}")
    check_record_column(metadata, csv)
    bad_split = sorted(set(metadata["split"]) - set(SPLITS))
    if bad_split:
        raise VaescanInputError(csv, f"split column holds {bad_split}; allowed: {list(SPLITS)}")
    return Cohort(
        root, metadata, labels, list(info.get("continuous", [])),
        list(info.get("factors", [])), kind=str(info.get("kind", "vaescan")), info=info,
    )


def write_cohort(
    root: str | os.PathLike[str],
    metadata: pd.DataFrame,
    *,
    label_names: list[str],
    continuous_names: list[str] = (),  # type: ignore[assignment]
    factor_names: list[str] = (),  # type: ignore[assignment]
    kind: str = "vaescan",
    info: dict[str, Any] | None = None,
) -> Path:
    """Write ``metadata.csv`` and ``cohort.json`` for records already written under ``root``.

    ``metadata`` must hold the standard columns and every label column.

    Example
    -------
    >>> write_cohort("cohort", meta, label_names=["NORM", "LBBB"])  # doctest: +SKIP
    """
    root = Path(root)
    missing = [c for c in list(STANDARD_COLUMNS) + list(label_names) if c not in metadata.columns]
    if missing:
        raise ValueError(f"metadata lacks column(s) {missing}")
    with atomic_path(root / "metadata.csv") as tmp:
        metadata.to_csv(tmp, index=False, float_format="%.6g")
    payload = dict(info or {})
    payload.update(kind=kind, labels=list(label_names), continuous=list(continuous_names),
                   factors=list(factor_names))
    write_json(root / "cohort.json", payload)
    return root
