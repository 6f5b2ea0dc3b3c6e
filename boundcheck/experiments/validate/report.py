"""Theorems 4.1–4.3 checked on one pair's measurements, for each discount factor.

Inputs to the bounds (PAPER.md, "Notation"):

- ε_π: a statistic over the visited states (π's and π_D's) of the per-state Pinsker bound
  min(√(KL(π‖π_D)/2), √(KL(π_D‖π)/2)); the theorem's max_s by default (``eps_pi_stat``).
  The Monte Carlo TV of the same statistic is reported beside it.
- ε_m (under π_D) and ε_m′ (under π): the sup over time buckets of the mean per-transition TV
  when the run's true law is a known Gaussian; otherwise 1, the TV of any continuous model to
  a deterministic simulator (NLL/MSE are reported as proxies), unless the user supplies a value.
- r_max: the largest |reward| in π_D's real buffer, unless given.

Theorem 4.1 compares η with η̂ (full model rollouts); 4.2 and 4.3 with η^branch. The k-step
model return MBPO optimises and π_D's own return are reported without a theorem.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from boundcheck.experiments.common.measure import ModelErrorEstimate
from boundcheck.experiments.validate.measure import PairMeasurements
from boundcheck.experiments.validate.returns import RewardPaths
from boundcheck.theory.bounds import theorem_4_1, theorem_4_2, theorem_4_3
from boundcheck.theory.verdict import (
    BoundResult,
    check_bound,
    informative_threshold,
    mean_estimate,
)


@dataclass(frozen=True)
class BoundInputs:
    """User choices for the bounds' inputs (None: measured, see the module docstring)."""

    r_max: float | None = None
    eps_m: float | None = None
    eps_m_shifted: float | None = None
    eps_pi_stat: str = "max"
    confidence: float = 0.95


def model_error_value(error: ModelErrorEstimate, given: float | None) -> tuple[float, str]:
    """(ε, where it came from) for ε_m or ε_m′ from a model-error estimate."""
    if given is not None:
        return given, "given"
    sup = error.sup_over_time
    if sup is not None and sup.measure == "tv":
        return float(min(1.0, max(0.0, sup.sup_mean))), "tv_sup_over_time"
    if error.tv_mean is not None:
        return float(min(1.0, max(0.0, error.tv_mean))), "tv_mean"
    return 1.0, "deterministic_simulator"


def bound_inputs(m: PairMeasurements, inputs: BoundInputs) -> dict[str, Any]:
    """The ε's and r_max fed to the theorems, with their sources."""
    stats = m.policy_shift["stats"]
    eps_m, src_m = model_error_value(m.model_error_pi_d, inputs.eps_m)
    if inputs.eps_m_shifted is not None:
        eps_mp, src_mp = inputs.eps_m_shifted, "given"
    else:
        eps_mp, src_mp = model_error_value(m.model_error_pi, inputs.eps_m)
        src_mp = "given (--eps-m)" if src_mp == "given" else src_mp
    return {
        "eps_pi": float(min(1.0, stats["pinsker_min"][inputs.eps_pi_stat]["value"])),
        "eps_pi_stat": inputs.eps_pi_stat,
        "eps_pi_mc": float(stats["tv_mc"][inputs.eps_pi_stat]["value"]),
        "eps_m": eps_m, "eps_m_source": src_m,
        "eps_m_shifted": eps_mp, "eps_m_shifted_source": src_mp,
        "r_max": inputs.r_max if inputs.r_max is not None else m.r_max_buffer,
        "r_max_source": "given" if inputs.r_max is not None else "buffer",
    }


def _result_doc(result: BoundResult, eps_pi: float, eps_model: float,
                model_key: str) -> dict[str, Any]:
    return {
        **result.penalty.as_dict(), "reference": result.reference,
        "lower_bound": result.lower_bound.as_dict(), "eta": result.eta.as_dict(),
        "slack": result.slack.as_dict(),
        "slack_over_range": result.slack.mean / result.penalty.trivial_range
        if result.penalty.trivial_range > 0 else None,
        "verdict": result.verdict, "unreliable": result.unreliable,
        "informative": result.informative,
        "informative_below": {
            "scale": result.scale_to_informative,
            "eps_pi": informative_threshold(eps_pi, result.scale_to_informative),
            model_key: informative_threshold(eps_model, result.scale_to_informative)},
    }


