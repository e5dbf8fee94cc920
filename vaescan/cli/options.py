"""Options that several subcommands share, typed and worded once (the bottom of the command line)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from vaescan.errors import VaescanInputError


def positive_int(text: str) -> int:
    """argparse type for counts (records, pages, jobs): a whole number of at least 1.

    Example
    -------
    >>> positive_int("3")
    3
    >>> positive_int("0")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be at least 1, got 0
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_jobs(p: argparse.ArgumentParser, what: str = "per-record work", default: int | None = 1) -> None:
    """``--jobs N``: worker processes (at least 1); ``default=None`` leaves the run config's value.

    Example
    -------
    >>> p = argparse.ArgumentParser()
    >>> add_jobs(p, "the median beats")
    >>> p.parse_args(["--jobs", "2"]).jobs
    2
    """
    shown = f"default {default}" if default is not None else "default: the config's"
    p.add_argument("--jobs", type=positive_int, default=default, help=f"worker processes for {what} ({shown})")


def add_ptbxl_rate(p: argparse.ArgumentParser) -> None:
    """``--ptbxl-rate 100|500``: which records of a PTB-XL release to read.

    Example
    -------
    >>> p = argparse.ArgumentParser()
    >>> add_ptbxl_rate(p)
    >>> p.parse_args([]).ptbxl_rate
    500
    """
    p.add_argument("--ptbxl-rate", type=int, choices=(100, 500), default=500,
                   help="which PTB-XL records to read when the data is a PTB-XL release (default 500)")


def add_cache_dir(p: argparse.ArgumentParser) -> None:
    """``--cache-dir DIR``: where median beats are cached.

    Example
    -------
    >>> p = argparse.ArgumentParser()
    >>> add_cache_dir(p)
    >>> p.parse_args(["--cache-dir", "/tmp/beats"]).cache_dir
    '/tmp/beats'
    """
    p.add_argument("--cache-dir", help="median-beat cache folder (default: the user cache)")


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
    if path is None:
        return
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise VaescanInputError(path, "exists and is a file, not a folder; choose another output folder")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise VaescanInputError(path, f"cannot make this output folder: {parent} is a file")
            break
