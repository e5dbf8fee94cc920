"""Draw one synthetic record per label on standard ECG paper, for the synthetic cohort's data card.

For NORM and each label, the first record (in seed order) that carries that label alone is
rendered as a clinical 3x4 printout with a lead II rhythm strip (25 mm/s, 10 mm/mV) by
``vaescan.pages.render.ecg_render``, with the label and its ground truth printed in the header,
and saved as a 64-colour PNG (small enough to keep in the repository).

    python scripts/plot_cohort_examples.py --seed 0 -o data_cards/images
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image

from vaescan.data.synth import LABELS, simulate_records
from vaescan.io import atomic_path
from vaescan.pages.render import PageStyle, ecg_render


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=0, help="cohort seed (default 0)")
    p.add_argument("--max-records", type=int, default=2000, help="records to search for single-label examples")
    p.add_argument("--dpi", type=float, default=100.0, help="image resolution (default 100)")
    p.add_argument("-o", "--output", type=Path, default=Path("data_cards/images"))
    args = p.parse_args(argv)

    wanted = set(LABELS)
    for record, truth in simulate_records(args.max_records, seed=args.seed):
        present = [label for label in LABELS if truth[label] == 1]
        if len(present) != 1 or present[0] not in wanted:
            continue
        label = present[0]
        wanted.discard(label)
        pr = "no P" if truth["pr_ms"] != truth["pr_ms"] else f"PR {truth['pr_ms']:.0f} ms"
        header = (f"synthetic {record.name}  {label}  age {truth['age']:.0f}  {'F' if truth['sex'] else 'M'}  "
                  f"HR {truth['hr_bpm']:.0f} bpm  {pr}  QRS {truth['qrs_ms']:.0f} ms  QT {truth['qt_ms']:.0f} ms  "
                  f"axis {truth['axis_deg']:.0f} deg")
        path = args.output / f"synthetic_{label}.png"
        image, _ = ecg_render(record, PageStyle(dpi=args.dpi, header=header))
        with atomic_path(path) as tmp:
            Image.fromarray(image).quantize(64).save(tmp, format="PNG", optimize=True)
        print(f"{label:7s} record {record.name} -> {path}")
        if not wanted:
            break
    if wanted:
        print(f"no single-label record for {sorted(wanted)} in {args.max_records} records", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
