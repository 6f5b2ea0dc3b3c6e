"""A sweep before it runs: every cell's config checked, and the sweep directory's record.

``sweep.json`` records the grid, the resolved config of every cell, the versions and the git
revision. Running the same sweep again continues it; a grid that differs from the recorded one
is refused naming the difference, unless it only adds values to existing axes and ``extend``
is set (then ``sweep.json`` is rewritten with the larger grid).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boundcheck.experiments.sweep.cells import CellTask, cell_task
from boundcheck.experiments.sweep.grid import Cell, Grid, changed, is_extension
from boundcheck.inputs import InputError
from boundcheck.runs.atomic import atomic_write_json
from boundcheck.runs.provenance import provenance

SWEEP_FILE = "sweep.json"
FORMAT = "boundcheck-sweep"
FORMAT_VERSION = 1


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
    path = out / SWEEP_FILE
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text())
        if doc.get("format") != FORMAT:
            raise ValueError(f"format is {doc.get('format')!r}, not {FORMAT!r}")
        return Grid.from_json(doc["grid"])
    except (OSError, ValueError, KeyError, TypeError, AssertionError) as exc:
        raise InputError(str(path), f"not a readable sweep record ({exc})") from None


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
    hint = ("; --extend can only add values to the recorded axes" if extend else
            "; pass --extend to add cells, or use another --out")
    raise InputError("grid", f"differs from {out / SWEEP_FILE}: {'; '.join(differences)}{hint}")


def write_record(plan: Plan, *, command: list[str]) -> None:
    """Write ``sweep.json`` (atomically) for ``plan``."""
    atomic_write_json(plan.out / SWEEP_FILE, {
        "format": FORMAT, "format_version": FORMAT_VERSION, "grid": plan.grid.to_json(),
        "cells": {t.name: {"values": dict(c.values), "run": t.name, "config": plan.configs[t.name]}
                  for t, c in zip(plan.tasks, plan.grid.cells(), strict=True)},
        "command": command, "provenance": provenance()})
