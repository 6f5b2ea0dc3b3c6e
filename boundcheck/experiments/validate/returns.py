"""The returns that Theorems 4.1–4.3 compare, estimated on a trained run.

Paper Section 4 (the bounds) and Appendix B (the branched return as Lemma B.4's proof treats
it); docs/paper.md, "Theorems 4.1–4.3" and "the branched rollout":

- η[π]: discounted return of π in the real environment (:func:`real_episodes`).
- η̂[π]: discounted return of π under *full* model rollouts from real initial states, the
  task's termination function applied (:func:`model_episodes` with the env's horizon).
- η^branch[π], the process Lemma B.4 bounds: from s_0 ~ μ_0, k steps with π under the model,
  then the simulator is put into the predicted state and π_D continues in the real environment
  (:func:`branched_episodes`). The observation fixes the simulator state up to the unobserved
  horizontal position, on which no task's dynamics or reward depend
  (:mod:`boundcheck.envs.state`).
- The k-step model return that MBPO optimises (k model steps with π from states of π_D's real
  buffer, no continuation): :func:`model_episodes` with horizon k. No theorem covers it.

Every policy acts stochastically (a = tanh(u), u ~ the actor's Gaussian), as the theory's π and
π_D are the stochastic SAC policies whose TV ε_π measures. Model steps draw one elite per row
and sample its Gaussian, as MBPO's rollouts do. Rewards are kept per step
(:class:`RewardPaths`) so the returns can be discounted with any γ afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import gymnasium
import numpy as np
import torch
from torch import Tensor

from boundcheck.agents.networks import actor_forward
from boundcheck.envs import set_env_state
from boundcheck.experiments.common.collect import collect_episodes, stochastic_action


class StepModel(Protocol):
    """What a rollout needs of a model (:class:`boundcheck.models.GaussianEnsemble`)."""

    def sample_step(self, obs: Tensor, act: Tensor, generator: torch.Generator) \
            -> tuple[Tensor, Tensor]: ...


@dataclass(frozen=True)
class RewardPaths:
    """Per-episode reward sequences: ``rewards`` [N, T] (zero-padded), ``lengths`` [N].

    ``diverged`` [N] marks model episodes stopped because the model predicted a non-finite
    state or reward (their rewards up to that step are kept).
    """

    rewards: np.ndarray
    lengths: np.ndarray
    diverged: np.ndarray

    @classmethod
    def from_lists(cls, episodes: list[np.ndarray]) -> RewardPaths:
        """Pack variable-length reward arrays."""
        lengths = np.array([len(e) for e in episodes], dtype=np.int64)
        rewards = np.zeros((len(episodes), int(lengths.max(initial=0))), dtype=np.float64)
        for i, e in enumerate(episodes):
            rewards[i, : len(e)] = e
        return cls(rewards, lengths, np.zeros(len(episodes), dtype=bool))

    def discounted(self, gamma: float) -> np.ndarray:
        """Σ_t γ^t r_t per episode [N]."""
        return discounted_returns(self.rewards, gamma)


def discounted_returns(rewards: np.ndarray, gamma: float) -> np.ndarray:
    """Σ_t γ^t r_t along the last axis of ``rewards`` (padding must be zero)."""
    weights = gamma ** np.arange(rewards.shape[-1], dtype=np.float64)
    return np.asarray(rewards, dtype=np.float64) @ weights


def batched_actions(actor: list[Tensor], obs: Tensor, generator: torch.Generator) -> Tensor:
    """a = tanh(mean + exp(log_std)·ξ) per row, ξ ~ N(0, I) from ``generator``."""
    mean, log_std = actor_forward(actor, obs)
    noise = torch.randn(mean.shape, generator=generator, device=generator.device).to(mean)
    return torch.tanh(mean + log_std.exp() * noise)


@torch.no_grad()
def model_episodes(model: StepModel, termination: Any, actor: list[Tensor], init_obs: Tensor,
                   horizon: int, generator: torch.Generator) -> tuple[RewardPaths, Tensor, Tensor]:
    """Roll ``actor`` in ``model`` from each row of ``init_obs`` for up to ``horizon`` steps.

    An episode stops when ``termination(obs, act, next_obs)`` fires (the terminal step's
    reward counts, as in the real environment) or when the model predicts a non-finite value.
    Returns the reward paths, the last observation of every row [N, obs_dim] (where it stopped)
    and a mask [N] of rows still running after ``horizon`` steps.
    """
    n = init_obs.shape[0]
    rewards = torch.zeros(n, horizon, dtype=torch.float64)
    lengths = torch.zeros(n, dtype=torch.int64)
    diverged = torch.zeros(n, dtype=torch.bool)
    last = init_obs.clone()
    alive = torch.ones(n, dtype=torch.bool)
    for t in range(horizon):
        rows = alive.nonzero().squeeze(1)
        if rows.numel() == 0:
            break
        obs = last[rows]
        act = batched_actions(actor, obs, generator)
        next_obs, reward = model.sample_step(obs, act, generator)
        next_obs, reward = next_obs.to(last), reward.double().cpu()
        bad = ~(torch.isfinite(next_obs).all(dim=1).cpu() & torch.isfinite(reward))
        done = termination(obs, act, next_obs).cpu() | bad
        rewards[rows, t] = torch.where(bad, 0.0, reward)
        lengths[rows] = t + 1
        last[rows[~bad]] = next_obs[~bad.to(next_obs.device)]
        diverged[rows[bad]] = True
        alive[rows[done]] = False
    paths = RewardPaths(rewards.numpy(), lengths.numpy(), diverged.numpy())
    return paths, last, alive


def real_episodes(env: gymnasium.Env, actor: list[Tensor], seeds: list[int],
                  generator: torch.Generator) -> RewardPaths:
    """One real episode of ``actor`` per seed (``env.reset(seed=s)``) until termination or the
    time limit; see :func:`boundcheck.experiments.common.collect.collect_episodes` for the
    transitions themselves."""
    return RewardPaths.from_lists(collect_episodes(env, actor, seeds, generator=generator)[1])


def initial_observations(env: gymnasium.Env, seeds: list[int]) -> np.ndarray:
    """The first observation of the episode seeded with each seed [N, obs_dim]."""
    return np.stack([np.asarray(env.reset(seed=s)[0], dtype=np.float32) for s in seeds])


def branched_episodes(env: gymnasium.Env, model: StepModel, termination: Any,
                      actor_pi: list[Tensor], actor_d: list[Tensor], seeds: list[int], k: int,
                      horizon: int, generator: torch.Generator) -> RewardPaths:
    """η^branch episodes: k model steps with π from s_0 of each seed, then π_D in the real env.

    The prefix is batched over episodes. Each surviving episode then resets the env with its
    seed (re-arming the time limit and the env's noise stream), sets the simulator to the
    predicted observation (:func:`boundcheck.envs.set_env_state`; π_D then sees the env's own
    observation of that state, which differs only where the env clips velocities) and
    continues with π_D for the remaining ``horizon − k`` steps or until termination. With
    k = 0 no state is set: the episode is exactly π_D's real episode from that seed.
    """
    device = actor_pi[0].device
    init = torch.as_tensor(initial_observations(env, seeds), device=device)
    prefix, last, alive = model_episodes(model, termination, actor_pi, init, min(k, horizon),
                                         generator)
    episodes = []
    for i, seed in enumerate(seeds):
        head = prefix.rewards[i, : prefix.lengths[i]]
        tail: list[float] = []
        if bool(alive[i]) and k < horizon:
            obs = np.asarray(env.reset(seed=seed)[0], dtype=np.float32)
            if k > 0:
                obs = set_env_state(env, last[i].cpu().numpy().astype(np.float32))
            for _ in range(horizon - k):
                action = stochastic_action(actor_d, obs, generator)
                next_obs, reward, terminated, _, _ = env.step(action.astype(np.float64))
                obs = np.asarray(next_obs, dtype=np.float32)
                tail.append(float(reward))
                if terminated:
                    break
        episodes.append(np.concatenate([head, np.asarray(tail, dtype=np.float64)]))
    paths = RewardPaths.from_lists(episodes)
    return RewardPaths(paths.rewards, paths.lengths, prefix.diverged.copy())
