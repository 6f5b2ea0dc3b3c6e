"""Rung 2 measured (boundcheck.experiments.validate.branch_rungs and branch_rungs_run): the
stratified starts, the estimator's arithmetic on hand-made draws, and one tiny run end to end."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from boundcheck.agents.networks import init_actor
from boundcheck.cli import main
from boundcheck.experiments.validate.branch_rungs import (
    BranchDraws,
    branch_draws,
    bucket_starts,
)
from boundcheck.experiments.validate.branch_rungs_estimate import (
    _holds,
    data_branch_returns,
    summarize,
)
from boundcheck.experiments.validate.branch_rungs_run import BranchSettings, measure_branch_run
from boundcheck.experiments.validate.source import resolve_validation
from boundcheck.inputs import InputError
from boundcheck.theory.charges import head_fraction
from tests.tiny import TINY_TRAIN


def test_starts_are_one_per_bucket_and_their_weighted_sum_is_unbiased() -> None:
    rng = np.random.default_rng(0)
    h, k, stride = 23, 3, 4  # starts in [0, 20): buckets of 4, 4, 4, 4, 4
    starts = bucket_starts(h, k, stride, 20_000, rng)
    assert starts.shape == (20_000, 5)
    lo = np.arange(5) * stride
    assert ((starts >= lo) & (starts < lo + stride)).all()
    profile = np.sin(np.arange(h - k)) + 2.0  # any function of the start
    estimate = (stride * profile[starts]).sum(axis=1).mean()
    assert estimate == pytest.approx(profile.sum(), rel=2e-3)
    assert bucket_starts(3, 5, 2, 1, rng).tolist() == [[0]]  # k ≥ H: the start at 0 only


def _draws(stride: int = 1) -> BranchDraws:
    """Two episodes, H = 4, k = 1; branch model error 0.2 per step, τ 0.1 at π_D's states."""
    h, k = 4, 1
    starts = bucket_starts(h, k, stride, 2, np.random.default_rng(0))
    return BranchDraws(
        k=k, horizon=h, stride=stride,
        shift_pi=np.array([[0.1, 0.2, 0.3, 0.0], [0.3, 0.2, 0.1, 0.0]]),
        model_pi=np.full((2, h), 0.4), reward_pi=np.ones((2, h)),
        shift_d=np.full((2, h), 0.1), reward_d=np.ones((2, h)),
        head_model=np.array([[0.0, 0.2], [0.0, 0.2]]), head_reward=np.array([[1.0], [0.5]]),
        starts=starts, start_model=np.full(starts.shape, 0.2),
        start_reward=np.where(starts == 0, 1.0, 0.5))


def test_hand_made_draws() -> None:
    draws = _draws()
    g = 0.9
    # η^db: R(b_0) from step 0, then γ^{m+1} R(b_1 from m), m = 0, 1, 2.
    assert data_branch_returns(draws, g) == pytest.approx(
        [1.0 + g * 1.0 + g**2 * 0.5 + g**3 * 0.5, 0.5 + g * 1.0 + g**2 * 0.5 + g**3 * 0.5])
    half, rows = summarize(draws, 1.0, (g,), 20, np.random.default_rng(1))
    row = rows[0]
    # 2a: Σ_{j<t} 0.4; 2b (k = 1): 0.4·[t ≥ 1] + Σ_{1≤i<t} τ_i + τ_t [t ≥ 1], τ = (.2, .2, .2, 0);
    # 2c: Σ_{i<t−1} 0.1 + 0.2 [t ≥ 1].
    assert row.rung_2a.point == pytest.approx(head_fraction(np.array([0, .4, .8, 1.2]), g))
    assert row.rung_2b.point == pytest.approx(head_fraction(np.array([0, .6, .8, .8]), g))
    assert row.rung_2c.point == pytest.approx(head_fraction(np.array([0, .2, .3, .4]), g))
    assert row.rung_2c.low <= row.rung_2c.point <= row.rung_2c.high
    # The what-ifs: model charges alone (0.2 from t ≥ 1), policy charges alone.
    only = (row.rung_2c_model_only.point, row.rung_2c_policy_only.point)
    assert only == pytest.approx((head_fraction(np.array([0, .2, .2, .2]), g),
                                  head_fraction(np.array([0, 0, .1, .2]), g)))
    assert row.range == pytest.approx(2.0 * (1 - g**4) / (1 - g))
    assert row.eta.mean == pytest.approx((1 - g**4) / (1 - g))
    gap = row.eta.mean - row.eta_data_branch.mean
    assert row.gap.mean == pytest.approx(gap)  # paired by episode
    assert row.holds_2c == ("holds" if -row.rung_2c.point * row.range <= row.gap.low
                            and row.gap.high <= row.rung_2c.point * row.range else "inconclusive")
    assert _holds(np.array([1.0, 1.1, 0.9]), 0.1) == "violated"
    assert _holds(np.array([0.0, 0.01, -0.01]), 1.0) == "holds"
    assert _holds(np.array([0.0, 2.0]), 1.0) == "inconclusive"
    assert set(half) == {"2a", "2b", "2c", "2c_model_only", "2c_policy_only"}


