"""``boundcheck bounds``: the penalties of Theorems 4.1–4.3 for given ε_m, ε_π, k."""

from __future__ import annotations

from typing import Annotated

from boundcheck.cli.common import bad_input, emit_json, stdout_console
from boundcheck.cli.options import SLOPE_HELP, JsonOption, opt
from boundcheck.codec import encode
from boundcheck.render.theory import render_bounds
from boundcheck.theory.bound_reports import bounds_report


def command(
    eps_model: Annotated[float, opt("--eps-m", "Model error eps_m, a TV distance in [0, 1].")],
    eps_policy: Annotated[float, opt("--eps-pi", "Policy shift eps_pi, a TV distance in "
                                                 "[0, 1].")],
    r_max: Annotated[float, opt("--r-max", "Largest absolute reward r_max >= 0.")],
    gamma: Annotated[float, opt("--gamma", "Discount factor in (0, 1).")] = 0.99,
    k: Annotated[int, opt("--k", "Branched rollout length k >= 0.")] = 1,
    slope: Annotated[float | None, opt(
        "--slope", SLOPE_HELP)]
    = None,
    as_json: JsonOption = False,
) -> int:
    """Show the penalties C of Theorems 4.1, 4.2 and 4.3, their parts, and if they inform."""
    report = bounds_report(gamma=gamma, r_max=r_max, eps_model=eps_model,
                           eps_policy=eps_policy, k=k, slope=slope)
    if not report.finite:
        bad_input("--r-max", f"{r_max:g} is too large for --gamma {gamma:g}: the penalties "
                             "overflow a double (express rewards in larger units)")
    if as_json:
        emit_json(encode(report))
    else:
        render_bounds(stdout_console(), report)
    return 0
