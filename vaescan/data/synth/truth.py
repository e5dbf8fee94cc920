"""Ground truth of a synthetic record, defined on the noiseless ventricular dipole.

Each definition mirrors the feature of the same name in
:mod:`vaescan.data.features`, so a measured feature and its truth are the same
quantity (times relative to the exact wave boundaries of :mod:`.dipole`):

=================== ===============================================================
hr_bpm              60000 / median RR (ms) of the beats whose QRS lies inside the record
rr_irregularity     std / mean of those RR intervals (coefficient of variation)
pr_ms               P onset (first P kernel starts) to QRS onset; NaN without P (AF)
qrs_ms              QRS onset to QRS end: earliest start to latest end of any QRS kernel,
                    hence the global QRS (earliest onset in any lead to latest end in any lead)
qt_ms               QRS onset to T end (the last repolarisation kernel ends)
qtc_fridericia_ms   qt_ms / cube root of the median RR in s
axis_deg            frontal axis of the net QRS area: atan2(2/sqrt(3) * aVF, I)
p_amp_mv            largest spatial magnitude of the P-wave dipole (0 without P)
r_amp_mv            largest spatial magnitude of the QRS dipole: the voltage scale
t_amp_mv            largest spatial magnitude of the T-wave dipole (ST plateau excluded)
st_mv_<territory>   mean over the territory's leads of the noiseless lead voltage at
                    J + 60 ms (J = QRS end), relative to the isoelectric line;
                    anterior V1-V4, inferior II, III, aVF, lateral I, aVL, V5, V6
=================== ===============================================================

Spatial magnitudes are those of the Frank-lead dipole; through the Dower
transform a lead sees between about 0.6 and 1.4 times the projection.
"""

from __future__ import annotations

import numpy as np

from vaescan.data.leads import LEADS, TERRITORIES
from vaescan.data.synth.dipole import BeatDipole
from vaescan.data.synth.leadfield import vcg_to_leads
from vaescan.data.synth.morphology import frontal_axis

ST_AFTER_J_MS = 60.0
"""ST deviation is read this long after the J point, as :mod:`vaescan.data.features` reads it."""


def beat_truth(beat: BeatDipole) -> dict[str, float]:
    """Intervals (ms), axis (deg), amplitudes and ST levels (mV) of one beat's dipole.

    Example
    -------
    >>> from vaescan.data.synth.dipole import Kernel
    >>> beat = BeatDipole((Kernel("P", -160, -60, (0, 0.1, 0)), Kernel("QRS", 0, 90, (1, 1, 0)),
    ...                    Kernel("T", 200, 400, (0.3, 0.3, 0))))
    >>> t = beat_truth(beat)
    >>> t["pr_ms"], t["qrs_ms"], t["qt_ms"], round(t["r_amp_mv"], 3)
    (160.0, 90.0, 400.0, 1.414)
    """
    qrs_on, j_point = beat.onset("QRS"), beat.end("QRS")
    st = vcg_to_leads(beat.render(np.array([j_point + ST_AFTER_J_MS])))[0]
    out = {
        "pr_ms": qrs_on - beat.onset("P") if beat.has("P") else float("nan"),
        "qrs_ms": j_point - qrs_on,
        "qt_ms": beat.end("T", "ST") - qrs_on,
        "axis_deg": frontal_axis(beat.area("QRS")),
        "p_amp_mv": beat.peak_magnitude("P"),
        "r_amp_mv": beat.peak_magnitude("QRS"),
        "t_amp_mv": beat.peak_magnitude("T"),
    }
    for territory, leads in TERRITORIES.items():
        out[f"st_mv_{territory}"] = float(np.mean([st[LEADS.index(lead)] for lead in leads]))
    return out


def rhythm_truth(onsets: np.ndarray, fs: float, qrs_ms: float, n_samples: int) -> dict[str, float]:
    """Heart rate (bpm) and RR irregularity of beats starting at sample ``onsets`` whose QRS fits the record.

    Example
    -------
    >>> rhythm_truth(np.array([-100, 400, 900, 1400, 1900]), 500.0, 100.0, 2000)
    {'hr_bpm': 60.0, 'rr_irregularity': 0.0}
    """
    inside = onsets[(onsets >= 0) & (onsets + qrs_ms * fs / 1000.0 <= n_samples - 1)]
    rr = np.diff(inside) * 1000.0 / fs
    if len(rr) == 0:
        return {"hr_bpm": float("nan"), "rr_irregularity": float("nan")}
    return {"hr_bpm": 60000.0 / float(np.median(rr)),
            "rr_irregularity": float(np.std(rr) / np.mean(rr)) if len(rr) > 1 else float("nan")}
