"""Saved models, checkpoints and run files that load safely but are malformed: one clear line each (issue 14)."""

import json

import numpy as np
import pyro.optim
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from vaescan.errors import VaescanInputError
from vaescan.io import write_json
from vaescan.models.persist import load_tensors
from vaescan.models.run import read_run
from vaescan.models.train import _load_checkpoint, _save_checkpoint
from vaescan.models.vae import VAE, BetaVAE

TINY = dict(latent_dim=2, channels=(4,), hidden=8, downsample=4, batch_size=8, epochs=1)


def _one_line(err) -> str:
    text = str(err.value)
    assert "\n" not in text and "weights_only" not in text and len(text) < 600, text
    return text


@pytest.fixture(scope="module")
def tiny_vae_folder(tmp_path_factory):
    """A saved, untrained VAE (what VAE.save writes, without the seconds of a fit)."""
    vae = VAE(**TINY)
    vae.fs_, vae.window_ms_, vae.n_leads_, vae.n_samples_ = 500.0, (-400.0, 600.0), 12, 500
    vae.net_ = BetaVAE(12, 500 // TINY["downsample"], vae.config)
    vae.kl_per_unit_, vae.active_units_ = np.array([0.5, 0.0]), [0]
    vae.latent_mean_, vae.latent_sd_ = np.zeros(2), np.ones(2)
    vae.anchor_mean_, vae.anchor_std_ = np.zeros(0), np.zeros(0)
    folder = tmp_path_factory.mktemp("tiny_vae")
    vae.save(folder)
    VAE.load(folder, device="cpu")  # what the tests below break is a loadable model
    return folder


def _with(folder, tmp_path, **changes):
    meta = json.loads((folder / "vae.json").read_text())
    for key, value in changes.items():
        if key.startswith("config."):
            meta["config"][key[7:]] = value
        else:
            meta[key] = value
    (tmp_path / "vae_weights.pt").write_bytes((folder / "vae_weights.pt").read_bytes())
    write_json(tmp_path / "vae.json", meta)
    return tmp_path


@pytest.mark.parametrize("changes, message", [
    ({"n_samples": 4e9}, "vae.json: not a vaescan VAE description (n_samples: expected a whole number from 2 to "
                         "100000, got 4e+09)"),
    ({"config.latent_dim": "four"}, "vae.json: config.latent_dim: expected a whole number, got 'four'"),
    ({"config.latent_dim": 4_000_000_000}, "vae.json: config.latent_dim: must be at most 1024, got 4000000000"),
    ({"n_leads": "12"}, "vae.json: not a vaescan VAE description (n_leads: expected a whole number from 1 to 64, "
                        "got '12')"),
    ({"kl_per_unit": [1.0]}, "vae.json: not a vaescan VAE description (kl_per_unit: expected 2 numbers, got 1)"),
    ({"active_units": [5]}, "vae.json: not a vaescan VAE description (active_units: expected factor indices from 0 "
                            "to 1, got a list of 1 item)"),
    ({"config": [1, 2]}, "vae.json: config: expected a mapping of VAEConfig settings, got a list of 2 items"),
])
def test_malformed_vae_description_is_one_line(tiny_vae_folder, tmp_path, changes, message):
    with pytest.raises(VaescanInputError) as err:
        VAE.load(_with(tiny_vae_folder, tmp_path, **changes), device="cpu")
    assert _one_line(err).endswith(message), str(err.value)


def test_description_that_is_a_list_is_refused(tiny_vae_folder, tmp_path):
    folder = _with(tiny_vae_folder, tmp_path)
    write_json(folder / "vae.json", [1, 2, 3])
    with pytest.raises(VaescanInputError) as err:
        VAE.load(folder, device="cpu")
    assert "not a vaescan VAE description" in _one_line(err)


@pytest.mark.parametrize("content, message", [
    ([torch.ones(2)], "not a vaescan tensor file (expected a mapping of names to tensors, got a list of 1 item)"),
    ({"encoder.w": "six"}, "weights do not match vae.json (the file is not a mapping of names to tensors)"),
    ({"encoder.w": torch.ones(2)}, "weights do not match vae.json (Error(s) in loading state_dict for BetaVAE:"),
])
def test_weights_of_the_wrong_structure_are_one_line(tiny_vae_folder, tmp_path, content, message):
    folder = _with(tiny_vae_folder, tmp_path)
    torch.save(content, folder / "vae_weights.pt")
    with pytest.raises(VaescanInputError) as err:
        VAE.load(folder, device="cpu")
    assert message in _one_line(err)


class _Payload:
    pass


def test_torch_errors_are_one_line_in_vaescans_words(tmp_path):
    torch.save({"w": torch.ones(1), "obj": _Payload()}, tmp_path / "evil.pt")
    with pytest.raises(VaescanInputError) as err:
        load_tensors(tmp_path / "evil.pt")
    assert _one_line(err) == (f"{tmp_path / 'evil.pt'}: not a readable tensor file (it holds Python objects "
                              "(tests.models.test_persist._Payload), not only tensors and plain values; vaescan never "
                              "unpickles code)")
    (tmp_path / "junk.pt").write_bytes(b"PK\x03\x04 truncated zip")
    with pytest.raises(VaescanInputError) as err:
        load_tensors(tmp_path / "junk.pt")
    assert "junk.pt: not a readable tensor file (" in _one_line(err)


# -- checkpoints --------------------------------------------------------------------------------------------------

def _checkpoint(path, epoch=2):
    module = nn.Linear(2, 1)
    rows = [{"epoch": e + 1, "train_loss": 1.0 / (e + 1)} for e in range(epoch)]
    _save_checkpoint(path, epoch, {"net": module}, pyro.optim.Adam({"lr": 1e-3}), torch.Generator(), rows)
    return torch.load(path, weights_only=True)


def _resume(path):
    return _load_checkpoint(path, {"net": nn.Linear(2, 1)}, pyro.optim.Adam({"lr": 1e-3}), torch.Generator())


@pytest.mark.parametrize("change, message", [
    (lambda s: [s], "not a vaescan tensor file (expected a mapping of names to tensors, got a list of 1 item)"),
    (lambda s: {**s, "epoch": "six"}, "checkpoint does not match this model (epoch: expected a whole number from 0 "
                                      "to 1000000, got 'six')"),
    (lambda s: {**s, "epoch": 4_000_000_000}, "epoch: expected a whole number from 0 to 1000000, got 4000000000"),
    (lambda s: {**s, "epoch": 5}, "curves: expected 5 rows of 2 numbers"),
    (lambda s: {**s, "modules": {"net": [1]}}, "modules.net is not a mapping of names to tensors"),
    (lambda s: {**s, "rng_torch": "x"}, "rng_torch: expected a random number generator state"),
    (lambda s: {k: v for k, v in s.items() if k != "optim"}, "checkpoint does not match this model (no 'optim')"),
    (lambda s: {**s, "optim": {"net$$$weight": 3}}, "optim: expected a mapping of parameter names"),
    (lambda s: {**s, "step": -1}, "step: expected a whole number from 0, got -1"),
    (lambda s: {**s, "ranks": [{**s["ranks"][0], "rng_numpy": {**s["ranks"][0]["rng_numpy"], "pos": 2**40}}]},
     "rng_numpy: pos must be from 0 to 624, got 1099511627776"),
    (lambda s: {**s, "ranks": [{**s["ranks"][0], "rng_python": {**s["ranks"][0]["rng_python"],
                                                                 "internal": torch.full((625,), -5)}}]},
     "checkpoint does not match this model (can't convert negative value to unsigned int)"),
    (lambda s: {**s, "ranks": [{**s["ranks"][0], "loss_sum": "x"}]}, "loss_sum: expected a number, got 'x'"),
])
def test_checkpoint_of_the_wrong_structure_is_one_line(tmp_path, change, message):
    path = tmp_path / "checkpoint.pt"
    torch.save(change(_checkpoint(path)), path)
    with pytest.raises(VaescanInputError) as err:
        _resume(path)
    assert message in _one_line(err), str(err.value)


def test_a_valid_checkpoint_still_resumes(tmp_path):
    path = tmp_path / "checkpoint.pt"
    _checkpoint(path, epoch=3)
    epoch, rows = _resume(path)[:2]
    assert epoch == 3 and [r["epoch"] for r in rows] == [1, 2, 3]


_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8)


