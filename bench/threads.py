"""Benchmark: torch's CPU threads on a quiet and on a busy machine.

The same short ``train`` (InvertedPendulum-v5, tiny settings) in fresh processes, three ways:

- ``spinning``: torch's default threads (one per core) with OpenMP's default wait policy, as
  before ``boundcheck`` set one (the command is started without the CLI's entry point, which
  sets it, so the environment is the user's);
- ``default``: ``boundcheck train`` as it is, whose entry point sets ``OMP_WAIT_POLICY=PASSIVE``
  unless the user set a policy (``boundcheck.cli.passive_openmp``);
- ``threads1``: ``--threads 1``.

Each runs alone (``quiet``) and beside ``busy`` busy-loop processes (``loaded``, the machine
shared with other jobs). Every arm runs in the same call, interleaved, so the ratios are
meaningful while the machine's speed drifts.
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
TINY = ("--set", "epoch_length=100", "--set", "init_exploration_steps=200",
        "--set", "model_train_freq=50", "--set", "ensemble.max_epochs=5")
#: Starts the CLI's app without its entry point (so without the wait policy it sets).
_RAW = ("from boundcheck.cli import build_app; import sys; "
        "build_app()(args=sys.argv[1:], prog_name='boundcheck', standalone_mode=False)")


def _train(out: Path, steps: int, how: str) -> float:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    args = ["train", "--env", ENV, "--steps", str(steps), "--seed", "0", "--device", "cpu",
            "--quiet", "--out", str(out), *TINY]
    if how == "threads1":
        args += ["--threads", "1"]
    cmd = [sys.executable, "-c", _RAW, *args] if how == "spinning" else \
        [sys.executable, "-m", "boundcheck", *args]
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def run(steps: int = 800, busy: int = 2) -> dict[str, Any]:
    """Seconds per arm, quiet and loaded, and the ratios against ``default``."""
    ways = ("spinning", "default", "threads1")
    seconds: dict[str, dict[str, float]] = {"quiet": {}, "loaded": {}}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for how in ways:
            seconds["quiet"][how] = _train(root / f"quiet-{how}", steps, how)
        loops = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                 for _ in range(busy)]
        try:
            for how in ways:
                seconds["loaded"][how] = _train(root / f"loaded-{how}", steps, how)
        finally:
            for p in loops:
                p.kill()
    return {
        "env": ENV, "steps": steps, "busy_processes": busy, "cpus": os.cpu_count(),
        "seconds": seconds,
        "ratio_to_default": {load: {how: s / seconds[load]["default"] for how, s in row.items()}
                             for load, row in seconds.items()},
    }
