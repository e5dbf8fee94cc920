"""The model commands end to end on a tiny on-disk cohort (a few seconds of training each)."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from tests.conftest import write_toy_cohort
from vaescan.cli.main import main
from vaescan.data.leads import LEADS
from vaescan.data.records import read_record

SMALL_VAE = """
vae:
  latent_dim: 3
  channels: [8, 16]
  hidden: 32
  batch_size: 16
  beta: 1.0
  warmup_epochs: 1
  epochs: 3
  lr: 0.003
  downsample: 4
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    write_toy_cohort(root / "cohort", n=40, flat=5)
    (root / "vae.yaml").write_text(SMALL_VAE)
    return root


@pytest.fixture(scope="module")
def vae_run(workspace):
    run = workspace / "vae_run"
    code = main(["-q", "train-vae", "--config", str(workspace / "vae.yaml"), "--data", str(workspace / "cohort"),
                 "-o", str(run), "--cache-dir", str(workspace / "cache")])
    assert code == 0
    return run


@pytest.fixture(scope="module")
def scan_run(workspace, vae_run):
    run = workspace / "scan_run"
    assert main(["-q", "train-scan", "--vae", str(vae_run), "-o", str(run), "--epochs", "20",
                 "--cache-dir", str(workspace / "cache")]) == 0
    return run


def test_train_vae_writes_a_complete_run_folder(vae_run):
    names = {p.name for p in vae_run.iterdir()}
    assert {"run.json", "config.yaml", "checkpoint.pt", "vae_weights.pt", "vae.json", "param_store.pt",
            "curves.csv", "curves.png", "metrics.json", "skipped.csv"} <= names
    info = json.loads((vae_run / "run.json").read_text())
    assert info["kind"] == "vae" and info["status"] == "done"
    curves = pd.read_csv(vae_run / "curves.csv")
    assert len(curves) == 3
    assert curves.val_rmse_uv.iloc[-1] <= curves.val_rmse_uv.iloc[0] - 10.0, curves   # uV; measured 183.5 -> 165.5
    metrics = json.loads((vae_run / "metrics.json").read_text())
    assert metrics["n_skipped"] == 1 and metrics["eval_split"] == "test"
    # uV; measured 164.3 (3 epochs: the test beats' own RMS is 174, so the band is for units and failures)
    assert 150.0 <= metrics["test_rmse_uv"] <= 180.0, metrics["test_rmse_uv"]
    assert set(metrics["readout_r2"]) == {"qrs_ms", "qt_ms"}  # the cohort's ground-truth factors
    assert pd.read_csv(vae_run / "skipped.csv").record_id.tolist() == ["r005"]
    weights = torch.load(vae_run / "vae_weights.pt", weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in weights.values())


def test_a_finished_run_is_not_overwritten_by_accident(workspace, vae_run, capsys):
    code = main(["-q", "train-vae", "--config", str(workspace / "vae.yaml"), "--data", str(workspace / "cohort"),
                 "-o", str(vae_run)])
    assert code == 2 and "use --resume to continue it or --force" in capsys.readouterr().err


def test_interrupted_training_resumes_from_its_last_epoch(workspace, monkeypatch, capsys):
    import vaescan.models.train as train

    original = train._save_checkpoint

    def save_then_stop(path, epoch, *args):
        original(path, epoch, *args)
        if epoch == 2:
            raise KeyboardInterrupt

    run = workspace / "interrupted"
    args = ["-q", "train-vae", "--config", str(workspace / "vae.yaml"), "--data", str(workspace / "cohort"),
            "-o", str(run), "--cache-dir", str(workspace / "cache")]
    monkeypatch.setattr(train, "_save_checkpoint", save_then_stop)
    assert main(args) == 130
    assert json.loads((run / "run.json").read_text())["status"] == "running"
    monkeypatch.setattr(train, "_save_checkpoint", original)
    assert main(args + ["--resume"]) == 0
    curves = pd.read_csv(run / "curves.csv")
    assert curves.epoch.tolist() == [1, 2, 3]
    assert json.loads((run / "run.json").read_text())["status"] == "done"


