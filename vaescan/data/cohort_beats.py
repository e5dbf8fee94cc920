"""Median beats of a whole cohort, aligned with its metadata rows and cached on disk (and the cache they share).

Computing median beats is the slow part of every model run (about 20 ms per
record), so :func:`cohort_beats` caches them as a ``.npz`` keyed by a hash of the
:class:`~vaescan.data.beats.BeatConfig`, the cohort root and the list of records
(each with the size and modification time of its files: a regenerated cohort is
recomputed). The cache lives in ``$VAESCAN_CACHE_DIR`` if set, else
``$XDG_CACHE_HOME/vaescan``, else ``~/.cache/vaescan`` (under ``beats/``), never
inside the dataset, which may be read-only.

Records whose beat cannot be computed are listed in ``BeatSet.skipped`` with the
reason, never silently dropped; :func:`beats_cohort` gives the metadata rows of
the records that have a beat, in the BeatSet's order.

:func:`cached_cohort` and :func:`cohort_batch` are the machinery any per-record
product of a cohort shares (the model signals of :mod:`vaescan.data.signals` too).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from vaescan.batch import run_batch
from vaescan.data.beats import BeatConfig, BeatResult, BeatSet, beats_from_results, read_and_beat
from vaescan.data.cohort import Cohort
from vaescan.errors import VaescanInputError

log = logging.getLogger("vaescan")

T = TypeVar("T")


def default_cache_dir() -> Path:
    """Where vaescan caches derived data: ``$VAESCAN_CACHE_DIR``, ``$XDG_CACHE_HOME/vaescan`` or ``~/.cache/vaescan``.

    Example
    -------
    >>> default_cache_dir().name in ("vaescan",) or "VAESCAN_CACHE_DIR" in os.environ
    True
    """
    if os.environ.get("VAESCAN_CACHE_DIR"):
        return Path(os.environ["VAESCAN_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "vaescan"


def _file_stamp(path: Path) -> list[int]:
    try:
        st = path.stat()
        return [st.st_size, st.st_mtime_ns]
    except OSError:
        return [-1, -1]


def cohort_cache_key(cohort: Cohort, config: Any = BeatConfig()) -> str:
    """Hash of the settings (a dataclass), the cohort root and every record (path, size and time of its files).

    Example
    -------
    >>> key = cohort_cache_key(cohort)  # doctest: +SKIP
    >>> len(key)  # doctest: +SKIP
    20
    """
    records = []
    for i, rid in enumerate(cohort.metadata["record_id"].astype(str)):
        base = cohort.record_path(i)
        records.append([rid, str(base), _file_stamp(base.with_suffix(".hea")), _file_stamp(base.with_suffix(".dat"))])
    payload = {"config": dataclasses.asdict(config), "root": str(Path(cohort.root).resolve()), "records": records}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]


def _beat_item(config: BeatConfig, item: tuple[str, Path]) -> BeatResult:
    """Median beat of a (record id, path) item (module level so worker processes can run it)."""
    result = read_and_beat(item[1], config)
    result.cleaned = result.cleaned[:0]  # the cleaned signal is not needed; keep worker transfers small
    return result


def beat_row(config: BeatConfig, item: tuple[str, Path]) -> np.ndarray:
    """The median beat (12, samples) float32 mV of a (record id, path) item, as a shard row (module level so
    worker processes can run it); errors name the file.

    Example
    -------
    >>> row = beat_row(BeatConfig(), ("r1", Path("runs/synthetic/records/r1")))  # doctest: +SKIP
    >>> row.shape  # doctest: +SKIP
    (12, 500)
    """
    return read_and_beat(item[1], config).beat.astype(np.float32)


def cached_cohort(cohort: Cohort, config: Any, kind: str, compute: Callable[[], T], load: Callable[[Path], T],
                  save: Callable[[T, Path], Any], *, cache_dir: str | os.PathLike[str] | None = None,
                  use_cache: bool = True) -> T:
    """A per-record product of ``cohort`` read from ``<cache_dir>/<kind>/<key>.npz``, else ``compute()``d and saved.

    The key is :func:`cohort_cache_key` of the cohort and ``config``; an unreadable cache file is
    recomputed with a warning. ``cache_dir`` defaults to :func:`default_cache_dir`.

    Example
    -------
    >>> beats = cached_cohort(cohort, BeatConfig(), "beats", compute, BeatSet.load, BeatSet.save)  # doctest: +SKIP
    """
    if not use_cache:
        return compute()
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cache = cache / kind / f"{cohort_cache_key(cohort, config)}.npz"
    if cache.is_file():
        try:
            product = load(cache)
            log.info("%s of %s read from the cache %s", kind, cohort.root, cache)
            return product
        except VaescanInputError as exc:
            log.warning("ignoring an unreadable %s cache (%s); recomputing", kind, exc)
    product = compute()
    save(product, cache)
    return product


def cohort_batch(cohort: Cohort, fn: Callable[[tuple[str, Path]], T], *, what: str, desc: str, jobs: int = 1,
                 progress: bool = True) -> tuple[list[tuple[str, T]], list[tuple[str, str]]]:
    """``fn((record id, path))`` for every record of ``cohort`` (:func:`~vaescan.batch.run_batch`).

    Returns (record id, result) in metadata order and the skipped (record id, reason); raises
    :class:`~vaescan.errors.VaescanInputError` when no record gives ``what``; ``desc`` labels the progress bar.

    Example
    -------
    >>> done, skipped = cohort_batch(cohort, fn, what="a median beat", desc="median beats")  # doctest: +SKIP
    """
    ids = cohort.metadata["record_id"].astype(str).tolist()
    items = [(rid, cohort.record_path(i)) for i, rid in enumerate(ids)]
    result = run_batch(items, fn, desc=desc, jobs=jobs, progress=progress)
    skipped = [(rid, why) for (rid, _), why in result.skipped]
    if not result.done:
        reasons = "; ".join(why for _, why in skipped[:3])
        raise VaescanInputError(cohort.root, f"no record gave {what} ({reasons})")
    if skipped:
        log.warning("%d of %d records skipped (no %s); they are listed with their reasons", len(skipped), len(ids),
                    what)
    return [(rid, res) for (rid, _), res in result.done], skipped


def cohort_beats(
    cohort: Cohort,
    config: BeatConfig = BeatConfig(),
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    use_cache: bool = True,
    jobs: int = 1,
    progress: bool = True,
) -> BeatSet:
    """Median beats of every record of ``cohort``, in metadata order; unusable records listed in ``skipped``.

    With ``use_cache`` the result is read from (or written to)
    ``<cache_dir>/beats/<key>.npz`` (``cache_dir`` defaults to
    :func:`default_cache_dir`). Raises :class:`~vaescan.errors.VaescanInputError`
    when no record gives a beat.

    Example
    -------
    >>> from vaescan.data.sources import load_cohort
    >>> beats = cohort_beats(load_cohort("runs/quickstart/cohort"))  # doctest: +SKIP
    >>> beats.beats.shape  # doctest: +SKIP
    (500, 12, 500)
    """
    def compute() -> BeatSet:
        done, skipped = cohort_batch(cohort, functools.partial(_beat_item, config), what="a median beat",
                                     desc="median beats", jobs=jobs, progress=progress)
        return beats_from_results(done, config, skipped)

    return cached_cohort(cohort, config, "beats", compute, BeatSet.load, BeatSet.save, cache_dir=cache_dir,
                         use_cache=use_cache)


def beats_cohort(cohort: Cohort, beats: BeatSet | Any) -> Cohort:
    """The cohort rows of the records in ``beats``, in the same order (row i describes ``beats.beats[i]``).

    Any set with ``record_ids`` works the same way (e.g. :class:`vaescan.data.signals.SignalSet`).

    Example
    -------
    >>> rows = beats_cohort(cohort, cohort_beats(cohort))  # doctest: +SKIP
    >>> rows.metadata.record_id.tolist() == beats.record_ids  # doctest: +SKIP
    True
    """
    index = {rid: i for i, rid in enumerate(cohort.metadata["record_id"].astype(str))}
    missing = [rid for rid in beats.record_ids if rid not in index]
    if missing:
        raise VaescanInputError(cohort.root, f"beats of record(s) {missing[:5]} are not in this cohort")
    return cohort.subset([index[rid] for rid in beats.record_ids])
