"""What a ``train`` command line asks for, turned into the config of a new or resumed run.

A :class:`RunRequest` holds only what the user gave (``None``: not given). Its values are
applied in stages, each named by where it came from, so that a bad value is reported against
the option or file the user can fix: the task's preset, then the ``--config`` file, then every
``--set`` together, then each typed option (``--steps``, ``--transition-noise``, ...).

``--resume`` is "the same command again" (:func:`resumed_config`): the stages are applied over
the run's saved config instead of the preset, and the result must equal the run's config,
except that a larger ``--steps`` extends the run. Any other difference (``--env``, ``--seed``,
``--algo``, a setting) is an error naming the option and both values.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from boundcheck.config import BASE, ConfigError, TrainConfig, apply_overrides
from boundcheck.envs import UnknownEnvError, get_spec
from boundcheck.inputs import InputError
from boundcheck.mbpo.loop import resume_run, start_run
from boundcheck.mbpo.setup import read_config_file
from boundcheck.mbpo.state import TrainState
from boundcheck.runs import RunDir
from boundcheck.runs.saved_config import SavedRun

DEFAULT_ENV = "Hopper-v5"
DEFAULT_ALGO = "mbpo"


@dataclass(frozen=True)
class RunRequest:
    """A ``train`` command line: ``None`` (or empty) for what was not given.

    ``settings``: the ``--set key=value`` pairs; ``options``: ``(option, config key, value)`` of
    the typed options that set a config key (``("--steps", "total_steps", 2000)``).
    """

    env: str | None = None
    algo: str | None = None
    seed: int | None = None
    config_file: Path | None = None
    settings: Mapping[str, str] = dataclasses.field(default_factory=dict)
    options: tuple[tuple[str, str, Any], ...] = ()


@dataclass(frozen=True)
class _Stage:
    where: str  # the option or file a bad value in this stage is reported against
    prefix: str  # put before the config error (e.g. the config file's path)
    overrides: Mapping[str, Any]


def fresh_config(request: RunRequest) -> TrainConfig:
    """The config of a new run: BASE + preset + ``--config`` + ``--set`` + typed options."""
    spec = _spec(request.env or DEFAULT_ENV)
    base = apply_overrides(BASE, {**spec.preset, "env": spec.name,
                                  "algo": _algo(request.algo) or DEFAULT_ALGO})
    config, source = _apply(base, _stages(request))
    if config.env != spec.name:
        raise InputError(source.get("env", "--config"),
                         f"the config's env {config.env!r} differs from --env {spec.name!r}")
    return config


def resumed_config(request: RunRequest, saved: SavedRun, latest_epoch: int | None) -> TrainConfig:
    """The config a ``--resume`` continues with (see the module docstring).

    ``latest_epoch``: the run's last complete epoch; a run whose last epoch was cut short by
    its ``total_steps`` cannot be extended (its epochs would no longer line up).
    """
    have = saved.config
    given = (("--env", _spec(request.env).name if request.env else None, have.env),
             ("--algo", _algo(request.algo), have.algo), ("--seed", request.seed, saved.seed))
    for option, value, run_value in given:
        if value is not None and value != run_value:
            raise InputError(option, _differs(option.lstrip("-"), value, run_value))
    config, source = _apply(have, _stages(request))
    new, old = _flat(config), _flat(have)
    for key in new:
        if new[key] == old[key] or (key == "total_steps" and new[key] > old[key]):
            continue
        raise InputError(source.get(key, "--set"), _differs(key, new[key], old[key]))
    if config.total_steps > have.total_steps and latest_epoch == have.epochs - 1 \
            and (have.total_steps - have.init_exploration_steps) % have.epoch_length:
        raise InputError(source.get("total_steps", "--steps"),
                         f"the run ended with a partial epoch at {have.total_steps} steps "
                         f"(epoch_length {have.epoch_length}); it cannot be extended")
    return config


def open_training(request: RunRequest, out: Path, *, device: torch.device, force: bool,
                  resume: bool) -> tuple[RunDir, TrainState, TrainConfig]:
    """Create (or with ``resume`` continue) the run in ``out``, holding its writer lock."""
    if resume:
        def settle(saved: SavedRun, latest: int | None) -> TrainConfig:
            return _on_device(resumed_config(request, saved, latest), device, "--device")

        return resume_run(out, device=device, settle=settle)
    config = _on_device(fresh_config(request), device, "--set")
    run, state = start_run(config, out, seed=request.seed or 0, device=device, force=force)
    return run, state, config


def _on_device(config: TrainConfig, device: torch.device, where: str) -> TrainConfig:
    """``config`` if its backends can run on ``device`` (e.g. no CUDA graph on a CPU)."""
    try:
        config.sac_backend(device.type)
    except ConfigError as exc:
        raise InputError(where, str(exc)) from None
    return config


def _stages(request: RunRequest) -> list[_Stage]:
    stages = []
    if request.config_file is not None:
        try:
            overrides = read_config_file(request.config_file)
        except ConfigError as exc:
            raise InputError("--config", str(exc)) from None
        stages.append(_Stage("--config", f"{request.config_file}: ", overrides))
    if request.settings:
        stages.append(_Stage("--set", "", dict(request.settings)))
    stages += [_Stage(option, "", {key: value}) for option, key, value in request.options]
    return stages


def _apply(config: TrainConfig, stages: list[_Stage]) -> tuple[TrainConfig, dict[str, str]]:
    """Apply the stages in order; also return, per dotted key, the stage that set it last."""
    source: dict[str, str] = {}
    for stage in stages:
        try:
            config = apply_overrides(config, stage.overrides)
        except ConfigError as exc:
            raise InputError(stage.where, f"{stage.prefix}{exc}") from None
        source.update({key: stage.where for key in _flat_keys(stage.overrides)})
    return config, source


def _flat_keys(overrides: Mapping[str, Any], prefix: str = "") -> list[str]:
    keys = []
    for key, value in overrides.items():
        if isinstance(value, Mapping):
            keys += _flat_keys(value, f"{prefix}{key}.")
        else:
            keys.append(prefix + key)
    return keys


def _flat(config: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value):
            out.update(_flat(value, f"{prefix}{f.name}."))
        else:
            out[prefix + f.name] = value
    return out


def _spec(env: str) -> Any:
    try:
        return get_spec(env)
    except UnknownEnvError as exc:
        raise InputError("--env", str(exc)) from None


def _algo(algo: str | None) -> str | None:
    if algo is not None and algo not in ("mbpo", "sac"):
        raise InputError("--algo", f"must be 'mbpo' or 'sac', got {algo!r}")
    return algo


def _differs(name: str, value: Any, run_value: Any) -> str:
    return (f"{name} is {value!r} here but {run_value!r} in the run; --resume continues a run "
            "with its own settings (only a larger --steps extends it)")
