"""k* per training-set size, with its range over the inputs' intervals: what Theorem 4.3
gives from each size's measured ε_π, ε_m and slope (paper Section 4.3; docs/theory.md, "k* and
its interval"), for the table and the slope figure of ``measure-generalization``.

The same numbers as ``optimal-k --from results.json --train-size N`` (one function computes
both: :func:`boundcheck.experiments.generalization.analysis.optimal_k_inputs`)."""

from __future__ import annotations

from dataclasses import dataclass

from boundcheck.experiments.generalization.analysis import INTERVAL_LEVEL, optimal_k_inputs
from boundcheck.experiments.generalization.records import SizeRecord
from boundcheck.theory.bound_reports import shifted_model_error
from boundcheck.theory.k_interval import k_star_interval
from boundcheck.theory.optimal_k import k_star_closed_form

#: The discount of the table and figure: the paper's γ on its MuJoCo tasks (Appendix C).
K_STAR_GAMMA = 0.99


@dataclass(frozen=True)
class KStarAtSize:
    """k* at one size: the point value from the mean inputs (None: ε_m′ = 0, unbounded), and
    its range over the inputs' joint ``level`` box (``low``/``high`` None: not estimable with
    one seed, or unbounded above)."""

    train_size: int
    gamma: float
    k_star: int | None
    low: int | None
    high: int | None
    level: float | None
    #: Whether ε_π = 1 (the bound's input) lies beyond the policy shifts the slope was fitted
    #: on, so ε_m′ extrapolates the fit.
    extrapolated: bool


def k_star_by_size(sizes: tuple[SizeRecord, ...], tv_available: bool, interval_updates: int,
                   gamma: float = K_STAR_GAMMA) -> tuple[KStarAtSize, ...]:
    """k* and its range at every size that has the inputs (sizes without are left out)."""
    rows = []
    for size in sizes:
        inputs, _ = optimal_k_inputs(sizes, tv_available, interval_updates, size.train_size)
        if inputs is None:
            continue
        shifted = shifted_model_error(inputs.eps_model, inputs.eps_policy, inputs.slope)
        point = k_star_closed_form(gamma, inputs.eps_policy, shifted.value)
        box = (inputs.eps_policy_interval, inputs.eps_model_interval, inputs.slope_interval)
        low = high = level = None
        if all(b is not None for b in box):
            span = k_star_interval(gamma, *box)  # type: ignore[arg-type]
            low, high, level = span.low, span.high, inputs.interval_level or INTERVAL_LEVEL
        x_max = inputs.slope_fit_x_max
        rows.append(KStarAtSize(train_size=size.train_size, gamma=gamma, k_star=point,
                                low=low, high=high, level=level,
                                extrapolated=x_max is not None and inputs.eps_policy > x_max))
    return tuple(rows)


def k_star_text(row: KStarAtSize) -> str:
    """``k* [low, high]`` as the table prints it (``-`` for an unbounded or missing end)."""
    point = "unbounded" if row.k_star is None else str(row.k_star)
    if row.level is None:
        return f"{point} (no interval: one seed)"
    return f"{point} [{'-' if row.low is None else row.low}, " \
           f"{'-' if row.high is None else row.high}]"
