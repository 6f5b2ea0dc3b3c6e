"""``boundcheck plot-runs``: learning curves of one or more run directories.

With ``--group``, runs of the same algorithm and task are pooled over their seeds: the figure
shows each seed thin and the mean with a t band, and a table gives the return at ``--at``
(default: the last step every run reached) and the mean of the last ``--window`` evaluations,
each over seeds with an interval, plus a paired comparison when two groups share their seeds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from boundcheck.cli.common import (
    JsonOption,
    bad_input,
    check_figure_path,
    check_numbers,
    emit_json,
    opt,
    stdout_console,
)
from boundcheck.cli.errors import naming
from boundcheck.inputs import COUNT, NON_NEGATIVE_INT, PROBABILITY_OPEN, InputError, NumberRule

#: Per run: its path, label fields (algo, env, seed) and validated evaluation records.
Loaded = list[tuple[Path, dict[str, Any], list[dict[str, Any]]]]


def _load(runs: list[Path]) -> Loaded:
    """Each run's validated config (label fields) and its evaluation curve."""
    from boundcheck.runs import RunDir
    from boundcheck.runs.saved_config import read_saved_run

    loaded = []
    for path in runs:
        with naming("RUNS"):
            run = RunDir.open(path)
            saved = read_saved_run(run, check_env=False)
            evaluations = _evaluations(run.metrics_path, run.read_metrics())
        label = {"algo": saved.config.algo, "env": saved.config.env, "seed": saved.seed}
        if not evaluations:
            bad_input("RUNS", f"{path}: no evaluation recorded yet")
        loaded.append((path, label, evaluations))
    return loaded


def _evaluations(where: Path, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records that hold an evaluation, checked: ``env_steps`` an integer >= 0, the return
    (and its std, if recorded) finite numbers; a damaged record names ``metrics.jsonl``."""
    from boundcheck.runs import MetricsCorruptError

    out = []
    for record in records:
        if record.get("eval/return_mean") is None:
            continue
        try:
            row = {"env_steps": NON_NEGATIVE_INT.check(record.get("env_steps"), "env_steps"),
                   "eval/return_mean": NumberRule().check(record["eval/return_mean"],
                                                          "eval/return_mean")}
            if record.get("eval/return_std") is not None:
                row["eval/return_std"] = NumberRule(ge=0).check(record["eval/return_std"],
                                                                "eval/return_std")
        except InputError as exc:
            raise MetricsCorruptError(f"{where}: epoch {record.get('epoch')!r}: {exc}") from None
        out.append(row)
    return out


def _curve(evaluations: list[dict[str, Any]]) -> dict[int, float]:
    return {int(r["env_steps"]): float(r["eval/return_mean"]) for r in evaluations}


def _fmt(summary: dict[str, Any]) -> str:
    if summary["n"] < 2:
        return f"{summary['mean']:.0f}"
    return f"{summary['mean']:.0f} [{summary['ci_low']:.0f}, {summary['ci_high']:.0f}]"


def _render(doc: dict[str, Any]) -> None:
    from rich.table import Table

    level = f"{doc['confidence']:.0%}"
    table = Table(title=f"Evaluation return at {doc['step']:,} env steps (mean [{level} t "
                        f"interval] over seeds)")
    for col in ("group", "seeds", "at step", f"last {doc['window']} evals", "per seed at step"):
        table.add_column(col)
    for label, g in doc["groups"].items():
        per = ", ".join(f"{s}: {v:.0f}" for s, v in g["at_step"]["per_seed"].items())
        table.add_row(label, str(len(g["seeds"])), _fmt(g["at_step"]["summary"]),
                      _fmt(g["window_mean"]["summary"]), per)
    console = stdout_console()
    console.print(table)
    paired = doc["paired"]
    if paired:
        for key, name in (("at_step", "at step"), ("window_mean", f"last {doc['window']} evals")):
            p = paired[key]
            console.print(f"{paired['a']} > {paired['b']} ({name}): {p['wins']}/{p['n']} seeds, "
                          f"sign test p = {p['sign_test_p']:.2g}; mean difference "
                          f"{_fmt(p['diff'])}")


def _group(loaded: Loaded) -> dict[str, dict[int, dict[int, float]]]:
    groups: dict[str, dict[int, dict[int, float]]] = {}
    for path, label, evaluations in loaded:
        seeds = groups.setdefault(f"{label['algo']} {label['env']}", {})
        if label["seed"] in seeds:
            bad_input("RUNS", f"{path}: a second run of seed {label['seed']} in the same group")
        seeds[label["seed"]] = _curve(evaluations)
    return groups


def command(
    runs: Annotated[list[Path], typer.Argument(help="Run directories (written by train).")],
    out: Annotated[Path, typer.Option("--out", help="Figure file (.png, .pdf or .svg).")]
    = Path("learning_curves.png"),
    title: Annotated[str, typer.Option("--title", help="Figure title.")] = "",
    group: Annotated[bool, opt("--group", "Pool runs of one algorithm and task over seeds; "
                                          "print the across-seed table.")] = False,
    at: Annotated[int | None, opt("--at", "Env step of the table (default: the last step "
                                          "every run reached).")] = None,
    window: Annotated[int, opt("--window", "Evaluations averaged per run up to --at.")] = 5,
    confidence: Annotated[float, opt("--confidence", "Level of the intervals.")] = 0.95,
    as_json: JsonOption = False,
) -> int:
    """Plot evaluation return against real env steps for each run (or per group of seeds)."""
    from boundcheck.plots.learning import plot_learning_curves, plot_seed_groups

    check_figure_path("--out", out)
    check_numbers({"--window": (window, COUNT), "--confidence": (confidence, PROBABILITY_OPEN),
                   "--at": (at, NON_NEGATIVE_INT)})
    loaded = _load(runs)
    if not group:
        curves: dict[str, list[dict[str, Any]]] = {}
        summary = []
        for path, label, evaluations in loaded:
            name = f"{label['algo']} {label['env']} seed {label['seed']}"
            name = name if name not in curves else str(path)
            curves[name] = evaluations
            last = evaluations[-1]
            summary.append({"run": str(path), "label": name, **label,
                            "evaluations": len(evaluations),
                            "last": {"env_steps": last["env_steps"],
                                     "return": last["eval/return_mean"]}})
        plot_learning_curves(curves, out, title=title)
        if as_json:
            emit_json({"figure": str(out), "runs": summary})
        else:
            stdout_console().print(f"wrote {out}")
        return 0
    from boundcheck.experiments.learning.summary import last_common_step, summarize_groups

    groups = _group(loaded)
    try:
        step = last_common_step(groups) if at is None else at
        doc = summarize_groups(groups, step, window, confidence)
    except ValueError as exc:
        bad_input("--at" if at is not None else "RUNS", str(exc))
    plot_seed_groups({k: list(v.values()) for k, v in groups.items()}, out, title=title,
                     confidence=confidence)
    doc["figure"] = str(out)
    if as_json:
        emit_json(doc)
    else:
        _render(doc)
        stdout_console().print(f"wrote {out}")
    return 0
