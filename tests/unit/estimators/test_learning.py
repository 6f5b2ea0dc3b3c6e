"""Across-seed summaries of learning curves (boundcheck.estimators.learning)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats

from boundcheck.estimators.learning import (
    common_steps,
    curve_band,
    paired_comparison,
    seed_summary,
    window_mean,
)


def test_seed_summary_is_the_student_t_interval() -> None:
    values = [3.0, 5.0, 10.0, 2.0]
    s = seed_summary(values, confidence=0.9)
    half = scipy.stats.t.ppf(0.95, 3) * np.std(values, ddof=1) / 2.0
    assert s.mean == pytest.approx(5.0)
    assert (s.ci_low, s.ci_high) == pytest.approx((5.0 - half, 5.0 + half))
    assert s.n == 4 and s.values == (3.0, 5.0, 10.0, 2.0)


def test_seed_summary_covers_the_true_mean_at_its_level() -> None:
    rng = np.random.default_rng(0)
    hits = []
    for _ in range(2000):
        s = seed_summary(rng.normal(7.0, 3.0, size=5))
        hits.append(s.ci_low <= 7.0 <= s.ci_high)
    assert np.mean(hits) == pytest.approx(0.95, abs=0.015)


def test_one_seed_has_no_interval_and_bad_input_is_refused() -> None:
    s = seed_summary([4.0])
    assert s.mean == 4.0 and math.isnan(s.ci_low) and math.isnan(s.std)
    with pytest.raises(ValueError, match="confidence"):
        seed_summary([1.0, 2.0], confidence=1.0)
    with pytest.raises(ValueError):
        seed_summary([])


def test_window_mean_takes_the_last_evaluations_up_to_the_step() -> None:
    curve = {1000: 1.0, 2000: 2.0, 3000: 4.0, 4000: 8.0}
    assert window_mean(curve, 3000, 2) == pytest.approx(3.0)
    assert window_mean(curve, 4000, 10) == pytest.approx(3.75)
    assert window_mean(curve, 1000, 1) == 1.0
    with pytest.raises(ValueError, match="no evaluation"):
        window_mean(curve, 2500, 2)
    with pytest.raises(ValueError, match="window"):
        window_mean(curve, 2000, 0)


def test_curve_band_uses_the_steps_every_curve_has() -> None:
    curves = [{1: 1.0, 2: 2.0, 3: 3.0}, {1: 3.0, 2: 4.0}]
    assert common_steps(curves) == [1, 2]
    band = curve_band(curves)
    assert band.steps == (1, 2) and band.mean == pytest.approx((2.0, 3.0)) and band.n == 2


def test_paired_comparison_counts_wins_and_tests_them() -> None:
    a = [5.0, 6.0, 7.0, 8.0, 9.0, 1.0]
    b = [1.0, 2.0, 3.0, 4.0, 5.0, 9.0]
    p = paired_comparison(a, b)
    assert (p.wins, p.ties, p.n) == (5, 0, 6)
    assert p.sign_test_p == pytest.approx(scipy.stats.binomtest(5, 6).pvalue)
    assert p.diff.mean == pytest.approx(np.mean(np.subtract(a, b)))
    tied = paired_comparison([1.0, 2.0], [1.0, 2.0])
    assert tied.ties == 2 and math.isnan(tied.sign_test_p)
    with pytest.raises(ValueError, match="equally long"):
        paired_comparison([1.0], [1.0, 2.0])
