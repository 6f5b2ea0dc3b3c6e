"""Policy shift against a mixture: D_TV(π(·|s) ‖ Σ_j w_j π_j(·|s)) for SAC's tanh-Gaussians.

MBPO's real buffer holds the data of every past policy, not of one π_D (paper Section 4; the
theorems' π_D is "the data-collecting policy"). The buffer's behaviour policy is then a
mixture: the uniform exploration policy and the policy of each epoch, weighted by the
transitions each collected. Every component is a pushforward through the same tanh (SAC's
action a = tanh(u)), so, as in :mod:`boundcheck.estimators.policy_shift`, the TV is computed
on the pre-tanh variable u, where the uniform exploration policy on (−1, 1)^A has density
Π_d (1 − tanh(u_d)²)/2. The Monte Carlo identity and its standard error are those of
:mod:`boundcheck.estimators._mc`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from boundcheck.estimators._mc import check_mc_args, diag_gaussian_log_prob, mc_tv

_LOG_HALF = math.log(0.5)


def uniform_pre_tanh_log_prob(u: Tensor) -> Tensor:
    """log density of u = atanh(a), a uniform on (−1, 1)^A, summed over the last dim:
    Σ_d log((1 − tanh(u_d)²)/2), with log(1 − tanh²u) = 2 log 2 − 2|u| − 2 log1p(exp(−2|u|))
    (stable for large |u|)."""
    a = u.abs()
    log_sech2 = 2.0 * math.log(2.0) - 2.0 * a - 2.0 * torch.log1p(torch.exp(-2.0 * a))
    return (log_sech2 + _LOG_HALF).sum(dim=-1)


def tv_to_mixture_monte_carlo(
    mean_p: Tensor, log_std_p: Tensor, means_q: Tensor, log_stds_q: Tensor, weights: Tensor,
    generator: torch.Generator, n_samples: int = 1000, *, uniform_weight: float = 0.0,
    chunk_size: int = 256,
) -> tuple[Tensor, Tensor]:
    """Monte Carlo D_TV(p ‖ q) per row, ``(tv [B], stderr [B])``, with p = N(mean_p, σ_p²)
    ([B, A]) and q the mixture Σ_j weights_j N(means_q[j], σ_q[j]²) ([J, B, A], weights [J])
    plus ``uniform_weight`` times the uniform exploration policy (module doc). The weights and
    ``uniform_weight`` must be ≥ 0 and sum to 1."""
    if mean_p.ndim != 2 or mean_p.shape != log_std_p.shape:
        raise ValueError("mean_p and log_std_p must have the same [B, A] shape")
    if means_q.ndim != 3 or means_q.shape != log_stds_q.shape or \
            means_q.shape[1:] != mean_p.shape or weights.shape != means_q.shape[:1]:
        raise ValueError("means_q and log_stds_q must be [J, B, A] and weights [J]")
    total = float(weights.sum()) + uniform_weight
    if bool((weights < 0).any()) or uniform_weight < 0 or abs(total - 1.0) > 1e-6:
        raise ValueError(f"mixture weights must be >= 0 and sum to 1, got {total}")
    check_mc_args(n_samples, chunk_size)
    std_p = log_std_p.exp()
    log_w = torch.log(weights.to(mean_p.dtype)).view(1, -1, 1)  # [1, J, 1]

    def log_ratio(n: int) -> Tensor:
        z = torch.randn((n, *mean_p.shape), generator=generator, device=mean_p.device,
                        dtype=mean_p.dtype)
        u = mean_p + std_p * z  # [n, B, A]
        parts = log_w + diag_gaussian_log_prob(u.unsqueeze(1), means_q, log_stds_q)  # [n, J, B]
        if uniform_weight > 0:
            uniform = math.log(uniform_weight) + uniform_pre_tanh_log_prob(u)  # [n, B]
            parts = torch.cat([parts, uniform.unsqueeze(1)], dim=1)
        return torch.logsumexp(parts, dim=1) - diag_gaussian_log_prob(u, mean_p, log_std_p)

    with torch.no_grad():
        return mc_tv(log_ratio, n_samples, chunk_size)
