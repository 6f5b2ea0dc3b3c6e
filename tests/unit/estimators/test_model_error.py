"""Model error: mixture NLL/MSE proxies, known-Gaussian TV, ε_m as a sup over time buckets."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.integrate
import scipy.stats
import torch
from torch.distributions import Categorical, Independent, MixtureSameFamily, Normal

from boundcheck.estimators import (
    TV_TO_DETERMINISTIC,
    expected_tv,
    mixture_mse,
    mixture_nll,
    mixture_nll_per_dim,
    model_error_report,
    tv_known_gaussian,
)

F64 = torch.float64


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _mixture(seed: int, m: int, b: int, d: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(means [m, b, d], variances [m, b, d], targets [b, d])."""
    g = _gen(seed)
    means = torch.randn(m, b, d, generator=g, dtype=F64)
    variances = torch.exp(0.5 * torch.randn(m, b, d, generator=g, dtype=F64))
    return means, variances, torch.randn(b, d, generator=g, dtype=F64)


def test_single_gaussian_nll_matches_log_prob() -> None:
    means, variances, y = _mixture(0, 1, 8, 3)
    dist = Independent(Normal(means[0], variances[0].sqrt()), 1)
    torch.testing.assert_close(mixture_nll(means, variances, y), -dist.log_prob(y))
    per_dim = mixture_nll_per_dim(means, variances, y)
    torch.testing.assert_close(per_dim, -Normal(means[0], variances[0].sqrt()).log_prob(y))
    torch.testing.assert_close(per_dim.sum(-1), mixture_nll(means, variances, y))


def test_identical_members_equal_single_gaussian() -> None:
    means, variances, y = _mixture(1, 1, 8, 3)
    rep_m, rep_v = means.expand(5, -1, -1), variances.expand(5, -1, -1)
    torch.testing.assert_close(mixture_nll(rep_m, rep_v, y), mixture_nll(means, variances, y))
    torch.testing.assert_close(mixture_nll_per_dim(rep_m, rep_v, y),
                               mixture_nll_per_dim(means, variances, y))


def test_mixture_nll_matches_torch_mixture() -> None:
    means, variances, y = _mixture(2, 4, 8, 3)
    comp = Independent(Normal(means.permute(1, 0, 2), variances.permute(1, 0, 2).sqrt()), 1)
    mix = MixtureSameFamily(Categorical(logits=torch.zeros(8, 4, dtype=F64)), comp)
    torch.testing.assert_close(mixture_nll(means, variances, y), -mix.log_prob(y))
    marg = MixtureSameFamily(Categorical(logits=torch.zeros(8, 3, 4, dtype=F64)),
                             Normal(means.permute(1, 2, 0), variances.permute(1, 2, 0).sqrt()))
    torch.testing.assert_close(mixture_nll_per_dim(means, variances, y), -marg.log_prob(y))


def test_mixture_nll_is_stable_far_from_members() -> None:
    means = torch.zeros(3, 2, 2)
    variances = torch.full((3, 2, 2), 1e-4)
    nll = mixture_nll(means, variances, torch.full((2, 2), 50.0))
    assert torch.isfinite(nll).all() and (nll > 1e6).all()


def test_mixture_mse_uses_mixture_mean() -> None:
    means = torch.tensor([[[0.0, 2.0]], [[2.0, 2.0]]])  # mixture mean [1, 2]
    per_dim, per_row = mixture_mse(means, torch.tensor([[0.0, 0.0]]))
    torch.testing.assert_close(per_dim, torch.tensor([[1.0, 4.0]]))
    torch.testing.assert_close(per_row, torch.tensor([2.5]))


