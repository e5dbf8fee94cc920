import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import AnalyticECG, analytic_ecg
from vaescan.cli.main import build_parser, main
from vaescan.data.beats import BeatSet
from vaescan.data.records import write_record


def _subcommands() -> list[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return sorted(action.choices)


@pytest.mark.parametrize("command", _subcommands())
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    assert "usage: vaescan " + command in capsys.readouterr().out


def test_features_on_the_real_record(ptbxl_record, tmp_path, capsys):
    out = tmp_path / "f.csv"
    assert main(["-q", "features", str(ptbxl_record.parent.parent.parent), "-o", str(out)]) == 0
    table = pd.read_csv(out)
    assert table.record_id.tolist() == ["00001_lr"]
    assert 55 < table.hr_bpm[0] < 75
    assert "1 records done, 0 skipped" in capsys.readouterr().out


def test_batch_skips_bad_records_and_says_why(tmp_path, capsys):
    for i in range(2):
        write_record(analytic_ecg(AnalyticECG(hr_bpm=60 + 10 * i))[0], tmp_path / "recs" / f"ok{i}")
    broken = analytic_ecg(AnalyticECG())[0]
    broken.signal[:, 8] = 0.0
    write_record(broken, tmp_path / "recs" / "flat")
    (tmp_path / "recs" / "junk.hea").write_text("not a header\n")
    out = tmp_path / "beats.npz"
    assert main(["-q", "beats", str(tmp_path / "recs"), "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert "2 records done, 2 skipped" in captured.out
    assert "flat: lead V3 is flat" in captured.err and "junk.hea: unreadable WFDB header" in captured.err
    bs = BeatSet.load(out)
    assert bs.record_ids == ["ok0", "ok1"] and bs.beats.shape == (2, 12, 500)
    assert [r for r, _ in bs.skipped] == ["flat", "junk"]


def test_unusable_input_exits_2_without_traceback(tmp_path):
    (tmp_path / "lonely.hea").write_text("lonely 12 500 5000\n")
    cmd = [sys.executable, "-m", "vaescan", "-q", "features", str(tmp_path / "lonely.hea"), "-o",
           str(tmp_path / "x.csv")]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "no usable record" in proc.stderr
    assert "lonely.hea: header announces 12 signals but describes 0" in proc.stderr


def test_bad_arguments_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["features"])
    assert info.value.code == 2
    assert "see 'vaescan features --help'" in capsys.readouterr().err


def test_console_script_runs():
    script = Path(sys.executable).with_name("vaescan")
    if not script.exists():
        pytest.skip("vaescan is not installed in this environment (run scripts/test.sh)")
    proc = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("vaescan ")
