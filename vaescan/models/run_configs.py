"""Run configs: what a VAE or SCAN training run reads (saved as ``config.yaml`` beside every run)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from vaescan.config import load_config
from vaescan.data.dataset import DataConfig
from vaescan.models.run import CONFIG_FILE, require_done
from vaescan.models.scan import SCANConfig
from vaescan.models.vae import VAEConfig


@dataclass
class VAERunConfig:
    """A beta-VAE run: the data, the output folder and the model settings."""

    output: str = "runs/vae"
    data: DataConfig = field(default_factory=DataConfig)
    vae: VAEConfig = field(default_factory=VAEConfig)


@dataclass
class SCANRunConfig:
    """A SCAN run over a finished VAE run.

    vae_run: the VAE run folder whose model is frozen.
    data: as :class:`DataConfig`; an empty ``path`` means the VAE run's data.
    binary, continuous: clinical variables (metadata columns); null means the
    cohort's labels and its continuous variables.
    """

    output: str = "runs/scan"
    vae_run: str = "runs/vae"
    data: DataConfig = field(default_factory=DataConfig)
    binary: list[str] | None = None
    continuous: list[str] | None = None
    scan: SCANConfig = field(default_factory=SCANConfig)


def resolve_scan_config(config: SCANRunConfig) -> SCANRunConfig:
    """Fill the SCAN config's data from its VAE run when its ``data.path`` is empty.

    The cohort and the beat settings come from the VAE run; ``jobs`` and
    ``cache_dir`` may still be set for the SCAN run.

    Example
    -------
    >>> cfg = resolve_scan_config(SCANRunConfig(vae_run="runs/vae1"))  # doctest: +SKIP
    """
    if config.data.path:
        return config
    require_done(config.vae_run, ("vae",))
    vae_data = load_config(VAERunConfig, Path(config.vae_run) / CONFIG_FILE).data
    data = dataclasses.replace(vae_data, jobs=max(vae_data.jobs, config.data.jobs),
                               cache_dir=config.data.cache_dir or vae_data.cache_dir)
    return dataclasses.replace(config, data=data)
