"""The reports of ``boundcheck bounds`` and ``optimal-k``: typed results of the bound formulas.

Pure functions of their arguments (paper Sections 4.2–4.3; docs/theory.md). Each report is a
frozen dataclass whose JSON (:func:`boundcheck.codec.encode`) is the document the command prints
with ``--json``; the CLI renders the same object as tables (:mod:`boundcheck.render.theory`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from boundcheck.codec import encode, json_meta
from boundcheck.theory.bounds import (
    Penalty,
    TheoryInputError,
    check_gamma,
    check_k,
    check_r_max,
    check_slope,
    check_tv,
    eps_model_shifted_linear,
    eps_model_shifted_linear_raw,
    theorem_4_1,
    theorem_4_2,
    theorem_4_3,
)
from boundcheck.theory.k_interval import KStarInterval, k_star_interval
from boundcheck.theory.optimal_k import (
    BracketTerms,
    bracket_terms,
    default_ratio_grid,
    default_table_k_max,
    k_star_closed_form,
    k_star_exhaustive,
    k_star_from_ratio,
)

#: Largest k the exhaustive argmin and the table evaluate (one bracket per k; 10,000 take ~0.1 s).
MAX_TABLE_K = 10_000
#: What the ``terms`` of an :class:`OptimalKReport` are measured in.
TERMS_UNIT = "2*r_max (the Theorem 4.3 penalty C divided by 2*r_max)"
#: Why a grid over ρ alone is enough (the ``note`` of a :class:`KStarByRatio`).
RATIO_NOTE = "k* depends only on rho = eps_m'/eps_pi; k* = 0 for every rho >= 1"


@dataclass(frozen=True)
class ShiftedModelError:
    """ε_m′ from ε_m, ε_π and a slope dε_m′/dε_π (paper Section 4.3), projected onto [0, 1].

    ``clipped`` says whether the projection was active (the raw ε_m + ε_π·slope left [0, 1]).
    """

    value: float
    clipped: bool


def shifted_model_error(eps_model: float, eps_policy: float,
                        slope: float | None) -> ShiftedModelError:
    """ε_m′ = ε_m + ε_π·slope projected onto [0, 1]; ε_m itself without a slope."""
    check_tv(eps_model, "eps_model")
    check_tv(eps_policy, "eps_policy")
    if slope is None:
        return ShiftedModelError(eps_model, False)
    check_slope(slope)
    value = eps_model_shifted_linear(eps_model, eps_policy, slope)
    raw = eps_model_shifted_linear_raw(eps_model, eps_policy, slope)
    return ShiftedModelError(value, raw != value)


@dataclass(frozen=True)
class BoundsReport:
    """The penalties C of Theorems 4.1–4.3 for given γ, r_max, ε_m, ε_π, k (and slope)."""

    gamma: float
    r_max: float
    eps_model: float
    eps_policy: float
    k: int
    slope: float | None
    eps_model_shifted: ShiftedModelError
    theorem_4_1: Penalty
    theorem_4_2: Penalty
    theorem_4_3: Penalty

    @property
    def trivial_range(self) -> float:
        """2·r_max/(1−γ), the width of the interval every discounted return lies in."""
        return 2.0 * self.r_max / (1.0 - self.gamma)

    @property
    def penalties(self) -> tuple[Penalty, Penalty, Penalty]:
        """The three penalties, Theorem 4.1 first."""
        return (self.theorem_4_1, self.theorem_4_2, self.theorem_4_3)

    @property
    def finite(self) -> bool:
        """Whether every number is finite (a huge r_max overflows a double to inf or nan)."""
        numbers = [self.trivial_range] + [x for p in self.penalties for x in
                                          (p.policy_shift, p.model_error, p.total,
                                           p.trivial_range)]
        return all(math.isfinite(x) for x in numbers)

    def __json_encode__(self) -> dict[str, Any]:
        """The ``bounds --json`` document: the fields (ε_m′ flattened) and ``trivial_range``."""
        return {
            "gamma": self.gamma, "r_max": self.r_max, "eps_m": self.eps_model,
            "eps_pi": self.eps_policy, "k": self.k, "slope": self.slope,
            **_shifted_json(self.eps_model_shifted), "trivial_range": self.trivial_range,
            "theorem_4_1": self.theorem_4_1.as_dict(),
            "theorem_4_2": self.theorem_4_2.as_dict(),
            "theorem_4_3": self.theorem_4_3.as_dict(),
        }


def bounds_report(*, gamma: float, r_max: float, eps_model: float, eps_policy: float, k: int,
                  slope: float | None) -> BoundsReport:
    """The three penalties with their parts; ε_m′ = ε_m + ε_π·slope (ε_m without a slope)."""
    check_gamma(gamma)
    check_r_max(r_max)
    check_k(k)
    shifted = shifted_model_error(eps_model, eps_policy, slope)
    return BoundsReport(
        gamma=gamma, r_max=r_max, eps_model=eps_model, eps_policy=eps_policy, k=k, slope=slope,
        eps_model_shifted=shifted,
        theorem_4_1=theorem_4_1(gamma, r_max, eps_model, eps_policy),
        theorem_4_2=theorem_4_2(gamma, r_max, eps_model, eps_policy, k),
        theorem_4_3=theorem_4_3(gamma, r_max, shifted.value, eps_policy, k),
    )


@dataclass(frozen=True)
class OptimalKReport:
    """k* of the Theorem 4.3 bracket, its closed form, the exhaustive argmin and the term table.

    ``k_star`` is None when the bracket decreases for ever (ε_m′ = 0 < ε_π); ``ratio`` ρ =
    ε_m′/ε_π is None when ε_π = 0. ``closed_form_agrees`` is None when the argmin over the
    table cannot check the closed form (k* unbounded or beyond ``k_max``). ``terms`` totals are
    the bracket f(k), the Theorem 4.3 penalty C in units of 2·r_max. ``source`` names where
    the ε's came from (a results file), if not from the command line.
    """

    gamma: float
    eps_policy: float
    eps_model: float
    slope: float
    eps_model_shifted: ShiftedModelError
    ratio: float | None
    k_star: int | None
    closed_form: str
    k_max: int
    k_star_exhaustive: int
    terms: tuple[BracketTerms, ...]
    source: str | None = None
    #: k*'s range over the inputs' intervals (:mod:`boundcheck.theory.k_interval`), at
    #: ``interval_level``; None where the inputs carry no intervals (given on the command line,
    #: or measured with one seed).
    k_star_interval: KStarInterval | None = None
    interval_level: float | None = None
    #: Where ε_m′ = ε_m + ε_π·slope uses the slope beyond the policy shifts it was fitted on.
    extrapolation: str | None = None

    @property
    def k_star_unbounded(self) -> bool:
        """Whether no finite minimiser exists."""
        return self.k_star is None

    @property
    def penalty_at_k_star(self) -> float:
        """The bracket's smallest value over the table, f(k*), in units of 2·r_max."""
        return min(t.total for t in self.terms)

    @property
    def vacuous(self) -> bool:
        """Whether even at k* the Theorem 4.3 penalty C = 2 r_max·f(k*) reaches the trivial
        range 2 r_max/(1−γ) (r_max cancels): then k* minimises a bound that says nothing."""
        return self.penalty_at_k_star >= 1.0 / (1.0 - self.gamma)

    @property
    def closed_form_agrees(self) -> bool | None:
        """Whether the exhaustive argmin equals k* (None where the table cannot check it)."""
        if self.k_star is None or self.k_star > self.k_max:
            return None
        return self.k_star_exhaustive == self.k_star

    def __json_encode__(self) -> dict[str, Any]:
        """The ``optimal-k --json`` document: the fields (ε_m′ flattened), the derived
        ``k_star_unbounded``, ``closed_form_agrees`` and ``terms_unit``, and ``from`` only when
        ``source`` is set."""
        doc: dict[str, Any] = {
            "gamma": self.gamma, "eps_pi": self.eps_policy, "eps_m": self.eps_model,
            "slope": self.slope, **_shifted_json(self.eps_model_shifted), "ratio": self.ratio,
            "k_star": self.k_star, "k_star_unbounded": self.k_star_unbounded,
            "closed_form": self.closed_form, "k_max": self.k_max,
            "k_star_exhaustive": self.k_star_exhaustive,
            "closed_form_agrees": self.closed_form_agrees,
            "penalty_at_k_star": self.penalty_at_k_star,
            "trivial_range": 1.0 / (1.0 - self.gamma), "vacuous": self.vacuous,
            "terms_unit": TERMS_UNIT,
            "terms": self.terms,
        }
        if self.source is not None:
            doc["from"] = self.source
        if self.k_star_interval is not None:
            doc["k_star_interval"] = {**encode(self.k_star_interval),
                                      "level": self.interval_level}
        if self.extrapolation is not None:
            doc["extrapolation"] = self.extrapolation
        return doc


