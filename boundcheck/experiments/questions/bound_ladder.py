"""The bound ladder measured on validated runs: what the committed validations can give today
(docs/results/bound_ladder.md).

A validation (``validate``, docs/validate.md) measures per epoch pair ε_m′ (the selection-aware
sup over time of the expected TV under π, where the model error is a measured TV), r_max and the
returns η[π], η̂[π], η[π_D] with intervals over episodes. From those alone one rung of the ladder
can be evaluated: rung 2a with its charges relaxed to t·ε_m′
(:func:`boundcheck.theory.ladder.sup_model_fraction`), with span(r_π) ≤ 2 r_max, so

    η̂[π] − B ≤ η[π] ≤ η̂[π] + B,   B = 2 r_max/(1 − γ) · fraction(γ, ε_m′).

Per run (its newest pair) and γ this module gives B as a fraction of the range 2 r_max/(1 − γ)
beside Theorems 4.1 and 4.3's, whether the measured η lies inside [η̂ − B, η̂ + B] (episode
means), whether the lower bound **certifies improvement** (the low end of η̂'s 95% interval over
episodes, minus B, above the high end of η[π_D]'s), and
the largest γ at which B is at most half the range.

Rung 4 (CPO, Corollary 1) needs π_D's advantages for its value, but not to rule out that it
certifies: its lower bound on η[π] − η[π_D] is positive only if the mean policy shift is below
(1 − γ)/(2γ) (:func:`boundcheck.theory.ladder.cpo_certify_threshold`). The validation's mean
over visited states of the Monte Carlo TV(π, π_D) (unbiased per state; its low end over
episodes) stands in for E_{d^{π_D}}[TV]: where that low end is at or above the threshold,
rung 4 is *ruled out*. The stand-in averages π's and π_D's visited states without discounting,
where d^{π_D} weights π_D's early states more: a labelled approximation, not a proof.

Pairs with small policy steps (:func:`small_steps`): the snapshots of a
``measure-generalization`` continuation are policies at KL 0.01–1 nats from π_D with the model's
TV measured under each; rung 2a and Theorem 4.3 are evaluated at each, as fractions of the
range (no returns are measured there, so no "inside" or "certifies").

The other rungs need quantities no validation records (a maximum over states for the coupling
bound, one-step value errors for the value-aware one, model errors at model-rollout states for
the branched ones): the page reports them as not measured, with that reason.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from boundcheck.experiments.generalization.results import GeneralizationDocument
from boundcheck.experiments.validate.document import GammaRecord, PairRecord, read_validation
from boundcheck.experiments.validate.theorems import sup_model_gamma_at_half, sup_model_rung
from boundcheck.theory.bounds import theorem_4_3
from boundcheck.theory.ladder import cpo_certify_threshold, sup_model_fraction


@dataclass(frozen=True)
class RungAtGamma:
    """Rung 2a (sup-relaxed) and MBPO's penalties at one γ, as fractions of 2 r_max/(1 − γ)."""

    gamma: float
    fraction: float
    fraction_4_1: float
    fraction_4_3: float
    eta: float
    eta_model: float
    eta_pi_d_high: float
    inside: bool
    certifies: bool
    #: Rung 4's threshold (1 − γ)/(2γ), and whether the mean TV's low end reaches it (then
    #: rung 4 cannot certify an improvement).
    cpo_threshold: float = float("nan")
    cpo_ruled_out: bool = False


@dataclass(frozen=True)
class MeasuredRun:
    """One validated run's newest pair on the ladder."""

    name: str
    eps_model_shifted: float
    eps_source: str
    r_max: float
    gammas: tuple[RungAtGamma, ...]
    gamma_at_half: float | None
    #: The mean over visited states of the Monte Carlo TV(π, π_D), and its low end.
    tv_mean: float = float("nan")
    tv_mean_low: float = float("nan")


def _fraction_of(block: GammaRecord, theorem: str, r_max: float) -> float:
    return block.theorems[theorem].penalty * (1.0 - block.gamma) / (2.0 * r_max)


