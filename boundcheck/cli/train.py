"""``boundcheck train``: the MBPO trainer (or ``--algo sac``), writing per-epoch checkpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from boundcheck.cli.common import (
    check_numbers,
    emit_json,
    progress_bar,
    stdout_console,
    torch_device,
)
from boundcheck.cli.errors import naming
from boundcheck.cli.options import (
    DeviceOption,
    ForceOption,
    JsonOption,
    QuietOption,
    ResumeOption,
    ThreadsOption,
    check_resume_force,
    opt,
    out_option,
)
from boundcheck.codec import encode
from boundcheck.inputs import COUNT, NON_NEGATIVE, SEED
from boundcheck.render.train import (
    PROGRESS_COLUMNS,
    follow_training,
    render_settings,
    render_summary,
)

EnvOption = Annotated[str | None, opt(
    "--env", "Task, e.g. Hopper-v5 (see docs/envs.md). Default Hopper-v5; with --resume: "
    "the run's.")]
SeedOption = Annotated[int | None, opt(
    "--seed", "Seed of every random stream of the run (an integer >= 0). Default 0; with "
    "--resume: the run's.")]
StepsOption = Annotated[int | None, opt(
    "--steps", "Real env steps in total, exploration included (default: preset). With "
    "--resume, a larger value extends the run.")]
OutOption = Annotated[Path | None, out_option(
    "Run directory (default runs/<env>-<algo>-seed<seed>).")]
AlgoOption = Annotated[str | None, opt(
    "--algo", "mbpo, or sac (the no-model ablation). Default mbpo; with --resume: the "
    "run's.")]
ModelOption = Annotated[str | None, opt(
    "--model", "ensemble (default), deterministic or oracle: the model the rollouts use "
    "(docs/trainer.md, Ablations). With --resume: the run's.")]
ConfigOption = Annotated[Path | None, opt(
    "--config", "JSON file of config keys applied over the preset.")]
SetOption = Annotated[list[str] | None, opt(
    "--set", "Override one config key, e.g. --set sac.lr=1e-3 (repeatable; "
    "--list-settings lists the keys).")]
NoiseOption = Annotated[float | None, opt(
    "--transition-noise", "Std of known Gaussian noise on the next state (>= 0).")]
RewardNoiseOption = Annotated[float | None, opt(
    "--reward-noise", "Std of known Gaussian noise on the reward (>= 0).")]
ListOption = Annotated[bool, opt(
    "--list-settings", "List every --set key (type, default, the --env preset's value or "
    "every preset's, meaning) and exit without training.")]


def command(env: EnvOption = None, seed: SeedOption = None, steps: StepsOption = None,
            out: OutOption = None, device: DeviceOption = "auto", algo: AlgoOption = None,
            model: ModelOption = None,
            config: ConfigOption = None, set_: SetOption = None,
            transition_noise: NoiseOption = None, reward_noise: RewardNoiseOption = None,
            threads: ThreadsOption = None, resume: ResumeOption = False,
            force: ForceOption = False, list_settings: ListOption = False,
            quiet: QuietOption = False, as_json: JsonOption = False) -> int:
    """Train MBPO (paper defaults per task) and write a checkpoint every epoch.

    The paper's defaults are long: Hopper's 125,000 real steps at about 3-4 minutes per 1,000
    steps on 2 CPU cores are 6-8 hours (--steps N for a shorter run, --device cuda on a GPU).
    The run directory has one writer: a second train on it (plain, --force or --resume) exits 2
    naming the process that holds it (docs/run-directory.md). Every setting: --list-settings
    and docs/settings.md.
    """
    from boundcheck.mbpo.request import RunRequest, open_training, train_settings
    from boundcheck.mbpo.setup import parse_set_options

    if list_settings:
        listing = train_settings(env)
        if as_json:
            emit_json(encode(listing))
        else:
            render_settings(stdout_console(), listing)
        return 0
    check_resume_force(resume, force)
    check_numbers({"--seed": (seed, SEED), "--steps": (steps, COUNT),
                   "--transition-noise": (transition_noise, NON_NEGATIVE),
                   "--reward-noise": (reward_noise, NON_NEGATIVE)})
    options = tuple((option, key, value) for option, key, value in (
        ("--steps", "total_steps", steps), ("--transition-noise", "transition_noise",
                                            transition_noise),
        ("--reward-noise", "reward_noise", reward_noise), ("--model", "model", model))
        if value is not None)
    request = RunRequest(env=env, algo=algo, seed=seed, config_file=config,
                         settings=parse_set_options(set_ or []), options=options)
    dev = torch_device(device, threads)
    with naming("--out"):
        session = open_training(request, out or request.default_run_dir(), device=dev,
                                force=force, resume=resume)
    bar = progress_bar(*PROGRESS_COLUMNS, disabled=quiet or as_json)
    with session, bar:
        summary = session.train(follow_training(bar, session.config.total_steps,
                                                session.state.env_steps))
    if as_json:
        emit_json(encode(summary))
    elif not quiet:
        render_summary(stdout_console(), summary)
    return 0
