"""The sweep's answer: per task, each setting's learning curve over seeds, a table at one step
and over the last evaluations, and paired comparisons of settings on the same seeds.

A *setting* is a cell's axis values without its seed (``mbpo ensemble.hidden_width=48``); its
runs are the cells that differ only in the seed. Per task: the mean learning curve with a 95 %
t band per setting (one figure), the return at ``step`` (default: the last step every run of the
task reached) and the mean of each run's last ``window`` evaluations up to it, each over seeds
with an interval (:func:`boundcheck.experiments.learning.summary.summarize_groups`), and, for
every two settings that differ in one axis and share seeds, the paired comparison (wins, sign
test, mean difference with its interval; :func:`boundcheck.estimators.learning.paired_comparison`).
Written as ``report.md``, ``summary.json``, ``summary.csv`` and one figure per task.
"""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from boundcheck.codec import encode, json_meta
from boundcheck.estimators.learning import PairedComparison, paired_comparison
from boundcheck.experiments.generalization.analysis import FIT_KINDS
from boundcheck.experiments.learning.curves import load_run_curves
from boundcheck.experiments.learning.summary import (
    GroupsSummary,
    last_common_step,
    summarize_groups,
)
from boundcheck.experiments.sweep.analyses import (
    SlopeRow,
    VerdictCounts,
    analyses_json,
    slopes_by_size,
    verdict_counts,
)
from boundcheck.experiments.sweep.record import read_sweep_record
from boundcheck.inputs import InputError
from boundcheck.runs.atomic import atomic_write_json, atomic_write_text

SeedCurves = dict[int, dict[int, float]]


@dataclass(frozen=True)
class SettingPair:
    """Setting ``a`` against ``b`` (one axis apart) on their common seeds."""

    a: str
    b: str
    axis: str
    at_step: PairedComparison
    window_mean: PairedComparison


@dataclass(frozen=True)
class TaskReport:
    """One task's settings summarised over seeds, their pairs, and the figure."""

    task: str
    summary: GroupsSummary
    pairs: tuple[SettingPair, ...]
    figure: Path
    verdicts: dict[str, VerdictCounts] = field(default_factory=dict)
    slopes: dict[str, list[SlopeRow]] = field(default_factory=dict)

    def __json_encode__(self) -> dict[str, Any]:
        """The task's block of ``summary.json``: the task, its summary's document, the
        figure's name, the pairs and the follow-on analyses per setting (sorted)."""
        labels = sorted(set(self.verdicts) | set(self.slopes))
        return {"task": self.task, **encode(self.summary), "figure": self.figure.name,
                "pairs": self.pairs,
                "analyses": {label: analyses_json(self.verdicts.get(label),
                                                  self.slopes.get(label, []))
                             for label in labels}}


@dataclass(frozen=True)
class SweepReport:
    """Every task's report and the cells that had no evaluation to report yet; its JSON is
    ``summary.json`` (``out`` as ``sweep``)."""

    out: Path = field(metadata=json_meta(key="sweep"))
    tasks: tuple[TaskReport, ...]
    missing: tuple[str, ...]


def _cells(out: Path) -> dict[str, dict[str, str]]:
    """Each cell's axis values, by cell name, as ``sweep.json`` records them."""
    return {name: cell.values for name, cell in read_sweep_record(out, "sweep").cells.items()}


def _label(values: dict[str, str], algo: str) -> str:
    """A setting's label: its algorithm, then its other non-seed, non-task axis values."""
    rest = [f"{k}={v}" for k, v in values.items() if k not in ("env", "seed", "algo")]
    return " ".join([algo, *rest])


def report_sweep(out: Path, *, step: int | None = None, window: int = 5,
                 confidence: float = 0.95) -> SweepReport:
    """Summarise the finished evaluations of every cell of the sweep in ``out`` and write the
    report files there (see the module docstring)."""
    from boundcheck.plots.learning import plot_seed_groups

    cells = _cells(out)
    present = [n for n in cells if (out / n / "metrics.jsonl").is_file()]
    runs = {run.path.name: run for run in load_run_curves([out / n for n in present])
            if run.evaluations} if present else {}
    missing = tuple(n for n in cells if n not in runs)
    by_task: dict[str, dict[str, SeedCurves]] = {}
    axes_of: dict[str, dict[str, str]] = {}
    dirs: dict[str, dict[str, list[Path]]] = {}
    for name, run in runs.items():
        label = _label(cells[name], run.algo)
        by_task.setdefault(run.env, {}).setdefault(label, {})[run.seed] = run.curve()
        dirs.setdefault(run.env, {}).setdefault(label, []).append(run.path)
        axes_of[label] = {k: v for k, v in cells[name].items() if k not in ("env", "seed")}
        axes_of[label].setdefault("algo", run.algo)
    tasks = []
    for task, groups in by_task.items():
        try:
            at = last_common_step(groups) if step is None else step
            summary = summarize_groups(groups, at, window, confidence)
        except ValueError as exc:
            raise InputError("at", f"{task}: {exc}") from None
        figure = out / f"curves_{task}.png"
        plot_seed_groups({k: list(v.values()) for k, v in groups.items()}, figure,
                         title=task, confidence=confidence)
        verdicts = {label: v for label, paths in dirs[task].items()
                    if (v := verdict_counts(paths, confidence)) is not None}
        slopes = {label: rows for label, paths in dirs[task].items()
                  if (rows := slopes_by_size(paths, confidence))}
        tasks.append(TaskReport(task, summary, _pairs(summary, axes_of, confidence), figure,
                                verdicts, slopes))
    report = SweepReport(out, tuple(tasks), missing)
    atomic_write_json(out / "summary.json", report)
    atomic_write_text(out / "summary.csv", summary_csv(report))
    atomic_write_text(out / "report.md", report_markdown(report))
    return report


