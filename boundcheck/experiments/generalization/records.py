"""Typed records of the model-generalization experiment (paper Section 4.3), per point, per
seed and per training-set size, each with its JSON form (docs/measure-generalization.md,
"results.json schema").

Every record has ``to_json()`` (the results.json object, same keys in the same order as the
schema) and ``from_json(obj)`` (the inverse; a ``null`` float reads back as NaN where the type
is a float, and keys renamed since format version 1 are read under their old name too:
``model.val_loss`` is now ``model.holdout_mse``). Non-finite numbers are turned into ``null``
only when the document is written (:func:`boundcheck.runs.atomic.strict_json`).
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from boundcheck.estimators import LinearFit
from boundcheck.experiments.common.measure import (
    ModelErrorEstimate,
    PolicyMeasurement,
    PolicyShiftEstimate,
)

Json = dict[str, Any]

#: The policy-shift axes (x) of the fits: measure name -> column of a point.
X_MEASURES = {"kl": "kl_mean", "pinsker_tv": "pinsker_tv"}
#: The model-error measures (y): measure name -> column of a point.
Y_MEASURES = {"nll": "nll_mean", "mse": "mse_mean", "tv": "tv_mean"}


def num(value: Any) -> float:
    """A JSON number as a float; ``null`` (a non-finite number when written) is NaN."""
    return math.nan if value is None else float(value)


def opt_num(value: Any) -> float | None:
    """A JSON number or ``null`` (an optional value) as ``float | None``."""
    return None if value is None else float(value)


class ContinuationStop(str, enum.Enum):
    """Why a continued SAC run stopped (:mod:`~.continuation`)."""

    #: Every KL target was reached (and the retrain interval of updates was done).
    ALL_REACHED = "all_reached"
    #: The update budget ran out first; the final policy is the last snapshot.
    BUDGET = "budget"
    #: The KL became non-finite (SAC diverged).
    DIVERGED = "diverged"


def stop_message(stop: ContinuationStop, *, updates: int, max_updates: int, kl: float) -> str:
    """The sentence results.json records as ``stop_reason`` (and ``warnings`` repeats)."""
    if stop is ContinuationStop.ALL_REACHED:
        return "all KL targets reached"
    if stop is ContinuationStop.DIVERGED:
        return f"SAC diverged (non-finite KL) after {updates} updates"
    return f"update budget ({max_updates}) ran out with KL {kl:.4g} nat"


def stop_of_message(message: str) -> ContinuationStop:
    """The :class:`ContinuationStop` of a recorded ``stop_reason`` (:func:`stop_message`);
    raises ``ValueError`` for any other sentence."""
    if message == "all KL targets reached":
        return ContinuationStop.ALL_REACHED
    if message.startswith("SAC diverged"):
        return ContinuationStop.DIVERGED
    if message.startswith("update budget"):
        return ContinuationStop.BUDGET
    raise ValueError(f"unknown continuation stop reason {message!r}")


@dataclass(frozen=True)
class Summary:
    """Mean, std (ddof 1), standard error and count of one quantity over seeds, with the
    finite per-seed values (:func:`boundcheck.estimators.mean_std`)."""

    mean: float
    std: float
    stderr: float
    n: int
    values: tuple[float, ...]

    def to_json(self) -> Json:
        """``{mean, std, stderr, n, values}``."""
        return {"mean": self.mean, "std": self.std, "stderr": self.stderr, "n": self.n,
                "values": list(self.values)}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any] | None) -> Summary | None:
        """The inverse of :meth:`to_json` (``null`` stays None)."""
        if obj is None:
            return None
        return cls(mean=num(obj["mean"]), std=num(obj["std"]), stderr=num(obj["stderr"]),
                   n=int(obj["n"]), values=tuple(num(v) for v in obj["values"]))


@dataclass(frozen=True)
class FitError:
    """A fit that could not be made, and why (e.g. fewer than 2 points with distinct x)."""

    error: str


Fit = LinearFit | FitError


def fit_json(fit: Fit) -> Json:
    """A fit's JSON: the :class:`LinearFit` fields, or ``{"error": message}``."""
    return dataclasses.asdict(fit)


def fit_from_json(obj: Mapping[str, Any]) -> Fit:
    """The inverse of :func:`fit_json`."""
    if "error" in obj:
        return FitError(error=str(obj["error"]))
    values: dict[str, Any] = {f.name: num(obj[f.name]) for f in dataclasses.fields(LinearFit)}
    return LinearFit(**{**values, "n": int(obj["n"])})


