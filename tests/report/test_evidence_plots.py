"""Evidence figures colour each panel's trace by the map it was given."""

import numpy as np
from matplotlib.collections import LineCollection

from vaescan.report.evidence_plots import plot_page_evidence, plot_signal_evidence


def test_signal_panels_carry_the_evidence():
    fs = 100.0
    signal = np.zeros((12, 1000))
    evidence = np.zeros((12, 1000))
    evidence[11, 800:850] = 1.0          # V6 is shown from 7.5 to 10 s on a 3x4 page
    fig = plot_signal_evidence(signal, fs, evidence)
    collections = [c for c in fig.axes[0].collections if isinstance(c, LineCollection) and c.get_array() is not None]
    assert len(fig.axes[0].collections) == 15  # and the grid: 1 mm and 5 mm lines, one collection each
    assert len(collections) == 13        # 12 panels and the lead II rhythm strip
    coloured = [c for c in collections if np.any(c.get_array() > 0)]
    assert len(coloured) == 1 and len(coloured[0].get_array()) == 249
    assert fig.axes[0].texts[-1].get_text() == "II"


def test_page_share_in_title():
    image = np.zeros((40, 60))
    image[20, :] = 1.0
    pixel_map = np.ones_like(image)
    fig = plot_page_evidence(image, pixel_map, np.where(image > 0.5, 7, -1))
    assert "98% off the trace" in fig.axes[0].get_title()    # 60 of 2400 pixels are trace
