"""Benchmark: the full MBPO loop on Hopper-v5 at paper settings (G = 20), seconds per 1,000 steps.

A short run: the 5,000 exploration steps, then ``epochs`` epochs of 1,000 steps with every
paper setting (model retrained every 250 steps with the 5-epoch early stop, 100k-sample
branched rollouts, 20 SAC updates per step). Reports each epoch's wall time per phase (from
``timings.jsonl``) and a projection for 125k steps. The projection is a lower bound: model
training grows with the real buffer (docs/results/benchmarks.md, "How a Hopper run's cost
grows with the real buffer"), the SAC, env and rollout phases do not.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from boundcheck.mbpo.loop import start_run, train
from boundcheck.mbpo.setup import resolve_config
from boundcheck.runs.atomic import read_jsonl


def run(env: str = "Hopper-v5", epochs: int = 2, seed: int = 0) -> dict[str, Any]:
    """Time ``epochs`` epochs after exploration; returns per-epoch phase times and projection."""
    # A paper-length CPU run compiles its SAC update and its model's training step (the "auto"
    # backends); so does this short benchmark.
    cfg = resolve_config(env, overrides={"total_steps": 5000 + 1000 * epochs,
                                         "sac.backend": "compile",
                                         "ensemble.backend": "compile"})
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        start = time.perf_counter()
        run_dir, state = start_run(cfg, out, seed=seed, device=torch.device("cpu"), force=False)
        train(run_dir, state)
        total = time.perf_counter() - start
        timings = read_jsonl(out / "timings.jsonl")
    steady = timings[-1]
    per_1000 = steady["epoch"] * 1000 / cfg.epoch_length
    return {
        "env": env, "updates_per_step": cfg.updates_per_step, "epochs": epochs,
        "torch_threads": torch.get_num_threads(), "wall_seconds_total": total,
        "epoch_timings": timings,
        "seconds_per_1000_steps": per_1000,
        "target_seconds_per_1000_steps": 150.0,
        "meets_target": per_1000 <= 150.0,
        "projected_hours_125k_lower_bound": per_1000 * 125 / 3600,
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
