"""Benchmark: exact checks of 10,000 random finite MDPs (S <= 10), the verify-tabular sweep.

Target (issue): under 60 s on 2 cores. Reports instances per second and the projected time.
"""

from __future__ import annotations

import json
import time
from typing import Any

from boundcheck.experiments.tabular.random_check import check_random


def run(instances: int = 10_000, seed: int = 0) -> dict[str, Any]:
    """Time ``check_random(instances, seed)`` (every theorem at every k of the grid and lemma)."""
    start = time.perf_counter()
    result = check_random(instances, seed)
    seconds = time.perf_counter() - start
    return {
        "instances": instances,
        "seconds": seconds,
        "instances_per_second": instances / seconds,
        "seconds_per_10k": seconds * 10_000 / instances,
        "target_seconds_per_10k": 60.0,
        "meets_target": seconds * 10_000 / instances < 60.0,
        "violations": result.total_violations,
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
