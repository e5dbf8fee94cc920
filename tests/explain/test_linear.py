"""Attributions against answers known in closed form, and SCAN's exact contributions through the contract."""

import numpy as np
import pytest
import torch

from vaescan.data.toy import toy_beats
from vaescan.explain import LinearContributions
from vaescan.models.scan import SCAN
from vaescan.models.vae import VAE


def test_affine_model_contributions_are_exact():
    gen = torch.Generator().manual_seed(0)
    w, b = torch.randn(3, 5, generator=gen), torch.randn(3, generator=gen)
    x = torch.randn(7, 5, generator=gen)
    every = LinearContributions(lambda v: v @ w.T + b).attribute(x)
    assert every.shape == (3, 7, 5)                                   # outputs first, then the input's shape
    assert torch.allclose(every, w[:, None, :] * x[None], atol=1e-6)
    assert torch.allclose(every.sum(-1).T + b, x @ w.T + b, atol=1e-5)
    assert torch.equal(LinearContributions(lambda v: v @ w.T + b).attribute(x, target=1), every[1])


def test_non_linear_model_gets_gradient_times_input_with_its_sign():
    x = torch.tensor([[1.0, -2.0, 0.5]])
    attr = LinearContributions(lambda v: (v ** 3).sum(1, keepdim=True)).attribute(x, target=0)
    assert torch.allclose(attr, 3 * x ** 3)                           # d(x^3)/dx * x = 3 x^3: negative for x < 0
    assert attr[0, 1] < 0


@pytest.fixture(scope="module")
def small_scan():
    beats, truth = toy_beats(64, seed=3)
    vae = VAE(latent_dim=3, epochs=2, batch_size=32, channels=(8, 8), hidden=16, downsample=4).fit(
        beats, progress=False)
    return SCAN(vae, epochs=2).fit(beats, truth[["WIDE", "TALLT", "age"]], progress=False), beats


def test_scan_contributions_through_the_contract_match_its_own(small_scan):
    scan, beats = small_scan
    z = torch.as_tensor(scan.vae.transform(beats), dtype=torch.float64)
    through = LinearContributions(scan.link).attribute(z).numpy()     # outputs, records, factors
    own = scan.explain(beats)                                          # records, outputs, factors + intercept
    np.testing.assert_allclose(through.transpose(1, 0, 2), own[..., :-1], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(scan.link(z).numpy(), scan.decision_function(beats), rtol=1e-6, atol=1e-9)
