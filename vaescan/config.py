"""Configs are dataclasses, saved as JSON or YAML beside every run.

:func:`load_config` fills a dataclass from a file and rejects unknown keys with a
message naming the file, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, TypeVar

import yaml

from vaescan.errors import VaescanInputError
from vaescan.io import write_text

C = TypeVar("C")


def config_to_dict(config: Any) -> dict[str, Any]:
    """Return a dataclass config as a plain dict (tuples become lists).

    Example
    -------
    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class Cfg:
    ...     beta: float = 4.0
    >>> config_to_dict(Cfg())
    {'beta': 4.0}
    """
    return dataclasses.asdict(config)


def save_config(config: Any, path: str | os.PathLike[str]) -> Path:
    """Save a dataclass config to ``.json`` or ``.yaml``/``.yml`` (by suffix), atomically.

    Example
    -------
    >>> import tempfile, pathlib
    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class Cfg:
    ...     latent_dim: int = 8
    >>> p = save_config(Cfg(), pathlib.Path(tempfile.mkdtemp()) / "config.yaml")
    >>> load_config(Cfg, p)
    Cfg(latent_dim=8)
    """
    path = Path(path)
    data = config_to_dict(config)
    if path.suffix in (".yaml", ".yml"):
        text = yaml.safe_dump(data, sort_keys=False)
    else:
        import json

        text = json.dumps(data, indent=2) + "\n"
    return write_text(path, text)


def config_from_dict(cls: type[C], data: dict[str, Any], source: str | None = None) -> C:
    """Build dataclass ``cls`` from ``data``; unknown keys raise a clear error.

    Nested dataclass fields are built from nested dicts. Lists become tuples where
    the default is a tuple.

    Example
    -------
    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class Cfg:
    ...     beta: float = 4.0
    >>> config_from_dict(Cfg, {"beta": 2})
    Cfg(beta=2)
    """
    if not isinstance(data, dict):
        raise VaescanInputError(source, f"expected a mapping of {cls.__name__} settings")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise VaescanInputError(
            source,
            f"unknown {cls.__name__} setting(s) {unknown}; known: {sorted(fields)}",
        )
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        field = fields[name]
        default = _field_default(field)
        if dataclasses.is_dataclass(default) and isinstance(value, dict):
            value = config_from_dict(type(default), value, source)
        elif isinstance(default, tuple) and isinstance(value, list):
            value = tuple(value)
        kwargs[name] = value
    return cls(**kwargs)


def _field_default(field: dataclasses.Field) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        return field.default_factory()  # type: ignore[misc]
    return None


def load_config(cls: type[C], path: str | os.PathLike[str]) -> C:
    """Read a JSON or YAML file into dataclass ``cls``.

    Example
    -------
    >>> import tempfile, pathlib
    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class Cfg:
    ...     beta: float = 4.0
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "c.yaml"
    >>> _ = p.write_text("beta: 8.0")
    >>> load_config(Cfg, p)
    Cfg(beta=8.0)
    """
    path = Path(path)
    if not path.is_file():
        raise VaescanInputError(path, "config file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise VaescanInputError(path, f"not valid YAML/JSON ({exc})") from None
    return config_from_dict(cls, data, str(path))
