"""One JSON file of per-pair measurements that grows run by run (the ladder's measured rungs,
docs/results/bound_ladder.md): ``{"settings", "runs", "skipped"}``.

:func:`measure_into` measures each run's newest epoch pair (or the one named) and rewrites the
file atomically after each, so a long list of runs can be stopped and resumed. A file measured
with other settings is refused; one measured with the same settings keeps its other runs and
pairs. A run that lacks what the measurement needs is listed under ``skipped`` with the reason,
its folder's path replaced by its name (committed files never name a machine's paths), unless
the file already holds a measurement of it, which then stays.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from boundcheck.experiments.validate.source import ValidationSource, resolve_validation
from boundcheck.inputs import InputError
from boundcheck.runs.atomic import atomic_write_json
from boundcheck.runs.errors import RunError

#: measure(source, run name) -> (the run's document with "run", "data_epoch", "epoch"; one line)
Measure = Callable[[ValidationSource, str], tuple[dict[str, Any], str]]


def measure_into(out: Path, runs: list[Path], settings: dict[str, Any], measure: Measure, *,
                 data_epoch: int | None = None, epoch: int | None = None) -> dict[str, Any]:
    """Measure ``runs`` into ``out`` (module doc); prints one line per run; returns the file."""
    done: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    if out.is_file():
        earlier = json.loads(out.read_text(encoding="utf-8"))
        if earlier["settings"] != settings:
            raise InputError("--out", f"{out} was measured with other settings "
                             f"({earlier['settings']})")
        done = earlier["runs"]
        skipped = [r for r in earlier["skipped"] if r["run"] not in {p.name for p in runs}]
    for path in runs:
        start = time.perf_counter()
        try:
            source = resolve_validation(path, data_epoch, epoch, all_epochs=False,
                                        runs_root=Path("."))
            doc, line = measure(source, path.name)
        except (InputError, RunError) as exc:
            reason = str(exc).replace(str(path), path.name)
            if any(r["run"] == path.name for r in done):  # measured before: that one stays
                print(f"{path.name}: kept its earlier measurement ({reason})", file=sys.stderr)
            else:
                skipped.append({"run": path.name, "reason": reason})
            continue
        key = (doc["run"], doc["data_epoch"], doc["epoch"])
        done = [r for r in done if (r["run"], r["data_epoch"], r["epoch"]) != key]
        done.append({**doc, "seconds": time.perf_counter() - start})
        print(f"{path.name}: {line}", flush=True)
        atomic_write_json(out, {"settings": settings, "runs": done, "skipped": skipped})
    document = {"settings": settings, "runs": done, "skipped": skipped}
    atomic_write_json(out, document)
    return document
