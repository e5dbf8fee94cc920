"""From physiology to the dipole kernels of one beat: P, QRS, ST and T in Frank X, Y, Z.

Coordinates (Frank): X points to the patient's left, Y to the feet, Z to the
back; amplitudes are dipole mV. Each wave is built in a canonical orientation
from textbook activation sequences, varied per patient, then turned:

- **P**: right atrium (inferior, anterior) then left atrium (leftward, posterior),
  overlapping; onset ``pr_ms`` before the QRS onset.
- **QRS, normal conduction**: septal (rightward, anterior), early left
  ventricle (leftward, anterior), free wall (leftward, inferior, posterior),
  basal (superior, posterior). **LBBB**: no septal forces, two leftward-posterior
  fronts that overlap into a broad notched R. **RBBB**: the normal sequence
  compressed into the first 60 % of the QRS, then a slow rightward-anterior
  front (the R' of V1).
- The heart is turned by a small random anatomical rotation, then in the frontal
  plane until the net QRS area gives the target axis, and scaled so the QRS
  loop's largest spatial magnitude is ``r_amp_mv``.
- **Myocardial infarction** (territory-fixed): Q waves replace the initial
  forces by ones pointing away from the territory (>= 40 ms), an injury current
  (an ST plateau) points towards it, and an old infarct turns the T wave away.
- The ``realistic`` table (``phys.subtle``) shrinks the infarct, strain, LVH and hyperkalaemia effects and
  spreads age and sex thinly: heart position, J-point elevation (higher in young men), T-wave shape.
- **T** is one asymmetric bump (slow rise, fast fall) ending at ``qt_ms``;
  concordant with the QRS normally, discordant in bundle-branch block and LVH
  strain; narrow and symmetric in hyperkalaemia; scaled so the T loop's largest
  magnitude is ``t_amp_mv``. **ST** deviations are plateaus that rise during the
  second half of the QRS and fall with the T wave, so they never move a wave boundary.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from vaescan.data.synth.clinical import Physiology
from vaescan.data.synth.dipole import BeatDipole, Kernel
from vaescan.data.synth.leadfield import DOWER

ANTERIOR: np.ndarray = np.array([0.3, 0.0, -0.95]) / np.linalg.norm([0.3, 0.0, -0.95])
"""Direction of the anterior wall (towards V2-V4)."""
INFERIOR: np.ndarray = np.array([-0.2, 0.95, 0.15]) / np.linalg.norm([-0.2, 0.95, 0.15])
"""Direction of the inferior wall (towards III and aVF)."""

_LEAD_I, _LEAD_II = DOWER[0], DOWER[1]
_LEAD_AVF = _LEAD_II - _LEAD_I / 2.0


def _unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    return v / np.linalg.norm(v)


def _rot(axis: int, deg: float) -> np.ndarray:
    """Rotation matrix by ``deg`` about coordinate ``axis`` (0 X, 1 Y, 2 Z); about Z it turns X towards Y."""
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    i, j = [k for k in range(3) if k != axis]
    m = np.eye(3)
    m[i, i], m[i, j], m[j, i], m[j, j] = c, -s, s, c
    return m


def frontal_axis(area: np.ndarray) -> float:
    """Frontal QRS axis (degrees) of a net QRS area vector (Frank X, Y, Z), through leads I and aVF.

    The same formula as :func:`vaescan.data.features.beat_features`: ``atan2(2/sqrt(3) * aVF, I)``.

    Example
    -------
    >>> round(frontal_axis(np.array([1.0, 0.0, 0.0])), 1)   # a purely leftward dipole, through Dower
    -8.4
    """
    a = np.asarray(area, dtype=np.float64)
    return float(np.degrees(np.arctan2(2.0 / np.sqrt(3.0) * (_LEAD_AVF @ a), _LEAD_I @ a)))


def _jitter_direction(rng: np.random.Generator, direction, sd: float = 0.12) -> tuple[float, ...]:
    return tuple(_unit(_unit(direction) + rng.normal(0.0, sd, 3)).tolist())


def _qrs_kernels(phys: Physiology, rng: np.random.Generator) -> list[Kernel]:
    """Canonical QRS kernels (start fraction, end fraction, direction, relative magnitude) for the conduction."""
    d = phys.qrs_ms
    if phys.conduction == "LBBB":
        spec = [(0.0, 0.55, (0.80, 0.10, 0.55), 0.80), (0.25, 1.0, (0.65, -0.05, 0.75), 0.85)]
    elif phys.conduction == "RBBB":
        spec = [(0.0, 0.22, (-0.45, 0.25, -0.85), 0.12), (0.05, 0.45, (0.55, 0.45, -0.70), 0.55),
                (0.15, 0.60, (0.80, 0.45, 0.40), 0.95), (0.45, 1.0, (-0.70, 0.05, -0.70), 0.50)]
    else:
        lvh = (1.1 if phys.subtle else 1.25) if phys.lvh else 1.0  # hypertrophy enlarges the free-wall forces most
        spec = [(0.0, 0.30, (-0.45, 0.25, -0.85), 0.12), (0.08, 0.62, (0.55, 0.45, -0.70), 0.55),
                (0.25, 0.82, (0.80, 0.45, 0.40), 0.95 * lvh), (0.58, 1.0, (-0.30, -0.45, 0.85), 0.35)]
    kernels = []
    last = len(spec) - 1
    for i, (a, b, direction, mag) in enumerate(spec):
        # inner boundaries vary per patient; the first start (0) and the last end (d) stay exact
        a = a if i == 0 else float(np.clip(a + rng.normal(0.0, 0.03), 0.0, 0.9))
        b = b if i == last else float(np.clip(b + rng.normal(0.0, 0.03), a + 0.15, 1.0))
        vec = np.asarray(_jitter_direction(rng, direction)) * mag * rng.uniform(0.85, 1.15)
        kernels.append(Kernel("QRS", a * d, b * d, tuple(vec.tolist())))
    return kernels


def _q_wave(phys: Physiology, away: np.ndarray, size: float) -> Kernel:
    """Initial forces of an infarct: >= 40 ms pointing away from the dead territory."""
    width = max(0.4 * phys.qrs_ms, 40.0)
    return Kernel("QRS", 0.0, width, tuple((away * size).tolist()))


def _p_kernels(phys: Physiology, rng: np.random.Generator) -> list[Kernel]:
    if phys.af or phys.p_amp_mv <= 0.0:
        return []
    on, d = -phys.pr_ms, phys.p_ms
    ra = Kernel("P", on, on + 0.62 * d, _jitter_direction(rng, (0.25, 0.80, -0.55), 0.1))
    la = Kernel("P", on + 0.38 * d, on + d, _jitter_direction(rng, (0.80, 0.40, 0.45), 0.1))
    beat = BeatDipole((ra, la))
    return list(beat.scaled(phys.p_amp_mv / beat.peak_magnitude("P"), "P").kernels)


def _turn_to_axis(beat: BeatDipole, target_deg: float) -> BeatDipole:
    """Rotate the QRS about Z (the frontal plane) so the net QRS area points at ``target_deg``."""
    ax, ay, az = beat.area("QRS")
    angles = np.arange(-180.0, 180.0, 0.5)
    c, s = np.cos(np.radians(angles)), np.sin(np.radians(angles))
    turned = np.stack([c * ax - s * ay, s * ax + c * ay, np.full_like(c, az)])  # _rot(2, angle) @ area
    axes = np.degrees(np.arctan2(2.0 / np.sqrt(3.0) * (_LEAD_AVF @ turned), _LEAD_I @ turned))
    miss = np.abs((axes - target_deg + 180.0) % 360.0 - 180.0)
    return beat.transformed(_rot(2, float(angles[np.argmin(miss)])), "QRS")


def beat_dipole(phys: Physiology, rng: np.random.Generator) -> BeatDipole:
    """The dipole kernels of one beat of a record with physiology ``phys`` (times relative to QRS onset).

    Example
    -------
    >>> from vaescan.data.synth.clinical import Patient, sample_physiology
    >>> rng = np.random.default_rng(0)
    >>> phys = sample_physiology(Patient(50.0, 0, frozenset({"NORM"})), rng)
    >>> beat = beat_dipole(phys, rng)
    >>> abs(beat.end("QRS") - beat.onset("QRS") - phys.qrs_ms) < 1e-9
    True
    >>> round(beat.peak_magnitude("QRS"), 3) == round(phys.r_amp_mv, 3)
    True
    """
    d, qt = phys.qrs_ms, phys.qt_ms
    subtle = phys.subtle
    decades, male = (phys.age - 50.0) / 10.0, not phys.female

    # Anatomical variation, then the frontal axis, then the voltage. (Subtle table: the heart lies more
    # horizontally with age and turns a little in women.)
    beat = BeatDipole(tuple(_qrs_kernels(phys, rng)))
    tilt_y, tilt_x = (3.0 * phys.female, -2.0 * decades) if subtle else (0.0, 0.0)
    anatomy = _rot(1, rng.normal(tilt_y, 12.0)) @ _rot(0, rng.normal(tilt_x, 8.0))
    beat = _turn_to_axis(beat.transformed(anatomy, "QRS"), phys.axis_deg)
    beat = beat.scaled(1.0 / beat.peak_magnitude("QRS"), "QRS")

    # Infarcts: Q waves (not visible under LBBB, whose initial forces are already abnormal).
    scarred = [wall for stage, wall in ((phys.mi_anterior, ANTERIOR), (phys.mi_inferior, INFERIOR))
               if stage in ("evolving", "old")]
    if scarred and phys.conduction != "LBBB":
        q = _q_wave(phys, -_unit(sum(scarred)), rng.uniform(0.08, 0.2) if subtle else rng.uniform(0.2, 0.35))
        # the dead wall's forces are missing: the others start only halfway through the Q wave
        kernels = [q] + [replace(k, start_ms=max(k.start_ms, 0.5 * q.end_ms)) for k in beat.kernels[1:]]
        if any(wall is ANTERIOR for wall in scarred):  # loss of anterior forces: QS in V1-V3
            kernels[1] = kernels[1].scaled(0.1)
        beat = BeatDipole(tuple(kernels))
    beat = beat.scaled(phys.r_amp_mv / beat.peak_magnitude("QRS"), "QRS")  # the voltage, after any Q wave

    # Direction of T and of the ST plateau.
    mean_qrs = _unit(beat.area("QRS"))
    st = np.array([0.0, 0.0, -rng.uniform(0.0, 0.06)])  # normal J-point elevation in V2-V3
    if subtle:  # higher in men, fading with age
        st[2] -= 0.04 * male * float(np.clip(1.0 - (phys.age - 30.0) / 60.0, 0.2, 1.0))
    if phys.conduction == "LBBB":
        t_dir = -mean_qrs
        st = st - rng.uniform(0.10, 0.20) * mean_qrs
    else:
        t_dir = _unit(mean_qrs + np.array([0.0, 0.1, -0.6]))
        if phys.conduction == "RBBB":
            t_dir = _unit(t_dir + 0.8 * _unit([0.7, -0.05, 0.7]))
        if phys.lvh_strain:
            t_dir = _unit(-mean_qrs + rng.normal(0.0, 0.15, 3))
            st = st - (rng.uniform(0.03, 0.1) if subtle else rng.uniform(0.06, 0.15)) * mean_qrs
    t_gain = 1.0
    for stage, wall in ((phys.mi_anterior, ANTERIOR), (phys.mi_inferior, INFERIOR)):
        if stage in ("acute", "evolving"):
            st = st + (rng.uniform(0.05, 0.16) if subtle else rng.uniform(0.12, 0.32)) * wall
            if stage == "acute":  # hyperacute T
                t_dir, t_gain = _unit(t_dir + (0.3 if subtle else 0.5) * wall), 1.1 if subtle else 1.2
        elif stage == "old":
            t_dir = _unit(t_dir - 1.2 * wall)
        elif stage == "minor":  # realistic table: no Q wave, no injury current
            t_dir = _unit(t_dir - 0.6 * wall)
    t_dir = _unit(t_dir + rng.normal(0.0, 0.08, 3))

    # T: one asymmetric bump (slow rise, fast fall) ending at QT; narrow and symmetric in hyperkalaemia.
    jt = qt - d
    if phys.hyperkalaemia:
        t_width, rise = (0.5 * jt, 0.54) if subtle else (0.42 * jt, 0.5)
    else:
        t_width, rise = 0.6 * jt, float(rng.uniform(0.58, 0.68))
        if subtle:  # slower rise in women and with age
            t_width, rise = (0.6 - 0.02 * phys.female) * jt, rise + 0.008 * decades + 0.02 * phys.female
    t_kernel = Kernel("T", qt - t_width, qt, tuple((t_dir * phys.t_amp_mv * t_gain).tolist()),
                      rise * t_width, (1.0 - rise) * t_width)
    extra = [t_kernel]
    if np.linalg.norm(st) > 1e-6:
        t_peak = t_kernel.peak_ms
        extra.append(Kernel("ST", 0.5 * d, qt, tuple(st.tolist()), 0.5 * d, qt - t_peak))
    return beat.with_kernels(*_p_kernels(phys, rng), *extra)
