"""Estimators of the MBPO theory's inputs: model error ε_m / ε_m′ (TV, with NLL/MSE proxies),
policy shift ε_π (KL, Pinsker, Monte Carlo TV), and line fits for dε_m′/dε_π.

All functions are pure; randomness comes only from a passed ``torch.Generator`` or
``np.random.Generator``.
"""

from __future__ import annotations

from boundcheck.estimators.fits import LinearFit, MeanStd, linear_fit, local_slope, mean_std
from boundcheck.estimators.model_error import (
    TV_TO_DETERMINISTIC,
    expected_tv,
    mixture_log_prob,
    mixture_mse,
    mixture_nll,
    mixture_nll_per_dim,
    model_error_report,
    tv_known_gaussian,
)
from boundcheck.estimators.policy_shift import (
    QUANTITIES,
    STATS,
    kl_diag_gaussians,
    per_state_summary,
    pinsker_tv,
    policy_shift_report,
    tv_monte_carlo,
)
from boundcheck.estimators.sup_over_time import SupOverTimeEstimate, sup_over_time

__all__ = [
    "QUANTITIES",
    "STATS",
    "TV_TO_DETERMINISTIC",
    "LinearFit",
    "MeanStd",
    "SupOverTimeEstimate",
    "expected_tv",
    "kl_diag_gaussians",
    "linear_fit",
    "local_slope",
    "mean_std",
    "mixture_log_prob",
    "mixture_mse",
    "mixture_nll",
    "mixture_nll_per_dim",
    "model_error_report",
    "per_state_summary",
    "pinsker_tv",
    "policy_shift_report",
    "sup_over_time",
    "tv_known_gaussian",
    "tv_monte_carlo",
]
