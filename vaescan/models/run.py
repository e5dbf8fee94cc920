"""The run folder: everything a training run leaves behind, in one generic format.

::

    RUN/
      run.json          kind (vae, scan, ...), status (running/done/failed/interrupted), vaescan version, times,
                        data; a failed run also its error
      config.yaml       the run's settings (a dataclass config; re-used by --resume)
      checkpoint.pt     the last epoch or step checkpoint: weights, optimiser, curves, RNG states (resume)
      *_weights.pt      state_dicts (loaded with torch.load(..., weights_only=True))
      *.json            the estimators' non-tensor state (vae.json, scan.json, blackbox.json)
      param_store.pt    pyro's parameter store as {name: tensor} (pyro models: VAE, SCAN)
      curves.csv/.png   train/validation curves per epoch
      metrics.json      measured numbers
      skipped.csv       records that gave no model input (median beat, signal, page), and why

``kind`` selects how ``vaescan predict`` serves the run (:mod:`vaescan.models.predict`).
The figures (``curves.png``) are drawn by the training workflows, not here.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from vaescan import __version__
from vaescan.config import load_config, save_config, show_value
from vaescan.errors import VaescanInputError
from vaescan.io import atomic_path, clean_stale_temps, read_json, write_json

RUN_FILE = "run.json"
CONFIG_FILE = "config.yaml"
CHECKPOINT_FILE = "checkpoint.pt"
STATUSES = ("running", "done", "failed")
"""A run's ``status``: a run that raised an error is ``failed`` (a new attempt may start over it); an interrupted
or killed one stays ``running`` (continue it with ``--resume``)."""

def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def start_run(folder: str | os.PathLike[str], kind: str, config: Any, *, resume: bool = False,
              force: bool = False, data: str | None = None, overrides: Callable[[Any], Any] | None = None) -> Any:
    """Create (or re-open with ``resume``) a run folder; returns the config to train with.

    A new run writes ``run.json`` (status ``running``) and ``config.yaml``. With
    ``resume`` the folder's own config is returned (the given one only supplies
    the type) so the run continues exactly as it started, except for what
    ``overrides`` changes in it (e.g. the command line's ``--epochs``; the
    changed config is saved). A folder that already holds a run is refused
    unless ``resume`` or ``force`` (start over) is given, or the run there
    ``failed``: a new attempt starts over it. Temporary files of interrupted
    writes are removed.

    Example
    -------
    >>> import tempfile, pathlib
    >>> from vaescan.models.vae import VAEConfig
    >>> run = pathlib.Path(tempfile.mkdtemp()) / "run"
    >>> cfg = start_run(run, "vae", VAEConfig(latent_dim=4))
    >>> read_run(run)["status"], load_config(VAEConfig, run / "config.yaml").latent_dim
    ('running', 4)
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise VaescanInputError(folder, "exists and is a file, not a run folder; choose another output folder")
    info_path = folder / RUN_FILE
    if folder.is_dir():
        clean_stale_temps(folder)
    if info_path.is_file() and not force:
        info = read_run(folder, kind)
        if resume:
            try:
                config = load_config(type(config), folder / CONFIG_FILE)
            except VaescanInputError as exc:
                raise VaescanInputError(folder, f"cannot resume: its saved {CONFIG_FILE} is invalid ({exc.problem}); "
                                        "start over with --force") from None
            if overrides is not None:
                changed = overrides(config)
                if changed != config:
                    save_config(changed, folder / CONFIG_FILE)
                config = changed
            info.update(status="running", resumed=_now())
            info.pop("error", None)
            write_json(info_path, info)
            return config
        if info["status"] != "failed":
            raise VaescanInputError(folder, f"already holds a {info['kind']} run ({info['status']}); use --resume "
                                    "to continue it or --force to start over")
    if resume and not info_path.is_file():
        raise VaescanInputError(folder, "no run to resume here (no run.json)")
    if folder.is_dir() and any(folder.iterdir()) and not info_path.is_file() and not force:
        raise VaescanInputError(folder, "exists and is not a vaescan run; choose an empty or new folder")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / CHECKPOINT_FILE).unlink(missing_ok=True)
    save_config(config, folder / CONFIG_FILE)
    write_json(info_path, {"kind": kind, "status": "running", "vaescan_version": __version__, "created": _now(),
                           "config": CONFIG_FILE, "data": data})
    return config


