"""Where a cohort comes from: one entry point for a PTB-XL release, a vaescan cohort or a folder of records.

It sits above :mod:`vaescan.data.cohort` (the format) and :mod:`vaescan.data.ptbxl`
(one source), so neither needs the other's way of being opened.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vaescan.data.cohort import Cohort, read_cohort
from vaescan.data.ptbxl import load_ptbxl
from vaescan.data.records import find_records


def load_cohort(path: str | os.PathLike[str], **ptbxl_kwargs: Any) -> Cohort:
    """Open a cohort: a PTB-XL release, a vaescan cohort folder, or any folder of WFDB records.

    A PTB-XL root is recognised by ``ptbxl_database.csv`` (keyword arguments go
    to :func:`vaescan.data.ptbxl.load_ptbxl`), a vaescan cohort by
    ``metadata.csv`` + ``cohort.json``. Any other folder (or a single record)
    becomes an unlabelled cohort, every record in the test split.

    Example
    -------
    >>> cohort = load_cohort("../shared/data/ptbxl_sample")  # doctest: +SKIP
    >>> cohort.kind, len(cohort)  # doctest: +SKIP
    ('folder', 1)
    """
    path = Path(path)
    if (path / "ptbxl_database.csv").is_file():
        return load_ptbxl(path, **ptbxl_kwargs)
    if (path / "metadata.csv").is_file():
        return read_cohort(path)
    records = find_records(path)
    root = path if path.is_dir() else path.parent
    ids = [p.name for p in records]
    metadata = pd.DataFrame({
        "record_id": ids,
        "record": [p.relative_to(root).as_posix() for p in records],
        "patient_id": ids,
        "age": np.nan,
        "sex": np.nan,
        "split": "test",
    })
    return Cohort(root, metadata, kind="folder")
