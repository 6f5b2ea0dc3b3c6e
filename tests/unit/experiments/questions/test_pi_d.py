"""π_D as the last epoch's policy against the buffer's mixture, on a tiny trained run."""

from __future__ import annotations

import numpy as np
import pytest

from boundcheck.experiments.questions.pi_d import EXPLORATION, compare_pi_d, episode_ids
from boundcheck.runs import RunDir
from tests.unit.mbpo.test_loop import run_tiny


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> RunDir:
    return run_tiny(tmp_path_factory.mktemp("runs") / "pid", total_steps=500)


def test_both_readings_are_measured_with_the_buffer_weights(run: RunDir) -> None:
    found = compare_pi_d(run, 1, states=150, n_mc=64)
    assert (found.data_epoch, found.epoch, found.states) == (1, 2, 150)
    # 200 exploration rows and 100 per epoch: the buffer as of the end of epoch 1.
    assert found.weights == pytest.approx({EXPLORATION: 0.5, 0: 0.25, 1: 0.25})
    for summary in (found.against_last, found.against_mixture):
        assert 0.0 <= summary["mean"]["value"] <= summary["max"]["value"] <= 1.0
        assert summary["mean"]["ci_low"] <= summary["mean"]["value"] <= summary["mean"]["ci_high"]
        assert summary["mean"]["ci_method"] == "episode percentile"
    assert found.episodes >= 2 and found.mc_stderr_mean > 0


def test_a_missing_next_checkpoint_is_refused(run: RunDir) -> None:
    with pytest.raises(ValueError, match="needs checkpoints"):
        compare_pi_d(run, run.latest_complete_epoch() or 0)


def test_episodes_break_at_terminals_and_resets() -> None:
    obs = np.arange(6, dtype=float).reshape(-1, 1)
    next_obs = obs + 1
    next_obs[3] = 99.0  # a time-limit reset: row 4 starts elsewhere
    terminated = np.array([0, 1, 0, 0, 0, 0])
    ids = episode_ids({"obs": obs, "next_obs": next_obs, "terminated": terminated})
    assert ids.tolist() == [0, 0, 1, 1, 2, 2]

