"""What the benchmark scripts (``scripts/bench_*.py``) share: their argument parser with the ``-o`` JSON
output, a stopwatch, and a description of the machine the numbers were measured on.

Each script writes its result with :func:`vaescan.io.write_json`. Standard library only (a basic module).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

_MACHINE: dict[str, Callable[[], Any]] = {
    "platform": platform.platform,
    "python": platform.python_version,
    "processor": lambda: platform.processor() or platform.machine(),
    "cpus": os.cpu_count,
}


def bench_parser(description: str, output: str) -> argparse.ArgumentParser:
    """An argument parser with ``description`` as its help (line breaks kept) and ``-o/--output``, the
    path of the JSON result (a :class:`~pathlib.Path`, default ``output``).

    Example
    -------
    >>> p = bench_parser("Benchmark: how fast.", "runs/bench/x.json")
    >>> p.add_argument("--n", type=int, default=10)  # doctest: +ELLIPSIS
    _StoreAction(...)
    >>> args = p.parse_args(["--n", "3"])
    >>> args.output.as_posix(), args.n
    ('runs/bench/x.json', 3)
    """
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-o", "--output", type=Path, default=Path(output), help=f"JSON output (default {output})")
    return parser


class Stopwatch:
    """Wall-clock seconds (``time.perf_counter``) of a ``with`` block, in ``seconds`` once it ends.

    Example
    -------
    >>> with Stopwatch() as watch:
    ...     _ = sum(range(1000))
    >>> 0 <= watch.seconds < 1
    True
    """

    seconds: float = float("nan")

    def __enter__(self) -> Stopwatch:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start


def machine_info(*fields: str) -> dict[str, Any]:
    """The machine a benchmark ran on: ``platform``, ``python`` (version), ``processor`` and ``cpus``
    (``os.cpu_count``); the named fields in that order, by default platform, python and cpus.

    Example
    -------
    >>> sorted(machine_info()), list(machine_info("python", "processor"))
    (['cpus', 'platform', 'python'], ['python', 'processor'])
    """
    unknown = [f for f in fields if f not in _MACHINE]
    if unknown:
        raise ValueError(f"unknown machine field(s) {unknown}; choose from {list(_MACHINE)}")
    return {f: _MACHINE[f]() for f in fields or ("platform", "python", "cpus")}
