"""The rollout length k* that minimises the Theorem 4.3 bound (paper Section 4.3; docs/theory.md).

The Theorem 4.3 penalty is 2 r_max times the bracket

    f(k) = γ^{k+1} ε_π/(1−γ)² + γ^k ε_π/(1−γ) + k ε_m′/(1−γ)
         = ε_π γ^k/(1−γ)² + k ε_m′/(1−γ),

so f(k) − f(k+1) = (ε_π γ^k − ε_m′)/(1−γ): f falls while γ^k > ρ = ε_m′/ε_π and rises after.
The smallest minimiser is k* = max(0, ⌈ln ρ / ln γ⌉); k* > 0 iff ε_m′ < ε_π. k* depends on
(ε_m′, ε_π) only through ρ. With ε_m′ = 0 < ε_π the bracket decreases for ever: no finite
minimiser exists and :func:`k_star_closed_form` returns ``None``.

Units: the bracket f(k) is the penalty C divided by 2·r_max, i.e. C in units of 2·r_max.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from boundcheck.theory.bounds import check_gamma, check_k, check_tv


@dataclass(frozen=True)
class BracketTerms:
    """The Theorem 4.3 bracket at one k (units of 2·r_max, see the module docstring)."""

    k: int
    policy_shift: float
    model_error: float

    @property
    def total(self) -> float:
        """f(k) = policy-shift term + model-error term."""
        return self.policy_shift + self.model_error

    def __json_encode__(self) -> dict[str, float | int]:
        """``{k, policy_shift, model_error, total}``."""
        return {
            "k": self.k,
            "policy_shift": self.policy_shift,
            "model_error": self.model_error,
            "total": self.total,
        }


def bracket_terms(gamma: float, eps_policy: float, eps_model_shifted: float,
                  k: int) -> BracketTerms:
    """The Theorem 4.3 bracket at rollout length k, split into its two terms.

    policy_shift = γ^{k+1} ε_π/(1−γ)² + γ^k ε_π/(1−γ); model_error = k ε_m′/(1−γ).
    """
    g, kk = check_gamma(gamma), check_k(k)
    ep = check_tv(eps_policy, "eps_policy")
    emp = check_tv(eps_model_shifted, "eps_model_shifted")
    one = 1.0 - g
    gk = g**kk
    return BracketTerms(k=kk, policy_shift=g * gk * ep / one**2 + gk * ep / one,
                        model_error=kk * emp / one)


#: Relative difference below which two bracket totals count as tied (see k_star_exhaustive).
_TIE_REL = 1e-12


def k_star_closed_form(gamma: float, eps_policy: float, eps_model_shifted: float) -> int | None:
    """k* = max(0, ⌈ln(ε_m′/ε_π)/ln γ⌉), the smallest minimiser of the 4.3 bracket.

    Returns 0 when ε_π = 0 (no policy term to trade against) and ``None`` when ε_m′ = 0 < ε_π
    (the bracket decreases for ever). The ceiling is corrected against the exact step criterion
    γ^k ≤ ρ so that floating-point rounding of the logarithms cannot shift k* by one.
    """
    g = check_gamma(gamma)
    ep = check_tv(eps_policy, "eps_policy")
    emp = check_tv(eps_model_shifted, "eps_model_shifted")
    if ep == 0.0:
        return 0
    if emp == 0.0:
        return None
    return k_star_from_ratio(g, emp / ep)


def k_star_from_ratio(gamma: float, ratio: float) -> int | None:
    """k* as a function of ρ = ε_m′/ε_π ≥ 0 alone (``None`` for ρ = 0: unbounded)."""
    g = check_gamma(gamma)
    if not math.isfinite(ratio) or ratio < 0:
        raise ValueError(f"ratio must be a finite number >= 0, got {ratio!r}")
    if ratio == 0.0:
        return None
    if ratio >= 1.0:
        return 0
    k = max(0, math.ceil(math.log(ratio) / math.log(g)))
    # Smallest k with γ^k <= ρ (f(k) <= f(k+1) from then on). γ^k = ρ is a tie, f(k) = f(k+1),
    # taken within the same relative tolerance as k_star_exhaustive, so that ρ = ε_m′/ε_π
    # rounded an ulp below γ^k still gives the smaller k.
    limit = ratio * (1.0 + _TIE_REL)
    while k > 0 and g ** (k - 1) <= limit:
        k -= 1
    while g**k > limit:
        k += 1
    return k


def k_star_exhaustive(gamma: float, eps_policy: float, eps_model_shifted: float, k_max: int) -> int:
    """argmin of the bracket over k = 0..k_max by direct evaluation (smallest on ties).

    A tie is two totals within a relative 1e-12: at an exact tie (γ^k = ρ, so f(k) = f(k+1))
    rounding often makes f(k+1) a few ulps smaller, and a strict argmin would then report
    k + 1 where the closed form rightly says k. Differences below 1e-12 are not resolvable in
    double precision anyway.
    """
    kk = check_k(k_max, "k_max")
    totals = [bracket_terms(gamma, eps_policy, eps_model_shifted, k).total for k in range(kk + 1)]
    best = min(totals)
    return next(k for k, total in enumerate(totals) if total <= best * (1.0 + _TIE_REL))


def default_table_k_max(k_star: int | None) -> int:
    """Table range used by ``boundcheck optimal-k``: k = 0..max(2k*, 10)."""
    return 10 if k_star is None else max(2 * k_star, 10)


def default_ratio_grid() -> list[float]:
    """ρ = ε_m′/ε_π from 0.01 to 0.99 in steps of 0.01, then 1 (k* = 0 for every ρ ≥ 1)."""
    return [round(0.01 * i, 2) for i in range(1, 100)] + [1.0]
