"""The PTB-XL release (Wagner et al., Sci Data 2020) as a :class:`~vaescan.data.cohort.Cohort`.

Reads ``ptbxl_database.csv`` and ``scp_statements.csv`` from the release root,
maps SCP-ECG statements to the five diagnostic superclasses (NORM, MI, STTC, CD,
HYP) through ``scp_statements.csv`` as Strodthoff et al. (2021) do, and assigns
the recommended split: ``strat_fold`` 1-8 train, 9 validation, 10 test.

Likelihood threshold: PTB-XL attaches a likelihood (0-100 %) to every
statement. By default (``min_likelihood=0``) every listed diagnostic statement
counts, as in the PhysioNet example code and the PTB-XL benchmark; pass
``min_likelihood=50`` (or 100) for stricter labels.

Ages above 89 are coded as 300 in PTB-XL for anonymity; they are read as 90.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import numpy as np
import pandas as pd

from vaescan.data.cohort import Cohort, check_record_column
from vaescan.errors import VaescanInputError

SUPERCLASSES: tuple[str, ...] = ("NORM", "MI", "STTC", "CD", "HYP")
_FILENAME_COLUMN = {100: "filename_lr", 500: "filename_hr"}
_AGE_CODED_OVER_89 = 300
_AGE_OVER_89 = 90.0


def _read_csv(path: Path, **kwargs) -> pd.DataFrame:
    if not path.is_file():
        raise VaescanInputError(path, "file not found (is this a PTB-XL release folder?)")
    try:
        return pd.read_csv(path, **kwargs)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError, ValueError) as exc:
        raise VaescanInputError(path, f"unreadable CSV ({exc})") from None


def _id_text(value: object) -> str:
    """An identifier as text: ``15709.0`` (pandas reads ids as floats when one is missing) -> ``'15709'``."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text  # an id that is not a number is still an id
    return str(int(number)) if np.isfinite(number) and number.is_integer() else text


def _numbers(db: pd.DataFrame, column: str, path: Path, *, missing_ok: bool) -> pd.Series:
    """A column as floats; a value that is not a number is refused, naming its ecg_id."""
    raw = db[column]
    values = pd.to_numeric(raw, errors="coerce")
    blank = raw.isna() | raw.astype(str).str.strip().isin(["", "nan", "NaN"])
    bad = values.isna() & ~blank if missing_ok else values.isna()
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        raise VaescanInputError(path, f"ecg_id {_id_text(db['ecg_id'].iloc[row])}: {column} "
                                      f"{db[column].iloc[row]!r} is not a number")
    return values.astype(float)


def _parse_scp_codes(text: str, path: Path, ecg_id: object) -> dict[str, float]:
    try:
        codes = ast.literal_eval(str(text)[:10_000])  # a Python dict literal; literal_eval never executes code
        codes = {str(k): float(v) for k, v in codes.items()}
    except (ValueError, SyntaxError, TypeError, AttributeError, RecursionError, MemoryError):
        codes = None
    if codes is None or not all(np.isfinite(v) for v in codes.values()):
        raise VaescanInputError(path, f"ecg_id {_id_text(ecg_id)}: scp_codes {str(text)[:80]!r} is not a dict of "
                                      "code -> likelihood")
    return codes


def scp_to_superclasses(
    scp_codes: dict[str, float], statements: pd.DataFrame, min_likelihood: float = 0.0
) -> set[str]:
    """Map one record's SCP codes (code -> likelihood in %) to its diagnostic superclasses.

    ``statements`` is ``scp_statements.csv`` indexed by code. Codes that are not
    diagnostic statements (rhythm, form) are ignored.

    Example
    -------
    >>> import pandas as pd
    >>> st = pd.DataFrame({"diagnostic": [1.0, 1.0, None], "diagnostic_class": ["NORM", "MI", None]},
    ...                   index=["NORM", "IMI", "SR"])
    >>> sorted(scp_to_superclasses({"IMI": 35.0, "SR": 0.0}, st))
    ['MI']
    >>> sorted(scp_to_superclasses({"IMI": 35.0}, st, min_likelihood=50))
    []
    """
    found = set()
    for code, likelihood in scp_codes.items():
        if code in statements.index and statements.at[code, "diagnostic"] == 1 and likelihood >= min_likelihood:
            cls = statements.at[code, "diagnostic_class"]
            if isinstance(cls, str) and cls in SUPERCLASSES:
                found.add(cls)
    return found


