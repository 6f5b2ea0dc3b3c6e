"""One point of the model-generalization curve: ε_m′(π) and ε_π(π) on π's real transitions.

Paper Section 4.3 (docs/paper.md, "The model-generalization experiment"): the model, trained once on
π_D's data, is scored on the real transitions of each policy π met while policy optimisation
continues. Here, on M transitions collected with π:

- model error of the elites' uniform mixture q (:mod:`boundcheck.estimators.model_error`):
  NLL and MSE (PROXIES, labelled so) and, where the run's true law is a known Gaussian, the
  Monte Carlo TV D_TV(p ‖ q) per row averaged over the rows (:func:`expected_tv`);
- policy shift: KL(π ‖ π_D) per visited state (exact for the tanh-squashed Gaussians,
  :func:`kl_diag_gaussians`), its mean over π's states as ε_π in KL, and the Pinsker bound
  min(1, √(mean KL / 2)) as ε_π in TV. By Jensen, √(mean KL / 2) ≥ the mean of the per-state
  Pinsker bounds, so it bounds the mean TV over π's states from above.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor

from boundcheck.agents.networks import actor_forward
from boundcheck.codec import json_meta
from boundcheck.estimators import (
    expected_tv,
    kl_diag_gaussians,
    mean_std,
    mixture_nll,
    model_error_report,
    pinsker_tv,
    tv_known_gaussian,
)
from boundcheck.estimators.sup_over_time import episode_ids, sup_over_time
from boundcheck.experiments.common.collect import Transitions, collect
from boundcheck.models import GaussianEnsemble

#: Episodes that must reach a time bucket for it to enter the sup over time (late steps that
#: few episodes reach carry too little information for an interval).
MIN_EPISODES = 10

def make_generator(device: torch.device, seed: int) -> torch.Generator:
    """A torch generator on ``device`` seeded with ``seed``."""
    return torch.Generator(device=device).manual_seed(seed)


def action_law(actor: list[Tensor], obs: Tensor) -> tuple[Tensor, Tensor]:
    """The pre-tanh Gaussian's (mean, log std) of ``actor`` at the states ``obs`` (no grad)."""
    with torch.no_grad():
        return actor_forward(actor, obs)


def kl_to(actor: list[Tensor], law_d: tuple[Tensor, Tensor], obs: Tensor) -> Tensor:
    """KL(π ‖ π_D) per state [B] (nats) for π_D's ``law_d = action_law(actor_d, obs)``, computed
    once when π_D is fixed and π changes (the continuation's check after every update)."""
    with torch.no_grad():
        return kl_diag_gaussians(*actor_forward(actor, obs), *law_d)


def mean_kl(actor: list[Tensor], actor_d: list[Tensor], obs: Tensor) -> Tensor:
    """KL(π ‖ π_D) per state [B] (nats) for two actors at the states ``obs`` [B, obs_dim]."""
    return kl_to(actor, action_law(actor_d, obs), obs)


@dataclass(frozen=True)
class PolicyShiftEstimate:
    """ε_π of π against π_D over π's visited states (KL in nats, over states).

    ``pinsker_tv`` = min(1, √(kl_mean / 2)), the x-axis Theorem 4.3 consumes; ``pinsker_max``
    is the max over states of the per-state Pinsker bound (an upper bound on max_s TV over
    these states).
    """

    kl_mean: float
    kl_stderr: float
    kl_max: float
    kl_p95: float
    pinsker_tv: float
    pinsker_max: float


@dataclass(frozen=True)
class SupOverTime:
    """The paper's ε_m, sup_t E_{d_t}[error]: the max over time buckets of ``bucket_width``
    steps (default 1, per step) of the mean per-transition error (``measure``: ``"tv"`` when
    the true law is known, else ``"nll"``), over the buckets that at least ``min_episodes``
    episodes reach (:func:`boundcheck.estimators.sup_over_time.sup_over_time`).

    ``sup_mean`` is the point value (biased upward by the selection, by about ``boot_bias``),
    ``sup_stderr`` its bucket's standard error over episodes (ignoring the selection),
    ``sup_upper`` the selection-aware upper confidence bound at ``confidence`` (a max-t
    bootstrap resampling whole episodes): the value a lower bound on the return uses.
    ``overall_mean``/``overall_stderr``: every transition pooled (an episode average), its
    standard error over episodes. Documents written before these bounds existed lack the
    fields after ``buckets`` (None).
    """

    measure: str
    bucket_width: int
    sup_mean: float
    sup_stderr: float
    sup_t_start: int
    overall_mean: float
    buckets: int
    sup_upper: float | None = field(default=None, metadata=json_meta(omit_none=True))
    confidence: float | None = field(default=None, metadata=json_meta(omit_none=True))
    boot_bias: float | None = field(default=None, metadata=json_meta(omit_none=True))
    overall_stderr: float | None = field(default=None, metadata=json_meta(omit_none=True))
    episodes: int | None = field(default=None, metadata=json_meta(omit_none=True))
    min_episodes: int | None = field(default=None, metadata=json_meta(omit_none=True))


