"""The sup over time of ε_m with its selection-aware, episode-clustered upper bound
(:mod:`boundcheck.estimators.sup_over_time`)."""

from __future__ import annotations

import numpy as np
import pytest

from boundcheck.estimators.sup_over_time import episode_ids, sup_over_time

TRUE_SUP = 0.6


def _episodes(rng: np.random.Generator, episodes: int = 100,
              length: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """Episodes of random length whose per-step mean peaks at TRUE_SUP at step 30, with an
    episode-level random effect (steps of one episode are dependent) and per-step noise."""
    curve = 0.3 + (TRUE_SUP - 0.3) * np.exp(-0.5 * ((np.arange(length) - 30) / 5) ** 2)
    values, steps = [], []
    for _ in range(episodes):
        n = int(rng.integers(35, length + 1))
        values.append(curve[:n] + rng.normal(0, 0.1) + rng.normal(0, 0.1, n))
        steps.append(np.arange(n))
    return np.concatenate(values), np.concatenate(steps)


def test_episode_ids_follow_the_steps() -> None:
    assert episode_ids(np.array([0, 1, 2, 0, 1, 0, 5, 6])).tolist() == [0, 0, 0, 1, 1, 2, 3, 3]


def test_the_upper_bound_covers_a_known_sup() -> None:
    """Coverage on a synthetic case with a known sup: the upper bound holds in at least 95% of
    repetitions, while the point value (the max of noisy means) misses the sup often."""
    rng = np.random.default_rng(0)
    covered = point_above = 0
    repetitions = 100
    for _ in range(repetitions):
        est = sup_over_time(*_episodes(rng), rng=rng, n_boot=300)
        assert est is not None
        covered += est.upper >= TRUE_SUP
        point_above += est.point >= TRUE_SUP
    assert covered / repetitions >= 0.95
    assert point_above / repetitions < 0.9  # the point value alone is no bound
    assert est.argmax_t in range(24, 37) and est.buckets >= 35 and est.episodes == 100


def test_clusters_widen_the_pooled_interval() -> None:
    """An episode-level effect makes the pooled mean's episode-bootstrap standard error larger
    than the naive one that treats transitions as independent."""
    values, steps = _episodes(np.random.default_rng(1))
    est = sup_over_time(values, steps, rng=np.random.default_rng(2), n_boot=500)
    naive = values.std(ddof=1) / np.sqrt(values.size)
    assert est is not None and est.mean_stderr > 2 * naive


def test_late_steps_reached_by_few_episodes_are_left_out() -> None:
    # Ten episodes of 5 steps, one of 50 whose late steps hold a huge value.
    steps = np.concatenate([np.arange(5)] * 10 + [np.arange(50)])
    values = np.where(steps >= 5, 100.0, 0.2)
    est = sup_over_time(values, steps, rng=np.random.default_rng(0), n_boot=100)
    assert est is not None and est.point == pytest.approx(0.2) and est.buckets == 5
    assert sup_over_time(values, steps, rng=np.random.default_rng(0), min_episodes=12) is None


def test_constant_values_give_a_tight_bound_and_the_cap_holds() -> None:
    steps = np.tile(np.arange(20), 30)
    zero = sup_over_time(np.zeros(steps.size), steps, rng=np.random.default_rng(0))
    assert zero is not None and zero.point == zero.upper == 0.0
    one = sup_over_time(np.ones(steps.size), steps, rng=np.random.default_rng(0), cap=1.0)
    assert one is not None and one.upper == 1.0


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        sup_over_time([0.1], [0.5], rng=np.random.default_rng(0))
    with pytest.raises(ValueError):
        sup_over_time([0.1, 0.2], [0], rng=np.random.default_rng(0))
    with pytest.raises(ValueError):
        sup_over_time([0.1], [0], rng=np.random.default_rng(0), bucket_width=0)
