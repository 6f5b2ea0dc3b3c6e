"""Which ε_m validate uses: a given value, the TV's sup over time, the mean TV, or 1."""

from __future__ import annotations

import pytest

from boundcheck.experiments.common.measure import ModelErrorEstimate, SupOverTime
from boundcheck.experiments.validate.results import EpsSource
from boundcheck.experiments.validate.theorems import model_error_value


def _error(tv_mean: float | None, sup: tuple[str, float] | None) -> ModelErrorEstimate:
    over_time = None if sup is None else SupOverTime(
        measure=sup[0], bucket_width=10, sup_mean=sup[1], sup_stderr=0.0, sup_t_start=0,
        overall_mean=sup[1], buckets=3)
    return ModelErrorEstimate(n=30, nll_mean=0.0, nll_stderr=0.0, mse_mean=0.0, mse_stderr=0.0,
                              tv_mean=tv_mean, tv_stderr=None, tv_mc_stderr=None,
                              sup_over_time=over_time)


def test_a_given_value_wins() -> None:
    assert model_error_value(_error(0.3, None), 0.05) == (0.05, EpsSource.GIVEN)


def test_eps_model_shifted_falls_back_on_a_given_eps_m() -> None:
    assert model_error_value(_error(0.3, None), 0.05, EpsSource.GIVEN_AS_EPS_M) == (
        0.05, EpsSource.GIVEN_AS_EPS_M)
    assert EpsSource.GIVEN_AS_EPS_M.value == "given (--eps-m)"  # the JSON word


def test_tv_sup_over_time_is_the_papers_definition() -> None:
    assert model_error_value(_error(0.2, ("tv", 0.35)), None) == (
        pytest.approx(0.35), EpsSource.TV_SUP_OVER_TIME)


def test_mean_tv_when_no_bucket_has_two_transitions() -> None:
    assert model_error_value(_error(0.2, None), None) == (pytest.approx(0.2), EpsSource.TV_MEAN)


def test_without_known_noise_the_tv_is_one() -> None:
    assert model_error_value(_error(None, ("nll", -17.0)), None) == (
        1.0, EpsSource.DETERMINISTIC_SIMULATOR)


def test_monte_carlo_overshoot_is_clipped_to_a_tv() -> None:
    assert model_error_value(_error(None, ("tv", 1.02)), None)[0] == 1.0
