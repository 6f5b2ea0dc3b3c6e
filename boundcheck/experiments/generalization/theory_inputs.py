"""Reading the theory inputs (ε_π, ε_m, slope) from a measure-generalization ``results.json``.

The contract (docs/results-schema.md): the file is a JSON object with a key
``"optimal_k_inputs": {"eps_pi": float, "eps_m": float, "slope": float, "source": str}``,
where ε_π and ε_m are TV distances and ``slope`` is dε_m′/dε_π against the Pinsker TV (what
Theorem 4.3 consumes). ``boundcheck optimal-k --from FILE`` reads exactly that key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from boundcheck.runs.atomic import JsonFileError, read_json_object


class ResultsFileError(ValueError):
    """The results file is missing, unreadable or lacks the theory inputs."""


@dataclass(frozen=True)
class TheoryInputs:
    """ε_π, ε_m (TV distances) and the slope dε_m′/dε_π taken from a results file."""

    eps_pi: float
    eps_m: float
    slope: float
    source: str


def read_theory_inputs(path: Path) -> TheoryInputs:
    """Read ``optimal_k_inputs`` from a results file (raises ResultsFileError)."""
    try:
        doc = read_json_object(path, "results file")
    except JsonFileError as exc:
        raise ResultsFileError(str(exc)) from None
    inputs = doc.get("optimal_k_inputs")
    if not isinstance(inputs, dict):
        raise ResultsFileError(f"{path} has no 'optimal_k_inputs' object "
                               "(is it a measure-generalization results.json?)")
    values = {}
    for key in ("eps_pi", "eps_m", "slope"):
        v = inputs.get(key)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ResultsFileError(f"{path}: optimal_k_inputs.{key} must be a finite number")
        values[key] = float(v)
    return TheoryInputs(source=str(inputs.get("source", path)), **values)
