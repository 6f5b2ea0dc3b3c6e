"""Exact checks of Theorems 4.1–4.3 and Lemmas B.1–B.3 on one finite MDP.

Paper Section 4 (theorems) and Appendix B (lemmas and proofs); docs/theory.md and
docs/verify-tabular.md describe the checks. Every quantity comes from
:mod:`boundcheck.theory.tabular` (linear algebra, no sampling). A check *holds* when the
inequality is satisfied up to a round-off tolerance of 1e-9 times the return scale
max(1, r_max/(1−γ)). The *tightness* of a theorem is (reference − η)/C, reference being η̂
(4.1) or η^branch (4.2, 4.3): a bound is violated exactly when tightness > 1, and a tightness
near 1 means the instance nearly attains the bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from boundcheck.theory import tabular as tb
from boundcheck.theory.bounds import lemma_b3, theorem_4_1, theorem_4_2, theorem_4_3

REL_TOL = 1e-9
#: Tightness ratios are only formed where C > MIN_C_FACTOR × tolerance (see BoundCheck).
MIN_C_FACTOR = 1e3
#: How many time steps Lemma B.1 is checked at (it costs S·A·S per step).
B1_STEPS = 20


class Theorem(StrEnum):
    """The three bounds of the paper's Section 4; the value is the name the JSON carries."""

    THEOREM_4_1 = "theorem_4_1"
    THEOREM_4_2 = "theorem_4_2"
    THEOREM_4_3 = "theorem_4_3"


class Lemma(StrEnum):
    """The lemmas of the paper's Appendix B checked here (B.3 twice, see :func:`lemma_checks`)."""

    B1 = "lemma_b1"
    B2 = "lemma_b2"
    B3 = "lemma_b3"
    B3_POLICY = "lemma_b3_policy"


@dataclass(frozen=True)
class BoundCheck:
    """One theorem evaluated on one instance: η ≥ reference − C?"""

    name: Theorem
    k: int | None
    C: float
    reference: float
    eta: float
    tol: float

    @property
    def lower_bound(self) -> float:
        """reference − C."""
        return self.reference - self.C

    @property
    def slack(self) -> float:
        """η − lower bound (negative: violated)."""
        return self.eta - self.lower_bound

    @property
    def holds(self) -> bool:
        """η ≥ lower bound, up to the round-off tolerance."""
        return self.slack >= -self.tol

    @property
    def tightness(self) -> float:
        """(reference − η)/C, defined where C exceeds ``MIN_C_FACTOR`` × the tolerance.

        Below that, C is at the round-off scale of the returns and the ratio is noise; it is then
        0 when the gap is within tolerance and inf otherwise.
        """
        gap = self.reference - self.eta
        if MIN_C_FACTOR * self.tol < self.C:
            return gap / self.C
        return 0.0 if gap <= self.tol else math.inf

    def __json_encode__(self) -> dict[str, Any]:
        """C, lower_bound, holds, slack, tightness (null where not finite) and, for branched
        bounds, k."""
        out: dict[str, Any] = {"C": self.C, "lower_bound": self.lower_bound,
                               "holds": self.holds, "slack": self.slack,
                               "tightness": self.tightness}
        if self.k is not None:
            out["k"] = self.k
        return out


@dataclass(frozen=True)
class LemmaCheck:
    """One lemma inequality lhs ≤ rhs, at its worst point over the checked cases."""

    name: Lemma
    lhs: float
    rhs: float
    tol: float
    detail: str = ""

    @property
    def holds(self) -> bool:
        """lhs ≤ rhs up to tolerance."""
        return self.lhs <= self.rhs + self.tol

    def __json_encode__(self) -> dict[str, Any]:
        """lhs, rhs, holds, detail."""
        return {"lhs": self.lhs, "rhs": self.rhs, "holds": self.holds, "detail": self.detail}


