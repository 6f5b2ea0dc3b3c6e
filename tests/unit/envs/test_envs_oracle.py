"""The oracle model (boundcheck/envs/oracle.py): the simulator's own step from observations."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from boundcheck.envs import SPECS, make_env
from boundcheck.envs.oracle import SimulatorOracle

#: Tasks whose observation clips velocities to [-10, 10]: only unclipped states are exact.
CLIPPED = {"Hopper-v5", "Walker2d-v5", "InvertedDoublePendulum-v5"}


def _transitions(name: str, count: int, seed: int = 1) -> tuple[np.ndarray, ...]:
    """``count`` transitions (obs, act in [-1, 1], next_obs, reward) of the trainer's env under
    uniform actions, from states whose observation is exact (no clipped velocity)."""
    spec = SPECS[name]
    env = make_env(spec, unit_actions=True)
    obs, _ = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    rows: list[tuple[np.ndarray, np.ndarray, np.ndarray, float]] = []
    while len(rows) < count:
        act = rng.uniform(-1.0, 1.0, spec.act_dim)
        next_obs, reward, terminated, truncated, _ = env.step(act)
        if not (name in CLIPPED and np.abs(obs).max() >= 10.0):
            rows.append((obs, act, next_obs, float(reward)))
        obs = env.reset()[0] if terminated or truncated else next_obs
    env.close()
    return tuple(np.array([r[i] for r in rows]) for i in range(4))


@pytest.mark.parametrize(("name", "batched"), [
    ("Hopper-v5", True), ("Walker2d-v5", True), ("HalfCheetah-v5", True),
    ("InvertedPendulum-v5", True), ("Hopper-v5", False), ("InvertedDoublePendulum-v5", False),
])
def test_oracle_reproduces_the_simulator_step(name: str, batched: bool) -> None:
    obs, act, next_obs, reward = _transitions(name, 200)
    oracle = SimulatorOracle(SPECS[name], threads=2, batched=batched)
    assert oracle.batched == batched
    got_obs, got_reward = oracle.step(obs, act)
    oracle.close()
    assert np.abs(got_obs - next_obs).max() <= 1e-10
    assert np.abs(got_reward - reward).max() <= 1e-10


def test_a_row_does_not_depend_on_its_batch() -> None:
    obs, act, *_ = _transitions("Hopper-v5", 64)
    oracle = SimulatorOracle(SPECS["Hopper-v5"], threads=2)
    full = oracle.step(obs, act)
    order = np.random.default_rng(0).permutation(64)
    shuffled = oracle.step(obs[order], act[order])
    rows = SimulatorOracle(SPECS["Hopper-v5"], batched=False).step(obs, act)
    oracle.close()
    for i in range(2):
        assert np.array_equal(full[i][order], shuffled[i])
        assert np.abs(full[i] - rows[i]).max() <= 1e-12


def test_sample_step_keeps_dtype_and_is_noise_free_without_noise() -> None:
    obs, act, next_obs, reward = _transitions("InvertedPendulum-v5", 32)
    oracle = SimulatorOracle(SPECS["InvertedPendulum-v5"])
    o, r = oracle.sample_step(torch.as_tensor(obs, dtype=torch.float32),
                              torch.as_tensor(act, dtype=torch.float32),
                              torch.Generator().manual_seed(0))
    assert o.dtype == torch.float32 and r.shape == (32,)
    # float32 inputs: the step from the rounded state, to float32 precision.
    assert np.abs(o.numpy() - next_obs).max() < 1e-4
    assert np.array_equal(r.numpy(), reward.astype(np.float32))


@pytest.mark.parametrize("name", ["Hopper-v5", "InvertedDoublePendulum-v5"])
def test_known_noise_is_the_wrappers_gaussian_drawn_from_the_generator(name: str) -> None:
    obs, act, *_ = _transitions(name, 2000)
    clean = SimulatorOracle(SPECS[name])
    noisy = SimulatorOracle(SPECS[name], transition_noise=0.05, reward_noise=0.2)
    x, a = torch.as_tensor(obs), torch.as_tensor(act)
    o0, r0 = clean.sample_step(x, a, torch.Generator().manual_seed(0))
    o1, r1 = noisy.sample_step(x, a, torch.Generator().manual_seed(3))
    o2, r2 = noisy.sample_step(x, a, torch.Generator().manual_seed(3))
    assert torch.equal(o1, o2) and torch.equal(r1, r2)  # all randomness from the generator
    assert abs(float((r1 - r0).std()) - 0.2) < 0.02
    chart = noisy._chart
    coords = np.stack([chart.coords(o) for o in o1.numpy()])
    clean_coords = np.stack([chart.coords(o) for o in o0.numpy()])
    diff = coords - clean_coords
    assert np.abs(diff.std(axis=0) - 0.05).max() < 0.005
    assert np.abs(diff.mean(axis=0)).max() < 0.005
