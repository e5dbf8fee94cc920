"""Configs are dataclasses, saved as JSON or YAML beside every run.

:func:`load_config` is the one place a config file is checked: it rejects
unknown and duplicated keys, checks every value against the type annotation of
its dataclass field, and lets the dataclass check its value ranges (its
``LIMITS``, see :func:`check_limits`). Every problem is one line naming the file
and the key (``vae.epochs: expected a whole number, got 'three'``), so a typo
never silently falls back to a default and nothing invalid reaches the models.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

from vaescan.errors import VaescanInputError
from vaescan.io import write_text

C = TypeVar("C")


class ConfigValueError(VaescanInputError):
    """A config setting ``key`` has an unusable value; the loader adds the file and the key's section."""

    def __init__(self, key: str, detail: str):
        self.key, self.detail = key, detail
        super().__init__(None, f"{key}: {detail}")


@dataclasses.dataclass(frozen=True)
class Limit:
    """The allowed values of a numeric setting (each element of a tuple setting): a range or a set of choices."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    choices: tuple = ()

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not allowed, or None."""
        if self.choices:
            if value in self.choices and not isinstance(value, bool):
                return None
            return f"must be one of {', '.join(repr(c) for c in self.choices)}, got {show_value(value)}"
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            relation = "greater than" if self.low_open else "at least"
            return f"must be {relation} {_num(self.low)}, got {show_value(value)}"
        if self.high is not None and value > self.high:
            return f"must be at most {_num(self.high)}, got {show_value(value)}"
        return None


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e16 else f"{x:g}"


def at_least(low: float, high: float | None = None) -> Limit:
    """``low <= value (<= high)``."""
    return Limit(low, high)


def above(low: float, high: float | None = None) -> Limit:
    """``low < value (<= high)``."""
    return Limit(low, high, low_open=True)


def one_of(*choices: Any) -> Limit:
    """``value in choices``."""
    return Limit(choices=choices)


def check_limits(config: Any) -> None:
    """Check a config's values against its class's ``LIMITS`` (setting -> :class:`Limit`); call from ``__post_init__``.

    Tuple settings are checked element by element. Raises :class:`ConfigValueError` naming the setting.
    """
    for name, limit in getattr(type(config), "LIMITS", {}).items():
        value = getattr(config, name)
        for v in value if isinstance(value, (tuple, list)) else (value,):
            problem = limit.problem(v)
            if problem:
                raise ConfigValueError(name, problem)


def show_value(value: Any) -> str:
    """A short, one-line rendering of any loaded value for error messages (never a huge or nested repr)."""
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        return repr(value) if abs(value) < 10 ** 18 else "a very large number"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)} item{'s' * (len(value) != 1)}"
    if isinstance(value, dict):
        return f"a mapping of {len(value)} key{'s' * (len(value) != 1)}"
    return f"a {type(value).__name__}"


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


