"""The bound ladder on a finite MDP: valid bounds beyond MBPO's, each evaluated exactly
(docs/ladder.md states and proves every rung).

Each rung bounds an exact quantity ``gap`` by ``bound``; a rung *holds* when |gap| ≤ bound up to
the round-off tolerance of :mod:`boundcheck.theory.checks`, and its *tightness* is |gap|/bound
(above 1: violated). Notation as in :mod:`boundcheck.theory.tabular`; P_π, P̂_π, P_D are the
state kernels of (P, π), (P̂, π) and (P, π_D); d_t, d̂_t, q_t the state marginals of those
three chains from μ0; m(s) = E_{a~π(·|s)} D_TV(P(·|s, a) ‖ P̂(·|s, a)); τ(s) = D_TV(π(·|s) ‖
π_D(·|s)).

- rung 2, expected-TV bounds: each step's reward gap charged by the TV between the two state
  (or state-action) marginals, itself bounded by a sum of *expected* per-step errors along the
  chain and saturated at 1. Three quantities: η̂ (full model rollouts, Theorem 4.1's),
  η^branch as verify-tabular evaluates it (Lemma B.4's: k model steps of π from μ0, then π_D in
  P) and the data-branched return (MBPO's practice: π_D in P for (t − k)⁺ steps, then π in the
  model for min(t, k) steps).
- rung 3, the coupling bound (:mod:`boundcheck.theory.coupling`).
- rung 4, the advantage-weighted policy shift (Achiam et al. 2017, CPO, Corollary 1 via its
  Lemma 3) and its saturated form.
- rung 5, the value-aware model error from the telescoping identity (Luo et al. 2019, SLBO
  Lemma 4.3; Yu et al. 2020, MOPO Lemma 4.1), with the occupancy in the model and V in the true
  MDP, and the swapped form (true occupancy, model values) that model rollouts can measure.

Infinite sums over time are cut at a horizon T where γ^T ≤ 1e-13 (at most 200,000 steps) and
the remaining tail is bounded by its largest value, span · γ^T/(1 − γ), so the cut never makes
a bound smaller. (The state marginals are taken as converged once one step moves them by less
than 1e-13 in max-norm; a chain that still drifts after that is approximated there, far inside
the round-off tolerance of the checks.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from boundcheck.theory import tabular as tb
from boundcheck.theory.charges import branch_charges, data_branch_charges, model_charges
from boundcheck.theory.checks import MIN_C_FACTOR, REL_TOL
from boundcheck.theory.coupling import coupling_bound, eps_coupling
from boundcheck.theory.tabular import Array, FiniteMDP

HORIZON_TOL = 1e-13
HORIZON_MAX = 200_000


class Rung(StrEnum):
    """The ladder's exactly checked bounds; the value is the name the JSON carries."""

    EXPECTED_TV_MODEL = "expected_tv_model"
    EXPECTED_TV_BRANCH = "expected_tv_branch"
    EXPECTED_TV_DATA_BRANCH = "expected_tv_data_branch"
    COUPLING = "coupling"
    CPO = "cpo"
    CPO_SATURATED = "cpo_saturated"
    VALUE_AWARE_MODEL = "value_aware_model"
    VALUE_AWARE_TRUE = "value_aware_true"


#: The rungs whose quantity depends on the rollout length k.
K_RUNGS = (Rung.EXPECTED_TV_BRANCH, Rung.EXPECTED_TV_DATA_BRANCH)


@dataclass(frozen=True)
class RungCheck:
    """One rung on one instance: |gap| ≤ bound? ``scale`` is the return range span(r)/(1 − γ)."""

    rung: Rung
    k: int | None
    gap: float
    bound: float
    scale: float
    tol: float

    @property
    def holds(self) -> bool:
        """|gap| ≤ bound up to the round-off tolerance."""
        return abs(self.gap) <= self.bound + self.tol

    @property
    def tightness(self) -> float:
        """|gap|/bound where the bound exceeds ``MIN_C_FACTOR`` × the round-off tolerance (as
        :attr:`boundcheck.theory.checks.BoundCheck.tightness`). Below that the ratio is noise:
        0 when the check holds, inf when it does not (second-order quantities such as CPO's
        gap, of order τ², reach that scale when π is within 10⁻³ of π_D)."""
        if MIN_C_FACTOR * self.tol < self.bound:
            return abs(self.gap) / self.bound
        return 0.0 if self.holds else math.inf

    @property
    def fraction(self) -> float:
        """The bound as a fraction of the return range (0 for a constant reward)."""
        return self.bound / self.scale if self.scale > 0 else 0.0

    def __json_encode__(self) -> dict[str, Any]:
        """gap, bound, fraction_of_range, holds, tightness and, for k-rungs, k."""
        out: dict[str, Any] = {"gap": self.gap, "bound": self.bound,
                               "fraction_of_range": self.fraction, "holds": self.holds,
                               "tightness": self.tightness}
        if self.k is not None:
            out["k"] = self.k
        return out


