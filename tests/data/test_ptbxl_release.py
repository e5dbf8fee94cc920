"""The tiny PTB-XL release reads back through the PTB-XL loader as written: labels, folds, age, sex, signals."""

import numpy as np
import pandas as pd
import pytest

from vaescan.data.ptbxl import SUPERCLASSES, load_ptbxl
from vaescan.data.synth.ptbxl_release import DATABASE_COLUMNS, SCP_OF_LABEL, ptbxl_record_path, write_ptbxl_release

pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword")   # wfdb's own calls into pandas


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    root = tmp_path_factory.mktemp("ptb-xl")
    return root, write_ptbxl_release(root, n=30, seed=2, prevalence=0.3)


def test_loader_reads_the_labels_folds_age_and_sex_written(release):
    root, table = release
    cohort = load_ptbxl(root, sampling_rate=500)
    meta = cohort.metadata
    assert meta.record_id.tolist() == [str(i) for i in table.ecg_id]
    written = np.array([[int(c in classes) for c in SUPERCLASSES] for classes in table.classes])
    assert np.array_equal(meta[list(SUPERCLASSES)].to_numpy(), written)
    assert written.sum(axis=0).min() >= 1                          # every superclass present at prevalence 0.3
    split = table.strat_fold.map(lambda f: "test" if f == 10 else "val" if f == 9 else "train")
    assert meta.split.tolist() == split.tolist() and sorted(set(table.strat_fold)) == list(range(1, 11))
    assert np.array_equal(meta.age, table.age.where(table.age != 300, 90.0))
    assert meta.sex.tolist() == table.sex.astype(float).tolist()
    assert tuple(pd.read_csv(root / "ptbxl_database.csv").columns) == DATABASE_COLUMNS


def test_records_are_in_the_release_layout_at_both_rates(release):
    root, table = release
    assert table.ecg_id.min() == 1 and table.ecg_id.max() > 1000   # two thousands-folders
    for ecg_id in (1, table.ecg_id.max()):
        header = (root / ptbxl_record_path(ecg_id, 500)).with_suffix(".hea").read_text().splitlines()
        assert header[0] == f"{ecg_id:05d}_hr 12 500 5000" and header[4].endswith(" 0 AVR")
        assert " 16 1000.0(0)/mV 16 0 " in header[1]
    lr = load_ptbxl(root, sampling_rate=100).read_record(3).lead("II")
    hr = load_ptbxl(root, sampling_rate=500).read_record(3).lead("II")
    assert lr.shape == (1000,) and np.corrcoef(lr, hr[::5])[0, 1] > 0.98


def test_every_synthetic_label_has_a_statement_and_af_is_rhythm_only():
    from vaescan.data.synth import LABELS
    from vaescan.data.synth.ptbxl_release import STATEMENTS

    assert set(SCP_OF_LABEL) == set(LABELS) and set(SCP_OF_LABEL.values()) <= set(STATEMENTS)
    assert STATEMENTS["AFIB"].split(",")[4] == ""                  # diagnostic_class empty: no superclass
