"""Rung 2's per-step charges, assembled from per-step expected TVs (docs/ladder.md, rung 2).

One assembly serves both uses of rung 2: the exact check on finite MDPs
(:func:`boundcheck.theory.ladder.ladder_checks`, which feeds it exact marginals) and the
measured rung on a run (:mod:`boundcheck.experiments.validate.branch_rungs`, which feeds it
Monte Carlo means over episodes). Each bound is span · Σ_t γ^t min(1, c_t); these functions
return the charges c_t, t < n, and :func:`head_fraction` the saturated sum as a fraction of the
range of the returns it compares.

Symbols (docs/ladder.md, "Notation"): m(s) = E_{a~π} TV(P(·|s, a), P̂(·|s, a)), τ(s) =
TV(π(·|s), π_D(·|s)); d_t and q_t the true state marginals of π and π_D at step t.
"""

from __future__ import annotations

import numpy as np

from boundcheck.theory.tabular import Array

__all__ = ["branch_charges", "data_branch_charges", "first_gamma_above", "head_fraction",
           "model_charges"]


def _check(n: int, k: int, *arrays: Array) -> None:
    if n < 1 or k < 0:
        raise ValueError(f"need n ≥ 1 and k ≥ 0, got n={n}, k={k}")
    for a in arrays:
        if len(a) < n:
            raise ValueError(f"a per-step array has {len(a)} entries, fewer than n={n}")


def model_charges(model_err: Array, n: int) -> Array:
    """Rung 2a (full model rollouts): c_t = Σ_{j<t} E_{d_j} m, with model_err[j] = E_{d_j} m."""
    _check(n, 0, model_err)
    return np.concatenate([[0.0], np.cumsum(model_err[: n - 1])])


def branch_charges(model_err: Array, shift: Array, k: int, n: int) -> Array:
    """Rung 2b (Lemma B.4's branched return: k model steps of π from μ0, then π_D in P):
    c_t = Σ_{i<t} e_i + [t ≥ k] E_{d_t} τ, where e_i = model_err[i] = E_{d_i} m for i < k and
    e_i = shift[i] = E_{d_i} τ for i ≥ k."""
    _check(n, k, model_err, shift)
    t = np.arange(n)
    per_step = np.where(t < k, model_err[:n], shift[:n])
    return np.concatenate([[0.0], np.cumsum(per_step[: n - 1])]) + np.where(t >= k, shift[:n],
                                                                            0.0)


def data_branch_charges(shift_data: Array, model_from: Array, k: int, n: int) -> Array:
    """Rung 2c (MBPO's branched return: π_D in P for (t − k)⁺ steps, then π in P̂ for
    min(t, k) steps): c_t = Σ_{i<(t−k)⁺} shift_data[i] + model_from[(t−k)⁺, min(t, k)].

    ``shift_data[i]`` = E_{q_i} τ (at least n entries); ``model_from[m, j]`` = Σ_{i<j}
    E_{s~q_m P̂_π^i} m(s), the model error accumulated over the first j model steps of a branch
    started from π_D's step-m marginal, for m < max(1, n − k) and j = 0..k."""
    _check(n, k, shift_data)
    starts = max(1, n - k)
    if model_from.ndim != 2 or model_from.shape[0] < starts or model_from.shape[1] != k + 1:
        raise ValueError(f"model_from must be [≥ {starts}, {k + 1}], got {model_from.shape}")
    t = np.arange(n)
    start = np.maximum(t - k, 0)
    cum = np.concatenate([[0.0], np.cumsum(shift_data[:n])])
    return cum[start] + model_from[start, np.minimum(t, k)]


def head_fraction(charges: Array, gamma: float) -> float:
    """Σ_{t<n} γ^t min(1, c_t) / Σ_{t<n} γ^t: a bound on the gap of two horizon-n returns as a
    fraction of their range span · (1 − γ^n)/(1 − γ) (no tail: the returns stop at n). It is the
    γ-weighted mean of the saturated charges, so it grows with γ wherever c_t grows with t."""
    if not 0.0 < gamma < 1.0:
        raise ValueError(f"gamma must be in (0, 1), got {gamma!r}")
    weights = gamma ** np.arange(len(charges))
    return float(np.sum(weights * np.minimum(1.0, charges)) / np.sum(weights))


#: The γ grid of :func:`first_gamma_above`: steps of 0.001 to 0.999, then 1 − 10^(−x) up to x = 6.
GAMMA_GRID = np.concatenate([np.arange(1, 1000) / 1000.0,
                             1.0 - 10.0 ** -np.linspace(3.05, 6.0, 60)])


def first_gamma_above(charges: Array, level: float, tol: float = 1e-6) -> float | None:
    """The largest γ below which :func:`head_fraction` stays at most ``level``: the first
    crossing of the level on :data:`GAMMA_GRID`, refined by bisection between the two grid
    points around it (the fraction need not grow with γ: a charge that falls back to 0 once
    episodes end makes it fall again near γ = 1). None if even the smallest γ is above the
    level; the top of the grid if no γ is."""
    values = [head_fraction(charges, g) for g in GAMMA_GRID]
    above = [i for i, v in enumerate(values) if v > level]
    if not above:
        return float(GAMMA_GRID[-1])
    if above[0] == 0:
        return None
    low, high = float(GAMMA_GRID[above[0] - 1]), float(GAMMA_GRID[above[0]])
    while high - low > tol:
        mid = 0.5 * (low + high)
        low, high = (mid, high) if head_fraction(charges, mid) <= level else (low, mid)
    return low
