"""The bound ladder (docs/theory.md, "The bound ladder"): every rung checked exactly on random
finite MDPs, its quantities against direct sums, its identities to round-off, and the orders
between rungs that the proofs give."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from boundcheck.theory import tabular as tb
from boundcheck.theory.bounds import theorem_4_1
from boundcheck.theory.coupling import tight_instance
from boundcheck.theory.instances import K_GRID, random_instance
from boundcheck.theory.ladder import (
    Rung,
    cpo_certify_threshold,
    cpo_terms,
    data_branched_return,
    horizon,
    ladder_checks,
    largest_gamma_at_fraction,
    saturated_sum,
    sup_model_fraction,
    value_aware_terms,
)


def _violations(n: int, seed: int) -> tuple[dict[Rung, int], dict[Rung, float]]:
    bad = dict.fromkeys(Rung, 0)
    tightest = dict.fromkeys(Rung, 0.0)
    for i in range(n):
        mdp = random_instance(np.random.default_rng([seed, i]))
        for rung, by_k in ladder_checks(mdp, list(K_GRID)).items():
            for check in by_k.values():
                bad[rung] += not check.holds
                tightest[rung] = max(tightest[rung], check.tightness)
    return bad, tightest


def test_every_rung_holds_on_random_instances_at_every_k() -> None:
    bad, tightest = _violations(300, seed=11)
    assert bad == dict.fromkeys(Rung, 0)
    # Not vacuous: on some instance every rung's quantity reaches a fifth of its bound.
    assert min(tightest.values()) > 0.2


@pytest.mark.slow
def test_every_rung_holds_on_ten_thousand_instances() -> None:
    bad, _ = _violations(10_000, seed=0)
    assert bad == dict.fromkeys(Rung, 0)


@pytest.mark.parametrize("k", [0, 1, 3, 20])
def test_data_branched_return_is_the_direct_sum(k: int) -> None:
    """Σ_t γ^t (q_{(t−k)⁺} P̂_π^{min(t,k)}) r_π summed term by term."""
    mdp = random_instance(np.random.default_rng(5))
    g = mdp.gamma
    data, model = tb.policy_kernel(mdp.P, mdp.pi_data), tb.policy_kernel(mdp.P_model, mdp.pi)
    r_pi = tb.policy_reward(mdp.r, mdp.pi)
    total, q = 0.0, mdp.mu0
    for t in range(horizon(g)):
        b = q if t >= k else mdp.mu0
        b = b @ np.linalg.matrix_power(model, min(t, k))
        total += g**t * float(b @ r_pi)
        if t >= k:
            q = q @ data
    assert data_branched_return(mdp, k) == pytest.approx(total, rel=1e-9, abs=1e-9)


def test_value_aware_identities_hold_to_round_off() -> None:
    for i in range(50):
        mdp = random_instance(np.random.default_rng([7, i]))
        eta = tb.discounted_return(mdp.mu0, mdp.P, mdp.pi, mdp.r, mdp.gamma)
        eta_hat = tb.discounted_return(mdp.mu0, mdp.P_model, mdp.pi, mdp.r, mdp.gamma)
        rho, err = value_aware_terms(mdp, occupancy_in_model=True)
        assert eta_hat - eta == pytest.approx(mdp.gamma * np.sum(rho * err), abs=1e-9)
        rho, err = value_aware_terms(mdp, occupancy_in_model=False)
        assert eta - eta_hat == pytest.approx(-mdp.gamma * np.sum(rho * err), abs=1e-9)


def test_orders_the_proofs_give() -> None:
    """The saturated advantage rung never exceeds CPO's; the expected-TV model rung never
    exceeds Theorem 4.1's model term at the chain's own ε_m′ (Σ_{j<t} E_{d_j} m ≤ t ε_m′)."""
    for i in range(100):
        mdp = random_instance(np.random.default_rng([9, i]))
        checks = ladder_checks(mdp)
        assert checks[Rung.CPO_SATURATED][None].bound <= checks[Rung.CPO][None].bound + 1e-12
        eps_shifted = tb.eps_model_under(mdp, mdp.pi)
        model_term = theorem_4_1(mdp.gamma, mdp.r_max, eps_shifted, 0.0).total
        assert checks[Rung.EXPECTED_TV_MODEL][None].bound <= model_term + 1e-9


@pytest.mark.parametrize(("gamma", "eps"), [(0.9, 0.1), (0.99, 0.4)])
def test_tight_instances(gamma: float, eps: float) -> None:
    """The coupling instance attains the coupling rung and, as G has one sign, both value-aware
    rungs; the expected-TV model rung is looser there (it charges t·ε, not 1 − (1 − ε)^t)."""
    checks = ladder_checks(tight_instance(gamma, eps))
    for rung in (Rung.COUPLING, Rung.VALUE_AWARE_MODEL, Rung.VALUE_AWARE_TRUE):
        assert checks[rung][None].tightness == pytest.approx(1.0, rel=1e-9)
    assert checks[Rung.EXPECTED_TV_MODEL][None].tightness < 1.0


def test_saturated_sum_bounds_the_infinite_sum() -> None:
    assert saturated_sum(np.ones(horizon(0.9)), 0.9) == pytest.approx(10.0, rel=1e-12)
    assert saturated_sum(np.zeros(3), 0.5) == pytest.approx(0.5**3 / 0.5)  # the cut tail
    assert horizon(0.99) == 2979


@pytest.mark.parametrize(("gamma", "eps"), [(0.9, 0.05), (0.99, 0.4), (0.5, 1.0), (0.99, 0.0)])
def test_sup_model_fraction_is_the_saturated_sum(gamma: float, eps: float) -> None:
    n = horizon(gamma)
    expected = (1 - gamma) * saturated_sum(np.arange(n) * eps, gamma)
    assert sup_model_fraction(gamma, eps) == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert sup_model_fraction(gamma, eps) <= gamma + 1e-12  # step 0 costs nothing


def test_the_sup_relaxation_bounds_the_exact_rung() -> None:
    """On finite MDPs the rung from ε_m′ (the sup over time) is never below rung 2a itself."""
    for i in range(50):
        mdp = random_instance(np.random.default_rng([13, i]))
        exact = ladder_checks(mdp)[Rung.EXPECTED_TV_MODEL][None]
        span_pi = float(np.ptp(tb.policy_reward(mdp.r, mdp.pi)))
        relaxed = sup_model_fraction(mdp.gamma, tb.eps_model_under(mdp, mdp.pi))
        assert exact.bound <= relaxed * span_pi / (1 - mdp.gamma) + 1e-9


def test_largest_gamma_at_fraction() -> None:
    assert largest_gamma_at_fraction(lambda g: g, 0.5) == pytest.approx(0.5, abs=1e-8)
    assert largest_gamma_at_fraction(lambda g: 2.0, 0.5) is None
    assert largest_gamma_at_fraction(lambda g: 0.0, 0.5) == pytest.approx(1.0, abs=1e-8)


def test_cpo_cannot_certify_at_a_mean_shift_above_its_threshold() -> None:
    """Rung 4's lower bound L − penalty on η[π] − η[π_D] is positive only if
    E_{d^{π_D}}[TV] < (1 − γ)/(2γ) (:func:`cpo_certify_threshold`): checked on random
    instances on both sides of the threshold, with π moved towards π_D to reach below it."""
    above = below = certified = 0
    for i in range(300):
        base = random_instance(np.random.default_rng([23, i]))
        for step in (1.0, 0.1, 0.01, 0.001):
            mdp = replace(base, pi=base.pi_data + step * (base.pi - base.pi_data))
            terms = cpo_terms(mdp)
            lower = terms.surrogate - terms.penalty
            if terms.mean_shift >= cpo_certify_threshold(mdp.gamma):
                above += 1
                assert lower <= 1e-9 * max(1.0, abs(terms.surrogate)), (i, step)
            else:
                below += 1
                certified += lower > 0
    assert above > 100 and below > 100 and certified > 0  # both sides, and it can certify
    with pytest.raises(ValueError, match="gamma"):
        cpo_certify_threshold(1.0)
