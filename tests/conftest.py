"""Shared fixtures: the real sample data and an analytic ECG with exactly known intervals."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, settings

from vaescan.data.leads import LEADS
from vaescan.data.records import Record
from vaescan.data.toy import hann_bump

REPO = Path(__file__).resolve().parents[1]

# Fuzz suites (hypothesis): bounded in CI, longer by HYPOTHESIS_PROFILE=nightly.
settings.register_profile("ci", max_examples=40, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("nightly", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def shared_data_dir() -> Path:
    """``../shared/data`` beside the checkout (override with VAESCAN_SHARED_DATA)."""
    return Path(os.environ.get("VAESCAN_SHARED_DATA", REPO.parent / "shared" / "data"))


def on_ci() -> bool:
    """True when the environment variable ``CI`` is set (CI sets ``CI=true``), other than to ``false``/``0``."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_shared_data() -> Path:
    """The real sample data; without it the calling test is skipped, or fails on CI (which has it)."""
    path = shared_data_dir()
    if not (path / "ptbxl_sample").is_dir() or not (path / "real_photos").is_dir():
        message = f"real sample data not found at {path} (set VAESCAN_SHARED_DATA)"
        if on_ci():
            pytest.fail(f"{message}; CI must run the tests on the real data", pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture
def shared_data() -> Path:
    return require_shared_data()


@pytest.fixture
def ptbxl_record(shared_data: Path) -> Path:
    return shared_data / "ptbxl_sample" / "records100" / "00000" / "00001_lr"


@dataclass
class AnalyticECG:
    """Intervals (ms), frontal axis (deg) and per-lead scalings of :func:`analytic_ecg`."""

    hr_bpm: float = 75.0
    pr_ms: float = 160.0
    qrs_ms: float = 100.0
    qt_ms: float = 400.0
    axis_deg: float = 45.0
    st_v2_mv: float = 0.0
    p_mv: float = 0.15
    r_mv: float = 1.2
    t_mv: float = 0.3
    rr_jitter: float = 0.0
    fs: float = 500.0
    duration_s: float = 10.0
    seed: int = 0


def analytic_ecg(spec: AnalyticECG | None = None) -> tuple[Record, np.ndarray]:
    """A noiseless 12-lead ECG built from compact waves, and its QRS onset times (ms).

    The frontal leads follow a dipole at ``axis_deg`` through Einthoven and
    Goldberger; precordial leads scale the same waves. P starts ``pr_ms`` before
    the QRS onset and lasts 100 ms; the QRS is a single R wave of ``qrs_ms``; the T
    wave ends ``qt_ms`` after the QRS onset and lasts 40 % of QT's repolarisation part.
    """
    spec = spec if spec is not None else AnalyticECG()
    rng = np.random.default_rng(spec.seed)
    n = int(spec.fs * spec.duration_s)
    t = np.arange(n) * 1000.0 / spec.fs
    rr = 60000.0 / spec.hr_bpm
    onsets, at = [], 500.0
    while at < spec.duration_s * 1000 - 200:
        onsets.append(at)
        at += rr * (1 + spec.rr_jitter * rng.standard_normal())
    p = sum(hann_bump(t, o - spec.pr_ms, 100.0) for o in onsets)
    r = sum(hann_bump(t, o, spec.qrs_ms) for o in onsets)
    t_width = 0.45 * spec.qt_ms
    tw = sum(hann_bump(t, o + spec.qt_ms - t_width, t_width) for o in onsets)
    st = sum(((t > o + spec.qrs_ms) & (t < o + spec.qt_ms - t_width)).astype(float) for o in onsets)
    theta = np.radians(spec.axis_deg)
    ex, ey = np.cos(theta), np.sin(theta)
    # frontal projections: I = Ex, II = Ex/2 + Ey*sqrt(3)/2; the rest follow Einthoven/Goldberger.
    lead_i, lead_ii = ex, 0.5 * ex + np.sqrt(3) / 2 * ey
    frontal = {
        "I": lead_i, "II": lead_ii, "III": lead_ii - lead_i,
        "aVR": -(lead_i + lead_ii) / 2, "aVL": lead_i - lead_ii / 2, "aVF": lead_ii - lead_i / 2,
    }
    precordial = dict(zip(LEADS[6:], (-0.6, -0.3, 0.4, 0.9, 1.0, 0.8)))
    cols = []
    for lead in LEADS:
        g = frontal.get(lead, precordial.get(lead))
        x = g * (spec.p_mv * p + spec.r_mv * r) + abs(g) * spec.t_mv * tw
        if lead == "V2":
            x = x + spec.st_v2_mv * st
        cols.append(x)
    return Record(np.column_stack(cols), spec.fs, list(LEADS), name="analytic"), np.asarray(onsets)


_SCP_STATEMENTS = """\
,description,diagnostic,form,rhythm,diagnostic_class,diagnostic_subclass,Statement Category,SCP-ECG Statement Description,AHA code,aECG REFID,CDISC Code,DICOM Code
NDT,non-diagnostic T abnormalities,1.0,1.0,,STTC,STTC,other ST-T descriptive statements,non-diagnostic T abnormalities,,,,
NORM,normal ECG,1.0,,,NORM,NORM,Normal/abnormal,normal ECG,1.0,,,F-000B7
IMI,inferior myocardial infarction,1.0,,,MI,IMI,Myocardial Infarction,inferior myocardial infarction,161.0,,,
ASMI,anteroseptal myocardial infarction,1.0,,,MI,AMI,Myocardial Infarction,anteroseptal myocardial infarction,165.0,,,
LVH,left ventricular hypertrophy,1.0,,,HYP,LVH,Hypertrophy,left ventricular hypertrophy,142.0,,,
CLBBB,complete left bundle branch block,1.0,,,CD,CLBBB,Conduction disturbances,complete left bundle branch block,,,,
LVOLT,low QRS voltages in the frontal and horizontal leads,,1.0,,,,Other,low QRS voltages,,,,
SR,sinus rhythm,,,1.0,,,Rhythm,sinus rhythm,21.0,MDC_ECG_RHY_SINUS,,
AFIB,atrial fibrillation,,,1.0,,,Rhythm,atrial fibrillation,50.0,MDC_ECG_RHY_ATR_FIB,,
"""

_DB_COLUMNS = (
    "ecg_id,patient_id,age,sex,height,weight,nurse,site,device,recording_date,report,scp_codes,"
    "heart_axis,infarction_stadium1,infarction_stadium2,validated_by,second_opinion,"
    "initial_autogenerated_report,validated_by_human,baseline_drift,static_noise,burst_noise,"
    "electrodes_problems,extra_beats,pacemaker,strat_fold,filename_lr,filename_hr"
)

# ecg_id, patient_id, age, sex, scp_codes, strat_fold (record 1 as in the release)
PTBXL_FIXTURE_ROWS = (
    (1, 15709.0, 56.0, 1, "{'NORM': 100.0, 'LVOLT': 0.0, 'SR': 0.0}", 3),
    (2, 13243.0, 300.0, 0, "{'IMI': 35.0, 'NDT': 100.0, 'SR': 0.0}", 9),
    (3, 20372.0, 37.0, 1, "{'CLBBB': 100.0, 'LVH': 50.0, 'AFIB': 0.0}", 10),
    (4, 17014.0, 24.0, 0, "{'SR': 0.0}", 5),
)


@pytest.fixture
def ptbxl_release(tmp_path: Path, ptbxl_record: Path) -> Path:
    """A four-record PTB-XL release in the real layout: the real record 1 plus three built ones."""
    import shutil

    from scipy.signal import resample_poly

    from vaescan.data.records import read_record, write_record

    root = tmp_path / "ptb-xl"
    real = read_record(ptbxl_record)
    lines = [_DB_COLUMNS]
    for k, (ecg_id, pid, age, sex, codes, fold) in enumerate(PTBXL_FIXTURE_ROWS):
        lr = f"records100/00000/{ecg_id:05d}_lr"
        hr = f"records500/00000/{ecg_id:05d}_hr"
        if ecg_id == 1:
            (root / lr).parent.mkdir(parents=True)
            for ext in (".hea", ".dat"):
                shutil.copyfile(ptbxl_record.with_suffix(ext), (root / lr).with_suffix(ext))
            low = real
        else:
            low = Record(np.roll(real.signal, 37 * k, axis=0), 100.0, list(LEADS), name=f"{ecg_id:05d}_lr")
            write_record(low, root / lr)
        write_record(Record(resample_poly(low.signal, 5, 1, axis=0), 500.0, list(LEADS)), root / hr)
        lines.append(
            f'{ecg_id},{pid},{age},{sex},,,2.0,0.0,CS-12   E,1984-11-09 09:17:34,report,"{codes}",'
            f",,,,False,,True,,,,,,,{fold},{lr},{hr}"
        )
    (root / "ptbxl_database.csv").write_text("\n".join(lines) + "\n")
    (root / "scp_statements.csv").write_text(_SCP_STATEMENTS)
    return root


def cli_env() -> dict[str, str]:
    """Environment of a ``python -m vaescan`` (or torchrun) subprocess: this checkout on the path, one thread (as
    :func:`one_torch_thread` runs the in-process twin)."""
    return {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}


@contextlib.contextmanager
def one_torch_thread():
    """Run the block with one torch thread, like the subprocesses of :func:`cli_env`: the same arithmetic."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


TINY_BLACKBOX = """
signal:
  fs: 50.0
  duration_s: 6.0
model:
  stem: [8]
  widths: [8, 16]
  dropout: 0.0
  batch_size: 16
  epochs: 2
  lr: 0.01
"""
"""A black-box run config that trains in seconds on :func:`write_toy_cohort`'s 6 s records (signal input)."""


def write_toy_cohort(root: Path, n: int = 40, seed: int = 0, flat: int | None = None) -> Path:
    """A small vaescan cohort of analytic records with known factors and labels (70/15/15 split).

    Factors ``qrs_ms`` (80-160 ms) and ``qt_ms`` (360-460 ms); labels ``WIDE`` (QRS >= 120 ms) and
    ``NORM`` (not WIDE); ``age`` follows QT. With ``flat`` the record of that index has a flat
    lead V3 (it gives no median beat).
    """
    import pandas as pd

    from vaescan.data.cohort import write_cohort
    from vaescan.data.records import write_record

    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        spec = AnalyticECG(hr_bpm=float(rng.uniform(60, 90)), qrs_ms=float(rng.uniform(80, 160)),
                           qt_ms=float(rng.uniform(360, 460)), seed=i, duration_s=6.0)
        rec, _ = analytic_ecg(spec)
        if i == flat:
            rec.signal[:, LEADS.index("V3")] = 0.0
        rid = f"r{i:03d}"
        write_record(rec, root / "records" / rid)
        rows.append({"record_id": rid, "record": f"records/{rid}", "patient_id": rid,
                     "age": 20 + (spec.qt_ms - 360) * 0.6, "sex": i % 2,
                     "split": "train" if i % 20 < 14 else "val" if i % 20 < 17 else "test",
                     "WIDE": int(spec.qrs_ms >= 120), "NORM": int(spec.qrs_ms < 120),
                     "qrs_ms": spec.qrs_ms, "qt_ms": spec.qt_ms})
    write_cohort(root, pd.DataFrame(rows), label_names=["NORM", "WIDE"], continuous_names=["age"],
                 factor_names=["qrs_ms", "qt_ms"], kind="toy")
    return root