def _saved_then_resumed(path, state: dict) -> tuple | None:
    """Save ``state`` as a checkpoint and resume from it: (epoch, rows), or None after a one-line error naming it."""
    torch.save(state, path)
    try:
        return _resume(path)[:2]
    except VaescanInputError as err:
        assert "\n" not in str(err) and "checkpoint.pt: " in str(err), str(err)
        return None


@given(key=st.sampled_from(["epoch", "modules", "optim", "curves", "rng_torch", "rng_shuffle", "step", "seconds",
                             "ranks", "world_size", "extra"]),
       value=_VALUES | st.just(torch.zeros(3)), drop=st.booleans())
def test_fuzz_checkpoints_resume_or_fail_in_one_line(tmp_path_factory, key, value, drop):
    path = tmp_path_factory.mktemp("ckpt") / "checkpoint.pt"
    state = _checkpoint(path)
    if drop:
        state.pop(key, None)
    else:
        state[key] = value
    resumed = _saved_then_resumed(path, state)
    assert resumed is None or (resumed[0] == len(resumed[1]) and 0 <= resumed[0] <= 1_000_000)


# -- run.json -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("info, message", [
    ([1, 2], "not a vaescan run description (no kind/status)"),
    ({"kind": ["vae"], "status": "done"}, "not a vaescan run description (kind a list of 1 item)"),
    ({"kind": "vae", "status": "six"}, "not a vaescan run description (status 'six'; expected one of running, done, "
                                       "failed)"),
])
def test_run_json_of_the_wrong_structure_is_one_line(tmp_path, info, message):
    write_json(tmp_path / "run.json", info)
    with pytest.raises(VaescanInputError) as err:
        read_run(tmp_path)
    assert _one_line(err) == f"{tmp_path / 'run.json'}: {message}"


