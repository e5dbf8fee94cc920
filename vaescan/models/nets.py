"""The networks of the beta-VAE: a 1-D convolutional encoder and decoder over 12-lead beats.

Plain torch modules; :mod:`vaescan.models.vae` registers them with pyro. The
encoder halves the time axis ``n_conv`` times with strided convolutions and maps
the result to the mean and standard deviation of a diagonal Gaussian over the
latent factors; the decoder mirrors it (linear upsampling + convolution) and crops to
the beat length. Inputs and outputs are (batch, leads, samples) in mV.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

KERNEL = 9


def _conv_lengths(n_samples: int, n_conv: int) -> list[int]:
    """Time length after each strided convolution (kernel 9, stride 2, padding 4)."""
    lengths = [n_samples]
    for _ in range(n_conv):
        lengths.append((lengths[-1] - 1) // 2 + 1)
    return lengths


class BeatEncoder(nn.Module):
    """q(z|x): (batch, leads, samples) in mV -> (loc, scale) of the latent factors, each (batch, latent_dim).

    Example
    -------
    >>> enc = BeatEncoder(n_leads=12, n_samples=250, latent_dim=8, channels=(16, 32))
    >>> loc, scale = enc(torch.zeros(3, 12, 250))
    >>> tuple(loc.shape), bool((scale > 0).all())
    ((3, 8), True)
    """

    def __init__(self, n_leads: int, n_samples: int, latent_dim: int, channels: tuple[int, ...],
                 hidden: int = 256):
        super().__init__()
        layers: list[nn.Module] = []
        c_in = n_leads
        for c_out in channels:
            layers += [nn.Conv1d(c_in, c_out, KERNEL, stride=2, padding=KERNEL // 2), nn.GELU()]
            c_in = c_out
        self.conv = nn.Sequential(*layers)
        flat = c_in * _conv_lengths(n_samples, len(channels))[-1]
        self.hidden = nn.Sequential(nn.Flatten(), nn.Linear(flat, hidden), nn.GELU())
        self.loc = nn.Linear(hidden, latent_dim)
        self.scale = nn.Linear(hidden, latent_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.hidden(self.conv(x))
        return self.loc(h), F.softplus(self.scale(h)) + 1e-4


class BeatDecoder(nn.Module):
    """p(x|z) mean: (batch, latent_dim) -> (batch, leads, samples) in mV.

    Example
    -------
    >>> dec = BeatDecoder(n_leads=12, n_samples=250, latent_dim=8, channels=(16, 32))
    >>> tuple(dec(torch.zeros(3, 8)).shape)
    (3, 12, 250)
    """

    def __init__(self, n_leads: int, n_samples: int, latent_dim: int, channels: tuple[int, ...],
                 hidden: int = 256):
        super().__init__()
        self.n_samples = n_samples
        self.start_length = _conv_lengths(n_samples, len(channels))[-1]
        self.start_channels = channels[-1]
        self.hidden = nn.Sequential(
            nn.Linear(latent_dim, hidden), nn.GELU(),
            nn.Linear(hidden, self.start_channels * self.start_length), nn.GELU(),
        )
        layers: list[nn.Module] = []
        rev = list(reversed(channels))
        for c_in, c_out in zip(rev, rev[1:] + [rev[-1]]):
            layers += [nn.Upsample(scale_factor=2, mode="linear", align_corners=False),
                       nn.Conv1d(c_in, c_out, KERNEL, padding=KERNEL // 2), nn.GELU()]
        layers.append(nn.Conv1d(rev[-1], n_leads, KERNEL, padding=KERNEL // 2))
        self.deconv = nn.Sequential(*layers)
        assert self.start_length * 2 ** len(channels) >= n_samples, "decoder too short"

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.hidden(z).view(z.shape[0], self.start_channels, self.start_length)
        return self.deconv(h)[..., : self.n_samples]
