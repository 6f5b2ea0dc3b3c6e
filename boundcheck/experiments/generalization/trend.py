"""Does the slope dε_m′/dε_π fall with more data? The paper's claim (Section 4.3, Figure 1).

For each model-error measure (the TV where the noise is known, the NLL and MSE proxies) and
each fit (``local``: ε_π → 0; ``linear``: all points), the slope against the Pinsker TV at the
largest training size minus the slope at the smallest, paired by repetition (a repetition's
sizes are nested prefixes of one data set of π_D), with a Student-t interval over the
repetitions. Verdict: ``falls`` when the whole interval is below 0, ``rises`` when above,
``not settled`` otherwise, ``too few repetitions`` below two pairs. Derived from the size
records alone, so it is recomputed, not stored, when a results file is read back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from boundcheck.estimators.fits import LinearFit
from boundcheck.estimators.learning import seed_summary
from boundcheck.experiments.generalization.size_records import SizeRecord

FIT_KINDS = ("local", "linear")


class TrendVerdict(StrEnum):
    """What the paired difference of slopes says."""

    FALLS = "falls"
    RISES = "rises"
    NOT_SETTLED = "not settled"
    TOO_FEW = "too few repetitions"


@dataclass(frozen=True)
class SlopeTrend:
    """slope(``large``) − slope(``small``) of ``measure`` (``kind`` fit) per repetition, and
    their mean with a ``confidence`` t interval."""

    measure: str
    kind: str
    small: int
    large: int
    differences: tuple[float, ...]
    mean: float
    ci_low: float
    ci_high: float
    confidence: float
    verdict: TrendVerdict

    def to_json(self) -> dict[str, Any]:
        """The trend's object of ``slope_trends``."""
        return {"measure": self.measure, "kind": self.kind, "small": self.small,
                "large": self.large, "differences": list(self.differences), "mean": self.mean,
                "ci_low": self.ci_low, "ci_high": self.ci_high, "confidence": self.confidence,
                "verdict": self.verdict.value}


def _slopes(size: SizeRecord, measure: str, kind: str) -> dict[int, float]:
    out = {}
    for seed in size.seeds:
        pair = seed.fits.get(measure, {}).get("pinsker_tv")
        fit = None if pair is None else getattr(pair, kind)
        if isinstance(fit, LinearFit) and math.isfinite(fit.slope):
            out[seed.seed] = fit.slope
    return out


def slope_trends(sizes: Sequence[SizeRecord], confidence: float = 0.95) -> list[SlopeTrend]:
    """One trend per measure and fit kind, from the smallest to the largest size (none with
    fewer than two sizes)."""
    if len(sizes) < 2:
        return []
    small = min(sizes, key=lambda s: s.train_size)
    large = max(sizes, key=lambda s: s.train_size)
    trends = []
    for measure in small.slopes:
        for kind in FIT_KINDS:
            a, b = _slopes(small, measure, kind), _slopes(large, measure, kind)
            diffs = tuple(b[s] - a[s] for s in sorted(set(a) & set(b)))
            if not diffs:
                continue
            summary = seed_summary(diffs, confidence)
            if len(diffs) < 2:
                verdict = TrendVerdict.TOO_FEW
            elif summary.ci_high < 0:
                verdict = TrendVerdict.FALLS
            elif summary.ci_low > 0:
                verdict = TrendVerdict.RISES
            else:
                verdict = TrendVerdict.NOT_SETTLED
            trends.append(SlopeTrend(measure, kind, small.train_size, large.train_size, diffs,
                                     summary.mean, summary.ci_low, summary.ci_high, confidence,
                                     verdict))
    return trends
