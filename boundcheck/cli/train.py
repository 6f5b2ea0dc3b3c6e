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
    emit_json,
    progress_bar,
    stdout_console,
    torch_device,
)


def command(
    env: Annotated[str, typer.Option("--env", help="Task, e.g. Hopper-v5 (see docs/envs.md).")]
    = "Hopper-v5",
    seed: Annotated[int, typer.Option("--seed", help="Seed of every random stream of the run.")]
    = 0,
    steps: Annotated[int | None, typer.Option(
        "--steps", help="Real env steps in total, exploration included (default: preset).")]
    = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Run directory (default runs/<env>-<algo>-seed<seed>).")] = None,
    device: DeviceOption = "auto",
    algo: Annotated[str, typer.Option("--algo", help="mbpo, or sac (the no-model ablation).")]
    = "mbpo",
    config: Annotated[Path | None, typer.Option(
        "--config", help="JSON file of config keys applied over the preset.")] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="Override one config key, e.g. --set sac.lr=1e-3 (repeatable).")] = None,
    transition_noise: Annotated[float | None, typer.Option(
        "--transition-noise", help="Std of known Gaussian noise on the next state.")] = None,
    reward_noise: Annotated[float | None, typer.Option(
        "--reward-noise", help="Std of known Gaussian noise on the reward.")] = None,
    threads: ThreadsOption = None,
    resume: Annotated[bool, typer.Option(
        "--resume", help="Continue the run in --out from its last complete checkpoint.")]
    = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace an existing run directory in --out.")] = False,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> int:
    """Train MBPO (paper defaults per task) and write a checkpoint every epoch."""
    from boundcheck.config import ConfigError
    from boundcheck.envs import UnknownEnvError
    from boundcheck.mbpo.loop import resume_run, start_run, train
    from boundcheck.mbpo.setup import parse_set_options, resolve_config
    from boundcheck.runs import RunError, RunExistsError, RunNotFoundError

    if resume and force:
        bad_input("--resume", "cannot be combined with --force")
    if algo not in ("mbpo", "sac"):
        bad_input("--algo", f"must be 'mbpo' or 'sac', got {algo!r}")
    if steps is not None and steps < 1:
        bad_input("--steps", f"must be a positive number of env steps, got {steps}")
    dev = torch_device(device, threads)
    overrides: dict[str, Any] = {}
    try:
        overrides.update(parse_set_options(set_ or []))
    except ConfigError as exc:
        bad_input("--set", str(exc))
    for key, value in (("total_steps", steps), ("transition_noise", transition_noise),
                       ("reward_noise", reward_noise)):
        if value is not None:
            overrides[key] = value
    run_dir = out or Path("runs") / f"{env}-{algo}-seed{seed}"
    try:
        if resume:
            if overrides or config is not None:
                bad_input("--resume", "continues the saved config; drop --set/--steps/--config")
            run, state, cfg = resume_run(run_dir, device=dev)
        else:
            cfg = resolve_config(env, algo=algo, config_file=config, overrides=overrides)
            run, state = start_run(cfg, run_dir, seed=seed, device=dev, force=force)
    except UnknownEnvError as exc:
        bad_input("--env", str(exc))
    except ConfigError as exc:
        option = "--config" if config is not None and "config file" in str(exc) else "--set"
        bad_input(option, str(exc))
    except RunExistsError as exc:
        bad_input("--out", str(exc))
    except RunNotFoundError as exc:
        bad_input("--out", str(exc))
    except RunError as exc:
        bad_input("--out", str(exc))
    start = time.perf_counter()
    with _progress_bar(quiet or as_json, cfg.total_steps, state.env_steps) as (bar, callback):
        last = train(run, state, progress=callback)
        del bar
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

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(*exc)
