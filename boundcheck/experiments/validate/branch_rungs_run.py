"""Rungs 2a, 2b and 2c measured on one epoch pair of a run (docs/results/bound_ladder.md,
"Rung 2 measured"): the draws of :mod:`~boundcheck.experiments.validate.branch_rungs`, their
per-step means over the N episodes fed to the exact charge assembly of
:mod:`boundcheck.theory.charges`, and the bounds as fractions of the range of horizon-H returns,
2 r_max (1 − γ^H)/(1 − γ) (span(r) ≤ 2 r_max, r_max the buffer's, as validate takes it; at
H = 1000 and γ ≤ 0.99 within 5·10⁻⁵ of validate's 2 r_max/(1 − γ)).

Intervals are over episodes: a bootstrap that resamples whole episodes (the per-step means,
hence the charges, recomputed on each resample; percentile ends). For rung 2c the data-branched
return η^db is measured too, per episode, with the true rewards at the model states (the
theory's rewards, known to both processes): its t interval, |η − η^db| against the bound
("holds") and whether η^db − B lies above η[π_D] (certifies; its three ends each at
1 − 0.05/3, jointly ≥ 95%).
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
    branch_draws,
    bucket_starts,
    episode_matrix,
    horizon_of,
    model_tv,
    per_step,
    policy_tv,
)
from boundcheck.experiments.validate.source import (
    EpochPair,
    ValidationSource,
    buffer_r_max,
    load_actor,
)
from boundcheck.experiments.validate.value_aware_run import CERTIFY_EACH
from boundcheck.inputs import InputError
from boundcheck.mbpo.checkpoint import load_ensemble
from boundcheck.theory.charges import (
    branch_charges,
    data_branch_charges,
    first_gamma_above,
    head_fraction,
    model_charges,
)
from boundcheck.theory.verdict import Estimate, mean_estimate

#: The rungs proper (the what-ifs of :class:`BranchRow` are not bounds).
RUNGS = ("2a", "2b", "2c")


@dataclass(frozen=True)
class BranchSettings:
    """Sample sizes and seed of the measurement."""

    episodes: int = 20
    stride: int = 5
    tv_samples: int = 256
    policy_samples: int = 256
    resamples: int = 400
    seed: int = 0
    gammas: tuple[float, ...] = (0.99, 0.98, 0.97, 0.95, 0.9)


@dataclass(frozen=True)
class Fraction:
    """A bound over the range: the point value and its bootstrap interval over episodes."""

    point: float
    low: float
    high: float


@dataclass(frozen=True)
class BranchRow:
    """One γ: rungs 2a (per-step, not relaxed to t·ε_m′), 2b and 2c as fractions of the range,
    rung 2c against the returns, and two what-ifs that say which error binds: rung 2c with its
    model charges alone (as if π = π_D) and with its policy charges alone (as if the model were
    exact)."""

    gamma: float
    range: float
    rung_2a: Fraction
    rung_2b: Fraction
    rung_2c: Fraction
    rung_2c_model_only: Fraction
    rung_2c_policy_only: Fraction
    eta: Estimate
    eta_data_branch: Estimate
    eta_pi_d: Estimate
    holds_2c: bool
    certify_margin_2c: float

    @property
    def certifies_2c(self) -> bool:
        """Whether η^db − B lies above η[π_D] (jointly at ≥ 95%)."""
        return self.certify_margin_2c > 0.0


@dataclass(frozen=True)
class BranchRun:
    """The measurement of one pair: its epochs, k, r_max, the per-step means that drive the
    charges (:func:`per_step_means`), the largest γ at which each rung's point value takes at
    most half the range, and one row per γ."""

    run: str
    pair: EpochPair
    k: int
    r_max: float
    settings: BranchSettings
    per_step: dict[str, float]
    gamma_at_half: dict[str, float | None]
    rows: tuple[BranchRow, ...]


def _charges(draws: BranchDraws, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Each rung's charges from the per-step means over the episodes ``rows``."""
    k, n = draws.k, draws.horizon
    model_pi = draws.model_pi[rows].mean(axis=0)
    shift_pi = draws.shift_pi[rows].mean(axis=0)
    model_from = np.repeat(draws.start_model[rows].mean(axis=0), draws.bucket_widths())
    model_from = np.concatenate([np.zeros((model_from.size, k)), model_from[:, None]], axis=1)
    model_from[0] = draws.head_model[rows].mean(axis=0)  # the start at step 0, every j
    shift_d = draws.shift_d[rows].mean(axis=0)
    return {"2a": model_charges(model_pi, n), "2b": branch_charges(model_pi, shift_pi, k, n),
            "2c": data_branch_charges(shift_d, model_from, k, n),
            "2c_model_only": data_branch_charges(np.zeros(n), model_from, k, n),
            "2c_policy_only": data_branch_charges(shift_d, np.zeros_like(model_from), k, n)}


def per_step_means(draws: BranchDraws, alive_pi: np.ndarray,
                   alive_d: np.ndarray) -> dict[str, float]:
    """The mean per step of m and τ over the steps each process visits: m and τ at π's real
    states, τ at π_D's, and m per model step of the branches (Σ_{j<k} m(b_j)/k over the
    branches from step 0 and from the starts of live episodes); the mean episode lengths."""
    live = draws.starts < draws.horizon  # every start; dead episodes' branches carry 0
    at = np.take_along_axis(alive_d, np.minimum(draws.starts, draws.horizon - 1), axis=1) > 0
    return {"m_at_pi": float(draws.model_pi.sum() / alive_pi.sum()),
            "tau_at_pi": float(draws.shift_pi.sum() / alive_pi.sum()),
            "tau_at_pi_d": float(draws.shift_d.sum() / alive_d.sum()),
            "m_per_branch_step": float(np.concatenate(
                [draws.head_model[:, -1], draws.start_model[at & live]]).mean()
                / max(1, draws.k)),
            "length_pi": float(alive_pi.sum(axis=1).mean()),
            "length_pi_d": float(alive_d.sum(axis=1).mean())}


