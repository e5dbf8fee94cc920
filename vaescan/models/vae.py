"""Stage 1 of VAE-SCAN: a beta-VAE over 12-lead median beats, in pyro.

Generative model (per beat)::

    z ~ N(0, I)                                  latent factors, latent_dim of them
    x ~ N(decoder(z), obs_sd_mv^2 I)             the beat (12 leads x samples, mV)

and the guide q(z|x) = N(encoder(x), diag(scale(x)^2)). Training maximises the
beta-weighted ELBO, ``E_q[log p(x|z)] - beta * KL(q(z|x) || N(0, I))``, by SVI
(:mod:`vaescan.models.train`); the KL weight rises linearly from beta /
warmup_epochs to beta over the first ``warmup_epochs`` epochs so the decoder
learns before the KL closes unused units.

Anchored factors (optional, ``anchor_features``): the first k factors also
generate k features measured on each training beat by vaescan's own delineator
(:func:`vaescan.data.features.beat_summary`: QRS, QT, PR, T amplitude...),
standardised::

    f_j ~ N(z_j, anchor_sd^2)   j < k, NaN features masked out

so the model is a multimodal VAE (beat and features both generated from z) and
the loss stays one ELBO. This is weak supervision from the ECG itself, as in
Guided-VAE (Ding et al., CVPR 2020) and CSVAE (Klys et al., NeurIPS 2018): no
clinical label and no ground truth enter, and at inference the encoder needs
only the beat.

Beats may be downsampled inside the model (``downsample``: 2 turns 500 Hz beats
into 250 Hz ones); :meth:`VAE.inverse_transform` always returns beats at the
input's sampling rate and window, so :func:`vaescan.data.features.beat_features`
measures decoded beats like real ones.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pyro
import pyro.distributions as dist
import torch
from pyro import poutine
from scipy.signal import resample_poly
from torch import nn

from vaescan.config import (
    ConfigValueError,
    Limit,
    above,
    at_least,
    check_limits,
    config_from_dict,
    config_to_dict,
    show_value,
)
from vaescan.data.beats import BeatConfig, BeatSet
from vaescan.data.features import SUMMARY_FEATURES, beat_summary
from vaescan.data.shards import ShardedArray
from vaescan.errors import VaescanInputError
from vaescan.io import atomic_path, read_json, write_json
from vaescan.models.nets import BeatDecoder, BeatEncoder
from vaescan.models.persist import described_array, described_number, load_weights, reading_description
from vaescan.models.train import (
    Rows,
    TrainConfig,
    linear_warmup,
    pyro_params,
    resolve_device,
    svi_train,
    take_rows,
)


@dataclass
class VAEConfig(TrainConfig):
    """Settings of the beta-VAE (plus the training settings of :class:`TrainConfig`).

    latent_dim: number of latent factors.
    beta: weight of KL(q(z|x) || N(0, I)); > 1 favours disentangled, fewer active factors.
    warmup_epochs: epochs over which the KL weight rises linearly to ``beta``.
    obs_sd_mv: standard deviation of the Gaussian likelihood, mV (sets the scale of beta).
    downsample: integer factor the model divides the sampling rate by (1 = none).
    channels: convolution channels of the encoder (mirrored by the decoder); each layer halves time.
    hidden: width of the dense layer between the convolutions and the latent.
    active_kl_nats: a factor whose mean KL over the training beats exceeds this (nats) is active.
    tc_weight: extra weight on the total correlation of the aggregate posterior (beta-TCVAE, Chen et
        al. 2018, estimated on each minibatch; :func:`total_correlation`), added to the loss as a
        ``pyro.factor`` and following the KL warm-up; 0 (default) = plain beta-VAE. The beta-TCVAE
        weight on the TC is ``beta + tc_weight``.
    anchor_features: names of :data:`vaescan.data.features.SUMMARY_FEATURES` (e.g. ``qrs_ms``, ``qt_ms``,
        ``t_amp_mv``) measured on every training beat; factor j generates the standardised feature j
        (see the module docstring); () (default) = a plain beta-VAE.
    anchor_sd: sd of the anchored features given their factors, in standard deviations of the feature
        (smaller = a tighter tie between factor j and feature j; 0.02 was best of 0.5-0.02 on the
        synthetic cohort's validation split, 0.5 too weak to tie a factor to its feature).
    slope_sd_mv: with > 0, the first differences of the beat (mV per sample at the model's rate) are a
        second Gaussian observation with this sd, so the steep edges that set wave onsets and offsets
        (QRS width, QT) weigh more in the likelihood; 0 (default) = off.
    """

    latent_dim: int = 16
    beta: float = 4.0
    warmup_epochs: int = 10
    obs_sd_mv: float = 0.05
    downsample: int = 2
    channels: tuple[int, ...] = (16, 32, 64, 64)
    hidden: int = 256
    active_kl_nats: float = 0.1
    tc_weight: float = 0.0
    slope_sd_mv: float = 0.0
    anchor_features: tuple[str, ...] = ()
    anchor_sd: float = 0.02

    LIMITS: ClassVar[dict[str, Limit]] = {
        **TrainConfig.LIMITS, "latent_dim": at_least(1, 1024), "beta": at_least(0, 1e6),
        "warmup_epochs": at_least(0, 1_000_000), "obs_sd_mv": above(0, 100), "downsample": at_least(1, 100),
        "channels": at_least(1, 4096), "hidden": at_least(1, 65536), "active_kl_nats": at_least(0),
        "tc_weight": at_least(0, 1e6), "slope_sd_mv": at_least(0, 100), "anchor_sd": above(0, 100),
    }

    def __post_init__(self) -> None:
        check_limits(self)
        if not self.channels:
            raise ConfigValueError("channels", "needs at least one convolution layer, got an empty list")
        names = tuple(self.anchor_features)
        unknown = [n for n in names if n not in SUMMARY_FEATURES]
        if unknown:
            raise ConfigValueError("anchor_features", f"unknown anchor feature(s) {unknown}; choose from "
                                   f"{list(SUMMARY_FEATURES)}")
        if len(names) > self.latent_dim or len(set(names)) < len(names):
            raise ConfigValueError("anchor_features", f"anchor features {list(names)} must be distinct and at most "
                                   f"latent_dim ({self.latent_dim})")


ANCHOR_CLIP_SD = 4.0
"""Standardised anchor features are clipped to +-this many sd: a failed delineation cannot drag a factor far."""


def measure_anchors(beats: np.ndarray, fs: float, fiducial: int, names: tuple[str, ...]) -> np.ndarray:
    """The features ``names`` (of :func:`~vaescan.data.features.beat_summary`) of each beat, (beats, k); NaN
    where the delineator finds no wave. About 1 ms per beat.

    Example
    -------
    >>> t = np.arange(500) * 2.0 - 400
    >>> beat = np.tile(np.exp(-0.5 * (t / 12) ** 2), (12, 1))
    >>> measure_anchors(beat[None], 500.0, 200, ("r_amp_mv",)).round(2)
    array([[1.]])
    """
    rows = [beat_summary(np.asarray(b, dtype=np.float64), fs, fiducial) for b in beats]
    return np.array([[row[name] for name in names] for row in rows], dtype=np.float64).reshape(len(rows), len(names))


def total_correlation(z: torch.Tensor, loc: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """Per-sample estimate of TC = KL(q(z) || prod_d q(z_d)) from a minibatch (Chen et al. 2018).

    ``z`` (M, D) are samples of q(z|x_i) with parameters ``loc``, ``scale`` (M, D) of a minibatch.
    Minibatch-weighted sampling: log q(z_i) ~ logsumexp_j log q(z_i|x_j) - log(N M), and the same per
    dimension for log q(z_i,d). The difference of the two carries the constant (D - 1) log N, which has
    no gradient and is left out here (that is, the minibatch stands for the aggregate posterior), so the
    estimate is ~0 for independent factors and grows with their dependence. Returns (M,) values whose
    mean is the estimate.

    Example
    -------
    >>> g = torch.Generator().manual_seed(0)
    >>> loc = torch.randn(512, 3, generator=g); scale = torch.full((512, 3), 0.3)
    >>> z = loc + scale * torch.randn(512, 3, generator=g)
    >>> tied = loc[:, :1].expand(512, 3)                        # three copies of one factor
    >>> z_tied = tied + scale * torch.randn(512, 3, generator=g)
    >>> bool(total_correlation(z, loc, scale).mean() < 0.3 < 1.0 < total_correlation(z_tied, tied, scale).mean())
    True
    """
    m = z.shape[0]
    log_qzd = dist.Normal(loc.unsqueeze(0), scale.unsqueeze(0)).log_prob(z.unsqueeze(1))  # (M_i, M_j, D)
    log_m = float(np.log(m))
    log_qz = torch.logsumexp(log_qzd.sum(-1), dim=1) - log_m
    log_prod_qzd = (torch.logsumexp(log_qzd, dim=1) - log_m).sum(-1)
    return log_qz - log_prod_qzd


class BetaVAE(nn.Module):
    """The pyro model p(z) p(x|z) and guide q(z|x), side by side; beats are (batch, leads, samples) in mV."""

    def __init__(self, n_leads: int, n_samples: int, config: VAEConfig):
        super().__init__()
        self.latent_dim = config.latent_dim
        self.obs_sd = float(config.obs_sd_mv)
        self.beta = float(config.beta)
        self.tc_weight = float(config.tc_weight)
        self.slope_sd = float(config.slope_sd_mv)
        self.anchor_sd = float(config.anchor_sd)
        self._q: tuple[torch.Tensor, torch.Tensor] | None = None
        self.encoder = BeatEncoder(n_leads, n_samples, config.latent_dim, config.channels, config.hidden)
        self.decoder = BeatDecoder(n_leads, n_samples, config.latent_dim, config.channels, config.hidden)

    def model(self, x: torch.Tensor, anchors: torch.Tensor | None = None, anneal: float = 1.0) -> None:
        """p(z) p(x|z) [p(f|z)]; ``anchors`` (batch, k) are standardised measured features (NaN = missing),
        generated by the first k factors; ``anneal`` is the KL weight (beta times the warm-up factor)."""
        pyro.module("vae_decoder", self.decoder)
        with pyro.plate("beats", x.shape[0]):
            with poutine.scale(scale=anneal):
                z = pyro.sample("z", dist.Normal(x.new_zeros(self.latent_dim), 1.0).to_event(1))
            mean = self.decoder(z)
            pyro.sample("x", dist.Normal(mean, self.obs_sd).to_event(2), obs=x)
            if anchors is not None:
                # a multimodal VAE: the first k factors also generate the measured features; missing ones masked
                known = torch.isfinite(anchors)
                k = anchors.shape[-1]
                pyro.sample("anchor", dist.Normal(z[:, :k], self.anchor_sd).mask(known).to_event(1),
                            obs=torch.where(known, anchors, torch.zeros_like(anchors)))
            if self.slope_sd > 0:
                pyro.sample("dx", dist.Normal(mean.diff(dim=-1), self.slope_sd).to_event(2), obs=x.diff(dim=-1))
            if self.tc_weight > 0 and self._q is not None and x.shape[0] > 1:
                # beta-TCVAE: an extra penalty on the total correlation of q(z), in the same ELBO; it follows
                # the KL warm-up (anneal / beta). The guide ran first and left its loc and scale.
                warm = anneal / self.beta if self.beta > 0 else 1.0
                tc = total_correlation(z, *self._q)
                pyro.factor("tc", -self.tc_weight * warm * tc)

    def guide(self, x: torch.Tensor, anchors: torch.Tensor | None = None, anneal: float = 1.0) -> None:
        """q(z|x) from the convolutional encoder, scaled like the prior so the KL carries the weight."""
        pyro.module("vae_encoder", self.encoder)
        with pyro.plate("beats", x.shape[0]):
            loc, scale = self.encoder(x)
            self._q = (loc, scale) if self.tc_weight > 0 else None
            with poutine.scale(scale=anneal):
                pyro.sample("z", dist.Normal(loc, scale).to_event(1))


def downsample_beats(beats: np.ndarray, factor: int) -> np.ndarray:
    """Beats (..., samples) at 1/``factor`` of their rate (polyphase anti-aliasing filter), as float32.

    Example
    -------
    >>> downsample_beats(np.ones((2, 12, 500)), 2).shape
    (2, 12, 250)
    """
    if factor > 1:
        beats = resample_poly(beats, 1, factor, axis=-1)
    return np.ascontiguousarray(beats, dtype=np.float32)


def _beats_array(beats: BeatSet | np.ndarray | ShardedArray) -> np.ndarray | ShardedArray:
    """The beats checked (shape, finite) as float32; beats in shards on disk stay there (checked a chunk at a time)."""
    x = beats.beats if isinstance(beats, BeatSet) else beats
    x = x if isinstance(x, ShardedArray) else np.asarray(x)
    if x.ndim != 3:
        raise VaescanInputError(None, f"beats must be (records, leads, samples); got shape {x.shape}")
    if not all(np.isfinite(chunk).all() for chunk in (x.chunks() if isinstance(x, ShardedArray) else [x])):
        raise VaescanInputError(None, "beats contain NaN or infinite values")
    if isinstance(x, ShardedArray):
        if x.dtype != np.float32:
            raise VaescanInputError(x.folder, f"beat shards hold {x.dtype}, expected float32")
        return x
    return x.astype(np.float32, copy=False)


class VAE:
    """beta-VAE estimator over median beats (scikit-learn style): ``fit``, ``transform``, ``inverse_transform``.

    Parameters are the fields of :class:`VAEConfig`, given as a config and/or
    keywords (keywords win). Beats are a :class:`~vaescan.data.beats.BeatSet` or
    an array (records, 12, samples) in mV at 500 Hz with the default window.

    Learned state: ``net_`` (the :class:`BetaVAE`), ``fs_`` (Hz), ``window_ms_``,
    ``n_leads_``, ``n_samples_``, ``curves_`` (per-epoch losses),
    ``kl_per_unit_`` (mean KL of each factor over the training beats, nats),
    ``active_units_`` (indices of factors above ``active_kl_nats``, by
    decreasing KL), ``latent_mean_`` and ``latent_sd_`` (of the posterior
    means over the training beats; traversals step in these units),
    ``anchor_mean_`` and ``anchor_std_`` (of the anchored features over the
    training beats, in their units; empty without anchors) and
    ``factor_names_`` (``z0 qrs_ms`` for an anchored factor, ``z5`` otherwise).

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> t = np.linspace(-1, 1, 500)
    >>> widths = rng.uniform(0.02, 0.08, 64)
    >>> x = np.exp(-0.5 * (t / widths[:, None]) ** 2)[:, None, :].repeat(12, axis=1)
    >>> vae = VAE(latent_dim=2, epochs=3, batch_size=32, channels=(8, 8), hidden=16).fit(x, progress=False)
    >>> vae.transform(x).shape, vae.inverse_transform(vae.transform(x)).shape
    ((64, 2), (64, 12, 500))
    """

    def __init__(self, config: VAEConfig | None = None, **params):
        try:
            self.config = dataclasses.replace(config or VAEConfig(), **params)
        except TypeError as exc:
            raise VaescanInputError(None, f"unknown VAE setting ({exc})") from None

    def get_params(self, deep: bool = True) -> dict:
        """The settings as a dict (scikit-learn convention)."""
        return config_to_dict(self.config)

    def __repr__(self) -> str:
        return f"VAE(latent_dim={self.config.latent_dim}, beta={self.config.beta})"

    # -- training -----------------------------------------------------------------------------
    def fit(self, beats: BeatSet | np.ndarray, val: BeatSet | np.ndarray | None = None, *,
            checkpoint: str | os.PathLike[str] | None = None, resume: bool = False,
            progress: bool = True) -> VAE:
        """Train on ``beats`` (validation curve on ``val``); checkpoint every epoch, resume if asked.

        Example
        -------
        >>> import tempfile, pathlib
        >>> from vaescan.data.toy import toy_beats
        >>> beats, _ = toy_beats(96, seed=5)
        >>> ckpt = pathlib.Path(tempfile.mkdtemp()) / "checkpoint.pt"
        >>> small = VAE(latent_dim=2, epochs=2, channels=(8,), hidden=8)
        >>> small.fit(beats, beats, checkpoint=ckpt, progress=False).curves_.epoch.tolist(), ckpt.is_file()
        ([1, 2], True)
        """
        cfg = self.config
        x = _beats_array(beats)
        if isinstance(beats, BeatSet):
            self.fs_, self.window_ms_ = float(beats.fs), tuple(beats.window_ms)
        else:
            self.fs_, self.window_ms_ = BeatConfig.fs, BeatConfig.window_ms
        self.n_leads_, self.n_samples_ = int(x.shape[1]), int(x.shape[2])
        if cfg.downsample < 1 or self.n_samples_ % cfg.downsample:
            raise VaescanInputError(None, f"downsample {cfg.downsample} must divide the beat length {self.n_samples_}")
        device = resolve_device(cfg.device)
        torch.manual_seed(cfg.seed)
        self.net_ = BetaVAE(self.n_leads_, self.n_samples_ // cfg.downsample, cfg).to(device)
        train_t = self._to_model(x, device)
        val_x = _beats_array(val) if val is not None else None
        val_t = self._to_model(val_x, device) if val_x is not None and len(val_x) else None
        train_data, val_data = [train_t], None if val_t is None else [val_t]
        self.anchor_mean_, self.anchor_std_ = np.zeros(0), np.zeros(0)
        if cfg.anchor_features:
            raw = self._measure(x)
            self.anchor_mean_ = np.nanmean(raw, axis=0)
            self.anchor_std_ = np.nanstd(raw, axis=0)
            if not (np.isfinite(self.anchor_std_) & (self.anchor_std_ > 0)).all():
                raise VaescanInputError(None, f"anchor features {list(cfg.anchor_features)} do not vary (or are "
                                        f"never measured) over the training beats: sd {self.anchor_std_.tolist()}")
            train_data.append(self._anchor_tensor(raw, device))
            if val_data is not None:
                val_data.append(self._anchor_tensor(self._measure(val_x), device))

        def evaluate() -> dict[str, float]:
            if val_t is None:
                return {}
            return {"val_rmse_uv": self._rmse_mv(val_t) * 1000.0}

        self.curves_ = svi_train(
            self.net_.model, self.net_.guide, {"net": self.net_}, train_data, cfg, val=val_data,
            anneal=lambda epoch: cfg.beta * linear_warmup(epoch, cfg.warmup_epochs),
            evaluate=evaluate, checkpoint=checkpoint, resume=resume, progress=progress, desc="beta-VAE",
        )
        self._fit_latent_stats(train_t)
        return self

    def _measure(self, x: np.ndarray | ShardedArray) -> np.ndarray:
        names = tuple(self.config.anchor_features)
        chunks = x.chunks() if isinstance(x, ShardedArray) else [x]
        return np.concatenate([measure_anchors(chunk, self.fs_, self.fiducial_, names) for chunk in chunks])

    @torch.no_grad()
    def _rmse_mv(self, x: Rows, batch_size: int = 1024) -> float:
        """Root mean squared reconstruction error (posterior mean) of model-rate beats, mV, a batch at a time."""
        total = 0.0
        for i in range(0, len(x), batch_size):
            xb = take_rows(x, torch.arange(i, min(i + batch_size, len(x)))).to(self.device_)
            total += float(((self.net_.decoder(self.net_.encoder(xb)[0]) - xb) ** 2).sum(dtype=torch.float64))
        return math.sqrt(total / max(1, len(x) * self.n_leads_ * (self.n_samples_ // self.config.downsample)))

    @property
    def fiducial_(self) -> int:
        """Index (samples at ``fs_``) of the fiducial point (the QRS, 0 ms) in the beats the model reads and writes.

        Example
        -------
        >>> from vaescan.data.toy import toy_beats
        >>> beats, _ = toy_beats(96, seed=5)
        >>> vae = VAE(latent_dim=4, epochs=3, batch_size=32, channels=(8, 8), hidden=16).fit(beats, progress=False)
        >>> vae.fiducial_
        200
        """
        return int(round(-self.window_ms_[0] * self.fs_ / 1000.0))

    def _anchor_tensor(self, raw: np.ndarray, device: torch.device) -> torch.Tensor:
        """Measured features -> standardised (training mean and sd), clipped, NaN kept (masked in the model)."""
        std = np.clip((raw - self.anchor_mean_) / self.anchor_std_, -ANCHOR_CLIP_SD, ANCHOR_CLIP_SD)
        return torch.as_tensor(std, dtype=torch.float32, device=device)

    @property
    def factor_names_(self) -> list[str]:
        """A label per factor: ``z0 qrs_ms`` for a factor anchored to a measured feature, ``z5`` otherwise.

        Example
        -------
        >>> from vaescan.data.toy import toy_beats
        >>> beats, _ = toy_beats(96, seed=5)
        >>> vae = VAE(latent_dim=4, epochs=3, batch_size=32, channels=(8, 8), hidden=16).fit(beats, progress=False)
        >>> vae.factor_names_
        ['z0', 'z1', 'z2', 'z3']
        """
        self._check_fitted()
        anchored = list(self.config.anchor_features)
        return [f"z{i} {anchored[i]}" if i < len(anchored) else f"z{i}" for i in range(self.config.latent_dim)]

    def _fit_latent_stats(self, x: Rows) -> None:
        loc, scale = self._encode_tensor(x)
        kl = 0.5 * (loc**2 + scale**2 - 1.0 - 2.0 * torch.log(scale))
        self.kl_per_unit_ = kl.mean(0).cpu().numpy().astype(np.float64)
        order = np.argsort(-self.kl_per_unit_)
        self.active_units_ = [int(i) for i in order if self.kl_per_unit_[i] > self.config.active_kl_nats]
        mu = loc.cpu().numpy().astype(np.float64)
        self.latent_mean_, self.latent_sd_ = mu.mean(0), mu.std(0)

    # -- inference ----------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "net_"):
            raise VaescanInputError(None, "this VAE is not fitted yet; call fit() or load a run")

    @property
    def device_(self) -> torch.device:
        """The device the network lives on."""
        self._check_fitted()
        return next(self.net_.parameters()).device

    def _to_model(self, x: np.ndarray | ShardedArray, device: torch.device) -> Rows:
        """Beats at fs_ -> float32 tensor at the model's rate (fs_ / downsample); beats in shards stay on disk and
        are downsampled a batch at a time as they are read."""
        if tuple(x.shape[1:]) != (self.n_leads_, self.n_samples_):
            raise VaescanInputError(None, f"beats of shape {tuple(x.shape[1:])} do not match the model's "
                                    f"{(self.n_leads_, self.n_samples_)} (leads, samples)")
        to_rate = functools.partial(downsample_beats, factor=self.config.downsample)
        if isinstance(x, ShardedArray):
            return x.map(to_rate)
        return torch.as_tensor(to_rate(x), device=device)

    @torch.no_grad()
    def _encode_tensor(self, x: Rows, batch_size: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
        outs = [self.net_.encoder(take_rows(x, torch.arange(i, min(i + batch_size, len(x)))).to(self.device_))
                for i in range(0, len(x), batch_size)]
        if not outs:
            k = self.config.latent_dim
            return torch.zeros((0, k), device=self.device_), torch.zeros((0, k), device=self.device_)
        return torch.cat([o[0] for o in outs]), torch.cat([o[1] for o in outs])

    @torch.no_grad()
    def _decode_tensor(self, z: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
        outs = [self.net_.decoder(z[i: i + batch_size]) for i in range(0, len(z), batch_size)]
        return torch.cat(outs) if outs else z.new_zeros((0, self.n_leads_, self.n_samples_ // self.config.downsample))

    def encode(self, beats: BeatSet | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior q(z|x) of each beat: (mean, standard deviation), each (records, latent_dim).

        Example
        -------
        >>> from vaescan.data.toy import toy_beats
        >>> beats, _ = toy_beats(96, seed=5)
        >>> vae = VAE(latent_dim=4, epochs=3, batch_size=32, channels=(8, 8), hidden=16).fit(beats, progress=False)
        >>> loc, scale = vae.encode(beats)
        >>> loc.shape == scale.shape == (len(beats.record_ids), vae.config.latent_dim), bool((scale > 0).all())
        (True, True)
        """
        self._check_fitted()
        loc, scale = self._encode_tensor(self._to_model(_beats_array(beats), self.device_))
        return loc.cpu().numpy().astype(np.float64), scale.cpu().numpy().astype(np.float64)

    def transform(self, beats: BeatSet | np.ndarray) -> np.ndarray:
        """The latent factors of each beat: the posterior mean, (records, latent_dim).

        Example
        -------
        >>> from vaescan.data.toy import toy_beats
        >>> beats, _ = toy_beats(96, seed=5)
        >>> vae = VAE(latent_dim=4, epochs=3, batch_size=32, channels=(8, 8), hidden=16).fit(beats, progress=False)
        >>> vae.transform(beats).shape
        (96, 4)
        """
        return self.encode(beats)[0]

    def inverse_transform(self, z: np.ndarray) -> np.ndarray:
        """Decode factors (records, latent_dim) to beats (records, leads, samples) in mV at ``fs_`` Hz.

        Example
        -------
        >>> from vaescan.data.toy import toy_beats
        >>> beats, _ = toy_beats(96, seed=5)
        >>> vae = VAE(latent_dim=4, epochs=3, batch_size=32, channels=(8, 8), hidden=16).fit(beats, progress=False)
        >>> vae.inverse_transform(np.zeros((1, vae.config.latent_dim))).shape  # at fs_ = 500 Hz
        (1, 12, 500)
        """
        self._check_fitted()
        z = np.atleast_2d(np.asarray(z, dtype=np.float32))
        if z.shape[1] != self.config.latent_dim:
            raise VaescanInputError(None, f"expected {self.config.latent_dim} factors, got {z.shape[1]}")
        x = self._decode_tensor(torch.as_tensor(z, device=self.device_)).cpu().numpy().astype(np.float64)
        if self.config.downsample > 1:
            x = resample_poly(x, self.config.downsample, 1, axis=-1)
        return x.astype(np.float32)

    def reconstruct(self, beats: BeatSet | np.ndarray) -> np.ndarray:
        """Encode and decode beats (posterior mean), at ``fs_``: what the model keeps of each beat.

        Example
        -------
        >>> from vaescan.data.toy import toy_beats
        >>> beats, _ = toy_beats(96, seed=5)
        >>> vae = VAE(latent_dim=4, epochs=3, batch_size=32, channels=(8, 8), hidden=16).fit(beats, progress=False)
        >>> vae.reconstruct(beats).shape == beats.beats.shape
        True
        """
        return self.inverse_transform(self.transform(beats))

    # -- persistence --------------------------------------------------------------------------
    def param_store(self, beats: BeatSet | np.ndarray) -> dict[str, torch.Tensor]:
        """pyro's parameters of the fitted model and guide (name -> tensor), traced on the first beat.

        Example
        -------
        >>> from vaescan.data.toy import toy_beats
        >>> beats, _ = toy_beats(96, seed=5)
        >>> vae = VAE(latent_dim=4, epochs=3, batch_size=32, channels=(8, 8), hidden=16).fit(beats, progress=False)
        >>> sorted({name.split("$$$")[0] for name in vae.param_store(beats)})
        ['vae_decoder', 'vae_encoder']
        """
        self._check_fitted()
        example = self._to_model(_beats_array(beats)[:1], self.device_)
        return pyro_params(self.net_.model, self.net_.guide, example)

    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write ``vae.json`` (settings and learned non-tensor state) and ``vae_weights.pt`` (state_dict).

        Example
        -------
        >>> from vaescan.data.toy import toy_beats
        >>> beats, _ = toy_beats(96, seed=5)
        >>> vae = VAE(latent_dim=4, epochs=3, batch_size=32, channels=(8, 8), hidden=16).fit(beats, progress=False)
        >>> import tempfile
        >>> folder = vae.save(tempfile.mkdtemp())
        >>> sorted(p.name for p in folder.iterdir())
        ['vae.json', 'vae_weights.pt']
        """
        self._check_fitted()
        folder = Path(folder)
        with atomic_path(folder / "vae_weights.pt") as tmp:
            torch.save({k: v.cpu() for k, v in self.net_.state_dict().items()}, tmp)
        write_json(folder / "vae.json", {
            "config": config_to_dict(self.config), "fs": self.fs_, "window_ms": list(self.window_ms_),
            "n_leads": self.n_leads_, "n_samples": self.n_samples_,
            "kl_per_unit": self.kl_per_unit_, "active_units": self.active_units_,
            "latent_mean": self.latent_mean_, "latent_sd": self.latent_sd_,
            "anchor_mean": self.anchor_mean_, "anchor_std": self.anchor_std_,
        })
        return folder

    @classmethod
    def load(cls, folder: str | os.PathLike[str], device: str = "auto") -> VAE:
        """Read a VAE written by :meth:`save` (weights loaded with ``weights_only=True``).

        Example
        -------
        >>> from vaescan.data.toy import toy_beats
        >>> beats, _ = toy_beats(96, seed=5)
        >>> vae = VAE(latent_dim=4, epochs=3, batch_size=32, channels=(8, 8), hidden=16).fit(beats, progress=False)
        >>> import tempfile
        >>> again = VAE.load(vae.save(tempfile.mkdtemp()))
        >>> np.array_equal(again.transform(beats), vae.transform(beats))
        True
        """
        folder = Path(folder)
        meta = read_json(folder / "vae.json")
        with reading_description(folder / "vae.json", "VAE"):
            config = config_from_dict(VAEConfig, meta["config"], str(folder / "vae.json"), prefix="config.")
            vae = cls(config, device=device)
            k = config.latent_dim
            vae.fs_ = described_number(meta, "fs", 1, 100_000)
            window = described_array(meta, "window_ms", 2)
            if not window[0] <= 0 < window[1]:
                raise ValueError(f"window_ms: expected (start <= 0, end > 0), got {window.tolist()}")
            vae.window_ms_ = tuple(float(w) for w in window)
            vae.n_leads_ = described_number(meta, "n_leads", 1, 64, whole=True)
            vae.n_samples_ = described_number(meta, "n_samples", 2, 100_000, whole=True)
            if vae.n_samples_ % config.downsample:
                raise ValueError(f"n_samples {vae.n_samples_} is not a multiple of downsample {config.downsample}")
            vae.kl_per_unit_ = described_array(meta, "kl_per_unit", k)
            units = meta["active_units"]
            if not isinstance(units, list) or not all(type(i) is int and 0 <= i < k for i in units):
                raise ValueError(f"active_units: expected factor indices from 0 to {k - 1}, got {show_value(units)}")
            vae.active_units_ = list(units)
            vae.latent_mean_ = described_array(meta, "latent_mean", k)
            vae.latent_sd_ = described_array(meta, "latent_sd", k)
            n_anchor = len(config.anchor_features)
            vae.anchor_mean_ = described_array(meta, "anchor_mean", n_anchor, default=[])
            vae.anchor_std_ = described_array(meta, "anchor_std", n_anchor, default=[])
        net = BetaVAE(vae.n_leads_, vae.n_samples_ // config.downsample, config)
        vae.net_ = load_weights(net, folder / "vae_weights.pt", "vae.json", resolve_device(device))
        return vae
