"""Policy shift ε_π = max_s D_TV(π(·|s) ‖ π_D(·|s)) for SAC's tanh-squashed Gaussian policies.

Symbols (paper Section 4; docs/paper.md §2): π the new policy, π_D the data-collecting policy.
SAC's action is a = tanh(u), u ~ N(mean, diag(exp(log_std)²)) (``SAC.policy_distribution``
gives the pre-tanh ``(mean, log_std)``, each [B, act_dim]).

Invariance under the squash. tanh is a smooth bijection from ℝ^A onto (−1, 1)^A. For any
bijection T, D_KL(T#p ‖ T#q) = D_KL(p‖q) (the Jacobian factors of the two densities cancel in
the ratio) and D_TV(T#p ‖ T#q) = D_TV(p‖q) (T maps events one-to-one). So both are computed
exactly on the pre-tanh Gaussians, with no Jacobian terms and no clipping issues at ±1.

Pinsker: D_TV(P‖Q) ≤ sqrt(½ D_KL(P‖Q)). TV is symmetric, so either KL direction bounds it, and
the smaller of the two bounds (min over directions) is a valid, tighter bound.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, overload

import numpy as np
import scipy.stats
import torch
from torch import Tensor

from boundcheck.estimators._mc import check_mc_args, diag_gaussian_log_prob, mc_tv

QUANTITIES = ("kl_pi_d", "kl_d_pi", "pinsker_pi_d", "pinsker_d_pi", "pinsker_min", "tv_mc")
STATS = ("mean", "max", "p95", "p99")


def kl_diag_gaussians(mean_p: Tensor, log_std_p: Tensor, mean_q: Tensor,
                      log_std_q: Tensor) -> Tensor:
    """Exact D_KL(p‖q) for diagonal Gaussians, summed over the last dim: [...] (e.g. [B]).

    p = N(mean_p, diag(σ_p²)), q = N(mean_q, diag(σ_q²)), σ = exp(log_std):
    D_KL = Σ_d [ log σ_q,d − log σ_p,d + (σ_p,d² + (μ_p,d − μ_q,d)²) / (2 σ_q,d²) − ½ ].
    Equal to the KL between the tanh-squashed policies (module doc: KL is invariant under
    bijections). Nats.
    """
    var_ratio = torch.exp(2.0 * (log_std_p - log_std_q))
    mahal = (mean_p - mean_q).square() * torch.exp(-2.0 * log_std_q)
    per_dim = 0.5 * (var_ratio + mahal - 1.0) - (log_std_p - log_std_q)
    return per_dim.sum(dim=-1)


@overload
def pinsker_tv(kl: float) -> float: ...
@overload
def pinsker_tv(kl: Tensor) -> Tensor: ...


def pinsker_tv(kl: float | Tensor) -> float | Tensor:
    """Pinsker's upper bound on TV from a KL (nats): min(1, sqrt(KL / 2)).

    TV never exceeds 1, so the bound is capped there. Tiny negative KLs from rounding are
    treated as 0.
    """
    if isinstance(kl, Tensor):
        bound: Tensor = (kl.clamp(min=0.0) / 2.0).sqrt().clamp(max=1.0)
        return bound
    return min(1.0, math.sqrt(max(0.0, float(kl)) / 2.0))


def tv_monte_carlo(
    mean_p: Tensor, log_std_p: Tensor, mean_q: Tensor, log_std_q: Tensor,
    generator: torch.Generator, n_samples: int = 1000, *, chunk_size: int = 256,
) -> tuple[Tensor, Tensor]:
    """Monte Carlo D_TV(p‖q) per row for diagonal Gaussians [B, A]: ``(tv [B], stderr [B])``.

    Unbiased identity D_TV(p‖q) = E_{u~p}[max(0, 1 − q(u)/p(u))], evaluated in log space with
    ``n_samples`` draws per row from ``generator`` (a ``torch.Generator`` on the tensors'
    device), ``chunk_size`` at a time. ``stderr`` is the MC standard error. Equal to the TV
    between the tanh-squashed policies (module doc). Compare with :func:`pinsker_tv` bounds.
    """
    if not mean_p.shape == log_std_p.shape == mean_q.shape == log_std_q.shape \
            or mean_p.ndim != 2:
        raise ValueError("all four parameters must have the same [B, A] shape")
    check_mc_args(n_samples, chunk_size)
    std_p = log_std_p.exp()

    def log_ratio(n: int) -> Tensor:
        z = torch.randn((n, *mean_p.shape), generator=generator, device=mean_p.device,
                        dtype=mean_p.dtype)
        u = mean_p + std_p * z
        return diag_gaussian_log_prob(u, mean_q, log_std_q) - \
            diag_gaussian_log_prob(u, mean_p, log_std_p)

    with torch.no_grad():
        return mc_tv(log_ratio, n_samples, chunk_size)


def _summary_stats(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """[mean, max, 95th percentile, 99th percentile] along ``axis`` (linear interpolation)."""
    return np.stack([x.mean(axis=axis), x.max(axis=axis),
                     np.quantile(x, 0.95, axis=axis), np.quantile(x, 0.99, axis=axis)])


def _bootstrap_ci(values: np.ndarray, rng: np.random.Generator, n_resamples: int,
                  confidence_level: float, method: str) -> tuple[np.ndarray, np.ndarray]:
    with warnings.catch_warnings():
        # BCa's jackknife acceleration is 0/0 for the max (and for flat upper tails): scipy
        # warns and returns NaN, which the caller replaces with the percentile interval.
        warnings.simplefilter("ignore", category=RuntimeWarning)
        warnings.simplefilter("ignore", category=scipy.stats.DegenerateDataWarning)
        res = scipy.stats.bootstrap((values,), _summary_stats, vectorized=True,
                                    n_resamples=n_resamples, confidence_level=confidence_level,
                                    method=method, random_state=rng)
    return np.asarray(res.confidence_interval.low), np.asarray(res.confidence_interval.high)


def _cluster_resamples(clusters: np.ndarray, rng: np.random.Generator,
                       n_resamples: int) -> list[np.ndarray] | None:
    """Row indices of ``n_resamples`` resamples of whole clusters (episodes) with replacement;
    None with fewer than two clusters."""
    _, inverse = np.unique(clusters, return_inverse=True)
    count = int(inverse.max()) + 1 if inverse.size else 0
    if count < 2:
        return None
    members = [np.flatnonzero(inverse == c) for c in range(count)]
    return [np.concatenate([members[c] for c in rng.integers(count, size=count)])
            for _ in range(n_resamples)]


def _cluster_ci(values: np.ndarray, resamples: list[np.ndarray],
                confidence_level: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of the summary statistics over the cluster resamples (the states
    of one episode are not independent draws)."""
    draws = np.stack([_summary_stats(values[rows]) for rows in resamples])
    alpha = (1.0 - confidence_level) / 2
    return np.quantile(draws, alpha, axis=0), np.quantile(draws, 1.0 - alpha, axis=0)


