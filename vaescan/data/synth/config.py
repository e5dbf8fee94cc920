"""Settings of the synthetic cohort (a dataclass, saved as ``synth_config.json`` beside every cohort)."""

from __future__ import annotations

from dataclasses import dataclass, field

from vaescan.data.synth.clinical import RISK
from vaescan.errors import VaescanInputError


def default_prevalence() -> dict[str, float]:
    """Default label prevalences (at 60 years, averaged over sexes) from :data:`~vaescan.data.synth.clinical.RISK`.

    Example
    -------
    >>> default_prevalence()["AF"]
    0.08
    """
    return {label: risk[0] for label, risk in RISK.items()}


def _check_range(name: str, lo_hi: tuple[float, float]) -> None:
    lo, hi = lo_hi
    if not 0.0 <= lo <= hi:
        raise VaescanInputError(None, f"noise {name} must be a range (low, high) with 0 <= low <= high, got {lo_hi}")


@dataclass(frozen=True)
class NoiseConfig:
    """Per-record noise levels are drawn uniformly from these ranges (RMS at each electrode, mV).

    ``powerline_hz``: mains frequency (50 or 60 Hz). All ranges ``(0, 0)`` give noiseless records.
    """

    wander_mv: tuple[float, float] = (0.02, 0.2)
    powerline_mv: tuple[float, float] = (0.0, 0.04)
    muscle_mv: tuple[float, float] = (0.005, 0.03)
    powerline_hz: float = 50.0

    def __post_init__(self) -> None:
        for name in ("wander_mv", "powerline_mv", "muscle_mv"):
            _check_range(name, tuple(getattr(self, name)))


DIFFICULTIES: tuple[str, ...] = ("easy", "realistic")
"""``easy``: every label's defining factor lies inside its clinical range and outside it without the label, age and
sex move a few intervals; ``realistic``: subtle and overlapping signatures, AF defined by its rhythm alone, premature
atrial beats in sinus rhythm, age and sex spread thinly over the waveform (``docs/synthetic_cohort.md``)."""

REALISTIC_LABEL_NOISE = 0.10
"""Fraction of records whose recorded labels :meth:`SynthConfig.realistic` misreads (one label flipped)."""


@dataclass(frozen=True)
class SynthConfig:
    """Settings of :func:`~vaescan.data.synth.simulate_records` and :func:`~vaescan.data.synth.simulate_cohort`.

    fs: sampling rate in Hz (at least 100). duration_s: record length in s (at least 2).
    prevalence: label -> prevalence at 60 years (labels not given keep their default).
    noise: :class:`NoiseConfig`. split: fractions of train, val and test (sum 1).
    difficulty: the causal table's variant, one of :data:`DIFFICULTIES` (default ``easy``).
    label_noise: fraction of records whose recorded labels are misread: one of the nine diagnostic labels,
    chosen at random, is flipped against the true cause (``true_<label>`` columns keep the truth).
    :meth:`realistic` is the named preset: ``realistic`` difficulty and :data:`REALISTIC_LABEL_NOISE`.

    Example
    -------
    >>> SynthConfig(prevalence={"AF": 0.2}).prevalence["AF"], SynthConfig().prevalence["LBBB"]
    (0.2, 0.05)
    >>> SynthConfig.realistic().difficulty, SynthConfig.realistic().label_noise
    ('realistic', 0.1)
    >>> SynthConfig(prevalence={"AFIB": 0.2})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vaescan.errors.VaescanInputError: unknown label(s) ['AFIB'] in prevalence; known: AF, AVB1, HYPERK, LBBB, ...
    """

    fs: float = 500.0
    duration_s: float = 10.0
    prevalence: dict[str, float] = field(default_factory=default_prevalence)
    noise: NoiseConfig = field(default_factory=NoiseConfig)
    split: tuple[float, float, float] = (0.7, 0.15, 0.15)
    difficulty: str = "easy"
    label_noise: float = 0.0

    @classmethod
    def realistic(cls, **changes) -> SynthConfig:
        """The ``realistic`` preset (subtle signatures, AF by rhythm, 10 % misread labels); ``changes`` override it.

        Example
        -------
        >>> SynthConfig.realistic(label_noise=0.05).label_noise
        0.05
        """
        return cls(**{"difficulty": "realistic", "label_noise": REALISTIC_LABEL_NOISE, **changes})

    @classmethod
    def preset(cls, name: str) -> SynthConfig:
        """The named preset ``easy`` (the default config) or ``realistic`` (:meth:`realistic`).

        Example
        -------
        >>> SynthConfig.preset("easy") == SynthConfig()
        True
        """
        if name not in DIFFICULTIES:
            raise VaescanInputError(None, f"unknown preset {name!r}; known: {', '.join(DIFFICULTIES)}")
        return cls.realistic() if name == "realistic" else cls()

    def __post_init__(self) -> None:
        if self.difficulty not in DIFFICULTIES:
            raise VaescanInputError(
                None, f"difficulty must be one of {', '.join(DIFFICULTIES)}, got {self.difficulty!r}")
        if not 0.0 <= float(self.label_noise) <= 0.5:
            raise VaescanInputError(None, f"label_noise must lie in [0, 0.5], got {self.label_noise}")
        object.__setattr__(self, "label_noise", float(self.label_noise))
        unknown = sorted(set(self.prevalence) - set(RISK))
        if unknown:
            raise VaescanInputError(None, f"unknown label(s) {unknown} in prevalence; known: {', '.join(sorted(RISK))}")
        bad = {k: v for k, v in self.prevalence.items() if not 0.0 <= float(v) < 1.0}
        if bad:
            raise VaescanInputError(None, f"prevalence must lie in [0, 1): {bad}")
        object.__setattr__(self, "prevalence", {**default_prevalence(), **{k: float(v) for k, v in
                                                                           self.prevalence.items()}})
        if not self.fs >= 100.0:
            raise VaescanInputError(None, f"sampling rate must be at least 100 Hz, got {self.fs:g}")
        if not self.duration_s >= 2.0:
            raise VaescanInputError(None, f"duration must be at least 2 s, got {self.duration_s:g}")
        split = tuple(float(f) for f in self.split)
        if len(split) != 3 or min(split) < 0 or abs(sum(split) - 1.0) > 1e-6 or split[0] <= 0:
            raise VaescanInputError(
                None, f"split must be 3 fractions (train, val, test) summing to 1, got {self.split}")
        object.__setattr__(self, "split", split)
