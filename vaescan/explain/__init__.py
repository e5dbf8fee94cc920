"""Explanations of any model, in one shape: ``Method(forward_func).attribute(inputs, target=None)``.

As in captum, a method wraps a function from a batch of inputs (records, ...)
to outputs (records, outputs) and returns, for one ``target`` output, a tensor
shaped like the inputs; with ``target=None`` the attributions of every output
are stacked first, (outputs, records, ...). Signs are kept: positive is
evidence for the output, negative evidence against it.

- :class:`~vaescan.explain.base.Attribution`: the contract every method fills.
- :class:`~vaescan.explain.linear.LinearContributions`: input x gradient, the
  exact per-input contributions of a model linear in its inputs (SCAN's head
  over the VAE factors: ``LinearContributions(scan.link)``).

Jacobian attributions of black-box CNNs on signals and page images are planned
(the black-box issue) and will fill the same contract.
"""

from vaescan.explain.base import Attribution
from vaescan.explain.linear import LinearContributions

__all__ = ["Attribution", "LinearContributions"]
