"""The JSON document of ``boundcheck validate`` (schema: docs/validate.md), written from the
typed result of :mod:`boundcheck.experiments.validate.results` and read back, typed, by
:func:`read_validation` (the one reader of ``validation.json``: no other code walks its keys).

Written through :mod:`boundcheck.codec`: enums become their values, tuples lists, non-finite
numbers ``null``. Where the document is a type's fields (the ε's, the returns, the model
error) the codec writes the fields; the rest is laid out here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from boundcheck.codec import JsonFileError, decode, encode, json_meta, loads
from boundcheck.experiments.common.measure import ModelErrorEstimate
from boundcheck.experiments.validate.results import (
    BoundValues,
    GammaBlock,
    PairResult,
    Returns,
    SupModelRung,
    TheoremCheck,
    ValidationResult,
    any_violated,
)
from boundcheck.theory.verdict import Estimate, Verdict

FORMAT = "boundcheck-validation"
FORMAT_VERSION = 1


def theorem_json(check: TheoremCheck) -> dict[str, Any]:
    """One theorem at one γ: C and its parts, the intervals, the verdict, and where the bound
    would become informative."""
    result = check.result
    return {
        **result.penalty.as_dict(), "reference": result.reference,
        "lower_bound": encode(result.lower_bound), "eta": encode(result.eta),
        "slack": encode(result.slack), "slack_over_range": check.slack_over_range,
        "verdict": result.verdict.value, "unreliable": result.unreliable,
        "informative_below": {"scale": result.scale_to_informative,
                              "eps_pi": check.eps_policy_below,
                              check.model_input.value: check.eps_model_below},
    }


def gamma_block_json(block: GammaBlock) -> dict[str, Any]:
    """One γ: its returns, its theorems by number and the ladder's rungs by name."""
    return {"gamma": block.gamma, "returns": encode(block.returns),
            "theorems": {t.theorem: theorem_json(t) for t in block.theorems},
            "ladder": {"rung_2a": encode(block.rung_2a)}}


def pair_json(pair: PairResult) -> dict[str, Any]:
    """The record of one epoch pair."""
    return {
        "data_epoch": pair.data_epoch, "epoch": pair.epoch, "k": pair.k,
        "horizon": pair.horizon, "env_steps": encode(pair.env_steps),
        "inputs": encode(pair.inputs),
        "episode_length_mean": encode(pair.episode_length_mean),
        "model_diverged": encode(pair.model_diverged),
        "policy_shift": {"n_states": pair.policy_shift.n_states,
                         "n_mc": pair.policy_shift.n_mc, "stats": pair.policy_shift.stats},
        "model_error": {"pi_d": encode(pair.model_error_pi_d),
                        "pi": encode(pair.model_error_pi)},
        "by_gamma": [gamma_block_json(b) for b in pair.by_gamma],
        "informative_gamma": dict(pair.informative_gamma),
        "ladder_gamma_at_half": {"rung_2a": pair.rung_2a_gamma_at_half},
        "warnings": list(pair.warnings),
    }


def validation_json(result: ValidationResult) -> dict[str, Any]:
    """The whole document (the writers add ``files``)."""
    source, settings, bounds = result.source, result.settings, result.bounds
    return {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "source": {"run": str(source.run), "env": source.env, "algo": source.algo,
                   "run_seed": source.run_seed, "run_provenance": source.run_provenance,
                   "buffer_epoch": source.buffer_epoch},
        "settings": {"gamma": result.gamma, "gammas": list(result.gammas),
                     "episodes": settings.episodes, "k": settings.k,
                     "model_starts": settings.model_starts, "policy_mc": settings.policy_mc,
                     "max_states": settings.max_states, "tv_samples": settings.tv_samples,
                     "bucket_width": settings.bucket_width, "seed": settings.seed,
                     "confidence": settings.confidence, "eps_pi_stat": bounds.eps_pi_stat.value,
                     "r_max": bounds.r_max, "eps_m": bounds.eps_model,
                     "eps_model_shifted": bounds.eps_model_shifted, "device": result.device,
                     "ladder": settings.ladder.value, "ladder_episodes": settings.ladder_episodes},
        "tv_available": result.tv_available,
        "tv_unavailable_reason": result.tv_unavailable_reason,
        "pairs": [pair_json(p) for p in result.pairs],
        "checks": result.checks,
        "any_violated": any_violated(result),
        "warnings": list(result.warnings),
        "versions": result.versions,
        **_ladder(result),
    }


def _ladder(result: ValidationResult) -> dict[str, Any]:
    """``ladder_measured`` when ``--ladder`` asked for it (docs/validate.md)."""
    if result.ladder is None:
        return {}
    from boundcheck.experiments.validate.ladder_measured import ladder_json  # torch, envs

    return {"ladder_measured": ladder_json(result.ladder)}


