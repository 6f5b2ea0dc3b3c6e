"""The user's choices for ``boundcheck validate``: how much to measure, and the bounds' inputs.

:class:`MeasureSettings` sets the sample sizes and the seed; :class:`BoundInputs` the values the
user gives for r_max, ε_m and ε_m′ instead of measuring them, and the statistic over states
taken as ε_π (docs/validate.md, "The theory's inputs"; the quantities: paper Section 4,
docs/paper.md). :func:`check_bound_inputs` refuses values outside the theory's domain.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from boundcheck.theory.bounds import check_gamma, check_r_max, check_tv


class EpsPiStat(str, Enum):
    """The statistic over visited states taken as ε_π (the theorems take the max)."""

    MAX = "max"
    P99 = "p99"
    P95 = "p95"
    MEAN = "mean"


@dataclass(frozen=True)
class MeasureSettings:
    """How much to measure (the CLI's options; see docs/validate.md). ``k`` None: the run's."""

    episodes: int = 100
    k: int | None = None
    model_starts: int = 10_000
    policy_mc: int = 256
    max_states: int = 20_000
    tv_samples: int = 256
    bucket_width: int = 100
    seed: int = 0
    confidence: float = 0.95


@dataclass(frozen=True)
class BoundInputs:
    """User choices for the bounds' inputs (None: measured, see
    :mod:`boundcheck.experiments.validate.theorems`). ``eps_m`` also stands for ε_m′ unless
    ``eps_model_shifted`` is given."""

    r_max: float | None = None
    eps_m: float | None = None
    eps_model_shifted: float | None = None
    eps_pi_stat: EpsPiStat = EpsPiStat.MAX
    confidence: float = 0.95


def check_bound_inputs(gamma: float | None, inputs: BoundInputs) -> None:
    """Refuse a given γ, r_max, ε_m or ε_m′ outside its domain, in that order
    (:class:`~boundcheck.theory.bounds.TheoryInputError` naming ``gamma``, ``r_max``,
    ``eps_model`` or ``eps_model_shifted``)."""
    if gamma is not None:
        check_gamma(gamma)
    if inputs.r_max is not None:
        check_r_max(inputs.r_max)
    if inputs.eps_m is not None:
        check_tv(inputs.eps_m, "eps_model")
    if inputs.eps_model_shifted is not None:
        check_tv(inputs.eps_model_shifted, "eps_model_shifted")
