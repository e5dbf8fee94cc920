"""Calibration pulses on the path of a row: a textbook pulse, one bent by a wrinkle whose inner edge the path
stepped over (a heavy pen's edge broken at every grid line), one whose outer edge is broken short of its foot:
all read at the drawn height and foot."""

import numpy as np

from vaescan.digitize.page import find_pulse
from vaescan.digitize.runs import Path

R = 8.0  # px per mm


def _row(bend_px: float, inner_edge_drawn: bool) -> Path:
    """A left pulse 10 mm high (y 400 -> 320) from x 40 to 80 px, then a flat trace at y 400 to x 400."""
    n = 400
    centre = np.full(n, 400.0)
    top, bot = centre - 1, centre + 1
    plateau = np.arange(41, 80)
    centre[plateau] = 320.0 + bend_px * (plateau - 41) / (plateau.size - 1)  # a wrinkle tilts the plateau
    top[plateau], bot[plateau] = centre[plateau] - 1, centre[plateau] + 1
    top[40], bot[40], centre[40] = 320.0, 401.0, 360.0  # rising (outer) edge: one tall run
    if inner_edge_drawn:
        top[80], bot[80], centre[80] = 320.0 + bend_px, 401.0, 360.0
    else:  # the path jumps from the plateau straight back to the baseline
        top[80] = bot[80] = centre[80] = np.nan
    centre[:40], top[:40], bot[:40] = np.nan, np.nan, np.nan
    return Path(0, top, bot, centre, np.zeros(n))


def test_textbook_pulse():
    p = find_pulse(_row(0.0, True), "left", (40, 399), R, 3.0)
    assert p is not None and abs(p.top_px - 320) <= 1 and abs(p.base_px - 400) <= 1
    assert abs((p.base_px - p.top_px) / R - 10.0) < 0.3        # 10 mm: 1 mV at 10 mm/mV


def test_bent_pulse_with_a_stepped_over_edge():
    p = find_pulse(_row(0.6 * R, False), "left", (40, 399), R, 3.0)  # plateau bent by 0.6 mm, no inner edge run
    assert p is not None and p.x_rise < 41 and p.x_fall > 78
    assert abs((p.base_px - p.top_px) / R - 10.0) < 0.6


def test_flat_step_without_edges_is_not_a_pulse():
    path = _row(0.0, False)
    path.top[40] = path.bot[40] = path.centre[40] = np.nan      # neither edge drawn: a stray segment
    assert find_pulse(path, "left", (40, 399), R, 3.0) is None


def test_broken_outer_edge_foot_from_the_lead_in():
    path = _row(0.0, True)
    path.top[20:40], path.bot[20:40], path.centre[20:40] = 399.0, 401.0, 400.0  # lead-in line at 0 mV
    path.bot[40], path.centre[40] = 360.0, 340.0                                 # rising edge broken halfway
    p = find_pulse(path, "left", (20, 399), R, 3.0)
    assert p is not None and abs(p.base_px - 400) <= 1                           # not 360: the pulse is 10 mm
