"""``boundcheck validate``: do Theorems 4.1–4.3 hold on my run, how loose are they?

See docs/validate.md. Validates the options, resolves the run and epochs, runs
:func:`boundcheck.experiments.validate.experiment.run_validation` under a progress bar, writes
``validation.json`` and ``validation.png``, and renders a table. Exit 1 when a bound is
violated with confidence.
"""

from __future__ import annotations

import math
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
    stderr_console,
    stdout_console,
    torch_device,
)
from boundcheck.cli.errors import EXIT_FAILURE, naming
from boundcheck.inputs import NON_NEGATIVE_INT, PROBABILITY_OPEN, SEED, NumberRule

RESULTS_FILE = "validation.json"
FIGURE_FILE = "validation.png"
EPS_PI_STATS = ("max", "p99", "p95", "mean")
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
    eps_m_shifted: Annotated[float | None, opt("--eps-m-shifted", "eps_m' for Theorem 4.3 "
                                                "(default: --eps-m if given, else measured).")]
    = None,
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
    from boundcheck.experiments.validate.measure import MeasureSettings
    from boundcheck.experiments.validate.report import BoundInputs
    from boundcheck.experiments.validate.source import resolve_validation
    from boundcheck.theory.bounds import TheoryInputError, check_gamma, check_r_max, check_tv

    check_numbers({"--data-epoch": (data_epoch, NON_NEGATIVE_INT),
                   "--epoch": (epoch, NON_NEGATIVE_INT),
                   "--k": (k, NumberRule(integer=True, ge=0, le=MAX_K)),
                   "--episodes": (episodes, NumberRule(integer=True, ge=2, le=MAX_EPISODES)),
                   "--model-starts": (model_starts, NumberRule(integer=True, ge=1,
                                                               le=MAX_MODEL_STARTS)),
                   "--confidence": (confidence, PROBABILITY_OPEN), "--seed": (seed, SEED)})
    if eps_pi_stat not in EPS_PI_STATS:
        bad_input("--eps-pi", f"must be one of {', '.join(EPS_PI_STATS)}, got {eps_pi_stat!r}")
    checks = (("--gamma", gamma, check_gamma), ("--r-max", r_max, check_r_max),
              ("--eps-m", eps_m, lambda v: check_tv(v, "eps_m")),
              ("--eps-m-shifted", eps_m_shifted, lambda v: check_tv(v, "eps_m_shifted")))
    for option, value, check in checks:
        try:
            if value is not None:
                check(value)
        except TheoryInputError as exc:
            bad_input(option, exc.detail)
    dev = torch_device(device, threads)
    source = resolve_validation(run, data_epoch, epoch, all_epochs=all_epochs,
                                runs_root=Path("runs"))
    pairs = source.pairs
    name = "all-epochs" if all_epochs else f"e{pairs[0].data_epoch}-e{pairs[0].epoch}"
    out_dir = out or Path("validation") / f"{source.run.path.name}-{name}"
    prepare_out(out_dir, RESULTS_FILE, force)
    settings = MeasureSettings(episodes=episodes, k=k, model_starts=model_starts, seed=seed,
                               confidence=confidence)
    inputs = BoundInputs(r_max=r_max, eps_m=eps_m, eps_m_shifted=eps_m_shifted,
                         eps_pi_stat=eps_pi_stat, confidence=confidence)
    # A checkpoint damaged after the run was opened is bad input too (naming the file).
    with phase_progress("{task.completed}/{task.total} phases",
                        disabled=quiet or as_json) as report, naming("--run"):
        doc = run_validation(source, settings, inputs, gamma or source.config.sac.gamma, dev,
                             report)
    paths = _write(doc, out_dir)
    if as_json:
        emit_json({**doc, "files": paths})
    elif not quiet:
        _render(doc, paths)
    if doc["any_violated"]:
        if not (quiet or as_json):
            stderr_console().print("a bound is VIOLATED with confidence (exit 1)")
        return EXIT_FAILURE
    return 0


def _write(doc: dict[str, Any], out_dir: Path) -> dict[str, str]:
    from boundcheck.plots.validate import plot_validation
    from boundcheck.runs.atomic import atomic_write_json

    figure = plot_validation(doc, out_dir / FIGURE_FILE)
    paths = {"results": str(out_dir / RESULTS_FILE), "figure": str(figure)}
    atomic_write_json(out_dir / RESULTS_FILE, {**doc, "files": paths})
    return paths