def horizon(gamma: float) -> int:
    """The cut T of the time sums: γ^T ≤ HORIZON_TOL, at most HORIZON_MAX."""
    return int(min(HORIZON_MAX, max(1, math.ceil(math.log(HORIZON_TOL) / math.log(gamma)))))


def saturated_sum(charges: Array, gamma: float) -> float:
    """Σ_{t<T} γ^t min(1, c_t) + γ^T/(1 − γ) for T = len(charges): the sum of the saturated
    per-step TVs, the cut tail bounded by 1 a step."""
    t = np.arange(len(charges))
    head = float(np.sum(gamma**t * np.minimum(1.0, charges)))
    return head + gamma ** len(charges) / (1.0 - gamma)


def _rows(mu0: Array, kernel: Array, n: int) -> Array:
    """The first n marginals μ0 K^t (after convergence the last one repeated)."""
    d = tb.marginals(mu0, kernel, t_max=n - 1)
    return np.concatenate([d, np.repeat(d[-1:], n - len(d), axis=0)])


def _span(x: Array) -> float:
    return float(np.max(x) - np.min(x))


def data_branched_return(mdp: FiniteMDP, k: int) -> float:
    """MBPO's branched return: the reward of π at step t from the state reached by π_D in P for
    (t − k)⁺ steps and then π in P̂ for min(t, k) steps:
    Σ_{t<k} γ^t μ0 P̂_π^t r_π + γ^k μ0 (I − γ P_D)⁻¹ P̂_π^k r_π."""
    g = mdp.gamma
    model = tb.policy_kernel(mdp.P_model, mdp.pi)
    r_pi = tb.policy_reward(mdp.r, mdp.pi)
    head, d = 0.0, mdp.mu0
    for t in range(k):
        head += g**t * float(d @ r_pi)
        d = d @ model
    tail = np.linalg.matrix_power(model, k) @ r_pi
    data = tb.policy_kernel(mdp.P, mdp.pi_data)
    return head + g**k * float(mdp.mu0 @ np.linalg.solve(np.eye(mdp.num_states) - g * data, tail))


def ladder_checks(mdp: FiniteMDP, ks: list[int] | None = None) -> dict[Rung, dict[int | None,
                                                                              RungCheck]]:
    """Every rung on ``mdp``; the k-rungs at every k of ``ks`` (default: the instance's k), the
    others under the key None."""
    g = mdp.gamma
    ks = sorted({mdp.k, *(ks or [])})
    span_r = _span(mdp.r)
    scale = span_r / (1.0 - g)
    tol = REL_TOL * max(1.0, mdp.r_max / (1.0 - g))
    n = horizon(g)
    true_pi = tb.policy_kernel(mdp.P, mdp.pi)
    model_pi = tb.policy_kernel(mdp.P_model, mdp.pi)
    r_pi = tb.policy_reward(mdp.r, mdp.pi)
    m = tb.expected_tv_per_state(mdp, mdp.pi)
    tau = tb.tv_policies(mdp.pi, mdp.pi_data)
    d = _rows(mdp.mu0, true_pi, n + 1)
    q = _rows(mdp.mu0, tb.policy_kernel(mdp.P, mdp.pi_data), n + 1)
    eta = tb.discounted_return(mdp.mu0, mdp.P, mdp.pi, mdp.r, g)
    eta_hat = tb.discounted_return(mdp.mu0, mdp.P_model, mdp.pi, mdp.r, g)

    def check(rung: Rung, gap: float, bound: float, k: int | None = None) -> RungCheck:
        return RungCheck(rung, k, gap, bound, scale, tol)

    out: dict[Rung, dict[int | None, RungCheck]] = {rung: {} for rung in Rung}
    model_err = d @ m  # E_{d_t} m, t = 0..n
    out[Rung.EXPECTED_TV_MODEL][None] = check(
        Rung.EXPECTED_TV_MODEL, eta - eta_hat,
        _span(r_pi) * saturated_sum(model_charges(model_err, n), g))
    branch = tb.branched_returns(mdp, ks)
    shift = d @ tau  # E_{d_t} τ
    for k in ks:
        out[Rung.EXPECTED_TV_BRANCH][k] = check(
            Rung.EXPECTED_TV_BRANCH, eta - branch[k],
            span_r * saturated_sum(branch_charges(model_err, shift, k, n), g), k)
        out[Rung.EXPECTED_TV_DATA_BRANCH][k] = check(
            Rung.EXPECTED_TV_DATA_BRANCH, eta - data_branched_return(mdp, k),
            _span(r_pi) * saturated_sum(_data_branch_charges(q, tau, model_pi, m, k, n), g),
            k)
    out[Rung.COUPLING][None] = check(Rung.COUPLING, eta - eta_hat, coupling_bound(
        g, eps_coupling(mdp, mdp.pi), span_r))
    out.update(_cpo_rungs(mdp, tau, check))
    out.update(_value_aware_rungs(mdp, eta, eta_hat, check))
    return out


