"""Subcommands of the digitisation stage: ``render``, ``digitize`` and ``digitize-eval``."""

from __future__ import annotations

import argparse
import functools
from pathlib import Path

from vaescan.batch import run_batch
from vaescan.cli.options import add_jobs, positive_int
from vaescan.errors import VaescanInputError
from vaescan.io import check_output_folder


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``render``, ``digitize`` and ``digitize-eval``."""
    from vaescan.pages.image import IMAGE_SUFFIXES
    from vaescan.pages.layout import GRIDS
    from vaescan.pages.render import FONTS, GRID_RGB, STYLE_FAMILIES

    p = sub.add_parser(
        "render", help="draw a record as an ECG printout (PNG) with its exact truth (JSON)",
        description="Draw a WFDB record as a clinical ECG page: PAGE.png and PAGE.json (px per mm, the page "
                    "transform, and per lead its box and the exact samples shown). Layouts "
                    f"{', '.join(GRIDS)}, optionally with rhythm strips ('3x4+II', '3x4+V1,II,V5').")
    p.add_argument("record", help="a WFDB record (with or without .hea)")
    p.add_argument("-o", "--output", type=Path, required=True, help="output image (.png or .jpg)")
    p.add_argument("--layout", default="3x4+II", help="page layout (default 3x4+II)")
    p.add_argument("--speed", type=float, default=25.0, help="paper speed in mm/s (25 or 50; default 25)")
    p.add_argument("--gain", type=float, default=10.0, help="gain in mm/mV (5, 10 or 20; default 10)")
    p.add_argument("--dpi", type=float, default=200.0, help="resolution (default 200)")
    p.add_argument("--grid", default="pink", choices=sorted(GRID_RGB), help="grid colour (default pink)")
    p.add_argument("--font", default="DejaVu Sans", choices=FONTS, metavar="FONT",
                   help=f"label font (default DejaVu Sans; one of: {', '.join(FONTS)})")
    p.add_argument("--calibration", default="left", choices=("left", "right", "none"),
                   help="1 mV calibration pulse position (default left)")
    p.add_argument("--header", default="", help="text printed above the grid ({name}: the record name)")
    p.add_argument("--style", choices=STYLE_FAMILIES, help="draw a random style of this family instead "
                                                         "(--seed picks it; --layout/--dpi still apply)")
    p.add_argument("--distort", default="", help="distortions with strengths in [0, 1], e.g. "
                                                 "'rotation=0.5,shadow=0.3,crease,jpeg=0.5'")
    p.add_argument("--seed", type=int, default=0, help="seed of the style and the distortions (default 0)")
    p.set_defaults(func=cmd_render)

    p = sub.add_parser(
        "digitize", help="digitise ECG page images into 12-lead WFDB records",
        description="Read ECG paper images (scans, photos, exports) and write OUTDIR/<stem>.hea/.dat (12 leads, "
                    "500 Hz, 10 s, mV; NaN where the page shows no trace of a lead) and OUTDIR/<stem>.json "
                    "(layout, rotation, px per mm, leads found, quality per lead, warnings). An image that "
                    "cannot be read is reported and skipped; every failure is listed at the end and in "
                    "OUTDIR/failures.csv; exit code 2 when none could be read. Images already digitised into "
                    "OUTDIR (their report exists) are skipped unless --force. Two images of the same name "
                    "(a/page.png, b/page.jpg) are refused: they would be written over each other.")
    p.add_argument("images", nargs="+", type=Path,
                   help=f"image files or folders of them ({', '.join(IMAGE_SUFFIXES)})")
    p.add_argument("-o", "--output", type=Path, required=True, help="output folder")
    p.add_argument("--force", action="store_true", help="digitise again images already digitised into OUTDIR")
    p.add_argument("--speed", type=float, default=25.0, help="paper speed in mm/s (default 25)")
    p.add_argument("--gain", type=float, help="gain in mm/mV (default: read from the calibration pulse, else 10)")
    p.add_argument("--layout", help="force the layout (e.g. 3x4+II) instead of inferring it")
    add_pulse_lag(p)
    add_segmenter(p)
    p.set_defaults(func=cmd_digitize)

    p = sub.add_parser(
        "digitize-eval", help="measure the digitiser on rendered pages (Challenge 2024 SNR)",
        description="Render N pages from synthetic (or given) records across layouts, style families and "
                    "distortions, digitise them and score each lead with the PhysioNet Challenge 2024 SNR "
                    "(raw and after the best shift within 0.2 s) and the ceiling: the SNR a perfect reader of the ECG "
                    "under the mains hum and muscle noise would get. Writes DIR/pages.csv, DIR/summary.json "
                    "(per category, family and layout, against the targets) and DIR/snr_by_category.png. "
                    "With --pages FOLDER: score the pages of a folder instead (one subfolder per page with "
                    "page.png or page.jpg and its truth.hea/.dat, NaN where the page shows no trace; category "
                    "from FOLDER/pages.csv or the subfolder's name without its _NN), with each lead's name "
                    "checked against the truth (misnamed leads) and the lead-relation verdict; rejected pages "
                    "score 0 dB and are listed with their reasons.")
    p.add_argument("--n", type=positive_int, default=60, help="number of pages (default 60)")
    p.add_argument("--seed", type=int, default=0, help="seed of records, styles and distortions (default 0)")
    p.add_argument("-o", "--output", type=Path, required=True, help="output folder")
    p.add_argument("--data", help="a cohort (vaescan cohort, PTB-XL release or folder of records) to render "
                                  "instead of simulating records")
    p.add_argument("--noiseless", action="store_true",
                   help="simulate records without mains hum and muscle noise (baseline wander kept)")
    p.add_argument("--families", default=",".join(STYLE_FAMILIES),
                   help=f"style families to draw from (default {','.join(STYLE_FAMILIES)})")
    p.add_argument("--keep-pages", action="store_true", help="keep every page, its truth and its record")
    p.add_argument("--pages", type=Path, help="score a folder of pages with their truth instead of rendering")
    add_pulse_lag(p, " (with --pages)")
    add_segmenter(p)
    add_jobs(p, "--pages")
    p.set_defaults(func=cmd_digitize_eval)


def add_pulse_lag(p: argparse.ArgumentParser, where: str = "") -> None:
    """The ``--pulse-lag-ms`` option: the printer's calibration-pulse convention, where it is known."""
    from vaescan.digitize.pipeline import ECG_IMAGE_KIT_PULSE_LAG_MS

    p.add_argument("--pulse-lag-ms", type=float, default=0.0, metavar="MS",
                   help="where traces are drawn on from their calibration pulse: how long after the first sample "
                        f"the pulse's falling stroke stands (default 0; ECG-Image-Kit's pages, as in the PhysioNet "
                        f"Challenge 2024: {ECG_IMAGE_KIT_PULSE_LAG_MS:g}){where}")