@contextlib.contextmanager
def marking_failure(folder: str | os.PathLike[str]) -> Iterator[None]:
    """Mark the run in ``folder`` ``failed`` (with the error) if the block raises; Ctrl-C leaves it ``running``.

    Example
    -------
    >>> with marking_failure("runs/vae1"):  # doctest: +SKIP
    ...     train()
    """
    try:
        yield
    except Exception as exc:
        with contextlib.suppress(Exception):
            info = read_json(Path(folder) / RUN_FILE)
            if info.get("status") == "running":
                text = " ".join(str(exc).split())[:500]
                info.update(status="failed", stopped=_now(), error=f"{type(exc).__name__}: {text}".rstrip(": "))
                write_json(Path(folder) / RUN_FILE, info)
        raise


def finish_run(folder: str | os.PathLike[str], metrics: dict, curves: pd.DataFrame | None = None) -> Path:
    """Write ``metrics.json`` (and the curves as CSV) and mark the run ``done``.

    Example
    -------
    >>> finish_run("runs/vae1", {"test_rmse_uv": 18.0}, vae.curves_)  # doctest: +SKIP
    """
    folder = Path(folder)
    if curves is not None:
        with atomic_path(folder / "curves.csv") as tmp:
            curves.to_csv(tmp, index=False, float_format="%.6g")
    write_json(folder / "metrics.json", metrics)
    info = read_run(folder)
    info.update(status="done", finished=_now())
    write_json(folder / RUN_FILE, info)
    return folder


def read_run(folder: str | os.PathLike[str], kind: str | tuple[str, ...] | None = None) -> dict:
    """``run.json`` of a run folder, checking it is one (and of the expected ``kind``).

    Example
    -------
    >>> read_run("no/such/run")
    Traceback (most recent call last):
    ...
    vaescan.errors.VaescanInputError: no/such/run: not a vaescan run folder (no run.json)
    """
    folder = Path(folder)
    if not (folder / RUN_FILE).is_file():
        raise VaescanInputError(folder, f"not a vaescan run folder (no {RUN_FILE})")
    info = read_json(folder / RUN_FILE)
    if not isinstance(info, dict) or "kind" not in info or "status" not in info:
        raise VaescanInputError(folder / RUN_FILE, "not a vaescan run description (no kind/status)")
    if not isinstance(info["kind"], str) or not info["kind"].isidentifier() or len(info["kind"]) > 40:
        raise VaescanInputError(folder / RUN_FILE, f"not a vaescan run description (kind {show_value(info['kind'])})")
    if info["status"] not in STATUSES:
        raise VaescanInputError(folder / RUN_FILE, f"not a vaescan run description (status "
                                f"{show_value(info['status'])}; expected one of {', '.join(STATUSES)})")
    kinds = (kind,) if isinstance(kind, str) else kind
    if kinds is not None and info["kind"] not in kinds:
        raise VaescanInputError(folder, f"is a {info['kind']} run; expected a {' or '.join(kinds)} run")
    return info


def require_done(folder: str | os.PathLike[str], kind: str | tuple[str, ...] | None = None) -> dict:
    """Like :func:`read_run`, but the run must have finished (``status`` done).

    Example
    -------
    >>> info = require_done("runs/scan1", "scan")  # doctest: +SKIP
    """
    info = read_run(folder, kind)
    if info["status"] != "done":
        raise VaescanInputError(folder, f"the {info['kind']} run has not finished (status {info['status']}); "
                                "finish it with --resume")
    return info


def save_param_store(folder: str | os.PathLike[str], params: dict[str, torch.Tensor]) -> Path:
    """Write pyro parameters ``{name: tensor}`` to ``param_store.pt`` (plain tensors, no pickled objects).

    Load them back into pyro with
    ``for k, v in torch.load(path, weights_only=True).items(): pyro.param(k, v)``.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = save_param_store(tempfile.mkdtemp(), {"vae_decoder$$$w": torch.ones(2)})
    >>> torch.load(p, weights_only=True)["vae_decoder$$$w"].tolist()
    [1.0, 1.0]
    """
    path = Path(folder) / "param_store.pt"
    with atomic_path(path) as tmp:
        torch.save({k: v.detach().cpu().clone() for k, v in params.items()}, tmp)
    return path
