"""Benchmark: the oracle model's step (``train --model oracle``, docs/trainer.md "Ablations")
against the learned ensemble's ``sample_step`` on the same Hopper-v5 batch.

MBPO rolls out ``rollout_batch_size`` starts × k steps at every retrain, 1,000 / 250 = 4
retrains per 1,000 real steps: with Hopper's 100k starts that is 400k model steps per 1,000
real steps at k = 1 and up to 6M at k = 15 (fewer where rollouts terminate). Each model step
is timed on one batch of ``batch`` rows (the seconds per row, times 400k × k, give the cost per
1,000 real steps); the oracle at 1 and at every available CPU thread, the ensemble (Hopper's
preset: 7 × 4 × 200) on the CPU at the run's thread count and on CUDA when there is one.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

#: Model steps per 1,000 real steps per unit of k: 4 retrains × 100k starts (Hopper).
STEPS_PER_1000_PER_K = 4 * 100_000


def _hopper_states(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``count`` Hopper observations visited under uniform actions, and uniform actions."""
    from boundcheck.envs import SPECS, make_env

    env = make_env(SPECS["Hopper-v5"], unit_actions=True)
    obs, _ = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    rows = []
    while len(rows) < min(count, 5000):
        rows.append(obs)
        obs, _, terminated, truncated, _ = env.step(rng.uniform(-1, 1, 3))
        if terminated or truncated:
            obs, _ = env.reset()
    states = np.array(rows)[rng.integers(0, len(rows), count)]
    return states.astype(np.float32), rng.uniform(-1, 1, (count, 3)).astype(np.float32)


def _best_seconds(fn: Any, repeats: int) -> float:
    fn()  # warm-up (thread pool start, kernels)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _entry(seconds: float, batch: int) -> dict[str, float]:
    per_row = seconds / batch
    return {"seconds_per_call": seconds, "microseconds_per_row": per_row * 1e6,
            "seconds_per_1000_env_steps_k1": per_row * STEPS_PER_1000_PER_K,
            "seconds_per_1000_env_steps_k15": per_row * STEPS_PER_1000_PER_K * 15}


def run(batch: int = 100_000, repeats: int = 3) -> dict[str, Any]:
    import torch

    from boundcheck.config.presets import task_config
    from boundcheck.envs import SPECS
    from boundcheck.envs.oracle import SimulatorOracle
    from boundcheck.models import GaussianEnsemble

    spec = SPECS["Hopper-v5"]
    obs, act = _hopper_states(batch)
    x, a = torch.from_numpy(obs), torch.from_numpy(act)
    gen = torch.Generator().manual_seed(0)
    out: dict[str, Any] = {"batch": batch, "repeats": repeats,
                           "model_steps_per_1000_env_steps_per_k": STEPS_PER_1000_PER_K}
    cores = os.cpu_count() or 1
    for threads in sorted({1, cores}):
        oracle = SimulatorOracle(spec, threads=threads)
        seconds = _best_seconds(lambda o=oracle: o.sample_step(x, a, gen), repeats)
        out[f"oracle_threads{threads}"] = _entry(seconds, batch)
        oracle.close()
    cfg = task_config("Hopper-v5").ensemble
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        model = GaussianEnsemble(spec.obs_dim, spec.act_dim, cfg,
                                 generator=torch.Generator(device=device).manual_seed(0),
                                 device=device)
        dgen = torch.Generator(device=device).manual_seed(0)
        xd, ad = x.to(device), a.to(device)

        def step(m: Any = model, g: Any = dgen, xs: Any = xd, acts: Any = ad) -> None:
            m.sample_step(xs, acts, g)
            if xs.is_cuda:
                torch.cuda.synchronize()

        out[f"ensemble_{device}_threads{torch.get_num_threads()}"] = _entry(
            _best_seconds(step, repeats), batch)
    return out
