"""The environment registry: one explicit dict of :class:`EnvSpec` objects.

Each spec says how to build the task (gymnasium id and keyword arguments), how an episode ends
(a pure torch termination function, :mod:`boundcheck.envs.termination`) and the MBPO
hyperparameters that differ from ``boundcheck.config.BASE`` (``preset``, flat dotted keys for
``boundcheck.config.apply_overrides``). Presets follow the hyperparameter table of PAPER.md (the
paper's Appendix C and the authors' code, jannerm/mbpo); every value not from that table says
where it comes from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from boundcheck.envs import termination as term
from boundcheck.envs.termination import TerminationFn


class UnknownEnvError(ValueError):
    """An environment name that is not in :data:`SPECS`."""


@dataclass(frozen=True)
class EnvSpec:
    """One task: how to build it, when it terminates, and its MBPO preset.

    Attributes:
        name: the name users type (``"Hopper-v5"``), the key in :data:`SPECS`.
        gym_id: the id passed to ``gymnasium.make``.
        make_kwargs: keyword arguments for ``gymnasium.make`` (e.g. observation flags).
        termination: ``(obs, act, next_obs) -> BoolTensor``, batched; reproduces the env's
            ``terminated`` flag (see :mod:`boundcheck.envs.termination`).
        preset: dotted-key deltas from ``boundcheck.config.BASE``.
        obs_note: what the observation contains and why (wrappers, flags, omissions).
        obs_dim: length of the observation vector the env returns with ``make_kwargs``.
        act_dim: length of the action vector.
    """

    name: str
    gym_id: str
    make_kwargs: Mapping[str, Any]
    termination: TerminationFn
    preset: Mapping[str, Any]
    obs_note: str
    obs_dim: int
    act_dim: int

    def __post_init__(self) -> None:
        if not self.name or not self.gym_id:
            raise ValueError("EnvSpec needs a name and a gym_id")
        if self.obs_dim < 1 or self.act_dim < 1:
            raise ValueError(f"{self.name}: obs_dim and act_dim must be >= 1")
        # Private copies, so that a caller's dict cannot change a registered spec.
        object.__setattr__(self, "make_kwargs", dict(self.make_kwargs))
        object.__setattr__(self, "preset", dict(self.preset))

    def __hash__(self) -> int:
        """Hash by name (the mappings are not hashable; equal specs share a name)."""
        return hash(self.name)

    @property
    def terminates(self) -> bool:
        """False for tasks whose episodes end only by time limit (HalfCheetah, Pendulum)."""
        return self.termination is not term.never_terminates


def _preset(
    *,
    total_steps: int,
    updates_per_step: int,
    target_entropy: float,
    k: tuple[int, int, int, int] = (1, 1, 20, 100),
    epoch_length: int = 1000,
    hidden_width: int = 200,
    model_train_freq: int = 250,
    retain_epochs: int = 1,
    init_exploration_steps: int = 5000,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A preset from one column of the paper's table; ``k = (x, y, a, b)`` is "x -> y over a -> b".

    ``extra`` holds keys outside the table. Every table entry is written out, even where it
    equals ``BASE``, so that a preset reads complete on its own and does not change if ``BASE``
    does.
    """
    min_length, max_length, min_epoch, max_epoch = k
    return {
        "total_steps": total_steps,
        "epoch_length": epoch_length,
        "updates_per_step": updates_per_step,
        "rollout.min_length": min_length,
        "rollout.max_length": max_length,
        "rollout.min_epoch": min_epoch,
        "rollout.max_epoch": max_epoch,
        "sac.target_entropy": target_entropy,
        "ensemble.hidden_width": hidden_width,
        "model_train_freq": model_train_freq,
        "retain_epochs": retain_epochs,
        "init_exploration_steps": init_exploration_steps,
        **(extra or {}),
    }


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
            preset=_preset(total_steps=125_000, updates_per_step=20, target_entropy=-1.0,
                           k=(1, 15, 20, 100)),
            obs_note=_LOCOMOTION_NOTE.format(clip=" clipped to [-10, 10]") + " 11 dims.",
            obs_dim=11,
            act_dim=3,
        ),
        EnvSpec(
            name="Walker2d-v5",
            gym_id="Walker2d-v5",
            make_kwargs={},
            termination=term.walker2d_termination,
            preset=_preset(total_steps=300_000, updates_per_step=20, target_entropy=-3.0),
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
            preset=_preset(total_steps=400_000, updates_per_step=40, target_entropy=-3.0),
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
            preset=_preset(total_steps=300_000, updates_per_step=20, target_entropy=-4.0,
                           k=(1, 25, 20, 100)),
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
            preset=_preset(total_steps=300_000, updates_per_step=20, target_entropy=-2.0,
                           k=(1, 25, 20, 300), hidden_width=400, model_train_freq=1000,
                           retain_epochs=5),
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
            preset=_preset(total_steps=15_000, epoch_length=250, updates_per_step=10,
                           target_entropy=-0.05, init_exploration_steps=500),
            obs_note="[cart x, pole angle, cart velocity, pole angular velocity], 4 dims; the "
            "full simulator state.",
            obs_dim=4,
            act_dim=1,
        ),
        EnvSpec(
            name="InvertedDoublePendulum-v5",
            gym_id="InvertedDoublePendulum-v5",
            make_kwargs={},
            termination=term.inverted_double_pendulum_termination,
            # Not in the paper: InvertedPendulum's preset with twice the steps (a harder task).
            preset=_preset(total_steps=30_000, epoch_length=250, updates_per_step=10,
                           target_entropy=-0.05, init_exploration_steps=500),
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
            # Not from the paper: a small, fast preset for smoke tests (5 epochs of 200 steps,
            # small networks and rollout batches). Override total_steps/updates_per_step to learn.
            preset=_preset(total_steps=1000, epoch_length=200, updates_per_step=2,
                           target_entropy=-1.0, hidden_width=64, model_train_freq=100,
                           init_exploration_steps=200,
                           extra={"rollout_batch_size": 1000, "sac.hidden_width": 64,
                                  "ensemble.max_epochs": 20}),
            obs_note="(cos th, sin th, thdot) in float32, 3 dims. Never terminates; episodes end "
            "at the 200-step time limit.",
            obs_dim=3,
            act_dim=1,
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
