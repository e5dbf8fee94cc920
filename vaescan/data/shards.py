"""Per-record model inputs as shards of memory-mapped ``.npy`` files: written by parallel workers, resumable per
shard, read a batch at a time.

:func:`write_shards` computes one row per item (``fn(item)`` -> an array) in shards of ``shard_size`` items,
each shard by one worker process (``jobs``), and writes every shard atomically: the rows go to
``shard-NNNNN.npy`` (:func:`numpy.lib.format.open_memmap`, renamed into place), then a small
``shard-NNNNN.json`` (its record ids, rows, skipped records and the settings' key) marks it finished. A run
killed half way and started again keeps the finished shards and computes the rest. When every shard is done,
``index.json`` lists them (record ids, rows per shard, row shape, dtype, the key).

:class:`ShardedArray` reads such a folder as an array of rows: ``len``, ``shape``, slices, integer index
arrays (a batch gathered from the shards it touches) and boolean masks (a view on a subset, nothing read).
Every read maps the shard files it needs, copies the rows out and unmaps them, so the memory a reader holds
is the rows it asked for, not the pages of the files it has touched (a long-lived memory map would keep
every page read so far in the process's resident memory).

:func:`sharded_cohort` is the cohort-level entry: the shards of a per-record product live in the cache of
:mod:`vaescan.data.cohort_beats`, in ``<cache_dir>/<kind>/<key>-shards<N>/``.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from tqdm.auto import tqdm

from vaescan.batch import _die_with_parent
from vaescan.data.cohort import Cohort
from vaescan.data.cohort_beats import cohort_cache_key, default_cache_dir
from vaescan.errors import VaescanError, VaescanInputError
from vaescan.io import atomic_path, read_json, write_json

log = logging.getLogger("vaescan")

T = TypeVar("T")

INDEX_FILE = "index.json"
FORMAT = "vaescan-shards"
VERSION = 1


def _shard_name(k: int) -> str:
    return f"shard-{k:05d}"


class ShardedArray:
    """The rows of a shard folder (:func:`write_shards`) as a read-only array, read on demand.

    ``record_ids`` name the rows, ``skipped`` lists (record id, reason) of the items that gave no row, ``key``
    is the settings' hash the shards were written with. Indexing: an int gives one row, a slice or an integer
    array the rows (a numpy array, gathered shard by shard through a memory map), a boolean mask a
    :class:`ShardedArray` view of those rows. ``np.asarray`` reads everything (small data only).

    Example
    -------
    >>> import tempfile
    >>> items = [(f"r{i}", i) for i in range(5)]
    >>> x = write_shards(items, _full_row, tempfile.mkdtemp(), shard_size=2, key="k", progress=False)
    >>> x.shape, x.record_ids[:2], x[[4, 0]][:, 0].tolist()
    ((5, 3), ['r0', 'r1'], [4.0, 0.0])
    >>> view = x[np.array([True, False, True, False, True])]
    >>> len(view), view[:][:, 0].tolist(), view.record_ids
    (3, [0.0, 2.0, 4.0], ['r0', 'r2', 'r4'])
    """

    def __init__(self, folder: str | os.PathLike[str], rows: np.ndarray | None = None):
        self.folder = Path(folder)
        index = _read_index(self.folder)
        self.key: str = index["key"]
        self.dtype = np.dtype(index["dtype"])
        self.row_shape: tuple[int, ...] = tuple(index["row_shape"])
        self._files = [self.folder / f"{s['name']}.npy" for s in index["shards"]]
        sizes = np.array([s["rows"] for s in index["shards"]], dtype=np.int64)
        self._offsets = np.concatenate([[0], np.cumsum(sizes)])
        self._all_ids = [rid for s in index["shards"] for rid in s["record_ids"]]
        self.skipped: list[tuple[str, str]] = [(str(r), str(why)) for r, why in index["skipped"]]
        total = int(self._offsets[-1])
        self._rows = np.arange(total, dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
        self._stored: tuple[tuple[int, ...], np.dtype] = (self.row_shape, self.dtype)
        self._transform: Callable[[np.ndarray], np.ndarray] | None = None

    @property
    def record_ids(self) -> list[str]:
        """Record id of each row, in order."""
        return [self._all_ids[i] for i in self._rows]

    @property
    def shape(self) -> tuple[int, ...]:
        """(rows, *row shape)."""
        return (len(self._rows), *self.row_shape)

    @property
    def ndim(self) -> int:
        """Number of dimensions, rows included."""
        return 1 + len(self.row_shape)

    @property
    def nbytes(self) -> int:
        """Bytes of the rows (what ``np.asarray`` would hold in memory)."""
        return int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize

    def __len__(self) -> int:
        return len(self._rows)

    def __repr__(self) -> str:
        return f"ShardedArray({str(self.folder)!r}, shape={self.shape}, dtype={self.dtype})"

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self.take(np.arange(len(self)))
        return out if dtype is None else out.astype(dtype, copy=False)

    def __getitem__(self, key: Any) -> np.ndarray | ShardedArray:
        if isinstance(key, (int, np.integer)):
            return self.take(np.array([key]))[0]
        if isinstance(key, slice):
            return self.take(np.arange(len(self))[key])
        index = np.asarray(key)
        if index.dtype == bool:
            if index.shape != (len(self),):
                raise IndexError(f"boolean mask of shape {index.shape} for {len(self)} rows")
            return ShardedArray._view(self, self._rows[index])
        return self.take(index)

    def _view(self, rows: np.ndarray) -> ShardedArray:
        view = object.__new__(ShardedArray)
        view.__dict__.update(self.__dict__)
        view._rows = rows
        return view

    def map(self, fn: Callable[[np.ndarray], np.ndarray]) -> ShardedArray:
        """A view whose rows are ``fn`` of these rows, applied to each gathered batch (``fn`` must treat the rows
        independently, e.g. a resampling along the last axis); nothing is computed until rows are read.

        Example
        -------
        >>> import tempfile
        >>> x = write_shards([("a", 1), ("b", 2)], _full_row, tempfile.mkdtemp(), shard_size=1, key="k",
        ...                  progress=False)
        >>> halves = x.map(lambda rows: rows[:, :2] / 2)
        >>> halves.shape, halves[[1]].tolist()
        ((2, 2), [[1.0, 1.0]])
        """
        view = self._view(self._rows)
        first = self._transform
        view._transform = fn if first is None else (lambda rows: fn(first(rows)))
        example = view.take(np.arange(min(1, len(self))))
        view.row_shape, view.dtype = tuple(example.shape[1:]), example.dtype
        return view

    def take(self, index: Sequence[int] | np.ndarray) -> np.ndarray:
        """The rows at ``index`` (positions in this array), gathered from their shards: (len(index), *row shape).

        Each shard it touches is mapped, its rows copied out, and unmapped.
        """
        index = np.asarray(index, dtype=np.int64).reshape(-1)
        if len(index) and (index.min() < -len(self) or index.max() >= len(self)):
            raise IndexError(f"row index out of range for {len(self)} rows")
        rows = self._rows[index]
        out = np.empty((len(rows), *self._stored[0]), dtype=self._stored[1])
        which = np.searchsorted(self._offsets, rows, side="right") - 1
        for k in np.unique(which):
            at = np.flatnonzero(which == k)
            mapped = np.load(self._files[k], mmap_mode="r")
            out[at] = mapped[rows[at] - self._offsets[k]]
            del mapped
        return out if self._transform is None else self._transform(out)

    def chunks(self, size: int = 1024) -> Iterator[np.ndarray]:
        """The rows in order, ``size`` at a time (reading everything with bounded memory)."""
        for start in range(0, len(self), size):
            yield self.take(np.arange(start, min(start + size, len(self))))


def _read_index(folder: Path) -> dict:
    """``index.json`` of a shard folder, checked against the shard files; any fault is one VaescanInputError."""
    path = folder / INDEX_FILE
    index = read_json(path)
    try:
        if not isinstance(index, dict) or index.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} index")
        if index.get("version") != VERSION:
            raise ValueError(f"version {index.get('version')!r}, expected {VERSION}")
        dtype = np.dtype(index["dtype"])
        row_shape = tuple(index["row_shape"])
        if not isinstance(index["key"], str) or not all(type(s) is int and s >= 0 for s in row_shape):
            raise ValueError("key or row_shape malformed")
        if not isinstance(index["shards"], list) or not isinstance(index["skipped"], list):
            raise ValueError("shards and skipped must be lists")
        for s in index["shards"]:
            name, rows, ids = s["name"], s["rows"], s["record_ids"]
            if not isinstance(name, str) or "/" in name or type(rows) is not int or rows < 1 or len(ids) != rows:
                raise ValueError(f"shard entry {str(s)[:80]} malformed")
            file = folder / f"{name}.npy"
            if not file.is_file():
                raise ValueError(f"shard file {file.name} is missing")
            header = np.load(file, mmap_mode="r")
            if header.shape != (rows, *row_shape) or header.dtype != dtype:
                raise ValueError(f"{file.name} holds {header.shape} {header.dtype}, the index says "
                                 f"{(rows, *row_shape)} {dtype}")
            del header
        for item in index["skipped"]:
            if not (isinstance(item, list) and len(item) == 2):
                raise ValueError("skipped must hold [record id, reason] pairs")
    except (KeyError, TypeError, ValueError, OSError) as exc:
        what = f"no {exc}" if isinstance(exc, KeyError) else str(exc).splitlines()[0]
        raise VaescanInputError(path, f"corrupt shard index ({what}); delete the folder to recompute it") from None
    return index


def _full_row(i: int) -> np.ndarray:
    """A toy row for the examples: ``i`` three times (float32)."""
    return np.full(3, i, dtype=np.float32)


def _write_shard(fn: Callable[[T], np.ndarray], folder: Path, k: int, key: str,
                 items: Sequence[tuple[str, T]], tick: Callable[[int], Any] | None = None) -> int:
    """Compute and write shard ``k`` (rows, then its finished-marker JSON, each atomically); returns its items.

    An item raising a :class:`~vaescan.errors.VaescanError` is recorded as skipped; anything else propagates
    and leaves the shard unfinished."""
    ids, rows, skipped = [], [], []
    for rid, item in items:
        try:
            rows.append(np.asarray(fn(item)))
            ids.append(rid)
        except VaescanError as exc:
            skipped.append([rid, str(exc)])
        if tick is not None:
            tick(1)
    name = _shard_name(k)
    marker: dict[str, Any] = {"key": key, "items": [rid for rid, _ in items], "record_ids": ids, "skipped": skipped,
                              "rows": len(rows), "row_shape": None, "dtype": None}
    if rows:
        first = rows[0]
        bad = [rid for rid, r in zip(ids, rows) if r.shape != first.shape]
        if bad:
            raise VaescanInputError(folder, f"record {bad[0]} gave a row of another shape than {first.shape}")
        with atomic_path(folder / f"{name}.npy") as tmp:
            out = np.lib.format.open_memmap(tmp, mode="w+", dtype=first.dtype, shape=(len(rows), *first.shape))
            for i, r in enumerate(rows):
                out[i] = r
            out.flush()
            del out
        marker.update(row_shape=list(first.shape), dtype=first.dtype.str)
    write_json(folder / f"{name}.json", marker)
    return len(items)


def _finished(folder: Path, k: int, key: str, items: Sequence[tuple[str, Any]]) -> dict | None:
    """The marker of shard ``k`` if it was finished for these settings and items (else None)."""
    path = folder / f"{_shard_name(k)}.json"
    try:
        marker = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or marker.get("key") != key or marker.get("items") != [r for r, _ in items]:
        return None
    if marker.get("rows"):
        try:  # the header only: a damaged or truncated file is computed again
            rows = np.load(folder / f"{_shard_name(k)}.npy", mmap_mode="r")
            if rows.shape != (marker["rows"], *marker["row_shape"]) or rows.dtype != np.dtype(marker["dtype"]):
                return None
        except (OSError, ValueError, TypeError, KeyError):
            return None
    return marker


def write_shards(items: Sequence[tuple[str, T]], fn: Callable[[T], np.ndarray], folder: str | os.PathLike[str], *,
                 shard_size: int, key: str, jobs: int = 1, progress: bool = True,
                 desc: str = "shards") -> ShardedArray:
    """``fn(item)`` for every (record id, item) of ``items``, written as shards of ``shard_size`` items in
    ``folder`` (see the module docstring); returns them as a :class:`ShardedArray`.

    Shards already finished there with the same ``key`` (the settings' hash) and items are kept, so a killed
    run restarted computes only the rest; an ``index.json`` with that key is returned as is. ``jobs`` > 1
    computes shards in that many worker processes (``fn`` must then be a module-level function or a
    :func:`functools.partial` of one). Items whose ``fn`` raises a
    :class:`~vaescan.errors.VaescanError` are listed in ``skipped``; raises
    :class:`~vaescan.errors.VaescanInputError` when no item gives a row.

    Example
    -------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> x = write_shards([("a", 1), ("b", 2), ("c", 3)], _full_row, folder, shard_size=2, key="k", progress=False)
    >>> x.shape, sorted(p.name for p in Path(folder).iterdir())
    ((3, 3), ['index.json', 'shard-00000.json', 'shard-00000.npy', 'shard-00001.json', 'shard-00001.npy'])
    """
    if shard_size < 1:
        raise VaescanInputError(None, f"shard_size must be at least 1, got {shard_size}")
    folder = Path(folder)
    if (folder / INDEX_FILE).is_file():
        try:
            existing = ShardedArray(folder)
            if existing.key == key and len(existing) + len(existing.skipped) == len(items):
                return existing
        except VaescanInputError as exc:
            log.warning("recomputing the shards (%s)", exc)
    folder.mkdir(parents=True, exist_ok=True)
    parts = [items[i: i + shard_size] for i in range(0, len(items), shard_size)]
    todo = [k for k, part in enumerate(parts) if _finished(folder, k, key, part) is None]
    bar = tqdm(total=len(items), initial=len(items) - sum(len(parts[k]) for k in todo), desc=desc, unit="rec",
               disable=not progress, dynamic_ncols=True)
    if todo and (len(parts) - len(todo)):
        log.info("resuming %s: %d of %d shards already written", folder, len(parts) - len(todo), len(parts))
    if jobs > 1 and len(todo) > 1:
        with ProcessPoolExecutor(max_workers=min(jobs, len(todo)), initializer=_die_with_parent) as pool:
            futures = [pool.submit(_write_shard, fn, folder, k, key, parts[k]) for k in todo]
            for future in futures:
                bar.update(future.result())
    else:
        for k in todo:
            _write_shard(fn, folder, k, key, parts[k], tick=bar.update)
    bar.close()
    return _write_index(folder, key, parts)


def _write_index(folder: Path, key: str, parts: list) -> ShardedArray:
    markers = [_finished(folder, k, key, part) for k, part in enumerate(parts)]
    if any(m is None for m in markers):
        raise VaescanInputError(folder, "a shard was not written (another process changed the folder?)")
    shards = [{"name": _shard_name(k), "rows": m["rows"], "record_ids": m["record_ids"]}
              for k, m in enumerate(markers) if m["rows"]]
    skipped = [s for m in markers for s in m["skipped"]]
    if not shards:
        reasons = "; ".join(why for _, why in skipped[:3])
        raise VaescanInputError(folder, f"no record gave a row ({reasons})")
    full = [m for m in markers if m["rows"]]
    shapes = {(tuple(m["row_shape"]), m["dtype"]) for m in full}
    if len(shapes) > 1:
        raise VaescanInputError(folder, f"the shards hold rows of different shapes or types: {sorted(shapes)}")
    if skipped:
        log.warning("%d of %d records skipped; they are listed with their reasons", len(skipped),
                    sum(len(p) for p in parts))
    write_json(folder / INDEX_FILE, {"format": FORMAT, "version": VERSION, "key": key, "dtype": full[0]["dtype"],
                                     "row_shape": full[0]["row_shape"], "shards": shards, "skipped": skipped})
    return ShardedArray(folder)


def sharded_cohort(cohort: Cohort, config: Any, kind: str, fn: Callable[[tuple[str, Path]], np.ndarray], *,
                   shard_size: int, cache_dir: str | os.PathLike[str] | None = None, jobs: int = 1,
                   progress: bool = True) -> ShardedArray:
    """``fn((record id, path))`` of every record of ``cohort``, as shards in the cache (:func:`write_shards`).

    The folder is ``<cache_dir>/<kind>/<key>-shards<shard_size>/`` with the key of
    :func:`~vaescan.data.cohort_beats.cohort_cache_key` (settings and every record file's size and time), so
    the in-memory cache ``<key>.npz`` and the shards of the same inputs sit side by side.

    Example
    -------
    >>> import tempfile
    >>> from vaescan.data.beats import BeatConfig
    >>> from vaescan.data.synth import simulate_cohort
    >>> cohort = simulate_cohort(3, seed=0, out_dir=tempfile.mkdtemp(), progress=False)
    >>> import functools
    >>> fn = functools.partial(_stamp_row, 7.0)
    >>> x = sharded_cohort(cohort, BeatConfig(), "demo", fn, shard_size=2, cache_dir=tempfile.mkdtemp(), progress=False)
    >>> x.shape, x.record_ids == cohort.metadata.record_id.tolist()
    ((3, 2), True)
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    key = cohort_cache_key(cohort, config)
    ids = cohort.metadata["record_id"].astype(str).tolist()
    items = [(rid, (rid, cohort.record_path(i))) for i, rid in enumerate(ids)]
    folder = cache / kind / f"{key}-shards{shard_size}"
    try:
        return write_shards(items, fn, folder, shard_size=shard_size, key=key, jobs=jobs, progress=progress,
                            desc=f"{kind} (shards)")
    except VaescanInputError as exc:
        if exc.path == str(folder) and exc.problem.startswith("no record gave"):
            raise VaescanInputError(cohort.root, f"no record gave {kind} ({exc.problem.split('(', 1)[-1]}") from None
        raise


def _stamp_row(value: float, item: tuple[str, Path]) -> np.ndarray:
    """A toy per-record row for the examples: ``value`` and the length of the record's path."""
    return np.array([value, len(str(item[1]))], dtype=np.float32)
