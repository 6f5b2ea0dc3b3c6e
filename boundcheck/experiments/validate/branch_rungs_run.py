"""Rungs 2a, 2b and 2c measured on one epoch pair of a run (docs/results/bound_ladder.md,
"Rung 2 measured"): the draws of :mod:`~boundcheck.experiments.validate.branch_rungs`, then the
estimates of :mod:`~boundcheck.experiments.validate.branch_rungs_estimate`, beside the
per-step means that drive them and the diagnostics that say how far to trust them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from boundcheck.envs import get_spec, make_env
from boundcheck.envs.oracle import SimulatorOracle
from boundcheck.experiments.common.collect import Transitions, collect_episodes, true_law_std
from boundcheck.experiments.common.measure import make_generator
from boundcheck.experiments.common.source import recorded_k
from boundcheck.experiments.validate.branch_rungs import (
    BranchDraws,
    Branches,
    at_clip,
    branch_draws,
    bucket_starts,
    episode_matrix,
    horizon_of,
    model_tv,
    per_step,
    policy_tv,
)
from boundcheck.experiments.validate.branch_rungs_estimate import BranchRow, summarize
from boundcheck.experiments.validate.source import (
    EpochPair,
    ValidationSource,
    buffer_r_max,
    load_actor,
)
from boundcheck.inputs import InputError
from boundcheck.mbpo.checkpoint import load_ensemble


@dataclass(frozen=True)
class BranchSettings:
    """Sample sizes, seed and discounts of the measurement."""

    episodes: int = 20
    stride: int = 1
    tv_samples: int = 256
    policy_samples: int = 256
    resamples: int = 400
    seed: int = 0
    gammas: tuple[float, ...] = (0.99, 0.98, 0.97, 0.95, 0.9, 0.5)


@dataclass(frozen=True)
class BranchRun:
    """The measurement of one pair: its epochs and k; r_max (the buffer's) and the reward bound
    the verdicts use (the largest |R| of the buffer and of every reward drawn, the model's
    states included); the per-step means and diagnostics (:func:`per_step_means`); the largest γ
    below which each rung stays at most half the range; one row per γ."""

    run: str
    pair: EpochPair
    k: int
    r_max: float
    reward_bound: float
    settings: BranchSettings
    per_step: dict[str, float]
    gamma_at_half: dict[str, float | None]
    rows: tuple[BranchRow, ...]


def per_step_means(draws: BranchDraws, alive_pi: np.ndarray, alive_d: np.ndarray,
                   branches: list[Branches], clipped: float) -> dict[str, float]:
    """m and τ per step over the steps each process visits (m and τ at π's real states, τ at
    π_D's, m per model step of the branches that were drawn), the mean episode lengths, the
    share of branches whose model diverged and the share of real states at a velocity clip."""
    taken = np.concatenate([np.where(b.diverged, draws.k, b.steps) for b in branches])
    model = np.concatenate([b.model[:, -1] for b in branches])
    return {"m_at_pi": float(draws.model_pi.sum() / alive_pi.sum()),
            "tau_at_pi": float(draws.shift_pi.sum() / alive_pi.sum()),
            "tau_at_pi_d": float(draws.shift_d.sum() / alive_d.sum()),
            "m_per_branch_step": float(model.sum() / max(1, taken.sum())),
            "length_pi": float(alive_pi.sum(axis=1).mean()),
            "length_pi_d": float(alive_d.sum(axis=1).mean()),
            "diverged_branches": float(np.concatenate([b.diverged for b in branches]).mean()),
            "share_at_clip": clipped}


def _clean(data: Transitions) -> np.ndarray:
    """The noise-free rewards R(s, a) (the known noise is added on top; its mean is 0)."""
    assert data.clean_reward is not None  # known noise: the wrapper records them
    return np.asarray(data.clean_reward, dtype=np.float64)


def measure_branch_run(source: ValidationSource, pair: EpochPair, settings: BranchSettings,
                       device: torch.device, name: str) -> BranchRun:
    """Draw (:mod:`~boundcheck.experiments.validate.branch_rungs`) and summarize ``pair``."""
    cfg = source.config
    spec = get_spec(cfg.env)
    env = make_env(spec, transition_noise=cfg.transition_noise, reward_noise=cfg.reward_noise,
                   unit_actions=True)
    true_std, reason = true_law_std(env, spec, cfg)
    if true_std is None or cfg.model != "ensemble":
        env.close()
        raise InputError("run", f"{name}: rung 2 needs the model error at any state: "
                         + (reason or f"the run's model is {cfg.model!r}, not an ensemble"))
    k, h, n = recorded_k(source.run, cfg, pair.epoch), horizon_of(env), settings.episodes
    w = np.random.SeedSequence([settings.seed, pair.data_epoch, pair.epoch]).generate_state(4)
    seeds = [int(s) for s in np.random.default_rng(int(w[0])).integers(2**31, size=n)]
    actor_pi = load_actor(source, pair.epoch, device)
    actor_d = load_actor(source, pair.data_epoch, device)
    model = load_ensemble(source.run, pair.data_epoch, cfg, device)
    gen = make_generator(device, int(w[1]))
    trans_pi, _ = collect_episodes(env, actor_pi, seeds, generator=gen)
    trans_d, _ = collect_episodes(env, actor_d, seeds, generator=gen)
    env.close()
    m_pi = model_tv(model, torch.as_tensor(trans_pi.obs, device=device),
                    torch.as_tensor(trans_pi.act, device=device), trans_pi.true_mean(),
                    true_std, gen, settings.tv_samples)
    starts = bucket_starts(h, k, settings.stride, n, np.random.default_rng(int(w[2])))
    alive_d = per_step(np.ones(len(trans_d)), trans_d, n, h)
    live = np.take_along_axis(alive_d, np.minimum(starts, h - 1), axis=1) > 0
    states = episode_matrix(trans_d, n, h)
    oracle = SimulatorOracle(spec, threads=1)
    try:  # branches from step 0, then from every live start
        head = branch_draws(model, oracle, spec.termination, actor_pi, states[:, 0], k,
                            true_std, gen, settings.tv_samples)
        rows, cols = np.nonzero(live)
        branches = branch_draws(model, oracle, spec.termination, actor_pi,
                                states[rows, starts[rows, cols]], k, true_std, gen,
                                settings.tv_samples)
    finally:
        oracle.close()
    start_model, start_reward = np.zeros(starts.shape), np.zeros(starts.shape)
    start_model[rows, cols] = branches.model[:, k]
    start_reward[rows, cols] = branches.reward[:, k]
    draws = BranchDraws(
        k=k, horizon=h, stride=settings.stride,
        shift_pi=per_step(policy_tv(actor_pi, actor_d, trans_pi.obs, gen,
                                    settings.policy_samples), trans_pi, n, h),
        model_pi=per_step(m_pi, trans_pi, n, h),
        reward_pi=per_step(_clean(trans_pi), trans_pi, n, h),
        shift_d=per_step(policy_tv(actor_pi, actor_d, trans_d.obs, gen,
                                   settings.policy_samples), trans_d, n, h),
        reward_d=per_step(_clean(trans_d), trans_d, n, h),
        head_model=head.model, head_reward=head.reward[:, :k], starts=starts,
        start_model=start_model, start_reward=start_reward)
    r_max = buffer_r_max(source, pair.data_epoch)
    bound = max(r_max, *(float(np.abs(x).max(initial=0.0)) for x in (
        draws.reward_pi, draws.reward_d, head.reward, branches.reward)))
    half, out = summarize(draws, bound, settings.gammas, settings.resamples,
                          np.random.default_rng(int(w[3])))
    clipped = float(at_clip(np.concatenate([trans_pi.obs, trans_d.obs])).mean())
    return BranchRun(run=name, pair=pair, k=k, r_max=r_max, reward_bound=bound,
                     settings=settings,
                     per_step=per_step_means(draws, per_step(np.ones(len(trans_pi)), trans_pi,
                                                             n, h), alive_d,
                                             [head, branches], clipped),
                     gamma_at_half=half, rows=tuple(out))
