"""Typed records of measure-generalization made by hand (no training), for the unit tests."""

from __future__ import annotations

import math
from pathlib import Path

import torch

from boundcheck.estimators import LinearFit
from boundcheck.experiments.common.measure import (
    ModelErrorEstimate,
    PolicyMeasurement,
    PolicyShiftEstimate,
    SupOverTime,
)
from boundcheck.experiments.generalization import analysis as ana
from boundcheck.experiments.generalization.experiment import (
    GeneralizationOutcome,
    SnapshotActor,
)
from boundcheck.experiments.generalization.records import (
    ContinuationRecord,
    ContinuationStop,
    CurvePoint,
    FitPair,
    ModelFitRecord,
    SeedRecord,
    SizeRecord,
    stop_message,
)
from boundcheck.experiments.generalization.results import (
    GeneralizationDocument,
    ModelErrorInfo,
    PolicySourceInfo,
    Settings,
    SourceKind,
)
from boundcheck.models.trainer import StopReason


def point(x: float, nll: float, mse: float, tv: float | None = None,
          index: int = 0) -> CurvePoint:
    """A curve point with mean KL ``x`` and the given model errors."""
    shift = PolicyShiftEstimate(kl_mean=x, kl_stderr=0.0, kl_max=x, kl_p95=x,
                                pinsker_tv=math.sqrt(x / 2), pinsker_max=math.sqrt(x / 2))
    error = ModelErrorEstimate(n=10, nll_mean=nll, nll_stderr=0.1, mse_mean=mse, mse_stderr=0.01,
                               tv_mean=tv, tv_stderr=None if tv is None else 0.01,
                               tv_mc_stderr=None if tv is None else 0.001, sup_over_time=None)
    return CurvePoint(policy="pi_D" if index == 0 else f"snapshot_{index}", index=index,
                      updates=10 * index, kl_target=None if index == 0 else x,
                      kl_on_data_states=x,
                      measured=PolicyMeasurement(shift=shift, error=error,
                                                 episode_return_mean=1.5, episodes=2))


def points(slope: float, xs: list[float], *, bend: float = 0.0) -> list[CurvePoint]:
    """Points with y = 2 + slope·x (+ bend·x² to make the local and global slopes differ)."""
    return [point(x, 2 + slope * x + bend * x**2, 1 + slope * x, index=i)
            for i, x in enumerate(xs)]


def seed(i: int, n: int, slope: float, eps_model: float, kl: float) -> SeedRecord:
    fit = LinearFit(slope=slope, intercept=0.5, slope_stderr=0.1, intercept_stderr=0.2,
                    r_squared=0.9, n=4, confidence=0.95, slope_ci_low=slope - 1,
                    slope_ci_high=slope + 1)
    fits = {y: {x: FitPair(linear=fit, local=fit) for x in ana.X_MEASURES}
            for y in ("nll", "mse", "tv")}
    stop = ContinuationStop.BUDGET if i else ContinuationStop.ALL_REACHED
    continuation = ContinuationRecord(
        updates=150, stop_reason=stop_message(stop, updates=150, max_updates=150, kl=0.25),
        snapshots=1, kl_at_interval=kl, kl_trace=((0, 0.0), (150, 0.25)),
        sac={"sac/alpha": 0.5}, rollout={"rollout/k": 1.0})
    model = ModelFitRecord(epochs=3, grad_steps=6, num_train=240, num_holdout=60,
                           elites=(4, 1), holdout_mse=0.5, holdout_nll_elites=(1.0, 2.0),
                           stop=StopReason.EPOCH_CAP)
    sup = SupOverTime(measure="tv", bucket_width=100, sup_mean=eps_model, sup_stderr=0.01,
                      sup_t_start=0, overall_mean=eps_model, buckets=1)
    return SeedRecord(seed=i, seed_key=(0, i, n), model=model, continuation=continuation,
                      eps_policy_interval=ana.eps_policy_from_kl(kl), eps_model_sup_over_time=sup,
                      points=(point(0.0, 5.0, 0.1, eps_model), point(0.2, 6.0, 0.2, 0.9, 1)),
                      fits=fits)


def size(n: int, slopes: list[float], eps_model: list[float], kl: list[float]) -> SizeRecord:
    seeds = [seed(i, n, s, m, k) for i, (s, m, k) in enumerate(zip(slopes, eps_model, kl,
                                                                   strict=True))]
    return ana.size_record(n, seeds, ["nll", "mse", "tv"])


def settings(**changes: object) -> Settings:
    values: dict[str, object] = dict(
        train_sizes=(300, 600), repetitions=2, seed=0, snapshots=1, eval_steps=10, kl_min=0.01,
        kl_max=0.01, max_updates=150, check_every=5, kl_states=100, local_points=4,
        tv_samples=16, bucket_width=100, k=1, rollout_batch_size=200,
        rollout_every=50, model_max_epochs=3, model_max_t=0.0, real_ratio=0.05,
        eps_policy_updates=50, kl_grid=(0.01,))
    return Settings(**{**values, **changes})  # type: ignore[arg-type]


def outcome(tmp_path: Path) -> GeneralizationOutcome:
    """A two-size, two-seed outcome with known slopes (TV available)."""
    sizes = (size(300, [2.0, 4.0], [0.2, 0.4], [0.02, 0.08]),
             size(600, [1.0, 1.0], [0.1, 0.1], [0.02, 0.02]))
    inputs, _ = ana.optimal_k_inputs(sizes, tv_available=True, interval_updates=50)
    document = GeneralizationDocument(
        source=PolicySourceInfo(run=str(tmp_path / "run"), kind=SourceKind.RUN, epoch=2,
                                env="InvertedPendulum-v5", algo="mbpo", run_seed=2,
                                transition_noise=0.05, reward_noise=0.05),
        settings=settings(),
        model_error=ModelErrorInfo(tv_available=True, tv_unavailable_reason=None, primary="tv",
                                   measures=("nll", "mse", "tv")),
        sizes=sizes, optimal_k_inputs=inputs, warnings=("N=300 seed 1: budget",),
        versions={"boundcheck_version": "0"}, run_provenance={"git": None}, wall_seconds=1.5)
    actor = [torch.zeros(2, 3)]
    return GeneralizationOutcome(document=document, snapshots=tuple(
        SnapshotActor(seed=i, train_size=n, index=1, updates=10, actor=actor)
        for n in (300, 600) for i in (0, 1)))