def split_from_fold(strat_fold: int) -> str:
    """The recommended PTB-XL split: folds 1-8 train, 9 val, 10 test.

    Example
    -------
    >>> [split_from_fold(f) for f in (1, 8, 9, 10)]
    ['train', 'train', 'val', 'test']
    """
    return "test" if strat_fold == 10 else "val" if strat_fold == 9 else "train"


def load_ptbxl(
    root: str | os.PathLike[str], *, sampling_rate: int = 500, min_likelihood: float = 0.0
) -> Cohort:
    """Load a PTB-XL release as a cohort with labels NORM, MI, STTC, CD, HYP and the fold split.

    ``sampling_rate`` picks ``records500`` (``filename_hr``) or ``records100``
    (``filename_lr``). Extra columns kept: ``strat_fold``, ``scp_codes`` (the raw dict
    text) and ``validated_by_human`` where present.

    Example
    -------
    >>> cohort = load_ptbxl("/data/ptb-xl", sampling_rate=100)  # doctest: +SKIP
    >>> cohort.label_names  # doctest: +SKIP
    ['NORM', 'MI', 'STTC', 'CD', 'HYP']
    """
    root = Path(root)
    if sampling_rate not in _FILENAME_COLUMN:
        raise VaescanInputError(root, f"PTB-XL has records at 100 or 500 Hz, not {sampling_rate}")
    db_path, st_path = root / "ptbxl_database.csv", root / "scp_statements.csv"
    db = _read_csv(db_path)
    statements = _read_csv(st_path, index_col=0)
    fname = _FILENAME_COLUMN[sampling_rate]
    needed = ["ecg_id", "patient_id", "age", "sex", "scp_codes", "strat_fold", fname]
    missing = [c for c in needed if c not in db.columns]
    if missing:
        raise VaescanInputError(db_path, f"missing column(s) {missing}")
    missing = [c for c in ("diagnostic", "diagnostic_class") if c not in statements.columns]
    if missing:
        raise VaescanInputError(st_path, f"missing column(s) {missing}")

    labels = np.zeros((len(db), len(SUPERCLASSES)), dtype=np.int64)
    for row, (ecg_id, text) in enumerate(zip(db["ecg_id"], db["scp_codes"])):
        classes = scp_to_superclasses(_parse_scp_codes(text, db_path, ecg_id), statements, min_likelihood)
        labels[row] = [cls in classes for cls in SUPERCLASSES]

    ages = _numbers(db, "age", db_path, missing_ok=True)
    age = ages.where(ages != _AGE_CODED_OVER_89, _AGE_OVER_89)
    sex = _numbers(db, "sex", db_path, missing_ok=True)
    folds = _numbers(db, "strat_fold", db_path, missing_ok=False)
    for column, bad, allowed in (
        ("strat_fold", ~folds.isin(range(1, 11)), "a fold 1-10"),
        ("sex", sex.notna() & ~sex.isin([0.0, 1.0]), "0 (male) or 1 (female)"),
        ("age", (age < 0) | (age > 130), "an age 0-130 (PTB-XL codes ages over 89 as 300)"),
    ):
        if bad.any():
            row = int(np.argmax(bad.to_numpy()))
            raise VaescanInputError(db_path, f"ecg_id {_id_text(db['ecg_id'].iloc[row])}: {column} "
                                             f"{db[column].iloc[row]} is not {allowed}")
    ids = db["ecg_id"].map(_id_text)
    check_record_column(pd.DataFrame({"ecg_id": ids, fname: db[fname]}), db_path, column=fname, id_column="ecg_id")
    metadata = pd.DataFrame({
        "record_id": ids,
        "record": db[fname].astype(str),
        "patient_id": db["patient_id"].map(_id_text),
        "age": age,
        "sex": sex,
        "split": folds.astype(int).map(split_from_fold),
    })
    for j, cls in enumerate(SUPERCLASSES):
        metadata[cls] = labels[:, j]
    metadata["strat_fold"] = folds.astype(int)
    metadata["scp_codes"] = db["scp_codes"]
    if "validated_by_human" in db.columns:
        metadata["validated_by_human"] = db["validated_by_human"]
    return Cohort(
        root, metadata, list(SUPERCLASSES), ["age"], [], kind="ptbxl",
        info={"sampling_rate": sampling_rate, "min_likelihood": min_likelihood},
    )
