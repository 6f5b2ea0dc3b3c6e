"""The map between an observation and the simulator state, per task.

``set_state_from_obs(env, obs)`` puts the simulator into the state that ``obs`` describes, so that
stepping it reproduces the transition the original environment made from ``obs`` (the tests
check next observation, reward and flag to 1e-10 on every MuJoCo task, from states whose
velocities are not clipped; measured errors are ~1e-14). This is what lets
:class:`KnownNoiseWrapper` make the (noisy) observation *be* the state.

What an observation does not determine, and why that is harmless or where it is not:

* The x position (qpos[0]; for Ant and Humanoid also y, qpos[1]) is left out of the observation.
  It keeps its current value in the simulator: the floor is flat and unbounded, so the
  dynamics, reward and termination do not depend on it (only ``info["x_position"]`` does).
* Hopper, Walker2d and InvertedDoublePendulum clip the velocities in the observation to
  [-10, 10]. A reconstruction from a clipped entry sets the velocity to +-10: exact only while
  every |qvel| < 10 (most but not all states under random actions; falls exceed it).
* InvertedDoublePendulum observes ``sin`` and ``cos`` of the hinge angles: they are recovered
  with ``atan2`` up to a multiple of 2 pi (the hinges are unlimited, so this changes nothing).
  Its last entry, the clipped cart constraint force, is an output of the last solver call, not
  state: it is ignored when setting the state.
* Pendulum-v1 observes ``(cos th, sin th, thdot)`` in float32: th is recovered with ``atan2``
  up to 2 pi (the dynamics and cost depend on th only through sin and a wrapped angle), but
  only to float32 precision, so a re-stepped transition matches to ~1e-6, not 1e-12.
* MuJoCo's solver warm start (``qacc_warmstart``) is not part of any observation. It changes
  the next state by ~1e-14, except for Humanoid, whose PGS solver stops short of convergence:
  up to ~2e-6 there (the tests copy the warm start to check the rest to 1e-10).
* Setting the state refreshes MuJoCo's derived kinematics (``mj_forward``), which a plain
  ``mj_step`` leaves at its last Runge-Kutta stage. Ant and Humanoid read their forward
  reward's "before" position from those, so their reward after a ``set_state_from_obs`` is the
  reward of the observed state exactly, while the original env's differs slightly (median
  5e-4 for Ant); the next *state* is the same either way.

Each task gets a small *chart* (:func:`state_chart`), chosen by the class of the unwrapped
environment (an explicit ``isinstance`` check, no look-up by name). A chart also gives the
coordinates in which :class:`~boundcheck.envs.make.KnownNoiseWrapper` adds Gaussian noise: the
observation itself where the observation is ``(qpos[k:], qvel)`` (``gaussian_in_obs``), the
angles instead of their sine and cosine for the two pendulums whose observation embeds a circle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


class StateChart(Protocol):
    """Observation <-> simulator state map of one environment instance."""

    @property
    def gaussian_in_obs(self) -> bool:
        """True iff the state coordinates are the observation (noise is Gaussian in obs space)."""
        ...

    @property
    def num_coords(self) -> int:
        """Number of state coordinates (the length of :meth:`coords`)."""
        ...

    def set_state(self, env: Any, obs: NDArray[Any]) -> None:
        """Put ``env``'s simulator into the state described by ``obs``."""
        ...

    def coords(self, obs: NDArray[Any]) -> Array:
        """State coordinates (in which noise is added) of an observation."""
        ...

    def obs_from_coords(self, coords: Array, like: NDArray[Any]) -> NDArray[Any]:
        """Observation of state ``coords``; entries that are not state are copied from ``like``."""
        ...


@dataclass(frozen=True)
class JointChart:
    """Observation ``[qpos[skipped:], qvel, outputs...]`` (Hopper ... Humanoid, InvertedPendulum).

    Read from gymnasium's ``observation_structure``. Trailing outputs (contact forces etc., absent
    from the truncated observations used here) are not state and are ignored by ``set_state``.
    """

    skipped_qpos: int
    num_qpos: int
    num_qvel: int

    @property
    def gaussian_in_obs(self) -> bool:
        """True: the coordinates are the leading observation entries."""
        return True

    @property
    def num_coords(self) -> int:
        """``num_qpos + num_qvel``."""
        return self.num_qpos + self.num_qvel

    def set_state(self, env: Any, obs: NDArray[Any]) -> None:
        """Overwrite qpos[skipped:] and qvel; qpos[:skipped] (x, y) keeps its value."""
        sim = env.unwrapped
        obs = np.asarray(obs, dtype=np.float64)
        qpos = np.array(sim.data.qpos, dtype=np.float64)
        qpos[self.skipped_qpos :] = obs[: self.num_qpos]
        qvel = obs[self.num_qpos : self.num_coords].copy()
        sim.set_state(qpos, qvel)

    def coords(self, obs: NDArray[Any]) -> Array:
        """The leading ``num_coords`` entries of the observation."""
        return np.array(obs[: self.num_coords], dtype=np.float64)

    def obs_from_coords(self, coords: Array, like: NDArray[Any]) -> NDArray[Any]:
        """``like`` with its state entries replaced by ``coords``."""
        out = np.array(like, dtype=np.float64)
        out[: self.num_coords] = coords
        return out


