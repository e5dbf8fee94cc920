"""Write the measured numbers into the docs from the runs' own JSON files in docs/results/.

Generated blocks, each between marker comments ``<!-- NAME:start -->`` .. ``<!-- NAME:end -->``:

- README.md, ``status``: the status table (what is measured, against which target, met or missed, and the
  JSON each number comes from);
- docs/digitize.md, ``digitize-status``: its opening status sentence;
- docs/digitize.md, ``digitize-results``: the digitiser's SNR per page category and style family on the
  60-page runs, its error budget and its speed.

A row whose JSON is missing is left out and named under the table; no number is typed by hand.

    python scripts/readme_status.py           # rewrite the blocks
    python scripts/readme_status.py --check   # exit 1 when a block differs from what the JSON gives (CI)
"""

from __future__ import annotations

import argparse
import csv
import difflib
import json
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs" / "results"

# the digitize-eval runs (each folder written by `vaescan digitize-eval -o FOLDER`)
DIGITIZE_RUNS = {
    "seed0_noiseless": "digitize_eval_seed0_noiseless",
    "seed1_noiseless": "digitize_eval_seed1_noiseless",
    "seed0_cohort": "digitize_eval_seed0_cohort",
}
# what each file is written by (shown under the table for a missing file)
WRITTEN_BY = {
    "bench_features.json": "python scripts/bench_features.py --n 500 --seed 0 -o docs/results/bench_features.json",
    "bench_synth.json": "python scripts/bench_synth.py --n 1000 -o docs/results/bench_synth.json",
    "bench_data.json": "python scripts/bench_data.py --n 400 -o docs/results/bench_data.json",
    "synth_tasks.json": "python scripts/bench_tasks.py --n 800 --seed 1 --jobs 1 -o docs/results/synth_tasks.json",
    "vae_scan_synthetic.json": "python scripts/bench_vae_scan.py --threads 1 -o docs/results/vae_scan_synthetic.json",
    "bench_vae.json": "python scripts/bench_vae.py --data runs/synthetic_5000 --threads 1 "
                      "-o docs/results/bench_vae.json",
    "bench_digitize.json": "python scripts/bench_digitize.py --pages 5 -o docs/results/bench_digitize.json",
    "bench_explain.json": "python scripts/bench_explain.py --jobs 2 -o docs/results/bench_explain.json",
    "bench_jacobian.json": "python scripts/bench_jacobian.py --threads 2 -o docs/results/bench_jacobian.json",
    "digitize_eval_seed0_noiseless/summary.json": "vaescan digitize-eval --n 60 --seed 0 --noiseless "
                                                  "-o docs/results/digitize_eval_seed0_noiseless",
    "digitize_eval_seed1_noiseless/summary.json": "vaescan digitize-eval --n 60 --seed 1 --noiseless "
                                                  "-o docs/results/digitize_eval_seed1_noiseless",
    "digitize_eval_seed0_cohort/summary.json": "vaescan digitize-eval --n 60 --seed 0 "
                                               "-o docs/results/digitize_eval_seed0_cohort",
    "outside_pages/summary.json": "vaescan digitize-eval --pages ../shared/data/outside_pages --jobs 2 "
                                  "-o docs/results/outside_pages",
    "outside_pages_pulse_lag/summary.json": "vaescan digitize-eval --pages ../shared/data/outside_pages --jobs 2 "
                                            "--pulse-lag-ms 3 -o docs/results/outside_pages_pulse_lag",
    "digitize_error_budget.json": "python scripts/digitize_error_budget.py --n 12 "
                                  "-o docs/results/digitize_error_budget.csv",
}
BLOCKS = (("README.md", "status"), ("docs/digitize.md", "digitize-status"), ("docs/digitize.md", "digitize-results"))
CATEGORIES = ("rotation", "perspective", "shadow", "crease", "blur", "jpeg", "noise", "phone")
CATEGORY_NAMES = {"jpeg": "JPEG", "noise": "sensor noise", "phone": "phone mix"}
FAMILIES = ("classic", "export", "print", "heldout")


def read(rel: str, results: Path) -> dict | None:
    """The JSON at ``results/rel``, or None when the file is not there."""
    path = results / rel
    return json.loads(path.read_text()) if path.is_file() else None


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def link(rel: str, base: str) -> str:
    """A Markdown link to a results file, relative to the document at ``base`` (README.md or docs/...)."""
    prefix = "docs/results/" if base == "README.md" else "results/"
    return f"[{Path(rel).parent.name if rel.endswith('summary.json') else Path(rel).stem}]({prefix}{rel})"


