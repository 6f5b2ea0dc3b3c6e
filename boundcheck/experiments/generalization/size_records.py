"""Typed per-seed and per-size records of the model-generalization experiment (paper
Section 4.3): the model fit, the continuation, the points and fits of one (seed, size) cell,
and the seed summaries of one size; JSON as in :mod:`~.records` (docs/measure-generalization.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from boundcheck.experiments.common.measure import SupOverTime
from boundcheck.experiments.generalization.records import (
    ContinuationStop,
    CurvePoint,
    FitPair,
    Fits,
    Json,
    Slopes,
    Summary,
    SummaryPair,
    nested_json,
    num,
    opt_num,
    stop_of_message,
)
from boundcheck.models.trainer import StopReason


@dataclass(frozen=True)
class ModelFitRecord:
    """The size-N model's fit (:func:`boundcheck.models.train_ensemble`): epochs, Adam steps,
    train/holdout rows, elites (best first), ``holdout_mse`` (mean elite holdout MSE, the
    model's holdout loss), the elites' holdout NLL and why the fit stopped (None in files
    written before the caps existed)."""

    epochs: int
    grad_steps: int
    num_train: int
    num_holdout: int
    elites: tuple[int, ...]
    holdout_mse: float
    holdout_nll_elites: tuple[float, ...]
    stop: StopReason | None

    @classmethod
    def from_fit(cls, fit: Mapping[str, Any]) -> ModelFitRecord:
        """From the metrics dict :func:`boundcheck.models.train_ensemble` returns."""
        return cls(epochs=fit["epochs"], grad_steps=fit["grad_steps"],
                   num_train=fit["num_train"], num_holdout=fit["num_holdout"],
                   elites=tuple(fit["elites"]), holdout_mse=fit["holdout_mse"],
                   holdout_nll_elites=tuple(fit["holdout_nll_elites"]),
                   stop=StopReason(fit["stop"]))

    def to_json(self) -> Json:
        """``{epochs, grad_steps, num_train, num_holdout, elites, holdout_mse,
        holdout_nll_elites, stop}`` (``stop`` left out when None)."""
        out: Json = {"epochs": self.epochs, "grad_steps": self.grad_steps,
                     "num_train": self.num_train, "num_holdout": self.num_holdout,
                     "elites": list(self.elites), "holdout_mse": self.holdout_mse,
                     "holdout_nll_elites": list(self.holdout_nll_elites)}
        if self.stop is not None:
            out["stop"] = self.stop.value
        return out

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> ModelFitRecord:
        """The inverse of :meth:`to_json`; reads the former key ``val_loss`` too."""
        mse = obj["holdout_mse"] if "holdout_mse" in obj else obj["val_loss"]
        return cls(epochs=int(obj["epochs"]), grad_steps=int(obj["grad_steps"]),
                   num_train=int(obj["num_train"]), num_holdout=int(obj["num_holdout"]),
                   elites=tuple(int(e) for e in obj["elites"]), holdout_mse=num(mse),
                   holdout_nll_elites=tuple(num(v) for v in obj["holdout_nll_elites"]),
                   stop=StopReason(obj["stop"]) if obj.get("stop") is not None else None)


@dataclass(frozen=True)
class ContinuationRecord:
    """One continuation (:mod:`~.continuation`): updates done, why it stopped (``stop`` and
    the sentence ``stop_reason``), snapshots taken, the KL after MBPO's retrain interval, the
    thinned (updates, KL) trace, the mean SAC metrics and the last rollout's metrics."""

    updates: int
    stop: ContinuationStop
    stop_reason: str
    snapshots: int
    kl_at_interval: float | None
    kl_trace: tuple[tuple[int, float], ...]
    sac: dict[str, float]
    rollout: dict[str, float]

    def to_json(self) -> Json:
        """``{updates, stop_reason, snapshots, kl_at_interval, kl_trace, sac, rollout}``."""
        return {"updates": self.updates, "stop_reason": self.stop_reason,
                "snapshots": self.snapshots, "kl_at_interval": self.kl_at_interval,
                "kl_trace": [list(p) for p in self.kl_trace], "sac": dict(self.sac),
                "rollout": dict(self.rollout)}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> ContinuationRecord:
        """The inverse of :meth:`to_json` (``stop`` from the sentence)."""
        reason = str(obj["stop_reason"])
        return cls(updates=int(obj["updates"]), stop=stop_of_message(reason),
                   stop_reason=reason, snapshots=int(obj["snapshots"]),
                   kl_at_interval=opt_num(obj["kl_at_interval"]),
                   kl_trace=tuple((int(u), num(k)) for u, k in obj["kl_trace"]),
                   sac={k: num(v) for k, v in obj["sac"].items()},
                   rollout={k: num(v) for k, v in obj["rollout"].items()})


@dataclass(frozen=True)
class SeedRecord:
    """One repetition ``seed`` of one size: its seed key ``[seed, i, N]``, the model fit,
    the continuation, ε_π after the retrain interval (Pinsker TV), the paper's ε_m at π_D
    (max over time buckets), the points [π_D, snapshots...] and their fits."""

    seed: int
    seed_key: tuple[int, ...]
    model: ModelFitRecord
    continuation: ContinuationRecord
    eps_pi_interval: float | None
    eps_m_sup_over_time: SupOverTime | None
    points: tuple[CurvePoint, ...]
    fits: Fits

    def to_json(self) -> Json:
        """The seed's object of ``sizes[].seeds``."""
        sup = self.eps_m_sup_over_time
        return {"seed": self.seed, "seed_key": list(self.seed_key),
                "model": self.model.to_json(), "continuation": self.continuation.to_json(),
                "eps_pi_interval": self.eps_pi_interval,
                "eps_m_sup_over_time": None if sup is None else asdict(sup),
                "points": [p.to_json() for p in self.points], "fits": nested_json(self.fits)}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> SeedRecord:
        """The inverse of :meth:`to_json`."""
        sup = obj["eps_m_sup_over_time"]
        return cls(
            seed=int(obj["seed"]), seed_key=tuple(int(k) for k in obj["seed_key"]),
            model=ModelFitRecord.from_json(obj["model"]),
            continuation=ContinuationRecord.from_json(obj["continuation"]),
            eps_pi_interval=opt_num(obj["eps_pi_interval"]),
            eps_m_sup_over_time=None if sup is None else SupOverTime(
                measure=str(sup["measure"]), bucket_width=int(sup["bucket_width"]),
                sup_mean=num(sup["sup_mean"]), sup_stderr=num(sup["sup_stderr"]),
                sup_t_start=int(sup["sup_t_start"]), overall_mean=num(sup["overall_mean"]),
                buckets=int(sup["buckets"])),
            points=tuple(CurvePoint.from_json(p) for p in obj["points"]),
            fits={y: {x: FitPair.from_json(pair) for x, pair in row.items()}
                  for y, row in obj["fits"].items()})


@dataclass(frozen=True)
class SizeRecord:
    """One training-set size: the seed summaries of the slopes, of the model error at π_D and
    of ε_π after the retrain interval, and the per-seed records."""

    train_size: int
    slopes: Slopes
    eps_m_at_pi_d: dict[str, Summary | None]
    eps_pi_interval: Summary | None
    seeds: tuple[SeedRecord, ...]

    def to_json(self) -> Json:
        """The size's object of ``sizes``."""
        return {"train_size": self.train_size, "slopes": nested_json(self.slopes),
                "eps_m_at_pi_d": {y: None if s is None else s.to_json()
                                  for y, s in self.eps_m_at_pi_d.items()},
                "eps_pi_interval": None if self.eps_pi_interval is None
                else self.eps_pi_interval.to_json(),
                "seeds": [s.to_json() for s in self.seeds]}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> SizeRecord:
        """The inverse of :meth:`to_json`."""
        return cls(
            train_size=int(obj["train_size"]),
            slopes={y: {x: SummaryPair.from_json(pair) for x, pair in row.items()}
                    for y, row in obj["slopes"].items()},
            eps_m_at_pi_d={y: Summary.from_json(s) for y, s in obj["eps_m_at_pi_d"].items()},
            eps_pi_interval=Summary.from_json(obj["eps_pi_interval"]),
            seeds=tuple(SeedRecord.from_json(s) for s in obj["seeds"]))
