"""One training loop for every vaescan model: progress bar, validation curve, checkpoints, resume.

:func:`train_epochs` is the epoch loop (shuffled minibatches, validation,
checkpoints); :func:`svi_train` runs it for pyro model/guide pairs, with
:class:`pyro.infer.SVI` on :class:`pyro.infer.TraceMeanField_ELBO` (the KL of
Gaussian latents is computed analytically) and :class:`pyro.optim.Adam`; plain
torch networks (:mod:`vaescan.models.blackbox`) run it with a torch optimiser.
After every epoch, and every ``checkpoint_every`` steps when set, the loop
writes a checkpoint atomically (module weights, optimiser state, the curves so
far, the position in the epoch and every process's random number generator
states); given that checkpoint the loop continues from the next step and, on
the CPU, reproduces the uninterrupted run exactly. Under ``torchrun`` each
process trains its shard of every batch (:mod:`vaescan.models.distributed`).

Every pyro model and guide takes the batch tensors as positional arguments and an
``anneal`` keyword (the KL weight of the epoch, see :func:`linear_warmup`).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, NamedTuple

import numpy as np
import pandas as pd
import pyro
import pyro.optim
import torch
from pyro import poutine
from pyro.infer import SVI, TraceMeanField_ELBO
from torch import nn
from tqdm.auto import tqdm

from vaescan.config import Limit, above, at_least, check_limits, one_of, show_value
from vaescan.data.shards import ShardedArray
from vaescan.errors import VaescanInputError
from vaescan.io import atomic_path
from vaescan.models.distributed import (
    all_sum,
    broadcast_modules,
    gather_objects,
    grads_sum,
    is_main,
    rank,
    shard,
    world_size,
)
from vaescan.models.persist import load_tensors, one_line, tensor_mapping


@dataclass
class TrainConfig:
    """Settings shared by every SVI training run.

    epochs: passes over the training set.
    batch_size: records per SVI step.
    lr: Adam learning rate.
    seed: seeds the weights, the shuffling and the latent samples.
    device: ``auto`` (CUDA when present, else CPU), ``cpu`` or ``cuda``.
    checkpoint_every: also write the checkpoint every this many optimiser steps (counted over the whole
        run), so a run killed mid-epoch resumes from that step; 0 (default) = after each epoch only.
    """

    epochs: int = 60
    batch_size: int = 128
    lr: float = 1e-3
    seed: int = 0
    device: str = "auto"
    checkpoint_every: int = 0

    LIMITS: ClassVar[dict[str, Limit]] = {
        "epochs": at_least(1, 1_000_000), "batch_size": at_least(1, 1_000_000), "lr": above(0, 10),
        "seed": at_least(0, 2**32 - 1), "device": one_of("auto", "cpu", "cuda"),
        "checkpoint_every": at_least(0, 1_000_000_000),
    }

    def __post_init__(self) -> None:
        check_limits(self)


def resolve_device(name: str = "auto") -> torch.device:
    """The torch device for a config's ``device`` setting: ``auto`` picks CUDA when present.

    Under ``torchrun`` each process takes the GPU of its ``LOCAL_RANK``.

    Example
    -------
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise VaescanInputError(None, "device 'cuda' requested but no CUDA device is available")
    if name not in ("cpu", "cuda"):
        raise VaescanInputError(None, f"unknown device {name!r}; use auto, cpu or cuda")
    if name == "cuda" and "LOCAL_RANK" in os.environ:
        return torch.device("cuda", int(os.environ["LOCAL_RANK"]))
    return torch.device(name)


def linear_warmup(epoch: int, warmup_epochs: int) -> float:
    """KL weight factor of a 0-based ``epoch``: rises linearly to 1 over ``warmup_epochs``, then stays at 1.

    Example
    -------
    >>> [linear_warmup(e, 4) for e in range(6)]
    [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    """
    if warmup_epochs <= 0:
        return 1.0
    return min(1.0, (epoch + 1) / warmup_epochs)