def add_segmenter(p: argparse.ArgumentParser) -> None:
    """The ``--segmenter`` option: how the trace mask is made."""
    from vaescan.digitize.pipeline import SEGMENTERS

    p.add_argument("--segmenter", default="classical", choices=SEGMENTERS,
                   help="trace mask: classical (thresholds on the ink map; default) or learned (the classical mask "
                        "less the pixels a small network shipped with vaescan finds unlike a trace; measured no "
                        "better on outside pages: docs/digitize.md)")


def cmd_render(args: argparse.Namespace) -> int:
    """``vaescan render RECORD -o PAGE.png``."""
    import numpy as np

    from vaescan.data.records import read_record
    from vaescan.pages.distort import parse_distortion
    from vaescan.pages.render import PageStyle, page_write, random_style

    record = read_record(args.record)
    if args.style:
        style = random_style(np.random.default_rng(args.seed), args.style, layout=args.layout, dpi=args.dpi)
    else:
        style = PageStyle(layout=args.layout, speed_mm_s=args.speed, gain_mm_mv=args.gain, dpi=args.dpi,
                          grid_color=args.grid, font=args.font, calibration=args.calibration, header=args.header)
    distortion = parse_distortion(args.distort, seed=args.seed)
    image_path, truth_path = page_write(record, args.output, style, distortion)
    print(f"wrote {image_path} and {truth_path}")
    return 0


