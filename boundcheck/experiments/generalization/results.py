"""The model-generalization result document (paper Section 4.3) and its file, results.json
(docs/measure-generalization.md, "results.json schema"; docs/results-schema.md).

:class:`GeneralizationDocument` is the document; its JSON is the codec's
(:mod:`boundcheck.codec`), the same keys in the same order as format version 1 (the one renamed
key, ``model.val_loss`` -> ``model.holdout_mse``, is read under both names; ``slope_trends`` is
derived from the sizes, so it is recomputed rather than read; the ``files`` key that
:mod:`~.outputs` adds is not part of the result and is ignored). :class:`DocumentFrame` makes
the document from the per-seed records, whether it holds all repetitions asked for or, written
during the run, fewer. The typed readers of a results.json are here too: the whole document
(:func:`read_results`, :func:`read_prior`) and the theory inputs ``optimal-k --from`` reads
(:func:`read_theory_inputs`).
"""

from __future__ import annotations

import enum
import math
import typing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from boundcheck.codec import JsonFileError, decode, json_meta
from boundcheck.experiments.generalization import analysis as ana
from boundcheck.experiments.generalization.analysis import OptimalKInputs, slope_trends
from boundcheck.experiments.generalization.records import (
    ContinuationStop,
    SeedRecord,
    SizeRecord,
)
from boundcheck.inputs import InputError
from boundcheck.runs.atomic import read_json_object

RESULTS_FORMAT = "boundcheck-generalization"
RESULTS_FORMAT_VERSION = 1
#: The text of ``model_error.proxies``.
PROXIES_NOTE = "nll and mse are proxies for the model error, not TVs"


class SourceKind(str, enum.Enum):
    """Where π_D came from: a run (given, or the newest under ./runs) or the shipped
    reference policy."""

    RUN = "run"
    REFERENCE = "reference"


@dataclass(frozen=True)
class PolicySourceInfo:
    """π_D as the document records it (:class:`~.source.PolicySource` is π_D loaded): its run
    directory, kind, epoch, task, algorithm, the run's seed and known noise."""

    run: str
    kind: SourceKind
    epoch: int
    env: str
    algo: str
    run_seed: int
    transition_noise: float
    reward_noise: float


@dataclass(frozen=True)
class Settings:
    """Every setting after defaults were resolved (the experiment's options, then what the run
    gave: k, rollout batch, rollout interval, model caps with 0 = none, real ratio, and the
    SAC updates between two MBPO model retrains), and the KL grid of the snapshots."""

    train_sizes: tuple[int, ...]
    repetitions: int = field(metadata=json_meta(key="seeds"))
    seed: int
    snapshots: int
    eval_steps: int
    kl_min: float
    kl_max: float
    max_updates: int
    check_every: int
    kl_states: int
    local_points: int
    tv_samples: int
    bucket_width: int
    k: int = field(metadata=json_meta(key="rollout_length"))
    rollout_batch_size: int
    rollout_every: int
    model_max_epochs: int
    model_max_t: float
    real_ratio: float
    eps_policy_updates: int = field(metadata=json_meta(key="eps_pi_updates"))
    kl_grid: tuple[float, ...]


@dataclass(frozen=True)
class ModelErrorInfo:
    """Which model-error measures there are: the TV only where the true law is known (else
    why not), the primary measure (``"tv"`` or ``"nll"``) and the measures in the document;
    ``proxies`` is always :data:`PROXIES_NOTE` (written, not read)."""

    tv_available: bool
    tv_unavailable_reason: str | None
    primary: str
    measures: tuple[str, ...]
    proxies: str = field(default=PROXIES_NOTE, init=False)


@dataclass(frozen=True)
class GeneralizationDocument:
    """The whole result: π_D, the settings, the model-error measures, one record per size
    (ascending), the theory inputs (None with a warning when a number is missing), warnings,
    this measurement's versions, the run's provenance and the wall time in seconds.

    Its JSON adds ``format``, ``format_version`` and the derived ``slope_trends``, and keeps
    the wall time under ``timings``; reading it checks the format."""

    source: PolicySourceInfo
    settings: Settings
    model_error: ModelErrorInfo
    sizes: tuple[SizeRecord, ...]
    optimal_k_inputs: OptimalKInputs | None
    warnings: tuple[str, ...]
    versions: dict[str, Any]
    run_provenance: dict[str, Any]
    wall_seconds: float

    def __json_encode__(self) -> dict[str, Any]:
        return {"format": RESULTS_FORMAT, "format_version": RESULTS_FORMAT_VERSION,
                "source": self.source, "settings": self.settings,
                "model_error": self.model_error, "sizes": self.sizes,
                "optimal_k_inputs": self.optimal_k_inputs,
                "slope_trends": slope_trends(self.sizes), "warnings": self.warnings,
                "versions": self.versions, "run_provenance": self.run_provenance,
                "timings": {"wall_seconds": self.wall_seconds}}

    @classmethod
    def __json_decode__(cls, obj: Any) -> GeneralizationDocument:
        if not isinstance(obj, dict) or obj.get("format") != RESULTS_FORMAT:
            found = obj.get("format") if isinstance(obj, dict) else None
            raise JsonFileError(f"$: not a {RESULTS_FORMAT} document (format {found!r})")
        hints = typing.get_type_hints(cls)
        values = {name: decode(hints[name], _key(obj, name), f"$.{name}")
                  for name in hints if name != "wall_seconds"}
        wall = _key(_key(obj, "timings"), "wall_seconds")
        return cls(**values, wall_seconds=decode(float, wall, "$.timings.wall_seconds"))


