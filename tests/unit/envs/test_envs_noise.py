"""KnownNoiseWrapper: the noise is the stated Gaussian, set into the simulator, seeded locally."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from boundcheck.envs import SPECS, KnownNoiseWrapper, make_env, set_state_from_obs, state_chart

SIGMA = 0.01
SIGMA_R = 0.1


def _wrapped(name: str, sigma: float = SIGMA, sigma_r: float = SIGMA_R) -> KnownNoiseWrapper:
    env = make_env(SPECS[name], transition_noise=sigma, reward_noise=sigma_r)
    assert isinstance(env, KnownNoiseWrapper)
    return env


def _residuals(name: str, steps: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Noisy (s', r) minus a fresh env's deterministic step from the observed s."""
    env, ref = _wrapped(name), make_env(SPECS[name])
    obs, _ = env.reset(seed=seed)
    ref.reset(seed=seed + 100)
    chart = state_chart(env)
    rng = np.random.default_rng(seed)
    low, high = env.action_space.low, env.action_space.high
    state_res, reward_res, clean_gap = [], [], []
    for _ in range(steps):
        act = rng.uniform(low, high)
        set_state_from_obs(ref, obs)
        ref_obs, ref_reward, *_ = ref.step(act)
        next_obs, reward, terminated, truncated, info = env.step(act)
        state_res.append(chart.coords(next_obs) - chart.coords(ref_obs))
        reward_res.append(reward - ref_reward)
        clean_gap.append(np.abs(info["clean_obs"] - ref_obs).max())
        clean_gap.append(abs(info["clean_reward"] - ref_reward))
        # The observation *is* the simulator state: re-reading it gives the same coordinates.
        sim = env.unwrapped
        if hasattr(sim, "data") and chart.gaussian_in_obs:
            skipped = len(sim.data.qpos) - (chart.num_coords - len(sim.data.qvel))
            state = np.concatenate([sim.data.qpos[skipped:], sim.data.qvel])
            np.testing.assert_array_equal(state, next_obs)
        flag = SPECS[name].termination(
            *(torch.as_tensor(np.asarray(x, dtype=np.float64))[None] for x in (obs, act, next_obs))
        )
        assert terminated == bool(flag[0])
        obs = env.reset()[0] if terminated or truncated else next_obs
    return {
        "state": np.asarray(state_res),
        "reward": np.asarray(reward_res),
        "clean_gap": np.asarray(clean_gap),
    }


@pytest.mark.parametrize(("name", "steps"), [("HalfCheetah-v5", 400), ("Hopper-v5", 400)])
def test_residual_is_the_stated_gaussian_in_observation_space(name: str, steps: int) -> None:
    res = _residuals(name, steps)
    state, reward = res["state"], res["reward"]
    # The deterministic part is reproduced exactly, so the residual is the noise itself.
    assert res["clean_gap"].max() <= 1e-10
    n = state.size
    assert abs(state.mean()) < 4 * SIGMA / np.sqrt(n)
    assert state.std() == pytest.approx(SIGMA, rel=0.05)
    # Each coordinate, not just the pool, has the stated std.
    np.testing.assert_allclose(state.std(axis=0), SIGMA, rtol=0.25)
    assert reward.std() == pytest.approx(SIGMA_R, rel=0.15)
    assert abs(reward.mean()) < 4 * SIGMA_R / np.sqrt(reward.size)


def test_pendulum_noise_is_gaussian_in_angle_coordinates() -> None:
    res = _residuals("Pendulum-v1", 600)
    theta = np.angle(np.exp(1j * res["state"][:, 0]))  # wrap angle differences
    # float32 observations round the deterministic part to ~1e-6, far below SIGMA.
    assert res["clean_gap"].max() <= 1e-5
    assert theta.std() == pytest.approx(SIGMA, rel=0.1)
    assert res["state"][:, 1].std() == pytest.approx(SIGMA, rel=0.1)
    assert res["reward"].std() == pytest.approx(SIGMA_R, rel=0.15)


def test_ant_reward_is_exactly_a_function_of_the_observation_when_wrapped() -> None:
    res = _residuals("Ant-v5", 150)
    assert res["clean_gap"].max() <= 1e-10
    assert res["state"].std() == pytest.approx(SIGMA, rel=0.1)


def test_same_seed_same_noise_other_seed_other_noise() -> None:
    def trajectory(seed: int) -> np.ndarray:
        env = _wrapped("HalfCheetah-v5")
        out = [env.reset(seed=seed)[0]]
        for _ in range(20):
            obs, reward, *_ = env.step(np.full(6, 0.3))
            out.append(np.append(obs, reward))
        return np.concatenate(out)

    np.testing.assert_array_equal(trajectory(3), trajectory(3))
    assert not np.allclose(trajectory(3), trajectory(4))


def test_no_global_rng_is_touched() -> None:
    before = np.random.get_state()[1].copy()
    torch_before = torch.random.get_rng_state().clone()
    env = _wrapped("Pendulum-v1")
    env.reset(seed=0)
    for _ in range(10):
        env.step(np.zeros(1, dtype=np.float32))
    np.testing.assert_array_equal(np.random.get_state()[1], before)
    assert torch.equal(torch.random.get_rng_state(), torch_before)


def test_make_env_wraps_only_with_noise_and_checks_stds() -> None:
    plain = make_env(SPECS["Hopper-v5"])
    assert not isinstance(plain, KnownNoiseWrapper)
    env = _wrapped("Hopper-v5", sigma=0.0, sigma_r=0.5)
    assert (env.transition_noise, env.reward_noise, env.gaussian_in_obs) == (0.0, 0.5, True)
    assert not _wrapped("Pendulum-v1").gaussian_in_obs
    for bad in (-0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="transition_noise"):
            make_env(SPECS["Hopper-v5"], transition_noise=bad)
        with pytest.raises(ValueError, match="reward_noise"):
            make_env(SPECS["Hopper-v5"], reward_noise=bad)


def test_reward_noise_alone_keeps_the_trajectory() -> None:
    env = _wrapped("HalfCheetah-v5", sigma=0.0, sigma_r=SIGMA_R)
    plain = make_env(SPECS["HalfCheetah-v5"])
    a, _ = env.reset(seed=7)
    b, _ = plain.reset(seed=7)
    np.testing.assert_array_equal(a, b)
    for _ in range(30):
        act = np.full(6, -0.2)
        (a, ra, *_), (b, rb, *_) = env.step(act), plain.step(act)
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
        assert ra != rb


def test_step_before_reset_is_refused() -> None:
    env = _wrapped("Pendulum-v1")
    with pytest.raises(Exception, match="reset"):
        env.step(np.zeros(1, dtype=np.float32))
