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
