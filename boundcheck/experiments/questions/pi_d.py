"""What is π_D? The policy shift ε_π of a trained run's π against the last epoch's policy (what
``validate`` uses) and against the mixture of every policy whose data the real buffer holds
(docs/results/questions.md, question 2).

At data epoch E_D the buffer holds transitions labelled −1 (uniform exploration) and 0..E_D
(the epoch whose policy collected them; a policy changes during its epoch, and checkpoint j's
policy stands for epoch j's data, as ``validate`` lets checkpoint E_D stand for π_D). The
mixture weights each component by its share of the buffer. π is checkpoint E_D + 1's policy.
States: a uniform sample of the buffer's states (the data distribution the mixture describes);
intervals resample whole episodes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from boundcheck.agents.networks import actor_forward
from boundcheck.estimators import per_state_summary, tv_monte_carlo
from boundcheck.estimators.mixture_shift import tv_to_mixture_monte_carlo
from boundcheck.runs import RunDir
from boundcheck.runs.retention import BUFFER_EPOCH_KEY, select_by_epoch

#: The label of the uniform exploration data in the buffer's epoch column.
EXPLORATION = -1


@dataclass(frozen=True)
class PiDComparison:
    """TV(π, π_D) per state for the two readings of π_D, summarised (mean, max, p95, p99, each
    with an episode-bootstrap interval), with the mixture's weights by buffer label."""

    data_epoch: int
    epoch: int
    states: int
    episodes: int
    n_mc: int
    weights: dict[int, float]
    against_last: dict[str, dict[str, Any]]
    against_mixture: dict[str, dict[str, Any]]
    mc_stderr_mean: float


def episode_ids(buffer: dict[str, np.ndarray]) -> np.ndarray:
    """An episode id per row: a new episode starts after a terminal row or where a row's
    next_obs is not the following row's obs (a time-limit reset)."""
    obs, next_obs = buffer["obs"], buffer["next_obs"]
    breaks = np.asarray(buffer["terminated"], dtype=bool)[:-1] | \
        ~np.all(np.isclose(next_obs[:-1], obs[1:]), axis=1)
    return np.concatenate([[0], np.cumsum(breaks)])


def compare_pi_d(run: RunDir, data_epoch: int, *, states: int = 2000, n_mc: int = 256,
                 seed: int = 0) -> PiDComparison:
    """Measure both readings of π_D at ``data_epoch`` of ``run`` (CPU)."""
    newest = run.latest_complete_epoch()
    if newest is None or data_epoch + 1 > newest:
        raise ValueError(f"{run.path}: needs checkpoints {data_epoch} and {data_epoch + 1}, "
                         f"newest complete is {newest}")
    buffer = select_by_epoch(run.load_buffer(newest), range(EXPLORATION, data_epoch + 1))
    labels = np.asarray(buffer[BUFFER_EPOCH_KEY])
    episodes = episode_ids(buffer)
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(labels.size, size=min(states, labels.size), replace=False))
    obs = torch.as_tensor(buffer["obs"][rows], dtype=torch.float32)
    with torch.no_grad():
        def dist(epoch: int) -> tuple[torch.Tensor, torch.Tensor]:
            return actor_forward([p.float() for p in run.load_policy(epoch)["actor"]], obs)

        mean_pi, log_std_pi = dist(data_epoch + 1)
        policies = list(range(data_epoch + 1))
        components = [dist(j) for j in policies]
        mean_last, log_std_last = components[-1]  # checkpoint E_D: the last policy
    counts = {label: int((labels == label).sum()) for label in [EXPLORATION, *policies]}
    weights = {label: c / labels.size for label, c in counts.items()}
    generator = torch.Generator().manual_seed(seed)
    tv_last, _ = tv_monte_carlo(mean_pi, log_std_pi, mean_last, log_std_last, generator, n_mc)
    tv_mix, se_mix = tv_to_mixture_monte_carlo(
        mean_pi, log_std_pi, torch.stack([m for m, _ in components]),
        torch.stack([s for _, s in components]),
        torch.tensor([weights[j] for j in policies]), generator, n_mc,
        uniform_weight=weights[EXPLORATION])
    clusters = episodes[rows]
    return PiDComparison(
        data_epoch=data_epoch, epoch=data_epoch + 1, states=int(rows.size),
        episodes=int(np.unique(clusters).size), n_mc=n_mc, weights=weights,
        against_last=per_state_summary(tv_last.numpy(), rng, clusters=clusters),
        against_mixture=per_state_summary(tv_mix.numpy(), rng, clusters=clusters),
        mc_stderr_mean=float(se_mix.mean()))
