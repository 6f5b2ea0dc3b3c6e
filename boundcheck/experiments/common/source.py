"""Finding runs and reading their saved settings, shared by the experiments that read a run.

:func:`resolve_run` is the one answer to "the run given, else the newest": it opens the named
run directory, else :func:`newest_run` (the run whose newest complete checkpoint was written
last), else a fallback run (the shipped reference policy), and raises a ``RunError`` naming the
path when none is there (the commands name the option, ``--run``). :func:`run_config` reads a
run's saved config, seed and provenance, validated like user input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from boundcheck.config import TrainConfig
from boundcheck.runs import RunDir, RunError, RunNotFoundError
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


def resolve_run(path: Path | None, runs_root: Path, *, fallback: Path | None = None) -> RunDir:
    """The run at ``path``; with none given, the newest under ``runs_root``, else the run at
    ``fallback`` (if that folder exists). Raises ``RunError`` (``RunNotFoundError`` when there
    is no run to take), its message naming the path."""
    if path is not None:
        return RunDir.open(path)
    found = newest_run(runs_root)
    if found is not None:
        return found
    if fallback is not None and fallback.is_dir():
        try:
            return RunDir.open(fallback)
        except RunError as exc:
            raise RunError(f"reference policy: {exc}") from None
    where = f" and no reference policy in {fallback}/" if fallback is not None else ""
    raise RunNotFoundError(f"no run with a checkpoint under {runs_root}/{where}; train one "
                           "(boundcheck train) and pass --run RUN")


def recorded_k(run: RunDir, config: TrainConfig, epoch: int) -> int:
    """The rollout length k the run used in ``epoch``: its ``rollout/k`` metric (what the loop
    recorded), else, for runs that lack it, k of the config's schedule at that epoch."""
    for record in reversed(run.read_metrics()):
        if record.get("epoch") == epoch and isinstance(record.get("rollout/k"), (int, float)):
            return int(record["rollout/k"])
    return config.rollout.length(epoch)
