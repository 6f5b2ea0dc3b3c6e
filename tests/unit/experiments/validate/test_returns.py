"""Return estimators of ``boundcheck validate`` (boundcheck/experiments/validate/returns.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from boundcheck.agents.networks import init_actor
from boundcheck.envs import get_spec, make_env
from boundcheck.experiments.common.collect import stochastic_action
from boundcheck.experiments.validate.returns import (
    RewardPaths,
    branched_episodes,
    discounted_returns,
    model_episodes,
    real_episodes,
)


class CountingModel:
    """s' = s + 1, r = s[0] (NaN from ``nan_at`` on): a model with a closed-form return."""

    def __init__(self, nan_at: float | None = None) -> None:
        self.nan_at = nan_at

    def sample_step(self, obs, act, generator):
        reward = obs[:, 0].double()
        if self.nan_at is not None:
            reward = torch.where(obs[:, 0] >= self.nan_at, torch.nan, reward)
        return obs + 1.0, reward


def _stop_at(limit: float):
    return lambda obs, act, next_obs: next_obs[:, 0] >= limit


def _actor(obs_dim: int, act_dim: int, seed: int = 0) -> list[torch.Tensor]:
    return init_actor(obs_dim, act_dim, 16, 2, device=torch.device("cpu"),
                      generator=torch.Generator().manual_seed(seed))


def test_discounted_returns_closed_form() -> None:
    rewards = np.array([[1.0, 1.0, 1.0, 0.0], [2.0, 0.0, 0.0, 0.0]])
    assert discounted_returns(rewards, 0.5) == pytest.approx([1.75, 2.0])
    paths = RewardPaths.from_lists([np.ones(3), np.array([2.0])])
    assert paths.lengths.tolist() == [3, 1]
    assert paths.discounted(0.5) == pytest.approx([1.75, 2.0])


def test_model_episodes_terminate_and_count_the_terminal_reward() -> None:
    init = torch.tensor([[0.0, 0.0], [2.0, 0.0], [10.0, 0.0]])
    paths, last, alive = model_episodes(CountingModel(), _stop_at(4.0), _actor(2, 1), init, 6,
                                        torch.Generator().manual_seed(0))
    # row 0: s = 0,1,2,3 -> stops when s' = 4 (4 steps, rewards 0+1+2+3)
    # row 1: s = 2,3 -> 2 steps; row 2: s = 10 -> s' = 11 >= 4 at once: 1 step, reward 10
    assert paths.lengths.tolist() == [4, 2, 1]
    assert paths.discounted(1.0) == pytest.approx([6.0, 5.0, 10.0])
    assert paths.discounted(0.5) == pytest.approx([0 + 0.5 + 0.5 + 0.375, 2 + 1.5, 10])
    assert not alive.any() and last[:, 0].tolist() == [4.0, 4.0, 11.0]


def test_model_episodes_run_to_the_horizon_and_flag_divergence() -> None:
    init = torch.tensor([[0.0, 0.0], [5.0, 0.0]])
    paths, _, alive = model_episodes(CountingModel(nan_at=6.0), _stop_at(100.0), _actor(2, 1),
                                     init, 3, torch.Generator().manual_seed(0))
    assert paths.lengths.tolist() == [3, 2]
    assert paths.diverged.tolist() == [False, True]
    assert paths.rewards[1].tolist() == [5.0, 0.0, 0.0]  # the NaN step contributes nothing
    assert alive.tolist() == [True, False]


def _pendulum():
    spec = get_spec("Pendulum-v1")
    return spec, make_env(spec, unit_actions=True)


def test_real_episodes_match_an_independent_rollout() -> None:
    spec, env = _pendulum()
    actor = _actor(spec.obs_dim, spec.act_dim)
    seeds = [3, 14]
    paths = real_episodes(env, actor, seeds, torch.Generator().manual_seed(7))
    gen = torch.Generator().manual_seed(7)
    for i, seed in enumerate(seeds):
        obs, _ = env.reset(seed=seed)
        rewards, done = [], False
        while not done:
            act = stochastic_action(actor, np.asarray(obs, np.float32), gen)
            obs, r, term, trunc, _ = env.step(act.astype(np.float64))
            rewards.append(r)
            done = term or trunc
        assert paths.lengths[i] == len(rewards) == 200
        assert paths.discounted(0.99)[i] == pytest.approx(discounted_returns(
            np.asarray(rewards)[None], 0.99)[0], rel=1e-12)


def test_branched_with_k0_is_pi_d_in_the_real_env() -> None:
    spec, env = _pendulum()
    actor_pi, actor_d = _actor(spec.obs_dim, spec.act_dim, 1), _actor(spec.obs_dim, spec.act_dim, 2)
    seeds = [5, 6, 7]
    branch = branched_episodes(env, CountingModel(), spec.termination, actor_pi, actor_d, seeds,
                               0, 200, torch.Generator().manual_seed(3))
    real_d = real_episodes(env, actor_d, seeds, torch.Generator().manual_seed(3))
    np.testing.assert_array_equal(branch.rewards, real_d.rewards)


def test_branched_continues_from_the_predicted_state() -> None:
    """The model jumps to a fixed state (θ = 1, θ̇ = 0.5); the real continuation must start
    there: its first reward is Pendulum's cost at that state (a skipped or wrong
    reconstruction would start from the reset state instead)."""
    spec, env = _pendulum()
    actor = _actor(spec.obs_dim, spec.act_dim, 4)
    target = torch.tensor([np.cos(1.0), np.sin(1.0), 0.5], dtype=torch.float32)

    class JumpModel:
        def sample_step(self, obs, act, generator):
            return target.expand_as(obs).clone(), torch.zeros(obs.shape[0], dtype=torch.float64)

    branch = branched_episodes(env, JumpModel(), spec.termination, actor, actor, [11], 2, 200,
                               torch.Generator().manual_seed(0))
    assert branch.lengths.tolist() == [200]
    assert branch.rewards[0, :2].tolist() == [0.0, 0.0]
    gen = torch.Generator().manual_seed(0)
    for _ in range(2):  # the prefix drew one action per model step
        torch.randn((1, 1), generator=gen)
    act = stochastic_action(actor, target.numpy(), gen)
    u = float(np.clip(act[0] * 2.0, -2.0, 2.0))
    expected = -(1.0 + 0.1 * 0.5**2 + 0.001 * u**2)
    assert branch.rewards[0, 2] == pytest.approx(expected, abs=1e-5)
