"""Rung 2 measured (boundcheck.experiments.validate.branch_rungs and branch_rungs_run): the
stratified starts, the estimator's arithmetic on hand-made draws, and one tiny run end to end."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from boundcheck.cli import main
from boundcheck.experiments.validate.branch_rungs import BranchDraws, bucket_starts
from boundcheck.experiments.validate.branch_rungs_run import (
    BranchSettings,
    data_branch_returns,
    measure_branch_run,
    summarize,
)
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
    settings = BranchSettings(episodes=2, resamples=20, gammas=(g,))
    half, rows = summarize(draws, r_max=1.0, settings=settings, rng=np.random.default_rng(1))
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
    assert row.holds_2c == (abs(row.eta.mean - row.eta_data_branch.mean)
                            <= row.rung_2c.point * row.range)
    assert set(half) == {"2a", "2b", "2c", "2c_model_only", "2c_policy_only"}


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
