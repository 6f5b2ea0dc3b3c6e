"""What ``boundcheck plot-runs`` does: read runs' evaluation curves, plot them, summarise them.

:func:`plot_run_curves` draws one curve per run; :func:`plot_seed_groups` pools runs of one
algorithm, task and setting over their seeds (the figure shows each seed thin and the mean
with a t band) and summarises them at one step (:mod:`boundcheck.experiments.learning.summary`). A
curve is the evaluation return against real env steps, exploration included, as the run's
``metrics.jsonl`` records it (docs/run-directory.md); the paper plots the same axes in its
Section 6.1 comparison.

Bad input: :class:`~boundcheck.inputs.InputError` with field ``runs`` (a run without
evaluations, two runs of one seed in a group, runs that share no step) or ``at`` (a step some
run was not evaluated at). A run directory that cannot be read raises the run layer's errors,
which name the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boundcheck.codec import encode
from boundcheck.experiments.learning.summary import (
    GroupsSummary,
    last_common_step,
    summarize_groups,
)
from boundcheck.inputs import NON_NEGATIVE_INT, InputError, NumberRule

#: The metric plotted by default (and the one whose std over episodes is recorded).
RETURN_METRIC = "eval/return_mean"
RETURN_STD = "eval/return_std"


@dataclass(frozen=True)
class Evaluation:
    """One evaluation of a run: real env steps, the metric's value (the mean return by
    default) and, for the return, its std over the evaluation episodes if recorded."""

    env_steps: int
    value: float
    std: float | None


@dataclass(frozen=True)
class RunCurve:
    """One run's label fields and its evaluations, in the order recorded."""

    path: Path
    algo: str
    env: str
    seed: int
    evaluations: tuple[Evaluation, ...]
    #: What else sets the run apart in a legend: known noise, a model other than the ensemble
    #: (e.g. ``", sigma 0.03"``); empty for a default run.
    setting: str = ""

    @property
    def group(self) -> str:
        """The label of its seed group: algorithm, task and setting, e.g. ``"mbpo Hopper-v5"``
        or ``"mbpo Hopper-v5, sigma 0.03, k 5"`` (runs that differ in a setting are different
        groups)."""
        return f"{self.algo} {self.env}{self.setting}"

    def curve(self) -> dict[int, float]:
        """{env steps: evaluation return}."""
        return {e.env_steps: e.value for e in self.evaluations}


def _evaluations(where: Path, records: list[dict[str, Any]],
                 metric: str = RETURN_METRIC) -> tuple[Evaluation, ...]:
    """The records that hold ``metric``, checked: ``env_steps`` an integer >= 0, the value
    (and the return's std, if recorded) finite numbers; a damaged record names
    ``metrics.jsonl``."""
    from boundcheck.runs import MetricsCorruptError

    out = []
    for record in records:
        if record.get(metric) is None:
            continue
        try:
            std = record.get(RETURN_STD) if metric == RETURN_METRIC else None
            out.append(Evaluation(
                env_steps=int(NON_NEGATIVE_INT.check(record.get("env_steps"), "env_steps")),
                value=float(NumberRule().check(record[metric], metric)),
                std=None if std is None else float(NumberRule(ge=0).check(std, RETURN_STD))))
        except InputError as exc:
            raise MetricsCorruptError(f"{where}: epoch {record.get('epoch')!r}: {exc}") from None
    return tuple(out)


def load_run_curves(paths: Sequence[Path],
                    metric: str = RETURN_METRIC) -> tuple[RunCurve, ...]:
    """Each run's validated config (label fields) and its curve of ``metric`` (a key of its
    ``metrics.jsonl``; the evaluation return by default)."""
    from boundcheck.runs import RunDir
    from boundcheck.runs.saved_config import read_saved_run

    loaded = []
    for path in paths:
        run = RunDir.open(path)
        saved = read_saved_run(run, check_env=False)
        evaluations = _evaluations(run.metrics_path, run.read_metrics(), metric)
        if not evaluations and metric != RETURN_METRIC:
            raise InputError("metric", f"{path} records no {metric!r} (see its metrics.jsonl "
                                       "and docs/trainer.md, Metrics)")
        if not evaluations:
            raise InputError("runs", f"{path}: no evaluation recorded yet")
        loaded.append(RunCurve(path, saved.config.algo, saved.config.env, saved.seed,
                               evaluations, setting=_setting(saved.config)))
    return tuple(loaded)


