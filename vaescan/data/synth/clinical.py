"""The causal table: age and sex cause labels, and age, sex and labels cause the ECG factors.

A synthetic patient is drawn in two steps, each a documented causal mechanism
(the full table with the reasoning is in ``docs/synthetic_cohort.md``):

1. **Patient**: age (years) and sex (0 male, 1 female); then each label with
   probability ``logistic(logit(prevalence) + age_effect * (age - 60)/10 + sex_effect * s)``
   with ``s = +1/2`` for women and ``-1/2`` for men, so ``prevalence`` is the
   probability at 60 years averaged over sexes. Labels that cannot co-occur
   (:data:`EXCLUSIVE`) are resolved by keeping one of the two at random.
   ``NORM`` is the absence of every other label.
2. **Physiology**: the generative parameters of the ECG (rate, intervals, axis,
   amplitudes, conduction pattern, injury currents), drawn from distributions
   whose means move with age and sex and whose ranges are set by the labels:
   a label's defining factor is always inside its clinical range, and a record
   without that label is always outside it (e.g. PR > 200 ms if and only if AVB1).

Everything is drawn from the ``numpy.random.Generator`` passed in, so a record
is a pure function of its seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LABELS: tuple[str, ...] = ("NORM", "LBBB", "RBBB", "LVH", "MI_ANT", "MI_INF", "AF", "LQT", "HYPERK", "AVB1")
"""Label columns of the synthetic cohort, in order. NORM means none of the others."""

LABEL_DESCRIPTIONS: dict[str, str] = {
    "NORM": "normal ECG: none of the other labels",
    "LBBB": "left bundle branch block: QRS 130-170 ms, broad notched R in I, aVL, V5, V6, QS in V1, "
            "discordant ST-T",
    "RBBB": "right bundle branch block: QRS 122-155 ms, terminal rightward-anterior forces (rsR' in V1, "
            "wide S in I and V6), T inverted in V1-V2",
    "LVH": "left ventricular hypertrophy: QRS voltage x1.5-2.1 (QRS dipole >= 2.2 mV), QRS +5-12 ms, "
           "left axis shift, strain (lateral ST depression, T inversion) in 60 %",
    "MI_ANT": "anterior myocardial infarction: ST elevation in V1-V4 (acute), Q waves in V1-V3 (old), or both",
    "MI_INF": "inferior myocardial infarction: ST elevation in II, III, aVF (acute), Q waves there (old), "
              "or both",
    "AF": "atrial fibrillation: irregular RR (CV 0.12-0.28), no P wave, fibrillatory waves 4-8 Hz",
    "LQT": "long QT: QTc (Fridericia) 485-545 ms",
    "HYPERK": "hyperkalaemia: tall, narrow, peaked T (T x2-3, T dipole 0.8-1.5 mV), flat P, QRS +0-8 ms",
    "AVB1": "first-degree AV block: PR 210-300 ms",
}

RISK: dict[str, tuple[float, float, float]] = {
    # label: (default prevalence at 60 y, log-odds per decade of age, log-odds female vs male)
    "LBBB": (0.05, 0.35, 0.0),
    "RBBB": (0.05, 0.30, -0.4),
    "LVH": (0.09, 0.30, -0.4),
    "MI_ANT": (0.06, 0.40, -0.7),
    "MI_INF": (0.06, 0.40, -0.7),
    "AF": (0.08, 0.70, -0.3),
    "LQT": (0.05, 0.10, 0.6),
    "HYPERK": (0.05, 0.30, 0.0),
    "AVB1": (0.07, 0.40, -0.3),
}
"""How age and sex cause each label (logistic model; see the module docstring)."""

EXCLUSIVE: tuple[tuple[str, str], ...] = (("LBBB", "RBBB"), ("AF", "AVB1"), ("LQT", "HYPERK"))
"""Label pairs that cannot co-occur: one bundle-branch block at a time; no PR (so no AV block) in AF;
hyperkalaemia shortens repolarisation, long QT lengthens it."""

AGE_RANGE: tuple[float, float] = (18.0, 95.0)
AGE_MEAN, AGE_SD = 58.0, 16.0
TP_MIN_MS = 40.0
"""Shortest TP segment (T end to next P onset) in sinus rhythm: the heart rate is lowered until it fits."""
AF_DIASTOLE_MIN_MS = 80.0
"""Shortest gap from T end to the next QRS in atrial fibrillation (RR intervals are clipped to it)."""
QRS_NORMAL_MAX_MS = 116.0
"""Longest QRS without a bundle-branch block (complete block starts at 120 ms)."""
LVH_VOLTAGE_MV = 2.2
"""LVH's voltage criterion on the QRS dipole: r_amp_mv >= 2.2 with LVH, <= 2.1 without."""
PEAKED_T_MV = 0.8
"""Hyperkalaemia's criterion on the T dipole: t_amp_mv >= 0.8 with HYPERK, below it without."""
QT_MAX_MS = 560.0
"""Longest QT, so that the T wave ends inside the -400..+600 ms median-beat window."""


