"""The documented numbers match the runs' JSON in docs/results/ (scripts/readme_status.py)."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "readme_status.py"


def _module():
    spec = importlib.util.spec_from_file_location("readme_status", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_match_the_results_json():
    run = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, (
        "README.md or docs/digitize.md differs from docs/results/*.json; run python scripts/readme_status.py\n"
        + run.stdout[-3000:])


def test_a_missing_json_leaves_its_row_out_and_says_so(tmp_path):
    rs = _module()
    (tmp_path / "bench_vae.json").write_text(json.dumps({"ratio": 1.5, "target_ratio": 1.3, "meets_target": False}))
    block = rs.status_block(tmp_path)
    assert "| pyro SVI step vs plain torch | 1.50x | <= 1.3x: **missed** |" in block
    assert "bench_features.json" in block.split("Not in this table")[1]
    assert "MAE QRS" not in block


def test_replace_block_needs_one_marker_pair():
    rs = _module()
    text = "a\n<!-- x:start -->\nold\n<!-- x:end -->\nb\n"
    assert rs.replace_block(text, "x", "new", "doc") == "a\n<!-- x:start -->\nnew\n<!-- x:end -->\nb\n"
    with pytest.raises(SystemExit):
        rs.replace_block("no markers", "x", "new", "doc")


def test_outside_pages_row_names_the_pages_below_the_floor(tmp_path):
    rs = _module()
    (tmp_path / "outside_pages").mkdir()
    overall = {"pages": 3, "snr_db": 15.2, "snr_shift_db": 16.0, "failed": 1, "leads_read": 24, "names_right": 1.0,
               "misnamed_leads": 0, "misnamed_silent": 0}
    (tmp_path / "outside_pages" / "summary.json").write_text(json.dumps({"overall": overall}))
    (tmp_path / "outside_pages" / "pages.csv").write_text(
        "page,snr_db,error\na,20.0,\nb,2.5,\nc,0.0,no ECG grid found\n")
    _, measured, verdicts, _ = rs.outside_row(tmp_path)
    assert "below 3 dB: b 2.5, c rejected" in measured and "leads named right 24/24" in measured
    assert verdicts == ("no page < 3 dB: **missed**".join([">= 15 dB: met; ", "; <= 1 rejected: met; "])
                        + "names >= 99%: met; 0 silently misnamed: met")
    assert "pulse convention" not in measured
    # the same pages read with their generator's pulse convention, where that run exists
    (tmp_path / "outside_pages_pulse_lag").mkdir()
    (tmp_path / "outside_pages_pulse_lag" / "summary.json").write_text(json.dumps(
        {"pulse_lag_ms": 3.0, "overall": dict(overall, snr_db=16.8, misnamed_silent=0)}))
    _, measured, _, sources = rs.outside_row(tmp_path)
    assert "(`--pulse-lag-ms 3`): mean 16.8 dB, 0 silently misnamed" in measured
    assert sources == ["outside_pages/summary.json", "outside_pages_pulse_lag/summary.json"]
