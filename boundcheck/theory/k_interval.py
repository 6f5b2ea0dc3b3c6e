"""k* with its uncertainty: the range of k* when ε_π, ε_m and the slope dε_m′/dε_π range over
intervals (paper Section 4.3, Theorem 4.3; docs/theory.md, "k* and its interval").

k* depends on the inputs only through ρ = ε_m′/ε_π with ε_m′ = clip(ε_m + ε_π·slope, 0, 1)
(:mod:`boundcheck.theory.optimal_k`), and k*(ρ) is non-increasing in ρ. Over a box
[ε_π] × [ε_m] × [slope], ρ is largest at (ε_π low, ε_m high, slope high) and smallest at
(ε_π high, ε_m low, slope low): ρ rises with ε_m and with the slope, and falls with ε_π
(∂ρ/∂ε_π = −ε_m/ε_π² ≤ 0 where ε_m′ is not clipped, −1/ε_π² where it is clipped at 1, 0 where
it is clipped at 0). So the extreme ratios, and the ends of k*'s range, sit at those two
corners. When each interval has coverage 1 − α/3 (Bonferroni), the box holds the true inputs
with probability at least 1 − α, and so k*'s range holds the true k* with at least 1 − α.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from boundcheck.theory.bounds import TheoryInputError, check_gamma
from boundcheck.theory.optimal_k import k_star_from_ratio

__all__ = ["KStarInterval", "k_star_interval", "ratio_of"]


@dataclass(frozen=True)
class KStarInterval:
    """k*'s range over a box of inputs: ``low`` (at the largest ratio ``ratio_high``) and
    ``high`` (at the smallest, ``ratio_low``). None is unbounded: ``high`` None where the box
    allows ε_m′ = 0, both None where every point of the box has ε_m′ = 0."""

    low: int | None
    high: int | None
    ratio_low: float
    ratio_high: float

    def contains(self, k: int) -> bool:
        """Whether ``k`` lies in the range."""
        if self.low is None:
            return False
        return self.low <= k and (self.high is None or k <= self.high)


def ratio_of(eps_policy: float, eps_model: float, slope: float) -> float:
    """ρ = clip(ε_m + ε_π·slope, 0, 1)/ε_π (infinite at ε_π = 0)."""
    shifted = min(1.0, max(0.0, eps_model + eps_policy * slope))
    if eps_policy <= 0.0:
        return math.inf if shifted > 0 else 0.0
    return shifted / eps_policy


def _interval(name: str, bounds: tuple[float, float], *, tv: bool) -> tuple[float, float]:
    low, high = bounds
    if math.isnan(low) or math.isnan(high) or low > high:
        raise TheoryInputError(name, f"needs an interval low <= high, got {bounds!r}")
    return (min(1.0, max(0.0, low)), min(1.0, max(0.0, high))) if tv else (low, high)


def k_star_interval(gamma: float, eps_policy: tuple[float, float],
                    eps_model: tuple[float, float],
                    slope: tuple[float, float]) -> KStarInterval:
    """k*'s range when the inputs range over the given (low, high) intervals (module doc). TV
    intervals are cut to [0, 1]; an infinite slope end is allowed (a one-seed interval)."""
    g = check_gamma(gamma)
    ep = _interval("eps_policy", eps_policy, tv=True)
    em = _interval("eps_model", eps_model, tv=True)
    sl = _interval("slope", slope, tv=False)
    high_ratio = ratio_of(ep[0], em[1], sl[1]) if math.isfinite(sl[1]) else math.inf
    low_ratio = ratio_of(ep[1], em[0], sl[0]) if math.isfinite(sl[0]) else 0.0
    low_k = 0 if not math.isfinite(high_ratio) else k_star_from_ratio(g, high_ratio)
    return KStarInterval(low=low_k, high=k_star_from_ratio(g, low_ratio), ratio_low=low_ratio,
                         ratio_high=high_ratio)