def _unreliable(paths: RewardPaths, what: str) -> str | None:
    count = int(paths.diverged.sum())
    return None if count == 0 else (f"{count} {what} episode(s) diverged (non-finite model "
                                    "prediction): the reference return is biased")


def gamma_block(m: PairMeasurements, gamma: float, values: dict[str, Any],
                confidence: float) -> dict[str, Any]:
    """Returns (with intervals) and the three theorems at discount ``gamma``.

    η, η̂ and η^branch are paired by episode (same seeds and initial states), so each slack
    interval is a paired one (:func:`boundcheck.theory.verdict.check_bound`).
    """
    paths = {"eta": m.real_pi, "eta_model": m.model_pi, "eta_branch": m.branch,
             "eta_pi_d": m.real_pi_d, "model_k_step": m.model_k_step}
    disc = {name: p.discounted(gamma) for name, p in paths.items()}
    r_max, eps_pi = values["r_max"], values["eps_pi"]
    eps_m, eps_mp = values["eps_m"], values["eps_m_shifted"]
    full, branch = _unreliable(m.model_pi, "full-model"), _unreliable(m.branch, "branched")
    checks = {
        "4.1": (check_bound(theorem_4_1(gamma, r_max, eps_m, eps_pi), disc["eta"],
                            disc["eta_model"], "eta_model", confidence, full), eps_m, "eps_m"),
        "4.2": (check_bound(theorem_4_2(gamma, r_max, eps_m, eps_pi, m.k), disc["eta"],
                            disc["eta_branch"], "eta_branch", confidence, branch),
                eps_m, "eps_m"),
        "4.3": (check_bound(theorem_4_3(gamma, r_max, eps_mp, eps_pi, m.k), disc["eta"],
                            disc["eta_branch"], "eta_branch", confidence, branch),
                eps_mp, "eps_m_shifted"),
    }
    return {
        "gamma": gamma,
        "returns": {name: mean_estimate(d, confidence).as_dict() for name, d in disc.items()},
        "theorems": {name: _result_doc(res, eps_pi, eps, key)
                     for name, (res, eps, key) in checks.items()},
    }


def reward_range_warnings(m: PairMeasurements, r_max: float) -> list[str]:
    """Where rewards met while measuring exceed the r_max the bounds assume."""
    out = []
    for name, paths in (("pi's real episodes", m.real_pi), ("pi_D's real episodes", m.real_pi_d),
                        ("model rollouts", m.model_pi), ("branched episodes", m.branch)):
        seen = float(np.abs(paths.rewards).max(initial=0.0))
        if seen > r_max * (1 + 1e-6):
            out.append(f"epochs {m.pair.data_epoch}->{m.pair.epoch}: |r| up to {seen:.4g} in "
                       f"{name} exceeds r_max = {r_max:.4g} (the bounds assume |r| <= r_max)")
    return out


def _lengths(m: PairMeasurements) -> dict[str, float]:
    return {name: float(paths.lengths.mean()) for name, paths in (
        ("pi", m.real_pi), ("pi_d", m.real_pi_d), ("model", m.model_pi),
        ("branch", m.branch), ("model_k_step", m.model_k_step))}


def pair_doc(m: PairMeasurements, gammas: list[float], inputs: BoundInputs,
             env_steps: dict[str, Any]) -> dict[str, Any]:
    """The JSON record of one pair (docs/validate.md)."""
    values = bound_inputs(m, inputs)
    shift = m.policy_shift
    return {
        "data_epoch": m.pair.data_epoch, "epoch": m.pair.epoch, "k": m.k, "horizon": m.horizon,
        "env_steps": env_steps, "inputs": values,
        "episode_length_mean": _lengths(m),
        "model_diverged": {"full": int(m.model_pi.diverged.sum()),
                           "branch": int(m.branch.diverged.sum()),
                           "k_step": int(m.model_k_step.diverged.sum())},
        "policy_shift": {"n_states": shift["n_states"], "n_mc": shift["n_mc"],
                         "stats": shift["stats"]},
        "model_error": {"pi_d": asdict(m.model_error_pi_d), "pi": asdict(m.model_error_pi)},
        "by_gamma": [gamma_block(m, g, values, inputs.confidence) for g in gammas],
        "warnings": reward_range_warnings(m, values["r_max"]),
    }
