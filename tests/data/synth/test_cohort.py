"""Written cohorts: WFDB records that obey the limb-lead identities, ground truth beside them, same seed same bytes."""

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import wfdb

from vaescan.data.leads import LEADS
from vaescan.data.records import read_record
from vaescan.data.sources import load_cohort
from vaescan.data.synth import FACTORS, LABELS, NoiseConfig, SynthConfig, simulate_cohort, simulate_records
from vaescan.errors import VaescanInputError

N = 12


def _hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def cohort_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("synth") / "cohort"
    simulate_cohort(N, seed=5, out_dir=root, progress=False)
    return root


def test_limb_leads_obey_einthoven_and_goldberger_in_the_written_integers(cohort_dir):
    for path in sorted((cohort_dir / "records").glob("*.hea")):
        rec = wfdb.rdrecord(str(path.with_suffix("")), physical=False)
        assert rec.sig_name == list(LEADS) and rec.fs == 500 and rec.sig_len == 5000
        assert rec.fmt == ["16"] * 12 and rec.adc_gain == [1000.0] * 12 and rec.units == ["mV"] * 12
        d = {name: rec.d_signal[:, j].astype(np.int64) for j, name in enumerate(rec.sig_name)}  # uV
        np.testing.assert_array_equal(d["III"], d["II"] - d["I"])                        # exact
        assert np.abs(2 * d["aVR"] + d["I"] + d["II"]).max() <= 1                       # within 0.5 uV
        assert np.abs(2 * d["aVL"] - 2 * d["I"] + d["II"]).max() <= 1
        assert np.abs(2 * d["aVF"] - 2 * d["II"] + d["I"]).max() <= 1


def test_metadata_is_a_cohort_with_ground_truth(cohort_dir):
    cohort = load_cohort(cohort_dir)
    assert cohort.kind == "synthetic" and len(cohort) == N
    assert cohort.label_names == list(LABELS) and cohort.factor_names == list(FACTORS)
    assert cohort.continuous_names == ["age"]
    meta = cohort.metadata
    assert set(meta.split) <= {"train", "val", "test"} and (meta.split == "train").sum() >= 6
    assert meta.seed.eq(5).all() and cohort.info["seed"] == 5
    assert meta[list(FACTORS)].drop(columns="pr_ms").notna().all().all()
    assert (meta.pr_ms.isna() == meta.AF.astype(bool)).all()
    assert cohort.labels().shape == (N, len(LABELS)) and set(np.unique(cohort.labels())) <= {0.0, 1.0}
    rec = cohort.read_record(0)
    assert rec.signal.shape == (5000, 12) and rec.name == "00001"
    assert (cohort_dir / "synth_config.json").is_file()


def test_in_memory_records_are_the_written_ones(cohort_dir):
    meta = pd.read_csv(cohort_dir / "metadata.csv", dtype={"record_id": str, "patient_id": str})
    for i, (rec, row) in enumerate(simulate_records(N, seed=5)):
        disk = read_record(cohort_dir / "records" / rec.name)
        np.testing.assert_array_equal(disk.signal, rec.signal)
        assert list(row) == list(meta.columns)
        written = meta.iloc[i].to_dict()
        for key, value in row.items():
            if isinstance(value, float) and np.isnan(value):
                assert np.isnan(written[key]), key
            else:
                assert written[key] == value, (key, written[key], value)


def test_same_seed_same_bytes_whatever_the_workers(cohort_dir, tmp_path):
    simulate_cohort(N, seed=5, out_dir=tmp_path / "again", progress=False, jobs=2)
    assert _hashes(tmp_path / "again") == _hashes(cohort_dir)


def test_a_different_seed_gives_different_data(cohort_dir, tmp_path):
    simulate_cohort(N, seed=6, out_dir=tmp_path / "other", progress=False)
    a, b = _hashes(cohort_dir), _hashes(tmp_path / "other")
    differing = [name for name in a if name.endswith(".dat") and a[name] != b.get(name)]
    assert len(differing) == N
    assert not pd.read_csv(cohort_dir / "metadata.csv").qrs_ms.equals(pd.read_csv(tmp_path / "other" /
                                                                                   "metadata.csv").qrs_ms)


def test_only_the_noise_changes_when_only_the_noise_settings_change():
    quiet = SynthConfig(noise=NoiseConfig((0.0, 0.0), (0.0, 0.0), (0.0, 0.0)))
    (noisy, row_noisy), = simulate_records(1, seed=9)
    (clean, row_clean), = simulate_records(1, seed=9, config=quiet)
    assert {k: v for k, v in row_noisy.items() if not k.startswith(("noise_", "snr"))} == \
           {k: v for k, v in row_clean.items() if not k.startswith(("noise_", "snr"))}
    assert row_clean["noise_muscle_mv"] == 0.0 and row_clean["snr_db"] > 40  # only 1 uV quantisation left
    residual = noisy.signal - clean.signal
    assert 0.005 < residual[:, LEADS.index("V2")].std() < 0.5


def test_refuses_to_write_over_a_folder_unless_asked(cohort_dir, tmp_path):
    with pytest.raises(VaescanInputError, match="folder is not empty"):
        simulate_cohort(2, seed=5, out_dir=cohort_dir, progress=False)
    target = tmp_path / "reuse"
    simulate_cohort(4, seed=1, out_dir=target, progress=False)
    (target / "notes.txt").write_text("mine")
    cohort = simulate_cohort(2, seed=1, out_dir=target, progress=False, overwrite=True)
    assert len(cohort) == 2 and len(list((target / "records").glob("*.hea"))) == 2
    assert (target / "notes.txt").read_text() == "mine"   # only the cohort's own files are replaced
    with pytest.raises(VaescanInputError, match="at least 1"):
        simulate_cohort(0, seed=1, out_dir=tmp_path / "none", progress=False)


def test_other_sampling_rates_and_durations():
    config = SynthConfig(fs=250.0, duration_s=4.0)
    (rec, row), = simulate_records(1, seed=2, config=config)
    assert rec.fs == 250.0 and rec.signal.shape == (1000, 12)
    assert 40 < row["hr_bpm"] < 160
    with pytest.raises(VaescanInputError, match="at least 100 Hz"):
        SynthConfig(fs=50.0)
    with pytest.raises(VaescanInputError, match="split"):
        SynthConfig(split=(0.5, 0.5, 0.5))
