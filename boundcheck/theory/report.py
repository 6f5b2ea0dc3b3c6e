"""JSON-ready reports of the bound formulas, as ``boundcheck bounds`` and ``optimal-k`` print them.

Pure functions of their arguments; the CLI only renders what they return.
"""

from __future__ import annotations

import math
from typing import Any

from boundcheck.theory.bounds import (
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
from boundcheck.theory.optimal_k import (
    bracket_terms,
    default_ratio_grid,
    default_table_k_max,
    k_star_closed_form,
    k_star_exhaustive,
    k_star_from_ratio,
)


def bounds_report(*, gamma: float, r_max: float, eps_m: float, eps_pi: float, k: int,
                  slope: float | None) -> dict[str, Any]:
    """The three penalties with their parts; ε_m′ = ε_m + ε_π·slope (ε_m without a slope)."""
    check_gamma(gamma)
    check_r_max(r_max)
    check_k(k)
    eps_m_prime, raw = _shifted(eps_m, eps_pi, slope)
    return {
        "gamma": gamma, "r_max": r_max, "eps_m": eps_m, "eps_pi": eps_pi, "k": k,
        "slope": slope, "eps_m_prime": eps_m_prime, "eps_m_prime_clipped": raw != eps_m_prime,
        "trivial_range": 2.0 * r_max / (1.0 - gamma),
        "theorem_4_1": theorem_4_1(gamma, r_max, eps_m, eps_pi).as_dict(),
        "theorem_4_2": theorem_4_2(gamma, r_max, eps_m, eps_pi, k).as_dict(),
        "theorem_4_3": theorem_4_3(gamma, r_max, eps_m_prime, eps_pi, k).as_dict(),
    }


def _shifted(eps_m: float, eps_pi: float, slope: float | None) -> tuple[float, float]:
    check_tv(eps_m, "eps_model")
    check_tv(eps_pi, "eps_policy")
    if slope is None:
        return eps_m, eps_m
    check_slope(slope)
    return (eps_model_shifted_linear(eps_m, eps_pi, slope),
            eps_model_shifted_linear_raw(eps_m, eps_pi, slope))


#: Largest k the exhaustive argmin and the table evaluate (one bracket per k; 10,000 take ~0.1 s).
MAX_TABLE_K = 10_000


def optimal_k_report(*, gamma: float, eps_pi: float, eps_m: float, slope: float | None,
                     k_max: int | None) -> dict[str, Any]:
    """k* of the Theorem 4.3 bracket, its closed form, the exhaustive argmin and the term table.

    The table spans k = 0..k_max, with k_max = min(max(2k*, 10), MAX_TABLE_K) unless given (a
    given k_max may be at most MAX_TABLE_K). ``closed_form_agrees`` is null when the argmin
    over the table cannot check the closed form: k* unbounded or beyond k_max. ``terms`` totals
    are the bracket f(k), the Theorem 4.3 penalty C in units of 2·r_max.
    """
    check_gamma(gamma)
    eps_m_prime, raw = _shifted(eps_m, eps_pi, slope)
    k_star = k_star_closed_form(gamma, eps_pi, eps_m_prime)
    top = _table_k_max(k_star, k_max)
    k_exh = k_star_exhaustive(gamma, eps_pi, eps_m_prime, top)
    ratio = eps_m_prime / eps_pi if eps_pi > 0 else None
    return {
        "gamma": gamma, "eps_pi": eps_pi, "eps_m": eps_m,
        "slope": 0.0 if slope is None else slope,
        "eps_m_prime": eps_m_prime, "eps_m_prime_clipped": raw != eps_m_prime,
        "ratio": ratio,
        "k_star": k_star,
        "k_star_unbounded": k_star is None,
        "closed_form": _closed_form_text(gamma, ratio, k_star),
        "k_max": top,
        "k_star_exhaustive": k_exh,
        "closed_form_agrees": (k_exh == k_star) if k_star is not None and k_star <= top
        else None,
        "terms_unit": "2*r_max (the Theorem 4.3 penalty C divided by 2*r_max)",
        "terms": [bracket_terms(gamma, eps_pi, eps_m_prime, k).as_dict()
                  for k in range(top + 1)],
    }


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


def k_star_by_ratio_report(gamma: float, ratios: list[float] | None = None) -> dict[str, Any]:
    """k* over a grid of ρ = ε_m′/ε_π (k* depends on nothing else); k* = 0 for every ρ ≥ 1."""
    check_gamma(gamma)
    grid = default_ratio_grid() if ratios is None else ratios
    return {
        "gamma": gamma,
        "note": "k* depends only on rho = eps_m'/eps_pi; k* = 0 for every rho >= 1",
        "by_ratio": [{"ratio": r, "k_star": k_star_from_ratio(gamma, r)} for r in grid],
    }
