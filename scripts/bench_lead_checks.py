"""Choose the lead-relation threshold on the project's own rendered pages.

Renders pages from noiseless synthetic records (all style families, clean and distorted, as
``digitize-eval``), digitises them and measures the relation scores of
:mod:`vaescan.digitize.lead_checks`: the worst score per page where every lead is named right
(against the truth), and per page every pair of limb leads swapped in the digitised record
(is the page flagged, and are both swapped leads below 0.5 confidence?).

    PYTHONPATH=$PWD python scripts/bench_lead_checks.py --n 24 -o docs/results/lead_checks_own.json
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from vaescan.bench import bench_parser
from vaescan.data.leads import LEADS
from vaescan.digitize.evaluate import eval_cases, eval_records, lead_names_check, truth_signals
from vaescan.digitize.lead_checks import LIMB_BASIS, lead_checks, relation_scores
from vaescan.digitize.pipeline import DigitizeConfig, image_digitize
from vaescan.errors import VaescanError
from vaescan.io import write_json
from vaescan.pages.distort import image_distort
from vaescan.pages.render import ecg_render


def main() -> None:
    parser = bench_parser(__doc__, "docs/results/lead_checks_own.json")
    parser.add_argument("--n", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--thresholds", default="0.1,0.15,0.2,0.25,0.3,0.4")
    args = parser.parse_args()
    thresholds = [float(v) for v in args.thresholds.split(",")]
    pages = []
    for case in eval_cases(eval_records(args.n, args.seed, noiseless=True), args.n, args.seed):
        image, truth = ecg_render(case.record, case.style)
        if case.distortion.active():
            image = image_distort(image, case.distortion, truth)
        x, shown = truth_signals(case.record, truth)
        try:
            record, _ = image_digitize(image, DigitizeConfig(speed_mm_s=case.style.speed_mm_s), name=case.page)
        except VaescanError as exc:
            pages.append({"page": case.page, "category": case.category, "layout": case.style.layout,
                          "error": str(exc)})
            continue
        names = lead_names_check(np.where(shown, x, np.nan), record.signal, 500.0)
        scores = [r["score"] for r in relation_scores(record.signal, 500.0)]
        swaps = []
        for a, b in combinations(LIMB_BASIS, 2):
            sig = record.signal.copy()
            ia, ib = LEADS.index(a), LEADS.index(b)
            sig[:, [ia, ib]] = sig[:, [ib, ia]]
            per_t = {}
            for thr in thresholds:
                rep = lead_checks(sig, 500.0, threshold=thr)
                conf = [rep["leads"].get(lead, {}).get("confidence") for lead in (a, b)]
                per_t[str(thr)] = {"flagged": rep["verdict"] != "confident",
                                   "both_named": all(c is not None and c < 0.5 for c in conf)}
            swaps.append({"pair": f"{a}<->{b}", **per_t})
        pages.append({"page": case.page, "category": case.category, "layout": case.style.layout,
                      "misnamed": sum(v["status"] == "misnamed" for v in names.values()),
                      "worst": max(scores, default=None), "n_relations": len(scores), "swaps": swaps})
    read = [p for p in pages if "error" not in p]
    right = [p for p in read if p["misnamed"] == 0 and p["worst"] is not None]
    worst = np.array([p["worst"] for p in right])
    table = {}
    for thr in thresholds:
        t = str(thr)
        swaps = [s for p in read for s in p["swaps"]]
        table[t] = {"right_pages_confident": f"{int((worst <= thr).sum())}/{len(worst)}",
                    "swaps_flagged": f"{sum(s[t]['flagged'] for s in swaps)}/{len(swaps)}",
                    "swaps_both_leads_named": f"{sum(s[t]['both_named'] for s in swaps)}/{len(swaps)}"}
    out = {"n": args.n, "seed": args.seed, "pages_read": len(read), "pages_rejected": len(pages) - len(read),
           "pages_named_right": len(right),
           "worst_score_quantiles": {q: round(float(np.quantile(worst, q)), 4) for q in (0.5, 0.9, 0.95, 1.0)},
           "by_threshold": table,
           "pages": [{k: v for k, v in p.items() if k != "swaps"} for p in pages]}
    print({k: v for k, v in out.items() if k != "pages"})
    write_json(args.output, out)


if __name__ == "__main__":
    main()
