"""Rungs 2a, 2b and 2c from the draws of :mod:`~boundcheck.experiments.validate.branch_rungs`
(docs/ladder.md, "Rung 2 measured on a run"): per-step means over the N episodes, fed to the
exact charge assembly of :mod:`boundcheck.theory.charges`, as fractions of the range of
horizon-H returns 2 r (1 − γ^H)/(1 − γ) (a fraction does not depend on r).

- **Intervals** are over episodes: a bootstrap that resamples whole episodes, the per-step
  means and the charges recomputed on each resample (percentile ends). The point value puts
  means into min(1, ·), which is concave: near saturation it is biased slightly low, within
  the interval's reach.
- **Starts.** Each stratified start stands for its bucket: the charge from a start uses the
  bucket's mean (exact at stride 1).
- **Rung 2c against the returns.** The data-branched return η^db is estimated per episode
  with the true rewards at the model's states (the theory's rewards, known to both
  processes). *Holds*: the paired per-episode difference η_e − η^db_e has a t interval inside
  [−B, B] (``holds``), entirely outside it (``violated``) or neither (``inconclusive``).
  *Certifies*: η^db's low end minus B's high end minus η[π_D]'s high end is positive, each end
  at 1 − 0.05/3 (jointly ≥ 95%). Both scale B by a reward bound that covers every reward seen,
  the model's states included.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from boundcheck.experiments.validate.branch_rungs import BranchDraws
from boundcheck.theory.charges import (
    branch_charges,
    data_branch_charges,
    first_gamma_above,
    head_fraction,
    model_charges,
)
from boundcheck.theory.verdict import CERTIFY_EACH, Estimate, Verdict, mean_estimate

#: The rungs proper (the what-ifs of :class:`BranchRow` are not bounds).
RUNGS = ("2a", "2b", "2c")


@dataclass(frozen=True)
class Fraction:
    """A bound over the range: the point value and its bootstrap interval over episodes."""

    point: float
    low: float
    high: float


@dataclass(frozen=True)
class BranchRow:
    """One γ: rungs 2a (per step, not relaxed to t·ε_m′), 2b and 2c as fractions of the range;
    two what-ifs that say which error binds (rung 2c with its model charges alone, as if
    π = π_D, and with its policy charges alone, as if the model were exact); the returns and
    rung 2c's verdicts (module doc)."""

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
    gap: Estimate
    holds_2c: Verdict
    certify_margin_2c: float

    @property
    def certifies_2c(self) -> bool:
        """Whether η^db − B lies above η[π_D] (jointly at ≥ 95%)."""
        return self.certify_margin_2c > 0.0


def charges(draws: BranchDraws, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Each rung's and what-if's charges from the per-step means over the episodes ``rows``."""
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


def data_branch_returns(draws: BranchDraws, gamma: float) -> np.ndarray:
    """η^db per episode: Σ_{t<k} γ^t R(b_t from step 0) + Σ_buckets width · γ^{m+k} R(b_k from
    the bucket's start m) (unbiased for the sum over every start)."""
    k = draws.k
    head = draws.head_reward @ gamma ** np.arange(k)
    tail = (draws.bucket_widths()[None, :] * gamma ** (draws.starts + k)
            * draws.start_reward).sum(axis=1)
    return np.asarray(head + tail, dtype=np.float64)


def _holds(gap: np.ndarray, bound: float) -> Verdict:
    """Inside [−B, B] (holds), outside it (violated), from the t interval of the mean gap."""
    est = mean_estimate(gap)
    if -bound <= est.low and est.high <= bound:
        return Verdict.HOLDS
    if est.low > bound or est.high < -bound:
        return Verdict.VIOLATED
    return Verdict.INCONCLUSIVE


def summarize(draws: BranchDraws, reward_bound: float, gammas: tuple[float, ...],
              resamples: int, rng: np.random.Generator
              ) -> tuple[dict[str, float | None], list[BranchRow]]:
    """The largest γ below which each rung and what-if stays at most half the range
    (:func:`~boundcheck.theory.charges.first_gamma_above`), and one :class:`BranchRow` per γ."""
    n = draws.episodes
    point = charges(draws, np.arange(n))
    boot = [charges(draws, rng.integers(n, size=n)) for _ in range(resamples)]
    half = {rung: first_gamma_above(c, 0.5) for rung, c in point.items()}
    wide = 2.0 * CERTIFY_EACH - 1.0
    rows = []
    for g in gammas:
        fr, high_2c = {}, 0.0
        for rung, c in point.items():
            values = np.array([head_fraction(b[rung], g) for b in boot])
            fr[rung] = Fraction(head_fraction(c, g), float(np.quantile(values, 0.025)),
                                float(np.quantile(values, 0.975)))
            if rung == "2c":
                high_2c = float(np.quantile(values, CERTIFY_EACH))
        scale = 2.0 * reward_bound * (1.0 - g**draws.horizon) / (1.0 - g)
        discount = g ** np.arange(draws.horizon)
        eta_pi, eta_d = draws.reward_pi @ discount, draws.reward_d @ discount
        db = data_branch_returns(draws, g)
        margin = (mean_estimate(db, wide).low - high_2c * scale
                  - mean_estimate(eta_d, wide).high)
        rows.append(BranchRow(
            gamma=g, range=scale, rung_2a=fr["2a"], rung_2b=fr["2b"], rung_2c=fr["2c"],
            rung_2c_model_only=fr["2c_model_only"], rung_2c_policy_only=fr["2c_policy_only"],
            eta=mean_estimate(eta_pi), eta_data_branch=mean_estimate(db),
            eta_pi_d=mean_estimate(eta_d), gap=mean_estimate(eta_pi - db),
            holds_2c=_holds(eta_pi - db, fr["2c"].point * scale), certify_margin_2c=margin))
    return half, rows
