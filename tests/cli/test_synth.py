import pandas as pd
import pytest

from vaescan.cli.main import main


def test_synth_writes_a_cohort_that_features_reads(tmp_path, capsys):
    out = tmp_path / "cohort"
    assert main(["-q", "synth", "-n", "3", "--seed", "4", "-o", str(out)]) == 0
    assert "wrote 3 records" in capsys.readouterr().out
    meta = pd.read_csv(out / "metadata.csv", dtype={"record_id": str})
    assert meta.record_id.tolist() == ["00001", "00002", "00003"]
    assert main(["-q", "features", str(out), "-o", str(tmp_path / "f.csv")]) == 0
    feats = pd.read_csv(tmp_path / "f.csv", dtype={"record_id": str})
    assert feats.record_id.tolist() == meta.record_id.tolist()
    assert (feats.qrs_ms - meta.qrs_ms).abs().max() < 15


def test_synth_options_and_config_file(tmp_path):
    config = tmp_path / "synth.yaml"
    config.write_text("prevalence: {AF: 0.9}\nnoise: {muscle_mv: [0.0, 0.0]}\n")
    out = tmp_path / "c"
    assert main(["-q", "synth", "-n", "4", "-o", str(out), "--fs", "250", "--duration", "5",
                 "--config", str(config)]) == 0
    meta = pd.read_csv(out / "metadata.csv")
    assert meta.AF.sum() >= 2 and (meta.noise_muscle_mv == 0).all()
    assert "5000" not in (out / "records" / "00001.hea").read_text().splitlines()[0]
    assert (out / "records" / "00001.hea").read_text().splitlines()[0] == "00001 12 250 1250"


@pytest.mark.parametrize("argv,message", [
    (["synth", "-n", "0", "-o", "x"], "must be at least 1"),
    (["synth", "-n", "many", "-o", "x"], "expected a whole number"),
    (["synth", "-n", "2"], "required: -o/--output"),
])
def test_synth_rejects_bad_arguments(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2 and message in capsys.readouterr().err


def test_synth_reports_unusable_settings_in_one_line(tmp_path, capsys):
    assert main(["-q", "synth", "-n", "2", "--fs", "50", "-o", str(tmp_path / "a")]) == 2
    assert "sampling rate must be at least 100 Hz" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("prevalence: {AFIB: 0.2}\n")
    assert main(["-q", "synth", "-n", "2", "--config", str(bad), "-o", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: unknown label(s) ['AFIB']" in err and "Traceback" not in err
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("x")
    assert main(["-q", "synth", "-n", "2", "-o", str(tmp_path / "full")]) == 2
    assert "folder is not empty" in capsys.readouterr().err
