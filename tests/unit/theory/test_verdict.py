"""The verdict logic of ``boundcheck validate`` on synthetic returns (theory/verdict.py)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from boundcheck.theory.bounds import Penalty, theorem_4_1
from boundcheck.theory.verdict import (
    Verdict,
    check_bound,
    informative_threshold,
    mean_estimate,
    verdict,
)

HOLDS, VIOLATED, INCONCLUSIVE = Verdict.HOLDS, Verdict.VIOLATED, Verdict.INCONCLUSIVE


def _penalty(c: float) -> Penalty:
    return Penalty("4.1", policy_shift=c, model_error=0.0, trivial_range=20.0)


def _paired(eta: float, ref: float, n: int = 50,
            noise: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return eta + rng.normal(0, noise, n), ref + rng.normal(0, noise, n)


def test_mean_estimate_is_the_student_t_interval() -> None:
    x = np.random.default_rng(0).normal(3.0, 2.0, size=25)
    est = mean_estimate(x, 0.9)
    low, high = stats.t.interval(0.9, 24, loc=x.mean(), scale=stats.sem(x))
    assert est.mean == pytest.approx(x.mean())
    assert (est.low, est.high) == pytest.approx((low, high))
    assert est.n == 25 and est.dof == 24


def test_one_value_has_no_interval_and_is_inconclusive() -> None:
    est = mean_estimate(np.array([5.0]))
    assert math.isnan(est.stderr) and math.isnan(est.low)
    assert verdict(est) == INCONCLUSIVE


def test_the_slack_interval_is_paired_by_episode() -> None:
    """Common random numbers: a shared per-episode component cancels in the paired slack."""
    rng = np.random.default_rng(1)
    shared = rng.normal(0.0, 50.0, size=40)
    eta = 100.0 + shared + rng.normal(0.0, 1.0, size=40)
    ref = 98.0 + shared + rng.normal(0.0, 1.0, size=40)
    result = check_bound(_penalty(0.0), eta, ref, "eta_model")
    paired = stats.ttest_rel(eta, ref)
    assert result.slack.mean == pytest.approx(float(np.mean(eta - ref)))
    assert result.slack.stderr == pytest.approx(float(np.mean(eta - ref)) / paired.statistic)
    assert result.verdict == HOLDS  # unpaired, the s.e. would be ~11 and could not tell
    assert result.eta.stderr > 5 * result.slack.stderr


@pytest.mark.parametrize(("eta", "ref", "c", "expected"), [
    (100.0, 50.0, 0.0, HOLDS),          # slack 50 +- ~0.4
    (10.0, 200.0, 0.0, VIOLATED),       # slack -190
    (50.0, 50.1, 0.0, INCONCLUSIVE),    # slack -0.1 +- ~0.4: cannot tell
    (10.0, 200.0, 195.0, HOLDS),        # the penalty rescues the bound
    (10.0, 200.0, 189.9, INCONCLUSIVE),
])
def test_verdict_respects_the_interval(eta: float, ref: float, c: float, expected: Verdict) -> None:
    a, b = _paired(eta, ref)
    result = check_bound(_penalty(c), a, b, "eta_model")
    assert result.verdict == expected
    assert result.lower_bound.mean == pytest.approx(float(b.mean()) - c)
    assert result.slack.mean == pytest.approx(float(a.mean() - b.mean()) + c)


def test_an_unreliable_reference_is_never_a_violation() -> None:
    a, b = _paired(10.0, 200.0)
    result = check_bound(_penalty(0.0), a, b, "eta_model", unreliable="2 episodes diverged")
    assert result.verdict == INCONCLUSIVE and result.unreliable == "2 episodes diverged"


def test_verdicts_are_the_json_words() -> None:
    assert [v.value for v in Verdict] == ["holds", "violated", "inconclusive"]
    assert json.dumps([Verdict.HOLDS]) == '["holds"]' and Verdict("violated") is VIOLATED


def test_unpaired_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="paired"):
        check_bound(_penalty(0.0), np.ones(3), np.ones(4), "x")


def test_scale_to_informative_puts_c_at_the_trivial_range() -> None:
    gamma, r_max, eps_model, eps_policy = 0.99, 2.0, 0.3, 0.2
    result = check_bound(theorem_4_1(gamma, r_max, eps_model, eps_policy), np.zeros(3),
                         np.zeros(3), "x")
    s = result.scale_to_informative
    at = theorem_4_1(gamma, r_max, eps_model * s, eps_policy * s)
    assert at.total == pytest.approx(at.trivial_range)
    assert not result.informative and s < 1
    below = theorem_4_1(gamma, r_max, eps_model * s * 0.99, eps_policy * s * 0.99)
    assert below.informative
    assert informative_threshold(eps_policy, s) == pytest.approx(eps_policy * s)
    assert informative_threshold(0.9, 10.0) == 1.0
    assert informative_threshold(0.5, math.inf) is None
