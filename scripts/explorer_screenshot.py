"""Screenshot a report's latent explorer in headless Chromium, for docs/tradeoff.md.

Loads ``REPORT#selftest`` (the page moves its first slider to +2.5 SD and picks the next label), crops
the explorer from a screenshot, scales it and saves it as a 64-colour PNG (small enough to keep in the
repository). The docs' picture is of the quickstart's report:

    vaescan quickstart --pages 0 -o runs/quickstart
    python scripts/explorer_screenshot.py runs/quickstart/report/report.html -o docs/images/explorer.png
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image

from vaescan.report.browser import chromium_path, explorer_screenshot


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("report", type=Path, help="a report.html written by vaescan report")
    p.add_argument("-o", "--output", type=Path, default=Path("docs/images/explorer.png"))
    p.add_argument("--scale", type=float, default=0.75, help="size of the saved picture (default 0.75)")
    args = p.parse_args(argv)
    browser = chromium_path()
    if browser is None:
        print("no chromium found: bash scripts/install_browser.sh, or set VAESCAN_CHROMIUM", file=sys.stderr)
        return 2
    run, _ = explorer_screenshot(browser, args.report, args.output, scale=args.scale)
    if run.console or run.selftest["errors"]:
        print(f"the page logged: {run.console + run.selftest['errors']}", file=sys.stderr)
        return 1
    with Image.open(args.output) as image:
        image.convert("RGB").quantize(colors=64).save(args.output, optimize=True)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
