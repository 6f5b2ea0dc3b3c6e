"""The improvement rules of Section 4.1 (boundcheck.theory.improvement; docs/theory.md,
"Monotonic improvement"): the proposition that none certifies, checked exactly, and the
violation detector on a case made by hand."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from boundcheck.experiments.tabular.improvement import improvement_instance
from boundcheck.theory import tabular as tb
from boundcheck.theory.bounds import lemma_b3
from boundcheck.theory.improvement import ImprovementCheck, Rule, improvement_check


@pytest.mark.parametrize("seed", range(5))
def test_the_proposition_and_its_two_steps_on_random_instances(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(200):
        mdp = improvement_instance(rng)
        check = improvement_check(mdp)
        # Step 1: Lemma B.3 in the model MDP with eps_m = 0 bounds the model gain ...
        assert abs(check.model_gain) <= lemma_b3(mdp.gamma, mdp.r_max, 0.0,
                                                 check.eps_policy) + check.tol
        # ... which is half of C's policy part, so at most half of C.
        assert check.reach(Rule.NAIVE) <= 0.5 + 1e-9
        assert check.reach(Rule.TWO_SIDED) <= 0.5 + 1e-9
        # Step 2: Lemma B.3 between (P, pi_D) and (P_model, pi) stays below C when eps_pi > 0.
        assert check.gain(Rule.MEASURED) <= lemma_b3(
            mdp.gamma, mdp.r_max, check.eps_model, check.eps_policy) + check.tol
        assert check.reach(Rule.MEASURED) < 1.0
        assert not any(check.certifies(rule) for rule in Rule)


def test_the_same_policy_and_an_exact_model_have_nothing_to_certify() -> None:
    mdp = improvement_instance(np.random.default_rng(7))
    same = dataclasses.replace(mdp, pi=mdp.pi_data, P_model=mdp.P)
    check = improvement_check(same)
    assert check.C == 0.0 and check.C_data == 0.0
    assert check.true_gain == pytest.approx(0.0, abs=1e-12)
    assert all(check.reach(rule) == 0.0 and not check.violated(rule) for rule in Rule)


def test_the_returns_are_the_exact_ones() -> None:
    mdp = improvement_instance(np.random.default_rng(3))
    check = improvement_check(mdp)
    assert check.eta_model_data == pytest.approx(
        tb.discounted_return(mdp.mu0, mdp.P_model, mdp.pi_data, mdp.r, mdp.gamma))
    assert check.eta == pytest.approx(
        tb.discounted_return(mdp.mu0, mdp.P, mdp.pi, mdp.r, mdp.gamma))


def test_a_wrong_certification_is_detected() -> None:
    """The detector itself can fire: a (made-up) check whose model gain passes C while the true
    return falls is a violation of the naive rule, not of the measured one."""
    check = ImprovementCheck(eta=0.0, eta_data=1.0, eta_model=3.0, eta_model_data=0.5, C=2.0,
                             C_data=1.0, eps_model=0.1, eps_policy=0.1, r_max=1.0, gamma=0.5,
                             tol=1e-9)
    assert check.certifies(Rule.NAIVE) and check.violated(Rule.NAIVE)
    assert check.reach(Rule.NAIVE) == pytest.approx(1.25)
    assert not check.certifies(Rule.TWO_SIDED)
    assert check.certifies(Rule.MEASURED) and check.violated(Rule.MEASURED)
