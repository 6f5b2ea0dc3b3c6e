"""Fits, seed aggregation, the optimal_k_inputs rule and the slope trend
(:mod:`boundcheck.experiments.generalization.analysis`)."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from boundcheck.codec import encode
from boundcheck.estimators import LinearFit, MeanStd
from boundcheck.experiments.generalization import analysis as ana
from boundcheck.experiments.generalization.records import FitError
from tests.unit.experiments.generalization.factories import points, size


def test_fits_recover_a_known_slope() -> None:
    fits = ana.fit_points(points(3.0, [0.0, 0.1, 0.2, 0.4, 0.8]), local_points=4,
                          y_measures=["nll", "mse"])
    for y in ("nll", "mse"):
        linear, local = fits[y]["kl"].linear, fits[y]["kl"].local
        assert isinstance(linear, LinearFit) and isinstance(local, LinearFit)
        assert linear.slope == pytest.approx(3.0)
        assert local.slope == pytest.approx(3.0) and local.n == 4
    bent = ana.fit_points(points(1.0, [0.0, 0.01, 0.02, 0.03, 2.0], bend=5.0), local_points=4,
                          y_measures=["nll"])
    # The local fit uses the 4 smallest shifts only, so it sees the slope near 0.
    local, linear = bent["nll"]["kl"].local, bent["nll"]["kl"].linear
    assert isinstance(local, LinearFit) and isinstance(linear, LinearFit)
    assert local.slope == pytest.approx(1.0, abs=0.2)
    assert linear.slope > 5.0


def test_a_fit_that_cannot_be_made_says_why() -> None:
    fits = ana.fit_points(points(1.0, [0.0]), local_points=4, y_measures=["nll"])
    assert isinstance(fits["nll"]["kl"].linear, FitError)
    assert encode(fits["nll"]["kl"].linear) == {"error": fits["nll"]["kl"].linear.error}


def test_a_summary_over_seeds_keeps_its_finite_values() -> None:
    summary = ana.summarize([1.0, None, math.nan, 3.0])
    assert summary == MeanStd(2.0, math.sqrt(2), 1.0, 2, (1.0, 3.0))
    assert encode(summary) == {"mean": 2.0, "std": math.sqrt(2), "stderr": 1.0, "n": 2,
                               "values": [1.0, 3.0]}
    one = ana.summarize([0.5])
    assert one is not None and encode(one)["std"] is None
    assert ana.summarize([None, math.inf]) is None


def test_aggregation_and_optimal_k_inputs() -> None:
    sizes = [size(600, [1.0, 1.0], [0.1, 0.1], [0.02, 0.02]),
             size(300, [2.0, 4.0], [0.2, 0.4], [0.02, 0.08])]
    small = sizes[1].slopes["tv"]["pinsker_tv"].local
    assert small is not None and small.mean == pytest.approx(3.0)
    assert small.std == pytest.approx(math.sqrt(2))
    inputs, why = ana.optimal_k_inputs(sizes, tv_available=True, interval_updates=5000)
    assert why is None and inputs is not None
    assert inputs.train_size == 300 and inputs.slope == pytest.approx(3.0)
    assert inputs.eps_model == pytest.approx(0.3)
    assert inputs.eps_policy == pytest.approx((0.1 + 0.2) / 2)  # Pinsker: sqrt(KL/2)
    assert inputs.source is not None and "TV" in inputs.source
    # Each interval at 1 - 0.05/3 over the two seeds (Student t, 1 dof): the slope's is
    # 3 +- t(0.99167, 1) * sqrt(2)/sqrt(2).
    half = stats.t.ppf(1 - 0.05 / 6, 1) * 1.0
    assert inputs.interval_level == 0.95
    assert inputs.slope_interval == pytest.approx((3.0 - half, 3.0 + half))
    assert inputs.eps_policy_interval is not None and inputs.eps_model_interval is not None
    assert 0.0 <= inputs.eps_model_interval[0] <= 0.3 <= inputs.eps_model_interval[1] <= 1.0
    one_seed = [size(300, [2.0], [0.2], [0.02])]
    single, _ = ana.optimal_k_inputs(one_seed, tv_available=True, interval_updates=5000)
    assert single is not None and single.slope_interval is None  # no spread from one seed
    proxy, _ = ana.optimal_k_inputs(sizes, tv_available=False, interval_updates=5000)
    # Deterministic simulator: TV = 1 under every policy, so the TV slope is exactly 0.
    assert proxy is not None and proxy.eps_model == 1.0 and proxy.slope == 0.0
    assert proxy.source is not None and "deterministic simulator" in proxy.source
    with pytest.raises(ValueError, match="no training size 50"):
        ana.optimal_k_inputs(sizes, tv_available=True, interval_updates=50, train_size=50)


def test_the_slope_trend_pairs_repetitions_across_sizes() -> None:
    sizes = [size(300, [2.0, 4.0], [0.2, 0.4], [0.02, 0.08]),
             size(600, [1.0, 1.0], [0.1, 0.1], [0.02, 0.02])]
    trends = {(t.measure, t.kind): t for t in ana.slope_trends(sizes)}
    assert set(trends) == {(y, k) for y in ("nll", "mse", "tv") for k in ana.FIT_KINDS}
    tv = trends[("tv", "local")]
    assert (tv.small, tv.large, tv.differences) == (300, 600, (-1.0, -3.0))
    assert tv.mean == pytest.approx(-2.0) and tv.verdict is ana.TrendVerdict.NOT_SETTLED
    assert encode(tv)["verdict"] == "not settled" and list(encode(tv))[:2] == ["measure", "kind"]
    assert ana.slope_trends(sizes[:1]) == []
