import numpy as np
import pytest

from vaescan.data.leads import LEADS
from vaescan.data.synth.leadfield import (
    DOWER,
    electrodes_to_independent,
    independent_to_leads,
    vcg_to_independent,
    vcg_to_leads,
)


def _lead(leads: np.ndarray, name: str) -> np.ndarray:
    return leads[:, LEADS.index(name)]


def test_limb_leads_obey_einthoven_and_goldberger_exactly():
    vcg = np.random.default_rng(0).normal(size=(1000, 3))
    leads = vcg_to_leads(vcg)
    i, ii = _lead(leads, "I"), _lead(leads, "II")
    np.testing.assert_allclose(_lead(leads, "III"), ii - i, atol=1e-12)
    np.testing.assert_allclose(_lead(leads, "aVR"), -(i + ii) / 2, atol=1e-12)
    np.testing.assert_allclose(_lead(leads, "aVL"), i - ii / 2, atol=1e-12)
    np.testing.assert_allclose(_lead(leads, "aVF"), ii - i / 2, atol=1e-12)
    # Goldberger: the augmented leads sum to zero
    np.testing.assert_allclose(_lead(leads, "aVR") + _lead(leads, "aVL") + _lead(leads, "aVF"), 0, atol=1e-12)


def test_dower_projection_is_the_published_matrix():
    # Dower (1980): V2 = 0.044 X + 0.164 Y - 1.387 Z; an anterior dipole (-Z) is positive in V1-V3
    leads = vcg_to_independent(np.array([[0.0, 0.0, -1.0]]))[0]
    assert leads[3] == pytest.approx(1.387)
    assert (leads[2:5] > 0).all()
    # the transform has full rank, so the 12 leads determine the dipole (its pseudo-inverse is the inverse Dower)
    vcg = np.random.default_rng(1).normal(size=(50, 3))
    np.testing.assert_allclose(vcg_to_independent(vcg) @ np.linalg.pinv(DOWER).T, vcg, atol=1e-12)


def test_common_mode_electrode_noise_cancels_in_every_lead():
    rng = np.random.default_rng(2)
    common = rng.normal(size=(500, 1))
    assert np.abs(electrodes_to_independent(np.repeat(common, 9, axis=1))).max() < 1e-12
    # a potential on one precordial electrode shows only in its own lead
    p = np.zeros((1, 9))
    p[0, 5] = 0.5  # V3
    np.testing.assert_allclose(electrodes_to_independent(p)[0], [0, 0, 0, 0, 0.5, 0, 0, 0])
    # independent leads -> 12 leads keeps I, II and V1..V6 as given
    x = rng.normal(size=(10, 8))
    out = independent_to_leads(x)
    np.testing.assert_array_equal(out[:, :2], x[:, :2])
    np.testing.assert_array_equal(out[:, 6:], x[:, 2:])
