import os
from dataclasses import dataclass, field

import numpy as np
import pytest

from vaescan.config import config_from_dict, load_config, save_config
from vaescan.errors import VaescanInputError
from vaescan.io import atomic_path, load_npz, read_json, save_npz, write_json


def test_atomic_path_leaves_old_file_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash mid-write")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_json_handles_numpy_and_nan(tmp_path):
    p = write_json(tmp_path / "m.json", {"a": np.arange(2), "b": np.float32(1.5), "c": float("nan")})
    assert read_json(p) == {"a": [0, 1], "b": 1.5, "c": None}
    (tmp_path / "bad.json").write_text("{oops")
    with pytest.raises(VaescanInputError, match="bad.json: not valid JSON"):
        read_json(tmp_path / "bad.json")


def test_npz_refuses_pickles(tmp_path):
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object))
    np.savez(tmp_path / "obj.npz", x=np.array([{"a": 1}], dtype=object))
    with pytest.raises(VaescanInputError, match="obj.npz: not a readable .npz"):
        load_npz(tmp_path / "obj.npz")
    assert load_npz(save_npz(tmp_path / "ok.npz", x=np.ones(3)))["x"].sum() == 3


@dataclass
class Inner:
    width: int = 32


@dataclass
class Outer:
    beta: float = 4.0
    window: tuple = (-400.0, 600.0)
    inner: Inner = field(default_factory=Inner)


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_config_round_trip(tmp_path, suffix):
    cfg = Outer(beta=2.0, window=(-300.0, 500.0), inner=Inner(width=8))
    assert load_config(Outer, save_config(cfg, tmp_path / f"c{suffix}")) == cfg


def test_unknown_config_keys_are_named(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("beta: 1.0\nbeat: 2.0\n")
    with pytest.raises(VaescanInputError, match=r"c.yaml: unknown Outer setting\(s\) \['beat'\]"):
        load_config(Outer, path)
    with pytest.raises(VaescanInputError, match="unknown Inner"):
        config_from_dict(Outer, {"inner": {"depth": 3}})


# -- values are checked against the field types, with the key named (issue 14) --------------------------------

@dataclass
class Typed:
    epochs: int = 3
    lr: float = 1e-3
    name: str = "x"
    channels: tuple[int, ...] = (8, 16)
    window: tuple[float, float] = (-400.0, 600.0)
    labels: list[str] | None = None
    inner: Inner = field(default_factory=Inner)


@pytest.mark.parametrize("data, message", [
    ({"epochs": "three"}, "epochs: expected a whole number, got 'three'"),
    ({"epochs": 3.7}, "epochs: expected a whole number, got 3.7"),
    ({"epochs": True}, "epochs: expected a whole number, got True"),
    ({"lr": "fast"}, "lr: expected a number, got 'fast'"),
    ({"lr": [1, 2]}, "lr: expected a number, got a list of 2 items"),
    ({"lr": float("nan")}, "lr: expected a finite number, got nan"),
    ({"name": 5}, "name: expected text, got 5"),
    ({"channels": 8}, "channels: expected a list, got 8"),
    ({"channels": [8, "x"]}, "channels[1]: expected a whole number, got 'x'"),
    ({"window": [1.0]}, "window: expected a list of 2 values, got a list of 1 item"),
    ({"labels": "NORM"}, "labels: expected a list or null, got 'NORM'"),
    ({"inner": "wide"}, "inner: expected a mapping of Inner settings, got 'wide'"),
    ({"inner": {"width": "x" * 500}}, "inner.width: expected a whole number, got 'xxxxx"),
    ({"inner": {"depth": 1}}, "unknown Inner setting(s) ['inner.depth']"),
    ([1, 2], "expected a mapping of Typed settings, got a list of 2 items"),
])
def test_config_values_are_checked_against_their_types(data, message):
    with pytest.raises(VaescanInputError) as err:
        config_from_dict(Typed, data, "c.yaml")
    assert str(err.value).startswith("c.yaml: ") and message in str(err.value)
    assert "\n" not in str(err.value) and len(str(err.value)) < 400


def test_config_values_that_fit_are_kept_or_converted():
    cfg = config_from_dict(Typed, {"epochs": 4.0, "lr": 1, "channels": [4], "window": [-1, 2], "labels": ["A"]})
    assert cfg == Typed(epochs=4, lr=1, channels=(4,), window=(-1, 2), labels=["A"])
    assert type(cfg.epochs) is int and isinstance(cfg.channels, tuple)


@pytest.mark.parametrize("suffix, text, where", [
    (".json", '{"epochs": 3, "lr": 0.1, "epochs": 4}', ""),
    (".yaml", "epochs: 3\nlr: 0.1\nepochs: 4\n", " (lines 1 and 3)"),
    (".yaml", "inner:\n  width: 3\n  width: 4\n", " (lines 2 and 3)"),
])
def test_duplicated_config_keys_are_refused(tmp_path, suffix, text, where):
    path = tmp_path / f"c{suffix}"
    path.write_text(text)
    with pytest.raises(VaescanInputError) as err:
        load_config(Typed, path)
    key = "width" if "width" in text else "epochs"
    assert str(err.value) == (f"{path}: key '{key}' appears twice{where}; the second would silently replace the "
                              "first: keep one")


@pytest.mark.parametrize("text, message", [
    ("epochs: [3\n", "not valid YAML: expected ',' or ']', but got '<stream end>' (line 2, column 1)"),
    ("epochs: 3\n  lr: 2\n", "not valid YAML: mapping values are not allowed here (line 2, column 5)"),
    ("a: !!python/object:os.system x\n", "not valid YAML: could not determine a constructor for the tag"),
])
def test_yaml_errors_are_one_line(tmp_path, text, message):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(VaescanInputError) as err:
        load_config(Typed, path)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_yaml_reads_exponent_numbers_as_numbers(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("lr: 1e-3\nepochs: 1e2\n")
    assert load_config(Typed, path) == Typed(lr=1e-3, epochs=100)


def test_binary_config_file_is_one_clear_line(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(VaescanInputError, match=r"c.yaml: not a text file \(not UTF-8\)"):
        load_config(Typed, path)


def test_atomic_write_removes_temp_files_of_killed_writers(tmp_path):
    """kill -9 during a write leaves `.NAME.PID.XXXX.tmp`; the next write into that folder removes it."""
    import subprocess
    import sys

    target = tmp_path / "checkpoint.pt"
    code = ("import os, sys; from vaescan.io import atomic_path\n"
            "with atomic_path(sys.argv[1]) as tmp:\n    os.kill(os.getpid(), 9)\n")
    assert subprocess.run([sys.executable, "-c", code, str(target)]).returncode == -9
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith(".checkpoint.pt.") and left[0].endswith(".tmp")
    with atomic_path(target) as tmp:
        # a live writer's temp file (this process) is kept while the stale one is gone
        assert [p.name for p in tmp_path.glob(".*.tmp")] == [tmp.name]
        tmp.write_text("new")
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"] and target.read_text() == "new"


def test_stale_temp_files_are_told_from_live_ones(tmp_path):
    from vaescan.io import clean_stale_temps

    live = tmp_path / f".a.txt.{os.getpid()}.abcdefgh.tmp"
    dead = tmp_path / ".a.txt.999999999.abcdefgh.tmp"     # above any pid_max: no such process
    old_style = tmp_path / ".a.txt.k2j4h5g6.tmp"            # no pid: left by an older vaescan
    for p in (live, dead, old_style):
        p.write_text("")
    assert sorted(clean_stale_temps(tmp_path)) == sorted([dead, old_style]) and live.exists()