def _data_branch_charges(q: Array, tau: Array, model_pi: Array, m: Array, k: int,
                         n: int) -> Array:
    """Rung 2c's charges from the exact marginals (:func:`~boundcheck.theory.charges.
    data_branch_charges`): model_from[s, j] = q_s · Σ_{i<j} P̂_π^i m."""
    w = [np.zeros_like(m)]  # w_j = Σ_{i<j} P̂_π^i m, j = 0..k
    step = m.copy()
    for _ in range(k):
        w.append(w[-1] + step)
        step = model_pi @ step
    model_from = q[: max(1, n - k)] @ np.stack(w, axis=1)
    return data_branch_charges(q[:n] @ tau, model_from, k, n)


@dataclass(frozen=True)
class CpoTerms:
    """Rung 4's parts on one instance (docs/ladder.md): the surrogate L = E_{d^{π_D}}[Ā]/(1 − γ),
    Ā(s) = E_{a~π} A^{π_D}(s, a), d^{π_D} the normalised discounted state distribution of π_D;
    the mean shift E_{d^{π_D}}[TV(π, π_D)]; ε_A = max_s |Ā(s)|; span(Ā); and the gap
    η[π] − η[π_D] − L the penalties bound."""

    surrogate: float
    gap: float
    mean_shift: float
    eps_a: float
    span_a: float
    gamma: float

    @property
    def penalty(self) -> float:
        """CPO's (Corollary 1): 2 γ ε_A E[TV]/(1 − γ)²."""
        return 2.0 * self.gamma * self.eps_a * self.mean_shift / (1.0 - self.gamma) ** 2

    @property
    def penalty_saturated(self) -> float:
        """The saturated form: span(Ā) min(1, γ E[TV]/(1 − γ))/(1 − γ)."""
        g = self.gamma
        return self.span_a * min(1.0, g * self.mean_shift / (1.0 - g)) / (1.0 - g)


def cpo_terms(mdp: FiniteMDP, tau: Array | None = None) -> CpoTerms:
    """:class:`CpoTerms` of ``mdp`` (``tau``: the per-state TV(π, π_D), computed if None)."""
    g = mdp.gamma
    tau = tb.tv_policies(mdp.pi, mdp.pi_data) if tau is None else tau
    v_data = tb.values(mdp.P, mdp.pi_data, mdp.r, g)
    advantage = mdp.r + g * mdp.P @ v_data - v_data[:, None]
    a_bar = np.einsum("sa,sa->s", mdp.pi, advantage)
    kernel = tb.policy_kernel(mdp.P, mdp.pi_data)
    occupancy = (1.0 - g) * np.linalg.solve((np.eye(mdp.num_states) - g * kernel).T, mdp.mu0)
    eta = tb.discounted_return(mdp.mu0, mdp.P, mdp.pi, mdp.r, g)
    surrogate = float(occupancy @ a_bar) / (1.0 - g)
    return CpoTerms(surrogate=surrogate, gap=(eta - float(mdp.mu0 @ v_data)) - surrogate,
                    mean_shift=float(occupancy @ tau), eps_a=float(np.max(np.abs(a_bar))),
                    span_a=_span(a_bar), gamma=g)


