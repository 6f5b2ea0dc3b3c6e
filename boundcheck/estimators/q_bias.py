"""Critic bias: the critic's Q(s, a) against the Monte-Carlo soft return of the same policy from
the same state and action (docs/results/questions.md, "What is overfitting in RL?").

SAC's critic (softlearning's target, ``boundcheck.agents.losses.soft_td_target``) estimates the
soft action value of the stochastic policy π it trains:

    Q^π(s_t, a_t) = E[ r_t + Σ_{u>t} γ^{u−t} (r_u − α log π(a_u | s_u)) ],

the entropy bonus counted from the *next* step on, and 0 after a termination. One episode of π
from (s_t, a_t) gives an unbiased sample of it, the soft return-to-go

    G_t = r_t + γ (G_{t+1} + b_{t+1}),  G_{T−1} = r_{T−1},  b_u = −α log π(a_u | s_u),

when the episode ends by termination. When it ends at the time limit the terms beyond it are
missing; a step t is then used only if the discount left at the cut, γ^{T−t}, is at most
``tail`` (the missing part is at most ``tail`` × the largest |soft value|). The bias of one
episode is the mean of Q(s_t, a_t) − G_t over its used steps; episodes are the independent
units, so the interval is a Student t interval over episodes (the steps of one episode are
correlated). The normalised bias divides by |mean G| over the used steps, as in REDQ (Chen et al.
2021, "Randomized Ensembled Double Q-Learning", Section 4), which makes tasks comparable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from boundcheck.theory.verdict import Estimate, mean_estimate


def soft_returns_to_go(rewards: np.ndarray, bonus: np.ndarray, gamma: float) -> np.ndarray:
    """G_t for one episode: ``rewards[t]`` plus the discounted rewards and entropy bonuses
    ``bonus[u] = −α log π(a_u|s_u)`` of every later step u > t (the module's recursion)."""
    r = np.asarray(rewards, dtype=np.float64)
    b = np.asarray(bonus, dtype=np.float64)
    if r.shape != b.shape or r.ndim != 1:
        raise ValueError(f"rewards and bonus must be equal-length vectors, got {r.shape}, "
                         f"{b.shape}")
    if not 0.0 < gamma < 1.0:
        raise ValueError(f"gamma must be in (0, 1), got {gamma}")
    g = np.empty_like(r)
    acc = 0.0
    for t in range(r.size - 1, -1, -1):
        acc = r[t] + (gamma * (acc + b[t + 1]) if t + 1 < r.size else 0.0)
        g[t] = acc
    return g


def used_steps(length: int, terminated: bool, gamma: float, tail: float) -> int:
    """How many leading steps of an episode of ``length`` steps have an (almost) complete
    return: all of them after a termination, else those with γ^{length − t} ≤ ``tail``."""
    if length < 0:
        raise ValueError(f"length must be >= 0, got {length}")
    if not 0.0 < tail < 1.0:
        raise ValueError(f"tail must be in (0, 1), got {tail}")
    if terminated:
        return length
    need = math.ceil(math.log(tail) / math.log(gamma))
    return max(0, length - need + 1)


@dataclass(frozen=True)
class EpisodeBias:
    """One episode's used steps, its mean Q − G over them and its mean G."""

    steps: int
    bias: float
    mean_return: float


def episode_bias(q: np.ndarray, rewards: np.ndarray, bonus: np.ndarray, *, terminated: bool,
                 gamma: float, tail: float) -> EpisodeBias | None:
    """The bias of one episode (module doc), or ``None`` if no step is usable."""
    g = soft_returns_to_go(rewards, bonus, gamma)
    n = used_steps(g.size, terminated, gamma, tail)
    if n == 0:
        return None
    qq = np.asarray(q, dtype=np.float64)[:n]
    return EpisodeBias(steps=n, bias=float(np.mean(qq - g[:n])),
                       mean_return=float(np.mean(g[:n])))


@dataclass(frozen=True)
class QBias:
    """Over episodes: the mean of Q − G (t interval over episodes), the mean G, the bias over
    |mean G| (the same interval scaled; ``nan`` when mean G is 0) and the counts."""

    bias: Estimate
    mean_return: float
    normalised: float
    normalised_low: float
    normalised_high: float
    episodes: int
    steps: int


def q_bias(episodes: list[EpisodeBias], confidence: float = 0.95) -> QBias:
    """Pool per-episode biases (each episode one unit; weights equal)."""
    if not episodes:
        raise ValueError("no episode has a usable step")
    est = mean_estimate(np.array([e.bias for e in episodes]), confidence)
    mean_g = float(np.mean([e.mean_return for e in episodes]))
    scale = abs(mean_g) if mean_g != 0.0 else math.nan
    return QBias(bias=est, mean_return=mean_g, normalised=est.mean / scale,
                 normalised_low=est.low / scale, normalised_high=est.high / scale,
                 episodes=len(episodes), steps=sum(e.steps for e in episodes))
