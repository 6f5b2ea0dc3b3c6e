"""Every ``--set`` key with its type, default, documentation and the presets' values: what
``boundcheck train --list-settings`` shows and docs/settings.md lists.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from boundcheck.config.fields import DOC
from boundcheck.config.overrides import flat_values
from boundcheck.config.presets import PRESETS, task_config
from boundcheck.config.run import BASE, TrainConfig


@dataclass(frozen=True)
class Setting:
    """One ``--set`` key.

    ``type``: its Python type as written in the config (``"int"``, ``"float | None"``, ...);
    ``presets``: task -> the value the task's preset gives it (``BASE`` + preset). Its JSON
    (:mod:`boundcheck.codec`) is its fields.
    """

    key: str
    type: str
    default: Any
    doc: str
    presets: Mapping[str, Any]


@dataclass(frozen=True)
class SettingsListing:
    """Every setting, with the values of one task's preset (``env``) or of all of them; its
    JSON is ``{"env": ..., "settings": [...]}``, one document."""

    env: str | None
    settings: tuple[Setting, ...]


def list_settings(env: str | None = None) -> SettingsListing:
    """Every setting with ``env``'s preset value (every task's when ``env`` is ``None``).

    ``env`` must be a task with a preset (:class:`~boundcheck.config.fields.ConfigError`).
    """
    tasks = [env] if env is not None else list(PRESETS)
    configs = {task: task_config(task) for task in tasks}
    return SettingsListing(env=env, settings=tuple(_settings(configs)))


def setting_keys() -> tuple[str, ...]:
    """Every ``--set`` key, in field order."""
    return tuple(key for key, _ in _documented(BASE))


def _settings(configs: Mapping[str, TrainConfig]) -> Iterator[Setting]:
    values = {task: flat_values(config) for task, config in configs.items()}
    defaults = flat_values(BASE)
    for key, f in _documented(BASE):
        yield Setting(key=key, type=str(f.type), default=defaults[key], doc=f.metadata[DOC],
                      presets={task: flat[key] for task, flat in values.items()})


def _documented(config: Any, prefix: str = "") -> Iterator[tuple[str, dataclasses.Field[Any]]]:
    """(dotted key, field) of every leaf field of ``config``."""
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value):
            yield from _documented(value, f"{prefix}{f.name}.")
        else:
            yield prefix + f.name, f