def measure_pair(name: str, pair: PairRecord) -> MeasuredRun:
    """Rung 2a and MBPO's fractions for one pair (module doc). Computed from the pair's
    inputs and returns by validate's own rule, so files written before validate reported the
    ladder get the same numbers as newer ones."""
    eps = min(1.0, pair.inputs.eps_model_shifted)
    r_max = pair.inputs.r_max
    tv = pair.policy_shift.stats["tv_mc"]["mean"]
    rows = []
    for block in pair.by_gamma:
        ret = block.returns
        rung = sup_model_rung(block.gamma, eps, r_max, ret)
        threshold = cpo_certify_threshold(block.gamma)
        rows.append(RungAtGamma(
            gamma=block.gamma, fraction=rung.fraction,
            fraction_4_1=_fraction_of(block, "4.1", r_max),
            fraction_4_3=_fraction_of(block, "4.3", r_max),
            eta=ret.eta.mean, eta_model=ret.eta_model.mean, eta_pi_d_high=ret.eta_pi_d.high,
            inside=rung.inside, certifies=rung.certifies, cpo_threshold=threshold,
            cpo_ruled_out=tv.ci_low >= threshold))
    return MeasuredRun(
        name=name, eps_model_shifted=eps, eps_source=pair.inputs.eps_model_shifted_source.value,
        r_max=r_max, gammas=tuple(rows), gamma_at_half=sup_model_gamma_at_half(eps),
        tv_mean=tv.value, tv_mean_low=tv.ci_low)


def measure_files(files: Sequence[tuple[str, Path]]) -> list[MeasuredRun]:
    """:func:`measure_pair` on the newest pair of every (name, validation file) whose model
    error is a measured TV (others are skipped: their ε_m′ is 1 by construction)."""
    out = []
    for name, path in files:
        record = read_validation(path)
        if not record.pairs or not record.tv_available:
            continue
        out.append(measure_pair(name, record.pairs[-1]))
    return out


def at_gamma(run: MeasuredRun, gamma: float) -> RungAtGamma:
    """The run's row at ``gamma`` (ValueError if it was not validated at it)."""
    for row in run.gammas:
        if math.isclose(row.gamma, gamma):
            return row
    raise ValueError(f"{run.name}: validated without gamma {gamma:g}")


@dataclass(frozen=True)
class SmallStep:
    """One snapshot of a ``measure-generalization`` continuation as a pair (π_D, snapshot):
    means over the repetitions of the KL(π‖π_D) over π's states, ε_π (the max over π's states
    of the Pinsker TV, the theorems' statistic) and the model's mean TV under π (standing in
    for ε_m′: a mean, below the sup over time the rung takes, so the fractions err low); then
    per γ the fractions of the range of rung 2a and of Theorem 4.3 at the result's k."""

    train_size: int
    index: int
    kl_mean: float
    eps_policy: float
    eps_model_shifted: float
    k: int
    fraction_2a: tuple[tuple[float, float], ...]
    fraction_4_3: tuple[tuple[float, float], ...]


def small_steps(doc: GeneralizationDocument, gammas: Sequence[float]) -> list[SmallStep]:
    """Per training size, every snapshot (π_D itself left out) as a :class:`SmallStep`; the
    result must have measured TVs (known noise), else ValueError."""
    if not doc.model_error.tv_available:
        raise ValueError("the generalization result has no measured TV (no known noise)")
    k = doc.settings.k
    out = []
    for size in doc.sizes:
        indices = sorted({p.index for s in size.seeds for p in s.points if p.index > 0})
        for index in indices:
            points = [p for s in size.seeds for p in s.points if p.index == index]
            kl = float(np.mean([p.measured.shift.kl_mean for p in points]))
            eps_pi = float(np.mean([p.measured.shift.pinsker_max for p in points]))
            tvs = [p.measured.error.tv_mean for p in points]
            eps_m = float(np.mean([t for t in tvs if t is not None]))
            out.append(SmallStep(
                train_size=size.train_size, index=index, kl_mean=kl, eps_policy=eps_pi,
                eps_model_shifted=eps_m, k=k,
                fraction_2a=tuple((g, sup_model_fraction(g, min(1.0, eps_m))) for g in gammas),
                fraction_4_3=tuple((g, _theorem_fraction(g, eps_m, eps_pi, k))
                                   for g in gammas)))
    return out


def _theorem_fraction(gamma: float, eps_m: float, eps_pi: float, k: int) -> float:
    penalty = theorem_4_3(gamma, 1.0, min(1.0, eps_m), min(1.0, eps_pi), k)
    return penalty.total / penalty.trivial_range
