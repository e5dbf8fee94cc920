"""The printed lead labels: names and places read on own-renderer pages (truth known), names on outside pages
(a subset of those printed), OCR spellings mapped to lead names, and header text kept apart from labels."""

import json

import numpy as np
import pytest

from vaescan.data.leads import LEADS
from vaescan.data.records import Record
from vaescan.digitize.label_layout import labels_place, panel_names
from vaescan.digitize.labels import LABEL_NAMES, LeadLabel, lead_name_parse, page_text_read
from vaescan.pages.image import image_read
from vaescan.pages.layout import layout_panels
from vaescan.pages.render import PageStyle, ecg_render


@pytest.mark.parametrize("text, name", [
    ("I", "I"), ("l", "I"), ("|", "I"), ("II", "II"), ("Il", "II"), ("ll", "II"), ("III", "III"), ("Ill", "III"),
    ("I I I", "III"), ("I I", "II"),
    ("aVR", "aVR"), ("AVR", "aVR"), ("avr", "aVR"), ("aVl", "aVL"), ("a VF", "aVF"), ("AVF.", "aVF"),
    ("V1", "V1"), ("Vl", "V1"), ("VI", "V1"), ("v6", "V6"), ("V4R", "V4R"), ("V4 R", "V4R"), ("v3r", "V3R"),
    ("V5R", "V5R"), ("V7", "V7"), ("V8", "V8"), ("V9", "V9"), ("Lead II", "II"), ("| aVR", "aVR"), ("IaVL", "aVL"),
    ("I V1", "V1"), ("V1:", "V1"),
    ("", None), ("IIII", None), ("11", None), ("1", None), ("V", None), ("V0", None), ("V10", None), ("V6R", None),
    ("V2R", None), ("aV", None), ("bVR", None), ("-aVR", None), ("25mm/s", None), ("10mm/mV", None),
    ("ID: 00012", None), ("2019-11-22", None), ("Name:", None), ("HR 72", None), ("VR", None), ("I II", None),
    ("II I", None),
])
def test_lead_name_parse(text, name):
    assert lead_name_parse(text) == name
    assert name is None or name in LABEL_NAMES


def _record(seed: int) -> Record:
    """10 s of 12 leads with beat-like spikes (a trace crosses the page like an ECG's)."""
    rng = np.random.default_rng(seed)
    t = np.arange(5000) / 500.0
    beats = np.exp(-((t[:, None] % 0.8) - 0.3) ** 2 / 2e-4) * rng.uniform(-1, 1.5, 12)
    return Record(beats + 0.1 * np.sin(2 * np.pi * 0.3 * t)[:, None], 500.0, list(LEADS), name="demo")


def _label_truth(truth: dict) -> list[tuple[str, float, float, float]]:
    """(name, left x, top y, bottom y) of each printed label, where ecg_render draws it (px)."""
    st, ppm = truth["style"], truth["px_per_mm"]
    size = st["label_mm"] * ppm
    out = []
    for p in truth["panels"]:
        b = p["baseline_px"]
        y = b - (st["label_mm"] + 4.0) * ppm if st["label_position"] == "above" else b + 3.5 * ppm
        out.append((p["lead"], p["x0_px"] + 1.0 * ppm, y - 1.0 * ppm, y + 1.5 * size + ppm))
    return out


# (style, labels read at least): measured 8 of 13, 9 of 12 and 1 of 13 (labels a trace runs through are left out)
OWN_PAGES = [
    (PageStyle(dpi=150, font="DejaVu Sans", label_position="above", header="{name}\nVent. rate 72 BPM"), 8),
    (PageStyle(dpi=200, font="STIX", label_position="below", layout="6x2", grid_color="green"), 9),
    (PageStyle(dpi=200, font="Hershey Simplex", label_position="above", grid_color="grey", separators="lines",
               trace_rgb=(20, 20, 90)), 1),
]


@pytest.mark.parametrize("k", range(len(OWN_PAGES)))
def test_own_pages_names_and_places(k):
    style, floor = OWN_PAGES[k]
    page, truth = ecg_render(_record(k), style)
    labels, text = page_text_read(page, truth["px_per_mm"])
    printed = _label_truth(truth)
    ppm = truth["px_per_mm"]
    used = set()
    for lab in labels:   # every label read is a printed one, at its place
        cy = 0.5 * (lab.box[1] + lab.box[3])
        hit = [i for i, (name, x, y0, y1) in enumerate(printed) if i not in used and name == lab.name
               and abs(lab.box[0] - x) <= 1.5 * ppm and y0 <= cy <= y1]
        assert hit, (lab, printed)
        used.add(hit[0])
    assert len(labels) >= floor, [lab.name for lab in labels]
    # the footer (speed, gain) is text, never a label
    assert any("mm/s" in t.text for t in text) and not any("mm" in lab.text for lab in labels)


def test_extra_leads_keep_their_names():
    """A 3x5-like strip of extra leads (V4R, V8, V9, V3R, V7) is read under those names."""
    from vaescan.pages.render import _draw_text

    ppm = 200 / 25.4
    alpha = np.zeros((400, 1600), np.float32)
    names = ["V4R", "V8", "V9", "V3R", "V7"]
    for i, name in enumerate(names):
        _draw_text(alpha, name, 60 + i * 300, 150, 3.0 * ppm, "DejaVu Sans")
    page = np.clip(255 * (1 - alpha[..., None]) * np.ones(3), 0, 255).astype(np.uint8)
    page[300, 20:1580] = 0                                    # a trace line below the labels
    labels, _ = page_text_read(page, ppm)
    assert [lab.name for lab in labels] == names


