"""When does improving under the model guarantee improving on the true MDP? (paper Section 4.1;
docs/theory.md, "Monotonic improvement: what the guarantee needs").

Section 4.1 reads Theorem 4.1, η[π] ≥ η̂[π] − C(ε_m, ε_π), as "by improving the model return by
more than C we guarantee improvement on the true MDP". Improvement compares η[π] with η[π_D],
and the model also mis-estimates π_D. Three rules that a practitioner could apply, each
certifying "η[π] ≥ η[π_D]":

- ``naive``: η̂[π] − η̂[π_D] ≥ C(ε_m, ε_π), the gain under the model against C, as Section 4.1
  reads. Not implied by the theorem, which gives only η[π] ≥ η̂[π] − C ≥ η̂[π_D]: where the
  model under-estimates π_D's return (η̂[π_D] < η[π_D]) that stops short of η[π_D].
- ``two_sided``: η̂[π] − η̂[π_D] ≥ C(ε_m, ε_π) + C_D, with C_D = C(ε_m, 0) = 2γ r_max ε_m/(1−γ)²,
  Lemma B.3's bound on |η[π_D] − η̂[π_D]| (same ε_m: under π_D in the true MDP). Proof:
  η[π] ≥ η̂[π] − C ≥ η̂[π_D] + C_D ≥ η[π_D] (Theorem 4.1, the rule, Lemma B.3 at π = π_D).
- ``measured``: η̂[π] − C(ε_m, ε_π) ≥ η[π_D], against π_D's true return, which π_D's own data
  estimate. Proof: Theorem 4.1 alone.

None of them can ever certify a strict improvement (docs/theory.md proves it): Lemma B.3 in the
model MDP with ε_m = 0 bounds the largest model gain by 2r_max[γε_π/(1−γ)² + ε_π/(1−γ)], half of
C's policy part, so ``naive`` and ``two_sided`` reach at most 1/2 of their thresholds; Lemma B.3
between (P, π_D) and (P̂, π) bounds η̂[π] − η[π_D] by a quantity below C whenever ε_π > 0, so
``measured`` reaches less than 1. :meth:`ImprovementCheck.reach` is that fraction (≥ 1 would
certify).

Everything is exact on a :class:`~boundcheck.theory.tabular.FiniteMDP` (no sampling).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from boundcheck.theory import tabular as tb
from boundcheck.theory.bounds import lemma_b3, theorem_4_1

#: Round-off tolerance, relative to the return scale max(1, r_max/(1−γ)) (as the theorem checks).
REL_TOL = 1e-9


class Rule(StrEnum):
    """The three improvement rules (module docstring); the value is the JSON's name."""

    NAIVE = "naive"
    TWO_SIDED = "two_sided"
    MEASURED = "measured"


#: The rules that are theorems (a violation of one is a failed check).
PROVEN: tuple[Rule, ...] = (Rule.TWO_SIDED, Rule.MEASURED)


@dataclass(frozen=True)
class ImprovementCheck:
    """The four returns, the two penalties and the ε's of one instance."""

    eta: float
    eta_data: float
    eta_model: float
    eta_model_data: float
    C: float
    C_data: float
    eps_model: float
    eps_policy: float
    r_max: float
    gamma: float
    tol: float

    @property
    def true_gain(self) -> float:
        """η[π] − η[π_D]."""
        return self.eta - self.eta_data

    @property
    def model_gain(self) -> float:
        """η̂[π] − η̂[π_D]."""
        return self.eta_model - self.eta_model_data

    def gain(self, rule: Rule) -> float:
        """What the rule compares with its threshold: the model gain (``naive``,
        ``two_sided``) or η̂[π] − η[π_D] (``measured``)."""
        return self.eta_model - self.eta_data if rule is Rule.MEASURED else self.model_gain

    def threshold(self, rule: Rule) -> float:
        """C, or C + C_D for ``two_sided``."""
        return self.C + self.C_data if rule is Rule.TWO_SIDED else self.C

    def margin(self, rule: Rule) -> float:
        """gain − threshold (≥ 0: the rule certifies improvement)."""
        return self.gain(rule) - self.threshold(rule)

    def reach(self, rule: Rule) -> float:
        """gain / threshold, the fraction of the threshold the instance attains (≥ 1: the rule
        certifies). Where the threshold is at round-off scale (ε_m = ε_π = 0, so π = π_D and
        the model is exact where it matters): 0 unless the gain exceeds round-off."""
        threshold = self.threshold(rule)
        if threshold > 1e3 * self.tol:
            return self.gain(rule) / threshold
        return 0.0 if self.gain(rule) <= self.tol else float("inf")

    def certifies(self, rule: Rule) -> bool:
        """Whether the rule claims η[π] ≥ η[π_D] here."""
        return self.margin(rule) >= 0.0

    def violated(self, rule: Rule) -> bool:
        """The rule certifies improvement, yet η[π] < η[π_D] beyond round-off."""
        return self.certifies(rule) and self.true_gain < -self.tol

    def __json_encode__(self) -> dict[str, Any]:
        """The returns, gains, penalties, ε's and per rule its margin, reach, verdict and
        violation."""
        return {"eta": self.eta, "eta_data": self.eta_data, "eta_model": self.eta_model,
                "eta_model_data": self.eta_model_data, "true_gain": self.true_gain,
                "model_gain": self.model_gain, "C": self.C, "C_data": self.C_data,
                "eps_m": self.eps_model, "eps_pi": self.eps_policy, "r_max": self.r_max,
                "gamma": self.gamma,
                "rules": {str(rule): {"margin": self.margin(rule), "reach": self.reach(rule),
                                      "certifies": self.certifies(rule),
                                      "violated": self.violated(rule)} for rule in Rule}}


def improvement_check(mdp: tb.FiniteMDP) -> ImprovementCheck:
    """Every quantity of the three rules on ``mdp``, exactly. ε_m is the sup over time of the
    expected transition TV under π_D in the true MDP (Theorem 4.1's and Lemma B.3's), ε_π the
    max over states of TV(π, π_D)."""
    g, r = mdp.gamma, mdp.r_max
    eps_model = tb.eps_model_under(mdp, mdp.pi_data)
    eps_policy = tb.eps_policy(mdp)
    return ImprovementCheck(
        eta=tb.discounted_return(mdp.mu0, mdp.P, mdp.pi, mdp.r, g),
        eta_data=tb.discounted_return(mdp.mu0, mdp.P, mdp.pi_data, mdp.r, g),
        eta_model=tb.discounted_return(mdp.mu0, mdp.P_model, mdp.pi, mdp.r, g),
        eta_model_data=tb.discounted_return(mdp.mu0, mdp.P_model, mdp.pi_data, mdp.r, g),
        C=theorem_4_1(g, r, eps_model, eps_policy).total,
        C_data=lemma_b3(g, r, eps_model, 0.0),
        eps_model=eps_model, eps_policy=eps_policy, r_max=r, gamma=g,
        tol=REL_TOL * max(1.0, r / (1.0 - g)))
