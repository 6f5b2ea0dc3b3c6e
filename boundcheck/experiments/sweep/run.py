"""``run_sweep``: check every cell, record the sweep, run what is not finished on Ray.

``sweep.json`` records the grid, the resolved config of every cell, the versions and the git
revision. Running the same sweep again continues it; a grid that differs from the recorded one
is refused naming the difference, unless it only adds values to existing axes and ``extend``
is set (then ``sweep.json`` is rewritten with the larger grid).

Order of work: all bad input is found before any Ray process starts (every cell's config, the
recorded grid); then the sweep directory's lock is taken (a second sweep on the directory is
refused; each cell's run directory has its own writer lock too), ``sweep.json`` is written,
finished cells are skipped and the others run (a cell started before resumes from its last
checkpoint).
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from boundcheck.experiments.sweep import engine
from boundcheck.experiments.sweep.cells import (
    CellResult,
    CellState,
    CellTask,
    Progress,
    cell_task,
    is_finished,
    progress,
)
from boundcheck.experiments.sweep.followons import AnalysisResult, FollowOns
from boundcheck.experiments.sweep.grid import Cell, Grid, changed, is_extension
from boundcheck.experiments.sweep.record import (
    SWEEP_FILE,
    CellRecord,
    SweepRecord,
    read_sweep_record,
)
from boundcheck.experiments.sweep.settings import EngineConfig
from boundcheck.inputs import InputError
from boundcheck.runs.atomic import atomic_write_json
from boundcheck.runs.lock import RunLock
from boundcheck.runs.provenance import provenance


@dataclass(frozen=True)
class SweepRequest:
    """A sweep as the user asked for it."""

    grid: Grid
    out: Path
    engine: EngineConfig
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


@dataclass(frozen=True)
class Plan:
    """The checked sweep: its grid, one task per cell, and each cell's resolved config."""

    out: Path
    grid: Grid
    tasks: tuple[CellTask, ...]
    configs: dict[str, dict[str, Any]]


def check_cells(grid: Grid, out: Path, *, device: str) -> Plan:
    """Every cell's config resolved as ``train`` would (bad input names the cell)."""
    from boundcheck.mbpo.request import fresh_config

    cells: list[Cell] = grid.cells()
    names = [c.name for c in cells]
    clash = [n for i, n in enumerate(names) if n in names[:i]]
    if clash:
        raise InputError("axes", f"two cells share the directory name {clash[0]!r}")
    tasks, configs = [], {}
    for cell in cells:
        task = cell_task(grid, cell, out, device=device)
        try:
            config = fresh_config(task.request())
        except InputError as exc:
            raise InputError(exc.where, f"in cell {cell.name}: {exc.detail}") from None
        tasks.append(task)
        configs[cell.name] = dataclasses.asdict(config)
    return Plan(out=out, grid=grid, tasks=tuple(tasks), configs=configs)


def read_recorded_grid(out: Path) -> Grid | None:
    """The grid in ``out/sweep.json`` (None if there is no sweep there yet)."""
    if not (out / SWEEP_FILE).is_file():
        return None
    return read_sweep_record(out).grid


def check_against_record(grid: Grid, out: Path, *, extend: bool) -> None:
    """Refuse a grid that differs from the recorded one (unless ``extend`` only adds cells)."""
    recorded = read_recorded_grid(out)
    if recorded is None:
        return
    differences = changed(recorded, grid)
    if not differences:
        return
    if extend and is_extension(recorded, grid):
        return
    hint = ("; --extend can only add values to the recorded axes or more --steps" if extend
            else "; pass --extend to add cells or steps, or use another --out")
    raise InputError("grid", f"differs from {out / SWEEP_FILE}: {'; '.join(differences)}{hint}")


def write_record(plan: Plan, *, command: list[str]) -> None:
    """Write ``sweep.json`` (atomically) for ``plan``."""
    cells = {t.name: CellRecord(values=dict(c.values), run=t.name, config=plan.configs[t.name])
             for t, c in zip(plan.tasks, plan.grid.cells(), strict=True)}
    atomic_write_json(plan.out / SWEEP_FILE, SweepRecord(
        grid=plan.grid, cells=cells, command=tuple(command), provenance=provenance()))


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
        finished = {t.name for t in plan.tasks if is_finished(Path(t.out), t.steps)}
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
