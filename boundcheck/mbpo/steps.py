"""The named steps of MBPO (paper Algorithm 2), each a function of the :class:`TrainState`.

Every step mutates only the state it is given and returns a metrics dict; nothing here logs.
The order in which :mod:`boundcheck.mbpo.loop` calls them follows the authors' code: at every
``model_train_freq``-th step of an epoch, train the model, set k from the schedule and roll
out; then take one real step and do G SAC updates.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from boundcheck.agents import METRIC_KEYS
from boundcheck.buffers import mixed_parts, sample_batches
from boundcheck.mbpo.state import EXPLORATION_EPOCH, TrainState
from boundcheck.models import make_dataset, train_ensemble


def env_step(state: TrainState) -> dict[str, float]:
    """One real step: a uniform-random action while exploring, else a sample from π.

    The transition is stored with the epoch of the acting policy (``-1`` for exploration). Only
    a true termination is terminal; a time-limit truncation resets without a terminal flag.
    Returns the finished episode's return and length when an episode ends, else nothing.
    """
    ep = state.episode
    exploring = state.exploring()
    if exploring:
        action = state.streams.rng_explore.uniform(-1.0, 1.0, state.spec.act_dim)
    else:
        action = state.agent.act(ep.obs)
    next_obs, reward, terminated, truncated, _ = state.env.step(action.astype(np.float64))
    next_obs = np.asarray(next_obs, dtype=np.float32)
    state.real.add(ep.obs, action, float(reward), next_obs, bool(terminated),
                   epoch=EXPLORATION_EPOCH if exploring else state.epoch)
    state.env_steps += 1
    ep.ret += float(reward)
    ep.length += 1
    ep.obs = next_obs
    if not (terminated or truncated):
        return {}
    out = {"episode_return": ep.ret, "episode_length": float(ep.length)}
    state.finished_returns.append(ep.ret)
    obs, _ = state.env.reset()
    ep.obs, ep.ret, ep.length = np.asarray(obs, dtype=np.float32), 0.0, 0
    return out


def train_model(state: TrainState) -> dict[str, Any]:
    """Fit the ensemble on all real data (warm start, Adam state kept across calls)."""
    assert state.model is not None and state.model_optimizer is not None
    data = state.real.ordered()
    tensors = {k: torch.from_numpy(data[k]) for k in ("obs", "act", "reward", "next_obs")}
    inputs, targets = make_dataset(tensors["obs"], tensors["act"], tensors["reward"],
                                   tensors["next_obs"])
    metrics = train_ensemble(state.model, inputs, targets, state.config.ensemble,
                             state.streams.torch_model, optimizer=state.model_optimizer,
                             step=state.model_step)
    metrics.pop("holdout_mse_history", None)
    state.last_model_metrics = metrics
    return metrics


def rollout(state: TrainState) -> dict[str, float]:
    """Branched rollouts: ``rollout_batch_size`` starts from the real buffer, k model steps.

    k comes from the schedule at the current epoch; the model buffer is resized to
    retain_epochs × k × rollout_batch × (epoch_length / model_train_freq), keeping the newest
    samples. Each step: a stochastic action from π, one uniformly drawn elite per sample, a
    sample from its Gaussian; terminated samples stop (the task's termination function).
    """
    assert state.model is not None and state.model_buffer is not None
    cfg = state.config
    k = cfg.rollout.length(state.epoch)
    state.rollout_length = k
    capacity = cfg.model_buffer_size(k)
    if state.model_buffer.capacity != capacity:
        state.model_buffer = state.model_buffer.resized(capacity)
    gen = state.streams.torch_rollout
    obs = torch.as_tensor(state.real.sample_obs(cfg.rollout_batch_size, state.streams.rng_starts),
                          device=state.device)
    added, steps_done = 0, 0
    for _ in range(k):
        act = state.agent.act_tensor(obs, generator=gen)
        next_obs, reward = state.model.sample_step(obs, act, gen)
        terminated = state.spec.termination(obs, act, next_obs)
        state.model_buffer.add_batch(obs.cpu().numpy(), act.cpu().numpy(),
                                     reward.cpu().numpy(), next_obs.cpu().numpy(),
                                     terminated.cpu().numpy().astype(np.float32))
        added += obs.shape[0]
        steps_done += 1
        keep = ~terminated
        if not bool(keep.any()):
            break
        obs = next_obs[keep]
    return {"rollout/k": float(k), "rollout/samples": float(added),
            "rollout/mean_length": added / cfg.rollout_batch_size,
            "rollout/steps": float(steps_done),
            "rollout/model_buffer_size": float(len(state.model_buffer))}


def policy_updates(state: TrainState, count: int) -> torch.Tensor | None:
    """``count`` SAC updates; returns the summed metrics tensor (no host sync), or None.

    MBPO batches mix ``real_ratio`` real rows with model rows (12 + 244 of 256 by default);
    the SAC ablation (no model) samples only real data. The buffers do not change during the
    updates, so the batches are drawn up to 64 at a time, with the very draws of one
    ``ReplayBuffer.sample`` per buffer per update (:func:`~boundcheck.buffers.sample_batches`).
    """
    cfg = state.config
    if state.model_buffer is not None and len(state.model_buffer) > 0:
        parts = mixed_parts(state.real, state.model_buffer, cfg.sac.batch_size, cfg.real_ratio)
    else:
        parts = [(state.real, cfg.sac.batch_size)]
    total: torch.Tensor | None = None
    for done in range(0, count, 64):
        for batch in sample_batches(parts, min(64, count - done), state.streams.rng_batches,
                                    state.device):
            metrics = state.agent.step(batch)
            total = metrics if total is None else total + metrics
    return total


def mean_metrics(total: torch.Tensor | None, count: int) -> dict[str, float]:
    """Turn a summed SAC metrics tensor into ``{key: mean}`` (keys of :data:`METRIC_KEYS`)."""
    if total is None or count == 0:
        return {}
    values = (total / count).tolist()
    return {key: float(v) for key, v in zip(METRIC_KEYS, values, strict=True)}


def evaluate(state: TrainState, env: Any, episodes: int) -> dict[str, float | None]:
    """``episodes`` deterministic episodes (tanh of the mean action) on a separate env.

    Episode i of epoch e is seeded with (run seed, e, i), so evaluation never touches the
    training streams. Reports undiscounted and discounted (γ of the SAC config) returns.
    """
    if episodes <= 0:
        return {}
    gamma = state.config.sac.gamma
    returns, discounted, lengths = [], [], []
    for i in range(episodes):
        seed = int(np.random.SeedSequence([state.seed, state.epoch, i]).generate_state(1)[0])
        obs, _ = env.reset(seed=seed)
        done, ret, disc, t = False, 0.0, 0.0, 0
        while not done:
            action = state.agent.act(np.asarray(obs, dtype=np.float32), deterministic=True)
            obs, reward, terminated, truncated, _ = env.step(action.astype(np.float64))
            ret += float(reward)
            disc += gamma**t * float(reward)
            t += 1
            done = bool(terminated or truncated)
        returns.append(ret)
        discounted.append(disc)
        lengths.append(t)
    out: dict[str, float | None] = {"eval/return_mean": float(np.mean(returns)),
           "eval/discounted_return_mean": float(np.mean(discounted)),
           "eval/length_mean": float(np.mean(lengths)), "eval/episodes": float(episodes)}
    out["eval/return_std"] = float(np.std(returns, ddof=1)) if episodes > 1 else None
    return out
