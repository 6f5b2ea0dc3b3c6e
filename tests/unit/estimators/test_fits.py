"""Line fits for dε_m′/dε_π: slope recovery and its interval, the local-slope rule, seeds."""

from __future__ import annotations

import math

import numpy as np
import pytest

from boundcheck.estimators import LinearFit, linear_fit, local_slope, mean_std


def test_linear_fit_recovers_known_slope() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, 60)
    fit = linear_fit(x, 0.3 + 2.0 * x + 0.1 * rng.standard_normal(60))
    assert isinstance(fit, LinearFit) and fit.n == 60 and fit.confidence == 0.95
    assert fit.slope_ci_low <= 2.0 <= fit.slope_ci_high
    assert fit.intercept == pytest.approx(0.3, abs=4 * fit.intercept_stderr)
    assert 0.9 < fit.r_squared <= 1.0


def test_slope_interval_coverage() -> None:
    # With 8 points the t interval (6 dof) must still cover the true slope ~95% of the time.
    rng = np.random.default_rng(1)
    x = np.linspace(0, 1, 8)
    hits = 0
    for _ in range(300):
        fit = linear_fit(x, 1.0 - 0.5 * x + 0.2 * rng.standard_normal(x.size))
        hits += fit.slope_ci_low <= -0.5 <= fit.slope_ci_high
    assert 0.90 * 300 <= hits <= 0.99 * 300, hits


def test_small_and_degenerate_inputs() -> None:
    two = linear_fit([0.0, 1.0], [1.0, 3.0])
    assert two.slope == pytest.approx(2.0) and two.intercept == pytest.approx(1.0)
    assert math.isnan(two.slope_stderr) and math.isnan(two.slope_ci_low)
    flat = linear_fit([0.0, 1.0, 2.0], [4.0, 4.0, 4.0])
    assert flat.slope == 0.0 and flat.slope_stderr == 0.0 and math.isnan(flat.r_squared)
    with pytest.raises(ValueError, match="slope is undefined"):
        linear_fit([1.0, 1.0, 1.0], [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="at least 2"):
        linear_fit([1.0], [1.0])
    with pytest.raises(ValueError, match="same length"):
        linear_fit([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="NaN"):
        linear_fit([0.0, 1.0, math.nan], [1.0, 2.0, 3.0])


def test_local_slope_uses_smallest_x() -> None:
    # y = 2x for x < 1, and 10x - 8 beyond: the local slope at 0 is 2, the global one larger.
    rng = np.random.default_rng(2)
    x = rng.permutation(np.linspace(0, 3, 31))
    y = np.where(x < 1, 2 * x, 10 * x - 8)
    local = local_slope(x, y, n_nearest=10)  # x in [0, 0.9]
    assert local.n == 10 and local.slope == pytest.approx(2.0)
    assert linear_fit(x, y).slope > 5
    with pytest.raises(ValueError):
        local_slope(x, y, n_nearest=1)
    with pytest.raises(ValueError):
        local_slope(x, y, n_nearest=32)
    with pytest.raises(ValueError, match="slope is undefined"):
        local_slope([0.0, 0.0, 1.0], [0.0, 1.0, 2.0], n_nearest=2)


def test_mean_std() -> None:
    s = mean_std([1.0, 2.0, 3.0, 4.0])
    assert s.mean == 2.5 and s.n == 4
    assert s.std == pytest.approx(np.std([1, 2, 3, 4], ddof=1))
    assert s.stderr == pytest.approx(s.std / 2)
    one = mean_std(np.array([7.0]))
    assert one.mean == 7.0 and math.isnan(one.std) and math.isnan(one.stderr)
    with pytest.raises(ValueError):
        mean_std([])


def test_clustered_standard_error() -> None:
    """Within-cluster dependence: the cluster-robust standard error is larger than the i.i.d.
    one, equals it for singleton clusters, and matches its formula."""
    rng = np.random.default_rng(0)
    clusters = np.repeat(np.arange(30), 20)
    values = rng.normal(0, 1, 30)[clusters] + rng.normal(0, 0.1, clusters.size)
    iid, robust = mean_std(values), mean_std(values, clusters)
    assert robust.mean == iid.mean and robust.std == iid.std and robust.stderr > 3 * iid.stderr
    sums = np.bincount(clusters, weights=values - values.mean())
    assert robust.stderr == pytest.approx(np.sqrt(30 / 29 * (sums**2).sum()) / values.size)
    single = mean_std(values, np.arange(values.size))
    assert single.stderr == pytest.approx(iid.stderr)  # singleton clusters: the i.i.d. one
    assert np.isnan(mean_std(values, np.zeros(values.size)).stderr)  # one cluster