class _Model:
    """Every member predicts y = [obs_0, 0, ...] with variance 1; the next state is obs + 1,
    and non-finite from the second step on."""

    def __init__(self) -> None:
        self.calls = 0

    def mean_and_var(self, obs: torch.Tensor, act: torch.Tensor, *, elites_only: bool
                     ) -> tuple[torch.Tensor, torch.Tensor]:
        shape = (2, obs.shape[0], 1 + obs.shape[1])
        mean = torch.zeros(shape)
        mean[..., 0] = obs[:, 0]
        return mean, torch.ones(shape)

    def sample_step(self, obs: torch.Tensor, act: torch.Tensor, generator: torch.Generator
                    ) -> tuple[torch.Tensor, torch.Tensor]:
        self.calls += 1
        nxt = obs + 1.0 if self.calls == 1 else torch.full_like(obs, float("nan"))
        return nxt, torch.zeros(obs.shape[0])


class _Oracle:
    """True law: y ~ N([obs_0, 0, ...], 1), the model's own (TV 0): reward = obs_0."""

    def step(self, obs: np.ndarray, act: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return obs, obs[:, 0]


def test_branches_end_at_termination_and_charge_1_after_divergence() -> None:
    gen = torch.Generator().manual_seed(0)
    actor = init_actor(3, 1, 8, 1, device=torch.device("cpu"), generator=gen)
    starts = np.array([[0.0, 0.0, 0.0], [5.0, 0.0, 0.0]], dtype=np.float32)
    ends = lambda obs, act, nxt: nxt[:, 0] > 5.5  # noqa: E731  (row 1 ends after one step)
    b = branch_draws(_Model(), _Oracle(), ends, actor, starts, 4, np.ones(4), gen, 256)  # type: ignore[arg-type]
    assert b.steps.tolist() == [2, 1] and b.diverged.tolist() == [True, False]
    # Row 0: TV 0 at b_0 and b_1 (same law), then its model diverged: 1 at each step left.
    assert b.model[0] == pytest.approx([0.0, 0.0, 0.0, 1.0, 2.0], abs=0.02)
    assert b.model[1] == pytest.approx([0.0] * 5, abs=0.02)  # ended: nothing after
    assert b.reward[0].tolist() == [0.0, 1.0, 0.0, 0.0, 0.0]  # R(b_0), R(b_1), then unknown
    assert b.reward[1].tolist() == [5.0, 0.0, 0.0, 0.0, 0.0]


def test_a_tiny_run_end_to_end(tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert main(["train", "--out", str(run), "--env", "InvertedPendulum-v5", "--steps", "400",
                 "--transition-noise", "0.05", "--reward-noise", "0.05", *TINY_TRAIN]) == 0
    source = resolve_validation(run, None, None, all_epochs=False, runs_root=tmp_path)
    settings = BranchSettings(episodes=3, stride=50, tv_samples=16, policy_samples=16,
                              resamples=10, gammas=(0.99, 0.9))
    result = measure_branch_run(source, source.pairs[-1], settings, torch.device("cpu"), "run")
    assert [r.gamma for r in result.rows] == [0.99, 0.9] and result.k >= 1
    for row in result.rows:
        for fr in (row.rung_2a, row.rung_2b, row.rung_2c, row.rung_2c_model_only,
                   row.rung_2c_policy_only):
            assert 0.0 <= fr.low <= fr.point <= fr.high <= 1.0
        assert math.isfinite(row.certify_margin_2c) and row.eta_data_branch.n == 3
    assert 0.0 < result.per_step["m_at_pi"] <= 1.0
    assert 0.0 <= result.per_step["tau_at_pi_d"] <= 1.0


def test_a_run_without_known_noise_is_refused(tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert main(["train", "--out", str(run), "--env", "InvertedPendulum-v5", "--steps", "400",
                 *TINY_TRAIN]) == 0
    source = resolve_validation(run, None, None, all_epochs=False, runs_root=tmp_path)
    with pytest.raises(InputError, match="rung 2 needs the model error"):
        measure_branch_run(source, source.pairs[-1], BranchSettings(episodes=2),
                           torch.device("cpu"), "run")
