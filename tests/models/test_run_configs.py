"""Run configs (train-vae, train-scan) are checked where they are read: types, ranges, the key named (issue 14)."""

import dataclasses
import json

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from vaescan.config import check_limits, load_config, save_config
from vaescan.data.beats import BeatConfig
from vaescan.data.dataset import DataConfig
from vaescan.errors import VaescanInputError
from vaescan.models.run_configs import SCANRunConfig, VAERunConfig
from vaescan.models.scan import SCANConfig
from vaescan.models.vae import VAEConfig


@pytest.mark.parametrize("text, message", [
    ("vae:\n  epochs: -5\n", "vae.epochs: must be at least 1, got -5"),
    ("vae:\n  epochs: 0\n", "vae.epochs: must be at least 1, got 0"),
    ("vae:\n  epochs: three\n", "vae.epochs: expected a whole number, got 'three'"),
    ("vae:\n  epochs: 3.7\n", "vae.epochs: expected a whole number, got 3.7"),
    ("vae:\n  batch_size: 0\n", "vae.batch_size: must be at least 1, got 0"),
    ("vae:\n  lr: fast\n", "vae.lr: expected a number, got 'fast'"),
    ("vae:\n  lr: -1\n", "vae.lr: must be greater than 0, got -1"),
    ("vae:\n  beta: [1, 2]\n", "vae.beta: expected a number, got a list of 2 items"),
    ("vae:\n  latent_dim: 2.5\n", "vae.latent_dim: expected a whole number, got 2.5"),
    ("vae:\n  latent_dim: 0\n", "vae.latent_dim: must be at least 1, got 0"),
    ("vae:\n  latent_dim: 4000000000\n", "vae.latent_dim: must be at most 1024, got 4000000000"),
    ("vae:\n  obs_sd_mv: 0\n", "vae.obs_sd_mv: must be greater than 0, got 0"),
    ("vae:\n  device: gpu\n", "vae.device: must be one of 'auto', 'cpu', 'cuda', got 'gpu'"),
    ("vae:\n  channels: [16, 0]\n", "vae.channels: must be at least 1, got 0"),
    ("vae:\n  anchor_features: [qrs_width]\n", "vae.anchor_features: unknown anchor feature(s) ['qrs_width']"),
    ("data: runs/synthetic\n", "data: expected a mapping of DataConfig settings, got 'runs/synthetic'"),
    ("data:\n  jobs: two\n", "data.jobs: expected a whole number, got 'two'"),
    ("data:\n  jobs: 0\n", "data.jobs: must be at least 1, got 0"),
    ("data:\n  ptbxl_rate: 250\n", "data.ptbxl_rate: must be one of 100, 500, got 250"),
    ("data:\n  beats:\n    fs: 0\n", "data.beats.fs: must be at least 100, got 0"),
    ("data:\n  beats:\n    window_ms: [100, 600]\n", "data.beats.window_ms: must be (start, end) around the fiducial"),
    ("output: [a]\n", "output: expected text, got a list of 1 item"),
])
def test_vae_run_config_errors_name_the_key(tmp_path, text, message):
    path = tmp_path / "vae.yaml"
    path.write_text(text)
    with pytest.raises(VaescanInputError) as err:
        load_config(VAERunConfig, path)
    assert str(err.value).startswith(f"{path}: {message}"), str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("text, message", [
    ("scan:\n  epochs: 0\n", "scan.epochs: must be at least 1, got 0"),
    ("scan:\n  lam: -1\n", "scan.lam: must be at least 0, got -1"),
    ("binary: WIDE\n", "binary: expected a list or null, got 'WIDE'"),
    ("continuous: [age, 3]\n", "continuous[1]: expected text, got 3"),
])
def test_scan_run_config_errors_name_the_key(tmp_path, text, message):
    path = tmp_path / "scan.yaml"
    path.write_text(text)
    with pytest.raises(VaescanInputError) as err:
        load_config(SCANRunConfig, path)
    assert str(err.value) == f"{path}: {message}" or str(err.value).startswith(f"{path}: {message}"), str(err.value)


def test_configs_built_in_python_are_checked_too():
    with pytest.raises(VaescanInputError, match="^epochs: must be at least 1, got 0$"):
        VAEConfig(epochs=0)
    with pytest.raises(VaescanInputError, match="^jobs: must be at least 1, got 0$"):
        DataConfig(jobs=0)
    with pytest.raises(VaescanInputError, match="^hidden: must be at least 0, got -1$"):
        SCANConfig(hidden=-1)
    with pytest.raises(VaescanInputError, match="^powerline_hz: must be greater than 0"):
        BeatConfig(powerline_hz=0)


