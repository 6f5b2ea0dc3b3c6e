"""The typed result document of the model-generalization experiment (paper Section 4.3) and
its JSON form, results.json (docs/measure-generalization.md, "results.json schema").

:func:`results_json` makes the document (the same keys in the same order as format version 1;
the one renamed key, ``model.val_loss`` -> ``model.holdout_mse``, is read under both names) and
:func:`results_from_json` reads it back; the ``files`` key that
:mod:`~.outputs` adds is not part of the result and is ignored.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from boundcheck.experiments.generalization.analysis import OptimalKInputs
from boundcheck.experiments.generalization.records import Json, num
from boundcheck.experiments.generalization.size_records import SizeRecord
from boundcheck.experiments.generalization.trend import slope_trends
from boundcheck.inputs import InputError
from boundcheck.runs.atomic import JsonFileError, read_json_object

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
class SourceInfo:
    """π_D: its run directory, kind, epoch, task, algorithm, the run's seed and known noise."""

    run: str
    kind: SourceKind
    epoch: int
    env: str
    algo: str
    run_seed: int
    transition_noise: float
    reward_noise: float

    def to_json(self) -> Json:
        """``{run, kind, epoch, env, algo, run_seed, transition_noise, reward_noise}``."""
        return {**asdict(self), "kind": self.kind.value}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> SourceInfo:
        """The inverse of :meth:`to_json`."""
        return cls(run=str(obj["run"]), kind=SourceKind(obj["kind"]), epoch=int(obj["epoch"]),
                   env=str(obj["env"]), algo=str(obj["algo"]), run_seed=int(obj["run_seed"]),
                   transition_noise=float(obj["transition_noise"]),
                   reward_noise=float(obj["reward_noise"]))


@dataclass(frozen=True)
class Settings:
    """Every setting after defaults were resolved (the experiment's options, then what the run
    gave: k, rollout batch, rollout interval, model caps with 0 = none, real ratio, and the
    SAC updates between two MBPO model retrains), and the KL grid of the snapshots."""

    train_sizes: tuple[int, ...]
    seeds: int
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
    rollout_length: int
    rollout_batch_size: int
    rollout_every: int
    model_max_epochs: int
    model_max_t: float
    real_ratio: float
    eps_pi_updates: int
    kl_grid: tuple[float, ...]

    def to_json(self) -> Json:
        """The ``settings`` object, in field order."""
        return {**asdict(self), "train_sizes": list(self.train_sizes),
                "kl_grid": list(self.kl_grid)}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Settings:
        """The inverse of :meth:`to_json`."""
        floats = {"kl_min", "kl_max", "model_max_t", "real_ratio"}
        values: dict[str, Any] = {k: float(obj[k]) if k in floats else int(obj[k])
                                  for k in cls.__dataclass_fields__
                                  if k not in ("train_sizes", "kl_grid")}
        return cls(train_sizes=tuple(int(n) for n in obj["train_sizes"]),
                   kl_grid=tuple(num(g) for g in obj["kl_grid"]), **values)


@dataclass(frozen=True)
class ModelErrorInfo:
    """Which model-error measures there are: the TV only where the true law is known (else
    why not), the primary measure (``"tv"`` or ``"nll"``) and the measures in the document."""

    tv_available: bool
    tv_unavailable_reason: str | None
    primary: str
    measures: tuple[str, ...]

    def to_json(self) -> Json:
        """``{tv_available, tv_unavailable_reason, primary, measures, proxies}``."""
        return {"tv_available": self.tv_available,
                "tv_unavailable_reason": self.tv_unavailable_reason, "primary": self.primary,
                "measures": list(self.measures), "proxies": PROXIES_NOTE}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> ModelErrorInfo:
        """The inverse of :meth:`to_json`."""
        reason = obj["tv_unavailable_reason"]
        return cls(tv_available=bool(obj["tv_available"]),
                   tv_unavailable_reason=None if reason is None else str(reason),
                   primary=str(obj["primary"]), measures=tuple(obj["measures"]))


@dataclass(frozen=True)
class GeneralizationResults:
    """The whole result: π_D, the settings, the model-error measures, one record per size
    (ascending), the theory inputs (None with a warning when a number is missing), warnings,
    this measurement's versions, the run's provenance and the wall time in seconds."""

    source: SourceInfo
    settings: Settings
    model_error: ModelErrorInfo
    sizes: tuple[SizeRecord, ...]
    optimal_k_inputs: OptimalKInputs | None
    warnings: tuple[str, ...]
    versions: dict[str, Any]
    run_provenance: dict[str, Any]
    wall_seconds: float


def results_json(result: GeneralizationResults) -> Json:
    """The results.json document (without ``files``; non-finite numbers are still floats:
    :func:`boundcheck.runs.atomic.strict_json` makes them ``null`` when it is written)."""
    inputs = result.optimal_k_inputs
    return {
        "format": RESULTS_FORMAT, "format_version": RESULTS_FORMAT_VERSION,
        "source": result.source.to_json(), "settings": result.settings.to_json(),
        "model_error": result.model_error.to_json(),
        "sizes": [s.to_json() for s in result.sizes],
        "optimal_k_inputs": None if inputs is None else inputs.to_json(),
        "slope_trends": [t.to_json() for t in slope_trends(result.sizes)],
        "warnings": list(result.warnings), "versions": result.versions,
        "run_provenance": result.run_provenance,
        "timings": {"wall_seconds": result.wall_seconds},
    }


def results_from_json(doc: Mapping[str, Any]) -> GeneralizationResults:
    """The inverse of :func:`results_json` (e.g. of a results.json read back; ``slope_trends``
    is derived from the sizes, so it is recomputed rather than read); raises
    ``ValueError`` for another format and ``KeyError`` / ``TypeError`` for a damaged one."""
    if doc.get("format") != RESULTS_FORMAT:
        raise ValueError(f"not a {RESULTS_FORMAT} document (format {doc.get('format')!r})")
    return GeneralizationResults(
        source=SourceInfo.from_json(doc["source"]), settings=Settings.from_json(doc["settings"]),
        model_error=ModelErrorInfo.from_json(doc["model_error"]),
        sizes=tuple(SizeRecord.from_json(s) for s in doc["sizes"]),
        optimal_k_inputs=OptimalKInputs.from_json(doc["optimal_k_inputs"]),
        warnings=tuple(str(w) for w in doc["warnings"]), versions=dict(doc["versions"]),
        run_provenance=dict(doc["run_provenance"]),
        wall_seconds=float(doc["timings"]["wall_seconds"]))


def read_prior(path: Path) -> GeneralizationResults | None:
    """The results document at ``path`` to continue, or None if there is none yet (raises
    ``InputError("resume", ...)`` for a file that is not one)."""
    if not path.exists():
        return None
    try:
        return results_from_json(read_json_object(path, "results file"))
    except (JsonFileError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise InputError("resume", f"{path} is not a measure-generalization results file "
                         f"that can be continued ({type(exc).__name__}: {exc})") from None
