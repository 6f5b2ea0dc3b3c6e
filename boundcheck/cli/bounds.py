"""``boundcheck bounds``: the penalties of Theorems 4.1–4.3 for given ε_m, ε_π, k."""

from __future__ import annotations

from typing import Annotated

import typer

from boundcheck.cli.common import JsonOption, bad_input, emit_json, stdout_console
from boundcheck.render.theory import render_bounds
from boundcheck.theory.bound_reports import bounds_report


def command(
    eps_m: Annotated[float, typer.Option(
        "--eps-m", help="Model error eps_m, a TV distance in [0, 1].")],
    eps_pi: Annotated[float, typer.Option(
        "--eps-pi", help="Policy shift eps_pi, a TV distance in [0, 1].")],
    r_max: Annotated[float, typer.Option("--r-max", help="Largest absolute reward r_max >= 0.")],
    gamma: Annotated[float, typer.Option("--gamma", help="Discount factor in (0, 1).")] = 0.99,
    k: Annotated[int, typer.Option("--k", help="Branched rollout length k >= 0.")] = 1,
    slope: Annotated[float | None, typer.Option(
        "--slope", help="d eps_m'/d eps_pi: eps_m' = eps_m + eps_pi*slope (default: eps_m).")]
    = None,
    as_json: JsonOption = False,
) -> int:
    """Show the penalties C of Theorems 4.1, 4.2 and 4.3, their parts, and if they inform."""
    report = bounds_report(gamma=gamma, r_max=r_max, eps_m=eps_m, eps_pi=eps_pi, k=k,
                           slope=slope)
    if not report.finite:
        bad_input("--r-max", f"{r_max:g} is too large for --gamma {gamma:g}: the penalties "
                             "overflow a double (express rewards in larger units)")
    if as_json:
        emit_json(report.to_json())
    else:
        render_bounds(stdout_console(), report)
    return 0