@dataclass(frozen=True)
class DoublePendulumChart:
    """InvertedDoublePendulum-v5: obs ``[x, sin th1, sin th2, cos th1, cos th2, qvel(3), f]``.

    Coordinates ``[x, th1, th2, qvel(3)]``; ``f`` (clipped cart constraint force) is not state.
    """

    @property
    def gaussian_in_obs(self) -> bool:
        """False: the observation holds sines and cosines of the coordinates."""
        return False

    @property
    def num_coords(self) -> int:
        """``x, th1, th2`` and three velocities."""
        return 6

    def set_state(self, env: Any, obs: NDArray[Any]) -> None:
        """Set qpos = (x, atan2(sin, cos) per hinge) and qvel = obs[5:8]."""
        c = self.coords(obs)
        env.unwrapped.set_state(c[:3].copy(), c[3:].copy())

    def coords(self, obs: NDArray[Any]) -> Array:
        """``[x, th1, th2, v_x, w1, w2]`` with the angles in (-pi, pi]."""
        o = np.asarray(obs, dtype=np.float64)
        angles = np.arctan2(o[1:3], o[3:5])
        return np.concatenate([o[:1], angles, o[5:8]])

    def obs_from_coords(self, coords: Array, like: NDArray[Any]) -> NDArray[Any]:
        """Rebuild the 9-dim observation; the constraint force entry is copied from ``like``."""
        out = np.array(like, dtype=np.float64)
        out[0] = coords[0]
        out[1:3] = np.sin(coords[1:3])
        out[3:5] = np.cos(coords[1:3])
        out[5:8] = coords[3:6]
        return out


@dataclass(frozen=True)
class PendulumChart:
    """Pendulum-v1: obs ``(cos th, sin th, thdot)`` in float32; coordinates ``(th, thdot)``."""

    @property
    def gaussian_in_obs(self) -> bool:
        """False: the observation holds the sine and cosine of th."""
        return False

    @property
    def num_coords(self) -> int:
        """``th, thdot``."""
        return 2

    def set_state(self, env: Any, obs: NDArray[Any]) -> None:
        """Set ``env.unwrapped.state = (atan2(sin, cos), thdot)``."""
        env.unwrapped.state = self.coords(obs)

    def coords(self, obs: NDArray[Any]) -> Array:
        """``(th, thdot)`` with th in (-pi, pi]."""
        o = np.asarray(obs, dtype=np.float64)
        return np.array([np.arctan2(o[1], o[0]), o[2]])

    def obs_from_coords(self, coords: Array, like: NDArray[Any]) -> NDArray[Any]:
        """``(cos th, sin th, thdot)`` in the dtype of ``like`` (float32, as the env returns)."""
        th, thdot = float(coords[0]), float(coords[1])
        return np.array([np.cos(th), np.sin(th), thdot], dtype=np.asarray(like).dtype)


def state_chart(env: Any) -> StateChart:
    """The chart of ``env`` (any wrapper stack), chosen by the unwrapped environment's class.

    Raises ``TypeError`` for an environment without a known observation layout.
    """
    # Imported here so that importing this module does not load MuJoCo.
    from gymnasium.envs.classic_control.pendulum import PendulumEnv
    from gymnasium.envs.mujoco.ant_v5 import AntEnv
    from gymnasium.envs.mujoco.half_cheetah_v5 import HalfCheetahEnv
    from gymnasium.envs.mujoco.hopper_v5 import HopperEnv
    from gymnasium.envs.mujoco.humanoid_v5 import HumanoidEnv
    from gymnasium.envs.mujoco.inverted_double_pendulum_v5 import InvertedDoublePendulumEnv
    from gymnasium.envs.mujoco.inverted_pendulum_v5 import InvertedPendulumEnv
    from gymnasium.envs.mujoco.walker2d_v5 import Walker2dEnv

    sim = env.unwrapped
    if isinstance(sim, PendulumEnv):
        return PendulumChart()
    if isinstance(sim, InvertedDoublePendulumEnv):
        return DoublePendulumChart()
    # Other v5 envs publish an observation_structure too, but some (Reacher, Pusher) observe
    # sines or differences of positions: only these classes observe (qpos[k:], qvel) as is.
    joint_envs = (HopperEnv, Walker2dEnv, HalfCheetahEnv, AntEnv, HumanoidEnv, InvertedPendulumEnv)
    if isinstance(sim, joint_envs):
        structure = sim.observation_structure
        return JointChart(
            skipped_qpos=int(structure.get("skipped_qpos", 0)),
            num_qpos=int(structure["qpos"]),
            num_qvel=int(structure["qvel"]),
        )
    raise TypeError(f"no observation <-> state map for {type(sim).__name__}")


def set_state_from_obs(env: Any, obs: NDArray[Any]) -> None:
    """Put ``env``'s simulator into the state described by the observation ``obs``.

    See the module docstring for what an observation leaves undetermined (x position, clipped
    velocities, angles modulo 2 pi, float32 precision for Pendulum).
    """
    state_chart(env).set_state(env, obs)


def obs_from_env(env: Any) -> NDArray[Any]:
    """The observation ``env`` would return for its current simulator state.

    This is the environment's own observation function (with its clipping), e.g. to read the
    observation after :func:`set_state_from_obs`.
    """
    return np.array(env.unwrapped._get_obs())
