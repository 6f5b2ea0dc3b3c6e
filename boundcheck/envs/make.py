"""Building environments, optionally with known Gaussian transition and reward noise.

The MuJoCo simulators are deterministic, so the total-variation distance between a Gaussian
model and the true transition ``p(s', r | s, a)`` (a Dirac) is always 1 (docs/paper.md
§2). :class:`KnownNoiseWrapper` makes the true transition a *known* Gaussian instead:

    s' = F(s, a) + sigma * xi,    r = R(s, a) + sigma_r * zeta,    xi, zeta ~ N(0, I),

where ``F`` and ``R`` are the simulator's deterministic step from the state that the observation
``s`` describes. After adding the noise the wrapper sets the noisy state back into the simulator
(:mod:`boundcheck.envs.state`), so the next step starts from exactly the state the agent observes
and the process is Markov in the observation.
"""

from __future__ import annotations

import math
from typing import Any, SupportsFloat

import gymnasium
import numpy as np
import torch
from numpy.typing import NDArray

from boundcheck.envs.specs import EnvSpec
from boundcheck.envs.state import obs_from_env, set_state_from_obs, state_chart
from boundcheck.envs.termination import TerminationFn

#: Mixed into the wrapper's seed so that its noise stream differs from the env's own, which
#: gymnasium seeds from the same integer.
_NOISE_STREAM = 0x6B6E6F77


def _check_std(value: float, what: str) -> float:
    value = float(value)
    if not (math.isfinite(value) and value >= 0.0):
        raise ValueError(f"{what} must be a finite number >= 0, got {value!r}")
    return value


class KnownNoiseWrapper(gymnasium.Wrapper):
    """Adds ``N(0, sigma^2)`` to the next state and ``N(0, sigma_r^2)`` to the reward.

    Noise coordinates: the observation itself for the tasks whose observation is
    ``(qpos[k:], qvel)`` (all of them but the two below; there ``s'`` is exactly Gaussian in
    observation space, ``gaussian_in_obs`` is True); the angles ``(th, thdot)`` for Pendulum-v1
    and ``(x, th1, th2, qvel)`` for InvertedDoublePendulum-v5, whose observations hold sines
    and cosines (a Gaussian there would leave the circle). The noise comes from the wrapper's
    own ``np.random.Generator``, reseeded by ``reset(seed=...)``; no global RNG is used.

    After every step the simulator is set from the returned observation (noisy or not). This
    makes the wrapped process Markov in the observation and ``F``, ``R`` functions of it:

    * velocities that the observation clips (Hopper, Walker2d, InvertedDoublePendulum:
      |qvel| <= 10) are clipped in the simulator too, so those tasks run with that clipping as
      part of their dynamics (Walker2d exceeds 10 in most states under random actions);
    * MuJoCo's derived kinematics are refreshed. Ant and Humanoid compute the forward reward
      from a "before" position read from those kinematics, which after a plain ``mj_step`` are
      left at the last Runge-Kutta stage, so unwrapped their reward is a function of the
      observation only approximately (measured median error 5e-4 for Ant, 3e-5 for Humanoid,
      worst 0.1 in contact-rich steps). Wrapped, exactly.

    ``terminated`` is recomputed as ``termination(s, a, s')`` on the returned ``s'`` (so that it
    is a function of the observed transition, as MBPO assumes; for InvertedDoublePendulum this
    also replaces the simulator's stale tip height). ``info["clean_obs"]`` and
    ``info["clean_reward"]`` hold the noise-free ``F(s, a)`` and ``R(s, a)``.

    Attributes:
        transition_noise: sigma, std of the state noise (per coordinate).
        reward_noise: sigma_r, std of the reward noise.
        gaussian_in_obs: whether the noise coordinates are the observation itself.
    """

    def __init__(
        self,
        env: gymnasium.Env,
        *,
        termination: TerminationFn,
        transition_noise: float = 0.0,
        reward_noise: float = 0.0,
    ) -> None:
        super().__init__(env)
        self.transition_noise = _check_std(transition_noise, "transition_noise")
        self.reward_noise = _check_std(reward_noise, "reward_noise")
        self._termination = termination
        self._chart = state_chart(env)
        self.gaussian_in_obs = self._chart.gaussian_in_obs
        self._rng: np.random.Generator | None = None
        self._last_obs: NDArray[Any] | None = None

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """Reset the env; a ``seed`` also reseeds the noise generator (first reset: entropy).

        The simulator is set from the initial observation too (this matters only for
        Pendulum-v1, whose float32 observation rounds the initial angle).
        """
        obs, info = self.env.reset(seed=seed, options=options)
        self._chart.set_state(self.env, obs)
        if seed is not None:
            self._rng = np.random.default_rng([seed, _NOISE_STREAM])
        elif self._rng is None:
            self._rng = np.random.default_rng()
        self._last_obs = np.asarray(obs)
        return obs, info

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        """Step the simulator, add the noise, and set the simulator to the noisy state."""
        if self._rng is None or self._last_obs is None:
            raise gymnasium.error.ResetNeeded("call reset() before step()")
        obs, reward, terminated, truncated, info = self.env.step(action)
        info = {**info, "clean_obs": obs, "clean_reward": reward}
        chart = self._chart
        if self.transition_noise > 0.0:
            coords = chart.coords(obs)
            coords = coords + self.transition_noise * self._rng.standard_normal(coords.shape)
            obs = chart.obs_from_coords(coords, obs)
        chart.set_state(self.env, obs)
        terminated = self._terminated(self._last_obs, action, obs)
        if self.reward_noise > 0.0:
            reward = float(reward) + self.reward_noise * float(self._rng.standard_normal())
        self._last_obs = np.asarray(obs)
        return obs, reward, terminated, truncated, info

    def set_state(self, obs: NDArray[Any]) -> None:
        """Put the simulator into the state ``obs`` describes and take it as the current
        observation (the ``obs`` of the next step's termination check)."""
        self._chart.set_state(self.env, obs)
        self._last_obs = np.asarray(obs)

    def _terminated(self, obs: NDArray[Any], action: Any, next_obs: NDArray[Any]) -> bool:
        def row(x: Any) -> torch.Tensor:
            return torch.as_tensor(np.asarray(x, dtype=np.float64)).reshape(1, -1)

        return bool(self._termination(row(obs), row(action), row(next_obs))[0])


