"""The attribution contract: ``Method(forward_func).attribute(inputs, target=None)`` (captum's shape)."""

from __future__ import annotations

from collections.abc import Callable

import torch

ForwardFunc = Callable[[torch.Tensor], torch.Tensor]
"""A batch of inputs (records, ...) -> outputs (records, outputs)."""


class Attribution:
    """Base of every attribution method.

    ``forward_func`` maps inputs (records, ...) to outputs (records, outputs).
    :meth:`attribute` returns, for an int ``target``, a tensor shaped like
    ``inputs``; for ``target=None``, every output's attributions stacked first,
    (outputs, records, ...). Signs are kept (positive: evidence for).

    Example
    -------
    >>> class Doubled(Attribution):
    ...     def _attribute_one(self, inputs, target):
    ...         return 2 * inputs
    >>> Doubled(lambda x: x.sum(1, keepdim=True)).attribute(torch.ones(3, 2), target=0).shape
    torch.Size([3, 2])
    """

    def __init__(self, forward_func: ForwardFunc):
        self.forward_func = forward_func

    def attribute(self, inputs: torch.Tensor, target: int | None = None) -> torch.Tensor:
        """Attributions of output ``target`` (shaped like ``inputs``), or of every output stacked first."""
        if target is not None:
            return self._attribute_one(inputs, int(target))
        with torch.no_grad():
            n_outputs = self.forward_func(inputs[:1]).shape[1]
        return torch.stack([self._attribute_one(inputs, j) for j in range(n_outputs)])

    def _attribute_one(self, inputs: torch.Tensor, target: int) -> torch.Tensor:
        raise NotImplementedError
