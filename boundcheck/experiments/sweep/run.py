"""``run_sweep``: check every cell, record the sweep, run what is not finished on Ray.

Order of work: all bad input is found before any Ray process starts (every cell's config, the
recorded grid); then the sweep directory's lock is taken (a second sweep on the directory is
refused; each cell's run directory has its own writer lock too), ``sweep.json`` is written,
finished cells are skipped and the others run (a cell started before resumes from its last
checkpoint).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from boundcheck.experiments.sweep import engine
from boundcheck.experiments.sweep.cells import (
    CellResult,
    CellState,
    CellTask,
    Progress,
    is_finished,
    progress,
)
from boundcheck.experiments.sweep.engine import EngineSettings
from boundcheck.experiments.sweep.followons import AnalysisResult, FollowOns
from boundcheck.experiments.sweep.grid import Grid
from boundcheck.experiments.sweep.plan import (
    check_against_record,
    check_cells,
    write_record,
)
from boundcheck.runs.lock import RunLock


@dataclass(frozen=True)
class SweepRequest:
    """A sweep as the user asked for it."""

    grid: Grid
    out: Path
    engine: EngineSettings
    device: str = "auto"
    extend: bool = False
    command: tuple[str, ...] = ()
    grid_file: Path | None = None  # a sweep file, copied into the sweep directory
    follow: FollowOns = field(default_factory=FollowOns)  # analyses of each finished cell


@dataclass(frozen=True)
class CellStatus:
    """One row of the live view: a cell's state and its run's progress."""

    name: str
    state: CellState
    progress: Progress
    elapsed: float | None


@dataclass(frozen=True)
class SweepResult:
    """Every cell's outcome (finished earlier, finished now, or failed) and the wall time."""

    out: Path
    cells: tuple[CellResult, ...]
    wall_seconds: float
    analyses: tuple[AnalysisResult, ...] = ()

    @property
    def failed(self) -> list[CellResult]:
        """The cells whose training ended with an error."""
        return [c for c in self.cells if c.state is CellState.FAILED]

    @property
    def failed_analyses(self) -> list[AnalysisResult]:
        """The cells whose follow-on analyses ended with an error."""
        return [a for a in self.analyses if a.error is not None]


Watch = Callable[[list[CellStatus]], None]


def run_sweep(request: SweepRequest, watch: Watch | None = None) -> SweepResult:
    """Run the sweep to its end (see the module docstring); ``watch`` sees every poll."""
    plan = check_cells(request.grid, request.out, device=request.device)
    check_against_record(request.grid, request.out, extend=request.extend)
    if request.engine.address is not None:
        engine.check_reachable(request.engine.address)
    request.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with RunLock(request.out):
        write_record(plan, command=list(request.command))
        if request.grid_file is not None:
            shutil.copyfile(request.grid_file, request.out / request.grid_file.name)
        finished = {t.name for t in plan.tasks if is_finished(Path(t.out))}
        todo = [t for t in plan.tasks if t.name not in finished]
        unanalysed = [t for t in plan.tasks if t.name in finished
                      and request.follow.missing(Path(t.out))]
        results = {name: _finished(Path(request.out / name), name) for name in finished}
        analyses: tuple[AnalysisResult, ...] = ()
        if todo or unanalysed:
            started_at = {t.name: time.perf_counter() for t in todo}
            poll = None if watch is None else _poller(plan.tasks, finished, started_at, watch)
            started = engine.start(request.engine)
            try:
                engine.check_storage(request.out)
                outcome = engine.run_cells(todo, request.engine, poll, follow=request.follow,
                                           analyse_only=unanalysed)
            finally:
                engine.stop(started)
            results.update({r.name: r for r in outcome.trained})
            analyses = outcome.analysed
    return SweepResult(out=request.out, cells=tuple(results[t.name] for t in plan.tasks),
                       wall_seconds=time.perf_counter() - start, analyses=analyses)


def _finished(run_dir: Path, name: str) -> CellResult:
    p = progress(run_dir)
    return CellResult(name, CellState.FINISHED, epochs=(p.epoch or 0) + 1,
                      env_steps=p.env_steps, eval_return=p.eval_return)


def _poller(tasks: tuple[CellTask, ...], finished: set[str], started_at: dict[str, float],
            watch: Watch) -> Callable[[dict[str, CellState]], None]:
    def poll(states: dict[str, CellState]) -> None:
        now = time.perf_counter()
        rows = []
        for task in tasks:
            state = states.get(task.name, CellState.FINISHED)
            elapsed = now - started_at[task.name] if task.name in started_at else None
            rows.append(CellStatus(task.name, state, progress(Path(task.out)), elapsed))
        watch(rows)
    return poll
