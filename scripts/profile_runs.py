"""Extra runs beside a finished ``vaescan quickstart --small`` for the report's explainability profile: a VAE-SCAN
without anchors, an anchored one with seed 1, and the signal black box with seed 1, at the quickstart --small sizes.

With the quickstart's own anchored VAE-SCAN and black box, ``vaescan report`` then has two runs of each kind for
stability and an anchored and a plain SCAN for what anchoring costs (docs/tradeoff.md, "Explainability profile").
Run folders are named for the report: ``OUT/scan_anchored``, ``scan_anchored_seed1``, ``scan_plain``,
``cnn_seed0``, ``cnn_seed1`` (the quickstart's runs are copied there).

Usage::

    vaescan quickstart --small -o runs/quickstart_small
    python scripts/profile_runs.py runs/quickstart_small runs/profile
    vaescan report runs/profile/scan_anchored runs/profile/scan_plain runs/profile/scan_anchored_seed1 \\
        runs/profile/cnn_seed0 runs/profile/cnn_seed1 --data runs/quickstart_small/cohort -o runs/profile/report \\
        --min-per-class 3
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import time
from pathlib import Path

from vaescan.data.dataset import DataConfig
from vaescan.models.blackbox import BlackBoxConfig
from vaescan.models.run_configs import BlackBoxRunConfig
from vaescan.workflows.blackbox import train_blackbox_run
from vaescan.workflows.quickstart import quickstart_models, small_config
from vaescan.workflows.training import train_scan_run, train_vae_run
from vaescan.workflows.vae_scan import quick_configs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("quickstart", type=Path, help="a finished `vaescan quickstart --small` folder")
    parser.add_argument("output", type=Path, help="where the runs go")
    args = parser.parse_args()
    qs, out = args.quickstart, args.output
    size = quickstart_models(small_config())
    for name, anchors, seed in (("plain", (), 0), ("anchored_seed1", None, 1)):
        start = time.perf_counter()
        vae_cfg, scan_cfg = quick_configs(qs / "cohort", out / "train" / name)
        vae = dataclasses.replace(vae_cfg.vae, epochs=size.vae_epochs, seed=seed, channels=size.vae_channels,
                                  hidden=size.vae_hidden,
                                  warmup_epochs=min(vae_cfg.vae.warmup_epochs, size.vae_epochs),
                                  **({"anchor_features": anchors} if anchors is not None else {}))
        scan = dataclasses.replace(scan_cfg.scan, epochs=size.scan_epochs, seed=seed)
        train_vae_run(dataclasses.replace(vae_cfg, vae=vae), out / "train" / name / "vae", progress=False)
        train_scan_run(dataclasses.replace(scan_cfg, scan=scan), out / f"scan_{name}", progress=False)
        print(f"{name}: {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    model = BlackBoxConfig(stem=size.bb_stem, widths=size.bb_widths, epochs=size.bb_epochs, seed=1)
    train_blackbox_run(BlackBoxRunConfig(output=str(out / "cnn_seed1"), data=DataConfig(path=str(qs / "cohort")),
                                         model=model), force=True, progress=False)
    print(f"black box seed 1: {time.perf_counter() - start:.1f} s")
    shutil.copytree(qs / "vae_scan" / "scan", out / "scan_anchored", dirs_exist_ok=True)
    shutil.copytree(qs / "blackbox", out / "cnn_seed0", dirs_exist_ok=True, ignore=shutil.ignore_patterns("explain"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
