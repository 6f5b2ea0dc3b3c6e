"""Dotted-key overrides of a frozen config: ``--set key=value``, ``--gen-set``, ``--val-set``,
``--config`` files and a run's saved ``config.json`` all go through :func:`apply_overrides`;
:func:`to_dict` writes one back.

A value is read by its field's declared type (``typing.get_type_hints``), never by the value the
field holds now: ``int | None`` takes an integer or ``none`` whatever its current value.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Mapping
from typing import Any

from boundcheck.config.fields import ConfigError, field_names
from boundcheck.inputs import InputError, check_number

_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")


def _coerce(value: Any, hint: Any, key: str) -> Any:
    """Turn an override (text from the command line, or a JSON value) into the type ``hint``.

    Numbers go through :func:`boundcheck.inputs.check_number`, the one check of every user
    number: finite, and integral for an integer field (``700.9`` is refused, never truncated;
    a bool is not a number). ``X | None`` also takes ``None`` (``none`` as text), as
    ``sac.target_entropy``; a tuple takes comma-separated items; an enum one of its values.
    """
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if type(None) in args and (value is None or (isinstance(value, str)
                                                     and value.strip().lower() == "none")):
            return None
        inner = [a for a in args if a is not type(None)]
        if len(inner) != 1:
            raise ConfigError(f"{key}: unsupported type {hint}", key)
        return _coerce(value, inner[0], key)
    if origin is tuple:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)):
            raise ConfigError(f"{key}: expected comma-separated values, got {value!r}", key)
        return tuple(_coerce(v, args[0], key) for v in items)
    if hint is bool:
        return _boolean(value, key)
    try:
        if hint is int:
            return check_number(value, key, integer=True)
        if hint is float:
            return float(check_number(value, key))
    except InputError as exc:
        raise ConfigError(str(exc), key) from None
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _member(value, hint, key)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a string, got {value!r}", key)
        return value
    return value


def _boolean(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise ConfigError(f"{key}: expected a boolean, got {value!r}", key)


def _member(value: Any, kind: type[enum.Enum], key: str) -> enum.Enum:
    if isinstance(value, kind):
        return value
    for member in kind:
        if value == member.value:
            return member
    choices = ", ".join(str(m.value) for m in kind)
    raise ConfigError(f"{key}: must be one of {choices}, got {value!r}", key)


def parse_pairs(pairs: list[str], where: str) -> dict[str, str]:
    """``["key=value", ...]`` -> ``{key: value}`` (:class:`InputError` for ``where`` if an item
    has no ``=`` or no key)."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(where, f"expected key=value, got {pair!r}")
        out[key.strip()] = value
    return out


def apply_overrides(config: Any, overrides: Mapping[str, Any], _prefix: str = "") -> Any:
    """Return a copy of the frozen ``config`` with dotted-key ``overrides`` applied.

    ``{"sac.lr": "1e-3", "total_steps": 5000}``; nested dicts are accepted too
    (``{"sac": {"lr": 1e-3}}``), as read from a JSON config file. A field's old names
    (:func:`~boundcheck.config.fields.setting`'s ``aliases``) are read as the field. Unknown keys
    and values of the wrong type raise :class:`ConfigError`; validation runs again on every
    rebuilt dataclass.
    """
    flat: dict[str, Any] = {}
    for key, value in overrides.items():
        if isinstance(value, Mapping):
            for sub, v in _flatten(value, key).items():
                flat[sub] = v
        else:
            flat[key] = value
    grouped: dict[str, dict[str, Any]] = {}
    direct: dict[str, Any] = {}
    names = field_names(config)
    hints = typing.get_type_hints(type(config))
    for key, value in flat.items():
        alias, _, rest = key.partition(".")
        head = names.get(alias)
        if head is None:
            raise ConfigError(f"unknown config key {_prefix + key!r}", _prefix + key)
        current = getattr(config, head)
        if rest:
            if not dataclasses.is_dataclass(current):
                raise ConfigError(f"unknown config key {_prefix + key!r}", _prefix + key)
            grouped.setdefault(head, {})[rest] = value
        elif dataclasses.is_dataclass(current):
            raise ConfigError(f"config key {_prefix + key!r} is a section; set one of its fields",
                              _prefix + key)
        else:
            direct[head] = _coerce(value, hints[head], _prefix + key)
    for section, fields in grouped.items():
        direct[section] = apply_overrides(getattr(config, section), fields, f"{_prefix}{section}.")
    return dataclasses.replace(config, **direct)


def _flatten(mapping: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        full = f"{prefix}.{key}"
        if isinstance(value, Mapping):
            out.update(_flatten(value, full))
        else:
            out[full] = value
    return out


def to_dict(config: Any) -> dict[str, Any]:
    """JSON-ready nested dict of a config (tuples become lists)."""
    return dataclasses.asdict(config)


def flat_values(config: Any, prefix: str = "") -> dict[str, Any]:
    """Every setting of a config by its dotted key (``{"sac.lr": 3e-4, ...}``), in field order."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value):
            out.update(flat_values(value, f"{prefix}{f.name}."))
        else:
            out[prefix + f.name] = value
    return out
