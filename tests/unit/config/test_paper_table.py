"""The task presets follow the paper's per-task hyperparameter table (Appendix C; docs/paper.md
§7), and the presets outside it say what they are."""

from __future__ import annotations

import pytest

from boundcheck.config import TrainConfig, task_config
from boundcheck.envs import SPECS


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_task_has_a_preset_that_resolves(name: str) -> None:
    assert task_config(name).epochs >= 1


def _resolved(name: str) -> TrainConfig:
    return task_config(name)


# (total env steps, G, (k from, k to, epoch from, epoch to), target entropy, hidden width)
PAPER_TABLE = {
    "Hopper-v5": (125_000, 20, (1, 15, 20, 100), -1.0, 200),
    "Walker2d-v5": (300_000, 20, (1, 1), -3.0, 200),
    "HalfCheetah-v5": (400_000, 40, (1, 1), -3.0, 200),
    "Ant-v5": (300_000, 20, (1, 25, 20, 100), -4.0, 200),
    "Humanoid-v5": (300_000, 20, (1, 25, 20, 300), -2.0, 400),
    "InvertedPendulum-v5": (15_000, 10, (1, 1), -0.05, 200),
}


@pytest.mark.parametrize("name", list(PAPER_TABLE))
def test_presets_follow_the_paper_table(name: str) -> None:
    steps, g, k, entropy, width = PAPER_TABLE[name]
    c = _resolved(name)
    assert c.total_steps == steps
    assert c.updates_per_step == g
    assert c.sac.target_entropy == entropy
    assert c.ensemble.hidden_width == width
    assert (c.rollout.min_length, c.rollout.max_length) == k[:2]
    if len(k) == 4:
        assert (c.rollout.min_epoch, c.rollout.max_epoch) == k[2:]
        assert c.rollout.length(k[2]) == k[0] and c.rollout.length(k[3]) == k[1]


def test_preset_details_outside_the_main_rows() -> None:
    humanoid = _resolved("Humanoid-v5")
    assert (humanoid.model_train_freq, humanoid.retain_epochs) == (1000, 5)
    for name in ("Hopper-v5", "Walker2d-v5", "HalfCheetah-v5", "Ant-v5"):
        c = _resolved(name)
        assert (c.model_train_freq, c.retain_epochs, c.epoch_length) == (250, 1, 1000)
        assert c.init_exploration_steps == 5000
    pendulum = _resolved("InvertedPendulum-v5")
    # (15,000 - 500 exploration steps) / 250: exploration counts toward total_steps.
    assert (pendulum.epoch_length, pendulum.epochs, pendulum.init_exploration_steps) == (
        250,
        58,
        500,
    )
    assert _resolved("InvertedDoublePendulum-v5").init_exploration_steps == 500
    small = _resolved("Pendulum-v1")
    assert small.epoch_length == 200 and small.init_exploration_steps == 200
    assert small.updates_per_step <= 5 and small.total_steps <= 5000
