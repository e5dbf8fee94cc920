"""Fuzz the data edges (issue 14): generated WFDB headers and signals, generated PTB-XL metadata rows.

Each case ends in a one-line :class:`VaescanInputError` or in a correct result (what was written is
read back), within bounded time and memory: headers may announce billions of samples or absurd rates
and gains, but the files stay small. Profiles in ``tests/conftest.py`` ("ci" 40 examples, "nightly").
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from vaescan.data.beats import FS_RANGE_HZ, record_to_beat
from vaescan.data.leads import LEADS
from vaescan.data.ptbxl import load_ptbxl
from vaescan.data.records import FS_RANGE_HZ as READ_FS_RANGE
from vaescan.data.records import GAIN_RANGE_PER_MV, MAX_ABS_MV, Record, read_record, write_record
from vaescan.errors import VaescanInputError

_UNITS = {"mV": 1.0, "uV": 1e-3, "V": 1e3}
_NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=32).map(lambda v: f"{v:g}"),
    st.sampled_from(["500", "100", "0", "-500", "0.001", "1e9", "abc", "250/1000", "500(0)"]),
)


def _one_line_error(exc: VaescanInputError) -> None:
    assert "\n" not in str(exc) and str(exc).strip(), repr(str(exc))


@st.composite
def wfdb_files(draw):
    n_sig = draw(st.integers(1, 13))
    names = draw(st.lists(st.sampled_from([*LEADS, "AVR", "v6", "Resp", "", "I"]), min_size=n_sig,
                          max_size=n_sig))
    fs_text = draw(_NUMBER_TEXT)
    gains = draw(st.lists(st.one_of(_NUMBER_TEXT, st.sampled_from(["1000", "200", "1"])), min_size=n_sig,
                          max_size=n_sig))
    units = draw(st.lists(st.sampled_from([*_UNITS, "mmHg", "NU"]), min_size=n_sig, max_size=n_sig))
    n = draw(st.integers(0, 600))
    announced = draw(st.one_of(st.just(n), st.integers(0, 10**12)))
    scale = draw(st.sampled_from([10, 1000, 32768]))
    digital = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).integers(-scale, scale, (n, n_sig))
    return names, fs_text, gains, units, n, announced, digital


def _float_or_nan(text: str) -> float:
    try:
        return float(text.split("/")[0].split("(")[0])
    except ValueError:
        return math.nan


@given(wfdb_files())
def test_generated_headers_end_in_one_line_or_the_written_values(case):
    names, fs_text, gains, units, n, announced, digital = case
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "rec"
        lines = [f"rec {len(names)} {fs_text} {announced}"]
        lines += [f"rec.dat 16 {g}(0)/{u} 16 0 0 0 0 {name}" for g, u, name in zip(gains, units, names)]
        base.with_suffix(".hea").write_text("\n".join(lines) + "\n")
        base.with_suffix(".dat").write_bytes(digital.astype("<i2").tobytes())
        try:
            rec = read_record(base)
        except VaescanInputError as exc:
            _one_line_error(exc)
            return
    # read: then every check passed, and the values are what was written, in mV, in the standard order
    fs = _float_or_nan(fs_text)
    assert READ_FS_RANGE[0] <= fs <= READ_FS_RANGE[1] and rec.fs == fs and announced == n > 0
    per_mv = [_float_or_nan(g) / _UNITS[u] for g, u in zip(gains, units)]
    assert all(GAIN_RANGE_PER_MV[0] <= g <= GAIN_RANGE_PER_MV[1] for g in per_mv)
    assert len(rec.sig_name) == len(names) and np.nanmax(np.abs(rec.signal), initial=0.0) <= MAX_ABS_MV
    for j, name in enumerate(names):
        column = rec.signal[:, rec.sig_name.index(LEADS[[lead.lower() for lead in LEADS].index(name.lower())])]
        expected = np.where(digital[:, j] == -32768, np.nan, digital[:, j] / per_mv[j])
        np.testing.assert_allclose(column, expected, rtol=1e-6, atol=1e-9)


@given(
    fs=st.one_of(st.floats(FS_RANGE_HZ[0], 2000.0), st.sampled_from([100.0, 250.0, 500.0, 1000.0])),
    n=st.integers(1, 800),
    seed=st.integers(0, 2**16),
    nan_at=st.one_of(st.none(), st.integers(0, 799)),
)
def test_written_records_read_back_equal(fs, n, seed, nan_at):
    signal = np.random.default_rng(seed).normal(0, 3, (n, 12)).clip(-32.0, 32.0)
    if nan_at is not None and nan_at < n:
        signal[nan_at, seed % 12] = np.nan
    with tempfile.TemporaryDirectory() as tmp:
        write_record(Record(signal, fs, list(LEADS), name="w"), Path(tmp) / "w")
        back = read_record(Path(tmp) / "w")
    assert back.fs == fs or abs(back.fs - fs) < 1e-9 * fs
    assert np.array_equal(np.isnan(back.signal), np.isnan(signal))
    ok = ~np.isnan(signal)
    assert np.max(np.abs(back.signal[ok] - signal[ok]), initial=0.0) <= 0.0005 + 1e-9


@given(fs=st.floats(1.0, 100_000.0), seconds=st.floats(0.5, 12.0), seed=st.integers(0, 99))
def test_any_readable_rate_ends_in_a_beat_or_one_line(fs, seconds, seed):
    n = int(min(seconds * fs, 30_000))
    if n < 1:
        return
    t = np.arange(n) / fs
    signal = np.sin(2 * np.pi * 1.1 * t)[:, None] ** 21 * np.linspace(0.5, 1.5, 12) + \
        np.random.default_rng(seed).normal(0, 0.02, (n, 12))
    try:
        result = record_to_beat(Record(signal, fs, list(LEADS), name="fuzz"))
    except VaescanInputError as exc:
        _one_line_error(exc)
        return
    assert FS_RANGE_HZ[0] <= fs <= FS_RANGE_HZ[1] and np.isfinite(result.beat).all()


_ID = st.one_of(st.integers(1, 40), st.sampled_from(["7", "12.0", "../x", "", "a/b", "P 3"]))
_FILE = st.one_of(st.sampled_from(["records100/00000/00001_lr", "r/x_lr", "../r", "/etc/passwd", "", "a/../../b",
                                   "C:/x", "a\\..\\b"]), st.text(max_size=12))


@st.composite
def ptbxl_rows(draw):
    n = draw(st.integers(1, 5))
    rows = []
    for _ in range(n):
        rows.append({
            "ecg_id": draw(_ID),
            "patient_id": draw(st.one_of(st.floats(allow_nan=True), st.text(max_size=6), st.none())),
            "age": draw(st.one_of(st.floats(-5, 400), st.sampled_from(["old", None, 300]))),
            "sex": draw(st.sampled_from([0, 1, 2, "f", None])),
            "scp_codes": draw(st.one_of(st.sampled_from(["{'NORM': 100.0}", "{'IMI': 35.0, 'SR': 0.0}", "[1]",
                                                         "{'NORM': 'x'}", "(" * 300]), st.text(max_size=20))),
            "strat_fold": draw(st.one_of(st.integers(0, 11), st.sampled_from(["3", "x", None]))),
            "filename_lr": draw(_FILE),
            "filename_hr": draw(_FILE),
        })
    return rows


@given(ptbxl_rows(), st.sampled_from([100, 500]))
def test_generated_ptbxl_tables_end_in_one_line_or_a_cohort_inside_the_release(rows, rate):
    from tests.conftest import _SCP_STATEMENTS

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "scp_statements.csv").write_text(_SCP_STATEMENTS)
        pd.DataFrame(rows).to_csv(root / "ptbxl_database.csv", index=False)
        try:
            cohort = load_ptbxl(root, sampling_rate=rate)
        except VaescanInputError as exc:
            _one_line_error(exc)
            return
        meta = cohort.metadata
        assert len(meta) == len(rows) and meta.record_id.is_unique
        for i in range(len(cohort)):
            path = cohort.record_path(i)
            assert root.resolve() in path.resolve().parents, path  # every read stays inside the release
            assert "/" not in meta.record_id[i] and ".." != meta.record_id[i]
        assert set(meta.split) <= {"train", "val", "test"}
        assert meta.age.dropna().between(0, 130).all() and meta.sex.dropna().isin([0.0, 1.0]).all()