@dataclass(frozen=True)
class TabularEvaluation:
    """All exact quantities and checks of one instance.

    ``eta_branch`` holds η^branch for every k evaluated; the checks are at rollout length ``k``.
    ``theorems_worst`` are the theorems with the worst-case model error max_{s,a} D_TV in place
    of ε_m and ε_m′.
    """

    eta: float
    eta_model: float
    eta_branch: dict[int, float]
    eps_policy: float
    eps_model: float
    eps_model_shifted: float
    eps_model_worst: float
    r_max: float
    k: int
    theorems: dict[Theorem, BoundCheck]
    theorems_worst: dict[Theorem, BoundCheck]
    lemmas: dict[Lemma, LemmaCheck] = field(default_factory=dict)

    def all_checks(self) -> dict[str, BoundCheck | LemmaCheck]:
        """Every check by name (worst-case theorem variants suffixed ``_worst``)."""
        out: dict[str, BoundCheck | LemmaCheck] = {str(n): c for n, c in self.theorems.items()}
        out.update({f"{n}_worst": c for n, c in self.theorems_worst.items()})
        out.update({str(n): c for n, c in self.lemmas.items()})
        return out

    @property
    def holds(self) -> bool:
        """Whether every check (theorems, worst-case theorems, lemmas) holds."""
        return all(c.holds for c in self.all_checks().values())

    def __json_encode__(self) -> dict[str, Any]:
        """The JSON document of the evaluation (docs/verify-tabular.md, "The JSON"): the
        returns (η^branch at ``k``) and ε's, each theorem's check, the worst-case block, the
        lemmas and ``holds``."""
        return {
            "eta": self.eta, "eta_model": self.eta_model, "eta_branch": self.eta_branch[self.k],
            "eps_pi": self.eps_policy, "eps_m": self.eps_model,
            "eps_model_shifted": self.eps_model_shifted, "eps_m_worst": self.eps_model_worst,
            "r_max": self.r_max, "k": self.k, **{str(n): c for n, c in self.theorems.items()},
            "worst_case": {"eps_m": self.eps_model_worst, "eps_model_shifted": self.eps_model_worst,
                           **{str(n): c for n, c in self.theorems_worst.items()}},
            "lemmas": self.lemmas, "holds": self.holds,
        }


def theorem_checks(mdp: tb.FiniteMDP, eta: float, eta_model: float, eta_branch: float, k: int,
                   eps_model: float, eps_model_shifted: float,
                   eps_policy: float) -> dict[Theorem, BoundCheck]:
    """The three theorems at rollout length k with the given ε values."""
    g, r = mdp.gamma, mdp.r_max
    tol = REL_TOL * max(1.0, r / (1.0 - g))
    t41, t42, t43 = Theorem.THEOREM_4_1, Theorem.THEOREM_4_2, Theorem.THEOREM_4_3
    return {
        t41: BoundCheck(t41, None, theorem_4_1(g, r, eps_model, eps_policy).total, eta_model,
                        eta, tol),
        t42: BoundCheck(t42, k, theorem_4_2(g, r, eps_model, eps_policy, k).total, eta_branch,
                        eta, tol),
        t43: BoundCheck(t43, k, theorem_4_3(g, r, eps_model_shifted, eps_policy, k).total,
                        eta_branch, eta, tol),
    }


