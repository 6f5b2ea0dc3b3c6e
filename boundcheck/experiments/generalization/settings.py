"""The settings of the model-generalization experiment (paper Section 4.3;
docs/measure-generalization.md): the options (:class:`GeneralizationConfig`) and their values
once the run's own values have filled the defaults (:func:`resolve_settings`).

Each setting is documented, bounded and given its option once, in its field: the command line,
``sweep --gen-set`` and the library check the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from boundcheck.config.fields import check, check_fields, required, setting
from boundcheck.experiments.generalization.sizes import MAX_TRAIN_SIZE
from boundcheck.inputs import COUNT, SEED, NumberRule

if TYPE_CHECKING:
    from boundcheck.config import EnsembleConfig
    from boundcheck.experiments.generalization.results import Settings
    from boundcheck.experiments.generalization.source import PolicySource

#: Caps on the sizes that set how much is simulated and held in memory.
MAX_REPETITIONS = 1_000
MAX_SNAPSHOTS = 1_000
MAX_EVAL_STEPS = 10_000_000
MAX_TV_SAMPLES = 100_000

_RUNS = "(default: the run's"


@dataclass(frozen=True)
class GeneralizationConfig:
    """Settings of one experiment; every default, bound and meaning lives here, once.

    ``None`` for ``k``, ``rollout_batch_size``, ``rollout_every``, ``model_max_epochs`` and
    ``model_max_t`` means the run's own value: the k the run used at π_D's epoch
    (:func:`~boundcheck.experiments.common.source.recorded_k`: its ``rollout/k`` metric, else
    its schedule), its rollout batch, its updates between model retrains (model_train_freq ×
    updates_per_step), its ensemble's epoch cap and time cap (both off in the paper's settings:
    the model trains until the paper's stop rule fires).
    """

    train_sizes: tuple[int, ...] = required(
        "Training-set sizes N, e.g. 5k,60k (k = 1,000, M = 1,000,000; at most 1M; a model "
        "needs 2 transitions, one held out).",
        NumberRule(integer=True, ge=2, le=MAX_TRAIN_SIZE), option="--train-size")
    repetitions: int = setting(
        1, "Repetitions of the whole measurement (seeds seed, seed+1, ...); slopes reported as "
        "mean +- std.", NumberRule(integer=True, ge=1, le=MAX_REPETITIONS), aliases=("seeds",))
    seed: int = setting(0, "Base seed of every random stream.", SEED)
    snapshots: int = setting(6, "Policy snapshots S per size.",
                             NumberRule(integer=True, ge=1, le=MAX_SNAPSHOTS))
    eval_steps: int = setting(2000, "Real transitions M per policy.",
                              NumberRule(integer=True, ge=2, le=MAX_EVAL_STEPS))
    kl_min: float = setting(0.01, "Smallest KL target of the snapshots (nats; geometric grid).",
                            NumberRule(gt=0))
    kl_max: float = setting(1.0, "Largest KL target of the snapshots (nats).", NumberRule(gt=0))
    max_updates: int = setting(20_000, "SAC update budget per size.", COUNT)
    check_every: int = setting(1, "SAC updates between KL checks.", COUNT)
    kl_states: int = setting(1000, "States of pi_D's data (at most) that KL(pi || pi_D) is "
                            "averaged over.", COUNT)
    local_points: int = setting(4, "Points of smallest shift in the local slope (pi_D "
                                "included).", NumberRule(integer=True, ge=2))
    tv_samples: int = setting(256, "Monte Carlo draws per transition for the TV (runs with "
                              "known noise).", NumberRule(integer=True, ge=2, le=MAX_TV_SAMPLES))
    bucket_width: int = setting(100, "Real steps per time bucket of the paper's eps_m "
                                "(the max over buckets of the mean model error).", COUNT)
    k: int | None = setting(None, f"Model rollout length k {_RUNS} k at --epoch).", COUNT,
                            aliases=("rollout_length",))
    rollout_batch_size: int | None = setting(
        None, f"Rollout starts per model refresh {_RUNS}).", COUNT)
    rollout_every: int | None = setting(
        None, f"SAC updates between model refreshes {_RUNS} model_train_freq x "
        "updates_per_step).", COUNT)
    model_max_epochs: int | None = setting(
        None, f"Cap on each model fit's epochs {_RUNS}; the paper's runs have none).", COUNT)
    model_max_t: float | None = setting(
        None, "Cap on each model fit's seconds, checked after each epoch (the original code's "
        f"max_model_t) {_RUNS}, none in the paper's runs).", NumberRule(gt=0))

    def __post_init__(self) -> None:
        check(len(self.train_sizes) >= 1, "train_sizes: give at least one size", "train_sizes")
        check_fields(self)
        check(self.kl_min <= self.kl_max,
              f"kl_min: need kl_min <= kl_max, got {self.kl_min} and {self.kl_max}", "kl_min")


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
    # Imported here: the settings themselves stay light (the command line builds its options
    # from them before any work).
    from boundcheck.experiments.common.source import recorded_k
    from boundcheck.experiments.generalization.continuation import kl_grid
    from boundcheck.experiments.generalization.results import Settings

    run_cfg = source.config
    fit_config = model_config(run_cfg.ensemble, cfg)
    interval = retrain_interval(source)
    k = cfg.k or recorded_k(source.run, run_cfg, source.epoch)
    return Settings(
        train_sizes=tuple(sorted(cfg.train_sizes)), seeds=cfg.repetitions, seed=cfg.seed,
        snapshots=cfg.snapshots, eval_steps=cfg.eval_steps, kl_min=cfg.kl_min,
        kl_max=cfg.kl_max, max_updates=cfg.max_updates, check_every=cfg.check_every,
        kl_states=cfg.kl_states, local_points=cfg.local_points, tv_samples=cfg.tv_samples,
        bucket_width=cfg.bucket_width, rollout_length=k,
        rollout_batch_size=cfg.rollout_batch_size or run_cfg.rollout_batch_size,
        rollout_every=cfg.rollout_every or interval,
        model_max_epochs=fit_config.max_epochs, model_max_t=fit_config.max_model_t,
        real_ratio=run_cfg.real_ratio, eps_pi_updates=interval,
        kl_grid=tuple(kl_grid(cfg.kl_min, cfg.kl_max, cfg.snapshots)))
