"""Continued policy optimisation from π_D on a fixed model, with KL-spaced policy snapshots.

Paper Section 4.3 (docs/paper.md, "The model-generalization experiment"): "continue policy
optimization while measuring the model's loss on all intermediate policies", the model never
retrained. The continuation is MBPO's own policy step (:mod:`boundcheck.mbpo.steps`, called on
this module's own :class:`Learner`): branched model rollouts of length k from uniformly drawn
states of the collected data set, refreshed every ``rollout_every`` updates, and SAC updates
on batches with ``real_ratio`` (5%) real rows from that data set. SAC resumes from π_D's full
saved state (actor, critics, targets, α, Adam).

Snapshot rule. Every ``check_every`` updates the mean KL(π ‖ π_D) over a fixed random subset
of π_D's collected states is computed. The targets form a geometric grid of S points from
``kl_min`` to ``kl_max`` (1 nat by default): g_j = kl_min · (kl_max / kl_min)^((j−1)/(S−1)).
The first check at which the KL reaches the next unreached g_j takes a snapshot, and every grid
point the KL has reached is marked done (so one jump past several points gives one snapshot).
If the update budget ``max_updates`` runs out first, the final policy is taken as one last
snapshot (``kl_target`` None) so that the curve still has its farthest point; the stop reason
(:class:`ContinuationStop`) says so. A non-finite KL (diverged SAC) stops the continuation.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from boundcheck.agents import SAC
from boundcheck.buffers import REAL_EXTRA, ReplayBuffer
from boundcheck.config import TrainConfig
from boundcheck.envs import EnvSpec, TerminationFn
from boundcheck.experiments.common.collect import Transitions
from boundcheck.experiments.common.measure import action_law, kl_to
from boundcheck.experiments.generalization.records import ContinuationStop, stop_message
from boundcheck.mbpo import steps
from boundcheck.mbpo.state import Streams
from boundcheck.models import GaussianEnsemble

#: At most this many (updates, KL) pairs of the trace are kept in the results.
TRACE_POINTS = 100


@dataclass(frozen=True)
class Snapshot:
    """A saved policy: ``index`` (1-based), ``updates`` since π_D, the highest grid point
    ``kl_target`` reached (None for the budget-end snapshot), ``kl_on_data`` the mean KL on the
    rule's π_D states, and the actor parameters."""

    index: int
    updates: int
    kl_target: float | None
    kl_on_data: float
    actor: list[Tensor]


@dataclass(frozen=True)
class Continuation:
    """What one continuation produced (see the module doc); ``stop_reason`` is the sentence
    of :func:`stop_message` for ``stop``."""

    snapshots: list[Snapshot]
    updates: int
    stop: ContinuationStop
    stop_reason: str
    kl_trace: list[tuple[int, float]]
    kl_at_interval: float | None
    sac_metrics: dict[str, float]
    rollout_metrics: dict[str, float]


@dataclass(frozen=True)
class Learner:
    """What the continuation trains and samples: π_D's SAC ``agent``, the fixed ``model``, the
    ``real`` buffer (the collected data set) and the ``model_buffer`` of rollouts, with MBPO's
    rollout and batch settings and the random ``streams`` (SAC batches, rollout starts and
    samples). The agent and the buffers change in place; the fields never do."""

    agent: SAC
    model: GaussianEnsemble
    real: ReplayBuffer
    model_buffer: ReplayBuffer
    termination: TerminationFn
    streams: Streams
    rollout_length: int
    rollout_batch_size: int
    batch_size: int
    real_ratio: float

    def rollout(self) -> dict[str, float]:
        """Add branched rollouts to the model buffer (:func:`steps.branched_rollout`)."""
        return steps.branched_rollout(
            self.agent, self.model, self.real, self.model_buffer, k=self.rollout_length,
            batch_size=self.rollout_batch_size, termination=self.termination,
            rng_starts=self.streams.rng_starts, generator=self.streams.torch_rollout,
            device=self.model.device)

    def updates(self, count: int) -> Tensor | None:
        """``count`` SAC updates on mixed batches (:func:`steps.sac_updates`)."""
        parts = steps.batch_parts(self.real, self.model_buffer, self.batch_size,
                                  self.real_ratio)
        return steps.sac_updates(self.agent, parts, count, self.streams.rng_batches,
                                 self.model.device)


