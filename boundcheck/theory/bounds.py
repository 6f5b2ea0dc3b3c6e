"""The MBPO return bounds: Theorems 4.1, 4.2 and 4.3 of Janner et al. (NeurIPS 2019).

Symbols (paper Section 4 and Appendix A; docs/theory.md):

- ``gamma``: discount factor γ ∈ (0, 1).
- ``r_max``: max |r(s, a)| ≥ 0.
- ``eps_model`` (ε_m): model error, a total-variation distance in [0, 1], expected under the
  data-collecting policy π_D's state distribution (sup over time steps).
- ``eps_policy`` (ε_π): policy shift, max_s D_TV(π(·|s) ‖ π_D(·|s)) ∈ [0, 1].
- ``eps_model_shifted`` (ε_m′): model error under the new policy π, ∈ [0, 1].
- ``k``: branched rollout length, a non-negative integer.

Each theorem states η[π] ≥ η̂ − C. Every function here returns C split into the part that
multiplies ε_π (``policy_shift``) and the part that multiplies the model error
(``model_error``); ``total`` = C. All values are in units of return (r_max's unit).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass


class TheoryInputError(ValueError):
    """An argument of a theory function is outside its domain.

    ``param`` names the offending argument (e.g. ``"eps_policy"``) so a caller can map it to
    its own option name.
    """

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param
        self.detail = message


def check_gamma(gamma: float, param: str = "gamma") -> float:
    """Validate 0 < γ < 1 (finite)."""
    if not isinstance(gamma, (int, float)) or not math.isfinite(gamma) or not 0.0 < gamma < 1.0:
        raise TheoryInputError(param, f"must be strictly between 0 and 1, got {gamma!r}")
    return float(gamma)


def check_tv(value: float, param: str) -> float:
    """Validate a total-variation distance: finite and in [0, 1]."""
    if not isinstance(value, (int, float)) or not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise TheoryInputError(param, f"is a total-variation distance and must lie in [0, 1], "
                                      f"got {value!r}")
    return float(value)


def check_r_max(r_max: float, param: str = "r_max") -> float:
    """Validate r_max ≥ 0 (finite)."""
    if not isinstance(r_max, (int, float)) or not math.isfinite(r_max) or r_max < 0:
        raise TheoryInputError(param, f"must be a finite number >= 0, got {r_max!r}")
    return float(r_max)


def check_k(k: int, param: str = "k") -> int:
    """Validate a rollout length: a non-negative integer."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise TheoryInputError(param, f"must be a non-negative integer, got {k!r}")
    return k


def check_slope(slope: float, param: str = "slope") -> float:
    """Validate the slope dε_m′/dε_π: any finite number."""
    if not isinstance(slope, (int, float)) or not math.isfinite(slope):
        raise TheoryInputError(param, f"must be a finite number, got {slope!r}")
    return float(slope)


@dataclass(frozen=True)
class Penalty:
    """The penalty C of one theorem, split into its parts (units of return).

    ``informative`` is True when C is smaller than the trivial return range 2·r_max/(1−γ): only
    then can the lower bound η̂ − C say anything that |η| ≤ r_max/(1−γ) does not already say.
    """

    theorem: str
    policy_shift: float
    model_error: float
    trivial_range: float

    @property
    def total(self) -> float:
        """C = policy-shift part + model-error part."""
        return self.policy_shift + self.model_error

    @property
    def informative(self) -> bool:
        """Whether C < 2·r_max/(1−γ)."""
        return self.total < self.trivial_range

    def as_dict(self) -> dict[str, float | bool | str]:
        """JSON-ready form: ``C``, its parts, ``trivial_range`` and ``informative``."""
        return {
            "theorem": self.theorem,
            "C": self.total,
            "policy_shift": self.policy_shift,
            "model_error": self.model_error,
            "trivial_range": self.trivial_range,
            "informative": self.informative,
        }


def trivial_range(gamma: float, r_max: float) -> float:
    """2·r_max/(1−γ): the width of the interval every discounted return lies in."""
    return 2.0 * check_r_max(r_max) / (1.0 - check_gamma(gamma))


def eps_model_shifted_linear(eps_model: float, eps_policy: float, slope: float) -> float:
    """Linear approximation of ε_m′ (paper Section 4.3): ε̂_m′(ε_π) = ε_m + ε_π · dε_m′/dε_π.

    The result is projected onto [0, 1] (a TV distance can be neither negative nor above 1);
    use :func:`eps_model_shifted_linear_raw` to see whether the projection was active.
    """
    return min(1.0, max(0.0, eps_model_shifted_linear_raw(eps_model, eps_policy, slope)))


def eps_model_shifted_linear_raw(eps_model: float, eps_policy: float, slope: float) -> float:
    """ε_m + ε_π · slope, without the projection onto [0, 1]."""
    return check_tv(eps_model, "eps_model") + check_tv(eps_policy, "eps_policy") * check_slope(
        slope
    )


def theorem_4_1(gamma: float, r_max: float, eps_model: float, eps_policy: float) -> Penalty:
    """Theorem 4.1 (full model rollouts): η[π] ≥ η̂[π] − C with

    C = 2γ r_max (ε_m + 2ε_π)/(1−γ)² + 4 r_max ε_π/(1−γ).

    Model-error part: 2γ r_max ε_m/(1−γ)². Policy-shift part: the rest.
    """
    g, r = check_gamma(gamma), check_r_max(r_max)
    em, ep = check_tv(eps_model, "eps_model"), check_tv(eps_policy, "eps_policy")
    one = 1.0 - g
    return Penalty(
        theorem="4.1",
        policy_shift=4.0 * g * r * ep / one**2 + 4.0 * r * ep / one,
        model_error=2.0 * g * r * em / one**2,
        trivial_range=2.0 * r / one,
    )


