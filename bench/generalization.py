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

import json
import tempfile
import time
from pathlib import Path
from typing import Any

REFERENCE = Path("data") / "reference"


def run(sizes: str = "5k,60k", extra: tuple[str, ...] = (), reference: str = str(REFERENCE),
        target_minutes: float | None = None) -> dict[str, Any]:
    from boundcheck.cli import main

    ref = Path(reference)
    if not (ref / "config.json").exists():
        return {"skipped": f"no reference policy in {ref}"}
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        code = main(["measure-generalization", "--run", str(ref), "--train-size", sizes,
                     "--out", out, "--quiet", "--device", "cpu", *extra])
        seconds = time.perf_counter() - start
        doc = json.loads((Path(out) / "results.json").read_text()) if code == 0 else {}
    slopes = {s["train_size"]: s["slopes"][doc["model_error"]["primary"]]["pinsker_tv"]
              for s in doc.get("sizes", [])}
    fits = {s["train_size"]: [{"epochs": r["model"]["epochs"], "stop": r["model"].get("stop")}
                              for r in s["seeds"]] for s in doc.get("sizes", [])}
    return {"env": "Hopper-v5", "reference": str(ref), "train_sizes": sizes,
            "options": list(extra), "exit_code": code, "seconds": seconds,
            "minutes": seconds / 60.0, "target_minutes": target_minutes,
            "within_target": None if target_minutes is None else seconds / 60.0 <= target_minutes,
            "model_error": doc.get("model_error", {}).get("primary"),
            "model_fits": fits, "slopes": slopes}
