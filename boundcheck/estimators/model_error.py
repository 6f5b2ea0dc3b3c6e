"""Model error ε_m (and ε_m′): TV estimates against a known noisy truth, and NLL/MSE proxies.

Paper definition (Section 4.1; docs/paper.md §2): ε_m = max_t E_{s~π_D,t, a~π_D}[D_TV(p(s′,r|s,a) ‖
p_θ(s′,r|s,a))]; ε_m′ is the same under the new policy π. Here p is the true transition law
and p_θ = q the learned model.

Target space. ``GaussianEnsemble.mean_and_var`` predicts y = [r, s′ − s] (D = 1 + obs_dim) and
the model's predictive law q(y|s,a) is the UNIFORM MIXTURE over the M elites of diagonal
Gaussians N(μ_m, diag(v_m)). Since (r, s′) ↦ (r, s′ − s) is a bijection for fixed s, TV in
y-space equals TV in (r, s′)-space. If the simulator adds known noise σ_r to r and σ_s to each
coordinate of s′, the true law of y given (s, a) is N([r_clean, s′_clean − s],
diag(σ_r², σ_s², …, σ_s²)). The functions below are agnostic: they take means and stds in
whatever space the caller uses, as long as truth and model share it.

Shapes throughout: ``means``, ``variances`` [M, B, D] (M mixture members, B rows = (s, a)
pairs, D target dims); ``targets`` [B, D].

NLL and MSE are PROXIES, NOT TV. Against a deterministic simulator the true transition is a
Dirac mass, and any model with a density puts probability 0 on the single true outcome, so the
TV is exactly 1 (:data:`TV_TO_DETERMINISTIC`) whatever the model's accuracy. A TV-valued ε_m
needs a stochastic reference with a known law (:func:`tv_known_gaussian`); otherwise report
:func:`model_error_report` (validation NLL/MSE, what the paper itself measured) as a proxy.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import Tensor

from boundcheck.estimators._mc import LOG_2PI, check_mc_args, mc_tv
from boundcheck.estimators.fits import mean_std

TV_TO_DETERMINISTIC: float = 1.0
"""D_TV(δ_y* ‖ q) for a Dirac true law δ_y* and any q with a density: q({y*}) = 0, so the
TV is sup_A |δ_y*(A) − q(A)| = 1 (take A = {y*}). Hence TV-valued ε_m against a deterministic
simulator is always 1 and carries no information; use a noisy reference or a proxy."""


def _check_mixture(means: Tensor, variances: Tensor, targets: Tensor | None = None) -> None:
    if means.ndim != 3 or means.shape != variances.shape:
        raise ValueError(f"means and variances must both be [M, B, D], got {tuple(means.shape)} "
                         f"and {tuple(variances.shape)}")
    if targets is not None and targets.shape != means.shape[1:]:
        raise ValueError(f"targets must be [B, D] = {tuple(means.shape[1:])}, "
                         f"got {tuple(targets.shape)}")
    if not bool((variances > 0).all()):
        raise ValueError("all variances must be strictly positive")


def _member_log_prob_per_dim(x: Tensor, means: Tensor, variances: Tensor) -> Tensor:
    """log N(x_d; μ_md, v_md) per member and dim; x broadcasts against [M, B, D]."""
    return -0.5 * ((x - means).square() / variances + variances.log() + LOG_2PI)


def mixture_log_prob(means: Tensor, variances: Tensor, targets: Tensor) -> Tensor:
    """log q(y) = logsumexp_m [Σ_d log N(y_d; μ_md, v_md)] − log M, per row: [B] (nats)."""
    _check_mixture(means, variances, targets)
    joint = _member_log_prob_per_dim(targets.unsqueeze(0), means, variances).sum(dim=-1)
    return torch.logsumexp(joint, dim=0) - math.log(means.shape[0])


def mixture_nll(means: Tensor, variances: Tensor, targets: Tensor) -> Tensor:
    """Negative log-likelihood −log q(y) of ``targets`` under the uniform mixture, [B] nats.

    q(y) = (1/M) Σ_m N(y; μ_m, diag(v_m)); evaluated with logsumexp over members so that
    far-off members cannot underflow. A PROXY for model error, not a TV (module doc).
    """
    return -mixture_log_prob(means, variances, targets)


def mixture_nll_per_dim(means: Tensor, variances: Tensor, targets: Tensor) -> Tensor:
    """NLL of each dim under its 1-D marginal mixture, [B, D] nats.

    The marginal of dim d is (1/M) Σ_m N(y_d; μ_md, v_md). The per-dim NLLs do not sum to
    :func:`mixture_nll` when M > 1 (the mixture couples the dims); they do when M = 1.
    """
    _check_mixture(means, variances, targets)
    per = _member_log_prob_per_dim(targets.unsqueeze(0), means, variances)
    return math.log(means.shape[0]) - torch.logsumexp(per, dim=0)


def mixture_mse(means: Tensor, targets: Tensor) -> tuple[Tensor, Tensor]:
    """Squared error of the mixture mean μ̄ = (1/M) Σ_m μ_m: ``(per_dim [B, D], per_row [B])``.

    ``per_dim`` = (μ̄_d − y_d)²; ``per_row`` is its mean over the D dims (MBPO's MSE convention).
    A PROXY for model error, not a TV (module doc).
    """
    if means.ndim != 3 or targets.shape != means.shape[1:]:
        raise ValueError(f"means must be [M, B, D] and targets [B, D], got "
                         f"{tuple(means.shape)} and {tuple(targets.shape)}")
    per_dim = (means.mean(dim=0) - targets).square()
    return per_dim, per_dim.mean(dim=-1)


def _mean_se_columns(values: Tensor) -> tuple[list[float], list[float]]:
    cols = values.detach().double().cpu().numpy()
    stats = [mean_std(cols[:, d]) for d in range(cols.shape[1])]
    return [s.mean for s in stats], [s.stderr for s in stats]


def model_error_report(means: Tensor, variances: Tensor, targets: Tensor,
                       clusters: np.ndarray | None = None) -> dict[str, Any]:
    """NLL and MSE proxies for the model error over B (s, a, y) rows, with standard errors.

    Keys: ``n`` (B); ``nll_mean``, ``nll_stderr`` (joint mixture NLL, nats); ``nll_per_dim_mean``,
    ``nll_per_dim_stderr`` (lists of D, marginal NLLs); ``mse_mean``, ``mse_stderr`` (MSE of the
    mixture mean, averaged over dims); ``mse_per_dim_mean``, ``mse_per_dim_stderr`` (lists of D).
    Standard errors are sample std (ddof = 1) / √B, treating rows as i.i.d.; NaN when B = 1;
    with ``clusters`` (each row's episode) the joint NLL's and the MSE's are cluster-robust
    (:func:`~boundcheck.estimators.fits.mean_std`).
    These are PROXIES for ε_m (the paper's "validation loss"), NOT total variations.
    """
    with torch.no_grad():
        nll = mixture_nll(means, variances, targets)
        nll_dim = mixture_nll_per_dim(means, variances, targets)
        mse_dim, mse = mixture_mse(means, targets)
    nll_s = mean_std(nll.double().cpu().numpy(), clusters)
    mse_s = mean_std(mse.double().cpu().numpy(), clusters)
    nll_dm, nll_dse = _mean_se_columns(nll_dim)
    mse_dm, mse_dse = _mean_se_columns(mse_dim)
    return {
        "n": int(targets.shape[0]),
        "nll_mean": nll_s.mean, "nll_stderr": nll_s.stderr,
        "nll_per_dim_mean": nll_dm, "nll_per_dim_stderr": nll_dse,
        "mse_mean": mse_s.mean, "mse_stderr": mse_s.stderr,
        "mse_per_dim_mean": mse_dm, "mse_per_dim_stderr": mse_dse,
    }


def tv_known_gaussian(
    true_mean: Tensor, true_std: Tensor | float, means: Tensor, variances: Tensor,
    generator: torch.Generator, n_samples: int = 1000, *, chunk_size: int = 64,
) -> tuple[Tensor, Tensor]:
    """Monte Carlo D_TV(p‖q) per row, for a KNOWN Gaussian truth p and the mixture model q.

    p = N(true_mean, diag(true_std²)) with ``true_mean`` [B, D] and ``true_std`` a scalar or
    [D] (anything broadcastable to [B, D]); every std must be > 0 (a zero std is a Dirac
    coordinate, for which the TV is 1, see :data:`TV_TO_DETERMINISTIC`), else ``ValueError``.
    q = (1/M) Σ_m N(μ_m, diag(v_m)) from ``means``, ``variances`` [M, B, D].

    Uses the unbiased identity D_TV(p‖q) = E_{x~p}[max(0, 1 − q(x)/p(x))] in log space with
    ``n_samples`` draws per row from ``generator`` (a ``torch.Generator`` on the tensors'
    device), drawn ``chunk_size`` at a time (memory ∝ chunk_size · M · B · D).
    Returns ``(tv [B], stderr [B])``: the estimate and its Monte Carlo standard error.
    Aggregate rows into an ε_m estimate with :func:`expected_tv`.
    """
    _check_mixture(means, variances)
    if true_mean.shape != means.shape[1:]:
        raise ValueError(f"true_mean must be [B, D] = {tuple(means.shape[1:])}, "
                         f"got {tuple(true_mean.shape)}")
    std = torch.as_tensor(true_std, dtype=true_mean.dtype, device=true_mean.device)
    if not bool((std > 0).all()) or not bool(torch.isfinite(std).all()):
        raise ValueError("true_std must be finite and strictly positive in every coordinate; "
                         "a zero std is a deterministic coordinate, whose TV to any "
                         "continuous model is 1 (TV_TO_DETERMINISTIC)")
    std = std.expand_as(true_mean)
    check_mc_args(n_samples, chunk_size)

    def log_ratio(n: int) -> Tensor:
        z = torch.randn((n, *true_mean.shape), generator=generator,
                        device=true_mean.device, dtype=true_mean.dtype)
        x = true_mean + std * z
        log_p = (-0.5 * z.square() - std.log() - 0.5 * LOG_2PI).sum(dim=-1)
        member = _member_log_prob_per_dim(x.unsqueeze(1), means, variances).sum(dim=-1)
        log_q = torch.logsumexp(member, dim=1) - math.log(means.shape[0])
        return log_q - log_p

    with torch.no_grad():
        return mc_tv(log_ratio, n_samples, chunk_size)


def expected_tv(tv_per_row: Tensor | np.ndarray,
                clusters: np.ndarray | None = None) -> tuple[float, float]:
    """ε_m estimate at one state-action distribution: (mean over rows, its standard error).

    Rows are (s, a) pairs drawn from the distribution of interest (e.g. π_D's at one time
    step, giving E_{s~d_t}[TV]). The standard error is the across-row sample std / √B; since
    each row's value is itself a noisy MC estimate, that spread already includes the MC noise,
    so the error bar covers both sources (rows must be i.i.d. draws for it to be honest; with
    ``clusters``, each row's episode, it is cluster-robust instead).
    """
    values = tv_per_row.detach().double().cpu().numpy() if isinstance(tv_per_row, Tensor) \
        else np.asarray(tv_per_row, dtype=np.float64)
    s = mean_std(values.reshape(-1), clusters)
    return s.mean, s.stderr

