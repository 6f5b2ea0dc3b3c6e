"""The settings of the model-generalization experiment (paper Section 4.3;
docs/measure-generalization.md): the options (:class:`GeneralizationConfig`) and their values
once the run's own values have filled the defaults (:func:`resolve_settings`), the
training-set sizes (:func:`parse_sizes`) and the KL targets of the snapshots (:func:`kl_grid`).

Each setting is documented, bounded and given its option once, in its field: the command line,
``sweep --gen-set`` and the library check the same rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from boundcheck.config.fields import check, check_fields, required, setting
from boundcheck.inputs import COUNT, SEED, NumberRule

if TYPE_CHECKING:
    from boundcheck.config import EnsembleConfig
    from boundcheck.experiments.generalization.results import Settings
    from boundcheck.experiments.generalization.source import PolicySource

# Training-set sizes (``--train-size 5k,60k``; the paper's run from 5k to 60k transitions).
# One item: a decimal number with an optional suffix ``k`` / ``K`` (thousand) or ``M``
# (million), e.g. ``5000``, ``5k``, ``1.5k``, ``1M``; a whole number of transitions
# (``1.2345k`` is refused), at least 1 and at most :data:`MAX_TRAIN_SIZE`. Items are separated
# by commas; surrounding spaces are ignored; empty items and repeated sizes are errors.

#: Largest accepted training-set size: the replay capacity of every paper configuration (1M).
MAX_TRAIN_SIZE = 1_000_000

_ITEM = re.compile(r"(?P<number>[0-9]+(?:\.[0-9]+)?)(?P<suffix>[kKM]?)")
_MULTIPLIER = {"": 1, "k": 1_000, "K": 1_000, "M": 1_000_000}


def parse_size(item: str, *, cap: int = MAX_TRAIN_SIZE) -> int:
    """One size: ``"5k"`` -> 5000. Raises ``ValueError`` with a one-line message."""
    text = item.strip()
    if not text:
        raise ValueError("empty size")
    match = _ITEM.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a size (use e.g. 5000, 5k, 1.5k or 1M)")
    try:
        value = Decimal(match["number"]) * _MULTIPLIER[match["suffix"]]
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        raise ValueError(f"{text!r} is not a size") from None
    if value != value.to_integral_value():
        raise ValueError(f"{text!r} is not a whole number of transitions ({value})")
    size = int(value)
    if size < 1:
        raise ValueError(f"{text!r}: a size must be at least 1")
    if size > cap:
        raise ValueError(f"{text!r} = {size} exceeds the cap of {cap} transitions")
    return size


def parse_sizes(text: str, *, cap: int = MAX_TRAIN_SIZE) -> list[int]:
    """``"5k,60k"`` -> ``[5000, 60000]``, in the order given.

    Raises ``ValueError`` (a one-line message naming the offending item) for an empty list or
    item, a malformed item, a non-integer, a size below 1 or above ``cap``, or a repeated size.
    """
    if not text.strip():
        raise ValueError("no sizes given (e.g. 5k,60k)")
    sizes: list[int] = []
    for position, item in enumerate(text.split(","), start=1):
        if not item.strip():
            raise ValueError(f"item {position} of {text!r} is empty")
        size = parse_size(item, cap=cap)
        if size in sizes:
            raise ValueError(f"size {size} is given twice in {text!r}")
        sizes.append(size)
    return sizes


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
    bucket_width: int = setting(1, "Real steps per time bucket of the paper's eps_m, the "
                                "max over time of the mean model error (1: per step).", COUNT)
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
    from boundcheck.experiments.generalization.results import Settings

    run_cfg = source.config
    fit_config = model_config(run_cfg.ensemble, cfg)
    interval = retrain_interval(source)
    k = cfg.k or recorded_k(source.run, run_cfg, source.epoch)
    return Settings(
        train_sizes=tuple(sorted(cfg.train_sizes)), repetitions=cfg.repetitions, seed=cfg.seed,
        snapshots=cfg.snapshots, eval_steps=cfg.eval_steps, kl_min=cfg.kl_min,
        kl_max=cfg.kl_max, max_updates=cfg.max_updates, check_every=cfg.check_every,
        kl_states=cfg.kl_states, local_points=cfg.local_points, tv_samples=cfg.tv_samples,
        bucket_width=cfg.bucket_width, k=k,
        rollout_batch_size=cfg.rollout_batch_size or run_cfg.rollout_batch_size,
        rollout_every=cfg.rollout_every or interval,
        model_max_epochs=fit_config.max_epochs, model_max_t=fit_config.max_model_t,
        real_ratio=run_cfg.real_ratio, eps_policy_updates=interval,
        kl_grid=tuple(kl_grid(cfg.kl_min, cfg.kl_max, cfg.snapshots)))


def kl_grid(kl_min: float, kl_max: float, count: int) -> list[float]:
    """The geometric grid of snapshot targets (nats); one point is ``[kl_max]``."""
    if not 0.0 < kl_min <= kl_max or count < 1:
        raise ValueError("need 0 < kl_min <= kl_max and count >= 1")
    if count == 1:
        return [kl_max]
    import numpy as np  # here: the settings stay light for the command line's start-up

    return [float(x) for x in np.geomspace(kl_min, kl_max, count)]
