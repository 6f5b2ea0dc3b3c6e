"""Critic bias per epoch of a run: is the critic over-fitting (over-estimating) at a high update
ratio? (issue "the questions MBPO's readers ask", point 5; docs/results/questions.md).

For each chosen epoch the run's saved policy (actor, twin critics, α) acts in the real task
(the run's own env, with its known noise if any) for ``episodes`` whole episodes from fixed reset
seeds, stochastically as SAC acts. At every visited (s_t, a_t) the critic's Q (the minimum of
the twins, which SAC's actor and target use, and their mean) is set against the soft Monte-Carlo
return G_t of the same episode (:mod:`boundcheck.estimators.q_bias`). The same seeds serve every
epoch and every run, so runs on the same task share their initial states.
"""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium
import numpy as np
import torch
from torch import Tensor

from boundcheck.agents.networks import actor_forward, sample_squashed, twin_q
from boundcheck.envs import get_spec, make_env
from boundcheck.estimators.q_bias import EpisodeBias, QBias, episode_bias, q_bias
from boundcheck.experiments.common.measure import make_generator
from boundcheck.experiments.common.source import run_config
from boundcheck.inputs import InputError
from boundcheck.runs import RunDir


@dataclass(frozen=True)
class QBiasSettings:
    """Episodes per epoch, the tail left out of a time-limited episode, and the seed of the
    reset seeds and the action noise."""

    episodes: int = 10
    tail: float = 0.01
    seed: int = 0

    def __post_init__(self) -> None:
        if self.episodes < 2:
            raise InputError("episodes", f"must be >= 2 (a t interval over episodes), got "
                             f"{self.episodes}")
        if not 0.0 < self.tail < 1.0:
            raise InputError("tail", f"must be in (0, 1), got {self.tail}")


@dataclass(frozen=True)
class QBiasAtEpoch:
    """One epoch: its real-step count, α, the undiscounted return of the episodes and the bias of
    the twin minimum and of the twin mean."""

    epoch: int
    step: int
    alpha: float
    episode_return: float
    q_min: QBias
    q_mean: QBias


@dataclass(frozen=True)
class _Episode:
    obs: np.ndarray
    act: np.ndarray
    reward: np.ndarray
    log_prob: np.ndarray
    terminated: bool


def _episode(env: gymnasium.Env, actor: list[Tensor], seed: int,
             generator: torch.Generator) -> _Episode:
    obs = np.asarray(env.reset(seed=seed)[0], dtype=np.float32)
    rows: dict[str, list[object]] = {"obs": [], "act": [], "reward": [], "log_prob": []}
    device = actor[0].device
    done, terminated = False, False
    while not done:
        with torch.no_grad():
            x = torch.as_tensor(obs, device=device).unsqueeze(0)
            mean, log_std = actor_forward(actor, x)
            noise = torch.randn(mean.shape, generator=generator, device=device)
            act, log_prob = sample_squashed(mean, log_std, noise)
        a = act[0].cpu().numpy()
        nxt, reward, terminated, truncated, _ = env.step(a.astype(np.float64))
        for key, value in (("obs", obs), ("act", a), ("reward", float(reward)),
                           ("log_prob", float(log_prob[0]))):
            rows[key].append(value)
        obs = np.asarray(nxt, dtype=np.float32)
        done = bool(terminated) or bool(truncated)
    return _Episode(obs=np.stack(rows["obs"]), act=np.stack(rows["act"]),  # type: ignore[arg-type]
                    reward=np.asarray(rows["reward"], np.float64),
                    log_prob=np.asarray(rows["log_prob"], np.float64),
                    terminated=bool(terminated))


def measure_epoch(run: RunDir, epoch: int, settings: QBiasSettings,
                  device: torch.device) -> QBiasAtEpoch:
    """The module doc's measurement at ``epoch`` of ``run``."""
    cfg, _, _ = run_config(run)
    if epoch not in run.epochs():
        raise InputError("epoch", f"{run.path} has no complete checkpoint {epoch} (epochs: "
                         f"{run.epochs()})")
    policy = run.load_policy(epoch, map_location=device)
    actor = [p.to(device) for p in policy["actor"]]
    critic = [p.to(device) for p in policy["critic"]]
    alpha = float(policy["log_alpha"].exp())
    gamma = cfg.sac.gamma
    env = make_env(get_spec(cfg.env), transition_noise=cfg.transition_noise,
                   reward_noise=cfg.reward_noise, unit_actions=True)
    seeds = [int(s) for s in np.random.default_rng(settings.seed).integers(
        2**31, size=settings.episodes)]
    generator = make_generator(device, settings.seed + 1 + epoch)
    mins: list[EpisodeBias] = []
    means: list[EpisodeBias] = []
    returns: list[float] = []
    try:
        for seed in seeds:
            ep = _episode(env, actor, seed, generator)
            with torch.no_grad():
                q = twin_q(critic, torch.as_tensor(ep.obs, device=device),
                           torch.as_tensor(ep.act, device=device)).double().cpu().numpy()
            bonus = -alpha * ep.log_prob
            returns.append(float(ep.reward.sum()))
            for store, values in ((mins, q.min(axis=0)), (means, q.mean(axis=0))):
                b = episode_bias(values, ep.reward, bonus, terminated=ep.terminated,
                                 gamma=gamma, tail=settings.tail)
                if b is not None:
                    store.append(b)
    finally:
        env.close()
    if not mins:
        raise InputError("tail", f"no episode at epoch {epoch} of {run.path} has a step with "
                         f"discount ≤ {settings.tail} left at its time limit; raise the tail")
    step = cfg.init_exploration_steps + (epoch + 1) * cfg.epoch_length
    return QBiasAtEpoch(epoch=epoch, step=min(step, cfg.total_steps), alpha=alpha,
                        episode_return=float(np.mean(returns)), q_min=q_bias(mins),
                        q_mean=q_bias(means))


def measure_run(path: str, epochs: list[int] | None, settings: QBiasSettings,
                device: torch.device) -> list[QBiasAtEpoch]:
    """:func:`measure_epoch` on ``epochs`` of the run at ``path`` (all complete ones if None)."""
    run = RunDir.open(path)
    chosen = run.epochs() if epochs is None else epochs
    return [measure_epoch(run, e, settings, device) for e in chosen]