@dataclass(frozen=True)
class Patient:
    """Age (years), sex (0 male, 1 female) and the set of labels of one synthetic patient."""

    age: float
    sex: int
    labels: frozenset[str]

    def has(self, label: str) -> bool:
        """Whether the patient carries ``label``."""
        return label in self.labels


@dataclass(frozen=True)
class Physiology:
    """Generative parameters of one record's ECG (targets; the ground truth is measured from the result).

    Times in ms, rates in bpm, amplitudes in mV of the dipole (Frank X, Y, Z),
    axis in degrees. ``conduction`` is ``normal``, ``LBBB`` or ``RBBB``;
    ``mi_anterior``/``mi_inferior`` are ``""``, ``acute`` (ST elevation),
    ``evolving`` (ST elevation and Q waves), ``old`` (Q waves, T inversion) or, in the realistic table,
    ``minor`` (T turned away from the wall only). ``pac_prob``: probability that a sinus beat is a premature
    atrial beat; ``subtle``: the ``realistic`` causal table's smaller morphology effects (:mod:`.morphology`),
    which also read ``age`` (years) and ``female``.
    """

    hr_bpm: float
    sinus_arrhythmia: float
    resp_hz: float
    af_rr_cv: float
    pr_ms: float
    p_ms: float
    qrs_ms: float
    qt_ms: float
    axis_deg: float
    p_amp_mv: float
    r_amp_mv: float
    t_amp_mv: float
    conduction: str
    lvh: bool
    lvh_strain: bool
    mi_anterior: str
    mi_inferior: str
    hyperkalaemia: bool
    f_amp_mv: float
    f_hz: float
    pac_prob: float = 0.0
    subtle: bool = False
    age: float = 60.0
    female: bool = False

    @property
    def af(self) -> bool:
        """Atrial fibrillation: no P wave, irregular rhythm."""
        return self.af_rr_cv > 0


def _logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))


def label_probability(label: str, age: float, sex: int, prevalence: float | None = None) -> float:
    """Probability of ``label`` for a patient of ``age`` years and ``sex`` under :data:`RISK`.

    Example
    -------
    >>> round(label_probability("AF", 60.0, 0), 3), round(label_probability("AF", 80.0, 0), 3)
    (0.092, 0.291)
    """
    base, per_decade, female = RISK[label]
    p = base if prevalence is None else prevalence
    if p <= 0.0:
        return 0.0
    z = _logit(min(p, 1 - 1e-9)) + per_decade * (age - 60.0) / 10.0 + female * (sex - 0.5)
    return float(1.0 / (1.0 + np.exp(-z)))


def sample_patient(rng: np.random.Generator, prevalence: dict[str, float] | None = None) -> Patient:
    """Draw age, sex and labels (see the module docstring).

    ``prevalence`` overrides :data:`RISK`'s default prevalence per label.

    Example
    -------
    >>> p = sample_patient(np.random.default_rng(0))
    >>> 18 <= p.age <= 95, p.sex in (0, 1), p.labels <= set(LABELS)
    (True, True, True)
    """
    prevalence = prevalence or {}
    age = float(np.clip(rng.normal(AGE_MEAN, AGE_SD), *AGE_RANGE))
    sex = int(rng.random() < 0.5)
    u = rng.random(len(RISK))
    labels = {lab for lab, ui in zip(RISK, u) if ui < label_probability(lab, age, sex, prevalence.get(lab))}
    coin = rng.random(len(EXCLUSIVE))
    for (a, b), c in zip(EXCLUSIVE, coin):
        if a in labels and b in labels:
            labels.discard(b if c < 0.5 else a)
    if not labels:
        labels = {"NORM"}
    return Patient(round(age, 1), sex, frozenset(labels))


def _mi_stage(rng: np.random.Generator) -> str:
    return str(rng.choice(("acute", "evolving", "old"), p=(0.4, 0.3, 0.3)))


def _realistic_mi_stage(rng: np.random.Generator) -> str:
    """The realistic table adds ``minor`` infarcts (no Q wave, no ST elevation, only T turned from the wall)."""
    return str(rng.choice(("acute", "evolving", "old", "minor"), p=(0.3, 0.25, 0.25, 0.2)))