def cmd_digitize(args: argparse.Namespace) -> int:
    """``vaescan digitize IMAGE|FOLDER... -o OUTDIR [--force]``."""
    from vaescan.digitize.pipeline import DigitizeConfig, image_digitize_to

    config = DigitizeConfig(speed_mm_s=args.speed, gain_mm_mv=args.gain, layout=args.layout,
                            pulse_lag_ms=args.pulse_lag_ms, segmenter=args.segmenter)
    check_output_folder(args.output)
    images = expand_images(args.images)
    todo, done, failed = [], [], []
    for image in images:
        state = _previous_state(image, args.output)
        if state is None or args.force:
            todo.append(image)
        elif isinstance(state, dict):
            done.append((image, state))
        else:
            failed.append((image, state))
    if done:
        print(f"{len(done)} image(s) already digitised into {args.output} (skipped; --force redoes them)")
    result = run_batch(todo, functools.partial(image_digitize_to, out_dir=args.output, config=config),
                       desc="digitize", progress=not args.quiet)
    for image, report in result.done:
        print(f"{image}: {report['layout']}, {len(report['leads_found'])} leads"
              + (f"; {len(report['warnings'])} warning(s)" if report["warnings"] else ""))
    failed += [(image, _reason(image, reason)) for image, reason in result.skipped]
    position = {image: k for k, image in enumerate(images)}
    failed.sort(key=lambda item: position[item[0]])
    if args.output.is_dir() or failed:
        _write_failures(args.output / FAILURES_FILE, failed)
    if failed:
        print(f"failed ({len(failed)}), also listed in {args.output / FAILURES_FILE}:")
        for image, reason in failed:
            print(f"  {image}: {reason}")
    print(f"{len(result.done)} images done, {len(failed)} skipped"
          + (f", {len(done)} already done before" if done else ""))
    if not result.done and not done:
        raise VaescanInputError(None, "no image could be digitised (see the reasons above)")
    return 0


FAILURES_FILE = "failures.csv"
"""The images ``digitize`` could not read, with the reason (rewritten by every run)."""


def expand_images(paths: list[Path]) -> list[Path]:
    """The image files named: folders expanded to the images inside (sorted, known suffixes, hidden files left out).

    The same file named twice is kept once. Two different images with the same name
    (``a/page.png`` and ``b/page.png``, or ``page.png`` and ``page.jpg``) would be written to the
    same record: refused, naming both. Paths that do not exist are kept (reported as not found).

    Example
    -------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> for name in ("b.png", "a.JPG", "notes.txt", ".hidden.png"):
    ...     _ = (d / name).write_bytes(b"")
    >>> [p.name for p in expand_images([d])]
    ['a.JPG', 'b.png']
    """
    from vaescan.pages.image import IMAGE_SUFFIXES

    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")
                            and p.suffix.lower() in IMAGE_SUFFIXES)
            if not inside:
                raise VaescanInputError(path, f"folder holds no images ({', '.join(IMAGE_SUFFIXES)})")
            out.extend(inside)
        else:
            out.append(path)
    seen: dict[str, Path] = {}
    files: dict[str, Path] = {}
    unique = []
    for path in out:
        key = str(path.resolve())
        if key in files:
            continue
        files[key] = path
        other = seen.setdefault(path.stem.casefold(), path)
        if other is not path:
            raise VaescanInputError(None, f"{other} and {path} would both be written as record {path.stem!r}: "
                                    "rename one or digitise them into separate output folders")
        unique.append(path)
    return unique


def _previous_state(image: Path, out_dir: Path) -> dict | str | None:
    """The report of an earlier run that digitised this image into ``out_dir``; ``None`` if there is none;
    a reason when that name holds another image's record."""
    import json
    import os

    report_path = out_dir / f"{image.stem}.json"
    if not report_path.is_file() or not image.is_file():
        return None  # nothing done yet, or the image is missing (reported when it is read)
    try:
        report = json.loads(report_path.read_text())
        earlier = Path(report["image"])
        same = earlier.exists() and os.path.samefile(earlier, image)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # unreadable report: the record is written again
    if same:
        return report
    return (f"{report_path} holds the record of another image ({earlier}); use --force to overwrite it "
            "or choose another output folder")


def _reason(image: Path, message: str) -> str:
    """A batch failure's message without the image's path in front (the list names the image)."""
    prefix = f"{image}: "
    return message[len(prefix):] if message.startswith(prefix) else message


def _write_failures(path: Path, failed: list[tuple[Path, str]]) -> None:
    import csv
    import io

    from vaescan.io import write_text

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["image", "reason"])
    writer.writerows([str(image), reason] for image, reason in failed)
    write_text(path, buffer.getvalue())


