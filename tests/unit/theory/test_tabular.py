"""Exact finite-MDP quantities: a hand-computed chain, Monte Carlo agreement, sup over time."""

from __future__ import annotations

import numpy as np
import pytest

from boundcheck.theory import tabular as tb
from boundcheck.theory.instances import random_instance


def two_state_chain() -> tb.FiniteMDP:
    """State 0 -> 1 -> 1 (true); the model keeps 0 -> 0. r = [0, 1], one action, gamma 0.5.

    eta = sum_{t>=1} 0.5^t = 1; eta_model = 0; eps_m = 1 (TV 1 at state 0 at t=0);
    eps_m' = 1; eps_pi = 0. Branched k=1: reward 0 at t=0 under the model, which stays in 0,
    then pi_D under P from state 0: V(0) = 0.5 * V(1) = 0.5 * 2 = 1, so eta_branch = 0.5.
    """
    P = np.array([[[0.0, 1.0]], [[0.0, 1.0]]])
    P_model = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])
    one = np.ones((2, 1))
    return tb.FiniteMDP(gamma=0.5, mu0=np.array([1.0, 0.0]), P=P, P_model=P_model,
                        r=np.array([[0.0], [1.0]]), pi_data=one, pi=one, k=1)


def test_hand_computed_chain() -> None:
    m = two_state_chain()
    assert tb.discounted_return(m.mu0, m.P, m.pi, m.r, m.gamma) == pytest.approx(1.0)
    assert tb.discounted_return(m.mu0, m.P_model, m.pi, m.r, m.gamma) == pytest.approx(0.0)
    assert tb.eps_policy(m) == 0.0
    assert tb.eps_model_under(m, m.pi_data) == pytest.approx(1.0)
    assert tb.eps_model_worst(m) == pytest.approx(1.0)
    branch = tb.branched_returns(m, [0, 1, 2])
    assert branch[0] == pytest.approx(1.0)  # k = 0: the true return of pi_D
    assert branch[1] == pytest.approx(0.5)
    assert branch[2] == pytest.approx(0.25)  # 0 + 0 + 0.25 * V(0)


def test_sup_over_time_is_not_the_stationary_value() -> None:
    # Model error only at the initial state: the expectation is 1 at t=0 and 0 afterwards.
    m = two_state_chain()
    per_state = np.array([1.0, 0.0])
    assert tb.sup_expected(m.mu0, tb.policy_kernel(m.P, m.pi), per_state) == 1.0


def test_tv_helpers() -> None:
    pi = np.array([[0.2, 0.8], [1.0, 0.0]])
    pi_d = np.array([[0.5, 0.5], [0.0, 1.0]])
    assert tb.tv_policies(pi, pi_d) == pytest.approx([0.3, 1.0])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_exact_values_agree_with_monte_carlo(seed: int) -> None:
    rng = np.random.default_rng(seed)
    m = random_instance(rng, max_states=4, max_actions=2)
    m = tb.FiniteMDP(**{**m.__dict__, "gamma": 0.8, "k": 3})
    horizon = 120  # 0.8^120 ~ 2e-12
    exact = {
        "true": tb.discounted_return(m.mu0, m.P, m.pi, m.r, m.gamma),
        "model": tb.discounted_return(m.mu0, m.P_model, m.pi, m.r, m.gamma),
        "branch": tb.branched_returns(m, [m.k])[m.k],
    }
    for mode, value in exact.items():
        mean, se = tb.simulate_return(m, mode=mode, n_episodes=20000, horizon=horizon,
                                      rng=np.random.default_rng([seed, 7]))
        assert abs(mean - value) < 5 * se + 1e-9, (mode, mean, value, se)


def test_branched_k0_is_eta_of_pi_data() -> None:
    m = random_instance(np.random.default_rng(5))
    eta_d = tb.discounted_return(m.mu0, m.P, m.pi_data, m.r, m.gamma)
    assert tb.branched_returns(m, [0])[0] == pytest.approx(eta_d)


def test_eps_definitions_ordered() -> None:
    for s in range(20):
        m = random_instance(np.random.default_rng(s))
        worst = tb.eps_model_worst(m)
        assert 0 <= tb.eps_model_under(m, m.pi_data) <= worst + 1e-12
        assert 0 <= tb.eps_model_under(m, m.pi) <= worst + 1e-12
        assert 0 <= tb.eps_policy(m) <= 1
