"""Config resolution: BASE + preset + file + overrides; the rollout schedule; model buffer size."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from boundcheck.config import BASE, ConfigError, RolloutSchedule
from boundcheck.envs import UnknownEnvError
from boundcheck.inputs import InputError
from boundcheck.mbpo.setup import parse_set_options, resolve_config


def test_hopper_preset_is_paper() -> None:
    cfg = resolve_config("Hopper-v5")
    assert cfg.total_steps == 125_000 and cfg.updates_per_step == 20
    assert cfg.sac.target_entropy == -1.0
    assert (cfg.rollout.min_length, cfg.rollout.max_length) == (1, 15)
    assert cfg.epochs == 120  # 5k exploration steps count toward the 125k


def test_file_then_overrides(tmp_path: Path) -> None:
    f = tmp_path / "c.json"
    f.write_text(json.dumps({"sac": {"lr": 1e-3}, "total_steps": 9000}))
    cfg = resolve_config("Hopper-v5", config_file=f, overrides={"total_steps": "8000"})
    assert cfg.sac.lr == 1e-3 and cfg.total_steps == 8000


@pytest.mark.parametrize("bad", [{"nope": 1}, {"sac.nope": 1}, {"sac": 3}, {"sac.lr": "x"},
                                 {"total_steps": 10}, {"ensemble.num_elites": 9}])
def test_bad_overrides(bad: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        resolve_config("Hopper-v5", overrides=bad)


def test_unknown_env_and_set_syntax() -> None:
    with pytest.raises(UnknownEnvError, match="Hopper-v5"):
        resolve_config("Hopper")
    for bad in (["novalue"], ["=3"]):
        with pytest.raises(InputError) as info:
            parse_set_options(bad)
        assert info.value.where == "settings" and "key=value" in info.value.detail
    assert parse_set_options(["a.b= 3 "]) == {"a.b": "3"}


def test_rollout_schedule() -> None:
    s = RolloutSchedule(min_epoch=20, max_epoch=100, min_length=1, max_length=15)
    assert [s.length(e) for e in (0, 20, 21, 60, 99, 100, 500)] == [1, 1, 1, 8, 14, 15, 15]
    assert RolloutSchedule().length(1000) == 1


def test_model_buffer_size() -> None:
    # retain 1 epoch x k x 100k rollouts x (1000 / 250) rollout batches per epoch
    assert BASE.model_buffer_size(1) == 400_000
    assert BASE.model_buffer_size(15) == 6_000_000


def test_a_run_config_json_is_a_config_file(tmp_path: Path) -> None:
    """``--config <run>/config.json`` reuses a run's settings; its run-only keys are dropped."""
    import torch

    from boundcheck.mbpo.loop import run_config_doc

    original = resolve_config("Hopper-v5", overrides={"total_steps": 7000, "sac.lr": 5e-4})
    f = tmp_path / "config.json"
    config_doc = run_config_doc(original, 3, torch.device("cpu"))
    f.write_text(json.dumps({"format": "boundcheck-run", "config": config_doc}))
    assert resolve_config("Hopper-v5", config_file=f) == original