def test_model_error_report() -> None:
    means, variances, y = _mixture(3, 3, 50, 2)
    rep = model_error_report(means, variances, y)
    assert set(rep) == {"n", "nll_mean", "nll_stderr", "nll_per_dim_mean", "nll_per_dim_stderr",
                        "mse_mean", "mse_stderr", "mse_per_dim_mean", "mse_per_dim_stderr"}
    nll = mixture_nll(means, variances, y)
    assert rep["n"] == 50 and rep["nll_mean"] == pytest.approx(nll.mean().item())
    assert rep["nll_stderr"] == pytest.approx(nll.std().item() / math.sqrt(50))
    assert len(rep["mse_per_dim_mean"]) == 2 and len(rep["nll_per_dim_stderr"]) == 2
    assert math.isnan(model_error_report(means[:, :1], variances[:, :1], y[:1])["nll_stderr"])
    with pytest.raises(ValueError):
        model_error_report(means, -variances, y)


def test_tv_known_gaussian_model_equals_truth() -> None:
    means, variances, _ = _mixture(4, 1, 6, 3)
    tv, se = tv_known_gaussian(means[0], variances[0, 0].sqrt(), means,
                               variances[:, 0:1].expand(-1, 6, -1), _gen(0), 200)
    assert (tv < 1e-10).all() and (se < 1e-10).all()


def test_tv_known_gaussian_disjoint_is_one() -> None:
    truth = torch.zeros(4, 2, dtype=F64)
    means = torch.stack([truth + 100.0, truth - 100.0])
    tv, _ = tv_known_gaussian(truth, 1.0, means, torch.ones_like(means), _gen(1), 100)
    torch.testing.assert_close(tv, torch.ones(4, dtype=F64))
    assert TV_TO_DETERMINISTIC == 1.0
    # A nearly deterministic truth is nearly at TV 1 from a unit-variance model centred on it.
    tv_tight, _ = tv_known_gaussian(truth, 1e-6, truth.unsqueeze(0),
                                    torch.ones(1, 4, 2, dtype=F64), _gen(2), 100)
    assert (tv_tight > 0.999).all()


def test_tv_known_gaussian_1d_closed_form() -> None:
    sigma = 0.5
    delta = torch.tensor([0.1, 0.5, 1.5], dtype=F64)
    truth = torch.zeros(3, 1, dtype=F64)
    means = delta.view(1, 3, 1)
    tv, se = tv_known_gaussian(truth, torch.tensor([sigma], dtype=F64), means,
                               torch.full_like(means, sigma**2), _gen(3), 4000, chunk_size=333)
    exact = torch.tensor(2 * scipy.stats.norm.cdf(delta.numpy() / (2 * sigma)) - 1)
    assert ((tv - exact).abs() <= 4 * se).all(), (tv, exact, se)


def test_tv_known_gaussian_mixture_matches_quadrature() -> None:
    mu = np.array([-0.5, 0.8])
    sd = np.array([0.4, 0.9])

    def gap(x: float) -> float:
        p = scipy.stats.norm.pdf(x, 0.0, 1.0)
        q = 0.5 * scipy.stats.norm.pdf(x, mu, sd).sum()
        return float(max(p - q, 0.0))

    exact = scipy.integrate.quad(gap, -12, 12, limit=200, points=[-0.5, 0.8])[0]
    means = torch.tensor(mu).view(2, 1, 1)
    variances = torch.tensor(sd**2).view(2, 1, 1)
    tv, se = tv_known_gaussian(torch.zeros(1, 1, dtype=F64), 1.0, means, variances, _gen(4),
                               20000)
    assert abs(tv.item() - exact) <= 4 * se.item(), (tv, exact, se)


def test_tv_known_gaussian_rejects_zero_std() -> None:
    truth = torch.zeros(2, 2)
    means, variances = truth.unsqueeze(0), torch.ones(1, 2, 2)
    with pytest.raises(ValueError, match="TV_TO_DETERMINISTIC"):
        tv_known_gaussian(truth, torch.tensor([1.0, 0.0]), means, variances, _gen(0), 10)
    with pytest.raises(ValueError):
        tv_known_gaussian(torch.zeros(3, 2), 1.0, means, variances, _gen(0), 10)


def test_expected_tv() -> None:
    mean, se = expected_tv(torch.tensor([0.1, 0.2, 0.3]))
    assert mean == pytest.approx(0.2) and se == pytest.approx(0.1 / math.sqrt(3))
    assert expected_tv(np.array([0.5]))[0] == 0.5

