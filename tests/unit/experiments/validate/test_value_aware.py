"""Rung 5 measured (boundcheck.experiments.validate.value_aware): the estimator's arithmetic on
hand-made draws, the common random numbers of the paired rollouts, and one tiny run end to end."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import Tensor

from boundcheck.agents.networks import init_actor
from boundcheck.cli import main
from boundcheck.codec import encode
from boundcheck.experiments.validate.returns import RewardPaths
from boundcheck.experiments.validate.source import resolve_validation
from boundcheck.experiments.validate.value_aware import (
    ValueAwareMeasurement,
    one_step_errors,
    paired_rollouts,
    value_aware_at,
)
from boundcheck.experiments.validate.value_aware_run import ValueAwareSettings, measure_run
from tests.tiny import TINY_TRAIN


def _paths(rewards: list[list[float]]) -> RewardPaths:
    return RewardPaths.from_lists([np.asarray(r, dtype=np.float64) for r in rewards])


def test_estimates_from_hand_made_draws() -> None:
    """Two sampled states (t = 0 and 1, probabilities ½), one next sample each, two episodes:
    δ_0 = (1 + γ·2) − (1 + γ·1) = γ, δ_1 = (0 + 0) − (1 + γ·1) = −(1 + γ); w_i = γ^t/(½·2)."""
    meas = ValueAwareMeasurement(
        t=np.array([0, 1]), prob=np.array([0.5, 0.5]), episode=np.array([0, 1]), episodes=2,
        true_first=np.array([[1.0], [0.0]]), true_paths=_paths([[2.0], [0.0]]),
        model_first=np.array([[1.0], [1.0]]), model_paths=_paths([[1.0], [1.0]]))
    g = 0.9
    assert one_step_errors(meas, g) == pytest.approx([g, -(1 + g)])
    res = value_aware_at(meas, g)
    contributions = np.array([g, g * -(1 + g)])
    assert res.signed == pytest.approx(contributions.mean())
    assert res.bound == pytest.approx(np.abs(contributions).mean())
    assert res.bound_high > res.bound > 0 and res.states == 2
    # Each episode's own estimate (here one draw each, N/n = 1): their mean is S.
    assert res.per_episode == pytest.approx(list(contributions))
    assert math.isnan(res.noise_floor)  # one sample per state: no spread to measure


class _NoisyModel:
    """next = obs + 0.1·ξ, reward = first coordinate, every draw from the generator."""

    def sample_step(self, obs: Tensor, act: Tensor, generator: torch.Generator
                    ) -> tuple[Tensor, Tensor]:
        noise = torch.randn(obs.shape, generator=generator, device=generator.device)
        return obs + 0.1 * noise, obs[:, 0]


def test_paired_rollouts_share_their_random_numbers() -> None:
    gen = torch.Generator().manual_seed(0)
    actor = init_actor(3, 1, 8, 1, device=torch.device("cpu"), generator=gen)
    starts = np.random.default_rng(0).normal(size=(6, 3)).astype(np.float32)
    never = lambda obs, act, nxt: torch.zeros(len(obs), dtype=torch.bool)  # noqa: E731
    left = np.array([5, 5, 3, 0, 5, 1])
    alive = np.array([True, True, True, True, False, True])
    a, b = paired_rollouts(_NoisyModel(), never, actor, (starts, starts.copy()), (alive, alive),
                           left, seed=7)
    assert np.array_equal(a.rewards, b.rewards)  # same starts, same numbers: same paths
    assert list(a.lengths) == [5, 5, 3, 0, 0, 1]
    assert not a.rewards[4].any() and not a.rewards[3].any()
    c, _ = paired_rollouts(_NoisyModel(), never, actor, (starts, starts), (alive, alive), left,
                           seed=8)
    assert not np.array_equal(a.rewards, c.rewards)


def test_a_tiny_run_end_to_end(tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert main(["train", "--out", str(run), "--env", "InvertedPendulum-v5", "--steps", "400",
                 "--transition-noise", "0.05", "--reward-noise", "0.05", *TINY_TRAIN]) == 0
    source = resolve_validation(run, None, None, all_epochs=False, runs_root=tmp_path)
    settings = ValueAwareSettings(episodes=3, states=16, next_samples=2, gammas=(0.99, 0.9))
    result = measure_run(source, source.pairs[-1], settings, torch.device("cpu"), "run")
    assert [r.gamma for r in result.rows] == [0.99, 0.9]
    for row in result.rows:
        assert math.isfinite(row.rung.bound) and row.rung.bound >= abs(row.rung.signed)
        assert math.isfinite(row.rung.noise_floor) and math.isfinite(row.certify_margin)
        assert row.identity.n == 3
        assert row.fraction == pytest.approx(row.rung.bound * (1 - row.gamma) / (2 * result.r_max))
    assert encode(result)["rows"][0]["rung"]["states"] == 16
