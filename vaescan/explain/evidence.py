"""From a model's attribution maps to evidence per lead x wave, for signal and page-image models alike.

An :class:`EvidenceInput` is one record as a model sees it (``inputs``: a
(leads, samples) signal or a (1, H, W) page image) together with what puts its
attributions back on the ECG: a signal's map already lies on the samples of
``waves``; a page's map is summed through its ``trace_map`` onto the sample each
trace pixel draws (:func:`vaescan.pages.model_input.trace_sums`). Maps of pixels
off the trace (paper, labels, grid) are kept in the raw map and counted in its
background share, but carry no lead or wave.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from vaescan.explain.base import Attribution
from vaescan.explain.waves import evidence_table, wave_sums
from vaescan.pages.model_input import background_share, trace_sums


@dataclass
class EvidenceInput:
    """One record prepared for explanation.

    record_id: its name. inputs: the model input (float32, e.g. (12, samples) or (1, H, W)).
    waves: (samples,) wave labels (:func:`vaescan.explain.waves.ecg_waves`). signal: (leads, samples) mV on
    that grid, for figures. fs: its rate (Hz). trace_map: for page images, the (H, W) trace map
    (:func:`vaescan.pages.model_input.page_input`: lead x sample index per trace pixel, -1 off the trace).
    """

    record_id: str
    inputs: np.ndarray
    waves: np.ndarray
    signal: np.ndarray
    fs: float
    trace_map: np.ndarray | None = None

    def to_samples(self, attribution: np.ndarray) -> np.ndarray:
        """An attribution shaped like ``inputs`` as (leads, samples) on the grid of ``waves``."""
        if self.trace_map is None:
            return attribution
        return trace_sums(attribution[0], self.trace_map, n_samples=len(self.waves))


@dataclass
class Evidence:
    """A record's explanation: raw maps (outputs, *input shape), maps on the samples (outputs, leads, samples),
    per lead x wave sums (outputs, leads, waves), the model outputs, and the background share of page maps."""

    item: EvidenceInput
    maps: np.ndarray
    sample_maps: np.ndarray
    sums: np.ndarray
    outputs: np.ndarray
    background_share: float = float("nan")

    def table(self, output_names: Sequence[str]) -> pd.DataFrame:
        """The long per lead x wave table with a ``record_id`` column first."""
        table = evidence_table(self.sums, list(output_names))
        table.insert(0, "record_id", self.item.record_id)
        return table


def explain_inputs(method: Attribution, forward: Callable[[torch.Tensor], torch.Tensor],
                   items: Sequence[EvidenceInput], batch_size: int = 16) -> Iterator[Evidence]:
    """Attribute every output of ``forward`` for each item (``method`` over the same ``forward``), in batches.

    Yields one :class:`Evidence` per item, in order; only one batch of maps is
    held at a time, so memory does not grow with the number of items.

    Example
    -------
    >>> w = torch.tensor([[1.0, -1.0, 0.0]])                      # one output: lead 0 minus lead 1, 1 sample
    >>> from vaescan.explain.linear import LinearContributions
    >>> f = lambda x: x[:, :, 0] @ w.T
    >>> item = EvidenceInput("r1", np.array([[2.0], [1.0], [5.0]], np.float32), np.array([2]), np.zeros((3, 1)),
    ...                      500.0)
    >>> ev = next(explain_inputs(LinearContributions(f), f, [item]))
    >>> ev.sums[0, :, 2].tolist(), ev.outputs.tolist()             # QRS column: 2 x 1, 1 x -1, 5 x 0
    ([2.0, -1.0, 0.0], [1.0])
    """
    for start in range(0, len(items), batch_size):
        batch = items[start:start + batch_size]
        x = torch.as_tensor(np.stack([item.inputs for item in batch]), dtype=torch.float32)
        with torch.no_grad():
            outputs = forward(x).cpu().numpy()
        maps = method.attribute(x).detach().cpu().numpy()          # (outputs, records, *input shape)
        for i, item in enumerate(batch):
            record_maps = maps[:, i]
            on_samples = np.stack([item.to_samples(m) for m in record_maps])
            share = background_share(record_maps, item.trace_map) if item.trace_map is not None else float("nan")
            yield Evidence(item, record_maps, on_samples, wave_sums(on_samples, item.waves), outputs[i], share)