def _setting(config: Any) -> str:
    """The run's known noise, non-default model and fixed rollout length, as a legend
    suffix."""
    parts = []
    if config.transition_noise or config.reward_noise:
        same = config.transition_noise == config.reward_noise
        parts.append(f"sigma {config.transition_noise:g}" if same else
                     f"sigma {config.transition_noise:g}, sigma_r {config.reward_noise:g}")
    if config.algo == "mbpo" and config.model != "ensemble":
        parts.append(f"{config.model} model")
    if config.algo == "mbpo" and config.rollout.fixed_length is not None:
        parts.append(f"k {config.rollout.fixed_length}")
    return "".join(f", {p}" for p in parts)


@dataclass(frozen=True)
class RunCurveSummary:
    """One plotted run: its curve and the legend label it got, ``"<algo> <env>[, sigma s]
    [, <model> model] seed <seed>"``, with its folder added where two runs would share one."""

    run: RunCurve
    label: str

    def __json_encode__(self) -> dict[str, Any]:
        """``{run, label, algo, env, seed, evaluations, last: {env_steps, return}}``: the run's
        label fields, how many evaluations it has and the last of them."""
        last = self.run.evaluations[-1]
        return {"run": self.run.path, "label": self.label, "algo": self.run.algo,
                "env": self.run.env, "seed": self.run.seed,
                "evaluations": len(self.run.evaluations),
                "last": {"env_steps": last.env_steps, "return": last.value}}


@dataclass(frozen=True)
class RunCurvesReport:
    """``plot-runs`` without ``--group``: the figure and one summary per run (its JSON:
    ``{figure, runs}``)."""

    figure: Path
    runs: tuple[RunCurveSummary, ...]


def plot_run_curves(paths: Sequence[Path], out: Path, *, title: str = "",
                    metric: str = RETURN_METRIC) -> RunCurvesReport:
    """Read the runs and plot one curve of ``metric`` per run into ``out``."""
    from boundcheck.plots.learning import RETURN_LABEL, plot_learning_curves

    runs = load_run_curves(paths, metric)
    labels = [f"{run.group} seed {run.seed}" for run in runs]
    # Runs that would share a label are told apart by their folders, every one of them.
    summaries = [RunCurveSummary(run, label if labels.count(label) == 1 else
                                 f"{label} ({run.path.parent.name}/{run.path.name})")
                 for run, label in zip(runs, labels, strict=True)]
    envs = ", ".join(dict.fromkeys(run.env for run in runs))
    what = "evaluation return" if metric == RETURN_METRIC else metric
    plot_learning_curves({s.label: s.run.evaluations for s in summaries}, out,
                         title=title or f"{envs}: {what} per run",
                         ylabel=RETURN_LABEL if metric == RETURN_METRIC else metric)
    return RunCurvesReport(out, tuple(summaries))


@dataclass(frozen=True)
class SeedGroupsReport:
    """``plot-runs --group``: the figure and the across-seed summary."""

    figure: Path
    summary: GroupsSummary

    def __json_encode__(self) -> dict[str, Any]:
        """The summary's document plus ``figure``."""
        return {**encode(self.summary), "figure": self.figure}


def group_by_seed(runs: Sequence[RunCurve]) -> dict[str, dict[int, dict[int, float]]]:
    """{group label: {seed: curve}}; two runs of one seed in a group are refused."""
    groups: dict[str, dict[int, dict[int, float]]] = {}
    for run in runs:
        seeds = groups.setdefault(run.group, {})
        if run.seed in seeds:
            raise InputError("runs", f"{run.path}: a second run of seed {run.seed} in the same "
                                     "group")
        seeds[run.seed] = run.curve()
    return groups


def plot_seed_groups(paths: Sequence[Path], out: Path, *, title: str = "", at: int | None = None,
                     window: int = 5, confidence: float = 0.95,
                     metric: str = RETURN_METRIC) -> SeedGroupsReport:
    """Read the runs, group them by algorithm, task and setting, summarise ``metric`` in each
    group at step ``at`` (default: the last step every run reached) and plot the groups into
    ``out``."""
    from boundcheck.plots.learning import RETURN_LABEL
    from boundcheck.plots.learning import plot_seed_groups as plot_groups

    groups = group_by_seed(load_run_curves(paths, metric))
    try:
        step = last_common_step(groups) if at is None else at
        summary = summarize_groups(groups, step, window, confidence)
    except ValueError as exc:
        raise InputError("at" if at is not None else "runs", str(exc)) from None
    plot_groups({k: list(v.values()) for k, v in groups.items()}, out, title=title,
                confidence=confidence,
                ylabel=RETURN_LABEL if metric == RETURN_METRIC else metric)
    return SeedGroupsReport(out, summary)
