"""The follow-on analyses of a sweep, summarised per task and setting (the seeds pooled), and
the same analyses run over runs that already exist (``sweep validate --runs GLOB``,
``sweep measure-generalization --runs GLOB``: one Ray task per run, the results inside each
run directory as ``--then`` writes them, :func:`analyse_runs`).

- ``validate``: how many runs' checks hold, are violated or are inconclusive, per theorem and
  γ (read from each cell's ``validate/validation.json``), and what each run measured on its
  newest epoch pair (ε_m, ε_m′, ε_π as the max and as the mean over states, the NLL/MSE
  proxies, the largest informative γ per theorem) with a Student-t interval over the runs.
- ``measure-generalization``: per training-set size, the slope dε_m′/dε_π (primary measure
  against the Pinsker TV, local and all-points fits) of each run, and their mean with a
  Student-t interval over the runs (read back into the typed result from each cell's
  ``generalization/results.json``).
"""

from __future__ import annotations

import glob
import math
import os
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from boundcheck.codec import JsonFileError, encode
from boundcheck.estimators.learning import SeedSummary, seed_summary
from boundcheck.experiments.generalization.analysis import FIT_KINDS
from boundcheck.experiments.generalization.results import read_results
from boundcheck.experiments.sweep.cells import CONFIG_FILE, CellTask
from boundcheck.experiments.sweep.engine import check_storage, run_cells, start, stop
from boundcheck.experiments.sweep.followons import (
    GENERALIZATION_DIR,
    GENERALIZATION_FILE,
    VALIDATE_DIR,
    VALIDATE_FILE,
    AnalysisResult,
    FollowOns,
)
from boundcheck.experiments.sweep.settings import EngineConfig
from boundcheck.experiments.validate.document import PairRecord, read_validation
from boundcheck.inputs import InputError
from boundcheck.theory.bounds import informative_gammas

#: The measured quantities summarised over runs: name -> how to read it from a pair's record.
#: ``eps_pi`` is the statistic the checks used (the max over states unless ``--eps-pi``);
#: ``eps_pi_mean`` the mean over states (not what the theorems take); ``gamma_star_*`` the
#: largest informative γ per theorem, 0 where no γ > 0 is informative; ``..._if_eps_pi_mean``
#: the same were ε_π the mean over states (a what-if: the theorems take the max).
MEASURED: dict[str, Callable[[PairRecord], float | None]] = {
    "eps_m": lambda p: p.inputs.eps_model,
    "eps_model_shifted": lambda p: p.inputs.eps_model_shifted,
    "eps_pi": lambda p: p.inputs.eps_policy,
    "eps_pi_mean": lambda p: _eps_policy_mean(p),
    "tv_mean_pi_d": lambda p: p.model_error.pi_d.tv_mean,
    "nll_pi_d": lambda p: p.model_error.pi_d.nll_mean,
    "mse_pi_d": lambda p: p.model_error.pi_d.mse_mean,
    **{f"gamma_star_{t}": (lambda p, t=t: p.informative_gamma.get(t, math.nan) or 0.0)
       for t in ("4.1", "4.2", "4.3")},
    **{f"gamma_star_{t}_if_eps_pi_mean": (lambda p, t=t: _gamma_star_at_mean_shift(p, t))
       for t in ("4.1", "4.2", "4.3")},
}


def _eps_policy_mean(pair: PairRecord) -> float:
    """ε_π as the mean over states of the per-state Pinsker bound (capped at 1)."""
    return min(1.0, pair.policy_shift.pinsker_mean)


def _gamma_star_at_mean_shift(pair: PairRecord, theorem: str) -> float:
    """What-if, clearly not the theorem: the largest informative γ were ε_π the MEAN over
    states of the Pinsker bound instead of its max (0: at no γ > 0)."""
    inputs = pair.inputs
    return informative_gammas(inputs.eps_model, inputs.eps_model_shifted, _eps_policy_mean(pair),
                              pair.k)[theorem] or 0.0


@dataclass(frozen=True)
class VerdictCounts:
    """Per ``"theorem @ γ"``: how many checks had each verdict, over the runs of a setting;
    ``measured``: each :data:`MEASURED` quantity of the runs' newest pairs over the runs
    (absent where no run has it, e.g. a TV without known noise)."""

    runs: int
    counts: dict[str, dict[str, int]]
    measured: dict[str, SeedSummary] = field(default_factory=dict)


@dataclass(frozen=True)
class SlopeRow:
    """One training-set size: each run's slope and their summary, per fit kind."""

    train_size: int
    measure: str
    per_run: dict[str, tuple[float, ...]]
    summary: dict[str, SeedSummary | None]