def batches(n: int, batch_size: int, perm: torch.Tensor | None = None) -> list[torch.Tensor]:
    """Index tensors of consecutive batches over ``n`` items (in ``perm`` order if given).

    Example
    -------
    >>> [b.tolist() for b in batches(5, 2)]
    [[0, 1], [2, 3], [4]]
    """
    order = torch.arange(n) if perm is None else perm
    return list(order.split(batch_size))


Rows = torch.Tensor | ShardedArray
"""A training input with one row per record: a tensor in memory or a :class:`~vaescan.data.shards.ShardedArray`
on disk (streamed: each batch is read from its shards)."""


def take_rows(data: Rows, idx: torch.Tensor) -> torch.Tensor:
    """Rows ``idx`` of a training input as a tensor: indexed in memory (on the tensor's device), or gathered from
    the shards on disk (on the CPU). The one way :func:`train_epochs` batches, so both give the same batches.

    Example
    -------
    >>> take_rows(torch.arange(10.0)[:, None], torch.tensor([3, 1])).ravel().tolist()
    [3.0, 1.0]
    """
    if isinstance(data, torch.Tensor):
        return data[idx.to(data.device)]
    return torch.from_numpy(data.take(idx.numpy()))


def make_svi(model: Callable, guide: Callable, lr: float) -> SVI:
    """The SVI object every vaescan model trains with: ``TraceMeanField_ELBO`` (analytic KL) and Adam.

    Example
    -------
    >>> svi = make_svi(lambda: None, lambda: None, 1e-3)
    >>> type(svi.loss_and_grads.__self__).__name__
    'TraceMeanField_ELBO'
    """
    return SVI(model, guide, pyro.optim.Adam({"lr": lr}), loss=TraceMeanField_ELBO())


def svi_train(
    model: Callable,
    guide: Callable,
    modules: dict[str, nn.Module],
    train: Sequence[Rows],
    config: TrainConfig,
    *,
    val: Sequence[Rows] | None = None,
    anneal: Callable[[int], float] = lambda epoch: 1.0,
    evaluate: Callable[[], dict[str, float]] | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    resume: bool = False,
    progress: bool = True,
    desc: str = "SVI",
) -> pd.DataFrame:
    """Train ``model``/``guide`` by SVI on the ELBO; returns the curves (one row per epoch).

    ``train`` and ``val`` hold one row per record: tensors (on the device) or shards on disk
    (:class:`~vaescan.data.shards.ShardedArray`, streamed; each batch is moved to the modules' device).
    ``modules`` are the torch modules the model and guide register with pyro (their weights are checkpointed).
    ``anneal(epoch)`` gives the KL weight passed to the model and guide. ``evaluate()`` may add columns (e.g. the
    validation RMSE) after each epoch. The loop runs in its own pyro parameter
    store scope, so estimators never share parameters by name.

    Curve columns: ``epoch`` (1-based), ``anneal``, ``train_loss`` and
    ``val_loss`` (the negative annealed ELBO per record, in nats), ``seconds``,
    and whatever ``evaluate`` returns.

    Example
    -------
    >>> import pyro.distributions as dist
    >>> class Mean(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.mu = nn.Parameter(torch.zeros(1))
    ...     def model(self, y, anneal=1.0):
    ...         pyro.module("m", self)
    ...         with pyro.plate("n", len(y)):
    ...             pyro.sample("y", dist.Normal(self.mu, 1.0), obs=y)
    ...     def guide(self, y, anneal=1.0):
    ...         pass
    >>> m = Mean()
    >>> curves = svi_train(m.model, m.guide, {"m": m}, [torch.full((64,), 3.0)],
    ...                    TrainConfig(epochs=300, batch_size=64, lr=0.05), progress=False)
    >>> round(m.mu.item(), 1), len(curves)
    (3.0, 300)
    """
    store = pyro.get_param_store()
    device = next((p.device for m in modules.values() for p in m.parameters()), torch.device("cpu"))
    with store.scope():
        svi = make_svi(model, guide, config.lr)
        broadcast_modules(modules.values())

        def step(batch: list[torch.Tensor], weight: float) -> float:
            batch = [t.to(device) for t in batch]  # batches streamed from shards come on the CPU
            if world_size() == 1:
                return svi.step(*batch, anneal=weight)
            return _svi_step_summed(svi, batch, weight)

        return train_epochs(
            step, modules, svi.optim, train, config,
            val_loss=lambda batch, weight: svi.evaluate_loss(*(t.to(device) for t in batch), anneal=weight), val=val,
            anneal=anneal,
            evaluate=evaluate, checkpoint=checkpoint, resume=resume, progress=progress, desc=desc)


