"""The data stage's commands on hostile input: outputs checked before the work, failures listed."""

import csv

import numpy as np
import pytest

from tests.conftest import AnalyticECG, analytic_ecg
from vaescan.cli.main import main
from vaescan.data.leads import LEADS
from vaescan.data.records import Record, write_record


def _records(folder, n_good: int = 1, low_rate: bool = False):
    for i in range(n_good):
        write_record(analytic_ecg(AnalyticECG(hr_bpm=60 + 10 * i))[0], folder / f"ok{i}")
    if low_rate:  # a record sampled at 50 Hz: too slow to delineate a QRS honestly
        rec = analytic_ecg(AnalyticECG())[0]
        write_record(Record(rec.signal[::10], 50.0, list(LEADS), name="slow"), folder / "slow")
    return folder


@pytest.mark.parametrize("command", ["features", "beats"])
def test_output_that_is_a_folder_is_refused_before_the_work(tmp_path, capsys, monkeypatch, command):
    import vaescan.cli.data as cli_data

    def never(*args, **kwargs):
        raise AssertionError("records were processed before the output path was checked")

    monkeypatch.setattr(cli_data, "cohort_features", never)
    monkeypatch.setattr(cli_data, "cohort_beats", never)
    records = _records(tmp_path / "recs")
    (tmp_path / "out").mkdir()
    assert main(["-q", command, str(records), "-o", str(tmp_path / "out")]) == 2
    assert "out: output is a folder; give a file name" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    assert main(["-q", command, str(records), "-o", str(tmp_path / "file" / "f.csv")]) == 2
    assert f"cannot write here: {tmp_path / 'file'} is a file, not a folder" in capsys.readouterr().err


def test_failures_are_listed_at_the_end_and_in_a_csv(tmp_path, capsys):
    records = _records(tmp_path / "recs", n_good=1, low_rate=True)
    out = tmp_path / "res" / "features.csv"
    assert main(["-q", "features", str(records), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    reason = "slow: sampled at 50 Hz; median beats and features need 100 to 20000 Hz"
    assert f"skipped records (also in {out.with_name('features.failures.csv')}):" in err and reason in err
    with open(out.with_name("features.failures.csv"), newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["item"] for r in rows] == ["slow"] and rows[0]["reason"].startswith(str(records / reason))
    (records / "slow.hea").unlink()
    assert main(["-q", "features", str(records), "-o", str(out)]) == 0
    assert not out.with_name("features.failures.csv").exists(), "a stale failures.csv outlived its run"


def test_a_folder_with_a_rate_no_ecg_has_does_not_stop_the_good_records(tmp_path, capsys):
    records = _records(tmp_path / "recs", n_good=2)
    write_record(Record(np.zeros((100, 12)), 500.0, list(LEADS)), records / "tiny")
    hea = records / "tiny.hea"
    hea.write_text(hea.read_text().replace("tiny 12 500 ", "tiny 12 0.001 "))
    out = tmp_path / "beats.npz"
    assert main(["-q", "beats", str(records), "-o", str(out), "--jobs", "1"]) == 0
    captured = capsys.readouterr()
    assert "2 records done, 1 skipped" in captured.out
    assert "tiny.hea: sampling rate '0.001' Hz is not an ECG's (expected 1 to 100000 Hz)" in captured.err
