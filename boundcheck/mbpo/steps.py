"""The named steps of MBPO (paper Algorithm 2; docs/paper.md, "MBPO's algorithm").

Two steps are plain functions of explicit arguments, so that code other than the training
loop can run them on its own objects (the model-generalization experiment of paper Section 4.3
continues SAC on a fixed model with them): :func:`branched_rollout` (k model steps from real
start states into a model buffer) and :func:`sac_updates` (SAC updates on batches drawn from
a list of buffer parts, :func:`batch_parts`). The loop calls every step through its
:class:`TrainState` (:func:`env_step`, :func:`train_model`, :func:`rollout`,
:func:`policy_updates`, :func:`evaluate`); each mutates only what it is given and returns a
metrics dict; nothing here logs. The order in which :mod:`boundcheck.mbpo.loop` calls them
follows the authors' code: at every ``model_train_freq``-th step of an epoch, train the model,
set k from the schedule and roll out; then take one real step and do G SAC updates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from boundcheck.agents import METRIC_KEYS, SAC
from boundcheck.buffers import CORE_FIELDS, ReplayBuffer, mixed_parts, sample_batches
from boundcheck.envs import TerminationFn
from boundcheck.mbpo.state import EXPLORATION_EPOCH, RolloutModel, TrainState
from boundcheck.models import GaussianEnsemble, make_dataset, train_ensemble

#: SAC batches drawn at once by :func:`sac_updates` (the buffers do not change meanwhile).
BATCH_CHUNK = 64


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


def train_model(state: TrainState,
                on_epoch: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Fit the ensemble on all real data (warm start, Adam state kept across calls);
    ``on_epoch`` is called after each of the fit's epochs (progress display).

    Only for a learned model (``state.trains_model``): the oracle has nothing to fit.
    """
    assert isinstance(state.model, GaussianEnsemble) and state.model_optimizer is not None
    data = state.real.ordered()
    tensors = {k: torch.from_numpy(data[k]) for k in CORE_FIELDS}
    inputs, targets = make_dataset(tensors["obs"], tensors["act"], tensors["reward"],
                                   tensors["next_obs"])
    metrics = train_ensemble(state.model, inputs, targets, state.config.ensemble,
                             state.streams.torch_model, optimizer=state.model_optimizer,
                             step=state.model_step, on_epoch=on_epoch)
    metrics.pop("holdout_mse_history", None)
    state.last_model_metrics = metrics
    return metrics


def branched_rollout(agent: SAC, model: RolloutModel, starts: ReplayBuffer,
                     into: ReplayBuffer, *, k: int, batch_size: int,
                     termination: TerminationFn, rng_starts: np.random.Generator,
                     generator: torch.Generator, device: torch.device) -> dict[str, float]:
    """Branched rollouts (docs/paper.md, "The branched rollout"): ``batch_size`` start states
    drawn uniformly from ``starts`` with ``rng_starts``, then k model steps added to ``into``.

    Each step: a stochastic action from ``agent``'s policy, one uniformly drawn elite per
    sample, a sample from its Gaussian (all noise from ``generator``); samples that
    ``termination`` ends stop there. With the oracle (:class:`~boundcheck.envs.oracle.
    SimulatorOracle`) the step is the simulator's own. Returns the ``rollout/*`` metrics.
    """
    obs = torch.as_tensor(starts.sample_obs(batch_size, rng_starts), device=device)
    added, steps_done = 0, 0
    for _ in range(k):
        act = agent.act_tensor(obs, generator=generator)
        next_obs, reward = model.sample_step(obs, act, generator)
        terminated = termination(obs, act, next_obs)
        into.add_batch(obs.cpu().numpy(), act.cpu().numpy(), reward.cpu().numpy(),
                       next_obs.cpu().numpy(), terminated.cpu().numpy().astype(np.float32))
        added += obs.shape[0]
        steps_done += 1
        keep = ~terminated
        if not bool(keep.any()):
            break
        obs = next_obs[keep]
    return {"rollout/k": float(k), "rollout/samples": float(added),
            "rollout/mean_length": added / batch_size,
            "rollout/steps": float(steps_done),
            "rollout/model_buffer_size": float(len(into))}


