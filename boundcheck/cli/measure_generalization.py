"""``boundcheck measure-generalization``: the paper's model-generalization experiment (Sec. 4.3).

See docs/measure-generalization.md. Builds the settings from the options (each declared once,
in its field of :class:`~boundcheck.experiments.generalization.settings.GeneralizationConfig`),
resolves π_D, runs :func:`boundcheck.experiments.generalization.experiment.measure_generalization`
under a progress bar, writes the outputs (:mod:`boundcheck.experiments.generalization.outputs`)
and renders a table (:mod:`boundcheck.render.generalization`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from boundcheck.cli.common import (
    bad_input,
    check_numbers,
    emit_json,
    phase_progress,
    prepare_out,
    stderr_console,
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
    config_from_options,
    default_of,
    field_option,
    opt,
    option_for,
    out_option,
)
from boundcheck.experiments.generalization.settings import GeneralizationConfig as G
from boundcheck.inputs import NON_NEGATIVE_INT

#: Old spellings, still read (hidden, with a deprecation line).
DEPRECATED = {"--seeds": "--repetitions", "--rollout-length": "--k",
              "--rollout-batch": "--rollout-batch-size"}


def command(
    train_size: Annotated[str, field_option(G, "train_sizes")],
    run: Annotated[Path | None, opt(
        "--run", "Run directory of pi_D (default: the newest under ./runs, else "
        "data/reference-noise: Hopper with known noise, so the model error is a true TV; "
        "data/reference is the paper's deterministic setting, proxies only).")] = None,
    epoch: Annotated[int | None, opt("--epoch", "Epoch of pi_D (default: the last).")] = None,
    repetitions: Annotated[int, field_option(G, "repetitions")] = default_of(G, "repetitions"),
    seed: Annotated[int, field_option(G, "seed")] = default_of(G, "seed"),
    snapshots: Annotated[int, field_option(G, "snapshots")] = default_of(G, "snapshots"),
    eval_steps: Annotated[int, field_option(G, "eval_steps")] = default_of(G, "eval_steps"),
    kl_max: Annotated[float, field_option(G, "kl_max")] = default_of(G, "kl_max"),
    kl_min: Annotated[float, field_option(G, "kl_min")] = default_of(G, "kl_min"),
    max_updates: Annotated[int, field_option(G, "max_updates")] = default_of(G, "max_updates"),
    check_every: Annotated[int, field_option(G, "check_every")] = default_of(G, "check_every"),
    k: Annotated[int | None, field_option(G, "k")] = default_of(G, "k"),
    rollout_batch_size: Annotated[int | None, field_option(G, "rollout_batch_size")]
    = default_of(G, "rollout_batch_size"),
    model_max_epochs: Annotated[int | None, field_option(G, "model_max_epochs")]
    = default_of(G, "model_max_epochs"),
    model_max_t: Annotated[float | None, field_option(G, "model_max_t")]
    = default_of(G, "model_max_t"),
    tv_samples: Annotated[int, field_option(G, "tv_samples")] = default_of(G, "tv_samples"),
    local_points: Annotated[int, field_option(G, "local_points")]
    = default_of(G, "local_points"),
    out: Annotated[Path | None, out_option("Output folder (default "
                                           "generalization/<run>-epoch<E>).")] = None,
    force: ForceOption = False,
    resume: ResumeOption = False,
    device: DeviceOption = "auto",
    threads: ThreadsOption = None,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> int:
    """Model error against policy shift for models trained on N transitions of pi_D.

    --resume keeps the finished repetitions in --out and runs the rest (a larger --repetitions
    adds repetitions); every other setting must be the same.
    """
    from boundcheck.codec import encode
    from boundcheck.experiments.generalization.outputs import RESULTS_FILE, measure_into
    from boundcheck.experiments.generalization.settings import parse_sizes
    from boundcheck.experiments.generalization.source import (
        describe_source,
        reference_dir,
        resolve_source,
    )
    from boundcheck.render.generalization import render_generalization

    try:
        sizes = tuple(parse_sizes(train_size))
    except ValueError as exc:
        bad_input(option_for(G, "train_sizes"), str(exc))
    check_numbers({"--epoch": (epoch, NON_NEGATIVE_INT)})
    cfg = config_from_options(G, locals(), train_sizes=sizes)
    check_resume_force(resume, force)
    dev = torch_device(device, threads)
    with naming("--run"):
        source = resolve_source(run, epoch, runs_root=Path("runs"),
                                reference_dir=reference_dir())
    out_dir = out or Path("generalization") / f"{source.run.path.name}-epoch{source.epoch}"
    prepare_out(out_dir, RESULTS_FILE, force or resume)
    if not (quiet or as_json):
        stderr_console().print(describe_source(source, given=run is not None), markup=False,
                               highlight=False)
    with phase_progress("{task.percentage:>3.0f}%", disabled=quiet or as_json) as report, \
            naming("--run"):  # a checkpoint damaged after the run was opened names --run
        result, paths = measure_into(cfg, source, out_dir, device=dev, resume=resume,
                                     progress=report)
    if as_json:
        emit_json({**encode(result.document), "files": paths})
    elif not quiet:
        render_generalization(stdout_console(), result.document, paths)
    return 0
