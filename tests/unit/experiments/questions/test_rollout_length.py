"""Does the math pick k: k* from a validated pair, and the study over a fixed-k grid."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest

from boundcheck.experiments.questions.rollout_length import (
    KRun,
    k_star_of_pair,
    rollout_length_study,
)
from boundcheck.experiments.validate.document import PairRecord, validation_record
from tests.unit.experiments.sweep.test_analyses import _template


def _pair(eps_pi: float, eps_mp: float, *, pi_low: float, sup_point: float,
          pi_mean: float, eta: float = 100.0, eta_model: float = 150.0,
          eta_branch: float = 120.0, k: int = 1,
          source: str = "tv_sup_over_time_upper") -> PairRecord:
    doc: dict[str, Any] = copy.deepcopy(_template())
    pair = doc["pairs"][-1]
    pair["k"] = k
    pair["inputs"].update(eps_pi=eps_pi, eps_model_shifted=eps_mp,
                          eps_model_shifted_source=source)
    stats = pair["policy_shift"]["stats"]["pinsker_min"]
    stats["max"].update(value=eps_pi, ci_low=pi_low, ci_high=eps_pi)
    stats["mean"]["value"] = pi_mean
    pair["model_error"]["pi"]["sup_over_time"]["sup_mean"] = sup_point
    block = pair["by_gamma"][0]
    returns = copy.deepcopy(block["returns"])
    for key, value in (("eta", eta), ("eta_model", eta_model), ("eta_branch", eta_branch)):
        returns[key]["mean"] = value
    pair["by_gamma"] = [{**block, "gamma": 0.99, "returns": returns}]
    doc["pairs"] = [pair]
    return validation_record(doc, "test").pairs[-1]


def test_k_star_its_range_and_the_mean_shift_what_if() -> None:
    ks = k_star_of_pair(_pair(1.0, 0.5, pi_low=0.9, sup_point=0.4, pi_mean=0.2), 0.99)
    # k* = ceil(ln(eps_m' / eps_pi) / ln gamma): the smallest k with gamma^k <= ratio.
    assert ks.point == math.ceil(math.log(0.5) / math.log(0.99)) == 69
    assert ks.low == math.ceil(math.log(0.5 / 0.9) / math.log(0.99))  # largest ratio
    assert ks.high == math.ceil(math.log(0.4 / 1.0) / math.log(0.99))  # smallest ratio
    assert ks.low < ks.point < ks.high
    assert ks.if_eps_pi_mean == 0  # ratio 0.5 / 0.2 >= 1: no branch pays


def _run(k: int, seed: int, final: float, pair: PairRecord | None = None) -> KRun:
    # Ten evaluations, the last five averaging `final`.
    curve = {250 * i: (0.0 if i < 5 else final) for i in range(10)}
    return KRun(f"k{k}-s{seed}", k, seed, curve, pair)


def test_the_best_k_paired_against_the_others_on_shared_seeds() -> None:
    runs = [_run(1, s, 900.0 + s) for s in range(3)] + \
        [_run(5, s, 500.0 + 10 * s) for s in range(3)] + [_run(25, 0, 100.0)]
    study = rollout_length_study(runs)
    assert [g.k for g in study.groups] == [1, 5, 25] and study.best_k == 1
    assert study.groups[0].final_return.mean == pytest.approx(901.0)
    paired = study.against_best[5]
    assert paired.wins == 3 and paired.diff.mean == pytest.approx(401.0 - 10.0)
    assert 25 not in study.against_best  # one shared seed: no interval
    assert study.k_star_low is None and study.best_in_k_star_range is None
    assert study.groups[0].model_gap is None


def test_gaps_and_k_star_ranges_over_validated_runs() -> None:
    near = _pair(1.0, 0.95, pi_low=0.95, sup_point=0.9, pi_mean=0.3, eta_model=180.0)
    far = _pair(1.0, 0.5, pi_low=0.9, sup_point=0.4, pi_mean=0.3, eta_branch=90.0)
    far10 = _pair(1.0, 0.5, pi_low=0.9, sup_point=0.4, pi_mean=0.3, eta_branch=90.0, k=10)
    runs = [_run(1, 0, 800.0, near), _run(1, 1, 820.0, far), _run(10, 0, 300.0, far10),
            _run(10, 1, 310.0)]
    study = rollout_length_study(runs)
    one, ten = study.groups
    assert one.model_gap is not None and one.model_gap.values == (80.0, 50.0)
    assert one.branch_gap is not None and one.branch_gap.values == (20.0, -10.0)
    assert ten.model_gap is not None and ten.model_gap.n == 1  # seed 1 not validated
    assert study.k_star_low == k_star_of_pair(near, 0.99).low == 0  # ratio 0.95 / 0.95
    assert study.k_star_high == k_star_of_pair(far, 0.99).high
    assert study.best_k == 1 and study.best_in_k_star_range is True
    # Per run: near's range [0, 11] holds k = 1, far's [59, 92] (twice) does not.
    assert (study.runs_holding_best_k, study.runs_with_k_star) == (1, 3)


def test_k_star_needs_a_measured_tv_and_survives_a_zero_model_error() -> None:
    """Without known noise eps_m' = 1 by construction: no k* for that run. eps_m' = 0 (an
    oracle) makes k* unbounded, not a crash."""
    blind = _pair(1.0, 1.0, pi_low=0.9, sup_point=-3.0, pi_mean=0.3,
                  source="deterministic_simulator")
    exact = _pair(1.0, 0.0, pi_low=0.9, sup_point=0.0, pi_mean=0.3)
    study = rollout_length_study([_run(1, 0, 800.0, blind), _run(1, 1, 700.0, exact)])
    assert list(study.groups[0].k_star) == [1]
    assert study.groups[0].k_star[1].point is None and study.k_star_high is None
    assert study.best_in_k_star_range is True and study.runs_with_k_star == 1


def test_runs_of_different_lengths_are_read_at_their_last_common_step() -> None:
    longer = KRun("long", 1, 1, {250 * i: (0.0 if i < 5 else 900.0) for i in range(14)}, None)
    study = rollout_length_study([_run(1, 0, 500.0), longer])
    assert study.step == 250 * 9
    assert study.groups[0].final_return.values == (500.0, 900.0)

def test_bad_grids_are_refused() -> None:
    mismatch = _pair(1.0, 0.5, pi_low=0.9, sup_point=0.4, pi_mean=0.3, k=5)
    with pytest.raises(ValueError, match="validated at k = 5"):
        rollout_length_study([_run(1, 0, 1.0, mismatch)])
    with pytest.raises(ValueError, match="share a seed"):
        rollout_length_study([_run(1, 0, 1.0), _run(1, 0, 2.0)])
    with pytest.raises(ValueError, match="no runs"):
        rollout_length_study([])
