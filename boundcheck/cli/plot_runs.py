"""``boundcheck plot-runs``: learning curves of one or more run directories.

With ``--group``, runs of the same algorithm, task and setting (known noise, model, fixed k)
are pooled over their seeds: the figure shows each seed thin and the mean with a t band, and a
table gives the return at ``--at`` (default: the last step every run reached) and the mean of
the last ``--window`` evaluations, each over seeds with an interval, plus a paired comparison
when two groups share their seeds (:mod:`boundcheck.experiments.learning.curves`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from boundcheck.cli.common import check_figure_path, check_numbers, emit_json, stdout_console
from boundcheck.cli.errors import naming
from boundcheck.cli.options import JsonOption, opt, out_option
from boundcheck.codec import encode
from boundcheck.inputs import COUNT, NON_NEGATIVE_INT, PROBABILITY_OPEN
from boundcheck.render.learning import render_run_curves, render_seed_groups


def command(
    runs: Annotated[list[Path], typer.Argument(help="Run directories (written by train).")],
    out: Annotated[Path, out_option("Figure file (.png, .pdf or .svg).")]
    = Path("learning_curves.png"),
    title: Annotated[str, opt("--title", "Figure title.")] = "",
    group: Annotated[bool, opt("--group", "Pool runs of one algorithm, task and setting over "
                                          "seeds; print the across-seed table.")] = False,
    at: Annotated[int | None, opt("--at", "Env step of the table (default: the last step "
                                          "every run reached).")] = None,
    window: Annotated[int, opt("--window", "Evaluations averaged per run up to --at.")] = 5,
    confidence: Annotated[float, opt("--confidence", "Level of the intervals.")] = 0.95,
    metric: Annotated[str, opt("--metric", "Any key of the runs' metrics.jsonl, e.g. "
                               "eval/length_mean or eval/terminated_fraction.")]
    = "eval/return_mean",
    as_json: JsonOption = False,
) -> int:
    """Plot evaluation return against real env steps for each run (or per group of seeds)."""
    # The library imports the estimators (torch): only when the command runs.
    from boundcheck.experiments.learning.curves import (
        SeedGroupsReport,
        plot_run_curves,
        plot_seed_groups,
    )

    check_figure_path("--out", out)
    check_numbers({"--window": (window, COUNT), "--confidence": (confidence, PROBABILITY_OPEN),
                   "--at": (at, NON_NEGATIVE_INT)})
    with naming("RUNS"):  # an unreadable run directory is bad input of RUNS
        report = (plot_seed_groups(runs, out, title=title, at=at, window=window,
                                   confidence=confidence, metric=metric) if group
                  else plot_run_curves(runs, out, title=title, metric=metric))
    if as_json:
        emit_json(encode(report))
    elif isinstance(report, SeedGroupsReport):
        render_seed_groups(stdout_console(), report)
    else:
        render_run_curves(stdout_console(), report)
    return 0
