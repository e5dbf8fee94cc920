"""A learned trace mask: a tiny fully convolutional network giving each pixel of the rectified page a trace probability.

The classical mask (:func:`~vaescan.digitize.ink.trace_mask`) thresholds the ink map
against the page's stroke level and the grid's leftover darkness; where steep QRS
strokes come out lighter than the flat trace (photographed pages) they fall under that
floor. :func:`trace_probability` instead runs a seven-layer network (8 channels, six dilated
3x3 convolutions, a receptive field of 4.8 mm) over the ink map, resampled to
:data:`WORK_PX_PER_MM`, and returns the probability at the page's own
resolution. :func:`trace_mask_learned` thresholds it. The pipeline (``segmenter="learned"``)
uses it as a veto on the classical mask (:data:`LEARNED_KEEP`): alone, or joined to the
classical mask, it read the outside pages worse; as a veto, within what two training runs differ by, and
worse on own pages (docs/digitize.md, "A learned trace mask").

The weights (``segmenter.pt``, a torch ``state_dict`` of 17 KB) and their training
settings (``segmenter.json``) ship in the package; ``scripts/train_segmenter.py`` makes
them from pages of vaescan's own renderer only. :class:`~vaescan.digitize.pipeline.DigitizeConfig`
selects the mask with ``segmenter`` (``"classical"`` by default).
"""

from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np

WORK_PX_PER_MM = 6.0
"""Resolution (px per mm) the network sees: pages are resampled to it, its output back to the page's."""
CHANNELS = 8
"""Feature channels of every hidden layer."""
DILATIONS = (1, 2, 4, 4, 2, 1)
"""Dilation of each 3x3 layer: a receptive field of 1 + 2 * 14 = 29 px (4.8 mm at 6 px/mm)."""
N_INPUTS = 1
"""Input channels: the ink map."""
WEIGHTS = Path(__file__).with_name("segmenter.pt")
"""The shipped weights (``state_dict``)."""
THRESHOLD = 0.5
"""Probability above which a pixel is trace (:func:`trace_mask_learned`)."""
LEARNED_KEEP = 0.1
"""The pipeline's ``segmenter="learned"`` keeps the classical mask's pixels whose probability exceeds this. Mean
SNR on the 36 outside pages, classical mask alone 11.99 dB: with an earlier training run 0.5 11.74, 0.2 12.03,
0.1 12.29 dB (chosen there, so optimistic); with the shipped weights at 0.1: 11.75 dB. On the digitiser after
issue 16's seventh round: classical 12.64, shipped weights at 0.1 12.82 dB (docs/digitize.md)."""


def segmenter_net():
    """The network (untrained): ``N_INPUTS`` channels in, one logit per pixel out, same size.

    Example
    -------
    >>> import torch
    >>> net = segmenter_net()
    >>> tuple(net(torch.zeros(1, N_INPUTS, 40, 50)).shape), sum(p.numel() for p in net.parameters()) < 5000
    ((1, 1, 40, 50), True)
    """
    from torch import nn

    layers: list = []
    c_in = N_INPUTS
    for d in DILATIONS:
        layers += [nn.Conv2d(c_in, CHANNELS, 3, padding=d, dilation=d), nn.ReLU(inplace=True)]
        c_in = CHANNELS
    layers.append(nn.Conv2d(c_in, 1, 1))
    return nn.Sequential(*layers)


@functools.cache
def segmenter_load(path: str | None = None):
    """The trained network from ``path`` (default: the shipped :data:`WEIGHTS`), in eval mode; cached.

    Loaded with ``torch.load(..., weights_only=True)``: the file holds tensors only.

    Example
    -------
    >>> net = segmenter_load()
    >>> net.training, len(net.state_dict())
    (False, 14)
    """
    import torch

    net = segmenter_net()
    net.load_state_dict(torch.load(path or WEIGHTS, map_location="cpu", weights_only=True))
    net.eval()
    return net.to(memory_format=torch.channels_last)  # twice as fast on a CPU


def page_features(ink: np.ndarray, px_per_mm: float) -> np.ndarray:
    """The network's input (``N_INPUTS``, h, w; float32 in [0, 1]): ``ink`` resampled to :data:`WORK_PX_PER_MM`.

    Only the ink map (:func:`~vaescan.digitize.ink.ink_map`: paper, shadows and most of
    the grid taken out): a first network that also saw the page's colour took the dark
    grids of the outside pages (brown, navy) for trace.

    Example
    -------
    >>> ink = np.zeros((100, 150), np.float32); ink[50, :] = 1.0
    >>> f = page_features(ink, 12.0)
    >>> f.shape, round(float(f[0, 25, 40]), 1)
    ((1, 50, 75), 0.5)
    """
    h, w = ink.shape
    scale = WORK_PX_PER_MM / px_per_mm
    size = (max(1, int(round(w * scale))), max(1, int(round(h * scale))))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(ink.astype(np.float32), size, interpolation=interp)[None]


def trace_probability(ink: np.ndarray, px_per_mm: float, net=None) -> np.ndarray:
    """Probability (float32 in [0, 1], the shape of ``ink``) that each pixel of the rectified page is trace.

    ``ink``: the rectified page's ink map (:func:`~vaescan.digitize.ink.ink_map`), ``px_per_mm``: its
    resolution. ``net`` defaults to the shipped network (:func:`segmenter_load`).

    Example
    -------
    >>> from vaescan.digitize.ink import ink_map
    >>> rect = np.full((120, 240, 3), 255, np.uint8)
    >>> rect[:, ::8] = (240, 130, 160)                          # a pink grid, 1 mm
    >>> _ = cv2.line(rect, (10, 60), (230, 50), (0, 0, 0), 3)       # a trace
    >>> p = trace_probability(ink_map(rect, 8.0), 8.0)
    >>> p.shape, bool(p[55, 120] > 0.5), bool(p[20, 120] < 0.5)
    ((120, 240), True, True)
    """
    import torch

    net = net if net is not None else segmenter_load()
    x = torch.from_numpy(page_features(ink, px_per_mm))[None].contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        logits = net(x)[0, 0].numpy()
    h, w = ink.shape
    logits = cv2.resize(logits, (w, h), interpolation=cv2.INTER_LINEAR)
    return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)


def trace_mask_learned(ink: np.ndarray, px_per_mm: float, threshold: float = THRESHOLD) -> np.ndarray:
    """Boolean trace mask of the rectified page from :func:`trace_probability` above ``threshold``.

    Example
    -------
    >>> from vaescan.digitize.ink import ink_map
    >>> rect = np.full((120, 240, 3), 255, np.uint8)
    >>> _ = cv2.line(rect, (10, 60), (230, 60), (0, 0, 0), 3)
    >>> m = trace_mask_learned(ink_map(rect, 8.0), 8.0)
    >>> bool(m[60, 20:220].all()), int(m[:40].sum())
    (True, 0)
    """
    return trace_probability(ink, px_per_mm) > threshold
