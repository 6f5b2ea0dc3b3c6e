"""The typed reports of ``bounds`` and ``optimal-k`` (boundcheck.theory.bound_reports)."""

from __future__ import annotations

import pytest

from boundcheck.codec import encode
from boundcheck.theory.bound_reports import (
    MAX_TABLE_K,
    bounds_report,
    k_star_by_ratio_report,
    optimal_k_report,
    shifted_model_error,
)
from boundcheck.theory.bounds import TheoryInputError, theorem_4_3


def test_shifted_model_error_is_projected_and_says_so() -> None:
    assert shifted_model_error(0.1, 0.2, None) == (shifted := shifted_model_error(0.1, 0.2, 0.0))
    assert shifted.value == 0.1 and not shifted.clipped
    assert shifted_model_error(0.9, 0.5, 0.5).value == 1.0
    assert shifted_model_error(0.9, 0.5, 0.5).clipped
    assert shifted_model_error(0.1, 0.5, -1.0).value == 0.0
    with pytest.raises(TheoryInputError) as info:
        shifted_model_error(0.1, 0.5, float("inf"))
    assert info.value.param == "slope"


def test_bounds_report_uses_the_shifted_error_for_theorem_4_3_only() -> None:
    report = bounds_report(gamma=0.9, r_max=2.0, eps_model=0.1, eps_policy=0.05, k=3, slope=1.0)
    assert report.eps_model_shifted.value == pytest.approx(0.15)
    assert report.theorem_4_3 == theorem_4_3(0.9, 2.0, report.eps_model_shifted.value, 0.05, 3)
    assert report.trivial_range == pytest.approx(40.0) and report.finite
    doc = encode(report)
    assert doc["eps_model_shifted"] == report.eps_model_shifted.value
    assert doc["eps_model_shifted_clipped"] is False
    assert doc["theorem_4_2"]["C"] == report.theorem_4_2.total
    huge = bounds_report(gamma=0.99, r_max=1e308, eps_model=0.1, eps_policy=0.1, k=1, slope=None)
    assert not huge.finite


def test_optimal_k_report() -> None:
    report = optimal_k_report(gamma=0.99, eps_policy=0.1, eps_model=0.05, slope=None, k_max=None)
    assert report.k_star == report.k_star_exhaustive == 69 and report.closed_form_agrees
    assert report.k_max == 138 and len(report.terms) == 139 and report.slope == 0.0
    assert "from" not in encode(report)
    short = optimal_k_report(gamma=0.99, eps_policy=0.1, eps_model=0.05, slope=None, k_max=3,
                             source="somewhere")
    assert short.closed_form_agrees is None and encode(short)["from"] == "somewhere"
    unbounded = optimal_k_report(gamma=0.9, eps_policy=0.1, eps_model=0.0, slope=None, k_max=None)
    assert unbounded.k_star_unbounded and encode(unbounded)["k_star"] is None
    with pytest.raises(TheoryInputError, match=f"at most {MAX_TABLE_K}"):
        optimal_k_report(gamma=0.9, eps_policy=0.1, eps_model=0.1, slope=None,
                         k_max=MAX_TABLE_K + 1)


def test_k_star_by_ratio() -> None:
    report = k_star_by_ratio_report(0.99)
    assert report.rows[-1].ratio == 1.0 and report.rows[-1].k_star == 0
    assert {r.ratio: r.k_star for r in report.rows}[0.5] == 69
    doc = encode(report)
    assert list(doc) == ["gamma", "note", "by_ratio"] and len(doc["by_ratio"]) == 100
