"""What a ``train`` command line asks for, turned into the config of a new or resumed run.

A :class:`RunRequest` holds only what the user gave (``None``: not given). Its values are
applied in stages, each named by where it came from, so that a bad value is reported against
what the user can fix: the task's preset, then the config file (field ``config_file``), then
every setting together (``settings``), then each typed option the command line supplied (its
option name, e.g. ``--steps``). Fields become option names only in the CLI.

``--resume`` is "the same command again" (:func:`resumed_config`): the stages are applied over
the run's saved config instead of the preset, and the result must equal the run's config,
except that a larger ``total_steps`` extends the run. Any other difference (``env``, ``seed``,
``algo``, a setting) is an error naming the field and both values.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from boundcheck.config import (
    ConfigError,
    SettingsListing,
    TrainConfig,
    apply_overrides,
    flat_values,
    list_settings,
    task_config,
)
from boundcheck.envs import EnvSpec, UnknownEnvError, get_spec
from boundcheck.inputs import InputError
from boundcheck.mbpo.loop import resume_run, start_run, train
from boundcheck.mbpo.setup import read_config_file
from boundcheck.mbpo.state import TrainState
from boundcheck.runs import RunDir
from boundcheck.runs.progress import ProgressFn
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

    def default_run_dir(self) -> Path:
        """``runs/<env>-<algo>-seed<seed>``, the run directory when none is given."""
        return Path("runs") / (f"{self.env or DEFAULT_ENV}-{self.algo or DEFAULT_ALGO}"
                               f"-seed{self.seed or 0}")


@dataclass(frozen=True)
class TrainSummary:
    """What a finished ``train`` reports: the run, its task, its size and its last epoch's
    metrics (a ``metrics.jsonl`` record, docs/trainer.md). Its JSON (its fields) is the
    document of ``train --json``."""

    run: Path
    env: str
    algo: str
    seed: int
    device: str
    env_steps: int
    epochs: int
    wall_seconds: float
    last_epoch: Mapping[str, Any]


@dataclass(frozen=True)
class TrainingSession:
    """A run opened for training (:func:`open_training`); it holds the run directory's writer
    lock until the ``with`` block that uses it ends."""

    run: RunDir
    state: TrainState
    config: TrainConfig
    device: torch.device

    def __enter__(self) -> TrainingSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.run.release()

    def train(self, progress: ProgressFn | None = None) -> TrainSummary:
        """Train to ``total_steps`` (paper Algorithm 2; docs/trainer.md), reporting progress."""
        start = time.perf_counter()
        last = train(self.run, self.state, progress=progress)
        return TrainSummary(
            run=self.run.path, env=self.config.env, algo=self.config.algo, seed=self.state.seed,
            device=str(self.device), env_steps=self.state.env_steps, epochs=self.state.epoch,
            wall_seconds=time.perf_counter() - start, last_epoch=last)


@dataclass(frozen=True)
class _Stage:
    where: str  # the field (or option) a bad value in this stage is reported against
    prefix: str  # put before the config error (e.g. the config file's path)
    overrides: Mapping[str, Any]


def train_settings(env: str | None) -> SettingsListing:
    """Every setting with ``env``'s preset value (every task's when ``env`` is ``None``)."""
    return list_settings(_spec(env).name if env is not None else None)


def fresh_config(request: RunRequest) -> TrainConfig:
    """The config of a new run: BASE + preset + config file + settings + typed options."""
    spec = _spec(request.env or DEFAULT_ENV)
    base = task_config(spec.name, _algo(request.algo) or DEFAULT_ALGO)
    config, source = _apply(base, _stages(request))
    if config.env != spec.name:
        raise InputError(source.get("env", "config_file"),
                         f"the config's env {config.env!r} differs from --env {spec.name!r}")
    return config


def resumed_config(request: RunRequest, saved: SavedRun, latest_epoch: int | None) -> TrainConfig:
    """The config a ``--resume`` continues with (see the module docstring).

    ``latest_epoch``: the run's last complete epoch; a run whose last epoch was cut short by
    its ``total_steps`` cannot be extended (its epochs would no longer line up).
    """
    have = saved.config
    given = (("env", _spec(request.env).name if request.env else None, have.env),
             ("algo", _algo(request.algo), have.algo), ("seed", request.seed, saved.seed))
    for name, value, run_value in given:
        if value is not None and value != run_value:
            raise InputError(name, _differs(name, value, run_value))
    config, source = _apply(have, _stages(request))
    new, old = flat_values(config), flat_values(have)
    for key in new:
        if new[key] == old[key] or (key == "total_steps" and new[key] > old[key]):
            continue
        raise InputError(source.get(key, "settings"), _differs(key, new[key], old[key]))
    if config.total_steps > have.total_steps and latest_epoch == have.epochs - 1 \
            and (have.total_steps - have.init_exploration_steps) % have.epoch_length:
        raise InputError(source.get("total_steps", "settings"),
                         f"the run ended with a partial epoch at {have.total_steps} steps "
                         f"(epoch_length {have.epoch_length}); it cannot be extended")
    return config


def open_training(request: RunRequest, out: Path, *, device: torch.device, force: bool,
                  resume: bool) -> TrainingSession:
    """Create (or with ``resume`` continue) the run in ``out``, holding its writer lock."""
    if resume:
        def settle(saved: SavedRun, latest: int | None) -> TrainConfig:
            return _on_device(resumed_config(request, saved, latest), device, "device")

        run, state, config = resume_run(out, device=device, settle=settle)
        return TrainingSession(run, state, config, device)
    config = _on_device(fresh_config(request), device, "settings")
    run, state = start_run(config, out, seed=request.seed or 0, device=device, force=force)
    return TrainingSession(run, state, config, device)


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
            raise InputError("config_file", str(exc)) from None
        stages.append(_Stage("config_file", f"{request.config_file}: ", overrides))
    if request.settings:
        stages.append(_Stage("settings", "", dict(request.settings)))
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


def _spec(env: str) -> EnvSpec:
    try:
        return get_spec(env)
    except UnknownEnvError as exc:
        raise InputError("env", str(exc)) from None


def _algo(algo: str | None) -> str | None:
    if algo is not None and algo not in ("mbpo", "sac"):
        raise InputError("algo", f"must be 'mbpo' or 'sac', got {algo!r}")
    return algo


def _differs(name: str, value: Any, run_value: Any) -> str:
    return (f"{name} is {value!r} here but {run_value!r} in the run; --resume continues a run "
            "with its own settings (only a larger --steps extends it)")
