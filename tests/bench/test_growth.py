"""The cost-growth benchmark's projection (bench/growth.py) integrates what it measured."""

from __future__ import annotations

import pytest

from bench.growth import PHASES, _interp, project, real_run_retrain_epochs
from boundcheck.mbpo.setup import resolve_config


def _row(n: int, k: int, model: float, rollout: float, sac: float) -> dict[str, object]:
    phases = dict.fromkeys(PHASES, 0.0)
    phases.update(model_train=model, rollout=rollout, sac=sac)
    return {"real_transitions": n, "k": k, "phase_seconds_per_1000_steps": phases}


def test_interp_is_piecewise_linear_and_extrapolates_the_end_segments() -> None:
    xs, ys = [10.0, 50.0, 100.0], [1.0, 5.0, 15.0]
    assert _interp(30.0, xs, ys) == pytest.approx(3.0)
    assert _interp(75.0, xs, ys) == pytest.approx(10.0)
    assert _interp(125.0, xs, ys) == pytest.approx(20.0)  # slope of the last segment
    assert _interp(0.0, xs, ys) == pytest.approx(0.0)  # first segment, floored at 0
    assert _interp(7.0, [5.0], [2.0]) == 2.0


def test_projection_sums_every_epoch_with_the_schedules_k() -> None:
    cfg = resolve_config("Hopper-v5", overrides={"total_steps": 125_000})
    # Model training linear in N (1 s per 1,000 rows per 1,000 steps), SAC constant, rollouts
    # 2 s per unit of k.
    rows = [_row(10_000, 1, 10.0, 2.0, 100.0), _row(100_000, 10, 100.0, 20.0, 100.0)]
    got = project(rows, cfg)
    expected_model = sum((5000 + 1000 * e + 500) / 1000 for e in range(cfg.epochs))
    expected_rollout = sum(2.0 * cfg.rollout.length(e) for e in range(cfg.epochs))
    assert cfg.epochs == 120
    assert got["phase_hours"]["model_train"] * 3600 == pytest.approx(expected_model)
    assert got["phase_hours"]["rollout"] * 3600 == pytest.approx(expected_rollout)
    assert got["phase_hours"]["sac"] * 3600 == pytest.approx(100.0 * 120)
    assert got["hours"] == pytest.approx(sum(got["phase_hours"].values()))


def test_projection_at_a_given_number_of_epochs_per_retrain() -> None:
    cfg = resolve_config("Hopper-v5", overrides={"total_steps": 125_000})
    rows = [{**_row(10_000, 1, 999.0, 0.0, 0.0), "seconds_per_model_epoch": 0.5},
            {**_row(100_000, 10, 999.0, 0.0, 0.0), "seconds_per_model_epoch": 5.0}]
    got = project(rows, cfg, epochs_per_retrain=10.0)
    # 4 retrains per 1,000 steps x 10 epochs x (0.5 s per 10k rows) = 20 s per 10k rows.
    expected = sum(20.0 * (5000 + 1000 * e + 500) / 10_000 for e in range(cfg.epochs))
    assert got["phase_hours"]["model_train"] * 3600 == pytest.approx(expected)


def test_real_run_retrain_epochs_come_from_the_shipped_runs() -> None:
    stats = real_run_retrain_epochs()
    assert stats["retrains"] >= 20 and stats["max_rows"] >= 20_000
    assert 1 <= stats["q1"] <= stats["median"] <= stats["q3"]