def make_learner(config: TrainConfig, spec: EnvSpec, streams: Streams,
                 policy_state: dict[str, Any], model: GaussianEnsemble, data: Transitions, *,
                 rollout_length: int, rollout_batch_size: int, epoch: int) -> Learner:
    """A :class:`Learner` whose real buffer is ``data`` (labelled with π_D's ``epoch``) and
    whose agent is π_D's SAC (``config.sac``, noise from ``streams.torch_sac``); rollouts of
    ``rollout_length`` steps from ``rollout_batch_size`` starts, into a model buffer of the
    run's size for that k (retain_epochs × k × rollout batch × retrains per epoch, Appendix C).
    """
    device = model.device
    agent = SAC(spec.obs_dim, spec.act_dim, config.sac, device=device,
                generator=streams.torch_sac, cuda_graph=device.type == "cuda")
    agent.load_state_dict(_to_device(policy_state, device))
    real = ReplayBuffer(spec.obs_dim, spec.act_dim, len(data), extra=REAL_EXTRA)
    real.add_batch(data.obs, data.act, data.reward, data.next_obs, data.terminated, epoch=epoch)
    sized = dataclasses.replace(config, rollout_batch_size=rollout_batch_size)
    model_buffer = ReplayBuffer(spec.obs_dim, spec.act_dim,
                                sized.model_buffer_size(rollout_length))
    return Learner(agent=agent, model=model, real=real, model_buffer=model_buffer,
                   termination=spec.termination, streams=streams,
                   rollout_length=rollout_length, rollout_batch_size=rollout_batch_size,
                   batch_size=config.sac.batch_size, real_ratio=config.real_ratio)


def continue_sac(learner: Learner, actor_d: list[Tensor], kl_obs: Tensor, grid: list[float],
                 *, max_updates: int, check_every: int, rollout_every: int,
                 interval_updates: int,
                 progress: Callable[[int], None] | None = None) -> Continuation:
    """Run SAC on model rollouts until every grid point is reached and ``interval_updates``
    are done, or ``max_updates`` run out; snapshot by the rule of the module doc.

    ``kl_at_interval`` is the mean KL on ``kl_obs`` after the first check at or beyond
    ``interval_updates`` (MBPO's updates between two model retrains), None if never reached.
    """
    snapshots: list[Snapshot] = []
    trace: list[tuple[int, float]] = [(0, 0.0)]
    updates, next_point, sac_total, kl_at_interval = 0, 0, None, None
    rollout_metrics: dict[str, float] = {}
    stop: ContinuationStop | None = None
    law_d = action_law(actor_d, kl_obs)  # π_D is fixed: its half of every KL check, once
    while updates < max_updates:
        if updates % rollout_every == 0:
            rollout_metrics = learner.rollout()
        n = min(check_every, max_updates - updates, rollout_every - updates % rollout_every)
        total = learner.updates(n)
        if total is not None:
            sac_total = total if sac_total is None else sac_total + total
        updates += n
        kl = float(kl_to(learner.agent.actor, law_d, kl_obs).mean())
        trace.append((updates, kl))
        if progress is not None:
            progress(updates)
        if not math.isfinite(kl):
            stop = ContinuationStop.DIVERGED
            break
        if kl_at_interval is None and updates >= interval_updates:
            kl_at_interval = kl
        if next_point < len(grid) and kl >= grid[next_point]:
            while next_point < len(grid) and kl >= grid[next_point]:
                next_point += 1
            snapshots.append(_snapshot(learner, len(snapshots) + 1, updates,
                                       grid[next_point - 1], kl))
        if next_point == len(grid) and kl_at_interval is not None:
            break
    if stop is None:
        stop = ContinuationStop.ALL_REACHED if next_point == len(grid) else \
            ContinuationStop.BUDGET
        if next_point < len(grid) and updates > 0 and \
                (not snapshots or snapshots[-1].updates != updates):
            snapshots.append(_snapshot(learner, len(snapshots) + 1, updates, None, trace[-1][1]))
    reason = stop_message(stop, updates=updates, max_updates=max_updates, kl=trace[-1][1])
    return Continuation(snapshots=snapshots, updates=updates, stop=stop, stop_reason=reason,
                        kl_trace=_thin(trace, {s.updates for s in snapshots}),
                        kl_at_interval=kl_at_interval,
                        sac_metrics=steps.mean_metrics(sac_total, updates),
                        rollout_metrics=rollout_metrics)


def _to_device(value: Any, device: torch.device) -> Any:
    """``value`` (nested dicts/lists of tensors) with every tensor on ``device``."""
    if isinstance(value, Tensor):
        return value.to(device)
    if isinstance(value, dict):
        return {k: _to_device(v, device) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_device(v, device) for v in value]
    return value


def _snapshot(learner: Learner, index: int, updates: int, target: float | None,
              kl: float) -> Snapshot:
    actor = [p.detach().clone() for p in learner.agent.actor]
    return Snapshot(index=index, updates=updates, kl_target=target, kl_on_data=kl, actor=actor)


def _thin(trace: list[tuple[int, float]], keep: set[int]) -> list[tuple[int, float]]:
    if len(trace) <= TRACE_POINTS:
        return trace
    idx = set(np.linspace(0, len(trace) - 1, TRACE_POINTS).round().astype(int).tolist())
    return [p for i, p in enumerate(trace) if i in idx or p[0] in keep]