def _pairs(summary: GroupsSummary, axes_of: dict[str, dict[str, str]],
           confidence: float) -> tuple[SettingPair, ...]:
    pairs = []
    for a, b in itertools.combinations(summary.groups, 2):
        differ = [k for k in axes_of[a] if axes_of[a].get(k) != axes_of[b].get(k)]
        ga, gb = summary.groups[a], summary.groups[b]
        seeds = sorted(set(ga.seeds) & set(gb.seeds))
        if len(differ) != 1 or not seeds:
            continue
        pairs.append(SettingPair(
            a, b, differ[0],
            at_step=paired_comparison([ga.at_step.per_seed[s] for s in seeds],
                                      [gb.at_step.per_seed[s] for s in seeds], confidence),
            window_mean=paired_comparison([ga.window_mean.per_seed[s] for s in seeds],
                                          [gb.window_mean.per_seed[s] for s in seeds],
                                          confidence)))
    return tuple(pairs)


def summary_csv(report: SweepReport) -> str:
    """One row per (task, setting): seeds, mean and interval at the step and over the window."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["task", "setting", "seeds", "step", "at_step_mean", "at_step_low",
                     "at_step_high", "window", "window_mean", "window_low", "window_high"])
    for task in report.tasks:
        s = task.summary
        for label, g in s.groups.items():
            at, win = g.at_step.summary, g.window_mean.summary
            writer.writerow([task.task, label, len(g.seeds), s.step, at.mean,
                             *_csv_cells(at.ci_low, at.ci_high), s.window, win.mean,
                             *_csv_cells(win.ci_low, win.ci_high)])
    return buffer.getvalue()


def _csv_cells(*values: float) -> list[float | str]:
    """CSV cells: an interval end that cannot be estimated (one seed) is left empty."""
    return [v if v == v else "" for v in values]


def interval_text(mean: float, low: float, high: float, fmt: str = ".1f") -> str:
    """``mean [low, high]``; with one seed, where no interval can be estimated, the mean and
    says so."""
    text = format(mean, fmt)
    return f"{text} [{low:{fmt}}, {high:{fmt}}]" if low == low else f"{text} (1 seed: no interval)"


def report_markdown(report: SweepReport) -> str:
    """``report.md``: per task, the figure, the table and the paired comparisons."""
    lines = [f"# Sweep report: {report.out.name}", ""]
    for task in report.tasks:
        s = task.summary
        lines += [f"## {task.task}", "", f"![curves]({task.figure.name})", "",
                  f"Return at step {s.step} and mean of the last {s.window} evaluations, over "
                  f"seeds ({s.confidence:.0%} t interval).", "",
                  "| setting | seeds | at step | last evaluations |", "| --- | --- | --- | --- |"]
        for label, g in s.groups.items():
            at, win = g.at_step.summary, g.window_mean.summary
            at_text = interval_text(at.mean, at.ci_low, at.ci_high)
            win_text = interval_text(win.mean, win.ci_low, win.ci_high)
            lines.append(f"| {label} | {len(g.seeds)} | {at_text} | {win_text} |")
        if task.pairs:
            lines += ["", "| a | b | axis | wins of a | sign test p | mean difference (at step) |",
                      "| --- | --- | --- | --- | --- | --- |"]
            for p in task.pairs:
                d = p.at_step.diff
                lines.append(f"| {p.a} | {p.b} | {p.axis} | {p.at_step.wins}/{p.at_step.n} | "
                             f"{p.at_step.sign_test_p:.3g} | "
                             f"{interval_text(d.mean, d.ci_low, d.ci_high)} |")
        lines += _analyses_markdown(task)
        lines.append("")
    if report.missing:
        lines += ["Cells without an evaluation yet: " + ", ".join(report.missing), ""]
    return "\n".join(lines)


def _analyses_markdown(task: TaskReport) -> list[str]:
    lines: list[str] = []
    for label, counts in task.verdicts.items():
        lines += ["", f"validate, {label} ({counts.runs} runs): checks per verdict", "",
                  "| theorem @ γ | holds | violated | inconclusive |", "| --- | --- | --- | --- |"]
        for key, c in counts.counts.items():
            lines.append(f"| {key} | {c.get('holds', 0)} | {c.get('violated', 0)} | "
                         f"{c.get('inconclusive', 0)} |")
        if counts.measured:
            lines += ["", f"validate, {label}: measured on each run's newest epoch pair "
                          "(mean [t interval] over runs)", "",
                      "| quantity | mean [interval] | runs |", "| --- | --- | --- |"]
            for name, s in counts.measured.items():
                lines.append(f"| {name} | {interval_text(s.mean, s.ci_low, s.ci_high, '.3g')}"
                             f" | {s.n} |")
    for label, rows in task.slopes.items():
        lines += ["", f"measure-generalization, {label}: slope of {rows[0].measure} against "
                      "the Pinsker TV, over runs", "",
                  "| training set | local | all points |", "| --- | --- | --- |"]
        for r in rows:
            cells = [("-" if (s := r.summary.get(k)) is None
                      else interval_text(s.mean, s.ci_low, s.ci_high) + f" (n={s.n})")
                     for k in FIT_KINDS]
            lines.append(f"| {r.train_size} | {cells[0]} | {cells[1]} |")
    return lines
