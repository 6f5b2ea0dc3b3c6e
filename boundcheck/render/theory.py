"""Terminal rendering of the theory commands' typed results (rich tables): ``bounds``,
``optimal-k`` and ``verify-tabular`` (docs/theory.md, docs/verify-tabular.md)."""

from __future__ import annotations

import math
from typing import Any

from rich.console import Console
from rich.table import Table

from boundcheck.experiments.tabular.verify import InstanceReport, RandomCheckReport, SearchReport
from boundcheck.render.table import print_table
from boundcheck.theory.bound_reports import RATIO_NOTE, BoundsReport, KStarByRatio, OptimalKReport
from boundcheck.theory.checks import BoundCheck, Theorem


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def render_bounds(console: Console, report: BoundsReport) -> None:
    """The three penalties with their parts."""
    shifted = report.eps_model_shifted
    console.print(
        f"gamma={_fmt(report.gamma)}  r_max={_fmt(report.r_max)}  eps_m={_fmt(report.eps_model)}  "
        f"eps_pi={_fmt(report.eps_policy)}  k={report.k}  eps_m'={_fmt(shifted.value)}"
        + ("  (eps_m' clipped to [0, 1])" if shifted.clipped else "")
    )
    table = Table(title="MBPO penalties C (eta >= reference - C), units of return")
    for col in ("theorem", "reference", "policy-shift part", "model-error part", "C",
                "informative"):
        table.add_column(col, justify="right" if col != "theorem" else "left")
    refs = ("eta_hat (full model)", "eta_branch (k-step)", "eta_branch (k-step, eps_m')")
    for penalty, ref in zip(report.penalties, refs, strict=True):
        table.add_row(penalty.theorem, ref, _fmt(penalty.policy_shift),
                      _fmt(penalty.model_error), _fmt(penalty.total), _fmt(penalty.informative))
    print_table(console, table)
    console.print(f"trivial return range 2*r_max/(1-gamma) = {_fmt(report.trivial_range)}; a "
                  "bound informs only when C is below it.")


def render_optimal_k(console: Console, report: OptimalKReport, *, table: bool = False) -> None:
    """k*, its closed form, whether the bound it minimises says anything, and (``table``) the
    per-k table of the Theorem 4.3 bracket."""
    k_star = "unbounded (no finite minimiser)" if report.k_star_unbounded else report.k_star
    if report.source is not None:
        console.print(f"from: {report.source}", markup=False, highlight=False)
    console.print(f"inputs: gamma = {_fmt(report.gamma)}, eps_pi = {_fmt(report.eps_policy)}, "
                  f"eps_m = {_fmt(report.eps_model)}, slope d eps_m'/d eps_pi = "
                  f"{_fmt(report.slope)}", markup=False)
    console.print(f"k* = {k_star}    eps_m' = {_fmt(report.eps_model_shifted.value)}    "
                  f"rho = eps_m'/eps_pi = {_fmt(report.ratio)}")
    console.print(report.closed_form)
    if report.k_star_interval is not None:
        span = report.k_star_interval
        high = "unbounded" if span.high is None else span.high
        low = "unbounded" if span.low is None else span.low
        console.print(f"k* range over the inputs' intervals ({report.interval_level:.0%} jointly, "
                      f"over seeds): {low} .. {high} (rho {_fmt(span.ratio_low)} .. "
                      f"{_fmt(span.ratio_high)})")
    if report.extrapolation is not None:
        console.print(f"note: {report.extrapolation}", markup=False, highlight=False)
    unchecked = "" if report.closed_form_agrees is not None else (
        " (k* lies beyond the table: not checked)" if not report.k_star_unbounded else "")
    console.print(f"exhaustive argmin over k = 0..{report.k_max}: "
                  f"{report.k_star_exhaustive}{unchecked}")
    if table:
        rows = Table(title="Theorem 4.3 bracket per k (units of 2*r_max)")
        for col in ("k", "policy shift", "model error", "total"):
            rows.add_column(col, justify="right")
        for row in report.terms:
            style = "bold green" if row.k == report.k_star else None
            rows.add_row(str(row.k), _fmt(row.policy_shift), _fmt(row.model_error),
                         _fmt(row.total), style=style)
        console.print(rows)
    trivial = 1.0 / (1.0 - report.gamma)
    if report.vacuous:
        console.print(f"The bound is vacuous here: even at its best k the Theorem 4.3 penalty is "
                      f"{_fmt(report.penalty_at_k_star)} x 2 r_max, above the trivial range "
                      f"1/(1-gamma) = {_fmt(trivial)} x 2 r_max, so k* minimises a bound that "
                      "says nothing about the return; it only tells which way the trade-off "
                      "leans.", markup=False, highlight=False)
    else:
        console.print(f"The bound is informative at k*: penalty "
                      f"{_fmt(report.penalty_at_k_star)} x 2 r_max, below the trivial range "
                      f"{_fmt(trivial)} x 2 r_max.", markup=False, highlight=False)