@dataclass(frozen=True)
class ModelErrorEstimate:
    """Model error of the elites' mixture on one data set.

    ``nll_*``: nats per transition, joint over the 1 + obs_dim target dims; ``mse_*``: of the
    mixture mean, averaged over dims; ``tv_*`` (None unless the true law is known): expected TV,
    its standard error over rows and the mean per-row Monte Carlo standard error;
    ``sup_over_time``: None when no time bucket has 2 transitions. ``nll_*`` is None only for
    the oracle of a deterministic task (:func:`oracle_model_error`: a point mass has no density).
    """

    n: int
    nll_mean: float | None
    nll_stderr: float | None
    mse_mean: float
    mse_stderr: float
    tv_mean: float | None
    tv_stderr: float | None
    tv_mc_stderr: float | None
    sup_over_time: SupOverTime | None

    def value(self, measure: str) -> float | None:
        """The mean of ``measure`` (``"nll"``, ``"mse"`` or ``"tv"``)."""
        return {"nll": self.nll_mean, "mse": self.mse_mean, "tv": self.tv_mean}[measure]


@dataclass(frozen=True)
class PolicyMeasurement:
    """What is measured on one policy π's real transitions: its shift from π_D, the model's
    error on them, and the mean return of the ``episodes`` that finished (None if none did)."""

    shift: PolicyShiftEstimate
    error: ModelErrorEstimate
    episode_return_mean: float | None
    episodes: int


def policy_shift(actor: list[Tensor], actor_d: list[Tensor],
                 data: Transitions) -> PolicyShiftEstimate:
    """ε_π of π against π_D over π's visited states ``data.obs``."""
    obs = torch.as_tensor(data.obs, device=actor[0].device)
    kl = mean_kl(actor, actor_d, obs).double().cpu().numpy()
    kl = np.maximum(kl, 0.0)  # rounding can give -1e-9 at identical policies
    stats = mean_std(kl, episode_ids(data.timestep))  # states of one episode are not i.i.d.
    return PolicyShiftEstimate(
        kl_mean=stats.mean, kl_stderr=stats.stderr, kl_max=float(kl.max()),
        kl_p95=float(np.quantile(kl, 0.95)), pinsker_tv=pinsker_tv(stats.mean),
        pinsker_max=pinsker_tv(float(kl.max())))


def model_error(model: GaussianEnsemble, data: Transitions, true_std: np.ndarray | None,
                generator: torch.Generator, *, tv_samples: int, bucket_width: int,
                boot_seed: int, confidence: float = 0.95) -> ModelErrorEstimate:
    """Model error of the elites' mixture on ``data`` (NLL, MSE proxies; TV when ``true_std``,
    the known noise of the true law, is given); ``sup_over_time`` uses the TV if known, else
    the NLL (:class:`SupOverTime`; its episode bootstrap draws from ``boot_seed``)."""
    obs, act, targets = data.model_targets()
    device = model.device
    means, variances = model.mean_and_var(obs.to(device), act.to(device), elites_only=True)
    means, variances = means.double(), variances.double()
    episodes = episode_ids(data.timestep)  # standard errors over episodes, not transitions
    report = model_error_report(means, variances, targets.to(device).double(), episodes)
    tv_mean = tv_stderr = tv_mc_stderr = None
    if true_std is not None:
        std = torch.as_tensor(true_std, dtype=torch.float64, device=device)
        tv, tv_se = tv_known_gaussian(data.true_mean().to(device), std, means, variances,
                                      generator, n_samples=tv_samples)
        tv_mean, tv_stderr = expected_tv(tv, episodes)
        tv_mc_stderr = float(tv_se.mean())
        per_row = tv.double().cpu().numpy()
        which = "tv"
    else:
        with torch.no_grad():
            per_row = mixture_nll(means, variances, targets.to(device).double()).cpu().numpy()
        which = "nll"
    return ModelErrorEstimate(
        n=report["n"], nll_mean=report["nll_mean"], nll_stderr=report["nll_stderr"],
        mse_mean=report["mse_mean"], mse_stderr=report["mse_stderr"], tv_mean=tv_mean,
        tv_stderr=tv_stderr, tv_mc_stderr=tv_mc_stderr,
        sup_over_time=_sup_over_time(per_row, data.timestep, bucket_width, which, boot_seed,
                                     confidence))