def _shifted_json(shifted: ShiftedModelError) -> dict[str, Any]:
    """ε_m′ as the reports write it: ``eps_model_shifted`` and ``eps_model_shifted_clipped``."""
    return {"eps_model_shifted": shifted.value, "eps_model_shifted_clipped": shifted.clipped}


def optimal_k_report(*, gamma: float, eps_policy: float, eps_model: float, slope: float | None,
                     k_max: int | None, source: str | None = None,
                     box: InputBox | None = None) -> OptimalKReport:
    """k* for the given errors, checked against the exhaustive argmin over k = 0..k_max; with
    ``box`` (the inputs' intervals) also k*'s range over them and, where ε_π exceeds the policy
    shifts the slope was fitted on, a note that ε_m′ extrapolates the fit.

    The table spans k = 0..k_max, with k_max = min(max(2k*, 10), MAX_TABLE_K) unless given (a
    given k_max may be at most MAX_TABLE_K).
    """
    check_gamma(gamma)
    shifted = shifted_model_error(eps_model, eps_policy, slope)
    k_star = k_star_closed_form(gamma, eps_policy, shifted.value)
    top = _table_k_max(k_star, k_max)
    ratio = shifted.value / eps_policy if eps_policy > 0 else None
    return OptimalKReport(
        gamma=gamma, eps_policy=eps_policy, eps_model=eps_model,
        slope=0.0 if slope is None else slope,
        eps_model_shifted=shifted, ratio=ratio, k_star=k_star,
        closed_form=_closed_form_text(gamma, ratio, k_star), k_max=top,
        k_star_exhaustive=k_star_exhaustive(gamma, eps_policy, shifted.value, top),
        terms=tuple(bracket_terms(gamma, eps_policy, shifted.value, k) for k in range(top + 1)),
        source=source,
        k_star_interval=None if box is None else k_star_interval(
            gamma, box.eps_policy, box.eps_model, box.slope),
        interval_level=None if box is None else box.level,
        extrapolation=None if box is None else _extrapolation(eps_policy, box.slope_fit_x_max),
    )