def render_k_by_ratio(console: Console, report: KStarByRatio) -> None:
    """k* over the grid of rho, in a compact multi-column table."""
    console.print(f"gamma = {_fmt(report.gamma)}: {RATIO_NOTE}")
    rows = report.rows
    table = Table(title="k* against rho = eps_m'/eps_pi")
    cols = 5
    for _ in range(cols):
        table.add_column("rho", justify="right")
        table.add_column("k*", justify="right")
    per_col = -(-len(rows) // cols)
    for i in range(per_col):
        cells: list[str] = []
        for c in range(cols):
            j = c * per_col + i
            if j < len(rows):
                ratio = rows[j].ratio
                cells += [">= 1" if ratio >= 1 else f"{ratio:.2f}", _fmt(rows[j].k_star)]
            else:
                cells += ["", ""]
        table.add_row(*cells)
    print_table(console, table)


def _check_row(table: Table, label: str, check: BoundCheck) -> None:
    table.add_row(label, _fmt(check.C), _fmt(check.lower_bound), _fmt(check.slack),
                  _fmt(check.tightness if math.isfinite(check.tightness) else None),
                  _fmt(check.holds),
                  style=None if check.holds else "bold red")


def render_tabular_instance(console: Console, report: InstanceReport) -> None:
    """One exact finite-MDP evaluation: MBPO's theorems and lemmas, then the ladder."""
    ev = report.checks.evaluation
    console.print(
        f"eta={_fmt(ev.eta)}  eta_model={_fmt(ev.eta_model)}  "
        f"eta_branch(k={ev.k})={_fmt(ev.eta_branch[ev.k])}  r_max={_fmt(ev.r_max)}")
    console.print(f"eps_pi={_fmt(ev.eps_policy)}  eps_m={_fmt(ev.eps_model)}  "
                  f"eps_m'={_fmt(ev.eps_model_shifted)}  eps_m(worst)={_fmt(ev.eps_model_worst)}")
    table = Table(title="Exact bound checks (slack = eta - lower bound)")
    for col in ("check", "C", "lower bound", "slack", "tightness", "holds"):
        table.add_column(col, justify="left" if col == "check" else "right")
    for theorem in Theorem:
        _check_row(table, str(theorem), ev.theorems[theorem])
        _check_row(table, f"{theorem} (worst-case eps)", ev.theorems_worst[theorem])
    for name, lemma in ev.lemmas.items():
        table.add_row(f"{name}: {lemma.detail}", "", f"lhs {_fmt(lemma.lhs)}",
                      f"rhs {_fmt(lemma.rhs)}", "", _fmt(lemma.holds),
                      style=None if lemma.holds else "bold red")
    print_table(console, table)
    ladder = Table(title="The bound ladder (|gap| <= bound; docs/theory.md)")
    for col in ("rung", "gap", "bound", "fraction of range", "tightness", "holds"):
        ladder.add_column(col, justify="left" if col == "rung" else "right")
    for rung, check in report.checks.ladder.items():
        ladder.add_row(str(rung), _fmt(check.gap), _fmt(check.bound), _fmt(check.fraction),
                       _fmt(check.tightness if math.isfinite(check.tightness) else None),
                       _fmt(check.holds), style=None if check.holds else "bold red")
    print_table(console, ladder)


def render_random_check(console: Console, report: RandomCheckReport) -> None:
    """Counts, violations and tightest instances of a random check."""
    result = report.result
    console.print(f"instances checked: {result.instances}   violations: "
                  f"{result.total_violations}")
    table = Table(title="Checks on random finite MDPs")
    for col in ("check", "evaluated", "violations"):
        table.add_column(col, justify="left" if col == "check" else "right")
    for name, count in result.checks.items():
        v = result.violations[name]
        table.add_row(name, str(count), str(v), style="bold red" if v else None)
    print_table(console, table)
    tight = Table(title="Tightest instance per bound ((reference - eta)/C or |gap|/bound; "
                        "1 = attained)")
    for col in ("bound", "tightness", "instance", "gamma", "k", "file"):
        tight.add_column(col, justify="left" if col in ("bound", "file") else "right")
    for name, t in result.tightest.items():
        path = report.tightest_files.get(name)
        tight.add_row(str(name), _fmt(None if t is None else t.tightness),
                      _fmt(-1 if t is None else t.index),
                      _fmt(None if t is None else t.instance.gamma),
                      _fmt(None if t is None else t.instance.k),
                      _fmt(None if path is None else str(path)))
    console.print(tight)
    for path in report.counterexample_files:
        console.print(f"[bold red]counterexample saved:[/] {path}")


def render_search(console: Console, report: SearchReport) -> None:
    """Results of ``--search tight``."""
    table = Table(title=f"Tightest instances found (S={report.states}, A={report.actions}, "
                        f"gamma={report.gamma}, k={report.k})")
    for col in ("bound", "tightness", "best random start", "evaluations", "file"):
        table.add_column(col, justify="left" if col in ("bound", "file") else "right")
    for name, searched in report.theorems.items():
        found = searched.found
        table.add_row(str(name), _fmt(found.tightness), _fmt(found.start_tightness),
                      str(found.evaluations), str(searched.file),
                      style="bold red" if found.tightness > 1 else None)
    print_table(console, table)
    console.print("tightness = (reference - eta)/C (theorems) or |gap|/bound (rungs): above 1 "
                  "would be a violation.")
