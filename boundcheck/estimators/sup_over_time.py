"""ε_m as the paper defines it: a sup over time of an expected error, with an upper confidence
bound that accounts for the maximum's selection.

The paper's ε_m is max_t E_{s∼π_D,t}[TV(p(·|s, a), p̂(·|s, a))] (Section 4, Theorem 4.1;
docs/paper.md): the largest, over time steps t, of the expected error under π_D's state
distribution at step t. The data are whole episodes; the value at step t is estimated by the
mean over the episodes that reach t. Three things make the naive "largest bucket mean" a poor
estimate of this sup, and each is handled here:

- **Width.** A bucket of w steps averages the error over w steps, so its mean can fall short
  of the worst single step. The default width is 1 (one bucket per step).
- **Selection.** The largest of many noisy means is biased upward, and a standard error of the
  chosen bucket ignores that it was chosen. The upper confidence bound is simultaneous over
  buckets: with c the (confidence) quantile of the bootstrap max-t statistic
  max_b (μ̂_b − μ̂*_b)/se*_b, every bucket satisfies μ_b ≤ μ̂_b + c·se*_b at once with the
  stated confidence, hence so does their max: ``upper = max_b (μ̂_b + c·se*_b)``.
  ``boot_bias`` = E*[max_b μ̂*_b] − max_b μ̂_b estimates the upward bias of the point value.
- **Dependence.** The steps of one episode are not independent draws. The bootstrap resamples
  whole episodes (a cluster bootstrap), so every interval here is over episodes.

Only buckets reached by at least ``min_episodes`` episodes take part in the sup (late steps
reached by few episodes carry too little information for an interval). TV values lie in
[0, 1], so the bound is capped at 1 when ``cap`` is given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["SupOverTimeEstimate", "episode_ids", "sup_over_time"]


@dataclass(frozen=True)
class SupOverTimeEstimate:
    """The sup over time buckets of a per-step mean, with its selection-aware upper bound.

    ``point``: max_b μ̂_b over the eligible buckets (biased upward, see ``boot_bias``), and
    ``point_stderr`` the standard error of that bucket's mean over episodes (it ignores the
    selection: use ``upper``);
    ``upper``: the simultaneous upper confidence bound on max_b μ_b at ``confidence`` (the one a
    lower bound on the return must use); ``argmax_t``: the first step of the bucket attaining
    ``point``; ``mean``: the mean over every transition pooled (an episode average, not the
    sup); ``mean_stderr``: its standard error over episodes (cluster bootstrap).
    """

    point: float
    point_stderr: float
    upper: float
    confidence: float
    argmax_t: int
    boot_bias: float
    mean: float
    mean_stderr: float
    bucket_width: int
    buckets: int
    episodes: int
    min_episodes: int
    n: int


def episode_ids(timesteps: np.ndarray) -> np.ndarray:
    """Episode index of each transition, from the within-episode steps in collection order: a
    new episode starts wherever the step does not follow the previous one by 1."""
    t = np.asarray(timesteps).reshape(-1)
    if t.size == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.ones(t.size, dtype=bool)
    starts[1:] = t[1:] != t[:-1] + 1
    return np.cumsum(starts) - 1


def _bucket_sums(values: np.ndarray, episodes: np.ndarray, buckets: np.ndarray,
                 n_episodes: int, n_buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """[episode, bucket] sums of the values and counts of the transitions."""
    flat = episodes * n_buckets + buckets
    size = n_episodes * n_buckets
    sums = np.bincount(flat, weights=values, minlength=size).reshape(n_episodes, n_buckets)
    counts = np.bincount(flat, minlength=size).reshape(n_episodes, n_buckets)
    return sums, counts.astype(np.float64)


def sup_over_time(values: Sequence[float] | np.ndarray, timesteps: Sequence[int] | np.ndarray,
                  *, rng: np.random.Generator, bucket_width: int = 1, min_episodes: int = 10,
                  confidence: float = 0.95, n_boot: int = 1000,
                  cap: float | None = None) -> SupOverTimeEstimate | None:
    """The sup over time of the per-step mean of ``values`` (module doc), or None when no
    bucket is reached by ``min_episodes`` episodes.

    ``values`` [N]: one value per transition (a TV estimate, or a proxy); ``timesteps`` [N]:
    each transition's step within its episode, in collection order (episodes are recovered
    from them, :func:`episode_ids`). Bucket b holds steps [b·w, (b+1)·w).
    """
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    t = np.asarray(timesteps).reshape(-1)
    if v.shape != t.shape or v.size == 0:
        raise ValueError(f"values and timesteps must be non-empty and of equal length, "
                         f"got {v.size} and {t.size}")
    if not np.issubdtype(t.dtype, np.integer) or bool((t < 0).any()):
        raise ValueError("timesteps must be non-negative integers")
    if bucket_width < 1 or min_episodes < 2 or n_boot < 10 or not 0 < confidence < 1:
        raise ValueError("need bucket_width >= 1, min_episodes >= 2, n_boot >= 10 and "
                         "0 < confidence < 1")
    ep = episode_ids(t)
    n_ep = int(ep[-1]) + 1
    b = (t // bucket_width).astype(np.int64)
    n_b = int(b.max()) + 1
    sums, counts = _bucket_sums(v, ep, b, n_ep, n_b)
    reached = (counts > 0).sum(axis=0)
    keep = np.flatnonzero(reached >= min_episodes)
    if keep.size == 0:
        return None
    sums, counts = sums[:, keep], counts[:, keep]
    mu = sums.sum(axis=0) / counts.sum(axis=0)
    # Resample whole episodes: multiplicities [n_boot, episodes] of a multinomial draw.
    weights = rng.multinomial(n_ep, np.full(n_ep, 1.0 / n_ep), size=n_boot).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mu_star = (weights @ sums) / (weights @ counts)  # NaN where a draw misses a bucket
        pooled_star = (weights @ sums.sum(axis=1)) / (weights @ counts.sum(axis=1))
    with np.errstate(invalid="ignore"):
        se = np.nanstd(mu_star, axis=0, ddof=1)
    se = np.where(np.isfinite(se), se, 0.0)
    # Max-t over buckets per draw; a bucket without spread (or missing from a draw) adds none.
    z = (mu[None, :] - mu_star) / np.where(se > 0, se, 1.0)
    z = np.where((se > 0)[None, :] & np.isfinite(z), z, -np.inf)
    c = float(np.quantile(z.max(axis=1), confidence, method="higher"))
    upper = float(np.max(mu + (max(c, 0.0) if math.isfinite(c) else 0.0) * se))
    point_at = int(np.argmax(mu))
    boot_max = np.nanmax(mu_star, axis=1)
    pooled = float(v.mean())
    return SupOverTimeEstimate(
        point=float(mu[point_at]), point_stderr=float(se[point_at]),
        upper=upper if cap is None else min(cap, upper),
        confidence=confidence, argmax_t=int(keep[point_at]) * bucket_width,
        boot_bias=float(np.mean(boot_max) - mu[point_at]), mean=pooled,
        mean_stderr=float(np.nanstd(pooled_star, ddof=1)), bucket_width=bucket_width,
        buckets=int(keep.size), episodes=n_ep, min_episodes=min_episodes, n=int(v.size))

