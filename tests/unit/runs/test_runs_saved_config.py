"""A run's saved config.json is read back through the same checks as any user input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from boundcheck.runs import RunConfigError, RunDir
from boundcheck.runs.saved_config import RUN_ONLY_KEYS, read_saved_run


def run_with(tmp_path: Path, config: object) -> RunDir:
    run = RunDir.create(tmp_path / "r", {"env": "Pendulum-v1", "seed": 4})
    run.release()
    doc = json.loads(run.config_path.read_text())
    doc["config"] = config
    run.config_path.write_text(json.dumps(doc))
    return run


def test_the_run_only_keys_are_the_trainers() -> None:
    from boundcheck.mbpo.setup import RUN_ONLY_KEYS as TRAINER_KEYS

    assert RUN_ONLY_KEYS == TRAINER_KEYS


def test_a_valid_partial_config(tmp_path: Path) -> None:
    saved = read_saved_run(run_with(tmp_path, {"env": "Pendulum-v1", "seed": 4,
                                               "total_steps": "7e3", "device": "cpu"}))
    assert (saved.seed, saved.config.env, saved.config.total_steps) == (4, "Pendulum-v1", 7000)
    legacy = read_saved_run(run_with(tmp_path / "b", {"env": "Pendulum-v1"}),
                            legacy_eager_model=True)
    assert legacy.config.ensemble.backend == "eager" and legacy.seed == 0


@pytest.mark.parametrize(("config", "reason"), [
    ([1], "'config' must be a JSON object"),
    ({"seed": "x"}, "seed: must be an integer"),
    ({"seed": -2}, "seed: must be an integer in [0"),
    ({"seed": 1.5}, "not a whole number"),
    ({"total_steps": True}, "total_steps: must be an integer, got True"),
    ({"sac": {"lr": float("inf")}}, "sac.lr: must be a finite number"),
    ({"algo": 3}, "algo: expected a string"),
    ({"env": "Nope-v0"}, "env: unknown environment 'Nope-v0'"),
    ({"ensemble": 5}, "is a section"),
    ({"surprise": 1}, "unknown config key 'surprise'"),
])
def test_wrong_values_name_the_file_and_key(tmp_path: Path, config: object, reason: str) -> None:
    run = run_with(tmp_path, config)
    with pytest.raises(RunConfigError) as info:
        read_saved_run(run)
    assert str(info.value).startswith(f"{run.config_path}: ") and reason in str(info.value)
