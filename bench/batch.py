"""Benchmark: what assembling SAC batches costs the MBPO loop, interleaved in one process.

Three variants of one compiled SAC update (``SAC(..., compile=True)``, Hopper-v5 sizes, batch
256 = 12 real + 244 model rows, ``updates_per_step`` updates per call as the loop does):

- ``bare``: the update on one fixed, prebuilt batch (no sampling at all);
- ``old``: the loop's former path, kept here as the reference: the fields in separate arrays
  (:class:`FormerLayout`), per buffer five fancy indexes, a concatenation per field, one
  ``from_numpy``/``.to`` per field;
- ``new``: :func:`boundcheck.mbpo.steps.policy_updates` as it is now: the same draws, one row
  gather per buffer for all the step's batches, one tensor
  (:func:`boundcheck.buffers.sample_batches`).

``assembly_us_per_batch_alone`` times the batch construction alone (old vs new, no update,
in a tight loop, where its code and data stay in cache: between updates it costs more, which is
what ``overhead_over_bare_ms`` shows). The variants run in alternating order, round after
round, so drift hits all alike: read the ratios (medians and minima both). ``old`` and
``new`` start from the same agent weights and generator states; ``identical`` reports whether
their summed metrics stayed bit-identical over every update of the run. Usage::

    python -m bench.batch [--rounds 20] [--model-rows 6000000] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch

from boundcheck.agents import SAC
from boundcheck.buffers import CORE_FIELDS, REAL_EXTRA, ReplayBuffer, mixed_parts, sample_batches
from boundcheck.config import SACConfig
from boundcheck.mbpo.steps import policy_updates

OBS_DIM, ACT_DIM, BATCH, REAL_RATIO = 11, 3, 256, 0.05  # Hopper-v5, the paper's batch


class FormerLayout:
    """A buffer's fields stored as the former buffer stored them: one array per field.

    Sampling draws the buffer's own slots (the same ``rng`` call), so the rows equal the
    current buffer's; only the memory layout, and so the gathers' cost, is the former one.
    """

    def __init__(self, buffer: ReplayBuffer) -> None:
        self.buffer = buffer
        self.data = {k: np.ascontiguousarray(buffer._data[k]) for k in CORE_FIELDS}

    def sample(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """The former ``ReplayBuffer.sample(n, rng, CORE_FIELDS)``: five fancy indexes."""
        idx = self.buffer._indices(n, rng)
        return {k: v[idx] for k, v in self.data.items()}


def old_batch(real: FormerLayout, model: FormerLayout, rng: np.random.Generator,
              device: str) -> dict[str, torch.Tensor]:
    """The former ``mixed_batch`` + ``to_torch``, verbatim, on the former layout."""
    n_real = int(BATCH * REAL_RATIO)
    parts = [buf.sample(n, rng) for buf, n in ((real, n_real), (model, BATCH - n_real)) if n > 0]
    batch = {k: np.concatenate([p[k] for p in parts]) for k in CORE_FIELDS}
    return {k: torch.from_numpy(np.ascontiguousarray(v)).to(device, non_blocking=True)
            for k, v in batch.items()}


def _filled(rows: int, capacity: int, rng: np.random.Generator, *, real: bool) -> ReplayBuffer:
    """A buffer holding ``rows`` random transitions, added in rollout-sized chunks."""
    buf = ReplayBuffer(OBS_DIM, ACT_DIM, capacity, extra=REAL_EXTRA if real else None)
    for start in range(0, rows, 100_000):
        n = min(100_000, rows - start)
        extra = {"epoch": 0} if real else {}
        buf.add_batch(rng.standard_normal((n, OBS_DIM), np.float32),
                      rng.uniform(-1, 1, (n, ACT_DIM)).astype(np.float32),
                      rng.standard_normal(n, np.float32),
                      rng.standard_normal((n, OBS_DIM), np.float32),
                      (rng.random(n) < 0.01).astype(np.float32), **extra)
    return buf


def _agent(seed: int, device: str) -> SAC:
    return SAC(OBS_DIM, ACT_DIM, SACConfig(), device=device,
               generator=torch.Generator(device=device).manual_seed(seed), compile=True)


def _time(variants: dict[str, Callable[[], object]], rounds: int, per_round: int
          ) -> dict[str, list[float]]:
    """Microseconds per call of each variant in every round, run in alternating order."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for name in names:  # one untimed round: the first calls after compiling are slow
        variants[name]()
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            start = time.perf_counter()
            for _ in range(per_round):
                variants[name]()
            times[name].append((time.perf_counter() - start) / per_round * 1e6)
    return times


def _summary(times: dict[str, list[float]], scale: float) -> dict[str, dict[str, float]]:
    """Median and minimum of each variant's rounds, times ``scale``."""
    return {stat: {k: float(fn(v)) * scale for k, v in times.items()}
            for stat, fn in (("median", np.median), ("min", np.min))}


