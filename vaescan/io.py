"""Atomic file writes and small serialisation helpers.

Nothing is half-written: every writer goes to a temporary file in the target
folder and is renamed into place, so an interrupted run leaves either the old
file or the new one.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

_UMASK = os.umask(0)
os.umask(_UMASK)
_SWEPT: set[str] = set()
"""Folders this process has cleaned of stale temporary files (see :func:`clean_stale_temps`)."""


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    Example
    -------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if str(path.parent.absolute()) not in _SWEPT:  # once per folder and process: a batch of writes stays O(n)
        _SWEPT.add(str(path.parent.absolute()))
        clean_stale_temps(path.parent)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(tmp_name, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the file the permissions open() would
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _nearest_existing(path: Path) -> Path | None:
    """The closest of ``path``'s folders that exists (None if none does)."""
    return next((parent for parent in path.parents if parent.exists()), None)


def check_output_file(path: str | os.PathLike[str]) -> Path:
    """Check, before any work, that a file can be written at ``path``; return it as a :class:`Path`.

    Refused with :class:`~vaescan.errors.VaescanInputError`: an existing folder at ``path``, a file where
    one of its folders should be, and a folder that cannot be written.

    Example
    -------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> check_output_file(folder / "new" / "features.csv").name
    'features.csv'
    >>> check_output_file(folder)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vaescan.errors.VaescanInputError: ...: output is a folder; give a file name
    """
    from vaescan.errors import VaescanInputError

    path = Path(path)
    if path.is_dir():
        raise VaescanInputError(path, "output is a folder; give a file name")
    parent = _nearest_existing(path)
    if parent is not None and not parent.is_dir():
        raise VaescanInputError(path, f"cannot write here: {parent} is a file, not a folder")
    if parent is not None and not os.access(parent, os.W_OK | os.X_OK):
        raise VaescanInputError(path, f"cannot write here: folder {parent} is not writable")
    return path


def check_output_folder(path: str | os.PathLike[str] | None) -> None:
    """Refuse, before any work, an output folder that is an existing file or lies under one.

    Example
    -------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "notes.txt"
    >>> _ = f.write_text("x")
    >>> check_output_folder(f / "out")
    Traceback (most recent call last):
    ...
    vaescan.errors.VaescanInputError: .../notes.txt/out: cannot make this output folder: .../notes.txt is a file
    """
    from vaescan.errors import VaescanInputError

    if path is None:
        return
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise VaescanInputError(path, "exists and is a file, not a folder; choose another output folder")
    parent = _nearest_existing(path)
    if parent is not None and not parent.is_dir():
        raise VaescanInputError(path, f"cannot make this output folder: {parent} is a file")


def _pid_alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # no cheap, safe liveness test: never remove another process's file
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def clean_stale_temps(folder: str | os.PathLike[str], name: str | None = None) -> list[Path]:
    """Remove the temporary files that interrupted atomic writes (of ``name``, or of any file) left in ``folder``.

    A temporary file is ``.NAME.PID.XXXXXXXX.tmp``; it is stale when process PID
    no longer runs (killed mid-write), so the files of writes in progress are
    kept. Returns the removed paths.
    """
    folder = Path(folder)
    removed = []
    try:
        candidates = list(folder.glob(f".{glob.escape(name)}.*.tmp" if name else ".*.tmp"))
    except OSError:
        return removed
    for tmp in candidates:
        parts = tmp.name.split(".")
        pid = parts[-3] if len(parts) >= 5 else ""
        if pid.isdigit() and (int(pid) == os.getpid() or _pid_alive(int(pid))):
            continue
        try:
            tmp.unlink()
            removed.append(tmp)
        except OSError:
            pass
    return removed


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` atomically and return the path.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = write_text(pathlib.Path(tempfile.mkdtemp()) / "a.txt", "hi")
    >>> p.read_text()
    'hi'
    """
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def _to_jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_to_jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, np.ndarray):
        return _to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write ``obj`` as indented JSON, atomically; numpy values and paths become plain JSON.

    Non-finite floats become ``null`` so the file stays valid JSON.

    Example
    -------
    >>> import tempfile, pathlib, numpy as np
    >>> p = write_json(pathlib.Path(tempfile.mkdtemp()) / "m.json", {"snr_db": np.float32(12.5)})
    >>> read_json(p)
    {'snr_db': 12.5}
    """
    return write_text(path, json.dumps(_to_jsonable(obj), indent=2) + "\n")


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read a JSON file, raising :class:`~vaescan.errors.VaescanInputError` if it is missing or invalid.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = write_json(pathlib.Path(tempfile.mkdtemp()) / "x.json", [1, 2])
    >>> read_json(p)
    [1, 2]
    """
    from vaescan.errors import VaescanInputError

    path = Path(path)
    if not path.is_file():
        raise VaescanInputError(path, "file not found")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise VaescanInputError(path, f"not valid JSON ({exc})") from None


def save_npz(path: str | os.PathLike[str], **arrays: np.ndarray) -> Path:
    """Save arrays to a compressed ``.npz`` atomically (no pickled objects).

    Example
    -------
    >>> import tempfile, pathlib, numpy as np
    >>> p = save_npz(pathlib.Path(tempfile.mkdtemp()) / "b.npz", x=np.arange(3))
    >>> np.load(p)["x"].tolist()
    [0, 1, 2]
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)
    return path


def load_npz(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Load every array of an ``.npz`` written by :func:`save_npz`, refusing pickled objects.

    Example
    -------
    >>> import tempfile, pathlib, numpy as np
    >>> p = save_npz(pathlib.Path(tempfile.mkdtemp()) / "b.npz", x=np.ones(2))
    >>> load_npz(p)["x"].tolist()
    [1.0, 1.0]
    """
    from vaescan.errors import VaescanInputError

    path = Path(path)
    if not path.is_file():
        raise VaescanInputError(path, "file not found")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (ValueError, OSError, EOFError) as exc:
        raise VaescanInputError(path, f"not a readable .npz file ({exc})") from None