def lemma_checks(mdp: tb.FiniteMDP, eps_model: float, eps_policy: float) -> dict[Lemma, LemmaCheck]:
    """Lemmas B.1–B.3 for process 1 = (P, π_D) and process 2 = (P_model, π).

    B.1 on the joint law of (s_t, a_t, s_{t+1}) for t < B1_STEPS; B.2 on the state marginals
    for every t until both converge (worst ratio reported); B.3 on the two returns, and again for
    (P, π) against (P, π_D), where the model error is zero.
    """
    g, r = mdp.gamma, mdp.r_max
    tol_p = 1e-12
    k1 = tb.policy_kernel(mdp.P, mdp.pi_data)
    k2 = tb.policy_kernel(mdp.P_model, mdp.pi)
    # Conditional laws of (a, s') given s for both processes, flattened.
    c1 = (mdp.pi_data[:, :, None] * mdp.P).reshape(mdp.num_states, -1)
    c2 = (mdp.pi[:, :, None] * mdp.P_model).reshape(mdp.num_states, -1)
    cond_tv = 0.5 * np.abs(c1 - c2).sum(axis=1)
    d1 = tb.marginals(mdp.mu0, k1, min_steps=B1_STEPS)
    d2 = tb.marginals(mdp.mu0, k2, min_steps=B1_STEPS)
    n = max(len(d1), len(d2))  # after convergence a chain's marginal stays put
    d1 = np.concatenate([d1, np.repeat(d1[-1:], n - len(d1), axis=0)])
    d2 = np.concatenate([d2, np.repeat(d2[-1:], n - len(d2), axis=0)])
    t = np.arange(n)
    tv_marg = 0.5 * np.abs(d1 - d2).sum(axis=1)
    excess_b2 = tv_marg - t * (eps_model + eps_policy)
    i2 = int(np.argmax(excess_b2))
    m = min(n, B1_STEPS)
    joint = 0.5 * np.abs(d1[:m, :, None] * c1 - d2[:m, :, None] * c2).sum(axis=(1, 2))
    rhs_b1 = tv_marg[:m] + d1[:m] @ cond_tv
    i1 = int(np.argmax(joint - rhs_b1))
    eta_d = tb.discounted_return(mdp.mu0, mdp.P, mdp.pi_data, mdp.r, g)
    eta_hat = tb.discounted_return(mdp.mu0, mdp.P_model, mdp.pi, mdp.r, g)
    eta_pi = tb.discounted_return(mdp.mu0, mdp.P, mdp.pi, mdp.r, g)
    tol_r = REL_TOL * max(1.0, r / (1.0 - g))
    return {
        Lemma.B1: LemmaCheck(Lemma.B1, float(joint[i1]), float(rhs_b1[i1]), tol_p,
                             f"joint (s, a, s') TV at t={i1}"),
        Lemma.B2: LemmaCheck(Lemma.B2, float(tv_marg[i2]),
                             float(i2 * (eps_model + eps_policy)), tol_p,
                             f"state-marginal TV at t={i2}"),
        Lemma.B3: LemmaCheck(Lemma.B3, abs(eta_d - eta_hat), lemma_b3(g, r, eps_model, eps_policy),
                             tol_r, "(P, pi_D) vs (P_model, pi)"),
        Lemma.B3_POLICY: LemmaCheck(Lemma.B3_POLICY, abs(eta_pi - eta_d),
                                    lemma_b3(g, r, 0.0, eps_policy), tol_r,
                                    "(P, pi) vs (P, pi_D), eps_m = 0"),
    }


PerK = dict[int, dict[Theorem, BoundCheck]]


def evaluate(mdp: tb.FiniteMDP, ks: list[int] | None = None, *,
             with_lemmas: bool = True) -> tuple[TabularEvaluation, PerK]:
    """Evaluate one instance exactly.

    Returns the evaluation at ``mdp.k`` and, for every k in ``ks`` (default: just ``mdp.k``),
    the branched-theorem checks (expected-ε variants) keyed by k.
    """
    ks = sorted({mdp.k, *(ks or [])})
    g = mdp.gamma
    eta = tb.discounted_return(mdp.mu0, mdp.P, mdp.pi, mdp.r, g)
    eta_model = tb.discounted_return(mdp.mu0, mdp.P_model, mdp.pi, mdp.r, g)
    branch = tb.branched_returns(mdp, ks)
    eps_policy = tb.eps_policy(mdp)
    eps_model = tb.eps_model_under(mdp, mdp.pi_data)
    eps_model_shifted = tb.eps_model_under(mdp, mdp.pi)
    eps_worst = tb.eps_model_worst(mdp)
    per_k = {k: theorem_checks(mdp, eta, eta_model, branch[k], k, eps_model, eps_model_shifted,
                               eps_policy)
             for k in ks}
    worst = theorem_checks(mdp, eta, eta_model, branch[mdp.k], mdp.k, eps_worst, eps_worst,
                           eps_policy)
    lemmas = lemma_checks(mdp, eps_model, eps_policy) if with_lemmas else {}
    evaluation = TabularEvaluation(
        eta=eta, eta_model=eta_model, eta_branch=branch, eps_policy=eps_policy, eps_model=eps_model,
        eps_model_shifted=eps_model_shifted, eps_model_worst=eps_worst, r_max=mdp.r_max, k=mdp.k,
        theorems=per_k[mdp.k], theorems_worst=worst, lemmas=lemmas,
    )
    return evaluation, per_k
