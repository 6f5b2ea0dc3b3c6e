"""The coupling bound (docs/theory.md, "The coupling bound"): exact checks on random finite
MDPs, equality on its tight instance, and its order against MBPO's model term."""

from __future__ import annotations

import numpy as np
import pytest

from boundcheck.theory import tabular as tb
from boundcheck.theory.bounds import lemma_b3
from boundcheck.theory.coupling import (
    coupling_bound,
    eps_coupling,
    reward_span,
    tight_instance,
)
from boundcheck.theory.instances import random_instance

INSTANCES = 10_000


def test_no_violation_on_ten_thousand_random_instances() -> None:
    """Both policies of every instance, with the policy's own eps and with the worst case
    max_{s,a} TV; the largest ratio |eta - eta_hat| / bound is reported in the failure."""
    rng = np.random.default_rng(20261206)
    worst = 0.0
    for _ in range(INSTANCES):
        mdp = random_instance(rng)
        span = reward_span(mdp)
        for policy in (mdp.pi, mdp.pi_data):
            gap = abs(tb.discounted_return(mdp.mu0, mdp.P, policy, mdp.r, mdp.gamma)
                      - tb.discounted_return(mdp.mu0, mdp.P_model, policy, mdp.r, mdp.gamma))
            bound = coupling_bound(mdp.gamma, eps_coupling(mdp, policy), span)
            assert gap <= bound * (1 + 1e-9) + 1e-12, (gap, bound)
            assert bound <= coupling_bound(mdp.gamma, tb.eps_model_worst(mdp), span) + 1e-12
            worst = max(worst, gap / bound if bound > 0 else 0.0)
    assert 0.0 < worst <= 1.0 + 1e-9


@pytest.mark.parametrize(("gamma", "eps"), [(0.9, 0.1), (0.99, 0.4), (0.5, 1.0), (0.99, 0.01)])
def test_the_tight_instance_meets_the_bound(gamma: float, eps: float) -> None:
    mdp = tight_instance(gamma, eps)
    gap = tb.discounted_return(mdp.mu0, mdp.P, mdp.pi, mdp.r, gamma) - \
        tb.discounted_return(mdp.mu0, mdp.P_model, mdp.pi, mdp.r, gamma)
    assert eps_coupling(mdp, mdp.pi) == pytest.approx(eps)
    assert gap == pytest.approx(coupling_bound(gamma, eps, reward_span(mdp)), rel=1e-12)


@pytest.mark.parametrize("gamma", [0.5, 0.9, 0.99])
@pytest.mark.parametrize("eps", [0.0, 0.01, 0.4, 1.0])
def test_below_mbpos_model_term_and_the_trivial_range(gamma: float, eps: float) -> None:
    bound = coupling_bound(gamma, eps, 2.0)  # span 2 = rewards in [-1, 1], r_max = 1
    assert bound <= lemma_b3(gamma, 1.0, eps, 0.0) + 1e-12
    assert bound <= 2.0 / (1.0 - gamma) + 1e-12
    # At gamma = 0.99 and eps = 0.4 it already takes 97.5% of the return's range.
    if (gamma, eps) == (0.99, 0.4):
        assert bound / (2.0 / (1.0 - gamma)) == pytest.approx(0.396 / 0.406, rel=1e-12)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="reward_span"):
        coupling_bound(0.9, 0.1, -1.0)
    with pytest.raises(ValueError):
        coupling_bound(1.0, 0.1, 1.0)
