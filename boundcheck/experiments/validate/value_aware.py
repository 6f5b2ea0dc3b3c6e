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
difference, which is what δ needs, is not swamped by the policy's and the model's noise. With
w_i = γ^{t_i}/(p_i N) over N episodes,

    S = mean_i w_i δ̂_i  estimates η − η̂ (unbiased: a check of the estimator),
    B = mean_i w_i |δ̂_i| estimates the bound, biased *upwards* (E|δ̂| ≥ |E δ̂|): conservative.

Their intervals are t intervals over the N episodes, each episode's own estimate being its
draws' share of the sums (:func:`value_aware_at`). B ≥ |S| on every sample (w > 0), so a
"holds" verdict from these two alone could not fail: the test of the estimator is the identity,
S against validate's η − η̂ per episode (:mod:`~boundcheck.experiments.validate.value_aware_run`).
The noise floor says how much of B the m-sample noise alone would make.
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
from boundcheck.estimators.sup_over_time import episode_ids
from boundcheck.experiments.common.collect import Transitions
from boundcheck.experiments.validate.returns import RewardPaths, StepModel, batched_actions


@dataclass(frozen=True)
class ValueAwareMeasurement:
    """The raw draws: per sampled transition i its step ``t`` [n], probability ``prob`` [n] and
    ``episode`` [n] (of ``episodes``);
    per (i, j), j < m, the first reward and the rollout after it, true (``true_*``) and model
    (``model_*``); rollouts of terminal next states have no rewards."""

    t: np.ndarray
    prob: np.ndarray
    episode: np.ndarray
    episodes: int
    true_first: np.ndarray
    true_paths: RewardPaths
    model_first: np.ndarray
    model_paths: RewardPaths


@dataclass(frozen=True)
class ValueAwareAtGamma:
    """S (η − η̂ by the identity) and B (the bound) at one γ, each with its t interval over the
    episodes; ``noise_floor`` is what B would be from the m-sample noise alone (module doc);
    ``per_episode`` the episodes' own estimates of S (for the identity check)."""

    gamma: float
    signed: float
    signed_low: float
    signed_high: float
    bound: float
    bound_low: float
    bound_high: float
    noise_floor: float
    states: int
    per_episode: tuple[float, ...]


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
        m_next = m_next.to(o)
        bad = ~(torch.isfinite(m_next).all(dim=1) & torch.isfinite(r_model))
        done_model = (termination(o, a, m_next) | bad).cpu().numpy()
        m_next = torch.where(bad[:, None], o, m_next)  # a diverged step scores 0 and stops,
        r_model = torch.where(bad, 0.0, r_model)       # as model_episodes scores it
    m_next_np, r_model_np = m_next.cpu().numpy(), r_model.double().cpu().numpy()
    true_paths, model_paths = paired_rollouts(
        model, termination, actor, (t_next.astype(np.float32), m_next_np.astype(np.float32)),
        (~done_true, ~done_model), left, int(rng.integers(2**31)))
    return ValueAwareMeasurement(
        t=trans.timestep[rows].astype(np.int64), prob=prob,
        episode=episode_ids(trans.timestep)[rows], episodes=episodes,
        true_first=r_true.reshape(-1, m), true_paths=true_paths,
        model_first=r_model_np.reshape(-1, m), model_paths=model_paths)


def paired_differences(meas: ValueAwareMeasurement, gamma: float) -> np.ndarray:
    """[n, m]: (r + γ V̂(s′)) − (r̂ + γ V̂(ŝ′)) of the j-th paired true and model samples."""
    n, m = meas.true_first.shape
    true_v = meas.true_first + gamma * meas.true_paths.discounted(gamma).reshape(n, m)
    model_v = meas.model_first + gamma * meas.model_paths.discounted(gamma).reshape(n, m)
    return np.asarray(true_v - model_v, dtype=np.float64)


def one_step_errors(meas: ValueAwareMeasurement, gamma: float) -> np.ndarray:
    """δ̂_i: the mean over j of the paired differences."""
    return paired_differences(meas, gamma).mean(axis=1)


def value_aware_at(meas: ValueAwareMeasurement, gamma: float,
                   confidence: float = 0.95) -> ValueAwareAtGamma:
    """S and B at ``gamma``. Each is the mean over the N episodes of the episode's own
    unbiased estimate (its draws' w_i δ̂_i · N/n summed), with a t interval over episodes, so the
    interval covers the episodes' variation as well as the draws'. The noise floor is the
    expected |·| of a zero-mean normal with each state's standard error of δ̂ (the spread of its
    m paired differences over √m): mean_i w_i · se_i · √(2/π)."""
    diffs = paired_differences(meas, gamma)
    delta = diffs.mean(axis=1)
    n, m = diffs.shape
    w = gamma ** meas.t.astype(np.float64) / (meas.prob * meas.episodes)
    scale = meas.episodes / n

    def per_episode(x: np.ndarray) -> np.ndarray:
        return np.bincount(meas.episode, weights=x * scale, minlength=meas.episodes)

    signed_e, bound_e = per_episode(w * delta), per_episode(w * np.abs(delta))
    s, s_low, s_high = _t_interval(signed_e, confidence)
    b, b_low, b_high = _t_interval(bound_e, confidence)
    se = diffs.std(axis=1, ddof=1) / math.sqrt(m) if m > 1 else np.full(n, math.nan)
    floor = float(np.mean(w * se)) * math.sqrt(2.0 / math.pi)
    return ValueAwareAtGamma(gamma=gamma, signed=s, signed_low=s_low, signed_high=s_high,
                             bound=b, bound_low=max(0.0, b_low), bound_high=b_high,
                             noise_floor=floor, states=n,
                             per_episode=tuple(float(x) for x in signed_e))


def _t_interval(x: np.ndarray, confidence: float) -> tuple[float, float, float]:
    """Mean of ``x`` with its Student t interval (NaN bounds for fewer than 2 values)."""
    mean = float(x.mean())
    if len(x) < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + confidence / 2.0, len(x) - 1)) * float(
        x.std(ddof=1)) / math.sqrt(len(x))
    return mean, mean - half, mean + half