def test_blank_page_reads_nothing():
    labels, text = page_text_read(np.full((800, 1100, 3), 255, np.uint8), 4.0)
    assert labels == [] and text == []


def test_header_is_text_not_label():
    style = PageStyle(dpi=150, header="{name}\nVent. rate      72 BPM\nPR interval    160 ms")
    page, truth = ecg_render(_record(5), style)
    labels, text = page_text_read(page, truth["px_per_mm"])
    words = " ".join(t.text for t in text)
    assert "BPM" in words and "interval" in words, words
    header_bottom = truth["grid_box_px"][1]
    assert all(lab.box[1] > header_bottom for lab in labels)   # no label is read in the header


OUTSIDE = ["clean_02", "clean_05", "layout_6x2_02", "lowres_03", "rotated_03", "photo_05"]


def test_outside_pages(shared_data):
    """ECG-Image-Kit pages: every name read is printed on the page (no more often than printed); recall floor."""
    read = printed = 0
    for name in OUTSIDE:
        d = shared_data / "outside_pages" / name
        render = json.loads((d / "render.json").read_text())
        true_names = [s["lead"] for s in render["plotted_segments"]]
        labels, _ = page_text_read(image_read(next(d.glob("page.*"))))
        for lead in set(lab.name for lab in labels):
            assert sum(lab.name == lead for lab in labels) <= true_names.count(lead), (name, labels)
        read += len(labels)
        printed += len(true_names)
    assert read >= 50, (read, printed)      # measured 53 of 78


def _labels_at(names_rows_t: list[tuple[str, int, float]], x0: float = 100.0, px_per_s: float = 100.0):
    return [LeadLabel(n, (x0 + t * px_per_s + 5, 100 * (r + 1) + 10, x0 + t * px_per_s + 35, 100 * (r + 1) + 30),
                      0.9, n) for n, r, t in names_rows_t]


def test_labels_standing_at_2s_columns_make_a_3x5_page():
    """One label read where a 3x4 page would also have it (aVR): where it stands says 3x5 (2 s columns) or 3x4
    (2.5 s); ecg00020, a real 15-lead page, gives only this."""
    from vaescan.digitize.label_layout import layout_from_labels

    ys, x0 = [100.0, 200.0, 300.0], [100.0] * 3
    assert layout_from_labels(_labels_at([("aVR", 0, 2.0)]), ys, x0, 100.0, "3x4", 10.0)[0] == "3x5"
    assert layout_from_labels(_labels_at([("aVR", 0, 2.5)]), ys, x0, 100.0, "3x4", 10.0) == ("3x4", "")
    # rows whose ink ends at 8.1 s have no fifth column: a 3x4 page read at a wrong time scale, its labels where a
    # 3x5 page's columns start (seed 1, page033), stays 3x4
    fours = [("aVR", 0, 2.0), ("V1", 0, 4.0), ("V4", 0, 6.0), ("aVL", 1, 2.0), ("V2", 1, 4.0)]
    assert layout_from_labels(_labels_at(fours), ys, x0, 100.0, "3x4", 10.0)[0] == "3x5"
    assert layout_from_labels(_labels_at(fours), ys, x0, 100.0, "3x4", 10.0, shown_s=8.1) == ("3x4", "")
    assert layout_from_labels(_labels_at(fours), ys, x0, 100.0, "3x4", 10.0, shown_s=9.6)[0] == "3x5"
    # a 3x4 page's own labels never make it 3x5, nor do column-0 labels alone (they fit both)
    threes = [("aVR", 0, 2.5), ("V1", 0, 5.0), ("aVL", 1, 2.5), ("V5", 1, 7.5), ("II", 1, 0.0)]
    assert layout_from_labels(_labels_at(threes), ys, x0, 100.0, "3x4", 10.0) == ("3x4", "")
    assert layout_from_labels(_labels_at([("I", 0, 0.0), ("II", 1, 0.0)]), ys, x0, 100.0, "3x4", 10.0)[0] == "3x4"
    # a label that contradicts the layout read does not make one it says nothing about: no label agrees with the
    # 3x5 grid here (the II sits at none of its panels' starts), so a 6-row page stays 6x2 (it was taken for
    # 3x5+II,II,II on a page read at twice its scale, before its scale was mended)
    six = [100.0 * (k + 1) for k in range(6)]
    assert layout_from_labels(_labels_at([("II", 0, 5.0)]), six, [100.0] * 6, 100.0, "6x2", 10.0) == ("6x2", "")
    # the fifth column's labels name its extra leads, whichever the page prints
    fives = [("V1", 0, 4.0), ("V7", 0, 8.0), ("V8", 1, 8.0), ("V9", 2, 8.0)]
    best, why = layout_from_labels(_labels_at(fives), ys, x0, 100.0, "3x4", 10.0)
    assert best == "3x5" and why.startswith("printed labels (4 agree; 0 with 3x4)")
    placed = labels_place(_labels_at(fives), ys, x0, 100.0, "3x5", 10.0)
    names = panel_names(placed, layout_panels("3x5"))
    assert names[(0, 4)] == ("V7", "label") and names[(1, 4)] == ("V8", "label") and names[(0, 0)] == ("I", "layout")
