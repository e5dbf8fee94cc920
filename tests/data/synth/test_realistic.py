"""The realistic preset: misread labels at the stated rate, AF by rhythm alone, subtle and overlapping signatures."""

import numpy as np
import pandas as pd
import pytest

from vaescan.cli.main import main as vaescan_main
from vaescan.config import load_config, save_config
from vaescan.data.synth import LABELS, SynthConfig, simulate_cohort, simulate_records
from vaescan.data.synth.clinical import Patient, sample_physiology
from vaescan.data.synth.config import REALISTIC_LABEL_NOISE
from vaescan.data.synth.morphology import beat_dipole
from vaescan.data.synth.truth import beat_truth
from vaescan.errors import VaescanInputError

N = 400


@pytest.fixture(scope="module")
def realistic() -> pd.DataFrame:
    return pd.DataFrame([row for _, row in simulate_records(N, seed=21, config=SynthConfig.realistic())])


def test_recorded_labels_are_misread_at_the_stated_rate(realistic):
    rate = realistic["label_misread"].mean()
    sd = np.sqrt(REALISTIC_LABEL_NOISE * (1 - REALISTIC_LABEL_NOISE) / N)
    assert abs(rate - REALISTIC_LABEL_NOISE) < 3 * sd, rate          # binomial: within 3 sd (0.045 at 400)
    recorded = realistic[[lab for lab in LABELS if lab != "NORM"]].to_numpy()
    true = realistic[[f"true_{lab}" for lab in LABELS if lab != "NORM"]].to_numpy()
    flipped = (recorded != true).sum(axis=1)
    assert (flipped == realistic["label_misread"]).all()              # one diagnostic label per misread record
    assert (realistic["NORM"] == (recorded.sum(axis=1) == 0)).all()   # NORM: no other recorded label
    assert (realistic["true_NORM"] == (true.sum(axis=1) == 0)).all()


def test_the_easy_default_records_the_true_labels():
    rows = pd.DataFrame([row for _, row in simulate_records(40, seed=21)])
    assert rows["label_misread"].eq(0).all()
    for label in LABELS:
        assert rows[label].equals(rows[f"true_{label}"])


def test_realistic_af_is_irregular_without_p_waves_at_a_sinus_rate(realistic):
    af = realistic["true_AF"] == 1
    assert af.sum() >= 15
    cv = realistic.loc[af, "rr_irregularity"]
    assert cv.median() > 0.09 and (cv > 0.04).mean() >= 0.95, cv.describe()
    assert realistic.loc[af, "p_amp_mv"].eq(0).all() and realistic.loc[af, "pr_ms"].isna().all()
    assert realistic.loc[~af, "p_amp_mv"].gt(0.03).all()
    # the rate does not give AF away (easy: 92 against 69 bpm)
    assert abs(realistic.loc[af, "hr_bpm"].median() - realistic.loc[~af, "hr_bpm"].median()) < 8


def _population(difficulty: str, n: int = 1500) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    rows = []
    for i in range(n):
        label = ("NORM", "LVH", "HYPERK", "LQT")[i % 4]
        patient = Patient(float(rng.uniform(20, 90)), int(rng.random() < 0.5), frozenset({label}))
        phys = sample_physiology(patient, rng, difficulty)
        rows.append({"label": label, "female": patient.sex, "r_amp": phys.r_amp_mv, "t_amp": phys.t_amp_mv,
                     "qtc": phys.qt_ms / np.cbrt(60.0 / phys.hr_bpm), "qrs": phys.qrs_ms, "pr": phys.pr_ms})
    return pd.DataFrame(rows)


def test_realistic_signatures_overlap_normal_variation_and_easy_ones_do_not():
    for difficulty, overlap in (("easy", False), ("realistic", True)):
        pop = _population(difficulty)
        norm = pop[pop.label == "NORM"]
        for label, column in (("LVH", "r_amp"), ("HYPERK", "t_amp"), ("LQT", "qtc")):
            sick = pop.loc[pop.label == label, column]
            assert (sick.min() < norm[column].max()) == overlap, (difficulty, label)


def test_realistic_sex_effects_are_smaller_per_interval():
    for difficulty, qrs_gap in (("easy", (5.0, 9.0)), ("realistic", (1.5, 4.5))):
        norm = _population(difficulty).query("label == 'NORM'")
        gap = norm.loc[norm.female == 0, "qrs"].mean() - norm.loc[norm.female == 1, "qrs"].mean()
        assert qrs_gap[0] < gap < qrs_gap[1], (difficulty, gap)


def test_realistic_sex_also_shows_in_the_j_point():
    """Spread over the waveform: young men's higher J point in V2-V3 (anterior ST at J + 60 ms) exists only in the
    realistic table (measured 0.027 mV men - women, easy 0.000)."""
    for difficulty, low, high in (("easy", -0.01, 0.01), ("realistic", 0.015, 0.04)):
        rng = np.random.default_rng(3)
        st = {0: [], 1: []}
        for i in range(300):
            phys = sample_physiology(Patient(float(rng.uniform(20, 90)), i % 2, frozenset({"NORM"})), rng, difficulty)
            st[i % 2].append(beat_truth(beat_dipole(phys, rng))["st_mv_anterior"])
        gap = np.mean(st[0]) - np.mean(st[1])
        assert low < gap < high, (difficulty, gap)


def test_the_preset_round_trips_through_synth_config_json(tmp_path):
    config = SynthConfig.realistic()
    save_config(config, tmp_path / "c.json")
    assert load_config(SynthConfig, tmp_path / "c.json") == config
    cohort = simulate_cohort(3, seed=2, out_dir=tmp_path / "cohort", config=config, progress=False)
    assert load_config(SynthConfig, tmp_path / "cohort" / "synth_config.json") == config
    assert cohort.info["difficulty"] == "realistic" and cohort.info["label_noise"] == REALISTIC_LABEL_NOISE
    assert vaescan_main(["-q", "synth", "-n", "3", "--seed", "2", "--preset", "realistic",
                         "-o", str(tmp_path / "cli")]) == 0
    assert load_config(SynthConfig, tmp_path / "cli" / "synth_config.json") == config
    written = pd.read_csv(tmp_path / "cli" / "metadata.csv")
    assert written.equals(pd.read_csv(tmp_path / "cohort" / "metadata.csv"))


def test_bad_presets_and_settings_are_refused(tmp_path):
    with pytest.raises(VaescanInputError, match="unknown preset"):
        SynthConfig.preset("hard")
    with pytest.raises(VaescanInputError, match="difficulty"):
        SynthConfig(difficulty="hard")
    with pytest.raises(VaescanInputError, match="label_noise"):
        SynthConfig(label_noise=0.7)
    save_config(SynthConfig(), tmp_path / "c.json")
    assert vaescan_main(["-q", "synth", "-n", "1", "--preset", "realistic", "--config", str(tmp_path / "c.json"),
                         "-o", str(tmp_path / "x")]) == 2
