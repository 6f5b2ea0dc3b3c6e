"""Fits and seed aggregation of the model-generalization curves (paper Section 4.3).

The paper's linear approximation (docs/paper.md, "The model error ε_m′"): ε̂_m′(ε_π) ≈ ε_m +
ε_π · dε_m′/dε_π. Per training-set size and seed, the points (x, y) = (policy shift, model
error) of π_D and its snapshots are fitted by ordinary least squares
(:func:`boundcheck.estimators.linear_fit`):

- x: ``kl`` = mean KL(π ‖ π_D) over π's states (the paper's axis, nats), or ``pinsker_tv`` =
  min(1, √(KL/2)) (the TV scale that Theorem 4.3 consumes);
- y: ``nll``, ``mse`` (proxies) and ``tv`` (only where the true law is known).

``linear`` fits all points. ``local`` is the slope at ε_π → 0: the fit over the
``local_points`` points of smallest x (:func:`boundcheck.estimators.local_slope`); π_D has x = 0
exactly, so by default (4) that is π_D and the 3 snapshots nearest to it. Slopes of repeated
seeds are summarised by :func:`boundcheck.estimators.mean_std` (mean, std with ddof 1, stderr).

Does the slope dε_m′/dε_π fall with more data? The paper's claim (Section 4.3, Figure 1;
:func:`slope_trends`): for each model-error measure and each fit (``local``, ``linear``), the
slope against the Pinsker TV at the largest training size minus the slope at the smallest,
paired by repetition (a repetition's sizes are nested prefixes of one data set of π_D), with a
Student-t interval over the repetitions. Verdict: ``falls`` when the whole interval is below 0,
``rises`` when above, ``not settled`` otherwise, ``too few repetitions`` below two pairs.
Derived from the size records alone, so it is recomputed, not stored, when a results file is
read back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from scipy import stats

from boundcheck.codec import json_meta
from boundcheck.estimators import (
    TV_TO_DETERMINISTIC,
    LinearFit,
    MeanStd,
    linear_fit,
    local_slope,
    mean_std,
    pinsker_tv,
)
from boundcheck.estimators.learning import seed_summary
from boundcheck.experiments.generalization.records import (
    X_MEASURES,
    Y_MEASURES,
    CurvePoint,
    Fit,
    FitError,
    FitPair,
    Fits,
    SeedRecord,
    SizeRecord,
    SummaryPair,
)
from boundcheck.theory.bound_reports import InputBox

__all__ = ["FIT_KINDS", "X_MEASURES", "Y_MEASURES", "OptimalKInputs", "SlopeTrend",
           "TrendVerdict", "eps_policy_from_kl", "fit_points", "optimal_k_inputs", "size_record",
           "slope_trends", "summarize"]

#: The fits of every (y, x) pair: ``local`` (ε_π → 0) and ``linear`` (all points).
FIT_KINDS = ("local", "linear")


def _xy(points: Sequence[CurvePoint], x: str, y: str) -> tuple[list[float], list[float]]:
    pairs = [(p.x(x), p.y(y)) for p in points]
    kept = [(a, b) for a, b in pairs
            if a is not None and b is not None and math.isfinite(a) and math.isfinite(b)]
    return [a for a, _ in kept], [b for _, b in kept]


def _fit(points: Sequence[CurvePoint], x_measure: str, y_measure: str, local: bool,
         local_points: int) -> Fit:
    x, y = _xy(points, x_measure, y_measure)
    try:
        if not local:
            return linear_fit(x, y)
        return local_slope(x, y, n_nearest=min(local_points, len(x)))
    except ValueError as exc:
        return FitError(error=str(exc))


def fit_points(points: Sequence[CurvePoint], *, local_points: int,
               y_measures: Sequence[str]) -> Fits:
    """``{y: {x: FitPair(linear, local)}}``; a fit that cannot be made is a :class:`FitError`
    saying why (e.g. fewer than 2 points with distinct x)."""
    return {y: {x: FitPair(linear=_fit(points, x, y, False, local_points),
                           local=_fit(points, x, y, True, local_points))
                for x in X_MEASURES}
            for y in y_measures}


def summarize(values: Sequence[float | None]) -> MeanStd | None:
    """Mean, std, stderr and n over the finite values, which it keeps (None if there are
    none)."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return None
    return replace(mean_std(finite), values=tuple(finite))


