"""Resolve a run's configuration, and the pieces of a ``train`` command line.

The resolved config is ``BASE`` + the task's preset (typed deltas,
:mod:`boundcheck.config.presets`) + an optional JSON config file + ``--set key=value``
overrides, applied in that order (:func:`boundcheck.config.apply_overrides`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from boundcheck.codec import JsonFileError
from boundcheck.config import ConfigError, TrainConfig, apply_overrides, task_config
from boundcheck.envs import get_spec
from boundcheck.inputs import InputError
from boundcheck.runs.atomic import read_json_object

#: Keys that :func:`boundcheck.mbpo.loop.run_config_doc` adds to a run's saved config beyond the
#: :class:`TrainConfig` fields.
RUN_ONLY_KEYS = ("seed", "device", "torch_threads", "resolved_backends")


def config_fields(saved: Mapping[str, Any]) -> dict[str, Any]:
    """A run's saved config (``config.json``'s ``config``) without :data:`RUN_ONLY_KEYS`."""
    return {k: v for k, v in saved.items() if k not in RUN_ONLY_KEYS}


def parse_set_options(items: Sequence[str]) -> dict[str, str]:
    """``["sac.lr=1e-3", "total_steps=5000"]`` -> ``{"sac.lr": "1e-3", ...}``.

    An item without ``=`` or without a key is :class:`InputError` for the field ``settings``.
    """
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError("settings", f"expects key=value, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def read_config_file(path: Path) -> dict[str, Any]:
    """A JSON object of (nested or dotted) config keys; a run's ``config.json`` also works."""
    try:
        doc = read_json_object(path, "config file")
    except JsonFileError as exc:
        raise ConfigError(str(exc)) from None
    if "config" in doc and "format" in doc:  # a run directory's config.json
        return config_fields(doc["config"])
    return dict(doc)


def resolve_config(env: str, *, algo: str = "mbpo", config_file: Path | None = None,
                   overrides: Mapping[str, Any] | None = None) -> TrainConfig:
    """BASE + preset(env) + file + overrides; raises ConfigError / UnknownEnvError."""
    spec = get_spec(env)
    config = task_config(spec.name, algo)
    if config_file is not None:
        config = apply_overrides(config, read_config_file(config_file))
    if overrides:
        config = apply_overrides(config, overrides)
    if config.env != spec.name:
        raise ConfigError(f"the config's env {config.env!r} differs from --env {spec.name!r}")
    return config


def resolve_device(name: str) -> torch.device:
    """``auto`` (CUDA when available), ``cpu`` or ``cuda[:i]``; raises ConfigError."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ConfigError(f"unknown device {name!r} (use auto, cpu or cuda)") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError("CUDA was requested but torch sees no CUDA device")
    if device.type not in ("cpu", "cuda"):
        raise ConfigError(f"unsupported device {name!r} (use auto, cpu or cuda)")
    return device
