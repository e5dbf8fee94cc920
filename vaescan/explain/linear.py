"""Input x gradient: each input's contribution to an output, exact for models linear in their inputs."""

from __future__ import annotations

from vaescan.explain.base import ForwardFunc
from vaescan.explain.jacobian import Jacobian


class LinearContributions(Jacobian):
    """Contribution of input i to output j: ``x_i * d f_j / d x_i``, per record
    (:class:`~vaescan.explain.jacobian.Jacobian` with ``times_input=True``).

    For an affine ``f(x) = W x + b`` these are ``W_ji x_i``, and a record's
    contributions plus ``f(0) = b`` sum exactly to ``f(x)``: SCAN's p(y|z) head
    over the VAE factors is such a model (``LinearContributions(scan.link)``
    gives :meth:`vaescan.models.scan.SCAN.explain`'s numbers). For a non-linear
    ``f`` it is the first-order "gradient x input" attribution, not exact.

    Example
    -------
    >>> import torch
    >>> w, b = torch.tensor([[2.0, -1.0]]), torch.tensor([0.5])
    >>> x = torch.tensor([[1.0, 3.0]])
    >>> c = LinearContributions(lambda x: x @ w.T + b).attribute(x, target=0)
    >>> c.tolist(), float(c.sum() + b)
    ([[2.0, -3.0]], -0.5)
    """

    def __init__(self, forward_func: ForwardFunc, *, batch_size: int = 32):
        super().__init__(forward_func, times_input=True, batch_size=batch_size)