def test_shipped_configs_are_valid():
    from pathlib import Path

    configs = Path(__file__).resolve().parents[2] / "configs"
    from vaescan.models.run_configs import BlackBoxRunConfig

    kinds = {"scan": SCANRunConfig, "vae": VAERunConfig, "blackbox": BlackBoxRunConfig}
    for path in sorted(configs.glob("*.yaml")):
        load_config(kinds[path.name.split("_")[0]], path)


# -- fuzz: any config dict ends in a valid config or one line naming a key ---------------------------------------

_GARBAGE = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12), st.integers(), st.floats(allow_nan=True),
    st.text(max_size=20), st.lists(st.integers(-3, 300), max_size=4),
    st.lists(st.text(max_size=5), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
_PLAUSIBLE = {
    "epochs": st.integers(-2, 5), "batch_size": st.integers(-1, 64), "lr": st.floats(-1, 1),
    "latent_dim": st.integers(-1, 8), "beta": st.floats(-1, 8), "obs_sd_mv": st.floats(-0.1, 1),
    "channels": st.lists(st.integers(-1, 32), max_size=3), "device": st.sampled_from(["cpu", "auto", "tpu"]),
    "anchor_features": st.lists(st.sampled_from(["qrs_ms", "qt_ms", "qrs_width"]), max_size=3),
    "jobs": st.integers(-1, 4), "ptbxl_rate": st.sampled_from([100, 250, 500]),
    "fs": st.floats(-1, 1000), "window_ms": st.lists(st.floats(-800, 800), max_size=3),
}


def _section(cls):
    names = [f.name for f in dataclasses.fields(cls)] + ["epoch", "latent_dims", "data", "7"]
    value = lambda name: _PLAUSIBLE.get(name, _GARBAGE) | _GARBAGE  # noqa: E731
    return st.lists(st.sampled_from(names), max_size=4, unique=True).flatmap(
        lambda keys: st.fixed_dictionaries({k: value(k) for k in keys}))


_VAE_RUN = st.fixed_dictionaries({}, optional={
    "output": st.text(max_size=8) | _GARBAGE,
    "vae": _section(VAEConfig) | _GARBAGE,
    "data": st.fixed_dictionaries({}, optional={"jobs": _PLAUSIBLE["jobs"] | _GARBAGE,
                                               "beats": _section(BeatConfig) | _GARBAGE}) | _section(DataConfig),
    "scan": _section(SCANConfig),
}) | _GARBAGE


def _paths(data, prefix=""):
    """Every dotted key path of a nested dict (the keys an error may name)."""
    if not isinstance(data, dict):
        return set()
    out = set()
    for k, v in data.items():
        out |= {prefix + str(k)} | _paths(v, f"{prefix}{k}.")
    return out


@given(data=_VAE_RUN, suffix=st.sampled_from([".json", ".yaml"]))
def test_fuzz_run_configs_load_valid_or_fail_in_one_line_naming_the_key(tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("fuzz") / f"vae{suffix}"
    path.write_text(json.dumps(data) if suffix == ".json" else yaml.safe_dump(data))
    try:
        config = load_config(VAERunConfig, path)
    except VaescanInputError as exc:
        message = str(exc)
        assert "\n" not in message and len(message) < 1000, message
        assert message.startswith(f"{path}: ")
        problem = message[len(f"{path}: "):]
        named = any(p in problem or repr(p)[1:-1] in problem for p in _paths(data))
        named = named or "VAERunConfig settings" in problem
        assert named, message
        return
    for part in (config, config.vae, config.data, config.data.beats):
        check_limits(part)
    assert isinstance(config.vae.epochs, int) and isinstance(config.output, str)
    assert load_config(VAERunConfig, save_config(config, path.with_name("again.yaml"))) == config


@given(pairs=st.lists(st.tuples(st.sampled_from(["epochs", "lr", "seed", "beta"]), st.integers(1, 9)),
                      min_size=1, max_size=5), suffix=st.sampled_from([".json", ".yaml"]))
def test_fuzz_duplicated_keys_are_always_refused(tmp_path_factory, pairs, suffix):
    path = tmp_path_factory.mktemp("dup") / f"vae{suffix}"
    if suffix == ".json":
        path.write_text('{"vae": {' + ", ".join(f'"{k}": {v}' for k, v in pairs) + "}}")
    else:
        path.write_text("vae:\n" + "".join(f"  {k}: {v}\n" for k, v in pairs))
    keys = [k for k, _ in pairs]
    duplicated = [k for i, k in enumerate(keys) if k in keys[:i]]
    if duplicated:
        with pytest.raises(VaescanInputError, match=f"key '{duplicated[0]}' appears twice"):
            load_config(VAERunConfig, path)
    else:
        assert load_config(VAERunConfig, path).vae.epochs == dict(pairs).get("epochs", VAEConfig.epochs)
