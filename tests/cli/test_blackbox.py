"""train-blackbox and predict with a black-box run, end to end on a tiny on-disk cohort (seconds)."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from tests.conftest import TINY_BLACKBOX, write_toy_cohort
from vaescan.cli.main import main
from vaescan.data.signals import SignalConfig, cohort_signals
from vaescan.data.sources import load_cohort
from vaescan.models.blackbox import BlackBox


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("bb")
    write_toy_cohort(root / "cohort", n=40, flat=5)
    (root / "bb.yaml").write_text(TINY_BLACKBOX)
    return root


@pytest.fixture(scope="module")
def run(workspace):
    run = workspace / "bb_run"
    code = main(["-q", "train-blackbox", "--config", str(workspace / "bb.yaml"), "--data", str(workspace / "cohort"),
                 "--input", "signal", "-o", str(run), "--cache-dir", str(workspace / "cache"), "--jobs", "1"])
    assert code == 0
    return run


def test_train_blackbox_writes_a_complete_run_folder(run, capsys):
    names = {p.name for p in run.iterdir()}
    assert {"run.json", "config.yaml", "checkpoint.pt", "blackbox_weights.pt", "blackbox.json", "curves.csv",
            "curves.png", "metrics.json", "skipped.csv"} <= names
    assert "param_store.pt" not in names  # not a pyro model
    info = json.loads((run / "run.json").read_text())
    assert info["kind"] == "blackbox" and info["status"] == "done"
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["eval_split"] == "test" and metrics["n_skipped"] == 1 and metrics["input"] == "signal"
    assert set(metrics["auroc"]) <= {"NORM", "WIDE"} and set(metrics["mae"]) == {"age"}
    assert metrics["n_params"] == BlackBox.load(run).n_params_ > 0 and metrics["epochs"] == 2
    assert pd.read_csv(run / "skipped.csv").record_id.tolist() == ["r005"]
    assert len(pd.read_csv(run / "curves.csv")) == 2
    weights = torch.load(run / "blackbox_weights.pt", weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in weights.values())


def test_predict_with_a_blackbox_run_lists_every_record(workspace, run):
    out = workspace / "preds.csv"
    assert main(["-q", "predict", str(run), str(workspace / "cohort"), "-o", str(out),
                 "--cache-dir", str(workspace / "cache")]) == 0
    preds = pd.read_csv(out, keep_default_na=False, na_values=[""])
    assert len(preds) == 40 and preds.columns.tolist() == ["record_id", "prob_NORM", "prob_WIDE", "pred_age", "skipped"]
    assert preds.record_id.tolist() == [f"r{i:03d}" for i in range(40)]
    bad = preds[preds.record_id == "r005"]
    assert "flat" in bad.skipped.iloc[0] and bad.prob_WIDE.isna().all()
    assert not (workspace / "preds_contributions.csv").exists()
    # the same numbers as the model on the cohort's signals
    signals = cohort_signals(load_cohort(workspace / "cohort"), SignalConfig(fs=50.0, duration_s=6.0),
                             use_cache=False, progress=False)
    expected = BlackBox.load(run).predict(signals.signals)
    ok = preds.dropna(subset=["prob_WIDE"])
    np.testing.assert_allclose(ok.prob_WIDE, expected.WIDE, rtol=1e-4)
    np.testing.assert_allclose(ok.pred_age, expected.age, rtol=1e-4)


def test_shard_size_streams_the_signals_from_shards_to_the_same_run(workspace, run):
    streamed = workspace / "bb_streamed"
    assert main(["-q", "train-blackbox", "--config", str(workspace / "bb.yaml"), "--data", str(workspace / "cohort"),
                 "--input", "signal", "-o", str(streamed), "--cache-dir", str(workspace / "cache"), "--jobs", "2",
                 "--shard-size", "7"]) == 0
    assert "shard_size: 7" in (streamed / "config.yaml").read_text()
    assert [p.name.split("-")[-1] for p in (workspace / "cache" / "signals").iterdir() if p.is_dir()] == ["shards7"]
    curves = [pd.read_csv(r / "curves.csv").drop(columns="seconds") for r in (run, streamed)]
    pd.testing.assert_frame_equal(curves[1], curves[0])  # the same batches, bit for bit (6 digits of the CSV)
    metrics = [json.loads((r / "metrics.json").read_text()) for r in (run, streamed)]
    assert metrics[1]["auroc"] == metrics[0]["auroc"] and metrics[1]["mae"] == metrics[0]["mae"]
    assert pd.read_csv(streamed / "skipped.csv").record_id.tolist() == ["r005"]


def test_resume_with_more_epochs_trains_on(workspace, run, capsys):
    again = workspace / "bb_more"
    base = ["-q", "train-blackbox", "--config", str(workspace / "bb.yaml"), "--data", str(workspace / "cohort"),
            "--cache-dir", str(workspace / "cache"), "-o", str(again)]
    assert main([*base, "--epochs", "1"]) == 0
    assert main([*base, "--resume", "--epochs", "3"]) == 0
    assert pd.read_csv(again / "curves.csv").epoch.tolist() == [1, 2, 3]
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("extra, message", [
    (["--data", "no/such/cohort"], "no/such/cohort"),
    (["--config", "CONFIG_MISMATCH"], "model.input: 'image' differs from input 'signal'"),
    (["--config", "CONFIG_BAD"], "model.kernel: must be odd"),
    (["--shard-size", "-1"], "shard_size: must be at least 0, got -1"),
])
def test_bad_inputs_are_one_line_errors(workspace, tmp_path, extra, message, capsys):
    (tmp_path / "mismatch.yaml").write_text("input: signal\nmodel:\n  input: image\n")
    (tmp_path / "bad.yaml").write_text("model:\n  kernel: 4\n")
    extra = [{"CONFIG_MISMATCH": str(tmp_path / "mismatch.yaml"), "CONFIG_BAD": str(tmp_path / "bad.yaml")}.get(a, a)
             for a in extra]
    args = ["-q", "train-blackbox", "--data", str(workspace / "cohort"), "-o", str(tmp_path / "run"), *extra]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_finished_run_is_not_overwritten_and_predict_needs_a_run(workspace, run, tmp_path, capsys):
    assert main(["-q", "train-blackbox", "--config", str(workspace / "bb.yaml"), "--data", str(workspace / "cohort"),
                 "-o", str(run)]) == 2
    assert "use --resume to continue it or --force" in capsys.readouterr().err
    assert main(["-q", "predict", str(tmp_path), str(workspace / "cohort"), "-o", str(tmp_path / "p.csv")]) == 2
    assert "not a vaescan run folder" in capsys.readouterr().err


TINY_IMAGE = """
input: image
image:
  dpi: 25.0
  size: [64, 96]
  distortion: 0.2
  layout: 12x1
  ink: value
