"""Lead relations on records digitised from rendered pages: right names confirmed, swapped names flagged."""

from __future__ import annotations

import numpy as np
import pytest

from vaescan.data.leads import LEADS
from vaescan.digitize.evaluate import eval_records
from vaescan.digitize.lead_checks import RELATION_THRESHOLD, lead_checks, relation_weights
from vaescan.digitize.pipeline import image_digitize
from vaescan.pages.render import PageStyle, ecg_render


@pytest.fixture(scope="module")
def digitised():
    """A noiseless synthetic record printed 3x4+II at 100 dpi and digitised: (signal, report)."""
    record = eval_records(1, seed=2, noiseless=True)[0]
    image, _ = ecg_render(record, PageStyle(dpi=100))
    out, report = image_digitize(image, name="p")
    return out.signal, report


def test_relations_are_einthoven_and_goldberger():
    """Each triple's weights annihilate the three leads' vectors in the (I, II) plane: checked on random I, II."""
    rng = np.random.default_rng(0)
    i_, ii = rng.normal(size=(2, 100))
    leads = {"I": i_, "II": ii, "III": ii - i_, "aVR": -(i_ + ii) / 2, "aVL": i_ - ii / 2, "aVF": ii - i_ / 2}
    for triple in [("I", "II", "III"), ("I", "II", "aVR"), ("aVR", "aVL", "aVF"), ("II", "aVL", "aVF")]:
        w = relation_weights(triple)
        assert np.abs(sum(wk * leads[k] for wk, k in zip(w, triple))).max() < 1e-12


def test_a_rendered_page_read_right_is_confident(digitised):
    signal, report = digitised
    checks = report["lead_checks"]                             # in the digitiser's own report
    assert checks["verdict"] == "confident", checks["reasons"]
    relations = {r["relation"] for r in checks["relations"]}
    assert "II = I + III" in relations and "aVF = -aVR - aVL" in relations   # 3x4: I, II, III; aVR, aVL, aVF + II
    assert max(r["score"] for r in checks["relations"]) < RELATION_THRESHOLD     # measured 0.19 (aVF)
    assert all(checks["leads"][lead]["confidence"] > 0.5 for lead in ("I", "II", "III", "aVR", "aVL", "aVF"))
    assert checks["leads"]["V3"]["confidence"] is None          # no relation ties the precordial leads


@pytest.mark.parametrize("a, b", [("aVL", "aVF"), ("I", "aVR")])
def test_two_swapped_leads_are_flagged_by_name(digitised, a, b):
    signal, _ = digitised
    swapped = signal.copy()
    ia, ib = LEADS.index(a), LEADS.index(b)
    swapped[:, [ia, ib]] = swapped[:, [ib, ia]]
    checks = lead_checks(swapped, 500.0)
    assert checks["verdict"] == "check leads"
    low = {lead for lead, v in checks["leads"].items() if v["confidence"] is not None and v["confidence"] < 0.5}
    assert {a, b} <= low, checks["leads"]
    assert any(a in reason for reason in checks["reasons"]) and any(b in reason for reason in checks["reasons"])
    assert np.array_equal(swapped, signal[:, [LEADS.index(n) for n in _swapped_names(a, b)]], equal_nan=True)


def _swapped_names(a: str, b: str) -> list[str]:
    return [b if n == a else a if n == b else n for n in LEADS]


def test_no_relation_to_check_is_not_confident():
    """Precordial leads only: nothing confirms the names."""
    x = np.full((5000, 12), np.nan)
    x[:, 6:] = np.random.default_rng(1).normal(size=(5000, 6))
    checks = lead_checks(x, 500.0)
    assert checks["verdict"] == "check leads" and not checks["relations"]
