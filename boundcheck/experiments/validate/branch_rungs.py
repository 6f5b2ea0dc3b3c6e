"""Rungs 2a, 2b and 2c of the bound ladder measured on a run: the per-step expected TVs their
charges need (docs/ladder.md, rung 2; docs/results/bound_ladder.md, "Rung 2 measured").

With the run's known transition and reward noise, the true law of y = [r, s′ − s] at any
(s, a) is N([R(s, a), F(s, a) − s], diag(σ_r², σ², …)), and the simulator gives R and F at any
observed state, real or produced by the model (:class:`~boundcheck.envs.oracle.SimulatorOracle`;
exact while no observation clips a velocity). So m(s) can be measured wherever a rung charges
it, including the model-rollout states of rung 2c. The TV is that of the joint law of (r, s′),
never below the next-state TV the proofs charge, so the rungs stay valid (conservative).

Draws (:func:`measure_branch_draws`), all from N episodes of each policy with the same seeds:

- π's real episodes: τ and m (π's own action) at each step, the charges of rungs 2a and 2b.
- π_D's real episodes: τ at each step (Σ_{i<(t−k)⁺} E_{q_i} τ of rung 2c) and the branches of
  rung 2c: from π_D's state at step m, k model steps of π (one elite per row, as MBPO's
  rollouts), m at each branch state b_0..b_{k−1} and the true reward R(b_j, a_j) with a_j ~ π.
  One branch starts at step 0 (the t < k terms and the first k rewards); the later starts are
  stratified: one uniform start per episode in each bucket of ``stride`` steps, which estimates
  the bucket's mean without bias (every step is a start when ``stride`` is 1).

A terminal state is absorbing, with no reward, policy shift or model error after it (both
processes share the task's termination function), so steps after an episode's or a branch's
end contribute 0. Runs without known noise on both the reward and the state are refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium
import numpy as np
import torch
from torch import Tensor

from boundcheck.agents.networks import actor_forward
from boundcheck.envs.oracle import SimulatorOracle
from boundcheck.estimators.model_error import tv_known_gaussian
from boundcheck.estimators.policy_shift import tv_monte_carlo
from boundcheck.estimators.sup_over_time import episode_ids
from boundcheck.experiments.common.collect import Transitions
from boundcheck.experiments.validate.returns import batched_actions
from boundcheck.models.ensemble import GaussianEnsemble


@dataclass(frozen=True)
class BranchDraws:
    """The per-episode draws, N episodes × H steps (0 after an episode's end):

    ``shift_pi``, ``model_pi``, ``reward_pi``: τ, m and the reward at π's real steps;
    ``shift_d``, ``reward_d``: τ and the reward at π_D's real steps;
    ``head_model`` [N, k + 1]: Σ_{i<j} m(b_i) along the branch started at step 0;
    ``head_reward`` [N, k]: R(b_j, a_j), j < k, along it;
    ``starts`` [N, B]: the sampled start of each bucket (bucket b covers steps
    [b·stride, min((b + 1)·stride, H − k))); ``start_model`` [N, B]: Σ_{j<k} m(b_j) from it;
    ``start_reward`` [N, B]: R(b_k, a_k) at its k-th model state (0 if the branch or the
    episode ended before)."""

    k: int
    horizon: int
    stride: int
    shift_pi: np.ndarray
    model_pi: np.ndarray
    reward_pi: np.ndarray
    shift_d: np.ndarray
    reward_d: np.ndarray
    head_model: np.ndarray
    head_reward: np.ndarray
    starts: np.ndarray
    start_model: np.ndarray
    start_reward: np.ndarray

    @property
    def episodes(self) -> int:
        """N."""
        return int(self.shift_pi.shape[0])

    def bucket_widths(self) -> np.ndarray:
        """Steps in each start bucket [B]."""
        last = max(1, self.horizon - self.k)
        lo = np.arange(self.starts.shape[1]) * self.stride
        return np.minimum(lo + self.stride, last) - lo


def bucket_starts(horizon: int, k: int, stride: int, episodes: int,
                  rng: np.random.Generator) -> np.ndarray:
    """One uniform start per episode in each bucket of ``stride`` steps of [0, max(1, H − k))."""
    last = max(1, horizon - k)
    lo = np.arange(0, last, stride)
    width = np.minimum(lo + stride, last) - lo
    return lo[None, :] + (rng.random((episodes, lo.size)) * width[None, :]).astype(np.int64)


def per_step(values: np.ndarray, data: Transitions, episodes: int, horizon: int) -> np.ndarray:
    """Transition values in collection order -> [episodes, horizon], 0 after each end."""
    out = np.zeros((episodes, horizon))
    out[episode_ids(data.timestep), data.timestep] = values
    return out


@torch.no_grad()
def policy_tv(actor_pi: list[Tensor], actor_d: list[Tensor], obs: np.ndarray,
              generator: torch.Generator, samples: int) -> np.ndarray:
    """τ(s) = TV(π(·|s), π_D(·|s)) per row (Monte Carlo, tanh-invariant)."""
    x = torch.as_tensor(obs, dtype=torch.float32, device=actor_pi[0].device)
    mean_pi, log_std_pi = actor_forward(actor_pi, x)
    mean_d, log_std_d = actor_forward(actor_d, x)
    tv, _ = tv_monte_carlo(mean_pi.double(), log_std_pi.double(), mean_d.double(),
                           log_std_d.double(), generator, samples)
    return np.asarray(tv.cpu().numpy(), dtype=np.float64)


@torch.no_grad()
def model_tv(model: GaussianEnsemble, obs: Tensor, act: Tensor, true_mean: Tensor,
             true_std: np.ndarray, generator: torch.Generator, samples: int) -> np.ndarray:
    """TV between the true law N(true_mean, diag(true_std²)) of y and the elites' mixture."""
    means, variances = model.mean_and_var(obs, act, elites_only=True)
    std = torch.as_tensor(true_std, dtype=torch.float64, device=means.device)
    tv, _ = tv_known_gaussian(true_mean.to(means.device).double(), std, means.double(),
                              variances.double(), generator, n_samples=samples)
    return np.asarray(tv.cpu().numpy(), dtype=np.float64)


@dataclass(frozen=True)
class Branches:
    """k-step model branches of π: per row, ``model`` [R, k + 1] Σ_{i<j} m(b_i); ``reward``
    [R, k + 1] R(b_j, a_j) (0 once the branch has ended); ``steps`` [R] the model steps taken;
    ``diverged`` [R] whether the model predicted a non-finite state (every later step is then
    charged a TV of 1, the most it can be, and its rewards are unknown: 0)."""

    model: np.ndarray
    reward: np.ndarray
    steps: np.ndarray
    diverged: np.ndarray


@torch.no_grad()
def branch_draws(model: GaussianEnsemble, oracle: SimulatorOracle, termination: Any,
                 actor_pi: list[Tensor], starts: np.ndarray, k: int, true_std: np.ndarray,
                 generator: torch.Generator, samples: int) -> Branches:
    """From each row of ``starts``, k model steps of π: m at b_0..b_{k−1} and R(b_j, a_j) at
    b_0..b_k (:class:`Branches`); a branch ends at the task's termination."""
    rows = starts.shape[0]
    step_err = np.zeros((rows, k))
    reward = np.zeros((rows, k + 1))
    steps = np.zeros(rows, dtype=np.int64)
    diverged = np.zeros(rows, dtype=bool)
    obs = torch.as_tensor(starts, dtype=torch.float32, device=actor_pi[0].device)
    alive = np.ones(rows, dtype=bool)
    for j in range(k + 1):
        idx = np.flatnonzero(alive)
        if idx.size == 0:
            break
        x = obs[torch.as_tensor(idx, device=obs.device)]
        a = batched_actions(actor_pi, x, generator)
        x64 = x.cpu().double().numpy()
        next_true, r_true = oracle.step(x64, a.cpu().double().numpy())
        reward[idx, j] = r_true
        if j == k:
            break
        true_mean = torch.from_numpy(np.concatenate([r_true[:, None], next_true - x64], axis=1))
        step_err[idx, j] = model_tv(model, x, a, true_mean, true_std, generator, samples)
        steps[idx] += 1
        nxt, _ = model.sample_step(x, a, generator)
        nxt = nxt.to(obs)
        bad = (~torch.isfinite(nxt).all(dim=1)).cpu().numpy()
        done = termination(x, a, nxt).cpu().numpy() | bad
        obs[torch.as_tensor(idx, device=obs.device)] = torch.where(
            torch.as_tensor(bad, device=obs.device)[:, None], x, nxt)
        diverged[idx[bad]] = True
        step_err[idx[bad], j + 1:] = 1.0  # the steps it cannot take: the largest TV
        alive[idx[done]] = False
    acc = np.concatenate([np.zeros((rows, 1)), np.cumsum(step_err, axis=1)], axis=1)
    return Branches(model=acc, reward=reward, steps=steps, diverged=diverged)


def at_clip(obs: np.ndarray, clip: float = 10.0) -> np.ndarray:
    """Rows with an entry at a velocity clip of the observation (Hopper, Walker2d: ±10), where
    the simulator state the observation describes is not exact (:mod:`boundcheck.envs.state`;
    no position entry of these tasks comes near 10)."""
    return np.asarray((np.abs(obs) >= clip - 1e-4).any(axis=1))


def episode_matrix(data: Transitions, episodes: int, horizon: int) -> np.ndarray:
    """The observation of each episode at each step [N, H, obs_dim] (0 after the end; the
    alive mask is :func:`per_step` of ones)."""
    out = np.zeros((episodes, horizon, data.obs.shape[1]), dtype=np.float32)
    out[episode_ids(data.timestep), data.timestep] = data.obs
    return out


def horizon_of(env: gymnasium.Env) -> int:
    """The env's time limit (1000 if it has none)."""
    return int(env.spec.max_episode_steps) if env.spec and env.spec.max_episode_steps else 1000
