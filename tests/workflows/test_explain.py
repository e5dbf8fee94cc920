"""vaescan explain on a tiny black-box run: every file written, and every number traced back to the model."""

import numpy as np
import pandas as pd
import pytest
import torch

from tests.conftest import TINY_BLACKBOX, write_toy_cohort
from vaescan.cli.main import main
from vaescan.data.leads import LEADS
from vaescan.data.records import read_record
from vaescan.data.signals import SignalConfig, record_signal
from vaescan.explain import Jacobian
from vaescan.explain.waves import WAVES
from vaescan.models.blackbox import BlackBox
from vaescan.workflows.explain import ExplainSettings, explain_run


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("explain")
    write_toy_cohort(root / "cohort", n=24, flat=5)
    (root / "bb.yaml").write_text(TINY_BLACKBOX)
    assert main(["-q", "train-blackbox", "--config", str(root / "bb.yaml"), "--data", str(root / "cohort"),
                 "--input", "signal", "-o", str(root / "run"), "--cache-dir", str(root / "cache")]) == 0
    return root


@pytest.fixture(scope="module")
def explained(workspace):
    out = explain_run(workspace / "run", [workspace / "cohort"], workspace / "out",
                      ExplainSettings(figures=2, batch_size=5, jobs=2, smooth=0), progress=False)
    return out


def test_every_output_is_written(explained):
    preds = pd.read_csv(explained / "predictions.csv")
    assert len(preds) == 23 and "r005" not in preds.record_id.tolist()
    assert "flat" in pd.read_csv(explained / "skipped.csv").reason.iloc[0]
    table = pd.read_csv(explained / "explanation.csv")
    assert len(table) == 23 * 3 * 12 * len(WAVES)                          # records x outputs x leads x waves
    assert set(table.wave) == set(WAVES) and set(table.lead) == set(LEADS)
    assert sorted(p.name for p in (explained / "figures").iterdir()) == ["r000.png", "r001.png"]
    blocks = (explained / "summary.txt").read_text().strip().split("\n\n")
    assert len(blocks) == 23 and blocks[0].splitlines()[0] == "r000"
    assert blocks[0].splitlines()[2].startswith("  WIDE ")


def test_numbers_trace_back_to_the_model(workspace, explained):
    model = BlackBox.load(workspace / "run")
    signal = record_signal(read_record(workspace / "cohort" / "records" / "r003"), SignalConfig(50.0, 6.0))
    x = torch.as_tensor(signal[None])
    expected = Jacobian(model.output_module(), times_input=True).attribute(x)[:, 0].numpy()   # (outputs, 12, T)
    maps = np.load(explained / "maps" / "r003.npz")
    np.testing.assert_allclose(maps["maps"].astype(np.float64), expected, rtol=2e-3, atol=1e-5)  # float16 on disk
    table = pd.read_csv(explained / "explanation.csv")
    mine = table[table.record_id == "r003"]
    for k, output in enumerate(model.output_names_):
        assert mine[mine.output == output].value.sum() == pytest.approx(expected[k].sum(), rel=1e-4, abs=1e-6)
    qrs = mine[(mine.output == "WIDE") & (mine.wave == "QRS")].set_index("lead").value
    on_qrs = (maps["waves"] == WAVES.index("QRS"))
    np.testing.assert_allclose(qrs[list(LEADS)].to_numpy(), expected[1][:, on_qrs].sum(-1), rtol=1e-4, atol=1e-6)
    preds = pd.read_csv(explained / "predictions.csv").set_index("record_id")
    scores = model.decision_function(signal[None])[0]
    assert preds.at["r003", "WIDE"] == pytest.approx(1 / (1 + np.exp(-scores[1])), rel=1e-4)
    assert preds.at["r003", "age"] == pytest.approx(scores[2], rel=1e-4)


def test_cli_errors_are_one_line(workspace, tmp_path, capsys):
    from vaescan.pages.image import image_write

    page = image_write(tmp_path / "page.png", np.full((50, 80, 3), 255, np.uint8))
    cases = [([str(workspace / "run"), str(page)], "a signal model explains records, not page images"),
             ([str(workspace / "cohort"), str(workspace / "cohort")], "not a vaescan run folder"),
             ([str(workspace / "run"), str(tmp_path / "none")], "none")]
    for args, message in cases:
        assert main(["-q", "explain", *args, "-o", str(tmp_path / "out")]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err


def test_smoothing_reaches_the_jacobian(workspace, tmp_path):
    """--smooth N with zero noise is the plain map; with noise it differs (the setting is not dropped on the way)."""
    common = ["-q", "explain", str(workspace / "run"), str(workspace / "cohort" / "records" / "r003"), "--figures", "0"]
    assert main([*common, "-o", str(tmp_path / "a"), "--smooth", "0"]) == 0
    assert main([*common, "-o", str(tmp_path / "b"), "--smooth", "2", "--noise-sd", "0"]) == 0
    assert main([*common, "-o", str(tmp_path / "c"), "--smooth", "2", "--noise-sd", "0.2"]) == 0
    assert main([*common, "-o", str(tmp_path / "d")]) == 0                          # a signal run smooths by default
    a, b, c, d = (np.load(tmp_path / k / "maps" / "r003.npz")["maps"] for k in "abcd")
    np.testing.assert_array_equal(a, b)
    assert np.abs(a.astype(float) - c.astype(float)).max() > 1e-4
    assert np.abs(a.astype(float) - d.astype(float)).max() > 1e-4
