"""Deletion/insertion curves where the truth is known, and the model-randomisation check."""

import numpy as np
import pytest
import torch

from vaescan.explain import (
    Jacobian,
    deletion_curve,
    faithfulness,
    insertion_curve,
    randomize_weights,
    rank_correlation,
)


def decisive_linear_model(n_inputs=30, seed=0):
    """Three inputs with weight 5 decide the output; the others weigh +-0.05."""
    gen = torch.Generator().manual_seed(seed)
    w = 0.05 * torch.sign(torch.randn(n_inputs, generator=gen))
    w[[3, 11, 20]] = 5.0
    x = 0.5 + torch.rand(40, n_inputs, generator=gen)
    return (lambda v: (v @ w)[:, None]), x, x * w


def test_true_attribution_deletes_faster_than_random_and_scores_above_two():
    f, x, truth = decisive_linear_model()
    result = faithfulness(f, x, truth, 0, seed=1)
    assert result.fractions[0] == 0 and result.fractions[-1] == 1
    assert np.all(result.deletion[1:-1] < result.deletion_random[1:-1])   # below random at every inner k
    assert result.deletion[2] < 0.1 * result.deletion[0]                  # 3 of 30 inputs (k = 0.1) carry it
    assert result.deletion_score > 20 and result.insertion_score > 20          # measured 36; the target is 2
    assert result.deletion_auc < result.deletion_random_auc / 2
    assert result.insertion_auc > result.insertion_random_auc
    for name in ("deletion", "deletion_random"):                          # both orders end at the baseline
        assert getattr(result, name)[0] == pytest.approx(float(f(x).mean()), abs=1e-4)
        assert getattr(result, name)[-1] == 0


def test_random_attributions_score_about_one():
    f, x, _ = decisive_linear_model()
    noise = torch.rand(x.shape, generator=torch.Generator().manual_seed(9))
    score = faithfulness(f, x, noise, 0, seed=1).deletion_score
    assert 0.8 < score < 1.25                                             # measured 1.00
    np.testing.assert_array_equal(faithfulness(f, x, noise, 0, seed=4).deletion_random,
                                  faithfulness(f, x, noise, 0, seed=4).deletion_random)


def test_curves_replace_exactly_the_top_k_and_use_the_baseline():
    x = torch.ones(3, 2, 5)
    score = torch.arange(30.0).reshape(3, 2, 5)
    total = lambda v: v.sum((1, 2))[:, None]                              # noqa: E731
    k = [0, 0.1, 0.25, 0.5, 1]
    torch.testing.assert_close(deletion_curve(total, x, score, 0, fractions=k, batch_size=2),
                               torch.tensor([[10.0, 9, 7, 5, 0]] * 3))    # round(k * 10) elements removed
    torch.testing.assert_close(insertion_curve(total, x, score, 0, fractions=k), torch.tensor([[0.0, 1, 3, 5, 10]] * 3))
    background = torch.tensor([[2.0], [-1.0]])                            # per channel, broadcast over time
    ends = deletion_curve(total, x, score, 0, baseline=background, fractions=[0, 0.5, 1])
    torch.testing.assert_close(ends[:, [0, 2]], torch.tensor([[10.0, 5.0]] * 3))
    first = lambda v: v[:, 1, 4:5]                                        # noqa: E731  the top element
    assert deletion_curve(first, x, score, 0, baseline=background, fractions=[0, 0.1, 1])[0].tolist() == [1, -1, -1]
    with pytest.raises(ValueError, match="fractions"):
        deletion_curve(total, x, score, 0, fractions=[0.1, 1])


def small_conv_net():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 5, padding=2), torch.nn.ReLU(), torch.nn.Conv2d(6, 6, 3, stride=2, padding=1),
        torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(2), torch.nn.Flatten(), torch.nn.Linear(24, 3)).eval()


def test_randomised_weights_change_the_map_and_the_same_model_does_not():
    net = small_conv_net()
    x = torch.randn(6, 1, 24, 32, generator=torch.Generator().manual_seed(1))
    trained = Jacobian(net).attribute(x, target=0)
    assert rank_correlation(trained, Jacobian(net).attribute(x, target=0)) == 1.0
    rand = Jacobian(randomize_weights(net, seed=3)).attribute(x, target=0)
    assert abs(rank_correlation(trained, rand)) < 0.2
    assert rank_correlation(trained, rand, absolute=True) < 0.2
    top = Jacobian(randomize_weights(net, layers=1, seed=3)).attribute(x, target=0)
    assert rank_correlation(trained, top, absolute=True) < 0.5             # measured 0.31: the head alone changes it


def test_randomize_weights_copies_seeds_and_cascades():
    net = small_conv_net()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    a, b = randomize_weights(net, seed=5), randomize_weights(net, seed=5)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())       # original untouched
    assert all(torch.equal(a.state_dict()[k], v) for k, v in b.state_dict().items())  # seeded
    assert not torch.equal(a[0].weight, net[0].weight) and not torch.equal(a[6].weight, net[6].weight)
    top2 = randomize_weights(net, layers=2, seed=5)
    assert torch.equal(top2[0].weight, net[0].weight)
    assert not torch.equal(top2[2].weight, net[2].weight) and not torch.equal(top2[6].weight, net[6].weight)
    assert not top2.training


def test_rank_correlation_per_record_leaves_constant_maps_out():
    a = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    assert rank_correlation(a, torch.tensor([[3.0, 2.0, 1.0], [1.0, 5.0, 2.0]])) == -1.0
    assert np.isnan(rank_correlation(a[1:], a[1:]))
    with pytest.raises(ValueError, match="shape"):
        rank_correlation(a, a[:1])
