"""RNG states survive a JSON round trip: after restoring, the next draws are the same."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch

from boundcheck.runs import RngStateError, RunDir
from boundcheck.runs.rng import (
    capture_rng,
    env_state,
    numpy_state,
    restore_env,
    restore_numpy,
    restore_rng,
    restore_torch,
    torch_state,
)


def _through_json(state: Any) -> Any:
    return json.loads(json.dumps(state, allow_nan=False))


@pytest.mark.parametrize("bit_generator", [np.random.PCG64, np.random.MT19937, np.random.Philox])
def test_numpy_round_trip(bit_generator: type[np.random.BitGenerator]) -> None:
    gen = np.random.Generator(bit_generator(7))
    gen.normal(size=3)
    state = _through_json(numpy_state(gen))
    expected = (gen.normal(size=5), gen.integers(0, 100, size=5))
    other = np.random.Generator(bit_generator(99))
    restore_numpy(other, state)
    assert np.array_equal(other.normal(size=5), expected[0])
    assert np.array_equal(other.integers(0, 100, size=5), expected[1])


def test_numpy_refuses_a_different_bit_generator() -> None:
    state = numpy_state(np.random.Generator(np.random.MT19937(0)))
    with pytest.raises(RngStateError, match="'MT19937' state into a PCG64"):
        restore_numpy(np.random.default_rng(0), state)


def test_torch_cpu_round_trip() -> None:
    gen = torch.Generator().manual_seed(3)
    torch.rand(4, generator=gen)
    state = _through_json(torch_state(gen))
    expected = torch.randn(6, generator=gen)
    other = torch.Generator().manual_seed(42)
    restore_torch(other, state)
    assert torch.equal(torch.randn(6, generator=other), expected)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_torch_cuda_round_trip() -> None:
    gen = torch.Generator(device="cuda").manual_seed(3)
    state = _through_json(torch_state(gen))
    expected = torch.rand(6, generator=gen, device="cuda")
    other = torch.Generator(device="cuda").manual_seed(1)
    restore_torch(other, state)
    assert torch.equal(torch.rand(6, generator=other, device="cuda"), expected)
    with pytest.raises(RngStateError, match="cuda"):
        restore_torch(torch.Generator(), state)


def test_gymnasium_env_round_trip() -> None:
    env = gym.make("CartPole-v1")
    env.reset(seed=5)
    env.action_space.seed(6)
    state = _through_json(env_state(env))
    expected_obs, _ = env.reset()
    expected_actions = [env.action_space.sample() for _ in range(5)]
    other = gym.make("CartPole-v1")
    other.reset(seed=123)
    restore_env(other, state)
    obs, _ = other.reset()
    assert np.array_equal(obs, expected_obs)
    assert [other.action_space.sample() for _ in range(5)] == expected_actions


def test_capture_restore_through_a_checkpoint(
    tmp_path: Any, contents: Callable[[int], dict[str, Any]]
) -> None:
    np_gen, torch_gen = np.random.default_rng(1), torch.Generator().manual_seed(2)
    env = gym.make("CartPole-v1")
    env.reset(seed=3)
    rng = capture_rng(numpy_gens={"agent": np_gen}, torch_gens={"cpu": torch_gen}, envs={"e": env})
    run = RunDir.create(tmp_path / "r", {})
    run.save_checkpoint(0, **{**contents(0), "rng": rng})
    expected = (np_gen.random(3), torch.rand(3, generator=torch_gen), env.reset()[0])

    np_gen2, torch_gen2 = np.random.default_rng(10), torch.Generator().manual_seed(20)
    env2 = gym.make("CartPole-v1")
    restore_rng(
        run.load_rng(0), numpy_gens={"agent": np_gen2}, torch_gens={"cpu": torch_gen2},
        envs={"e": env2},
    )
    assert np.array_equal(np_gen2.random(3), expected[0])
    assert torch.equal(torch.rand(3, generator=torch_gen2), expected[1])
    assert np.array_equal(env2.reset()[0], expected[2])


def test_restore_requires_the_same_generator_names() -> None:
    state = capture_rng(numpy_gens={"agent": np.random.default_rng(0)})
    with pytest.raises(RngStateError, match=r"numpy generators differ: saved \['agent'\]"):
        restore_rng(state, numpy_gens={"model": np.random.default_rng(0)})
    with pytest.raises(RngStateError, match="format_version"):
        restore_rng({**state, "format_version": 99}, numpy_gens={"agent": np.random.default_rng()})
