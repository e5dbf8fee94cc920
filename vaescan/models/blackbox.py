"""Black-box classifiers: a residual CNN from a whole ECG (signal or page image) to clinical labels and age.

The accurate side of the trade-off, explained only after the fact (Jacobians,
:mod:`vaescan.explain`). One network (:mod:`vaescan.models.blackbox_nets`)
maps an input to one raw output per clinical variable: logits of the binary
ones (labels; binary cross-entropy) and the standardised continuous ones (age;
mean squared error, weighted by ``continuous_weight``). Missing targets (NaN)
are left out of the loss. Training is AdamW with a cosine learning-rate decay
per epoch, in the epoch loop every vaescan model shares
(:func:`vaescan.models.train.train_epochs`: checkpoints per epoch or every N steps, exact resume; under
``torchrun`` the network is wrapped in DistributedDataParallel, its batch normalisation synchronised).

Continuous outputs are recalibrated on the validation split (a least-squares
line from the network's output to the standardised target, ``calibration_``):
a variable the ECG barely carries (age in the synthetic cohort: R2 about 0 for
SCAN too) is shrunk towards the training mean instead of adding the network's
noise, while a well-predicted one keeps a slope near 1.

:meth:`BlackBox.output_module` is the differentiable function explanations
take: input tensor -> logits and continuous predictions in original units
(years), the very numbers of :meth:`BlackBox.decision_function`.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.parallel import DistributedDataParallel

from vaescan.config import ConfigValueError, Limit, at_least, check_limits, config_from_dict, config_to_dict, one_of
from vaescan.data.shards import ShardedArray
from vaescan.errors import VaescanInputError
from vaescan.io import atomic_path, read_json, write_json
from vaescan.models.blackbox_nets import ResNet1d, ResNet2d
from vaescan.models.distributed import all_sum, batchnorm_synced, world_size
from vaescan.models.persist import described_array, described_number, load_weights, reading_description
from vaescan.models.train import Rows, TrainConfig, resolve_device, take_rows, train_epochs

INPUT_DIMS = {"signal": 1, "image": 2}
"""Spatial dimensions of each input kind: signals (leads, samples), images (channels, height, width)."""


@dataclass
class BlackBoxConfig(TrainConfig):
    """Settings of a black-box classifier (plus the training settings of :class:`TrainConfig`).

    input: ``signal`` (records, 12, samples) -> :class:`ResNet1d`; ``image`` (records, 1, H, W) -> :class:`ResNet2d`.
    stem: widths of the stem convolutions (the first one strided).
    widths: one residual stage each; every stage after the first halves the resolution.
    blocks: residual blocks per stage.
    kernel: convolution size (odd).
    dropout: before the linear head.
    weight_decay: AdamW's decoupled weight decay.
    continuous_weight: weight of the continuous variables' squared error (standardised) against the labels' BCE.
    """

    input: str = "signal"
    stem: tuple[int, ...] = (32, 32, 32)
    widths: tuple[int, ...] = (32, 64, 128)
    blocks: int = 1
    kernel: int = 5
    dropout: float = 0.2
    epochs: int = 20
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 1e-2
    continuous_weight: float = 1.0

    LIMITS: ClassVar[dict[str, Limit]] = {
        **TrainConfig.LIMITS, "input": one_of(*INPUT_DIMS), "stem": at_least(1, 4096), "widths": at_least(1, 4096),
        "blocks": at_least(1, 64), "kernel": at_least(1, 63), "dropout": at_least(0, 0.99),
        "weight_decay": at_least(0, 10), "continuous_weight": at_least(0, 1e6),
    }

    def __post_init__(self) -> None:
        check_limits(self)
        if not self.stem or not self.widths:
            raise ConfigValueError("widths" if self.stem else "stem", "needs at least one layer, got an empty list")
        if self.kernel % 2 == 0:
            raise ConfigValueError("kernel", f"must be odd (same-length convolutions), got {self.kernel}")


def make_network(config: BlackBoxConfig, in_channels: int, n_outputs: int) -> nn.Module:
    """The network of ``config``: :class:`ResNet1d` for signals, :class:`ResNet2d` for images.

    Example
    -------
    >>> type(make_network(BlackBoxConfig(input="image", kernel=3), 1, 4)).__name__
    'ResNet2d'
    """
    net = ResNet1d if config.input == "signal" else ResNet2d
    return net(in_channels, n_outputs, stem=config.stem, widths=config.widths, blocks=config.blocks,
               kernel=config.kernel, dropout=config.dropout)


class OutputModule(nn.Module):
    """A trained network with its continuous outputs mapped back to original units: input -> (records, outputs).

    Column j is ``net(x)[:, j] * scale[j] + shift[j]`` (scale 1 and shift 0 for logits).
    """

    def __init__(self, net: nn.Module, scale: torch.Tensor, shift: torch.Tensor):
        super().__init__()
        self.net = net
        self.register_buffer("scale", scale)
        self.register_buffer("shift", shift)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x) * self.scale + self.shift


def _inputs_array(inputs: np.ndarray | ShardedArray, kind: str) -> np.ndarray | ShardedArray:
    """The inputs checked (shape, finite) as float32; shards on disk stay there (checked a chunk at a time)."""
    x = inputs if isinstance(inputs, ShardedArray) else np.asarray(inputs)
    if x.ndim != INPUT_DIMS[kind] + 2:
        shape = "(records, leads, samples)" if kind == "signal" else "(records, channels, height, width)"
        raise VaescanInputError(None, f"{kind} inputs must be {shape}; got shape {x.shape}")
    if not all(np.isfinite(chunk).all() for chunk in (x.chunks() if isinstance(x, ShardedArray) else [x])):
        raise VaescanInputError(None, f"{kind} inputs contain NaN or infinite values")
    if isinstance(x, ShardedArray):
        if x.dtype != np.float32:
            raise VaescanInputError(x.folder, f"{kind} shards hold {x.dtype}, expected float32")
        return x
    return x.astype(np.float32, copy=False)


def _rows(x: np.ndarray | ShardedArray) -> Rows:
    """Training inputs for :func:`~vaescan.models.train.train_epochs`: a tensor, or the shards as they are."""
    return x if isinstance(x, ShardedArray) else torch.as_tensor(x)


def _split_targets(targets: pd.DataFrame, binary: Sequence[str], continuous: Sequence[str]) -> tuple[list, list]:
    binary, continuous = list(binary), list(continuous)
    missing = [c for c in binary + continuous if c not in targets.columns]
    if missing:
        raise VaescanInputError(None, f"the target table lacks column(s) {missing}")
    if not binary + continuous:
        raise VaescanInputError(None, "no clinical variables to model")
    if len(set(binary + continuous)) < len(binary + continuous):
        raise VaescanInputError(None, f"a variable is named twice in binary {binary} and continuous {continuous}")
    for c in binary:
        bad = set(pd.unique(targets[c].dropna())) - {0, 1}
        if bad:
            raise VaescanInputError(None, f"binary variable {c!r} holds values other than 0/1: {sorted(bad)[:5]}")
    return binary, continuous


class BlackBox:
    """A residual CNN classifier over whole ECGs (scikit-learn style): ``fit``, ``predict_proba``, ``predict``.

    Parameters are the fields of :class:`BlackBoxConfig` (a config and/or
    keywords). Inputs are arrays (records, 12, samples) of signals in mV
    (:func:`vaescan.data.signals.cohort_signals`) or (records, 1, H, W) page images.

    Learned state: ``network_`` (the torch network, eval mode), ``binary_names_``,
    ``continuous_names_``, ``output_names_`` (binary first), ``y_mean_`` and
    ``y_sd_`` (of the continuous targets, original units), ``calibration_``
    (continuous outputs x (slope, intercept), standardised units; (1, 0) without ``val``), ``input_shape_``
    (channels, ...), ``curves_`` (epoch, anneal = the learning-rate factor,
    train_loss, val_loss, seconds), ``device_`` and ``n_params_``.

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(64, 12, 200)).astype(np.float32)
    >>> y = pd.DataFrame({"UP": (x[:, 0].mean(1) > 0).astype(int), "age": 50 + 10 * x[:, 1].mean(1)})
    >>> model = BlackBox(stem=(8,), widths=(8,), epochs=2, batch_size=16)
    >>> model.fit(x, y, binary=["UP"], continuous=["age"], progress=False).predict(x).columns.tolist()
    ['UP', 'age']
    """

    def __init__(self, config: BlackBoxConfig | None = None, **params):
        try:
            self.config = dataclasses.replace(config or BlackBoxConfig(), **params)
        except TypeError as exc:
            raise VaescanInputError(None, f"unknown BlackBox setting ({exc})") from None

    def get_params(self, deep: bool = True) -> dict:
        """The settings as a dict (scikit-learn convention)."""
        return config_to_dict(self.config)

    def __repr__(self) -> str:
        return f"BlackBox(input={self.config.input!r}, widths={self.config.widths})"

    # -- training ------------------------------------------------------------------------------
    def _targets(self, targets: pd.DataFrame) -> tuple[torch.Tensor, torch.Tensor]:
        """Targets (binary 0/1, continuous standardised; NaN -> 0) and their observed mask, (records, outputs)."""
        y = targets[self.output_names_].to_numpy(dtype=np.float64, copy=True)
        nb = len(self.binary_names_)
        y[:, nb:] = (y[:, nb:] - self.y_mean_) / self.y_sd_
        observed = np.isfinite(y)
        return (torch.as_tensor(np.where(observed, y, 0.0), dtype=torch.float32),
                torch.as_tensor(observed, dtype=torch.float32))

    def _loss(self, out: torch.Tensor, y: torch.Tensor, observed: torch.Tensor) -> torch.Tensor:
        """Summed loss over the batch: BCE of the binary outputs plus weighted squared error of the continuous ones."""
        nb = len(self.binary_names_)
        bce = F.binary_cross_entropy_with_logits(out[:, :nb], y[:, :nb], reduction="none")
        mse = (out[:, nb:] - y[:, nb:]) ** 2 * self.config.continuous_weight
        return (torch.cat([bce, mse], dim=1) * observed).sum()

    def fit(self, inputs: np.ndarray, targets: pd.DataFrame, *, binary: Sequence[str], continuous: Sequence[str],
            val: tuple[np.ndarray, pd.DataFrame] | None = None, checkpoint: str | os.PathLike[str] | None = None,
            resume: bool = False, progress: bool = True) -> BlackBox:
        """Train on ``inputs`` and their ``targets`` (one row per record); ``val`` = (inputs, targets) for the curve.

        A checkpoint is written after every epoch; ``resume`` continues from it.

        Example
        -------
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(32, 12, 100)).astype(np.float32)
        >>> y = pd.DataFrame({"UP": (x[:, 0].mean(1) > 0).astype(int)})
        >>> m = BlackBox(stem=(8,), widths=(8,), epochs=2, batch_size=16).fit(x, y, binary=["UP"], continuous=[],
        ...                                                                  val=(x, y), progress=False)
        >>> m.curves_.columns.tolist()
        ['epoch', 'anneal', 'train_loss', 'val_loss', 'seconds']
        """
        cfg = self.config
        x = _inputs_array(inputs, cfg.input)
        targets = pd.DataFrame(targets).reset_index(drop=True)
        if len(targets) != len(x):
            raise VaescanInputError(None, f"{len(x)} inputs but {len(targets)} target rows")
        self.binary_names_, self.continuous_names_ = _split_targets(targets, binary, continuous)
        self.output_names_ = self.binary_names_ + self.continuous_names_
        empty = [c for c in self.output_names_ if targets[c].isna().all()]
        if empty:
            raise VaescanInputError(None, f"clinical variable(s) {empty} have no known value")
        cont = targets[self.continuous_names_].to_numpy(dtype=np.float64)
        self.y_mean_ = cont.mean(0, where=np.isfinite(cont)) if cont.size else np.zeros(0)
        sd = cont.std(0, where=np.isfinite(cont)) if cont.size else np.zeros(0)
        self.y_sd_ = np.where(sd > 0, sd, 1.0)
        self.input_shape_ = tuple(int(s) for s in x.shape[1:])

        device = resolve_device(cfg.device)
        torch.manual_seed(cfg.seed)
        self.network_ = make_network(cfg, self.input_shape_[0], len(self.output_names_)).to(device)
        if world_size() > 1:  # under torchrun: batch statistics of the whole batch, as in one process
            self.network_ = batchnorm_synced(self.network_)
        optim = torch.optim.AdamW(self.network_.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        train = [_rows(x), *self._targets(targets)]
        val_t = None
        if val is not None and len(val[0]):
            val_x = self._check_inputs(val[0])
            val_t = [_rows(val_x), *self._targets(pd.DataFrame(val[1]).reset_index(drop=True))]

        net: nn.Module = self.network_
        if world_size() > 1:  # under torchrun: gradients averaged over the processes by DDP
            net = DistributedDataParallel(self.network_, device_ids=[device.index] if device.type == "cuda" else None)

        def step(batch: list[torch.Tensor], factor: float) -> float:
            for group in optim.param_groups:
                group["lr"] = cfg.lr * factor
            self.network_.train()
            xb, yb, ob = (t.to(device) for t in batch)
            optim.zero_grad()
            loss = self._loss(net(xb), yb, ob)
            # the mean over the whole batch: DDP averages the processes' gradients, each has its shard of it
            (loss * world_size() / all_sum(len(xb))).backward()
            optim.step()
            return float(loss.detach())

        @torch.no_grad()
        def val_loss(batch: list[torch.Tensor], factor: float) -> float:
            self.network_.eval()
            xb, yb, ob = (t.to(device) for t in batch)
            return float(self._loss(self.network_(xb), yb, ob))

        self.curves_ = train_epochs(
            step, {"net": self.network_}, optim, train, cfg, val_loss=val_loss, val=val_t,
            anneal=lambda epoch: 0.5 * (1.0 + math.cos(math.pi * epoch / cfg.epochs)),
            checkpoint=checkpoint, resume=resume, progress=progress, desc=f"black box ({cfg.input})")
        self.network_.eval()
        self.calibration_ = np.tile([1.0, 0.0], (len(self.continuous_names_), 1))
        if val_t is not None and self.continuous_names_:
            self.calibration_ = self._calibrate(*val_t)
        return self

    @torch.no_grad()
    def _calibrate(self, x: Rows, y: torch.Tensor, observed: torch.Tensor) -> np.ndarray:
        """Least-squares (slope, intercept) from each continuous raw output to its standardised target."""
        nb = len(self.binary_names_)
        out = torch.cat([self.network_(take_rows(x, torch.arange(i, min(i + 256, len(x)))).to(self.device_)).cpu()
                         for i in range(0, len(x), 256)])
        rows = []
        for j in range(nb, len(self.output_names_)):
            keep = observed[:, j] > 0
            o, t = out[keep, j].double().numpy(), y[keep, j].double().numpy()
            if len(o) < 3 or o.std() == 0:
                rows.append([1.0, 0.0])
                continue
            slope = float(np.cov(o, t, bias=True)[0, 1] / o.var())
            rows.append([slope, float(t.mean() - slope * o.mean())])
        return np.array(rows, dtype=np.float64).reshape(-1, 2)

    # -- inference -----------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "network_"):
            raise VaescanInputError(None, "this BlackBox is not fitted yet; call fit() or load a run")

    def _check_inputs(self, inputs: np.ndarray) -> np.ndarray:
        x = _inputs_array(inputs, self.config.input)
        if tuple(x.shape[1:]) != self.input_shape_:
            raise VaescanInputError(None, f"inputs of shape {tuple(x.shape[1:])} do not match the model's "
                                    f"{self.input_shape_}")
        return x

    @property
    def device_(self) -> torch.device:
        """The device the network lives on."""
        self._check_fitted()
        return next(self.network_.parameters()).device

    @property
    def n_params_(self) -> int:
        """Number of trainable parameters of the network."""
        self._check_fitted()
        return int(sum(p.numel() for p in self.network_.parameters() if p.requires_grad))

    def output_module(self) -> nn.Module:
        """The network as a torch function in eval mode: input (records, ...) -> (records, outputs).

        Binary columns are logits, continuous ones predictions in original units (years): exactly
        :meth:`decision_function`'s values, differentiable in the input, each record independent of the
        others (batch norm uses its running statistics). This is what Jacobian explanations differentiate.

        Example
        -------
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(32, 12, 100)).astype(np.float32)
        >>> y = pd.DataFrame({"UP": (x[:, 0].mean(1) > 0).astype(int), "age": 60 + 5 * x[:, 1].mean(1)})
        >>> m = BlackBox(stem=(8,), widths=(8,), epochs=1).fit(x, y, binary=["UP"], continuous=["age"],
        ...                                                   progress=False)
        >>> f = m.output_module()
        >>> np.allclose(f(torch.as_tensor(x)).detach().numpy(), m.decision_function(x), atol=1e-5)
        True
        """
        self._check_fitted()
        nb = len(self.binary_names_)
        slope, intercept = self.calibration_[:, 0], self.calibration_[:, 1]
        scale = np.concatenate([np.ones(nb), self.y_sd_ * slope])
        shift = np.concatenate([np.zeros(nb), self.y_mean_ + self.y_sd_ * intercept])
        as_tensor = lambda a: torch.as_tensor(a, dtype=torch.float32, device=self.device_)  # noqa: E731
        return OutputModule(self.network_, as_tensor(scale), as_tensor(shift)).eval()

    @torch.no_grad()
    def decision_function(self, inputs: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Logits of the binary outputs and predictions (original units) of the continuous ones, (records, outputs).

        Example
        -------
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(32, 12, 100)).astype(np.float32)
        >>> y = pd.DataFrame({"UP": (x[:, 0].mean(1) > 0).astype(int), "age": 60 + 5 * x[:, 1].mean(1)})
        >>> m = BlackBox(stem=(8,), widths=(8,), epochs=1).fit(x, y, binary=["UP"], continuous=["age"],
        ...                                                   progress=False)
        >>> m.decision_function(x).shape
        (32, 2)
        """
        x = self._check_inputs(inputs)
        f = self.output_module()
        outs = [f(torch.as_tensor(x[i: i + batch_size], device=self.device_)).cpu().numpy()
                for i in range(0, len(x), batch_size)]
        return np.concatenate(outs).astype(np.float64) if outs else np.zeros((0, len(self.output_names_)))

    def predict_proba(self, inputs: np.ndarray) -> pd.DataFrame:
        """Probability of each binary output, one column per label (``binary_names_``), one row per record.

        Example
        -------
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(32, 12, 100)).astype(np.float32)
        >>> y = pd.DataFrame({"UP": (x[:, 0].mean(1) > 0).astype(int)})
        >>> m = BlackBox(stem=(8,), widths=(8,), epochs=1).fit(x, y, binary=["UP"], continuous=[], progress=False)
        >>> p = m.predict_proba(x)
        >>> p.columns.tolist(), bool(((p > 0) & (p < 1)).all().all())
        (['UP'], True)
        """
        scores = self.decision_function(inputs)[:, : len(self.binary_names_)]
        return pd.DataFrame(1.0 / (1.0 + np.exp(-scores)), columns=self.binary_names_)

    def predict(self, inputs: np.ndarray) -> pd.DataFrame:
        """Every output: binary ones as probabilities, continuous ones in original units, one row per record.

        Example
        -------
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(32, 12, 100)).astype(np.float32)
        >>> y = pd.DataFrame({"UP": (x[:, 0].mean(1) > 0).astype(int), "age": 60 + 5 * x[:, 1].mean(1)})
        >>> m = BlackBox(stem=(8,), widths=(8,), epochs=1).fit(x, y, binary=["UP"], continuous=["age"],
        ...                                                   progress=False)
        >>> m.predict(x).columns.tolist()
        ['UP', 'age']
        """
        scores = self.decision_function(inputs)
        nb = len(self.binary_names_)
        scores[:, :nb] = 1.0 / (1.0 + np.exp(-scores[:, :nb]))
        return pd.DataFrame(scores, columns=self.output_names_)

    # -- persistence ---------------------------------------------------------------------------
    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write ``blackbox.json`` (settings and learned non-tensor state) and ``blackbox_weights.pt`` (state_dict).

        Example
        -------
        >>> import tempfile
        >>> x = np.random.default_rng(0).normal(size=(16, 12, 100)).astype(np.float32)
        >>> y = pd.DataFrame({"UP": (x[:, 0].mean(1) > 0).astype(int)})
        >>> m = BlackBox(stem=(8,), widths=(8,), epochs=1).fit(x, y, binary=["UP"], continuous=[], progress=False)
        >>> sorted(p.name for p in m.save(tempfile.mkdtemp()).iterdir())
        ['blackbox.json', 'blackbox_weights.pt']
        """
        self._check_fitted()
        folder = Path(folder)
        with atomic_path(folder / "blackbox_weights.pt") as tmp:
            torch.save({k: v.cpu() for k, v in self.network_.state_dict().items()}, tmp)
        write_json(folder / "blackbox.json", {
            "config": config_to_dict(self.config), "input_shape": list(self.input_shape_),
            "binary": self.binary_names_, "continuous": self.continuous_names_,
            "y_mean": self.y_mean_, "y_sd": self.y_sd_, "calibration": self.calibration_.ravel(),
        })
        return folder

    @classmethod
    def load(cls, folder: str | os.PathLike[str], device: str = "auto") -> BlackBox:
        """Read a model written by :meth:`save` (weights loaded with ``weights_only=True``).

        Example
        -------
        >>> import tempfile
        >>> x = np.random.default_rng(0).normal(size=(16, 12, 100)).astype(np.float32)
        >>> y = pd.DataFrame({"UP": (x[:, 0].mean(1) > 0).astype(int)})
        >>> m = BlackBox(stem=(8,), widths=(8,), epochs=1).fit(x, y, binary=["UP"], continuous=[], progress=False)
        >>> again = BlackBox.load(m.save(tempfile.mkdtemp()))
        >>> np.array_equal(again.decision_function(x), m.decision_function(x))
        True
        """
        folder = Path(folder)
        path = folder / "blackbox.json"
        meta = read_json(path)
        with reading_description(path, "BlackBox"):
            config = config_from_dict(BlackBoxConfig, meta["config"], str(path), prefix="config.")
            model = cls(config, device=device)
            names = {}
            for key in ("binary", "continuous"):
                value = meta[key]
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or len(value) > 10_000:
                    raise ValueError(f"{key}: expected a list of variable names")
                names[key] = list(value)
            model.binary_names_, model.continuous_names_ = names["binary"], names["continuous"]
            model.output_names_ = model.binary_names_ + model.continuous_names_
            if not model.output_names_:
                raise ValueError("binary, continuous: no outputs")
            k = len(model.continuous_names_)
            model.y_mean_ = described_array(meta, "y_mean", k)
            model.y_sd_ = described_array(meta, "y_sd", k)
            model.calibration_ = described_array(meta, "calibration", 2 * k).reshape(k, 2)
            shape = meta["input_shape"]
            if not isinstance(shape, list) or len(shape) != INPUT_DIMS[config.input] + 1:
                raise ValueError(f"input_shape: expected {INPUT_DIMS[config.input] + 1} sizes for {config.input} "
                                 f"inputs, got {shape!r}"[:200])
            model.input_shape_ = tuple(described_number({"size": s}, "size", 1, 10_000_000, whole=True)
                                       for s in shape)
        net = make_network(config, model.input_shape_[0], len(model.output_names_))
        model.network_ = load_weights(net, folder / "blackbox_weights.pt", "blackbox.json", resolve_device(device))
        return model
