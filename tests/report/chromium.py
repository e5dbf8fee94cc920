"""Headless Chromium for the browser tests: run a page's ``#selftest``, read its result back, take a screenshot.

No Python dependency: Chromium's own ``--dump-dom`` prints the page's DOM after its scripts ran (the
explorer's self-test writes its result into ``<pre id="xp-selftest">``), ``--screenshot`` saves a PNG, and
``--enable-logging=stderr`` prints every console message as a ``CONSOLE`` line, which the test reads too.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
         "--hide-scrollbars", "--virtual-time-budget=5000")


def chromium_path() -> str | None:
    """The browser: ``VAESCAN_CHROMIUM`` if set, else the first of :data:`NAMES` on the PATH (None: absent)."""
    explicit = os.environ.get("VAESCAN_CHROMIUM")
    if explicit:
        return explicit
    return next((found for name in NAMES if (found := shutil.which(name))), None)


@dataclass
class PageRun:
    """What one headless load of a page gave: its DOM, the console lines Chromium logged, the self-test result."""

    dom: str
    console: list[str] = field(default_factory=list)
    selftest: dict | None = None


def _run(browser: str, args: list[str], profile: Path, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                          timeout=timeout, check=False)


def page_selftest(browser: str, page: Path, profile: Path, *, window: tuple[int, int] = (1200, 3000),
                  timeout: float = 60.0) -> PageRun:
    """Load ``page#selftest`` headless, return its DOM, its console lines and the parsed self-test JSON."""
    url = page.resolve().as_uri() + "#selftest"
    done = _run(browser, ["--enable-logging=stderr", "--v=0", f"--window-size={window[0]},{window[1]}",
                          "--dump-dom", url], profile, timeout)
    if done.returncode != 0 or "<html" not in done.stdout:
        raise RuntimeError(f"chromium exited {done.returncode}: {done.stderr[-2000:]}")
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    match = re.search(r'<pre id="xp-selftest"[^>]*>(.*?)</pre>', done.stdout, re.S)
    result = json.loads(html.unescape(match.group(1))) if match and match.group(1).strip() else None
    return PageRun(done.stdout, console, result)


def page_screenshot(browser: str, page: Path, png: Path, profile: Path, *, window: tuple[int, int] = (1200, 3000),
                    timeout: float = 60.0) -> Path:
    """Save a screenshot of ``page#selftest`` (the self-test has moved the controls) as ``png``."""
    url = page.resolve().as_uri() + "#selftest"
    done = _run(browser, [f"--window-size={window[0]},{window[1]}", f"--screenshot={png}", url], profile, timeout)
    if done.returncode != 0 or not png.is_file():
        raise RuntimeError(f"chromium exited {done.returncode} without a screenshot: {done.stderr[-2000:]}")
    return png
