"""Rung 5 of the bound ladder measured on a run: the value-aware model error with π's true
occupancy (docs/ladder.md, rung 5; docs/results/bound_ladder.md).

With a learned reward r̂ as well as learned transitions, the telescoping identity reads, for the
horizon-H returns validate measures (V̂_t = V^π in the model with H − t steps left):

    η[π] − η̂[π] = Σ_{t<H} γ^t E_{(s,a)~d_t⊗π} δ_t(s, a),
    δ_t(s, a) = E_P[r + γ V̂_{t+1}(s′)] − E_P̂[r̂ + γ V̂_{t+1}(ŝ′)],

V̂ being 0 after a terminal step (the identity telescopes through E_{a~π} of the model term,
which is V̂_t(s)). So |η − η̂| ≤ B = Σ_t γ^t E|δ_t|: the one-step error of the model's own value
function, weighed by where π really goes. No TV enters.

Estimate (:func:`measure_value_aware`): sample n real transitions (s_t, a_t) of π's episodes, i.i.d.
with probability p ∝ γ_s^t (γ_s the largest γ asked for); at each, m true next steps (the
simulator with the run's known noise, from s) and m model steps; from every non-terminal next
state one model rollout of π for the steps left, its rewards kept so that any γ can be applied
afterwards (:func:`value_aware_at`). The rollout from the j-th true next state and the one from
the j-th model next state share their random numbers (:func:`paired_rollouts`), so that their
difference, which is what δ needs, is not swamped by the policy's and the model's noise. With w_i = γ^{t_i}/(p_i N) over N episodes,

    S = mean_i w_i δ̂_i  estimates η − η̂ (unbiased: a check of the estimator),
    B = mean_i w_i |δ̂_i| estimates the bound, biased *upwards* (E|δ̂| ≥ |E δ̂|): conservative.

Their intervals are normal intervals over the n sampled transitions (states of one episode are
not independent; the interval ignores that).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import gymnasium
import numpy as np
import torch
from scipy import stats
from torch import Tensor

from boundcheck.envs import set_env_state
from boundcheck.experiments.common.collect import Transitions
from boundcheck.experiments.validate.returns import RewardPaths, StepModel, batched_actions


@dataclass(frozen=True)
class ValueAwareMeasurement:
    """The raw draws: per sampled transition i its step ``t`` [n] and probability ``prob`` [n];
    per (i, j), j < m, the first reward and the rollout after it, true (``true_*``) and model
    (``model_*``); rollouts of terminal next states have no rewards."""

    t: np.ndarray
    prob: np.ndarray
    episodes: int
    true_first: np.ndarray
    true_paths: RewardPaths
    model_first: np.ndarray
    model_paths: RewardPaths


@dataclass(frozen=True)
class ValueAwareAtGamma:
    """S (η − η̂ by the identity) and B (the bound) at one γ, each with its interval."""

    gamma: float
    signed: float
    signed_low: float
    signed_high: float
    bound: float
    bound_low: float
    bound_high: float
    states: int


def _sample(trans: Transitions, n: int, gamma_s: float,
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    weights = gamma_s ** trans.timestep.astype(np.float64)
    prob = weights / weights.sum()
    rows = rng.choice(len(trans), size=n, replace=True, p=prob)
    return rows, prob[rows]


def _true_steps(env: gymnasium.Env, obs: np.ndarray, act: np.ndarray, seeds: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One true step from each (obs, act) row: next observation, reward, terminated."""
    nxt, rew, term = np.empty_like(obs), np.empty(len(obs)), np.empty(len(obs), dtype=bool)
    for i, (s, a, seed) in enumerate(zip(obs, act, seeds, strict=True)):
        env.reset(seed=int(seed))
        set_env_state(env, s)
        o, r, terminated, _, _ = env.step(a.astype(np.float64))
        nxt[i], rew[i], term[i] = o, float(r), bool(terminated)
    return nxt, rew, term


