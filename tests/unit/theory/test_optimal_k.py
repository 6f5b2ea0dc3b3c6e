"""k*: closed form, exhaustive argmin, ties, the ratio form."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from boundcheck.theory.optimal_k import (
    bracket_terms,
    default_ratio_grid,
    k_star_closed_form,
    k_star_exhaustive,
    k_star_from_ratio,
)


def test_paper_example_k_star_69() -> None:
    # gamma=0.99, eps_pi=0.1, eps_m'=0.05: ceil(ln 0.5 / ln 0.99) = ceil(68.97) = 69
    assert k_star_closed_form(0.99, 0.1, 0.05) == 69
    assert k_star_exhaustive(0.99, 0.1, 0.05, 200) == 69


def test_exact_tie_takes_smallest() -> None:
    # gamma=0.5, eps_pi=1, eps_m'=0.25: f = 4, 2.5, 2, 2, 2.25, ... -> k* = 2 (tie with 3)
    totals = [bracket_terms(0.5, 1.0, 0.25, k).total for k in range(5)]
    assert totals == pytest.approx([4.0, 2.5, 2.0, 2.0, 2.25])
    assert k_star_closed_form(0.5, 1.0, 0.25) == 2
    assert k_star_exhaustive(0.5, 1.0, 0.25, 10) == 2


@pytest.mark.parametrize("gamma", [0.5, 0.9, 0.99])
@pytest.mark.parametrize("eps_policy", [0.3, 0.1, 1.0])
def test_exact_ties_on_gamma_powers(gamma: float, eps_policy: float) -> None:
    # eps_m' = eps_pi * gamma^k makes f(k) = f(k+1) exactly; rounding must not move the
    # exhaustive argmin to k + 1 (it did for gamma = 0.5, eps_pi = 0.3, k = 5).
    for k in range(1, 40):
        eps_model_shifted = eps_policy * gamma**k
        assert k_star_closed_form(gamma, eps_policy, eps_model_shifted) == k
        assert k_star_exhaustive(gamma, eps_policy, eps_model_shifted, 2 * k + 10) == k


def test_edge_cases() -> None:
    assert k_star_closed_form(0.99, 0.1, 0.1) == 0  # rho = 1
    assert k_star_closed_form(0.99, 0.1, 0.3) == 0  # rho > 1
    assert k_star_closed_form(0.99, 0.0, 0.3) == 0  # no policy term
    assert k_star_closed_form(0.99, 0.0, 0.0) == 0
    assert k_star_closed_form(0.99, 0.1, 0.0) is None  # decreases for ever
    assert k_star_exhaustive(0.99, 0.1, 0.0, 50) == 50
    assert k_star_from_ratio(0.9, 0.0) is None


def test_ratio_grid() -> None:
    grid = default_ratio_grid()
    assert grid[0] == 0.01 and grid[-2] == 0.99 and grid[-1] == 1.0
    ks = [k_star_from_ratio(0.99, r) for r in grid]
    assert all(a >= b for a, b in itertools.pairwise(ks))  # non-increasing in rho
    assert ks[-1] == 0


@settings(max_examples=400, deadline=None)
@given(st.floats(0.05, 0.995), st.floats(1e-3, 1.0), st.floats(1e-4, 1.0))
@example(0.5, 1.0, 0.9999999999999999)  # a tie at k = 0 that hypothesis found once
def test_closed_form_equals_exhaustive(g: float, ep: float, emp: float) -> None:
    k = k_star_closed_form(g, ep, emp)
    assert k is not None
    assert k_star_exhaustive(g, ep, emp, 2 * k + 10) == k
    # The closed form is a minimiser and the smallest up to ties.
    fk = bracket_terms(g, ep, emp, k).total
    assert all(bracket_terms(g, ep, emp, j).total >= fk * (1 - 1e-12) for j in range(2 * k + 10))
    # k > 0 exactly when ε_m′ < ε_π, except within the tie tolerance of γ^0 = 1, where k = 0
    # (hypothesis found ε_m′ one ulp below ε_π = 1: a tie, f(0) = f(1) to 1e-16).
    assert (k > 0) == (emp / ep * (1 + 1e-12) < 1.0)


@given(st.floats(0.05, 0.995), st.floats(1e-6, 0.999))
def test_ratio_form_depends_only_on_ratio(g: float, rho: float) -> None:
    assert k_star_closed_form(g, 1.0, rho) == k_star_from_ratio(g, rho)
