"""``boundcheck validate``: do Theorems 4.1–4.3 hold on my run, how loose are they?

See docs/validate.md. Checks the options, resolves the run and epochs
(:func:`boundcheck.experiments.validate.source.resolve_validation`), runs
:func:`boundcheck.experiments.validate.outputs.validate_into` under a progress bar (it measures
and writes ``validation.json`` and ``validation.png``) and renders a table
(:mod:`boundcheck.render.validate`). Exit 1 when a bound is violated with
confidence.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from boundcheck.cli.common import (
    check_numbers,
    emit_json,
    phase_progress,
    prepare_out,
    stderr_console,
    stdout_console,
    torch_device,
)
from boundcheck.cli.errors import EXIT_FAILURE, naming
from boundcheck.cli.options import (
    DeviceOption,
    ForceOption,
    JsonOption,
    QuietOption,
    ThreadsOption,
    config_from_options,
    default_of,
    field_option,
    opt,
    out_option,
)
from boundcheck.experiments.validate.settings import BoundInputs as B
from boundcheck.experiments.validate.settings import EpsPiStat, LadderChoice
from boundcheck.experiments.validate.settings import ValidateConfig as M
from boundcheck.inputs import NON_NEGATIVE_INT

if TYPE_CHECKING:
    from boundcheck.experiments.validate.results import ValidationResult

#: Old spellings, still read (hidden, with a deprecation line): ``--eps-pi`` is a number in
#: ``bounds`` and ``optimal-k``, so the statistic has its own name.
DEPRECATED = {"--eps-pi": "--eps-pi-stat"}


def command(
    run: Annotated[Path | None, opt("--run", "Run directory (default: the newest under "
                                     "./runs).")] = None,
    data_epoch: Annotated[int | None, opt("--data-epoch", "Epoch E_D of pi_D and the model "
                                           "(default: the second-to-last).")] = None,
    epoch: Annotated[int | None, opt("--epoch", "Epoch E of pi (default: E_D + 1).")] = None,
    gamma: Annotated[float | None, opt("--gamma", "Discount factor (default: the run's).")]
    = None,
    k: Annotated[int | None, field_option(M, "k")] = default_of(M, "k"),
    episodes: Annotated[int, field_option(M, "episodes")] = default_of(M, "episodes"),
    r_max: Annotated[float | None, field_option(B, "r_max")] = default_of(B, "r_max"),
    eps_model: Annotated[float | None, field_option(B, "eps_model")]
    = default_of(B, "eps_model"),
    eps_model_shifted: Annotated[float | None, field_option(B, "eps_model_shifted")]
    = default_of(B, "eps_model_shifted"),
    eps_pi_stat: Annotated[EpsPiStat, field_option(B, "eps_pi_stat")]
    = default_of(B, "eps_pi_stat"),  # noqa: B008 - the field's default, an enum member
    all_epochs: Annotated[bool, opt("--all-epochs", "Check every consecutive pair of "
                                     "epochs.")] = False,
    model_starts: Annotated[int, field_option(M, "model_starts")]
    = default_of(M, "model_starts"),
    policy_mc: Annotated[int, field_option(M, "policy_mc")] = default_of(M, "policy_mc"),
    max_states: Annotated[int, field_option(M, "max_states")] = default_of(M, "max_states"),
    tv_samples: Annotated[int, field_option(M, "tv_samples")] = default_of(M, "tv_samples"),
    bucket_width: Annotated[int, field_option(M, "bucket_width")]
    = default_of(M, "bucket_width"),
    confidence: Annotated[float, field_option(M, "confidence")] = default_of(M, "confidence"),
    seed: Annotated[int, field_option(M, "seed")] = default_of(M, "seed"),
    ladder: Annotated[LadderChoice, field_option(M, "ladder")]
    = default_of(M, "ladder"),  # noqa: B008 - the field's default, an enum member
    ladder_episodes: Annotated[int, field_option(M, "ladder_episodes")]
    = default_of(M, "ladder_episodes"),
    out: Annotated[Path | None, out_option("Output folder (default validation/<run>-...).")]
    = None,
    force: ForceOption = False,
    device: DeviceOption = "auto",
    threads: ThreadsOption = None,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> int:
    """Check Theorems 4.1-4.3 on a run's checkpoints (exit 1 if one is violated)."""
    from boundcheck.experiments.validate.outputs import RESULTS_FILE, validate_into
    from boundcheck.experiments.validate.source import resolve_validation
    from boundcheck.theory.bounds import check_gamma

    check_numbers({"--data-epoch": (data_epoch, NON_NEGATIVE_INT),
                   "--epoch": (epoch, NON_NEGATIVE_INT)})
    settings = config_from_options(M, locals())
    if gamma is not None:
        check_gamma(gamma)
    inputs = config_from_options(B, locals())
    dev = torch_device(device, threads)
    with naming("--run"):
        source = resolve_validation(run, data_epoch, epoch, all_epochs=all_epochs,
                                    runs_root=Path("runs"))
    first = source.pairs[0]
    name = "all-epochs" if all_epochs else f"e{first.data_epoch}-e{first.epoch}"
    out_dir = out or Path("validation") / f"{source.run.path.name}-{name}"
    prepare_out(out_dir, RESULTS_FILE, force)
    # A checkpoint damaged after the run was opened is bad input too (naming the file).
    with phase_progress("{task.completed}/{task.total} phases",
                        disabled=quiet or as_json) as report, naming("--run"):
        result, paths = validate_into(source, settings, inputs, out_dir, gamma=gamma,
                                      device=dev, progress=report)
    return _report(result, paths, quiet=quiet, as_json=as_json)


def _report(result: ValidationResult, paths: dict[str, str], *, quiet: bool,
            as_json: bool) -> int:
    """Print the result (JSON or tables); the exit code (1: a bound violated with confidence)."""
    from boundcheck.experiments.validate.document import record_of, validation_json
    from boundcheck.experiments.validate.results import any_violated
    from boundcheck.render.ladder import ladder_lines
    from boundcheck.render.validate import render_validation

    if as_json:
        emit_json({**validation_json(result), "files": paths})
    elif not quiet:
        render_validation(stdout_console(), record_of(result), paths)
        if result.ladder is not None:
            for line in ladder_lines(result.ladder):
                stdout_console().print(line, markup=False, highlight=False)
    if not any_violated(result):
        return 0
    if not (quiet or as_json):
        stderr_console().print("a bound is VIOLATED with confidence (exit 1)")
    return EXIT_FAILURE
