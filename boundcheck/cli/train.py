"""``boundcheck train``: the MBPO trainer (or ``--algo sac``), writing per-epoch checkpoints."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress

from boundcheck.cli.common import (
    DeviceOption,
    JsonOption,
    QuietOption,
    ThreadsOption,
    bad_input,
    check_numbers,
    emit_json,
    progress_bar,
    stdout_console,
    torch_device,
)
from boundcheck.cli.errors import naming
from boundcheck.inputs import COUNT, NON_NEGATIVE, SEED


def command(
    env: Annotated[str | None, typer.Option(
        "--env", help="Task, e.g. Hopper-v5 (see docs/envs.md). Default Hopper-v5; with "
        "--resume: the run's.")] = None,
    seed: Annotated[int | None, typer.Option(
        "--seed", help="Seed of every random stream of the run (an integer >= 0). Default 0; "
        "with --resume: the run's.")] = None,
    steps: Annotated[int | None, typer.Option(
        "--steps", help="Real env steps in total, exploration included (default: preset). With "
        "--resume, a larger value extends the run.")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Run directory (default runs/<env>-<algo>-seed<seed>).")] = None,
    device: DeviceOption = "auto",
    algo: Annotated[str | None, typer.Option(
        "--algo", help="mbpo, or sac (the no-model ablation). Default mbpo; with --resume: "
        "the run's.")] = None,
    config: Annotated[Path | None, typer.Option(
        "--config", help="JSON file of config keys applied over the preset.")] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="Override one config key, e.g. --set sac.lr=1e-3 (repeatable).")] = None,
    transition_noise: Annotated[float | None, typer.Option(
        "--transition-noise", help="Std of known Gaussian noise on the next state (>= 0).")]
    = None,
    reward_noise: Annotated[float | None, typer.Option(
        "--reward-noise", help="Std of known Gaussian noise on the reward (>= 0).")] = None,
    threads: ThreadsOption = None,
    resume: Annotated[bool, typer.Option(
        "--resume", help="Continue the run in --out from its last complete checkpoint: the "
        "same command again, with --resume added.")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace an existing run directory in --out.")] = False,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> int:
    """Train MBPO (paper defaults per task) and write a checkpoint every epoch.

    The run directory has one writer: a second train on it (plain, --force or --resume) exits 2
    naming the process that holds it (docs/run-directory.md).
    """
    from boundcheck.config import ConfigError
    from boundcheck.mbpo.loop import train
    from boundcheck.mbpo.request import DEFAULT_ALGO, DEFAULT_ENV, RunRequest, open_training
    from boundcheck.mbpo.setup import parse_set_options

    if resume and force:
        bad_input("--resume", "cannot be combined with --force")
    check_numbers({"--seed": (seed, SEED), "--steps": (steps, COUNT),
                   "--transition-noise": (transition_noise, NON_NEGATIVE),
                   "--reward-noise": (reward_noise, NON_NEGATIVE)})
    try:
        settings = parse_set_options(set_ or [])
    except ConfigError as exc:
        bad_input("--set", str(exc))
    options = tuple((option, key, value) for option, key, value in (
        ("--steps", "total_steps", steps), ("--transition-noise", "transition_noise",
                                            transition_noise),
        ("--reward-noise", "reward_noise", reward_noise)) if value is not None)
    request = RunRequest(env=env, algo=algo, seed=seed, config_file=config, settings=settings,
                         options=options)
    run_dir = out or Path("runs") / (f"{env or DEFAULT_ENV}-{algo or DEFAULT_ALGO}"
                                     f"-seed{seed or 0}")
    dev = torch_device(device, threads)
    with naming("--out"):
        run, state, cfg = open_training(request, run_dir, device=dev, force=force, resume=resume)
    start = time.perf_counter()
    with run, _progress_bar(quiet or as_json, cfg.total_steps, state.env_steps) as (_, callback):
        last = train(run, state, progress=callback)
    summary = {"run": str(run.path), "env": cfg.env, "algo": cfg.algo, "seed": state.seed,
               "device": str(dev), "env_steps": state.env_steps, "epochs": state.epoch,
               "wall_seconds": time.perf_counter() - start, "last_epoch": last}
    if as_json:
        emit_json(summary)
    elif not quiet:
        stdout_console().print(
            f"run {summary['run']}: {state.epoch} epochs, {state.env_steps} env steps, last "
            f"evaluation return {_fmt(last.get('eval/return_mean'))}")
    return 0


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.1f}"


class _progress_bar:  # noqa: N801 - used as a context manager, reads like a function
    """A rich progress bar fed by the loop's progress callback (stderr; off when quiet)."""

    def __init__(self, disabled: bool, total: int, done: int) -> None:
        self.progress = progress_bar(
            "{task.completed}/{task.total} steps",
            "eval {task.fields[ret]}  k {task.fields[k]}  model {task.fields[loss]}",
            disabled=disabled)
        self.task = self.progress.add_task("exploring", total=total, completed=done, ret="-",
                                           k="-", loss="-")

    def callback(self, info: dict[str, Any]) -> None:
        """Loop progress -> bar (cheap: rich throttles its refreshes)."""
        loss = info.get("model_loss")
        self.progress.update(
            self.task, completed=info["env_steps"],
            description=f"{info['phase']} epoch {info['epoch']}",
            ret=_fmt(info.get("eval_return")), k=str(info.get("k") or "-"),
            loss="-" if loss is None else f"{loss:.4g}")

    def __enter__(self) -> tuple[Progress, Any]:
        self.progress.__enter__()
        return self.progress, self.callback

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)
