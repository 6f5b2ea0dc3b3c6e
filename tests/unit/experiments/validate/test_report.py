"""Which ε the bounds of ``boundcheck validate`` consume (experiments/val_report.py)."""

from __future__ import annotations

import pytest

from boundcheck.experiments.validate.report import model_error_value


def test_a_given_value_wins() -> None:
    assert model_error_value({"tv_mean": 0.3, "sup_over_time": None}, 0.05) == (0.05, "given")


def test_tv_sup_over_time_is_the_papers_definition() -> None:
    err = {"tv_mean": 0.2, "sup_over_time": {"measure": "tv", "sup_mean": 0.35}}
    assert model_error_value(err, None) == (pytest.approx(0.35), "tv_sup_over_time")


def test_mean_tv_when_no_bucket_has_two_transitions() -> None:
    assert model_error_value({"tv_mean": 0.2, "sup_over_time": None}, None) == (
        pytest.approx(0.2), "tv_mean")


def test_without_known_noise_the_tv_is_one() -> None:
    err = {"tv_mean": None, "sup_over_time": {"measure": "nll", "sup_mean": -17.0}}
    assert model_error_value(err, None) == (1.0, "deterministic_simulator")


def test_monte_carlo_overshoot_is_clipped_to_a_tv() -> None:
    err = {"tv_mean": None, "sup_over_time": {"measure": "tv", "sup_mean": 1.02}}
    assert model_error_value(err, None)[0] == 1.0
