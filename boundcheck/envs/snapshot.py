"""Exact snapshots of a running environment, so a resumed run continues mid-episode.

A snapshot holds numpy arrays only (saved with ``np.savez``, loaded without pickle): the full
MuJoCo integration state (``mj_getState`` with ``mjSTATE_INTEGRATION``: time, qpos, qvel,
actuator state, warm start, controls, ...) or a classic-control env's ``state``, the time
limit's elapsed steps, and the noise wrapper's last observation. Random-number generators are
not arrays; :func:`env_generators` lists them for :mod:`boundcheck.runs.rng`.
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np

from boundcheck.envs.make import KnownNoiseWrapper


def _wrappers(env: gymnasium.Env) -> list[Any]:
    chain, layer = [], env
    while True:
        chain.append(layer)
        if not hasattr(layer, "env"):
            return chain
        layer = layer.env


def _find(env: gymnasium.Env, cls: type) -> Any | None:
    return next((w for w in _wrappers(env) if isinstance(w, cls)), None)


def env_snapshot(env: gymnasium.Env) -> dict[str, np.ndarray]:
    """The simulator state and wrapper counters of ``env`` (see the module docstring)."""
    base = env.unwrapped
    out: dict[str, np.ndarray] = {}
    if hasattr(base, "model") and hasattr(base, "data"):
        import mujoco

        sig = mujoco.mjtState.mjSTATE_INTEGRATION
        state = np.empty(mujoco.mj_stateSize(base.model, sig))
        mujoco.mj_getState(base.model, base.data, state, sig)
        out["mujoco_state"] = state
        # Derived positions as mj_step left them (at its last Runge-Kutta stage, not recomputed
        # for the final state): Ant and Humanoid read them for the next step's forward reward.
        out["mujoco_xpos"] = np.array(base.data.xpos)
        out["mujoco_xipos"] = np.array(base.data.xipos)
    elif hasattr(base, "state"):
        out["classic_state"] = np.array(base.state, dtype=np.float64)
    else:
        raise TypeError(f"cannot snapshot {type(base).__name__}")
    limit = _find(env, gymnasium.wrappers.TimeLimit)
    if limit is not None:
        out["elapsed_steps"] = np.array(limit._elapsed_steps or 0, dtype=np.int64)
    noise = _find(env, KnownNoiseWrapper)
    if noise is not None and noise._last_obs is not None:
        out["noise_last_obs"] = np.array(noise._last_obs, dtype=np.float64)
    return out


def restore_env_snapshot(env: gymnasium.Env, snapshot: dict[str, np.ndarray]) -> None:
    """Put ``env`` (already reset once) into the state of :func:`env_snapshot`."""
    base = env.unwrapped
    if "mujoco_state" in snapshot:
        import mujoco

        sig = mujoco.mjtState.mjSTATE_INTEGRATION
        mujoco.mj_setState(base.model, base.data, np.asarray(snapshot["mujoco_state"]), sig)
        mujoco.mj_forward(base.model, base.data)
        for key, field in (("mujoco_xpos", "xpos"), ("mujoco_xipos", "xipos")):
            if key in snapshot:
                getattr(base.data, field)[:] = snapshot[key]
    else:
        base.state = np.array(snapshot["classic_state"])
    limit = _find(env, gymnasium.wrappers.TimeLimit)
    if limit is not None and "elapsed_steps" in snapshot:
        limit._elapsed_steps = int(snapshot["elapsed_steps"])
    noise = _find(env, KnownNoiseWrapper)
    if noise is not None and "noise_last_obs" in snapshot:
        noise._last_obs = np.array(snapshot["noise_last_obs"])


def env_generators(env: gymnasium.Env) -> dict[str, np.random.Generator]:
    """Generators a resume must restore: the noise wrapper's own stream, if any."""
    noise = _find(env, KnownNoiseWrapper)
    if noise is not None and noise._rng is not None:
        return {"noise": noise._rng}
    return {}
