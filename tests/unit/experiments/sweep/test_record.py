"""sweep.json: written from its typed record, read back by its one reader (the recorded grid
a sweep run again is compared with, the cells ``sweep report`` summarises)."""

from __future__ import annotations

from pathlib import Path

import pytest

from boundcheck.codec import loads
from boundcheck.experiments.sweep.cells import cell_task
from boundcheck.experiments.sweep.grid import Grid, make_grid
from boundcheck.experiments.sweep.record import SWEEP_FILE, read_sweep_record
from boundcheck.experiments.sweep.run import Plan, read_recorded_grid, write_record
from boundcheck.experiments.sweep.summary import report_sweep
from boundcheck.inputs import InputError


def _grid() -> Grid:
    return make_grid([("env", ["Pendulum-v1"]), ("algo", ["mbpo"]), ("seed", ["0", "1"]),
                      ("sac.lr", ["0.001", "0.003"]), ("total_steps", ["500"])], steps=500)


def _record(out: Path) -> Grid:
    grid = _grid()
    tasks = tuple(cell_task(grid, cell, out, device="cpu") for cell in grid.cells())
    configs = {t.name: {"env": "Pendulum-v1", "total_steps": 500, "sac": {"lr": 1e-3}}
               for t in tasks}
    out.mkdir(parents=True, exist_ok=True)
    write_record(Plan(out=out, grid=grid, tasks=tasks, configs=configs),
                 command=["boundcheck", "sweep", "train"])
    return grid


def test_the_record_reads_back_what_was_written(tmp_path: Path) -> None:
    grid = _record(tmp_path)
    doc = loads((tmp_path / SWEEP_FILE).read_text())
    assert list(doc) == ["format", "format_version", "grid", "cells", "command", "provenance"]
    assert doc["format"] == "boundcheck-sweep" and doc["format_version"] == 1
    record = read_sweep_record(tmp_path)
    assert record.grid == grid and read_recorded_grid(tmp_path) == grid
    names = [c.name for c in grid.cells()]
    assert list(record.cells) == names
    first = record.cells[names[0]]
    assert first.values == dict(grid.cells()[0].values) and first.run == names[0]
    assert list(first.values) == ["env", "algo", "seed", "sac.lr"]  # the grid's axis order
    assert first.config["sac"] == {"lr": 1e-3}
    assert record.command == ("boundcheck", "sweep", "train") and record.provenance


def test_the_report_takes_its_cells_from_the_record(tmp_path: Path) -> None:
    grid = _record(tmp_path)
    report = report_sweep(tmp_path)
    assert report.tasks == () and report.missing == tuple(c.name for c in grid.cells())


def test_no_record_yet(tmp_path: Path) -> None:
    assert read_recorded_grid(tmp_path) is None
    with pytest.raises(InputError) as caught:
        read_sweep_record(tmp_path, "sweep")
    assert caught.value.where == "sweep" and str(tmp_path / SWEEP_FILE) in caught.value.detail


@pytest.mark.parametrize(("text", "needle"), [
    ("{damaged", "not a readable sweep record"),
    ('{"format": "boundcheck-run"}', "format is 'boundcheck-run', not 'boundcheck-sweep'"),
    ("[1]", "format is None"),
    ('{"format": "boundcheck-sweep", "cells": {}}', "missing key 'grid'"),
    ('{"format": "boundcheck-sweep", "grid": {"axes": {}}, "cells": {"a": {"values": 1}}}',
     "$.cells.a.values"),
])
def test_a_damaged_record_names_the_file(tmp_path: Path, text: str, needle: str) -> None:
    (tmp_path / SWEEP_FILE).write_text(text)
    for read in (read_recorded_grid, read_sweep_record):
        with pytest.raises(InputError) as caught:
            read(tmp_path)
        assert caught.value.where == str(tmp_path / SWEEP_FILE) and needle in str(caught.value)


def test_nan_tokens_of_an_older_record_are_read(tmp_path: Path) -> None:
    _record(tmp_path)
    path = tmp_path / SWEEP_FILE
    path.write_text(path.read_text().replace('"total_steps": 500', '"total_steps": NaN'))
    record = read_sweep_record(tmp_path)
    assert all(c.config["total_steps"] != c.config["total_steps"] for c in record.cells.values())
