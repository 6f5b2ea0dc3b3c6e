"""Benchmark: four identical short runs as one sweep (one CPU each, two at a time on a 2-core
machine) against the same four runs one after another with two threads each.

Both arms are real command lines in fresh processes (``boundcheck sweep train --cpus-per-run 1``
and four ``boundcheck train --threads 2``), on the same task, steps and seeds, so the ratio of
their wall times is the sweep's throughput gain on this machine. A third arm runs the same four
runs as plain ``train --threads 1`` processes, two at a time, without Ray: the gain a perfect
scheduler would get, so the difference is what Ray and the sweep's own work cost. Ray's
overhead per cell is measured from the sweep's start to the moment each cell's run directory appears
(``config.json``: the worker has started and the trainer has built its state), against the same
delay for a plain ``train`` process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ENV = "InvertedPendulum-v5"


def _created_after(path: Path, start: float, timeout: float = 600.0) -> float:
    deadline = time.time() + timeout
    while not path.exists() and time.time() < deadline:
        time.sleep(0.05)
    return path.stat().st_mtime - start


def run(runs: int = 4, steps: int = 1500, settings: tuple[str, ...] = ()) -> dict[str, Any]:
    """Wall times of both arms, their ratio, and the per-cell start-up delays."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "RAY_USAGE_STATS_ENABLED": "0"}
    sets = [a for s in settings for a in ("--set", s)]
    base = [sys.executable, "-m", "boundcheck"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        start = time.time()
        train_delays = []
        for seed in range(runs):
            out = root / f"seq{seed}"
            proc = subprocess.Popen([*base, "train", "--env", ENV, "--seed", str(seed),
                                     "--steps", str(steps), "--threads", "2", "--device", "cpu",
                                     "--quiet", "--out", str(out), *sets], env=env)
            train_delays.append(_created_after(out / "config.json", time.time()))
            if proc.wait() != 0:
                raise RuntimeError(f"train seed {seed} failed")
        sequential = time.time() - start
        start = time.time()
        for wave in range(0, runs, 2):
            procs = [subprocess.Popen([*base, "train", "--env", ENV, "--seed", str(seed),
                                       "--steps", str(steps), "--threads", "1", "--device",
                                       "cpu", "--quiet", "--out", str(root / f"par{seed}"),
                                       *sets], env=env) for seed in range(wave, min(wave + 2,
                                                                                    runs))]
            if any(proc.wait() != 0 for proc in procs):
                raise RuntimeError("a parallel train failed")
        parallel = time.time() - start
        sweep_dir = root / "sweep"
        start = time.time()
        proc = subprocess.Popen([*base, "sweep", "train", "--env", ENV, "--seeds",
                                 f"0-{runs - 1}", "--steps", str(steps), "--cpus", "2",
                                 "--cpus-per-run", "1", "--device", "cpu", "--quiet",
                                 "--out", str(sweep_dir), *sets], env=env,
                                stdout=subprocess.DEVNULL)
        cells = [sweep_dir / f"{ENV}_mbpo_seed{s}" / "config.json" for s in range(runs)]
        first_two = [_created_after(c, start) for c in cells[:2]]
        if proc.wait() != 0:
            raise RuntimeError("the sweep failed")
        swept = time.time() - start
    return {
        "task": ENV, "runs": runs, "steps": steps, "settings": list(settings),
        "sequential_2_threads_s": sequential, "sweep_1_cpu_each_s": swept,
        "throughput_ratio": sequential / swept,
        "plain_parallel_1_thread_s": parallel,
        "plain_parallel_ratio": sequential / parallel,
        "train_start_to_run_dir_s": sum(train_delays) / len(train_delays),
        "sweep_start_to_first_cells_s": first_two,
        "ray_overhead_per_cell_s": sum(first_two) / len(first_two)
        - sum(train_delays) / len(train_delays),
    }
