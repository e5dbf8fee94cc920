"""Stage 2 of VAE-SCAN: link the frozen beta-VAE's factors to clinical variables, in both directions.

SCAN (Higgins et al., ICLR 2018) learns a small VAE over the clinical vector
``y`` whose latent space *is* the beat VAE's: a clinical encoder q(z|y) (a
diagonal Gaussian from a small MLP) and a clinical decoder p(y|z). The loss per
record is::

    - E_q(z|y)[log p(y|z)]  +  beta_y * KL(q(z|y) || N(0, I))  +  lambda * KL(q(z|x) || q(z|y))

where q(z|x) is the frozen beat encoder. The last term pulls q(z|y) onto the
factors of the beats that carry ``y``; its direction makes q(z|y) narrow on the
factors a clinical variable determines and broad on the rest. In pyro the first
two terms are the (beta_y-weighted) ELBO of ``model``/``guide``, the third a
``pyro.factor`` in ``model``: the whole loss is one ELBO.

``y`` holds binary variables (labels, sex; Bernoulli with logits) and
continuous ones (age; standardised with the training mean and sd, Gaussian with
a learned sd per variable). Missing values (NaN) are left out of the likelihood
and enter the clinical encoder as the training mean. The default p(y|z) is
linear: the logit (or standardised mean) of output j is ``b_j + sum_i W_ji z_i``,
so every prediction splits exactly into one contribution per factor
(:meth:`SCAN.explain`).

Directions: ECG -> q(z|x) mean -> p(y|z) gives :meth:`SCAN.predict_proba`;
clinical values -> q(z|y) mean -> the frozen beat decoder gives
:meth:`SCAN.generate`, the typical beat of a clinical profile.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pyro
import pyro.distributions as dist
import torch
from pyro import poutine
from torch import nn
from torch.distributions import kl_divergence
from torch.nn import functional as F

from vaescan.config import Limit, at_least, config_from_dict, config_to_dict, show_value
from vaescan.data.beats import BeatSet
from vaescan.errors import VaescanInputError
from vaescan.io import atomic_path, read_json, write_json
from vaescan.models.persist import described_array, load_weights, reading_description
from vaescan.models.train import TrainConfig, linear_warmup, pyro_params, resolve_device, svi_train
from vaescan.models.vae import VAE


@dataclass
class SCANConfig(TrainConfig):
    """Settings of SCAN (plus the training settings of :class:`TrainConfig`).

    beta_y: weight of KL(q(z|y) || N(0, I)).
    lam: weight (lambda) of KL(q(z|x) || q(z|y)), the term that links clinical values to beat factors.
    hidden: hidden units of the clinical encoder q(z|y) (0: linear).
    warmup_epochs: epochs over which beta_y rises linearly to its value.
    """

    epochs: int = 150
    batch_size: int = 256
    lr: float = 3e-3
    beta_y: float = 1.0
    lam: float = 10.0
    hidden: int = 64
    warmup_epochs: int = 0

    LIMITS: ClassVar[dict[str, Limit]] = {
        **TrainConfig.LIMITS, "beta_y": at_least(0, 1e6), "lam": at_least(0, 1e6), "hidden": at_least(0, 65536),
        "warmup_epochs": at_least(0, 1_000_000),
    }


class ClinicalEncoder(nn.Module):
    """q(z|y): clinical vector (batch, outputs) -> (loc, scale) over the beat factors."""

    def __init__(self, n_outputs: int, latent_dim: int, hidden: int):
        super().__init__()
        if hidden > 0:
            self.body: nn.Module = nn.Sequential(nn.Linear(n_outputs, hidden), nn.GELU())
            width = hidden
        else:
            self.body, width = nn.Identity(), n_outputs
        self.loc = nn.Linear(width, latent_dim)
        self.scale = nn.Linear(width, latent_dim)

    def forward(self, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.body(y)
        return self.loc(h), F.softplus(self.scale(h)) + 1e-4


class ClinicalDecoder(nn.Module):
    """p(y|z), linear: logits of the binary outputs and standardised means of the continuous ones."""

    def __init__(self, latent_dim: int, n_binary: int, n_continuous: int):
        super().__init__()
        self.n_binary = n_binary
        self.linear = nn.Linear(latent_dim, n_binary + n_continuous)
        self.log_sd = nn.Parameter(torch.zeros(n_continuous))

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.linear(z)
        return out[..., : self.n_binary], out[..., self.n_binary:]


class SCANNet(nn.Module):
    """The pyro model p(z) p(y|z) exp(-lambda KL(q(z|x) || q(z|y))) and guide q(z|y), side by side."""

    def __init__(self, n_binary: int, n_continuous: int, latent_dim: int, config: SCANConfig):
        super().__init__()
        self.latent_dim = latent_dim
        self.lam = float(config.lam)
        self.encoder = ClinicalEncoder(n_binary + n_continuous, latent_dim, config.hidden)
        self.decoder = ClinicalDecoder(latent_dim, n_binary, n_continuous)

    def model(self, y_in: torch.Tensor, y: torch.Tensor, observed: torch.Tensor, x_loc: torch.Tensor,
              x_scale: torch.Tensor, anneal: float = 1.0) -> None:
        """``y_in``: encoder input (missing values imputed); ``y``/``observed``: targets and their mask;
        ``x_loc``/``x_scale``: q(z|x) of the frozen beat encoder; ``anneal``: the weight beta_y."""
        pyro.module("scan_encoder", self.encoder)
        pyro.module("scan_decoder", self.decoder)
        nb = self.decoder.n_binary
        q_loc, q_scale = self.encoder(y_in)
        with pyro.plate("records", y.shape[0]):
            with poutine.scale(scale=anneal):
                z = pyro.sample("z", dist.Normal(y.new_zeros(self.latent_dim), 1.0).to_event(1))
            logits, mean = self.decoder(z)
            if nb:
                pyro.sample("y_binary", dist.Bernoulli(logits=logits).mask(observed[:, :nb]).to_event(1),
                            obs=y[:, :nb])
            if y.shape[1] > nb:
                sd = torch.exp(self.decoder.log_sd)
                pyro.sample("y_continuous", dist.Normal(mean, sd).mask(observed[:, nb:]).to_event(1),
                            obs=y[:, nb:])
            link = kl_divergence(dist.Normal(x_loc, x_scale), dist.Normal(q_loc, q_scale)).sum(-1)
            pyro.factor("x_to_y", -self.lam * link)

    def guide(self, y_in: torch.Tensor, y: torch.Tensor, observed: torch.Tensor, x_loc: torch.Tensor,
              x_scale: torch.Tensor, anneal: float = 1.0) -> None:
        """q(z|y) from the clinical encoder."""
        pyro.module("scan_encoder", self.encoder)
        with pyro.plate("records", y.shape[0]):
            loc, scale = self.encoder(y_in)
            with poutine.scale(scale=anneal):
                pyro.sample("z", dist.Normal(loc, scale).to_event(1))


def _split_kinds(table: pd.DataFrame, binary: Sequence[str] | None,
                 continuous: Sequence[str] | None) -> tuple[list[str], list[str]]:
    """Which columns are binary (only 0, 1 and NaN) and which continuous, unless given."""
    if binary is None and continuous is None:
        binary = [c for c in table.columns if set(pd.unique(table[c].dropna())) <= {0, 1}]
        continuous = [c for c in table.columns if c not in binary]
    binary, continuous = list(binary or []), list(continuous or [])
    missing = [c for c in binary + continuous if c not in table.columns]
    if missing:
        raise VaescanInputError(None, f"clinical table lacks column(s) {missing}")
    for c in binary:
        bad = set(pd.unique(table[c].dropna())) - {0, 1}
        if bad:
            raise VaescanInputError(None, f"binary variable {c!r} holds values other than 0/1: {sorted(bad)[:5]}")
    if not binary + continuous:
        raise VaescanInputError(None, "no clinical variables to model")
    return binary, continuous


class SCAN:
    """VAE-SCAN's association model over a frozen :class:`~vaescan.models.vae.VAE` (scikit-learn style).

    ``fit(beats, Y)`` with ``Y`` a DataFrame of clinical variables, one row per
    beat; ``predict_proba`` / ``predict`` / ``decision_function`` / ``explain``
    go from beats to clinical values, ``encode_clinical`` / ``generate`` from
    clinical values to factors and beats. Parameters are the fields of
    :class:`SCANConfig` (a config and/or keywords).

    Learned state: ``net_`` (:class:`SCANNet`), ``binary_names_``,
    ``continuous_names_``, ``output_names_`` (binary first), ``y_mean_`` and
    ``y_sd_`` (standardisation of the continuous variables, original units),
    ``impute_`` (encoder input for a missing value, per output), ``curves_``.

    Example
    -------
    >>> from vaescan.data.toy import toy_beats
    >>> from vaescan.models.vae import VAE
    >>> beats, truth = toy_beats(96, seed=5); table = truth[["WIDE", "TALLT", "age"]]
    >>> vae = VAE(latent_dim=4, epochs=3, batch_size=32, channels=(8, 8), hidden=16).fit(beats, progress=False)
    >>> table.columns.tolist()  # toy labels WIDE (QRS >= 120 ms), TALLT (T >= 0.4 mV), and age
    ['WIDE', 'TALLT', 'age']
    >>> model = SCAN(vae, lam=10, epochs=2).fit(beats, table, progress=False)
    >>> model.binary_names_, model.continuous_names_
    (['WIDE', 'TALLT'], ['age'])
    >>> model.predict_proba(beats).shape, model.generate({"WIDE": 1, "age": 70}).shape
    ((96, 2), (1, 12, 500))
    """

    def __init__(self, vae: VAE, config: SCANConfig | None = None, **params):
        vae._check_fitted()
        self.vae = vae
        try:
            self.config = dataclasses.replace(config or SCANConfig(), **params)
        except TypeError as exc:
            raise VaescanInputError(None, f"unknown SCAN setting ({exc})") from None

    def get_params(self, deep: bool = True) -> dict:
        """The settings as a dict (scikit-learn convention); ``vae`` is the frozen beat model."""
        return {"vae": self.vae, **config_to_dict(self.config)}

    def __repr__(self) -> str:
        return f"SCAN({self.vae!r}, beta_y={self.config.beta_y}, lam={self.config.lam})"

    # -- clinical vectors ----------------------------------------------------------------------
    def _clinical(self, table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Targets (standardised, NaN -> 0), observed mask and encoder input of a clinical table."""
        raw = table[self.output_names_].to_numpy(dtype=np.float64)
        nb = len(self.binary_names_)
        y = raw.copy()
        y[:, nb:] = (y[:, nb:] - self.y_mean_) / self.y_sd_
        observed = np.isfinite(y)
        y_in = np.where(observed, y, self.impute_)
        return np.where(observed, y, 0.0), observed, y_in

    def _profile_table(self, values: Mapping[str, float] | pd.DataFrame) -> pd.DataFrame:
        """Rows of clinical values; unset (or NaN) binary variables are 0 (absent), continuous ones the mean."""
        table = pd.DataFrame([dict(values)]) if isinstance(values, Mapping) else values.copy()
        unknown = [c for c in table.columns if c not in self.output_names_]
        if unknown:
            raise VaescanInputError(None, f"unknown clinical variable(s) {unknown}; known: {self.output_names_}")
        for c in self.binary_names_:
            table[c] = table[c].fillna(0.0) if c in table else 0.0
            if not table[c].isin([0, 1]).all():
                raise VaescanInputError(None, f"{c} must be 0 or 1, got {table[c].tolist()}")
        for c, mean in zip(self.continuous_names_, self.y_mean_):
            table[c] = table[c].fillna(mean) if c in table else mean
        return table[self.output_names_].astype(np.float64)

    # -- training ------------------------------------------------------------------------------
    def fit(self, beats: BeatSet | np.ndarray, Y: pd.DataFrame, val: tuple | None = None, *,
            binary: Sequence[str] | None = None, continuous: Sequence[str] | None = None,
            checkpoint: str | os.PathLike[str] | None = None, resume: bool = False,
            progress: bool = True) -> SCAN:
        """Train q(z|y) and p(y|z) on beats and their clinical table ``Y`` (one row per beat).

        ``binary``/``continuous`` name the columns of each kind; by default
        columns holding only 0/1 (and NaN) are binary, the rest continuous.
        ``val`` is an optional (beats, table) pair for the validation curve.

        Example
        -------
        >>> from vaescan.data.toy import toy_beats
        >>> from vaescan.models.vae import VAE
        >>> beats, truth = toy_beats(96, seed=5); table = truth[["WIDE", "TALLT", "age"]]
        >>> vae = VAE(latent_dim=4, epochs=3, batch_size=32, channels=(8, 8), hidden=16).fit(beats, progress=False)
        >>> SCAN(vae, epochs=1).fit(beats, table, binary=["WIDE"], continuous=["age"], progress=False).output_names_
        ['WIDE', 'age']
        """
        cfg = self.config
        Y = pd.DataFrame(Y).reset_index(drop=True)
        self.binary_names_, self.continuous_names_ = _split_kinds(Y, binary, continuous)
        self.output_names_ = self.binary_names_ + self.continuous_names_
        nb = len(self.binary_names_)
        cont = Y[self.continuous_names_].to_numpy(dtype=np.float64)
        empty = [c for c in self.output_names_ if Y[c].isna().all()]
        if empty:
            raise VaescanInputError(None, f"clinical variable(s) {empty} have no known value")
        self.y_mean_ = cont.mean(0, where=np.isfinite(cont)) if cont.size else np.zeros(0)
        sd = cont.std(0, where=np.isfinite(cont)) if cont.size else np.zeros(0)
        self.y_sd_ = np.where(sd > 0, sd, 1.0)
        labels = Y[self.binary_names_].to_numpy(dtype=np.float64)
        prevalence = labels.mean(0, where=np.isfinite(labels)) if nb else np.zeros(0)
        self.impute_ = np.concatenate([prevalence, np.zeros(len(self.continuous_names_))])

        device = resolve_device(cfg.device)
        torch.manual_seed(cfg.seed)
        self.net_ = SCANNet(nb, len(self.continuous_names_), self.vae.config.latent_dim, cfg).to(device)
        train_t = self._tensors(beats, Y, device)
        val_t = None if val is None else self._tensors(val[0], pd.DataFrame(val[1]).reset_index(drop=True), device)
        self.curves_ = svi_train(
            self.net_.model, self.net_.guide, {"net": self.net_}, train_t, cfg, val=val_t,
            anneal=lambda epoch: cfg.beta_y * linear_warmup(epoch, cfg.warmup_epochs),
            checkpoint=checkpoint, resume=resume, progress=progress, desc="SCAN",
        )
        self.net_.eval()
        return self

    def _tensors(self, beats: BeatSet | np.ndarray, table: pd.DataFrame, device: torch.device) -> list[torch.Tensor]:
        x_loc, x_scale = self.vae.encode(beats)
        if len(table) != len(x_loc):
            raise VaescanInputError(None, f"{len(x_loc)} beats but {len(table)} clinical rows")
        y, observed, y_in = self._clinical(table)
        return [torch.as_tensor(a, dtype=torch.float32, device=device) for a in (y_in, y)] + [
            torch.as_tensor(observed, device=device),
            torch.as_tensor(x_loc, dtype=torch.float32, device=device),
            torch.as_tensor(x_scale, dtype=torch.float32, device=device),
        ]

    def param_store(self, beats: BeatSet | np.ndarray, table: pd.DataFrame) -> dict[str, torch.Tensor]:
        """pyro's parameters of the fitted model and guide (name -> tensor), traced on the first record.

        Example
        -------
        >>> from vaescan.data.toy import toy_beats
        >>> from vaescan.models.vae import VAE
        >>> beats, truth = toy_beats(96, seed=5); table = truth[["WIDE", "TALLT", "age"]]
        >>> vae = VAE(latent_dim=4, epochs=3, batch_size=32, channels=(8, 8), hidden=16).fit(beats, progress=False)
        >>> scan = SCAN(vae, epochs=3).fit(beats, table, progress=False)
        >>> sorted({name.split("$$$")[0] for name in scan.param_store(beats, table)})
        ['scan_decoder', 'scan_encoder']
        """
        self._check_fitted()
        first = beats.beats[:1] if isinstance(beats, BeatSet) else np.asarray(beats)[:1]
        example = self._tensors(first, table.iloc[:1], self.vae.device_)
        return pyro_params(self.net_.model, self.net_.guide, *example)

    def _check_fitted(self) -> None:
        if not hasattr(self, "net_"):
            raise VaescanInputError(None, "this SCAN is not fitted yet; call fit() or load a run")

    # -- ECG -> clinical -----------------------------------------------------------------------
    def weights(self) -> pd.DataFrame:
        """p(y|z) weights in the link scale of each output (logit; original units for continuous).

        Rows are outputs, columns the factors ``z0``, ``z1``, ... and ``intercept``.

        Example
        -------
        >>> from vaescan.data.toy import toy_beats
        >>> from vaescan.models.vae import VAE
        >>> beats, truth = toy_beats(96, seed=5); table = truth[["WIDE", "TALLT", "age"]]
        >>> vae = VAE(latent_dim=4, epochs=3, batch_size=32, channels=(8, 8), hidden=16).fit(beats, progress=False)
        >>> scan = SCAN(vae, epochs=3).fit(beats, table, progress=False)
        >>> scan.weights().columns.tolist()
        ['z0', 'z1', 'z2', 'z3', 'intercept']
        """
        self._check_fitted()
        w = self.net_.decoder.linear.weight.detach().cpu().numpy().astype(np.float64)
        b = self.net_.decoder.linear.bias.detach().cpu().numpy().astype(np.float64)
        nb = len(self.binary_names_)
        w[nb:] *= self.y_sd_[:, None]
        b[nb:] = self.y_mean_ + self.y_sd_ * b[nb:]
        cols = [f"z{i}" for i in range(w.shape[1])]
        return pd.DataFrame(np.column_stack([w, b]), index=self.output_names_, columns=cols + ["intercept"])

    def link(self, z: torch.Tensor) -> torch.Tensor:
        """p(y|z) as a torch function of the factors: (records, latent_dim) -> (records, outputs), link scale.

        The numbers of :meth:`decision_function`, from factors instead of beats
        and differentiable in ``z``: the ``forward_func`` that :mod:`vaescan.explain`
        attributes (the head is linear, so ``LinearContributions(scan.link)`` gives
        the exact per-factor contributions of :meth:`explain`).

        Example
        -------
        >>> from vaescan.data.toy import toy_beats
        >>> from vaescan.models.vae import VAE
        >>> beats, truth = toy_beats(96, seed=5); table = truth[["WIDE", "TALLT", "age"]]
        >>> vae = VAE(latent_dim=4, epochs=3, batch_size=32, channels=(8, 8), hidden=16).fit(beats, progress=False)
        >>> scan = SCAN(vae, epochs=3).fit(beats, table, progress=False)
        >>> z = torch.as_tensor(scan.vae.transform(beats))
        >>> np.allclose(scan.link(z).numpy(), scan.decision_function(beats))
        True
        """
        w = torch.as_tensor(self.weights().to_numpy(copy=True), dtype=z.dtype, device=z.device)
        return z @ w[:, :-1].T + w[:, -1]

    def explain(self, beats: BeatSet | np.ndarray) -> np.ndarray:
        """Per-factor contributions to each output: (records, outputs, latent_dim + 1), the last the intercept.

        For a binary output the contributions sum exactly to its logit, for a
        continuous one to its prediction in original units
        (:meth:`decision_function`): contribution_i = W_ji * z_i with z the
        posterior mean of q(z|x).

        Example
        -------
        >>> from vaescan.data.toy import toy_beats
        >>> from vaescan.models.vae import VAE
        >>> beats, truth = toy_beats(96, seed=5); table = truth[["WIDE", "TALLT", "age"]]
        >>> vae = VAE(latent_dim=4, epochs=3, batch_size=32, channels=(8, 8), hidden=16).fit(beats, progress=False)
        >>> scan = SCAN(vae, epochs=3).fit(beats, table, progress=False)
        >>> c = scan.explain(beats)
        >>> c.shape  # records, outputs (WIDE, TALLT, age), 4 factors + intercept
        (96, 3, 5)
        >>> np.allclose(c.sum(-1), scan.decision_function(beats))
        True
        """
        self._check_fitted()
        z = self.vae.transform(beats)
        w = self.weights().to_numpy()
        return np.concatenate([z[:, None, :] * w[None, :, :-1],
                               np.broadcast_to(w[None, :, -1:], (len(z), w.shape[0], 1))], axis=-1)

    def decision_function(self, beats: BeatSet | np.ndarray) -> np.ndarray:
        """Logits of the binary outputs and predictions (original units) of the continuous ones, (records, outputs).

        Example
        -------
        >>> from vaescan.data.toy import toy_beats
        >>> from vaescan.models.vae import VAE
        >>> beats, truth = toy_beats(96, seed=5); table = truth[["WIDE", "TALLT", "age"]]
        >>> vae = VAE(latent_dim=4, epochs=3, batch_size=32, channels=(8, 8), hidden=16).fit(beats, progress=False)
        >>> scan = SCAN(vae, epochs=3).fit(beats, table, progress=False)
        >>> scores = scan.decision_function(beats)
        >>> np.allclose(1 / (1 + np.exp(-scores[:, :2])), scan.predict_proba(beats))
        True
        """
        self._check_fitted()
        w = self.weights().to_numpy()
        return self.vae.transform(beats) @ w[:, :-1].T + w[:, -1]

    def predict_proba(self, beats: BeatSet | np.ndarray) -> np.ndarray:
        """Probability of each binary output (``binary_names_`` order), (records, binary outputs).

        Example
        -------
        >>> from vaescan.data.toy import toy_beats
        >>> from vaescan.models.vae import VAE
        >>> beats, truth = toy_beats(96, seed=5); table = truth[["WIDE", "TALLT", "age"]]
        >>> vae = VAE(latent_dim=4, epochs=3, batch_size=32, channels=(8, 8), hidden=16).fit(beats, progress=False)
        >>> scan = SCAN(vae, epochs=3).fit(beats, table, progress=False)
        >>> p = scan.predict_proba(beats)
        >>> p.shape, bool(((p > 0) & (p < 1)).all())
        ((96, 2), True)
        """
        scores = self.decision_function(beats)[:, : len(self.binary_names_)]
        return 1.0 / (1.0 + np.exp(-scores))

    def predict(self, beats: BeatSet | np.ndarray) -> pd.DataFrame:
        """Every output: binary ones as probabilities, continuous ones in original units, one row per beat.

        Example
        -------
        >>> from vaescan.data.toy import toy_beats
        >>> from vaescan.models.vae import VAE
        >>> beats, truth = toy_beats(96, seed=5); table = truth[["WIDE", "TALLT", "age"]]
        >>> vae = VAE(latent_dim=4, epochs=3, batch_size=32, channels=(8, 8), hidden=16).fit(beats, progress=False)
        >>> scan = SCAN(vae, epochs=3).fit(beats, table, progress=False)
        >>> scan.predict(beats).columns.tolist()
        ['WIDE', 'TALLT', 'age']
        """
        scores = self.decision_function(beats)
        nb = len(self.binary_names_)
        scores[:, :nb] = 1.0 / (1.0 + np.exp(-scores[:, :nb]))
        return pd.DataFrame(scores, columns=self.output_names_)

    # -- clinical -> ECG -----------------------------------------------------------------------
    @torch.no_grad()
    def encode_clinical(self, values: Mapping[str, float] | pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """q(z|y) of clinical profiles: (mean, sd), each (profiles, latent_dim).

        Unset binary variables count as absent (0), unset continuous ones as the training mean.

        Example
        -------
        >>> from vaescan.data.toy import toy_beats
        >>> from vaescan.models.vae import VAE
        >>> beats, truth = toy_beats(96, seed=5); table = truth[["WIDE", "TALLT", "age"]]
        >>> vae = VAE(latent_dim=4, epochs=3, batch_size=32, channels=(8, 8), hidden=16).fit(beats, progress=False)
        >>> scan = SCAN(vae, epochs=3).fit(beats, table, progress=False)
        >>> loc, scale = scan.encode_clinical({"WIDE": 1})
        >>> loc.shape, scale.shape
        ((1, 4), (1, 4))
        """
        self._check_fitted()
        _, _, y_in = self._clinical(self._profile_table(values))
        device = next(self.net_.parameters()).device
        loc, scale = self.net_.encoder(torch.as_tensor(y_in, dtype=torch.float32, device=device))
        return loc.cpu().numpy().astype(np.float64), scale.cpu().numpy().astype(np.float64)

    def generate(self, values: Mapping[str, float] | pd.DataFrame) -> np.ndarray:
        """The typical beat of each clinical profile: q(z|y) mean decoded by the frozen VAE, (profiles, 12, samples) mV.

        Example
        -------
        >>> from vaescan.data.toy import toy_beats
        >>> from vaescan.models.vae import VAE
        >>> beats, truth = toy_beats(96, seed=5); table = truth[["WIDE", "TALLT", "age"]]
        >>> vae = VAE(latent_dim=4, epochs=3, batch_size=32, channels=(8, 8), hidden=16).fit(beats, progress=False)
        >>> scan = SCAN(vae, epochs=3).fit(beats, table, progress=False)
        >>> wide, narrow = scan.generate(pd.DataFrame({"WIDE": [1, 0]}))
        >>> wide.shape
        (12, 500)
        """
        return self.vae.inverse_transform(self.encode_clinical(values)[0])

    # -- persistence ---------------------------------------------------------------------------
    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write ``scan.json``, ``scan_weights.pt`` and the frozen VAE (``vae.json``, ``vae_weights.pt``).

        Example
        -------
        >>> from vaescan.data.toy import toy_beats
        >>> from vaescan.models.vae import VAE
        >>> beats, truth = toy_beats(96, seed=5); table = truth[["WIDE", "TALLT", "age"]]
        >>> vae = VAE(latent_dim=4, epochs=3, batch_size=32, channels=(8, 8), hidden=16).fit(beats, progress=False)
        >>> scan = SCAN(vae, epochs=3).fit(beats, table, progress=False)
        >>> import tempfile
        >>> sorted(p.name for p in scan.save(tempfile.mkdtemp()).iterdir())
        ['scan.json', 'scan_weights.pt', 'vae.json', 'vae_weights.pt']
        """
        self._check_fitted()
        folder = Path(folder)
        self.vae.save(folder)
        with atomic_path(folder / "scan_weights.pt") as tmp:
            torch.save({k: v.cpu() for k, v in self.net_.state_dict().items()}, tmp)
        write_json(folder / "scan.json", {
            "config": config_to_dict(self.config), "binary": self.binary_names_,
            "continuous": self.continuous_names_, "y_mean": self.y_mean_, "y_sd": self.y_sd_,
            "impute": self.impute_,
        })
        return folder

    @classmethod
    def load(cls, folder: str | os.PathLike[str], device: str = "auto") -> SCAN:
        """Read a SCAN written by :meth:`save` (weights loaded with ``weights_only=True``).

        Example
        -------
        >>> from vaescan.data.toy import toy_beats
        >>> from vaescan.models.vae import VAE
        >>> beats, truth = toy_beats(96, seed=5); table = truth[["WIDE", "TALLT", "age"]]
        >>> vae = VAE(latent_dim=4, epochs=3, batch_size=32, channels=(8, 8), hidden=16).fit(beats, progress=False)
        >>> scan = SCAN(vae, epochs=3).fit(beats, table, progress=False)
        >>> import tempfile
        >>> again = SCAN.load(scan.save(tempfile.mkdtemp()))
        >>> np.array_equal(again.predict_proba(beats), scan.predict_proba(beats))
        True
        """
        folder = Path(folder)
        vae = VAE.load(folder, device=device)
        meta = read_json(folder / "scan.json")
        with reading_description(folder / "scan.json", "SCAN"):
            scan = cls(vae, config_from_dict(SCANConfig, meta["config"], str(folder / "scan.json"),
                                            prefix="config."), device=device)
            for key in ("binary", "continuous"):
                names = meta[key]
                if not isinstance(names, list) or not all(isinstance(n, str) for n in names) or len(names) > 10_000:
                    raise ValueError(f"{key}: expected a list of variable names, got {show_value(names)}")
            scan.binary_names_, scan.continuous_names_ = list(meta["binary"]), list(meta["continuous"])
            scan.output_names_ = scan.binary_names_ + scan.continuous_names_
            if not scan.output_names_ or len(set(scan.output_names_)) < len(scan.output_names_):
                raise ValueError(f"binary + continuous: expected distinct variable names, got {scan.output_names_[:5]}")
            n_cont = len(scan.continuous_names_)
            scan.y_mean_ = described_array(meta, "y_mean", n_cont)
            scan.y_sd_ = described_array(meta, "y_sd", n_cont)
            scan.impute_ = described_array(meta, "impute", len(scan.output_names_))
        net = SCANNet(len(scan.binary_names_), len(scan.continuous_names_), vae.config.latent_dim, scan.config)
        scan.net_ = load_weights(net, folder / "scan_weights.pt", "scan.json", resolve_device(device))
        return scan
