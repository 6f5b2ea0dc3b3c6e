"""TV to a mixture of tanh-Gaussians (and the uniform exploration policy), by Monte Carlo."""

from __future__ import annotations

import math

import pytest
import torch

from boundcheck.estimators.mixture_shift import (
    tv_to_mixture_monte_carlo,
    uniform_pre_tanh_log_prob,
)
from boundcheck.estimators.policy_shift import tv_monte_carlo


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_one_component_is_the_plain_tv() -> None:
    mean_p, log_std_p = torch.zeros(3, 2), torch.zeros(3, 2)
    mean_q, log_std_q = torch.full((3, 2), 0.5), torch.full((3, 2), -0.2)
    plain, _ = tv_monte_carlo(mean_p, log_std_p, mean_q, log_std_q, _gen(), 4000)
    mixed, se = tv_to_mixture_monte_carlo(mean_p, log_std_p, mean_q[None], log_std_q[None],
                                          torch.ones(1), _gen(), 4000)
    assert torch.allclose(plain, mixed, atol=1e-6) and bool((se > 0).all())


def test_a_far_component_leaves_the_other_weight() -> None:
    """p = N(0, 1), q = w N(0, 1) + (1 − w) N(40, 1): TV(p, q) = 1 − w (to Monte Carlo error)."""
    mean_p, log_std_p = torch.zeros(1, 1, dtype=torch.float64), torch.zeros(1, 1,
                                                                          dtype=torch.float64)
    means = torch.tensor([[[0.0]], [[40.0]]], dtype=torch.float64)
    for w in (0.25, 0.5, 0.9):
        tv, se = tv_to_mixture_monte_carlo(mean_p, log_std_p, means, torch.zeros_like(means),
                                           torch.tensor([w, 1 - w], dtype=torch.float64),
                                           _gen(), 2000)
        assert tv.item() == pytest.approx(1 - w, abs=1e-9) and se.item() < 1e-9


def test_the_uniform_density_integrates_to_one_and_matches_the_change_of_variables() -> None:
    u = torch.linspace(-12, 12, 200_001, dtype=torch.float64).view(-1, 1)
    density = uniform_pre_tanh_log_prob(u).exp()
    assert torch.trapezoid(density, u.view(-1)).item() == pytest.approx(1.0, abs=1e-6)
    x = torch.tensor([[0.3, -2.0]], dtype=torch.float64)
    direct = (torch.log(1 - torch.tanh(x) ** 2) - math.log(2)).sum()
    assert uniform_pre_tanh_log_prob(x).item() == pytest.approx(direct.item(), rel=1e-12)
    assert math.isfinite(uniform_pre_tanh_log_prob(torch.tensor([[400.0]])).item())


def test_the_uniform_component_counts() -> None:
    """A mixture of N(0.5, 0.3²) and the uniform policy, in one dimension: the Monte Carlo TV
    agrees with 1 − ∫ min(p, q) by quadrature, within 4 standard errors."""
    mean_p, log_std_p = torch.zeros(1, 1, dtype=torch.float64), torch.zeros(1, 1,
                                                                          dtype=torch.float64)
    mean_q = torch.full((1, 1, 1), 0.5, dtype=torch.float64)
    log_std_q = torch.full((1, 1, 1), math.log(0.3), dtype=torch.float64)
    tv, se = tv_to_mixture_monte_carlo(mean_p, log_std_p, mean_q, log_std_q,
                                       torch.tensor([0.6], dtype=torch.float64), _gen(), 20_000,
                                       uniform_weight=0.4)
    u = torch.linspace(-15, 15, 300_001, dtype=torch.float64)
    p = torch.exp(-0.5 * u**2) / math.sqrt(2 * math.pi)
    q = 0.6 * torch.exp(-0.5 * ((u - 0.5) / 0.3) ** 2) / (0.3 * math.sqrt(2 * math.pi)) + \
        0.4 * uniform_pre_tanh_log_prob(u.view(-1, 1)).exp()
    exact = 1.0 - torch.trapezoid(torch.minimum(p, q), u).item()
    assert abs(tv.item() - exact) < 4 * se.item() and 0.1 < exact < 0.9


def test_bad_weights_are_refused() -> None:
    with pytest.raises(ValueError, match="sum to 1"):
        tv_to_mixture_monte_carlo(torch.zeros(1, 1), torch.zeros(1, 1), torch.zeros(1, 1, 1),
                                  torch.zeros(1, 1, 1), torch.full((1,), 0.5), _gen(), 10)
