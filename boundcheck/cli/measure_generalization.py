"""``boundcheck measure-generalization``: the paper's model-generalization experiment (Sec. 4.3).

See docs/measure-generalization.md. Validates the options, resolves π_D, runs
:func:`boundcheck.experiments.generalization.experiment.measure_generalization` under a
progress bar, writes the outputs (:mod:`boundcheck.experiments.generalization.outputs`) and
renders a table (:mod:`boundcheck.render.generalization`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from boundcheck.cli.common import (
    DeviceOption,
    JsonOption,
    QuietOption,
    ReplaceOption,
    ThreadsOption,
    bad_input,
    check_numbers,
    emit_json,
    opt,
    phase_progress,
    prepare_out,
    stdout_console,
    torch_device,
)
from boundcheck.cli.errors import naming
from boundcheck.inputs import COUNT, SEED, NumberRule

if TYPE_CHECKING:
    from boundcheck.experiments.generalization.settings import GeneralizationConfig

#: Caps on the sizes that set how much is simulated and held in memory.
MAX_SEEDS = 1_000
MAX_SNAPSHOTS = 1_000
MAX_EVAL_STEPS = 10_000_000
MAX_TV_SAMPLES = 100_000


def command(
    train_size: Annotated[str, opt("--train-size", "Training-set sizes, e.g. 5k,60k "
                                    "(k = 1,000, M = 1,000,000; at most 1M).")],
    run: Annotated[Path | None, opt("--run", "Run directory of pi_D (default: the newest "
                                     "under ./runs, else data/reference).")] = None,
    epoch: Annotated[int | None, opt("--epoch", "Epoch of pi_D (default: the last).")] = None,
    seeds: Annotated[int, opt("--seeds", "Repetitions; slopes reported as mean +- std.")] = 1,
    seed: Annotated[int, opt("--seed", "Base seed of every random stream.")] = 0,
    snapshots: Annotated[int, opt("--snapshots", "Policy snapshots S per size.")] = 6,
    eval_steps: Annotated[int, opt("--eval-steps", "Real transitions M per policy.")] = 2000,
    kl_max: Annotated[float, opt("--kl-max", "Largest KL target of the snapshots (nats).")]
    = 1.0,
    kl_min: Annotated[float, opt("--kl-min", "Smallest KL target (geometric grid).")] = 0.01,
    max_updates: Annotated[int, opt("--max-updates", "SAC update budget per size.")] = 20_000,
    check_every: Annotated[int, opt("--check-every", "Updates between KL checks.")] = 1,
    rollout_length: Annotated[int | None, opt(
        "--rollout-length", "Model rollout length k (default: the run's k at --epoch).")] = None,
    rollout_batch: Annotated[int | None, opt(
        "--rollout-batch", "Rollout starts per refresh (default: the run's).")] = None,
    model_max_epochs: Annotated[int | None, opt(
        "--model-max-epochs", "Cap on each model fit's epochs (default: the run's; the "
        "paper's runs have none).")] = None,
    model_max_t: Annotated[float | None, opt(
        "--model-max-t", "Cap on each model fit's seconds, checked after each epoch (the "
        "original code's max_model_t; default: the run's, none in the paper's runs).")] = None,
    tv_samples: Annotated[int, opt("--tv-samples", "Monte Carlo draws per transition for "
                                    "the TV (runs with known noise).")] = 256,
    local_points: Annotated[int, opt("--local-points", "Points of smallest shift in the "
                                      "local slope (pi_D included).")] = 4,
    out: Annotated[Path | None, opt("--out", "Output folder (default "
                                     "generalization/<run>-epoch<E>).")] = None,
    force: ReplaceOption = False,
    resume: Annotated[bool, opt("--resume", "Continue the results in --out: keep their "
                                "finished repetitions and run the rest (a larger --seeds adds "
                                "repetitions); every other setting must be the same.")] = False,
    device: DeviceOption = "auto",
    threads: ThreadsOption = None,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> int:
    """Model error against policy shift for models trained on N transitions of pi_D."""
    from boundcheck.codec import encode
    from boundcheck.experiments.generalization.experiment import measure_generalization
    from boundcheck.experiments.generalization.outputs import RESULTS_FILE, write_outputs
    from boundcheck.experiments.generalization.results import read_prior
    from boundcheck.experiments.generalization.source import reference_dir, resolve_source
    from boundcheck.render.generalization import render_generalization
    from boundcheck.runs.lock import RunLock

    cfg = _config(train_size, seeds=seeds, seed=seed, epoch=epoch, snapshots=snapshots,
                  eval_steps=eval_steps, kl_min=kl_min, kl_max=kl_max, max_updates=max_updates,
                  check_every=check_every, local_points=local_points, tv_samples=tv_samples,
                  rollout_length=rollout_length, rollout_batch=rollout_batch,
                  model_max_epochs=model_max_epochs, model_max_t=model_max_t)
    if resume and force:
        bad_input("--resume", "cannot be combined with --force")
    dev = torch_device(device, threads)
    source = resolve_source(run, epoch, runs_root=Path("runs"), reference_dir=reference_dir())
    out_dir = out or Path("generalization") / f"{source.run.path.name}-epoch{source.epoch}"
    prepare_out(out_dir, RESULTS_FILE, force or resume)
    out_dir.mkdir(parents=True, exist_ok=True)
    # One writer per output folder; results are written after every repetition, so a killed
    # measurement keeps what it finished (--resume continues it).
    with naming("--out"), RunLock(out_dir):
        prior = read_prior(out_dir / RESULTS_FILE) if resume else None
        with phase_progress("{task.percentage:>3.0f}%", disabled=quiet or as_json) as report:
            # A checkpoint damaged after the run was opened is bad input too (naming the file).
            with naming("--run"):
                result = measure_generalization(
                    cfg, source, device=dev, progress=report, prior=prior,
                    on_repetition=lambda partial: write_outputs(partial, out_dir))
            paths = write_outputs(result, out_dir)
    if as_json:
        emit_json({**encode(result.document), "files": paths})
    elif not quiet:
        render_generalization(stdout_console(), result.document, paths)
    return 0


def _config(train_size: str, *, seeds: int, seed: int, epoch: int | None, snapshots: int,
            eval_steps: int, kl_min: float, kl_max: float, max_updates: int, check_every: int,
            local_points: int, tv_samples: int, rollout_length: int | None,
            rollout_batch: int | None, model_max_epochs: int | None,
            model_max_t: float | None) -> GeneralizationConfig:
    """The experiment's settings from the options, each checked (bad input: exit 2)."""
    from boundcheck.experiments.generalization.settings import GeneralizationConfig
    from boundcheck.experiments.generalization.sizes import parse_sizes

    try:
        sizes = parse_sizes(train_size)
    except ValueError as exc:
        bad_input("--train-size", str(exc))
    if min(sizes) < 2:
        bad_input("--train-size", "a model needs at least 2 transitions (one held out)")
    check_numbers({"--seeds": (seeds, NumberRule(integer=True, ge=1, le=MAX_SEEDS)),
                   "--seed": (seed, SEED), "--epoch": (epoch, NumberRule(integer=True, ge=0)),
                   "--snapshots": (snapshots, NumberRule(integer=True, ge=1, le=MAX_SNAPSHOTS)),
                   "--eval-steps": (eval_steps, NumberRule(integer=True, ge=2,
                                                           le=MAX_EVAL_STEPS)),
                   "--max-updates": (max_updates, COUNT), "--check-every": (check_every, COUNT),
                   "--tv-samples": (tv_samples, NumberRule(integer=True, ge=2,
                                                           le=MAX_TV_SAMPLES)),
                   "--local-points": (local_points, NumberRule(integer=True, ge=2)),
                   "--rollout-length": (rollout_length, COUNT),
                   "--rollout-batch": (rollout_batch, COUNT),
                   "--model-max-epochs": (model_max_epochs, COUNT),
                   "--model-max-t": (model_max_t, NumberRule(gt=0)),
                   "--kl-min": (kl_min, NumberRule(gt=0)), "--kl-max": (kl_max, NumberRule(gt=0))})
    if kl_min > kl_max:
        bad_input("--kl-min", f"need --kl-min <= --kl-max, got {kl_min} and {kl_max}")
    return GeneralizationConfig(
        train_sizes=tuple(sizes), seeds=seeds, seed=seed, snapshots=snapshots,
        eval_steps=eval_steps, kl_min=kl_min, kl_max=kl_max, max_updates=max_updates,
        check_every=check_every, local_points=local_points, tv_samples=tv_samples,
        rollout_length=rollout_length, rollout_batch_size=rollout_batch,
        model_max_epochs=model_max_epochs, model_max_t=model_max_t)
