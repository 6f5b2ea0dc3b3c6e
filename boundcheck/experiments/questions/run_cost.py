"""What a run cost per phase, and what the paper's full length would cost at that pace
(docs/results/questions.md, "What does MBPO do on Humanoid?").

A run's ``timings.jsonl`` gives per epoch the seconds of each phase (model training, model
rollouts, real steps, SAC updates, evaluation, checkpoint) and its ``metrics.jsonl`` the real
steps and k of each epoch. :func:`phase_costs` turns them into seconds per 1,000 real steps per
phase (over the trained epochs: the uniform exploration before epoch 0 has no timings).

:func:`project` extrapolates to ``total_steps`` with the run's rollout schedule, one stated
model per phase:

- SAC, real steps, evaluation and checkpoints: the measured mean per epoch (their work per
  epoch does not change: G·E updates, E real steps, one episode);
- rollouts: the measured seconds per epoch per model step, times k of each later epoch (a
  rollout's cost is its batch times k);
- model training: the first fit (from scratch) as measured; every later (warm) fit costs the
  measured seconds per gradient step times its gradient steps, which are the warm fits'
  median number of epochs to the stop rule times the batches of an epoch over the training
  rows at that point (the real buffer less its holdout,
  ``boundcheck.models.trainer``). The epochs to the stop rule are assumed to stay at that
  median; they moved (38 to 9 over Humanoid's first warm fits), so this is the model's
  weakest part.

It is a projection from the first epochs, labelled as one: it ignores speed drift, the GPU,
and a trend in the stop rule's epochs as the data grows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from boundcheck.config.sections import RolloutSchedule

#: The phases of an epoch as ``timings.jsonl`` names them.
PHASES = ("model_train", "rollout", "env", "sac", "eval", "checkpoint")


@dataclass(frozen=True)
class RunCost:
    """Seconds per 1,000 real steps per phase over the trained epochs, their total, and the
    steps and epochs they cover."""

    epochs: int
    steps: int
    per_1000: tuple[tuple[str, float], ...]

    @property
    def total_per_1000(self) -> float:
        """All phases together, seconds per 1,000 real steps."""
        return float(sum(v for _, v in self.per_1000))


@dataclass(frozen=True)
class Projection:
    """The projected cost of a run of ``total_steps`` real steps (hours of this machine's
    time, one run at the pace measured), per phase and in total."""

    total_steps: int
    epochs: int
    hours: tuple[tuple[str, float], ...]

    @property
    def total_hours(self) -> float:
        """All phases together."""
        return float(sum(v for _, v in self.hours))


def phase_costs(timings: Sequence[Mapping[str, Any]], epoch_length: int) -> RunCost:
    """:class:`RunCost` of the epochs in ``timings`` (each ``epoch_length`` real steps)."""
    if not timings:
        raise ValueError("no trained epoch: timings.jsonl is empty")
    steps = len(timings) * epoch_length
    per = tuple((p, 1000.0 * float(sum(float(t.get(p, 0.0)) for t in timings)) / steps)
                for p in PHASES)
    return RunCost(epochs=len(timings), steps=steps, per_1000=per)


@dataclass(frozen=True)
class FitShape:
    """What sets a model fit's size: retrain interval, batch, holdout rule (the run's config)."""

    train_every: int
    batch_size: int
    holdout_ratio: float
    max_holdout: int

    def train_rows(self, rows: int) -> int:
        """Rows trained on when the real buffer holds ``rows`` (the rest is the holdout)."""
        return rows - max(1, min(int(rows * self.holdout_ratio), self.max_holdout))


def project(timings: Sequence[Mapping[str, Any]], metrics: Sequence[Mapping[str, Any]],
            schedule: RolloutSchedule, fit: FitShape, *, epoch_length: int, init_steps: int,
            total_steps: int) -> Projection:
    """The module doc's projection of a run to ``total_steps`` real steps (exploration
    included), from its measured epochs (``timings`` and ``metrics`` row by row; each timing
    row lists its model fits under ``model_fits``)."""
    if len(metrics) < len(timings) or not timings:
        raise ValueError("need one metrics row per timed epoch")
    n = len(timings)
    ks = np.array([float(m.get("rollout/k", schedule.length(i))) for i, m in
                   enumerate(metrics[:n])])
    epochs = max(0, (total_steps - init_steps) // epoch_length)
    later_k = np.array([schedule.length(e) for e in range(epochs)], dtype=np.float64)
    hours = []
    for phase in PHASES:
        seconds = np.array([float(t.get(phase, 0.0)) for t in timings])
        if phase == "rollout":
            total = float(np.mean(seconds / ks)) * float(later_k.sum())
        elif phase == "model_train":
            total = _model_train_seconds(timings, fit, epochs=epochs,
                                         epoch_length=epoch_length, init_steps=init_steps)
        else:
            total = float(np.mean(seconds)) * epochs
        hours.append((phase, total / 3600.0))
    return Projection(total_steps=total_steps, epochs=epochs, hours=tuple(hours))


def _model_train_seconds(timings: Sequence[Mapping[str, Any]], fit: FitShape, *, epochs: int,
                         epoch_length: int, init_steps: int) -> float:
    fits = [f for t in timings for f in t.get("model_fits", [])]
    if not fits:
        raise ValueError("no model fit in the timings (model_fits)")
    warm = fits[1:] or fits
    per_step = sum(float(f["seconds"]) for f in warm) / max(1, sum(int(f["grad_steps"])
                                                                    for f in warm))
    fit_epochs = float(np.median([int(f["epochs"]) for f in warm]))
    total = float(fits[0]["seconds"])
    for e in range(epochs):
        for r in range(epoch_length // fit.train_every):
            if e == 0 and r == 0:
                continue  # the first fit, measured
            rows = fit.train_rows(init_steps + e * epoch_length + r * fit.train_every)
            total += per_step * fit_epochs * math.ceil(rows / fit.batch_size)
    return total
