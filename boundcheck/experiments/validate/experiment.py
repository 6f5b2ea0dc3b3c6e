"""``boundcheck validate``: Theorems 4.1–4.3 checked on a trained run's checkpoints.

For each epoch pair (E_D, E) (:mod:`~boundcheck.experiments.validate.source`): measure the returns
and the theory's inputs (:mod:`~boundcheck.experiments.validate.measure`), then check every theorem
at the run's γ and at smaller γ side by side (:mod:`~boundcheck.experiments.validate.theorems`);
with ``--ladder``, the ladder's measured rungs on the newest pair
(:mod:`~boundcheck.experiments.validate.ladder_measured`).
The result is a :class:`~boundcheck.experiments.validate.results.ValidationResult`; its JSON
document (schema: docs/validate.md) is made by :mod:`~boundcheck.experiments.validate.document`.
"""

from __future__ import annotations

from typing import Any

import torch

from boundcheck.envs import get_spec, make_env
from boundcheck.experiments.common.collect import true_law_std
from boundcheck.experiments.validate.ladder_measured import measure_ladder
from boundcheck.experiments.validate.measure import measure_pair
from boundcheck.experiments.validate.results import (
    EnvSteps,
    PairResult,
    SourceInfo,
    ValidationResult,
)
from boundcheck.experiments.validate.settings import (
    BoundInputs,
    EpsPiStat,
    LadderChoice,
    ValidateConfig,
)
from boundcheck.experiments.validate.source import ValidationSource
from boundcheck.experiments.validate.theorems import pair_result
from boundcheck.runs.progress import ProgressFn
from boundcheck.runs.provenance import provenance

#: Phases measured per pair (for the progress bar).
PHASES = 7
#: Smaller discount factors shown beside the run's.
EXTRA_GAMMAS = (0.95, 0.9)


def gammas_for(gamma: float) -> tuple[float, ...]:
    """The run's (or the user's) γ first, then :data:`EXTRA_GAMMAS` below it."""
    return (gamma, *(g for g in EXTRA_GAMMAS if g < gamma))


def _env_steps(source: ValidationSource) -> dict[int, Any]:
    return {int(r["epoch"]): r.get("env_steps") for r in source.run.read_metrics()}


def run_validation(source: ValidationSource, settings: ValidateConfig, inputs: BoundInputs,
                   gamma: float, device: torch.device,
                   progress: ProgressFn | None = None) -> ValidationResult:
    """Measure and check every pair of ``source`` at ``gamma`` and :func:`gammas_for` it."""
    cfg = source.config
    spec = get_spec(cfg.env)
    env = make_env(spec, transition_noise=cfg.transition_noise, reward_noise=cfg.reward_noise,
                   unit_actions=True)
    true_std, tv_reason = true_law_std(env, spec, cfg)
    if cfg.model == "oracle":  # the model is the true law: its TV is 0, known without noise
        tv_reason = None
    steps = _env_steps(source)
    gammas = gammas_for(gamma)
    ladder = settings.ladder is not LadderChoice.NONE
    total = PHASES * len(source.pairs) + int(ladder)
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
        pairs.append(pair_result(m, gammas, inputs, EnvSteps(steps.get(pair.data_epoch),
                                                             steps.get(pair.epoch)),
                                 settings.confidence))
    env.close()
    measured = None
    if ladder:
        if progress is not None:
            progress({"description": "bound ladder (--ladder)", "completed": done,
                      "total": total})
        measured = measure_ladder(source, settings.ladder, settings.ladder_episodes, gammas,
                                  settings.seed, device)
    if progress is not None:
        progress({"description": "done", "completed": total, "total": total})
    return ValidationResult(
        source=SourceInfo(run=source.run.path, env=spec.name, algo=cfg.algo,
                          run_seed=source.run_seed, run_provenance=source.provenance,
                          buffer_epoch=source.buffer_epoch),
        gamma=gamma, gammas=gammas, settings=settings, bounds=inputs, device=str(device),
        tv_unavailable_reason=tv_reason, pairs=tuple(pairs),
        warnings=tuple(_warnings(pairs, inputs, oracle=cfg.model == "oracle")),
        versions=provenance(), ladder=measured)


def _warnings(pairs: list[PairResult], inputs: BoundInputs, *, oracle: bool) -> list[str]:
    out = [w for p in pairs for w in p.warnings]
    if oracle:
        out.append("an oracle run (--model oracle): its model is the simulator, so eps_m = "
                   "eps_m' = 0 by construction (exactly, no Monte Carlo); the model returns "
                   "are the simulator's own")
    if inputs.eps_pi_stat is not EpsPiStat.MAX:
        out.append(f"eps_pi is the {inputs.eps_pi_stat.value} over states, not the max the "
                   "theorems take: a 'violated' verdict is not a test of a theorem (exit code "
                   "stays 0)")
    return out
