"""The typed presets give every task exactly the config the dotted-key presets gave.

``resolved_configs.json`` was dumped from ``resolve_config(task)`` before the presets became
typed deltas; the comparison is of JSON text, so an int that became a float would show.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from boundcheck.config import BASE, PRESETS, ConfigError, TrainConfig, task_config, to_dict
from boundcheck.config.presets import sac_baseline
from boundcheck.envs import SPECS
from boundcheck.mbpo.setup import resolve_config

FIXTURE = json.loads((Path(__file__).parent / "resolved_configs.json").read_text())


def _text(doc: object) -> str:
    return json.dumps(doc, sort_keys=True)


def test_every_task_has_a_preset() -> None:
    assert set(PRESETS) == set(SPECS) == set(FIXTURE["tasks"])


def test_base_is_unchanged() -> None:
    assert _text(to_dict(BASE)) == _text(FIXTURE["base"])


@pytest.mark.parametrize("task", sorted(FIXTURE["tasks"]))
def test_resolved_config_is_unchanged(task: str) -> None:
    expected = _text(FIXTURE["tasks"][task])
    assert _text(to_dict(task_config(task))) == expected
    assert _text(to_dict(resolve_config(task))) == expected
    # --algo sac: the paper's SAC baseline, one update per step and the target entropy -|A|
    sac = resolve_config(task, algo="sac")
    assert sac == dataclasses.replace(
        task_config(task), algo="sac", updates_per_step=1,
        sac=dataclasses.replace(task_config(task).sac, target_entropy=None))
    assert sac == sac_baseline(dataclasses.replace(task_config(task), algo="sac"))


def test_a_preset_is_a_delta_from_its_input() -> None:
    """A preset changes only what it names: applied over another config, the rest stays."""
    other = dataclasses.replace(BASE, eval_episodes=3, real_ratio=0.5)
    hopper = PRESETS["Hopper-v5"](other)
    assert isinstance(hopper, TrainConfig)
    assert (hopper.eval_episodes, hopper.real_ratio) == (3, 0.5)
    assert hopper.rollout.max_length == 15


def test_unknown_task() -> None:
    with pytest.raises(ConfigError, match="Hopper-v5"):
        task_config("Nope-v0")
