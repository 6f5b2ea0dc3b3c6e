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
from boundcheck.experiments.generalization.results import GeneralizationDocument


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
                "eps_pi: Pinsker TV of the mean KL after MBPO's retrain interval"):
        table.add_column(col, justify="right")
    for size in result.sizes:
        slopes = size.slopes[y]["pinsker_tv"]
        table.add_row(f"{size.train_size:,}", _fmt(slopes.local), _fmt(slopes.linear),
                      _fmt(size.eps_model_at_pi_d[y]), _fmt(size.eps_policy_interval))
    console.print(table)
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
    console.print("wrote " + ", ".join(paths.values()))
