"""Shared Monte Carlo machinery for total-variation estimates (private).

Both TV estimators use the identity, for densities p and q on the same space,

    D_TV(p‖q) = ∫ (p(x) − q(x))₊ dx = E_{x~p}[ max(0, 1 − q(x)/p(x)) ],

whose integrand lies in [0, 1]; the sample mean over n i.i.d. draws from p is unbiased and its
standard error is the sample standard deviation (ddof = 1) over √n. The ratio is handled in
log space: max(0, 1 − exp(Δ)) = −expm1(min(Δ, 0)) with Δ = log q(x) − log p(x), which is
exact for Δ ≈ 0 and never overflows.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

LOG_2PI = math.log(2.0 * math.pi)


def diag_gaussian_log_prob(x: Tensor, mean: Tensor, log_std: Tensor) -> Tensor:
    """log N(x; mean, diag(exp(log_std)²)) summed over the last dim (shapes broadcast)."""
    z = (x - mean) * torch.exp(-log_std)
    return (-0.5 * z.square() - log_std - 0.5 * LOG_2PI).sum(dim=-1)


def tv_integrand(log_ratio: Tensor) -> Tensor:
    """max(0, 1 − exp(Δ)) for Δ = log q − log p, computed as −expm1(min(Δ, 0))."""
    return -torch.expm1(log_ratio.clamp(max=0.0))


def check_mc_args(n_samples: int, chunk_size: int) -> None:
    """Validate the Monte Carlo sizes (n_samples ≥ 2 so that a standard error exists)."""
    if n_samples < 2:
        raise ValueError(f"n_samples must be at least 2 (for a standard error), got {n_samples}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")


def mc_tv(log_ratio_fn: Callable[[int], Tensor], n_samples: int,
          chunk_size: int) -> tuple[Tensor, Tensor]:
    """Mean and standard error over ``n_samples`` draws of the TV integrand, per row.

    ``log_ratio_fn(n)`` draws n fresh samples x ~ p for every row and returns
    Δ = log q(x) − log p(x) of shape [n, B]. Draws are made in chunks of at most
    ``chunk_size`` samples to bound memory; the sums are accumulated in float64 where the
    device allows it, else in the input dtype; the results come back in the input dtype.
    """
    check_mc_args(n_samples, chunk_size)
    total: Tensor | None = None
    total_sq: Tensor | None = None
    done = 0
    out_dtype = torch.float32
    while done < n_samples:
        n = min(chunk_size, n_samples - done)
        vals = tv_integrand(log_ratio_fn(n))
        out_dtype = vals.dtype
        acc_dtype = torch.float64 if vals.device.type != "mps" else vals.dtype
        vals = vals.to(acc_dtype)
        s, sq = vals.sum(dim=0), vals.square().sum(dim=0)
        total = s if total is None else total + s
        total_sq = sq if total_sq is None else total_sq + sq
        done += n
    assert total is not None and total_sq is not None
    mean = total / n_samples
    # Unbiased sample variance from the running sums; clamp the tiny negative rounding residue.
    var = ((total_sq - n_samples * mean.square()) / (n_samples - 1)).clamp(min=0.0)
    return mean.to(out_dtype), (var / n_samples).sqrt().to(out_dtype)
