"""Pure, batched termination functions, one per task.

MBPO does not learn termination: each task has a hand-written rule ``done(s, a, s')`` that is
applied to model rollouts (the authors' code; docs/paper.md §7). Every
function here has the signature ``(obs, act, next_obs) -> BoolTensor`` where ``obs`` and
``next_obs`` have shape ``[..., obs_dim]`` and ``act`` ``[..., act_dim]``, and returns
``[...]``. The rules reproduce gymnasium 1.x's v5 ``terminated`` flag for the default healthy
ranges and for the observation layout of :data:`boundcheck.envs.SPECS` (x position, and for
Ant/Humanoid also y, excluded from the observation). Comparisons keep gymnasium's strictness
(``<`` versus ``<=``) and its behaviour on NaN, so that ``terminated`` agrees on every
transition; the tests check this against the simulator on real transitions. The one task whose
rule cannot be evaluated exactly from the observation, InvertedDoublePendulum, is documented at
:func:`inverted_double_pendulum_termination`.

Nothing here depends on numpy or gymnasium; all functions are pure and allocate only the output.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

#: ``(obs, act, next_obs) -> terminated``, batched over the leading dimensions.
TerminationFn = Callable[[Tensor, Tensor, Tensor], Tensor]


def _inside_open(x: Tensor, low: float, high: float) -> Tensor:
    """``low < x < high`` elementwise; False for NaN, exactly like numpy's comparisons."""
    return (x > low) & (x < high)


def hopper_termination(obs: Tensor, act: Tensor, next_obs: Tensor) -> Tensor:
    """Hopper-v5: terminated iff the hopper is unhealthy after the step.

    Observation (11): ``[qpos[1:6], clip(qvel, -10, 10)]``: index 0 is the torso height z
    (qpos[1]), index 1 the torso angle (qpos[2]); 2..4 joint angles; 5..10 velocities.
    Healthy iff (all strict) ``0.7 < z < inf``, ``-0.2 < angle < 0.2`` and every element of
    ``state_vector()[2:] = (qpos[2:], qvel)`` lies in ``(-100, 100)``; here that is
    ``next_obs[..., 1:]``.

    Exactness: gymnasium checks the *unclipped* qvel against 100, while the observation clips
    velocities to 10, so a velocity beyond 100 (which does not happen in practice; the simulator
    would have to be exploding) is invisible here. The authors' MBPO code writes
    ``np.abs(next_obs[:, 1:] < 100)`` (the absolute value of a boolean, so the state range is
    never checked from below); that bug is not reproduced.
    """
    z = next_obs[..., 0]
    angle = next_obs[..., 1]
    healthy_state = _inside_open(next_obs[..., 1:], -100.0, 100.0).all(dim=-1)
    healthy = healthy_state & _inside_open(z, 0.7, float("inf")) & _inside_open(angle, -0.2, 0.2)
    return ~healthy


def walker2d_termination(obs: Tensor, act: Tensor, next_obs: Tensor) -> Tensor:
    """Walker2d-v5: terminated iff not (``0.8 < z < 2.0`` and ``-1 < angle < 1``), strict.

    Observation (17): ``[qpos[1:9], clip(qvel, -10, 10)]``; index 0 is the torso height z
    (qpos[1]), index 1 the torso angle (qpos[2]). Both read positions, so the rule is exact.
    """
    z = next_obs[..., 0]
    angle = next_obs[..., 1]
    return ~(_inside_open(z, 0.8, 2.0) & _inside_open(angle, -1.0, 1.0))


def ant_termination(obs: Tensor, act: Tensor, next_obs: Tensor) -> Tensor:
    """Ant-v5: terminated iff the state is not finite or ``not 0.2 <= z <= 1.0`` (inclusive).

    Observation (27, contact forces excluded): ``[qpos[2:15], qvel]``; index 0 is the torso
    height z (qpos[2]). gymnasium checks finiteness of ``state_vector()``, which also contains
    the x, y position left out of the observation: an infinite x or y alone (never seen in
    practice) is the only case this rule cannot see.
    """
    z = next_obs[..., 0]
    finite = torch.isfinite(next_obs).all(dim=-1)
    return ~(finite & (z >= 0.2) & (z <= 1.0))


def humanoid_termination(obs: Tensor, act: Tensor, next_obs: Tensor) -> Tensor:
    """Humanoid-v5: terminated iff not ``1.0 < z < 2.0`` (strict).

    Observation (45, the four ``include_*`` flags off): ``[qpos[2:24], qvel]``; index 0 is the
    torso height z (qpos[2]). Exact.
    """
    return ~_inside_open(next_obs[..., 0], 1.0, 2.0)


def inverted_pendulum_termination(obs: Tensor, act: Tensor, next_obs: Tensor) -> Tensor:
    """InvertedPendulum-v5: terminated iff the observation is not finite or ``|angle| > 0.2``.

    Observation (4): ``[cart x, pole angle, cart velocity, pole angular velocity]``; the angle
    is index 1. gymnasium evaluates exactly this on its observation, so the rule is exact.
    """
    finite = torch.isfinite(next_obs).all(dim=-1)
    return ~finite | (next_obs[..., 1].abs() > 0.2)


def inverted_double_pendulum_termination(obs: Tensor, act: Tensor, next_obs: Tensor) -> Tensor:
    """InvertedDoublePendulum-v5: terminated iff the tip height ``y <= 1``.

    Observation (9): ``[cart x, sin th1, sin th2, cos th1, cos th2, clip(qvel, -10, 10) (3),
    clip(cart constraint force, -10, 10)]``. Both poles are 0.6 long and hinge about the y axis
    from the cart (at height 0), so ``y = 0.6 cos th1 + 0.6 cos(th1 + th2)``, with
    ``cos(th1 + th2) = cos th1 cos th2 - sin th1 sin th2`` read from the observation.

    Closest faithful rule, not exact: gymnasium reads y from ``data.site_xpos`` after
    ``mj_step``, and with this model's RK4 integrator MuJoCo leaves those kinematics at an
    intermediate Runge-Kutta stage of the last substep rather than at the final ``qpos`` that
    the observation reports. Measured on random play, the two heights differ by at most about
    5e-5 (up to about 1e-2 while the cart presses on its slider limit), so the flags disagree
    only on transitions that end within that distance of ``y = 1`` (about 1 in 20,000). Like
    gymnasium (``bool(y <= 1)``), a NaN height does not terminate.
    """
    sin1, sin2 = next_obs[..., 1], next_obs[..., 2]
    cos1, cos2 = next_obs[..., 3], next_obs[..., 4]
    y = 0.6 * cos1 + 0.6 * (cos1 * cos2 - sin1 * sin2)
    return y <= 1.0


def never_terminates(obs: Tensor, act: Tensor, next_obs: Tensor) -> Tensor:
    """HalfCheetah-v5 and Pendulum-v1: episodes end only by time limit (never ``terminated``)."""
    return torch.zeros(next_obs.shape[:-1], dtype=torch.bool, device=next_obs.device)
