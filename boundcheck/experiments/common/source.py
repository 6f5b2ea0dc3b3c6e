"""Finding runs and reading their saved settings, shared by the experiments that read a run.

:func:`newest_run` picks the run whose newest complete checkpoint was written last;
:func:`run_config` reads a run's saved config, seed and provenance, validated like user input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from boundcheck.config import TrainConfig
from boundcheck.runs import RunDir, RunError
from boundcheck.runs.retention import MANIFEST_FILE
from boundcheck.runs.saved_config import read_saved_run


def run_config(run: RunDir) -> tuple[TrainConfig, int, dict[str, Any]]:
    """The run's TrainConfig, its seed and its provenance, validated like any user input
    (:func:`boundcheck.runs.saved_config.read_saved_run`; raises a ``RunError`` naming the
    file)."""
    saved = read_saved_run(run)
    return saved.config, saved.seed, saved.provenance


def newest_run(runs_root: Path) -> RunDir | None:
    """The run under ``runs_root`` whose newest complete checkpoint was written last."""
    if not runs_root.is_dir():
        return None
    best: tuple[float, str, RunDir] | None = None
    for path in sorted(runs_root.iterdir()):
        try:
            run = RunDir.open(path)
            epochs = run.epochs()
        except (RunError, OSError):
            continue
        if not epochs:
            continue
        stamp = (run.checkpoint_path(epochs[-1]) / MANIFEST_FILE).stat().st_mtime
        if best is None or (stamp, path.name) > best[:2]:
            best = (stamp, path.name, run)
    return None if best is None else best[2]




def recorded_k(run: RunDir, config: TrainConfig, epoch: int) -> int:
    """The rollout length k the run used in ``epoch``: its ``rollout/k`` metric (what the loop
    recorded), else, for runs that lack it, k of the config's schedule at that epoch."""
    for record in reversed(run.read_metrics()):
        if record.get("epoch") == epoch and isinstance(record.get("rollout/k"), (int, float)):
            return int(record["rollout/k"])
    return config.rollout.length(epoch)