def verdict_counts(run_dirs: list[Path], confidence: float = 0.95) -> VerdictCounts | None:
    """Counts over the runs that have a validation result (None if none has)."""
    counts: dict[str, Counter[str]] = {}
    values: dict[str, list[float]] = {name: [] for name in MEASURED}
    runs = 0
    for run in run_dirs:
        path = run / VALIDATE_DIR / VALIDATE_FILE
        if not path.is_file():
            continue
        runs += 1
        try:
            pairs = read_validation(path).pairs
        except (OSError, ValueError) as exc:
            raise InputError(str(path), f"cannot be read ({exc})") from None
        for name, read in MEASURED.items():
            value = read(pairs[-1]) if pairs else None
            if value is not None and math.isfinite(value):
                values[name].append(float(value))
        for pair in pairs:
            for block in pair.by_gamma:
                for theorem, check in block.theorems.items():
                    key = f"{theorem} @ γ={block.gamma:g}"
                    counts.setdefault(key, Counter())[check.verdict.value] += 1
    if not runs:
        return None
    return VerdictCounts(runs, {k: dict(v) for k, v in counts.items()},
                         {k: seed_summary(v, confidence) for k, v in values.items() if v})


def slopes_by_size(run_dirs: list[Path], confidence: float = 0.95) -> list[SlopeRow]:
    """Per training-set size, the runs' slopes of the primary measure against the Pinsker TV."""
    by_size: dict[int, dict[str, list[float]]] = {}
    measure = ""
    for run in run_dirs:
        path = run / GENERALIZATION_DIR / GENERALIZATION_FILE
        if not path.is_file():
            continue
        try:
            result = read_results(path)
        except JsonFileError as exc:  # unreadable, not JSON, or not of the document's shape
            raise InputError(str(path), f"not a measure-generalization result ({exc})") from None
        measure = result.model_error.primary
        for record in result.sizes:
            pair = record.slopes.get(measure, {}).get("pinsker_tv")
            for kind in FIT_KINDS:
                value = None if pair is None else getattr(pair, kind)
                if value is not None and value.n:
                    by_size.setdefault(record.train_size, {}).setdefault(kind, []).append(
                        value.mean)
    rows = []
    for size in sorted(by_size):
        per_run = {k: tuple(v) for k, v in by_size[size].items()}
        rows.append(SlopeRow(size, measure, per_run, {
            k: seed_summary(v, confidence) if v else None for k, v in per_run.items()}))
    return rows


def analyses_json(counts: VerdictCounts | None, slopes: list[SlopeRow]) -> Mapping[str, Any]:
    """The follow-on block of one setting in ``summary.json`` (plain JSON values,
    :func:`boundcheck.codec.encode`; each summary as its
    :class:`~boundcheck.estimators.learning.SeedInterval`)."""
    doc: Mapping[str, Any] = encode({
        "validate": None if counts is None else {
            "runs": counts.runs, "counts": counts.counts,
            "measured": {k: s.interval() for k, s in counts.measured.items()}},
        "generalization_slopes": [
            {"train_size": r.train_size, "measure": r.measure,
             "per_run": {k: list(v) for k, v in r.per_run.items()},
             "summary": {k: None if s is None else s.interval()
                         for k, s in r.summary.items()}} for r in slopes],
    })
    return doc


@dataclass(frozen=True)
class GroupAnalyses:
    """The runs of one task and algorithm, with their pooled analyses."""

    label: str
    runs: tuple[Path, ...]
    verdicts: VerdictCounts | None
    slopes: tuple[SlopeRow, ...]


@dataclass(frozen=True)
class RunsAnalysis:
    """Every run's analysis outcome and the summaries per task and algorithm."""

    outcomes: tuple[AnalysisResult, ...]
    groups: tuple[GroupAnalyses, ...]

    @property
    def failed(self) -> list[AnalysisResult]:
        """The runs whose analysis ended with an error."""
        return [o for o in self.outcomes if o.error is not None]


def find_runs(pattern: str) -> list[Path]:
    """The run directories (holding ``config.json`` and a checkpoint) that ``pattern`` matches
    (``**`` descends into folders); none: :class:`InputError` naming ``runs_pattern``."""
    found = sorted({Path(p) for p in glob.glob(pattern, recursive=True)
                    if (Path(p) / CONFIG_FILE).is_file() and (Path(p) / "checkpoints").is_dir()})
    if not found:
        raise InputError("runs_pattern", f"no run directory matches {pattern!r}")
    return found


def _label(run: Path) -> str:
    from boundcheck.runs import RunDir
    from boundcheck.runs.saved_config import read_saved_run

    saved = read_saved_run(RunDir.open(run), check_env=False)
    return f"{saved.config.algo} {saved.config.env}"


def analyse_runs(runs: list[Path], follow: FollowOns, engine: EngineConfig,
                 device: str) -> RunsAnalysis:
    """Run ``follow``'s missing analyses on ``runs`` on Ray, then summarise every run's."""
    labels = {run: _label(run) for run in runs}  # a damaged run is refused before Ray starts
    tasks = [CellTask(name=str(run), out=str(run), env=None, algo=None, seed=None,
                      device=device) for run in runs if follow.missing(run)]
    outcomes: tuple[AnalysisResult, ...] = ()
    if tasks:
        started = start(engine)
        try:
            check_storage(Path(os.path.commonpath([str(r) for r in runs])))
            outcomes = run_cells([], engine, follow=follow, analyse_only=tasks).analysed
        finally:
            stop(started)
    groups = []
    for label in dict.fromkeys(labels.values()):
        members = [run for run, lab in labels.items() if lab == label]
        groups.append(GroupAnalyses(label, tuple(members), verdict_counts(members),
                                    tuple(slopes_by_size(members))))
    return RunsAnalysis(outcomes, tuple(groups))