def _aggregate(values: np.ndarray, rng: np.random.Generator, n_resamples: int,
               confidence_level: float, method: str,
               resamples: list[np.ndarray] | None = None) -> dict[str, dict[str, Any]]:
    point = _summary_stats(values)
    methods = [method] * len(STATS)
    if resamples is not None and np.ptp(values) > 0:
        low, high = _cluster_ci(values, resamples, confidence_level)
        methods = ["episode percentile"] * len(STATS)
    elif values.size >= 2 and np.ptp(values) > 0:
        low, high = _bootstrap_ci(values, rng, n_resamples, confidence_level, method)
        bad = np.isnan(low) | np.isnan(high)
        if bad.any():
            p_low, p_high = _bootstrap_ci(values, rng, n_resamples, confidence_level,
                                          "percentile")
            low, high = np.where(bad, p_low, low), np.where(bad, p_high, high)
            methods = ["percentile" if b else method for b in bad]
    elif values.size >= 2:  # constant data: every resample gives the same statistics
        low = high = point
    else:
        low = high = np.full(len(STATS), np.nan)
    return {name: {"value": float(point[i]), "ci_low": float(low[i]), "ci_high": float(high[i]),
                   "ci_method": methods[i]}
            for i, name in enumerate(STATS)}


def per_state_summary(values: np.ndarray, rng: np.random.Generator, *,
                      clusters: np.ndarray | None = None, n_resamples: int = 1000,
                      confidence_level: float = 0.95) -> dict[str, dict[str, Any]]:
    """Mean, max, 95th and 99th percentile of a per-state quantity with percentile-bootstrap
    intervals: over whole ``clusters`` (episodes) when given with at least two, else over
    states (the same aggregation :func:`policy_shift_report` applies to each measure)."""
    resamples = None if clusters is None else _cluster_resamples(clusters, rng, n_resamples)
    return _aggregate(np.asarray(values, dtype=np.float64), rng, n_resamples, confidence_level,
                      "percentile", resamples)


