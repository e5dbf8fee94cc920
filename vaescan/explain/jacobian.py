"""The Jacobian of a black box: d output / d input for every output, signs kept, in bounded memory."""

from __future__ import annotations

import operator
from collections.abc import Sequence

import torch

from vaescan.explain.base import Attribution, ForwardFunc


class Jacobian(Attribution):
    """Gradient of outputs with respect to inputs, per record: ``d f_j(x) / d x``, signs kept.

    ``forward_func`` maps inputs (records, ...) to outputs (records, outputs) and must treat
    records independently (a model in eval mode: no batch statistics, no dropout), so the
    gradient of an output summed over a batch is every record's own gradient.
    :meth:`attribute` returns, for an int ``target``, a tensor shaped like ``inputs``; for
    ``target=None`` every output stacked first, (outputs, records, ...); for a sequence of
    ints those outputs stacked first. Positive is evidence for the output, negative against
    (captum's ``Saliency`` returns absolute values by default; ``Saliency(abs=False)`` is this).
    ``times_input=True`` gives gradient x input, the exact contributions of a linear model
    (:class:`~vaescan.explain.linear.LinearContributions`).

    ``noise_samples=n`` averages the gradient over ``n`` copies of each record with Gaussian noise
    of standard deviation ``noise_sd`` (in the input's unit, e.g. mV) added, seeded by ``seed``
    (SmoothGrad, Smilkov et al. 2017); with ``times_input`` the mean gradient multiplies the clean
    input. It costs ``n`` times the plain Jacobian and evens out the gradient's sample-to-sample
    noise (``docs/explain.md``: it moved long-QT evidence onto the T wave).

    How: one forward pass per batch of ``batch_size`` records, then one backward pass per
    output through the retained graph. Memory holds one batch's graph and one gradient
    beside the result, whatever the number of outputs or records. Measured against vmapped
    backward passes over several outputs at once (``torch.func`` vjp, jacrev) this was as fast
    or faster on CPU, and vmapping multiplies the graph's memory by the outputs per pass
    (``scripts/bench_jacobian.py``, ``docs/results/bench_jacobian.json``).

    Example
    -------
    >>> net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    >>> x = torch.randn(5, 3)
    >>> Jacobian(net, batch_size=2).attribute(x).shape      # outputs, records, inputs
    torch.Size([2, 5, 3])
    >>> w = torch.tensor([[2.0, -1.0]])
    >>> Jacobian(lambda v: v @ w.T).attribute(torch.ones(1, 2), target=0).tolist()
    [[2.0, -1.0]]
    """

    def __init__(self, forward_func: ForwardFunc, *, times_input: bool = False, batch_size: int = 32,
                 noise_samples: int = 0, noise_sd: float = 0.0, seed: int = 0):
        super().__init__(forward_func)
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if int(noise_samples) < 0 or not float(noise_sd) >= 0:
            raise ValueError(f"noise_samples and noise_sd must be >= 0, got {noise_samples}, {noise_sd}")
        self.times_input = bool(times_input)
        self.batch_size = int(batch_size)
        self.noise_samples = int(noise_samples)
        self.noise_sd = float(noise_sd)
        self.seed = int(seed)

    def attribute(self, inputs: torch.Tensor, target: int | Sequence[int] | None = None) -> torch.Tensor:
        """Gradients (x input with ``times_input``) of ``target``: shaped like ``inputs`` for an int,
        (outputs, records, ...) for ``None`` (every output) or a sequence of ints."""
        if not torch.is_floating_point(inputs):
            raise ValueError(f"inputs must be floating point, got {inputs.dtype}")
        single = target is not None and not isinstance(target, Sequence)
        wanted = None if target is None else [operator.index(target)] if single else [operator.index(t) for t in target]
        result = None
        generator = torch.Generator(device=inputs.device).manual_seed(self.seed)
        for start in range(0, len(inputs), self.batch_size):
            clean = inputs[start:start + self.batch_size].detach()
            copies = [clean] if self.noise_samples == 0 else [
                clean + self.noise_sd * torch.randn(clean.shape, generator=generator, device=clean.device,
                                                    dtype=clean.dtype) for _ in range(self.noise_samples)]
            total = None
            for copy in copies:
                grads, wanted = self._gradients(copy, wanted)
                total = grads if total is None else total + grads
            if result is None:
                result = inputs.new_empty((len(wanted), *inputs.shape))
            mean = total if len(copies) == 1 else total / len(copies)
            result[:, start:start + len(clean)] = mean * clean if self.times_input else mean
        if result is None:                                  # no records: nothing to differentiate
            result = inputs.new_empty((len(wanted or []), *inputs.shape))
        return result[0] if single else result

    def _gradients(self, x: torch.Tensor, wanted: list[int] | None) -> tuple[torch.Tensor, list[int]]:
        """d output_j / d x of one batch for every wanted j: (wanted, records, ...), and the wanted outputs."""
        x = x.clone().requires_grad_(True)
        with torch.enable_grad():
            y = self.forward_func(x)
            if y.dim() != 2 or y.shape[0] != len(x):
                raise ValueError(f"forward_func must return (records, outputs), got {tuple(y.shape)}")
            if wanted is None:
                wanted = list(range(y.shape[1]))
            bad = [t for t in wanted if not -y.shape[1] <= t < y.shape[1]]
            if bad:
                raise ValueError(f"target {bad} out of range for {y.shape[1]} outputs")
            grads = x.new_empty((len(wanted), *x.shape))
            for i, j in enumerate(wanted):
                (grads[i],) = torch.autograd.grad(y[:, j].sum(), x, retain_graph=i < len(wanted) - 1,
                                                  allow_unused=True, materialize_grads=True)
        return grads, wanted