def oracle_model_error(data: Transitions, true_std: np.ndarray | None, *, bucket_width: int,
                       boot_seed: int = 0, confidence: float = 0.95) -> ModelErrorEstimate:
    """The error of the oracle "model" (``train --model oracle``): the simulator itself.

    Its law IS the true law, so the TV is exactly 0 on every row (no Monte Carlo: ε_m = 0 by
    construction, paper Theorem 4.3 with ε_m = 0). The proxies are those of the true law
    itself on ``data``: the MSE of its mean F(s, a) (the noise variance, 0 without noise) and,
    with known noise ``true_std``, the NLL under N(F(s, a), diag(true_std²)); without noise
    the NLL is None (a point mass has no density). The reconstruction caveat of
    :mod:`boundcheck.envs.oracle` applies (exact while no observation clips a velocity).
    """
    _, _, targets = data.model_targets()
    targets = targets.double()
    # Without noise the wrapper records no clean outcomes: the targets are F(s, a) themselves.
    mean = targets if data.clean_reward is None else data.true_mean().double()
    episodes = episode_ids(data.timestep)
    mse = mean_std(((targets - mean) ** 2).mean(dim=-1).cpu().numpy(), episodes)
    nll_mean = nll_stderr = None
    if true_std is not None:
        var = torch.as_tensor(true_std, dtype=torch.float64) ** 2
        with torch.no_grad():
            nll_rows = mixture_nll(mean[None], var.expand_as(mean)[None], targets)
        nll = mean_std(nll_rows.cpu().numpy(), episodes)
        nll_mean, nll_stderr = nll.mean, nll.stderr
    zeros = np.zeros(int(targets.shape[0]))
    return ModelErrorEstimate(
        n=int(targets.shape[0]), nll_mean=nll_mean, nll_stderr=nll_stderr, mse_mean=mse.mean,
        mse_stderr=mse.stderr, tv_mean=0.0, tv_stderr=0.0, tv_mc_stderr=0.0,
        sup_over_time=_sup_over_time(zeros, data.timestep, bucket_width, "tv", boot_seed,
                                     confidence))


def _sup_over_time(values: np.ndarray, timesteps: np.ndarray, bucket_width: int, which: str,
                   boot_seed: int, confidence: float) -> SupOverTime | None:
    sup = sup_over_time(values, timesteps, rng=np.random.default_rng(boot_seed),
                        bucket_width=bucket_width, min_episodes=MIN_EPISODES,
                        confidence=confidence, cap=1.0 if which == "tv" else None)
    if sup is None:
        return None
    return SupOverTime(measure=which, bucket_width=bucket_width, sup_mean=sup.point,
                       sup_stderr=sup.point_stderr, sup_t_start=sup.argmax_t,
                       overall_mean=sup.mean, buckets=sup.buckets, sup_upper=sup.upper,
                       confidence=sup.confidence, boot_bias=sup.boot_bias,
                       overall_stderr=sup.mean_stderr, episodes=sup.episodes,
                       min_episodes=sup.min_episodes)


def episode_return_mean(data: Transitions) -> float | None:
    """Mean return of the episodes that finished during collection (None if none did)."""
    returns = data.episode_returns
    return float(np.mean(returns)) if returns else None


@dataclass(frozen=True)
class Evaluator:
    """Step 4 for one repetition: every π collects ``eval_steps`` transitions from the same env
    seed and action-noise seed, and its TV draws share one seed (common random numbers)."""

    env: Any
    true_std: np.ndarray | None
    device: torch.device
    eval_steps: int
    tv_samples: int
    bucket_width: int
    eval_seed: int
    noise_seed: int

    def collect(self, actor: list[Tensor]) -> Transitions:
        """M transitions with ``actor`` (the same env seed and action noise for every π)."""
        return collect(self.env, actor, self.eval_steps, env_seed=self.eval_seed,
                       generator=make_generator(self.device, self.noise_seed))

    def point(self, model: GaussianEnsemble, actor: list[Tensor], actor_d: list[Tensor],
              data: Transitions, tv_seed: int) -> PolicyMeasurement:
        """Policy shift of ``actor`` from ``actor_d``, model error and the episodes' return on
        ``data`` (π's transitions); the TV draws from ``tv_seed``."""
        err = model_error(model, data, self.true_std, make_generator(self.device, tv_seed),
                          tv_samples=self.tv_samples, bucket_width=self.bucket_width,
                          boot_seed=tv_seed)
        return PolicyMeasurement(shift=policy_shift(actor, actor_d, data), error=err,
                                 episode_return_mean=episode_return_mean(data),
                                 episodes=len(data.episode_returns))
