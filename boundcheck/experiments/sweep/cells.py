"""One sweep cell as a training run: the request it makes, where it lives, whether it is done,
and the function a Ray worker runs for it (the trainer's own library calls, not a shell-out).

A cell's run directory is ``<sweep>/<cell name>``. Running a cell again is the trainer's exact
resume: a directory with a ``config.json`` continues from its last complete checkpoint (or
restarts if it has none), so a worker killed mid-run loses nothing that was finished.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from boundcheck.codec import json_meta
from boundcheck.experiments.sweep.grid import Cell, Grid
from boundcheck.runs import RunDir
from boundcheck.runs.errors import RunError
from boundcheck.runs.saved_config import read_saved_run

if TYPE_CHECKING:
    from boundcheck.mbpo.request import RunRequest

CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.jsonl"


class CellState(str, enum.Enum):
    """Where a cell stands."""

    PENDING = "pending"
    RUNNING = "running"
    ANALYSING = "analysing"  # trained; its follow-on analyses run
    FINISHED = "finished"
    FAILED = "failed"


@dataclass(frozen=True)
class CellTask:
    """What a worker needs to run one cell (picklable: plain values only)."""

    name: str
    out: str
    env: str | None
    algo: str | None
    seed: int | None
    settings: Mapping[str, str] = field(default_factory=dict)
    steps: int | None = None
    threads: int = 1  # set by the engine from the CPUs it gives the task
    device: str = "auto"

    def request(self) -> RunRequest:
        """The ``train`` command line this cell stands for (what ``train`` would resolve)."""
        from boundcheck.mbpo.request import RunRequest

        options = () if self.steps is None else (("--steps", "total_steps", self.steps),)
        return RunRequest(env=self.env, algo=self.algo, seed=self.seed,
                          settings=dict(self.settings), options=options)


@dataclass(frozen=True)
class CellResult:
    """What a worker reports back: the run's final counters, or the error that ended it (its
    JSON names the cell ``cell``)."""

    name: str = field(metadata=json_meta(key="cell"))
    state: CellState
    epochs: int = 0
    env_steps: int = 0
    eval_return: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class Progress:
    """A cell's progress read from its run directory (what the live table shows)."""

    epoch: int | None
    env_steps: int
    total_steps: int | None
    eval_return: float | None


def cell_task(grid: Grid, cell: Cell, sweep_dir: Path, *, device: str) -> CellTask:
    """The task of ``cell``: its axis values over the grid's fixed settings."""
    settings = {k: v for k, v in grid.fixed if k not in ("env", "algo", "seed")}
    settings.update({k: v for k, v in cell.values if k not in ("env", "algo", "seed")})
    fixed = dict(grid.fixed)
    env = cell.value("env") or fixed.get("env")
    algo = cell.value("algo") or fixed.get("algo")
    seed = cell.value("seed") or fixed.get("seed")
    return CellTask(name=cell.name, out=str(sweep_dir / cell.name), env=env, algo=algo,
                    seed=None if seed is None else int(seed), settings=settings,
                    steps=grid.steps, device=device)


def progress(run_dir: Path) -> Progress:
    """The cell's last recorded epoch, real steps and evaluation return (zeros if none), and
    its total steps (None before its ``config.json`` exists, or while that cannot be read)."""
    run = RunDir(run_dir)
    total = None
    with contextlib.suppress(OSError):
        stat = run.config_path.stat()
        total = _total_steps(run.path, stat.st_ino, stat.st_mtime_ns, stat.st_size)
    records: list[dict[str, Any]] = []
    with contextlib.suppress(OSError, RunError):  # a damaged file: the run's resume reports it
        records = run.read_metrics()  # complete lines only, as it is written
    last = records[-1] if records else {}
    ret = last.get("eval/return_mean")
    return Progress(epoch=last.get("epoch"), env_steps=int(last.get("env_steps", 0) or 0),
                    total_steps=total, eval_return=None if ret is None else float(ret))


@functools.lru_cache(maxsize=4096)
def _total_steps(run_dir: Path, inode: int, mtime_ns: int, size: int) -> int | None:
    """The total steps of the run's validated ``config.json``
    (:func:`~boundcheck.runs.saved_config.read_saved_run`; None while it cannot be read).
    Cached by the file's identity, since the live view asks for it every poll: a rewritten
    ``config.json`` (a run extended on resume) is a new file, read again."""
    with contextlib.suppress(OSError, RunError):
        return read_saved_run(RunDir(run_dir), check_env=False).config.total_steps
    return None


def is_finished(run_dir: Path, steps: int | None = None) -> bool:
    """Whether the run reached ``steps`` (default: its own total steps) in a recorded epoch;
    a sweep lengthened to more steps finds its cells unfinished."""
    p = progress(run_dir)
    total = steps if steps is not None else p.total_steps
    return p.total_steps is not None and total is not None and p.env_steps >= total


def train_cell(task: CellTask) -> CellResult:
    """Run (or resume) one cell's training to its end; an error is reported, not raised.

    Runs in a Ray worker: torch gets the CPU threads the cell was given. A worker that dies is
    retried by Ray, and this function then resumes the run from its last checkpoint.
    """
    import torch

    from boundcheck.mbpo.request import open_training
    from boundcheck.mbpo.setup import resolve_device

    torch.set_num_threads(max(1, task.threads))
    out = Path(task.out)
    request = task.request()
    try:
        device = resolve_device(task.device)
        resume = (out / CONFIG_FILE).is_file()
        with open_training(request, out, device=device, force=False, resume=resume) as session:
            summary = session.train()
    except Exception as exc:  # a failing cell is recorded, the sweep goes on
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())
        return CellResult(task.name, CellState.FAILED, error=detail or traceback.format_exc())
    ret = summary.last_epoch.get("eval/return_mean")
    return CellResult(task.name, CellState.FINISHED, epochs=summary.epochs,
                      env_steps=summary.env_steps, eval_return=None if ret is None else float(ret))

