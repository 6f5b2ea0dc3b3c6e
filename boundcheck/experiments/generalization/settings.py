"""The settings of the model-generalization experiment (paper Section 4.3;
docs/measure-generalization.md): the options (:class:`GeneralizationConfig`) and their values
once the run's own values have filled the defaults (:func:`resolve_settings`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from boundcheck.config import EnsembleConfig
from boundcheck.experiments.common.source import recorded_k
from boundcheck.experiments.generalization.continuation import kl_grid
from boundcheck.experiments.generalization.results import Settings
from boundcheck.experiments.generalization.source import PolicySource


@dataclass(frozen=True)
class GeneralizationConfig:
    """Settings of one experiment; every default lives here (see the CLI for their meaning).

    ``None`` for ``rollout_length``, ``rollout_batch_size``, ``rollout_every``,
    ``model_max_epochs`` and ``model_max_t`` means the run's own value: the k the run used at
    π_D's epoch (:func:`~boundcheck.experiments.common.source.recorded_k`: its ``rollout/k``
    metric, else its schedule), its rollout batch, its updates between model retrains
    (model_train_freq × updates_per_step), its ensemble's epoch cap and time cap (both off in
    the paper's settings: the model trains until the paper's stop rule fires).
    """

    train_sizes: tuple[int, ...]
    seeds: int = 1
    seed: int = 0
    snapshots: int = 6
    eval_steps: int = 2000
    kl_min: float = 0.01
    kl_max: float = 1.0
    max_updates: int = 20_000
    check_every: int = 1
    kl_states: int = 1000
    local_points: int = 4
    tv_samples: int = 256
    bucket_width: int = 100
    rollout_length: int | None = None
    rollout_batch_size: int | None = None
    rollout_every: int | None = None
    model_max_epochs: int | None = None
    model_max_t: float | None = None

    def __post_init__(self) -> None:
        checks = [
            (len(self.train_sizes) >= 1 and min(self.train_sizes) >= 2, "train sizes must be >= 2"),
            (self.seeds >= 1, "seeds must be >= 1"),
            (self.snapshots >= 1, "snapshots must be >= 1"),
            (self.eval_steps >= 2, "eval_steps must be >= 2"),
            (0.0 < self.kl_min <= self.kl_max, "need 0 < kl_min <= kl_max"),
            (self.max_updates >= 1 and self.check_every >= 1, "max_updates, check_every >= 1"),
            (self.kl_states >= 1, "kl_states must be >= 1"),
            (self.local_points >= 2, "local_points must be >= 2"),
            (self.tv_samples >= 2 and self.bucket_width >= 1, "tv_samples >= 2, bucket >= 1"),
        ]
        for value in (self.rollout_length, self.rollout_batch_size, self.rollout_every,
                      self.model_max_epochs):
            checks.append((value is None or value >= 1, "rollout/model overrides must be >= 1"))
        checks.append((self.model_max_t is None or 0 < self.model_max_t < float("inf"),
                       "model_max_t must be a finite number of seconds > 0"))
        for ok, message in checks:
            if not ok:
                raise ValueError(message)


def model_config(run_ensemble: EnsembleConfig, cfg: GeneralizationConfig) -> EnsembleConfig:
    """The run's ensemble config with the experiment's caps, where given, in place of its own."""
    caps: dict[str, Any] = {}
    if cfg.model_max_epochs is not None:
        caps["max_epochs"] = cfg.model_max_epochs
    if cfg.model_max_t is not None:
        caps["max_model_t"] = cfg.model_max_t
    return replace(run_ensemble, **caps)


def retrain_interval(source: PolicySource) -> int:
    """SAC updates between two MBPO model retrains of the run: model_train_freq ×
    updates_per_step (at least 1)."""
    run_cfg = source.config
    return max(1, run_cfg.model_train_freq * run_cfg.updates_per_step)


def resolve_settings(cfg: GeneralizationConfig, source: PolicySource) -> Settings:
    """``cfg`` with every default filled from the run (class doc), sizes ascending."""
    run_cfg = source.config
    fit_config = model_config(run_cfg.ensemble, cfg)
    interval = retrain_interval(source)
    k = cfg.rollout_length or recorded_k(source.run, run_cfg, source.epoch)
    return Settings(
        train_sizes=tuple(sorted(cfg.train_sizes)), seeds=cfg.seeds, seed=cfg.seed,
        snapshots=cfg.snapshots, eval_steps=cfg.eval_steps, kl_min=cfg.kl_min,
        kl_max=cfg.kl_max, max_updates=cfg.max_updates, check_every=cfg.check_every,
        kl_states=cfg.kl_states, local_points=cfg.local_points, tv_samples=cfg.tv_samples,
        bucket_width=cfg.bucket_width, rollout_length=k,
        rollout_batch_size=cfg.rollout_batch_size or run_cfg.rollout_batch_size,
        rollout_every=cfg.rollout_every or interval,
        model_max_epochs=fit_config.max_epochs, model_max_t=fit_config.max_model_t,
        real_ratio=run_cfg.real_ratio, eps_pi_updates=interval,
        kl_grid=tuple(kl_grid(cfg.kl_min, cfg.kl_max, cfg.snapshots)))
