"""The environment registry: one explicit dict of :class:`EnvSpec` objects.

Each spec says how to build the task (gymnasium id and keyword arguments), how an episode ends
(a pure torch termination function, :mod:`boundcheck.envs.termination`) and what its
observation holds. The task's MBPO hyperparameters (its preset) live with the other settings,
in :mod:`boundcheck.config.presets` (docs/settings.md).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from boundcheck.envs import termination as term
from boundcheck.envs.termination import TerminationFn


class UnknownEnvError(ValueError):
    """An environment name that is not in :data:`SPECS`."""


@dataclass(frozen=True)
class EnvSpec:
    """One task: how to build it, when it terminates, and what it observes.

    Attributes:
        name: the name users type (``"Hopper-v5"``), the key in :data:`SPECS`.
        gym_id: the id passed to ``gymnasium.make``.
        make_kwargs: keyword arguments for ``gymnasium.make`` (e.g. observation flags).
        termination: ``(obs, act, next_obs) -> BoolTensor``, batched; reproduces the env's
            ``terminated`` flag (see :mod:`boundcheck.envs.termination`).
        obs_note: what the observation contains and why (wrappers, flags, omissions).
        obs_dim: length of the observation vector the env returns with ``make_kwargs``.
        act_dim: length of the action vector.
        reward_bound: a known bound on |r(s, a)| of the task's reward function (the r_max of
            the MBPO bounds), or None where the reward is unbounded (locomotion rewards grow
            with speed).
    """

    name: str
    gym_id: str
    make_kwargs: Mapping[str, Any]
    termination: TerminationFn
    obs_note: str
    obs_dim: int
    act_dim: int
    reward_bound: float | None = None

    def __post_init__(self) -> None:
        if not self.name or not self.gym_id:
            raise ValueError("EnvSpec needs a name and a gym_id")
        if self.obs_dim < 1 or self.act_dim < 1:
            raise ValueError(f"{self.name}: obs_dim and act_dim must be >= 1")
        # Private copies, so that a caller's dict cannot change a registered spec.
        object.__setattr__(self, "make_kwargs", dict(self.make_kwargs))

    def __hash__(self) -> int:
        """Hash by name (the mappings are not hashable; equal specs share a name)."""
        return hash(self.name)

    @property
    def terminates(self) -> bool:
        """False for tasks whose episodes end only by time limit (HalfCheetah, Pendulum)."""
        return self.termination is not term.never_terminates


_LOCOMOTION_NOTE = (
    "gymnasium v5 default observation: qpos without the x position (qpos[0]; the dynamics do "
    "not depend on it), then qvel{clip}. Index 0 is the torso height, index 1 the torso angle."
)

_HUMANOID_FLAGS = {
    "include_cinert_in_observation": False,
    "include_cvel_in_observation": False,
    "include_qfrc_actuator_in_observation": False,
    "include_cfrc_ext_in_observation": False,
}

#: The registry. Keys equal ``spec.name``.
SPECS: dict[str, EnvSpec] = {
    spec.name: spec
    for spec in (
        EnvSpec(
            name="Hopper-v5",
            gym_id="Hopper-v5",
            make_kwargs={},
            termination=term.hopper_termination,
            # k: the paper says 1 -> 15 over epochs 20 -> 100; the authors' code uses 20 -> 150.
            obs_note=_LOCOMOTION_NOTE.format(clip=" clipped to [-10, 10]") + " 11 dims.",
            obs_dim=11,
            act_dim=3,
        ),
        EnvSpec(
            name="Walker2d-v5",
            gym_id="Walker2d-v5",
            make_kwargs={},
            termination=term.walker2d_termination,
            obs_note=_LOCOMOTION_NOTE.format(clip=" clipped to [-10, 10]")
            + " 17 dims. Joint speeds often exceed 10 (most states under random actions), so the"
            " observation is then not the full simulator state.",
            obs_dim=17,
            act_dim=6,
        ),
        EnvSpec(
            name="HalfCheetah-v5",
            gym_id="HalfCheetah-v5",
            make_kwargs={},
            termination=term.never_terminates,
            obs_note=_LOCOMOTION_NOTE.format(clip=" (not clipped)")
            + " 17 dims. Never terminates; episodes end at the 1000-step time limit.",
            obs_dim=17,
            act_dim=6,
        ),
        EnvSpec(
            name="Ant-v5",
            gym_id="Ant-v5",
            make_kwargs={"include_cfrc_ext_in_observation": False},
            termination=term.ant_termination,
            obs_note="Truncated observation, as MBPO's AntTruncatedObs: qpos without x, y "
            "(qpos[2:15]; index 0 is the torso height) and qvel (14), 27 dims; the 84 contact "
            "forces are left out (include_cfrc_ext_in_observation=False).",
            obs_dim=27,
            act_dim=8,
        ),
        EnvSpec(
            name="Humanoid-v5",
            gym_id="Humanoid-v5",
            make_kwargs=_HUMANOID_FLAGS,
            termination=term.humanoid_termination,
            obs_note="Truncated observation, as MBPO's HumanoidTruncatedObs: qpos without x, y "
            "(qpos[2:24]; index 0 is the torso height) and qvel (23), 45 dims; cinert, cvel, "
            "qfrc_actuator and cfrc_ext are left out (the four include_*_in_observation flags).",
            obs_dim=45,
            act_dim=17,
        ),
        EnvSpec(
            name="InvertedPendulum-v5",
            gym_id="InvertedPendulum-v5",
            make_kwargs={},
            termination=term.inverted_pendulum_termination,
            obs_note="[cart x, pole angle, cart velocity, pole angular velocity], 4 dims; the "
            "full simulator state.",
            obs_dim=4,
            act_dim=1,
            reward_bound=1.0,  # 1 per step while the pole is up, 0 at the fall
        ),
        EnvSpec(
            name="InvertedDoublePendulum-v5",
            gym_id="InvertedDoublePendulum-v5",
            make_kwargs={},
            termination=term.inverted_double_pendulum_termination,
            obs_note="[cart x, sin th1, sin th2, cos th1, cos th2, 3 velocities clipped to "
            "[-10, 10], cart constraint force clipped to [-10, 10]], 9 dims. The last entry is "
            "a solver output, not state; the termination rule is the closest observable one "
            "(see inverted_double_pendulum_termination).",
            obs_dim=9,
            act_dim=1,
        ),
        EnvSpec(
            name="Pendulum-v1",
            gym_id="Pendulum-v1",
            make_kwargs={},
            termination=term.never_terminates,
            obs_note="(cos th, sin th, thdot) in float32, 3 dims. Never terminates; episodes end "
            "at the 200-step time limit.",
            obs_dim=3,
            act_dim=1,
            # r = -(th^2 + 0.1 thdot^2 + 0.001 u^2), |th| <= pi, |thdot| <= 8, |u| <= 2
            reward_bound=math.pi**2 + 0.1 * 8**2 + 0.001 * 2**2,
        ),
    )
}


def get_spec(name: str) -> EnvSpec:
    """The spec registered under ``name``; raises :class:`UnknownEnvError` listing known names."""
    try:
        return SPECS[name]
    except KeyError:
        known = ", ".join(SPECS)
        raise UnknownEnvError(f"unknown environment {name!r}; known: {known}") from None
