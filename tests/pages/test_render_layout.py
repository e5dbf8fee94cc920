"""The renderer's truth is exact: a known sample lands at the stated pixel; layouts show the stated windows."""

import numpy as np

from vaescan.data.leads import LEADS
from vaescan.data.records import Record
from vaescan.pages.layout import layout_shown_mask
from vaescan.pages.render import PageStyle, ecg_render


def test_3x4_windows():
    m = layout_shown_mask("3x4+II")
    fs = 500
    assert m[:, LEADS.index("I")].sum() == 2.5 * fs and m[: int(2.5 * fs), LEADS.index("I")].all()
    v1 = m[:, LEADS.index("V1")]
    assert v1[5 * fs:int(7.5 * fs)].all() and v1.sum() == 2.5 * fs
    assert m[:, LEADS.index("II")].all()                     # the rhythm strip shows II for 10 s
    assert layout_shown_mask("3x4")[:, LEADS.index("II")].sum() == 2.5 * fs


def test_sample_lands_at_stated_pixel():
    t = np.arange(5000) / 500.0
    sig = np.zeros((5000, 12))
    sig[:, LEADS.index("V1")] = np.sin(2 * np.pi * 0.5 * t)  # slow: the trace is nearly flat per column
    style = PageStyle(dpi=100, grid_color="none", label_position="none", calibration="none", footer=False)
    image, truth = ecg_render(Record(sig, 500.0, list(LEADS), name="t"), style)
    panel = next(p for p in truth["panels"] if p["lead"] == "V1")
    assert panel["samples"] == [2500, 3750]
    dark = 255.0 - image.astype(float).mean(axis=2)
    for i in (2600, 3000, 3500):
        x = panel["x0_px"] + (i - 2500) / 500.0 * panel["px_per_s"]
        y_true = panel["baseline_px"] - sig[i, LEADS.index("V1")] * panel["px_per_mv"]
        col = dark[:, int(round(x))]
        lo, hi = int(y_true) - 15, int(y_true) + 15
        y_ink = lo + np.sum(np.arange(hi - lo) * col[lo:hi]) / np.sum(col[lo:hi])
        assert abs(y_ink - y_true) < 0.5, (i, y_ink, y_true)


def test_3x5_shows_five_2s_columns_and_draws_its_extra_leads():
    from vaescan.pages.layout import layout_panels

    panels = layout_panels("3x5")
    assert [(p.lead, p.t0_s, p.t1_s) for p in panels if p.row == 0] == [
        ("I", 0.0, 2.0), ("aVR", 2.0, 4.0), ("V1", 4.0, 6.0), ("V4", 6.0, 8.0), ("V4R", 8.0, 10.0)]
    m = layout_shown_mask("3x5")                           # the twelve only: extra leads are not among them
    assert m.shape == (5000, 12) and m[3000:4000, LEADS.index("V4")].all() and m.sum() == 12 * 1000
    sig = np.zeros((5000, 15))
    rec = Record(sig, 500.0, list(LEADS) + ["V4R", "V8", "V9"], name="t")
    _, truth = ecg_render(rec, PageStyle(layout="3x5", dpi=100))
    drawn = {p["lead"]: p["samples"] for p in truth["panels"]}
    assert len(drawn) == 15 and drawn["V8"] == [4000, 5000] and drawn["V1"] == [2000, 3000]