def _slope(fit: Fit) -> float | None:
    return None if isinstance(fit, FitError) else fit.slope


def size_record(train_size: int, per_seed: Sequence[SeedRecord],
                y_measures: Sequence[str]) -> SizeRecord:
    """One size across seeds: slopes, ε_m at π_D and ε_π after MBPO's retrain interval."""
    slopes = {y: {x: SummaryPair(linear=summarize([_slope(s.fits[y][x].linear)
                                                   for s in per_seed]),
                                 local=summarize([_slope(s.fits[y][x].local)
                                                  for s in per_seed]))
                  for x in X_MEASURES}
              for y in y_measures}
    eps_model = {y: summarize([s.points[0].y(y) for s in per_seed]) for y in y_measures}
    eps_policy = summarize([s.eps_policy_interval for s in per_seed])
    return SizeRecord(train_size=train_size, slopes=slopes, eps_model_at_pi_d=eps_model,
                      eps_policy_interval=eps_policy, seeds=tuple(per_seed))


def eps_policy_from_kl(kl: float | None) -> float | None:
    """Pinsker TV of a mean KL (None stays None)."""
    return None if kl is None or not math.isfinite(kl) else pinsker_tv(kl)


@dataclass(frozen=True)
class OptimalKInputs:
    """The ``optimal_k_inputs`` object (docs/results-schema.md), what Theorem 4.3 consumes:
    ε_π, ε_m (TV), the slope dε_m′/dε_π against the Pinsker TV, where they come from, which
    measure and fit the slope is, and the training size they were taken at (the last four
    are None only in a hand-written object, which needs just the three numbers)."""

    eps_policy: float = field(metadata=json_meta(key="eps_pi"))
    eps_model: float = field(metadata=json_meta(key="eps_m"))
    slope: float
    source: str | None = None
    slope_measure: str | None = None
    slope_kind: str | None = None
    train_size: int | None = None
    #: Student-t intervals over seeds, each at 1 − (1 − ``interval_level``)/3 (Bonferroni), so
    #: that the box of the three holds the true inputs with at least ``interval_level``
    #: (:func:`boundcheck.theory.k_interval.k_star_interval`); None with one seed.
    interval_level: float | None = field(default=None, metadata=json_meta(omit_none=True))
    eps_policy_interval: tuple[float, float] | None = field(
        default=None, metadata=json_meta(key="eps_pi_interval", omit_none=True))
    eps_model_interval: tuple[float, float] | None = field(
        default=None, metadata=json_meta(key="eps_m_interval", omit_none=True))
    slope_interval: tuple[float, float] | None = field(
        default=None, metadata=json_meta(omit_none=True))
    #: The largest Pinsker TV among the points the slope was fitted on: ε_m′ = ε_m + ε_π·slope
    #: extrapolates the fit where ε_π exceeds it.
    slope_fit_x_max: float | None = field(default=None, metadata=json_meta(omit_none=True))


#: Joint level of the three intervals of :class:`OptimalKInputs`.
INTERVAL_LEVEL = 0.95


def t_interval(summary: MeanStd | None, level: float) -> tuple[float, float] | None:
    """Student-t interval of a mean over seeds at ``level`` (None with one seed)."""
    if summary is None or summary.n < 2 or not math.isfinite(summary.stderr):
        return None
    half = float(stats.t.ppf(0.5 + level / 2, summary.n - 1)) * summary.stderr
    return (summary.mean - half, summary.mean + half)


