import numpy as np
import pyro
import pytest
import torch
from pyro.poutine.util import site_is_subsample
from scipy.stats import spearmanr
from sklearn.linear_model import LinearRegression

from vaescan.analysis.model_metrics import reconstruction_rmse_uv
from vaescan.data.beats import BeatSet
from vaescan.errors import VaescanInputError
from vaescan.models.vae import VAE, BetaVAE, VAEConfig, total_correlation

from .conftest import TINY as SMALL


def test_elbo_decreases_and_reconstruction_improves(vae):
    curves = vae.curves_
    after_warmup = curves[curves.anneal == 1.0]
    # the negative ELBO at full KL weight keeps falling, on training and held-out beats
    assert after_warmup.train_loss.iloc[-1] < after_warmup.train_loss.iloc[0] - 500
    assert after_warmup.val_loss.iloc[-1] < after_warmup.val_loss.iloc[0] - 500
    assert curves.val_rmse_uv.iloc[-1] < 0.25 * curves.val_rmse_uv.iloc[0]


def test_reconstruction_is_close_and_factors_are_recovered(vae, toy_train, toy_test):
    (train, f_train), (test, f_test) = toy_train, toy_test
    # held-out beats come back within a small fraction of their own size (uV RMS)
    signal_uv = float(np.sqrt(np.mean(test.beats**2))) * 1000
    assert reconstruction_rmse_uv(vae, test) < 0.25 * signal_uv
    # the known generating factors are linearly readable from the latent on held-out beats
    z_train, z_test = vae.transform(train), vae.transform(test)
    for name in ("qrs_ms", "qt_ms"):
        r2 = LinearRegression().fit(z_train, f_train[name]).score(z_test, f_test[name])
        assert r2 > 0.75, (name, r2)


def test_inverse_transform_returns_beats_at_the_input_rate(vae, toy_test):
    beats = toy_test[0]
    decoded = vae.inverse_transform(vae.transform(beats))
    assert decoded.shape == beats.beats.shape and vae.fs_ == 500.0 and vae.window_ms_ == (-400.0, 600.0)
    # the R peak stays at the fiducial (index 200) after down- and up-sampling
    v5 = decoded[:, 10, :]
    assert np.median(np.abs(np.argmax(v5, axis=1) - 200)) <= 2


def test_kl_per_unit_and_active_units(vae):
    assert vae.kl_per_unit_.shape == (3,) and (vae.kl_per_unit_ >= 0).all()
    active = vae.active_units_
    assert all(vae.kl_per_unit_[i] > vae.config.active_kl_nats for i in active)
    assert list(active) == sorted(active, key=lambda i: -vae.kl_per_unit_[i])
    assert vae.latent_sd_.shape == (3,) and (vae.latent_sd_ > 0).all()


def test_saved_and_loaded_model_encodes_and_decodes_the_same(vae, toy_test, tmp_path):
    vae.save(tmp_path)
    again = VAE.load(tmp_path)
    z = vae.transform(toy_test[0])
    np.testing.assert_array_equal(again.transform(toy_test[0]), z)
    np.testing.assert_array_equal(again.inverse_transform(z), vae.inverse_transform(z))
    assert again.active_units_ == vae.active_units_ and again.config == vae.config


def test_same_seed_same_model(toy_test):
    beats = BeatSet(toy_test[0].beats[:64], toy_test[0].record_ids[:64], 500.0, (-400.0, 600.0))
    a = VAE(epochs=2, seed=3, **SMALL).fit(beats, progress=False)
    b = VAE(epochs=2, seed=3, **SMALL).fit(beats, progress=False)
    np.testing.assert_array_equal(a.transform(beats), b.transform(beats))


def test_bad_inputs_are_clear_errors(toy_test):
    beats = toy_test[0].beats[:8].copy()
    with pytest.raises(VaescanInputError, match="unknown VAE setting"):
        VAE(latent_size=3)
    beats[0, 3, 10] = np.nan
    with pytest.raises(VaescanInputError, match="NaN"):
        VAE(epochs=1, **SMALL).fit(beats, progress=False)
    with pytest.raises(VaescanInputError, match="shape"):
        VAE(epochs=1, **SMALL).fit(beats[:, 0], progress=False)
    with pytest.raises(VaescanInputError, match="not fitted"):
        VAE().transform(beats)
    with pytest.raises(VaescanInputError, match="divide"):
        VAE(epochs=1, **{**SMALL, "downsample": 3}).fit(toy_test[0].beats[:4], progress=False)


def test_wrong_beat_length_after_fit_is_refused(vae, toy_test):
    with pytest.raises(VaescanInputError, match="do not match"):
        vae.transform(toy_test[0].beats[:2, :, :400])


