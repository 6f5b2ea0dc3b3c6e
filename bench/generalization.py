"""Benchmark: ``boundcheck measure-generalization`` on Hopper-v5, π_D = a shipped reference
policy (``reference``: the deterministic task's ``data/reference``, or the known-noise task's
``data/reference-noise``): wall time, and per size the model fit's epochs and stop reason (the
fit of the largest size dominates the time; docs/measure-generalization.md, "How long that
takes").

``extra`` passes further options, e.g. ``("--model-max-epochs", "50")`` or ``("--repetitions",
"3")``; the result records them, so a capped timing is never read as the default's. The target
of the known-noise study (docs/results/noise_study.md): ``5k,60k --repetitions 3`` on the noisy
reference within 20 minutes on 2 CPU cores (``target_minutes``, ``within_target``)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REFERENCE = Path("data") / "reference"


def run(sizes: str = "5k,60k", extra: tuple[str, ...] = (), reference: str = str(REFERENCE),
        target_minutes: float | None = None) -> dict[str, Any]:
    from boundcheck.codec import encode
    from boundcheck.experiments.generalization.results import read_results

    ref = Path(reference)
    if not (ref / "config.json").exists():
        return {"skipped": f"no reference policy in {ref}"}
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        # A fresh process, as a user types it: the CLI's OpenMP setting applies only before
        # torch loads its runtime, which this benchmark process has already done.
        code = subprocess.run([sys.executable, "-m", "boundcheck", "measure-generalization",
                               "--run", str(ref), "--train-size", sizes, "--out", out,
                               "--quiet", "--device", "cpu", *extra], check=False).returncode
        seconds = time.perf_counter() - start
        doc = read_results(Path(out) / "results.json") if code == 0 else None
    records = () if doc is None else doc.sizes
    primary = None if doc is None else doc.model_error.primary
    slopes = {s.train_size: encode(s.slopes[primary]["pinsker_tv"]) for s in records
              if primary is not None}
    fits = {s.train_size: [{"epochs": r.model.epochs, "stop": encode(r.model.stop)}
                           for r in s.seeds] for s in records}
    return {"env": "Hopper-v5", "reference": str(ref), "train_sizes": sizes,
            "options": list(extra), "exit_code": code, "seconds": seconds,
            "minutes": seconds / 60.0, "target_minutes": target_minutes,
            "within_target": None if target_minutes is None else seconds / 60.0 <= target_minutes,
            "model_error": primary,
            "model_fits": fits, "slopes": slopes}