def _fit_rate(hr: float, qt_at, af: bool, af_cv: float, sinus_arrhythmia: float, pr: float) -> float:
    """Lower the rate until the next P wave (sinus) or QRS (AF) cannot fall on this beat's T wave.

    (In AF the shortest RR intervals are also clipped to QT + AF_DIASTOLE_MIN_MS by the rhythm.)"""
    for _ in range(200):
        rr = 60000.0 / hr
        if af and rr * (1.0 - af_cv) >= qt_at(hr) + AF_DIASTOLE_MIN_MS:
            break
        if not af and rr * (1.0 - 2.0 * sinus_arrhythmia) >= qt_at(hr) + TP_MIN_MS + pr:
            break
        hr *= 0.98
    return hr


def misread_labels(labels: frozenset[str], rate: float, rng: np.random.Generator) -> frozenset[str]:
    """The labels a reader records for a patient whose true labels are ``labels``: with probability ``rate``
    one of the nine diagnostic labels (:data:`RISK`), chosen at random, is flipped (missed if present, added
    if absent); ``NORM`` is then the absence of every other recorded label. Draws nothing when ``rate`` is 0.

    Example
    -------
    >>> sorted(misread_labels(frozenset({"AF"}), 1.0, np.random.default_rng(0)))
    ['AF', 'MI_INF']
    >>> misread_labels(frozenset({"AF"}), 0.0, np.random.default_rng(0)) == {"AF"}
    True
    """
    if rate <= 0.0 or rng.random() >= rate:
        return labels
    label = str(rng.choice(list(RISK)))
    recorded = (set(labels) - {"NORM"}) ^ {label}
    return frozenset(recorded or {"NORM"})


def sample_physiology(patient: Patient, rng: np.random.Generator, difficulty: str = "easy") -> Physiology:
    """Draw the generative parameters of the ECG of ``patient`` (the causal table, step 2).

    ``difficulty="realistic"``: the subtle table of :func:`realistic_physiology`.

    Example
    -------
    >>> rng = np.random.default_rng(1)
    >>> phys = sample_physiology(Patient(70.0, 1, frozenset({"AVB1"})), rng)
    >>> phys.pr_ms > 200, phys.conduction
    (True, 'normal')
    """
    if difficulty == "realistic":
        return realistic_physiology(patient, rng)
    age, female, has = patient.age, patient.sex == 1, patient.has
    decades = (age - 50.0) / 10.0
    af = has("AF")

    # Rhythm. Women have slightly faster resting rates; sinus arrhythmia fades with age.
    if af:
        hr = float(np.clip(rng.normal(92.0, 16.0), 62.0, 140.0))
        af_cv = float(rng.uniform(0.12, 0.28))
        sinus_arrhythmia = 0.0
    else:
        hr = float(np.clip(rng.normal(69.0 + 3.0 * female - 0.5 * decades, 10.0), 48.0, 105.0))
        af_cv = 0.0
        sinus_arrhythmia = float(np.clip(rng.normal(0.035 - 0.005 * decades, 0.012), 0.005, 0.07))
    resp_hz = float(rng.uniform(0.2, 0.33))

    # Conduction. PR lengthens with age and is longer in men.
    if af:
        pr = float("nan")
    elif has("AVB1"):
        pr = float(rng.uniform(210.0, 300.0))
    else:
        pr = float(np.clip(rng.normal(152.0 + 4.0 * decades + 4.0 * (not female), 15.0), 120.0, 196.0))
    p_ms = float(np.clip(rng.normal(100.0, 9.0), 80.0, 118.0))
    if np.isfinite(pr):
        p_ms = min(p_ms, pr - 30.0)  # a PR segment of at least 30 ms

    conduction = "LBBB" if has("LBBB") else "RBBB" if has("RBBB") else "normal"
    if conduction == "LBBB":
        qrs = float(rng.uniform(130.0, 170.0))
    elif conduction == "RBBB":
        qrs = float(rng.uniform(122.0, 155.0))
    else:
        qrs = float(np.clip(rng.normal(90.0 + 7.0 * (not female), 7.0), 74.0, 108.0))
        if has("LVH"):
            qrs += float(rng.uniform(5.0, 12.0))
        if has("HYPERK"):
            qrs += float(rng.uniform(0.0, 8.0))
        qrs = min(qrs, QRS_NORMAL_MAX_MS)

    # Repolarisation: QTc (Fridericia) longer in women and with age; a wide QRS lengthens QT by its excess.
    if has("LQT"):
        qtc = float(rng.uniform(485.0, 545.0))
    elif has("HYPERK"):
        qtc = float(np.clip(rng.normal(392.0, 14.0), 360.0, 430.0))
    else:
        qtc = float(np.clip(rng.normal(402.0 + 12.0 * female + 2.5 * decades, 14.0), 360.0,
                            447.0 + 8.0 * female))
    widening = max(0.0, qrs - 105.0) if conduction != "normal" else 0.0

    def qt_at(rate: float) -> float:
        return min(qtc * np.cbrt(60.0 / rate) + widening, QT_MAX_MS)

    hr = _fit_rate(hr, qt_at, af, af_cv, sinus_arrhythmia, pr)
    qt = float(qt_at(hr))

    # Frontal axis moves left with age, LVH and left bundle branch block.
    axis = rng.normal(58.0 - 4.0 * decades, 18.0)
    if has("LVH"):
        axis -= 15.0
    if conduction == "LBBB":
        axis = rng.normal(-5.0, 25.0)
    axis = float(np.clip(axis, -45.0, 105.0))

    # Amplitudes of the dipole (mV): QRS voltage lower in women and falls with age; LVH raises it.
    # LVH multiplies the patient's own voltage and always meets the voltage criterion.
    r_amp = float(np.clip(rng.normal(1.6 - 0.06 * decades - 0.2 * female, 0.3), 0.8, LVH_VOLTAGE_MV - 0.1))
    if has("LVH"):
        r_amp = float(np.clip(r_amp * rng.uniform(1.5, 2.1), LVH_VOLTAGE_MV, 4.0))
    t_amp = float(np.clip(rng.normal(0.42 - 0.02 * decades - 0.06 * female, 0.08), 0.2, 0.65))
    if has("HYPERK"):
        t_amp = float(np.clip(t_amp * rng.uniform(2.0, 3.0), PEAKED_T_MV, 1.5))
    if has("LQT"):
        t_amp *= 0.8
    p_amp = 0.0 if af else float(np.clip(rng.normal(0.13, 0.03), 0.07, 0.22))
    if has("HYPERK"):
        p_amp *= 0.5

    return Physiology(
        hr_bpm=hr, sinus_arrhythmia=sinus_arrhythmia, resp_hz=resp_hz, af_rr_cv=af_cv,
        pr_ms=pr, p_ms=p_ms, qrs_ms=qrs, qt_ms=qt, axis_deg=axis,
        p_amp_mv=p_amp, r_amp_mv=r_amp, t_amp_mv=t_amp, conduction=conduction,
        lvh=has("LVH"), lvh_strain=bool(has("LVH") and rng.random() < 0.6),
        mi_anterior=_mi_stage(rng) if has("MI_ANT") else "",
        mi_inferior=_mi_stage(rng) if has("MI_INF") else "",
        hyperkalaemia=has("HYPERK"),
        f_amp_mv=float(rng.uniform(0.04, 0.12)) if af else 0.0,
        f_hz=float(rng.uniform(4.5, 8.0)) if af else 0.0,
    )


