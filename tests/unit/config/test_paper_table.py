"""The task presets follow the paper's per-task hyperparameter table (Appendix C; docs/paper.md
§7), and the presets outside it say what they are."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest

from boundcheck.config import BASE, TrainConfig, task_config
from boundcheck.envs import SPECS


def _column(steps: int, g: int, entropy: float, k: tuple[int, int, int, int] = (1, 1, 20, 100),
            epoch_length: int = 1000, width: int = 200, train_freq: int = 250,
            retain: int = 1, explore: int = 5000) -> dict[str, Any]:
    """A task's documented delta from BASE (the paper's column, Appendix C; presets.py)."""
    return {"total_steps": steps, "updates_per_step": g, "sac.target_entropy": entropy,
            "rollout.min_length": k[0], "rollout.max_length": k[1], "rollout.min_epoch": k[2],
            "rollout.max_epoch": k[3], "epoch_length": epoch_length,
            "ensemble.hidden_width": width, "model_train_freq": train_freq,
            "retain_epochs": retain, "init_exploration_steps": explore}


_IP = _column(15_000, 10, -0.05, epoch_length=250, explore=500)
#: Every task's whole delta from BASE, as docs/paper.md §7 and presets.py document it.
DELTAS: dict[str, dict[str, Any]] = {
    "Hopper-v5": _column(125_000, 20, -1.0, k=(1, 15, 20, 100)),
    "Walker2d-v5": _column(300_000, 20, -3.0),
    "HalfCheetah-v5": _column(400_000, 40, -3.0),
    "Ant-v5": _column(300_000, 20, -4.0, k=(1, 25, 20, 100)),
    "Humanoid-v5": _column(300_000, 20, -2.0, k=(1, 25, 20, 300), width=400, train_freq=1000,
                           retain=5),
    "InvertedPendulum-v5": _IP,
    "InvertedDoublePendulum-v5": {**_IP, "total_steps": 30_000},
    "Pendulum-v1": {**_column(1000, 2, -1.0, epoch_length=200, width=64, train_freq=100,
                              explore=200),
                    "rollout_batch_size": 1000, "sac.hidden_width": 64,
                    "ensemble.max_epochs": 20},
}


def _flat(obj: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            out.update(_flat(value, f"{prefix}{f.name}."))
        else:
            out[f"{prefix}{f.name}"] = value
    return out


def test_every_task_has_a_documented_delta() -> None:
    assert set(DELTAS) == set(SPECS)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_task_has_a_preset_that_resolves(name: str) -> None:
    """Every field of the resolved config is BASE's, but for the preset's documented delta."""
    config = task_config(name)
    expected = {**_flat(BASE), **DELTAS[name], "env": name, "algo": "mbpo"}
    assert _flat(config) == expected
    real = config.total_steps - config.init_exploration_steps  # exploration counts
    assert config.epochs == math.ceil(real / config.epoch_length) >= 1


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
