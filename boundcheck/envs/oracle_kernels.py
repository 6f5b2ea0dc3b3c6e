"""Batched one-step simulation for the oracle model (docs/trainer.md, "Ablations", "oracle").

:class:`BatchStepper` steps a whole batch of observed states at once with MuJoCo's own rollout
module (``mujoco.rollout``, multi-threaded, one ``MjData`` per thread): the state vector
``[time, qpos, qvel]`` (``mjSTATE_FULLPHYSICS`` of a model without actuator or plugin state) is
built from the observations as :class:`~boundcheck.envs.state.JointChart` does, the action is held
for the env's ``frame_skip`` physics steps (as ``MujocoEnv.do_simulation``), and the next
observation and reward are computed from the final states with the task's own formulas
(gymnasium v5: forward reward, healthy reward, control cost, velocity clipping). Available for
the tasks whose reward is a function of ``qpos``/``qvel`` alone (:func:`batch_stepper`):
Hopper, Walker2d, HalfCheetah and InvertedPendulum; the others are stepped row by row by
:class:`~boundcheck.envs.oracle.SimulatorOracle`. Both agree with the simulator's own step to
~1e-14 (tests/unit/envs/test_envs_oracle.py).

The solver warm start is zero at every step and x (``qpos[0]``) is 0 before it: the result of
a row depends on that row only, not on the batch or the order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

#: Rows per ``mujoco.rollout`` call (bounds its [rows, frame_skip, nstate] output).
CHUNK_ROWS = 16384


@dataclass(frozen=True)
class RewardTerms:
    """The reward of one gymnasium v5 locomotion task, as the env's ``_get_rew``.

    ``forward_weight * x_velocity + healthy * healthy_reward - ctrl_weight * |a|^2`` where
    ``healthy`` is 1 without health terms (HalfCheetah) or when every range holds (open
    intervals): z = qpos[1], angle = qpos[2], and (Hopper) every entry of (qpos, qvel)[2:].
    """

    forward_weight: float
    ctrl_weight: float
    healthy_reward: float = 0.0
    z_range: tuple[float, float] | None = None
    angle_range: tuple[float, float] | None = None
    state_range: tuple[float, float] | None = None

    def __call__(self, qpos0: Array, qpos: Array, qvel: Array, act: Array, dt: float) -> Array:
        """Rewards [B] of the transitions from ``qpos0`` to ``(qpos, qvel)`` under ``act``."""
        x_velocity = (qpos[:, 0] - qpos0[:, 0]) / dt
        reward = self.forward_weight * x_velocity
        if self.z_range is not None:
            reward = reward + self.healthy(qpos, qvel) * self.healthy_reward
        return np.asarray(reward - self.ctrl_weight * np.sum(np.square(act), axis=1),
                          dtype=np.float64)

    def healthy(self, qpos: Array, qvel: Array) -> Array:
        """The env's ``is_healthy`` per row, as 0.0 / 1.0."""
        ok = np.ones(qpos.shape[0], dtype=bool)
        for values, bounds in ((qpos[:, 1], self.z_range), (qpos[:, 2], self.angle_range)):
            if bounds is not None:
                ok &= (bounds[0] < values) & (values < bounds[1])
        if self.state_range is not None:
            state = np.concatenate([qpos, qvel], axis=1)[:, 2:]
            lo, hi = self.state_range
            ok &= np.all((lo < state) & (state < hi), axis=1)
        return ok.astype(np.float64)


@dataclass(frozen=True)
class PendulumReward:
    """InvertedPendulum-v5: 1 while the pole is up (|angle| <= 0.2, finite), else 0."""

    def __call__(self, qpos0: Array, qpos: Array, qvel: Array, act: Array, dt: float) -> Array:
        """Rewards [B] (the env's ``int(not terminated)``)."""
        obs = np.concatenate([qpos, qvel], axis=1)
        up = np.isfinite(obs).all(axis=1) & ~(np.abs(obs[:, 1]) > 0.2)
        return np.asarray(up, dtype=np.float64)