@dataclass(frozen=True)
class StatValue:
    """One statistic of the policy shift over the states, with its bootstrap interval."""

    value: float
    ci_low: float = float("nan")
    ci_high: float = float("nan")


@dataclass(frozen=True)
class PolicyShiftRecord:
    """A pair's ``policy_shift``: ``stats[quantity][statistic]`` over the visited states."""

    n_states: int
    n_mc: int
    stats: dict[str, dict[str, StatValue]]

    @property
    def pinsker_mean(self) -> float:
        """The mean over states of the per-state Pinsker bound (not what the theorems take)."""
        return self.stats["pinsker_min"]["mean"].value


@dataclass(frozen=True)
class ModelErrorRecord:
    """A pair's ``model_error``: under π_D's and under π's real transitions."""

    pi_d: ModelErrorEstimate
    pi: ModelErrorEstimate


@dataclass(frozen=True)
class TheoremRecord:
    """One theorem at one γ as the document gives it: C, η, the lower bound, the slack and
    the verdict."""

    theorem: str
    penalty: float = field(metadata=json_meta(key="C"))
    informative: bool
    eta: Estimate
    lower_bound: Estimate
    slack: Estimate
    verdict: Verdict
    unreliable: str | None = None
    #: ``scale`` and the ε's (``eps_pi`` and ``eps_m`` or ``eps_model_shifted``) at which the
    #: bound would become informative (None: at no ε in [0, 1]).
    informative_below: dict[str, float | None] = field(default_factory=dict)

    @property
    def eps_policy_below(self) -> float | None:
        """ε_π at which the bound would become informative (at the measured ratio)."""
        return self.informative_below.get("eps_pi")

    @property
    def eps_model_below(self) -> tuple[str, float | None]:
        """The model error this theorem takes (``eps_m`` or ``eps_model_shifted``) and its
        value at which the bound would become informative."""
        name = "eps_m" if "eps_m" in self.informative_below else "eps_model_shifted"
        return name, self.informative_below.get(name)


@dataclass(frozen=True)
class GammaRecord:
    """One γ of a pair: its returns, its theorems by number and the ladder's rungs by name
    (``rung_2a``; empty in files written before validate reported the ladder)."""

    gamma: float
    returns: Returns
    theorems: dict[str, TheoremRecord]
    ladder: dict[str, SupModelRung] = field(default_factory=dict)


@dataclass(frozen=True)
class PairRecord:
    """One epoch pair as the document records it (what readers use of it)."""

    data_epoch: int
    epoch: int
    k: int
    inputs: BoundValues
    policy_shift: PolicyShiftRecord
    model_error: ModelErrorRecord
    by_gamma: tuple[GammaRecord, ...]
    informative_gamma: dict[str, float | None] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    #: Per rung, the largest γ at which it takes at most half the return range.
    ladder_gamma_at_half: dict[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceRecord:
    """The document's ``source``: the run validated, its task, algorithm and seed."""

    run: str
    env: str
    algo: str
    run_seed: int


@dataclass(frozen=True)
class ValidationRecord:
    """``validation.json`` read back (:func:`read_validation`); also what the command's table
    shows (:func:`record_of`), so a saved result prints as the live one did."""

    format: str
    format_version: int
    pairs: tuple[PairRecord, ...]
    any_violated: bool
    warnings: tuple[str, ...] = ()
    source: SourceRecord | None = None
    tv_available: bool = True
    tv_unavailable_reason: str | None = None


def record_of(result: ValidationResult) -> ValidationRecord:
    """The record of a fresh result: its document, read back."""
    return validation_record(encode(validation_json(result)))


def validation_record(doc: Mapping[str, Any], where: str = "$") -> ValidationRecord:
    """A parsed ``validation.json`` as its typed record (:class:`JsonFileError` if it is not
    one)."""
    if not isinstance(doc, Mapping) or doc.get("format") != FORMAT:
        got = doc.get("format") if isinstance(doc, Mapping) else type(doc).__name__
        raise JsonFileError(f"{where}: format is {got!r}, not {FORMAT!r}")
    record: ValidationRecord = decode(ValidationRecord, dict(doc), where)
    return record


def read_validation(path: Path) -> ValidationRecord:
    """Read ``validation.json`` (OSError, or :class:`JsonFileError` naming the key). Files
    written before the strict codec may hold ``NaN`` tokens: they are read as NaN."""
    try:
        doc = loads(path.read_text(encoding="utf-8"), allow_nan=True)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise JsonFileError(f"{path}: not JSON ({exc})") from None
    return validation_record(doc, str(path))
