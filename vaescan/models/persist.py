"""Reading a saved model back: tensors with ``weights_only=True``, and one clear error per bad file.

Every estimator saves a JSON description (settings and learned non-tensor
state) and a ``state_dict``; these helpers turn a malformed description or
mismatching weights into a :class:`~vaescan.errors.VaescanInputError` naming the file.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from torch import nn

from vaescan.config import show_value
from vaescan.errors import VaescanInputError


def load_tensors(path: str | os.PathLike[str]) -> dict:
    """Load a ``.pt`` file of tensors and plain values with ``weights_only=True`` (never unpickles code).

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "w.pt"
    >>> torch.save({"w": torch.ones(2)}, p)
    >>> load_tensors(p)["w"].tolist()
    [1.0, 1.0]
    """
    path = Path(path)
    if not path.is_file():
        raise VaescanInputError(path, "file not found")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt or unsafe files
        raise VaescanInputError(path, f"not a readable tensor file ({_torch_problem(exc)})") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise VaescanInputError(path, f"not a vaescan tensor file (expected a mapping of names to tensors, got "
                                f"{show_value(data)})")
    return data


def one_line(exc: BaseException, limit: int = 300) -> str:
    """An exception's text on one line (whitespace runs collapsed), at most ``limit`` characters.

    Example
    -------
    >>> one_line(RuntimeError("Error(s) in loading:\\n\\tsize mismatch"))
    'Error(s) in loading: size mismatch'
    """
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _torch_problem(exc: Exception) -> str:
    """torch.load's error in vaescan's words: its text runs over many lines and suggests ``weights_only=False``."""
    text = str(exc)
    if "Weights only load failed" in text or "weights_only" in text:
        found = re.search(r"GLOBAL ([\w.]+)", text)
        what = f" ({found.group(1)})" if found else ""
        return f"it holds Python objects{what}, not only tensors and plain values; vaescan never unpickles code"
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    first = first if len(first) <= 200 else first[:197] + "..."
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def tensor_mapping(value: object, what: str) -> dict[str, torch.Tensor]:
    """``value`` if it is a mapping of names to tensors (a ``state_dict``), else a ``ValueError`` naming ``what``."""
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                              for k, v in value.items()):
        raise ValueError(f"{what} is not a mapping of names to tensors")
    return value


def described_number(meta: dict, key: str, low: float, high: float, whole: bool = False) -> float:
    """``meta[key]`` as a plausible number in [low, high] (a whole one with ``whole``), else a ``ValueError``.

    Bounds come before any allocation: a description saying ``n_samples: 4e9`` is refused, not allocated.

    Example
    -------
    >>> described_number({"n_samples": 4e9}, "n_samples", 2, 100_000, whole=True)
    Traceback (most recent call last):
    ...
    ValueError: n_samples: expected a whole number from 2 to 100000, got 4e+09
    """
    value = meta[key]
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and low <= value <= high and (not whole or float(value).is_integer())
    if not ok:
        kind = "a whole number" if whole else "a number"
        raise ValueError(f"{key}: expected {kind} from {low:g} to {high:g}, got {show_value(value)}")
    return int(value) if whole else float(value)


def described_array(meta: dict, key: str, length: int | None = None, default: object = None) -> np.ndarray:
    """``meta[key]`` as a 1-d float64 array (of ``length`` if given; null is NaN), else a ``ValueError``."""
    value = meta.get(key, default) if default is not None else meta[key]
    if not isinstance(value, list) or not all(v is None or isinstance(v, (int, float)) and not isinstance(v, bool)
                                              for v in value):
        raise ValueError(f"{key}: expected a list of numbers, got {show_value(value)}")
    if length is not None and len(value) != length:
        raise ValueError(f"{key}: expected {length} numbers, got {len(value)}")
    return np.array([np.nan if v is None else float(v) for v in value], dtype=np.float64)


@contextlib.contextmanager
def reading_description(path: str | os.PathLike[str], what: str) -> Iterator[None]:
    """A missing or malformed field of a model's JSON description becomes one error naming the file.

    Example
    -------
    >>> with reading_description("vae.json", "VAE"):
    ...     int({"epochs": "six"}["epochs"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vaescan.errors.VaescanInputError: vae.json: not a vaescan VAE description (invalid literal for int() ...)
    """
    try:
        yield
    except KeyError as exc:
        raise VaescanInputError(path, f"not a vaescan {what} description (no {one_line(exc)})") from None
    except (TypeError, ValueError, AttributeError, IndexError, OverflowError) as exc:
        raise VaescanInputError(path, f"not a vaescan {what} description ({one_line(exc)})") from None


def load_weights(net: nn.Module, path: str | os.PathLike[str], described_in: str,
                 device: torch.device) -> nn.Module:
    """Load a ``state_dict`` file into ``net`` (``weights_only=True``), move it to ``device``, eval mode.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "w.pt"
    >>> torch.save(nn.Linear(2, 1).state_dict(), p)
    >>> load_weights(nn.Linear(2, 1), p, "model.json", torch.device("cpu")).training
    False
    >>> load_weights(nn.Linear(3, 1), p, "model.json", torch.device("cpu"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vaescan.errors.VaescanInputError: .../w.pt: weights do not match model.json (...)
    """
    state = load_tensors(path)
    try:
        net.load_state_dict(tensor_mapping(state, "the file"))
    except (RuntimeError, ValueError) as exc:
        raise VaescanInputError(path, f"weights do not match {described_in} ({one_line(exc)})") from None
    return net.to(device).eval()
