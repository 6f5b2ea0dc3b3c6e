"""Runs that differ in a setting (known noise, model, fixed rollout length) are different seed
groups and legend labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from boundcheck.config import BASE, apply_overrides
from boundcheck.experiments.learning.curves import (
    Evaluation,
    RunCurve,
    _setting,
    group_by_seed,
)
from boundcheck.inputs import InputError


def _run(seed: int, **settings: str) -> RunCurve:
    config = apply_overrides(BASE, settings)
    return RunCurve(Path(f"r{seed}"), "mbpo", "InvertedPendulum-v5", seed,
                    (Evaluation(250, 1.0 + seed, None),), setting=_setting(config))


def test_fixed_k_runs_of_one_seed_fall_in_different_groups() -> None:
    runs = [_run(0, **{"rollout.fixed_length": "1"}), _run(0, **{"rollout.fixed_length": "5"}),
            _run(1, **{"rollout.fixed_length": "5"}), _run(0)]
    groups = group_by_seed(runs)
    assert sorted(groups) == ["mbpo InvertedPendulum-v5", "mbpo InvertedPendulum-v5, k 1",
                              "mbpo InvertedPendulum-v5, k 5"]
    assert sorted(groups["mbpo InvertedPendulum-v5, k 5"]) == [0, 1]


def test_noise_and_k_both_label_the_group() -> None:
    run = _run(0, transition_noise="0.03", reward_noise="0.03", **{"rollout.fixed_length": "2"})
    assert run.group == "mbpo InvertedPendulum-v5, sigma 0.03, k 2"


def test_a_second_run_of_a_seed_in_one_group_is_refused() -> None:
    with pytest.raises(InputError, match="second run of seed 0"):
        group_by_seed([_run(0, **{"rollout.fixed_length": "3"}),
                       _run(0, **{"rollout.fixed_length": "3"})])