@pytest.mark.parametrize("setting, message", [
    ("epochs: -5", "vae.epochs: must be at least 1, got -5"),
    ("batch_size: 0", "vae.batch_size: must be at least 1, got 0"),
    ("lr: fast", "vae.lr: expected a number, got 'fast'"),
])
def test_invalid_config_values_stop_before_the_run_starts(workspace, setting, message, capsys):
    (workspace / "bad.yaml").write_text(f"vae:\n  {setting}\n")
    run = workspace / "bad_run"
    code = main(["-q", "train-vae", "--config", str(workspace / "bad.yaml"), "--data", str(workspace / "cohort"),
                 "-o", str(run)])
    err = capsys.readouterr().err
    assert code == 2 and err == f"vaescan: error: {workspace / 'bad.yaml'}: {message}\n"
    assert not run.exists()   # no untrained vae_weights.pt, no run.json


def test_resume_with_more_epochs_trains_on(workspace, capsys):
    run = workspace / "more_epochs"
    args = ["-q", "train-vae", "--config", str(workspace / "vae.yaml"), "--data", str(workspace / "cohort"),
            "-o", str(run), "--cache-dir", str(workspace / "cache")]
    assert main(args + ["--epochs", "1"]) == 0
    assert main(args + ["--resume", "--epochs", "2"]) == 0
    assert pd.read_csv(run / "curves.csv").epoch.tolist() == [1, 2]
    assert "epochs: 2" in (run / "config.yaml").read_text()


def test_a_failed_run_is_marked_and_a_new_attempt_starts_over(workspace, monkeypatch, capsys):
    import vaescan.workflows.training as training
    from vaescan.errors import VaescanInputError

    def broken(*args, **kwargs):
        raise VaescanInputError("disk", "no space left")

    monkeypatch.setattr(training, "load_data", broken)
    run = workspace / "failed"
    args = ["-q", "train-vae", "--config", str(workspace / "vae.yaml"), "--data", str(workspace / "cohort"),
            "-o", str(run)]
    assert main(args) == 2
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "failed" and info["error"] == "VaescanInputError: disk: no space left"
    capsys.readouterr()
    assert main(args) == 2                              # no --force needed: it fails again, in training
    assert capsys.readouterr().err == "vaescan: error: disk: no space left\n"


def test_resume_of_a_run_with_an_invalid_saved_config_says_so(workspace, capsys):
    run = workspace / "broken_config"
    run.mkdir()
    (run / "run.json").write_text('{"kind": "vae", "status": "running"}')
    (run / "config.yaml").write_text("vae:\n  epochs: 0\n")
    code = main(["-q", "train-vae", "-o", str(run), "--resume"])
    assert code == 2 and capsys.readouterr().err == (
        f"vaescan: error: {run}: cannot resume: its saved config.yaml is invalid (vae.epochs: must be at least 1, "
        "got 0); start over with --force\n")


def test_train_scan_measures_the_clinical_links(scan_run):
    info = json.loads((scan_run / "run.json").read_text())
    assert info["kind"] == "scan" and info["status"] == "done"
    metrics = json.loads((scan_run / "metrics.json").read_text())
    # the 6 test records hold both classes, so both AUROCs are measured (scan_metrics drops a one-class label)
    assert set(metrics["auroc"]) == {"NORM", "WIDE"} and "age" in metrics["r2"]
    assert metrics["auroc"]["WIDE"] >= 0.9, metrics["auroc"]      # measured 1.00
    assert metrics["auroc"]["NORM"] >= 0.6, metrics["auroc"]      # measured 0.75 (one swapped pair of 8: 0.625)
    assert set(metrics["generated"]) == {"NORM", "WIDE", "none"}
    assert {"scan_weights.pt", "scan.json", "vae_weights.pt", "param_store.pt"} <= {p.name for p in scan_run.iterdir()}


