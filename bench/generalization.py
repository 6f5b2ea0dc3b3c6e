"""Benchmark: ``boundcheck measure-generalization`` on Hopper-v5 at defaults (issue target:
``--train-size 5k,60k`` within 30 minutes on 2 CPU cores), π_D = the shipped reference policy."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

REFERENCE = Path("data") / "reference"


def run(sizes: str = "5k,60k", extra: tuple[str, ...] = ()) -> dict[str, Any]:
    from boundcheck.cli import main

    if not (REFERENCE / "config.json").exists():
        return {"skipped": f"no reference policy in {REFERENCE}"}
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        code = main(["measure-generalization", "--run", str(REFERENCE), "--train-size", sizes,
                     "--out", out, "--quiet", "--device", "cpu", *extra])
        seconds = time.perf_counter() - start
        doc = json.loads((Path(out) / "results.json").read_text()) if code == 0 else {}
    slopes = {s["train_size"]: s["slopes"][doc["model_error"]["primary"]]["pinsker_tv"]
              for s in doc.get("sizes", [])}
    return {"env": "Hopper-v5", "train_sizes": sizes, "exit_code": code, "seconds": seconds,
            "minutes": seconds / 60.0, "target_minutes": 30.0, "slopes": slopes}
