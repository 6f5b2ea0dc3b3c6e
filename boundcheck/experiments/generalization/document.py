"""The model-generalization result document assembled from its per-seed records (paper
Section 4.3): the seed summaries and fits per size, the theory inputs, the warnings, and the
frame (π_D, settings, measures, provenance, wall time) that every document of one measurement
shares, whether it holds all repetitions asked for or, written during the run, fewer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from boundcheck.experiments.generalization import analysis as ana
from boundcheck.experiments.generalization.records import ContinuationStop
from boundcheck.experiments.generalization.results import (
    GeneralizationResults,
    ModelErrorInfo,
    Settings,
    SourceInfo,
)
from boundcheck.experiments.generalization.resume import partial_settings
from boundcheck.experiments.generalization.size_records import SeedRecord, SizeRecord
from boundcheck.runs.provenance import provenance

__all__ = ["DocumentFrame", "run_warnings"]


@dataclass(frozen=True)
class DocumentFrame:
    """What the result document says besides the records: π_D, the settings, the measures,
    the run's provenance, whether there is a TV, and when the measurement (with the time of
    the repetitions it continues) started."""

    source: SourceInfo
    settings: Settings
    model_error: ModelErrorInfo
    run_provenance: dict[str, Any]
    tv: bool
    start: float

    def results(self, per_size: dict[int, list[SeedRecord]], done: int) -> GeneralizationResults:
        """The document after ``done`` repetitions (a partial one says so in a warning)."""
        size_records = tuple(ana.size_record(n, per_size[n], list(self.model_error.measures))
                             for n in self.settings.train_sizes)
        inputs, missing = ana.optimal_k_inputs(size_records, self.tv,
                                               self.settings.eps_pi_updates)
        partial = None
        if done < self.settings.seeds:
            partial = (f"partial: {done} of {self.settings.seeds} repetitions finished; "
                       "the rest run with --resume")
        return GeneralizationResults(
            source=self.source, settings=partial_settings(self.settings, done),
            model_error=self.model_error, sizes=size_records, optimal_k_inputs=inputs,
            warnings=tuple(m for m in (partial, missing, *run_warnings(size_records)) if m),
            versions=provenance(), run_provenance=self.run_provenance,
            wall_seconds=time.perf_counter() - self.start)


def run_warnings(sizes: tuple[SizeRecord, ...]) -> list[str]:
    """One warning per continuation that did not reach every KL target."""
    return [f"N={size.train_size} seed {rec.seed}: {rec.continuation.stop_reason}"
            for size in sizes for rec in size.seeds
            if rec.continuation.stop is not ContinuationStop.ALL_REACHED]
