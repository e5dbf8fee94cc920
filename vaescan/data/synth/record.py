"""One synthetic record: draw the patient, build the beat, lay out the rhythm, add noise, measure the truth.

The record's random streams come from ``numpy.random.SeedSequence([seed, index])``,
split into independent streams for the patient, the beat shape, the rhythm
and the noise. A record is therefore a pure function of (seed, index, config):
records can be made in any order or in parallel, and changing only the noise
settings gives the same patients and beats with different noise.
"""

from __future__ import annotations

import numpy as np

from vaescan.data.leads import LEADS
from vaescan.data.records import Record
from vaescan.data.synth.clinical import LABELS, misread_labels, sample_patient, sample_physiology
from vaescan.data.synth.config import SynthConfig
from vaescan.data.synth.leadfield import independent_to_leads, vcg_to_independent
from vaescan.data.synth.morphology import beat_dipole
from vaescan.data.synth.noise import NoiseLevels, lead_noise
from vaescan.data.synth.rhythm import beat_gains, beat_onsets, fibrillation_dipole
from vaescan.data.synth.truth import beat_truth, rhythm_truth

FACTORS: tuple[str, ...] = (
    "hr_bpm", "rr_irregularity", "pr_ms", "qrs_ms", "qt_ms", "axis_deg",
    "p_amp_mv", "r_amp_mv", "t_amp_mv", "st_mv_anterior", "st_mv_inferior", "st_mv_lateral",
)
"""Ground-truth morphology and rhythm factors (``metadata.csv`` columns; definitions in :mod:`.truth`)."""

TRUE_LABEL_COLUMNS: tuple[str, ...] = tuple(f"true_{label}" for label in LABELS) + ("label_misread",)
"""The true cause of every label (0/1) beside the recorded label columns, and whether the record's labels were
misread (``SynthConfig.label_noise``); without label noise the recorded labels are the true ones."""

SUBTYPE_COLUMNS: tuple[str, ...] = ("mi_ant_stage", "mi_inf_stage", "lvh_strain")
"""How a label shows: infarct stage (``none``, ``acute``: ST elevation, ``evolving``: ST elevation and
Q waves, ``old``: Q waves and T inversion, and in the realistic table ``minor``: T turned away from the wall
only) per territory, and LVH strain (0/1)."""

NOISE_COLUMNS: tuple[str, ...] = ("noise_wander_mv", "noise_powerline_mv", "noise_muscle_mv", "snr_db")
"""Per-record noise levels (RMS at each electrode, mV) and the resulting signal-to-noise ratio (dB)."""

_DECIMALS = {"_mv": 5, "_ms": 3, "_bpm": 3, "_deg": 3, "_db": 3, "irregularity": 5}


def _rounded(name: str, value: float) -> float:
    """Round a truth value so ``metadata.csv`` (6 significant digits) stores exactly the in-memory number."""
    for unit, decimals in _DECIMALS.items():
        if unit in name:
            return round(float(value), decimals)
    raise KeyError(f"no rounding rule for {name}")


def _place(template: np.ndarray, first: int, onsets: np.ndarray, gains: np.ndarray, n: int) -> np.ndarray:
    """Sum of ``template`` (L, 3) copies, scaled by ``gains``, starting ``first`` samples from each onset."""
    out = np.zeros((n, template.shape[1]))
    length = template.shape[0]
    for onset, gain in zip(onsets, gains):
        a = onset + first
        lo, hi = max(a, 0), min(a + length, n)
        if hi > lo:
            out[lo:hi] += gain * template[lo - a: hi - a]
    return out