def _db(x: float | None) -> str:
    """One decimal, rounded half up as a reader would (6.35 -> 6.4; float formatting gives 6.3)."""
    return "n/a" if x is None else str(Decimal(str(x)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _load_peaks(d: dict) -> tuple[list[float], int | None]:
    """The 1-minute load averages a benchmark's JSON recorded (``load_average`` {name: [1, 5, 15 min]} or
    ``load_average_before``/``_after``) and the machine's core count, when recorded."""
    load = d.get("load_average") or {}
    peaks = [v[0] for v in load.values() if isinstance(v, list) and v] if isinstance(load, dict) else []
    peaks += [d[k][0] for k in ("load_average_before", "load_average_after") if isinstance(d.get(k), list)]
    machine = d.get("machine") if isinstance(d.get("machine"), dict) else {}
    return peaks, d.get("cpus") or d.get("cpu_count") or machine.get("cpus")


def _load(d: dict) -> str:
    """' (load average L on C cores)' from a benchmark's JSON, when it recorded the load; '' otherwise."""
    peaks, cpus = _load_peaks(d)
    if not peaks:
        return ""
    return f" (load average up to {max(peaks):.1f}" + (f" on {cpus} cores)" if cpus else ")")


def timing_verdict(ok: bool, d: dict) -> str:
    """met / missed for a time target; a miss measured on a machine loaded past its cores is not judged.

    Other jobs can only slow a run down, so a time met under load is met; a time missed under load says
    little about the code.
    """
    peaks, cpus = _load_peaks(d)
    if not ok and peaks and cpus and max(peaks) > cpus:
        return f"not judged (missed under a load average of {max(peaks):.0f} on {cpus} cores; rerun on a quiet machine)"
    return verdict(ok)


def status_rows(results: Path) -> tuple[list[tuple[str, str, str, list[str]]], list[str]]:
    """Rows (stage, measured, target and verdict, source files) and the files that were missing."""
    rows, missing = [], []

    def need(*rels):
        data = [read(r, results) for r in rels]
        missing.extend(r for r, d in zip(rels, data) if d is None)
        return data if all(d is not None for d in data) else None

    if got := need("bench_features.json"):
        (f,) = got
        t = f["targets"]
        rows.append((
            f"features vs synthetic truth ({f['n_records']} records)",
            f"MAE QRS {t['qrs_ms']['mae']:.1f} ms, PR {t['pr_ms']['mae']:.1f} ms, QT {t['qt_ms']['mae']:.1f} ms, "
            f"HR {t['hr_bpm']['mae']:.2f} bpm",
            f"{t['qrs_ms']['target_mae']:g} / {t['pr_ms']['target_mae']:g} / {t['qt_ms']['target_mae']:g} ms, "
            f"{t['hr_bpm']['target_mae']:g} bpm: {verdict(all(v['met'] for v in t.values()))}",
            ["bench_features.json"]))
    if got := need("bench_synth.json"):
        (s,) = got
        rows.append((
            "synthetic cohort speed",
            f"{s['n_records']:,} records in {s['seconds']:.0f} s on {s['jobs']} core{'s' if s['jobs'] > 1 else ''}"
            + _load(s),
            f"< {s['target_seconds_per_1000_records']:g} s per 1,000: {timing_verdict(s['met'], s)}",
            ["bench_synth.json"]))
    if got := need("synth_tasks.json"):
        (k,) = got
        easy, real = k["presets"]["easy"], k["presets"]["realistic"]
        af = real["tasks"]["AF"]
        rows.append((
            f"task difficulty: features + logistic regression, 5-fold CV ({k['n']} records per preset)",
            f"macro AUROC easy {easy['macro_auroc_labels']:.3f}; realistic {real['macro_auroc_labels']:.3f} "
            f"({real['macro_auroc_labels_true']:.3f} against the true causes, "
            f"{real['label_misread_rate']:.1%} labels misread); realistic AF (true causes) "
            f"{af['auroc_true_no_hrv']:.3f} without, {af['auroc_true_all']:.3f} with the HRV indices",
            "no target; the realistic preset leaves room between representations",
            ["synth_tasks.json"]))
    if got := need("bench_data.json"):
        (d,) = got
        t = d["targets"]
        rows.append((
            "median beats + features speed",
            f"beats {d['runs']['beats_jobs1']['records_per_s']:.0f}, features "
            f"{d['runs']['features_jobs1']['records_per_s']:.0f} records/s on one core; PTB-XL's features "
            f"extrapolated to {t['ptbxl_features_minutes_two_cores']['measured']:.0f} min on 2 cores" + _load(d),
            f">= {t['beats_records_per_s_one_core']['target']:g} records/s: "
            f"{timing_verdict(t['beats_records_per_s_one_core']['met'], d)}; <= "
            f"{t['ptbxl_features_minutes_two_cores']['target']:g} min: "
            f"{timing_verdict(t['ptbxl_features_minutes_two_cores']['met'], d)}",
            ["bench_data.json"]))
    if got := need("vae_scan_synthetic.json"):
        (v,) = got
        t = v["targets"]
        r2 = ", ".join(f"{k.split('_')[0].upper()} {v['readout_r2'][k]:.2f}"
                       for k in ("qrs_ms", "qt_ms", "pr_ms", "st_mv_anterior", "t_amp_mv", "r_amp_mv"))
        core = [k for k in t if not k.startswith("single_factor")]
        rows.append((
            f"VAE-SCAN on synthetic records ({v['n_train']:,} train / {v['n_test']} test beats; "
            f"{len(v['anchor_features'])} of {len(v['kl_per_unit'])} factors anchored to measured intervals)",
            f"SCAN AUROC LBBB {v['auroc']['LBBB']:.2f}, LVH {v['auroc']['LVH']:.2f}, "
            f"MI_ANT {v['auroc']['MI_ANT']:.2f}; generated LBBB QRS {v['generated']['LBBB']['qrs_ms']:.0f} ms vs "
            f"NORM {v['generated']['NORM']['qrs_ms']:.0f} ms; linear read-out R2 {r2}; "
            f"VAE training {v['vae_train_seconds']:.0f} s" + _load(v),
            f"AUROC {t['auroc_LBBB']['target']}, QRS {t['generate_lbbb_qrs_ms']['target']} / "
            f"{t['generate_norm_qrs_ms']['target']} ms, R2 {t['readout_r2_qrs_ms']['target']}, "
            f"{t['vae_train_seconds']['target']} s: "
            + ("met" if all(t[k]["pass"] for k in core)
               else "**missed**: " + ", ".join(k for k in core if not t[k]["pass"])),
            ["vae_scan_synthetic.json"]))
        mono = ("qrs_ms", "qt_ms", "t_amp_mv")
        anchored = [abs(v["anchored_factor"][k]["rho"]) for k in mono if k in (v.get("anchored_factor") or {})]
        free = [abs(v["best_free_factor"][k]["rho"]) for k in mono]
        rows.append((
            "VAE-SCAN single-factor \\|rho\\| with the true QRS / QT / T amplitude",
            (f"anchored factors {' / '.join(f'{x:.2f}' for x in anchored)}; " if anchored else "")
            + f"best *unanchored* factor {' / '.join(f'{x:.2f}' for x in free)}",
            "0.7: " + ("met by anchoring (weak supervision from the beat's own measured intervals); "
                       if anchored and min(anchored) >= 0.7 else "")
            + ("met without anchors" if min(free) >= 0.7 else "**missed** by the unanchored factors"),
            ["vae_scan_synthetic.json"]))
        weak = {k: x for k, x in v["auroc"].items() if x < 0.95}
        rows.append((
            "SCAN on variables without a target",
            f"age R2 {v['r2']['age']:.2f} (MAE {v['mae']['age']:.1f} years); AUROC "
            + ", ".join(f"{k} {x:.2f}" for k, x in sorted(weak.items(), key=lambda kv: kv[1])),
            "no target; **age is not predicted** (R2 about 0)" if v["r2"]["age"] < 0.1 else "no target",
            ["vae_scan_synthetic.json"]))
    if got := need("bench_vae.json"):
        (b,) = got
        rows.append((
            "pyro SVI step vs plain torch",
            f"{b['ratio']:.2f}x" + _load(b),
            f"<= {b['target_ratio']:g}x: {verdict(b['meets_target'])}",
            ["bench_vae.json"]))
    rows += digitize_rows(results, missing)
    if got := need("bench_digitize.json"):
        (g,) = got
        rows.append((
            f"digitisation speed ({g['dpi']} dpi page, one thread, {g['pages']} pages)",
            f"{g['seconds_per_page_mean']:.1f} s per page ({_page_times(g)}), "
            f"peak {g['peak_rss_mb']:.0f} MB" + _load(g),
            f"<= {g['targets']['seconds_per_page']:g} s: "
            f"{timing_verdict(_time_ok(g), g)}; "
            f"<= {g['targets']['peak_rss_mb'] / 1024:g} GB: {verdict(g['peak_rss_mb'] <= g['targets']['peak_rss_mb'])}",
            ["bench_digitize.json"]))
    rows += explain_rows(need)
    if got := need("tradeoff_synthetic_800.json"):
        (t,) = got
        cells = [f"{r['representation'].split(' (')[0]} {r['macro_auroc']:.3f}"
                 + (f" (gap {r['gap_to_best']:+.3f}, p {r['p_gap']:.2g})" if r["representation"] != t["best"] else "")
                 for r in t["summary"]]
        rows.append((
            f"trade-off report, easy preset (800 synthetic records, {t['n_test']} test; macro AUROC over "
            f"{len(t['macro_labels'])} labels, paired bootstrap gap to the best)",
            "; ".join(cells),
            "no target; the easy preset's labels are what the features measure; PTB-XL: tested on a tiny release only",
            ["tradeoff_synthetic_800.json"]))
    if got := need("tradeoff_quickstart_realistic.json"):
        (q,) = got
        cells = [f"{r['representation'].split(' (')[0]} {r['macro_auroc']:.3f}"
                 + (f" (gap {r['gap_to_best']:+.3f}, p {r['p_gap']:.2g})" if r["representation"] != q["best"] else "")
                 for r in q["summary"]]
        verdicts = [f"{r['study'].split(' (')[0].split(',')[0]}: {r['verdict'].split(':')[0]}" for r in q["published"]]
        rows.append((
            f"trade-off report, the default quickstart on the realistic preset (300 records, {q['n_test']} test; "
            f"macro AUROC over {len(q['macro_labels'])} labels)",
            "; ".join(cells) + f"; beside the published magnitudes: {', '.join(verdicts)}; "
            f"{q['wall_seconds'] / 60:.1f} min wall, {q['cpu_seconds'] / 60:.1f} min CPU, "
            f"{q['max_rss_gb']:.2f} GB" + _load(q),
            f"<= 20 min: {timing_verdict(q['wall_seconds'] <= 1200, q)}; <= 4 GB: {verdict(q['max_rss_gb'] <= 4)}",
            ["tradeoff_quickstart_realistic.json"]))
    return rows, missing


def explain_rows(need) -> list[tuple[str, str, str, list[str]]]:
    """Rows of the black boxes and their Jacobian explanations (``bench_explain.json``, ``bench_jacobian.json``)."""
    rows = []
    if got := need("bench_explain.json"):
        (e,) = got
        src = ["bench_explain.json"]
        acc = e["accuracy"]

        def aurocs(name):
            return ", ".join(f"{k} {acc[name]['auroc'][k]:.2f}" for k in ("LBBB", "MI_ANT", "LQT", "AVB1"))

        rows.append((
            f"black boxes on synthetic records ({e['n_records']:,}; 70/15/15 split)",
            f"signal CNN AUROC {aurocs('signal_seed0')}, age MAE {acc['signal_seed0']['age_mae']:.1f} y; page-image "
            f"CNN AUROC {aurocs('image_seed0')}, age MAE {acc['image_seed0']['age_mae']:.1f} y",
            "no target", src))
        loc = e["localisation"]
        default = {"signal": "jacobian_x_input+smooth16", "image": "jacobian_x_input"}   # vaescan explain's defaults
        keys = {kind: f"{kind}_seed0/{variant}" for kind, variant in default.items()}
        cells = [f"{kind} " + ", ".join(f"{lab} {loc[key][lab]['top_hit']:.0%}" for lab in ("LBBB", "MI_ANT", "LQT"))
                 for kind, key in keys.items()]
        hits = e["targets"]["localisation_top_hit_70"]
        missed = [f"{kind}/{lab}" for kind, key in keys.items() for lab in ("LBBB", "MI_ANT", "LQT")
                  if not hits[f"{key}/{lab}"]]
        rows.append((
            "Jacobian explanations point at the known cause (top lead x wave of test true positives; signal: "
            "SmoothGrad x input, image: Jacobian x input)",
            "; ".join(cells),
            ">= 70%: " + ("met" if not missed else "**missed** for " + ", ".join(missed)), src))
        f = e["faithfulness"]
        t = e["targets"]
        sig, img = keys["signal"], keys["image"]
        raw = [f"{k}/jacobian" for k in ("signal_seed0", "image_seed0")]
        stability = e["seed_stability"][default["signal"]]["rank_corr_median"]
        rows.append((
            "explanation sanity (signal / image model; raw Jacobian where it differs)",
            f"deletion >= 2x better than random for {f[sig]['deletion_2x_share']:.0%} / "
            f"{f[img]['deletion_2x_share']:.0%} of records; randomised-weights rank correlation "
            f"{f[sig]['randomised_rank_corr_abs']:.2f} / {f[img]['randomised_rank_corr_abs']:.2f} (raw "
            f"{f[raw[0]]['randomised_rank_corr_abs']:.2f} / {f[raw[1]]['randomised_rank_corr_abs']:.2f}); "
            f"seed-to-seed {stability:.2f}; page maps off the trace {e['background_share'][default['image']]:.0%}",
            f"< 0.2: {verdict(t['randomised_below_0.2'][sig] and t['randomised_below_0.2'][img])} (raw: "
            f"{verdict(all(t['randomised_below_0.2'][k] for k in raw))}); >= 0.8: {verdict(stability >= 0.8)}; "
            f"< 20%: {verdict(t['background_share_below_0.2'][default['image']])}", src))
    if got := need("bench_jacobian.json"):
        (j,) = got
        sig, img = j["signal"], j["image"]
        ours_s, ours_i = sig["candidates"]["backward_loop"], img["candidates"]["backward_loop"]
        floor_ok = max(ours_s["ratio_to_floor"], ours_i["ratio_to_floor"]) <= 1.2
        loop_ok = [x["speedup_vs_per_record_loop"] >= 3 for x in (sig, img)]
        captum_ok = min(sig["speedup_vs_captum"], img["speedup_vs_captum"]) >= 1
        one_ok = sig["one_record_all_outputs_s"] <= 1 and img["one_record_all_outputs_s"] <= 5
        loop_verdict = verdict(all(loop_ok)) if all(loop_ok) or not any(loop_ok) else \
            "met for the signal model, **missed** for the image model" if loop_ok[0] else "**missed** (signal)"
        rows.append((
            f"all-outputs Jacobian speed ({sig['outputs']} outputs; signal batch {sig['batch']}, image batch "
            f"{img['batch']})",
            f"{ours_s['ratio_to_floor']:.2f}x / {ours_i['ratio_to_floor']:.2f}x the reverse-mode floor; "
            f"{sig['speedup_vs_per_record_loop']:.0f}x / {img['speedup_vs_per_record_loop']:.0f}x faster than a "
            f"per-record loop, {sig['speedup_vs_captum']:.1f}x / {img['speedup_vs_captum']:.1f}x than captum; one "
            f"record {sig['one_record_all_outputs_s']:.2f} s / {img['one_record_all_outputs_s']:.2f} s",
            f"<= 1.2x: {verdict(floor_ok)}; >= 3x: {loop_verdict}; >= 1x: {verdict(captum_ok)}; 1 s / 5 s: "
            f"{verdict(one_ok)}", ["bench_jacobian.json"]))
    return rows


def weakest(runs: list[dict]) -> list[tuple[str, str, bool]]:
    """The held-out style, crease and phone pages: (name, 'a / b' dB over the runs, at the distorted target)."""
    out = []
    for name, pick in (("held-out page style", lambda s: s["by_family"].get("heldout")),
                       ("crease pages", lambda s: s["by_category"].get("crease")),
                       ("phone pages", lambda s: s["by_category"].get("phone"))):
        vals = [pick(s) for s in runs]
        if all(x is not None for x in vals):
            out.append((name, " / ".join(_db(x["snr_db"]) for x in vals),
                        all(x["snr_db"] >= s["targets_db"]["distorted"] for x, s in zip(vals, runs))))
    return out


def digitize_rows(results: Path, missing: list[str]) -> list[tuple[str, str, str, list[str]]]:
    """The digitiser's rows: records without hum (two seeds), then the cohort's records with hum."""
    runs = {k: read(f"{d}/summary.json", results) for k, d in DIGITIZE_RUNS.items()}
    missing.extend(f"{DIGITIZE_RUNS[k]}/summary.json" for k, s in runs.items() if s is None)
    rows = []
    quiet = [(k, s) for k, s in runs.items() if s is not None and k.endswith("noiseless")]
    if quiet:
        src = [f"{DIGITIZE_RUNS[k]}/summary.json" for k, _ in quiet]
        n = quiet[0][1]["n"]
        targets = quiet[0][1]["targets_db"]
        for key in ("clean", "distorted"):
            parts = []
            for _, s in quiet:
                at = s.get("pages_at_target", {}).get(key)
                parts.append(f"seed {s['seed']}: {_db(s[key]['snr_db'])} dB (median {_db(s[key]['median_snr_db'])}"
                             + (f"; {at} of {s[key]['pages']} pages >= {targets[key]:g} dB" if at is not None else "")
                             + ")")
            ok = [s[key]["snr_db"] >= targets[key] for _, s in quiet]
            rows.append((
                f"digitisation, {key} pages, records without mains hum (Challenge 2024 SNR, {n} pages per seed)",
                "; ".join(parts),
                f">= {targets[key]:g} dB: " + ("met" if all(ok) else "**missed**")
                + (f" (seeds {', '.join(str(s['seed']) for _, s in quiet)})" if len(quiet) > 1 else ""),
                src))
        low = weakest([s for _, s in quiet])
        if low:
            rows.append((
                "digitisation, the weakest pages, without hum (seed " + " / ".join(str(s["seed"]) for _, s in quiet)
                + ")",
                "; ".join(f"{name} {vals} dB" for name, vals, _ in low),
                f"{targets['distorted']:g} dB (distorted pages): "
                + ", ".join(f"{name} {verdict(ok)}" for name, _, ok in low),
                src))
    s = runs.get("seed0_cohort")
    if s is not None:
        t = s["targets_db"]
        ceiling = (s["clean"]["ceiling_db"], s["distorted"]["ceiling_db"])
        above = [k for k, c in zip(("clean", "distorted"), ceiling) if c is not None and t[k] > c]
        met = [s[k]["snr_db"] >= t[k] for k in ("clean", "distorted")]
        rows.append((
            f"digitisation, the cohort's records with mains hum (seed {s['seed']}, {s['n']} pages)",
            f"clean {_db(s['clean']['snr_db'])} dB, distorted {_db(s['distorted']['snr_db'])} dB "
            f"(a perfect reader's ceiling there: {_db(ceiling[0])} / {_db(ceiling[1])} dB)",
            f"{t['clean']:g} / {t['distorted']:g} dB: "
            + ("met" if all(met) else "**missed**" if not any(met) else
               "clean " + verdict(met[0]) + ", distorted " + verdict(met[1]))
            + (f"; {' and '.join(above)} target above a perfect reader's ceiling" if above else ""),
            [f"{DIGITIZE_RUNS['seed0_cohort']}/summary.json"]))
    outside = outside_row(results)
    if outside is None:
        missing.append("outside_pages/summary.json")
    else:
        rows.append(outside)
    return rows


OUTSIDE_TARGETS = {"snr_db": 15.0, "floor_db": 3.0, "rejected": 1, "names_right": 0.99}
"""Issue 16's targets on the outside pages: mean SNR, no page below the floor, at most so many rejected, the
share of lead segments under their true name (and none wrongly named without a flag)."""


def outside_row(results: Path) -> tuple[str, str, str, list[str]] | None:
    """The pages drawn by another generator (``digitize-eval --pages``): SNR, pages below the floor, names."""
    s = read("outside_pages/summary.json", results)
    if s is None:
        return None
    o, t = s["overall"], OUTSIDE_TARGETS
    with open(results / "outside_pages" / "pages.csv", newline="") as f:
        pages = list(csv.DictReader(f))
    low = [(p["page"], "rejected" if p["error"] else _db(float(p["snr_db"]))) for p in pages
           if p["error"] or float(p["snr_db"]) < t["floor_db"]]
    checks = [(f">= {t['snr_db']:g} dB", o["snr_db"] >= t["snr_db"]),
              (f"no page < {t['floor_db']:g} dB", not low),
              (f"<= {t['rejected']} rejected", o["failed"] <= t["rejected"]),
              (f"names >= {t['names_right']:.0%}", o["names_right"] >= t["names_right"]),
              ("0 silently misnamed", o["misnamed_silent"] == 0)]
    return (f"digitisation, pages drawn by another generator (ECG-Image-Kit, {o['pages']} pages; Challenge 2024 SNR, "
            "a rejected page 0 dB)",
            f"mean {_db(o['snr_db'])} dB (best shift {_db(o['snr_shift_db'])}); below {t['floor_db']:g} dB: "
            + (", ".join(f"{name} {v}" for name, v in low) or "none")
            + f"; rejected {o['failed']}; leads named right {o['leads_read'] - o['misnamed_leads']}/{o['leads_read']}, "
            f"{o['misnamed_silent']} silently misnamed" + _with_pulse_lag(results),
            "; ".join(f"{name}: {verdict(ok)}" for name, ok in checks),
            ["outside_pages/summary.json"]
            + (["outside_pages_pulse_lag/summary.json"] if (results / "outside_pages_pulse_lag").is_dir() else []))


def _with_pulse_lag(results: Path) -> str:
    """The same pages read with their generator's calibration-pulse convention (``--pulse-lag-ms``), if run."""
    s = read("outside_pages_pulse_lag/summary.json", results)
    if s is None:
        return ""
    return (f"; read with the generator's pulse convention (`--pulse-lag-ms {s['pulse_lag_ms']:g}`): "
            f"mean {_db(s['overall']['snr_db'])} dB, {s['overall']['misnamed_silent']} silently misnamed")


def status_block(results: Path) -> str:
    rows, missing = status_rows(results)
    lines = ["<!-- generated by scripts/readme_status.py from docs/results/; edit the JSON's run, not this table -->",
             "", "| stage | measured | target | source |", "| --- | --- | --- | --- |"]
    # timings come with the load average the run saw: the reference machine has 2 cores, shared
    for stage, measured, target, sources in rows:
        lines.append(f"| {stage} | {measured} | {target} | {', '.join(link(r, 'README.md') for r in sources)} |")
    if missing:
        lines += ["", "Not in this table (no JSON in docs/results/ yet): "
                  + "; ".join(f"`{m}` (`{WRITTEN_BY.get(m, '?')}`)" for m in missing) + "."]
    return "\n".join(lines)


def digitize_block(results: Path) -> str:
    """Per category and family: mean SNR (median), best-shift SNR, for each run; the cohort run's ceiling."""
    runs = [(k, s) for k, s in ((k, read(f"{d}/summary.json", results)) for k, d in DIGITIZE_RUNS.items())
            if s is not None]
    if not runs:
        return "No `digitize-eval` summary in docs/results/ yet."
    head = ["pages", "n"]
    for k, s in runs:
        what = "no hum" if k.endswith("noiseless") else "cohort, with hum"
        head += [f"seed {s['seed']}, {what}: SNR (median)", "best shift"]
        if not k.endswith("noiseless"):
            head.append("ceiling")
    head.append("target")
    targets = runs[0][1]["targets_db"]

    def cells(pick, name, bold=False, target=""):
        first = pick(runs[0][1])
        out = [f"**{name}**" if bold else name, str(first["pages"]) if first else ""]
        for k, s in runs:
            x = pick(s)
            snr = "" if x is None else f"{x['snr_db']:.2f} ({x['median_snr_db']:.2f})"
            out += [f"**{snr}**" if bold and snr else snr, "" if x is None else f"{x['snr_shift_db']:.2f}"]
            if not k.endswith("noiseless"):
                out.append("" if x is None or x["ceiling_db"] is None else f"{x['ceiling_db']:.2f}")
        return "| " + " | ".join(out + [target]) + " |"

    lines = ["<!-- generated by scripts/readme_status.py from docs/results/digitize_eval_*/summary.json -->", "",
             "| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    lines.append(cells(lambda s: s["clean"], "clean", True, f">= {targets['clean']:g}"))
    lines.append(cells(lambda s: s["distorted"], "distorted", True, f">= {targets['distorted']:g}"))
    for c in CATEGORIES:
        lines.append(cells(lambda s, c=c: s["by_category"].get(c), CATEGORY_NAMES.get(c, c)))
    for f in FAMILIES:
        lines.append(cells(lambda s, f=f: s["by_family"].get(f), "held-out style" if f == "heldout" else f"{f} style",
                           f == "heldout"))
    rejected = ["pages rejected", str(runs[0][1]["overall"]["pages"])]
    for k, s in runs:
        rejected += [str(s["overall"]["failed"]), ""] + ([] if k.endswith("noiseless") else [""])
    lines.append("| " + " | ".join(rejected + [""]) + " |")
    commands = [f"{s['command']} -o docs/results/{DIGITIZE_RUNS[k]}" if "command" in s
                else WRITTEN_BY[f"{DIGITIZE_RUNS[k]}/summary.json"] for k, s in runs]
    lines += ["", "Commands: " + "; ".join(f"`{c}`" for c in commands) + "."]
    lines += budget_block(results)
    return "\n".join(lines)


def digitize_status(results: Path) -> str:
    """The opening sentence of docs/digitize.md: what is met and what is missed, with the numbers."""
    runs = {k: read(f"{d}/summary.json", results) for k, d in DIGITIZE_RUNS.items()}
    quiet = [s for k, s in runs.items() if s is not None and k.endswith("noiseless")]
    hum = runs.get("seed0_cohort")
    if not quiet and hum is None:
        return "Status: no `digitize-eval` summary in docs/results/ yet."
    out = ["Status: **working end to end from the command line.**"]
    if quiet:
        t = quiet[0]["targets_db"]
        seeds = " / ".join(str(s["seed"]) for s in quiet)

        def each(pick):
            return " / ".join(_db(pick(s)) for s in quiet)

        met = all(s[k]["snr_db"] >= t[k] for s in quiet for k in ("clean", "distorted"))
        low = [f"{name} ({vals} dB)" for name, vals, ok in weakest(quiet) if not ok]
        out.append(
            f"On records without mains hum (seeds {seeds}) "
            + ("both targets are met" if met else "the targets are **not all met**")
            + f": clean pages {each(lambda s: s['clean']['snr_db'])} dB against {t['clean']:g}, distorted pages "
            f"{each(lambda s: s['distorted']['snr_db'])} dB against {t['distorted']:g}."
            + (f" **Below the {t['distorted']:g} dB target**: " + ", ".join(low) + "." if low else ""))
    if hum is not None:
        t = hum["targets_db"]
        out.append(
            f"On the cohort's records with mains hum both targets are **missed**: clean {_db(hum['clean']['snr_db'])} "
            f"dB, distorted {_db(hum['distorted']['snr_db'])} dB, where a perfect reader would score "
            f"{_db(hum['clean']['ceiling_db'])} / {_db(hum['distorted']['ceiling_db'])} dB"
            + (" (the 20 dB clean target is above that ceiling)."
               if hum["clean"]["ceiling_db"] is not None and hum["clean"]["ceiling_db"] < t["clean"] else "."))
    text = " ".join(out)
    return "\n".join(_wrap(text))


def _wrap(text: str, width: int = 110) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return lines + [line] if line else lines


def budget_block(results: Path) -> list[str]:
    """The error budget's table (scripts/digitize_error_budget.py) and the speed line (bench_digitize.py)."""
    lines = []
    b = read("digitize_error_budget.json", results)
    if b is not None:
        pages = {}
        csv_path = results / "digitize_error_budget.csv"
        if csv_path.is_file():
            import csv

            for row in csv.DictReader(csv_path.open()):
                kind = "clean" if row["category"] == "clean" else "distorted"
                pages[kind] = pages.get(kind, 0) + 1
        rejected = {k: sum((r["category"] == "clean") == (k == "clean") for r in b["rejected"])
                    for k in ("clean", "distorted")}
        lines += ["", f"Error budget (`{WRITTEN_BY['digitize_error_budget.json']}`, "
                  "150 dpi, records without hum): mean SNR (dB) over the pages read, after each cumulative "
                  "correction.", "",
                  "| pages | raw | + missing filled | + best shift | + offset | + gain |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for k in ("clean", "distorted"):
            n = pages.get(k)
            label = f"{k} ({n - rejected[k]} read of {n})" if n else k
            lines.append(f"| {label} | " + " | ".join(f"{b[k][st]:.2f}" for st in
                                                       ("raw", "fill", "shift", "offset", "scale")) + " |")
    g = read("bench_digitize.json", results)
    if g is not None:
        memory_ok = g["peak_rss_mb"] <= g["targets"]["peak_rss_mb"]
        lines += ["", f"Speed (`{WRITTEN_BY['bench_digitize.json']}`): {g['seconds_per_page_mean']:.2f} s per "
                  f"{g['dpi']} dpi page on {g['threads']} thread over {g['pages']} pages ({_page_times(g)}), "
                  f"peak RSS {g['peak_rss_mb']:.0f} MB{_load(g)}. Targets: <= "
                  f"{g['targets']['seconds_per_page']:g} s per page, {timing_verdict(_time_ok(g), g)}; <= "
                  f"{g['targets']['peak_rss_mb'] / 1024:g} GB, {verdict(memory_ok)}."]
    return lines


def _page_times(g: dict) -> str:
    """The slowest page, and apart from the first (which loads the OCR models) where the benchmark says."""
    warm = g.get("seconds_per_page_max_after_first")
    if warm is None:
        return f"max {g['seconds_per_page_max']:.2f} s"
    return f"first page {g['seconds_per_page'][0]:.2f} s with loading the OCR models, the others at most {warm:.2f} s"


def _time_ok(g: dict) -> bool:
    """Mean and every page after the first within the target (the first loads the OCR models once)."""
    limit = g["targets"]["seconds_per_page"]
    return g["seconds_per_page_mean"] <= limit and (g.get("seconds_per_page_max_after_first") or 0.0) <= limit


def replace_block(text: str, name: str, body: str, path: str) -> str:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
        raise SystemExit(f"{path}: needs exactly one {start} ... {end} pair")
    head, rest = text.split(start)
    _, tail = rest.split(end)
    return f"{head}{start}\n{body}\n{end}{tail}"


def render(root: Path = ROOT, results: Path | None = None) -> dict[str, tuple[str, str]]:
    """For each document: (its text now, its text with the blocks rewritten from the JSON)."""
    results = results or root / "docs" / "results"
    bodies = {"status": status_block(results), "digitize-status": digitize_status(results),
              "digitize-results": digitize_block(results)}
    out = {}
    for rel, name in BLOCKS:
        now, new = out.get(rel, ((root / rel).read_text(),) * 2)
        out[rel] = (now, replace_block(new, name, bodies[name], rel))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true", help="exit 1 when a document differs from what the JSON gives")
    args = p.parse_args(argv)
    stale = []
    for rel, (now, new) in render().items():
        if now == new:
            continue
        if args.check:
            stale.append(rel)
            sys.stdout.writelines(difflib.unified_diff(now.splitlines(True), new.splitlines(True), rel,
                                                       f"{rel} (from the JSON)"))
        else:
            (ROOT / rel).write_text(new)
            print(f"rewrote {rel}")
    if stale:
        print(f"\n{', '.join(stale)}: out of date with docs/results/; run python scripts/readme_status.py",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
