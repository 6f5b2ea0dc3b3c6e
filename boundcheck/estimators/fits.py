"""Line fits and seed aggregation for the model-generalization experiment (paper Section 4.3).

The paper approximates the model error under a shifted policy linearly (Section 4.3;
docs/paper.md §2):

    ε̂_m′(ε_π) ≈ ε_m + ε_π · dε_m′/dε_π,

so the quantity of interest is the slope dε_m′/dε_π near ε_π = 0 (the local slope), with the
intercept playing the role of ε_m. Here x is the policy-shift measure (ε_π or KL(π‖π_D)) and
y the model-error measure (a TV estimate or an NLL/MSE proxy, see ``model_error``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.stats

ArrayLike1D = Sequence[float] | np.ndarray


@dataclass(frozen=True)
class LinearFit:
    """Ordinary least squares y ≈ intercept + slope · x.

    - ``slope``, ``intercept``: the OLS coefficients.
    - ``slope_stderr``, ``intercept_stderr``: their standard errors under the usual OLS model
      (independent, homoscedastic residuals); NaN when n < 3 (zero residual degrees of freedom:
      two points fit exactly and say nothing about the noise).
    - ``r_squared``: coefficient of determination; NaN when y is constant (undefined).
    - ``n``: number of points used.
    - ``confidence``: level of the slope interval (0.95 by default).
    - ``slope_ci_low``, ``slope_ci_high``: slope ± t_{(1+confidence)/2, n−2} · slope_stderr
      (Student t with n − 2 degrees of freedom); NaN when n < 3.
    """

    slope: float
    intercept: float
    slope_stderr: float
    intercept_stderr: float
    r_squared: float
    n: int
    confidence: float
    slope_ci_low: float
    slope_ci_high: float


@dataclass(frozen=True)
class MeanStd:
    """Sample summary of n values: ``mean``, ``std`` (ddof = 1), ``stderr`` = std / √n, and
    the sample ``values`` themselves where they are kept (a summary over seeds keeps its
    per-seed values; :func:`mean_std` keeps none, its samples can be large).

    ``std`` and ``stderr`` are NaN when n = 1 (no spread can be estimated from one value).
    """

    mean: float
    std: float
    stderr: float
    n: int
    values: tuple[float, ...] = ()


def _as_1d(values: ArrayLike1D, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def linear_fit(x: ArrayLike1D, y: ArrayLike1D, confidence: float = 0.95) -> LinearFit:
    """OLS fit of y on x (``scipy.stats.linregress``) with a t-interval for the slope.

    Raises ``ValueError`` when x and y differ in length, when there are fewer than 2 points,
    when any value is not finite, or when all x are equal (the slope is then undefined).
    With exactly 2 points the line is exact and every standard error and the interval are NaN.
    """
    xa, ya = _as_1d(x, "x"), _as_1d(y, "y")
    if xa.shape != ya.shape:
        raise ValueError(f"x and y must have the same length, got {xa.size} and {ya.size}")
    n = int(xa.size)
    if n < 2:
        raise ValueError(f"a line needs at least 2 points, got {n}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence!r}")
    if np.ptp(xa) == 0.0:
        raise ValueError(f"all x values are equal ({xa[0]!r}): the slope is undefined; "
                         "fit over points with at least two distinct x")
    res = scipy.stats.linregress(xa, ya)
    slope, intercept = float(res.slope), float(res.intercept)
    nan = math.nan
    if n < 3:
        return LinearFit(slope, intercept, nan, nan, nan if np.ptp(ya) == 0.0 else 1.0, n,
                         confidence, nan, nan)
    if np.ptp(ya) == 0.0:
        # linregress returns NaN here (r = 0/0), but the fit is exact: slope 0, no error.
        slope_se, intercept_se, r_squared = 0.0, 0.0, nan
    else:
        slope_se, intercept_se = float(res.stderr), float(res.intercept_stderr)
        r_squared = float(res.rvalue) ** 2
    t_crit = float(scipy.stats.t.ppf(0.5 + confidence / 2.0, df=n - 2))
    return LinearFit(slope, intercept, slope_se, intercept_se, r_squared, n, confidence,
                     slope - t_crit * slope_se, slope + t_crit * slope_se)


def local_slope(x: ArrayLike1D, y: ArrayLike1D, n_nearest: int,
                confidence: float = 0.95) -> LinearFit:
    """Local slope at x → 0: the :func:`linear_fit` over the ``n_nearest`` points of smallest x.

    Rule: sort the points by x ascending (stable, so ties keep their input order), keep the
    first ``n_nearest``, fit a free-intercept line. This estimates dε_m′/dε_π at ε_π → 0 in
    the paper's linear approximation ε̂_m′(ε_π) ≈ ε_m + ε_π · dε_m′/dε_π (x = ε_π or KL,
    y = model error). Requires 2 ≤ ``n_nearest`` ≤ len(x); with ``n_nearest`` < 3 the
    standard errors are NaN (see :func:`linear_fit`). Raises ``ValueError`` if the kept x
    are all equal.
    """
    xa, ya = _as_1d(x, "x"), _as_1d(y, "y")
    if xa.shape != ya.shape:
        raise ValueError(f"x and y must have the same length, got {xa.size} and {ya.size}")
    if not 2 <= n_nearest <= xa.size:
        raise ValueError(f"n_nearest must be in [2, {xa.size}], got {n_nearest}")
    keep = np.argsort(xa, kind="stable")[:n_nearest]
    return linear_fit(xa[keep], ya[keep], confidence=confidence)


def mean_std(values: ArrayLike1D, clusters: ArrayLike1D | None = None) -> MeanStd:
    """Mean, sample standard deviation (ddof = 1) and standard error of the mean.

    Used to aggregate per-seed slopes and, throughout ``boundcheck.estimators``, any mean of
    independent samples. With ``clusters`` (a label per value, e.g. the episode of each
    transition) the standard error is the cluster-robust one, √(G/(G−1)·Σ_g r_g²)/n with r_g
    the sum of the deviations from the mean in cluster g of G: values of one cluster may depend
    on each other, clusters may not (what resampling whole episodes estimates; NaN with one
    cluster). Raises ``ValueError`` on an empty input or non-finite values.
    """
    arr = _as_1d(values, "values")
    n = int(arr.size)
    if n == 0:
        raise ValueError("mean_std needs at least one value")
    mean = float(arr.mean())
    if n == 1:
        return MeanStd(mean, math.nan, math.nan, 1)
    std = float(arr.std(ddof=1))
    if clusters is None:
        return MeanStd(mean, std, std / math.sqrt(n), n)
    labels = np.asarray(clusters).reshape(-1)
    if labels.size != n:
        raise ValueError(f"clusters must label every value, got {labels.size} for {n}")
    _, inverse = np.unique(labels, return_inverse=True)
    groups = int(inverse.max()) + 1
    if groups < 2:
        return MeanStd(mean, std, math.nan, n)
    sums = np.bincount(inverse, weights=arr - mean, minlength=groups)
    stderr = math.sqrt(groups / (groups - 1) * float((sums**2).sum())) / n
    return MeanStd(mean, std, stderr, n)
