"""Is an attribution map faithful to the model? Deletion and insertion curves against a random order,
and the model-randomisation check (does the map change when the weights do?).

- :func:`deletion_curve` / :func:`insertion_curve`: the target output (a logit) as the top-k
  fraction of input elements, ranked by attribution (positive evidence first), is replaced by a
  baseline (0 mV, the isoelectric line, for signals; the paper background for page images), or
  inserted into it.
- :func:`faithfulness`: both curves for the attribution order and for a seeded random order, their
  AUCs and one score each: how many times less logit the attribution order leaves (deletion) or
  misses (insertion) than the random order, averaged over k. "Deletion AUC at least 2x better than
  random" is ``deletion_score >= 2``.
- :func:`randomize_weights` and :func:`rank_correlation`: a copy of a network with re-initialised
  weights, and the Spearman rank correlation of two maps (per record, averaged).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from scipy import stats

from vaescan.explain.base import ForwardFunc

DEFAULT_FRACTIONS = tuple(np.linspace(0.0, 1.0, 21))
"""k = 0, 0.05, ..., 1: the fractions of input elements replaced."""


def _check_fractions(fractions: Sequence[float]) -> np.ndarray:
    k = np.asarray(fractions, dtype=float)
    if k.ndim != 1 or len(k) < 2 or k[0] != 0 or k[-1] != 1 or np.any(np.diff(k) <= 0):
        raise ValueError(f"fractions must increase from 0 to 1, got {list(k)}")
    return k


def _curve(forward_func: ForwardFunc, inputs: torch.Tensor, attributions: torch.Tensor, target: int,
           baseline: float | torch.Tensor, fractions: Sequence[float], batch_size: int, insert: bool) -> torch.Tensor:
    if attributions.shape != inputs.shape:
        raise ValueError(f"attributions {tuple(attributions.shape)} must be shaped like inputs {tuple(inputs.shape)}")
    k = _check_fractions(fractions)
    base = torch.broadcast_to(torch.as_tensor(baseline, dtype=inputs.dtype, device=inputs.device), inputs.shape)
    n_elements = inputs[0].numel()
    counts = torch.as_tensor(np.floor(k * n_elements + 0.5).astype(np.int64), device=inputs.device)  # half up
    curves = torch.empty(len(inputs), len(k), dtype=inputs.dtype)
    with torch.no_grad():
        for start in range(0, len(inputs), batch_size):
            x, b = inputs[start:start + batch_size], base[start:start + batch_size]
            order = torch.argsort(attributions[start:start + batch_size].reshape(len(x), -1), dim=1,
                                  descending=True, stable=True)
            rank = torch.empty_like(order)
            rank.scatter_(1, order, torch.arange(n_elements, device=x.device).expand_as(order))
            rank = rank.reshape(x.shape)
            for i, count in enumerate(counts):
                top = rank < count
                changed = torch.where(top, x, b) if insert else torch.where(top, b, x)
                curves[start:start + len(x), i] = forward_func(changed)[:, target].detach().cpu()
    return curves


def deletion_curve(forward_func: ForwardFunc, inputs: torch.Tensor, attributions: torch.Tensor, target: int, *,
                   baseline: float | torch.Tensor = 0.0, fractions: Sequence[float] = DEFAULT_FRACTIONS,
                   batch_size: int = 64) -> torch.Tensor:
    """Output ``target`` (records, fractions) after the top-k fraction of each record's input elements,
    ranked by ``attributions`` (shaped like ``inputs``, for that target; largest first, ties in input
    order; k x elements rounded half up), is replaced by ``baseline`` (a scalar or a tensor broadcastable
    to ``inputs``, e.g. 0 mV).

    ``fractions`` increase from 0 (the record as it is) to 1 (the baseline). No gradients; one batch
    of ``batch_size`` records at a time.

    Example
    -------
    >>> x = torch.ones(1, 4)
    >>> deletion_curve(lambda v: v.sum(1, keepdim=True), x, x, 0, fractions=[0, 0.5, 1]).tolist()
    [[4.0, 2.0, 0.0]]
    """
    return _curve(forward_func, inputs, attributions, target, baseline, fractions, batch_size, insert=False)


def insertion_curve(forward_func: ForwardFunc, inputs: torch.Tensor, attributions: torch.Tensor, target: int, *,
                    baseline: float | torch.Tensor = 0.0, fractions: Sequence[float] = DEFAULT_FRACTIONS,
                    batch_size: int = 64) -> torch.Tensor:
    """Output ``target`` (records, fractions) when, starting from ``baseline``, the top-k fraction of
    the input elements (ranked by ``attributions``, largest first) takes the record's values; the
    mirror of :func:`deletion_curve` (k = 0 is the baseline, k = 1 the record).

    Example
    -------
    >>> x = torch.tensor([[3.0, 1.0]])
    >>> insertion_curve(lambda v: v.sum(1, keepdim=True), x, x, 0, fractions=[0, 0.5, 1]).tolist()
    [[0.0, 3.0, 4.0]]
    """
    return _curve(forward_func, inputs, attributions, target, baseline, fractions, batch_size, insert=True)


def _area(k: np.ndarray, y: np.ndarray) -> float:
    return float(np.sum((y[1:] + y[:-1]) * np.diff(k)) / 2)      # trapezoid over k in [0, 1]


def _ratio(reference: float, ours: float) -> float:
    if ours > 0:
        return float(reference / ours)
    return float("inf") if reference > 0 else float("nan")


@dataclass(frozen=True)
class Faithfulness:
    """Deletion and insertion curves of one target, averaged over records, for the attribution and a
    random order (arrays over ``fractions``), with their AUCs (trapezoid over k in [0, 1], in units of
    the output) and scores.

    ``deletion_score``: the deletion AUC of the random order divided by that of the attribution order,
    both measured above the curves' common end f(baseline) (k = 1): the logit left, averaged over k;
    2 means deleting by attribution leaves half the logit that deleting at random leaves ("deletion AUC
    2x better than random"). ``insertion_score``: the same for the logit still missing below the common
    end f(x) of the insertion curves. A model linear in its inputs scores about 1 for a random map and
    up to 1 / (share of decisive inputs) for the true one. Infinite when the attribution order leaves
    nothing (or overshoots) and the random order does not; NaN when neither leaves anything.
    """

    fractions: np.ndarray
    deletion: np.ndarray
    deletion_random: np.ndarray
    insertion: np.ndarray
    insertion_random: np.ndarray

    @property
    def deletion_auc(self) -> float:
        """Area under the mean deletion curve (lower: faster drop)."""
        return _area(self.fractions, self.deletion)

    @property
    def deletion_random_auc(self) -> float:
        return _area(self.fractions, self.deletion_random)

    @property
    def insertion_auc(self) -> float:
        """Area under the mean insertion curve (higher: faster rise)."""
        return _area(self.fractions, self.insertion)

    @property
    def insertion_random_auc(self) -> float:
        return _area(self.fractions, self.insertion_random)

    @property
    def deletion_score(self) -> float:
        end = self.deletion[-1]
        return _ratio(self.deletion_random_auc - end, self.deletion_auc - end)

    @property
    def insertion_score(self) -> float:
        end = self.insertion[-1]
        return _ratio(end - self.insertion_random_auc, end - self.insertion_auc)


def faithfulness(forward_func: ForwardFunc, inputs: torch.Tensor, attributions: torch.Tensor, target: int, *,
                 baseline: float | torch.Tensor = 0.0, fractions: Sequence[float] = DEFAULT_FRACTIONS,
                 seed: int = 0, batch_size: int = 64, insertion: bool = True) -> Faithfulness:
    """Deletion and insertion curves of ``attributions`` (shaped like ``inputs``, for ``target``) and of
    a random order (uniform scores from a generator seeded with ``seed``), averaged over records.
    ``insertion=False`` skips the insertion curves (NaN), half the forward passes.

    Example
    -------
    >>> w = torch.tensor([[5.0, 0.1, 0.1, 0.1]])       # input 0 decides the output
    >>> x = torch.ones(8, 4)
    >>> f = faithfulness(lambda v: v @ w.T, x, x * w, 0, fractions=[0, 0.25, 0.5, 0.75, 1])
    >>> f.deletion.round(2).tolist()
    [5.3, 0.3, 0.2, 0.1, 0.0]
    >>> f.deletion_score > 2
    True
    """
    gen = torch.Generator().manual_seed(seed)
    scores = torch.rand(inputs.shape, generator=gen, dtype=inputs.dtype).to(inputs.device)
    mean = {"insertion": np.full(len(fractions), np.nan), "insertion_random": np.full(len(fractions), np.nan)}
    kinds = (("deletion", deletion_curve), ("insertion", insertion_curve)) if insertion else \
        (("deletion", deletion_curve),)
    for name, order in (("", attributions), ("_random", scores)):
        for kind, curve in kinds:
            values = curve(forward_func, inputs, order, target, baseline=baseline, fractions=fractions,
                           batch_size=batch_size)
            mean[kind + name] = values.mean(0).double().numpy()
    return Faithfulness(fractions=_check_fractions(fractions), **mean)


def randomize_weights(module: torch.nn.Module, *, layers: int | None = None, seed: int = 0) -> torch.nn.Module:
    """A copy of ``module`` whose layers are re-initialised (each one's ``reset_parameters``, with
    torch's random generator seeded by ``seed``; the original is untouched).

    ``layers=None`` re-initialises every layer; ``layers=n`` only the last ``n`` layers in module
    order, the cascading randomisation of Adebayo et al. (2018) from the output down. The copy keeps
    the original's train/eval mode.

    Example
    -------
    >>> net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    >>> top = randomize_weights(net, layers=1)
    >>> torch.equal(top[0].weight, net[0].weight), torch.equal(top[2].weight, net[2].weight)
    (True, False)
    """
    clone = copy.deepcopy(module)
    resettable = [m for m in clone.modules() if callable(getattr(m, "reset_parameters", None))]
    chosen = resettable if layers is None else resettable[len(resettable) - layers:] if layers > 0 else []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for layer in chosen:
            layer.reset_parameters()
    return clone


def rank_correlation(a: torch.Tensor | np.ndarray, b: torch.Tensor | np.ndarray, *, absolute: bool = False) -> float:
    """Spearman rank correlation of two attribution maps (records, ...), per record over its elements,
    then averaged over records. ``absolute=True`` ranks magnitudes (is the same evidence important,
    whatever its sign?); the default ranks signed values (is it the same evidence, for and against?).
    Records where either map is constant have no correlation and are left out (NaN if all are).

    Example
    -------
    >>> a = torch.tensor([[1.0, -2.0, 3.0]])
    >>> rank_correlation(a, 2 * a), rank_correlation(a, -a), rank_correlation(a, -a, absolute=True)
    (1.0, -1.0, 1.0)
    """
    x = np.asarray(a.detach().cpu() if isinstance(a, torch.Tensor) else a, dtype=float)
    y = np.asarray(b.detach().cpu() if isinstance(b, torch.Tensor) else b, dtype=float)
    if x.shape != y.shape or x.ndim < 2:
        raise ValueError(f"maps must share one shape (records, ...), got {x.shape} and {y.shape}")
    x, y = x.reshape(len(x), -1), y.reshape(len(y), -1)
    if absolute:
        x, y = np.abs(x), np.abs(y)
    rhos = [stats.spearmanr(u, v).statistic for u, v in zip(x, y) if np.ptp(u) > 0 and np.ptp(v) > 0]
    return float(np.mean(rhos)) if rhos else float("nan")
