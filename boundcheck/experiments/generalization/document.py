"""The model-generalization result document assembled from its per-seed records (paper
Section 4.3): the seed summaries and fits per size, the theory inputs, the warnings, and the
frame (π_D, settings, measures, provenance, wall time) that every document of one measurement
shares, whether it holds all repetitions asked for or, written during the run, fewer.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from boundcheck.experiments.generalization import analysis as ana
from boundcheck.experiments.generalization.records import ContinuationStop
from boundcheck.experiments.generalization.results import (
    GeneralizationResults,
    ModelErrorInfo,
    Settings,
    SourceInfo,
)
from boundcheck.experiments.generalization.size_records import SeedRecord, SizeRecord

__all__ = ["DocumentFrame", "run_warnings"]


@dataclass(frozen=True)
class DocumentFrame:
    """What the result document says besides the records: π_D, the settings, the measures,
    the run's provenance, this measurement's versions (taken when it
    started), the wall time of the earlier calls it continues, and notes about them."""

    source: SourceInfo
    settings: Settings
    model_error: ModelErrorInfo
    run_provenance: dict[str, Any]
    versions: dict[str, Any]
    earlier_seconds: float = 0.0
    notes: tuple[str, ...] = ()

    def continuing(self, prior: GeneralizationResults, done: int) -> DocumentFrame:
        """The frame of a measurement that continues ``prior`` after its ``done`` repetitions:
        its ``versions`` keep the earlier ones under ``resumed_from``, and a note says so when
        the code or a library differs (the numbers of the two parts then come from two
        versions)."""
        if not done:
            return self
        earlier = {k: v for k, v in prior.versions.items() if k != "resumed_from"}
        notes = self.notes
        if earlier != self.versions:
            differ = ", ".join(k for k in sorted(set(earlier) | set(self.versions))
                               if earlier.get(k) != self.versions.get(k))
            notes += (f"resumed: repetitions 0-{done - 1} were measured with other versions "
                      f"({differ}; see versions.resumed_from)",)
        history = [*prior.versions.get("resumed_from", []), earlier]
        return replace(self, notes=notes, versions={**self.versions, "resumed_from": history})

    def results(self, per_size: dict[int, list[SeedRecord]], done: int,
                seconds: float) -> GeneralizationResults:
        """The document after ``done`` repetitions and ``seconds`` of this call (a partial one
        says so in a warning)."""
        size_records = tuple(ana.size_record(n, per_size[n], list(self.model_error.measures))
                             for n in self.settings.train_sizes)
        inputs, missing = ana.optimal_k_inputs(size_records, self.model_error.tv_available,
                                               self.settings.eps_pi_updates)
        partial = None
        if done < self.settings.seeds:
            partial = (f"partial: {done} of {self.settings.seeds} repetitions finished; "
                       "the rest run with --resume")
        return GeneralizationResults(
            # A partial document's settings say how many repetitions it holds, so that every
            # reader sees a consistent document.
            source=self.source, settings=replace(self.settings, seeds=done),
            model_error=self.model_error, sizes=size_records, optimal_k_inputs=inputs,
            warnings=tuple(m for m in (partial, *self.notes, missing,
                                       *run_warnings(size_records)) if m),
            versions=self.versions, run_provenance=self.run_provenance,
            wall_seconds=self.earlier_seconds + seconds)


def run_warnings(sizes: tuple[SizeRecord, ...]) -> list[str]:
    """One warning per continuation that did not reach every KL target."""
    return [f"N={size.train_size} seed {rec.seed}: {rec.continuation.stop_reason}"
            for size in sizes for rec in size.seeds
            if rec.continuation.stop is not ContinuationStop.ALL_REACHED]
