"""A report in headless Chromium: run the page's ``#selftest``, read its console and result back, screenshot it.

No Python dependency: Chromium's own ``--dump-dom`` prints the page's DOM after its scripts ran (the
explorer's self-test, :mod:`vaescan.report.explorer`, writes its result into ``<pre id="xp-selftest">``),
``--enable-logging=stderr`` prints every console message as a ``CONSOLE`` line, and ``--screenshot`` saves a
PNG. The browser is Debian's ``chromium`` (``scripts/install_browser.sh``) or the one ``VAESCAN_CHROMIUM``
names. Used by the browser test (``tests/report/test_explorer_browser.py``) and
``scripts/explorer_screenshot.py`` (the docs' picture).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
         "--hide-scrollbars", "--virtual-time-budget=5000")
WIDTH_PX = 1200
"""Window width of every load (CSS pixels): the self-test's boxes and the screenshot share the layout."""


def chromium_path() -> str | None:
    """The browser: ``VAESCAN_CHROMIUM`` if set (None if that is no executable), else the first of :data:`NAMES`
    on the PATH (None: absent).

    Example
    -------
    >>> isinstance(chromium_path(), (str, type(None)))
    True
    """
    explicit = os.environ.get("VAESCAN_CHROMIUM")
    if explicit:
        return shutil.which(explicit)
    return next((found for name in NAMES if (found := shutil.which(name))), None)


@dataclass
class PageRun:
    """One headless load of a page: its DOM, the console lines Chromium logged, the parsed self-test result
    (None when the page wrote none)."""

    dom: str
    console: list[str] = field(default_factory=list)
    selftest: dict | None = None


def _run(browser: str, args: list[str], profile: Path, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                          timeout=timeout, check=False)


def page_selftest(browser: str, page: Path, profile: Path, *, height: int = 3000, timeout: float = 60.0) -> PageRun:
    """Load ``page#selftest`` headless (a :data:`WIDTH_PX` x ``height`` window, browser profile in ``profile``);
    its DOM, console lines and self-test result. RuntimeError if Chromium fails.

    Example
    -------
    >>> run = page_selftest(chromium_path(), Path("runs/report/report.html"), Path("/tmp/p"))  # doctest: +SKIP
    >>> run.console, run.selftest["slider_changed"]  # doctest: +SKIP
    ([], True)
    """
    url = Path(page).resolve().as_uri() + "#selftest"
    done = _run(browser, ["--enable-logging=stderr", "--v=0", f"--window-size={WIDTH_PX},{height}", "--dump-dom",
                          url], profile, timeout)
    if done.returncode != 0 or "<html" not in done.stdout:
        raise RuntimeError(f"chromium exited {done.returncode}: {done.stderr[-2000:]}")
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    match = re.search(r'<pre id="xp-selftest"[^>]*>(.*?)</pre>', done.stdout, re.S)
    result = json.loads(html.unescape(match.group(1))) if match and match.group(1).strip() else None
    return PageRun(done.stdout, console, result)


def page_screenshot(browser: str, page: Path, png: Path, profile: Path, *, height: int = 3000,
                    timeout: float = 60.0) -> Path:
    """Save a screenshot of ``page#selftest`` (the self-test has moved the controls) as ``png``.

    Example
    -------
    >>> page_screenshot(chromium_path(), Path("report.html"), Path("page.png"), Path("/tmp/p"))  # doctest: +SKIP
    PosixPath('page.png')
    """
    url = Path(page).resolve().as_uri() + "#selftest"
    done = _run(browser, [f"--window-size={WIDTH_PX},{height}", f"--screenshot={png}", url], profile, timeout)
    if done.returncode != 0 or not Path(png).is_file():
        raise RuntimeError(f"chromium exited {done.returncode} without a screenshot: {done.stderr[-2000:]}")
    return Path(png)


def explorer_screenshot(browser: str, page: Path, png: Path, *, scale: float = 1.0) -> tuple[PageRun, np.ndarray]:
    """The latent explorer of a report as drawn after its self-test: load ``page`` for the self-test (which
    gives the explorer's box), screenshot a window tall enough to hold that box, crop the box, scale it by
    ``scale`` and save it as ``png``. Returns the self-test load and the crop (height, width, 3; uint8).

    Example
    -------
    >>> run, crop = explorer_screenshot(chromium_path(), Path("report.html"), Path("x.png"))  # doctest: +SKIP
    """
    with tempfile.TemporaryDirectory() as tmp:
        run = page_selftest(browser, page, Path(tmp) / "profile")
        if run.selftest is None or "explorer_box_px" not in run.selftest:
            raise RuntimeError(f"{page}: the page's self-test wrote no result; console: {run.console}")
        left, top, width, height = run.selftest["explorer_box_px"]
        ratio = run.selftest.get("pixel_ratio", 1) or 1
        full = page_screenshot(browser, page, Path(tmp) / "page.png", Path(tmp) / "profile",
                               height=int(top + height) + 20)
        with Image.open(full) as image:
            box = tuple(round(v * ratio) for v in (left, top, left + width, top + height))
            if image.size[0] < box[2] or image.size[1] < box[3]:
                raise RuntimeError(f"{page}: the explorer {box} lies outside the screenshot {image.size}")
            crop = image.convert("RGB").crop(box)
    if scale != 1.0:
        crop = crop.resize((round(crop.width * scale), round(crop.height * scale)), Image.LANCZOS)
    crop.save(png, optimize=True)
    return run, np.asarray(crop)
