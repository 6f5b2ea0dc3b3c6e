"""``boundcheck validate``: do Theorems 4.1–4.3 hold on my run, how loose are they?

See docs/validate.md. Checks the options, resolves the run and epochs
(:func:`boundcheck.experiments.validate.source.resolve_validation`), runs
:func:`boundcheck.experiments.validate.experiment.run_validation` under a progress bar, writes
``validation.json`` and ``validation.png`` (:mod:`boundcheck.experiments.validate.outputs`) and
renders a table (:mod:`boundcheck.render.validate`). Exit 1 when a bound is violated with
confidence.
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
    stderr_console,
    stdout_console,
    torch_device,
)
from boundcheck.cli.errors import EXIT_FAILURE, naming
from boundcheck.inputs import NON_NEGATIVE_INT, PROBABILITY_OPEN, SEED, NumberRule

if TYPE_CHECKING:
    from boundcheck.experiments.validate.results import ValidationResult
    from boundcheck.experiments.validate.settings import BoundInputs, MeasureSettings

#: Caps on the sizes that set how much is simulated and held in memory.
MAX_EPISODES = 1_000_000
MAX_MODEL_STARTS = 10_000_000
MAX_K = 10_000


def command(
    run: Annotated[Path | None, opt("--run", "Run directory (default: the newest under "
                                     "./runs).")] = None,
    data_epoch: Annotated[int | None, opt("--data-epoch", "Epoch E_D of pi_D and the model "
                                           "(default: the second-to-last).")] = None,
    epoch: Annotated[int | None, opt("--epoch", "Epoch E of pi (default: E_D + 1).")] = None,
    gamma: Annotated[float | None, opt("--gamma", "Discount factor (default: the run's).")]
    = None,
    k: Annotated[int | None, opt("--k", "Branched rollout length (default: the run's k at "
                                  "epoch E).")] = None,
    episodes: Annotated[int, opt("--episodes", "Episodes N per return estimate.")] = 100,
    r_max: Annotated[float | None, opt("--r-max", "r_max (default: max |r| in the real "
                                        "buffer).")] = None,
    eps_m: Annotated[float | None, opt("--eps-m", "Model error eps_m (TV) to use instead of "
                                        "the measured one.")] = None,
    eps_model_shifted: Annotated[float | None, opt("--eps-m-shifted", "eps_m' for Theorem "
                                                    "4.3 (default: --eps-m if given, else "
                                                    "measured).")] = None,
    eps_pi_stat: Annotated[str, opt("--eps-pi", "Statistic over states used as eps_pi: max "
                                     "(the theorem's), p99, p95 or mean.")] = "max",
    all_epochs: Annotated[bool, opt("--all-epochs", "Check every consecutive pair of "
                                     "epochs.")] = False,
    model_starts: Annotated[int, opt("--model-starts", "Buffer states for the k-step model "
                                      "return.")] = 10_000,
    confidence: Annotated[float, opt("--confidence", "Level of every interval.")] = 0.95,
    seed: Annotated[int, opt("--seed", "Base seed of every random stream.")] = 0,
    out: Annotated[Path | None, opt("--out", "Output folder (default validation/<run>-...).")]
    = None,
    force: ReplaceOption = False,
    device: DeviceOption = "auto",
    threads: ThreadsOption = None,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> int:
    """Check Theorems 4.1-4.3 on a run's checkpoints (exit 1 if one is violated)."""
    from boundcheck.experiments.validate.experiment import run_validation
    from boundcheck.experiments.validate.outputs import RESULTS_FILE, write_outputs
    from boundcheck.experiments.validate.source import resolve_validation

    settings, inputs = _choices(data_epoch, epoch, k, episodes, model_starts, confidence, seed,
                                eps_pi_stat, gamma, r_max, eps_m, eps_model_shifted)
    dev = torch_device(device, threads)
    source = resolve_validation(run, data_epoch, epoch, all_epochs=all_epochs,
                                runs_root=Path("runs"))
    first = source.pairs[0]
    name = "all-epochs" if all_epochs else f"e{first.data_epoch}-e{first.epoch}"
    out_dir = out or Path("validation") / f"{source.run.path.name}-{name}"
    prepare_out(out_dir, RESULTS_FILE, force)
    # A checkpoint damaged after the run was opened is bad input too (naming the file).
    with phase_progress("{task.completed}/{task.total} phases",
                        disabled=quiet or as_json) as report, naming("--run"):
        result = run_validation(source, settings, inputs, gamma or source.config.sac.gamma,
                                dev, report)
    return _report(result, write_outputs(result, out_dir), quiet=quiet, as_json=as_json)


def _choices(data_epoch: int | None, epoch: int | None, k: int | None, episodes: int,
             model_starts: int, confidence: float, seed: int, eps_pi_stat: str,
             gamma: float | None, r_max: float | None, eps_m: float | None,
             eps_model_shifted: float | None) -> tuple[MeasureSettings, BoundInputs]:
    """The options checked (in the order a user reads them), as the library's settings."""
    from boundcheck.experiments.validate.settings import (
        BoundInputs,
        EpsPiStat,
        MeasureSettings,
        check_bound_inputs,
    )

    check_numbers({"--data-epoch": (data_epoch, NON_NEGATIVE_INT),
                   "--epoch": (epoch, NON_NEGATIVE_INT),
                   "--k": (k, NumberRule(integer=True, ge=0, le=MAX_K)),
                   "--episodes": (episodes, NumberRule(integer=True, ge=2, le=MAX_EPISODES)),
                   "--model-starts": (model_starts, NumberRule(integer=True, ge=1,
                                                               le=MAX_MODEL_STARTS)),
                   "--confidence": (confidence, PROBABILITY_OPEN), "--seed": (seed, SEED)})
    stats = [s.value for s in EpsPiStat]
    if eps_pi_stat not in stats:
        bad_input("--eps-pi", f"must be one of {', '.join(stats)}, got {eps_pi_stat!r}")
    inputs = BoundInputs(r_max=r_max, eps_m=eps_m, eps_model_shifted=eps_model_shifted,
                         eps_pi_stat=EpsPiStat(eps_pi_stat), confidence=confidence)
    check_bound_inputs(gamma, inputs)
    return MeasureSettings(episodes=episodes, k=k, model_starts=model_starts, seed=seed,
                           confidence=confidence), inputs


def _report(result: ValidationResult, paths: dict[str, str], *, quiet: bool,
            as_json: bool) -> int:
    """Print the result (JSON or tables); the exit code (1: a bound violated with confidence)."""
    from boundcheck.experiments.validate.document import validation_json
    from boundcheck.experiments.validate.results import any_violated
    from boundcheck.render.validate import render_validation

    if as_json:
        emit_json({**validation_json(result), "files": paths})
    elif not quiet:
        render_validation(stdout_console(), result, paths)
    if not any_violated(result):
        return 0
    if not (quiet or as_json):
        stderr_console().print("a bound is VIOLATED with confidence (exit 1)")
    return EXIT_FAILURE