def theorem_4_2(gamma: float, r_max: float, eps_model: float, eps_policy: float, k: int) -> Penalty:
    """Theorem 4.2 (k-step branched rollouts, pessimistic): η[π] ≥ η^branch[π] − C with

    C = 2 r_max [ γ^{k+1} ε_π/(1−γ)² + (γ^k + 2) ε_π/(1−γ) + k (ε_m + 2ε_π)/(1−γ) ].

    Model-error part: 2 r_max k ε_m/(1−γ). Policy-shift part: the rest.
    """
    g, r, kk = check_gamma(gamma), check_r_max(r_max), check_k(k)
    em, ep = check_tv(eps_model, "eps_model"), check_tv(eps_policy, "eps_policy")
    one = 1.0 - g
    gk = g**kk
    shift = g * gk * ep / one**2 + (gk + 2.0) * ep / one + kk * 2.0 * ep / one
    return Penalty(
        theorem="4.2",
        policy_shift=2.0 * r * shift,
        model_error=2.0 * r * kk * em / one,
        trivial_range=2.0 * r / one,
    )


def theorem_4_3(
    gamma: float, r_max: float, eps_model_shifted: float, eps_policy: float, k: int
) -> Penalty:
    """Theorem 4.3 (branched rollouts with ε_m′): η[π] ≥ η^branch[π] − C with

    C = 2 r_max [ γ^{k+1} ε_π/(1−γ)² + γ^k ε_π/(1−γ) + k ε_m′/(1−γ) ].

    The γ^k (not γ^k + 2) follows the paper's text after the theorem and its appendix proof
    (Appendix B; docs/theory.md). Model-error part: 2 r_max k ε_m′/(1−γ). Policy-shift part:
    the rest, which simplifies to 2 r_max ε_π γ^k/(1−γ)².
    """
    g, r, kk = check_gamma(gamma), check_r_max(r_max), check_k(k)
    emp = check_tv(eps_model_shifted, "eps_model_shifted")
    ep = check_tv(eps_policy, "eps_policy")
    one = 1.0 - g
    gk = g**kk
    return Penalty(
        theorem="4.3",
        policy_shift=2.0 * r * (g * gk * ep / one**2 + gk * ep / one),
        model_error=2.0 * r * kk * emp / one,
        trivial_range=2.0 * r / one,
    )


def lemma_b3(gamma: float, r_max: float, eps_model: float, eps_policy: float) -> float:
    """Lemma B.3: |η_1 − η_2| ≤ 2 r_max [ γ(ε_π + ε_m)/(1−γ)² + ε_π/(1−γ) ].

    ε_m is the expected transition TV under process 1's state-action distribution (sup over
    time); ε_π the max over states of the policies' TV.
    """
    g, r = check_gamma(gamma), check_r_max(r_max)
    em, ep = check_tv(eps_model, "eps_model"), check_tv(eps_policy, "eps_policy")
    one = 1.0 - g
    return 2.0 * r * (g * (ep + em) / one**2 + ep / one)


def largest_informative_gamma(penalty_at: Callable[[float], Penalty], *,
                              tol: float = 1e-9) -> float | None:
    """sup{γ ∈ (0, 1) : ``penalty_at(γ)`` is informative}, or None when no γ > 0 is.

    ``penalty_at(γ)`` is one theorem's penalty at γ with the ε's (and k) held fixed, e.g.
    ``lambda g: theorem_4_1(g, 1.0, eps_m, eps_pi)``. Informative means C < 2 r_max/(1−γ)
    (:attr:`Penalty.informative`); the ratio C(1−γ)/(2 r_max) does not depend on r_max and
    grows with γ in all three theorems (every term is a non-negative multiple of γ^j or of
    γ/(1−γ)), so the informative γ form an interval (0, γ*) and bisection finds γ* to ``tol``.
    """
    def ratio(g: float) -> float:
        pen = penalty_at(g)
        return pen.total / pen.trivial_range

    low, high = 0.0, 1.0 - 1e-12
    if ratio(tol) >= 1.0:
        return None
    if ratio(high) < 1.0:
        return high
    low = tol
    while high - low > tol:
        mid = 0.5 * (low + high)
        low, high = (mid, high) if ratio(mid) < 1.0 else (low, mid)
    return low


def informative_gammas(eps_model: float, eps_model_shifted: float, eps_policy: float,
                       k: int) -> dict[str, float | None]:
    """Per theorem (``"4.1"``, ``"4.2"``, ``"4.3"``), :func:`largest_informative_gamma` with
    these ε's and k held fixed (r_max cancels; 4.3 takes ε_m′, the others ε_m)."""
    return {
        "4.1": largest_informative_gamma(lambda g: theorem_4_1(g, 1.0, eps_model, eps_policy)),
        "4.2": largest_informative_gamma(
            lambda g: theorem_4_2(g, 1.0, eps_model, eps_policy, k)),
        "4.3": largest_informative_gamma(
            lambda g: theorem_4_3(g, 1.0, eps_model_shifted, eps_policy, k)),
    }
