"""An analysis over runs that already exist (``sweep measure-generalization --runs GLOB``,
``sweep validate --runs GLOB``): one Ray task per run, the results inside each run directory
(as ``--then`` writes them), and the runs' results summarised per task and algorithm.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

from boundcheck.experiments.sweep import engine
from boundcheck.experiments.sweep.analyses_report import (
    SlopeRow,
    VerdictCounts,
    slopes_by_size,
    verdict_counts,
)
from boundcheck.experiments.sweep.cells import CONFIG_FILE, CellTask
from boundcheck.experiments.sweep.engine import EngineSettings
from boundcheck.experiments.sweep.followons import AnalysisResult, FollowOns
from boundcheck.inputs import InputError


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


def analyse_runs(runs: list[Path], follow: FollowOns, settings: EngineSettings,
                 device: str) -> RunsAnalysis:
    """Run ``follow``'s missing analyses on ``runs`` on Ray, then summarise every run's."""
    labels = {run: _label(run) for run in runs}  # a damaged run is refused before Ray starts
    tasks = [CellTask(name=str(run), out=str(run), env=None, algo=None, seed=None,
                      device=device) for run in runs if follow.missing(run)]
    outcomes: tuple[AnalysisResult, ...] = ()
    if tasks:
        started = engine.start(settings)
        try:
            engine.check_storage(Path(os.path.commonpath([str(r) for r in runs])))
            outcomes = engine.run_cells([], settings, follow=follow, analyse_only=tasks).analysed
        finally:
            engine.stop(started)
    groups = []
    for label in dict.fromkeys(labels.values()):
        members = [run for run, lab in labels.items() if lab == label]
        groups.append(GroupAnalyses(label, tuple(members), verdict_counts(members),
                                    tuple(slopes_by_size(members))))
    return RunsAnalysis(outcomes, tuple(groups))
