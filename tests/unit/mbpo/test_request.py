"""A train command line as a config: every bad value blamed on its source; --resume checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from boundcheck.config import apply_overrides, task_config
from boundcheck.inputs import InputError
from boundcheck.mbpo.request import RunRequest, fresh_config, open_training, resumed_config
from boundcheck.runs.saved_config import SavedRun
from tests.tiny import TINY

#: The run's settings as a ``--set`` would give them (text).
SETTINGS = {key: str(value) for key, value in {**TINY, "total_steps": 500}.items()}


def saved_run(**overrides: object) -> SavedRun:
    config = apply_overrides(task_config("Pendulum-v1"), {**SETTINGS, **overrides})
    return SavedRun(config=config, seed=3, provenance={}, doc={})


def test_fresh_config_applies_preset_file_set_then_options(tmp_path: Path) -> None:
    f = tmp_path / "c.json"
    f.write_text(json.dumps({"sac": {"lr": 1e-3}, "total_steps": 9000}))
    config = fresh_config(RunRequest(env="Hopper-v5", config_file=f,
                                     settings={"total_steps": "8000"},
                                     options=(("--steps", "total_steps", 7000),)))
    assert config.sac.lr == 1e-3 and config.total_steps == 7000 and config.updates_per_step == 20


@pytest.mark.parametrize(("request_", "where"), [
    (RunRequest(env="Nope"), "env"),
    (RunRequest(algo="ppo"), "algo"),
    (RunRequest(settings={"sac.lr": "inf"}), "settings"),
    (RunRequest(env="Pendulum-v1", settings={"env": "Hopper-v5"}), "settings"),
    (RunRequest(options=(("--steps", "total_steps", 10),)), "--steps"),
    (RunRequest(options=(("--reward-noise", "reward_noise", -1.0),)), "--reward-noise"),
    (RunRequest(config_file=Path("/nonexistent/c.json")), "config_file"),
    (RunRequest(settings={"sac.backend": "cuda_graph"}), "settings"),  # not on a CPU
])
def test_fresh_config_blames_the_source(request_: RunRequest, where: str,
                                        tmp_path: Path) -> None:
    """A field the library owns (the CLI maps it to an option), or the option a request
    carried for a typed option; nothing is written."""
    with pytest.raises(InputError) as info:
        open_training(request_, tmp_path / "run", device=torch.device("cpu"), force=False,
                      resume=False)
    assert info.value.where == where
    assert not (tmp_path / "run").exists()


def test_resume_with_the_same_values_or_more_steps() -> None:
    saved = saved_run()
    same = RunRequest(env="Pendulum-v1", seed=3, algo="mbpo", settings=SETTINGS)
    assert resumed_config(same, saved, 2) == saved.config
    longer = RunRequest(options=(("--steps", "total_steps", 900),))
    assert resumed_config(longer, saved, 2).total_steps == 900


@pytest.mark.parametrize(("request_", "where", "values"), [
    (RunRequest(env="Hopper-v5"), "env", "'Hopper-v5' here but 'Pendulum-v1'"),
    (RunRequest(seed=4), "seed", "4 here but 3"),
    (RunRequest(algo="sac"), "algo", "'sac' here but 'mbpo'"),
    (RunRequest(settings={"sac.lr": "1e-3"}), "settings", "0.001 here but 0.0003"),
    (RunRequest(options=(("--steps", "total_steps", 400),)), "--steps", "400 here but 500"),
])
def test_resume_names_what_differs(request_: RunRequest, where: str, values: str) -> None:
    with pytest.raises(InputError) as info:
        resumed_config(request_, saved_run(), 2)
    assert info.value.where == where and values in info.value.detail


def test_a_run_that_ended_in_a_partial_epoch_cannot_grow() -> None:
    saved = saved_run(total_steps="550")  # epochs of 100, 100, 100, 50 steps after exploration
    longer = RunRequest(options=(("--steps", "total_steps", 900),))
    with pytest.raises(InputError, match="partial epoch"):
        resumed_config(longer, saved, 3)
    assert resumed_config(longer, saved, 2).total_steps == 900  # killed before the short one


def test_a_fixed_rollout_length_from_the_start() -> None:
    """docs/trainer.md, "A fixed rollout length": rollout.fixed_length = K replaces the task's
    schedule at every epoch (Hopper's 1 -> 15 here) and the config records it; setting both
    ends of the schedule to K does the same."""
    from boundcheck.mbpo.request import RunRequest, fresh_config

    for settings in ({"rollout.fixed_length": "5"},
                     {"rollout.min_length": "5", "rollout.max_length": "5"}):
        request = RunRequest(env="Hopper-v5", algo=None, seed=0, options=(), settings=settings)
        config = fresh_config(request)
        assert {config.rollout.length(e) for e in range(0, 200, 7)} == {5}
    assert fresh_config(RunRequest(env="Hopper-v5", algo=None, seed=0, options=(), settings={
        "rollout.fixed_length": "5"})).rollout.fixed_length == 5


@pytest.mark.parametrize(("value", "says"), [
    ("0", "none or 1 to 1000, got 0 (k = 0, no model data, is --algo sac)"),
    ("-3", "none or 1 to 1000, got -3"), ("1001", "none or 1 to 1000, got 1001"),
    ("2.5", "must be an integer"), ("five", "must be an integer")])
def test_a_bad_fixed_rollout_length_is_refused(value: str, says: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from boundcheck.cli import main

    code = main(["train", "--env", "Hopper-v5", "--steps", "6000", "--out",
                 str(tmp_path / "run"), "--set", f"rollout.fixed_length={value}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert err[0].startswith("boundcheck: error: --set: rollout.fixed_length") and says in err[0]
    assert not (tmp_path / "run").exists()


def test_a_fixed_rollout_length_is_a_sweep_axis() -> None:
    """One sweep trains every k: ``--set rollout.fixed_length=1,5,15`` is an axis."""
    from boundcheck.config import BASE, apply_overrides

    for k in (1, 5, 15):
        assert apply_overrides(BASE, {"rollout.fixed_length": str(k)}).rollout.length(50) == k
    assert apply_overrides(BASE, {"rollout.fixed_length": "none"}).rollout.fixed_length is None


def test_a_tiny_run_records_the_fixed_length_every_epoch(tmp_path: Path) -> None:
    """rollout.fixed_length = 3 on a task whose schedule would give k = 1: every epoch's
    metrics say k = 3, and the config records the setting."""
    from tests.unit.mbpo.test_loop import run_tiny

    run = run_tiny(tmp_path / "k3", **{"rollout.fixed_length": 3, "total_steps": 500})
    records = run.read_metrics()
    assert len(records) == 3 and all(r["rollout/k"] == 3.0 for r in records)
    assert run.read_config()["config"]["rollout"]["fixed_length"] == 3
