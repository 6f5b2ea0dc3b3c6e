"""``boundcheck optimal-k``: the rollout length k* minimising the Theorem 4.3 bound."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from boundcheck.cli.common import (
    bad_input,
    check_figure_path,
    emit_json,
    stdout_console,
)
from boundcheck.cli.errors import naming
from boundcheck.cli.options import SLOPE_HELP, JsonOption, opt
from boundcheck.codec import encode
from boundcheck.experiments.generalization.analysis import input_box
from boundcheck.experiments.generalization.results import read_theory_inputs
from boundcheck.experiments.generalization.settings import parse_size
from boundcheck.render.theory import render_k_by_ratio, render_optimal_k
from boundcheck.theory.bound_reports import (
    MAX_TABLE_K,
    InputBox,
    OptimalKReport,
    k_star_by_ratio_report,
    optimal_k_report,
)
from boundcheck.theory.bounds import check_tv


def command(
    gamma: Annotated[float, opt("--gamma", "Discount factor in (0, 1).")] = 0.99,
    eps_policy: Annotated[float | None, opt(
        "--eps-pi", "Policy shift eps_pi (TV, [0, 1]); with --eps-m.")] = None,
    eps_model: Annotated[float | None, opt(
        "--eps-m", "Model error eps_m (TV, [0, 1]); with --eps-pi.")] = None,
    slope: Annotated[float | None, opt(
        "--slope", SLOPE_HELP)] = None,
    k_max: Annotated[int | None, opt(
        "--k-max", "Largest k of the exhaustive argmin and table, at most "
        f"{MAX_TABLE_K:,} (default min(max(2k*, 10), {MAX_TABLE_K:,})).")]
    = None,
    from_file: Annotated[Path | None, opt(
        "--from", "Take eps_pi, eps_m, slope from a measure-generalization results.json.")]
    = None,
    train_size: Annotated[str | None, opt(
        "--train-size", "With --from: the inputs at this training size of "
        "the results (e.g. 60k; default: the file's optimal_k_inputs, the smallest size).")]
    = None,
    plot: Annotated[Path | None, opt(
        "--plot", "Write a figure of k* against rho = eps_m'/eps_pi (.png/.pdf/.svg).")]
    = None,
    table: Annotated[bool, opt("--table", "Print the Theorem 4.3 bracket for every k of "
                                "0..k_max (always in --json).")] = False,
    as_json: JsonOption = False,
) -> int:
    """k* for given errors, or k* over a grid of rho = eps_m'/eps_pi when none are given."""
    source, box = None, None
    if train_size is not None and from_file is None:
        bad_input("--train-size", "needs --from (a measure-generalization results.json)")
    if from_file is not None:
        size = None if train_size is None else _one_size(train_size)
        eps_policy, eps_model, slope, source, box = _from_results(from_file, size, eps_policy,
                                                                  eps_model, slope)
    if (eps_policy is None) != (eps_model is None):
        bad_input("--eps-pi" if eps_policy is None else "--eps-m",
                  "is required when the other error is given (give both or neither)")
    if eps_policy is None and (slope is not None or k_max is not None):
        bad_input("--slope" if slope is not None else "--k-max", "needs --eps-pi and --eps-m")
    if plot is not None:
        check_figure_path("--plot", plot)  # before any work, not after it
    by_ratio = k_star_by_ratio_report(gamma)
    report = by_ratio if eps_policy is None or eps_model is None else optimal_k_report(
        gamma=gamma, eps_policy=eps_policy, eps_model=eps_model, slope=slope, k_max=k_max,
        source=source, box=box)
    if plot is not None:
        from boundcheck.plots.kstar import plot_k_star

        single = report if isinstance(report, OptimalKReport) else None
        plot_k_star(by_ratio, plot,
                    marker=None if single is None else (single.ratio, single.k_star),
                    note="the Theorem 4.3 bound is vacuous at these eps: k* minimises a bound "
                         "that says nothing" if single is not None and single.vacuous else None,
                    span=None if single is None or single.k_star_interval is None else (
                        single.k_star_interval.ratio_low, single.k_star_interval.ratio_high))
    if as_json:
        emit_json({**encode(report), **({"plot": str(plot)} if plot is not None else {})})
    elif isinstance(report, OptimalKReport):
        render_optimal_k(stdout_console(), report, table=table)
    else:
        render_k_by_ratio(stdout_console(), report)
    return 0


def _one_size(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as exc:
        bad_input("--train-size", str(exc))


def _from_results(from_file: Path, train_size: int | None, *given: float | None,
                  ) -> tuple[float, float, float, str | None, InputBox | None]:
    """ε_π, ε_m, slope, source and the inputs' intervals (None if the file has none) from a
    measure-generalization results file (bad input if an error is also given as an option, or
    the file's values are not TV distances)."""
    for name, value in zip(("--eps-pi", "--eps-m", "--slope"), given, strict=True):
        if value is not None:
            bad_input(name, "cannot be combined with --from (the file provides it)")
    with naming("--from"):
        inputs = read_theory_inputs(from_file, train_size)
        check_tv(inputs.eps_policy, f"{from_file}: optimal_k_inputs.eps_pi")
        check_tv(inputs.eps_model, f"{from_file}: optimal_k_inputs.eps_m")
    return (inputs.eps_policy, inputs.eps_model, inputs.slope, inputs.source,
            input_box(inputs))
