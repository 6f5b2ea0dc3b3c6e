"""Fits and seed aggregation of the model-generalization curves (paper Section 4.3).

The paper's linear approximation (PAPER.md, "Notation"): ε̂_m′(ε_π) ≈ ε_m + ε_π · dε_m′/dε_π.
Per training-set size and seed, the points (x, y) = (policy shift, model error) of π_D and its
snapshots are fitted by ordinary least squares (:func:`boundcheck.estimators.linear_fit`):

- x: ``kl`` = mean KL(π ‖ π_D) over π's states (the paper's axis, nats), or ``pinsker_tv`` =
  min(1, √(KL/2)) (the TV scale that Theorem 4.3 consumes);
- y: ``nll``, ``mse`` (proxies) and ``tv`` (only where the true law is known).

``linear`` fits all points. ``local`` is the slope at ε_π → 0: the fit over the
``local_points`` points of smallest x (:func:`boundcheck.estimators.local_slope`); π_D has x = 0
exactly, so by default (4) that is π_D and the 3 snapshots nearest to it. Slopes of repeated
seeds are summarised by :func:`boundcheck.estimators.mean_std` (mean, std with ddof 1, stderr).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

from boundcheck.estimators import (
    TV_TO_DETERMINISTIC,
    linear_fit,
    local_slope,
    mean_std,
    pinsker_tv,
)

X_MEASURES = {"kl": "kl_mean", "pinsker_tv": "pinsker_tv"}
Y_MEASURES = {"nll": "nll_mean", "mse": "mse_mean", "tv": "tv_mean"}
FIT_KINDS = ("linear", "local")


def _xy(points: Sequence[dict[str, Any]], x_key: str,
        y_key: str) -> tuple[list[float], list[float]]:
    pairs = [(p[x_key], p[y_key]) for p in points
             if p.get(x_key) is not None and p.get(y_key) is not None
             and math.isfinite(p[x_key]) and math.isfinite(p[y_key])]
    return [a for a, _ in pairs], [b for _, b in pairs]


def _fit(points: Sequence[dict[str, Any]], x_key: str, y_key: str, kind: str,
         local_points: int) -> dict[str, Any]:
    x, y = _xy(points, x_key, y_key)
    try:
        if kind == "linear":
            fit = linear_fit(x, y)
        else:
            fit = local_slope(x, y, n_nearest=min(local_points, len(x)))
    except ValueError as exc:
        return {"error": str(exc)}
    return dataclasses.asdict(fit)


def fit_points(points: Sequence[dict[str, Any]], *, local_points: int,
               y_measures: Sequence[str]) -> dict[str, Any]:
    """``{y: {x: {"linear": fit, "local": fit}}}``; a fit that cannot be made is
    ``{"error": message}`` (e.g. fewer than 2 points with distinct x)."""
    return {y: {x: {kind: _fit(points, X_MEASURES[x], Y_MEASURES[y], kind, local_points)
                    for kind in FIT_KINDS}
                for x in X_MEASURES}
            for y in y_measures}


def summarize(values: Sequence[float | None]) -> dict[str, Any] | None:
    """Mean, std, stderr and n over the finite values (None if there are none)."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return None
    s = mean_std(finite)
    return {"mean": s.mean, "std": s.std, "stderr": s.stderr, "n": s.n, "values": finite}


def aggregate_size(per_seed: Sequence[dict[str, Any]], y_measures: Sequence[str]) -> dict[str, Any]:
    """Across seeds for one size: slopes, ε_m at π_D and ε_π after MBPO's retrain interval."""
    slopes = {y: {x: {kind: summarize([s["fits"][y][x][kind].get("slope") for s in per_seed])
                      for kind in FIT_KINDS}
                  for x in X_MEASURES}
              for y in y_measures}
    eps_m = {y: summarize([s["points"][0][Y_MEASURES[y]] for s in per_seed])
             for y in y_measures}
    eps_pi = summarize([s["eps_pi_interval"] for s in per_seed])
    return {"slopes": slopes, "eps_m_at_pi_d": eps_m, "eps_pi_interval": eps_pi}


def eps_pi_from_kl(kl: float | None) -> float | None:
    """Pinsker TV of a mean KL (None stays None)."""
    return None if kl is None or not math.isfinite(kl) else pinsker_tv(kl)


def optimal_k_inputs(sizes: Sequence[dict[str, Any]], tv_available: bool,
                     interval_updates: int) -> tuple[dict[str, Any] | None, str | None]:
    """The ``optimal_k_inputs`` object (docs/results-schema.md) from the SMALLEST size.

    slope: the local slope dε_m′/dε_π against the Pinsker TV (mean over seeds; the all-points
    fit if no local fit exists), of TV if known, else of the NLL proxy. eps_m: the mean TV at
    π_D if known, else 1 (the exact TV to a deterministic simulator, ``TV_TO_DETERMINISTIC``).
    eps_pi: the Pinsker TV of the mean KL(π ‖ π_D) on π_D's states after ``interval_updates``
    SAC updates (MBPO's updates between two model retrains), mean over seeds.
    Returns ``(inputs, None)`` or ``(None, why)`` when a number is missing.
    """
    smallest = min(sizes, key=lambda s: s["train_size"])
    y = "tv" if tv_available else "nll"
    slope_sets = smallest["slopes"][y]["pinsker_tv"]
    kind = "local" if slope_sets["local"] is not None else "linear"
    slope = slope_sets[kind]
    eps_pi = smallest["eps_pi_interval"]
    if slope is None:
        return None, (f"no optimal_k_inputs: the smallest size ({smallest['train_size']}) has "
                      "no slope estimate (fewer than 2 points with distinct shifts?)")
    if eps_pi is None:
        return None, (f"no optimal_k_inputs: no eps_pi estimate for size "
                      f"{smallest['train_size']} (is --max-updates below the "
                      f"{interval_updates} updates between two MBPO model retrains?)")
    if tv_available:
        eps_m_doc = smallest["eps_m_at_pi_d"]["tv"]
        if eps_m_doc is None:
            return None, "no optimal_k_inputs: no TV estimate at pi_D"
        eps_m = min(1.0, max(0.0, eps_m_doc["mean"]))
        what = (f"eps_m = mean TV of the model at pi_D; slope = {kind} slope of the TV against "
                "the Pinsker TV")
    else:
        # Against a deterministic simulator the TV is 1 under every policy, so eps_m' = 1 and
        # its slope is exactly 0; the NLL-proxy slope stays in sizes[].slopes (other units).
        eps_m = TV_TO_DETERMINISTIC
        what = ("eps_m = 1, the exact TV of any continuous model to a deterministic simulator, "
                "for every policy, so slope = 0 (the NLL-proxy slopes are in sizes[].slopes)")
    n = smallest["train_size"]
    source = (f"measure-generalization, training size {n} (the smallest), mean over "
              f"{slope['n']} seed(s): {what}; eps_pi = Pinsker TV of the mean KL(pi||pi_D) "
              f"after {interval_updates} SAC updates (MBPO's updates between model retrains)")
    return {"eps_pi": min(1.0, max(0.0, eps_pi["mean"])), "eps_m": eps_m,
            "slope": slope["mean"] if tv_available else 0.0, "source": source,
            "slope_measure": y, "slope_kind": kind, "train_size": n}, None
