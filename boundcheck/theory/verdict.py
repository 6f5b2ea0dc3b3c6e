"""Checking a lower bound η ≥ η_ref − C when η and η_ref are estimated with uncertainty.

Theorems 4.1–4.3 (paper Section 4, proofs in Appendix B; docs/paper.md;
:mod:`boundcheck.theory.bounds`) each claim η[π] ≥ η_ref − C, where η_ref is η̂[π] (4.1) or
η^branch[π] (4.2, 4.3). On a real task η and η_ref are sample means over episodes, so the slack
S = η − (η_ref − C) is an estimate too. The verdict respects its confidence interval:

- ``holds``: the whole interval of S is ≥ 0;
- ``violated``: the whole interval is < 0 (the bound fails with that confidence);
- ``inconclusive``: the interval contains 0.

Episode i of η and episode i of η_ref start from the same seed (common random numbers), so
the interval of S is the paired one: the Student t interval of the per-episode values
η_i − η_ref,i + C. The verdict is conditional on C, i.e. on the measured ε's and r_max.
How ``boundcheck validate`` uses this: docs/validate.md, "Verdicts".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum

import numpy as np
from scipy import stats

from boundcheck.codec import json_meta
from boundcheck.theory.bounds import Penalty

#: The level of each of three one-sided ends that hold jointly at ≥ 95% (Bonferroni): the
#: certifications of the ladder's measured rungs (η̂'s low end, the bound's high end and
#: η[π_D]'s high end).
CERTIFY_EACH = 1.0 - 0.05 / 3.0


class Verdict(str, Enum):
    """What the slack's interval says about a bound (see the module docstring); the value is
    the word the JSON documents carry."""

    HOLDS = "holds"
    VIOLATED = "violated"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class Estimate:
    """A sample mean with its uncertainty: ``mean``, ``stderr``, the ``confidence`` interval
    [``low``, ``high``], the sample size ``n`` and the degrees of freedom ``dof`` behind it.

    With n = 1 (or a zero-variance sample of size 1) the stderr and interval are NaN. Its JSON
    (:mod:`boundcheck.codec`) is ``{mean, stderr, ci_low, ci_high, n, confidence}``; ``dof``
    is not written (read back, it is NaN).
    """

    mean: float
    stderr: float
    low: float = field(metadata=json_meta(key="ci_low"))
    high: float = field(metadata=json_meta(key="ci_high"))
    n: int
    confidence: float
    dof: float = field(default=math.nan, metadata=json_meta(skip=True))

    def shifted(self, offset: float) -> Estimate:
        """The same estimate plus a constant (e.g. η_ref − C)."""
        return Estimate(self.mean + offset, self.stderr, self.low + offset, self.high + offset,
                        self.n, self.confidence, self.dof)


def _interval(mean: float, stderr: float, dof: float, confidence: float) -> tuple[float, float]:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    if not math.isfinite(stderr) or not dof > 0:
        return math.nan, math.nan
    half = float(stats.t.ppf(0.5 + confidence / 2.0, dof)) * stderr
    return mean - half, mean + half


def mean_estimate(values: np.ndarray, confidence: float = 0.95) -> Estimate:
    """Mean of ``values`` with a Student t interval (n − 1 degrees of freedom)."""
    x = np.asarray(values, dtype=np.float64).ravel()
    if x.size == 0:
        raise ValueError("need at least one value")
    n = int(x.size)
    mean = float(x.mean())
    stderr = float(x.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    low, high = _interval(mean, stderr, n - 1, confidence)
    return Estimate(mean, stderr, low, high, n, confidence, float(n - 1))


def verdict(slack: Estimate) -> Verdict:
    """``holds`` / ``violated`` / ``inconclusive`` from the slack's interval (see module)."""
    if math.isnan(slack.low) or math.isnan(slack.high):
        return Verdict.INCONCLUSIVE
    if slack.low >= 0.0:
        return Verdict.HOLDS
    if slack.high < 0.0:
        return Verdict.VIOLATED
    return Verdict.INCONCLUSIVE


@dataclass(frozen=True)
class BoundResult:
    """One theorem checked on paired episode returns: η ≥ η_ref − C.

    ``eta`` and ``lower_bound`` = η_ref − C carry their own intervals; ``slack`` = η − lower
    bound (paired interval); ``verdict`` from the slack's interval, forced to ``inconclusive``
    when ``unreliable`` names why the reference estimate cannot be trusted (e.g. diverged
    model episodes); ``informative`` from the penalty (C smaller than the trivial range
    2·r_max/(1−γ)); ``scale_to_informative`` = range / C: multiplying every ε by less than
    this makes the bound informative (C is linear in the ε's).
    """

    penalty: Penalty
    reference: str
    eta: Estimate
    lower_bound: Estimate
    slack: Estimate
    verdict: Verdict
    scale_to_informative: float
    unreliable: str | None = None

    @property
    def informative(self) -> bool:
        """Whether C < 2·r_max/(1−γ)."""
        return self.penalty.informative


def check_bound(penalty: Penalty, eta: np.ndarray, eta_ref: np.ndarray, reference: str,
                confidence: float = 0.95, unreliable: str | None = None) -> BoundResult:
    """Check η ≥ η_ref − C for one theorem's ``penalty`` C on paired per-episode returns."""
    eta, eta_ref = np.asarray(eta, dtype=np.float64), np.asarray(eta_ref, dtype=np.float64)
    if eta.shape != eta_ref.shape or eta.ndim != 1:
        raise ValueError(f"need paired 1-D returns, got shapes {eta.shape} and {eta_ref.shape}")
    c = penalty.total
    slack = mean_estimate(eta - eta_ref + c, confidence)
    scale = penalty.trivial_range / c if c > 0 else math.inf
    decided = Verdict.INCONCLUSIVE if unreliable is not None else verdict(slack)
    return BoundResult(penalty, reference, mean_estimate(eta, confidence),
                       mean_estimate(eta_ref, confidence).shifted(-c), slack, decided, scale,
                       unreliable)


def informative_threshold(value: float, scale: float) -> float | None:
    """ε × scale capped at 1 (a TV distance), or None where no ε in [0, 1] is too large."""
    if not math.isfinite(scale):
        return None
    return min(1.0, value * scale)