def rollout(state: TrainState) -> dict[str, float]:
    """The loop's rollout step: :func:`branched_rollout` from the real buffer into the model
    buffer, with k from the schedule at the current epoch.

    The model buffer is first resized to retain_epochs × k × rollout_batch ×
    (epoch_length / model_train_freq), keeping the newest samples (Appendix C).
    """
    assert state.model is not None and state.model_buffer is not None
    cfg = state.config
    k = cfg.rollout.length(state.epoch)
    state.rollout_length = k
    capacity = cfg.model_buffer_size(k)
    if state.model_buffer.capacity != capacity:
        state.model_buffer = state.model_buffer.resized(capacity)
    return branched_rollout(state.agent, state.model, state.real, state.model_buffer, k=k,
                            batch_size=cfg.rollout_batch_size, termination=state.spec.termination,
                            rng_starts=state.streams.rng_starts,
                            generator=state.streams.torch_rollout, device=state.device)


def batch_parts(real: ReplayBuffer, model_buffer: ReplayBuffer | None, batch_size: int,
                real_ratio: float) -> list[tuple[ReplayBuffer, int]]:
    """The ``(buffer, rows)`` parts of one SAC batch: MBPO mixes ``real_ratio`` real rows with
    model rows (12 + 244 of 256 by default, :func:`~boundcheck.buffers.mixed_parts`); without
    model data (the SAC ablation) all rows are real."""
    if model_buffer is not None and len(model_buffer) > 0:
        return mixed_parts(real, model_buffer, batch_size, real_ratio)
    return [(real, batch_size)]


def sac_updates(agent: SAC, parts: list[tuple[ReplayBuffer, int]], count: int,
                rng_batches: np.random.Generator,
                device: torch.device) -> torch.Tensor | None:
    """``count`` SAC updates on batches of ``parts``; returns the summed metrics tensor (no
    host sync), or None when ``count`` is 0.

    The buffers do not change during the updates, so the batches are drawn up to
    :data:`BATCH_CHUNK` at a time, with the very draws of one ``ReplayBuffer.sample`` per buffer
    per update (:func:`~boundcheck.buffers.sample_batches`).
    """
    total: torch.Tensor | None = None
    for done in range(0, count, BATCH_CHUNK):
        for batch in sample_batches(parts, min(BATCH_CHUNK, count - done), rng_batches, device):
            metrics = agent.step(batch)
            total = metrics if total is None else total + metrics
    return total


def policy_updates(state: TrainState, count: int) -> torch.Tensor | None:
    """The loop's ``count`` SAC updates (:func:`sac_updates` on :func:`batch_parts` of the
    state's buffers and batch stream)."""
    cfg = state.config
    parts = batch_parts(state.real, state.model_buffer, cfg.sac.batch_size, cfg.real_ratio)
    return sac_updates(state.agent, parts, count, state.streams.rng_batches, state.device)


def mean_metrics(total: torch.Tensor | None, count: int) -> dict[str, float]:
    """Turn a summed SAC metrics tensor into ``{key: mean}`` (keys of :data:`METRIC_KEYS`)."""
    if total is None or count == 0:
        return {}
    values = (total / count).tolist()
    return {key: float(v) for key, v in zip(METRIC_KEYS, values, strict=True)}


def evaluate(state: TrainState, env: Any, episodes: int) -> dict[str, float | None]:
    """``episodes`` deterministic episodes (tanh of the mean action) on a separate env.

    Episode i of epoch e is seeded with (run seed, e, i), so evaluation never touches the
    training streams. Reports undiscounted and discounted (γ of the SAC config) returns, the
    mean length and how the episodes ended: ``eval/terminated_fraction``, the share that ended
    by the task's termination (a hopper that fell) rather than by the time limit (one that
    stood or hopped to the end).
    """
    if episodes <= 0:
        return {}
    gamma = state.config.sac.gamma
    returns, discounted, lengths, terminations = [], [], [], 0
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
        terminations += int(bool(terminated))
    out: dict[str, float | None] = {"eval/return_mean": float(np.mean(returns)),
           "eval/discounted_return_mean": float(np.mean(discounted)),
           "eval/length_mean": float(np.mean(lengths)), "eval/episodes": float(episodes),
           "eval/terminated_fraction": terminations / episodes}
    out["eval/return_std"] = float(np.std(returns, ddof=1)) if episodes > 1 else None
    return out
