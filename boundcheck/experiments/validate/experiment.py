"""``boundcheck validate``: Theorems 4.1–4.3 checked on a trained run's checkpoints.

For each epoch pair (E_D, E) (:mod:`~boundcheck.experiments.validate.source`): measure the returns
and the theory's inputs (:mod:`~boundcheck.experiments.validate.measure`), then check every theorem
at the run's γ and at smaller γ side by side (:mod:`~boundcheck.experiments.validate.report`).
The result is one JSON-ready document (schema: docs/validate.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from boundcheck.envs import get_spec, make_env
from boundcheck.experiments.common.collect import true_law_std
from boundcheck.experiments.validate.measure import MeasureSettings, measure_pair
from boundcheck.experiments.validate.report import BoundInputs, pair_doc
from boundcheck.experiments.validate.source import ValidationSource
from boundcheck.runs.provenance import provenance
from boundcheck.theory.verdict import VIOLATED

FORMAT = "boundcheck-validation"
FORMAT_VERSION = 1
#: Phases measured per pair (for the progress bar).
PHASES = 7
#: Smaller discount factors shown beside the run's.
EXTRA_GAMMAS = (0.95, 0.9)

ProgressFn = Callable[[dict[str, Any]], None]


def gammas_for(gamma: float) -> list[float]:
    """The run's (or the user's) γ first, then :data:`EXTRA_GAMMAS` below it."""
    return [gamma] + [g for g in EXTRA_GAMMAS if g < gamma]


def _env_steps(source: ValidationSource) -> dict[int, Any]:
    return {int(r["epoch"]): r.get("env_steps") for r in source.run.read_metrics()}


def run_validation(source: ValidationSource, settings: MeasureSettings, inputs: BoundInputs,
                   gamma: float, device: torch.device,
                   progress: ProgressFn | None = None) -> dict[str, Any]:
    """Measure and check every pair of ``source``; returns the result document."""
    cfg = source.config
    spec = get_spec(cfg.env)
    env = make_env(spec, transition_noise=cfg.transition_noise, reward_noise=cfg.reward_noise,
                   unit_actions=True)
    true_std, tv_reason = true_law_std(env, spec, cfg)
    steps = _env_steps(source)
    total = PHASES * len(source.pairs)
    done = 0
    pairs = []
    for pair in source.pairs:
        def phase(name: str, pair: Any = pair) -> None:
            nonlocal done
            if progress is not None:
                progress({"description": f"epochs {pair.data_epoch}->{pair.epoch}: {name}",
                          "completed": done, "total": total})
            done += 1

        m = measure_pair(source, pair, spec, env, true_std, settings, device, phase)
        pairs.append(pair_doc(m, gammas_for(gamma), inputs,
                              {"data_epoch": steps.get(pair.data_epoch),
                               "epoch": steps.get(pair.epoch)}))
    env.close()
    if progress is not None:
        progress({"description": "done", "completed": total, "total": total})
    return {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "source": {"run": str(source.run.path), "env": spec.name, "algo": cfg.algo,
                   "run_seed": source.run_seed, "run_provenance": source.provenance,
                   "buffer_epoch": source.buffer_epoch},
        "settings": {"gamma": gamma, "gammas": gammas_for(gamma),
                     "episodes": settings.episodes, "k": settings.k,
                     "model_starts": settings.model_starts, "policy_mc": settings.policy_mc,
                     "max_states": settings.max_states, "tv_samples": settings.tv_samples,
                     "bucket_width": settings.bucket_width, "seed": settings.seed,
                     "confidence": inputs.confidence, "eps_pi_stat": inputs.eps_pi_stat,
                     "r_max": inputs.r_max, "eps_m": inputs.eps_m,
                     "eps_m_shifted": inputs.eps_m_shifted, "device": str(device)},
        "tv_available": true_std is not None, "tv_unavailable_reason": tv_reason,
        "pairs": pairs,
        "checks": sum(len(b["theorems"]) for p in pairs for b in p["by_gamma"]),
        "any_violated": inputs.eps_pi_stat == "max" and any_violated(pairs),
        "warnings": _warnings(pairs, inputs),
        "versions": provenance(),
    }


def _warnings(pairs: list[dict[str, Any]], inputs: BoundInputs) -> list[str]:
    out = [w for p in pairs for w in p["warnings"]]
    if inputs.eps_pi_stat != "max":
        out.append(f"eps_pi is the {inputs.eps_pi_stat} over states, not the max the theorems "
                   "take: a 'violated' verdict is not a test of a theorem (exit code stays 0)")
    return out


def any_violated(pairs: list[dict[str, Any]]) -> bool:
    """Whether any theorem, at any γ, is violated with confidence (each check at its own
    confidence level; no correction for the number of checks, which the document reports)."""
    return any(t["verdict"] == VIOLATED for p in pairs for b in p["by_gamma"]
               for t in b["theorems"].values())
