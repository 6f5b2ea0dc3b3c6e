"""Pieces of measure-generalization that need no training: the KL grid, the fits and their
aggregation, the optimal_k_inputs rule, and when the true transition law is known."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from boundcheck.config import BASE
from boundcheck.envs import get_spec, make_env
from boundcheck.experiments.common.collect import true_law_std
from boundcheck.experiments.generalization import analysis as ana
from boundcheck.experiments.generalization.continuation import kl_grid
from boundcheck.experiments.generalization.outputs import points_csv
from boundcheck.runs.atomic import strict_json


def test_kl_grid_is_geometric() -> None:
    grid = kl_grid(0.01, 1.0, 3)
    assert grid == pytest.approx([0.01, 0.1, 1.0])
    assert kl_grid(0.01, 1.0, 1) == [1.0]
    with pytest.raises(ValueError):
        kl_grid(0.0, 1.0, 3)


def _points(slope: float, xs: list[float], *, bend: float = 0.0) -> list[dict[str, float]]:
    """Points with y = 2 + slope·x (+ bend·x² to make the local and global slopes differ)."""
    return [{"kl_mean": x, "pinsker_tv": math.sqrt(x / 2), "nll_mean": 2 + slope * x + bend * x**2,
             "mse_mean": 1 + slope * x, "tv_mean": None} for x in xs]


def test_fits_recover_a_known_slope() -> None:
    fits = ana.fit_points(_points(3.0, [0.0, 0.1, 0.2, 0.4, 0.8]), local_points=4,
                          y_measures=["nll", "mse"])
    for y in ("nll", "mse"):
        assert fits[y]["kl"]["linear"]["slope"] == pytest.approx(3.0)
        assert fits[y]["kl"]["local"]["slope"] == pytest.approx(3.0)
        assert fits[y]["kl"]["local"]["n"] == 4
    bent = ana.fit_points(_points(1.0, [0.0, 0.01, 0.02, 0.03, 2.0], bend=5.0), local_points=4,
                          y_measures=["nll"])
    # The local fit uses the 4 smallest shifts only, so it sees the slope near 0.
    assert bent["nll"]["kl"]["local"]["slope"] == pytest.approx(1.0, abs=0.2)
    assert bent["nll"]["kl"]["linear"]["slope"] > 5.0


def test_a_fit_that_cannot_be_made_says_why() -> None:
    fits = ana.fit_points(_points(1.0, [0.0]), local_points=4, y_measures=["nll"])
    assert "error" in fits["nll"]["kl"]["linear"]


def _size(n: int, slopes: list[float], eps_m: list[float], kl: list[float]) -> dict:
    seeds = []
    for s, m, k in zip(slopes, eps_m, kl, strict=True):
        fit = {"slope": s, "slope_stderr": 0.1}
        fits = {y: {x: {"linear": fit, "local": fit} for x in ana.X_MEASURES}
                for y in ("nll", "mse", "tv")}
        seeds.append({"fits": fits, "eps_pi_interval": ana.eps_pi_from_kl(k),
                      "points": [{"nll_mean": 5.0, "mse_mean": 0.1, "tv_mean": m}]})
    return {"train_size": n, **ana.aggregate_size(seeds, ["nll", "mse", "tv"])}


def test_aggregation_and_optimal_k_inputs() -> None:
    sizes = [_size(600, [1.0, 1.0], [0.1, 0.1], [0.02, 0.02]),
             _size(300, [2.0, 4.0], [0.2, 0.4], [0.02, 0.08])]
    small = sizes[1]
    assert small["slopes"]["tv"]["pinsker_tv"]["local"]["mean"] == pytest.approx(3.0)
    assert small["slopes"]["tv"]["pinsker_tv"]["local"]["std"] == pytest.approx(math.sqrt(2))
    inputs, why = ana.optimal_k_inputs(sizes, tv_available=True, interval_updates=5000)
    assert why is None and inputs is not None
    assert inputs["train_size"] == 300 and inputs["slope"] == pytest.approx(3.0)
    assert inputs["eps_m"] == pytest.approx(0.3)
    assert inputs["eps_pi"] == pytest.approx((0.1 + 0.2) / 2)  # Pinsker: sqrt(KL/2)
    assert "TV" in inputs["source"]
    proxy, _ = ana.optimal_k_inputs(sizes, tv_available=False, interval_updates=5000)
    # Deterministic simulator: TV = 1 under every policy, so the TV slope is exactly 0.
    assert proxy is not None and proxy["eps_m"] == 1.0 and proxy["slope"] == 0.0
    assert "deterministic simulator" in proxy["source"]


def test_strict_json_and_csv() -> None:
    assert strict_json({"a": [math.nan, 1.0, math.inf], "b": (1, "x")}) == \
        {"a": [None, 1.0, None], "b": [1, "x"]}
    doc = {"sizes": [{"train_size": 300, "seeds": [
        {"seed": 0, "points": [{"policy": "pi_D", "kl_mean": 0.0, "tv_mean": None}]}]}]}
    lines = points_csv(doc).splitlines()
    assert lines[0].startswith("seed,train_size,policy") and lines[1].startswith("0,300,pi_D")


@pytest.mark.parametrize(
    ("env", "noise", "reward_noise", "needle"),
    [
        ("InvertedPendulum-v5", 0.0, 0.0, "deterministic"),
        ("InvertedPendulum-v5", 0.01, 0.0, "reward_noise is 0"),
        ("Pendulum-v1", 0.01, 0.01, "angles"),
    ],
)
def test_true_law_unavailable(env: str, noise: float, reward_noise: float, needle: str) -> None:
    spec = get_spec(env)
    config = dataclasses.replace(BASE, env=env, transition_noise=noise,
                                 reward_noise=reward_noise)
    std, reason = true_law_std(make_env(spec, transition_noise=noise, reward_noise=reward_noise),
                               spec, config)
    assert std is None and reason is not None and needle in reason


def test_true_law_known() -> None:
    spec = get_spec("InvertedPendulum-v5")
    config = dataclasses.replace(BASE, env=spec.name, transition_noise=0.01, reward_noise=0.05)
    std, reason = true_law_std(make_env(spec, transition_noise=0.01, reward_noise=0.05), spec,
                               config)
    assert reason is None and std is not None
    np.testing.assert_allclose(std, [0.05] + [0.01] * spec.obs_dim)
