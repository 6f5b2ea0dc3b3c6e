"""A run's cost per phase and its projection to the paper's length
(boundcheck.experiments.questions.run_cost), on timings whose answer is known."""

from __future__ import annotations

import pytest

from boundcheck.config.sections import RolloutSchedule
from boundcheck.experiments.questions.run_cost import PHASES, FitShape, phase_costs, project


def _timings(n: int) -> tuple[list[dict[str, float]], list[dict[str, float]]]:
    """n epochs of 1,000 steps after 5,000 random ones: SAC 100 s, rollouts 10 s per model step
    at k = 1, one model fit per epoch (the first 50 s; warm ones 10 epochs at 0.01 s per
    gradient step over 80% of the buffer, batch 100), 1 s of everything else."""
    timings, metrics = [], []
    for e in range(n):
        steps = 5000 + 1000 * (e + 1)
        rows = int(0.8 * (steps - 1000))
        grad = 10 * -(-rows // 100)
        seconds = 50.0 if e == 0 else 0.01 * grad
        timings.append({"sac": 100.0, "rollout": 10.0, "model_train": seconds,
                        "env": 1.0, "eval": 1.0, "checkpoint": 1.0,
                        "model_fits": [{"seconds": seconds, "grad_steps": grad,
                                        "epochs": 99 if e == 0 else 10}]})
        metrics.append({"epoch": e, "env_steps": steps, "rollout/k": 1.0})
    return timings, metrics


def test_the_cost_per_phase_is_seconds_per_1000_steps() -> None:
    timings, _ = _timings(4)
    cost = phase_costs(timings, 1000)
    per = dict(cost.per_1000)
    assert set(per) == set(PHASES) and cost.steps == 4000 and cost.epochs == 4
    assert per["sac"] == 100.0
    assert per["model_train"] == pytest.approx((50 + 0.01 * 10 * (48 + 56 + 64)) / 4)
    assert cost.total_per_1000 == pytest.approx(100 + 10 + 3 + per["model_train"])
    with pytest.raises(ValueError, match="no trained epoch"):
        phase_costs([], 1000)


def test_the_projection_follows_k_and_the_buffer() -> None:
    timings, metrics = _timings(3)
    schedule = RolloutSchedule(min_epoch=1, max_epoch=3, min_length=1, max_length=5)
    fit = FitShape(train_every=1000, batch_size=100, holdout_ratio=0.2, max_holdout=5000)
    got = project(timings, metrics, schedule, fit, epoch_length=1000, init_steps=5000,
                  total_steps=10_000)
    hours = {p: h * 3600 for p, h in got.hours}
    assert got.epochs == 5
    assert hours["sac"] == pytest.approx(500.0)
    # k over epochs 0..4: 1, 1, 3, 5, 5 -> 15 model steps at 10 s each
    assert hours["rollout"] == pytest.approx(150.0)
    # the first fit as measured, then fits at buffers 6k..9k: 10 epochs of 48..72 batches
    assert hours["model_train"] == pytest.approx(50 + 0.01 * 10 * (48 + 56 + 64 + 72))
    assert got.total_hours * 3600 == pytest.approx(500 + 150 + 15 + hours["model_train"])
    with pytest.raises(ValueError, match="metrics row"):
        project(timings, metrics[:1], schedule, fit, epoch_length=1000, init_steps=5000,
                total_steps=10_000)
    assert fit.train_rows(30_000) == 25_000  # the holdout is capped at 5,000
