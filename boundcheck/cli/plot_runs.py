"""``boundcheck plot-runs``: learning curves of one or more run directories."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from boundcheck.cli.common import bad_input, stdout_console


def command(
    runs: Annotated[list[Path], typer.Argument(help="Run directories (written by train).")],
    out: Annotated[Path, typer.Option("--out", help="Figure file (.png, .pdf or .svg).")]
    = Path("learning_curves.png"),
    title: Annotated[str, typer.Option("--title", help="Figure title.")] = "",
) -> int:
    """Plot evaluation return against real env steps for each run."""
    from boundcheck.plots.learning import plot_learning_curves
    from boundcheck.runs import RunDir, RunError

    if out.suffix.lower() not in (".png", ".pdf", ".svg"):
        bad_input("--out", f"unsupported figure type {out.suffix!r} (use .png, .pdf or .svg)")
    curves = {}
    for path in runs:
        try:
            run = RunDir.open(path)
            config = run.read_config()["config"]
            records = run.read_metrics()
        except RunError as exc:
            bad_input("RUNS", str(exc))
        label = f"{config.get('algo', '?')} {config.get('env', '?')} seed {config.get('seed')}"
        curves[label if label not in curves else str(path)] = records
    plot_learning_curves(curves, out, title=title)
    stdout_console().print(f"wrote {out}")
    return 0
