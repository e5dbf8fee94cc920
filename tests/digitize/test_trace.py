"""Tracing: the polyline of a thick pen's QRS, checked against the curve that was drawn."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vaescan.digitize.ink import ink_map
from vaescan.digitize.polyline import path_polyline, polyline_refine, polyline_sample
from vaescan.digitize.runs import column_runs, paths_unshare, pen_width, trace_follow

SUPER = 8  # supersampling of the drawing: anti-aliased like a rendered or scanned page


def _qrs(t: np.ndarray) -> np.ndarray:
    """A narrow QRS (R 1 mV, S -0.4 mV) and a T wave, in mV, at times t (s)."""
    return (np.exp(-((t - 0.2) / 0.012) ** 2) - 0.4 * np.exp(-((t - 0.225) / 0.008) ** 2)
            + 0.2 * np.exp(-((t - 0.4) / 0.04) ** 2))


def _draw(width_px: float, signal=_qrs, duration_s: float = 0.55, px_per_s: float = 246.0, px_per_mv: float = 98.0,
          hum_mv: float = 0.0):
    """Draw ``signal`` (mV at times t, s; plus 50 Hz hum) with a round pen of ``width_px``, 0 mV on row 150.

    Returns (ink, x of each 500 Hz sample, the truth in px rows).
    """
    t = np.arange(0.0, duration_s, 1 / 500)
    x, y = 10 + t * px_per_s, 150 - (signal(t) + hum_mv * np.sin(2 * np.pi * 50 * t)) * px_per_mv
    return _ink(x, [y], width_px, 200), x, y


def _ink(x: np.ndarray, ys: list[np.ndarray], width_px: float, h: int) -> np.ndarray:
    """Ink of curves (x, y) in px drawn with a round pen of ``width_px``, supersampled and averaged down."""
    w = int(x[-1]) + 12
    canvas = np.zeros((h * SUPER, w * SUPER), np.uint8)
    for y in ys:
        pts = np.stack([(x + 0.5) * SUPER - 0.5, (y + 0.5) * SUPER - 0.5], 1).round().astype(np.int32)
        cv2.polylines(canvas, [pts], False, 255, thickness=int(round(width_px * SUPER)), lineType=cv2.LINE_AA)
    return cv2.resize(canvas.astype(np.float32) / 255, (w, h), interpolation=cv2.INTER_AREA)


def _read(ink: np.ndarray, refine: bool) -> tuple[np.ndarray, np.ndarray]:
    runs = column_runs(ink > 0.5, ink)
    path = trace_follow(runs, 0, ink.shape[1], (0, ink.shape[0]), (100, 190), px_per_mm=9.8)
    xs, ys = path_polyline(path, pen_width(ink, [path]))
    return polyline_refine(path, xs, ys) if refine else (xs, ys)


def _snr(truth: np.ndarray, estimate: np.ndarray) -> float:
    base = truth[0]
    return float(10 * np.log10(np.sum((truth - base) ** 2) / np.sum((estimate - truth) ** 2)))


@pytest.mark.parametrize("width_px", [3.0, 4.5, 6.0])
def test_refine_reads_a_thick_pens_qrs(width_px):
    ink, x, y = _draw(width_px)
    before = polyline_sample(*_read(ink, refine=False), x, max_gap=1.0)
    after = polyline_sample(*_read(ink, refine=True), x, max_gap=1.0)
    assert np.isfinite(after).all()
    gain = _snr(y, after) - _snr(y, before)
    assert gain > 3.0, f"pen {width_px} px: {_snr(y, before):.1f} -> {_snr(y, after):.1f} dB"
    r_peak = int(np.argmin(y))  # the R apex was read low by 4.6-14 px (pen 3-6 px); now by less than half that
    assert abs(after[r_peak] - y[r_peak]) < 0.5 * abs(before[r_peak] - y[r_peak])


def test_refine_leaves_a_humming_trace_alone():
    """Mains hum drawn on paper is a band taller than the pen is wide; the round-pen model does not hold there."""
    ink, _, _ = _draw(2.0, hum_mv=0.04)
    for a, b in zip(_read(ink, refine=False), _read(ink, refine=True)):
        np.testing.assert_array_equal(a, b)


def test_refine_leaves_a_gentle_trace_alone():
    ink, _, _ = _draw(3.0, lambda t: np.sin(2 * np.pi * t), duration_s=2.0, px_per_s=100.0, px_per_mv=20.0)
    xs, ys = _read(ink, refine=False)
    rx, ry = _read(ink, refine=True)
    np.testing.assert_array_equal(xs, rx)
    np.testing.assert_array_equal(ys, ry)


def test_sample_extends_only_the_outer_ends():
    """A panel's edge continues its stroke's slope; a gap inside the trace is held or left missing, as before."""
    xs = np.array([0.0, 1.0, 2.0, np.nan, 6.0, 7.0, 8.0])
    ys = 2.0 * np.nan_to_num(xs, nan=0.0)
    ys[3] = np.nan
    got = polyline_sample(xs, ys, np.array([-1.0, 2.5, 4.0, 5.5, 9.0]), max_gap=1.0, extend=True)
    np.testing.assert_allclose(got, [-2.0, 4.0, np.nan, 12.0, 18.0])


def test_sample_does_not_continue_a_pulse_stroke_or_a_hook_at_an_edge():
    """The first pixel after a calibration pulse still holds the pulse's falling stroke (ECG-Image-Kit's clean_06:
    y 670 then 697.5, 700 px); continued along that pixel's slope the trace started 85 px above itself (lead I
    read 1.04 mV at t = 0 where it is -0.08 mV). The slope is limited (minmod of the two end pixels): a stroke that
    runs on into the edge keeps it (a QRS at a panel's edge), a steep first pixel before a flat one gives the flat
    slope (35 px above: the stroke's own pixel stays), and a hook (slopes of opposite sign) is held."""
    xs = np.array([157.5, 158.5, 159.5, 160.5, 161.5])
    pulse = np.array([670.0, 697.5, 700.0, 700.5, 701.0])        # the pulse's stroke, then the trace
    qrs = np.array([600.0, 620.0, 641.0, 660.0, 680.0])          # a QRS upstroke running into the edge
    hook = np.array([690.0, 700.0, 696.0, 694.0, 692.0])         # a pen tip's hook
    at = np.array([155.5, 163.5])
    np.testing.assert_allclose(polyline_sample(xs, pulse, at, max_gap=3.0, extend=True), [665.0, 702.0])
    np.testing.assert_allclose(polyline_sample(xs, qrs, at, max_gap=3.0, extend=True), [560.0, 718.0])
    np.testing.assert_allclose(polyline_sample(xs, hook, at, max_gap=3.0, extend=True), [690.0, 688.0])


def test_ink_keeps_the_pen_where_it_crosses_a_grey_grid_line():
    """An opaque pen covers the grid: its ink over a grey 5 mm line equals its ink on bare paper (the line's
    own darkness, subtracted as grid residue, dimmed it by 0.4 before), and the grid itself is removed."""
    ppm, cell = 8.0, 40
    page = np.full((400, 800, 3), 246, np.uint8)
    page[:, ::8] = 215                        # 1 mm lines
    page[::8, :] = 215
    page[:, ::cell] = 150                     # 5 mm lines, 1 px wide at 200 dpi
    page[::cell, :] = 150
    page[198:202, 100:700] = (14, 25, 95)     # a navy pen 4 px thick, crossing 15 vertical 5 mm lines
    ink = ink_map(page, ppm, phase_px=(0.0, 0.0))
    on_lines = ink[198:202, 120:680:cell]
    off_lines = ink[198:202, 140:680:cell]
    assert np.abs(on_lines - off_lines).max() < 0.03
    assert ink[100:150, 100:700].max() < 0.05   # grid away from the trace is gone


def test_ink_does_not_amplify_a_grid_lines_own_leftovers():
    """A stretch of grid line darker than the rest (uneven printing), far from the pen, keeps only its excess
    over the grid (0.08), as plain subtraction gives; unmixed as if under the pen it read 0.13, and on a grid
    nearly as dark as the pen such stretches became lines of "trace"."""
    ppm, cell = 8.0, 40
    page = np.full((400, 800, 3), 246, np.uint8)
    page[:, ::cell] = 150
    page[::cell, :] = 150
    page[120, 200:600] = 130                  # a darker stretch of a 5 mm line
    page[298:302, 100:700] = (14, 25, 95)     # the pen, far away
    ink = ink_map(page, ppm, phase_px=(0.0, 0.0))
    excess = (1 - 130 / 246) - (1 - 150 / 246)
    assert abs(float(np.median(ink[120, 250:550])) - excess) < 0.015


def _two_rows(upper, lower, base=(100.0, 204.0), px_per_s=200.0, px_per_mv=80.0, width_px=3.0):
    """Draw two rows' signals (mV at times t, s) 13 mm apart (8 px per mm); returns ink, sample x and true y (px)."""
    t = np.arange(0, 0.6, 1 / 500)
    x = 10 + t * px_per_s
    truth = [b - signal(t) * px_per_mv for b, signal in zip(base, (upper, lower))]
    return _ink(x, truth, width_px, 320), x, truth


def test_unshare_keeps_a_flat_row_off_its_neighbours_qrs():
    """The upper row's S wave (-1.5 mV at 10 mm/mV) reaches 16 px past the lower row's baseline, so the lower
    row's flat line and the S stroke join into one run in a few columns. The lower row's path took that run
    and its polyline dipped 1.3 mV; with the shared columns clipped to its own span it stays within 0.15 mV.
    (The cost, stated in :func:`paths_unshare`: the upper row's S trough, inside the shared columns, is cut.)"""
    def bump(t, c, w):
        return np.exp(-((t - c) / w) ** 2)

    ink, x, truth = _two_rows(lambda t: 0.4 * bump(t, 0.2, 0.008) - 1.5 * bump(t, 0.218, 0.009),
                              lambda t: 0.8 * bump(t, 0.3, 0.009) + 0.3 * bump(t, 0.5, 0.04))
    runs = column_runs(ink > 0.5, ink)

    def lower_error(unshare: bool) -> float:
        paths = [trace_follow(runs, 0, ink.shape[1], (b - 166, b + 166), (b - 52, b + 52), 8.0, start_y=b)
                 for b in (100.0, 204.0)]
        if unshare:
            paths_unshare(paths, max_px=8)
        xs, ys = path_polyline(paths[1], 3.0)
        return float(np.nanmax(np.abs(polyline_sample(xs, ys, x, max_gap=1.0) - truth[1]))) / 80.0

    assert lower_error(unshare=False) > 1.0
    assert lower_error(unshare=True) < 0.15


def test_follow_keeps_an_apex_a_grid_line_piece_bridges():
    """A piece of grid line one pixel tall between the strokes of an R wave is flatter, so cheaper to follow than
    the apex above it; on a grid line it costs more, and the apex is kept."""
    mask = np.zeros((60, 60), bool)
    mask[48:52, :] = True                                        # the baseline, 4 px pen
    mask[:, 28:35] = False
    for c, (top, bot) in zip(range(28, 35), [(20, 51), (12, 36), (10, 20), (10, 20), (10, 20), (12, 36), (20, 51)]):
        mask[top:bot + 1, c] = True                              # up-stroke, apex at y 10-20, down-stroke
    mask[40, 29:34] = True                                       # a grid line's piece at y = 40 under the apex
    runs = column_runs(mask, mask.astype(np.float32))
    kept = trace_follow(runs, 0, 60, (0, 59), (0, 59), 8.0, start_y=50, grid_y=(0.0, 8.0))
    bridged = trace_follow(runs, 0, 60, (0, 59), (0, 59), 8.0, start_y=50)
    assert kept.top[31] == 10 and bridged.centre[31] == 40       # y (px) of the path at the apex's column