def optimal_k_inputs(sizes: Sequence[SizeRecord], tv_available: bool,
                     interval_updates: int, train_size: int | None = None,
                     ) -> tuple[OptimalKInputs | None, str | None]:
    """The theory inputs of Theorem 4.3 (docs/results-schema.md) from the SMALLEST size (the
    file's ``optimal_k_inputs``), or from ``train_size`` (``optimal-k --from --train-size``;
    ``ValueError`` naming the sizes when there is no such size).

    slope: the local slope dε_m′/dε_π against the Pinsker TV (mean over seeds; the all-points
    fit if no local fit exists), of TV if known, else of the NLL proxy. eps_m: the mean TV at
    π_D if known, else 1 (the exact TV to a deterministic simulator, ``TV_TO_DETERMINISTIC``).
    eps_pi: the Pinsker TV of the mean KL(π ‖ π_D) on π_D's states after ``interval_updates``
    SAC updates (MBPO's updates between two model retrains), mean over seeds.
    Returns ``(inputs, None)`` or ``(None, why)`` when a number is missing.
    """
    if train_size is None:
        record = min(sizes, key=lambda s: s.train_size)
    else:
        chosen = [s for s in sizes if s.train_size == train_size]
        if not chosen:
            raise ValueError(f"no training size {train_size} in the results (sizes: "
                             f"{', '.join(str(s.train_size) for s in sizes)})")
        record = chosen[0]
    n = record.train_size
    which = "the smallest" if train_size is None else "the one asked for"
    y = "tv" if tv_available else "nll"
    slope_sets = record.slopes[y]["pinsker_tv"]
    kind = "local" if slope_sets.local is not None else "linear"
    slope = slope_sets.local if slope_sets.local is not None else slope_sets.linear
    eps_policy = record.eps_policy_interval
    if slope is None:
        return None, (f"no optimal_k_inputs: size {n} ({which}) has "
                      "no slope estimate (fewer than 2 points with distinct shifts?)")
    if eps_policy is None:
        return None, (f"no optimal_k_inputs: no eps_pi estimate for size "
                      f"{n} (is --max-updates below the "
                      f"{interval_updates} updates between two MBPO model retrains?)")
    if tv_available:
        eps_model_at_pi_d = record.eps_model_at_pi_d["tv"]
        if eps_model_at_pi_d is None:
            return None, "no optimal_k_inputs: no TV estimate at pi_D"
        eps_model = min(1.0, max(0.0, eps_model_at_pi_d.mean))
        what = (f"eps_m = mean TV of the model at pi_D; slope = {kind} slope of the TV against "
                "the Pinsker TV")
    else:
        # Against a deterministic simulator the TV is 1 under every policy, so eps_m' = 1 and
        # its slope is exactly 0; the NLL-proxy slope stays in sizes[].slopes (other units).
        eps_model = TV_TO_DETERMINISTIC
        what = ("eps_m = 1, the exact TV of any continuous model to a deterministic simulator, "
                "for every policy, so slope = 0 (the NLL-proxy slopes are in sizes[].slopes)")
    source = (f"measure-generalization, training size {n} ({which}), mean over "
              f"{slope.n} seed(s): {what}; eps_pi = Pinsker TV of the mean KL(pi||pi_D) "
              f"after {interval_updates} SAC updates (MBPO's updates between model retrains)")
    each = 1.0 - (1.0 - INTERVAL_LEVEL) / 3
    model_interval = t_interval(record.eps_model_at_pi_d["tv"], each) if tv_available \
        else (eps_model, eps_model)
    slope_interval = t_interval(slope, each) if tv_available else (0.0, 0.0)
    x_max = max((p.x("pinsker_tv") for rec in record.seeds for p in rec.points), default=None)
    return OptimalKInputs(eps_policy=min(1.0, max(0.0, eps_policy.mean)), eps_model=eps_model,
                          slope=slope.mean if tv_available else 0.0, source=source,
                          slope_measure=y, slope_kind=kind, train_size=n,
                          interval_level=INTERVAL_LEVEL,
                          eps_policy_interval=_clip(t_interval(eps_policy, each)),
                          eps_model_interval=_clip(model_interval),
                          slope_interval=slope_interval, slope_fit_x_max=x_max), None


def input_box(inputs: OptimalKInputs) -> InputBox | None:
    """The intervals of ``inputs`` as Theorem 4.3's input box (None unless all three exist)."""
    if inputs.interval_level is None or inputs.eps_policy_interval is None \
            or inputs.eps_model_interval is None or inputs.slope_interval is None:
        return None
    return InputBox(eps_policy=inputs.eps_policy_interval, eps_model=inputs.eps_model_interval,
                    slope=inputs.slope_interval, level=inputs.interval_level,
                    slope_fit_x_max=inputs.slope_fit_x_max)


def _clip(interval: tuple[float, float] | None) -> tuple[float, float] | None:
    """A TV interval cut to [0, 1]."""
    if interval is None:
        return None
    return (min(1.0, max(0.0, interval[0])), min(1.0, max(0.0, interval[1])))


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
