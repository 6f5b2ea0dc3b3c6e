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

from boundcheck.cli.common import JsonOption, bad_input, emit_json, opt, stdout_console


def _load(runs: list[Path]) -> list[tuple[Path, dict[str, Any], list[dict[str, Any]]]]:
    from boundcheck.runs import RunDir, RunError

    loaded = []
    for path in runs:
        try:
            run = RunDir.open(path)
            loaded.append((path, run.read_config()["config"], run.read_metrics()))
        except RunError as exc:
            bad_input("RUNS", str(exc))
    return loaded


def _curve(records: list[dict[str, Any]]) -> dict[int, float]:
    return {int(r["env_steps"]): float(r["eval/return_mean"]) for r in records
            if r.get("eval/return_mean") is not None}


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


def _group(loaded: list[tuple[Path, dict[str, Any], list[dict[str, Any]]]]
           ) -> dict[str, dict[int, dict[int, float]]]:
    groups: dict[str, dict[int, dict[int, float]]] = {}
    for path, config, records in loaded:
        seeds = groups.setdefault(f"{config.get('algo', '?')} {config.get('env', '?')}", {})
        seed = int(config.get("seed", 0))
        if seed in seeds:
            bad_input("RUNS", f"{path}: a second run of seed {seed} in the same group")
        seeds[seed] = _curve(records)
        if not seeds[seed]:
            bad_input("RUNS", f"{path}: no evaluation recorded yet")
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

    if out.suffix.lower() not in (".png", ".pdf", ".svg"):
        bad_input("--out", f"unsupported figure type {out.suffix!r} (use .png, .pdf or .svg)")
    if window < 1:
        bad_input("--window", f"must be at least 1, got {window}")
    if not 0.0 < confidence < 1.0:
        bad_input("--confidence", f"must lie in (0, 1), got {confidence}")
    loaded = _load(runs)
    if not group:
        curves = {}
        for path, config, records in loaded:
            label = f"{config.get('algo', '?')} {config.get('env', '?')} seed {config.get('seed')}"
            curves[label if label not in curves else str(path)] = records
        plot_learning_curves(curves, out, title=title)
        stdout_console().print(f"wrote {out}")
        return 0
    from boundcheck.experiments.learning_summary import last_common_step, summarize_groups

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
