"""Theorems and lemmas checked exactly on finite MDPs."""

from __future__ import annotations

import numpy as np
import pytest

from boundcheck.theory import checks as ch
from boundcheck.theory.bounds import theorem_4_1
from boundcheck.theory.instances import K_GRID, random_instance

from .test_tabular import two_state_chain


def test_hand_chain_checks() -> None:
    m = two_state_chain()
    ev, _ = ch.evaluate(m)
    t41 = ev.theorems["theorem_4_1"]
    # eps_m = 1, eps_pi = 0, gamma 0.5, r_max 1: C = 2*0.5*1/0.25 = 4; eta_hat - C = -4.
    assert t41.C == pytest.approx(theorem_4_1(0.5, 1.0, 1.0, 0.0).total) == pytest.approx(4.0)
    assert t41.lower_bound == pytest.approx(-4.0)
    assert t41.slack == pytest.approx(5.0)
    assert t41.holds


def test_a_violation_is_detected() -> None:
    check = ch.BoundCheck(ch.Theorem.THEOREM_4_1, None, C=1.0, reference=2.0, eta=0.5, tol=1e-9)
    assert not check.holds
    assert check.tightness == pytest.approx(1.5)
    assert check.slack == pytest.approx(-0.5)
    assert not ch.LemmaCheck(ch.Lemma.B2, lhs=0.3, rhs=0.2, tol=1e-12).holds


def test_tightness_not_formed_at_round_off_scale() -> None:
    tiny = ch.BoundCheck(ch.Theorem.THEOREM_4_1, None, C=1e-12, reference=1.0,
                         eta=1.0 - 1e-12, tol=1e-9)
    assert tiny.tightness == 0.0


@pytest.mark.parametrize("seed", range(6))
def test_theorems_and_lemmas_hold_on_random_instances(seed: int) -> None:
    for i in range(40):
        m = random_instance(np.random.default_rng([seed, i]))
        ev, per_k = ch.evaluate(m, list(K_GRID))
        for checks in per_k.values():
            for check in checks.values():
                assert check.holds, (seed, i, check)
        for name, lemma in ev.lemmas.items():
            assert lemma.holds, (seed, i, name, lemma)
        for check in ev.theorems_worst.values():
            assert check.holds


def test_worst_case_eps_is_looser() -> None:
    m = random_instance(np.random.default_rng(11))
    ev, _ = ch.evaluate(m)
    for name, check in ev.theorems.items():
        assert ev.theorems_worst[name].C >= check.C - 1e-12
