"""Policy shift: exact KL, Pinsker, Monte Carlo TV, tanh invariance, the bootstrap report."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.distributions import Independent, Normal, TransformedDistribution, kl_divergence
from torch.distributions.transforms import TanhTransform

from boundcheck.estimators import (
    QUANTITIES,
    STATS,
    kl_diag_gaussians,
    pinsker_tv,
    policy_shift_report,
    tv_monte_carlo,
)
from boundcheck.estimators.policy_shift import _aggregate

F64 = torch.float64


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _params(seed: int, b: int, a: int) -> tuple[torch.Tensor, ...]:
    """(mean_p, log_std_p, mean_q, log_std_q), each [b, a]."""
    g = _gen(seed)
    mp, lp, mq, lq = torch.randn(4, b, a, generator=g, dtype=F64)
    return mp, 0.5 * lp, mq, 0.5 * lq


def _squashed(mean: torch.Tensor, log_std: torch.Tensor) -> TransformedDistribution:
    return TransformedDistribution(Independent(Normal(mean, log_std.exp()), 1),
                                   [TanhTransform(cache_size=1)])


def test_kl_matches_torch_distributions() -> None:
    mp, lp, mq, lq = _params(0, 16, 3)
    expected = kl_divergence(Normal(mp, lp.exp()), Normal(mq, lq.exp())).sum(-1)
    torch.testing.assert_close(kl_diag_gaussians(mp, lp, mq, lq), expected)
    assert torch.all(kl_diag_gaussians(mp, lp, mp, lp).abs() < 1e-12)


def test_kl_of_tanh_squashed_equals_pre_squash_kl() -> None:
    # MC of E_{a~p}[log p(a) - log q(a)] on the squashed (action-space) densities, Jacobians
    # included by TransformedDistribution; must match the closed form on the Gaussians.
    mp, lp, mq, lq = (t.clamp(-0.8, 0.8) for t in _params(1, 4, 2))
    p, q = _squashed(mp, lp), _squashed(mq, lq)
    torch.manual_seed(0)  # TransformedDistribution.sample draws from the global generator
    a = p.sample((20000,)).clamp(-1 + 1e-12, 1 - 1e-12)
    log_ratio = p.log_prob(a) - q.log_prob(a)
    est, se = log_ratio.mean(0), log_ratio.std(0) / math.sqrt(a.shape[0])
    exact = kl_diag_gaussians(mp, lp, mq, lq)
    assert torch.all((est - exact).abs() < 4 * se + 1e-9), (est, exact, se)


def test_tv_mc_matches_closed_form_equal_variances() -> None:
    # TV(N(0, s^2), N(d, s^2)) = 2 Phi(|d| / (2 s)) - 1.
    d = torch.tensor([[0.0], [0.3], [1.0], [3.0]], dtype=F64)
    sigma = 0.7
    log_std = torch.full_like(d, math.log(sigma))
    tv, se = tv_monte_carlo(torch.zeros_like(d), log_std, d, log_std, _gen(2), 4000)
    exact = torch.tensor(2 * scipy.stats.norm.cdf(d[:, 0].numpy() / (2 * sigma)) - 1)
    assert torch.all((tv - exact).abs() <= 4 * se + 1e-12), (tv, exact, se)
    assert tv[0] == 0.0 and se[0] == 0.0


def test_tv_mc_stderr_is_honest() -> None:
    # 400 identical rows are 400 independent estimates: ~95% of the ±1.96 SE intervals
    # should cover the truth, and the SE should match the spread of the estimates.
    b, sigma, delta = 400, 1.0, 0.8
    zeros = torch.zeros(b, 1, dtype=F64)
    tv, se = tv_monte_carlo(zeros, zeros, zeros + delta, zeros, _gen(3), 200)
    exact = 2 * float(scipy.stats.norm.cdf(delta / (2 * sigma))) - 1
    coverage = ((tv - exact).abs() <= 1.96 * se).double().mean().item()
    assert 0.90 <= coverage <= 0.99, coverage
    assert tv.std().item() == pytest.approx(se.mean().item(), rel=0.15)


def test_tv_invariant_under_tanh() -> None:
    mp, lp, mq, lq = (t.clamp(-0.8, 0.8) for t in _params(4, 3, 2))
    p, q = _squashed(mp, lp), _squashed(mq, lq)
    torch.manual_seed(1)
    a = p.sample((20000,)).clamp(-1 + 1e-12, 1 - 1e-12)
    vals = -torch.expm1((q.log_prob(a) - p.log_prob(a)).clamp(max=0.0))
    est_action, se_action = vals.mean(0), vals.std(0) / math.sqrt(a.shape[0])
    est_pre, se_pre = tv_monte_carlo(mp, lp, mq, lq, _gen(5), 20000)
    tol = 4 * (se_action.square() + se_pre.square()).sqrt()
    assert torch.all((est_action - est_pre).abs() <= tol), (est_action, est_pre)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), dim=st.integers(1, 3),
       scale=st.floats(0.05, 2.0))
def test_pinsker_bounds_tv(seed: int, dim: int, scale: float) -> None:
    mp, lp, mq, lq = _params(seed, 2, dim)
    mq = mp + scale * (mq - mp)
    tv, se = tv_monte_carlo(mp, lp, mq, lq, _gen(seed), 2000)
    bound_pq = pinsker_tv(kl_diag_gaussians(mp, lp, mq, lq))
    bound_qp = pinsker_tv(kl_diag_gaussians(mq, lq, mp, lp))
    assert torch.all(tv <= torch.minimum(bound_pq, bound_qp) + 4 * se + 1e-9)
    assert torch.all((tv >= 0) & (tv <= 1))


def test_pinsker_tv_values() -> None:
    assert pinsker_tv(0.0) == 0.0
    assert pinsker_tv(0.02) == pytest.approx(0.1)
    assert pinsker_tv(50.0) == 1.0
    assert pinsker_tv(-1e-12) == 0.0
    out = pinsker_tv(torch.tensor([0.0, 0.02, 50.0]))
    torch.testing.assert_close(out, torch.tensor([0.0, 0.1, 1.0]))


def test_tv_mc_rejects_bad_args() -> None:
    z = torch.zeros(2, 1)
    with pytest.raises(ValueError):
        tv_monte_carlo(z, z, z, torch.zeros(2, 2), _gen(0), 10)
    with pytest.raises(ValueError):
        tv_monte_carlo(z, z, z, z, _gen(0), 1)


def test_report_keys_and_identical_policies() -> None:
    mp, lp, _, _ = _params(6, 50, 2)
    rep = policy_shift_report(mp, lp, mp, lp, _gen(0), 100, np.random.default_rng(0),
                              n_resamples=200)
    assert set(rep) == {"n_states", "n_mc", "confidence_level", "method", "stats",
                        "eps_policy_pinsker", "eps_policy_mc", "per_state", "tv_mc_stderr"}
    assert set(rep["stats"]) == set(QUANTITIES) == set(rep["per_state"])
    for q in QUANTITIES:
        for s in STATS:
            entry = rep["stats"][q][s]
            assert set(entry) == {"value", "ci_low", "ci_high", "ci_method"}
            assert entry["value"] == pytest.approx(0.0, abs=1e-9)
            assert entry["ci_low"] <= entry["value"] <= entry["ci_high"]
    assert rep["n_states"] == 50 and rep["tv_mc_stderr"].shape == (50,)


def test_report_shifted_policies() -> None:
    # Per-state mean shift delta ~ N(0, 1) in 1-D with unit std: KL = delta^2 / 2, E[KL] = 0.5.
    g = _gen(7)
    b = 400
    delta = torch.randn(b, 1, generator=g, dtype=F64)
    zeros = torch.zeros(b, 1, dtype=F64)
    rep = policy_shift_report(zeros, zeros, delta, zeros, _gen(8), 200,
                              np.random.default_rng(1), n_resamples=500, method="BCa")
    kl = rep["stats"]["kl_pi_d"]["mean"]
    assert kl["ci_low"] <= 0.5 <= kl["ci_high"] and kl["ci_method"] == "BCa"
    for q in QUANTITIES:  # where BCa is undefined (the max) the percentile interval stands in
        for s in STATS:
            entry = rep["stats"][q][s]
            assert not math.isnan(entry["ci_low"]) and not math.isnan(entry["ci_high"])
            assert entry["ci_method"] in ("BCa", "percentile")
    np.testing.assert_allclose(rep["per_state"]["kl_pi_d"], rep["per_state"]["kl_d_pi"])
    assert rep["eps_policy_pinsker"] == rep["stats"]["pinsker_min"]["max"]["value"]
    assert np.all(rep["per_state"]["tv_mc"] <= rep["per_state"]["pinsker_min"]
                  + 4 * rep["tv_mc_stderr"] + 1e-9)
    with pytest.raises(ValueError):
        policy_shift_report(zeros, zeros, delta, zeros, _gen(0), 10, np.random.default_rng(0),
                            method="basic-ish")


def test_bootstrap_ci_of_mean_covers_truth() -> None:
    rng = np.random.default_rng(9)
    hits = 0
    for _ in range(40):
        sample = rng.exponential(1.0, size=60)
        agg = _aggregate(sample, rng, 300, 0.95, "percentile")
        hits += agg["mean"]["ci_low"] <= 1.0 <= agg["mean"]["ci_high"]
    assert hits >= 32, hits
    single = _aggregate(np.array([0.3]), rng, 100, 0.95, "percentile")
    assert single["max"]["value"] == 0.3 and math.isnan(single["max"]["ci_low"])


def test_episode_clusters_widen_the_interval_of_the_mean() -> None:
    """States of one episode share a shift (an episode-level effect): resampling whole
    episodes gives a wider interval of the mean than resampling states."""
    gen = torch.Generator().manual_seed(0)
    episodes = np.repeat(np.arange(20), 50)
    offset = torch.as_tensor(np.random.default_rng(0).normal(0, 0.3, 20)[episodes])
    mean_d = torch.zeros(episodes.size, 1, dtype=torch.float64)
    mean_pi = (0.2 + offset)[:, None]
    log_std = torch.full_like(mean_d, -1.0)
    iid = policy_shift_report(mean_pi, log_std, mean_d, log_std, gen, 16,
                              np.random.default_rng(1), n_resamples=200)
    clustered = policy_shift_report(mean_pi, log_std, mean_d, log_std, gen, 16,
                                    np.random.default_rng(1), n_resamples=200,
                                    clusters=episodes)
    width = {name: stat["ci_high"] - stat["ci_low"] for name, stat in (
        ("iid", iid["stats"]["kl_pi_d"]["mean"]),
        ("clustered", clustered["stats"]["kl_pi_d"]["mean"]))}
    assert clustered["stats"]["kl_pi_d"]["mean"]["ci_method"] == "episode percentile"
    assert width["clustered"] > 2 * width["iid"]
