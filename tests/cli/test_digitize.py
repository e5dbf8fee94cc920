"""``vaescan render``, ``digitize`` and ``digitize-eval`` from the command line."""

import json

import numpy as np
import pytest

from vaescan.cli.main import main
from vaescan.data.records import read_record
from vaescan.digitize.evaluate import record_snr, truth_signals


@pytest.mark.parametrize("command", ["render", "digitize", "digitize-eval"])
def test_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0 and command in capsys.readouterr().out


def test_render_then_digitize_batch(ptbxl_record, tmp_path, capsys):
    page = tmp_path / "p.png"
    assert main(["-q", "render", str(ptbxl_record), "-o", str(page), "--dpi", "100"]) == 0
    truth = json.loads(page.with_suffix(".json").read_text())
    assert truth["layout"] == "3x4+II" and len(truth["panels"]) == 13
    (tmp_path / "bad.jpg").write_text("nope")
    out = tmp_path / "out"
    assert main(["-q", "digitize", str(page), str(tmp_path / "bad.jpg"), "-o", str(out)]) == 0
    record = read_record(out / "p")
    assert record.fs == 500.0 and record.signal.shape == (5000, 12)
    assert np.isfinite(record.signal[:, 1]).all()               # lead II: the 10 s rhythm strip
    assert np.isnan(record.signal[3000, 0])                     # lead I: shown for 0-2.5 s only
    x, shown = truth_signals(read_record(ptbxl_record), truth)
    snr = record_snr(x, record.signal, shown, 500.0)          # the traces read back: 100 dpi, real record
    assert np.nanmean(snr["snr_db"]) >= 3.0, snr              # dB; measured 4.44
    assert np.nanmean(snr["snr_shift_db"]) >= 7.0, snr        # dB; measured 9.37
    report = json.loads((out / "p.json").read_text())
    assert report["layout"] == "3x4+II" and "quality" in report
    assert "1 images done, 1 skipped" in capsys.readouterr().out
    assert main(["-q", "digitize", str(tmp_path / "bad.jpg"), "-o", str(out)]) == 2
    assert main(["-q", "render", str(ptbxl_record), "-o", str(tmp_path / "x.png"), "--layout", "5x5"]) == 2
