"""Benchmark: ``boundcheck validate`` on one pair of epochs at defaults (issue target: a
Hopper-v5 pair within 5 minutes on 2 CPU cores). The run is ``$BOUNDCHECK_BENCH_RUN`` (a
Hopper run with model checkpoints; none ships with the repository), else the benchmark is
skipped."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any


def run(episodes: int = 100) -> dict[str, Any]:
    from boundcheck.cli import main
    from boundcheck.experiments.validate.document import read_validation

    run_dir = os.environ.get("BOUNDCHECK_BENCH_RUN")
    if not run_dir:
        return {"skipped": "set BOUNDCHECK_BENCH_RUN to a run directory with model checkpoints"}
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        code = main(["validate", "--run", run_dir, "--episodes", str(episodes), "--out", out,
                     "--quiet", "--device", "cpu"])
        seconds = time.perf_counter() - start
        doc = read_validation(Path(out) / "validation.json")
    pair = doc.pairs[0]
    return {"run": run_dir, "env": None if doc.source is None else doc.source.env,
            "exit_code": code, "pair": [pair.data_epoch, pair.epoch], "episodes": episodes,
            "seconds": seconds, "target_seconds": 300.0}
