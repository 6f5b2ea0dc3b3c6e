"""The critic-bias estimator (boundcheck.estimators.q_bias): the soft return-to-go against its
definition summed term by term, the time-limit cut, and the pooling over episodes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from boundcheck.estimators.q_bias import (
    EpisodeBias,
    episode_bias,
    q_bias,
    soft_returns_to_go,
    used_steps,
)


def test_returns_to_go_match_the_definition() -> None:
    rng = np.random.default_rng(0)
    r, b, g = rng.normal(size=7), rng.normal(size=7), 0.9
    got = soft_returns_to_go(r, b, g)
    for t in range(7):  # G_t = r_t + Σ_{u>t} γ^{u−t} (r_u + b_u): no bonus at t itself
        want = r[t] + sum(g ** (u - t) * (r[u] + b[u]) for u in range(t + 1, 7))
        assert got[t] == pytest.approx(want)


def test_the_time_limit_cut() -> None:
    g, tail = 0.5, 0.1  # γ^4 = 0.0625 ≤ 0.1 < γ^3: a step needs 4 steps to the cut
    assert used_steps(10, True, g, tail) == 10
    assert used_steps(10, False, g, tail) == 7  # t = 0..6, 10 − t ≥ 4
    assert used_steps(3, False, g, tail) == 0
    for t in range(used_steps(10, False, g, tail)):
        assert g ** (10 - t) <= tail
    with pytest.raises(ValueError, match="tail"):
        used_steps(10, False, g, 1.5)


def test_a_critic_off_by_a_constant_has_that_bias() -> None:
    r, b, g = np.ones(20), np.full(20, 0.1), 0.9
    exact = soft_returns_to_go(r, b, g)
    e = episode_bias(exact + 0.5, r, b, terminated=True, gamma=g, tail=0.01)
    assert e is not None and e.steps == 20
    assert e.bias == pytest.approx(0.5)
    assert e.mean_return == pytest.approx(exact.mean())
    assert episode_bias(exact, r, b, terminated=False, gamma=g, tail=0.01) is None  # 44 needed


def test_pooling_is_over_episodes() -> None:
    eps = [EpisodeBias(steps=10, bias=1.0, mean_return=10.0),
           EpisodeBias(steps=1000, bias=3.0, mean_return=30.0)]
    s = q_bias(eps)
    assert s.bias.mean == pytest.approx(2.0) and s.bias.n == 2  # episodes weigh equally
    assert s.mean_return == pytest.approx(20.0)
    assert s.normalised == pytest.approx(0.1)
    assert s.normalised_low < 0.1 < s.normalised_high and s.steps == 1010
    assert math.isnan(q_bias([EpisodeBias(1, 1.0, 0.0), EpisodeBias(1, 2.0, 0.0)]).normalised)
    with pytest.raises(ValueError):
        q_bias([])
