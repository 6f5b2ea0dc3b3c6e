"""Measurements for one epoch pair of ``boundcheck validate`` (before any γ is applied).

For checkpoint pair (E_D, E) of a run: N real episodes of π and of π_D from the same seeds,
full model rollouts of π (η̂), branched episodes (η^branch), the k-step model return from
π_D's buffer states, the policy shift over the visited states, and the model error on π_D's
and π's real transitions. Everything random derives from (seed, E_D, E), so a pair is measured
identically whether it is checked alone or within ``--all-epochs``. Common random numbers: π
and π_D start their episodes from the same seeds with the same action-noise stream, and every
model return starts from those episodes' initial states. The rollout length k is the one asked
for, else the k the run recorded for epoch E, the k with which π was trained
(:func:`boundcheck.experiments.common.source.recorded_k`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import gymnasium
import numpy as np
import torch
from torch import Tensor

from boundcheck.agents.networks import actor_forward
from boundcheck.envs import EnvSpec
from boundcheck.envs.oracle import SimulatorOracle
from boundcheck.estimators import policy_shift_report
from boundcheck.estimators.sup_over_time import episode_ids
from boundcheck.experiments.common.collect import Transitions, collect_episodes
from boundcheck.experiments.common.measure import (
    ModelErrorEstimate,
    make_generator,
    model_error,
    oracle_model_error,
)
from boundcheck.experiments.common.source import recorded_k
from boundcheck.experiments.validate.branch_rungs import horizon_of
from boundcheck.experiments.validate.results import PolicyShiftSummary
from boundcheck.experiments.validate.returns import (
    RewardPaths,
    branched_episodes,
    model_episodes,
)
from boundcheck.experiments.validate.settings import ValidateConfig
from boundcheck.experiments.validate.source import (
    EpochPair,
    ValidationSource,
    buffer_r_max,
    buffer_states,
    load_actor,
)
from boundcheck.mbpo.checkpoint import load_ensemble
from boundcheck.models import GaussianEnsemble

Progress = Callable[[str], None]


@dataclass(frozen=True)
class PairMeasurements:
    """Raw measurements of one pair; discounting and the bounds come later (per γ)."""

    pair: EpochPair
    k: int
    horizon: int
    r_max_buffer: float
    reward_bound: float | None
    real_pi: RewardPaths
    real_pi_d: RewardPaths
    model_pi: RewardPaths
    branch: RewardPaths
    model_k_step: RewardPaths
    policy_shift: PolicyShiftSummary
    model_error_pi_d: ModelErrorEstimate
    model_error_pi: ModelErrorEstimate


def _shift(actor_pi: list[Tensor], actor_d: list[Tensor], states: np.ndarray,
           episodes: np.ndarray, settings: ValidateConfig, gen: torch.Generator,
           rng: np.random.Generator) -> PolicyShiftSummary:
    if len(states) > settings.max_states:
        rows = rng.choice(len(states), settings.max_states, replace=False)
        states, episodes = states[rows], episodes[rows]
    obs = torch.as_tensor(states, device=actor_pi[0].device)
    with torch.no_grad():
        mean_pi, log_std_pi = actor_forward(actor_pi, obs)
        mean_d, log_std_d = actor_forward(actor_d, obs)
    report = policy_shift_report(mean_pi, log_std_pi, mean_d, log_std_d, gen,
                                 settings.policy_mc, rng, confidence_level=settings.confidence,
                                 clusters=episodes)
    return PolicyShiftSummary(n_states=report["n_states"], n_mc=report["n_mc"],
                              stats=report["stats"])


def measure_pair(source: ValidationSource, pair: EpochPair, spec: EnvSpec, env: gymnasium.Env,
                 true_std: np.ndarray | None, settings: ValidateConfig, device: torch.device,
                 progress: Progress) -> PairMeasurements:
    """All measurements of ``pair`` (see the module docstring); ``progress(phase)`` per phase."""
    cfg = source.config
    k = settings.k if settings.k is not None else recorded_k(source.run, cfg, pair.epoch)
    horizon = horizon_of(env)
    w = np.random.SeedSequence([settings.seed, pair.data_epoch, pair.epoch]).generate_state(8)
    rng = np.random.default_rng(int(w[7]))
    seeds = [int(s) for s in
             np.random.default_rng(int(w[0])).integers(2**31, size=settings.episodes)]
    actor_d = load_actor(source, pair.data_epoch, device)
    actor_pi = load_actor(source, pair.epoch, device)
    model = _model(source, pair.data_epoch, spec, device)

    progress("real episodes of pi")
    trans_pi, rewards_pi = collect_episodes(env, actor_pi, seeds,
                                            generator=make_generator(device, int(w[1])))
    progress("real episodes of pi_D")
    trans_d, rewards_d = collect_episodes(env, actor_d, seeds,
                                          generator=make_generator(device, int(w[1])))
    progress("full model rollouts")
    init = torch.as_tensor(trans_pi.obs[trans_pi.timestep == 0], device=device)
    model_pi = model_episodes(model, spec.termination, actor_pi, init, horizon,
                              make_generator(device, int(w[2])))[0]
    progress("branched rollouts")
    branch = branched_episodes(env, model, spec.termination, actor_pi, actor_d, seeds, k,
                               horizon, make_generator(device, int(w[3])))
    progress("k-step model returns")
    starts = buffer_states(source, pair.data_epoch)
    starts = starts[rng.choice(len(starts), min(settings.model_starts, len(starts)),
                               replace=False)]
    k_step = model_episodes(model, spec.termination, actor_pi,
                            torch.as_tensor(starts, device=device), k,
                            make_generator(device, int(w[4])))[0]
    progress("policy shift")
    # Each state keeps its episode (π's episodes, then π_D's) for the episode bootstrap.
    episodes = np.concatenate([episode_ids(trans_pi.timestep),
                               episode_ids(trans_d.timestep) + settings.episodes])
    shift = _shift(actor_pi, actor_d, np.concatenate([trans_pi.obs, trans_d.obs]), episodes,
                   settings, make_generator(device, int(w[5])), rng)
    progress("model error")
    errors = [_model_error(model, data, true_std, settings, make_generator(device, int(w[6])),
                           boot_seed=int(w[6]) + i) for i, data in enumerate((trans_d, trans_pi))]
    if isinstance(model, SimulatorOracle):
        model.close()
    return PairMeasurements(
        pair=pair, k=k, horizon=horizon, r_max_buffer=buffer_r_max(source, pair.data_epoch),
        reward_bound=spec.reward_bound if cfg.reward_noise == 0 else None,
        real_pi=RewardPaths.from_lists(rewards_pi), real_pi_d=RewardPaths.from_lists(rewards_d),
        model_pi=model_pi, branch=branch, model_k_step=k_step, policy_shift=shift,
        model_error_pi_d=errors[0], model_error_pi=errors[1])


def _model(source: ValidationSource, data_epoch: int, spec: EnvSpec,
           device: torch.device) -> GaussianEnsemble | SimulatorOracle:
    """The ensemble saved at ``data_epoch``; for an oracle run the simulator itself (with the
    run's known noise), as the trainer's rollouts used it (docs/trainer.md, "Ablations")."""
    cfg = source.config
    if cfg.model == "oracle":
        return SimulatorOracle(spec, transition_noise=cfg.transition_noise,
                               reward_noise=cfg.reward_noise, threads=torch.get_num_threads())
    return load_ensemble(source.run, data_epoch, cfg, device)


def _model_error(model: GaussianEnsemble | SimulatorOracle, data: Transitions,
                 true_std: np.ndarray | None, settings: ValidateConfig,
                 gen: torch.Generator, *, boot_seed: int) -> ModelErrorEstimate:
    if isinstance(model, SimulatorOracle):  # its law is the true one: TV 0 on every row
        return oracle_model_error(data, true_std, bucket_width=settings.bucket_width,
                                  boot_seed=boot_seed, confidence=settings.confidence)
    return model_error(model, data, true_std, gen, tv_samples=settings.tv_samples,
                       bucket_width=settings.bucket_width, boot_seed=boot_seed,
                       confidence=settings.confidence)
