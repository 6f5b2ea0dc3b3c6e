"""Theorems 4.1–4.3 checked on one pair's measurements, for each discount factor.

Inputs to the bounds (paper Section 4; docs/paper.md, "the model error ε_m, ε_m′, the policy
shift ε_π and Pinsker"):

- ε_π: a statistic over the visited states (π's and π_D's) of the per-state Pinsker bound
  min(√(KL(π‖π_D)/2), √(KL(π_D‖π)/2)); the theorem's max_s by default (``eps_pi_stat``).
  The Monte Carlo TV of the same statistic is reported beside it.
- ε_m (under π_D) and ε_m′ (under π): the sup over time buckets of the mean per-transition TV
  when the run's true law is a known Gaussian; otherwise 1, the TV of any continuous model to
  a deterministic simulator (NLL/MSE are reported as proxies), unless the user supplies a value.
- r_max: the largest |reward| in π_D's real buffer, unless given.

Theorem 4.1 compares η with η̂ (full model rollouts); 4.2 and 4.3 with η^branch. The k-step
model return MBPO optimises and π_D's own return are reported without a theorem. Beside them,
rung 2a of the bound ladder (docs/ladder.md): the tightest rung the same inputs give, |η − η̂|
bounded with ε_m′ and r_max alone (:func:`sup_model_rung`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from boundcheck.experiments.common.measure import ModelErrorEstimate
from boundcheck.experiments.validate.measure import PairMeasurements
from boundcheck.experiments.validate.results import (
    BoundValues,
    Divergences,
    EnvSteps,
    EpisodeLengths,
    EpsSource,
    GammaBlock,
    ModelErrorInput,
    PairResult,
    Returns,
    RMaxSource,
    SupModelRung,
    TheoremCheck,
)
from boundcheck.experiments.validate.returns import RewardPaths
from boundcheck.experiments.validate.settings import BoundInputs
from boundcheck.theory.bounds import (
    informative_gammas,
    theorem_4_1,
    theorem_4_2,
    theorem_4_3,
)
from boundcheck.theory.ladder import largest_gamma_at_fraction, sup_model_fraction
from boundcheck.theory.verdict import BoundResult, check_bound, informative_threshold, mean_estimate

#: The fraction of the return range at or below which the ladder calls a bound useful
#: (docs/results/bound_ladder.md: it rules out at least half the range).
HALF_RANGE = 0.5


def model_error_value(error: ModelErrorEstimate, given: float | None,
                      given_source: EpsSource = EpsSource.GIVEN) -> tuple[float, EpsSource]:
    """(ε, where it came from) for ε_m or ε_m′ from a model-error estimate; a ``given``
    value wins, reported as ``given_source``. Measured: the upper confidence bound on the sup
    over time of the expected TV (a lower bound on η needs an upper bound on ε), else the mean
    TV (no time step reached by enough episodes), else 1 (no known noise)."""
    if given is not None:
        return given, given_source
    sup = error.sup_over_time
    if sup is not None and sup.measure == "tv" and sup.sup_upper is not None:
        return float(min(1.0, max(0.0, sup.sup_upper))), EpsSource.TV_SUP_OVER_TIME_UPPER
    if sup is not None and sup.measure == "tv":
        return float(min(1.0, max(0.0, sup.sup_mean))), EpsSource.TV_SUP_OVER_TIME
    if error.tv_mean is not None:
        return float(min(1.0, max(0.0, error.tv_mean))), EpsSource.TV_MEAN
    return 1.0, EpsSource.DETERMINISTIC_SIMULATOR


def bound_inputs(m: PairMeasurements, inputs: BoundInputs) -> BoundValues:
    """The ε's and r_max fed to the theorems, with their sources (ε_m′ falls back on a given
    ε_m, see :class:`~boundcheck.experiments.validate.settings.BoundInputs`)."""
    stats = m.policy_shift.stats
    stat = inputs.eps_pi_stat.value
    eps_model, src_m = model_error_value(m.model_error_pi_d, inputs.eps_model)
    if inputs.eps_model_shifted is not None:
        eps_mp, src_mp = inputs.eps_model_shifted, EpsSource.GIVEN
    else:
        eps_mp, src_mp = model_error_value(m.model_error_pi, inputs.eps_model,
                                           EpsSource.GIVEN_AS_EPS_M)
    return BoundValues(
        eps_policy=float(min(1.0, stats["pinsker_min"][stat]["value"])),
        eps_pi_stat=inputs.eps_pi_stat, eps_policy_mc=float(stats["tv_mc"][stat]["value"]),
        eps_model=eps_model, eps_model_source=src_m, eps_model_shifted=eps_mp,
        eps_model_shifted_source=src_mp,
        **_r_max(m, inputs.r_max))


def observed_r_max(m: PairMeasurements) -> float:
    """The largest |r| the run has shown: π_D's real buffer and the real episodes of π and
    π_D measured here."""
    seen = [float(np.abs(p.rewards).max(initial=0.0)) for p in (m.real_pi, m.real_pi_d)]
    return max(m.r_max_buffer, *seen)


def _r_max(m: PairMeasurements, given: float | None) -> dict[str, Any]:
    """r_max and its source: given, else the task's known bound (no reward noise), else the
    largest |r| seen (never below a reward the run has shown)."""
    if given is not None:
        return {"r_max": given, "r_max_source": RMaxSource.GIVEN}
    if m.reward_bound is not None:
        return {"r_max": m.reward_bound, "r_max_source": RMaxSource.TASK}
    return {"r_max": observed_r_max(m), "r_max_source": RMaxSource.OBSERVED}


def _theorem_check(result: BoundResult, values: BoundValues,
                   model_input: ModelErrorInput) -> TheoremCheck:
    scale = result.scale_to_informative
    return TheoremCheck(result, model_input, informative_threshold(values.eps_policy, scale),
                        informative_threshold(values.model_error(model_input), scale))


def _unreliable(paths: RewardPaths, what: str) -> str | None:
    count = int(paths.diverged.sum())
    return None if count == 0 else (f"{count} {what} episode(s) diverged (non-finite model "
                                    "prediction): the reference return is biased")


def sup_model_rung(gamma: float, eps_model_shifted: float, r_max: float,
                   returns: Returns) -> SupModelRung:
    """Rung 2a at ``gamma`` from ε_m′ (capped at 1) and r_max, judged against the measured
    returns (:class:`~boundcheck.experiments.validate.results.SupModelRung`)."""
    fraction = sup_model_fraction(gamma, min(1.0, max(0.0, eps_model_shifted)))
    bound = fraction * 2.0 * r_max / (1.0 - gamma)
    return SupModelRung(
        bound=bound, fraction=fraction,
        inside=abs(returns.eta.mean - returns.eta_model.mean) <= bound,
        certifies=returns.eta_model.low - bound > returns.eta_pi_d.high)


def sup_model_gamma_at_half(eps_model_shifted: float) -> float | None:
    """The largest γ at which rung 2a takes at most :data:`HALF_RANGE` of the range."""
    eps = min(1.0, max(0.0, eps_model_shifted))
    return largest_gamma_at_fraction(lambda g: sup_model_fraction(g, eps), HALF_RANGE,
                                     tol=1e-6)


def gamma_block(m: PairMeasurements, gamma: float, values: BoundValues,
                confidence: float) -> GammaBlock:
    """Returns (with intervals) and the three theorems at discount ``gamma``.

    η, η̂ and η^branch are paired by episode (same seeds and initial states), so each slack
    interval is a paired one (:func:`boundcheck.theory.verdict.check_bound`).
    """
    eta, eta_model = m.real_pi.discounted(gamma), m.model_pi.discounted(gamma)
    eta_branch = m.branch.discounted(gamma)
    r_max, eps_policy = values.r_max, values.eps_policy
    eps_model, eps_mp = values.eps_model, values.eps_model_shifted
    full, branch = _unreliable(m.model_pi, "full-model"), _unreliable(m.branch, "branched")
    checks = (
        (check_bound(theorem_4_1(gamma, r_max, eps_model, eps_policy), eta, eta_model, "eta_model",
                     confidence, full), ModelErrorInput.EPS_M),
        (check_bound(theorem_4_2(gamma, r_max, eps_model, eps_policy, m.k), eta, eta_branch,
                     "eta_branch", confidence, branch), ModelErrorInput.EPS_M),
        (check_bound(theorem_4_3(gamma, r_max, eps_mp, eps_policy, m.k), eta, eta_branch,
                     "eta_branch", confidence, branch), ModelErrorInput.EPS_MODEL_SHIFTED),
    )
    returns = Returns(
        eta=mean_estimate(eta, confidence), eta_model=mean_estimate(eta_model, confidence),
        eta_branch=mean_estimate(eta_branch, confidence),
        eta_pi_d=mean_estimate(m.real_pi_d.discounted(gamma), confidence),
        model_k_step=mean_estimate(m.model_k_step.discounted(gamma), confidence))
    return GammaBlock(gamma, returns,
                      tuple(_theorem_check(res, values, which) for res, which in checks),
                      sup_model_rung(gamma, eps_mp, r_max, returns))


def reward_range_warnings(m: PairMeasurements, r_max: float) -> list[str]:
    """Where rewards met while measuring exceed the r_max the bounds assume."""
    out = []
    for name, paths in (("pi's real episodes", m.real_pi), ("pi_D's real episodes", m.real_pi_d),
                        ("model rollouts", m.model_pi), ("branched episodes", m.branch)):
        seen = float(np.abs(paths.rewards).max(initial=0.0))
        if seen > r_max * (1 + 1e-6):
            out.append(f"epochs {m.pair.data_epoch}->{m.pair.epoch}: |r| up to {seen:.4g} in "
                       f"{name} exceeds r_max = {r_max:.4g} (the bounds assume |r| <= r_max)")
    return out


def pair_result(m: PairMeasurements, gammas: tuple[float, ...], inputs: BoundInputs,
                env_steps: EnvSteps, confidence: float) -> PairResult:
    """Everything checked for one pair: its bound inputs and one block per γ of ``gammas``,
    each verdict at ``confidence``."""
    values = bound_inputs(m, inputs)
    return PairResult(
        data_epoch=m.pair.data_epoch, epoch=m.pair.epoch, k=m.k, horizon=m.horizon,
        env_steps=env_steps, inputs=values,
        episode_length_mean=EpisodeLengths(
            pi=float(m.real_pi.lengths.mean()), pi_d=float(m.real_pi_d.lengths.mean()),
            model=float(m.model_pi.lengths.mean()), branch=float(m.branch.lengths.mean()),
            model_k_step=float(m.model_k_step.lengths.mean())),
        model_diverged=Divergences(full=int(m.model_pi.diverged.sum()),
                                   branch=int(m.branch.diverged.sum()),
                                   k_step=int(m.model_k_step.diverged.sum())),
        policy_shift=m.policy_shift, model_error_pi_d=m.model_error_pi_d,
        model_error_pi=m.model_error_pi,
        by_gamma=tuple(gamma_block(m, g, values, confidence) for g in gammas),
        informative_gamma=informative_gammas(values.eps_model, values.eps_model_shifted,
                                             values.eps_policy, m.k),
        warnings=tuple(reward_range_warnings(m, values.r_max)),
        rung_2a_gamma_at_half=sup_model_gamma_at_half(values.eps_model_shifted))