@dataclass(frozen=True)
class InputBox:
    """The inputs' intervals (each (low, high)) at joint ``level``, and the largest policy
    shift (Pinsker TV) the slope was fitted on (None: unknown)."""

    eps_policy: tuple[float, float]
    eps_model: tuple[float, float]
    slope: tuple[float, float]
    level: float
    slope_fit_x_max: float | None = None


def _extrapolation(eps_policy: float, x_max: float | None) -> str | None:
    if x_max is None or eps_policy <= x_max:
        return None
    return (f"eps_m' = eps_m + eps_pi*slope uses the slope at eps_pi = {eps_policy:.3g}, beyond "
            f"the policy shifts it was fitted on (Pinsker TV up to {x_max:.3g}): an "
            "extrapolation of the fit")


def _table_k_max(k_star: int | None, k_max: int | None) -> int:
    """The last k of the table: the default, or a given ``k_max`` (at most MAX_TABLE_K)."""
    if k_max is None:
        return min(default_table_k_max(k_star), MAX_TABLE_K)
    check_k(k_max, "k_max")
    if k_max > MAX_TABLE_K:
        raise TheoryInputError("k_max", f"must be at most {MAX_TABLE_K} (the exhaustive argmin "
                                        f"evaluates every k up to it), got {k_max}")
    return k_max


def _closed_form_text(gamma: float, ratio: float | None, k_star: int | None) -> str:
    if ratio is None:
        return "eps_pi = 0: no policy-shift term, k* = 0"
    if k_star is None:
        return "eps_m' = 0: the bound decreases for ever in k (no finite k*)"
    if ratio >= 1.0:
        return f"rho = eps_m'/eps_pi = {ratio:.6g} >= 1, so k* = 0"
    value = math.log(ratio) / math.log(gamma)
    return (f"k* = max(0, ceil(ln(rho)/ln(gamma))) = ceil(ln({ratio:.6g})/ln({gamma:.6g})) "
            f"= ceil({value:.6g}) = {k_star}")


@dataclass(frozen=True)
class RatioKStar:
    """k* at one ρ = ε_m′/ε_π (None: unbounded, ρ = 0)."""

    ratio: float
    k_star: int | None


@dataclass(frozen=True)
class KStarByRatio:
    """k* over a grid of ρ = ε_m′/ε_π for one γ (k* depends on nothing else).

    Its JSON is the ``optimal-k --json`` document without errors: ``gamma``, ``note`` (always
    :data:`RATIO_NOTE`) and ``by_ratio`` (the rows)."""

    gamma: float
    note: str = field(default=RATIO_NOTE, init=False)
    rows: tuple[RatioKStar, ...] = field(metadata=json_meta(key="by_ratio"))


def k_star_by_ratio_report(gamma: float, ratios: list[float] | None = None) -> KStarByRatio:
    """k* over a grid of ρ (default: 0.01, ..., 0.99, 1); k* = 0 for every ρ ≥ 1."""
    check_gamma(gamma)
    grid = default_ratio_grid() if ratios is None else ratios
    return KStarByRatio(gamma, tuple(RatioKStar(r, k_star_from_ratio(gamma, r)) for r in grid))
