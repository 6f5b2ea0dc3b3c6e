"""Turning a :class:`TrainState` into checkpoint payloads and back (exact resume).

What is saved each epoch (see docs/run-directory.md): the policy (actor, critics, targets, α,
optimizer state); the model (ensemble weights, normalizer, elites, its Adam state) at the
configured stride and always at the last epoch; the real buffer with each transition's
collecting epoch; every random stream; and, in the newest checkpoint only, the model buffer,
the simulator snapshot and the counters needed to continue mid-episode.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from boundcheck.buffers import ReplayBuffer
from boundcheck.envs.snapshot import env_generators, env_snapshot, restore_env_snapshot
from boundcheck.inputs import InputError
from boundcheck.mbpo.state import TrainState
from boundcheck.models import GaussianEnsemble
from boundcheck.runs import RunDir
from boundcheck.runs.rng import capture_rng, restore_rng

_EXTRA = "extra."
_MODEL_BUF = "model_buffer."
_ENV = "env."


def real_buffer_arrays(buffer: ReplayBuffer) -> dict[str, np.ndarray]:
    """The real buffer as the run directory stores it (``epoch`` column, 0-d metadata).

    Oldest first, as the analyses read it (:func:`~boundcheck.runs.retention.select_by_epoch`);
    views of the buffer, not copies, unless its ring has wrapped (``replay_size`` below the
    steps taken).
    """
    out: dict[str, np.ndarray] = {}
    for key, value in buffer.state_dict(time_order=True).items():
        out[key.removeprefix(_EXTRA)] = np.asarray(value)
    return out


def real_buffer_from_arrays(arrays: dict[str, np.ndarray]) -> ReplayBuffer:
    """Inverse of :func:`real_buffer_arrays`."""
    state = {(_EXTRA + k if k == "epoch" else k): v for k, v in arrays.items()}
    return ReplayBuffer.from_state_dict(state)


def policy_payload(state: TrainState) -> dict[str, Any]:
    """The agent's full state (networks, targets, log α, Adam)."""
    return state.agent.state_dict()


def model_payload(state: TrainState) -> dict[str, Any] | None:
    """Ensemble state dict (weights, normalizer, elites) and its optimizer's state."""
    if not isinstance(state.model, GaussianEnsemble) or state.model_optimizer is None:
        return None  # the SAC ablation and the oracle have no learned model
    return {"ensemble": {k: v.detach().clone() for k, v in state.model.state_dict().items()},
            "optimizer": state.model_optimizer.state_dict(),
            "obs_dim": state.spec.obs_dim, "act_dim": state.spec.act_dim}


def rng_payload(state: TrainState) -> dict[str, Any]:
    """Every random stream, JSON-able."""
    return capture_rng(numpy_gens={**state.streams.numpy_generators(),
                                   **{f"env_{k}": g for k, g in env_generators(state.env).items()}},
                       torch_gens=state.streams.torch_generators(), envs={"train": state.env})


def resume_payload(state: TrainState) -> dict[str, np.ndarray]:
    """Arrays an exact continuation needs beyond the policy, model and real buffer.

    The model buffer (gigabytes at long rollouts) comes as views of its ring, as stored
    (:meth:`~boundcheck.buffers.ReplayBuffer.state_dict`): writing the payload copies nothing
    beyond the writer's chunks. Write it before the buffer changes.
    """
    ep = state.episode
    out: dict[str, np.ndarray] = {
        "env_steps": np.asarray(state.env_steps), "epoch": np.asarray(state.epoch),
        "rollout_length": np.asarray(state.rollout_length),
        "episode_obs": np.asarray(ep.obs), "episode_return": np.asarray(ep.ret),
        "episode_length": np.asarray(ep.length),
    }
    out.update({_ENV + k: v for k, v in env_snapshot(state.env).items()})
    if state.model_buffer is not None:
        out.update({_MODEL_BUF + k: np.asarray(v)
                    for k, v in state.model_buffer.state_dict().items()})
    return out


def restore(state: TrainState, run: RunDir, epoch: int) -> None:
    """Load checkpoint ``epoch`` of ``run`` into a freshly built ``state`` (in place)."""
    state.agent.load_state_dict(run.load_policy(epoch, map_location=state.device))
    if isinstance(state.model, GaussianEnsemble) and state.model_optimizer is not None:
        saved = run.load_model(epoch, map_location=state.device)
        state.model.load_state_dict(saved["ensemble"])
        state.model_optimizer.load_state_dict(saved["optimizer"])
    state.real = real_buffer_from_arrays(run.load_buffer(epoch))
    extra = run.load_resume(epoch)
    if extra is None:
        raise ValueError(f"{run.path}: epoch {epoch} has no resume state")
    state.env_steps = int(extra["env_steps"])
    state.epoch = int(extra["epoch"]) + 1
    state.rollout_length = int(extra["rollout_length"])
    state.episode.obs = np.asarray(extra["episode_obs"], dtype=np.float32)
    state.episode.ret = float(extra["episode_return"])
    state.episode.length = int(extra["episode_length"])
    restore_env_snapshot(state.env, {k.removeprefix(_ENV): v for k, v in extra.items()
                                     if k.startswith(_ENV)})
    if state.model_buffer is not None:
        state.model_buffer = ReplayBuffer.from_state_dict(
            {k.removeprefix(_MODEL_BUF): v for k, v in extra.items() if k.startswith(_MODEL_BUF)})
    restore_rng(run.load_rng(epoch),
                numpy_gens={**state.streams.numpy_generators(),
                            **{f"env_{k}": g for k, g in env_generators(state.env).items()}},
                torch_gens=state.streams.torch_generators(), envs={"train": state.env})


def load_ensemble(run: RunDir, epoch: int, config: Any, device: Any = "cpu") -> GaussianEnsemble:
    """Rebuild the ensemble saved at ``epoch`` (for the analyses).

    An oracle run (``model = "oracle"``) has none: :class:`~boundcheck.inputs.InputError`.
    """
    if getattr(config, "model", "ensemble") == "oracle":
        raise InputError("run", f"{run.path} is an oracle run: it has no learned model "
                                "(eps_m = 0 by construction)")
    saved = run.load_model(epoch, map_location=device)
    return GaussianEnsemble.from_state_dict(int(saved["obs_dim"]), int(saved["act_dim"]),
                                            config.ensemble, saved["ensemble"], device=device)
