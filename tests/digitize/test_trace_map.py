"""The digitiser's trace map of a page agrees with the render's own: same pixels, same leads, nearby samples."""

import numpy as np

from tests.conftest import AnalyticECG, analytic_ecg
from vaescan.digitize.trace_map import digitized_trace_map
from vaescan.pages.model_input import PageInputConfig, page_input, page_style
from vaescan.pages.render import ecg_render


def test_digitized_trace_map_matches_the_rendered_one():
    record = analytic_ecg(AnalyticECG(duration_s=10.0))[0]
    config = PageInputConfig(dpi=100, distortion=0.0)
    truth_map = page_input(record, config).trace_map
    page, _ = ecg_render(record, page_style(config))
    read_map, read = digitized_trace_map(page, config)
    a, b = truth_map >= 0, read_map >= 0
    iou = (a & b).sum() / (a | b).sum()
    both = a & b
    n = record.n_samples
    same_lead = truth_map[both] // n == read_map[both] // n
    dt_ms = np.abs(truth_map[both] % n - read_map[both] % n) / record.fs * 1000
    assert iou > 0.95, iou  # measured 0.977
    assert same_lead.mean() > 0.99  # measured 0.999
    assert np.median(dt_ms) <= 8 and np.percentile(dt_ms, 95) <= 20  # measured 4 and 10 ms
    assert read.n_samples == n