def data_branch_returns(draws: BranchDraws, gamma: float) -> np.ndarray:
    """η^db per episode: Σ_{t<k} γ^t R(b_t from step 0) + Σ_buckets width · γ^{m+k} R(b_k from
    the bucket's start m) (unbiased for the sum over every start)."""
    k = draws.k
    head = draws.head_reward @ gamma ** np.arange(k)
    tail = (draws.bucket_widths()[None, :] * gamma ** (draws.starts + k)
            * draws.start_reward).sum(axis=1)
    return np.asarray(head + tail, dtype=np.float64)


def summarize(draws: BranchDraws, r_max: float, settings: BranchSettings,
              rng: np.random.Generator) -> tuple[dict[str, float | None], list[BranchRow]]:
    """The rows of :class:`BranchRun` from the draws (module doc)."""
    n = draws.episodes
    point = _charges(draws, np.arange(n))
    boot = [_charges(draws, rng.integers(n, size=n)) for _ in range(settings.resamples)]
    half = {rung: first_gamma_above(c, 0.5) for rung, c in point.items()}
    rows = []
    wide = 2.0 * CERTIFY_EACH - 1.0
    for g in settings.gammas:
        fr = {}
        for rung, c in point.items():
            values = np.array([head_fraction(b[rung], g) for b in boot])
            fr[rung] = Fraction(head_fraction(c, g), float(np.quantile(values, 0.025)),
                                float(np.quantile(values, 0.975)))
            if rung == "2c":
                high_2c = float(np.quantile(values, CERTIFY_EACH))
        scale = 2.0 * r_max * (1.0 - g**draws.horizon) / (1.0 - g)
        eta_pi = draws.reward_pi @ g ** np.arange(draws.horizon)
        eta_d = draws.reward_d @ g ** np.arange(draws.horizon)
        db = data_branch_returns(draws, g)
        eta, eta_db = mean_estimate(eta_pi), mean_estimate(db)
        margin = (mean_estimate(db, wide).low - high_2c * scale
                  - mean_estimate(eta_d, wide).high)
        rows.append(BranchRow(
            gamma=g, range=scale, rung_2a=fr["2a"], rung_2b=fr["2b"], rung_2c=fr["2c"],
            rung_2c_model_only=fr["2c_model_only"], rung_2c_policy_only=fr["2c_policy_only"],
            eta=eta,
            eta_data_branch=eta_db, eta_pi_d=mean_estimate(eta_d),
            holds_2c=abs(eta.mean - eta_db.mean) <= fr["2c"].point * scale,
            certify_margin_2c=margin))
    return half, rows


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
    k = recorded_k(source.run, cfg, pair.epoch)
    h = horizon_of(env)
    w = np.random.SeedSequence([settings.seed, pair.data_epoch, pair.epoch]).generate_state(6)
    seeds = [int(s) for s in np.random.default_rng(int(w[0])).integers(
        2**31, size=settings.episodes)]
    actor_pi = load_actor(source, pair.epoch, device)
    actor_d = load_actor(source, pair.data_epoch, device)
    model = load_ensemble(source.run, pair.data_epoch, cfg, device)
    gen = make_generator(device, int(w[1]))
    trans_pi, _ = collect_episodes(env, actor_pi, seeds, generator=gen)
    trans_d, _ = collect_episodes(env, actor_d, seeds, generator=gen)
    env.close()
    n = settings.episodes
    obs_pi = torch.as_tensor(trans_pi.obs, device=device)
    m_pi = model_tv(model, obs_pi, torch.as_tensor(trans_pi.act, device=device),
                    trans_pi.true_mean(), true_std, gen, settings.tv_samples)
    starts = bucket_starts(h, k, settings.stride, n, np.random.default_rng(int(w[2])))
    states = episode_matrix(trans_d, n, h)
    oracle = SimulatorOracle(spec, threads=1)
    try:
        head = branch_draws(model, oracle, spec.termination, actor_pi, states[:, 0], k,
                            true_std, gen, settings.tv_samples)
        flat = states[np.repeat(np.arange(n), starts.shape[1]), starts.reshape(-1)]
        branches = branch_draws(model, oracle, spec.termination, actor_pi, flat, k, true_std,
                                gen, settings.tv_samples)
    finally:
        oracle.close()
    alive_d = per_step(np.ones(len(trans_d)), trans_d, n, h)
    at_start = np.take_along_axis(alive_d, np.minimum(starts, h - 1), axis=1)
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
        start_model=branches.model[:, k].reshape(starts.shape) * at_start,
        start_reward=branches.reward[:, k].reshape(starts.shape) * at_start)
    r_max = buffer_r_max(source, pair.data_epoch)
    half, rows = summarize(draws, r_max, settings, np.random.default_rng(int(w[3])))
    return BranchRun(run=name, pair=pair, k=k, r_max=r_max, settings=settings,
                     per_step=per_step_means(draws, per_step(np.ones(len(trans_pi)), trans_pi,
                                                             n, h), alive_d),
                     gamma_at_half=half, rows=tuple(rows))
