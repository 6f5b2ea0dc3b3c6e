"""``sweep.json``, the record of a sweep: its typed form and its one reader.

The record holds the grid, every cell's axis values, run directory and resolved config, the
command and the provenance (the versions and the git revision). It is written by
:func:`boundcheck.experiments.sweep.run.write_record` and read back, typed, by
:func:`read_sweep_record` (no other code walks its keys): the recorded grid that a sweep run
again is compared with, the cells that ``sweep report`` summarises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from boundcheck.codec import JsonFileError, decode, loads
from boundcheck.experiments.sweep.grid import Grid
from boundcheck.inputs import InputError

SWEEP_FILE = "sweep.json"
FORMAT = "boundcheck-sweep"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class CellRecord:
    """One cell as ``sweep.json`` records it: its axis values (key -> value, in the grid's
    axis order), its run directory's name and the config it resolved to."""

    values: dict[str, str]
    run: str
    config: dict[str, Any]


@dataclass(frozen=True)
class SweepRecord:
    """``sweep.json``: the grid, every cell by name, the command that wrote it and the
    provenance (its JSON adds the format, which reading it checks)."""

    grid: Grid
    cells: dict[str, CellRecord]
    command: tuple[str, ...] = ()
    provenance: dict[str, Any] = field(default_factory=dict)

    def __json_encode__(self) -> dict[str, Any]:
        """The file's layout: ``format`` and ``format_version`` first, then the fields."""
        return {"format": FORMAT, "format_version": FORMAT_VERSION, "grid": self.grid,
                "cells": self.cells, "command": self.command, "provenance": self.provenance}


def read_sweep_record(out: Path, where: str | None = None) -> SweepRecord:
    """The record in ``out/sweep.json`` (``NaN`` tokens of files written before the strict
    codec included). A missing, unparsable or malformed file is :class:`InputError`: naming
    the file, or, given ``where``, naming ``where`` with the file in the message."""
    path = out / SWEEP_FILE
    try:
        doc = loads(path.read_text(encoding="utf-8"), allow_nan=True)
        found = doc.get("format") if isinstance(doc, dict) else None
        if found != FORMAT:
            raise JsonFileError(f"format is {found!r}, not {FORMAT!r}")
        record: SweepRecord = decode(SweepRecord, doc)
        return record
    except (OSError, ValueError) as exc:  # ValueError: bad JSON, bad UTF-8, JsonFileError
        detail = f"not a readable sweep record ({exc})"
        if where is None:
            raise InputError(str(path), detail) from None
        raise InputError(where, f"{path}: {detail}") from None
