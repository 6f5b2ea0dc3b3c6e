"""Theorems 4.1–4.3: worked examples computed by hand, decomposition, domain checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from boundcheck.theory.bounds import (
    TheoryInputError,
    eps_model_shifted_linear,
    eps_model_shifted_linear_raw,
    largest_informative_gamma,
    lemma_b3,
    theorem_4_1,
    theorem_4_2,
    theorem_4_3,
    trivial_range,
)


def test_theorem_4_1_worked_example() -> None:
    # gamma=0.9, r_max=1, eps_m=0.1, eps_pi=0.05:
    # C = 2*0.9*(0.1 + 0.1)/0.01 + 4*0.05/0.1 = 36 + 2 = 38; model part 2*0.9*0.1/0.01 = 18.
    p = theorem_4_1(0.9, 1.0, 0.1, 0.05)
    assert p.total == pytest.approx(38.0)
    assert p.model_error == pytest.approx(18.0)
    assert p.policy_shift == pytest.approx(20.0)
    assert p.trivial_range == pytest.approx(20.0)
    assert not p.informative


def test_theorem_4_2_worked_example() -> None:
    # gamma=0.5, r_max=1, eps_m=0.1, eps_pi=0.1, k=2: bracket
    # 0.5^3*0.1/0.25 + (0.25 + 2)*0.1/0.5 + 2*(0.1 + 0.2)/0.5 = 0.05 + 0.45 + 1.2 = 1.7.
    p = theorem_4_2(0.5, 1.0, 0.1, 0.1, 2)
    assert p.total == pytest.approx(3.4)
    assert p.model_error == pytest.approx(0.8)
    assert p.policy_shift == pytest.approx(2.6)
    assert p.informative  # 3.4 < 2*1/0.5 = 4


def test_theorem_4_3_worked_example() -> None:
    # gamma=0.5, r_max=2, eps_m'=0.2, eps_pi=0.1, k=1: bracket
    # 0.25*0.1/0.25 + 0.5*0.1/0.5 + 1*0.2/0.5 = 0.1 + 0.1 + 0.4 = 0.6; C = 2*2*0.6 = 2.4.
    p = theorem_4_3(0.5, 2.0, 0.2, 0.1, 1)
    assert p.total == pytest.approx(2.4)
    assert p.model_error == pytest.approx(1.6)
    assert p.policy_shift == pytest.approx(0.8)
    assert p.as_dict()["C"] == pytest.approx(2.4)


def test_lemma_b3_value() -> None:
    # 2*1*(0.9*(0.1+0.1)/0.01 + 0.1/0.1) = 2*(18 + 1) = 38
    assert lemma_b3(0.9, 1.0, 0.1, 0.1) == pytest.approx(38.0)


def test_theorem_4_1_is_two_lemma_b3() -> None:
    # The proof: B.3 with eps_m = 0 plus B.3 with eps_m.
    for g, em, ep in [(0.9, 0.1, 0.05), (0.99, 0.3, 0.2), (0.5, 0.0, 0.7)]:
        expected = lemma_b3(g, 1.5, 0.0, ep) + lemma_b3(g, 1.5, em, ep)
        assert theorem_4_1(g, 1.5, em, ep).total == pytest.approx(expected)


def test_4_3_policy_part_simplifies() -> None:
    # gamma^{k+1}/(1-g)^2 + gamma^k/(1-g) = gamma^k/(1-g)^2
    g, k, ep = 0.95, 7, 0.3
    p = theorem_4_3(g, 1.0, 0.0, ep, k)
    assert p.policy_shift == pytest.approx(2 * ep * g**k / (1 - g) ** 2)


def test_zero_errors_zero_penalty() -> None:
    assert theorem_4_1(0.99, 5.0, 0.0, 0.0).total == 0.0
    assert theorem_4_2(0.99, 5.0, 0.0, 0.0, 10).total == 0.0
    assert theorem_4_3(0.99, 5.0, 0.0, 0.0, 10).total == 0.0
    assert not theorem_4_3(0.99, 0.0, 0.0, 0.0, 1).informative  # 0 < 0 is false


def test_informative_threshold() -> None:
    assert trivial_range(0.9, 1.0) == pytest.approx(20.0)
    assert theorem_4_1(0.9, 1.0, 0.0, 0.01).informative
    assert not theorem_4_1(0.9, 1.0, 1.0, 1.0).informative


@pytest.mark.parametrize(
    ("call", "param"),
    [
        (lambda: theorem_4_1(1.0, 1.0, 0.1, 0.1), "gamma"),
        (lambda: theorem_4_1(0.0, 1.0, 0.1, 0.1), "gamma"),
        (lambda: theorem_4_1(math.nan, 1.0, 0.1, 0.1), "gamma"),
        (lambda: theorem_4_1(0.9, -1.0, 0.1, 0.1), "r_max"),
        (lambda: theorem_4_1(0.9, math.inf, 0.1, 0.1), "r_max"),
        (lambda: theorem_4_1(0.9, 1.0, 1.1, 0.1), "eps_model"),
        (lambda: theorem_4_1(0.9, 1.0, 0.1, -0.1), "eps_policy"),
        (lambda: theorem_4_2(0.9, 1.0, 0.1, 0.1, -1), "k"),
        (lambda: theorem_4_2(0.9, 1.0, 0.1, 0.1, 1.5), "k"),  # type: ignore[arg-type]
        (lambda: theorem_4_3(0.9, 1.0, 2.0, 0.1, 1), "eps_model_shifted"),
        (lambda: eps_model_shifted_linear(0.1, 0.1, math.inf), "slope"),
    ],
)
def test_bad_inputs_name_the_parameter(call, param: str) -> None:
    with pytest.raises(TheoryInputError) as info:
        call()
    assert info.value.param == param


def test_linear_eps_model_shifted() -> None:
    assert eps_model_shifted_linear(0.05, 0.1, 0.5) == pytest.approx(0.1)
    assert eps_model_shifted_linear(0.5, 1.0, 2.0) == 1.0  # projected onto [0, 1]
    assert eps_model_shifted_linear_raw(0.5, 1.0, 2.0) == pytest.approx(2.5)
    assert eps_model_shifted_linear(0.1, 0.5, -1.0) == 0.0


tv = st.floats(0.0, 1.0)
gammas = st.floats(0.01, 0.999)


@given(gammas, st.floats(0.0, 10.0), tv, tv, st.integers(0, 200))
def test_parts_sum_and_monotone(g: float, r: float, em: float, ep: float, k: int) -> None:
    for p in (theorem_4_1(g, r, em, ep), theorem_4_2(g, r, em, ep, k),
              theorem_4_3(g, r, em, ep, k)):
        assert p.total == pytest.approx(p.policy_shift + p.model_error)
        assert p.policy_shift >= 0 and p.model_error >= 0
    # More model error never shrinks a penalty.
    assert theorem_4_1(g, r, min(1.0, em + 0.1), ep).total >= theorem_4_1(g, r, em, ep).total
    # 4.3 with eps_m' = eps_m is never looser than 4.2 (which pays 2 eps_pi extra per step).
    assert theorem_4_3(g, r, em, ep, k).total <= theorem_4_2(g, r, em, ep, k).total * (1 + 1e-12)


@pytest.mark.parametrize(("eps_model", "eps_policy"),
                         [(0.3, 0.1), (0.0, 0.01), (0.45, 0.105), (1.0, 0.0)])
def test_largest_informative_gamma_of_theorem_4_1_is_its_closed_form(eps_model: float,
                                                                      eps_policy: float) -> None:
    # C/(2 r_max/(1-g)) = g (eps_m + 2 eps_pi)/(1-g) + 2 eps_pi < 1  <=>  g < (1-2 eps_pi)/(1+eps_m)
    found = largest_informative_gamma(lambda g: theorem_4_1(g, 3.0, eps_model, eps_policy))
    assert found == pytest.approx((1 - 2 * eps_policy) / (1 + eps_model), abs=1e-8)
    assert theorem_4_1(found - 1e-6, 3.0, eps_model, eps_policy).informative
    assert not theorem_4_1(found + 1e-6, 3.0, eps_model, eps_policy).informative


def test_largest_informative_gamma_is_none_or_near_one_at_the_extremes() -> None:
    # eps_pi >= 1/2: 4 r_max eps_pi/(1-g) alone reaches the trivial range, at every g.
    assert largest_informative_gamma(lambda g: theorem_4_1(g, 1.0, 0.0, 0.5)) is None
    assert largest_informative_gamma(lambda g: theorem_4_2(g, 1.0, 1.0, 0.0, 1)) is None
    assert largest_informative_gamma(lambda g: theorem_4_3(g, 1.0, 0.0, 0.0, 5)) > 0.999999
    for k in (1, 3, 10):  # 4.2 and 4.3 agree with a brute-force scan of gamma
        grid = np.linspace(0.001, 0.999, 999)
        for theorem in (lambda g, k=k: theorem_4_2(g, 1.0, 0.02, 0.01, k),
                        lambda g, k=k: theorem_4_3(g, 1.0, 0.05, 0.01, k)):
            found = largest_informative_gamma(theorem)
            scan = [g for g in grid if theorem(g).informative]
            assert found is not None and scan and abs(max(scan) - found) < 0.0011
