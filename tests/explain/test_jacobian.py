"""Jacobians against finite differences, autograd's full Jacobian, a linear model's weights and captum."""

import numpy as np
import pytest
import torch
from captum.attr import Saliency
from hypothesis import given, settings
from hypothesis import strategies as st

from vaescan.explain import Jacobian, LinearContributions


def small_mlp(dtype=torch.float64):
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3), torch.nn.Softplus()
                               ).to(dtype).eval()


def random_conv_net():
    torch.manual_seed(1)
    net = torch.nn.Sequential(
        torch.nn.Conv1d(2, 4, 5, padding=2), torch.nn.BatchNorm1d(4), torch.nn.ReLU(),
        torch.nn.Conv1d(4, 4, 3, stride=2), torch.nn.Tanh(), torch.nn.AdaptiveAvgPool1d(3), torch.nn.Flatten(),
        torch.nn.Linear(12, 5)).double()
    net[1].running_mean.normal_()
    net[1].running_var.uniform_(0.5, 2.0)
    return net.eval()


def test_equals_central_finite_differences_on_a_non_linear_network():
    net, x, eps = small_mlp(), torch.randn(3, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(2)), 1e-6
    jac = Jacobian(net).attribute(x)                                      # outputs, records, inputs
    assert jac.shape == (3, 3, 4)
    fd = torch.empty_like(jac)
    with torch.no_grad():
        for i in range(4):
            step = torch.zeros(4, dtype=torch.float64)
            step[i] = eps
            fd[:, :, i] = ((net(x + step) - net(x - step)) / (2 * eps)).T
    torch.testing.assert_close(jac, fd, rtol=0, atol=1e-8)
    assert jac.abs().max() > 0.05 and (jac < 0).any()                     # not trivially zero; signs kept


def test_equals_autograd_jacobian_on_a_random_conv_net_and_records_are_independent():
    net = random_conv_net()
    x = torch.randn(4, 2, 16, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    full = torch.autograd.functional.jacobian(net, x)                     # records, outputs, records, channels, time
    ours = Jacobian(net, batch_size=3).attribute(x)                       # outputs, records, channels, time
    for r in range(4):
        torch.testing.assert_close(ours[:, r], full[r, :, r], rtol=1e-12, atol=1e-12)
        others = [q for q in range(4) if q != r]
        assert full[r][:, others].abs().max() == 0                        # eval mode: records do not interact


def test_linear_model_jacobian_is_its_weights_exactly():
    torch.manual_seed(4)
    lin = torch.nn.Linear(7, 3)
    jac = Jacobian(lin).attribute(torch.randn(5, 7))
    assert torch.equal(jac, lin.weight.detach()[:, None, :].expand(3, 5, 7))


def test_times_input_contributions_and_bias_sum_to_the_output_of_an_affine_model():
    torch.manual_seed(5)
    lin = torch.nn.Linear(6, 4).double()
    x = torch.randn(9, 6, dtype=torch.float64)
    contrib = Jacobian(lin, times_input=True, batch_size=4).attribute(x)
    torch.testing.assert_close(contrib.sum(-1).T + lin.bias.detach(), lin(x).detach(), rtol=0, atol=1e-12)
    assert torch.equal(LinearContributions(lin, batch_size=4).attribute(x), contrib)


def test_equals_captum_saliency_up_to_its_absolute_value():
    net = random_conv_net().float()
    x = torch.randn(3, 2, 16, generator=torch.Generator().manual_seed(6))
    ours = Jacobian(net).attribute(x)
    for j in range(5):
        torch.testing.assert_close(Saliency(net).attribute(x, target=j), ours[j].abs(), rtol=1e-6, atol=1e-7)
        torch.testing.assert_close(Saliency(net).attribute(x, target=j, abs=False), ours[j], rtol=1e-6, atol=1e-7)
    assert (ours < 0).any()                                               # the sign captum drops by default


def test_targets_int_sequence_and_none_agree():
    net, x = small_mlp(), torch.randn(5, 4, dtype=torch.float64)
    every = Jacobian(net).attribute(x)
    assert Jacobian(net).attribute(x, target=1).shape == x.shape
    assert torch.equal(Jacobian(net).attribute(x, target=1), every[1])
    assert torch.equal(Jacobian(net).attribute(x, target=[2, 0]), every[[2, 0]])
    assert torch.equal(Jacobian(net).attribute(x, target=-1), every[2])
    with pytest.raises(ValueError, match="out of range"):
        Jacobian(net).attribute(x, target=3)
    with pytest.raises(ValueError, match="batch_size"):
        Jacobian(net, batch_size=0)


CONV = random_conv_net()
RECORDS = torch.randn(7, 2, 16, dtype=torch.float64, generator=torch.Generator().manual_seed(7))
ONE_BY_ONE = torch.stack([Jacobian(CONV, batch_size=1).attribute(RECORDS[r:r + 1])[:, 0] for r in range(7)], 1)


@settings(max_examples=15, deadline=None)
@given(batch_size=st.integers(1, 8), n_records=st.integers(1, 7), target=st.sampled_from([None, 3, [4, 0, 4]]))
def test_batching_gives_identical_results(batch_size, n_records, target):
    ours = Jacobian(CONV, batch_size=batch_size).attribute(RECORDS[:n_records], target=target)
    expected = ONE_BY_ONE[:, :n_records] if target is None else ONE_BY_ONE[target, :n_records]
    assert torch.equal(ours, expected)


def test_smoothed_jacobian_of_a_relu_is_the_normal_cdf():
    """SmoothGrad of relu(x): E[1{x + e > 0}] = Phi(x / sd) for e ~ N(0, sd^2), an analytic ground truth."""
    from scipy.stats import norm

    x = torch.linspace(-1.0, 1.0, 9, dtype=torch.float64)[:, None]
    smooth = Jacobian(torch.relu, noise_samples=4000, noise_sd=0.5, seed=1).attribute(x, target=0)
    np.testing.assert_allclose(smooth[:, 0].numpy(), norm.cdf(x[:, 0].numpy() / 0.5), atol=0.03)
    plain = Jacobian(torch.relu).attribute(x, target=0)
    assert plain[:, 0].tolist() == [0.0] * 4 + [0.0, 1.0, 1.0, 1.0, 1.0]          # a step, not the smooth curve
    again = Jacobian(torch.relu, noise_samples=4000, noise_sd=0.5, seed=1).attribute(x, target=0)
    assert torch.equal(smooth, again)                                              # seeded


def test_smoothing_without_noise_or_on_a_linear_model_changes_nothing():
    net = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3)).double()
    x = torch.randn(4, 6, dtype=torch.float64)
    plain = Jacobian(net, times_input=True).attribute(x)
    assert torch.allclose(Jacobian(net, times_input=True, noise_samples=3, noise_sd=0.0).attribute(x), plain)
    linear = torch.nn.Linear(6, 3).double()
    assert torch.allclose(Jacobian(linear, noise_samples=5, noise_sd=2.0).attribute(x), Jacobian(linear).attribute(x))
    with pytest.raises(ValueError, match="noise_samples"):
        Jacobian(net, noise_samples=-1)
