"""``boundcheck measure-generalization``: the paper's model-generalization experiment (Sec. 4.3).

See docs/measure-generalization.md. Validates the options, resolves π_D, runs
:func:`boundcheck.experiments.generalization.experiment.measure_generalization` under a
progress bar and writes the outputs (:mod:`boundcheck.experiments.generalization.outputs`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

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
    device: DeviceOption = "auto",
    threads: ThreadsOption = None,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> int:
    """Model error against policy shift for models trained on N transitions of pi_D."""
    from boundcheck.experiments.generalization.experiment import (
        GeneralizationConfig,
        measure_generalization,
    )
    from boundcheck.experiments.generalization.outputs import RESULTS_FILE, write_outputs
    from boundcheck.experiments.generalization.sizes import parse_sizes
    from boundcheck.experiments.generalization.source import reference_dir, resolve_source

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
    dev = torch_device(device, threads)
    source = resolve_source(run, epoch, runs_root=Path("runs"), reference_dir=reference_dir())
    out_dir = out or Path("generalization") / f"{source.run.path.name}-epoch{source.epoch}"
    prepare_out(out_dir, RESULTS_FILE, force)
    cfg = GeneralizationConfig(
        train_sizes=tuple(sizes), seeds=seeds, seed=seed, snapshots=snapshots,
        eval_steps=eval_steps, kl_min=kl_min, kl_max=kl_max, max_updates=max_updates,
        check_every=check_every, local_points=local_points, tv_samples=tv_samples,
        rollout_length=rollout_length, rollout_batch_size=rollout_batch,
        model_max_epochs=model_max_epochs, model_max_t=model_max_t)
    # A checkpoint damaged after the run was opened is bad input too (naming the file).
    with phase_progress("{task.percentage:>3.0f}%", disabled=quiet or as_json) as report:
        with naming("--run"):
            result = measure_generalization(cfg, source, device=dev, progress=report)
        paths = write_outputs(result, out_dir)
    if as_json:
        emit_json({**result.doc, "files": paths})
    elif not quiet:
        _render(result.doc, paths)
    return 0


def _fmt(summary: dict[str, Any] | None) -> str:
    if summary is None:
        return "-"
    std = summary.get("std")
    return f"{summary['mean']:.4g}" + ("" if std is None or std != std else f" ± {std:.2g}")


def _render(doc: dict[str, Any], paths: dict[str, str]) -> None:
    from rich.table import Table

    console = stdout_console()
    y = doc["model_error"]["primary"]
    src = doc["source"]
    table = Table(title=f"{src['env']}, pi_D = {src['run']} epoch {src['epoch']}: "
                        f"d({y})/d(Pinsker TV)")
    for col in ("N", "local slope", "all-points slope", f"{y} at pi_D", "eps_pi (MBPO interval)"):
        table.add_column(col, justify="right")
    for size in doc["sizes"]:
        slopes = size["slopes"][y]["pinsker_tv"]
        table.add_row(f"{size['train_size']:,}", _fmt(slopes["local"]), _fmt(slopes["linear"]),
                      _fmt(size["eps_m_at_pi_d"][y]), _fmt(size["eps_pi_interval"]))
    console.print(table)
    if not doc["model_error"]["tv_available"]:
        console.print(f"TV unavailable: {doc['model_error']['tv_unavailable_reason']}")
    for warning in doc["warnings"]:
        console.print(f"note: {warning}")
    console.print("wrote " + ", ".join(paths.values()))
