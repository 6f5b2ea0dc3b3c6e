"""Real transitions collected with a fixed policy, and the known true law where there is one.

Used by the model-generalization experiment (paper Section 4.3; docs/paper.md, "The
model-generalization experiment"): π_D collects the model's training set, and every policy π
(π_D and its continued-SAC snapshots) collects the real transitions on which ε_m′(π) is
measured.

Policies are given as actor parameter lists (:func:`boundcheck.agents.networks.actor_forward`)
and act stochastically, as SAC collects data: a = tanh(u), u ~ N(mean, diag(exp(log_std)²)),
the noise drawn from a passed ``torch.Generator``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import gymnasium
import numpy as np
import torch
from torch import Tensor

from boundcheck.agents.networks import actor_forward
from boundcheck.config import TrainConfig
from boundcheck.envs import EnvSpec, state_chart
from boundcheck.models import make_dataset


@dataclass(frozen=True)
class Transitions:
    """N real transitions (s, a, r, s′) in collection order.

    ``timestep`` is each transition's step within its episode (0-based). ``clean_reward`` and
    ``clean_next_obs`` are the simulator's noise-free R(s, a) and F(s, a) when the env adds
    known noise (``info["clean_reward"]`` / ``info["clean_obs"]``), else ``None``.
    ``episode_returns`` holds the returns of the episodes that finished during collection.
    """

    obs: np.ndarray
    act: np.ndarray
    reward: np.ndarray
    next_obs: np.ndarray
    terminated: np.ndarray
    timestep: np.ndarray
    clean_reward: np.ndarray | None
    clean_next_obs: np.ndarray | None
    episode_returns: tuple[float, ...]

    def __len__(self) -> int:
        return int(self.obs.shape[0])

    def head(self, n: int) -> Transitions:
        """The first ``n`` transitions (a data set of size n from the same π_D stream)."""
        cut: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            cut[f.name] = value[:n] if isinstance(value, np.ndarray) else value
        return Transitions(**cut)

    def model_targets(self) -> tuple[Tensor, Tensor, Tensor]:
        """``(obs, act, y)`` tensors; y = [r, s′ − s] as the ensemble predicts."""
        obs, act = torch.from_numpy(self.obs), torch.from_numpy(self.act)
        _, targets = make_dataset(obs, act, torch.from_numpy(self.reward),
                                  torch.from_numpy(self.next_obs))
        return obs, act, targets

    def true_mean(self) -> Tensor:
        """Mean of the true law of y = [r, s′ − s]: [R(s, a), F(s, a) − s] (needs clean data)."""
        if self.clean_reward is None or self.clean_next_obs is None:
            raise ValueError("no clean (noise-free) outcomes were recorded")
        clean = np.concatenate([self.clean_reward[:, None], self.clean_next_obs - self.obs],
                               axis=1)
        return torch.from_numpy(clean.astype(np.float64))


def stochastic_action(actor: list[Tensor], obs: np.ndarray,
                      generator: torch.Generator) -> np.ndarray:
    """One action a = tanh(mean + exp(log_std) · ξ), ξ ~ N(0, I) from ``generator``."""
    device = actor[0].device
    with torch.no_grad():
        x = torch.as_tensor(obs, dtype=torch.float32, device=device).unsqueeze(0)
        mean, log_std = actor_forward(actor, x)
        noise = torch.randn(mean.shape, generator=generator, device=device)
        return torch.tanh(mean + log_std.exp() * noise)[0].cpu().numpy()


_FIELDS = ("obs", "act", "reward", "next_obs", "terminated", "timestep", "clean_reward",
           "clean_next_obs")


class _Recorder:
    """Accumulates transitions (and finished-episode returns) into a :class:`Transitions`."""

    def __init__(self) -> None:
        self.rows: dict[str, list[Any]] = {k: [] for k in _FIELDS}
        self.returns: list[float] = []

    def add(self, obs: np.ndarray, action: np.ndarray, reward: float, next_obs: np.ndarray,
            terminated: bool, t: int, info: dict[str, Any]) -> None:
        values = (obs, action, reward, next_obs, float(terminated), t, info.get("clean_reward"),
                  info.get("clean_obs"))
        for key, value in zip(_FIELDS, values, strict=True):
            self.rows[key].append(value)

    def build(self) -> Transitions:
        rows = self.rows
        has_clean = all(v is not None for v in rows["clean_reward"])
        return Transitions(
            obs=np.stack(rows["obs"]), act=np.stack(rows["act"]).astype(np.float32),
            reward=np.asarray(rows["reward"], np.float32), next_obs=np.stack(rows["next_obs"]),
            terminated=np.asarray(rows["terminated"], np.float32),
            timestep=np.asarray(rows["timestep"], np.int64),
            clean_reward=np.asarray(rows["clean_reward"], np.float64) if has_clean else None,
            clean_next_obs=np.stack(rows["clean_next_obs"]).astype(np.float64) if has_clean
            else None,
            episode_returns=tuple(self.returns),
        )


def _step(env: gymnasium.Env, actor: list[Tensor], obs: np.ndarray, generator: torch.Generator,
          recorder: _Recorder, t: int) -> tuple[np.ndarray, float, bool, bool]:
    """One stochastic step of ``actor``, recorded; returns (next_obs, reward, terminated,
    truncated)."""
    action = stochastic_action(actor, obs, generator)
    next_obs, reward, terminated, truncated, info = env.step(action.astype(np.float64))
    next_obs = np.asarray(next_obs, dtype=np.float32)
    recorder.add(obs, action, float(reward), next_obs, bool(terminated), t, info)
    return next_obs, float(reward), bool(terminated), bool(truncated)


def collect(env: gymnasium.Env, actor: list[Tensor], n: int, *, env_seed: int,
            generator: torch.Generator) -> Transitions:
    """``n`` transitions with the stochastic policy ``actor`` in ``env`` (reset with ``env_seed``).

    Episodes restart on termination or time-limit truncation; the env's own RNG (seeded once
    here) drives later resets and the known noise, so the same ``env_seed`` and generator
    state give the same initial states and noise draws (common random numbers across policies).
    """
    if n < 1:
        raise ValueError(f"n must be positive, got {n}")
    obs = np.asarray(env.reset(seed=env_seed)[0], dtype=np.float32)
    recorder = _Recorder()
    t, ret = 0, 0.0
    for _ in range(n):
        obs, reward, terminated, truncated = _step(env, actor, obs, generator, recorder, t)
        t, ret = t + 1, ret + reward
        if terminated or truncated:
            recorder.returns.append(ret)
            obs, t, ret = np.asarray(env.reset()[0], dtype=np.float32), 0, 0.0
    return recorder.build()


def collect_episodes(env: gymnasium.Env, actor: list[Tensor], seeds: list[int], *,
                     generator: torch.Generator) -> tuple[Transitions, list[np.ndarray]]:
    """One whole episode per seed (``env.reset(seed=s)``), until termination or time limit.

    Returns the transitions of all episodes in order and each episode's rewards (float64).
    """
    if not seeds:
        raise ValueError("need at least one episode seed")
    recorder, rewards = _Recorder(), []
    for seed in seeds:
        obs = np.asarray(env.reset(seed=seed)[0], dtype=np.float32)
        episode: list[float] = []
        done = False
        while not done:
            obs, reward, terminated, truncated = _step(env, actor, obs, generator, recorder,
                                                       len(episode))
            episode.append(reward)
            done = terminated or truncated
        recorder.returns.append(float(np.sum(episode)))
        rewards.append(np.asarray(episode, dtype=np.float64))
    return recorder.build(), rewards


def true_law_std(env: gymnasium.Env, spec: EnvSpec,
                 config: TrainConfig) -> tuple[np.ndarray | None, str | None]:
    """Std of the known Gaussian law of y = [r, s′ − s] given (s, a), or why there is none.

    Returns ``(std [1 + obs_dim], None)`` when the run adds known noise to BOTH the reward
    (σ_r) and the next state (σ_s) and that noise is Gaussian in observation space on every
    observation entry: then y ~ N([R(s, a), F(s, a) − s], diag(σ_r², σ_s², …, σ_s²)) exactly
    (KnownNoiseWrapper, :mod:`boundcheck.envs.make`). Otherwise ``(None, reason)``: some
    coordinate of y is deterministic or non-Gaussian given (s, a), and the TV of any continuous
    model to a deterministic coordinate is 1 (``TV_TO_DETERMINISTIC``).
    """
    s_noise, r_noise = config.transition_noise, config.reward_noise
    if s_noise <= 0.0 and r_noise <= 0.0:
        return None, ("the run's simulator is deterministic (no --transition-noise or "
                      "--reward-noise): the TV of any continuous model to it is 1, so NLL and "
                      "MSE are reported as proxies")
    if s_noise <= 0.0 or r_noise <= 0.0:
        which = "transition_noise" if s_noise <= 0.0 else "reward_noise"
        return None, (f"the run's {which} is 0: that part of the transition is deterministic "
                      "and its TV to any continuous model is 1; NLL and MSE are proxies")
    chart = state_chart(env)
    if not chart.gaussian_in_obs:
        return None, (f"{spec.name} adds its noise to angles, not to the observation (sines and "
                      "cosines): the true law is not Gaussian in observation space")
    if chart.num_coords != spec.obs_dim:
        return None, (f"{spec.name}'s observation entries {chart.num_coords}..{spec.obs_dim - 1} "
                      "are not state and carry no noise (deterministic coordinates: TV 1)")
    std = np.full(1 + spec.obs_dim, s_noise, dtype=np.float64)
    std[0] = r_noise
    return std, None
