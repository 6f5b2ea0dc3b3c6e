"""Termination functions: against the simulator's own flag on real transitions, and at edges."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from boundcheck.envs import SPECS, EnvSpec, make_env, set_state_from_obs
from boundcheck.envs import termination as term

NUM_TRANSITIONS = 10_000

#: Height ranges to start some episodes from, so that both ends of each healthy-z interval are
#: crossed on real transitions (random play alone never lifts Ant or Walker2d above it).
HEIGHT_RESETS = {
    "Hopper-v5": (0.6, 1.6),
    "Walker2d-v5": (0.7, 2.2),
    "Ant-v5": (0.05, 1.3),
    "Humanoid-v5": (0.9, 2.2),
}


def collect(spec: EnvSpec, n: int, seed: int) -> dict[str, np.ndarray]:
    """``n`` random-action transitions with the simulator's flags; reset whenever an episode ends.

    For the tasks in ``HEIGHT_RESETS`` a third of the episodes start with the torso height
    (observation index 0) drawn uniformly from the given range.
    """
    env = make_env(spec)
    rng = np.random.default_rng(seed)
    low, high = env.action_space.low, env.action_space.high
    obs_l, act_l, next_l, flag_l = [], [], [], []

    def start(s: int | None) -> np.ndarray:
        obs, _ = env.reset(seed=s)
        if spec.name in HEIGHT_RESETS and rng.random() < 1 / 3:
            obs = np.array(obs)
            obs[0] = rng.uniform(*HEIGHT_RESETS[spec.name])
            set_state_from_obs(env, obs)
        return np.asarray(obs)

    obs = start(seed)
    for _ in range(n):
        act = rng.uniform(low, high)
        next_obs, _, terminated, truncated, _ = env.step(act)
        obs_l.append(obs)
        act_l.append(act)
        next_l.append(next_obs)
        flag_l.append(terminated)
        obs = start(None) if terminated or truncated else np.asarray(next_obs)
    env.close()
    return {
        "obs": np.asarray(obs_l, dtype=np.float64),
        "act": np.asarray(act_l, dtype=np.float64),
        "next_obs": np.asarray(next_l, dtype=np.float64),
        "terminated": np.asarray(flag_l, dtype=bool),
    }


def predicted(spec: EnvSpec, data: dict[str, np.ndarray]) -> np.ndarray:
    t = {k: torch.as_tensor(data[k]) for k in ("obs", "act", "next_obs")}
    out = spec.termination(t["obs"], t["act"], t["next_obs"])
    assert out.dtype == torch.bool and out.shape == (len(data["obs"]),)
    return out.numpy()


EXACT = [name for name in SPECS if name != "InvertedDoublePendulum-v5"]


@pytest.mark.parametrize("name", EXACT)
def test_termination_matches_simulator_exactly(name: str) -> None:
    spec = SPECS[name]
    data = collect(spec, NUM_TRANSITIONS, seed=0)
    flags = data["terminated"]
    pred = predicted(spec, data)
    mismatch = np.flatnonzero(pred != flags)
    assert mismatch.size == 0, f"{name}: {mismatch.size} disagreements, first at {mismatch[:5]}"
    if spec.terminates:
        assert flags.sum() >= 20, f"{name}: too few terminations ({flags.sum()}) to test"
        assert (~flags).sum() >= 1000
    else:
        assert not flags.any()


def test_double_pendulum_termination_agrees_away_from_the_boundary() -> None:
    spec = SPECS["InvertedDoublePendulum-v5"]
    data = collect(spec, NUM_TRANSITIONS, seed=0)
    flags, pred = data["terminated"], predicted(spec, data)
    assert flags.sum() >= 500
    nxt = data["next_obs"]
    height = 0.6 * nxt[:, 3] + 0.6 * (nxt[:, 3] * nxt[:, 4] - nxt[:, 1] * nxt[:, 2])
    far = np.abs(height - 1.0) > 0.02
    assert far.mean() > 0.9
    np.testing.assert_array_equal(pred[far], flags[far])
    assert (pred != flags).mean() <= 1e-3


def _batch(**entries: float) -> torch.Tensor:
    """One observation row of width 11 (enough for the index-0/1 rules) with given entries."""
    row = torch.zeros(11, dtype=torch.float64)
    for key, value in entries.items():
        row[int(key[1:])] = value
    return row.unsqueeze(0)


def _done(fn: term.TerminationFn, next_obs: torch.Tensor) -> bool:
    act = torch.zeros(next_obs.shape[0], 1, dtype=torch.float64)
    return bool(fn(next_obs, act, next_obs)[0])


@pytest.mark.parametrize(
    ("fn", "entries", "expected"),
    [
        # Hopper: strict 0.7 < z, strict |angle| < 0.2, strict |state| < 100.
        (term.hopper_termination, {"i0": 1.2}, False),
        (term.hopper_termination, {"i0": 0.7}, True),
        (term.hopper_termination, {"i0": 1.2, "i1": 0.2}, True),
        (term.hopper_termination, {"i0": 1.2, "i1": -0.1999}, False),
        (term.hopper_termination, {"i0": math.inf}, True),
        (term.hopper_termination, {"i0": math.nan}, True),
        # A large *negative* state entry terminates; the original MBPO bug would miss it.
        (term.hopper_termination, {"i0": 1.2, "i3": -150.0}, True),
        (term.hopper_termination, {"i0": 1.2, "i3": 100.0}, True),
        (term.walker2d_termination, {"i0": 1.2, "i1": 0.5}, False),
        (term.walker2d_termination, {"i0": 0.8}, True),
        (term.walker2d_termination, {"i0": 2.0}, True),
        (term.walker2d_termination, {"i0": 1.2, "i1": -1.0}, True),
        # Ant: inclusive 0.2 <= z <= 1.0, and every entry finite.
        (term.ant_termination, {"i0": 0.2}, False),
        (term.ant_termination, {"i0": 1.0}, False),
        (term.ant_termination, {"i0": 0.1999}, True),
        (term.ant_termination, {"i0": 1.0001}, True),
        (term.ant_termination, {"i0": 0.5, "i7": math.inf}, True),
        (term.humanoid_termination, {"i0": 1.4}, False),
        (term.humanoid_termination, {"i0": 1.0}, True),
        (term.humanoid_termination, {"i0": 2.0}, True),
        (term.humanoid_termination, {"i0": math.nan}, True),
        # InvertedPendulum: |angle| > 0.2 (so 0.2 itself is fine) or non-finite.
        (term.inverted_pendulum_termination, {"i1": 0.2}, False),
        (term.inverted_pendulum_termination, {"i1": -0.2001}, True),
        (term.inverted_pendulum_termination, {"i3": math.nan}, True),
        (term.never_terminates, {"i0": math.nan}, False),
    ],
)
def test_termination_edges(
    fn: term.TerminationFn, entries: dict[str, float], expected: bool
) -> None:
    assert _done(fn, _batch(**entries)) is expected


def test_double_pendulum_height_rule() -> None:
    def obs(th1: float, th2: float) -> torch.Tensor:
        row = [0.0, math.sin(th1), math.sin(th2), math.cos(th1), math.cos(th2), 0, 0, 0, 0]
        return torch.tensor([row], dtype=torch.float64)

    fn = term.inverted_double_pendulum_termination
    assert not _done(fn, obs(0.0, 0.0))  # upright: y = 1.2
    assert _done(fn, obs(0.0, math.pi / 2))  # second pole horizontal: y = 0.6
    # A straight pendulum tilted by a: y = 1.2 cos(a) crosses 1 at a = acos(1 / 1.2) = 0.586.
    assert not _done(fn, obs(0.55, 0.0))
    assert _done(fn, obs(0.62, 0.0))
    # th2 is relative to the first pole: bending back keeps the tip high (y = 1.173).
    assert not _done(fn, obs(0.3, -0.3))
    assert not _done(fn, obs(0.3, 0.3))  # y = 0.6 cos 0.3 + 0.6 cos 0.6 = 1.068
    assert _done(fn, obs(0.4, 0.4))  # y = 0.6 cos 0.4 + 0.6 cos 0.8 = 0.971
    assert not _done(fn, obs(math.nan, 0.0))  # gymnasium's bool(nan <= 1) is False


@pytest.mark.parametrize("name", list(SPECS))
def test_termination_is_batched_over_leading_dims(name: str) -> None:
    spec = SPECS[name]
    gen = torch.Generator().manual_seed(0)
    obs = torch.randn(4, 3, spec.obs_dim, generator=gen, dtype=torch.float64)
    act = torch.zeros(4, 3, spec.act_dim, dtype=torch.float64)
    out = spec.termination(obs, act, obs)
    assert out.shape == (4, 3) and out.dtype == torch.bool
    flat = spec.termination(obs.reshape(12, -1), act.reshape(12, -1), obs.reshape(12, -1))
    torch.testing.assert_close(out.reshape(12), flat)