def cmd_digitize_eval(args: argparse.Namespace) -> int:
    """``vaescan digitize-eval --n 60 --seed S -o DIR``."""
    from vaescan.digitize.evaluate import digitize_evaluate, eval_records, eval_underlying
    from vaescan.digitize.pipeline import DigitizeConfig
    from vaescan.io import write_json
    from vaescan.pages.render import STYLE_FAMILIES

    if args.pages is not None:
        return _digitize_eval_folder(args)
    if args.pulse_lag_ms:
        raise VaescanInputError(None, "--pulse-lag-ms applies to --pages: vaescan's own pages join pulse and trace "
                                "by a lead-in line, which needs no convention")
    families = tuple(f.strip() for f in args.families.split(",") if f.strip())
    unknown = [f for f in families if f not in STYLE_FAMILIES]
    if unknown or not families:
        raise VaescanInputError(None, f"unknown style families {unknown}; known: {', '.join(STYLE_FAMILIES)}")
    if args.noiseless and args.data:
        raise VaescanInputError(args.data, "--noiseless applies to simulated records, not to --data")
    check_output_folder(args.output)
    records = eval_records(args.n, args.seed, args.data, noiseless=args.noiseless)
    underlying = records if args.noiseless else eval_underlying(args.n, args.seed, args.data)
    table, summary = digitize_evaluate(records, n=args.n, seed=args.seed, out_dir=args.output, families=families,
                                       keep_pages=args.keep_pages, progress=not args.quiet, underlying=underlying,
                                       config=DigitizeConfig(segmenter=args.segmenter))
    # what was run, beside the numbers: the summary is the record the docs' numbers are taken from
    targets = summary["targets_db"]
    distorted = table.category != "clean"
    summary.update(
        records=str(args.data) if args.data else ("synthetic, noiseless" if args.noiseless else "synthetic cohort"),
        command="vaescan digitize-eval " + " ".join(
            [f"--n {args.n}", f"--seed {args.seed}"] + (["--noiseless"] if args.noiseless else [])
            + ([f"--data {args.data}"] if args.data else [])
            + ([f"--families {','.join(families)}"] if families != tuple(STYLE_FAMILIES) else [])
            + ([f"--segmenter {args.segmenter}"] if args.segmenter != "classical" else [])),
        pages_at_target={"clean": int((table.snr_db[~distorted] >= targets["clean"]).sum()),
                         "distorted": int((table.snr_db[distorted] >= targets["distorted"]).sum())})
    write_json(args.output / "summary.json", summary)
    for key in ("clean", "distorted"):
        s = summary[key]
        if s:
            ceiling = f"  ceiling {s['ceiling_db']:6.2f} dB" if s["ceiling_db"] is not None else ""
            print(f"{key:9s} {s['pages']:3d} pages  SNR {s['snr_db']:6.2f} dB  (best shift {s['snr_shift_db']:6.2f} dB)"
                  f"{ceiling}  target {summary['targets_db'][key]:g} dB  failed {s['failed']}")
    for cat, s in summary["by_category"].items():
        ceiling = f"  ceiling {s['ceiling_db']:6.2f}" if s["ceiling_db"] is not None else ""
        print(f"  {cat:12s} {s['pages']:3d} pages  SNR {s['snr_db']:6.2f} dB  (best shift {s['snr_shift_db']:6.2f})"
              f"{ceiling}")
    print(f"wrote {args.output / 'pages.csv'}, summary.json and snr_by_category.png")
    return 0


def _digitize_eval_folder(args: argparse.Namespace) -> int:
    """``vaescan digitize-eval --pages FOLDER -o DIR [--jobs N]``."""
    from vaescan.digitize.evaluate import evaluate_folder
    from vaescan.digitize.pipeline import DigitizeConfig
    from vaescan.io import write_json

    check_output_folder(args.output)
    config = DigitizeConfig(pulse_lag_ms=args.pulse_lag_ms, segmenter=args.segmenter)
    table, summary = evaluate_folder(args.pages, args.output, jobs=args.jobs, progress=not args.quiet, config=config)
    summary["command"] = f"vaescan digitize-eval --pages {args.pages} --jobs {args.jobs}" + (
        f" --pulse-lag-ms {args.pulse_lag_ms:g}" if args.pulse_lag_ms else "") + (
        f" --segmenter {args.segmenter}" if args.segmenter != "classical" else "")
    write_json(args.output / "summary.json", summary)
    for cat, s in [("overall", summary["overall"]), *summary["by_category"].items()]:
        print(f"{cat:12s} {s['pages']:3d} pages  SNR {s['snr_db']:6.2f} dB  (best shift {s['snr_shift_db']:6.2f})  "
              f"rejected {s['failed']}  misnamed leads {s['misnamed_leads']}  verdicts {s['verdicts']}")
    for page, reason in summary["rejected"].items():
        print(f"  rejected {page}: {reason}")
    print(f"wrote {args.output / 'pages.csv'}, summary.json and snr_by_category.png")
    return 0