def test_predict_lists_every_record_and_contributions_sum(workspace, scan_run):
    out = workspace / "preds.csv"
    assert main(["-q", "predict", str(scan_run), str(workspace / "cohort"), "-o", str(out),
                 "--cache-dir", str(workspace / "cache")]) == 0
    preds = pd.read_csv(out, keep_default_na=False, na_values=[""])
    assert len(preds) == 40 and preds.columns.tolist() == ["record_id", "prob_NORM", "prob_WIDE", "pred_age", "skipped"]
    bad = preds[preds.record_id == "r005"]
    assert "flat" in bad.skipped.iloc[0] and bad.prob_WIDE.isna().all()
    contrib = pd.read_csv(workspace / "preds_contributions.csv")
    assert len(contrib) == 39 * 3
    terms = [c for c in contrib.columns if c.startswith("z")] + ["intercept"]
    np.testing.assert_allclose(contrib[terms].sum(axis=1), contrib.total, atol=1e-4)
    wide = contrib[contrib.output == "WIDE"].set_index("record_id").total
    ok = preds.dropna(subset=["prob_WIDE"]).set_index("record_id")
    np.testing.assert_allclose(1 / (1 + np.exp(-wide.loc[ok.index])), ok.prob_WIDE, atol=1e-4)


def test_traverse_draws_and_measures_each_factor(workspace, vae_run):
    out = workspace / "traversal"
    assert main(["-q", "traverse", str(vae_run), "-o", str(out), "--factors", "0", "2", "--steps", "3"]) == 0
    table = pd.read_csv(out / "traversal.csv")
    assert table.columns[:4].tolist() == ["factor", "step", "z", "qrs_ms"]
    assert {"pr_ms", "qt_ms", "t_amp_mv", "r_amp_mv", "axis_deg", "st_mv_anterior"} <= set(table.columns)
    assert table.factor.tolist() == [0] * 3 + [2] * 3 and table.step.tolist()[:3] == [-3.0, 0.0, 3.0]
    assert {"traversal_z0.png", "traversal_z2.png", "traversal_overview.png", "traversal_spearman.png",
            "traversal_spearman.csv", "traversal_effects.csv"} <= {p.name for p in out.iterdir()}


def test_associate_writes_heatmaps(workspace, scan_run):
    out = workspace / "assoc"
    assert main(["-q", "associate", str(scan_run), "-o", str(out), "--split", "train",
                 "--data", str(workspace / "cohort")]) == 0
    weights = pd.read_csv(out / "scan_weights.csv", index_col=0)
    assert weights.index.tolist() == ["NORM", "WIDE", "age"] and weights.columns.tolist() == ["z0", "z1", "z2"]
    scores = pd.read_csv(out / "single_factor_scores.csv")
    assert set(scores.metric) == {"auroc", "r2"}
    assert {"scan_weights.png", "single_factor_auroc.png", "single_factor_r2.png"} <= {p.name for p in out.iterdir()}


def test_generate_writes_a_wfdb_record_and_figure(workspace, scan_run):
    out = workspace / "generated"
    assert main(["-q", "generate", str(scan_run), "--set", "WIDE=1", "--set", "age=70", "-o", str(out)]) == 0
    rec = read_record(out / "generated")
    assert rec.fs == 500.0 and rec.sig_name == list(LEADS) and rec.signal.shape == (500, 12)
    assert read_record(out / "reference").signal.shape == (500, 12)
    table = pd.read_csv(out / "features.csv", index_col=0)
    assert table.index.tolist() == ["generated", "reference"] and (out / "generated.png").is_file()


@pytest.mark.parametrize("argv, message", [
    (["train-scan", "--vae", "{ws}/cohort", "-o", "{ws}/x"], "not a vaescan run folder"),
    (["generate", "{ws}/scan_run", "--set", "LBBB=1", "-o", "{ws}/g"], "unknown clinical variable"),
    (["generate", "{ws}/scan_run", "--set", "WIDE", "-o", "{ws}/g"], "expected NAME=VALUE"),
    (["predict", "{ws}/vae_run", "{ws}/cohort", "-o", "{ws}/p.csv"], "makes no clinical predictions"),
    (["traverse", "{ws}/vae_run", "--factors", "7", "-o", "{ws}/t"], "no factor(s) [7]"),
    (["train-vae", "--config", "{ws}/typo.yaml", "--data", "{ws}/cohort", "-o", "{ws}/y"], "unknown VAEConfig setting"),
    (["train-vae", "--data", "{ws}/cohort", "-o", "{ws}/vae_run", "--resume", "--config", "{ws}/scan.yaml"],
     "unknown VAERunConfig setting"),
])
def test_unusable_input_gives_one_clear_line(workspace, scan_run, argv, message, capsys):
    (workspace / "typo.yaml").write_text("vae:\n  latent_dims: 3\n")
    (workspace / "scan.yaml").write_text("vae_run: x\n")
    code = main(["-q"] + [a.format(ws=workspace) for a in argv])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


