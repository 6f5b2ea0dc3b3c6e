"""Frozen configuration dataclasses for the MBPO trainer.

Every default lives here, once. Values follow the paper's Appendix C and the authors' code,
jannerm/mbpo (docs/trainer.md lists them and every deviation). Per-environment presets are
*deltas* from ``BASE``: flat mappings of dotted keys (``"sac.target_entropy"``) applied with
:func:`apply_overrides`, the same mechanism that ``boundcheck train --set key=value`` uses.
The presets themselves live on the environment spec objects in :mod:`boundcheck.envs`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from boundcheck.inputs import InputError, check_number

#: ``sac.backend = "auto"`` compiles the CPU update from this many updates in a run on.
AUTO_COMPILE_UPDATES = 100_000
#: ``ensemble.backend = "auto"`` compiles the CPU training step for data sets of this many rows.
AUTO_COMPILE_MODEL_ROWS = 20_000


class ConfigError(ValueError):
    """A configuration value or override is invalid (reported to the user as a bad input)."""


@dataclass(frozen=True)
class EnsembleConfig:
    """Probabilistic ensemble and its trainer (PAPER.md, "Model (code)")."""

    num_members: int = 7
    num_elites: int = 5
    hidden_width: int = 200
    num_hidden: int = 4
    #: L2 decay per layer (4 hidden + output), as in the original code.
    weight_decay: tuple[float, ...] = (2.5e-5, 5e-5, 7.5e-5, 7.5e-5, 1e-4)
    lr: float = 1e-3
    batch_size: int = 256
    holdout_ratio: float = 0.2
    max_holdout: int = 5000
    #: Stop after this many epochs in which no member improved its holdout MSE by > threshold.
    patience: int = 5
    improvement_threshold: float = 0.01
    #: Cap on epochs per (re)training; ``0`` means no cap (the paper's runs had none). The
    #: original code's ``BNN.train`` takes the same cap (``max_epochs``); docs/trainer.md.
    max_epochs: int = 0
    #: Wall-clock cap in seconds per (re)training, checked after each epoch as the original
    #: code's ``max_model_t`` (its README suggests it for speed); ``0`` means no cap (the paper's
    #: runs). A capped run depends on the machine's speed: it is not reproducible bit for bit.
    max_model_t: float = 0.0
    logvar_penalty: float = 0.01
    init_max_logvar: float = 0.5
    init_min_logvar: float = -10.0
    #: How training steps run: "eager" (autograd), "compile" (the loss and its gradient as one
    #: ``torch.compile`` graph, models/fast_step.py: ~1.2-1.5x faster on 2 CPU cores, ~20 s to
    #: compile once), or "auto": compile on the CPU when the data the model is trained on can
    #: reach ``AUTO_COMPILE_MODEL_ROWS`` rows (decided once, from the real buffer's capacity in
    #: a run, from the training-set size in measure-generalization), eager elsewhere (compile
    #: on CUDA is unmeasured).
    backend: str = "auto"

    def step_backend(self, device_type: str, rows: int) -> str:
        """The training-step backend for ``rows`` rows of data on ``device_type``."""
        if self.backend != "auto":
            return self.backend
        compile_pays = device_type == "cpu" and rows >= AUTO_COMPILE_MODEL_ROWS
        return "compile" if compile_pays else "eager"

    def __post_init__(self) -> None:
        _check(self.num_members >= 1, "ensemble.num_members must be >= 1")
        _check(1 <= self.num_elites <= self.num_members,
               "ensemble.num_elites must be in [1, ensemble.num_members]")
        _check(self.hidden_width >= 1 and self.num_hidden >= 1, "ensemble layers must be >= 1")
        _check(len(self.weight_decay) == self.num_hidden + 1,
               "ensemble.weight_decay needs one value per layer (num_hidden + 1)")
        _check(self.lr > 0 and self.batch_size >= 1, "ensemble.lr and batch_size must be > 0")
        _check(0.0 < self.holdout_ratio < 1.0, "ensemble.holdout_ratio must be in (0, 1)")
        _check(self.patience >= 1, "ensemble.patience must be >= 1")
        _check(self.max_epochs >= 0, "ensemble.max_epochs must be >= 0 (0 = no cap)")
        _check(math.isfinite(self.max_model_t) and self.max_model_t >= 0,
               "ensemble.max_model_t must be a finite number of seconds >= 0 (0 = no cap)")
        _check(self.backend in ("auto", "eager", "compile"),
               "ensemble.backend must be one of auto, eager, compile")


@dataclass(frozen=True)
class SACConfig:
    """Soft actor-critic (PAPER.md: twin Q, squashed Gaussian actor, automatic entropy tuning)."""

    hidden_width: int = 256
    num_hidden: int = 2
    lr: float = 3e-4
    tau: float = 5e-3
    gamma: float = 0.99
    batch_size: int = 256
    #: ``None`` means -|A| (the SAC paper's heuristic); presets set the original code's values.
    target_entropy: float | None = None
    init_alpha: float = 1.0
    #: How updates run: "eager", "compile" (torch.compile, CPU or CUDA), "cuda_graph" (CUDA
    #: only), or "auto": a CUDA graph on CUDA; on CPU, compile when the run makes at least
    #: ``AUTO_COMPILE_UPDATES`` updates (compiling costs ~40 s once, then ~1.3x faster updates).
    backend: str = "auto"

    def __post_init__(self) -> None:
        _check(0.0 < self.gamma < 1.0, "sac.gamma must be in (0, 1)")
        _check(0.0 < self.tau <= 1.0, "sac.tau must be in (0, 1]")
        _check(self.lr > 0 and self.batch_size >= 1, "sac.lr and sac.batch_size must be > 0")
        _check(self.init_alpha > 0, "sac.init_alpha must be > 0")
        _check(self.backend in ("auto", "eager", "compile", "cuda_graph"),
               "sac.backend must be one of auto, eager, compile, cuda_graph")


@dataclass(frozen=True)
class RolloutSchedule:
    """Linear rollout-length schedule ``x -> y over epochs a -> b`` (PAPER.md, "Schedule").

    f(e) = min(max(x + (e - a) / (b - a) * (y - x), x), y), floored to an integer.
    """

    min_epoch: int = 20
    max_epoch: int = 100
    min_length: int = 1
    max_length: int = 1

    def __post_init__(self) -> None:
        _check(self.min_length >= 1 and self.max_length >= self.min_length,
               "rollout lengths must satisfy 1 <= min_length <= max_length")
        _check(self.max_epoch > self.min_epoch, "rollout.max_epoch must exceed rollout.min_epoch")

    def length(self, epoch: int) -> int:
        """Rollout length k at (0-based) ``epoch``."""
        x, y = self.min_length, self.max_length
        frac = (epoch - self.min_epoch) / (self.max_epoch - self.min_epoch)
        return math.floor(min(max(x + frac * (y - x), x), y))


@dataclass(frozen=True)
class TrainConfig:
    """One MBPO (or plain SAC) run. ``algo="sac"`` is the paper's "no model" ablation."""

    env: str = "Hopper-v5"
    algo: str = "mbpo"
    total_steps: int = 125_000
    epoch_length: int = 1000
    model_train_freq: int = 250
    rollout_batch_size: int = 100_000
    retain_epochs: int = 1
    real_ratio: float = 0.05
    #: G, SAC gradient updates per real environment step.
    updates_per_step: int = 20
    init_exploration_steps: int = 5000
    eval_episodes: int = 1
    replay_size: int = 1_000_000
    #: Save the model every this many epochs (the last epoch is always saved).
    model_checkpoint_stride: int = 1
    #: Std of known Gaussian noise added to the next state / reward (0 = the plain simulator).
    transition_noise: float = 0.0
    reward_noise: float = 0.0
    rollout: RolloutSchedule = field(default_factory=RolloutSchedule)
    ensemble: EnsembleConfig = field(default_factory=EnsembleConfig)
    sac: SACConfig = field(default_factory=SACConfig)

    def __post_init__(self) -> None:
        _check(self.algo in ("mbpo", "sac"), "algo must be 'mbpo' or 'sac'")
        _check(self.total_steps >= 1, "total_steps must be >= 1")
        _check(self.epoch_length >= 1, "epoch_length must be >= 1")
        _check(self.model_train_freq >= 1, "model_train_freq must be >= 1")
        _check(self.rollout_batch_size >= 1, "rollout_batch_size must be >= 1")
        _check(self.retain_epochs >= 1, "retain_epochs must be >= 1")
        _check(0.0 <= self.real_ratio <= 1.0, "real_ratio must be in [0, 1]")
        _check(self.updates_per_step >= 0, "updates_per_step must be >= 0")
        _check(self.init_exploration_steps >= 0, "init_exploration_steps must be >= 0")
        _check(self.total_steps > self.init_exploration_steps,
               f"total_steps ({self.total_steps}) must exceed init_exploration_steps "
               f"({self.init_exploration_steps}): exploration steps count toward the total")
        _check(self.eval_episodes >= 0, "eval_episodes must be >= 0")
        _check(self.replay_size >= 1, "replay_size must be >= 1")
        _check(self.model_checkpoint_stride >= 1, "model_checkpoint_stride must be >= 1")
        _check(self.transition_noise >= 0 and self.reward_noise >= 0, "noise must be >= 0")

    def sac_backend(self, device_type: str) -> str:
        """The SAC update backend this run uses on ``device_type`` ("cpu" or "cuda")."""
        backend = self.sac.backend
        if backend == "auto":
            if device_type == "cuda":
                return "cuda_graph"
            updates = (self.total_steps - self.init_exploration_steps) * self.updates_per_step
            return "compile" if updates >= AUTO_COMPILE_UPDATES else "eager"
        if backend == "cuda_graph" and device_type != "cuda":
            raise ConfigError("sac.backend=cuda_graph needs a CUDA device")
        return backend

    def ensemble_step_backend(self, device_type: str) -> str:
        """The model's training-step backend: decided from the real buffer's capacity."""
        return self.ensemble.step_backend(device_type, min(self.replay_size, self.total_steps))

    @property
    def epochs(self) -> int:
        """Epochs after the exploration phase (the last one possibly partial).

        Every real step counts toward ``total_steps``, exploration included (see
        :mod:`boundcheck.mbpo.loop`).
        """
        return -(-(self.total_steps - self.init_exploration_steps) // self.epoch_length)

    def model_buffer_size(self, k: int) -> int:
        """retain_epochs x k x rollout_batch x (epoch_length / train_freq) (PAPER.md, code)."""
        per_epoch = self.epoch_length // self.model_train_freq
        return self.retain_epochs * k * self.rollout_batch_size * max(per_epoch, 1)



def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(message)


def _coerce(value: Any, current: Any, key: str) -> Any:
    """Turn an override (text from the command line, or a JSON value) into ``current``'s type.

    Numbers go through :func:`boundcheck.inputs.check_number`, the one check of every user
    number: finite, and integral for an integer field (``700.9`` is refused, never truncated;
    a bool is not a number). A string field takes only a string.
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
        if isinstance(current, float) or (current is None and key.endswith("target_entropy")):
            nullable = key.endswith("target_entropy")
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
            direct[head] = _coerce(value, current, _prefix + key)
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


#: The base configuration (Hopper-like paper defaults); presets are deltas from it.
BASE = TrainConfig()


def to_dict(config: Any) -> dict[str, Any]:
    """JSON-ready nested dict of a config (tuples become lists)."""
    return dataclasses.asdict(config)