def make_env(
    spec: EnvSpec,
    *,
    transition_noise: float = 0.0,
    reward_noise: float = 0.0,
    render_mode: str | None = None,
    unit_actions: bool = False,
) -> gymnasium.Env:
    """Build ``spec``'s environment (``gymnasium.make`` with ``spec.make_kwargs``).

    If either noise std is > 0 the env is wrapped in :class:`KnownNoiseWrapper`. With
    ``unit_actions`` the action space is rescaled to [-1, 1] (gymnasium's ``RescaleAction``,
    outermost), the squashed-Gaussian policy's range; the trainer uses this. The env is
    unseeded: pass ``seed`` to the first ``reset``.
    """
    transition_noise = _check_std(transition_noise, "transition_noise")
    reward_noise = _check_std(reward_noise, "reward_noise")
    env = gymnasium.make(spec.gym_id, render_mode=render_mode, **spec.make_kwargs)
    if transition_noise > 0.0 or reward_noise > 0.0:
        env = KnownNoiseWrapper(
            env,
            termination=spec.termination,
            transition_noise=transition_noise,
            reward_noise=reward_noise,
        )
    if unit_actions:
        one = np.ones(env.action_space.shape, dtype=np.float32)
        env = gymnasium.wrappers.RescaleAction(env, -one, one)
    return env


def set_env_state(env: gymnasium.Env, obs: NDArray[Any]) -> NDArray[Any]:
    """Put ``env`` (any wrapper stack) into the state ``obs`` describes; return the observation
    the env now reports (``obs`` after the env's own clipping, e.g. of velocities).

    A :class:`KnownNoiseWrapper` in the stack records ``obs`` as its current observation.
    """
    layer: Any = env
    while isinstance(layer, gymnasium.Wrapper):
        if isinstance(layer, KnownNoiseWrapper):
            layer.set_state(obs)
            break
        layer = layer.env
    else:
        set_state_from_obs(env, obs)
    return np.asarray(obs_from_env(env), dtype=np.asarray(obs).dtype)
