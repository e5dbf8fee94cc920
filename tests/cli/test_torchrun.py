"""``torchrun --standalone --nproc_per_node 2 -m vaescan train-...``: two gloo processes on the CPU end like one
process with the same seed and the same (global) batch size."""

import json
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from tests.conftest import REPO, cli_env, one_torch_thread, write_toy_cohort
from vaescan.cli.main import main
from vaescan.models.persist import load_tensors

TORCHRUN = Path(sys.executable).with_name("torchrun")

CONFIGS = {
    "blackbox": """
signal:
  fs: 50.0
  duration_s: 6.0
model:
  stem: [8]
  widths: [8, 16]
  dropout: 0.0
  batch_size: 8
  epochs: 8
  lr: 0.01
""",
    "vae": """
vae:
  latent_dim: 3
  channels: [8, 16]
  hidden: 32
  batch_size: 8
  beta: 1.0
  warmup_epochs: 1
  epochs: 8
  lr: 0.003
  downsample: 4
""",
    "scan": """
scan:
  epochs: 20
  batch_size: 8
""",
}
"""Tiny runs with 4 records per process and step (the 27 usable training records: 4 steps an epoch). The black box
has no dropout: each process would draw its own masks."""

pytestmark = pytest.mark.skipif(not TORCHRUN.is_file(), reason="no torchrun beside this Python")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("torchrun")
    write_toy_cohort(root / "cohort", n=40, flat=5)
    for kind, text in CONFIGS.items():
        (root / f"{kind}.yaml").write_text(text)
    return root


def _args(workspace, kind, run):
    data = ["--vae", str(workspace / "vae_1")] if kind == "scan" else ["--data", str(workspace / "cohort")]
    return ["-q", f"train-{kind}", "--config", str(workspace / f"{kind}.yaml"), *data, "-o", str(run),
            "--cache-dir", str(workspace / "cache")]


def _both(workspace, kind):
    """The run of one process (in this one, one torch thread) and of two (torchrun); their curves and metrics."""
    one = workspace / f"{kind}_1"
    with one_torch_thread():
        assert main(_args(workspace, kind, one)) == 0
    two = workspace / f"{kind}_2"
    done = subprocess.run([str(TORCHRUN), "--standalone", "--nproc_per_node", "2", "-m", "vaescan",
                           *_args(workspace, kind, two)], cwd=REPO, env=cli_env(), capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    assert done.stdout.decode().count("wrote") == 1  # rank 0 alone reports
    assert json.loads((two / "run.json").read_text())["status"] == "done"
    return [(pd.read_csv(r / "curves.csv"), json.loads((r / "metrics.json").read_text())) for r in (one, two)]


def test_blackbox_on_two_processes_trains_like_one(workspace):
    (c1, m1), (c2, m2) = _both(workspace, "blackbox")
    # measured: equal to the 6 digits of curves.csv (batch statistics synchronised, gradients averaged by DDP)
    np.testing.assert_allclose(c2[["train_loss", "val_loss"]], c1[["train_loss", "val_loss"]], rtol=2e-5)
    w1, w2 = (torch.load(workspace / f"blackbox_{n}" / "blackbox_weights.pt", weights_only=True) for n in (1, 2))
    for key in w1:
        np.testing.assert_allclose(w2[key].double(), w1[key].double(), rtol=1e-4, atol=1e-5, err_msg=key)
    assert m2["mae"]["age"] == pytest.approx(m1["mae"]["age"], rel=1e-4)


def test_vae_on_two_processes_ends_within_the_noise_of_one(workspace):
    (c1, m1), (c2, m2) = _both(workspace, "vae")
    # each process draws its own latent noise: measured 57.9 vs 54.8 uV (val), 60.4 vs 57.7 uV (test)
    assert c2.val_rmse_uv.iloc[-1] == pytest.approx(c1.val_rmse_uv.iloc[-1], rel=0.10)
    assert m2["test_rmse_uv"] == pytest.approx(m1["test_rmse_uv"], rel=0.10)


def test_scan_on_two_processes_ends_within_the_noise_of_one(workspace):
    if not (workspace / "vae_1" / "metrics.json").is_file():
        assert main(_args(workspace, "vae", workspace / "vae_1")) == 0
    (c1, m1), (c2, m2) = _both(workspace, "scan")
    # measured: final train loss 8.87 vs 8.82, val loss 8.14 vs 8.00 nats per record
    assert c2.train_loss.iloc[-1] == pytest.approx(c1.train_loss.iloc[-1], rel=0.05)
    assert c2.val_loss.iloc[-1] == pytest.approx(c1.val_loss.iloc[-1], rel=0.05)


def _processes_writing(run: Path) -> list[str]:
    """Command lines of the live processes (not zombies) that name the folder ``run``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(run) in cmd:
            found.append(cmd)
    return found


def test_torchrun_killed_mid_epoch_resumes_on_two_processes(workspace):
    """The torchrun agent and both processes killed with SIGKILL mid-epoch, then resumed by ``torchrun ...
    --resume``: the run ends like the uninterrupted one-process run (each rank's state restored). The run kills
    itself (tests/cli/_die_at_checkpoint.py) when it reaches the checkpoint of epoch 1 + step 5 of 7, before writing
    it: the file holds epoch 1 + step 3, and the two steps done since are lost, whatever the load on the machine."""
    (workspace / "killed.yaml").write_text(CONFIGS["blackbox"].replace("batch_size: 8", "batch_size: 4")
                                           .replace("epochs: 8", "epochs: 3") + "  checkpoint_every: 2\n")
    args = ["-q", "train-blackbox", "--config", str(workspace / "killed.yaml"), "--data", str(workspace / "cohort"),
            "--cache-dir", str(workspace / "cache")]
    with one_torch_thread():
        assert main([*args, "-o", str(workspace / "killed_1")]) == 0
    run = workspace / "killed_2"
    env = cli_env()
    torchrun = [str(TORCHRUN), "--standalone", "--nproc_per_node", "2", "-m"]
    killed = subprocess.run([*torchrun, "tests.cli._die_at_checkpoint", "1", "5", *args, "-o", str(run)], cwd=REPO,
                            env=env, capture_output=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()[-3000:]  # the agent
    assert not _processes_writing(run)  # nor any worker left running on the folder
    state = load_tensors(run / "checkpoint.pt")
    assert state["world_size"] == 2 and len(state["ranks"]) == 2 and not (run / "metrics.json").exists()
    assert (state["epoch"], state["step"]) == (1, 3) and len(state["curves"]["rows"]) == 1
    done = subprocess.run([*torchrun, "vaescan", *args, "-o", str(run), "--resume"], cwd=REPO, env=env,
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    c1, c2 = (pd.read_csv(workspace / f"killed_{n}" / "curves.csv") for n in (1, 2))
    assert c2.epoch.tolist() == [1, 2, 3]
    # measured: equal to the 6 digits of curves.csv, as without the kill
    np.testing.assert_allclose(c2[["train_loss", "val_loss"]], c1[["train_loss", "val_loss"]], rtol=2e-5)