@dataclass(frozen=True)
class FitPair:
    """The all-points (``linear``) and the ε_π → 0 (``local``) fit of one (y, x) pair."""

    linear: Fit
    local: Fit

    def to_json(self) -> Json:
        """``{"linear": FIT, "local": FIT}``."""
        return {"linear": fit_json(self.linear), "local": fit_json(self.local)}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> FitPair:
        """The inverse of :meth:`to_json`."""
        return cls(linear=fit_from_json(obj["linear"]), local=fit_from_json(obj["local"]))


@dataclass(frozen=True)
class SummaryPair:
    """The seed summaries of the ``linear`` and ``local`` slopes (None: no slope at all)."""

    linear: Summary | None
    local: Summary | None

    def to_json(self) -> Json:
        """``{"linear": SUMMARY | null, "local": SUMMARY | null}``."""
        return {"linear": _summary_json(self.linear), "local": _summary_json(self.local)}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> SummaryPair:
        """The inverse of :meth:`to_json`."""
        return cls(linear=Summary.from_json(obj["linear"]),
                   local=Summary.from_json(obj["local"]))


#: {y measure: {x measure: pair}}, y in the document's measures, x in :data:`X_MEASURES`.
Fits = dict[str, dict[str, FitPair]]
Slopes = dict[str, dict[str, SummaryPair]]


def _summary_json(summary: Summary | None) -> Json | None:
    return None if summary is None else summary.to_json()


def nested_json(table: Mapping[str, Mapping[str, FitPair | SummaryPair]]) -> Json:
    """``{y: {x: pair.to_json()}}``."""
    return {y: {x: pair.to_json() for x, pair in row.items()} for y, row in table.items()}


@dataclass(frozen=True)
class CurvePoint:
    """One point of a curve: which policy (``"pi_D"`` or ``"snapshot_j"``), its snapshot
    ``index`` and ``updates``, the grid point ``kl_target`` it reached, its KL on the rule's π_D
    states, and what was measured on its transitions (the point's ``sup_over_time`` is kept
    at the seed level, :attr:`SeedRecord.eps_m_sup_over_time`, so it is None here)."""

    policy: str
    index: int
    updates: int
    kl_target: float | None
    kl_on_data_states: float
    measured: PolicyMeasurement

    def x(self, measure: str) -> float:
        """The policy shift on axis ``measure`` (a key of :data:`X_MEASURES`)."""
        shift = self.measured.shift
        return shift.kl_mean if measure == "kl" else shift.pinsker_tv

    def y(self, measure: str) -> float | None:
        """The model error ``measure`` (a key of :data:`Y_MEASURES`; None: not measured)."""
        return self.measured.error.value(measure)

    def to_json(self) -> Json:
        """The point's object (also a row of points.csv)."""
        error = dataclasses.asdict(self.measured.error)
        error.pop("sup_over_time")
        return {"policy": self.policy, "index": self.index, "updates": self.updates,
                "kl_target": self.kl_target, "kl_on_data_states": self.kl_on_data_states,
                **dataclasses.asdict(self.measured.shift), **error,
                "episode_return_mean": self.measured.episode_return_mean,
                "episodes": self.measured.episodes}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> CurvePoint:
        """The inverse of :meth:`to_json`."""
        shift = PolicyShiftEstimate(**{f.name: num(obj[f.name])
                                       for f in dataclasses.fields(PolicyShiftEstimate)})
        error = ModelErrorEstimate(
            n=int(obj["n"]), nll_mean=num(obj["nll_mean"]), nll_stderr=num(obj["nll_stderr"]),
            mse_mean=num(obj["mse_mean"]), mse_stderr=num(obj["mse_stderr"]),
            tv_mean=opt_num(obj["tv_mean"]), tv_stderr=opt_num(obj["tv_stderr"]),
            tv_mc_stderr=opt_num(obj["tv_mc_stderr"]), sup_over_time=None)
        measured = PolicyMeasurement(shift=shift, error=error,
                                     episode_return_mean=opt_num(obj["episode_return_mean"]),
                                     episodes=int(obj["episodes"]))
        return cls(policy=str(obj["policy"]), index=int(obj["index"]),
                   updates=int(obj["updates"]), kl_target=opt_num(obj["kl_target"]),
                   kl_on_data_states=num(obj["kl_on_data_states"]), measured=measured)
