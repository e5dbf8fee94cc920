"""The explorer section of report.html: self-contained, its data safely embedded, one line without a SCAN run."""

import json
import re

from vaescan.report.explorer import explorer_html, explorer_markdown


def _data(name: str) -> dict:
    beat = ["A" * 4] * 12
    return {"name": name, "leads": ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"],
            "t0_ms": -400.0, "fs_hz": 250.0, "unit_mv": 0.01, "steps_sd": [-1.0, 0.0, 1.0], "mean_beat": beat,
            "factors": [{"index": 0, "name": "z0", "kl_nats": 1.0, "sd": 0.5, "beats": [beat] * 3}],
            "inactive": 0, "capped": 0,
            "profiles": {"variables": ["NORM"], "items": [{"label": "NORM", "values": {"NORM": 1.0}, "beat": beat}]}}


def test_the_section_embeds_the_data_as_json_that_cannot_close_its_script():
    page = explorer_html([_data("</script><b>run & co</b>")])
    assert "http" not in page and "src=" not in page  # nothing fetched: it works offline
    embedded = re.search(r'<script type="application/json" id="explorer-data">(.*?)</script>', page, re.S).group(1)
    assert "<" not in embedded and json.loads(embedded)[0]["name"] == "</script><b>run & co</b>"
    assert page.count("<script") == page.count("</script>") == 3


def test_without_a_scan_run_the_section_says_so_in_one_line():
    for runs in (None, []):
        page = explorer_html(runs)
        assert "<script" not in page and page.count("<p>") == 1 and "no latent explorer" in page
        assert "no latent explorer" in explorer_markdown(runs)
    assert "scan1: 1 factor sliders, 1 clinical profiles" in explorer_markdown([_data("scan1")])
