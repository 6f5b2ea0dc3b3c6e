"""``boundcheck sweep``: many training runs on Ray, one command (docs/sweeps.md).

``sweep train`` builds the grid from its options (a ``--set`` with comma-separated values is an
axis), ``sweep FILE.toml`` from a sweep file; both run the same library function
(:func:`boundcheck.experiments.sweep.run.run_sweep`) and render through
:mod:`boundcheck.render.sweep`. Exit 1 when a cell failed (the failed cells are listed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from boundcheck.cli.common import (
    DeviceOption,
    JsonOption,
    QuietOption,
    check_numbers,
    emit_json,
    stderr_console,
    stdout_console,
)
from boundcheck.cli.errors import EXIT_FAILURE
from boundcheck.inputs import COUNT, InputError, NumberRule

CPUS_PER_RUN = NumberRule(gt=0, le=4096)
GPUS_PER_RUN = NumberRule(ge=0, le=64)

OutOption = Annotated[Path | None, typer.Option(
    "--out", help="Sweep directory, one run directory per cell (default sweeps/<envs>_<algos>); "
    "on a cluster: storage every node can read and write.")]
CpusOption = Annotated[int | None, typer.Option(
    "--cpus", help="CPUs of the local Ray instance (default: all cores).")]
AddressOption = Annotated[str | None, typer.Option(
    "--address", help="Join a running Ray cluster (auto or HOST:PORT) instead of starting one.")]
CpusPerRun = Annotated[float, typer.Option(
    "--cpus-per-run", help="CPUs per run (torch's threads).")]
GpusPerRun = Annotated[float, typer.Option(
    "--gpus-per-run", help="GPUs per run; fractional packs runs on one GPU (0.25: four).")]
ExtendOption = Annotated[bool, typer.Option(
    "--extend", help="Add new values to the recorded axes of an existing sweep.")]


class _SweepGroup(TyperGroup):
    """``boundcheck sweep FILE.toml`` is ``boundcheck sweep file FILE.toml``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0].endswith(".toml"):
            args = ["file", *args]
        return super().parse_args(ctx, args)


def build() -> typer.Typer:
    """The ``sweep`` command group."""
    app = typer.Typer(cls=_SweepGroup, no_args_is_help=True, rich_markup_mode=None,
                      help="Many runs on Ray: a grid of tasks, seeds, algorithms and settings.")
    app.command("train")(train_command)
    app.command("file", help="Run the sweep a TOML file describes (also: sweep FILE.toml).")(
        file_command)
    return app


def train_command(
    env: Annotated[str, typer.Option("--env", help="Tasks, comma-separated.")] = "Hopper-v5",
    seeds: Annotated[str, typer.Option("--seeds", help="Seeds: 0-4, 0,3,7 or 5.")] = "0",
    algo: Annotated[str, typer.Option("--algo", help="mbpo, sac or both: mbpo,sac.")] = "mbpo",
    steps: Annotated[int | None, typer.Option("--steps", help="Real steps per run.")] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="key=value (fixed) or key=v1,v2 (an axis); repeatable.")] = None,
    out: OutOption = None, cpus: CpusOption = None, address: AddressOption = None,
    cpus_per_run: CpusPerRun = 1.0, gpus_per_run: GpusPerRun = 0.0,
    device: DeviceOption = "auto", extend: ExtendOption = False, quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> int:
    """Train every cell of the grid --env x --algo x --seeds x the --set axes."""
    from boundcheck.experiments.sweep.grid import make_grid, parse_seeds, split_values

    check_numbers({"--steps": (steps, COUNT)})
    envs, algos = split_values(env, "env"), split_values(algo, "algo")
    values = [("env", list(envs)), ("algo", list(algos)), ("seed", list(parse_seeds(seeds)))]
    for item in set_ or []:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise InputError("--set", f"expected key=value or key=v1,v2, got {item!r}")
        values.append((key.strip(), list(split_values(text, "--set"))))
    grid = make_grid(values, steps=steps)
    default = Path("sweeps") / "_".join([*envs, *algos])
    return _run(grid, out or default, None, cpus, address, cpus_per_run, gpus_per_run, device,
                extend, quiet, as_json)


def file_command(
    path: Annotated[Path, typer.Argument(help="Sweep file (TOML; see docs/sweeps.md).")],
    out: OutOption = None, cpus: CpusOption = None, address: AddressOption = None,
    cpus_per_run: CpusPerRun = 1.0, gpus_per_run: GpusPerRun = 0.0,
    device: DeviceOption = "auto", extend: ExtendOption = False, quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> int:
    """Run the sweep a TOML file describes; the file is copied into the sweep directory."""
    from boundcheck.experiments.sweep.grid_file import read_grid_file

    grid = read_grid_file(path)
    return _run(grid, out or Path("sweeps") / path.stem, path, cpus, address, cpus_per_run,
                gpus_per_run, device, extend, quiet, as_json)


def _run(grid: Any, out: Path, grid_file: Path | None, cpus: int | None, address: str | None,
         cpus_per_run: float, gpus_per_run: float, device: str, extend: bool, quiet: bool,
         as_json: bool) -> int:
    import sys

    from boundcheck.experiments.sweep.engine import EngineSettings
    from boundcheck.experiments.sweep.run import SweepRequest, run_sweep
    from boundcheck.render.sweep import SweepWatch, render_result, sweep_json

    check_numbers({"--cpus": (cpus, COUNT), "--cpus-per-run": (cpus_per_run, CPUS_PER_RUN),
                   "--gpus-per-run": (gpus_per_run, GPUS_PER_RUN)})
    if device not in ("auto", "cpu", "cuda"):
        raise InputError("--device", f"must be auto, cpu or cuda, got {device!r}")
    if out.exists() and not out.is_dir():
        raise InputError("--out", f"{out} exists and is not a folder")
    engine = EngineSettings(address=address, cpus=cpus, cpus_per_run=cpus_per_run,
                            gpus_per_run=gpus_per_run)
    request = SweepRequest(grid=grid, out=out, engine=engine, device=device, extend=extend,
                           command=tuple(sys.argv), grid_file=grid_file)
    with SweepWatch(stderr_console(), quiet=quiet or as_json) as watch:
        result = run_sweep(request, watch)
    if as_json:
        emit_json(sweep_json(result))
    else:
        render_result(stdout_console(), result)
    return EXIT_FAILURE if result.failed else 0