def run(*, rounds: int = 20, updates_per_step: int = 20, real_rows: int = 20_000,
        model_rows: int = 6_000_000, assembly_calls: int = 10, threads: int = 1,
        seed: int = 0) -> dict[str, Any]:
    """ms per update of ``bare``, ``old`` and ``new`` and their ratios (see the module doc).

    ``model_rows``: the model buffer's size (6M: Hopper at k = 15; 400k at k = 1). One torch
    thread by default: on a busy 2-core machine two threads' waits on each other vary the
    update by milliseconds, far more than the tenths of a millisecond measured here.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        result = _measure(rounds, updates_per_step, real_rows, model_rows, assembly_calls, seed)
    finally:
        torch.set_num_threads(previous)  # the next benchmark of `python -m bench` keeps its own
    return {**result, "real_rows": real_rows, "model_rows": model_rows,
            "updates_per_step": updates_per_step, "rounds": rounds, "threads": threads,
            "torch": torch.__version__}


def _measure(rounds: int, updates_per_step: int, real_rows: int, model_rows: int,
             assembly_calls: int, seed: int) -> dict[str, Any]:
    """:func:`run`'s measurements, at the current torch thread count."""
    data_rng = np.random.default_rng(seed)
    real = _filled(real_rows, 125_000, data_rng, real=True)
    model = _filled(model_rows, model_rows, data_rng, real=False)
    former = {"real": FormerLayout(real), "model": FormerLayout(model)}
    start = time.perf_counter()
    agents = {name: _agent(seed, "cpu") for name in ("old", "new", "bare")}
    rngs = {"old": np.random.default_rng(seed + 1), "new": np.random.default_rng(seed + 1)}
    buffers: dict[str, dict[str, Any]] = {"old": former, "new": {"real": real, "model": model}}
    totals = {name: _updates(name, agents[name], buffers[name], rngs[name], updates_per_step)
              for name in ("old", "new")}  # compiles, and warms both paths up identically
    fixed = old_batch(former["real"], former["model"], np.random.default_rng(seed + 2), "cpu")
    for _ in range(3):
        agents["bare"].step(fixed)
    compile_s = time.perf_counter() - start

    def bare() -> None:
        for _ in range(updates_per_step):
            agents["bare"].step(fixed)

    def variant(name: str) -> Callable[[], None]:
        def call() -> None:
            totals[name] = totals[name] + _updates(name, agents[name], buffers[name],
                                                   rngs[name], updates_per_step)
        return call

    ms = _summary(_time({"bare": bare, "old": variant("old"), "new": variant("new")}, rounds, 1),
                  1e-3 / updates_per_step)
    asm_rng = np.random.default_rng(seed + 3)

    def old_assembly() -> None:
        for _ in range(updates_per_step):
            old_batch(former["real"], former["model"], asm_rng, "cpu")

    def new_assembly() -> None:
        sample_batches(mixed_parts(real, model, BATCH, REAL_RATIO), updates_per_step, asm_rng,
                       "cpu")

    assembly = _summary(_time({"old": old_assembly, "new": new_assembly}, rounds,
                              assembly_calls), 1.0 / updates_per_step)
    med, asm = ms["median"], assembly["median"]
    return {
        "ms_per_update": ms,
        "ratios_of_medians": {"old/bare": med["old"] / med["bare"],
                              "new/bare": med["new"] / med["bare"],
                              "old/new": med["old"] / med["new"]},
        "overhead_over_bare_ms": {k: med[k] - med["bare"] for k in ("old", "new")},
        "assembly_us_per_batch_alone": assembly, "assembly_old/new": asm["old"] / asm["new"],
        "identical": bool(torch.equal(totals["old"], totals["new"])), "compile_s": compile_s,
    }


def _updates(name: str, agent: SAC, buffers: dict[str, Any], rng: np.random.Generator,
             count: int) -> torch.Tensor:
    """``count`` updates, summed metrics: the former path or the loop's ``policy_updates``."""
    if name == "new":
        state = SimpleNamespace(config=SimpleNamespace(sac=SimpleNamespace(batch_size=BATCH),
                                                       real_ratio=REAL_RATIO),
                                real=buffers["real"], model_buffer=buffers["model"],
                                agent=agent, device="cpu", streams=SimpleNamespace(rng_batches=rng))
        total = policy_updates(state, count)  # type: ignore[arg-type]
        assert total is not None
        return total
    total = agent.step(old_batch(buffers["real"], buffers["model"], rng, "cpu"))
    for _ in range(count - 1):
        total = total + agent.step(old_batch(buffers["real"], buffers["model"], rng, "cpu"))
    return total


def main() -> None:
    """Command-line entry: print :func:`run`'s result as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--model-rows", type=int, default=6_000_000)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    print(json.dumps(run(rounds=args.rounds, model_rows=args.model_rows, threads=args.threads),
                     indent=2))


if __name__ == "__main__":
    main()
