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

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

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


def add_pair_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every per-pair tool shares: the runs, ``--out``, threads, device and the
    pair (the tools' own sizes are added by each)."""
    parser.add_argument("runs", type=Path, nargs="+")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu", help="torch device (cpu, cuda, cuda:1)")
    parser.add_argument("--data-epoch", type=int, help="E_D of the pair (default: the newest "
                        "pair); with --epoch")
    parser.add_argument("--epoch", type=int, help="E of the pair")


#: measure(source, run name, device) -> (the run's document, one line)
DeviceMeasure = Callable[[ValidationSource, str, torch.device], tuple[dict[str, Any], str]]


def run_pair_tool(parser: argparse.ArgumentParser, args: argparse.Namespace,
                  settings: dict[str, Any], measure: DeviceMeasure) -> None:
    """Check ``--threads`` and ``--device``, then :func:`measure_into`; bad input exits 2 in one
    line naming the option."""
    if args.threads < 1:
        parser.exit(2, f"--threads: must be ≥ 1, got {args.threads}\n")
    try:
        device = torch.device(args.device)
    except RuntimeError:
        parser.exit(2, f"--device: not a torch device: {args.device!r}\n")
    torch.set_num_threads(args.threads)
    try:
        measure_into(args.out, args.runs, settings,
                     lambda source, name: measure(source, name, device),
                     data_epoch=args.data_epoch, epoch=args.epoch)
    except InputError as exc:
        parser.exit(2, f"{exc}\n")
