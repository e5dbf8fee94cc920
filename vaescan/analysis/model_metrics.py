"""How good are the factors? Reconstruction, linear read-outs, monotonic factors and clinical predictions.

Every number vaescan reports for a VAE, SCAN or black-box run (``metrics.json``) comes
from these functions; the benchmark scripts call them too.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression
from sklearn.metrics import average_precision_score, mean_absolute_error, r2_score, roc_auc_score

from vaescan.data.beats import BeatSet
from vaescan.data.features import beat_summary
from vaescan.data.shards import ShardedArray
from vaescan.models.blackbox import BlackBox
from vaescan.models.scan import SCAN
from vaescan.models.vae import VAE


def reconstruction_rmse_uv(vae: VAE, beats: BeatSet | np.ndarray | ShardedArray) -> float:
    """Root mean square error (uV) between beats and their reconstructions, over every lead and sample (beats in
    shards on disk are read a chunk at a time).

    Measured at the beats' own sampling rate, so downsampling inside the model is counted.

    Example
    -------
    >>> from vaescan.data.toy import toy_beats
    >>> from vaescan.models.vae import VAE
    >>> beats, _ = toy_beats(96, seed=5)
    >>> vae = VAE(latent_dim=4, epochs=3, batch_size=32, channels=(8, 8), hidden=16).fit(beats, progress=False)
    >>> 0 < reconstruction_rmse_uv(vae, beats) < 1000 * float(np.abs(beats.beats).max())
    True
    """
    x = beats.beats if isinstance(beats, BeatSet) else beats
    if isinstance(x, ShardedArray):  # beats on disk: a chunk at a time, the squares summed in float64
        total = sum(float(np.sum((vae.reconstruct(chunk) - chunk).astype(np.float64) ** 2)) for chunk in x.chunks())
        return float(np.sqrt(total / max(1, int(np.prod(x.shape))))) * 1000.0
    x = np.asarray(x)
    return float(np.sqrt(np.mean((vae.reconstruct(x) - x) ** 2)) * 1000.0)


def linear_readout(z_train: np.ndarray, table_train: pd.DataFrame, z_test: np.ndarray,
                   table_test: pd.DataFrame) -> dict[str, float]:
    """Test R2 of a linear regression from the latents to each column (fitted on train; NaN rows left out).

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(200, 3))
    >>> t = pd.DataFrame({"qrs_ms": 100 + 10 * z[:, 0] - 5 * z[:, 2], "noise": rng.normal(size=200)})
    >>> r2 = linear_readout(z[:150], t[:150], z[150:], t[150:])
    >>> round(r2["qrs_ms"], 3), r2["noise"] < 0.1
    (1.0, True)
    """
    out = {}
    for name in table_train.columns:
        ytr = table_train[name].to_numpy(dtype=np.float64)
        yte = table_test[name].to_numpy(dtype=np.float64)
        ktr, kte = np.isfinite(ytr), np.isfinite(yte)
        if ktr.sum() < 3 or kte.sum() < 3 or np.ptp(yte[kte]) == 0:
            out[name] = float("nan")
            continue
        fit = LinearRegression().fit(z_train[ktr], ytr[ktr])
        out[name] = float(r2_score(yte[kte], fit.predict(z_test[kte])))
    return out


def best_single_factor(z: np.ndarray, table: pd.DataFrame) -> dict[str, dict[str, float]]:
    """For each column, the factor with the largest |Spearman rho| and that rho.

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(100, 2))
    >>> best = best_single_factor(z, pd.DataFrame({"qt_ms": 400 - np.exp(z[:, 1])}))
    >>> best["qt_ms"]["factor"], round(best["qt_ms"]["rho"], 6)
    (1, -1.0)
    """
    from vaescan.stats.associations import spearman_matrix

    rho = spearman_matrix(z, table)
    out = {}
    for name in table.columns:
        col = rho[name].abs()
        if col.notna().any():
            i = int(np.nanargmax(col.to_numpy()))
            out[name] = {"factor": i, "rho": float(rho[name].iloc[i])}
    return out


def vae_metrics(vae: VAE, train: BeatSet, test: BeatSet, factors_train: pd.DataFrame | None = None,
                factors_test: pd.DataFrame | None = None, seed: int = 0) -> dict:
    """The measured quality of a fitted VAE: reconstruction, active units and, with true factors, read-outs.

    With ground-truth factor tables (one row per beat): the test R2 of a
    linear read-out of every factor, the single factor with the largest
    |Spearman rho| per factor, and MIG, DCI and SAP
    (:func:`vaescan.stats.disentangle.disentanglement_report`, on the test
    rows whose factors are all known). For a VAE with anchored factors also
    ``anchored_factor`` (each anchored factor's Spearman rho with the true
    factor of the same name) and ``best_free_factor`` (the best single factor
    among the unanchored ones: what unsupervised learning alone found).

    Example
    -------
    >>> from vaescan.data.toy import toy_beats
    >>> from vaescan.models.vae import VAE
    >>> beats, _ = toy_beats(96, seed=5)
    >>> vae = VAE(latent_dim=4, epochs=3, batch_size=32, channels=(8, 8), hidden=16).fit(beats, progress=False)
    >>> truth = pd.DataFrame({"t_mv": beats.beats[:, 10, 330]})  # the T-wave height in V5
    >>> m = vae_metrics(vae, beats, beats, truth, truth)
    >>> sorted(m)[:5]
    ['active_units', 'best_factor', 'disentanglement', 'kl_per_unit', 'n_active']
    """
    out: dict = {
        "train_rmse_uv": reconstruction_rmse_uv(vae, train),
        "test_rmse_uv": reconstruction_rmse_uv(vae, test),
        "n_train": len(train.record_ids), "n_test": len(test.record_ids),
        "kl_per_unit": vae.kl_per_unit_.tolist(),
        "active_units": list(vae.active_units_),
        "n_active": len(vae.active_units_),
    }
    if factors_train is None or factors_test is None or factors_test.empty:
        return out
    from vaescan.stats.disentangle import disentanglement_report

    z_train, z_test = vae.transform(train), vae.transform(test)
    out["readout_r2"] = linear_readout(z_train, factors_train, z_test, factors_test)
    out["best_factor"] = best_single_factor(z_test, factors_test)
    k = len(vae.config.anchor_features)
    if k:
        # anchored factors (weak supervision from measured features) apart from the free, unsupervised ones
        from vaescan.stats.associations import spearman_matrix

        rho = spearman_matrix(z_test[:, :k], factors_test)
        out["anchored_factor"] = {name: {"factor": j, "rho": float(rho[name].iloc[j])}
                                  for j, name in enumerate(vae.config.anchor_features) if name in factors_test}
        free = best_single_factor(z_test[:, k:], factors_test)
        out["best_free_factor"] = {name: {"factor": v["factor"] + k, "rho": v["rho"]} for name, v in free.items()}
    complete = factors_test.notna().all(axis=1).to_numpy()
    usable = [c for c in factors_test.columns if factors_test.loc[complete, c].nunique() > 1]
    if complete.sum() >= 20 and usable:
        report = disentanglement_report(z_test[complete], factors_test.loc[complete, usable].to_numpy(),
                                        usable, seed=seed)
        out["disentanglement"] = report
        out["n_disentanglement_rows"] = int(complete.sum())
    return out


def scan_metrics(scan: SCAN, test: BeatSet, table_test: pd.DataFrame) -> dict:
    """Clinical predictions on test beats (AUROC per binary output, R2 and MAE per continuous one)
    and the measured features of the generated beat of each binary output set to 1 alone.

    Example
    -------
    >>> from vaescan.data.toy import toy_beats
    >>> from vaescan.models.vae import VAE
    >>> from vaescan.models.scan import SCAN
    >>> beats, truth = toy_beats(96, seed=5); table = truth[["WIDE", "TALLT", "age"]]
    >>> vae = VAE(latent_dim=4, epochs=3, batch_size=32, channels=(8, 8), hidden=16).fit(beats, progress=False)
    >>> scan = SCAN(vae, epochs=3).fit(beats, table, progress=False)
    >>> m = scan_metrics(scan, beats, table)
    >>> sorted(m["auroc"]), sorted(m["r2"]), sorted(m["generated"])
    (['TALLT', 'WIDE'], ['age'], ['TALLT', 'WIDE', 'none'])
    """
    out = clinical_scores(scan.predict(test), table_test, scan.binary_names_, scan.continuous_names_)
    out["generated"] = generated_summaries(scan, scan.binary_names_)
    return out


def clinical_scores(pred: pd.DataFrame, table: pd.DataFrame, binary: Sequence[str], continuous: Sequence[str],
                    precision: bool = False) -> dict:
    """AUROC (and with ``precision`` the AUPRC) per binary variable, R2 and MAE per continuous one, and
    ``n_test``: predictions ``pred`` (probabilities, original units) against the true ``table``, NaN left out.

    Example
    -------
    >>> table = pd.DataFrame({"A": [0, 1, 0, 1], "age": [40.0, 50.0, 60.0, 70.0]})
    >>> pred = pd.DataFrame({"A": [0.1, 0.8, 0.3, 0.6], "age": [42.0, 50.0, 58.0, 70.0]})
    >>> clinical_scores(pred, table, ["A"], ["age"], precision=True)["mae"]
    {'age': 1.0}
    """
    out: dict = {"auroc": {}, **({"auprc": {}} if precision else {}), "r2": {}, "mae": {}, "n_test": len(pred)}
    for name in binary:
        y = table[name].to_numpy(dtype=np.float64)
        keep = np.isfinite(y)
        if len(np.unique(y[keep])) == 2:
            out["auroc"][name] = float(roc_auc_score(y[keep], pred[name].to_numpy()[keep]))
            if precision:
                out["auprc"][name] = float(average_precision_score(y[keep], pred[name].to_numpy()[keep]))
    for name in continuous:
        y = table[name].to_numpy(dtype=np.float64)
        keep = np.isfinite(y)
        if keep.sum() >= 3:
            out["r2"][name] = float(r2_score(y[keep], pred[name].to_numpy()[keep]))
            out["mae"][name] = float(mean_absolute_error(y[keep], pred[name].to_numpy()[keep]))
    return out


def blackbox_metrics(model: BlackBox, inputs: np.ndarray, table: pd.DataFrame) -> dict:
    """A black box's clinical predictions on test inputs: AUROC and AUPRC per label, R2 and MAE per
    continuous variable, the MAE of predicting the training mean (``mae_mean_baseline``), and ``n_params``.

    Example
    -------
    >>> x = np.random.default_rng(0).normal(size=(32, 12, 100)).astype(np.float32)
    >>> y = pd.DataFrame({"UP": (x[:, 0].mean(1) > 0).astype(int), "age": 60 + 5 * x[:, 1].mean(1)})
    >>> m = BlackBox(stem=(8,), widths=(8,), epochs=1).fit(x, y, binary=["UP"], continuous=["age"], progress=False)
    >>> sorted(blackbox_metrics(m, x, y))
    ['auprc', 'auroc', 'mae', 'mae_mean_baseline', 'n_params', 'n_test', 'r2']
    """
    out = clinical_scores(model.predict(inputs), table, model.binary_names_, model.continuous_names_, precision=True)
    out["mae_mean_baseline"] = {}
    for name, mean in zip(model.continuous_names_, model.y_mean_):
        y = table[name].to_numpy(dtype=np.float64)
        if np.isfinite(y).sum() >= 3:
            out["mae_mean_baseline"][name] = float(np.nanmean(np.abs(y - mean)))
    out["n_params"] = model.n_params_
    return out


def generated_summaries(scan: SCAN, names: Sequence[str]) -> dict[str, dict[str, float]]:
    """Measured features (:func:`vaescan.data.features.beat_summary`) of the beat generated for each
    binary variable set to 1 alone (the others 0, continuous ones at their mean), and of the all-0 profile.

    Example
    -------
    >>> from vaescan.data.toy import toy_beats
    >>> from vaescan.models.vae import VAE
    >>> from vaescan.models.scan import SCAN
    >>> beats, truth = toy_beats(96, seed=5); table = truth[["WIDE", "TALLT", "age"]]
    >>> vae = VAE(latent_dim=4, epochs=3, batch_size=32, channels=(8, 8), hidden=16).fit(beats, progress=False)
    >>> scan = SCAN(vae, epochs=3).fit(beats, table, progress=False)
    >>> sorted(generated_summaries(scan, ["WIDE"])["WIDE"])[:3]
    ['axis_deg', 'pr_ms', 'qrs_ms']
    """
    profiles = pd.DataFrame([{n: float(n == name) for n in names} for name in names] + [{n: 0.0 for n in names}])
    beats = scan.generate(profiles)
    vae = scan.vae
    keys = list(names) + ["none"]
    return {key: beat_summary(beat, vae.fs_, vae.fiducial_) for key, beat in zip(keys, beats)}
