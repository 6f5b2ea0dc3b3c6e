"""Terminal rendering of a ``measure-generalization`` result (paper Section 4.3;
docs/measure-generalization.md): per training-set size, the local and all-points slope of the
primary model-error measure against the Pinsker TV, the error at π_D and ε_π over MBPO's
retrain interval. Only the CLI calls this."""

from __future__ import annotations

import math

from rich.console import Console
from rich.table import Table

from boundcheck.estimators import MeanStd
from boundcheck.experiments.generalization.analysis import slope_trends
from boundcheck.experiments.generalization.kstar import K_STAR_GAMMA, k_star_by_size, k_star_text
from boundcheck.experiments.generalization.records import SizeRecord
from boundcheck.experiments.generalization.results import GeneralizationDocument
from boundcheck.render.table import print_table


def _fmt(summary: MeanStd | None) -> str:
    """``mean ± std`` (the std only when it is a number)."""
    if summary is None:
        return "-"
    std = summary.std
    return f"{summary.mean:.4g}" + ("" if math.isnan(std) else f" ± {std:.2g}")


def render_generalization(console: Console, result: GeneralizationDocument,
                          paths: dict[str, str]) -> None:
    """The slope table, why the TV is unavailable (if so), the warnings and the files."""
    y = result.model_error.primary
    src = result.source
    table = Table(title=f"{src.env}, pi_D = {src.run} epoch {src.epoch}: "
                        f"d({y})/d(Pinsker TV)")
    for col in ("N", "local slope", "all-points slope", f"eps_m: mean {y} at pi_D",
                "eps_pi: Pinsker TV of the mean KL after MBPO's retrain interval",
                f"k* at gamma {K_STAR_GAMMA} [95% range over seeds]"):
        table.add_column(col, justify="right")
    k_stars = {row.train_size: row for row in k_star_by_size(
        result.sizes, result.model_error.tv_available, result.settings.eps_policy_updates)}
    for size in result.sizes:
        slopes = size.slopes[y]["pinsker_tv"]
        k_star = k_stars.get(size.train_size)
        table.add_row(f"{size.train_size:,}", _fmt(slopes.local), _fmt(slopes.linear),
                      _fmt(size.eps_model_at_pi_d[y]), _fmt(size.eps_policy_interval),
                      "-" if k_star is None else k_star_text(k_star))
    print_table(console, table)
    if any(row.extrapolated for row in k_stars.values()):
        console.print("k* takes eps_m' at eps_pi = 1 from the slope's fit, which extrapolates "
                      "beyond the policy shifts it was fitted on (optimal-k --from says by how "
                      "much).", highlight=False)
    console.print("These eps are the ones k* takes (means over states and time); validate's "
                  "eps_m is a sup over time and its eps_pi a max over states, the theorems' "
                  "definitions, so they are larger.", highlight=False)
    for t in slope_trends(result.sizes):
        console.print(f"slope of {t.measure} ({t.kind} fit) from N = {t.small:,} to {t.large:,}: "
                      f"change {t.mean:.3g} [{t.ci_low:.3g}, {t.ci_high:.3g}] over "
                      f"{len(t.differences)} repetition(s): {t.verdict.value}", highlight=False)
    if not result.model_error.tv_available:
        console.print(f"TV unavailable: {result.model_error.tv_unavailable_reason}")
    for warning in result.warnings:
        console.print(f"note: {warning}")
    if paths:
        console.print("wrote " + ", ".join(paths.values()))
    for sentence in conclusion(result):
        console.print(sentence, markup=False, highlight=False)


def conclusion(result: GeneralizationDocument) -> list[str]:
    """What was found, in plain sentences: how the model error at π_D and its slope against
    the policy shift change from the smallest to the largest training set."""
    y = result.model_error.primary
    sizes = sorted(result.sizes, key=lambda s: s.train_size)
    first, last = sizes[0], sizes[-1]
    what = "mean TV" if y == "tv" else "mean NLL (a proxy: no known noise)"

    def level(size: SizeRecord) -> str:
        return _fmt(size.eps_model_at_pi_d[y])

    def slope(size: SizeRecord) -> str:
        return _fmt(size.slopes[y]["pinsker_tv"].linear)

    lines = [f"Conclusion: the model's {what} at pi_D is {level(first)} at N = "
             f"{first.train_size:,}" + (f" and {level(last)} at N = {last.train_size:,}"
                                         if last is not first else "") +
             f"; its all-points slope against the policy shift (Pinsker TV) is {slope(first)}"
             + (f" and {slope(last)}" if last is not first else "")
             + f" (mean ± std over {len(first.seeds)} repetition(s))."]
    trends = [t for t in slope_trends(result.sizes) if t.measure == y and t.kind == "linear"]
    if trends:
        t = trends[0]
        lines.append(f"Whether more data flattens the slope (the paper's claim): {t.verdict.value} "
                     f"(change {t.mean:.3g} [{t.ci_low:.3g}, {t.ci_high:.3g}] over "
                     f"{len(t.differences)} repetition(s)).")
    k_stars = k_star_by_size(result.sizes, result.model_error.tv_available,
                             result.settings.eps_policy_updates)
    if k_stars:
        lines.append(f"Theorem 4.3's k* at gamma {K_STAR_GAMMA}: " + ", ".join(
            f"{k_star_text(row)} at N = {row.train_size:,}" for row in k_stars)
            + " (the table for any gamma: boundcheck optimal-k --from <this results.json> "
              "--train-size N).")
    return lines
