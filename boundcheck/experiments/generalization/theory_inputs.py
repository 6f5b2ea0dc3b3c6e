"""Reading the theory inputs (ε_π, ε_m, slope) from a measure-generalization ``results.json``.

The contract (docs/results-schema.md): the file is a JSON object with a key
``"optimal_k_inputs": {"eps_pi": float, "eps_m": float, "slope": float, "source": str}``,
where ε_π and ε_m are TV distances and ``slope`` is dε_m′/dε_π against the Pinsker TV (what
Theorem 4.3 consumes). ``boundcheck optimal-k --from FILE`` reads exactly that key; with
``--train-size N`` it reads the whole document back (:func:`results_from_json`) and derives the
same inputs from size N's record instead (:func:`~boundcheck.experiments.generalization.analysis.
optimal_k_inputs`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from boundcheck.experiments.generalization.analysis import optimal_k_inputs
from boundcheck.experiments.generalization.results import results_from_json
from boundcheck.inputs import InputError
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


def read_theory_inputs(path: Path, train_size: int | None = None) -> TheoryInputs:
    """Read ``optimal_k_inputs`` from a results file, or derive them at ``train_size``
    (raises ResultsFileError)."""
    try:
        doc = read_json_object(path, "results file")
    except JsonFileError as exc:
        raise ResultsFileError(str(exc)) from None
    if train_size is not None:
        return _at_size(path, doc, train_size)
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


def _at_size(path: Path, doc: dict[str, object], train_size: int) -> TheoryInputs:
    try:
        results = results_from_json(doc)
    except (ValueError, KeyError, TypeError) as exc:
        raise ResultsFileError(f"{path} is not a measure-generalization results.json "
                               f"({exc})") from None
    try:
        inputs, missing = optimal_k_inputs(results.sizes, results.model_error.tv_available,
                                           results.settings.eps_pi_updates, train_size)
    except ValueError as exc:
        raise InputError("train_size", f"{exc} in {path}") from None
    if inputs is None:
        raise ResultsFileError(f"{path}: {missing}")
    return TheoryInputs(eps_pi=inputs.eps_pi, eps_m=inputs.eps_m, slope=inputs.slope,
                        source=inputs.source)
