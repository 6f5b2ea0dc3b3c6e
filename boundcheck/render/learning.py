"""Terminal rendering of ``boundcheck plot-runs`` results (rich tables)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from boundcheck.render.table import print_table

if TYPE_CHECKING:  # the results' module imports the estimators (and torch): types only here
    from boundcheck.estimators.learning import SeedSummary
    from boundcheck.experiments.learning.curves import RunCurvesReport, SeedGroupsReport


def _fmt(summary: SeedSummary) -> str:
    if summary.n < 2:
        return f"{summary.mean:.0f}"
    return f"{summary.mean:.0f} [{summary.ci_low:.0f}, {summary.ci_high:.0f}]"


def render_run_curves(console: Console, report: RunCurvesReport) -> None:
    """Where the figure went."""
    console.print(f"wrote {report.figure}")


def render_seed_groups(console: Console, report: SeedGroupsReport) -> None:
    """The across-seed table at the summary's step, the paired comparison if any, the figure."""
    summary = report.summary
    level = f"{summary.confidence:.0%}"
    table = Table(title=f"Evaluation return at {summary.step:,} env steps (mean [{level} t "
                        f"interval] over seeds)")
    for col in ("group", "seeds", "at step", f"last {summary.window} evals",
                "per seed at step"):
        table.add_column(col)
    for label, g in summary.groups.items():
        per = ", ".join(f"{s}: {v:.0f}" for s, v in g.at_step.per_seed.items())
        table.add_row(label, str(len(g.seeds)), _fmt(g.at_step.summary),
                      _fmt(g.window_mean.summary), per)
    print_table(console, table)
    paired = summary.paired
    if paired is not None:
        for p, name in ((paired.at_step, "at step"),
                        (paired.window_mean, f"last {summary.window} evals")):
            console.print(f"{paired.a} > {paired.b} ({name}): {p.wins}/{p.n} seeds, "
                          f"sign test p = {p.sign_test_p:.2g}; mean difference "
                          f"{_fmt(p.diff)}")
    console.print(f"wrote {report.figure}")
