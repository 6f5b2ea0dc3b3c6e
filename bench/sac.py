"""Benchmark: our SAC update vs stable-baselines3's SAC gradient step, interleaved in one process.

Both sides do the same work per step: sample 256 transitions from their replay buffer, one
update of twin critics (2x256), actor and temperature, Polyak targets, metrics to Python
floats. ``gemm_floor`` runs only the update's matrix products (:mod:`bench.floor`): no fp32
update can be faster here, so ``sb3 / gemm_floor`` caps any speed-up. Variants run in
alternating order, round after round, so machine-speed drift hits all of them alike; compare
the *ratio*, not the milliseconds. Usage::

    python -m bench.sac [--rounds 20] [--compile] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from bench.floor import gemm_step, gflop, sac_update_gemms
from boundcheck.agents import SAC
from boundcheck.buffers import ReplayBuffer, to_torch
from boundcheck.config import SACConfig

OBS_DIM, ACT_DIM, BATCH = 11, 3, 256  # Hopper-v5's sizes


def _random_transitions(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {
        "obs": rng.standard_normal((n, OBS_DIM)).astype(np.float32),
        "act": rng.uniform(-1, 1, (n, ACT_DIM)).astype(np.float32),
        "reward": rng.standard_normal(n).astype(np.float32),
        "next_obs": rng.standard_normal((n, OBS_DIM)).astype(np.float32),
        "terminated": (rng.random(n) < 0.01).astype(np.float32),
    }


def _ours(data: dict[str, np.ndarray], *, seed: int, device: str = "cpu", compile: bool = False,
          cuda_graph: bool = False) -> tuple[Callable[[], object], float]:
    buffer = ReplayBuffer(OBS_DIM, ACT_DIM, len(data["obs"]))
    buffer.add_batch(**data)
    agent = SAC(OBS_DIM, ACT_DIM, SACConfig(), device=device,
                generator=torch.Generator(device=device).manual_seed(seed), compile=compile,
                cuda_graph=cuda_graph)
    rng = np.random.default_rng(seed)

    def step() -> object:
        batch = to_torch(buffer.sample(BATCH, rng), device)
        # On CUDA keep the metrics on the device (no per-update sync); rounds end in a sync.
        return agent.step(batch) if device != "cpu" else agent.update(batch)

    start = time.perf_counter()
    for _ in range(3):  # warm-up; compiles when compile=True
        step()
    return step, time.perf_counter() - start


def _sb3(data: dict[str, np.ndarray], *, seed: int) -> Callable[[], object]:
    import gymnasium as gym
    from stable_baselines3 import SAC as SB3SAC
    from stable_baselines3.common.logger import configure

    class Dummy(gym.Env[np.ndarray, np.ndarray]):
        observation_space = gym.spaces.Box(-np.inf, np.inf, (OBS_DIM,), np.float32)
        action_space = gym.spaces.Box(-1.0, 1.0, (ACT_DIM,), np.float32)

        def reset(self, *, seed: int | None = None, options: Any = None
                  ) -> tuple[np.ndarray, dict[str, Any]]:
            return np.zeros(OBS_DIM, np.float32), {}

        def step(self, action: np.ndarray
                 ) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
            return np.zeros(OBS_DIM, np.float32), 0.0, False, False, {}

    n = len(data["obs"])
    model = SB3SAC("MlpPolicy", Dummy(), policy_kwargs=dict(net_arch=[256, 256]),
                   batch_size=BATCH, buffer_size=n, learning_starts=0, device="cpu", seed=seed)
    model.set_logger(configure(None, []))
    rb = model.replay_buffer
    assert rb is not None
    rb.observations[:, 0] = data["obs"]
    rb.next_observations[:, 0] = data["next_obs"]
    rb.actions[:, 0] = data["act"]
    rb.rewards[:, 0] = data["reward"]
    rb.dones[:, 0] = data["terminated"]
    rb.full = True

    def step() -> object:
        model.train(gradient_steps=1, batch_size=BATCH)
        return None

    for _ in range(3):
        step()
    return step


def run(*, rounds: int = 20, steps_per_round: int = 10, threads: int = 2,
        compile: bool = False, sb3: bool = True, cuda: bool = False, seed: int = 0
        ) -> dict[str, Any]:
    """Median ms per update of each variant and the speed-up of ours over SB3 (on CPU).

    ``compile`` adds ``torch.compile``d ours (its compile time is reported); ``cuda`` adds our
    eager and CUDA-graph updates on the GPU. Returns ``{"ms": {variant: median},
    "speedup_vs_sb3": {variant: ratio}, ...}``; ``gemm_floor`` (the update's matrix products
    alone) is always timed: ``speedup_vs_sb3["gemm_floor"]`` caps what any fp32 update can reach.
    """
    torch.set_num_threads(threads)
    data = _random_transitions(20_000, np.random.default_rng(seed))
    variants: dict[str, Callable[[], object]] = {}
    compile_s: dict[str, float] = {}
    variants["ours_eager"], _ = _ours(data, seed=seed)
    if compile:
        variants["ours_compiled"], compile_s["ours_compiled"] = _ours(data, seed=seed,
                                                                      compile=True)
    if cuda:
        variants["ours_cuda_eager"], _ = _ours(data, seed=seed, device="cuda")
        variants["ours_cuda_graph"], _ = _ours(data, seed=seed, device="cuda", cuda_graph=True)
    if sb3:
        variants["sb3"] = _sb3(data, seed=seed)
    config = SACConfig()
    floor = sac_update_gemms(OBS_DIM, ACT_DIM, config.hidden_width, config.num_hidden, BATCH)
    variants["gemm_floor"] = gemm_step(floor, torch.Generator().manual_seed(seed))
    times: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            step = variants[name]
            start = time.perf_counter()
            for _ in range(steps_per_round):
                step()
            if cuda:
                torch.cuda.synchronize()
            times[name].append((time.perf_counter() - start) / steps_per_round * 1e3)
    ms = {name: float(np.median(t)) for name, t in times.items()}
    result: dict[str, Any] = {"ms": ms, "threads": threads, "rounds": rounds,
                              "steps_per_round": steps_per_round, "compile_s": compile_s,
                              "gemm_floor_gflop": gflop(floor), "torch": torch.__version__}
    if sb3:
        result["speedup_vs_sb3"] = {n: ms["sb3"] / v for n, v in ms.items() if n != "sb3"}
    return result


def main() -> None:
    """Command-line entry: print :func:`run`'s result as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--steps-per-round", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--compile", action="store_true", help="also time torch.compile")
    parser.add_argument("--cuda", action="store_true", help="also time ours on the GPU")
    parser.add_argument("--no-sb3", dest="sb3", action="store_false")
    args = parser.parse_args()
    print(json.dumps(run(rounds=args.rounds, steps_per_round=args.steps_per_round,
                         threads=args.threads, compile=args.compile, sb3=args.sb3,
                         cuda=args.cuda), indent=2))


if __name__ == "__main__":
    main()
