"""Grouped learning-curve summaries (boundcheck.experiments.learning.summary)."""

from __future__ import annotations

import json

import pytest

from boundcheck.codec import encode
from boundcheck.experiments.learning.summary import last_common_step, summarize_groups

STEPS = (1000, 2000, 3000)


def curves(*finals: float) -> dict[int, dict[int, float]]:
    """One curve per seed, rising to its final value."""
    return {seed: {s: final * s / STEPS[-1] for s in STEPS} for seed, final in enumerate(finals)}


def test_two_groups_on_the_same_seeds_are_compared_pairwise() -> None:
    groups = {"mbpo T": curves(30.0, 60.0, 90.0), "sac T": curves(10.0, 70.0, 20.0)}
    assert last_common_step(groups) == 3000
    summary = summarize_groups(groups, 3000, window=2)
    mbpo = summary.groups["mbpo T"]
    assert mbpo.seeds == (0, 1, 2)
    assert mbpo.at_step.per_seed == {0: 30.0, 1: 60.0, 2: 90.0}
    assert mbpo.at_step.summary.mean == pytest.approx(60.0)
    assert mbpo.window_mean.per_seed[0] == pytest.approx((20.0 + 30.0) / 2)
    paired = summary.paired
    assert paired is not None and (paired.a, paired.b) == ("mbpo T", "sac T")
    assert paired.at_step.wins == 2 and paired.at_step.n == 3
    assert paired.at_step.diff.mean == pytest.approx((20.0 - 10.0 + 70.0) / 3)


def test_the_json_document() -> None:
    groups = {"mbpo T": curves(30.0, 60.0, 90.0), "sac T": curves(10.0, 70.0, 20.0)}
    doc = json.loads(json.dumps(encode(summarize_groups(groups, 3000, window=2))))
    assert list(doc) == ["step", "window", "confidence", "groups", "paired"]
    mbpo = doc["groups"]["mbpo T"]
    assert list(mbpo) == ["seeds", "at_step", "window_mean"]
    assert mbpo["at_step"]["per_seed"] == {"0": 30.0, "1": 60.0, "2": 90.0}
    assert set(mbpo["at_step"]["summary"]) == {"mean", "std", "ci_low", "ci_high", "n",
                                               "confidence", "values"}
    assert list(doc["paired"]) == ["a", "b", "at_step", "window_mean"]
    assert set(doc["paired"]["at_step"]) == {"wins", "ties", "n", "sign_test_p", "diff"}


def test_no_pairing_without_shared_seeds_and_missing_steps_are_refused() -> None:
    groups = {"a": curves(1.0, 2.0), "b": curves(1.0, 2.0, 3.0)}
    assert summarize_groups(groups, 2000).paired is None
    with pytest.raises(ValueError, match="no evaluation at step 2500"):
        summarize_groups(groups, 2500)
    with pytest.raises(ValueError, match="no runs"):
        summarize_groups({"a": {}}, 1000)