def realistic_physiology(patient: Patient, rng: np.random.Generator) -> Physiology:
    """The ``realistic`` causal table: signatures that overlap normal variation (docs/synthetic_cohort.md).

    AF is defined by its rhythm alone (irregular RR, no P wave, fine fibrillatory waves) at the sinus rate
    distribution; sinus rhythm has stronger respiratory arrhythmia and, in a quarter of records, premature
    atrial beats, so irregularity alone does not give AF away. LVH, MI, hyperkalaemia, long QT and AV block
    have smaller effects whose ranges overlap the normal ones (LVH without a voltage criterion; a fifth of
    infarcts ``minor``: only the T wave turns away from the wall); age and sex
    move many quantities a little (intervals, P wave, voltage, T shape, J point, heart position).

    Example
    -------
    >>> phys = realistic_physiology(Patient(70.0, 1, frozenset({"AF"})), np.random.default_rng(1))
    >>> phys.af, phys.p_amp_mv, phys.subtle
    (True, 0.0, True)
    """
    age, female, has = patient.age, patient.sex == 1, patient.has
    decades = (age - 50.0) / 10.0
    af = has("AF")

    # Rhythm: AF at the same rate as sinus rhythm; sinus arrhythmia stronger in the young; premature beats.
    hr = float(np.clip(rng.normal(70.0 + 2.0 * female - 0.5 * decades, 11.0), 48.0, 110.0))
    if af:
        af_cv = float(rng.uniform(0.07, 0.2))
        sinus_arrhythmia, pac_prob = 0.0, 0.0
    else:
        af_cv = 0.0
        sinus_arrhythmia = float(np.clip(rng.normal(0.05 - 0.008 * decades, 0.025), 0.005, 0.12))
        pac_prob = float(rng.uniform(0.05, 0.2)) if rng.random() < 0.25 else 0.0
    resp_hz = float(rng.uniform(0.2, 0.33))

    # Conduction: AV block just past 200 ms; the normal PR reaches 198 ms.
    if af:
        pr = float("nan")
    elif has("AVB1"):
        pr = float(rng.uniform(204.0, 250.0))
    else:
        pr = float(np.clip(rng.normal(154.0 + 2.0 * decades + 2.0 * (not female), 18.0), 116.0, 198.0))
    p_ms = float(np.clip(rng.normal(98.0 + 1.5 * decades + 2.0 * (not female), 9.0), 80.0, 120.0))
    if np.isfinite(pr):
        p_ms = min(p_ms, pr - 30.0)

    conduction = "LBBB" if has("LBBB") else "RBBB" if has("RBBB") else "normal"
    if conduction == "LBBB":
        qrs = float(rng.uniform(124.0, 165.0))
    elif conduction == "RBBB":
        qrs = float(rng.uniform(120.0, 150.0))
    else:
        qrs = float(np.clip(rng.normal(92.0 + 3.0 * (not female) + 0.5 * decades, 8.0), 72.0, 112.0))
        if has("LVH"):
            qrs += float(rng.uniform(0.0, 8.0))
        if has("HYPERK"):
            qrs += float(rng.uniform(0.0, 4.0))
        qrs = min(qrs, QRS_NORMAL_MAX_MS)

    # Repolarisation: long QT from 448 ms overlaps the upper normal range (women up to 455 ms).
    if has("LQT"):
        qtc = float(rng.uniform(448.0, 510.0))
    elif has("HYPERK"):
        qtc = float(np.clip(rng.normal(396.0, 15.0), 360.0, 440.0))
    else:
        qtc = float(np.clip(rng.normal(405.0 + 6.0 * female + 1.5 * decades, 15.0), 360.0, 447.0 + 8.0 * female))
    widening = max(0.0, qrs - 105.0) if conduction != "normal" else 0.0

    def qt_at(rate: float) -> float:
        return min(qtc * np.cbrt(60.0 / rate) + widening, QT_MAX_MS)

    # (A premature beat's P may fall on the T wave, as it does; the rhythm keeps its QRS off the T wave.)
    hr = _fit_rate(hr, qt_at, af, af_cv, sinus_arrhythmia, pr)
    qt = float(qt_at(hr))

    axis = rng.normal(55.0 - 3.0 * decades, 20.0)
    if has("LVH"):
        axis -= 8.0
    if conduction == "LBBB":
        axis = rng.normal(-5.0, 25.0)
    axis = float(np.clip(axis, -45.0, 105.0))

    # LVH raises the patient's own voltage by 15-60 %: no voltage criterion separates it from normal.
    r_amp = float(np.clip(rng.normal(1.6 - 0.05 * decades - 0.12 * female, 0.35), 0.7, 3.0))
    if has("LVH"):
        r_amp = float(np.clip(r_amp * rng.uniform(1.15, 1.6), 0.9, 4.0))
    t_amp = float(np.clip(rng.normal(0.42 - 0.015 * decades - 0.04 * female, 0.09), 0.18, 0.7))
    if has("HYPERK"):
        t_amp = float(np.clip(t_amp * rng.uniform(1.3, 2.0), 0.3, 1.2))
    if has("LQT"):
        t_amp *= 0.85
    p_amp = 0.0 if af else float(np.clip(rng.normal(0.13 - 0.004 * decades, 0.03), 0.06, 0.22))
    if has("HYPERK"):
        p_amp *= 0.7

    return Physiology(
        hr_bpm=hr, sinus_arrhythmia=sinus_arrhythmia, resp_hz=resp_hz, af_rr_cv=af_cv,
        pr_ms=pr, p_ms=p_ms, qrs_ms=qrs, qt_ms=qt, axis_deg=axis,
        p_amp_mv=p_amp, r_amp_mv=r_amp, t_amp_mv=t_amp, conduction=conduction,
        lvh=has("LVH"), lvh_strain=bool(has("LVH") and rng.random() < 0.35),
        mi_anterior=_realistic_mi_stage(rng) if has("MI_ANT") else "",
        mi_inferior=_realistic_mi_stage(rng) if has("MI_INF") else "",
        hyperkalaemia=has("HYPERK"),
        f_amp_mv=float(rng.uniform(0.02, 0.07)) if af else 0.0,
        f_hz=float(rng.uniform(4.5, 8.0)) if af else 0.0,
        pac_prob=pac_prob, subtle=True, age=age, female=female,
    )
