"""The spec registry: names, look-up errors, frozen specs (the presets: tests/unit/config)."""

from __future__ import annotations

import pytest

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
    spec = EnvSpec(
        name="X-v0", gym_id="X-v0", make_kwargs=kwargs, termination=term.never_terminates,
        obs_note="", obs_dim=1, act_dim=1,
    )
    kwargs["extra"] = True
    assert dict(spec.make_kwargs) == {"include_cfrc_ext_in_observation": False}
    with pytest.raises(AttributeError):
        spec.name = "Y"  # type: ignore[misc]
    assert hash(spec) == hash("X-v0")
    with pytest.raises(ValueError, match="obs_dim"):
        EnvSpec(name="X", gym_id="X", make_kwargs={}, termination=term.never_terminates,
                obs_note="", obs_dim=0, act_dim=1)


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