model:
  input: image
  stem: [8]
  widths: [8, 16]
  kernel: 3
  dropout: 0.0
  batch_size: 8
  epochs: 1
"""


def test_image_run_predicts_and_explains_records_and_page_images(workspace, tmp_path, capsys):
    """An image run end to end: trained on rendered pages, then predict and explain on records and on a PNG."""
    from vaescan.data.synth import simulate_records
    from vaescan.pages.model_input import PageInputConfig, page_style
    from vaescan.pages.render import page_write

    (tmp_path / "img.yaml").write_text(TINY_IMAGE)
    run = tmp_path / "img_run"
    assert main(["-q", "train-blackbox", "--config", str(tmp_path / "img.yaml"), "--data", str(workspace / "cohort"),
                 "--input", "image", "-o", str(run), "--cache-dir", str(tmp_path / "cache")]) == 0
    cohort = load_cohort(workspace / "cohort")
    record, _ = next(simulate_records(1, seed=2))                      # a 10 s page the digitiser reads
    png, _ = page_write(record, tmp_path / "page3.png", page_style(PageInputConfig(dpi=100)))
    assert main(["-q", "predict", str(run), str(png), "-o", str(tmp_path / "p.csv")]) == 0
    preds = pd.read_csv(tmp_path / "p.csv")
    assert len(preds) == 1 and preds.prob_WIDE.between(0, 1).all()
    assert main(["-q", "predict", str(run), str(workspace / "cohort"), "-o", str(tmp_path / "q.csv"),
                 "--cache-dir", str(tmp_path / "cache")]) == 0
    assert len(pd.read_csv(tmp_path / "q.csv")) == 40
    out = tmp_path / "explained"
    assert main(["-q", "explain", str(run), str(cohort.record_path(1)), str(png), "-o", str(out),
                 "--figures", "2"]) == 0
    shown = pd.read_csv(out / "predictions.csv")
    assert shown.record_id.astype(str).tolist() == ["r001", "page3"]
    assert shown.background_share.between(0, 1).all()
    table = pd.read_csv(out / "explanation.csv")
    assert len(table) == 2 * 3 * 12 * 6 and table.value.abs().sum() > 0
    assert len(list((out / "figures").iterdir())) == 2


def test_shard_size_streams_the_page_images_from_shards_to_the_same_run(workspace, tmp_path):
    """Page images written as shards (uint8, as in the .npz cache) and streamed train the very run the pages in
    memory train: the same curves, weights and metrics, bit for bit (measured)."""
    (tmp_path / "img.yaml").write_text(TINY_IMAGE.replace("epochs: 1", "epochs: 2"))
    runs = [tmp_path / "in_memory", tmp_path / "streamed"]
    for run, extra in zip(runs, ([], ["--shard-size", "7", "--jobs", "2"])):
        assert main(["-q", "train-blackbox", "--config", str(tmp_path / "img.yaml"), "--input", "image",
                     "--data", str(workspace / "cohort"), "-o", str(run), "--cache-dir", str(tmp_path / "cache"),
                     *extra]) == 0
    assert "shard_size: 7" in (runs[1] / "config.yaml").read_text()
    assert sorted(p.name.split("-")[-1] for p in (tmp_path / "cache" / "pages").iterdir() if p.is_dir()) == ["shards7"]
    a, b = (torch.load(r / "blackbox_weights.pt", weights_only=True) for r in runs)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    curves = [pd.read_csv(r / "curves.csv").drop(columns="seconds") for r in runs]
    pd.testing.assert_frame_equal(curves[1], curves[0], check_exact=True)
    metrics = [json.loads((r / "metrics.json").read_text()) for r in runs]
    assert metrics[1]["auroc"] == metrics[0]["auroc"] and metrics[1]["mae"] == metrics[0]["mae"]
    skipped = [pd.read_csv(r / "skipped.csv").to_dict("records") for r in runs]
    assert skipped[1] == skipped[0]