class BatchStepper:
    """One env step for a batch of observations of a (qpos[k:], qvel) task (module docstring)."""

    def __init__(self, sim: Any, reward: RewardTerms | PendulumReward, *, skipped_qpos: int,
                 clip_velocity: float | None, threads: int) -> None:
        import mujoco
        import mujoco.rollout

        self._mujoco = mujoco
        self.model = sim.model
        self.frame_skip = int(sim.frame_skip)
        self.dt = float(sim.dt)
        self.reward = reward
        self.skipped_qpos = skipped_qpos
        self.clip_velocity = clip_velocity
        nq, nv = self.model.nq, self.model.nv
        self._spec = int(mujoco.mjtState.mjSTATE_FULLPHYSICS)
        self.nstate = mujoco.mj_stateSize(self.model, self._spec)
        if self.nstate != 1 + nq + nv:
            raise TypeError("the batched oracle needs a state of [time, qpos, qvel] only")
        self._template = np.zeros(self.nstate)
        self._template[1 : 1 + nq] = sim.init_qpos
        self._template[1] = 0.0  # x before the step (the reward uses only its change)
        threads = max(int(threads), 1)
        self._datas = [mujoco.MjData(self.model) for _ in range(threads)]
        self._pool = mujoco.rollout.Rollout(nthread=threads if threads > 1 else 0)

    def close(self) -> None:
        """Stop the rollout thread pool."""
        self._pool.close()

    def states(self, obs: Array) -> Array:
        """Full-physics states [B, nstate] of observations [B, obs_dim] (x = 0, time = 0)."""
        nq, nv, k = self.model.nq, self.model.nv, self.skipped_qpos
        out = np.repeat(self._template[None, :], obs.shape[0], axis=0)
        out[:, 1 + k : 1 + nq] = obs[:, : nq - k]
        out[:, 1 + nq : 1 + nq + nv] = obs[:, nq - k : nq - k + nv]
        return out

    def step(self, obs: Array, act: Array) -> tuple[Array, Array]:
        """``(next_obs [B, obs_dim], reward [B])`` from observations and env-space actions."""
        next_obs = np.empty_like(obs)
        reward = np.empty(obs.shape[0])
        for lo in range(0, obs.shape[0], CHUNK_ROWS):
            rows = slice(lo, min(lo + CHUNK_ROWS, obs.shape[0]))
            next_obs[rows], reward[rows] = self._step_chunk(obs[rows], act[rows])
        return next_obs, reward

    def _step_chunk(self, obs: Array, act: Array) -> tuple[Array, Array]:
        nq, nv, k = self.model.nq, self.model.nv, self.skipped_qpos
        start = self.states(obs)
        control = np.ascontiguousarray(act[:, None, :], dtype=np.float64)
        warm = np.zeros((1, nv))
        state, _ = self._pool.rollout(
            self.model, self._datas, start, control, nstep=self.frame_skip,
            control_spec=int(self._mujoco.mjtState.mjSTATE_CTRL), initial_warmstart=warm)
        final = state[:, -1, :]
        qpos, qvel = final[:, 1 : 1 + nq], final[:, 1 + nq : 1 + nq + nv]
        reward = self.reward(start[:, 1 : 1 + nq], qpos, qvel, act, self.dt)
        vel = qvel if self.clip_velocity is None else np.clip(qvel, -self.clip_velocity,
                                                              self.clip_velocity)
        next_obs = np.concatenate([qpos[:, k:], vel, obs[:, nq - k + nv :]], axis=1)
        return next_obs, reward


def _bounds(pair: Any) -> tuple[float, float]:
    low, high = pair
    return float(low), float(high)


def batch_stepper(env: Any, *, threads: int) -> BatchStepper | None:
    """The batched stepper of ``env``'s task, or None where the reward needs more than
    ``qpos``/``qvel`` (Ant, Humanoid: body positions, contact forces; InvertedDoublePendulum:
    the tip's site position) or the env is not MuJoCo (Pendulum-v1)."""
    from gymnasium.envs.mujoco.half_cheetah_v5 import HalfCheetahEnv
    from gymnasium.envs.mujoco.hopper_v5 import HopperEnv
    from gymnasium.envs.mujoco.inverted_pendulum_v5 import InvertedPendulumEnv
    from gymnasium.envs.mujoco.walker2d_v5 import Walker2dEnv

    sim = env.unwrapped
    skipped = int(getattr(sim, "observation_structure", {}).get("skipped_qpos", 0))
    reward: RewardTerms | PendulumReward
    clip: float | None = None
    if isinstance(sim, (HopperEnv, Walker2dEnv)):
        reward = RewardTerms(
            forward_weight=float(sim._forward_reward_weight),
            ctrl_weight=float(sim._ctrl_cost_weight),
            healthy_reward=float(sim._healthy_reward),
            z_range=_bounds(sim._healthy_z_range), angle_range=_bounds(sim._healthy_angle_range),
            state_range=(_bounds(sim._healthy_state_range) if isinstance(sim, HopperEnv)
                         else None))
        clip = 10.0
    elif isinstance(sim, HalfCheetahEnv):
        reward = RewardTerms(forward_weight=float(sim._forward_reward_weight),
                             ctrl_weight=float(sim._ctrl_cost_weight))
    elif isinstance(sim, InvertedPendulumEnv):
        reward = PendulumReward()
    else:
        return None
    return BatchStepper(sim, reward, skipped_qpos=skipped, clip_velocity=clip, threads=threads)