def test_run_vae_scan_trains_draws_and_resumes(workspace, monkeypatch):
    from vaescan.workflows.vae_scan import run_vae_scan

    monkeypatch.setenv("VAESCAN_CACHE_DIR", str(workspace / "cache"))

    vae_yaml = workspace / "vae.yaml"
    scan_yaml = workspace / "scan_quick.yaml"
    scan_yaml.write_text("scan:\n  epochs: 20\n  batch_size: 16\n")
    out = workspace / "quick"
    summary = run_vae_scan(workspace / "cohort", out, vae_config=vae_yaml, scan_config=scan_yaml, progress=False)
    assert summary["generated_label"] == "WIDE" and summary["latent_dim"] == 3
    assert set(summary["readout_r2"]) == {"qrs_ms", "qt_ms"} and set(summary["auroc"]) == {"NORM", "WIDE"}
    assert summary["auroc"]["WIDE"] >= 0.9 and summary["auroc"]["NORM"] >= 0.6, summary["auroc"]  # measured 1.00, 0.75
    assert 150.0 <= summary["test_rmse_uv"] <= 180.0, summary["test_rmse_uv"]                      # uV; measured 164.3
    for folder, name in (("traversal", "traversal_overview.png"), ("associations", "scan_weights.png"),
                         ("generated", "generated.png"), ("vae", "metrics.json"), ("scan", "metrics.json")):
        assert (out / folder / name).is_file(), (folder, name)
    assert json.loads((out / "summary.json").read_text()) == json.loads(json.dumps(summary))
    # a second call finds every stage done and trains nothing
    stamp = (out / "vae" / "vae_weights.pt").stat().st_mtime_ns
    again = run_vae_scan(workspace / "cohort", out, vae_config=vae_yaml, scan_config=scan_yaml, progress=False)
    assert again == summary and (out / "vae" / "vae_weights.pt").stat().st_mtime_ns == stamp


@pytest.mark.parametrize("under", [False, True])
def test_output_that_is_a_file_is_refused_first(tmp_path, capsys, under):
    """-o naming an existing file or a path under one: one line before any work (train-vae saved nothing
    and failed in mkdir; traverse and generate failed after loading the run)."""
    taken = tmp_path / "taken.txt"
    taken.write_text("keep me")
    out = str(taken / "sub" if under else taken)
    cohort = write_toy_cohort(tmp_path / "cohort", n=4)
    commands = [["train-vae", "--data", str(cohort), "-o", out, "--epochs", "1", "--cache-dir", str(tmp_path / "c")],
                ["train-scan", "--vae", str(tmp_path / "no_run"), "-o", out],
                ["traverse", str(tmp_path / "no_run"), "-o", out],
                ["associate", str(tmp_path / "no_run"), "-o", out],
                ["generate", str(tmp_path / "no_run"), "--set", "NORM=1", "-o", out]]
    for command in commands:
        assert main(["-q", *command]) == 2, command
        err = capsys.readouterr().err.strip()
        assert "\n" not in err and (f"{taken} is a file" in err if under else "exists and is a file" in err), err
    assert taken.read_text() == "keep me"


def test_start_run_refuses_a_file(tmp_path):
    from vaescan.errors import VaescanInputError
    from vaescan.models.run import start_run
    from vaescan.models.vae import VAEConfig

    (tmp_path / "run").write_text("x")
    with pytest.raises(VaescanInputError, match="exists and is a file, not a run folder"):
        start_run(tmp_path / "run", "vae", VAEConfig())
