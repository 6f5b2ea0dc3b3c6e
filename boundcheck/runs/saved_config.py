"""A run's saved configuration, read back and validated like any other user input.

``config.json`` is a file a user can edit, copy or damage, so what ``train --resume``,
``validate``, ``measure-generalization`` and ``plot-runs`` read from it goes through the same
checks as ``--set`` and ``--config`` (:func:`boundcheck.config.apply_overrides`, hence
:func:`boundcheck.inputs.check_number`): a wrong type, a non-finite or out-of-range number, an
unknown key or task is :class:`RunConfigError`, one line naming the file and the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from boundcheck.config import BASE, ConfigError, TrainConfig, apply_overrides
from boundcheck.inputs import SEED, InputError
from boundcheck.runs.errors import RunConfigError
from boundcheck.runs.rundir import RunDir

#: Keys the trainer saves beside the :class:`TrainConfig` fields
#: (:func:`boundcheck.mbpo.loop.run_config_doc`); equal to ``boundcheck.mbpo.setup.RUN_ONLY_KEYS``
#: (tested), repeated here so that reading a run does not import torch.
RUN_ONLY_KEYS = ("seed", "device", "torch_threads", "resolved_backends")


@dataclass(frozen=True)
class SavedRun:
    """What a run's ``config.json`` says: its config, seed, provenance and the raw document."""

    config: TrainConfig
    seed: int
    provenance: dict[str, Any]
    doc: dict[str, Any]


def read_saved_run(run: RunDir, *, check_env: bool = True,
                   legacy_eager_model: bool = False) -> SavedRun:
    """The validated configuration of ``run`` (:class:`RunConfigError` naming the file).

    ``check_env``: the task must be a known one (analyses and resume build it; plots do not).
    ``legacy_eager_model``: a run saved before ``ensemble.backend`` existed trained its model
    eagerly, so a resume keeps doing so (analyses use today's default).
    """
    doc = run.read_config()
    where = run.config_path
    saved = doc.get("config")
    if not isinstance(saved, Mapping):
        raise RunConfigError(f"{where}: 'config' must be a JSON object")
    try:
        seed = int(SEED.check(saved.get("seed", 0), "seed"))
    except InputError as exc:
        raise RunConfigError(f"{where}: {exc}") from None
    fields = {k: v for k, v in saved.items() if k not in RUN_ONLY_KEYS}
    ensemble = fields.get("ensemble", {})
    if legacy_eager_model and isinstance(ensemble, Mapping) and "backend" not in ensemble:
        fields["ensemble"] = {**ensemble, "backend": "eager"}
    try:
        config = apply_overrides(BASE, fields)
    except ConfigError as exc:
        raise RunConfigError(f"{where}: {exc}") from None
    if check_env:
        from boundcheck.envs.specs import UnknownEnvError, get_spec

        try:
            get_spec(config.env)
        except UnknownEnvError as exc:
            raise RunConfigError(f"{where}: env: {exc}") from None
    provenance = doc.get("provenance")
    return SavedRun(config, seed, dict(provenance) if isinstance(provenance, Mapping) else {},
                    doc)
