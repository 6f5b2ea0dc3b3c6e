"""Benchmark: torch's CPU threads on a quiet and on a busy machine.

Two workloads in fresh processes, each run several ways (``ARMS``):

- ``train``: the same short ``boundcheck train`` (InvertedPendulum-v5, tiny settings), seconds;
- ``ensemble_step``: the paper's ensemble training step (7 x 4x200, 256 rows per member, Hopper
  sizes, the compiled step a long fit uses), ms per step: the step that dominates the user's
  ``measure-generalization --train-size 5k,60k`` (its 60k fit).

The ways:

- ``spinning``: torch's default threads (one per core) with OpenMP's default wait (libgomp
  spins about 300,000 iterations before sleeping), as before ``boundcheck`` set anything (the
  command is started without the CLI's entry point, so the environment is the user's);
- ``passive``: the same with ``OMP_WAIT_POLICY=PASSIVE`` (idle threads sleep at once; the
  CLI's setting before ``GOMP_SPINCOUNT``);
- ``default``: as ``boundcheck`` runs it now (``boundcheck.cli.bounded_openmp_spin``: a short
  spin, ``GOMP_SPINCOUNT=1000``, unless the user set a policy or a count);
- ``threads1``: one thread.

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
#: Starts the CLI's app without its entry point (so without the OpenMP setting it makes).
_RAW = ("from boundcheck.cli import build_app; import sys; "
        "build_app()(args=sys.argv[1:], prog_name='boundcheck', standalone_mode=False)")
#: The ensemble step's timing in a fresh process; argv: threads, steps, "cli" to apply the
#: CLI's OpenMP setting first.
_STEP = ("import sys\n"
         "if sys.argv[3] == 'cli':\n"
         "    from boundcheck.cli import bounded_openmp_spin; bounded_openmp_spin()\n"
         "from bench.threads import ensemble_step_ms\n"
         "print(ensemble_step_ms(int(sys.argv[1]), int(sys.argv[2])))")
#: way -> (through the CLI's setting, extra environment, threads (None: torch's default))
ARMS: dict[str, tuple[bool, dict[str, str], int | None]] = {
    "spinning": (False, {}, None),
    "passive": (False, {"OMP_WAIT_POLICY": "PASSIVE"}, None),
    "default": (True, {}, None),
    "threads1": (True, {}, 1),
}
_USER_SET = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def ensemble_step_ms(threads: int | None, steps: int) -> float:
    """ms per compiled ensemble training step (after 30 warm-up steps), random data."""
    import torch

    from bench.ensemble import ACT_DIM, IN_DIM, OBS_DIM, OUT_DIM
    from boundcheck.config import EnsembleConfig
    from boundcheck.models import FunctionalTrainStep, GaussianEnsemble, make_optimizer

    if threads:
        torch.set_num_threads(threads)
    cfg = EnsembleConfig()
    gen = torch.Generator().manual_seed(0)
    model = GaussianEnsemble(OBS_DIM, ACT_DIM, cfg, generator=gen, device=torch.device("cpu"))
    opt, step = make_optimizer(model, cfg), FunctionalTrainStep()
    x = torch.randn(cfg.num_members, cfg.batch_size, IN_DIM, generator=gen)
    y = torch.randn(cfg.num_members, cfg.batch_size, OUT_DIM, generator=gen)
    for _ in range(30):
        step(model, opt, x, y, cfg)
    start = time.perf_counter()
    for _ in range(steps):
        step(model, opt, x, y, cfg)
    return (time.perf_counter() - start) / steps * 1e3


def _environment(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _USER_SET}
    return {**env, **extra}


def _train(out: Path, steps: int, how: str) -> float:
    cli, extra, threads = ARMS[how]
    args = ["train", "--env", ENV, "--steps", str(steps), "--seed", "0", "--device", "cpu",
            "--quiet", "--out", str(out), *TINY]
    if threads:
        args += ["--threads", str(threads)]
    cmd = [sys.executable, "-m", "boundcheck", *args] if cli else \
        [sys.executable, "-c", _RAW, *args]
    start = time.perf_counter()
    subprocess.run(cmd, env=_environment(extra), check=True, capture_output=True)
    return time.perf_counter() - start


def _step(steps: int, how: str) -> float:
    cli, extra, threads = ARMS[how]
    cmd = [sys.executable, "-c", _STEP, str(threads or 0), str(steps), "cli" if cli else "raw"]
    done = subprocess.run(cmd, env=_environment(extra), check=True, capture_output=True,
                          text=True, cwd=Path(__file__).resolve().parent.parent)
    return float(done.stdout.strip().splitlines()[-1])


def _arms(root: Path, load: str, steps: int, step_count: int) -> dict[str, dict[str, float]]:
    row: dict[str, dict[str, float]] = {"train_s": {}, "ensemble_step_ms": {}}
    for how in ARMS:
        row["train_s"][how] = _train(root / f"{load}-{how}", steps, how)
        row["ensemble_step_ms"][how] = _step(step_count, how)
    return row


def run(steps: int = 800, busy: int = 2, step_count: int = 300) -> dict[str, Any]:
    """Per workload and load: each way's time and its ratio to ``default``."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _step(5, "default")  # compiles once, so no arm pays the inductor cache's first fill
        results = {"quiet": _arms(root, "quiet", steps, step_count)}
        loops = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                 for _ in range(busy)]
        try:
            results["loaded"] = _arms(root, "loaded", steps, step_count)
        finally:
            for p in loops:
                p.kill()
    return {
        "env": ENV, "steps": steps, "ensemble_steps": step_count, "busy_processes": busy,
        "cpus": os.cpu_count(), "spin_count": _spin_count(), "times": results,
        "ratio_to_default": {
            load: {work: {how: t / row[work]["default"] for how, t in row[work].items()}
                   for work in row}
            for load, row in results.items()},
    }


def _spin_count() -> str:
    from boundcheck.cli import OPENMP_SPIN_COUNT

    return OPENMP_SPIN_COUNT
