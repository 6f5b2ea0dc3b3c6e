"""The simulator as MBPO's model: the ``oracle`` ablation (docs/trainer.md, "Ablations").

MBPO's branched rollouts call ``model.sample_step(obs, act, generator)``. The oracle answers with
the true environment instead of a learned one, so its model error ε_m is 0 by construction (paper
Section 4, Theorem 4.3 with ε_m = 0): a run with it shows what MBPO gains when model error is
removed and only the branched-rollout scheme (short rollouts from real states, the mixed batch)
remains.

For each row the simulator is put into the state the observation describes (the chart of
:mod:`boundcheck.envs.state`, as ``validate`` does: exact on every task while the observation
does not clip a velocity; see that module for x position, clipped velocities and angles), the
action (in [-1, 1], rescaled as the trainer's env does) is applied for one env step, and the
true next observation and reward are read. The task's termination is applied by the rollout
(:func:`boundcheck.mbpo.steps.branched_rollout`), as for a learned model. With known noise
(``transition_noise`` / ``reward_noise`` > 0) the same Gaussian noise as
:class:`~boundcheck.envs.make.KnownNoiseWrapper` adds (in the chart's coordinates) is added,
drawn from the rollout's ``generator``: the oracle then samples the true p(s', r | s, a).

Speed: Hopper, Walker2d, HalfCheetah and InvertedPendulum are stepped as one batch by MuJoCo's
multi-threaded rollout module (:mod:`boundcheck.envs.oracle_kernels`); the other tasks row by
row through the env's own ``step`` (bench: ``python -m bench oracle``).
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor

from boundcheck.envs.make import _check_std
from boundcheck.envs.oracle_kernels import BatchStepper, batch_stepper
from boundcheck.envs.specs import EnvSpec
from boundcheck.envs.state import StateChart, state_chart

Array = NDArray[np.float64]


class SimulatorOracle:
    """``sample_step`` of the true simulator (module docstring).

    Attributes:
        spec: the task.
        transition_noise: σ of the known state noise (0: deterministic next state).
        reward_noise: σ_r of the known reward noise.
        batched: whether the task is stepped as one batch (else row by row).
    """

    def __init__(self, spec: EnvSpec, *, transition_noise: float = 0.0,
                 reward_noise: float = 0.0, threads: int = 1,
                 batched: bool | None = None) -> None:
        """``threads``: MuJoCo rollout threads; ``batched``: force (True) or refuse (False)
        the batched stepper (default: use it where the task has one)."""
        self.spec = spec
        self.transition_noise = _check_std(transition_noise, "transition_noise")
        self.reward_noise = _check_std(reward_noise, "reward_noise")
        # The plain simulator, with the trainer's action rescaling; never reset again.
        env = gymnasium.make(spec.gym_id, **spec.make_kwargs)
        one = np.ones(spec.act_dim, dtype=np.float32)
        self._rescale = gymnasium.wrappers.RescaleAction(env, -one, one)
        env.reset(seed=0)
        self._sim: Any = env.unwrapped
        self._chart: StateChart = state_chart(env)
        self._stepper: BatchStepper | None = None
        if batched is not False:
            self._stepper = batch_stepper(env, threads=threads)
            if batched and self._stepper is None:
                raise ValueError(f"{spec.name}: no batched oracle step")
        self.batched = self._stepper is not None

    def close(self) -> None:
        """Release the simulator and the rollout threads."""
        if self._stepper is not None:
            self._stepper.close()
        self._rescale.close()

    def env_actions(self, act: NDArray[Any]) -> Array:
        """Actions in [-1, 1] [B, act_dim] -> the env's action space (as ``RescaleAction``)."""
        return np.asarray(self._rescale.func(np.asarray(act, dtype=np.float64)),
                          dtype=np.float64)

    def step(self, obs: NDArray[Any], act: NDArray[Any]) -> tuple[Array, Array]:
        """Noise-free ``(next_obs [B, obs_dim], reward [B])`` in float64 from observations and
        actions in [-1, 1]."""
        obs = np.asarray(obs, dtype=np.float64).reshape(-1, self.spec.obs_dim)
        env_act = self.env_actions(np.asarray(act).reshape(-1, self.spec.act_dim))
        if self._stepper is not None:
            return self._stepper.step(obs, env_act)
        return self._step_rows(obs, env_act)

    def _step_rows(self, obs: Array, act: Array) -> tuple[Array, Array]:
        sim = self._sim
        next_obs = np.empty_like(obs)
        reward = np.empty(obs.shape[0])
        for i in range(obs.shape[0]):
            if hasattr(sim, "data"):  # the row alone decides the result: x = x0, no warm start
                sim.data.qpos[:] = sim.init_qpos
                sim.data.qacc_warmstart[:] = 0.0
            self._chart.set_state(sim, obs[i])
            o, r, *_ = sim.step(act[i])
            next_obs[i], reward[i] = np.asarray(o, dtype=np.float64), float(r)
        return next_obs, reward

    @torch.no_grad()
    def sample_step(self, obs: Tensor, act: Tensor,
                    generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """One true transition per row: ``(next_obs [B, o], reward [B])`` in ``obs``'s dtype
        and device; the known noise (if any) is drawn from ``generator``."""
        next_obs, reward = self.step(obs.detach().cpu().double().numpy(),
                                     act.detach().cpu().double().numpy())
        if self.transition_noise > 0.0:
            next_obs = self._add_state_noise(next_obs, generator)
        if self.reward_noise > 0.0:
            noise = torch.randn(reward.shape[0], generator=generator, device=generator.device,
                                dtype=torch.float64)
            reward = reward + self.reward_noise * noise.cpu().numpy()
        return (torch.from_numpy(next_obs).to(device=obs.device, dtype=obs.dtype),
                torch.from_numpy(reward).to(device=obs.device, dtype=obs.dtype))

    def _add_state_noise(self, next_obs: Array, generator: torch.Generator) -> Array:
        chart = self._chart
        noise = torch.randn(next_obs.shape[0], chart.num_coords, generator=generator,
                            device=generator.device, dtype=torch.float64).cpu().numpy()
        noise *= self.transition_noise
        if chart.gaussian_in_obs:  # the coordinates are the leading observation entries
            next_obs = next_obs.copy()
            next_obs[:, : chart.num_coords] += noise
            return next_obs
        rows = zip(next_obs, noise, strict=True)
        return np.stack([np.asarray(chart.obs_from_coords(chart.coords(o) + n, o),
                                    dtype=np.float64) for o, n in rows])
