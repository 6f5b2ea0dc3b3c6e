"""The spec registry: names, presets against BASE, the paper's table, look-up errors."""

from __future__ import annotations

import pytest

from boundcheck.config import BASE, TrainConfig, apply_overrides
from boundcheck.envs import SPECS, EnvSpec, UnknownEnvError, get_spec, make_env
from boundcheck.envs import termination as term

NAMES = [
    "Hopper-v5",
    "Walker2d-v5",
    "HalfCheetah-v5",
    "Ant-v5",
    "Humanoid-v5",
    "InvertedPendulum-v5",
    "InvertedDoublePendulum-v5",
    "Pendulum-v1",
]


def test_registry_holds_the_tasks_under_their_names() -> None:
    assert sorted(SPECS) == sorted(NAMES)
    for name, spec in SPECS.items():
        assert spec.name == name
        assert get_spec(name) is spec
        assert spec.obs_note


@pytest.mark.parametrize("name", NAMES)
def test_preset_applies_to_base(name: str) -> None:
    config = apply_overrides(BASE, SPECS[name].preset)
    assert isinstance(config, TrainConfig)
    assert config.epochs >= 1


def _resolved(name: str) -> TrainConfig:
    config = apply_overrides(BASE, SPECS[name].preset)
    assert isinstance(config, TrainConfig)
    return config


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


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(UnknownEnvError) as info:
        get_spec("Hopper-v2")
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    assert "Hopper-v2" in message
    for name in NAMES:
        assert name in message
    with pytest.raises(UnknownEnvError):
        get_spec("hopper-v5")  # names are exact


def test_spec_is_frozen_and_owns_its_mappings() -> None:
    kwargs = {"include_cfrc_ext_in_observation": False}
    preset = {"total_steps": 10}
    spec = EnvSpec(
        name="X-v0", gym_id="X-v0", make_kwargs=kwargs, termination=term.never_terminates,
        preset=preset, obs_note="", obs_dim=1, act_dim=1,
    )
    kwargs["extra"] = True
    preset["total_steps"] = 20
    assert dict(spec.make_kwargs) == {"include_cfrc_ext_in_observation": False}
    assert spec.preset["total_steps"] == 10
    with pytest.raises(AttributeError):
        spec.name = "Y"  # type: ignore[misc]
    assert hash(spec) == hash("X-v0")
    with pytest.raises(ValueError, match="obs_dim"):
        EnvSpec(name="X", gym_id="X", make_kwargs={}, termination=term.never_terminates,
                preset={}, obs_note="", obs_dim=0, act_dim=1)


def test_terminates_flag() -> None:
    never = {name for name, spec in SPECS.items() if not spec.terminates}
    assert never == {"HalfCheetah-v5", "Pendulum-v1"}


@pytest.mark.parametrize("name", NAMES)
def test_made_env_has_the_declared_shapes(name: str) -> None:
    spec = SPECS[name]
    env = make_env(spec)
    obs, _ = env.reset(seed=0)
    assert env.observation_space.shape == (spec.obs_dim,)
    assert obs.shape == (spec.obs_dim,)
    assert env.action_space.shape == (spec.act_dim,)
    env.close()


def test_docs_list_every_task() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[3] / "docs" / "envs.md").read_text()
    for name in SPECS:
        assert f"| {name} |" in doc, f"docs/envs.md lacks {name}"
