"""Calibration pulses on the path of a row: a textbook pulse, one bent by a wrinkle whose inner edge the path
stepped over (a heavy pen's edge broken at every grid line), one whose outer edge is broken short of its foot:
all read at the drawn height and foot."""

import numpy as np

from vaescan.digitize.page import Pulse, find_pulse, pulse_core_width, pulse_edge
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


def _stroke(ink: np.ndarray, centre: float, width: float, rows: slice) -> None:
    """Draw a vertical pen stroke of ``width`` px centred on x = ``centre`` (px) with anti-aliased sides."""
    x = np.arange(ink.shape[1])
    cover = np.clip(np.minimum(x + 0.5, centre + width / 2) - np.maximum(x - 0.5, centre - width / 2), 0, 1)
    ink[rows] = np.maximum(ink[rows], cover)


def test_pulse_stroke_centre_to_a_tenth_of_a_pixel():
    """A 2.5 px pen's stroke at sub-pixel centres (ECG-Image-Kit's pulses at 200 dpi): the centre to 0.1 px.
    Taken from the columns that held the darkest ink, it was read up to 0.4 px off (2 ms at 25 mm/s)."""
    for centre in (40.0, 40.2, 40.45, 40.7):
        ink = np.zeros((60, 80))
        _stroke(ink, centre, 2.5, slice(10, 51))
        fall = pulse_edge(ink, Pulse("left", 20.5, 40.5, base_px=50.0, top_px=10.0), "fall", 2.5)
        rise = pulse_edge(ink, Pulse("right", 40.5, 60.5, base_px=50.0, top_px=10.0), "rise", 2.5)
        assert abs(fall - centre) <= 0.1 and abs(rise - centre) <= 0.1, (centre, fall, rise)


def test_a_trace_leaving_the_pulse_steeply_does_not_move_its_stroke():
    """The trace starts near the pulse's top and falls steeply against the falling stroke over 70 % of the rows
    the stroke is read in (photo_02 of the outside pages: lead I falls from 1.2 to 0.3 mV in its first 30 ms):
    the stroke's centre stays within 0.1 px; on the pulse's other side the same holds for a rising stroke."""
    for side, edge, step in (("left", "fall", 1), ("right", "rise", -1)):
        ink = np.zeros((60, 80))
        _stroke(ink, 40.3, 2.5, slice(10, 51))
        for y in range(10, 34):  # the trace: 1.2 px from the stroke's centre, then 1 px further every 10 rows
            _stroke(ink, 40.3 + step * (1.2 + max(0, y - 20) / 10), 2.5, slice(y, y + 1))
        pulse = Pulse(side, 20.5, 40.5, 50.0, 10.0) if edge == "fall" else Pulse(side, 40.5, 60.5, 50.0, 10.0)
        got = pulse_edge(ink, pulse, edge, 2.5)
        assert abs(got - 40.3) <= 0.1, (edge, got)


def test_a_trace_against_the_whole_stroke_is_told_by_the_pages_other_pulses():
    """A first beat lying against the falling stroke over all of the rows it is read in (photo_02 of the outside
    pages, rows 2 and 4) widens the stroke from 2.5 to 4.3 px: alone it reads 1.0 px late, with the pen's core
    over the page's strokes (:func:`pulse_core_width`: a second row's clean pulse) within a quarter of a pixel
    (a core's width read at a threshold depends on where the stroke lies within its pixel: 1.86 and 2.13 px for
    these strokes). A stroke only 0.2 px wider than the others keeps its own core."""
    ink = np.zeros((120, 80))
    for rows in (slice(10, 51), slice(70, 111)):
        _stroke(ink, 20.0, 2.5, rows)
        _stroke(ink, 40.3, 2.5, rows)
    _stroke(ink, 42.1, 2.5, slice(10, 51))           # the trace beside the first pulse's falling stroke
    pulses = [Pulse("left", 20.5, 40.5, base_px=y + 40.0, top_px=y) for y in (10.0, 70.0)]
    core = pulse_core_width(ink, pulses, 2.5)
    alone = pulse_edge(ink, pulses[0], "fall", 2.5)
    told = pulse_edge(ink, pulses[0], "fall", 2.5, core)
    assert alone - 40.3 > 0.8 and abs(told - 40.3) <= 0.25, (alone, told)
    ink = np.zeros((120, 80))
    for rows, width in ((slice(10, 51), 2.7), (slice(70, 111), 2.5)):
        _stroke(ink, 20.0, 2.5, rows)
        _stroke(ink, 40.3, width, rows)
    core = pulse_core_width(ink, pulses, 2.5)
    assert pulse_edge(ink, pulses[0], "fall", 2.5, core) == pulse_edge(ink, pulses[0], "fall", 2.5)
