"""``boundcheck sweep``: many training runs on Ray, one command (docs/sweeps.md).

``sweep train`` builds the grid from its options (a ``--set`` with comma-separated values is an
axis), ``sweep FILE.toml`` from a sweep file; both run the same library function
(:func:`boundcheck.experiments.sweep.run.run_sweep`), then write the report
(:func:`boundcheck.experiments.sweep.summary.report_sweep`, also ``sweep report DIR``) and render
through :mod:`boundcheck.render.sweep`. Exit 1 when a cell failed (the failed cells are listed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from boundcheck.cli.common import check_numbers, emit_json, stderr_console, stdout_console
from boundcheck.cli.errors import EXIT_FAILURE, naming
from boundcheck.cli.options import (
    DeviceOption,
    JsonOption,
    QuietOption,
    config_from_options,
    default_of,
    field_option,
    opt,
    out_option,
)
from boundcheck.codec import encode
from boundcheck.experiments.sweep.settings import EngineConfig as E
from boundcheck.inputs import COUNT, NON_NEGATIVE_INT, InputError

#: The Ray engine's options, each declared once as a field of EngineConfig.
CpusOption = Annotated[int | None, field_option(E, "cpus")]
AddressOption = Annotated[str | None, field_option(E, "address")]
CpusPerRun = Annotated[float, field_option(E, "cpus_per_run")]
GpusPerRun = Annotated[float, field_option(E, "gpus_per_run")]
CPUS, ADDRESS = default_of(E, "cpus"), default_of(E, "address")
CPUS_PER_RUN, GPUS_PER_RUN = default_of(E, "cpus_per_run"), default_of(E, "gpus_per_run")
OutOption = Annotated[Path | None, out_option(
    "Sweep directory, one run directory per cell (default sweeps/<envs>_<algos>); "
    "on a cluster: storage every node can read and write.")]
ExtendOption = Annotated[bool, opt(
    "--extend", "Add new values to the recorded axes of an existing sweep, or give it more "
    "--steps (every cell resumed; its analyses redone on the new last epoch).")]
ThenOption = Annotated[list[str] | None, opt(
    "--then", "Analyse each finished run: validate and/or measure-generalization "
    "(repeatable or comma-separated).")]
ValSet = Annotated[list[str] | None, opt(
    "--val-set", "--then validate: a setting, e.g. episodes=20 (repeatable; "
    "docs/validate.md).")]
GenTrainSize = Annotated[str, opt(
    "--gen-train-size", "--then measure-generalization: training-set sizes.")]
GenSet = Annotated[list[str] | None, opt(
    "--gen-set", "--then measure-generalization: a setting, e.g. repetitions=3 (repeatable; "
    "docs/measure-generalization.md).")]


def _follow_ons(then: list[str] | None, val_set: list[str] | None, gen_train_size: str,
                gen_set: list[str] | None) -> Any:
    """The follow-on analyses from ``--then`` and their options (each checked)."""
    from boundcheck.experiments.generalization.settings import GeneralizationConfig, parse_sizes
    from boundcheck.experiments.sweep.followons import Analysis, FollowOns, with_settings
    from boundcheck.experiments.sweep.grid import split_values
    from boundcheck.experiments.validate.settings import ValidateConfig

    names = [n for item in then or [] for n in split_values(item, "--then")]
    known = [a.value for a in Analysis]
    for name in names:
        if name not in known:
            raise InputError("--then", f"must be one of {', '.join(known)}, got {name!r}")
    try:
        base = GeneralizationConfig(train_sizes=tuple(parse_sizes(gen_train_size)))
    except ValueError as exc:  # a malformed size, or one below the field's rule (ConfigError)
        raise InputError("--gen-train-size", str(exc)) from None
    validate = with_settings(ValidateConfig(), val_set or [], "--val-set")
    generalization = with_settings(base, gen_set or [], "--gen-set")
    return FollowOns(validate=validate if Analysis.VALIDATE in names else None,
                     generalization=generalization if Analysis.GENERALIZATION in names
                     else None)


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
    app.command("report")(report_command)
    app.command("measure-generalization")(generalization_command)
    app.command("validate")(validate_command)
    return app


#: The standalone analyses' own setting options (the same settings as --then's, worded for
#: the command they belong to).
RunsValSet = Annotated[list[str] | None, opt(
    "--val-set", "A validate setting, e.g. episodes=20 (repeatable; docs/validate.md).")]
RunsGenSet = Annotated[list[str] | None, opt(
    "--gen-set", "A measure-generalization setting, e.g. repetitions=3 (repeatable; "
    "docs/measure-generalization.md).")]


RunsOption = Annotated[str, opt(
    "--runs", "Run directories, a glob (quote it): 'sweeps/NAME/*' or 'runs/Hopper*'.")]


def generalization_command(
    runs: RunsOption, train_size: Annotated[str, opt(
        "--train-size", "Training-set sizes, e.g. 5k,60k.")] = "5k,60k",
    gen_set: RunsGenSet = None,
    cpus: CpusOption = CPUS,
    address: AddressOption = ADDRESS,
    cpus_per_run: CpusPerRun = CPUS_PER_RUN,
    gpus_per_run: GpusPerRun = GPUS_PER_RUN,
    device: DeviceOption = "auto", as_json: JsonOption = False,
) -> int:
    """measure-generalization on existing runs (results in each run's generalization/)."""
    follow = _follow_ons(["measure-generalization"], None, train_size, gen_set)
    return _analyse(runs, follow, _engine(locals(), device), device, as_json)


def validate_command(
    runs: RunsOption, val_set: RunsValSet = None,
    cpus: CpusOption = CPUS,
    address: AddressOption = ADDRESS,
    cpus_per_run: CpusPerRun = CPUS_PER_RUN,
    gpus_per_run: GpusPerRun = GPUS_PER_RUN,
    device: DeviceOption = "auto", as_json: JsonOption = False,
) -> int:
    """validate on existing runs (results in each run's validate/)."""
    follow = _follow_ons(["validate"], val_set, "5k", None)
    return _analyse(runs, follow, _engine(locals(), device), device, as_json)


def _analyse(pattern: str, follow: Any, engine: E, device: str, as_json: bool) -> int:
    from boundcheck.experiments.sweep.analyses import analyse_runs, find_runs
    from boundcheck.experiments.sweep.documents import runs_analysis_document
    from boundcheck.render.sweep import render_runs_analysis

    runs = find_runs(pattern)
    with naming("--runs"):
        result = analyse_runs(runs, follow, engine, device)
    if as_json:
        emit_json(runs_analysis_document(result))
    else:
        render_runs_analysis(stdout_console(), result)
    return EXIT_FAILURE if result.failed else 0


def _engine(options: dict[str, Any], device: str) -> E:
    """The engine's settings from a command's ``options`` (its parameters), each checked by
    its field's rule (bad input names the option), then ``--device`` and a given ``--address``
    (a Ray head must answer there)."""
    engine = config_from_options(E, options)
    if device not in ("auto", "cpu", "cuda"):
        raise InputError("--device", f"must be auto, cpu or cuda, got {device!r}")
    if engine.address is not None:
        from boundcheck.experiments.sweep.engine import check_reachable

        check_reachable(engine.address)
    return engine


def report_command(
    sweep: Annotated[Path, typer.Argument(help="Sweep directory (holds sweep.json).")],
    at: Annotated[int | None, opt(
        "--at", "Env step of the table (default: the last step every run reached).")]
    = None,
    window: Annotated[int, opt(
        "--window", "Evaluations averaged per run up to --at.")] = 5,
    as_json: JsonOption = False,
) -> int:
    """Curves, tables and paired comparisons over seeds: report.md, summary.json/.csv."""
    from boundcheck.experiments.sweep.summary import report_sweep
    from boundcheck.render.sweep import render_report

    check_numbers({"--at": (at, NON_NEGATIVE_INT), "--window": (window, COUNT)})
    with naming("SWEEP"):
        report = report_sweep(sweep, step=at, window=window)
    if as_json:
        emit_json(encode(report))
    else:
        render_report(stdout_console(), report)
    return 0


def train_command(
    env: Annotated[str, opt("--env", "Tasks, comma-separated.")] = "Hopper-v5",
    seeds: Annotated[str, opt("--seeds", "Seeds: 0-4, 0,3,7 or 5.")] = "0",
    algo: Annotated[str, opt("--algo", "mbpo, sac or both: mbpo,sac.")] = "mbpo",
    steps: Annotated[int | None, opt("--steps", "Real steps per run.")] = None,
    set_: Annotated[list[str] | None, opt(
        "--set", "key=value (fixed) or key=v1,v2 (an axis); repeatable.")] = None,
    out: OutOption = None,
    cpus: CpusOption = CPUS,
    address: AddressOption = ADDRESS,
    cpus_per_run: CpusPerRun = CPUS_PER_RUN,
    gpus_per_run: GpusPerRun = GPUS_PER_RUN,
    device: DeviceOption = "auto", extend: ExtendOption = False, then: ThenOption = None,
    val_set: ValSet = None, gen_train_size: GenTrainSize = "5k,60k", gen_set: GenSet = None,
    quiet: QuietOption = False, as_json: JsonOption = False,
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
    follow = _follow_ons(then, val_set, gen_train_size, gen_set)
    engine = _engine(locals(), device)
    return _run(grid, out or default, None, engine, device, extend, follow, quiet, as_json)


def file_command(
    path: Annotated[Path, typer.Argument(help="Sweep file (TOML; see docs/sweeps.md).")],
    out: OutOption = None,
    cpus: CpusOption = CPUS,
    address: AddressOption = ADDRESS,
    cpus_per_run: CpusPerRun = CPUS_PER_RUN,
    gpus_per_run: GpusPerRun = GPUS_PER_RUN,
    device: DeviceOption = "auto", extend: ExtendOption = False, then: ThenOption = None,
    val_set: ValSet = None, gen_train_size: GenTrainSize = "5k,60k", gen_set: GenSet = None,
    quiet: QuietOption = False, as_json: JsonOption = False,
) -> int:
    """Run the sweep a TOML file describes; the file is copied into the sweep directory."""
    from boundcheck.experiments.sweep.grid import read_grid_file

    grid = read_grid_file(path)
    follow = _follow_ons(then, val_set, gen_train_size, gen_set)
    engine = _engine(locals(), device)
    return _run(grid, out or Path("sweeps") / path.stem, path, engine, device, extend, follow,
                quiet, as_json)


def _run(grid: Any, out: Path, grid_file: Path | None, engine: E, device: str, extend: bool,
         follow: Any, quiet: bool, as_json: bool) -> int:
    import sys

    from boundcheck.experiments.sweep.documents import sweep_document
    from boundcheck.experiments.sweep.run import SweepRequest, run_sweep
    from boundcheck.experiments.sweep.summary import report_sweep
    from boundcheck.render.sweep import SweepWatch, render_report, render_result

    if out.exists() and not out.is_dir():
        raise InputError("--out", f"{out} exists and is not a folder")
    request = SweepRequest(grid=grid, out=out, engine=engine, device=device, extend=extend,
                           command=tuple(sys.argv), grid_file=grid_file, follow=follow)
    with SweepWatch(stderr_console(), quiet=quiet or as_json) as watch:
        result = run_sweep(request, watch)
    failed = bool(result.failed or result.failed_analyses)
    report = None if result.failed else report_sweep(out)
    if as_json:
        emit_json(sweep_document(result, report))
    else:
        render_result(stdout_console(), result)
        if report is not None:
            render_report(stdout_console(), report)
    return EXIT_FAILURE if failed else 0