@torch.no_grad()
def paired_rollouts(model: StepModel, termination: Any, actor: list[Tensor],
                    starts: tuple[np.ndarray, np.ndarray], alive: tuple[np.ndarray, np.ndarray],
                    left: np.ndarray, seed: int) -> tuple[RewardPaths, RewardPaths]:
    """Model rollouts of π from two sets of start states, row i of one paired with row i of the
    other by common random numbers: each set is rolled with a generator seeded with ``seed``
    and every step draws for the whole batch (finished rows stand still, their rewards 0), so
    row i of both sets sees the same policy noise, elite draws and model noise. Row i runs for
    ``left[i]`` steps from a start that is ``alive`` (not terminal)."""
    device = actor[0].device
    longest = max(1, int(left.max(initial=0)))
    out = []
    for start, live in zip(starts, alive, strict=True):
        gen = torch.Generator(device=device).manual_seed(seed)
        obs = torch.as_tensor(start, device=device)
        running = torch.as_tensor(live & (left > 0), device=device)
        steps_left = torch.as_tensor(left, device=device)
        rewards = torch.zeros(len(start), longest, dtype=torch.float64)
        lengths = torch.zeros(len(start), dtype=torch.int64)
        diverged = torch.zeros(len(start), dtype=torch.bool)
        for t in range(longest):
            if not bool(running.any()):
                break
            act = batched_actions(actor, obs, gen)
            nxt, reward = model.sample_step(obs, act, gen)
            nxt = nxt.to(obs)
            bad = ~(torch.isfinite(nxt).all(dim=1) & torch.isfinite(reward))
            done = termination(obs, act, nxt) | bad
            use = running & ~bad
            rewards[:, t] = torch.where(use, reward.double(), 0.0).cpu()
            lengths = torch.where(running.cpu(), t + 1, lengths)
            diverged |= (running & bad).cpu()
            obs = torch.where(use[:, None], nxt, obs)
            running = running & ~done & (t + 1 < steps_left)
        out.append(RewardPaths(rewards.numpy(), lengths.numpy(), diverged.numpy()))
    return out[0], out[1]


def measure_value_aware(env: gymnasium.Env, model: StepModel, termination: Any,
                        actor: list[Tensor], trans: Transitions, episodes: int, horizon: int, *,
                        states: int, next_samples: int, gamma_s: float,
                        rng: np.random.Generator, generator: torch.Generator
                        ) -> ValueAwareMeasurement:
    """The draws of the module doc from π's real transitions ``trans`` (``episodes`` episodes
    of at most ``horizon`` steps)."""
    rows, prob = _sample(trans, states, gamma_s, rng)
    m = next_samples
    obs = np.repeat(trans.obs[rows], m, axis=0)
    act = np.repeat(trans.act[rows], m, axis=0)
    left = np.repeat(horizon - trans.timestep[rows] - 1, m).astype(np.int64)
    t_next, r_true, done_true = _true_steps(env, obs, act, rng.integers(2**31, size=len(obs)))
    device = actor[0].device
    with torch.no_grad():
        o, a = torch.as_tensor(obs, device=device), torch.as_tensor(act, device=device)
        m_next, r_model = model.sample_step(o, a, generator)
        done_model = termination(o, a, m_next).cpu().numpy()
    m_next_np, r_model_np = m_next.cpu().numpy(), r_model.double().cpu().numpy()
    true_paths, model_paths = paired_rollouts(
        model, termination, actor, (t_next.astype(np.float32), m_next_np.astype(np.float32)),
        (~done_true, ~done_model), left, int(rng.integers(2**31)))
    return ValueAwareMeasurement(
        t=trans.timestep[rows].astype(np.int64), prob=prob, episodes=episodes,
        true_first=r_true.reshape(-1, m), true_paths=true_paths,
        model_first=r_model_np.reshape(-1, m), model_paths=model_paths)


def one_step_errors(meas: ValueAwareMeasurement, gamma: float) -> np.ndarray:
    """δ̂_i: the mean over j of r + γ V̂(s′) (true) minus that of r̂ + γ V̂(ŝ′) (model)."""
    n, m = meas.true_first.shape
    true_v = meas.true_first + gamma * meas.true_paths.discounted(gamma).reshape(n, m)
    model_v = meas.model_first + gamma * meas.model_paths.discounted(gamma).reshape(n, m)
    return np.asarray(true_v.mean(axis=1) - model_v.mean(axis=1), dtype=np.float64)


def value_aware_at(meas: ValueAwareMeasurement, gamma: float,
                   confidence: float = 0.95) -> ValueAwareAtGamma:
    """S and B at ``gamma`` with normal intervals over the sampled transitions."""
    delta = one_step_errors(meas, gamma)
    w = gamma ** meas.t.astype(np.float64) / (meas.prob * meas.episodes)
    z = float(stats.norm.ppf(0.5 + confidence / 2.0))
    n = len(delta)

    def mean_ci(x: np.ndarray) -> tuple[float, float, float]:
        mean = float(x.mean())
        half = z * float(x.std(ddof=1)) / math.sqrt(n) if n > 1 else math.nan
        return mean, mean - half, mean + half

    s, s_low, s_high = mean_ci(w * delta)
    b, b_low, b_high = mean_ci(w * np.abs(delta))
    return ValueAwareAtGamma(gamma=gamma, signed=s, signed_low=s_low, signed_high=s_high,
                             bound=b, bound_low=max(0.0, b_low), bound_high=b_high, states=n)
