"""A training command killed with SIGKILL mid-epoch and restarted with --resume ends with the same weights and
metrics as an uninterrupted run (a real kill of a real process, on the CPU). The process kills itself
(tests/cli/_die_at_checkpoint.py) when it reaches the checkpoint of epoch 1 + step 7 of 14, before writing it: the
file holds epoch 1 + step 4 and the three steps done since are lost, whatever the load on the machine (a kill sent
from outside once a checkpoint appears lands wherever the run has got to by then, at times after the epoch)."""

import json
import signal
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from tests.conftest import REPO, cli_env, one_torch_thread, write_toy_cohort
from vaescan.cli.main import main
from vaescan.models.persist import load_tensors

CONFIGS = {
    "train-blackbox": ("blackbox_weights.pt", """
signal:
  fs: 50.0
  duration_s: 6.0
model:
  stem: [8]
  widths: [8, 16]
  dropout: 0.2
  batch_size: 2
  epochs: 4
  lr: 0.01
  checkpoint_every: 3
"""),
    "train-vae": ("vae_weights.pt", """
vae:
  latent_dim: 3
  channels: [8, 16]
  hidden: 32
  batch_size: 2
  beta: 1.0
  warmup_epochs: 1
  epochs: 4
  lr: 0.003
  downsample: 4
  checkpoint_every: 3
"""),
}
"""Tiny runs with 2 records a step (14 steps an epoch on the 27 usable training records) and a checkpoint every
3 steps, so most checkpoints fall mid-epoch."""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("kill")
    write_toy_cohort(root / "cohort", n=40, flat=5)
    for command, (_, text) in CONFIGS.items():
        (root / f"{command}.yaml").write_text(text)
    return root


def _args(workspace, command, run):
    return ["-q", command, "--config", str(workspace / f"{command}.yaml"), "--data", str(workspace / "cohort"),
            "-o", str(run), "--cache-dir", str(workspace / "cache")]


@pytest.mark.parametrize("command", list(CONFIGS))
def test_sigkill_mid_epoch_then_resume_ends_like_an_uninterrupted_run(workspace, command):
    weights, _ = CONFIGS[command]
    full = workspace / f"{command}_full"
    with one_torch_thread():
        assert main(_args(workspace, command, full)) == 0  # also fills the cache the subprocess reads

    run = workspace / f"{command}_killed"
    env = cli_env()
    killed = subprocess.run([sys.executable, "-m", "tests.cli._die_at_checkpoint", "1", "7",
                             *_args(workspace, command, run)], cwd=REPO, env=env, capture_output=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()[-2000:]
    assert json.loads((run / "run.json").read_text())["status"] == "running" and not (run / "metrics.json").exists()
    state = load_tensors(run / "checkpoint.pt")
    assert (state["epoch"], state["step"]) == (1, 4) and len(state["curves"]["rows"]) == 1

    resumed = subprocess.run([sys.executable, "-m", "vaescan", *_args(workspace, command, run), "--resume"],
                             cwd=REPO, env=env, capture_output=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr.decode()[-2000:]
    a, b = torch.load(full / weights, weights_only=True), torch.load(run / weights, weights_only=True)
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key  # measured: bit-identical
    cols = ["epoch", "train_loss", "val_loss"]
    curves_full, curves = pd.read_csv(full / "curves.csv"), pd.read_csv(run / "curves.csv")
    np.testing.assert_array_equal(curves[cols].to_numpy(), curves_full[cols].to_numpy())
    m_full, m = (json.loads((r / "metrics.json").read_text()) for r in (full, run))
    for key in ("train_seconds", "torch_threads"):
        m_full.pop(key), m.pop(key)
    assert m == m_full