def _key(obj: Any, name: str) -> Any:
    if not isinstance(obj, dict) or name not in obj:
        raise JsonFileError(f"$: missing key {name!r} ({GeneralizationDocument.__name__})")
    return obj[name]


@dataclass(frozen=True)
class DocumentFrame:
    """What the result document says besides the records: π_D, the settings, the measures,
    the run's provenance, this measurement's versions (taken when it
    started), the wall time of the earlier calls it continues, and notes about them."""

    source: PolicySourceInfo
    settings: Settings
    model_error: ModelErrorInfo
    run_provenance: dict[str, Any]
    versions: dict[str, Any]
    earlier_seconds: float = 0.0
    notes: tuple[str, ...] = ()

    def continuing(self, prior: GeneralizationDocument, done: int) -> DocumentFrame:
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

    def document(self, per_size: dict[int, list[SeedRecord]], done: int,
                 seconds: float) -> GeneralizationDocument:
        """The document after ``done`` repetitions and ``seconds`` of this call (a partial one
        says so in a warning)."""
        size_records = tuple(ana.size_record(n, per_size[n], list(self.model_error.measures))
                             for n in self.settings.train_sizes)
        inputs, missing = ana.optimal_k_inputs(size_records, self.model_error.tv_available,
                                               self.settings.eps_policy_updates)
        partial = None
        if done < self.settings.repetitions:
            partial = (f"partial: {done} of {self.settings.repetitions} repetitions finished; "
                       "the rest run with --resume")
        return GeneralizationDocument(
            # A partial document's settings say how many repetitions it holds, so that every
            # reader sees a consistent document.
            source=self.source, settings=replace(self.settings, repetitions=done),
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


class ResultsFileError(JsonFileError):
    """The results file is missing, unreadable or lacks the theory inputs (a damaged JSON file,
    so the commands report it as bad input like any other)."""


def read_results(path: Path) -> GeneralizationDocument:
    """The document of a results.json (one written by any version of format 1, ``NaN`` tokens
    of the former lenient writer included); raises :class:`JsonFileError` naming the file, or
    for a document of the wrong shape the key path."""
    return decode(GeneralizationDocument, read_json_object(path, "results file"))


def read_prior(path: Path) -> GeneralizationDocument | None:
    """The results document at ``path`` to continue, or None if there is none yet (raises
    ``InputError("resume", ...)`` for a file that is not one)."""
    if not path.exists():
        return None
    try:
        return read_results(path)
    except JsonFileError as exc:
        raise InputError("resume", f"{path} is not a measure-generalization results file "
                         f"that can be continued ({type(exc).__name__}: {exc})") from None


def read_theory_inputs(path: Path, train_size: int | None = None) -> OptimalKInputs:
    """The theory inputs of a results file (docs/results-schema.md): its ``optimal_k_inputs``,
    any object with the three finite numbers (``source`` defaults to the path), or, at
    ``train_size``, those derived from that size's record of the whole document (raises
    :class:`ResultsFileError`, or ``InputError("train_size", ...)`` for a size not in it)."""
    if train_size is not None:
        return _at_size(path, train_size)
    try:
        doc = read_json_object(path, "results file")
    except JsonFileError as exc:
        raise ResultsFileError(str(exc)) from None
    inputs = doc.get("optimal_k_inputs")
    if not isinstance(inputs, dict):
        raise ResultsFileError(f"{path} has no 'optimal_k_inputs' object "
                               "(is it a measure-generalization results.json?)")
    for key in ("eps_pi", "eps_m", "slope"):
        v = inputs.get(key)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ResultsFileError(f"{path}: optimal_k_inputs.{key} must be a finite number")
    try:
        read = decode(OptimalKInputs, inputs, "$.optimal_k_inputs")
    except JsonFileError as exc:
        raise ResultsFileError(f"{path}: {exc}") from None
    read = read if read.source is not None else replace(read, source=str(path))
    return _with_intervals(read, doc, path)


def _with_intervals(read: OptimalKInputs, doc: dict[str, Any], path: Path) -> OptimalKInputs:
    """A whole document written before the inputs carried intervals: the intervals derived
    from the same size's record (the point values stay the ones the file holds)."""
    if read.interval_level is not None or read.train_size is None or "sizes" not in doc:
        return read
    try:
        derived = _at_size(path, read.train_size)
    except (JsonFileError, InputError):
        return read  # a hand-written or partial document: no intervals
    return replace(read, interval_level=derived.interval_level,
                   eps_policy_interval=derived.eps_policy_interval,
                   eps_model_interval=derived.eps_model_interval,
                   slope_interval=derived.slope_interval,
                   slope_fit_x_max=derived.slope_fit_x_max)


def _at_size(path: Path, train_size: int) -> OptimalKInputs:
    try:
        doc = read_json_object(path, "results file")
    except JsonFileError as exc:
        raise ResultsFileError(str(exc)) from None
    try:
        results = decode(GeneralizationDocument, doc)
    except JsonFileError as exc:
        raise ResultsFileError(f"{path} is not a measure-generalization results.json "
                               f"({exc})") from None
    try:
        inputs, missing = ana.optimal_k_inputs(results.sizes, results.model_error.tv_available,
                                               results.settings.eps_policy_updates, train_size)
    except ValueError as exc:
        raise InputError("train_size", f"{exc} in {path}") from None
    if inputs is None:
        raise ResultsFileError(f"{path}: {missing}")
    return inputs
