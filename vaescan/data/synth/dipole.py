"""The cardiac dipole of one beat as a sum of compact 3-D waves (a vectorcardiogram model).

Following the Gaussian-kernel dipole models of McSharry et al. (2003) and
Sameni et al. (2007), each wave of a beat (P, QRS, ST, T) is a sum of kernels,
each a fixed 3-D direction (Frank X, Y, Z) times a scalar pulse in time. Unlike
a Gaussian, the pulse used here is exactly zero outside a finite interval: a
Tukey (tapered cosine) pulse that rises over ``rise_ms`` and falls over
``fall_ms``. With ``rise_ms + fall_ms`` equal to the width it is a (possibly
asymmetric) raised-cosine bump; with a shorter rise and fall it is a plateau,
which is how an injury current (ST deviation) is modelled. Compact support gives
every wave an exact onset and end, so interval ground truth needs no threshold:
the QRS starts when its first kernel starts and ends when its last kernel ends.

Times are in ms relative to the QRS onset of the beat; dipole amplitudes in mV.

References
----------
McSharry PE, Clifford GD, Tarassenko L, Smith LA. A dynamical model for
generating synthetic electrocardiogram signals. IEEE Trans Biomed Eng
2003;50:289-94.
Sameni R, Clifford GD, Jutten C, Shamsollahi MB. Multichannel ECG and noise
modeling: application to maternal and fetal ECG signals. EURASIP J Adv Signal
Process 2007:043407.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

WAVES: tuple[str, ...] = ("P", "QRS", "ST", "T")
"""Wave names a kernel can belong to. ST and T together are repolarisation."""


@dataclass(frozen=True)
class Kernel:
    """One dipole kernel: ``vector`` (Frank X, Y, Z in mV at full height) times a pulse on [start, end] ms.

    The pulse rises as a half cosine over ``rise_ms`` from ``start_ms``, stays at 1
    and falls as a half cosine over ``fall_ms`` to ``end_ms``. Both default to half
    the width (a symmetric raised-cosine bump).

    Example
    -------
    >>> k = Kernel("QRS", 0.0, 100.0, (1.0, 0.0, 0.0))
    >>> np.round(k.pulse(np.array([-10.0, 0.0, 25.0, 50.0, 100.0])), 6).tolist()
    [0.0, 0.0, 0.5, 1.0, 0.0]
    """

    wave: str
    start_ms: float
    end_ms: float
    vector: tuple[float, float, float]
    rise_ms: float | None = None
    fall_ms: float | None = None

    def __post_init__(self) -> None:
        if self.wave not in WAVES:
            raise ValueError(f"unknown wave {self.wave!r}; expected one of {WAVES}")
        if not self.end_ms > self.start_ms:
            raise ValueError(f"kernel ends ({self.end_ms} ms) before it starts ({self.start_ms} ms)")
        if self.rise + self.fall > self.width + 1e-9:
            raise ValueError("rise_ms + fall_ms exceeds the kernel width")

    @property
    def width(self) -> float:
        """Duration in ms."""
        return self.end_ms - self.start_ms

    @property
    def rise(self) -> float:
        """Rise time in ms."""
        return self.width / 2 if self.rise_ms is None else self.rise_ms

    @property
    def fall(self) -> float:
        """Fall time in ms."""
        return self.width / 2 if self.fall_ms is None else self.fall_ms

    @property
    def peak_ms(self) -> float:
        """Time the pulse first reaches its full height (ms)."""
        return self.start_ms + self.rise

    def pulse(self, t_ms: np.ndarray) -> np.ndarray:
        """The scalar pulse (0..1) at times ``t_ms``."""
        t = np.asarray(t_ms, dtype=np.float64)
        out = np.zeros_like(t)
        up = (t > self.start_ms) & (t < self.start_ms + self.rise)
        out[up] = 0.5 * (1.0 - np.cos(np.pi * (t[up] - self.start_ms) / self.rise))
        flat = (t >= self.start_ms + self.rise) & (t <= self.end_ms - self.fall)
        out[flat] = 1.0
        down = (t > self.end_ms - self.fall) & (t < self.end_ms)
        out[down] = 0.5 * (1.0 + np.cos(np.pi * (t[down] - (self.end_ms - self.fall)) / self.fall))
        return out

    def scaled(self, factor: float) -> Kernel:
        """The same kernel with its vector multiplied by ``factor``."""
        return replace(self, vector=tuple(float(v) * factor for v in self.vector))


@dataclass(frozen=True)
class BeatDipole:
    """All kernels of one beat. Wave boundaries are exact: a wave spans its kernels' union.

    Example
    -------
    >>> beat = BeatDipole((Kernel("QRS", 0, 60, (1, 0, 0)), Kernel("QRS", 40, 96, (0, 1, 0))))
    >>> beat.onset("QRS"), beat.end("QRS"), beat.has("P")
    (0.0, 96.0, False)
    """

    kernels: tuple[Kernel, ...]

    def of(self, *waves: str) -> tuple[Kernel, ...]:
        """The kernels of the given waves."""
        return tuple(k for k in self.kernels if k.wave in waves)

    def has(self, wave: str) -> bool:
        """Whether the beat has any kernel of ``wave``."""
        return bool(self.of(wave))

    def onset(self, *waves: str) -> float:
        """Earliest start (ms) of the kernels of ``waves`` (NaN if none)."""
        ks = self.of(*waves)
        return float(min(k.start_ms for k in ks)) if ks else float("nan")

    def end(self, *waves: str) -> float:
        """Latest end (ms) of the kernels of ``waves`` (NaN if none)."""
        ks = self.of(*waves)
        return float(max(k.end_ms for k in ks)) if ks else float("nan")

    def render(self, t_ms: np.ndarray, *waves: str) -> np.ndarray:
        """The dipole (len(t), 3) in mV at times ``t_ms``; only ``waves`` if given, else all.

        Example
        -------
        >>> beat = BeatDipole((Kernel("T", 0, 200, (0.0, 0.0, 0.5)),))
        >>> beat.render(np.array([100.0]))[0].tolist()
        [0.0, 0.0, 0.5]
        """
        t = np.asarray(t_ms, dtype=np.float64)
        out = np.zeros((t.size, 3))
        for k in (self.of(*waves) if waves else self.kernels):
            inside = (t > k.start_ms) & (t < k.end_ms)
            if inside.any():
                out[inside] += k.pulse(t[inside])[:, None] * np.asarray(k.vector)[None, :]
        return out

    def peak_magnitude(self, *waves: str, step_ms: float = 0.25) -> float:
        """Largest spatial magnitude (mV) of the dipole of ``waves``, on a ``step_ms`` grid.

        Example
        -------
        >>> BeatDipole((Kernel("P", 0, 100, (0.3, 0.4, 0.0)),)).peak_magnitude("P")
        0.5
        """
        if not self.of(*waves):
            return 0.0
        t = np.arange(self.onset(*waves), self.end(*waves) + step_ms, step_ms)
        return float(np.sqrt((self.render(t, *waves) ** 2).sum(axis=1)).max())

    def area(self, *waves: str) -> np.ndarray:
        """Time integral (mV ms) of the dipole of ``waves``: exact, a Tukey pulse's area is width - (rise+fall)/2.

        Example
        -------
        >>> BeatDipole((Kernel("QRS", 0, 100, (1.0, 0.0, 0.0)),)).area("QRS").tolist()
        [50.0, 0.0, 0.0]
        """
        total = np.zeros(3)
        for k in self.of(*waves):
            total += np.asarray(k.vector) * (k.width - (k.rise + k.fall) / 2.0)
        return total

    def transformed(self, matrix: np.ndarray, *waves: str) -> BeatDipole:
        """A copy whose kernels of ``waves`` have their vectors multiplied by a 3x3 ``matrix``."""
        m = np.asarray(matrix, dtype=np.float64)
        return BeatDipole(tuple(
            replace(k, vector=tuple((m @ np.asarray(k.vector)).tolist())) if k.wave in waves else k
            for k in self.kernels
        ))

    def scaled(self, factor: float, *waves: str) -> BeatDipole:
        """A copy whose kernels of ``waves`` are multiplied by ``factor``."""
        return BeatDipole(tuple(k.scaled(factor) if k.wave in waves else k for k in self.kernels))

    def with_kernels(self, *kernels: Kernel) -> BeatDipole:
        """A copy with ``kernels`` added."""
        return BeatDipole(self.kernels + tuple(kernels))