def config_from_dict(cls: type[C], data: dict[str, Any], source: str | None = None, prefix: str = "") -> C:
    """Build dataclass ``cls`` from ``data``, checking every key and value; problems raise a clear error.

    Each value must fit its field's type annotation (a whole number for ``int``,
    a finite number for ``float``, a list for a tuple...); nested dataclass
    fields are built from nested mappings, lists become tuples where the field
    is a tuple, and the dataclass then checks its ranges. Errors name ``source``
    and the key (with ``prefix``, e.g. ``vae.``).

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
        where = f"{prefix[:-1]}: " if prefix else ""
        raise VaescanInputError(source, f"{where}expected a mapping of {cls.__name__} settings, got "
                                f"{show_value(data)}")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted((k for k in data if k not in fields), key=str)
    if unknown:
        names = [prefix + k if isinstance(k, str) else k for k in unknown]
        shown = ", ".join(show_value(k) for k in names[:5]) + (", ..." if len(names) > 5 else "")
        raise VaescanInputError(source, f"unknown {cls.__name__} setting(s) [{shown}]; known: {sorted(fields)}")
    hints = _type_hints(cls)
    kwargs: dict[str, Any] = {}
    try:
        for name, value in data.items():
            kwargs[name] = _coerce(value, hints.get(name, Any), prefix + name, source)
        return cls(**kwargs)
    except ConfigValueError as exc:
        key = exc.key if exc.key.startswith(prefix) else prefix + exc.key
        raise VaescanInputError(source, f"{key}: {exc.detail}") from None
    except VaescanInputError as exc:
        if exc.path is not None:
            raise
        where = f"{prefix[:-1]}: " if prefix else ""
        raise VaescanInputError(source, where + exc.problem) from None


def _type_hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls)
    except Exception:  # an annotation this Python cannot evaluate: check nothing rather than fail
        return {}


_WHAT = {int: "a whole number", float: "a number", str: "text", bool: "true or false", type(None): "null"}


def _describe(tp: Any) -> str:
    if tp in _WHAT:
        return _WHAT[tp]
    if dataclasses.is_dataclass(tp):
        return f"a mapping of {tp.__name__} settings"
    origin = typing.get_origin(tp)
    if origin in (tuple, list) or tp in (tuple, list):
        return "a list"
    if origin is dict or tp is dict:
        return "a mapping"
    return getattr(tp, "__name__", str(tp))


def _coerce(value: Any, tp: Any, key: str, source: str | None) -> Any:
    """``value`` checked against annotation ``tp`` (lists become tuples for tuple fields); else a ConfigValueError."""
    if tp is Any:
        return value
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(value, dict):
            raise ConfigValueError(key, f"expected {_describe(tp)}, got {show_value(value)}")
        return config_from_dict(tp, value, source, prefix=key + ".")
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        for option in (a for a in args if a is not type(None)):
            try:
                return _coerce(value, option, key, source)
            except ConfigValueError as exc:
                if exc.key != key:  # an element or nested setting is wrong, not the kind of value
                    raise
        raise ConfigValueError(key, f"expected {' or '.join(_describe(a) for a in args)}, got {show_value(value)}")
    if tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            return int(value)
    elif tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if isinstance(value, float) and not math.isfinite(value):
                raise ConfigValueError(key, f"expected a finite number, got {show_value(value)}")
            return value
    elif tp is str:
        if isinstance(value, str):
            return value
    elif tp is tuple or origin is tuple:
        if isinstance(value, (list, tuple)):
            if not args:
                return tuple(value)
            if len(args) == 2 and args[1] is Ellipsis:
                return tuple(_coerce(v, args[0], f"{key}[{i}]", source) for i, v in enumerate(value))
            if len(value) != len(args):
                raise ConfigValueError(key, f"expected a list of {len(args)} values, got {show_value(value)}")
            return tuple(_coerce(v, a, f"{key}[{i}]", source) for i, (v, a) in enumerate(zip(value, args)))
    elif tp is list or origin is list:
        if isinstance(value, (list, tuple)):
            return [_coerce(v, args[0], f"{key}[{i}]", source) for i, v in enumerate(value)] if args else list(value)
    elif tp is dict or origin is dict:
        if isinstance(value, dict):
            if not args:
                return dict(value)
            return {_coerce(k, args[0], f"{key} key", source): _coerce(v, args[1], f"{key}.{k}", source)
                    for k, v in value.items()}
    elif origin is typing.Literal:
        if value in args:
            return value
        raise ConfigValueError(key, f"must be one of {', '.join(repr(a) for a in args)}, got {show_value(value)}")
    else:
        return value
    raise ConfigValueError(key, f"expected {_describe(tp)}, got {show_value(value)}")


class _DuplicateKey(Exception):
    def __init__(self, key: Any, first: int, second: int):
        self.key, self.first, self.second = key, first, second


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses duplicated keys and reads ``1e-3`` as a number (as YAML 1.2 and JSON do)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:  # type: ignore[override]
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                if key in seen:
                    raise _DuplicateKey(key, seen[key], key_node.start_mark.line + 1)
                seen[key] = key_node.start_mark.line + 1
            except TypeError:
                pass  # an unhashable key: the base class reports it
        return super().construct_mapping(node, deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                        lambda loader, node: loader.construct_mapping(node))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                  |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
                  |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
                  |[-+]?\.(?:inf|Inf|INF)
                  |\.(?:nan|NaN|NAN))$""", re.X),
    list("-+0123456789."))


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key, 0, 0)
        out[key] = value
    return out


def read_config_file(path: str | os.PathLike[str]) -> Any:
    """The data of a JSON (``.json``) or YAML file; a missing, unreadable or invalid file, or a duplicated key,
    raises one :class:`~vaescan.errors.VaescanInputError` naming the file.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "c.yaml"
    >>> _ = p.write_text("lr: 1e-3\\nepochs: 3\\nepochs: 4\\n")
    >>> read_config_file(p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vaescan.errors.VaescanInputError: .../c.yaml: key 'epochs' appears twice (lines 2 and 3); ...
    """
    path = Path(path)
    if not path.is_file():
        raise VaescanInputError(path, "config file not found")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise VaescanInputError(path, "not a text file (not UTF-8)") from None
    except OSError as exc:
        raise VaescanInputError(path, f"cannot read the config ({exc.strerror or exc})") from None
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text, object_pairs_hook=_json_pairs)
        return yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader subclass)
    except _DuplicateKey as exc:
        lines = f" (lines {exc.first} and {exc.second})" if exc.first else ""
        raise VaescanInputError(path, f"key {show_value(exc.key)} appears twice{lines}; the second would silently "
                                "replace the first: keep one") from None
    except json.JSONDecodeError as exc:
        raise VaescanInputError(path, f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        what = " ".join(str(exc.problem or exc.context or "syntax error").split())
        raise VaescanInputError(path, f"not valid YAML: {what}{where}") from None
    except (yaml.YAMLError, ValueError, RecursionError, OverflowError) as exc:
        what = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise VaescanInputError(path, f"not valid YAML/JSON: {what}") from None


def load_config(cls: type[C], path: str | os.PathLike[str]) -> C:
    """Read a JSON or YAML file into dataclass ``cls``, checking every key and value (see the module docstring).

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
    data = read_config_file(path)
    return config_from_dict(cls, {} if data is None else data, str(path))