def test_total_correlation_is_zero_for_independent_factors_and_positive_for_dependent_ones():
    g = torch.Generator().manual_seed(0)
    scale = torch.full((512, 4), 0.5)
    loc = torch.randn(512, 4, generator=g)
    independent = total_correlation(loc + scale * torch.randn(512, 4, generator=g), loc, scale)
    tied_loc = loc[:, :1].expand(512, 4)                                   # four copies of one factor
    tied = total_correlation(tied_loc + scale * torch.randn(512, 4, generator=g), tied_loc, scale)
    mixed_loc = loc @ torch.tensor([[1.0, 0.9, 0, 0], [0, 0.4, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
    mixed = total_correlation(mixed_loc + scale * torch.randn(512, 4, generator=g), mixed_loc, scale)
    assert independent.shape == (512,)
    assert abs(float(independent.mean())) < 0.2
    assert float(tied.mean()) > 1.2
    assert 0.25 < float(mixed.mean()) < float(tied.mean())               # more dependence, more TC


def test_tc_penalty_and_slope_likelihood_enter_the_elbo(toy_test):
    x = torch.as_tensor(toy_test[0].beats[:32, :, ::2], dtype=torch.float32)
    sites = {}
    for extra in ({}, {"tc_weight": 5.0}, {"slope_sd_mv": 0.01}):
        net = BetaVAE(12, x.shape[-1], VAEConfig(**SMALL, **extra))
        guide = pyro.poutine.trace(net.guide).get_trace(x)
        model = pyro.poutine.trace(pyro.poutine.replay(net.model, trace=guide)).get_trace(x)
        sites[tuple(extra)] = {"tc", "dx"} & set(model.nodes)
        if extra.get("tc_weight"):
            # the factor is -tc_weight * TC per beat (full KL weight: anneal = beta)
            tc = total_correlation(model.nodes["z"]["value"], *net._q)
            torch.testing.assert_close(model.nodes["tc"]["fn"].log_factor, -5.0 * tc)
    assert sites == {(): set(), ("tc_weight",): {"tc"}, ("slope_sd_mv",): {"dx"}}
    fitted = VAE(epochs=2, tc_weight=5.0, slope_sd_mv=0.01, **SMALL).fit(toy_test[0], progress=False)
    assert np.isfinite(fitted.curves_.train_loss).all()


# -- anchored factors ----------------------------------------------------------------------------
def _trace(net, x, anchors=None):
    guide = pyro.poutine.trace(net.guide).get_trace(x, anchors)
    return pyro.poutine.trace(pyro.poutine.replay(net.model, trace=guide)).get_trace(x, anchors), guide


def test_anchor_term_is_one_normal_per_known_feature_and_absent_without_anchors(toy_test):
    x = torch.as_tensor(toy_test[0].beats[:16, :, ::4], dtype=torch.float32)
    plain, _ = _trace(BetaVAE(12, x.shape[-1], VAEConfig(**SMALL)), x)
    sites = {n for n, s in plain.nodes.items() if s["type"] == "sample" and not site_is_subsample(s)}
    assert sites == {"z", "x"}                                       # a plain beta-VAE, as before anchors
    net = BetaVAE(12, x.shape[-1], VAEConfig(**SMALL, anchor_features=("qrs_ms", "qt_ms"), anchor_sd=0.5))
    f = torch.randn(16, 2)
    f[3, 1] = float("nan")                                            # a feature the delineator missed
    model, guide = _trace(net, x, f)
    z = model.nodes["z"]["value"]
    expected = torch.distributions.Normal(z[:, :2], 0.5).log_prob(torch.nan_to_num(f))
    expected[3, 1] = 0.0                                              # masked: no term, no NaN
    model.compute_log_prob()
    torch.testing.assert_close(model.nodes["anchor"]["log_prob"], expected.sum(-1))
    loss = pyro.infer.TraceMeanField_ELBO().differentiable_loss(net.model, net.guide, x, f)
    loss.backward()
    assert torch.isfinite(loss) and all(torch.isfinite(p.grad).all() for p in net.parameters() if p.grad is not None)


def test_anchored_factor_tracks_its_measured_feature(toy_train, toy_test):
    (train, _), (test, f_test) = toy_train, toy_test
    vae = VAE(epochs=15, **{**SMALL, "latent_dim": 3}, anchor_features=("qrs_ms",), anchor_sd=0.05).fit(
        train, progress=False)
    assert vae.factor_names_ == ["z0 qrs_ms", "z1", "z2"]
    # the measured QRS of the training beats is standardised by learned statistics (ms)
    assert 100 < vae.anchor_mean_[0] < 140 and vae.anchor_std_[0] > 10
    rho = spearmanr(vae.transform(test)[:, 0], f_test.qrs_ms).statistic
    assert abs(rho) > 0.9, rho                                        # the true QRS width, never given to the model


def test_anchor_stats_survive_save_and_load_and_bad_anchors_are_refused(toy_test, tmp_path):
    beats = toy_test[0]
    vae = VAE(epochs=1, **SMALL, anchor_features=("qt_ms", "t_amp_mv")).fit(beats, progress=False)
    again = VAE.load(vae.save(tmp_path))
    np.testing.assert_array_equal(again.anchor_mean_, vae.anchor_mean_)
    np.testing.assert_array_equal(again.anchor_std_, vae.anchor_std_)
    assert again.factor_names_ == vae.factor_names_ and again.factor_names_[1] == "z1 t_amp_mv"
    np.testing.assert_array_equal(again.transform(beats), vae.transform(beats))
    with pytest.raises(VaescanInputError, match="unknown anchor"):
        VAE(epochs=1, **SMALL, anchor_features=("qrs_width",)).fit(beats, progress=False)
    with pytest.raises(VaescanInputError, match="at most latent_dim"):
        VAE(epochs=1, **{**SMALL, "latent_dim": 1}, anchor_features=("qrs_ms", "qt_ms")).fit(beats, progress=False)
