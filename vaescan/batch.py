"""Run a function over many inputs with a progress bar, logging and skipping bad ones.

A batch never dies on one bad record: a :class:`~vaescan.errors.VaescanError`
raised for an item is logged, recorded with its reason and the batch goes on.
Any other exception is a bug and propagates.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from tqdm.auto import tqdm

from vaescan.errors import VaescanError
from vaescan.io import write_text

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger("vaescan")


@dataclass
class BatchResult(Generic[T, R]):
    """Outcome of :func:`run_batch`: ``done`` as (item, result) in input order, ``skipped`` as (item, reason)."""

    done: list[tuple[T, R]] = field(default_factory=list)
    skipped: list[tuple[T, str]] = field(default_factory=list)

    def summary(self, noun: str = "records") -> str:
        """One line for the end of a command, e.g. ``'98 records done, 2 skipped'``."""
        return f"{len(self.done)} {noun} done, {len(self.skipped)} skipped"


def write_failures(skipped: Sequence[tuple[object, str]], path: str | os.PathLike[str]) -> Path | None:
    """Write every skipped item and its reason to the CSV ``path`` (columns ``item, reason``), atomically.

    With nothing skipped, a ``path`` left by an earlier run is removed (it would describe another run)
    and None is returned.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = write_failures([("r1", "r1: lead V3 is flat")], pathlib.Path(tempfile.mkdtemp()) / "failures.csv")
    >>> p.read_text().splitlines()
    ['item,reason', 'r1,r1: lead V3 is flat']
    """
    path = Path(path)
    if not skipped:
        path.unlink(missing_ok=True)
        return None
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["item", "reason"])
    writer.writerows((item[0] if isinstance(item, tuple) else item, reason) for item, reason in skipped)
    return write_text(path, buf.getvalue())


_PARENT_POLL_S = 0.2


def _die_with_parent() -> None:
    """Worker initializer: end this worker as soon as the process that started it is gone.

    A parent killed with ``kill -9`` cannot shut its pool down; its workers would live on, blocked on a
    pipe. A daemon thread in each worker polls the parent's pid and exits the worker when it changes.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="vaescan-parent-watch", daemon=True).start()


def _call(fn: Callable[[T], R], item: T) -> tuple[bool, R | str]:
    try:
        return True, fn(item)
    except VaescanError as exc:
        return False, str(exc)


def run_batch(
    items: Sequence[T],
    fn: Callable[[T], R],
    *,
    desc: str = "records",
    jobs: int = 1,
    progress: bool = True,
) -> BatchResult[T, R]:
    """Apply ``fn`` to every item; items raising a vaescan error are logged and skipped.

    ``jobs > 1`` runs in that many worker processes (``fn`` must then be a
    module-level function or a :func:`functools.partial` of one); the workers
    end with the parent, even one killed with ``kill -9``. Results keep the
    input order.

    Example
    -------
    >>> from vaescan.errors import VaescanInputError
    >>> def half(x):
    ...     if x % 2:
    ...         raise VaescanInputError(f"item{x}", "odd")
    ...     return x // 2
    >>> res = run_batch([2, 3, 4], half, progress=False)
    >>> res.done, res.skipped
    ([(2, 1), (4, 2)], [(3, 'item3: odd')])
    """
    out: BatchResult[T, R] = BatchResult()
    bar = tqdm(total=len(items), desc=desc, unit="rec", disable=not progress, dynamic_ncols=True)
    if jobs > 1 and len(items) > 1:
        with ProcessPoolExecutor(max_workers=jobs, initializer=_die_with_parent) as pool:
            chunk = max(1, min(32, len(items) // (4 * jobs)))
            outcomes = pool.map(_call, [fn] * len(items), items, chunksize=chunk)
            for item, outcome in zip(items, outcomes):
                _collect(out, item, outcome, bar)
    else:
        for item in items:
            _collect(out, item, _call(fn, item), bar)
    bar.close()
    return out


def _collect(out: BatchResult, item, outcome, bar) -> None:
    ok, value = outcome
    if ok:
        out.done.append((item, value))
    else:
        out.skipped.append((item, value))
        log.warning("skipped %s", value)
        bar.set_postfix(skipped=len(out.skipped))
    bar.update(1)
