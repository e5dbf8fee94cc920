"""The causal table: every label's defining factor lies in its clinical range, and only with the label."""

import numpy as np
import pandas as pd
import pytest

from vaescan.data.leads import LEADS
from vaescan.data.synth.clinical import (
    EXCLUSIVE,
    LABELS,
    LVH_VOLTAGE_MV,
    PEAKED_T_MV,
    RISK,
    label_probability,
    sample_patient,
    sample_physiology,
)
from vaescan.data.synth.leadfield import vcg_to_leads
from vaescan.data.synth.morphology import beat_dipole
from vaescan.data.synth.truth import beat_truth

ENRICHED = {label: 0.3 for label in RISK}  # many records of every label, and many combinations


def _leads_at(beat, t_ms, names):
    return vcg_to_leads(beat.render(np.asarray(t_ms, dtype=float)))[:, [LEADS.index(n) for n in names]]


@pytest.fixture(scope="module")
def population() -> pd.DataFrame:
    rows = []
    for i in range(1000):
        rng = np.random.default_rng([11, i])
        patient = sample_patient(rng, ENRICHED)
        phys = sample_physiology(patient, rng)
        beat = beat_dipole(phys, rng)
        row = {**beat_truth(beat), **{label: patient.has(label) for label in LABELS}}
        j60 = beat.end("QRS") + 60.0
        row.update(
            age=patient.age, sex=patient.sex, stage_ant=phys.mi_anterior, stage_inf=phys.mi_inferior,
            conduction=phys.conduction, qtc=row["qt_ms"] / np.cbrt(60.0 / phys.hr_bpm),
            st_max_anterior=_leads_at(beat, [j60], ["V1", "V2", "V3", "V4"]).max(),
            st_max_inferior=_leads_at(beat, [j60], ["II", "III", "aVF"]).max(),
            initial_v2_v3=_leads_at(beat, np.arange(0.5, 20.0, 0.5), ["V2", "V3"]).max(),
            initial_iii_avf=_leads_at(beat, np.arange(0.5, 20.0, 0.5), ["III", "aVF"]).max(),
        )
        rows.append(row)
    return pd.DataFrame(rows)


def test_every_label_is_present_and_norm_means_no_other_label(population):
    others = population[[lab for lab in LABELS if lab != "NORM"]].any(axis=1)
    assert (population.NORM == ~others).all()
    assert all(population[label].sum() >= 50 for label in LABELS)
    for a, b in EXCLUSIVE:
        assert not (population[a] & population[b]).any(), (a, b)


def test_conduction_labels_define_the_qrs(population):
    p = population
    assert p.qrs_ms[p.LBBB].min() >= 130.0                      # complete LBBB: QRS >= 120 ms
    assert p.qrs_ms[p.RBBB].min() >= 120.0
    assert p.qrs_ms[~p.LBBB & ~p.RBBB].max() < 120.0            # no bundle-branch block, no wide QRS
    assert p.pr_ms[p.AVB1].min() > 200.0                        # first-degree AV block
    assert p.pr_ms[~p.AVB1 & ~p.AF].between(120.0, 200.0).all()
    assert p.pr_ms[p.AF].isna().all() and (p.p_amp_mv[p.AF] == 0).all()  # no P wave in AF


def test_repolarisation_and_voltage_labels(population):
    p = population
    bbb = p.LBBB | p.RBBB
    assert p.qtc[p.LQT].min() >= 480.0                          # long QT (Fridericia)
    assert p.qtc[~p.LQT & ~bbb].max() < 460.0                   # a wide QRS alone may lengthen QT
    assert p.t_amp_mv[p.HYPERK].min() >= PEAKED_T_MV - 1e-3     # tall peaked T
    assert p.t_amp_mv[~p.HYPERK].max() < PEAKED_T_MV
    assert p.r_amp_mv[p.LVH].min() >= LVH_VOLTAGE_MV - 1e-9     # voltage criterion
    assert p.r_amp_mv[~p.LVH].max() <= LVH_VOLTAGE_MV - 0.1 + 1e-9


def test_infarcts_show_st_elevation_or_q_waves_in_their_territory(population):
    p = population
    no_lbbb = ~p.LBBB
    for stage_col, st_col, q_col in (("stage_ant", "st_max_anterior", "initial_v2_v3"),
                                     ("stage_inf", "st_max_inferior", "initial_iii_avf")):
        injured = p[stage_col].isin(["acute", "evolving"])
        scarred = p[stage_col].isin(["evolving", "old"])
        assert injured.sum() > 20 and scarred.sum() > 20
        assert p[st_col][injured].min() >= 0.1                  # ST elevation >= 0.1 mV in a territory lead
        assert p[q_col][scarred & no_lbbb].max() < 0.05          # a Q wave: no initial r of 0.05 mV or more
        assert (p[q_col][(p[stage_col] == "") & no_lbbb & (p.stage_ant == "") & (p.stage_inf == "")] > 0).mean() > 0.85
    assert (p.stage_ant != "").equals(p.MI_ANT) and (p.stage_inf != "").equals(p.MI_INF)


def test_age_and_sex_move_the_factors(population):
    p = population[population.NORM]
    assert p.qt_ms[p.sex == 1].mean() > p.qt_ms[p.sex == 0].mean()    # QT(c) longer in women
    young, old = p.age < 45, p.age > 70
    assert p.r_amp_mv[old].mean() < p.r_amp_mv[young].mean()        # voltage falls with age
    assert p.axis_deg[old].mean() < p.axis_deg[young].mean()        # the axis moves left with age


def test_label_risk_rises_with_age_as_the_table_says():
    assert label_probability("AF", 80.0, 0) > 2 * label_probability("AF", 60.0, 0)
    assert label_probability("MI_ANT", 60.0, 0) > label_probability("MI_ANT", 60.0, 1)   # men
    assert label_probability("LQT", 60.0, 1) > label_probability("LQT", 60.0, 0)         # women
    assert label_probability("AF", 60.0, 0, prevalence=0.0) == 0.0
    ages = np.array([sample_patient(np.random.default_rng([5, i])).age for i in range(2000)])
    af = np.array([sample_patient(np.random.default_rng([5, i])).has("AF") for i in range(2000)])
    assert af[ages > 70].mean() > 2 * af[ages < 50].mean()