def simulate_record(index: int, seed: int, config: SynthConfig = SynthConfig()) -> tuple[Record, dict]:
    """Record number ``index`` (0-based) of the cohort with ``seed``, and its ground-truth row.

    The signal (samples, 12 leads in :data:`~vaescan.data.leads.LEADS` order) is in
    mV, quantised to 1 uV exactly as WFDB stores it. The row holds age, sex,
    the 0/1 label columns, the factors :data:`FACTORS`, ``qtc_fridericia_ms``,
    :data:`SUBTYPE_COLUMNS`, :data:`NOISE_COLUMNS` and :data:`TRUE_LABEL_COLUMNS` (the cohort adds ids, split
    and seed). The label columns are the recorded labels (misread at ``config.label_noise``).

    Example
    -------
    >>> rec, row = simulate_record(0, seed=1)
    >>> rec.signal.shape, rec.fs, row["qrs_ms"] > 0
    ((5000, 12), 500.0, True)
    """
    streams = np.random.SeedSequence([int(seed), int(index)]).spawn(5)  # the first four as before label noise
    rng_patient, rng_beat, rng_rhythm, rng_noise, rng_reader = (np.random.default_rng(s) for s in streams)
    fs, n = float(config.fs), int(round(config.duration_s * config.fs))

    patient = sample_patient(rng_patient, config.prevalence)
    phys = sample_physiology(patient, rng_patient, config.difficulty)
    recorded = misread_labels(patient.labels, config.label_noise, rng_reader)
    beat = beat_dipole(phys, rng_beat)

    onsets = beat_onsets(phys, config.duration_s * 1000.0, fs, rng_rhythm)
    gains = beat_gains(onsets, phys, fs, rng_rhythm)
    first = int(np.floor(beat.onset("P", "QRS") * fs / 1000.0))
    last = int(np.ceil(beat.end("T", "ST") * fs / 1000.0))
    template = beat.render(np.arange(first, last + 1) * 1000.0 / fs)
    dipole = _place(template, first, onsets, gains, n) + fibrillation_dipole(phys, n, fs, rng_rhythm)
    clean = vcg_to_independent(dipole)

    noise = config.noise
    levels = NoiseLevels(*(float(rng_noise.uniform(*getattr(noise, name)))
                           for name in ("wander_mv", "powerline_mv", "muscle_mv")))
    noisy = clean + lead_noise(n, fs, levels, noise.powerline_hz, rng_noise)
    # Quantise the recorded leads to 1 uV, derive the other four, and quantise those too: III = II - I
    # holds exactly and aVR, aVL, aVF within 0.5 uV in the stored integers.
    leads = np.round(independent_to_leads(np.round(noisy * 1000.0) / 1000.0) * 1000.0) / 1000.0
    reference = independent_to_leads(clean)
    noise_power = float(np.sum((leads - reference) ** 2))
    snr_db = 10.0 * np.log10(float(np.sum(reference**2)) / noise_power) if noise_power > 0 else float("inf")

    row: dict = {"age": patient.age, "sex": patient.sex}
    row.update({label: int(label in recorded) for label in LABELS})
    truth = {**rhythm_truth(onsets, fs, phys.qrs_ms, n), **beat_truth(beat)}
    truth["qtc_fridericia_ms"] = truth["qt_ms"] / np.cbrt(60.0 / truth["hr_bpm"])
    truth.update(noise_wander_mv=levels.wander_mv, noise_powerline_mv=levels.powerline_mv,
                 noise_muscle_mv=levels.muscle_mv, snr_db=snr_db)
    row.update({name: _rounded(name, truth[name]) for name in (*FACTORS, "qtc_fridericia_ms")})
    row.update(mi_ant_stage=phys.mi_anterior or "none", mi_inf_stage=phys.mi_inferior or "none",
               lvh_strain=int(phys.lvh_strain))
    row.update({name: _rounded(name, truth[name]) for name in NOISE_COLUMNS})
    row.update({f"true_{label}": int(patient.has(label)) for label in LABELS})
    row["label_misread"] = int(recorded != patient.labels)

    name = f"{index + 1:05d}"
    labels = ",".join(label for label in LABELS if row[label])
    comments = [f"vaescan synthetic ECG: seed {seed}, index {index}, labels {labels}, "
                f"age {patient.age:g}, sex {'F' if patient.sex else 'M'}"]
    return Record(leads, fs, list(LEADS), name=name, comments=comments), row
