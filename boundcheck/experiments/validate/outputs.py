"""Writing a validation: ``validation.png`` and then ``validation.json``, which lists both; and
:func:`validate_into`, the one way a validation is run into a folder (by the command and by a
sweep's follow-on analysis).

Both are written atomically (:mod:`boundcheck.runs.atomic`); the JSON is strict (non-finite
numbers become ``null``). Layout and schema: docs/validate.md, "Output".
"""

from __future__ import annotations

from pathlib import Path

import torch

from boundcheck.experiments.validate.document import validation_json
from boundcheck.experiments.validate.experiment import run_validation
from boundcheck.experiments.validate.results import ValidationResult
from boundcheck.experiments.validate.settings import BoundInputs, ValidateConfig
from boundcheck.experiments.validate.source import ValidationSource
from boundcheck.plots.validate import PairPoint, ValidationFigure, plot_validation
from boundcheck.runs.atomic import atomic_write_json
from boundcheck.runs.lock import output_writer
from boundcheck.runs.progress import ProgressFn

RESULTS_FILE = "validation.json"
FIGURE_FILE = "validation.png"


def figure_data(result: ValidationResult) -> ValidationFigure:
    """What :func:`boundcheck.plots.validate.plot_validation` shows: every pair at the first γ
    (the run's or the user's)."""
    points = []
    for pair in result.pairs:
        block = pair.by_gamma[0]
        r = block.returns
        t41, t42, t43 = (t.result.lower_bound for t in block.theorems)
        points.append(PairPoint(pair.data_epoch, pair.epoch, (r.eta, r.eta_model, r.eta_branch),
                                (t41, t42, t43)))
    first = result.pairs[0].by_gamma[0]
    return ValidationFigure(env=result.source.env, gamma=first.gamma,
                            trivial_range=first.theorems[0].result.penalty.trivial_range,
                            episodes=result.settings.episodes,
                            confidence=result.settings.confidence, pairs=tuple(points))


def write_outputs(result: ValidationResult, out_dir: Path) -> dict[str, str]:
    """Write the figure, then the document with its ``files``, under ``out_dir``; returns
    {what: path}."""
    figure = plot_validation(figure_data(result), out_dir / FIGURE_FILE)
    paths = {"results": str(out_dir / RESULTS_FILE), "figure": str(figure)}
    atomic_write_json(out_dir / RESULTS_FILE, {**validation_json(result), "files": paths})
    return paths


def validate_into(source: ValidationSource, settings: ValidateConfig, inputs: BoundInputs,
                  out: Path, *, gamma: float | None, device: torch.device,
                  progress: ProgressFn | None = None) -> tuple[ValidationResult, dict[str, str]]:
    """Validate ``source``'s pairs at ``gamma`` (default: the run's) and write the result under
    ``out`` under the folder's writer lock (two validations never interleave their figure and
    document); returns the result and {what: path}."""
    result = run_validation(source, settings, inputs, gamma or source.config.sac.gamma, device,
                            progress)
    with output_writer(out):  # nothing is created before there is a result to write
        return result, write_outputs(result, out)
