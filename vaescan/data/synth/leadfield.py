"""From the cardiac dipole to the 12 standard leads: the Dower transform and the limb-lead identities.

The heart is modelled as one time-varying current dipole, written as the
vectorcardiogram (VCG) in Frank's orthogonal leads X (right to left), Y (head to
feet) and Z (front to back), in mV. Dower et al. (1980) published the linear
lead-field transform from Frank's X, Y, Z to the eight independent leads of the
12-lead ECG (I, II, V1..V6); its pseudo-inverse (the "inverse Dower" of
Edenbrandt and Pahlm, 1988) is the usual 12-lead to VCG transform.

The four remaining leads are not projected from the dipole: they are derived
from I and II exactly as an electrocardiograph derives them (Einthoven and
Goldberger), after any electrode noise has been added, so that
``III = II - I``, ``aVR = -(I + II)/2``, ``aVL = I - II/2`` and ``aVF = II - I/2``
hold in every record.

References
----------
Dower GE, Machado HB, Osborne JA. On deriving the electrocardiogram from
vectorcardiographic leads. Clin Cardiol 1980;3:87-95.
Edenbrandt L, Pahlm O. Vectorcardiogram synthesized from a 12-lead ECG:
superiority of the inverse Dower matrix. J Electrocardiol 1988;21:361-7.
"""

from __future__ import annotations

import numpy as np

INDEPENDENT_LEADS: tuple[str, ...] = ("I", "II", "V1", "V2", "V3", "V4", "V5", "V6")
"""The eight leads the Dower transform gives; the other four follow from I and II."""

DOWER: np.ndarray = np.array([
    # X       Y       Z
    [0.632, -0.235, 0.059],   # I
    [0.235, 1.066, -0.132],   # II
    [-0.515, 0.157, -0.917],  # V1
    [0.044, 0.164, -1.387],   # V2
    [0.882, 0.098, -1.277],   # V3
    [1.213, 0.127, -0.601],   # V4
    [1.125, 0.127, -0.086],   # V5
    [0.831, 0.076, 0.230],    # V6
])
"""Dower (1980) transform: rows :data:`INDEPENDENT_LEADS`, columns Frank X, Y, Z (lead mV per dipole mV)."""

ELECTRODES: tuple[str, ...] = ("RA", "LA", "LL", "V1", "V2", "V3", "V4", "V5", "V6")
"""Electrodes of the standard 12-lead ECG (the right-leg electrode is the ground and carries no lead)."""


def vcg_to_independent(vcg: np.ndarray) -> np.ndarray:
    """Project a dipole (samples, 3: Frank X, Y, Z in mV) onto leads I, II, V1..V6 (samples, 8) in mV.

    Example
    -------
    >>> vcg_to_independent(np.array([[1.0, 0.0, 0.0]]))[0, :2].tolist()   # a leftward dipole
    [0.632, 0.235]
    """
    return np.asarray(vcg, dtype=np.float64) @ DOWER.T


def electrodes_to_independent(potentials: np.ndarray) -> np.ndarray:
    """Leads I, II, V1..V6 (samples, 8) from electrode potentials (samples, 9 in :data:`ELECTRODES` order).

    I = LA - RA, II = LL - RA, Vi = Vi - (RA + LA + LL)/3 (Wilson's central terminal).
    Used to put noise where it arises, at the electrodes.

    Example
    -------
    >>> p = np.zeros((1, 9)); p[0, 0] = 0.3                               # only RA moves
    >>> np.round(electrodes_to_independent(p)[0], 3).tolist()
    [-0.3, -0.3, -0.1, -0.1, -0.1, -0.1, -0.1, -0.1]
    """
    p = np.asarray(potentials, dtype=np.float64)
    ra, la, ll = p[:, 0], p[:, 1], p[:, 2]
    wilson = (ra + la + ll) / 3.0
    return np.column_stack([la - ra, ll - ra, p[:, 3:] - wilson[:, None]])


def independent_to_leads(independent: np.ndarray) -> np.ndarray:
    """All 12 leads (samples, 12, :data:`~vaescan.data.leads.LEADS` order) from I, II, V1..V6 (samples, 8).

    III, aVR, aVL and aVF come from I and II by Einthoven's and Goldberger's
    identities, so they hold exactly.

    Example
    -------
    >>> from vaescan.data.leads import LEADS
    >>> leads = independent_to_leads(np.array([[1.0, 0.4, 0, 0, 0, 0, 0, 0]]))
    >>> dict(zip(LEADS[:6], np.round(leads[0, :6], 3).tolist()))
    {'I': 1.0, 'II': 0.4, 'III': -0.6, 'aVR': -0.7, 'aVL': 0.8, 'aVF': -0.1}
    """
    x = np.asarray(independent, dtype=np.float64)
    lead_i, lead_ii = x[:, 0], x[:, 1]
    limb = np.column_stack([
        lead_i, lead_ii, lead_ii - lead_i, -(lead_i + lead_ii) / 2.0, lead_i - lead_ii / 2.0,
        lead_ii - lead_i / 2.0,
    ])
    return np.column_stack([limb, x[:, 2:]])


def vcg_to_leads(vcg: np.ndarray) -> np.ndarray:
    """The 12-lead ECG (samples, 12) of a noiseless dipole (samples, 3), in mV.

    Example
    -------
    >>> from vaescan.data.leads import LEADS
    >>> leads = vcg_to_leads(np.array([[0.0, 1.0, 0.0]]))                # an inferior dipole
    >>> round(float(leads[0, LEADS.index("aVF")]), 3), round(float(leads[0, LEADS.index("aVL")]), 3)
    (1.183, -0.768)
    """
    return independent_to_leads(vcg_to_independent(vcg))
