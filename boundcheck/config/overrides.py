"""Dotted-key overrides of a frozen config: ``--set key=value``, ``--config`` files and a run's
saved ``config.json`` all go through :func:`apply_overrides`; :func:`to_dict` writes one back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from boundcheck.config.fields import ConfigError
from boundcheck.inputs import InputError, check_number


def _coerce(value: Any, current: Any, key: str, nullable: bool) -> Any:
    """Turn an override (text from the command line, or a JSON value) into ``current``'s type.

    Numbers go through :func:`boundcheck.inputs.check_number`, the one check of every user
    number: finite, and integral for an integer field (``700.9`` is refused, never truncated;
    a bool is not a number). A string field takes only a string. ``nullable``: the field also
    takes ``None`` (``none`` as text), as ``sac.target_entropy``.
    """
    if isinstance(current, bool):
        if isinstance(value, str):
            low = value.lower()
            if low in ("true", "1", "yes"):
                return True
            if low in ("false", "0", "no"):
                return False
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{key}: expected a boolean, got {value!r}")
    try:
        if isinstance(current, tuple):
            items = value.split(",") if isinstance(value, str) else value
            if not isinstance(items, (list, tuple)):
                raise ConfigError(f"{key}: expected comma-separated numbers, got {value!r}")
            return tuple(float(check_number(v, key)) for v in items)
        if isinstance(current, int):
            return check_number(value, key, integer=True)
        if isinstance(current, float) or (current is None and nullable):
            if nullable and (value is None or (isinstance(value, str)
                                               and value.strip().lower() == "none")):
                return None
            return float(check_number(value, key))
    except InputError as exc:
        raise ConfigError(str(exc)) from None
    if isinstance(current, str):
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a string, got {value!r}")
        return value
    return value


def apply_overrides(config: Any, overrides: Mapping[str, Any], _prefix: str = "") -> Any:
    """Return a copy of the frozen ``config`` with dotted-key ``overrides`` applied.

    ``{"sac.lr": "1e-3", "total_steps": 5000}``; nested dicts are accepted too
    (``{"sac": {"lr": 1e-3}}``), as read from a JSON config file. Unknown keys and values of the
    wrong type raise :class:`ConfigError`; validation runs again on every rebuilt dataclass.
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
    names = {f.name: f for f in dataclasses.fields(config)}
    for key, value in flat.items():
        head, _, rest = key.partition(".")
        if head not in names:
            raise ConfigError(f"unknown config key {_prefix + key!r}")
        current = getattr(config, head)
        if rest:
            if not dataclasses.is_dataclass(current):
                raise ConfigError(f"unknown config key {_prefix + key!r}")
            grouped.setdefault(head, {})[rest] = value
        elif dataclasses.is_dataclass(current):
            raise ConfigError(f"config key {_prefix + key!r} is a section; set one of its fields")
        else:
            nullable = "None" in str(names[head].type)  # e.g. sac.target_entropy: float | None
            direct[head] = _coerce(value, current, _prefix + key, nullable)
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
