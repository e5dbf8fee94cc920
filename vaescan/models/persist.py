"""Reading a saved model back: tensors with ``weights_only=True``, and one clear error per bad file.

Every estimator saves a JSON description (settings and learned non-tensor
state) and a ``state_dict``; these helpers turn a malformed description or
mismatching weights into a :class:`~vaescan.errors.VaescanInputError` naming the file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import torch
from torch import nn

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
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt or unsafe files
        raise VaescanInputError(path, f"not a readable tensor file ({type(exc).__name__}: {exc})") from None


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
    except (KeyError, TypeError, ValueError) as exc:
        raise VaescanInputError(path, f"not a vaescan {what} description ({exc})") from None


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
    try:
        net.load_state_dict(load_tensors(path))
    except RuntimeError as exc:
        raise VaescanInputError(path, f"weights do not match {described_in} ({exc})") from None
    return net.to(device).eval()