def cpo_certify_threshold(gamma: float) -> float:
    """The mean policy shift at and above which rung 4 (CPO, Corollary 1) cannot certify an
    improvement, whatever the advantages: (1 − γ)/(2γ).

    Its lower bound η[π] − η[π_D] ≥ L − 2γ ε_A E[TV]/(1 − γ)² is positive only if
    E_{d^{π_D}}[Ā] > 2γ ε_A E[TV]/(1 − γ), and E[Ā] ≤ max_s |Ā(s)| = ε_A, so only if
    E_{d^{π_D}}[TV(π, π_D)] < (1 − γ)/(2γ). It needs no advantage estimate: an expectation of
    the policy shift, which a run can measure, decides it (docs/ladder.md, rung 4)."""
    if not 0.0 < gamma < 1.0:
        raise ValueError(f"gamma must be in (0, 1), got {gamma!r}")
    return (1.0 - gamma) / (2.0 * gamma)


def _cpo_rungs(mdp: FiniteMDP, tau: Array, check: Any) -> dict[Rung, dict[
        int | None, RungCheck]]:
    """Rung 4 (docs/ladder.md): the surrogate against η − η[π_D] (:func:`cpo_terms`)."""
    terms = cpo_terms(mdp, tau)
    return {Rung.CPO: {None: check(Rung.CPO, terms.gap, terms.penalty)},
            Rung.CPO_SATURATED: {None: check(Rung.CPO_SATURATED, terms.gap,
                                             terms.penalty_saturated)}}


def value_aware_terms(mdp: FiniteMDP, occupancy_in_model: bool) -> tuple[Array, Array]:
    """(ρ, G): the unnormalised discounted state-action occupancy of π and the one-step value
    error G(s, a) = E_{P̂(·|s, a)} V − E_{P(·|s, a)} V, with (ρ in P̂, V = V^π in P) or, swapped,
    (ρ in P, V = V^π in P̂). Then η_P̂ − η_P = γ Σ ρ G (model occupancy) or η_P − η_P̂ = γ Σ ρ G
    with the signs of G reversed (true occupancy): docs/ladder.md, rung 5."""
    g = mdp.gamma
    visit, value = (mdp.P_model, mdp.P) if occupancy_in_model else (mdp.P, mdp.P_model)
    v = tb.values(value, mdp.pi, mdp.r, g)
    states = np.linalg.solve((np.eye(mdp.num_states) - g * tb.policy_kernel(visit, mdp.pi)).T,
                             mdp.mu0)
    return states[:, None] * mdp.pi, mdp.P_model @ v - mdp.P @ v


def _value_aware_rungs(mdp: FiniteMDP, eta: float, eta_hat: float, check: Any) -> dict[
        Rung, dict[int | None, RungCheck]]:
    """Rung 5 both ways: |η − η̂| ≤ γ Σ ρ |G|."""
    out: dict[Rung, dict[int | None, RungCheck]] = {}
    for rung, in_model in ((Rung.VALUE_AWARE_MODEL, True), (Rung.VALUE_AWARE_TRUE, False)):
        rho, err = value_aware_terms(mdp, in_model)
        out[rung] = {None: check(rung, eta - eta_hat, mdp.gamma * float(np.sum(rho * np.abs(
            err))))}
    return out


def sup_model_fraction(gamma: float, eps_sup: float) -> float:
    """Rung 2a from a measured sup over time: with ε_m′ ≥ sup_t E_{d_t} m, the charges
    Σ_{j<t} E_{d_j} m are at most t ε_m′, so |η − η̂| ≤ span(r_π) Σ_t γ^t min(1, t ε_m′). Returned
    as a fraction of the range span/(1 − γ): (1 − γ) Σ_t γ^t min(1, t ε_m′), summed up to the
    step where the charge saturates (or the cut of :func:`horizon`, the tail bounded by 1)."""
    if not 0.0 <= eps_sup <= 1.0:
        raise ValueError(f"eps_sup must be a TV in [0, 1], got {eps_sup!r}")
    n = horizon(gamma) if eps_sup == 0.0 else min(horizon(gamma), math.ceil(1.0 / eps_sup))
    return (1.0 - gamma) * saturated_sum(np.arange(n, dtype=np.float64) * eps_sup, gamma)


def largest_gamma_at_fraction(fraction_at: Any, level: float, tol: float = 1e-9) -> float | None:
    """sup{γ ∈ (0, 1): fraction_at(γ) ≤ level} by bisection, for a fraction that grows with γ
    (None when even γ → 0 is above the level)."""
    low, high = tol, 1.0 - 1e-9
    if fraction_at(low) > level:
        return None
    if fraction_at(high) <= level:
        return high
    while high - low > tol:
        mid = 0.5 * (low + high)
        low, high = (mid, high) if fraction_at(mid) <= level else (low, mid)
    return low