@given(info=_VALUES, kind=st.sampled_from([None, "vae", ("vae", "scan")]))
def test_fuzz_run_json_reads_or_fails_in_one_line(tmp_path_factory, info, kind):
    folder = tmp_path_factory.mktemp("run")
    write_json(folder / "run.json", info)
    try:
        got = read_run(folder, kind)
    except VaescanInputError as err:
        assert "\n" not in str(err) and str(folder) in str(err), str(err)
        return
    assert got["status"] in ("running", "done", "failed") and isinstance(got["kind"], str)


@given(key=st.sampled_from(["fs", "window_ms", "n_leads", "n_samples", "kl_per_unit", "active_units", "latent_mean",
                            "latent_sd", "anchor_mean", "config", "config.latent_dim", "config.downsample",
                            "config.channels", "config.hidden"]),
       value=_VALUES)
def test_fuzz_vae_descriptions_load_or_fail_in_one_line(tiny_vae_folder, tmp_path_factory, key, value):
    folder = _with(tiny_vae_folder, tmp_path_factory.mktemp("desc"), **{key: value})
    try:
        vae = VAE.load(folder, device="cpu")
    except VaescanInputError as err:
        assert "\n" not in str(err) and str(folder) in str(err) and len(str(err)) < 1000, str(err)
        return
    assert 1 <= vae.n_samples_ <= 100_000 and len(vae.latent_mean_) == vae.config.latent_dim


@given(key=st.sampled_from(["rng_torch", "rng_numpy", "rng_python", "loss_sum", "rng_cuda", "extra"]),
       inner=st.sampled_from([None, "keys", "pos", "has_gauss", "gauss", "version", "internal"]),
       value=_VALUES | st.just(torch.zeros(3)) | st.just(torch.zeros(624, dtype=torch.int64))
       | st.just(torch.full((625,), 2**40)) | st.just(2**40), drop=st.booleans())
def test_fuzz_a_process_state_in_a_checkpoint_resumes_or_fails_in_one_line(tmp_path_factory, key, inner, value,
                                                                            drop):
    path = tmp_path_factory.mktemp("ckpt") / "checkpoint.pt"
    state = _checkpoint(path)
    entry = state["ranks"][0]
    target, name = (entry[key], inner) if inner and isinstance(entry.get(key), dict) else (entry, key)
    if drop:
        target.pop(name, None)
    else:
        target[name] = value
    resumed = _saved_then_resumed(path, state)
    assert resumed is None or resumed[0] == len(resumed[1])
