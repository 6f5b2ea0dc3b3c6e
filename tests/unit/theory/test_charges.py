"""Rung 2's charge assembly (boundcheck.theory.charges) against the formulas of docs/ladder.md
written out as plain loops, and its input checks."""

from __future__ import annotations

import numpy as np
import pytest

from boundcheck.theory.charges import (
    branch_charges,
    data_branch_charges,
    first_gamma_above,
    head_fraction,
    model_charges,
)


def _loops(model_err: np.ndarray, shift: np.ndarray, shift_data: np.ndarray,
           model_from: np.ndarray, k: int, n: int) -> tuple[list[float], ...]:
    c_2a = [sum(model_err[:t]) for t in range(n)]
    e = [model_err[i] if i < k else shift[i] for i in range(n)]
    c_2b = [sum(e[:t]) + (shift[t] if t >= k else 0.0) for t in range(n)]
    c_2c = []
    for t in range(n):
        start = max(t - k, 0)
        c_2c.append(sum(shift_data[:start]) + model_from[start, min(t, k)])
    return c_2a, c_2b, c_2c


@pytest.mark.parametrize("k", [0, 1, 3, 7])
def test_the_assembly_is_the_formula(k: int) -> None:
    rng = np.random.default_rng(k)
    n = 12
    model_err, shift, shift_data = rng.random(n), rng.random(n), rng.random(n)
    model_from = np.cumsum(np.concatenate([np.zeros((n, 1)), rng.random((n, k))], axis=1),
                           axis=1)
    c_2a, c_2b, c_2c = _loops(model_err, shift, shift_data, model_from, k, n)
    assert model_charges(model_err, n) == pytest.approx(c_2a)
    assert branch_charges(model_err, shift, k, n) == pytest.approx(c_2b)
    assert data_branch_charges(shift_data, model_from, k, n) == pytest.approx(c_2c)


def test_head_fraction_is_the_weighted_mean_of_the_saturated_charges() -> None:
    c = np.array([0.0, 0.5, 2.0])
    g = 0.5
    assert head_fraction(c, g) == pytest.approx((0 + 0.5 * 0.5 + 0.25 * 1.0) / 1.75)
    assert head_fraction(np.full(5, 3.0), 0.9) == pytest.approx(1.0)
    growing = np.linspace(0.0, 1.5, 50)
    assert head_fraction(growing, 0.5) < head_fraction(growing, 0.9) < head_fraction(growing, 0.99)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="fewer than n"):
        model_charges(np.zeros(3), 5)
    with pytest.raises(ValueError, match="k ≥ 0"):
        branch_charges(np.zeros(3), np.zeros(3), -1, 3)
    with pytest.raises(ValueError, match="model_from"):
        data_branch_charges(np.zeros(5), np.zeros((5, 2)), 2, 5)
    with pytest.raises(ValueError, match="gamma"):
        head_fraction(np.zeros(3), 1.0)


def test_the_first_gamma_above_a_level() -> None:
    growing = np.minimum(1.0, 0.1 * np.arange(100))
    g = first_gamma_above(growing, 0.5)
    assert g is not None and head_fraction(growing, g) <= 0.5 < head_fraction(growing, g + 1e-5)
    assert first_gamma_above(np.ones(10), 0.5) is None
    assert first_gamma_above(np.zeros(10), 0.5) == pytest.approx(1.0 - 1e-6)
    # Charges that fall back to 0 (episodes that end): above the level at middle γ only.
    bump = np.concatenate([[0.0], np.ones(20), np.zeros(2000)])
    g = first_gamma_above(bump, 0.5)
    assert g is not None and g < 0.9 and head_fraction(bump, 0.999999) < 0.5
