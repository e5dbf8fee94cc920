"""Run configs: what a VAE, SCAN or black-box training run reads (saved as ``config.yaml`` beside every run)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from vaescan.config import ConfigValueError, Limit, check_limits, load_config, one_of
from vaescan.data.dataset import DataConfig
from vaescan.data.signals import SignalConfig
from vaescan.models.blackbox import BlackBoxConfig
from vaescan.models.run import CONFIG_FILE, require_done
from vaescan.models.scan import SCANConfig
from vaescan.models.vae import VAEConfig
from vaescan.pages.model_input import PageInputConfig


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


@dataclass
class BlackBoxRunConfig:
    """A black-box classifier run: whole records (``signal``) or their rendered pages (``image``) -> labels, age.

    input: ``signal`` (cleaned 12-lead signals, ``signal``) or ``image`` (page images, ``image``); the
        model's ``input`` must say the same.
    binary, continuous: clinical variables (metadata columns); null means the cohort's labels and its
        continuous variables.
    """

    output: str = "runs/blackbox"
    data: DataConfig = field(default_factory=DataConfig)
    input: str = "signal"
    signal: SignalConfig = field(default_factory=SignalConfig)
    image: PageInputConfig = field(default_factory=PageInputConfig)
    binary: list[str] | None = None
    continuous: list[str] | None = None
    model: BlackBoxConfig = field(default_factory=BlackBoxConfig)

    LIMITS: ClassVar[dict[str, Limit]] = {"input": one_of("signal", "image")}

    def __post_init__(self) -> None:
        check_limits(self)
        if self.model.input != self.input:
            raise ConfigValueError("model.input", f"{self.model.input!r} differs from input {self.input!r}; set "
                                   "both to the same kind")


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