def policy_shift_report(
    mean_pi: Tensor, log_std_pi: Tensor, mean_d: Tensor, log_std_d: Tensor,
    generator: torch.Generator, n_mc: int, rng_bootstrap: np.random.Generator, *,
    n_resamples: int = 1000, confidence_level: float = 0.95, method: str = "percentile",
    chunk_size: int = 256, clusters: np.ndarray | None = None,
) -> dict[str, Any]:
    """Per-state policy-shift measures between π and π_D over B states, with aggregates.

    Inputs are the pre-tanh Gaussians of π (``mean_pi``, ``log_std_pi``) and π_D (``mean_d``,
    ``log_std_d``) at the same B states, each [B, A].

    The theory uses ε_π = max_s D_TV(π(·|s) ‖ π_D(·|s)). Per state this reports:
    ``kl_pi_d`` = D_KL(π‖π_D), ``kl_d_pi`` = D_KL(π_D‖π) (the paper's x-axis is KL(π‖π_D));
    ``pinsker_pi_d``, ``pinsker_d_pi`` = Pinsker bounds from each; ``pinsker_min`` = their min
    (valid since TV is symmetric; the tightest bound); ``tv_mc`` = Monte Carlo TV estimate
    (``n_mc`` draws per state from ``generator``) with per-state MC stderr ``tv_mc_stderr``.

    Aggregates over the B states (``stats[q][s]`` for q in :data:`QUANTITIES`, s in
    :data:`STATS` = mean, max, p95, p99), each ``{"value", "ci_low", "ci_high", "ci_method"}``
    with a ``scipy.stats.bootstrap`` confidence interval (``method`` "percentile" or "BCa",
    ``confidence_level``, ``n_resamples``, random_state = ``rng_bootstrap``) over resampled
    states; the MC noise inside ``tv_mc`` is part of what is resampled. With ``clusters`` [B]
    (the episode of each state) whole episodes are resampled instead (percentile intervals,
    ``ci_method`` "episode percentile"): the states of one episode are not independent.
    CAVEAT: bootstrap intervals for the max (and for high percentiles with few states) are
    unreliable: a resample can never exceed the observed max, so the interval sits
    at or below it and does not cover the true sup over all states. They are reported anyway.
    The max over states of ``tv_mc`` is also biased upward by MC noise (compare the stderrs).
    BCa is undefined for the max (its jackknife acceleration is 0/0); where BCa yields NaN the
    percentile interval is used instead and ``ci_method`` says so. Constant data get a
    degenerate interval [value, value]; B = 1 gets NaN intervals.

    Keys: ``n_states``, ``n_mc``, ``confidence_level``, ``method``, ``stats`` (as above),
    ``eps_policy_pinsker`` (= max_s pinsker_min, a valid upper bound on ε_π over these
    states), ``eps_policy_mc`` (= max_s tv_mc), ``per_state`` ({q: np.ndarray [B]}), and
    ``tv_mc_stderr`` (np.ndarray [B]).
    """
    if method not in ("percentile", "BCa"):
        raise ValueError(f"method must be 'percentile' or 'BCa', got {method!r}")
    with torch.no_grad():
        kl_pd = kl_diag_gaussians(mean_pi, log_std_pi, mean_d, log_std_d)
        kl_dp = kl_diag_gaussians(mean_d, log_std_d, mean_pi, log_std_pi)
        tv, tv_se = tv_monte_carlo(mean_pi, log_std_pi, mean_d, log_std_d, generator, n_mc,
                                   chunk_size=chunk_size)
        pin_pd, pin_dp = pinsker_tv(kl_pd), pinsker_tv(kl_dp)
        tensors = {"kl_pi_d": kl_pd, "kl_d_pi": kl_dp, "pinsker_pi_d": pin_pd,
                   "pinsker_d_pi": pin_dp, "pinsker_min": torch.minimum(pin_pd, pin_dp),
                   "tv_mc": tv}
    per_state = {q: tensors[q].double().cpu().numpy() for q in QUANTITIES}
    resamples = None if clusters is None else _cluster_resamples(
        np.asarray(clusters), rng_bootstrap, n_resamples)
    stats = {q: _aggregate(per_state[q], rng_bootstrap, n_resamples, confidence_level, method,
                           resamples) for q in QUANTITIES}
    return {
        "n_states": int(mean_pi.shape[0]), "n_mc": n_mc,
        "confidence_level": confidence_level, "method": method, "stats": stats,
        "eps_policy_pinsker": stats["pinsker_min"]["max"]["value"],
        "eps_policy_mc": stats["tv_mc"]["max"]["value"],
        "per_state": per_state, "tv_mc_stderr": tv_se.double().cpu().numpy(),
    }
