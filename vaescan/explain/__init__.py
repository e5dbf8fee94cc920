"""Explanations of any model, in one shape: ``Method(forward_func).attribute(inputs, target=None)``.

As in captum, a method wraps a function from a batch of inputs (records, ...)
to outputs (records, outputs) and returns, for one ``target`` output, a tensor
shaped like the inputs; with ``target=None`` the attributions of every output
are stacked first, (outputs, records, ...). Signs are kept: positive is
evidence for the output, negative evidence against it.

- :class:`~vaescan.explain.base.Attribution`: the contract every method fills.
- :class:`~vaescan.explain.jacobian.Jacobian`: d output / d input of a black box
  (or gradient x input), every output in one call, in batches of records so
  memory stays bounded whatever the number of outputs.
- :class:`~vaescan.explain.linear.LinearContributions`: ``Jacobian`` with
  ``times_input=True``, the exact per-input contributions of a model linear in
  its inputs (SCAN's head over the VAE factors: ``LinearContributions(scan.link)``).
- :mod:`~vaescan.explain.faithfulness`: deletion and insertion curves against a
  random order (:func:`faithfulness`), and the model-randomisation check
  (:func:`randomize_weights`, :func:`rank_correlation`).
"""

from vaescan.explain.base import Attribution
from vaescan.explain.faithfulness import (
    Faithfulness,
    deletion_curve,
    faithfulness,
    insertion_curve,
    randomize_weights,
    rank_correlation,
)
from vaescan.explain.jacobian import Jacobian
from vaescan.explain.linear import LinearContributions

__all__ = [
    "Attribution",
    "Faithfulness",
    "Jacobian",
    "LinearContributions",
    "deletion_curve",
    "faithfulness",
    "insertion_curve",
    "randomize_weights",
    "rank_correlation",
]