def _num(x: Any, fmt: str = ".4g") -> str:
    return "-" if x is None or (isinstance(x, float) and not math.isfinite(x)) else format(x, fmt)


def _pm(e: dict[str, Any], fmt: str = ".4g") -> str:
    low, high = e["ci_low"], e["ci_high"]
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return _num(e["mean"], fmt)
    return f"{_num(e['mean'], fmt)} ± {_num((high - low) / 2.0, '.1g')}"


def _header(doc: dict[str, Any], pair: dict[str, Any]) -> list[str]:
    inputs, block = pair["inputs"], pair["by_gamma"][0]
    ret = block["returns"]
    shift = pair["policy_shift"]["stats"]["pinsker_min"]
    quantiles = ", ".join(f"{q} {_num(shift[q]['value'], '.3g')}" for q in EPS_PI_STATS)
    err_d, err_pi = pair["model_error"]["pi_d"], pair["model_error"]["pi"]
    return [
        f"{doc['source']['env']}: pi_D and model from epoch {pair['data_epoch']}, pi from epoch "
        f"{pair['epoch']}; k = {pair['k']}, gamma = {block['gamma']:g}, r_max = "
        f"{_num(inputs['r_max'])} ({inputs['r_max_source']})",
        f"  returns (mean ± CI half-width): eta {_pm(ret['eta'])}, eta_model "
        f"{_pm(ret['eta_model'])}, eta_branch {_pm(ret['eta_branch'])}; eta of pi_D "
        f"{_pm(ret['eta_pi_d'])}; k-step model return, MBPO's objective (no theorem) "
        f"{_pm(ret['model_k_step'])}",
        f"  eps_pi = {_num(inputs['eps_pi'], '.3g')} ({inputs['eps_pi_stat']} over states of "
        f"the Pinsker bound; {quantiles}; MC TV {_num(inputs['eps_pi_mc'], '.3g')})",
        f"  eps_m = {_num(inputs['eps_m'], '.3g')} ({inputs['eps_m_source']}), eps_m' = "
        f"{_num(inputs['eps_m_shifted'], '.3g')} ({inputs['eps_m_shifted_source']}); proxies: "
        f"NLL {_num(err_d['nll_mean'])} / {_num(err_pi['nll_mean'])} nats, MSE "
        f"{_num(err_d['mse_mean'])} / {_num(err_pi['mse_mean'])} (under pi_D / pi)",
    ]


def _render(doc: dict[str, Any], paths: dict[str, str]) -> None:
    from rich import box
    from rich.table import Table

    console = stdout_console()
    for pair in doc["pairs"]:
        for line in _header(doc, pair):
            console.print(line, markup=False, highlight=False)
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1, 0, 0),
                      caption="slack = eta - bound (paired CI); inf. = informative: C < "
                              "2 r_max/(1-gamma); below: eps_pi,eps_m (measured ratio) where "
                              "it would be")
        for col in ("γ", "thm", "C", "bound", "slack", "verdict", "inf.", "below"):
            table.add_column(col, justify="right", no_wrap=col != "below")
        for blk in pair["by_gamma"]:
            for name, t in blk["theorems"].items():
                below = t["informative_below"]
                eps_model = below.get("eps_m", below.get("eps_m_shifted"))
                table.add_row(f"{blk['gamma']:g}", name, _num(t["C"], ".3g"),
                              _num(t["lower_bound"]["mean"], ".3g"), _pm(t["slack"], ".3g"),
                              t["verdict"], "yes" if t["informative"] else "no",
                              f"{_num(below['eps_pi'], '.2g')},{_num(eps_model, '.2g')}")
                if t["unreliable"]:
                    table.add_row("", "", "", "", "", f"({t['unreliable']})", "", "")
        console.print(table)
    if not doc["tv_available"]:
        console.print(f"eps_m: {doc['tv_unavailable_reason']} (pass --eps-m to supply a value)",
                      markup=False)
    for warning in doc["warnings"]:
        console.print(f"note: {warning}", markup=False)
    console.print("wrote " + ", ".join(paths.values()), markup=False)
