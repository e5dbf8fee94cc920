"""Residual convolutional networks for whole ECGs: 1-D over 12-lead signals, 2-D over page images.

:class:`ResNet1d` follows xresnet1d (the family that tops the PTB-XL benchmark,
Strodthoff et al. 2021): a stem of three convolutions, stages of residual blocks
(two convolutions with batch norm, a 1x1 projection where the width or the
stride changes), global average and max pooling concatenated, and a linear head.
:class:`ResNet2d` is its small 2-D sibling for page images. Both map an input
batch to ``(batch, n_outputs)`` raw outputs and treat records independently in
eval mode (batch norm then uses its running statistics), so a Jacobian of one
output with respect to one record's input involves that record only.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def _conv(dim: int, c_in: int, c_out: int, kernel: int, stride: int = 1) -> nn.Module:
    conv = nn.Conv1d if dim == 1 else nn.Conv2d
    return conv(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False)


def _norm(dim: int, channels: int) -> nn.Module:
    return nn.BatchNorm1d(channels) if dim == 1 else nn.BatchNorm2d(channels)


class ResidualBlock(nn.Module):
    """Two convolutions with batch norm and a shortcut (1x1 projection where the shape changes), then ReLU.

    Example
    -------
    >>> ResidualBlock(1, 8, 16, kernel=5, stride=2)(torch.zeros(2, 8, 100)).shape
    torch.Size([2, 16, 50])
    """

    def __init__(self, dim: int, c_in: int, c_out: int, kernel: int, stride: int = 1):
        super().__init__()
        self.body = nn.Sequential(
            _conv(dim, c_in, c_out, kernel, stride), _norm(dim, c_out), nn.ReLU(inplace=True),
            _conv(dim, c_out, c_out, kernel), _norm(dim, c_out))
        nn.init.zeros_(self.body[-1].weight)  # each block starts as the identity (xresnet's zero-init)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or c_in != c_out:
            pool = nn.AvgPool1d if dim == 1 else nn.AvgPool2d
            self.shortcut = nn.Sequential(
                *([pool(stride, ceil_mode=True)] if stride != 1 else []), _conv(dim, c_in, c_out, 1), _norm(dim, c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.shortcut(x))


class _ResNet(nn.Module):
    def __init__(self, dim: int, in_channels: int, n_outputs: int, stem: Sequence[int], widths: Sequence[int],
                 blocks: int, kernel: int, dropout: float):
        super().__init__()
        layers: list[nn.Module] = []
        c = in_channels
        for i, w in enumerate(stem):
            layers += [_conv(dim, c, w, kernel, stride=2 if i == 0 else 1), _norm(dim, w), nn.ReLU(inplace=True)]
            c = w
        layers.append(nn.MaxPool1d(3, 2, 1) if dim == 1 else nn.MaxPool2d(3, 2, 1))
        for i, w in enumerate(widths):
            for b in range(blocks):
                layers.append(ResidualBlock(dim, c, w, kernel, stride=2 if i > 0 and b == 0 else 1))
                c = w
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(2 * c, n_outputs))
        self.avg = nn.AdaptiveAvgPool1d(1) if dim == 1 else nn.AdaptiveAvgPool2d(1)
        self.max = nn.AdaptiveMaxPool1d(1) if dim == 1 else nn.AdaptiveMaxPool2d(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.features(x)
        return self.head(torch.cat([self.avg(h), self.max(h)], dim=1))


class ResNet1d(_ResNet):
    """xresnet1d-style network over signals (batch, leads, samples) -> (batch, n_outputs).

    ``stem``: widths of the three stem convolutions (the first halves time, then a max pool halves it
    again); ``widths``: one stage each, every stage after the first halves time; ``blocks``: residual
    blocks per stage; ``kernel``: convolution length (odd).

    Example
    -------
    >>> net = ResNet1d(12, 3, stem=(8, 8, 8), widths=(8, 16), blocks=1)
    >>> net.eval()(torch.zeros(2, 12, 1000)).shape
    torch.Size([2, 3])
    """

    def __init__(self, in_channels: int, n_outputs: int, *, stem: Sequence[int] = (32, 32, 32),
                 widths: Sequence[int] = (32, 64, 128), blocks: int = 1, kernel: int = 5, dropout: float = 0.2):
        super().__init__(1, in_channels, n_outputs, stem, widths, blocks, kernel, dropout)


class ResNet2d(_ResNet):
    """Small residual network over page images (batch, 1, height, width) -> (batch, n_outputs).

    The same layout as :class:`ResNet1d` in two dimensions: a strided stem, a max pool, stages that
    halve the resolution, global average and max pooling and a linear head.

    Example
    -------
    >>> net = ResNet2d(1, 3, stem=(8, 8), widths=(8, 16), blocks=1)
    >>> net.eval()(torch.zeros(2, 1, 64, 96)).shape
    torch.Size([2, 3])
    """

    def __init__(self, in_channels: int, n_outputs: int, *, stem: Sequence[int] = (16, 16),
                 widths: Sequence[int] = (16, 32, 64, 64), blocks: int = 1, kernel: int = 3, dropout: float = 0.2):
        super().__init__(2, in_channels, n_outputs, stem, widths, blocks, kernel, dropout)
