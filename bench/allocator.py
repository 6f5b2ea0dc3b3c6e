"""Benchmark: glibc's heap kept between steps (:func:`boundcheck.allocator.keep_heap`, which
every ``boundcheck`` command applies) against glibc's defaults, which trim the heap and mmap
large blocks afresh so that each training step takes page faults for its temporaries.

Two workloads in fresh processes, both through the CLI's settings (:mod:`bench.threads`): the
same tiny InvertedPendulum-v5 ``train`` (seconds; SAC updates and small model fits) and the
paper's compiled ensemble training step (ms; the step of the user's
``measure-generalization --train-size 5k,60k``). ``glibc_defaults`` sets ``GLIBC_TUNABLES`` to
the empty string: glibc's defaults, and ``keep_heap`` leaves a set variable alone. The arms
alternate over ``rounds`` rounds on a quiet machine, so the ratios hold while its speed drifts;
the result keeps every round and the medians.
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench.threads import ENV, Arm, arm_times, warm_inductor_cache

ARMS: dict[str, Arm] = {"kept": (True, {}, None),
                        "glibc_defaults": (True, {"GLIBC_TUNABLES": ""}, None)}


def run(steps: int = 800, step_count: int = 300, rounds: int = 3) -> dict[str, Any]:
    """Per workload: each arm's times per round, medians, and the defaults' ratio to kept."""
    with tempfile.TemporaryDirectory() as tmp:
        warm_inductor_cache()
        per_round = [arm_times(Path(tmp), f"round{i}", steps, step_count, ARMS)
                     for i in range(rounds)]
    medians = {work: {how: statistics.median(r[work][how] for r in per_round) for how in ARMS}
               for work in per_round[0]}
    return {"env": ENV, "steps": steps, "ensemble_steps": step_count, "rounds": per_round,
            "median": medians,
            "defaults_over_kept": {work: m["glibc_defaults"] / m["kept"]
                                   for work, m in medians.items()}}
