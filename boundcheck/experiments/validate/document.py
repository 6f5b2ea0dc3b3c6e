"""The JSON document of ``boundcheck validate`` (schema: docs/validate.md), one function per
result type of :mod:`boundcheck.experiments.validate.results`.

Enums become their values, tuples lists; numbers are passed on unchanged (non-finite ones are
made ``null`` by the writers, :func:`boundcheck.runs.atomic.strict_json`).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from boundcheck.experiments.validate.results import (
    BoundValues,
    GammaBlock,
    PairResult,
    Returns,
    TheoremCheck,
    ValidationResult,
    any_violated,
)

FORMAT = "boundcheck-validation"
FORMAT_VERSION = 1


def bound_values_json(values: BoundValues) -> dict[str, Any]:
    """A pair's ``inputs``: the ε's and r_max with their sources."""
    return {
        "eps_pi": values.eps_pi, "eps_pi_stat": values.eps_pi_stat.value,
        "eps_pi_mc": values.eps_pi_mc,
        "eps_m": values.eps_m, "eps_m_source": values.eps_m_source.value,
        "eps_model_shifted": values.eps_model_shifted,
        "eps_model_shifted_source": values.eps_model_shifted_source.value,
        "r_max": values.r_max, "r_max_source": values.r_max_source.value,
    }


def theorem_json(check: TheoremCheck) -> dict[str, Any]:
    """One theorem at one γ: C and its parts, the intervals, the verdict, and where the bound
    would become informative."""
    result = check.result
    return {
        **result.penalty.as_dict(), "reference": result.reference,
        "lower_bound": result.lower_bound.as_dict(), "eta": result.eta.as_dict(),
        "slack": result.slack.as_dict(), "slack_over_range": check.slack_over_range,
        "verdict": result.verdict.value, "unreliable": result.unreliable,
        "informative_below": {"scale": result.scale_to_informative,
                              "eps_pi": check.eps_pi_below,
                              check.model_input.value: check.eps_model_below},
    }


def returns_json(returns: Returns) -> dict[str, Any]:
    """The returns at one γ, each ``{mean, stderr, ci_low, ci_high, n, confidence}``."""
    return {"eta": returns.eta.as_dict(), "eta_model": returns.eta_model.as_dict(),
            "eta_branch": returns.eta_branch.as_dict(), "eta_pi_d": returns.eta_pi_d.as_dict(),
            "model_k_step": returns.model_k_step.as_dict()}


def gamma_block_json(block: GammaBlock) -> dict[str, Any]:
    """One γ: its returns and its theorems by number."""
    return {"gamma": block.gamma, "returns": returns_json(block.returns),
            "theorems": {t.theorem: theorem_json(t) for t in block.theorems}}


def pair_json(pair: PairResult) -> dict[str, Any]:
    """The record of one epoch pair."""
    return {
        "data_epoch": pair.data_epoch, "epoch": pair.epoch, "k": pair.k,
        "horizon": pair.horizon, "env_steps": asdict(pair.env_steps),
        "inputs": bound_values_json(pair.inputs),
        "episode_length_mean": asdict(pair.episode_length_mean),
        "model_diverged": asdict(pair.model_diverged),
        "policy_shift": {"n_states": pair.policy_shift.n_states,
                         "n_mc": pair.policy_shift.n_mc, "stats": pair.policy_shift.stats},
        "model_error": {"pi_d": asdict(pair.model_error_pi_d),
                        "pi": asdict(pair.model_error_pi)},
        "by_gamma": [gamma_block_json(b) for b in pair.by_gamma],
        "informative_gamma": dict(pair.informative_gamma),
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
                     "confidence": bounds.confidence, "eps_pi_stat": bounds.eps_pi_stat.value,
                     "r_max": bounds.r_max, "eps_m": bounds.eps_model,
                     "eps_model_shifted": bounds.eps_model_shifted, "device": result.device},
        "tv_available": result.tv_available,
        "tv_unavailable_reason": result.tv_unavailable_reason,
        "pairs": [pair_json(p) for p in result.pairs],
        "checks": result.checks,
        "any_violated": any_violated(result),
        "warnings": list(result.warnings),
        "versions": result.versions,
    }
