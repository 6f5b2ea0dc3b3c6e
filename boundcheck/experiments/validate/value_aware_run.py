"""Rung 5 (value-aware, true occupancy) on one epoch pair of a run, beside the returns it bounds
(docs/results/bound_ladder.md, "Rung 5 measured").

For the pair (E_D, E): N real episodes of π and of π_D from the same seeds, full model rollouts
of π from the same initial states (η̂, as validate measures it), then
:func:`~boundcheck.experiments.validate.value_aware.measure_value_aware` on π's transitions with
the model saved at E_D. Per γ (:class:`ValueAwareRow`): η, η̂, η[π_D], S and B with t intervals
over the episodes, B as a fraction of the range 2 r_max/(1 − γ) (r_max the buffer's, as validate
takes it), the identity check and whether the lower bound certifies improvement. Runs without
known transition noise are refused (the true next steps need the exact simulator state).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from boundcheck.envs import get_spec, make_env
from boundcheck.experiments.common.collect import collect_episodes
from boundcheck.experiments.common.measure import make_generator
from boundcheck.experiments.validate.branch_rungs import horizon_of
from boundcheck.experiments.validate.returns import RewardPaths, model_episodes
from boundcheck.experiments.validate.source import (
    EpochPair,
    ValidationSource,
    buffer_r_max,
    load_actor,
)
from boundcheck.experiments.validate.value_aware import (
    ValueAwareAtGamma,
    ValueAwareMeasurement,
    measure_value_aware,
    value_aware_at,
)
from boundcheck.inputs import InputError
from boundcheck.mbpo.checkpoint import load_ensemble
from boundcheck.theory.verdict import CERTIFY_EACH, Estimate, mean_estimate


@dataclass(frozen=True)
class ValueAwareSettings:
    """Sample sizes and seed of the measurement."""

    episodes: int = 30
    states: int = 256
    next_samples: int = 32
    seed: int = 0
    gammas: tuple[float, ...] = (0.99, 0.98, 0.97, 0.95, 0.9)




@dataclass(frozen=True)
class ValueAwareRow:
    """One γ of one pair: the returns and the rung (95% t intervals over episodes), the
    identity check (η_e − η̂_e − S_e per episode; its interval should hold 0) and the margin of
    the certification (η̂'s low end minus B's high end minus η[π_D]'s high end, each end at
    :data:`CERTIFY_EACH`, so jointly at ≥ 95% by Bonferroni)."""

    gamma: float
    eta: Estimate
    eta_model: Estimate
    eta_pi_d: Estimate
    rung: ValueAwareAtGamma
    range: float
    identity: Estimate
    certify_margin: float

    @property
    def fraction(self) -> float:
        """B over the return range 2 r_max/(1 − γ)."""
        return self.rung.bound / self.range

    @property
    def identity_consistent(self) -> bool:
        """Whether the identity's per-episode residual has an interval holding 0."""
        return self.identity.low <= 0.0 <= self.identity.high

    @property
    def certifies(self) -> bool:
        """Whether the lower bound η̂ − B lies above η[π_D] (jointly at ≥ 95%)."""
        return self.certify_margin > 0.0


@dataclass(frozen=True)
class ValueAwareRun:
    """The measurement of one pair: its epochs, r_max and one row per γ."""

    run: str
    pair: EpochPair
    r_max: float
    settings: ValueAwareSettings
    rows: tuple[ValueAwareRow, ...]


def _estimate(paths: RewardPaths, gamma: float) -> Estimate:
    return mean_estimate(paths.discounted(gamma))


def measure_run(source: ValidationSource, pair: EpochPair, settings: ValueAwareSettings,
                device: torch.device, name: str) -> ValueAwareRun:
    """The module doc's measurement of ``pair``."""
    cfg = source.config
    if cfg.transition_noise <= 0.0:
        raise InputError("run", f"{name} has no known transition noise: the true next steps "
                         "start the simulator from an observed state, which only the known-noise "
                         "wrapper makes exact (docs/ladder.md, rung 5 measured)")
    spec = get_spec(cfg.env)
    env = make_env(spec, transition_noise=cfg.transition_noise, reward_noise=cfg.reward_noise,
                   unit_actions=True)
    horizon = horizon_of(env)
    w = np.random.SeedSequence([settings.seed, pair.data_epoch, pair.epoch]).generate_state(5)
    seeds = [int(s) for s in np.random.default_rng(int(w[0])).integers(
        2**31, size=settings.episodes)]
    actor_pi = load_actor(source, pair.epoch, device)
    actor_d = load_actor(source, pair.data_epoch, device)
    model = load_ensemble(source.run, pair.data_epoch, cfg, device)
    trans, rewards_pi = collect_episodes(env, actor_pi, seeds,
                                         generator=make_generator(device, int(w[1])))
    _, rewards_d = collect_episodes(env, actor_d, seeds,
                                    generator=make_generator(device, int(w[1])))
    init = torch.as_tensor(trans.obs[trans.timestep == 0], device=device)
    model_pi = model_episodes(model, spec.termination, actor_pi, init, horizon,
                              make_generator(device, int(w[2])))[0]
    meas = measure_value_aware(env, model, spec.termination, actor_pi, trans, settings.episodes,
                               horizon, states=settings.states,
                               next_samples=settings.next_samples,
                               gamma_s=max(settings.gammas),
                               rng=np.random.default_rng(int(w[3])),
                               generator=make_generator(device, int(w[4])))
    env.close()
    r_max = buffer_r_max(source, pair.data_epoch)
    real_pi, real_d = RewardPaths.from_lists(rewards_pi), RewardPaths.from_lists(rewards_d)
    rows = tuple(_row(g, real_pi, model_pi, real_d, meas, r_max) for g in settings.gammas)
    return ValueAwareRun(run=name, pair=pair, r_max=r_max, settings=settings, rows=rows)


def _row(g: float, real_pi: RewardPaths, model_pi: RewardPaths, real_d: RewardPaths,
         meas: ValueAwareMeasurement, r_max: float) -> ValueAwareRow:
    rung = value_aware_at(meas, g)
    wide = value_aware_at(meas, g, confidence=2.0 * CERTIFY_EACH - 1.0)
    residual = real_pi.discounted(g) - model_pi.discounted(g) - np.asarray(rung.per_episode)
    margin = (mean_estimate(model_pi.discounted(g), 2.0 * CERTIFY_EACH - 1.0).low
              - wide.bound_high
              - mean_estimate(real_d.discounted(g), 2.0 * CERTIFY_EACH - 1.0).high)
    return ValueAwareRow(gamma=g, eta=_estimate(real_pi, g), eta_model=_estimate(model_pi, g),
                         eta_pi_d=_estimate(real_d, g), rung=rung, range=2.0 * r_max / (1.0 - g),
                         identity=mean_estimate(residual), certify_margin=margin)
