"""The twelve real photos and scans: none crashes; each gives consistent leads that carry beats, or a specific error."""

import numpy as np

from vaescan.data.leads import LEADS
from vaescan.digitize.pipeline import HR_TOLERANCE, _heart_rate, image_digitize
from vaescan.errors import VaescanInputError
from vaescan.pages.layout import layout_panels

PRINTED_LAYOUTS = {"ecg00001.png": "3x4+II", "ecg00003.png": "3x4+II", "ecg00006.png": "3x4+V1,II,V5",
                   "ecg00013.jpg": "3x4", "ecg00016.jpg": "3x4+II", "ecg00020.jpg": "3x5", "ecg00026.jpg": "3x4+II",
                   "ecg00030.jpg": "3x4+II", "ecg00040.jpg": "3x4+II", "ecg00045.jpg": "3x4+II",
                   "ecg00053.png": "3x4+V1,II,V5"}
"""Layouts read by eye from the printed lead labels (and the panels' places), for every photo that is read: they
fix every lead's name. Before the labels were read, ecg00026 was taken for 3x4+aVF (its strip matched aVF best)
and ecg00053 for 6x2 (its three strips did not repeat grid panels closely enough); before the 3x5 layout,
ecg00020 (I aVR V1 V4 V4R / II aVL V2 V5 V8 / III aVF V3 V6 V9, 2 s columns) was forced into 3x4. ecg00013's fourth
row is cut off below its label; ecg00016 is cropped through its strip (read as 3x4+II: 9 leads)."""


def test_real_photos(shared_data):
    photos = sorted((shared_data / "real_photos").iterdir())
    assert len(photos) == 12
    read, leads, flagged_rows, partial = 0, 0, 0, 0
    for photo in photos:
        try:
            record, report = image_digitize(photo)
        except VaescanInputError as exc:
            assert str(exc).startswith(str(photo)) and ("row" in str(exc) or "grid" in str(exc)), str(exc)
            continue
        read += 1
        assert report["layout"] == PRINTED_LAYOUTS[photo.name], (photo.name, report["layout"])
        found = [lead for k, lead in enumerate(LEADS) if np.isfinite(record.signal[:, k]).any()]
        assert found == report["leads_found"][:len(found)] and len(found) >= 8, (photo.name, found)  # 8, 11 or 12
        extra = report["leads_found"][len(found):]
        # ecg00020's fifth column, V4R V8 V9 by the 15-lead default (its labels there are not read): flagged, as is
        # its time axis (the rows' ends are hidden: where the ink begins)
        assert extra == (["V4R", "V8", "V9"] if photo.name == "ecg00020.jpg" else []), (photo.name, extra)
        assert all(report["lead_checks"]["leads"][x]["confidence"] <= 0.25 for x in extra)
        leads += len(found)
        # all leads are recorded at once: each printed row (its panels put back together from the record)
        # should show the same heart rate (a 2.5 s panel alone holds too few beats to tell); a row that does
        # not is kept (rhythms can change) but every lead of it must be flagged, with the reason
        rows: dict[int, np.ndarray] = {}
        segments: dict[int, list] = {}
        leads_of: dict[int, set] = {}
        for p in layout_panels(report["layout"], 10.0):
            i0, i1 = p.sample_range(500.0)
            x = rows.setdefault(p.row, np.full(record.signal.shape[0], np.nan))
            x[i0:i1] = record.lead(p.lead)[i0:i1]
            segments.setdefault(p.row, []).append((i0, i1))
            leads_of.setdefault(p.row, set()).add(p.lead)
        rates = {i: _heart_rate(x, 500.0, segments[i]) for i, x in rows.items() if np.isfinite(x).any()}
        rates = {i: r for i, r in rates.items() if np.isfinite(r)}
        # the traces carry beats: at least 3 rows give a heart rate (measured: 3 to 6 rows, 59-144 bpm)
        assert len(rates) >= 3 and 40 <= min(rates.values()) and max(rates.values()) <= 180, (photo.name, rates)
        consensus = float(np.median(list(rates.values())))
        checks = report["lead_checks"]
        for i, rate in rates.items():
            if abs(rate / consensus - 1) > 1.5 * HR_TOLERANCE:
                flagged = {lead for lead in leads_of[i] if (checks["leads"][lead]["confidence"] or 0) <= 0.25}
                assert flagged == leads_of[i] and checks["verdict"] != "confident", (photo.name, i, rate, consensus)
                flagged_rows += 1
        # every lead read over most of its panel carries beats; one read over less is flagged (ecg00030's V3:
        # 13 % of its panel, confidence 0.25, "low quality in V3")
        quality: dict[str, float] = {}
        for p in report["panels"]:
            if p.get("written"):
                quality[p["lead"]] = max(quality.get(p["lead"], 0.0), p["quality"])
        full = [lead for lead in found if quality[lead] >= 0.5]
        assert all((checks["leads"][lead]["confidence"] or 0) <= 0.25 for lead in found if lead not in full), photo
        shown = record.signal[:, [LEADS.index(lead) for lead in full]]
        swing = np.nanmax(shown, axis=0) - np.nanmin(shown, axis=0)
        assert swing.min() >= 0.25, (photo.name, swing)   # mV: measured 0.28 at least (ecg00020's V6, 2 s shown)
        partial += len(found) - len(full)
        assert np.nanmax(np.abs(record.signal)) < 10.0           # mV: no runaway trace
    assert read >= 11 and leads >= 124                          # measured: 11 of 12 read (ecg00008 refused), 124 leads
    assert partial <= 4                                         # measured: 4 (ecg00016 3, ecg00030 1)