def _svi_step_summed(svi: SVI, batch: list[torch.Tensor], weight: float) -> float:
    """:meth:`SVI.step` with the gradients summed over the ranks between the backward pass and the update."""
    with poutine.trace(param_only=True) as capture:
        loss = svi.loss_and_grads(svi.model, svi.guide, *batch, anneal=weight)
    params = list(dict.fromkeys(site["value"].unconstrained() for site in capture.trace.nodes.values()))
    grads_sum(params)
    svi.optim(set(params))
    pyro.infer.util.zero_grads(set(params))
    return float(loss)


Optimizer = pyro.optim.PyroOptim | torch.optim.Optimizer
"""The optimisers :func:`train_epochs` checkpoints: pyro's (``get_state``) or torch's (``state_dict``)."""


def train_epochs(
    step: Callable[[list[torch.Tensor], float], float],
    modules: dict[str, nn.Module],
    optim: Optimizer,
    train: Sequence[Rows],
    config: TrainConfig,
    *,
    val_loss: Callable[[list[torch.Tensor], float], float] | None = None,
    val: Sequence[Rows] | None = None,
    anneal: Callable[[int], float] | None = None,
    evaluate: Callable[[], dict[str, float]] | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    resume: bool = False,
    progress: bool = True,
    desc: str = "training",
) -> pd.DataFrame:
    """The epoch loop of every vaescan model: shuffled minibatches, validation, checkpoints, resume at any step.

    ``train`` and ``val`` hold one row per record each: tensors in memory or shards on disk
    (:class:`~vaescan.data.shards.ShardedArray`, streamed a batch at a time; batches are then on the CPU
    and ``step`` moves them to its device); both are batched by :func:`take_rows`, the same way.
    ``step(batch, weight)`` takes one optimiser step on the batch tensors and
    returns the batch's summed loss; ``val_loss(batch, weight)`` returns the
    summed loss without a step (``weight`` is ``anneal(epoch)``, 1 without
    ``anneal``). After every epoch, and every ``config.checkpoint_every`` steps
    when that is above 0, the modules' weights, the optimiser state, the curves,
    the position in the epoch (its shuffling state, the steps done, the loss so
    far) and each process's random number generator states (torch, numpy,
    Python) are written to ``checkpoint`` atomically; with ``resume`` the loop
    continues from that step and, on the CPU, ends exactly where an
    uninterrupted run ends. ``config.epochs`` may be raised (or lowered) on resume.

    Under ``torchrun`` (:mod:`vaescan.models.distributed`) ``step`` gets this
    process's shard of each batch and must combine gradients across processes;
    the losses are summed over the processes and rank 0 writes the checkpoint.

    Curve columns: ``epoch`` (1-based), ``anneal`` (with ``anneal``), ``train_loss``
    and ``val_loss`` (mean per record), ``seconds``, and whatever ``evaluate`` returns.

    Example
    -------
    >>> lin = nn.Linear(1, 1)
    >>> opt = torch.optim.SGD(lin.parameters(), lr=0.1)
    >>> x = torch.linspace(-1, 1, 32)[:, None]
    >>> def step(batch, weight):
    ...     opt.zero_grad()
    ...     loss = ((lin(batch[0]) - 2 * batch[0]) ** 2).sum()
    ...     (loss / len(batch[0])).backward()
    ...     opt.step()
    ...     return float(loss.detach())
    >>> curves = train_epochs(step, {"lin": lin}, opt, [x], TrainConfig(epochs=200, batch_size=8), progress=False)
    >>> round(lin.weight.item(), 2), curves.columns.tolist()
    (2.0, ['epoch', 'train_loss', 'seconds'])
    """
    n = len(train[0])
    if n == 0:
        raise VaescanInputError(None, "no training records")
    size = config.batch_size
    n_batches = -(-n // size)
    last = n - (n_batches - 1) * size
    if world_size() > 1 and min(size, last) < world_size():
        raise VaescanInputError(None, f"{world_size()} processes need at least {world_size()} records in every "
                                f"batch: batch_size {size} over {n} records leaves {last} in the last batch; "
                                "choose another batch_size or fewer processes")
    every = int(getattr(config, "checkpoint_every", 0) or 0)
    shuffle = torch.Generator().manual_seed(config.seed)
    at = Resumed(0, [], 0, 0.0, 0.0)
    if resume and checkpoint is not None and Path(checkpoint).is_file():
        at = _load_checkpoint(Path(checkpoint), modules, optim, shuffle)
    rows = at.rows
    bar = tqdm(total=config.epochs * n_batches, initial=min(at.epoch * n_batches + at.step, config.epochs * n_batches),
               desc=desc, unit="step", disable=not progress or not is_main(), dynamic_ncols=True)
    for epoch in range(at.epoch, config.epochs):
        tic = time.perf_counter()
        resumed = epoch == at.epoch
        first, total, before = (at.step, at.loss_sum, at.seconds) if resumed else (0, 0.0, 0.0)
        weight = 1.0 if anneal is None else float(anneal(epoch))
        epoch_shuffle = shuffle.get_state()
        for b, idx in enumerate(batches(n, size, torch.randperm(n, generator=shuffle))):
            if b < first:
                continue
            idx = shard(idx)
            total += step([take_rows(t, idx) for t in train], weight)
            bar.update(1)
            if b % 5 == 0 or b == n_batches - 1:
                bar.set_postfix(epoch=epoch + 1, loss=f"{total / min(n, (b + 1) * size) * world_size():.4g}")
            if checkpoint is not None and every and b + 1 < n_batches and (epoch * n_batches + b + 1) % every == 0:
                _save_checkpoint(Path(checkpoint), epoch, modules, optim, epoch_shuffle, rows, step=b + 1,
                                 loss_sum=total, seconds=before + time.perf_counter() - tic)
        row = {"epoch": epoch + 1, **({} if anneal is None else {"anneal": weight}), "train_loss": all_sum(total) / n}
        if val_loss is not None and val is not None and len(val[0]):
            row["val_loss"] = sum(
                val_loss([take_rows(t, idx) for t in val], weight)
                for idx in batches(len(val[0]), 4 * size)
            ) / len(val[0])
        if evaluate is not None:
            row.update(evaluate())
        row["seconds"] = before + time.perf_counter() - tic
        rows.append(row)
        bar.set_postfix(epoch=epoch + 1, loss=f"{row['train_loss']:.4g}",
                        val_loss=f"{row.get('val_loss', float('nan')):.4g}")
        if checkpoint is not None:
            _save_checkpoint(Path(checkpoint), epoch + 1, modules, optim, shuffle, rows)
    bar.close()
    return pd.DataFrame(rows)


class Resumed(NamedTuple):
    """Where a checkpoint left a run: finished ``epoch`` s and their curve ``rows``, then ``step`` batches of the
    next epoch, their summed loss (this process's share) and seconds."""

    epoch: int
    rows: list[dict[str, float]]
    step: int
    loss_sum: float
    seconds: float


def _rng_states(loss_sum: float) -> dict:
    """This process's random number generator states (torch, CUDA, numpy, Python) and its share of the epoch loss."""
    _, keys, pos, has_gauss, gauss = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    state = {
        "rng_torch": torch.get_rng_state(),
        "rng_numpy": {"keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos), "has_gauss": int(has_gauss),
                      "gauss": float(gauss)},
        "rng_python": {"version": int(version), "internal": torch.tensor(internal, dtype=torch.int64),
                       "gauss": gauss_next},
        "loss_sum": float(loss_sum),
    }
    if torch.cuda.is_available():
        state["rng_cuda"] = torch.cuda.get_rng_state()
    return state


def _rng_restore(state: dict) -> float:
    """Set this process's generators from :func:`_rng_states`'s dict (checked first); returns its loss share."""
    if not isinstance(state, dict):
        raise ValueError(f"ranks: expected a mapping per process, got {show_value(state)}")
    torch_state, np_state, py_state, loss_sum = (state["rng_torch"], state["rng_numpy"], state["rng_python"],
                                                 state["loss_sum"])
    if not isinstance(torch_state, torch.Tensor) or torch_state.dtype != torch.uint8:
        raise ValueError("rng_torch: expected a random number generator state (a byte tensor)")
    keys = np_state.get("keys") if isinstance(np_state, dict) else None
    if not isinstance(keys, torch.Tensor) or keys.shape != (624,) or not all(
            type(np_state.get(k)) is t for k, t in (("pos", int), ("has_gauss", int), ("gauss", float))):
        raise ValueError("rng_numpy: expected numpy's MT19937 state (624 keys, pos, has_gauss, gauss)")
    if not 0 <= np_state["pos"] <= 624:
        raise ValueError(f"rng_numpy: pos must be from 0 to 624, got {np_state['pos']}")
    internal = py_state.get("internal") if isinstance(py_state, dict) else None
    if not isinstance(internal, torch.Tensor) or internal.shape != (625,) or type(py_state.get("version")) is not int \
            or not isinstance(py_state.get("gauss"), (float, type(None))):
        raise ValueError("rng_python: expected Python's random state (version, 625 numbers, gauss)")
    if not isinstance(loss_sum, float):
        raise ValueError(f"loss_sum: expected a number, got {show_value(loss_sum)}")
    random.setstate((py_state["version"], tuple(int(v) for v in internal.tolist()), py_state["gauss"]))
    np.random.set_state(("MT19937", keys.numpy().astype(np.uint32), np_state["pos"], np_state["has_gauss"],
                         np_state["gauss"]))
    torch.set_rng_state(torch_state)
    if "rng_cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state(state["rng_cuda"])
    return loss_sum


def _save_checkpoint(path: Path, epoch: int, modules: dict[str, nn.Module], optim: Optimizer,
                     shuffle: torch.Generator | torch.Tensor, rows: list[dict[str, float]], *, step: int = 0,
                     loss_sum: float = 0.0, seconds: float = 0.0) -> None:
    """Write the checkpoint after ``epoch`` finished epochs and ``step`` batches of the next one (rank 0 writes;
    every process must call it: each one's generator states are gathered). ``shuffle`` is the generator (or its
    state) that draws the next permutation: for ``step`` > 0 the state the current epoch's permutation came from."""
    ranks = gather_objects(_rng_states(loss_sum))
    if not is_main():
        return
    columns = sorted({k for row in rows for k in row})
    state = {
        "epoch": epoch,
        "step": step,
        "seconds": float(seconds),
        "world_size": len(ranks),
        "modules": {name: m.state_dict() for name, m in modules.items()},
        "optim": optim.get_state() if isinstance(optim, pyro.optim.PyroOptim) else optim.state_dict(),
        "curves": {"columns": columns, "rows": [[float(r.get(c, float("nan"))) for c in columns] for r in rows]},
        "rng_torch": ranks[0]["rng_torch"],
        "rng_shuffle": shuffle.get_state() if isinstance(shuffle, torch.Generator) else shuffle,
        "ranks": ranks,
    }
    if "rng_cuda" in ranks[0]:
        state["rng_cuda"] = ranks[0]["rng_cuda"]
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def _load_checkpoint(path: Path, modules: dict[str, nn.Module], optim: Optimizer,
                     shuffle: torch.Generator) -> Resumed:
    state = load_tensors(path)
    try:
        pyro_optim = isinstance(optim, pyro.optim.PyroOptim)
        epoch, rows = _checkpoint_structure(state, modules, pyro_optim)
        step, seconds = state.get("step", 0), state.get("seconds", 0.0)
        if type(step) is not int or not 0 <= step <= 1_000_000_000:
            raise ValueError(f"step: expected a whole number from 0, got {show_value(step)}")
        if not isinstance(seconds, float):
            raise ValueError(f"seconds: expected a number, got {show_value(seconds)}")
        ranks = state.get("ranks")
        if ranks is not None and (not isinstance(ranks, list) or len(ranks) != world_size()):
            saved = len(ranks) if isinstance(ranks, list) else show_value(ranks)
            raise ValueError(f"ranks: saved by {saved} process(es), resumed by {world_size()}; resume with as many "
                             "processes as the run started with (torchrun --nproc_per_node)")
        for name, m in modules.items():
            m.load_state_dict(state["modules"][name])
        if pyro_optim:
            optim.set_state(state["optim"])
        else:
            optim.load_state_dict(state["optim"])
        shuffle.set_state(state["rng_shuffle"])
        if ranks is None:  # a checkpoint of an older vaescan: after an epoch, torch's generator only
            torch.set_rng_state(state["rng_torch"])
            if "rng_cuda" in state and torch.cuda.is_available():
                torch.cuda.set_rng_state(state["rng_cuda"])
            return Resumed(epoch, rows, step, 0.0, seconds)
        return Resumed(epoch, rows, step, _rng_restore(ranks[rank()]), seconds)
    except (KeyError, RuntimeError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as exc:
        what = f"no {one_line(exc)}" if isinstance(exc, KeyError) else one_line(exc)
        raise VaescanInputError(path, f"checkpoint does not match this model ({what})") from None


def _checkpoint_structure(state: dict, modules: dict[str, nn.Module],
                          pyro_optim: bool = True) -> tuple[int, list[dict[str, float]]]:
    """The epoch and curve rows of a checkpoint after checking its structure; a ``ValueError`` says what is wrong."""
    epoch = state["epoch"]
    if type(epoch) is not int or not 0 <= epoch <= 1_000_000:
        raise ValueError(f"epoch: expected a whole number from 0 to 1000000, got {show_value(epoch)}")
    saved = state["modules"]
    if not isinstance(saved, dict):
        raise ValueError(f"modules: expected a mapping, got {show_value(saved)}")
    for name in modules:
        tensor_mapping(saved[name], f"modules.{name}")
    optim = state["optim"]
    if not pyro_optim:
        if not isinstance(optim, dict) or not isinstance(optim.get("state"), dict) or not isinstance(
                optim.get("param_groups"), list):
            raise ValueError("optim: expected a torch optimiser state (state and param_groups)")
    elif not isinstance(optim, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("state"), dict) and isinstance(v.get("param_groups"), list)
            for v in optim.values()):
        raise ValueError("optim: expected a mapping of parameter names to optimiser states")
    for key in ("rng_torch", "rng_shuffle"):
        if not isinstance(state[key], torch.Tensor) or state[key].dtype != torch.uint8:
            raise ValueError(f"{key}: expected a random number generator state (a byte tensor)")
    curves = state["curves"]
    columns, values = (curves.get("columns"), curves.get("rows")) if isinstance(curves, dict) else (None, None)
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns) or not isinstance(values, list):
        raise ValueError("curves: expected columns (names) and rows")
    if len(values) != epoch or not all(
            isinstance(r, list) and len(r) == len(columns)
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in r) for r in values):
        raise ValueError(f"curves: expected {epoch} rows of {len(columns)} numbers")
    return epoch, [dict(zip(columns, r)) for r in values]


def pyro_params(model: Callable, guide: Callable, *args, **kwargs) -> dict[str, torch.Tensor]:
    """The parameters a model/guide pair registers with pyro (name -> tensor), traced on one example batch.

    Runs in a fresh parameter-store scope, so the global store is left as it was.

    Example
    -------
    >>> lin = nn.Linear(2, 1)
    >>> def model(x):
    ...     pyro.module("head", lin)
    >>> sorted(pyro_params(model, lambda x: None, torch.zeros(1, 2)))
    ['head$$$bias', 'head$$$weight']
    """
    store = pyro.get_param_store()
    with store.scope() as state, torch.no_grad():
        guide_trace = poutine.trace(guide).get_trace(*args, **kwargs)
        poutine.trace(poutine.replay(model, trace=guide_trace)).get_trace(*args, **kwargs)
    return dict(state["params"])
