"""Typed records of the model-generalization experiment (paper Section 4.3): per policy point,
per (seed, size) cell and per training-set size. Their JSON form is the codec's
(:mod:`boundcheck.codec`, fields in order; docs/measure-generalization.md, "results.json
schema"): a ``null`` read into a float is NaN, and keys renamed since format version 1 are read
under their old name too (``model.val_loss`` is now ``model.holdout_mse``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from boundcheck.codec import decode, json_meta
from boundcheck.estimators import LinearFit, MeanStd
from boundcheck.experiments.common.measure import (
    ModelErrorEstimate,
    PolicyMeasurement,
    PolicyShiftEstimate,
    SupOverTime,
)
from boundcheck.models.trainer import StopReason

#: The policy-shift axes (x) of the fits: measure name -> column of a point.
X_MEASURES = {"kl": "kl_mean", "pinsker_tv": "pinsker_tv"}
#: The model-error measures (y): measure name -> column of a point.
Y_MEASURES = {"nll": "nll_mean", "mse": "mse_mean", "tv": "tv_mean"}


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
class FitError:
    """A fit that could not be made, and why (e.g. fewer than 2 points with distinct x)."""

    error: str


#: A fit's JSON: the :class:`LinearFit` fields, or ``{"error": message}``.
Fit = LinearFit | FitError


@dataclass(frozen=True)
class FitPair:
    """The all-points (``linear``) and the ε_π → 0 (``local``) fit of one (y, x) pair."""

    linear: Fit
    local: Fit


@dataclass(frozen=True)
class SummaryPair:
    """The seed summaries (mean, std, stderr, n and the per-seed values) of the ``linear`` and
    ``local`` slopes (None: no slope at all)."""

    linear: MeanStd | None
    local: MeanStd | None


#: {y measure: {x measure: pair}}, y in the document's measures, x in :data:`X_MEASURES`.
Fits = dict[str, dict[str, FitPair]]
Slopes = dict[str, dict[str, SummaryPair]]


@dataclass(frozen=True)
class CurvePoint:
    """One point of a curve: which policy (``"pi_D"`` or ``"snapshot_j"``), its snapshot
    ``index`` and ``updates``, the grid point ``kl_target`` it reached, its KL on the rule's π_D
    states, and what was measured on its transitions (the point's ``sup_over_time`` is kept
    at the seed level, :attr:`SeedRecord.eps_m_sup_over_time`, so it is None here).

    Its JSON (also a row of points.csv) is flat: the policy's fields, then those of the shift
    and of the error (without ``sup_over_time``), then ``episode_return_mean`` and
    ``episodes``."""

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

    def __json_encode__(self) -> dict[str, Any]:
        shift, error = self.measured.shift, self.measured.error
        return {"policy": self.policy, "index": self.index, "updates": self.updates,
                "kl_target": self.kl_target, "kl_on_data_states": self.kl_on_data_states,
                **{f.name: getattr(shift, f.name) for f in fields(shift)},
                **{f.name: getattr(error, f.name) for f in fields(error)
                   if f.name != "sup_over_time"},
                "episode_return_mean": self.measured.episode_return_mean,
                "episodes": self.measured.episodes}

    @classmethod
    def __json_decode__(cls, obj: Mapping[str, Any]) -> CurvePoint:
        measured = PolicyMeasurement(
            shift=decode(PolicyShiftEstimate, obj),
            error=decode(ModelErrorEstimate, {**obj, "sup_over_time": None}),
            episode_return_mean=decode(float | None, obj["episode_return_mean"],
                                       "$.episode_return_mean"),
            episodes=decode(int, obj["episodes"], "$.episodes"))
        return cls(policy=decode(str, obj["policy"], "$.policy"),
                   index=decode(int, obj["index"], "$.index"),
                   updates=decode(int, obj["updates"], "$.updates"),
                   kl_target=decode(float | None, obj["kl_target"], "$.kl_target"),
                   kl_on_data_states=decode(float, obj["kl_on_data_states"],
                                            "$.kl_on_data_states"),
                   measured=measured)


@dataclass(frozen=True)
class ModelFitRecord:
    """The size-N model's fit (:func:`boundcheck.models.train_ensemble`): epochs, Adam steps,
    train/holdout rows, elites (best first), ``holdout_mse`` (mean elite holdout MSE, the
    model's holdout loss; ``val_loss`` in files of format version 1 before the rename), the
    elites' holdout NLL and why the fit stopped (None, and no key, in files written before the
    caps existed)."""

    epochs: int
    grad_steps: int
    num_train: int
    num_holdout: int
    elites: tuple[int, ...]
    holdout_mse: float = field(metadata=json_meta(aliases=("val_loss",)))
    holdout_nll_elites: tuple[float, ...]
    stop: StopReason | None = field(default=None, metadata=json_meta(omit_none=True))

    @classmethod
    def from_fit(cls, fit: Mapping[str, Any]) -> ModelFitRecord:
        """From the metrics dict :func:`boundcheck.models.train_ensemble` returns."""
        return cls(epochs=fit["epochs"], grad_steps=fit["grad_steps"],
                   num_train=fit["num_train"], num_holdout=fit["num_holdout"],
                   elites=tuple(fit["elites"]), holdout_mse=fit["holdout_mse"],
                   holdout_nll_elites=tuple(fit["holdout_nll_elites"]),
                   stop=StopReason(fit["stop"]))


@dataclass(frozen=True)
class ContinuationRecord:
    """One continuation (:mod:`~.continuation`): updates done, why it stopped (the sentence
    ``stop_reason``; :attr:`stop` is its kind), snapshots taken, the KL after MBPO's retrain
    interval, the thinned (updates, KL) trace, the mean SAC metrics and the last rollout's
    metrics."""

    updates: int
    stop_reason: str
    snapshots: int
    kl_at_interval: float | None
    kl_trace: tuple[tuple[int, float], ...]
    sac: dict[str, float]
    rollout: dict[str, float]

    def __post_init__(self) -> None:
        stop_of_message(self.stop_reason)  # a sentence of stop_message, or ValueError

    @property
    def stop(self) -> ContinuationStop:
        """Why the continuation stopped (of :attr:`stop_reason`)."""
        return stop_of_message(self.stop_reason)


@dataclass(frozen=True)
class SeedRecord:
    """One repetition ``seed`` of one size: its seed key ``[seed, i, N]``, the model fit,
    the continuation, ε_π after the retrain interval (Pinsker TV), the paper's ε_m at π_D
    (max over time buckets), the points [π_D, snapshots...] and their fits."""

    seed: int
    seed_key: tuple[int, ...]
    model: ModelFitRecord
    continuation: ContinuationRecord
    eps_policy_interval: float | None = field(metadata=json_meta(key="eps_pi_interval"))
    eps_model_sup_over_time: SupOverTime | None = field(
        metadata=json_meta(key="eps_m_sup_over_time"))
    points: tuple[CurvePoint, ...]
    fits: Fits


@dataclass(frozen=True)
class SizeRecord:
    """One training-set size: the seed summaries of the slopes, of the model error at π_D and
    of ε_π after the retrain interval, and the per-seed records."""

    train_size: int
    slopes: Slopes
    eps_model_at_pi_d: dict[str, MeanStd | None] = field(metadata=json_meta(key="eps_m_at_pi_d"))
    eps_policy_interval: MeanStd | None = field(metadata=json_meta(key="eps_pi_interval"))
    seeds: tuple[SeedRecord, ...]
