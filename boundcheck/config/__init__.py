"""Frozen configuration dataclasses for the MBPO trainer.

Every default lives here, once, documented in its field (:mod:`boundcheck.config.fields`): the
paper's Appendix C and the authors' code, jannerm/mbpo (docs/paper.md, §7; docs/trainer.md
lists every deviation; docs/settings.md every setting). A run's config is :data:`BASE`, then
its task's preset (:mod:`boundcheck.config.presets`, typed deltas), then a ``--config`` file
and ``--set key=value`` overrides (:func:`apply_overrides`).

- :mod:`~boundcheck.config.sections`: the model ensemble, SAC and the rollout schedule;
- :mod:`~boundcheck.config.run`: :class:`TrainConfig` and :data:`BASE`;
- :mod:`~boundcheck.config.overrides`: dotted-key overrides and :func:`to_dict`;
- :mod:`~boundcheck.config.presets`: the task presets;
- :mod:`~boundcheck.config.catalogue`: every setting, for ``train --list-settings``.
"""

from boundcheck.config.catalogue import Setting, SettingsListing, list_settings, setting_keys
from boundcheck.config.fields import ConfigError
from boundcheck.config.overrides import apply_overrides, flat_values, parse_pairs, to_dict
from boundcheck.config.presets import PRESETS, PaperColumn, Preset, task_config
from boundcheck.config.run import BASE, TrainConfig
from boundcheck.config.sections import (
    AUTO_COMPILE_MODEL_ROWS,
    AUTO_COMPILE_UPDATES,
    EnsembleConfig,
    RolloutSchedule,
    SACConfig,
)

__all__ = [
    "AUTO_COMPILE_MODEL_ROWS",
    "AUTO_COMPILE_UPDATES",
    "BASE",
    "PRESETS",
    "ConfigError",
    "EnsembleConfig",
    "PaperColumn",
    "Preset",
    "RolloutSchedule",
    "SACConfig",
    "Setting",
    "SettingsListing",
    "TrainConfig",
    "apply_overrides",
    "flat_values",
    "list_settings",
    "parse_pairs",
    "setting_keys",
    "task_config",
    "to_dict",
]
