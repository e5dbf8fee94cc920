"""Run folders: failed runs, resuming with changed epochs or a broken config, leftovers of killed writes (issue 14)."""

import dataclasses
import json

import pytest

from vaescan.errors import VaescanInputError
from vaescan.models.run import CONFIG_FILE, marking_failure, read_run, start_run
from vaescan.models.run_configs import VAERunConfig
from vaescan.models.vae import VAEConfig


def _failed_run(folder):
    start_run(folder, "vae", VAERunConfig(vae=VAEConfig(epochs=16)))
    with pytest.raises(RuntimeError):
        with marking_failure(folder):
            raise RuntimeError("out of memory\nsecond line")
    return folder


def test_a_run_that_raised_is_marked_failed_with_its_reason(tmp_path):
    info = read_run(_failed_run(tmp_path / "run"))
    assert info["status"] == "failed" and info["error"] == "RuntimeError: out of memory second line"


def test_ctrl_c_leaves_the_run_running_for_resume(tmp_path):
    start_run(tmp_path / "run", "vae", VAERunConfig())
    with pytest.raises(KeyboardInterrupt):
        with marking_failure(tmp_path / "run"):
            raise KeyboardInterrupt
    assert read_run(tmp_path / "run")["status"] == "running"


def test_a_new_attempt_starts_over_a_failed_run_without_force(tmp_path):
    folder = _failed_run(tmp_path / "run")
    (folder / "checkpoint.pt").write_bytes(b"stale")
    config = start_run(folder, "vae", VAERunConfig(vae=VAEConfig(epochs=3)))
    info = read_run(folder)
    assert config.vae.epochs == 3 and info["status"] == "running" and "error" not in info
    assert not (folder / "checkpoint.pt").exists()
    with pytest.raises(VaescanInputError, match=r"already holds a vae run \(running\); use --resume"):
        start_run(folder, "vae", VAERunConfig())


def test_resume_honours_changed_epochs_and_keeps_them(tmp_path):
    folder = tmp_path / "run"
    start_run(folder, "vae", VAERunConfig(vae=VAEConfig(epochs=16, latent_dim=4)))

    def more_epochs(saved):
        return dataclasses.replace(saved, vae=dataclasses.replace(saved.vae, epochs=24))

    config = start_run(folder, "vae", VAERunConfig(), resume=True, overrides=more_epochs)
    assert config.vae.epochs == 24 and config.vae.latent_dim == 4   # the rest is the run's own config
    assert start_run(folder, "vae", VAERunConfig(), resume=True).vae.epochs == 24


def test_resume_of_a_run_whose_saved_config_is_invalid_says_so(tmp_path):
    folder = tmp_path / "run"
    start_run(folder, "vae", VAERunConfig())
    (folder / CONFIG_FILE).write_text("vae:\n  epochs: 0\n")
    with pytest.raises(VaescanInputError) as err:
        start_run(folder, "vae", VAERunConfig(), resume=True)
    assert str(err.value) == (f"{folder}: cannot resume: its saved config.yaml is invalid (vae.epochs: must be at "
                              "least 1, got 0); start over with --force")


def test_starting_a_run_removes_temp_files_of_killed_writes(tmp_path):
    folder = tmp_path / "run"
    start_run(folder, "vae", VAERunConfig())
    stale = folder / ".checkpoint.pt.999999999.abcdefgh.tmp"   # pid 999999999 does not run
    stale.write_bytes(b"")
    start_run(folder, "vae", VAERunConfig(), resume=True)
    assert not stale.exists()
    assert json.loads((folder / "run.json").read_text())["status"] == "running"
