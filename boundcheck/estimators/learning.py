"""Learning-curve statistics across seeds: the numbers behind an "MBPO beats SAC at N steps" claim.

A curve is a mapping from real env steps to the evaluation return measured there (the mean over
the epoch's deterministic evaluation episodes, ``metrics.jsonl``). Evaluation return at one step
is noisy in two ways: across seeds, and from one epoch to the next within a run (the policy keeps
moving; on Hopper it often swings by hundreds). So the summaries here are

- across seeds, a Student-t interval for the mean (``seed_summary``), never a bare mean;
- within a run, besides the value at the step itself, the mean over the last ``window``
  evaluations up to that step (``window_mean``), which damps the epoch-to-epoch swing;
- between two algorithms run on the same seeds, a paired comparison (``paired_comparison``):
  wins per seed with an exact two-sided sign test, and a t interval for the mean difference.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.stats

from boundcheck.estimators.fits import ArrayLike1D, mean_std

Curve = Mapping[int, float]


@dataclass(frozen=True)
class SeedSummary:
    """Mean of per-seed values with a ``confidence`` Student-t interval (n − 1 degrees of freedom).

    ``std`` (ddof = 1), ``ci_low`` and ``ci_high`` are NaN when n = 1.
    """

    mean: float
    std: float
    ci_low: float
    ci_high: float
    n: int
    confidence: float
    values: tuple[float, ...]

    def interval(self) -> SeedInterval:
        """The mean, its interval, n and the values: what reports print."""
        return SeedInterval(self.mean, self.ci_low, self.ci_high, self.n, self.values)


@dataclass(frozen=True)
class SeedInterval:
    """The part of a :class:`SeedSummary` that reports print; its JSON
    (:mod:`boundcheck.codec`) is ``{mean, ci_low, ci_high, n, values}``, NaN as null."""

    mean: float
    ci_low: float
    ci_high: float
    n: int
    values: tuple[float, ...]


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")


def seed_summary(values: ArrayLike1D, confidence: float = 0.95) -> SeedSummary:
    """Mean ± t_{(1+confidence)/2, n−1} · std/√n over independent seeds."""
    _check_confidence(confidence)
    ms = mean_std(values)
    vals = tuple(float(v) for v in np.asarray(values, dtype=np.float64))
    if ms.n < 2:
        return SeedSummary(ms.mean, math.nan, math.nan, math.nan, ms.n, confidence, vals)
    half = float(scipy.stats.t.ppf((1.0 + confidence) / 2.0, ms.n - 1)) * ms.stderr
    return SeedSummary(ms.mean, ms.std, ms.mean - half, ms.mean + half, ms.n, confidence, vals)


def common_steps(curves: Sequence[Curve]) -> list[int]:
    """The env-step counts at which every curve has an evaluation, ascending."""
    if not curves:
        raise ValueError("no curves")
    shared = set(curves[0])
    for curve in curves[1:]:
        shared &= set(curve)
    return sorted(shared)


def window_mean(curve: Curve, step: int, window: int) -> float:
    """Mean of the last ``window`` evaluations at or before ``step`` (which must be evaluated)."""
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    if step not in curve:
        raise ValueError(f"no evaluation at step {step}")
    steps = sorted(s for s in curve if s <= step)[-window:]
    return float(np.mean([curve[s] for s in steps]))


@dataclass(frozen=True)
class CurveBand:
    """Across-seed mean and t interval of curves at their common steps (for a figure)."""

    steps: tuple[int, ...]
    mean: tuple[float, ...]
    ci_low: tuple[float, ...]
    ci_high: tuple[float, ...]
    n: int
    confidence: float


def curve_band(curves: Sequence[Curve], confidence: float = 0.95) -> CurveBand:
    """``seed_summary`` at every step shared by all curves."""
    steps = common_steps(curves)
    rows = [seed_summary([c[s] for c in curves], confidence) for s in steps]
    return CurveBand(tuple(steps), tuple(r.mean for r in rows), tuple(r.ci_low for r in rows),
                     tuple(r.ci_high for r in rows), len(curves), confidence)


@dataclass(frozen=True)
class PairedComparison:
    """Algorithm A against B on the same seeds, from per-seed values a_i and b_i.

    - ``wins``: seeds with a_i > b_i; ``ties``: a_i == b_i; ``n``: seeds.
    - ``sign_test_p``: exact two-sided binomial test of wins among the untied seeds against 1/2
      (NaN when every seed ties).
    - ``diff``: ``seed_summary`` of a_i − b_i (t interval of the mean difference).
    """

    wins: int
    ties: int
    n: int
    sign_test_p: float
    diff: SeedSummary


def paired_comparison(a: ArrayLike1D, b: ArrayLike1D,
                      confidence: float = 0.95) -> PairedComparison:
    """Compare per-seed values of A and B (same order of seeds in both)."""
    aa = np.asarray(a, dtype=np.float64)
    bb = np.asarray(b, dtype=np.float64)
    if aa.shape != bb.shape or aa.ndim != 1 or aa.size == 0:
        raise ValueError("need two equally long non-empty 1-D inputs, "
                         f"got {aa.shape} and {bb.shape}")
    wins = int(np.sum(aa > bb))
    ties = int(np.sum(aa == bb))
    untied = aa.size - ties
    p = float(scipy.stats.binomtest(wins, untied, 0.5).pvalue) if untied else math.nan
    return PairedComparison(wins, ties, int(aa.size), p, seed_summary(aa - bb, confidence))
