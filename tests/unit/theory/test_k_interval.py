"""k*'s range over a box of inputs (:mod:`boundcheck.theory.k_interval`), checked against k*
evaluated on a dense grid of the box."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from boundcheck.theory.bounds import TheoryInputError
from boundcheck.theory.k_interval import k_star_interval, ratio_of
from boundcheck.theory.optimal_k import k_star_closed_form, k_star_from_ratio


def _grid_k(gamma: float, box: list[tuple[float, float]]) -> set[int | None]:
    out = set()
    for ep, em, sl in itertools.product(*(np.linspace(lo, hi, 9) for lo, hi in box)):
        shifted = min(1.0, max(0.0, em + ep * sl))
        out.add(k_star_closed_form(gamma, ep, shifted))
    return out


def test_a_slope_interval_across_a_jump_of_k_star() -> None:
    """ρ = 0.2 + slope crosses γ^20 inside the slope interval: k* jumps there, and the range
    spans both sides, its ends attained at the box's corners."""
    gamma = 0.99
    assert 0.2 + 0.6 < gamma**20 < 0.2 + 0.63
    interval = k_star_interval(gamma, (0.5, 0.5), (0.1, 0.1), (0.6, 0.63))
    point = k_star_from_ratio(gamma, ratio_of(0.5, 0.1, 0.615))
    assert interval.low == k_star_from_ratio(gamma, 0.83)
    assert interval.high == k_star_from_ratio(gamma, 0.8)
    assert interval.low < 20 <= interval.high and interval.contains(point or 0)
    found = _grid_k(gamma, [(0.5, 0.5), (0.1, 0.1), (0.6, 0.63)])
    assert min(found) == interval.low and max(found) == interval.high  # type: ignore[type-var]


@pytest.mark.parametrize("seed", range(20))
def test_the_range_holds_every_k_star_of_the_box(seed: int) -> None:
    rng = np.random.default_rng(seed)
    gamma = float(rng.choice([0.9, 0.99, 0.999]))
    ep = sorted(rng.uniform(0.01, 1.0, 2))
    em = sorted(rng.uniform(0.0, 0.5, 2))
    sl = sorted(rng.uniform(-0.5, 1.5, 2))
    interval = k_star_interval(gamma, (ep[0], ep[1]), (em[0], em[1]), (sl[0], sl[1]))
    found = _grid_k(gamma, [(ep[0], ep[1]), (em[0], em[1]), (sl[0], sl[1])])
    finite = {k for k in found if k is not None}
    assert interval.low is not None and finite and min(finite) == interval.low
    if None in found:
        assert interval.high is None
    else:
        assert interval.high == max(finite)


def test_unbounded_ends() -> None:
    # A box that allows eps_m' = 0: k* unbounded above; one that forces it: unbounded both ways.
    assert k_star_interval(0.99, (0.2, 0.3), (0.0, 0.1), (-1.0, 0.0)).high is None
    none = k_star_interval(0.99, (0.2, 0.3), (0.0, 0.0), (-1.0, -0.5))
    assert none.low is None and none.high is None and not none.contains(3)
    # A one-seed slope interval (infinite ends): k* anywhere from 0 to unbounded.
    wide = k_star_interval(0.99, (0.2, 0.3), (0.05, 0.1), (-math.inf, math.inf))
    assert wide.low == 0 and wide.high is None


def test_a_reversed_interval_is_refused() -> None:
    with pytest.raises(TheoryInputError, match="slope"):
        k_star_interval(0.99, (0.2, 0.3), (0.1, 0.1), (0.5, 0.4))
